# The shell test library, sourced by tests/cli/t*.sh (bash).
#
#   expect_success 'title' 'commands'   commands (in a subshell) must exit 0; chain steps with &&,
#                                       since set -e does not act inside a condition
#   expect_code N 'title' cmd [arg ...]  cmd must exit with exactly N (a crash is 134/139, not "failure")
#   cmp_json expected actual            same JSON lines, key order aside
#   need_db                             fail (never skip) when there is no test database
#   scratch_db                          a migrated database of the file's own (XLCFI_DSN); sql runs psql on it
#   clear_pg_env                        unset every PG* variable and XLCFI_DSN
#   track_home DIR                      stop the private cluster in DIR at the end, whatever happened
#   test_done                           print the summary and exit
#
# Each test file runs in its own scratch directory ($SCRATCH), removed at the end,
# after its background jobs are killed and its tracked private clusters stopped.
set -u

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PATH="$TOP/cmd:$TOP/tests/tools:$PATH"
DATA="$TOP/tests/data"
SHARED_DATA="$TOP/../shared/data"
export PATH TOP DATA SHARED_DATA
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/xlcfi-cli.XXXXXX")
chmod 0755 "$SCRATCH"
SCRATCH_DB=""
_homes=()
_cleanup() {
	local h p
	for p in $(jobs -p); do
		kill "$p" 2> /dev/null
		wait "$p" 2> /dev/null
	done
	for h in "${_homes[@]}"; do
		_stop_home "$h"
	done
	if [ -n "$SCRATCH_DB" ]; then
		psql -X -q "$XLCFI_TEST_DSN" -c "DROP DATABASE IF EXISTS $SCRATCH_DB WITH (FORCE)" > /dev/null 2>&1
	fi
	rm -rf "$SCRATCH"
}
trap _cleanup EXIT
cd "$SCRATCH" || exit 1
unset XLCFI_LOG XLCFI_LOG_FORMAT || true

test_count=0
fail_count=0
test_name=$(basename "$0" .sh)

_ok() {
	test_count=$((test_count + 1))
	echo "ok $test_count - $test_name: $1"
}

_not_ok() {
	test_count=$((test_count + 1))
	fail_count=$((fail_count + 1))
	echo "not ok $test_count - $test_name: $1"
}

expect_success() {
	local title=$1 body=$2
	if (set -e; eval "$body") > "$SCRATCH/.sout" 2> "$SCRATCH/.serr"; then
		_ok "$title"
	else
		_not_ok "$title"
		sed 's/^/#   /' "$SCRATCH/.sout" "$SCRATCH/.serr" | head -n 40
	fi
}

expect_code() {
	local want=$1 title=$2 got
	shift 2
	"$@" > "$SCRATCH/.out" 2> "$SCRATCH/.err"
	got=$?
	if [ "$got" -eq "$want" ]; then
		_ok "$title"
	else
		_not_ok "$title (exit $got, want $want)"
		sed 's/^/#   /' "$SCRATCH/.out" "$SCRATCH/.err" | head -n 40
	fi
}

# The output and error of the last expect_code.
last_out() { cat "$SCRATCH/.out"; }
last_err() { cat "$SCRATCH/.err"; }

cmp_json() {
	jq -cS . "$1" > "$SCRATCH/.cmp1" && jq -cS . "$2" > "$SCRATCH/.cmp2" &&
		diff -u "$SCRATCH/.cmp1" "$SCRATCH/.cmp2"
}

need_db() {
	if [ -z "${XLCFI_TEST_DSN:-}" ]; then
		echo "$test_name: XLCFI_TEST_DSN is not set; run through 'make check'" >&2
		_not_ok "a test database is available"
		test_done
	fi
}

# A migrated database of this test file's own on the test server, dropped
# at the end; XLCFI_DSN points at it.
scratch_db() {
	need_db
	SCRATCH_DB="xlcfi_t_$$"
	psql -X -q "$XLCFI_TEST_DSN" -c "CREATE DATABASE $SCRATCH_DB" > /dev/null || return 1
	XLCFI_DSN="$XLCFI_TEST_DSN dbname=$SCRATCH_DB"
	export XLCFI_DSN
	xlcfi -q db migrate > /dev/null
}

clear_pg_env() {
	local v
	for v in $(compgen -e); do
		case $v in PG*) unset "$v" ;; esac
	done
	unset XLCFI_DSN
}

track_home() { _homes+=("$1"); }

# Whether a process is there and not a zombie.
_alive() {
	case $(ps -o stat= -p "$1") in '' | Z*) return 1 ;; esac
}

