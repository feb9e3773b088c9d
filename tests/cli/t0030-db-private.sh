#!/bin/bash
# xlcfi db: the private cluster's life cycle, and connection failures.
. "$(dirname "$0")/../lib.sh"

# Only what a test sets itself may reach libpq. Every home that a db up
# below may start a server in is tracked: the EXIT trap (lib.sh) stops them
# all, whichever step failed.
clear_pg_env
home="$SCRATCH/home"
export XLCFI_HOME="$home"
track_home "$home"
stop_cluster() { xlcfi -q db down > /dev/null 2>&1; }

expect_code 69 'before db up, status says it is not there' xlcfi db status
expect_success 'and says how to create it' '
	{ xlcfi db status > out 2> err; test $? -eq 69; } &&
	grep -q "xlcfi db up" err && jq -e ".running == false" out > /dev/null
'
expect_code 0 'db up creates and starts the cluster' xlcfi db up --no-sync
expect_success 'the first db up reports a new, migrated cluster' '
	last_out > up1 &&
	jq -e ".running == true and .already_running == false and .applied >= 1" up1 > /dev/null
'
expect_code 0 'a second db up succeeds' xlcfi db up
expect_success 'and reports it was already running, nothing to apply' '
	last_out > up2 && last_err > err2 &&
	jq -e ".already_running == true and .applied == 0" up2 > /dev/null &&
	grep -q "already running" err2
'
expect_code 0 'db status exits 0 while running' xlcfi db status
expect_success 'db status is one NDJSON record with the schema version' '
	xlcfi db status > st && test "$(wc -l < st)" -eq 1 &&
	jq -e ".running == true and .source == \"private\" and .schema_version == .schema_latest
	       and .schema_version >= 1 and .size_bytes > 0 and .home == \"$home\"" st > /dev/null
'
expect_success 'the server listens on a socket inside XLCFI_HOME, not on TCP' '
	test -S "$home/pg/run/.s.PGSQL.5432" &&
	grep -q "^listen_addresses = .." "$home/pg/data/postgresql.conf"
'
expect_success 'psql "$(xlcfi db dsn)" reaches the migrated database' '
	psql -X -At "$(xlcfi db dsn)" -c "SELECT count(*) FROM schema_migrations" > n &&
	test "$(cat n)" -ge 1
'
expect_code 64 'db reset without --yes refuses' xlcfi db reset
expect_success 'db reset --yes drops and recreates the database' '
	psql -X -q "$(xlcfi db dsn)" -c "CREATE TABLE scratch_t (i int)" &&
	xlcfi db reset --yes > out && jq -e ".reset == true and .applied >= 1" out > /dev/null &&
	test -z "$(psql -X -At "$(xlcfi db dsn)" -c "SELECT to_regclass(\$\$scratch_t\$\$)")"
'
expect_code 0 'db down stops it' xlcfi db down
expect_code 69 'status after down exits 69' xlcfi db status
expect_success 'a stopped cluster is named with how to start it' '
	{ xlcfi db migrate > out 2> err; test $? -eq 69; } &&
	grep -q "is not running; start it with .xlcfi db up." err
'
expect_code 0 'db down again is harmless' xlcfi db down
expect_code 0 'db up restarts the existing cluster' xlcfi db up
expect_success 'a cluster whose server was killed comes back with db up' '
	pid=$(head -n 1 "$home/pg/data/postmaster.pid") && kill -9 "$pid" &&
	for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done &&
	xlcfi db up > out && jq -e ".running == true" out > /dev/null &&
	xlcfi db status > /dev/null
'
stop_cluster

# initdb runs as the server account (postgres, when we are root), so its
# leftovers belong to that account.
track_home "$SCRATCH/crashed"
expect_success 'a crashed initdb leaves nothing that stops the next db up' '
	export XLCFI_HOME="$SCRATCH/crashed" && mkdir -p "$XLCFI_HOME/pg/data.initdb" &&
	chmod 0755 "$XLCFI_HOME" &&
	echo junk > "$XLCFI_HOME/pg/data.initdb/PG_VERSION" &&
	{ test "$(id -u)" -ne 0 || chown -R postgres: "$XLCFI_HOME/pg"; } &&
	xlcfi db up --no-sync > out && jq -e ".running == true" out > /dev/null &&
	xlcfi -q db down
'

# The postmasters serving a data directory (their command line ends in "-D DIR").
postmasters() {
	ps -eo args= | awk -v d="$1/pg/data" '$(NF - 1) == "-D" && $NF == d' | wc -l
}
track_home "$SCRATCH/race"
expect_success 'two db up racing on a fresh home both succeed and start one server' '
	export XLCFI_HOME="$SCRATCH/race" &&
	{ timeout 120 xlcfi db up --no-sync > up-a 2> err-a & pid_a=$!; } &&
	{ timeout 120 xlcfi db up --no-sync > up-b 2> err-b & pid_b=$!; } &&
	{ wait $pid_a; st_a=$?; wait $pid_b; st_b=$?; } &&
	echo "db up statuses: $st_a $st_b" &&
	test "$st_a" -eq 0 && test "$st_b" -eq 0 &&
	jq -e ".running == true" up-a up-b > /dev/null &&
	{ xlcfi db status > st; test $? -eq 0; } && jq -e ".running == true" st > /dev/null &&
	test "$(postmasters "$XLCFI_HOME")" -eq 1 &&
	xlcfi -q db down
