#include "xl_html.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xl_buf.h"
#include "xl_money.h"
#include "xl_time.h"
#include "xl_banned.h"

/*
 * The page is built in memory and written in one go: the writers below
 * then need no error checks, and a failing stream is found once at the end.
 */
struct html {
	struct xl_buf b;
	char cur[4];
	int exp;
};

/* Width of the charts' viewBox; CSS scales them down on narrow screens. */
#define CHART_W 1000
/* Pixels per display column at the charts' 12px font (a Hangul syllable is two). */
#define PX_PER_COL 7.0

#define FONT_STACK "\"Noto Sans CJK KR\", \"Malgun Gothic\", \"Apple SD Gothic Neo\", sans-serif"

static const char *const palette[] = {
	"#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6",
	"#06b6d4", "#ec4899", "#84cc16", "#f97316", "#64748b",
	"#0f766e", "#a16207",
};
#define NPALETTE (sizeof(palette) / sizeof(palette[0]))

static const char css[] =
	"*{box-sizing:border-box}\n"
	"body{margin:0;background:#f3f4f6;color:#111827;font-family:" FONT_STACK ";"
	"font-size:14px;line-height:1.5;-webkit-text-size-adjust:100%}\n"
	".page{max-width:1080px;margin:0 auto;padding:24px}\n"
	"header{margin-bottom:8px}\n"
	"h1{font-size:26px;margin:0 0 4px;font-weight:700}\n"
	"h2{font-size:17px;margin:0 0 12px;font-weight:700}\n"
	".meta{color:#4b5563;margin:0}\n"
	".meta .sub{color:#6b7280;font-size:13px}\n"
	".cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:12px;margin:20px 0}\n"
	".card{background:#fff;border:1px solid #e5e7eb;border-radius:10px;padding:14px 16px}\n"
	".card.main{border-color:#2563eb;box-shadow:inset 4px 0 0 #2563eb}\n"
	".card .label{font-size:13px;color:#4b5563;font-weight:600}\n"
	".card .ko{color:#9ca3af;font-weight:400;margin-left:6px}\n"
	".card .value{font-size:24px;font-weight:700;margin:2px 0;white-space:nowrap;"
	"font-variant-numeric:tabular-nums}\n"
	".card .delta{font-size:13px;color:#6b7280}\n"
	".up{color:#047857;font-weight:600}.down{color:#b91c1c;font-weight:600}.flat{color:#6b7280;font-weight:600}\n"
	"section{background:#fff;border:1px solid #e5e7eb;border-radius:10px;padding:18px 20px;margin:16px 0}\n"
	".scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}\n"
	"svg{display:block;width:100%;max-width:1000px;height:auto}\n"
	".scroll>svg{min-width:680px}\n"
	".scroll>table{min-width:600px}\n"
	".donut{display:flex;flex-wrap:wrap;align-items:center;gap:16px 40px}\n"
	".donut svg{width:280px;flex:0 0 auto;margin:0 auto 0 10px}\n"
	".legend{flex:1 1 320px;width:auto;max-width:560px}\n"
	".legend td{border-bottom:1px solid #f3f4f6;padding:6px 8px}\n"
	".legend td.pct{font-weight:700}\n"
	".swatch{display:inline-block;width:12px;height:12px;border-radius:3px;margin-right:10px;vertical-align:-1px}\n"
	"table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}\n"
	"th,td{padding:7px 10px;border-bottom:1px solid #e5e7eb;text-align:left;vertical-align:top;"
	"word-break:keep-all;overflow-wrap:anywhere}\n"
	"th{background:#f9fafb;font-weight:600;color:#374151;font-size:13px;white-space:nowrap}\n"
	"tbody tr:nth-child(even){background:#fafafa}\n"
	"td.num,th.num{text-align:right;white-space:nowrap}\n"
	"td.sku{white-space:nowrap;font-family:ui-monospace,\"DejaVu Sans Mono\",monospace;font-size:13px;color:#374151}\n"
	".neg{color:#b91c1c}\n"
	".empty{padding:36px 16px;text-align:center;color:#6b7280;background:#f9fafb;"
	"border:1px dashed #d1d5db;border-radius:8px;margin:0}\n"
	"footer{color:#6b7280;font-size:12px;margin-top:20px}\n"
	"footer p{margin:4px 0}\n"
	"@media (max-width:600px){.page{padding:12px}section{padding:14px 12px}h1{font-size:22px}"
	".cards{grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:8px}"
	".card{padding:10px 12px}.card .value{font-size:19px}.card .ko{display:block;margin:0}}\n"
	"@media print{body{background:#fff}.page{padding:0}section,.card{break-inside:avoid}}\n";

__attribute__((format(printf, 2, 3)))
static void putf(struct html *h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	xl_buf_vaddf(&h->b, fmt, ap);
	va_end(ap);
}

static void put(struct html *h, const char *s)
{
	xl_buf_adds(&h->b, s);
}

/*
 * Decode one UTF-8 sequence at s (not at its NUL). Returns its length;
 * *cp is U+FFFD for a byte that does not start a valid sequence (overlong
 * forms, surrogates and values past U+10FFFF included), which then counts
 * as one byte.
 */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
	uint32_t c = s[0], min;
	size_t n;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		*cp = 0xfffd;
		return 1;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*cp = 0xfffd;
			return 1;
		}
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
		*cp = 0xfffd;
		return 1;
	}
	*cp = c;
	return n;
}

