#!/bin/bash
# The front command: help, version, usage errors and dispatch to xlcfi-CMD.
. "$(dirname "$0")/../lib.sh"

expect_code 0 '--help exits 0' xlcfi --help
expect_success '--help prints usage and the db command on stdout' '
	xlcfi --help > out 2> err &&
	grep -q "^usage: xlcfi " out && grep -q "^  db " out && test ! -s err
'
expect_success 'SYNOPSIS of xlcfi(1) matches the usage lines' '
	{ help_usage xlcfi; help_usage xlcfi db; } > usage &&
	man_synopsis "$TOP/man/xlcfi.1" > synopsis &&
	diff -u usage synopsis
'
expect_success '--help onto a full disk is an I/O error (74), not success' '
	{ xlcfi --help > /dev/full 2> err; test $? -eq 74; } && test -s err
'
expect_success '--version prints name and version' '
	xlcfi --version > out && grep -Eq "^xlcfi [0-9]+\.[0-9]+\.[0-9]+$" out
'
expect_code 64 'no command is a usage error' xlcfi
expect_success 'usage error says how to get help' '
	{ xlcfi --bogus > out 2> err; test $? -eq 64; } && grep -q "unknown option .--bogus.; try .xlcfi --help." err
'
expect_code 64 'unknown option exits 64' xlcfi --bogus
expect_code 64 'option missing its value exits 64' xlcfi --dsn
expect_code 64 'unknown command exits 64' xlcfi no-such-command
expect_code 64 'bad --log-format exits 64' xlcfi --log-format=xml db status
expect_code 64 'db without an action exits 64' xlcfi db
expect_code 64 'unknown db action exits 64' xlcfi db launch
expect_code 0 'db --help exits 0' xlcfi db --help

expect_success 'a command on PATH is run with its arguments and the DSN passed on' '
	mkdir bin &&
	printf "#!/bin/sh\necho \"args:\$*\"\necho \"dsn:\$XLCFI_DSN\"\necho \"fmt:\${XLCFI_LOG_FORMAT:-}\"\nexit 3\n" > bin/xlcfi-hello &&
	chmod +x bin/xlcfi-hello &&
	{ PATH="$PWD/bin:$PATH" xlcfi --dsn "dbname=x" --log-format=json hello a "b c" > out; test $? -eq 3; } &&
	printf "args:a b c\ndsn:dbname=x\nfmt:json\n" > want &&
	diff -u want out &&
	PATH="$PWD/bin:$PATH" xlcfi --help > help &&
	grep -q "^  hello  *runs xlcfi-hello" help
'
expect_success 'JSON diagnostics carry ts, level, prog and msg' '
	{ xlcfi --log-format=json no-such-command > out 2> err; test $? -eq 64; } &&
	jq -e "select(.level == \"error\" and .prog == \"xlcfi\" and (.msg | test(\"not an xlcfi command\")) and (.ts | test(\"Z$\")))" err > /dev/null
'
expect_success 'XLCFI_LOG_FORMAT=json does the same' '
	{ XLCFI_LOG_FORMAT=json xlcfi no-such-command > out 2> err; test $? -eq 64; } && jq -e .msg err > /dev/null
'
expect_success '-q silences notices, errors remain' '
	{ xlcfi -q no-such-command > out 2> err; test $? -eq 64; } && grep -q "not an xlcfi command" err
'
test_done
