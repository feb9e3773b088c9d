#!/bin/sh
# Benchmark xlcfi-recommend (implicit ALS on OpenBLAS) in one run:
#   1. seconds per ALS iteration at 32, 64 and 128 factors (conjugate
#      gradient, 3 steps warm-started, reg 1, alpha 1), as `xlcfi-recommend
#      train` reports it, against the same algorithm in numpy/scipy
#      (scripts/bench-recommend/als_numpy.py: float32, Y^T Y once per
#      half-sweep, scipy csr products, the rows' CG in lockstep in blocks
#      spread over one thread per CPU, as xlcfi does), with the peak RSS of
#      each, on
#      a. the Online Retail purchases (../shared/data/online_retail.csv.gz,
#         skipped when absent) as events (bench-recommend/retail_events.py),
#      b. a generated log of 1,000,000 interactions (bench-recommend/
#         gen_events.py: 20,000 users, 5,000 items, Zipf-like popularity,
#         25 taste clusters; fixed seed, the same bytes every time);
#   2. quality parity: precision@10 at 32 factors, 15 iterations, on Online
#      Retail split at 2011-10-01T00:00:00Z (`xlcfi-recommend eval`, which
#      also gives item-kNN and popularity, against als_numpy.py eval, the
#      same protocol);
#   3. `xlcfi-recommend for --stats` lookup latency, median and p99 over
#      10,000 users of the generated log in one process, per model of 1b;
#   4. the rows solved on one thread per CPU with single-threaded BLAS
#      (xlcfi's default) against one row thread with BLAS threaded over
#      every CPU (--threads 1 --blas-threads N), per iteration, as in 1.
# Times are medians of RUNS runs (default 3) of ITERATIONS iterations
# (default 5), peak RSS the largest of them (/usr/bin/time, whole process,
# reading the input included).
# Goals: numpy / xlcfi >= 10x per iteration; precision@10 within 0.005 of
# numpy's; lookup p99 < 100 us.
#
# The machine is shared: every timed run (and every other heavy one) takes
# /tmp/xlcfi-bench.lock with flock(1) itself, so run the script plainly,
# not under `flock /tmp/xlcfi-bench.lock` (it would wait for itself).
# It needs the built cmd/xlcfi-recommend (it does not build; no database
# either) and /usr/bin/python3 with Debian's numpy and scipy
# (scripts/install-deps.sh --bench); exit 77 without them.
#
# usage: scripts/bench-recommend.sh [runs [iterations]]    (default 3 5)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-3}
iters=${2:-5}
rec="$top/cmd/xlcfi-recommend"
here="$top/scripts/bench-recommend"
py=/usr/bin/python3
lock=/tmp/xlcfi-bench.lock
retail="$top/../shared/data/online_retail.csv.gz"
als="--reg 1 --alpha 1"

[ -x "$rec" ] || { echo "bench-recommend: $rec was not built (make cmd/xlcfi-recommend)" >&2; exit 77; }
"$py" -c 'import numpy, scipy.sparse' 2> /dev/null ||
	{ echo "bench-recommend: $py cannot import numpy and scipy (scripts/install-deps.sh --bench)" >&2; exit 77; }
