#!/bin/sh
# Run a command with a throwaway PostgreSQL: a private xlcfi cluster in a
# temporary XLCFI_HOME, started without fsync and removed afterwards. The
# command sees XLCFI_TEST_DSN (and XLCFI_TEST_HOME). When XLCFI_TEST_DSN is
# already set, the command runs against that server instead.
#
# usage: scripts/with-test-db.sh command [arg ...]
set -eu

if [ -n "${XLCFI_TEST_DSN:-}" ]; then
	exec "$@"
fi
top=$(cd "$(dirname "$0")/.." && pwd)
xlcfi="$top/cmd/xlcfi"
home=$(mktemp -d "${TMPDIR:-/tmp}/xlcfi-test.XXXXXX")
# When we are root the server runs as 'postgres', which must enter the home.
chmod 0755 "$home"

# Whether a process is there and not a zombie.
alive() {
	case $(ps -o stat= -p "$1" 2>/dev/null) in '' | Z*) return 1 ;; esac
}

# Stop the server: db down, or when that fails, its postmaster (SIGQUIT, then
# SIGKILL, each waited for at most 10 s). Then remove the home.
cleanup() {
	set +e
	if ! XLCFI_HOME="$home" "$xlcfi" -q db down; then
		pid=$(head -n 1 "$home/pg/data/postmaster.pid" 2>/dev/null)
		case $pid in
		'' | *[!0-9]*) ;;
		*)
			if [ "$(ps -o comm= -p "$pid" 2>/dev/null)" = postgres ]; then
				echo "with-test-db: db down failed; killing postmaster $pid" >&2
				for sig in QUIT KILL; do
					kill -s "$sig" "$pid" 2>/dev/null || break
					i=0
					while [ "$i" -lt 100 ] && alive "$pid"; do
						sleep 0.1
						i=$((i + 1))
					done
					alive "$pid" || break
				done
			fi
			;;
		esac
	fi
	rm -rf "$home"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Nothing of the caller's may point the server or its clients elsewhere:
# unset every PG* variable (PGHOST, PGPORT, PGOPTIONS, PGSSLMODE, ...).
for v in $(env | sed -n 's/^\(PG[A-Za-z0-9_]*\)=.*/\1/p'); do
	unset "$v"
done
unset XLCFI_DSN
if ! XLCFI_HOME="$home" "$xlcfi" -q db up --no-sync >/dev/null; then
	echo "with-test-db: cannot start a test database; see $home/pg/*.log" >&2
	cat "$home"/pg/*.log >&2 2>/dev/null || true
	exit 69
fi
XLCFI_TEST_DSN=$(XLCFI_HOME="$home" "$xlcfi" db dsn)
XLCFI_TEST_HOME="$home"
export XLCFI_TEST_DSN XLCFI_TEST_HOME

set +e
"$@"
rc=$?
exit $rc