/* Display columns of a code point: East Asian wide characters take two. */
static int cp_cols(uint32_t c)
{
	if ((c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) ||
	    (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
	    (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
	    (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1faff) ||
	    (c >= 0x20000 && c <= 0x3fffd))
		return 2;
	return 1;
}

/* Code points that XML 1.0 (and so inline SVG) does not allow, plus DEL. */
static int cp_dropped(uint32_t c)
{
	return (c < 0x20 && c != '\t' && c != '\n') || c == 0x7f || c == 0xfffe || c == 0xffff;
}

static void put_cp(struct html *h, uint32_t c)
{
	char u[4];
	size_t n;

	switch (c) {
	case '&': put(h, "&amp;"); return;
	case '<': put(h, "&lt;"); return;
	case '>': put(h, "&gt;"); return;
	case '"': put(h, "&quot;"); return;
	case '\'': put(h, "&#39;"); return;
	}
	if (c < 0x80) {
		u[0] = (char)c;
		n = 1;
	} else if (c < 0x800) {
		u[0] = (char)(0xc0 | c >> 6);
		u[1] = (char)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		u[0] = (char)(0xe0 | c >> 12);
		u[1] = (char)(0x80 | (c >> 6 & 0x3f));
		u[2] = (char)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | c >> 18);
		u[1] = (char)(0x80 | (c >> 12 & 0x3f));
		u[2] = (char)(0x80 | (c >> 6 & 0x3f));
		u[3] = (char)(0x80 | (c & 0x3f));
		n = 4;
	}
	xl_buf_add(&h->b, u, n);
}

/*
 * Write s escaped for text and attribute values alike. With max_cols > 0,
 * a string wider than that is cut to fit with an ellipsis.
 */
static void put_esc_cut(struct html *h, const char *s, int max_cols)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	int cols = 0, total = 0;
	uint32_t c;

	if (max_cols > 0) {
		for (const unsigned char *q = p; *q; ) {
			q += utf8_next(q, &c);
			if (!cp_dropped(c))
				total += cp_cols(c);
		}
	}
	while (*p) {
		p += utf8_next(p, &c);
		if (cp_dropped(c))
			continue;
		if (max_cols > 0 && total > max_cols && cols + cp_cols(c) > max_cols - 1) {
			put(h, "…");
			return;
		}
		cols += cp_cols(c);
		put_cp(h, c);
	}
}

static void put_esc(struct html *h, const char *s)
{
	put_esc_cut(h, s, 0);
}

/* Display columns of s, as put_esc_cut counts them. */
static int str_cols(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int cols = 0;
	uint32_t c;

	while (*p) {
		p += utf8_next(p, &c);
		if (!cp_dropped(c))
			cols += cp_cols(c);
	}
	return cols;
}

/*
 * A number with at most one decimal, whatever LC_NUMERIC says: SVG
 * coordinates need a '.', and "12.0" is written "12".
 */
static void fmt_num(char *buf, size_t size, double v)
{
	long long t;

	if (!isfinite(v))
		v = 0;
	if (v > 1e15)
		v = 1e15;
	if (v < -1e15)
		v = -1e15;
	t = llround(v * 10);
	if (t % 10)
		snprintf(buf, size, "%s%lld.%lld", t < 0 ? "-" : "", llabs(t) / 10, llabs(t) % 10);
	else
		snprintf(buf, size, "%lld", t / 10);
}

/* Like fmt_num but always with one decimal: "12.0". */
static void fmt_dec1(char *buf, size_t size, double v)
{
	long long t;

	if (!isfinite(v))
		v = 0;
	if (v > 1e15)
		v = 1e15;
	if (v < -1e15)
		v = -1e15;
	t = llround(v * 10);
	snprintf(buf, size, "%s%lld.%lld", t < 0 ? "-" : "", llabs(t) / 10, llabs(t) % 10);
}

/* Append a coordinate. */
static void put_num(struct html *h, double v)
{
	char buf[32];

	fmt_num(buf, sizeof(buf), v);
	put(h, buf);
}

/* Copy src ("1234567.50", no sign) to dst with commas between thousands. */
static void group_digits(char *dst, size_t size, const char *src)
{
	size_t n = strspn(src, "0123456789"), o = 0;

	for (size_t i = 0; i < n && o + 2 < size; i++) {
		if (i && (n - i) % 3 == 0)
			dst[o++] = ',';
		dst[o++] = src[i];
	}
	dst[o] = '\0';
	snprintf(dst + o, size - o, "%s", src + n);
}

#define NUM_BUFSZ 64

/* A count with thousands separators: "12,345". */
static void fmt_count(char *buf, size_t size, int64_t v)
{
	char raw[32], grouped[48];

	snprintf(raw, sizeof(raw), "%" PRId64, v);
	group_digits(grouped, sizeof(grouped), raw + (raw[0] == '-'));
	snprintf(buf, size, "%s%s", raw[0] == '-' ? "-" : "", grouped);
}

static const char *currency_symbol(const char *cur)
{
	static const struct {
		char code[4];
		const char *sym;
	} syms[] = {
		{ "KRW", "₩" }, { "USD", "$" }, { "EUR", "€" }, { "JPY", "¥" },
		{ "GBP", "£" }, { "CNY", "CN¥" },
	};

	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++)
		if (!strcmp(syms[i].code, cur))
			return syms[i].sym;
	return NULL;
}

