# Helpers for the benchmark scripts that need no database; sourced, not
# run (scripts/bench-lib.sh sources it too). Before sourcing, set work (a
# scratch directory) and name (the benchmark's name, for messages); set
# bench_wrap to a command to run each timed run under (e.g. "flock LOCK").
#   timed NAME SRC CMD...  one run of CMD, stdin from SRC, stdout to
#                          $work/NAME.out, under /usr/bin/time; its peak RSS
#                          (KiB) is added to $work/NAME.rss; a failure stops
#                          the benchmark
#   median                 the median of numbers on stdin, one a line
#   mib NAME               the KiB in $work/NAME.kib as MiB
#   ratio A B              A / B as "1.23x"
#   group N                N with thousands separators
timed() {
	b=$1 src=$2
	shift 2
	# shellcheck disable=SC2086 # bench_wrap is words
	if ! ${bench_wrap:-} /usr/bin/time -f %M -o "$work/$b.time" "$@" < "$src" > "$work/$b.out" 2> "$work/$b.err"; then
		tail -n 5 "$work/$b.err" >&2
		echo "bench-$name: $b failed: $*" >&2
		exit 1
	fi
	tail -n 1 "$work/$b.time" >> "$work/$b.rss"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
mib() { awk '{ printf "%.1f", $1 / 1024 }' "$work/$1.kib"; }
ratio() { echo "$1 $2" | awk '{ printf "%.2fx", $1 / $2 }'; }
group() { echo "$1" | awk '{ n = $1; o = ""; while (length(n) > 3) { o = "," substr(n, length(n) - 2) o; n = substr(n, 1, length(n) - 3) } print n o }'; }
