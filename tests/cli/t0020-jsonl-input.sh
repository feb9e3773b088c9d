#!/bin/bash
# The NDJSON reader and writer, the rejects file and --max-errors, through
# xl-jsonl-cat (the library's reader and writer with nothing in between).
. "$(dirname "$0")/../lib.sh"

cat > pass.jsonl <<'JSON'
{"z":1,"a":{"k":[1,2.5,"김치"]},"m":null,"t":true}
{"price_minor":12500,"currency":"KRW","x":0.1,"e":"a\"b\n\u0001/"}
{"big":9223372036854775807,"neg":-9223372036854775808,"r":1e+300,"s":""}
JSON
expect_success 'records pass through byte for byte, unknown fields and order kept' '
	xl-jsonl-cat pass.jsonl > out && cmp pass.jsonl out
'
expect_success 'a UTF-8 BOM, CRLF line ends and blank lines are accepted' '
	printf "\357\273\277{\"a\":1}\r\n\r\n   \n{\"b\":2}\r\n" > in &&
	xl-jsonl-cat in > out &&
	printf "{\"a\":1}\n{\"b\":2}\n" > want && cmp want out
'
expect_success 'a last line without a newline is read' '
	printf "{\"a\":1}\n{\"b\":2}" > in && xl-jsonl-cat < in > out &&
	printf "{\"a\":1}\n{\"b\":2}\n" > want && cmp want out
'
expect_success 'files are read in order; - is stdin' '
	echo "{\"f\":1}" > one && echo "{\"f\":3}" > three &&
	echo "{\"f\":2}" | xl-jsonl-cat one - three > out &&
	printf "{\"f\":1}\n{\"f\":2}\n{\"f\":3}\n" > want && cmp want out
'

printf '{"ok":1}\n[1,2]\n{"ok":2}\n{"bad":\n{"x":"\377"}\n{"ok":3} trailing\n"just a string"\n{"ok":4}\n' > bad.jsonl
expect_code 65 'bad records: exit 65 after passing the good ones' xl-jsonl-cat --rejects rej.jsonl bad.jsonl
expect_success 'the good records all came through' '
	xl-jsonl-cat bad.jsonl > out 2> err; test $? -eq 65 &&
	printf "{\"ok\":1}\n{\"ok\":2}\n{\"ok\":4}\n" > want && cmp want out
'
expect_success 'each bad record is named by file and line on stderr' '
	xl-jsonl-cat bad.jsonl > out 2> err; test $? -eq 65 &&
	grep -q "^xl-jsonl-cat: bad.jsonl:2: record is an array, not a JSON object$" err &&
	grep -q "^xl-jsonl-cat: bad.jsonl:4: invalid JSON at column [0-9]*: " err &&
	grep -q "^xl-jsonl-cat: bad.jsonl:5: invalid JSON .*byte 0xff" err &&
	grep -q "^xl-jsonl-cat: bad.jsonl:6: invalid JSON .*end of file expected" err &&
	grep -q "^xl-jsonl-cat: bad.jsonl:7: record is a string, not a JSON object$" err &&
	test "$(wc -l < err)" -eq 5
'
cat > want-rejects <<'JSON'
["bad.jsonl:2",2,"[1,2]"]
["bad.jsonl:4",4,"{\"bad\":"]
["bad.jsonl:5",5,"{\"x\":\"\ufffd\"}"]
["bad.jsonl:6",6,"{\"ok\":3} trailing"]
["bad.jsonl:7",7,"\"just a string\""]
JSON
expect_success 'the rejects file has error, source, line and record for each' '
	xl-jsonl-cat --rejects rej.jsonl bad.jsonl > /dev/null 2>&1; test $? -eq 65 &&
	jq -c "[.source, .line, .record]" rej.jsonl > got &&
	jq -c . want-rejects > want && diff -u want got &&
	test "$(jq -r "select(.error | length > 0) | .line" rej.jsonl | wc -l)" -eq 5
'
expect_code 65 '--max-errors 1 gives up at the second bad record' xl-jsonl-cat --max-errors 1 bad.jsonl
expect_success '--max-errors stops the run early' '
	xl-jsonl-cat --max-errors 1 bad.jsonl > out 2> err; test $? -eq 65 &&
	printf "{\"ok\":1}\n{\"ok\":2}\n" > want && cmp want out &&
	grep -q "more than 1 records rejected" err
'
expect_code 64 '--max-errors needs a number' xl-jsonl-cat --max-errors many bad.jsonl

expect_success 'a 20 MiB line is refused with a clear error, memory stays bounded' '
	{ echo "{\"n\":1}"; printf "{\"big\":\""; head -c 20971520 /dev/zero | tr "\0" x; echo "\"}"; echo "{\"n\":3}"; } > big &&
	xl-jsonl-cat --rejects rej big > out 2> err; test $? -eq 65 &&
	grep -q "big:2: line is longer than the limit of 16777216 bytes" err &&
	printf "{\"n\":1}\n{\"n\":3}\n" > want && cmp want out &&
	jq -e "select(.line == 2 and .record == null)" rej > /dev/null
'
expect_success '--max-line raises the limit' '
	xl-jsonl-cat --max-line 32M big > out && test "$(wc -l < out)" -eq 3
'
expect_code 64 'a bad --max-line is a usage error' xl-jsonl-cat --max-line 12Q big

expect_code 66 'a missing input file exits 66' xl-jsonl-cat no-such-file
expect_success 'the other files are still read after a missing one' '
	echo "{\"a\":1}" > a; xl-jsonl-cat no-such-file a > out 2> err; test $? -eq 66 &&
	grep -q "cannot open .no-such-file.: No such file or directory" err && cmp a out
'
expect_code 73 'an uncreatable rejects file exits 73' xl-jsonl-cat --rejects /no/such/dir/rej a
expect_success 'a full disk on stdout is an error, not success' '
	xl-jsonl-cat a > /dev/full 2> err; test $? -eq 74 &&
	grep -q "cannot write to .<stdout>.: No space left on device" err
'
# The pipe is the point here, so PIPESTATUS gives xl-jsonl-cat's own status:
# 0 (all written before head left) or 141 (killed by SIGPIPE), never a crash.
# SIGPIPE is set to its default in case the caller ignores it.
expect_success 'a reader that goes away ends the run quietly (SIGPIPE)' '
	for i in $(seq 1 20000); do echo "{\"i\":$i}"; done > many &&
	{ env --default-signal=PIPE xl-jsonl-cat many many many 2> err | head -n 1 > out
	  cat_st=${PIPESTATUS[0]} head_st=${PIPESTATUS[1]}; } &&
	echo "xl-jsonl-cat exit $cat_st, head exit $head_st" &&
	{ test "$cat_st" -eq 0 || test "$cat_st" -eq 141; } && test "$head_st" -eq 0 &&
	test ! -s err && test "$(cat out)" = "{\"i\":1}"
'
test_done