/*
 * Money for people: "₩1,234,567", "-$12.50", "KWD 1.234". With whole set,
 * a zero fraction is left out (axis ticks).
 */
static void fmt_money(const struct html *h, char *buf, size_t size, int64_t minor, int whole)
{
	char raw[XL_MONEY_BUFSZ], grouped[48];
	const char *sym = currency_symbol(h->cur);
	const char *digits;
	char *dot;

	if (xl_money_format(raw, sizeof(raw), minor, h->cur) < 0)
		snprintf(raw, sizeof(raw), "%" PRId64, minor);
	dot = strchr(raw, '.');
	if (whole && dot && dot[1 + strspn(dot + 1, "0")] == '\0')
		*dot = '\0';
	digits = raw + (raw[0] == '-');
	group_digits(grouped, sizeof(grouped), digits);
	snprintf(buf, size, "%s%s%s%s", raw[0] == '-' ? "-" : "", sym ? sym : h->cur,
		 sym ? "" : " ", grouped);
}

static void put_money(struct html *h, int64_t minor)
{
	char buf[NUM_BUFSZ];

	fmt_money(h, buf, sizeof(buf), minor, 0);
	put(h, buf);
}

static void put_count(struct html *h, int64_t v)
{
	char buf[NUM_BUFSZ];

	fmt_count(buf, sizeof(buf), v);
	put(h, buf);
}

static void put_date(struct html *h, struct xl_date d)
{
	char buf[XL_TIME_BUFSZ];

	xl_date_format(buf, sizeof(buf), d);
	put(h, buf);
}

static void put_range(struct html *h, struct xl_date a, struct xl_date b)
{
	put_date(h, a);
	if (xl_date_to_days(a) != xl_date_to_days(b)) {
		put(h, " – ");
		put_date(h, b);
	}
}

static const char *or_default(const char *s, const char *dflt)
{
	return s && *s ? s : dflt;
}

/* What one trend row covers, from the shape of its label. */
static const char *trend_unit(const struct xl_report *r)
{
	const char *l;

	if (!r->ntrend)
		return "day";
	l = r->trend[0].label;
	if (strchr(l, 'W'))
		return "week";
	if (strlen(l) == 7)
		return "month";
	return "day";
}

static void put_head(struct html *h, const struct xl_report *r)
{
	put(h, "<!DOCTYPE html>\n<html lang=\"ko\">\n<head>\n<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	    "<meta name=\"generator\" content=\"xlcfi\">\n<title>");
	put_esc(h, or_default(r->title, "Sales report"));
	put(h, " · ");
	put_range(h, r->first, r->last);
	put(h, "</title>\n<style>\n");
	put(h, css);
	put(h, "</style>\n</head>\n<body>\n<div class=\"page\">\n");
}

static void put_header(struct html *h, const struct xl_report *r)
{
	int64_t days = xl_date_to_days(r->last) - xl_date_to_days(r->first) + 1;

	put(h, "<header>\n<h1>");
	put_esc(h, or_default(r->title, "Sales report"));
	put(h, "</h1>\n<p class=\"meta\"><strong>");
	put_range(h, r->first, r->last);
	putf(h, "</strong> · %" PRId64 " day%s", days, days == 1 ? "" : "s");
	if (r->period_name && *r->period_name) {
		put(h, " · ");
		put_esc(h, r->period_name);
	}
	put(h, " · ");
	put_esc(h, h->cur);
	put(h, "</p>\n<p class=\"meta sub\">Compared with the previous period, ");
	put_range(h, r->previous.first, r->previous.last);
	put(h, ".");
	if (r->generated_us) {
		char t[XL_TIME_BUFSZ];

		/* "2026-11-30T09:00:00+09:00" shown as "2026-11-30 09:00 KST". */
		xl_time_format(t, sizeof(t), r->generated_us, XL_TIME_SEOUL_OFFSET_MIN, 0);
		t[10] = ' ';
		t[16] = '\0';
		putf(h, " Generated %s KST.", t);
	}
	put(h, "</p>\n</header>\n");
}

/* "▲ 12.5%" against the previous period; "—" when there is nothing to compare with. */
static void put_delta(struct html *h, int64_t cur, int64_t prev, int up_is_bad, int money)
{
	char pct[32];
	double d;

	put(h, "<div class=\"delta\">");
	if (prev == 0) {
		put(h, "<span class=\"flat\">—</span> no previous-period value</div>\n");
		return;
	}
	d = ((double)cur - (double)prev) / fabs((double)prev) * 100.0;
	fmt_dec1(pct, sizeof(pct), fabs(d));
	if (cur > prev)
		putf(h, "<span class=\"%s\">▲ %s%%</span>", up_is_bad ? "down" : "up", pct);
	else if (cur < prev)
		putf(h, "<span class=\"%s\">▼ %s%%</span>", up_is_bad ? "up" : "down", pct);
	else
		put(h, "<span class=\"flat\">0.0%</span>");
	put(h, " vs ");
	if (money)
		put_money(h, prev);
	else
		put_count(h, prev);
	put(h, "</div>\n");
}

static void put_card(struct html *h, const char *label, const char *ko, int64_t cur, int64_t prev,
		     int money, int up_is_bad, int primary)
{
	putf(h, "<div class=\"card%s\"><div class=\"label\">%s<span class=\"ko\" lang=\"ko\">%s</span></div>"
	     "<div class=\"value%s\">", primary ? " main" : "", label, ko, cur < 0 ? " neg" : "");
	if (money)
		put_money(h, cur);
	else
		put_count(h, cur);
	put(h, "</div>\n");
	put_delta(h, cur, prev, up_is_bad, money);
	put(h, "</div>\n");
}