# Stop the private cluster in a home: xlcfi db down, or when that fails, its
# postmaster (SIGQUIT, then SIGKILL), each wait bounded.
_stop_home() {
	local h=$1 pid i sig
	XLCFI_HOME="$h" xlcfi -q db down > /dev/null 2>&1 && return 0
	pid=$(head -n 1 "$h/pg/data/postmaster.pid" 2> /dev/null) || return 0
	case $pid in '' | *[!0-9]*) return 0 ;; esac
	[ "$(ps -o comm= -p "$pid")" = postgres ] || return 0
	echo "$test_name: db down failed in '$h'; killing postmaster $pid" >&2
	for sig in QUIT KILL; do
		kill -s "$sig" "$pid" 2> /dev/null || return 0
		for i in $(seq 1 100); do
			_alive "$pid" || return 0
			sleep 0.1
		done
	done
}

# psql on the scratch database, quiet, unaligned, tuples only.
sql() {
	psql -X -q -At -v ON_ERROR_STOP=1 "$XLCFI_DSN" "$@"
}

test_done() {
	if [ -n "${XLCFI_TEST_COUNTS:-}" ]; then
		echo "passed $((test_count - fail_count)) failed $fail_count" > "$XLCFI_TEST_COUNTS"
	fi
	echo "# $test_name: $((test_count - fail_count)) passed, $fail_count failed"
	[ "$fail_count" -eq 0 ]
	exit $?
}

# The SYNOPSIS lines of a man page, one per form, whitespace squeezed.
man_synopsis() {
	mandoc -Tascii -Owidth=1000 "$1" | sed 's/.\x08//g' |
		awk '/^SYNOPSIS/ { on = 1; next } /^[A-Z][A-Z ]*$/ { on = 0 } on && NF' |
		sed 's/^ *//; s/  */ /g'
}

# The usage line(s) a command prints with --help, "usage: " removed.
help_usage() {
	"$@" --help | sed -n 's/^usage: //p'
}

# run N cmd [arg ...]: cmd, its output in out and err, must exit with exactly N.
run() {
	local want=$1 got
	shift
	"$@" > out 2> err
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "exit $got, want $want: $*"
		cat err
		return 1
	fi
}

# The rows of a table of the scratch database.
count() { sql -c "select count(*) from $1"; }

# The numbers of xlcfi-etl import's summary line in FILE: read loaded new changed rejected.
summary() {
	sed -n 's/^xlcfi-etl: .*read \([0-9]*\), loaded \([0-9]*\) (\([0-9]*\) new, \([0-9]*\) changed), rejected \([0-9]*\) in .*/\1 \2 \3 \4 \5/p' "$1"
}

# summary_is FILE READ LOADED NEW CHANGED REJECTED, and loaded + rejected = read.
summary_is() {
	local got
	got=$(summary "$1")
	shift
	[ "$got" = "$*" ] || { echo "summary '$got', want '$*'"; return 1; }
	set -- $got
	[ $(($2 + $5)) -eq "$1" ] || { echo "loaded $2 + rejected $5 != read $1"; return 1; }
}

# Empty the order and payment tables of the scratch database and make the
# system point accounts again (the tests of xlcfi-pay and of a cancel's refund).
reset_pay_tables() {
	sql -c "SET client_min_messages = warning; TRUNCATE categories, products, users, orders, order_items,
		order_status_history, events, payments, payment_attempts, refunds, idempotency_keys, point_holds,
		point_lots, point_entries, point_transactions, sandbox_cancels, sandbox_payments RESTART IDENTITY CASCADE" &&
	sql -c "SET client_min_messages = warning; TRUNCATE point_accounts RESTART IDENTITY CASCADE" -c "INSERT INTO point_accounts (user_id, kind)
		VALUES (NULL, 'issuance'), (NULL, 'redemption'), (NULL, 'expiry'), (NULL, 'adjustment')"
}

# Start the fake Toss API (tests/tools/xl-fake-toss) on a free port: $fake
# is its pid (kill and wait it at the end), XLCFI_TOSS_* point at it.
start_fake_toss() {
	local i
	xl-fake-toss -p 0 -s test_sk_xlcfi > fake.port 2> fake.err &
	fake=$!
	for i in $(seq 1 50); do [ -s fake.port ] && break; sleep 0.1; done
	port=$(head -n 1 fake.port)
	export XLCFI_TOSS_BASE_URL="http://127.0.0.1:$port" XLCFI_TOSS_SECRET_KEY=test_sk_xlcfi XLCFI_TOSS_TIMEOUT_MS=1500
	export no_proxy=127.0.0.1
}
