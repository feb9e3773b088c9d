#!/bin/bash
# xlcfi-recommend: training, the model file, every lookup and eval, on a
# small fixture whose answers are plain (tests/data/rec-small.ndjson: the
# "a" users buy kimchi, KIM-1..6, the "b" users ramen, RAM-1..6, each four
# neighbouring items of their six), then on a generated shop in the database.
. "$(dirname "$0")/../lib.sh"

subs="train info for related explain batch popular eval"
for sub in "" $subs; do
	expect_code 0 "xlcfi-recommend $sub --help exits 0" xlcfi-recommend $sub --help
done
expect_success 'SYNOPSIS of xlcfi-recommend(1) matches the usage lines' '
	for s in "" $subs; do help_usage xlcfi-recommend $s; done > usage &&
	man_synopsis "$TOP/man/xlcfi-recommend.1" > synopsis &&
	diff -u usage synopsis
'
EV="$DATA/rec-small.ndjson"
expect_code 64 'no subcommand' xlcfi-recommend
expect_code 64 'an unknown subcommand' xlcfi-recommend forecast
expect_code 64 'train without -o' xlcfi-recommend train --from-stdin "$EV"
expect_code 64 'a bad --factors' xlcfi-recommend train --factors 0 -o m --from-stdin "$EV"
expect_code 64 'a bad --solver' xlcfi-recommend train --solver lu -o m --from-stdin "$EV"
expect_code 64 'a bad --weights' xlcfi-recommend train --weights like=2 -o m --from-stdin "$EV"
expect_code 64 '--sku with train' xlcfi-recommend train --sku KIM-1 -o m --from-stdin "$EV"
expect_code 64 'files without --from-stdin' xlcfi-recommend train -o m "$EV"
expect_code 64 'eval without a split' xlcfi-recommend eval --from-stdin "$EV"
expect_code 64 'eval with both splits' xlcfi-recommend eval --leave-last-out --split-date 2026-01-01 --from-stdin "$EV"
expect_code 64 'a bad --split-date' xlcfi-recommend eval --split-date 2026-02-30 --from-stdin "$EV"

# Small data wants few factors and a light regulariser.
TRAIN="--factors 2 --reg 1 --alpha 10 --seed 3"
expect_success 'train: a model from records, and a summary record' '
	run 0 xlcfi-recommend train $TRAIN --from-stdin -o m.als "$EV" &&
	test "$(jq -c "[.users, .items, .nnz, .factors, .iterations]" out)" = "[16,12,66,2,15]" &&
	test -s m.als && ! ls m.als.tmp* 2> /dev/null
'
expect_success 'info: the model'"'"'s metadata as JSON' '
	run 0 xlcfi-recommend info -m m.als &&
	test "$(jq -c "[.kind, .version, .users, .items, .nnz, .factors, .solver, .iterations, .params.source]" out)" = \
		"[\"als\",1,16,12,66,2,\"cg\",15,\"records\"]" &&
	jq -e ".reg == 1 and .alpha == 10 and .seed == 3" out > /dev/null &&
	jq -e ".trained_at | test(\"^20[0-9][0-9]-\")" out > /dev/null
'
expect_success 'the same seed trains the same model, byte for byte but the time' '
	run 0 xlcfi-recommend train $TRAIN --from-stdin -o m2.als "$EV" &&
	xlcfi-recommend batch -m m.als -n 3 > b1 && xlcfi-recommend batch -m m2.als -n 3 > b2 &&
	cmp b1 b2 &&
	run 0 xlcfi-recommend train $TRAIN --threads 1 --blas-threads 2 --from-stdin -o m3.als "$EV" &&
	test "$(xlcfi-recommend info -m m3.als | jq .params.threads)" -eq 1 &&
	xlcfi-recommend batch -m m3.als -n 3 > b3 && cmp b1 b3
'
expect_success 'for: a kimchi buyer gets the kimchi item they lack; what they had is left out' '
	run 0 xlcfi-recommend for -m m.als --user a1 -n 1 &&
	test "$(jq -r "[.user, .item, .rank, .source] | join(\",\")" out)" = "a1,KIM-1,1,model"
