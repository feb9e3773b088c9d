#!/bin/bash
# xlcfi-etl events: the outbox in id order, consumer groups, --follow.
. "$(dirname "$0")/../lib.sh"
scratch_db

add_event() {
	sql -c "insert into events (topic, key, payload) values ('$1', '$2', '$3')"
}
add_event order.created o1 '{"total_minor": 12500, "note": "김치"}'
add_event order.paid o1 '{}'
add_event order.created o2 '{}'

expect_success 'events come as compact records in id order' '
	xlcfi-etl events > out &&
	jq -c "[.id, .topic, .key]" out > got &&
	printf "%s\n" "[1,\"order.created\",\"o1\"]" "[2,\"order.paid\",\"o1\"]" "[3,\"order.created\",\"o2\"]" > want &&
	diff -u want got &&
	head -n 1 out | grep -q "^{\"id\":1,\"topic\":\"order.created\",\"key\":\"o1\",\"payload\":{" &&
	jq -r "select(.id == 1) | .payload.total_minor == 12500 and (.created_at | test(\"Z$\"))" out | grep -qx true
'
expect_success '--topic, --from (inclusive) and --limit' '
	xlcfi-etl events --topic order.created > got && test "$(jq -r .id got | paste -sd,)" = 1,3 &&
	xlcfi-etl events --from 2 > got && test "$(jq -r .id got | paste -sd,)" = 2,3 &&
	xlcfi-etl events --limit 2 > got && test "$(jq -r .id got | paste -sd,)" = 1,2
'
expect_success 'a group resumes after what it has read' '
	xlcfi-etl events --group billing --limit 2 > a &&
	xlcfi-etl events --group billing > b &&
	xlcfi-etl events --group billing > c &&
	test "$(jq -r .id a | paste -sd,)" = 1,2 && test "$(jq -r .id b)" = 3 && ! test -s c &&
	test "$(sql -c "select last_event_id from consumer_offsets where consumer = '"'"'billing'"'"'")" = 3
'
expect_success 'groups and topics keep separate offsets' '
	xlcfi-etl events --group billing --topic order.paid > a && test "$(jq -r .id a)" = 2 &&
	xlcfi-etl events --group audit > b && test "$(wc -l < b)" -eq 3
'
expect_success 'an event is held back while an older transaction may still commit a smaller id' '
	{ sql -o /dev/null -c "begin; insert into events (topic, key, payload) values ('"'"'slow'"'"', '"'"'s'"'"', '"'"'{}'"'"'); select pg_sleep(3); commit;" & } &&
	sleep 1 &&
	add_event fast f "{}" &&
	xlcfi-etl events --group g2 --from 4 > early &&
	! test -s early &&
	wait &&
	xlcfi-etl events --group g2 --from 4 > late &&
	test "$(jq -r .topic late | paste -sd,)" = slow,fast
'
expect_code 0 'events on an empty topic print nothing and exit 0' xlcfi-etl events --topic nothing
expect_success 'a group reads past the 1000-event batch size in one run' '
	sql -c "insert into events (topic, payload) select '"'"'bulk'"'"', jsonb_build_object('"'"'n'"'"', g) from generate_series(1, 2500) g" &&
	xlcfi-etl events --group bulkers --topic bulk > got &&
	test "$(wc -l < got)" -eq 2500 &&
	test "$(jq -r .payload.n got | sort -n | uniq | wc -l)" -eq 2500 &&
	xlcfi-etl events --group bulkers --topic bulk > again && ! test -s again
'

# --follow against a private cluster of its own, restarted under it.
export XLCFI_HOME="$SCRATCH/home"
unset XLCFI_DSN
stop_follow_cluster() { xlcfi -q db down > /dev/null 2>&1; }
trap 'stop_follow_cluster; _cleanup' EXIT
xlcfi -q db up --no-sync > /dev/null
psqlp() { psql -X -q -At -v ON_ERROR_STOP=1 "$(xlcfi db dsn)" "$@"; }
wait_lines() {   # wait_lines FILE N: up to 15 s for FILE to have N lines
	for _ in $(seq 1 150); do
		[ "$(wc -l < "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
psqlp -c "insert into events (topic, payload) values ('t', '{\"n\": 1}')"

xlcfi-etl events --follow --group follower > follow.out 2> follow.err &
follower=$!
expect_success '--follow prints what is there, then waits' 'wait_lines follow.out 1'
expect_success '--follow wakes up on a new event (LISTEN, no polling)' '
	psqlp -c "insert into events (topic, payload) values ('"'"'t'"'"', '"'"'{\"n\": 2}'"'"')" &&
	wait_lines follow.out 2
'
expect_success '--follow survives a database restart and resumes' '
	xlcfi -q db down && sleep 1 && xlcfi -q db up > /dev/null &&
	psqlp -c "insert into events (topic, payload) values ('"'"'t'"'"', '"'"'{\"n\": 3}'"'"')" &&
	wait_lines follow.out 3 &&
	grep -q "reconnect" follow.err
'
kill -TERM $follower
wait $follower
follow_status=$?
expect_success 'SIGTERM ends --follow cleanly (exit 0), offsets committed' '
	test "$follow_status" -eq 0 &&
	test "$(jq -r .payload.n follow.out | paste -sd,)" = 1,2,3 &&
	test "$(psqlp -c "select last_event_id from consumer_offsets where consumer = '"'"'follower'"'"'")" = 3
'
test_done
