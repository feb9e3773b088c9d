-- Customers imported from other systems are known by their id there (the
-- Online Retail file's CustomerID, a shop's member number) and often come
-- without an email address: either identifies a user.
ALTER TABLE users ADD COLUMN external_ref text UNIQUE CHECK (external_ref <> '');
ALTER TABLE users ALTER COLUMN email DROP NOT NULL;
ALTER TABLE users ADD CONSTRAINT users_identified CHECK (email IS NOT NULL OR external_ref IS NOT NULL);
COMMENT ON COLUMN users.external_ref IS 'The user''s id in the system it was imported from.';
