#!/bin/sh
# Benchmark: the library's NDJSON reader/writer (tests/tools/xl-jsonl-cat,
# which runs xl_map with one worker thread per CPU, and with -j 1) against
# jq -c . on the same generated records, in one run. Prints the median wall
# time of several runs, records/s, peak RSS, and the ratios.
#
# usage: scripts/bench-jsonl.sh [records [runs]]     (default 1000000 3)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-1000000}
runs=${2:-3}
"$top/scripts/install-deps.sh" --bench
make -s -C "$top" tests/tools/xl-jsonl-cat >/dev/null
cat_tool="$top/tests/tools/xl-jsonl-cat"
work=$(mktemp -d "${TMPDIR:-/tmp}/xlcfi-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Deterministic K-Food order lines, ~200 bytes each, with nesting, UTF-8 and escapes.
gen() {
	awk -v n="$1" 'BEGIN {
		split("김치,고추장,된장,라면,떡볶이,불고기 양념,김,막걸리", names, ",");
		for (i = 1; i <= n; i++) {
			u = (i * 7919) % 50000; s = (i * 104729) % 3000; q = i % 5 + 1;
			printf "{\"order_id\":%d,\"user_id\":%d,\"sku\":\"KF-%05d\",\"name\":\"%s \\\"%d\\\"\",", i, u, s, names[i % 8 + 1], s;
			printf "\"qty\":%d,\"price_minor\":%d,\"currency\":\"KRW\",\"placed_at\":\"2026-%02d-%02dT%02d:%02d:00Z\",", q, 1000 + s * 10, i % 12 + 1, i % 28 + 1, i % 24, i % 60;
			printf "\"tags\":[\"spicy\",\"vegan\"],\"meta\":{\"channel\":\"web\",\"score\":%d.5,\"gift\":%s}}\n", i % 100, (i % 3 ? "false" : "true");
		}
	}'
}

# run LABEL FILE CMD...: time CMD < FILE (stdout to a file), several times; prints "median_s peak_kib".
measure() {
	file=$1
	shift
	: > "$work/times"
	i=0
	while [ "$i" -lt "$runs" ]; do
		/usr/bin/time -f "%e %M" -o "$work/t" "$@" < "$file" > "$work/out"
		cat "$work/t" >> "$work/times"
		i=$((i + 1))
	done
	sort -n "$work/times" | awk '{ t[NR] = $1; if ($2 > m) m = $2 } END { print t[int((NR + 1) / 2)], m }'
}

gen "$n" > "$work/in.jsonl"
gen $((n / 10)) > "$work/small.jsonl"
bytes=$(wc -c < "$work/in.jsonl")

set -- $(measure "$work/in.jsonl" "$cat_tool")
xl_s=$1 xl_kib=$2
cp "$work/out" "$work/xl.out"
set -- $(measure "$work/in.jsonl" "$cat_tool" -j 1)
xl1_s=$1 xl1_kib=$2
set -- $(measure "$work/in.jsonl" jq -c .)
jq_s=$1 jq_kib=$2
same=no
cmp -s "$work/xl.out" "$work/out" && same=yes
set -- $(measure "$work/small.jsonl" "$cat_tool")
xl_small_kib=$2

awk -v n="$n" -v bytes="$bytes" -v runs="$runs" -v xs="$xl_s" -v xk="$xl_kib" \
    -v x1s="$xl1_s" -v x1k="$xl1_kib" -v cpus="$(nproc)" \
    -v js="$jq_s" -v jk="$jq_kib" -v xsk="$xl_small_kib" -v same="$same" -v jqv="$(jq --version)" 'BEGIN {
	printf "NDJSON pass-through: %d records, %.1f MB, median of %d runs\n", n, bytes / 1e6, runs;
	printf "%-22s %10s %14s %14s\n", "tool", "seconds", "records/s", "peak RSS MiB";
	printf "%-22s %10.2f %14.0f %14.1f\n", "xl-jsonl-cat (" cpus " thr)", xs, n / xs, xk / 1024;
	printf "%-22s %10.2f %14.0f %14.1f\n", "xl-jsonl-cat -j 1", x1s, n / x1s, x1k / 1024;
	printf "%-22s %10.2f %14.0f %14.1f\n", "jq -c . (" jqv ")", js, n / js, jk / 1024;
	printf "throughput ratio xlcfi/jq: %.2fx (goal >= 2x); single-threaded %.2fx\n", js / xs, js / x1s;
	printf "xlcfi peak RSS at %d records: %.1f MiB; at %d: %.1f MiB (flat memory)\n", n / 10, xsk / 1024, n, xk / 1024;
	printf "outputs identical: %s\n", same;
}'
