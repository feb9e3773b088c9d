#!/bin/bash
# xlcfi-etl: help, usage errors, and the man page SYNOPSIS.
. "$(dirname "$0")/../lib.sh"

for sub in "" import generate export events; do
	expect_code 0 "xlcfi-etl $sub --help exits 0" xlcfi-etl $sub --help
done
expect_success 'SYNOPSIS of xlcfi-etl(1) matches the usage lines' '
	for s in "" import generate export events; do help_usage xlcfi-etl $s; done > usage &&
	man_synopsis "$TOP/man/xlcfi-etl.1" > synopsis &&
	diff -u usage synopsis
'
expect_success 'xlcfi etl runs xlcfi-etl' '
	xlcfi etl --help > a && xlcfi-etl --help > b && cmp a b
'
expect_code 64 'no subcommand' xlcfi-etl
expect_code 64 'unknown subcommand' xlcfi-etl launder
expect_code 64 'export without --table or --sql' xlcfi-etl export --dsn "host=127.0.0.1 port=1"
expect_code 64 'export with both --table and --sql' xlcfi-etl export --table a --sql 'select 1'
expect_code 64 'bad --format' xlcfi-etl export --table a --format xml
expect_code 64 'bad --encoding' xlcfi-etl export --table a --format csv --encoding latin9
expect_code 64 'bad --from' xlcfi-etl events --from zero
expect_code 64 'bad --limit' xlcfi-etl events --limit -1
expect_success 'usage errors point to the subcommand help' '
	! xlcfi-etl events --from zero 2> err && grep -q "try .xlcfi-etl events --help." err
'
expect_code 69 'an unreachable database exits 69' xlcfi-etl export --dsn "host=127.0.0.1 port=1" --table users
test_done
