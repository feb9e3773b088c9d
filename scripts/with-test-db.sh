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

cleanup() {
	XLCFI_HOME="$home" "$xlcfi" -q db down || true
	rm -rf "$home"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

unset XLCFI_DSN PGHOST PGHOSTADDR PGPORT PGDATABASE PGUSER PGSERVICE || true
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
