# Shared by the benchmark scripts; sourced, not run. Before sourcing, set
# top (the repository) and name (the benchmark's name). It installs what
# the benchmarks need, builds, brings up a throwaway private cluster in a
# temporary directory (removed at exit) and sets:
#   work, xlcfi, dsn (also XLCFI_DSN and XLCFI_HOME),
#   q ARGS...          psql on the cluster, quiet, unaligned, tuples only,
#   seconds CMD...     wall time of one run of CMD, in seconds,
#   and the helpers of scripts/bench-util.sh (timed, median, mib, ratio, group),
#   rss CMD...         peak RSS of one run of CMD, in MiB.
"$top/scripts/install-deps.sh" --bench
make -s -C "$top" all >/dev/null
xlcfi="$top/cmd/xlcfi"
work=$(mktemp -d "${TMPDIR:-/tmp}/xlcfi-bench-$name.XXXXXX")
chmod 0755 "$work"
export XLCFI_HOME="$work/home"
unset XLCFI_DSN PGHOST PGPORT PGDATABASE PGUSER PGSERVICE || true
cleanup() { "$xlcfi" -q db down || true; rm -rf "$work"; }
trap cleanup EXIT
"$xlcfi" -q db up > /dev/null
dsn=$("$xlcfi" db dsn)
export XLCFI_DSN="$dsn"
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$dsn" "$@"; }
# shellcheck source=scripts/bench-util.sh
. "$top/scripts/bench-util.sh"

seconds() {
	s=$(date +%s%N)
	"$@"
	e=$(date +%s%N)
	echo "$(( (e - s) / 1000000 ))" | awk '{ printf "%.2f\n", $1 / 1000 }'
}
rss() { /usr/bin/time -f "%M" -o "$work/rss" "$@" > /dev/null 2>&1 || true; echo $(( $(cat "$work/rss") / 1024 )); }