'
expect_success 'for: a ramen buyer gets the two ramen items they lack, first' '
	run 0 xlcfi-recommend for -m m.als --user b1 -n 4 &&
	test "$(head -n 2 out | jq -r .item | sort | paste -sd,)" = "RAM-1,RAM-6" &&
	test "$(jq -r .rank out | paste -sd,)" = "1,2,3,4"
'
expect_success 'for --include-purchased: what the user had may come back' '
	run 0 xlcfi-recommend for -m m.als --user b1 -n 6 --include-purchased &&
	test "$(jq -r .item out | sort | paste -sd,)" = "RAM-1,RAM-2,RAM-3,RAM-4,RAM-5,RAM-6"
'
expect_success 'for: an unseen user is folded in from records on stdin, without retraining' '
	printf "%s\n" "{\"user\":\"new\",\"item\":\"RAM-1\"}" "{\"user\":\"other\",\"item\":\"KIM-1\"}" \
		"{\"user\":\"new\",\"item\":\"RAM-2\"}" > new.ndjson &&
	run 0 xlcfi-recommend for -m m.als --user new -n 3 --from-stdin < new.ndjson &&
	test "$(jq -r .source out | sort -u)" = folded-in &&
	test "$(jq -r .item out | cut -c1-3 | sort -u)" = RAM &&
	! grep -q "\"RAM-[12]\"" out
'
expect_success 'for: an unseen user with nothing to go on gets popular items' '
	clear_pg_env &&
	run 0 xlcfi-recommend for -m m.als --user nobody -n 2 &&
	test "$(jq -r .source out | sort -u)" = popularity &&
	test "$(wc -l < out)" -eq 2
'
expect_success 'for: many users from records in one run, with latency figures on stderr' '
	printf "{\"user\":\"a%d\"}\n" 1 2 3 > users.ndjson && echo "{\"user\":7}" >> users.ndjson &&
	run 0 xlcfi-recommend for -m m.als -n 2 --stats users.ndjson &&
	test "$(jq -r .user out | uniq | paste -sd,)" = "a1,a2,a3,7" &&
	grep -q "lookups n=4 median_us=.* p99_us=" err
'
expect_success 'related: items like a kimchi are kimchi, by factors and by co-occurrence' '
	run 0 xlcfi-recommend related -m m.als --sku KIM-1 -n 3 &&
	test "$(jq -r .item out | cut -c1-3 | sort -u)" = KIM &&
	! grep -q "\"item\":\"KIM-1\"" out &&
	run 0 xlcfi-recommend related -m m.als --sku RAM-3 -n 2 --cooccur &&
	test "$(jq -r .item out | cut -c1-3 | sort -u)" = RAM &&
	test "$(jq -c "[.item, .score]" out | paste -sd,)" = "[\"RAM-4\",5],[\"RAM-2\",4]"
'
expect_code 65 'related: an item not in the model' xlcfi-recommend related -m m.als --sku NOPE
expect_success 'explain: the past items behind a score, biggest first' '
	run 0 xlcfi-recommend explain -m m.als --user a1 --sku KIM-1 -n 10 &&
	test "$(jq -r .item out | sort | paste -sd,)" = "KIM-2,KIM-3,KIM-4,KIM-5,KIM-6" &&
	jq -s -e "[.[].score] | . == (sort | reverse)" out > /dev/null
'
expect_code 65 'explain: a user not in the model' xlcfi-recommend explain -m m.als --user nobody --sku KIM-1
expect_success 'batch: every user, n each, never what they had' '
	run 0 xlcfi-recommend batch -m m.als -n 2 &&
	test "$(wc -l < out)" -eq 32 &&
	test "$(jq -r .user out | sort -u | wc -l)" -eq 16 &&
	jq -r "select(.user == \"a1\") | .item" out | grep -q KIM-1 &&
	jq -c "[.user, .item]" out | sort > recs &&
	jq -c "[.user, .item]" "$EV" | sort -u > had &&
	test -z "$(comm -12 recs had)"
