#ifndef XL_HTML_H
#define XL_HTML_H

#include <stdio.h>

#include "xl_err.h"
#include "xl_report.h"

/*
 * The sales report as one self-contained HTML5 page, to attach to an
 * e-mail: UTF-8, lang="ko", an inline style sheet, inline SVG charts, and
 * no JavaScript, no external fonts, images, style sheets or links, so it
 * reads the same offline and in a mail client's viewer.
 *
 * The page has the title and period, KPI cards (net revenue, gross sales,
 * refunds, orders, units, average order value, buyers) with the change
 * against the previous period, a line chart of net revenue per trend row,
 * a bar chart of the top products, a doughnut of the category shares, and
 * tables of the top products, categories and RFM segments. The order-line
 * detail (r->next_line) is not read: the page points to the xlsx/csv for it.
 * An empty report still gives a whole page that says there were no sales.
 * Every string from r is HTML-escaped; bytes that are not UTF-8 become
 * U+FFFD and control characters are dropped.
 */

/*
 * Write r to out. r and everything it points to are only read; out stays
 * the caller's (it is flushed, not closed). Returns 0; -XL_EINVAL when
 * r->currency is not one xl_money knows; -XL_EIO when writing to out
 * fails (out may then hold part of the page). err gets the message.
 */
int xl_html_report_write(const struct xl_report *r, FILE *out, struct xl_err *err);

#endif
