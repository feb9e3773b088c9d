/*
 * Unit tests for lib/xl_html.h: the sales report as one HTML page.
 *
 * With XL_HTML_SAMPLE=path in the environment, the full report is also
 * written to path, to look at in a browser.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "xl_html.h"
#include "tmpdir.h"

#define HOSTILE "<script>alert(1)</script> & \"Evil\" 'x'"

static const struct xl_report_sales trend7[] = {
	{ { 2026, 11, 23 }, { 2026, 11, 23 }, "2026-11-23", 1300000, 65433, 1234567, 40, 110, 38, 32500 },
	{ { 2026, 11, 24 }, { 2026, 11, 24 }, "2026-11-24", 980000, 0, 980000, 31, 80, 30, 31613 },
	{ { 2026, 11, 25 }, { 2026, 11, 25 }, "2026-11-25", 155000, 200000, -45000, 5, 12, 5, 31000 },
	{ { 2026, 11, 26 }, { 2026, 11, 26 }, "2026-11-26", 1500000, 0, 1500000, 50, 130, 47, 30000 },
	{ { 2026, 11, 27 }, { 2026, 11, 27 }, "2026-11-27", 2100000, 0, 2100000, 70, 180, 66, 30000 },
	{ { 2026, 11, 28 }, { 2026, 11, 28 }, "2026-11-28", 0, 0, 0, 0, 0, 0, 0 },
	{ { 2026, 11, 29 }, { 2026, 11, 29 }, "2026-11-29", 1000000, 249700, 750300, 33, 90, 31, 30303 },
};

static const struct xl_report_product top5[] = {
	{ "RAMEN-001", "불닭볶음면", "food", 820, 4100000, 300 },
	{ "X<1>&", HOSTILE, "toys", 12, 2400000, 10 },
	{ "GIFT-777", "아주 긴 상품 이름이 들어가는 프리미엄 선물 세트 한정판 대용량 패키지 (특별 기획)",
	  "gift", 20, 1900000, 18 },
	{ "TEA-010", "Jeju green tea 100 bags", "food", 150, 1450000, 120 },
	{ "MUG-02", "머그컵", "home", 40, 600000, 35 },
};

static const struct xl_report_category cats4[] = {
	{ "food", "식품", 5550000, 970, 0.5 },
	{ "toys", "Toys & <games>", 2400000, 12, 0.2162 },
	{ "gift", "선물 세트", 3150000, 60, 0.2838 },
	{ "none", "Empty shelf", 0, 0, 0.0 },
};

static const struct xl_report_segment segs[] = {
	{ "Champions", 42, 3200000, 4.5, 6.2 },
	{ "Loyal", 80, 2900000, 11.0, 3.4 },
	{ "At risk", 25, 400000, 61.3, 2.0 },
	{ "Lost", 233, 0, 190.0, 1.0 },
};

static void full_report(struct xl_report *r)
{
	memset(r, 0, sizeof(*r));
	r->title = "Weekly sales report";
	r->period_name = "week";
	memcpy(r->currency, "KRW", 4);
	r->first = (struct xl_date){ 2026, 11, 23 };
	r->last = (struct xl_date){ 2026, 11, 29 };
	r->generated_us = INT64_C(1795996800) * 1000000; /* 2026-11-30T09:00:00+09:00 */
	r->current = (struct xl_report_sales){ { 2026, 11, 23 }, { 2026, 11, 29 }, "2026-W48",
					       13000000, 654322, 12345678, 420, 1234, 380, 30952 };
	r->previous = (struct xl_report_sales){ { 2026, 11, 16 }, { 2026, 11, 22 }, "2026-W47",
						12000000, 2000000, 10000000, 0, 1000, 350, 0 };
	r->trend = trend7;
	r->ntrend = sizeof(trend7) / sizeof(trend7[0]);
	r->top = top5;
	r->ntop = sizeof(top5) / sizeof(top5[0]);
	r->categories = cats4;
	r->ncategories = sizeof(cats4) / sizeof(cats4[0]);
	r->segments = segs;
	r->nsegments = sizeof(segs) / sizeof(segs[0]);
}

static void empty_report(struct xl_report *r)
{
	memset(r, 0, sizeof(*r));
	r->title = "Monthly sales report";
	r->period_name = "month";
	memcpy(r->currency, "KRW", 4);
	r->first = (struct xl_date){ 2026, 11, 1 };
	r->last = (struct xl_date){ 2026, 11, 30 };
	r->previous.first = (struct xl_date){ 2026, 10, 1 };
	r->previous.last = (struct xl_date){ 2026, 10, 31 };
}