static void put_kpis(struct html *h, const struct xl_report *r)
{
	const struct xl_report_sales *c = &r->current, *p = &r->previous;

	put(h, "<div class=\"cards\">\n");
	put_card(h, "Net revenue", "순매출", c->net_minor, p->net_minor, 1, 0, 1);
	put_card(h, "Gross sales", "총매출", c->gross_minor, p->gross_minor, 1, 0, 0);
	put_card(h, "Refunds", "환불", c->refunds_minor, p->refunds_minor, 1, 1, 0);
	put_card(h, "Orders", "주문 수", c->orders, p->orders, 0, 0, 0);
	put_card(h, "Units", "판매 수량", c->units, p->units, 0, 0, 0);
	put_card(h, "Average order value", "객단가", c->aov_minor, p->aov_minor, 1, 0, 0);
	put_card(h, "Buyers", "구매자 수", c->buyers, p->buyers, 0, 0, 0);
	put(h, "</div>\n");
}

static void put_empty(struct html *h, const char *msg)
{
	putf(h, "<p class=\"empty\">%s</p>\n", msg);
}

/* Open an <svg> with its size, role and accessible name; the caller closes it. */
static void svg_open(struct html *h, int w, int hgt, const char *cls, const char *title)
{
	putf(h, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"%s\" width=\"%d\" height=\"%d\" "
	     "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"", cls, w, hgt, w, hgt);
	put_esc(h, title);
	put(h, "\" font-size=\"12\" fill=\"#374151\">\n<title>");
	put_esc(h, title);
	put(h, "</title>\n");
}

/* A step of 1, 2, 2.5 or 5 times a power of ten that cuts range into about n. */
static double nice_step(double range, int n)
{
	double raw = range / n, mag, f, step;

	if (!(raw > 0))
		return 1;
	mag = pow(10, floor(log10(raw)));
	f = raw / mag;
	if (f <= 1)
		step = mag;
	else if (f <= 2)
		step = 2 * mag;
	else if (f <= 2.5 && mag >= 10)
		step = 2.5 * mag;
	else if (f <= 5)
		step = 5 * mag;
	else
		step = 10 * mag;
	return step < 1 ? 1 : step;
}

static int64_t to_i64(double v)
{
	if (!(v > -9.2e18))
		return INT64_MIN / 2;
	if (!(v < 9.2e18))
		return INT64_MAX / 2;
	return (int64_t)llround(v);
}

/*
 * The label shown under a trend point: day labels lose the year when the
 * whole trend is in one year.
 */
static const char *x_label(const struct xl_report *r, size_t i, int same_year)
{
	const char *l = r->trend[i].label;

	if (same_year && strlen(l) == 10 && l[4] == '-' && l[7] == '-')
		return l + 5;
	return l;
}

#define LINE_H 340
/* The first and last points stand this far off the axes. */
#define LINE_XPAD 16.0
#define MAX_TICKS 12

static void put_line_chart(struct html *h, const struct xl_report *r)
{
	const double top = 20, bottom = 44, right = 40;
	double lo = 0, hi = 0, step, t0, t1, left, plotw, ploth, y0;
	char ticks[MAX_TICKS + 1][NUM_BUFSZ], title[256], minl[NUM_BUFSZ], maxl[NUM_BUFSZ];
	size_t n = r->ntrend, imin = 0, imax = 0, label_every;
	int nticks, tick_cols = 0, label_cols = 0, same_year = 1;

	put(h, "<section class=\"chart\" id=\"trend\">\n");
	putf(h, "<h2>Net revenue per %s</h2>\n", trend_unit(r));
	if (!n) {
		put_empty(h, "No sales in this period, so there is no trend to draw.");
		put(h, "</section>\n");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		int64_t v = r->trend[i].net_minor;

		if (v < r->trend[imin].net_minor)
			imin = i;
		if (v > r->trend[imax].net_minor)
			imax = i;
		if (strncmp(r->trend[i].label, r->trend[0].label, 4))
			same_year = 0;
	}
	lo = fmin(0, (double)r->trend[imin].net_minor);
	hi = fmax(0, (double)r->trend[imax].net_minor);
	if (hi == lo) {
		double unit = pow(10, h->exp);

		hi = lo + 1000 * unit;
	}
	step = nice_step(hi - lo, 5);
	t0 = floor(lo / step) * step;
	t1 = ceil(hi / step) * step;
	while ((t1 - t0) / step > MAX_TICKS - 1) {
		step *= 2;
		t0 = floor(lo / step) * step;
		t1 = ceil(hi / step) * step;
	}
	nticks = (int)llround((t1 - t0) / step) + 1;
	for (int k = 0; k < nticks; k++) {
		int cols;

		fmt_money(h, ticks[k], sizeof(ticks[k]), to_i64(t0 + k * step), 1);
		cols = str_cols(ticks[k]);
		if (cols > tick_cols)
			tick_cols = cols;
	}
	left = 18 + tick_cols * PX_PER_COL;
	plotw = CHART_W - left - right;
	ploth = LINE_H - top - bottom;
	for (size_t i = 0; i < n; i++) {
		int cols = str_cols(x_label(r, i, same_year));

		if (cols > label_cols)
			label_cols = cols;
	}
	/* Labels are plotw / (n - 1) apart; keep every k-th so that they are room apart. */
	label_every = 1;
	if (n > 1) {
		double room = label_cols * PX_PER_COL + 18;

		label_every = (size_t)ceil(room * (double)(n - 1) / (plotw - 2 * LINE_XPAD));
		if (label_every < 1)
			label_every = 1;
	}

#define X(i) (n == 1 ? left + plotw / 2 : \
	      left + LINE_XPAD + (plotw - 2 * LINE_XPAD) * (double)(i) / (double)(n - 1))
#define Y(v) (top + ploth * (t1 - (v)) / (t1 - t0))

	fmt_money(h, minl, sizeof(minl), r->trend[imin].net_minor, 0);
	fmt_money(h, maxl, sizeof(maxl), r->trend[imax].net_minor, 0);
	snprintf(title, sizeof(title), "Line chart of net revenue per %s, %zu point%s: highest %s on %s, lowest %s on %s",
		 trend_unit(r), n, n == 1 ? "" : "s", maxl, r->trend[imax].label, minl, r->trend[imin].label);
	put(h, "<div class=\"scroll\">\n");
	svg_open(h, CHART_W, LINE_H, "line-chart", title);

	/* Gridlines and y tick labels. */
	put(h, "<g class=\"grid\" stroke=\"#e5e7eb\" stroke-width=\"1\">\n");
	for (int k = 0; k < nticks; k++) {
		double y = Y(t0 + k * step);

		put(h, "<line x1=\"");
		put_num(h, left);
		put(h, "\" x2=\"");
		put_num(h, left + plotw);
		put(h, "\" y1=\"");
		put_num(h, y);
		put(h, "\" y2=\"");
		put_num(h, y);
		put(h, "\"/>\n");
	}
	put(h, "</g>\n<g class=\"y-ticks\" text-anchor=\"end\" fill=\"#6b7280\">\n");
	for (int k = 0; k < nticks; k++) {
		put(h, "<text x=\"");
		put_num(h, left - 8);
		put(h, "\" y=\"");
		put_num(h, Y(t0 + k * step) + 4);
		put(h, "\">");
		put_esc(h, ticks[k]);
		put(h, "</text>\n");
	}
	put(h, "</g>\n");

	/* Axes; a darker zero line when the values go below zero. */
	y0 = Y(0.0);
	put(h, "<line class=\"axis\" stroke=\"#9ca3af\" x1=\"");
	put_num(h, left);
	put(h, "\" x2=\"");
	put_num(h, left);
	put(h, "\" y1=\"");
	put_num(h, top);
	put(h, "\" y2=\"");
	put_num(h, top + ploth);
	put(h, "\"/>\n<line class=\"axis\" stroke=\"#9ca3af\" x1=\"");
	put_num(h, left);
	put(h, "\" x2=\"");
	put_num(h, left + plotw);
	put(h, "\" y1=\"");
	put_num(h, top + ploth);
	put(h, "\" y2=\"");
	put_num(h, top + ploth);
	put(h, "\"/>\n");
	if (t0 < 0) {
		put(h, "<line class=\"zero\" stroke=\"#374151\" stroke-width=\"1.5\" x1=\"");
		put_num(h, left);
		put(h, "\" x2=\"");
		put_num(h, left + plotw);
		put(h, "\" y1=\"");
		put_num(h, y0);
		put(h, "\" y2=\"");
		put_num(h, y0);
		put(h, "\"/>\n");
	}

	/* X labels, thinned so that they do not overlap. */
	put(h, "<g class=\"x-labels\" text-anchor=\"middle\" fill=\"#6b7280\">\n");
	for (size_t i = 0; i < n; i += label_every) {
		put(h, "<line stroke=\"#9ca3af\" x1=\"");
		put_num(h, X(i));
		put(h, "\" x2=\"");
		put_num(h, X(i));
		put(h, "\" y1=\"");
		put_num(h, top + ploth);
		put(h, "\" y2=\"");
		put_num(h, top + ploth + 5);
		put(h, "\"/><text x=\"");
		put_num(h, X(i));
		put(h, "\" y=\"");
		put_num(h, top + ploth + 22);
		put(h, "\">");
		put_esc(h, x_label(r, i, same_year));
		put(h, "</text>\n");
	}
	put(h, "</g>\n");

	/* The area between the line and zero, then the line itself. */
	if (n > 1) {
		put(h, "<polygon class=\"area\" fill=\"#2563eb\" fill-opacity=\"0.08\" points=\"");
		put_num(h, X(0));
		put(h, ",");
		put_num(h, y0);
		for (size_t i = 0; i < n; i++) {
			put(h, " ");
			put_num(h, X(i));
			put(h, ",");
			put_num(h, Y((double)r->trend[i].net_minor));
		}
		put(h, " ");
		put_num(h, X(n - 1));
		put(h, ",");
		put_num(h, y0);
		put(h, "\"/>\n");
	}
	put(h, "<polyline class=\"trend\" fill=\"none\" stroke=\"#2563eb\" stroke-width=\"2.5\" "
	    "stroke-linejoin=\"round\" stroke-linecap=\"round\" points=\"");
	for (size_t i = 0; i < n; i++) {
		if (i)
			put(h, " ");
		put_num(h, X(i));
		put(h, ",");
		put_num(h, Y((double)r->trend[i].net_minor));
	}
	put(h, "\"/>\n");

	/* Points, with their value as a tooltip, while there is room for them. */
	if (n <= 62) {
		put(h, "<g class=\"points\" stroke=\"#fff\" stroke-width=\"1.5\">\n");
		for (size_t i = 0; i < n; i++) {
			int64_t v = r->trend[i].net_minor;

			putf(h, "<circle r=\"%s\" fill=\"%s\" cx=\"", n <= 31 ? "4" : "3",
			     v < 0 ? "#dc2626" : "#2563eb");
			put_num(h, X(i));
			put(h, "\" cy=\"");
			put_num(h, Y((double)v));
			put(h, "\"><title>");
			put_esc(h, r->trend[i].label);
			put(h, ": ");
			put_money(h, v);
			put(h, "</title></circle>\n");
		}
		put(h, "</g>\n");
	}
#undef X
#undef Y
	put(h, "</svg>\n</div>\n</section>\n");
}

