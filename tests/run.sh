#!/bin/sh
# Run the test suites and print one closing line: "all: N passed, N failed".
#
# usage: tests/run.sh unit|cli|all
# Unit tests are the cmocka programs tests/unit/test_xl_*; command-line
# tests are tests/cli/t*.sh. Database tests need XLCFI_TEST_DSN (make check
# and scripts/with-test-db.sh provide it).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
what=${1:-all}
passed=0
failed=0
failed_names=""
out=$(mktemp -d "${TMPDIR:-/tmp}/xlcfi-run.XXXXXX")
trap 'rm -rf "$out"' EXIT

count() {
	# count FILE: add the "passed N failed M" a suite wrote into FILE.
	if [ -s "$1" ]; then
		read -r _ p _ f < "$1"
	else
		p=0 f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
}

run_unit() {
	for t in "$top"/tests/unit/test_xl_*; do
		case $t in *.c|*.o|*.d) continue ;; esac
		[ -x "$t" ] || continue
		name=$(basename "$t")
		"$t" > "$out/$name.log" 2>&1
		rc=$?
		cat "$out/$name.log"
		p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out/$name.log" | tail -n 1)
		f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out/$name.log" | tail -n 1)
		p=${p:-0}
		f=${f:-0}
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			f=1    # crashed (a sanitizer report, a signal) before its summary
		fi
		[ "$f" -gt 0 ] && failed_names="$failed_names $name"
		echo "passed $p failed $f" > "$out/$name.count"
		count "$out/$name.count"
	done
}

run_cli() {
	for t in "$top"/tests/cli/t[0-9]*.sh; do
		[ -f "$t" ] || continue
		name=$(basename "$t" .sh)
		XLCFI_TEST_COUNTS="$out/$name.count" bash "$t"
		rc=$?
		if [ "$rc" -ne 0 ] && [ ! -s "$out/$name.count" ]; then
			echo "passed 0 failed 1" > "$out/$name.count"
		fi
		count "$out/$name.count"
		[ "$rc" -ne 0 ] && failed_names="$failed_names $name"
	done
}

case $what in
unit) run_unit ;;
cli) run_cli ;;
all) run_unit; run_cli ;;
*) echo "usage: tests/run.sh unit|cli|all" >&2; exit 64 ;;
esac

[ -n "$failed_names" ] && echo "failing:$failed_names"
echo "$what: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
