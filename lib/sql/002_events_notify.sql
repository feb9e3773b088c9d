-- Wake event followers (xlcfi-etl events --follow) whenever events are
-- written, whoever writes them. Statement-level, so a bulk insert sends one
-- notification. NOTIFY is only a hint: followers always read the table.
CREATE FUNCTION events_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('xlcfi_events', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER events_notify AFTER INSERT ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_notify();