#define BAR_MAX 10
#define BAR_ROW 34
#define BAR_LABEL_W 250
#define BAR_VALUE_W 130

static void put_bar_chart(struct html *h, const struct xl_report *r)
{
	size_t n = r->ntop < BAR_MAX ? r->ntop : BAR_MAX;
	int hgt = 16 + (int)n * BAR_ROW;
	double plotw = CHART_W - BAR_LABEL_W - BAR_VALUE_W;
	int64_t maxv = 0;
	char title[128];

	put(h, "<section class=\"chart\" id=\"top-products-chart\">\n");
	if (!n) {
		put(h, "<h2>Top products by revenue</h2>\n");
		put_empty(h, "No sales in this period, so there are no top products.");
		put(h, "</section>\n");
		return;
	}
	putf(h, "<h2>Top %zu product%s by revenue</h2>\n", n, n == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++)
		if (r->top[i].revenue_minor > maxv)
			maxv = r->top[i].revenue_minor;
	snprintf(title, sizeof(title), "Bar chart of the top %zu product%s by revenue", n, n == 1 ? "" : "s");
	put(h, "<div class=\"scroll\">\n");
	svg_open(h, CHART_W, hgt, "bar-chart", title);
	put(h, "<line stroke=\"#9ca3af\" x1=\"");
	put_num(h, BAR_LABEL_W);
	put(h, "\" x2=\"");
	put_num(h, BAR_LABEL_W);
	put(h, "\" y1=\"8\" y2=\"");
	put_num(h, hgt - 8);
	put(h, "\"/>\n");
	for (size_t i = 0; i < n; i++) {
		const struct xl_report_product *p = &r->top[i];
		double y = 8 + (double)i * BAR_ROW + 5, bh = BAR_ROW - 10;
		double w = p->revenue_minor > 0 && maxv > 0 ?
			plotw * (double)p->revenue_minor / (double)maxv : 0;

		if (w > 0 && w < 2)
			w = 2;
		put(h, "<g class=\"row\">\n<title>");
		put_esc(h, or_default(p->name, p->sku));
		put(h, " (");
		put_esc(h, p->sku);
		put(h, "): ");
		put_money(h, p->revenue_minor);
		put(h, ", ");
		put_count(h, p->units);
		put(h, " units</title>\n<text text-anchor=\"end\" fill=\"#111827\" x=\"");
		put_num(h, BAR_LABEL_W - 10);
		put(h, "\" y=\"");
		put_num(h, y + bh / 2 + 4);
		put(h, "\">");
		put_esc_cut(h, or_default(p->name, p->sku), (int)((BAR_LABEL_W - 20) / PX_PER_COL));
		putf(h, "</text>\n<rect class=\"bar\" rx=\"3\" fill=\"%s\" x=\"", i == 0 ? "#1d4ed8" : "#3b82f6");
		put_num(h, BAR_LABEL_W);
		put(h, "\" y=\"");
		put_num(h, y);
		put(h, "\" width=\"");
		put_num(h, w);
		put(h, "\" height=\"");
		put_num(h, bh);
		put(h, "\"/>\n<text x=\"");
		put_num(h, BAR_LABEL_W + w + 8);
		put(h, "\" y=\"");
		put_num(h, y + bh / 2 + 4);
		put(h, "\" font-weight=\"600\">");
		put_money(h, p->revenue_minor);
		put(h, "</text>\n</g>\n");
	}
	put(h, "</svg>\n</div>\n");
	if (r->ntop > n)
		putf(h, "<p class=\"meta sub\">The table below lists all %zu products.</p>\n", r->ntop);
	put(h, "</section>\n");
}