'
expect_success 'popular: summed weights in the window, as counted independently' '
	run 0 xlcfi-recommend popular --from-stdin --window 0 -n 3 "$EV" &&
	jq -r "select(.kind == null) | .item" "$EV" | sort | uniq -c | sort -k1,1nr -k2,2 | head -n 3 |
		awk "{ print \$2 }" > want &&
	jq -r .item out > got && diff -u want got
'
# The Seoul day 2025-12-02 ends at 2025-12-02T15:00:00Z = 1764687600.
expect_success 'popular: --as-of and --window keep to the window; --category filters records' '
	run 0 xlcfi-recommend popular --from-stdin --as-of 2025-12-02 --window 1 -n 50 "$EV" &&
	jq -r "select(.ts >= 1764687600 - 86400 and .ts < 1764687600) | .item" "$EV" | sort -u > want &&
	jq -r .item out | sort > got && diff -u want got &&
	jq -c ". + {category: (if (.item | startswith(\"RAM\")) then \"ramen\" else \"kimchi\" end)}" "$EV" > cat.ndjson &&
	run 0 xlcfi-recommend popular --from-stdin --category ramen --window 0 cat.ndjson &&
	test "$(jq -r .item out | cut -c1-3 | sort -u)" = RAM
'
expect_success 'eval: three models, metrics named after -k' '
	run 0 xlcfi-recommend eval $TRAIN --from-stdin --leave-last-out -k 5 "$EV" &&
	test "$(jq -r .model out | paste -sd,)" = "als,item-knn,popularity" &&
	jq -e "has(\"precision@5\") and has(\"recall@5\") and has(\"map@5\") and has(\"ndcg@5\") and has(\"coverage\")" out > /dev/null &&
	test "$(jq -r .users out | sort -u)" -gt 0
'
expect_success 'bad records are refused with their position; the good ones train' '
	{ cat "$EV"; echo "{\"user\":\"z\"}"; echo "{\"user\":\"z\",\"item\":\"KIM-1\",\"ts\":\"yesterday\"}"; echo "[1]"; } > bad.ndjson &&
	run 65 xlcfi-recommend train $TRAIN --from-stdin --rejects rej -o b.als bad.ndjson &&
	grep -q "bad.ndjson:67: missing field .item." err &&
	grep -q "bad.ndjson:68: field .ts." err &&
	test "$(jq -r .source rej | paste -sd,)" = "bad.ndjson:67,bad.ndjson:68,bad.ndjson:69" &&
	test "$(xlcfi-recommend info -m b.als | jq .nnz)" -eq 66
'
expect_success 'a truncated or corrupted model is a clear error, never a crash' '
	head -c 1000 m.als > cut.als &&
	run 65 xlcfi-recommend for -m cut.als --user a1 &&
	grep -q "cut.als.* is not a valid model: .*truncated" err &&
	cp m.als bent.als && printf "\377" | dd of=bent.als bs=1 seek=700 conv=notrunc 2> /dev/null &&
	run 65 xlcfi-recommend info -m bent.als &&
	grep -q "checksum mismatch" err &&
	run 66 xlcfi-recommend info -m missing.als &&
	grep -q "cannot open .missing.als." err
'
expect_code 65 'empty input trains nothing' xlcfi-recommend train --from-stdin -o e.als /dev/null
expect_success 'a model file that cannot be written' '
	run 73 xlcfi-recommend train $TRAIN --from-stdin -o /nonexistent/m.als "$EV"
'

# ---- the database: a generated shop whose buyers have favourite categories
scratch_db || exit 1
expect_success 'a generated shop loads' '
	run 0 xlcfi-etl generate --users 1000 --products 120 --days 90 --seed 3 --load
'
expect_success 'train from the database: views and carts, and the lines of sold orders' '
	run 0 xlcfi-recommend train -o db.als &&
	sql -c "select count(distinct u) from (select user_id u from interactions where kind <> '"'"'purchase'"'"'
		union all select o.buyer_id from orders o join order_facts f on f.id = o.id and f.sold) x" > want &&
	jq .users out > got && diff -u want got &&
	test "$(xlcfi-recommend info -m db.als | jq -r .params.source)" = database