for c in flock jq /usr/bin/time; do
	command -v "$c" > /dev/null || { echo "bench-recommend: $c is missing" >&2; exit 77; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/xlcfi-bench-recommend.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Nothing here reads the database: keep the commands off any configured one.
export XLCFI_HOME="$work/home"
unset XLCFI_DSN PGHOST PGPORT PGDATABASE PGUSER PGSERVICE || true
name=recommend
bench_wrap="flock $lock"
# shellcheck source=scripts/bench-util.sh
. "$top/scripts/bench-util.sh"

# bench NAME SRC CMD...: RUNS runs of CMD (stdin from SRC, stdout to
# $work/NAME.out), each printing a JSON record with seconds_per_iteration;
# prints their median and keeps the largest peak RSS (KiB) in $work/NAME.kib.
bench() {
	b=$1 src=$2
	shift 2
	: > "$work/$b.t"
	: > "$work/$b.rss"
	n=0
	while [ "$n" -lt "$runs" ]; do
		timed "$b" "$src" "$@"
		jq -r .seconds_per_iteration "$work/$b.out" >> "$work/$b.t"
		n=$((n + 1))
	done
	sort -n "$work/$b.rss" | tail -n 1 > "$work/$b.kib"
	median < "$work/$b.t"
}
field() { jq -r ".$2" "$work/$1.out"; }

# iterations SET: part 1 on $work/SET.ndjson; the models stay in $work/SET-F.model.
iterations() {
	for f in 32 64 128; do
		echo "  $1, $f factors ..." >&2
		# shellcheck disable=SC2086 # $als is words
		bench "x-$1-$f" "$work/$1.ndjson" "$rec" train --from-stdin --factors "$f" $als --iterations "$iters" \
			-o "$work/$1-$f.model" > "$work/x-$1-$f.med"
		# shellcheck disable=SC2086
		bench "n-$1-$f" "$work/$1.ndjson" "$py" "$here/als_numpy.py" train --factors "$f" $als --iterations "$iters" \
			> "$work/n-$1-$f.med"
		# The other way to use the CPUs: one row thread, BLAS threaded inside.
		# shellcheck disable=SC2086
		bench "t-$1-$f" "$work/$1.ndjson" "$rec" train --from-stdin --factors "$f" $als --iterations "$iters" \
			--threads 1 --blas-threads "$(nproc)" -o "$work/$1-$f.blas.model" > "$work/t-$1-$f.med"
	done
}

have_retail=no
if [ -f "$retail" ]; then
	have_retail=yes
	echo "1a. Online Retail to events ..." >&2
	"$py" "$here/retail_events.py" "$retail" > "$work/retail.ndjson" 2> /dev/null
	iterations retail
else
	echo "1a. skipped: $retail is not there (see ../shared/data/README.md)" >&2
fi
echo "1b. generating 1,000,000 interactions ..." >&2
"$py" "$here/gen_events.py" 1000000 20000 5000 > "$work/gen.ndjson"
iterations gen

if [ "$have_retail" = yes ]; then
	echo "2. precision@10 on Online Retail, split at 2011-10-01 ..." >&2
	split="--split-date 2011-10-01T00:00:00Z -k 10 --factors 32 $als --iterations 15"
	# shellcheck disable=SC2086 # $split is words
	timed eval-x "$work/retail.ndjson" "$rec" eval --from-stdin $split
	# shellcheck disable=SC2086
	timed eval-n "$work/retail.ndjson" "$py" "$here/als_numpy.py" eval $split
	p_x=$(jq -r 'select(.model == "als") | ."precision@10"' "$work/eval-x.out")
	p_knn=$(jq -r 'select(.model == "item-knn") | ."precision@10"' "$work/eval-x.out")
	p_pop=$(jq -r 'select(.model == "popularity") | ."precision@10"' "$work/eval-x.out")
	users_x=$(jq -r 'select(.model == "als") | .users' "$work/eval-x.out")
	p_n=$(field eval-n '"precision@10"')
	users_n=$(field eval-n users)
fi

echo "3. lookup latency, 10,000 users ..." >&2
# The first 10,000 users of the log, in order of first appearance.
jq -c '{user}' "$work/gen.ndjson" | awk '!seen[$0]++' | head -n 10000 > "$work/users.ndjson"
[ "$(wc -l < "$work/users.ndjson")" -eq 10000 ] || { echo "bench-recommend: fewer than 10,000 users generated" >&2; exit 1; }
for f in 32 64 128; do
	: > "$work/lat-$f.t"
	n=0
	while [ "$n" -lt "$runs" ]; do
		timed "lat-$f" "$work/users.ndjson" "$rec" for -m "$work/gen-$f.model" --stats
		# The summary line, e.g. "xlcfi-recommend: lookups n=10000 median_us=26.0 p99_us=41.0 max_us=424.0".
		l=$(grep -o 'n=[0-9]* median_us=[0-9.]* p99_us=[0-9.]*' "$work/lat-$f.err" | tail -n 1)
		[ -n "$l" ] || { echo "bench-recommend: no latency summary from xlcfi-recommend for --stats" >&2; exit 1; }
		echo "$l" | sed 's/[a-z0-9_]*=//g' >> "$work/lat-$f.t"
		n=$((n + 1))
	done
	# Each run's median and p99; the medians of those over the runs.
	awk '{ print $2 }' "$work/lat-$f.t" | median > "$work/lat-$f.med"
	awk '{ print $3 }' "$work/lat-$f.t" | median > "$work/lat-$f.p99"
	read -r lookups _ < "$work/lat-$f.t"
	[ "$lookups" -eq 10000 ] || { echo "bench-recommend: $lookups lookups timed, 10,000 wanted" >&2; exit 1; }
	[ "$(wc -l < "$work/lat-$f.out")" -ge 10000 ] || { echo "bench-recommend: short output of for --stats" >&2; exit 1; }
done

echo
echo "xlcfi-recommend benchmark ($(nproc) cores, numpy $("$py" -c 'import numpy; print(numpy.__version__)'), scipy $("$py" -c 'import scipy; print(scipy.__version__)'); medians of $runs runs of $iters iterations)"
row() { printf "%-34s %10s %10s %9s %19s\n" "$@"; }
echo "1. seconds per ALS iteration (CG 3 steps, reg 1, alpha 1)"
row "" "xlcfi" "numpy" "speed-up" "peak RSS MiB x / np"
min_ratio=""
max_ratio=""
table() {
	set -- "$1" "$(field "x-$1-32" users)" "$(field "x-$1-32" items)" "$(field "x-$1-32" nnz)" "$2"
	echo "$5 ($(group "$2") users x $(group "$3") items, $(group "$4") user-item pairs)"
	if [ "$(field "n-$1-32" nnz)" != "$4" ]; then
		echo "  (numpy's matrix differs: $(field "n-$1-32" users) users, $(field "n-$1-32" items) items, $(field "n-$1-32" nnz) pairs)"
	fi
	for f in 32 64 128; do
		x=$(cat "$work/x-$1-$f.med")
		np=$(cat "$work/n-$1-$f.med")
		r=$(ratio "$np" "$x")
		row "  $f factors" "$(printf '%.4f' "$x")" "$(printf '%.4f' "$np")" "$r" "$(mib "x-$1-$f") / $(mib "n-$1-$f")"
		r=${r%x}
		min_ratio=$(echo "$r ${min_ratio:-$r}" | awk '{ print ($1 < $2) ? $1 : $2 }')
		max_ratio=$(echo "$r ${max_ratio:-$r}" | awk '{ print ($1 > $2) ? $1 : $2 }')
	done
}
if [ "$have_retail" = yes ]; then
	table retail "a. Online Retail"
else
	echo "a. Online Retail: skipped, $retail is not there"
fi
table gen "b. generated, 1,000,000 interactions"
if [ "$have_retail" = yes ]; then
	echo "2. precision@10, Online Retail split at 2011-10-01 (32 factors, reg 1, alpha 1, 15 iterations)"
	row "  xlcfi-recommend eval, als" "$p_x" "" "" "$users_x test users"
	row "  als_numpy.py eval" "$(printf '%.4f' "$p_n")" "" "" "$users_n test users"
	row "  xlcfi-recommend eval, item-kNN" "$p_knn" "" "" ""
	row "  xlcfi-recommend eval, popularity" "$p_pop" "" "" ""
else
	echo "2. precision@10 on Online Retail: skipped, $retail is not there"
fi
echo "3. for --stats lookup latency, 10,000 users of the generated log (microseconds)"
row "" "median" "p99" "" ""
for f in 32 64 128; do
	row "  $f factors, $(group "$(field x-gen-32 items)") items" "$(cat "$work/lat-$f.med")" "$(cat "$work/lat-$f.p99")" "" ""
done
echo "4. seconds per ALS iteration, row threads with single-threaded BLAS (the default) vs one row thread"
echo "   with BLAS on $(nproc) threads (--threads 1 --blas-threads $(nproc))"
row "" "rows" "BLAS" "BLAS/rows" ""
for set in retail gen; do
	[ "$set" = gen ] || [ "$have_retail" = yes ] || continue
	for f in 32 64 128; do
		x=$(cat "$work/x-$set-$f.med")
		t=$(cat "$work/t-$set-$f.med")
		row "  $set, $f factors" "$(printf '%.4f' "$x")" "$(printf '%.4f' "$t")" "$(ratio "$t" "$x")" ""
	done
done
printf "ALS iteration: numpy / xlcfi %sx to %sx (goal >= 10x)\n" "$min_ratio" "$max_ratio"
if [ "$have_retail" = yes ]; then
	printf "precision@10: xlcfi %s, numpy %.4f, difference %s (goal <= 0.005)\n" "$p_x" "$p_n" \
		"$(echo "$p_x $p_n" | awk '{ d = $1 - $2; printf "%.4f", d < 0 ? -d : d }')"
fi
printf "lookup p99: %s / %s / %s us at 32 / 64 / 128 factors (goal < 100 us)\n" \
	"$(cat "$work/lat-32.p99")" "$(cat "$work/lat-64.p99")" "$(cat "$work/lat-128.p99")"