static const char *category_label(const struct xl_report_category *c)
{
	return or_default(c->name, or_default(c->category, "(none)"));
}

static void td_num_money(struct html *h, int64_t v)
{
	putf(h, "<td class=\"num%s\">", v < 0 ? " neg" : "");
	put_money(h, v);
	put(h, "</td>");
}

static void td_num_count(struct html *h, int64_t v)
{
	put(h, "<td class=\"num\">");
	put_count(h, v);
	put(h, "</td>");
}

#define DONUT_SIZE 280
#define DONUT_R 130.0
#define DONUT_r 82.0

/* A point on a circle, angle in turns from twelve o'clock, clockwise. */
static void put_polar(struct html *h, double cx, double cy, double rad, double turns)
{
	double a = turns * 2 * M_PI;

	put_num(h, cx + rad * sin(a));
	put(h, ",");
	put_num(h, cy - rad * cos(a));
}

static void put_ring_arc(struct html *h, double cx, double cy, double from, double to, const char *color)
{
	char R[16], r[16];

	fmt_num(R, sizeof(R), DONUT_R);
	fmt_num(r, sizeof(r), DONUT_r);
	putf(h, "<path class=\"arc\" fill=\"%s\" stroke=\"#fff\" stroke-width=\"1.5\" ", color);
	if (to - from >= 0.99999) {
		/* One category: two half circles each way make a whole ring. */
		put(h, "fill-rule=\"evenodd\" d=\"M");
		put_polar(h, cx, cy, DONUT_R, 0);
		putf(h, " A%s,%s 0 1 1 ", R, R);
		put_polar(h, cx, cy, DONUT_R, 0.5);
		putf(h, " A%s,%s 0 1 1 ", R, R);
		put_polar(h, cx, cy, DONUT_R, 0);
		put(h, " Z M");
		put_polar(h, cx, cy, DONUT_r, 0);
		putf(h, " A%s,%s 0 1 0 ", r, r);
		put_polar(h, cx, cy, DONUT_r, 0.5);
		putf(h, " A%s,%s 0 1 0 ", r, r);
		put_polar(h, cx, cy, DONUT_r, 0);
		put(h, " Z\"");
		return;
	}
	put(h, "d=\"M");
	put_polar(h, cx, cy, DONUT_R, from);
	putf(h, " A%s,%s 0 %d 1 ", R, R, to - from > 0.5);
	put_polar(h, cx, cy, DONUT_R, to);
	put(h, " L");
	put_polar(h, cx, cy, DONUT_r, to);
	putf(h, " A%s,%s 0 %d 0 ", r, r, to - from > 0.5);
	put_polar(h, cx, cy, DONUT_r, from);
	put(h, " Z\"");
}