/* Render r into a malloc'ed string (the caller frees it). */
static char *render(const struct xl_report *r)
{
	struct xl_err err = XL_ERR_INIT;
	char *doc = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&doc, &len);
	int ret;

	assert_non_null(f);
	ret = xl_html_report_write(r, f, &err);
	if (ret != 0)
		fail_msg("xl_html_report_write: %d %s", ret, err.msg);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(strlen(doc), len);
	return doc;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void assert_has(const char *doc, const char *needle)
{
	if (!strstr(doc, needle))
		fail_msg("missing from the page: %s", needle);
}

/* The number of "x,y" pairs in the points attribute of the first <tag class="cls". */
static size_t points_in(const char *doc, const char *start)
{
	const char *p = strstr(doc, start), *end;
	size_t n = 0;

	assert_non_null(p);
	p = strstr(p, "points=\"");
	assert_non_null(p);
	p += strlen("points=\"");
	end = strchr(p, '"');
	assert_non_null(end);
	for (const char *q = p; q < end; q++)
		if (*q == ',')
			n++;
	return n;
}

/* Nothing that makes the page reach out or run code. */
static void assert_self_contained(const char *doc)
{
	char *lower = strdup(doc);

	assert_non_null(lower);
	for (char *p = lower; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	assert_null(strstr(lower, "<script"));
	assert_null(strstr(lower, "javascript:"));
	assert_null(strstr(lower, "https://"));
	assert_int_equal(count(lower, "http://"), count(lower, "http://www.w3.org/2000/svg"));
	assert_null(strstr(lower, "<link"));
	assert_null(strstr(lower, "<img"));
	assert_null(strstr(lower, "<iframe"));
	assert_null(strstr(lower, "src="));
	assert_null(strstr(lower, "href"));
	assert_null(strstr(lower, "url("));
	assert_null(strstr(lower, "@import"));
	assert_null(strstr(lower, "@font-face"));
	/* No event handler attributes: onload=, onclick= ... */
	for (const char *p = lower; (p = strstr(p, " on")); p++) {
		size_t n = strspn(p + 3, "abcdefghijklmnopqrstuvwxyz");

		assert_true(n == 0 || p[3 + n] != '=');
	}
	free(lower);
}

/* Each <svg> names its size and is an image with an accessible name. */
static void assert_svgs_labelled(const char *doc, size_t want)
{
	size_t n = 0;

	for (const char *p = doc; (p = strstr(p, "<svg")); p++) {
		const char *gt = strchr(p, '>');
		size_t len = (size_t)(gt - p);
		char *tag = strndup(p, len);

		assert_non_null(tag);
		assert_non_null(strstr(tag, " width=\""));
		assert_non_null(strstr(tag, " height=\""));
		assert_non_null(strstr(tag, " viewBox=\"0 0 "));
		assert_non_null(strstr(tag, " role=\"img\""));
		assert_non_null(strstr(tag, " aria-label=\""));
		assert_true(!strncmp(gt, ">\n<title>", 9));
		free(tag);
		n++;
	}
	assert_int_equal(n, want);
	assert_int_equal(count(doc, "</svg>"), want);
}

/*
 * The page parsed by Python: html.parser must see every element closed in
 * order, and ElementTree must take each <svg> as XML. Prints the counts
 * that the C side compares.
 */
static const char checker[] =
	"import re, sys, html.parser, xml.etree.ElementTree as ET\n"
	"doc = open(sys.argv[1], encoding='utf-8', errors='strict').read()\n"
	"VOID = {'area','base','br','col','embed','hr','img','input','link','meta','source','track','wbr'}\n"
	"class P(html.parser.HTMLParser):\n"
	"    def __init__(self):\n"
	"        super().__init__(convert_charrefs=True); self.stack = []; self.err = None\n"
	"    def handle_starttag(self, tag, attrs):\n"
	"        if tag not in VOID: self.stack.append(tag)\n"
	"    def handle_endtag(self, tag):\n"
	"        if self.stack and self.stack[-1] == tag: self.stack.pop()\n"
	"        elif not self.err: self.err = 'unexpected </%s> in %s' % (tag, self.stack[-4:])\n"
	"p = P(); p.feed(doc); p.close()\n"
	"if p.err or p.stack:\n"
	"    print(p.err or 'unclosed %s' % p.stack); sys.exit(1)\n"
	"NS = '{http://www.w3.org/2000/svg}'\n"
	"svgs = re.findall(r'<svg\\b.*?</svg>', doc, re.S)\n"
	"points = arcs = 0\n"
	"for s in svgs:\n"
	"    e = ET.fromstring(s)\n"
	"    assert e.tag == NS + 'svg', e.tag\n"
	"    for a in ('width', 'height', 'viewBox', 'aria-label'): assert e.get(a), a\n"
	"    assert e.get('role') == 'img'\n"
	"    assert e[0].tag == NS + 'title' and e[0].text, 'no title'\n"
	"    w, h = float(e.get('width')), float(e.get('height'))\n"
	"    for t in e.iter(NS + 'text'):\n"
	"        x, y = float(t.get('x')), float(t.get('y'))\n"
	"        assert 0 <= x <= w and 0 <= y <= h, 'text off the canvas: %s' % t.text\n"
	"    for pl in e.iter(NS + 'polyline'):\n"
	"        if pl.get('class') == 'trend': points = len(pl.get('points').split())\n"
	"    arcs += sum(1 for a in e.iter(NS + 'path') if a.get('class') == 'arc')\n"
	"print('svg=%d points=%d arcs=%d' % (len(svgs), points, arcs))\n";

static void python_check(const char *doc, const char *want)
{
	char dir[64], html[128], py[128], cmd[512], got[256] = "";
	FILE *f;
	int st;

	assert_int_equal(tmpdir_make(dir, sizeof(dir), "test_xl_html"), 0);
	snprintf(html, sizeof(html), "%s/report.html", dir);
	snprintf(py, sizeof(py), "%s/check.py", dir);
	f = fopen(html, "w");
	assert_non_null(f);
	fputs(doc, f);
	assert_int_equal(fclose(f), 0);
	f = fopen(py, "w");
	assert_non_null(f);
	fputs(checker, f);
	assert_int_equal(fclose(f), 0);
	snprintf(cmd, sizeof(cmd), "python3 %s %s 2>&1", py, html);
	f = popen(cmd, "r");
	assert_non_null(f);
	if (!fgets(got, sizeof(got), f))
		got[0] = '\0';
	st = pclose(f);
	tmpdir_remove(dir);
	got[strcspn(got, "\n")] = '\0';
	if (st != 0)
		fail_msg("python3 check failed (%d): %s", st, got);
	assert_string_equal(got, want);
}

static void test_full_report(void **state)
{
	struct xl_report r;
	char *doc;
	const char *sample = getenv("XL_HTML_SAMPLE");

	(void)state;
	full_report(&r);
	doc = render(&r);
	if (sample && *sample) {
		FILE *f = fopen(sample, "w");

		assert_non_null(f);
		fputs(doc, f);
		assert_int_equal(fclose(f), 0);
	}

	assert_true(!strncmp(doc, "<!DOCTYPE html>\n<html lang=\"ko\">\n", 33));
	assert_has(doc, "<meta charset=\"utf-8\">");
	assert_has(doc, "<style>");
	assert_has(doc, "\"Noto Sans CJK KR\", \"Malgun Gothic\", \"Apple SD Gothic Neo\", sans-serif");
	assert_has(doc, "</html>\n");
	assert_self_contained(doc);

	/* Hostile text is escaped everywhere it appears (title, label, table). */
	assert_true(count(doc, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Evil&quot; &#39;x&#39;") >= 2);
	assert_has(doc, "X&lt;1&gt;&amp;");
	assert_has(doc, "Toys &amp; &lt;games&gt;");
	assert_null(strstr(doc, "<games>"));

	/* Title, period, Hangul. */
	assert_has(doc, "<h1>Weekly sales report</h1>");
	assert_has(doc, "2026-11-23 – 2026-11-29");
	assert_has(doc, "2026-11-16 – 2026-11-22");
	assert_has(doc, "Generated 2026-11-30 09:00 KST");
	assert_has(doc, "불닭볶음면");
	assert_has(doc, "선물 세트");

	/* KPIs: money with group separators, changes against the previous period. */
	assert_has(doc, "Net revenue");
	assert_has(doc, "Gross sales");
	assert_has(doc, "Refunds");
	assert_has(doc, "Average order value");
	assert_has(doc, "Buyers");
	assert_has(doc, "₩12,345,678");
	assert_has(doc, "₩13,000,000");
	assert_has(doc, "₩30,952");
	assert_has(doc, "1,234");
	assert_has(doc, "<span class=\"up\">▲ 23.5%</span> vs ₩10,000,000");
	assert_has(doc, "<span class=\"up\">▲ 8.3%</span>");
	/* Fewer refunds is good news: ▼ but green. */
	assert_has(doc, "<span class=\"up\">▼ 67.3%</span>");
	assert_has(doc, "<span class=\"up\">▲ 23.4%</span> vs 1,000");
	/* Orders and AOV had no previous value. */
	assert_int_equal(count(doc, "<span class=\"flat\">—</span>"), 2);

	/* Three charts, each a labelled image. */
	assert_svgs_labelled(doc, 3);
	assert_int_equal(count(doc, "<polyline class=\"trend\""), 1);
	assert_int_equal(points_in(doc, "<polyline class=\"trend\""), 7);
	assert_int_equal(count(doc, "<circle "), 7);
	assert_int_equal(count(doc, "<line class=\"zero\""), 1); /* net went negative */
	assert_has(doc, ">-₩500,000</text>");                     /* a tick below zero */
	assert_has(doc, ">₩2,500,000</text>");
	assert_has(doc, "2026-11-25: -₩45,000");                  /* the tooltip of the negative day */
	assert_has(doc, ">11-23</text>");                         /* one year: day labels lose it */
	assert_int_equal(count(doc, "<rect class=\"bar\""), 5);
	assert_int_equal(count(doc, "class=\"arc\""), 3);        /* the empty category has none */
	assert_null(strstr(doc, "evenodd"));
	assert_int_equal(count(doc, "<span class=\"swatch\""), 4); /* the legend lists all four */
	assert_has(doc, "<span class=\"swatch\" style=\"background:#2563eb\"></span>식품</td><td class=\"num pct\">50.0%</td>");
	assert_has(doc, "Toys &amp; &lt;games&gt;</td><td class=\"num pct\">21.6%</td>");
	assert_has(doc, ">₩11,100,000</text>");                   /* the total in the hole */
	/* The long name is cut in the chart but whole in the table. */
	assert_has(doc, ">아주 긴 상품 이름이 들어가는 프…</text>");
	assert_int_equal(count(doc, "…</text>"), 2);
	assert_has(doc, "<td>아주 긴 상품 이름이 들어가는 프리미엄 선물 세트 한정판 대용량 패키지 (특별 기획)</td>");

	/* Tables. */
	assert_has(doc, "<td class=\"sku\">RAMEN-001</td><td>불닭볶음면</td><td>식품</td>");
	assert_has(doc, "<td class=\"num\">820</td><td class=\"num\">300</td><td class=\"num\">₩4,100,000</td>");
	assert_has(doc, "<td>Champions</td><td class=\"num\">42</td>");
	assert_has(doc, "<td class=\"num\">61.3</td>");
	assert_has(doc, "<td>Lost</td><td class=\"num\">233</td><td class=\"num\">61.3%</td>");

	/* No detail lines; the page points to the attachment. */
	assert_has(doc, "xlsx/csv");

	python_check(doc, "svg=3 points=7 arcs=3");

	free(doc);
}

static void test_empty_report(void **state)
{
	struct xl_report r;
	char *doc;

	(void)state;
	empty_report(&r);
	doc = render(&r);
	assert_self_contained(doc);
	assert_has(doc, "<h1>Monthly sales report</h1>");
	assert_has(doc, "2026-11-01 – 2026-11-30");
	assert_has(doc, "₩0");
	assert_int_equal(count(doc, "<span class=\"flat\">—</span>"), 7);
	assert_int_equal(count(doc, "<svg"), 0);
	assert_int_equal(count(doc, "No sales in this period"), 3);
	assert_has(doc, "No products were sold in this period.");
	assert_has(doc, "</html>\n");
	python_check(doc, "svg=0 points=0 arcs=0");
	free(doc);
}

/* Categories exist but none has revenue: a message, not a broken doughnut. */
static void test_zero_total_categories(void **state)
{
	static const struct xl_report_category zero[] = {
		{ "food", "식품", 0, 0, 0.0 },
		{ "toys", "Toys", 0, 0, 0.0 },
	};
	struct xl_report r;
	char *doc;

	(void)state;
	full_report(&r);
	r.categories = zero;
	r.ncategories = 2;
	doc = render(&r);
	assert_int_equal(count(doc, "<svg"), 2);
	assert_int_equal(count(doc, "class=\"arc\""), 0);
	assert_has(doc, "no category shares");
	python_check(doc, "svg=2 points=7 arcs=0");
	free(doc);
}

static void test_single_category_full_ring(void **state)
{
	static const struct xl_report_category one[] = {
		{ "food", "식품", 5550000, 970, 1.0 },
	};
	struct xl_report r;
	char *doc;

	(void)state;
	full_report(&r);
	r.categories = one;
	r.ncategories = 1;
	doc = render(&r);
	assert_int_equal(count(doc, "class=\"arc\""), 1);
	assert_int_equal(count(doc, "fill-rule=\"evenodd\""), 1);
	assert_has(doc, "<td class=\"num pct\">100.0%</td>");
	python_check(doc, "svg=3 points=7 arcs=1");
	free(doc);
}

/* A long trend: every point drawn, x labels thinned, no markers. */
static void test_long_trend(void **state)
{
	struct xl_report_sales *t = calloc(90, sizeof(*t));
	struct xl_report r;
	char *doc;
	size_t labels;

	(void)state;
	assert_non_null(t);
	for (int i = 0; i < 90; i++) {
		struct xl_date d = xl_date_from_days(xl_date_to_days((struct xl_date){ 2026, 12, 1 }) + i);

		t[i].first = t[i].last = d;
		xl_date_format(t[i].label, sizeof(t[i].label), d);
		t[i].net_minor = (i % 7) * 150000 - 100000;
	}
	full_report(&r);
	r.trend = t;
	r.ntrend = 90;
	doc = render(&r);
	assert_int_equal(points_in(doc, "<polyline class=\"trend\""), 90);
	assert_int_equal(count(doc, "<circle "), 0);
	/* Spans two years, so day labels keep theirs. */
	assert_has(doc, ">2026-12-01</text>");
	labels = count(doc, ">2026-") + count(doc, ">2027-");
	assert_true(labels >= 6 && labels <= 14);
	python_check(doc, "svg=3 points=90 arcs=3");
	free(doc);
	free(t);
}

/* One trend row: a one-point line, still drawn with its marker. */
static void test_single_row_trend(void **state)
{
	struct xl_report r;
	char *doc;

	(void)state;
	full_report(&r);
	r.ntrend = 1;
	doc = render(&r);
	assert_int_equal(points_in(doc, "<polyline class=\"trend\""), 1);
	assert_int_equal(count(doc, "<circle "), 1);
	assert_null(strstr(doc, "<line class=\"zero\""));
	python_check(doc, "svg=3 points=1 arcs=3");
	free(doc);
}

static void test_usd_and_bad_text(void **state)
{
	static const struct xl_report_product odd[] = {
		{ "BAD-UTF8", "caf\xc3\xa9 \xff\xfe" " broken \xed\xa0\x80 bell\x07 end", "food", 1, 123450, 1 },
	};
	struct xl_report r;
	char *doc;

	(void)state;
	full_report(&r);
	memcpy(r.currency, "USD", 4);
	r.top = odd;
	r.ntop = 1;
	doc = render(&r);
	assert_has(doc, "$123,456.78");
	assert_has(doc, "$1,234.50");
	assert_has(doc, "café \xef\xbf\xbd\xef\xbf\xbd broken \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd bell end");
	assert_null(strchr(doc, '\x07'));
	assert_null(strstr(doc, "₩"));
	python_check(doc, "svg=3 points=7 arcs=3");
	free(doc);
}

static void test_errors(void **state)
{
	struct xl_err err = XL_ERR_INIT;
	struct xl_report r;
	FILE *f;

	(void)state;
	full_report(&r);
	memcpy(r.currency, "XYZ", 4);
	f = fopen("/dev/null", "w");
	assert_non_null(f);
	assert_int_equal(xl_html_report_write(&r, f, &err), -XL_EINVAL);
	assert_non_null(strstr(err.msg, "XYZ"));
	fclose(f);

	full_report(&r);
	f = fopen("/dev/full", "w");
	if (!f)
		skip();
	xl_err_clear(&err);
	assert_int_equal(xl_html_report_write(&r, f, &err), -XL_EIO);
	assert_int_equal(err.code, XL_EIO);
	assert_non_null(strstr(err.msg, "No space left on device"));
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_report),
		cmocka_unit_test(test_empty_report),
		cmocka_unit_test(test_zero_total_categories),
		cmocka_unit_test(test_single_category_full_ring),
		cmocka_unit_test(test_long_trend),
		cmocka_unit_test(test_single_row_trend),
		cmocka_unit_test(test_usd_and_bad_text),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests_name("xl_html", tests, NULL, NULL);
}