'
expect_success 'for --names: product names from the catalogue' '
	u=$(sql -c "select buyer_id from orders group by buyer_id order by count(*) desc, buyer_id limit 1") &&
	run 0 xlcfi-recommend for -m db.als --user "$u" -n 3 --names &&
	test "$(wc -l < out)" -eq 3 &&
	jq -r "[.item, .name] | @tsv" out | while IFS="	" read -r sku name; do
		test "$(sql -c "select name from products where sku = \$\$$sku\$\$")" = "$name" || exit 1
	done
'
expect_success 'for: a new buyer in the database is folded in from what they did' '
	sql -c "insert into users (email, display_name) values ('"'"'late@example.kr'"'"', '"'"'late'"'"')" &&
	nu=$(sql -c "select id from users where email = '"'"'late@example.kr'"'"'") &&
	sql -c "insert into interactions (user_id, product_id, kind) select $nu, id, '"'"'view'"'"' from products order by id limit 3" &&
	run 0 xlcfi-recommend for -m db.als --user "$nu" -n 2 &&
	test "$(jq -r .source out | sort -u)" = folded-in
'
expect_success 'batch --to-db: the active model'"'"'s results, replaced whole by the next run' '
	run 0 xlcfi-recommend batch -m db.als -n 5 --to-db &&
	id1=$(jq .model_id out) && rows=$(jq .rows out) &&
	test "$(sql -c "select count(*) from rec_results where model_id = $id1")" -eq "$rows" &&
	test "$rows" -eq "$(( $(jq .users out) * 5 ))" &&
	run 0 xlcfi-recommend batch -m db.als -n 3 --to-db &&
	id2=$(jq .model_id out) &&
	test "$(sql -c "select string_agg(id::text, '"'"','"'"') from rec_models where active")" = "$id2" &&
	test "$(sql -c "select count(*) from rec_results r join order_items i on i.product_id = r.product_id
		join orders o on o.id = i.order_id and o.buyer_id = r.user_id join order_facts f on f.id = o.id and f.sold
		where r.model_id = $id2")" -eq 0
'
expect_success 'batch --to-db refuses a model whose ids the database does not have' '
	run 65 xlcfi-recommend batch -m m.als --to-db &&
	grep -q "name a user id or SKU the database does not have" err &&
	test "$(sql -c "select count(*) from rec_models")" -eq 2 &&
	test "$(sql -c "select count(*) from rec_models where active")" -eq 1
'
expect_success 'jobs/nightly-recommend.sh: train, then the active results' '
	XLCFI_MODEL=nightly.als run 0 "$TOP/jobs/nightly-recommend.sh" &&
	test "$(head -n 1 out | jq .factors)" -eq 64 &&
	tail -n 1 out > stored && test "$(jq -r .kind stored)" = als && test "$(jq .rows stored)" -gt 0 &&
	test "$(xlcfi-recommend info -m nightly.als | jq .factors)" -eq 64 &&
	test "$(sql -c "select id from rec_models where active")" = "$(jq .model_id stored)"
'
expect_success 'eval on the generated shop: ALS beats popularity' '
	run 0 xlcfi-recommend eval --split-date 2026-03-01 &&
	als=$(jq -r "select(.model == \"als\") | .\"precision@10\"" out) &&
	pop=$(jq -r "select(.model == \"popularity\") | .\"precision@10\"" out) &&
	echo "# als $als popularity $pop" &&
	awk -v a="$als" -v p="$pop" "BEGIN { exit !(a > p) }"
'
expect_success 'popular from the database, by category' '
	run 0 xlcfi-recommend popular --category ramen -n 5 --window 0 --names &&
	test "$(wc -l < out)" -eq 5 &&
	for sku in $(jq -r .item out); do
		test "$(sql -c "select c.slug from products p join categories c on c.id = p.category_id where sku = \$\$$sku\$\$")" = ramen || exit 1
	done
'
test_done