static void put_doughnut(struct html *h, const struct xl_report *r)
{
	size_t n = r->ncategories;
	double sum = 0, at = 0, cx = DONUT_SIZE / 2.0, cy = DONUT_SIZE / 2.0;
	int64_t total = 0;
	char title[128], tot[NUM_BUFSZ];
	int cols;

	put(h, "<section class=\"chart\" id=\"categories-chart\">\n<h2>Revenue share by category</h2>\n");
	for (size_t i = 0; i < n; i++) {
		if (r->categories[i].share > 0)
			sum += r->categories[i].share;
		total += r->categories[i].revenue_minor;
	}
	if (!(sum > 0)) {
		put_empty(h, "No sales in this period, so there are no category shares.");
		put(h, "</section>\n");
		return;
	}
	snprintf(title, sizeof(title), "Doughnut chart of the revenue share of %zu categor%s", n, n == 1 ? "y" : "ies");
	put(h, "<div class=\"donut\">\n");
	svg_open(h, DONUT_SIZE, DONUT_SIZE, "doughnut-chart", title);
	for (size_t i = 0; i < n; i++) {
		const struct xl_report_category *c = &r->categories[i];
		char pct[32];

		if (!(c->share > 0))
			continue;
		fmt_dec1(pct, sizeof(pct), c->share * 100);
		put_ring_arc(h, cx, cy, at / sum, (at + c->share) / sum, palette[i % NPALETTE]);
		put(h, "><title>");
		put_esc(h, category_label(c));
		putf(h, ": %s%%</title></path>\n", pct);
		at += c->share;
	}
	/* The total in the hole, smaller when it is long. */
	fmt_money(h, tot, sizeof(tot), total, 0);
	cols = str_cols(tot);
	put(h, "<text text-anchor=\"middle\" fill=\"#6b7280\" x=\"");
	put_num(h, cx);
	put(h, "\" y=\"");
	put_num(h, cy - 8);
	putf(h, "\">Total</text>\n<text text-anchor=\"middle\" fill=\"#111827\" font-size=\"%d\" "
	     "font-weight=\"700\" x=\"", cols <= 12 ? 16 : cols <= 15 ? 14 : 11);
	put_num(h, cx);
	put(h, "\" y=\"");
	put_num(h, cy + 13);
	put(h, "\">");
	put_esc(h, tot);
	put(h, "</text>\n</svg>\n");

	/* The legend is HTML, so that it wraps on a narrow screen. */
	put(h, "<table class=\"legend\">\n<tbody>\n");
	for (size_t i = 0; i < n; i++) {
		const struct xl_report_category *c = &r->categories[i];
		char pct[32];

		fmt_dec1(pct, sizeof(pct), c->share * 100);
		putf(h, "<tr><td><span class=\"swatch\" style=\"background:%s\"></span>", palette[i % NPALETTE]);
		put_esc(h, category_label(c));
		putf(h, "</td><td class=\"num pct\">%s%%</td>", pct);
		td_num_money(h, c->revenue_minor);
		put(h, "</tr>\n");
	}
	put(h, "</tbody>\n</table>\n</div>\n</section>\n");
}

/* The category's display name for a product, from the categories of the report. */
static const char *product_category(const struct xl_report *r, const char *slug)
{
	if (!slug)
		return "";
	for (size_t i = 0; i < r->ncategories; i++)
		if (r->categories[i].category && !strcmp(r->categories[i].category, slug))
			return category_label(&r->categories[i]);
	return slug;
}