'
track_home "$SCRATCH/pgenv"
expect_success 'the private cluster ignores PG* variables of the caller (PGPORT=5499)' '
	export XLCFI_HOME="$SCRATCH/pgenv" &&
	{ PGPORT=5499 xlcfi db up --no-sync > up 2> err; test $? -eq 0; } &&
	{ xlcfi db status > st 2> err; test $? -eq 0; } &&
	jq -e ".running == true and .source == \"private\"" st > /dev/null &&
	xlcfi -q db down &&
	{ PGPORT=5499 xlcfi db up > up 2> err; test $? -eq 0; } &&
	{ xlcfi db status > st 2> err; test $? -eq 0; } &&
	xlcfi -q db down
'
latin1_home="$SCRATCH/caf"$'\xe9'
track_home "$latin1_home"
expect_success 'an XLCFI_HOME that is not UTF-8 works, and the output stays JSON' '
	export XLCFI_HOME="$latin1_home" &&
	{ xlcfi db up --no-sync > up 2> err; test $? -eq 0; } &&
	jq -e ".running == true" up > /dev/null &&
	{ xlcfi db status > st 2> err; test $? -eq 0; } &&
	jq -e ".running == true" st > /dev/null &&
	xlcfi -q db down
'

# Bad homes and bad connection strings.
expect_code 73 'an XLCFI_HOME that cannot be created exits 73' env XLCFI_HOME=/dev/null/xlcfi xlcfi db up
expect_success 'and names the path' '
	{ XLCFI_HOME=/dev/null/xlcfi xlcfi db up > out 2> err; test $? -eq 73; } &&
	grep -q "cannot create ./dev/null" err
'
track_home "$SCRATCH/rel/dir"
expect_code 78 'a relative XLCFI_HOME is a configuration error' env XLCFI_HOME=rel/dir xlcfi db up
if [ "$(id -u)" -ne 0 ]; then
	track_home "$SCRATCH/ro/home"
	expect_success 'an unwritable XLCFI_HOME exits 77' '
		mkdir ro && chmod 0555 ro &&
		{ XLCFI_HOME="$PWD/ro/home" xlcfi db up > out 2> err; test $? -eq 77; } &&
		grep -q "Permission denied" err
	'
else
	track_home "$SCRATCH/closed/home"
	expect_success 'as root, a home the postgres account cannot enter exits 77' '
		mkdir -m 0700 closed &&
		{ XLCFI_HOME="$PWD/closed/home" xlcfi db up > out 2> err; test $? -eq 77; } &&
		grep -q "account cannot enter" err
	'
fi
long_home="$SCRATCH/$(printf 'x%.0s' $(seq 1 120))"
track_home "$long_home"
expect_code 78 'an XLCFI_HOME too long for a socket path is refused' \
	env XLCFI_HOME="$long_home" xlcfi db up
n=0
for c in , '"' "'" '\'; do
	n=$((n + 1))
	track_home "$SCRATCH/odd$n${c}home"
	expect_success "an XLCFI_HOME containing $c is refused with exit 78" '
		{ XLCFI_HOME="$SCRATCH/odd$n${c}home" xlcfi db up --no-sync > out 2> err; test $? -eq 78; } &&
		grep -q "XLCFI_HOME .*contains" err &&
		test ! -e "$SCRATCH/odd$n${c}home/pg/data/postmaster.pid"
	'
done

expect_success 'a DSN at a closed port exits 69 at once' '
	start=$(date +%s%N) &&
	{ xlcfi --dsn "host=127.0.0.1 port=1 dbname=x connect_timeout=30" db status > out 2> err; test $? -eq 69; } &&
	test $(( ($(date +%s%N) - start) / 1000000 )) -le 3000 &&
	grep -q "cannot connect to database" err && jq -e ".running == false" out > /dev/null
'
# A server that accepts and then never answers: only the default connect
# timeout (5 s) ends the wait. Loopback only; it exits by itself after 20 s.
xl-silent-server 20 > silent.port 2> silent.err &
silent_pid=$!
expect_success 'a server that never answers: exit 69 after the 5 s default timeout' '
	for i in $(seq 1 100); do test -s silent.port && break; sleep 0.05; done &&
	port=$(cat silent.port) && test "$port" -gt 0 &&
	test -z "${PGCONNECT_TIMEOUT+set}" &&
	start=$(date +%s%N) &&
	{ xlcfi --dsn "host=127.0.0.1 port=$port dbname=x" db status > out 2> err; test $? -eq 69; } &&
	ms=$(( ($(date +%s%N) - start) / 1000000 )) && echo "took $ms ms" &&
	test "$ms" -ge 4000 && test "$ms" -le 8000 &&
	grep -q "cannot connect to database" err && jq -e ".running == false" out > /dev/null
'
kill "$silent_pid" 2> /dev/null
wait "$silent_pid" 2> /dev/null
expect_success 'XLCFI_DSN is used when set, and its password is never shown' '
	{ XLCFI_DSN="host=127.0.0.1 port=1 password=hunter2" xlcfi db status > out 2> err; test $? -eq 69; } &&
	{ grep -q hunter2 out err; test $? -eq 1; } && jq -e ".source == \"XLCFI_DSN\"" out > /dev/null
'
expect_code 78 'a malformed DSN exits 78' xlcfi --dsn "this is not a dsn" db status
expect_success 'PG* variables are used when XLCFI_DSN is not set' '
	{ PGHOST=127.0.0.1 PGPORT=1 xlcfi db status > out 2> err; test $? -eq 69; } &&
	jq -e ".source == \"PG\"" out > /dev/null
'
test_done