static void put_top_table(struct html *h, const struct xl_report *r)
{
	put(h, "<section id=\"top-products\">\n<h2>Top products</h2>\n");
	if (!r->ntop) {
		put_empty(h, "No products were sold in this period.");
		put(h, "</section>\n");
		return;
	}
	put(h, "<div class=\"scroll\">\n<table>\n<thead><tr><th class=\"num\">#</th><th>SKU</th><th>Product</th><th>Category</th>"
	    "<th class=\"num\">Units</th><th class=\"num\">Orders</th><th class=\"num\">Revenue</th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < r->ntop; i++) {
		const struct xl_report_product *p = &r->top[i];

		putf(h, "<tr><td class=\"num\">%zu</td><td class=\"sku\">", i + 1);
		put_esc(h, p->sku);
		put(h, "</td><td>");
		put_esc(h, p->name);
		put(h, "</td><td>");
		put_esc(h, product_category(r, p->category));
		put(h, "</td>");
		td_num_count(h, p->units);
		td_num_count(h, p->orders);
		td_num_money(h, p->revenue_minor);
		put(h, "</tr>\n");
	}
	put(h, "</tbody>\n</table>\n</div>\n</section>\n");
}

static void put_category_table(struct html *h, const struct xl_report *r)
{
	put(h, "<section id=\"categories\">\n<h2>Categories</h2>\n");
	if (!r->ncategories) {
		put_empty(h, "No category had sales in this period.");
		put(h, "</section>\n");
		return;
	}
	put(h, "<div class=\"scroll\">\n<table>\n<thead><tr><th>Category</th><th class=\"num\">Units</th>"
	    "<th class=\"num\">Revenue</th><th class=\"num\">Share</th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < r->ncategories; i++) {
		const struct xl_report_category *c = &r->categories[i];
		char pct[32];

		fmt_dec1(pct, sizeof(pct), c->share * 100);
		put(h, "<tr><td>");
		put_esc(h, category_label(c));
		put(h, "</td>");
		td_num_count(h, c->units);
		td_num_money(h, c->revenue_minor);
		putf(h, "<td class=\"num\">%s%%</td></tr>\n", pct);
	}
	put(h, "</tbody>\n</table>\n</div>\n</section>\n");
}

static void put_segment_table(struct html *h, const struct xl_report *r)
{
	int64_t customers = 0;

	put(h, "<section id=\"segments\">\n<h2>Customer segments (RFM)</h2>\n");
	if (!r->nsegments) {
		put_empty(h, "No customer segments for this period.");
		put(h, "</section>\n");
		return;
	}
	for (size_t i = 0; i < r->nsegments; i++)
		customers += r->segments[i].customers;
	put(h, "<div class=\"scroll\">\n<table>\n<thead><tr><th>Segment</th><th class=\"num\">Customers</th><th class=\"num\">Share</th>"
	    "<th class=\"num\">Avg days since last order</th><th class=\"num\">Avg orders</th>"
	    "<th class=\"num\">Monetary</th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < r->nsegments; i++) {
		const struct xl_report_segment *s = &r->segments[i];
		char pct[32], rec[32], freq[32];

		fmt_dec1(pct, sizeof(pct), customers > 0 ? 100.0 * (double)s->customers / (double)customers : 0);
		fmt_dec1(rec, sizeof(rec), s->recency_days);
		fmt_dec1(freq, sizeof(freq), s->frequency);
		put(h, "<tr><td>");
		put_esc(h, s->segment);
		put(h, "</td>");
		td_num_count(h, s->customers);
		putf(h, "<td class=\"num\">%s%%</td><td class=\"num\">%s</td><td class=\"num\">%s</td>", pct, rec, freq);
		td_num_money(h, s->monetary_minor);
		put(h, "</tr>\n");
	}
	put(h, "</tbody>\n</table>\n</div>\n</section>\n");
}

static void put_footer(struct html *h)
{
	put(h, "<footer>\n<p>The order-line detail is not part of this page: it is in the xlsx/csv file "
	    "sent with this report.</p>\n<p>Amounts are in ");
	put_esc(h, h->cur);
	put(h, "; days are Asia/Seoul (KST) days. Net revenue is gross sales minus refunds. "
	    "Made by xlcfi.</p>\n</footer>\n</div>\n</body>\n</html>\n");
}

int xl_html_report_write(const struct xl_report *r, FILE *out, struct xl_err *err)
{
	struct html h = { .b = XL_BUF_INIT };
	int ret = -1;

	assert(!r->finish);
	memcpy(h.cur, r->currency, 3);
	h.cur[3] = '\0';
	h.exp = xl_money_exponent(h.cur);
	if (h.exp < 0)
		return xl_err_set(err, XL_EINVAL, "unknown currency '%s'", h.cur);

	put_head(&h, r);
	put_header(&h, r);
	put_kpis(&h, r);
	put_line_chart(&h, r);
	put_bar_chart(&h, r);
	put_doughnut(&h, r);
	put_top_table(&h, r);
	put_category_table(&h, r);
	put_segment_table(&h, r);
	put_footer(&h);

	errno = 0;
	if (fwrite(h.b.buf, 1, h.b.len, out) != h.b.len || fflush(out) != 0 || ferror(out)) {
		ret = xl_err_set(err, XL_EIO, "cannot write the HTML report: %s",
				 errno ? strerror(errno) : "write error");
		goto out;
	}
	ret = 0;
out:
	xl_buf_release(&h.b);
	return ret;
}
