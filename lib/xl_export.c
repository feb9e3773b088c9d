#include "xl_export.h"

#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_buf.h"
#include "xl_enc.h"
#include "xl_table.h"
#include "xl_time.h"
#include "xl_banned.h"

#define OID_BOOL 16
#define OID_TIMESTAMP 1114
#define OID_TIMESTAMPTZ 1184

struct run {
	const struct xl_export_opts *o;
	xl_export_write_fn *write;
	void *arg;
	struct xl_export_stats st;
	struct xl_enc *enc;
	struct xl_buf row;
};

/* Add an identifier, quoted by the server's rules. */
static int add_ident(struct xl_db *db, struct xl_buf *b, const char *name, struct xl_err *err)
{
	char *q = PQescapeIdentifier(xl_db_conn(db), name, strlen(name));

	if (!q)
		return xl_err_set(err, XL_EINVAL, "invalid name '%s'", name);
	xl_buf_adds(b, q);
	PQfreemem(q);
	return 0;
}

/*
 * COPY takes no parameters, so a time bound is spliced in. It is safe: the
 * text is one we wrote ourselves from a parsed instant (digits, '-', ':',
 * 'T', '.', 'Z'), and it is quoted as a literal all the same.
 */
static int add_time_literal(struct xl_db *db, struct xl_buf *b, const char *what,
			    const char *text, struct xl_err *err)
{
	char canon[XL_TIME_BUFSZ], *lit;
	int64_t us;

	if (xl_time_parse(text, &us, err) < 0)
		return xl_err_prefix(err, "%s: ", what);
	xl_time_format(canon, sizeof(canon), us, 0, 6);
	lit = PQescapeLiteral(xl_db_conn(db), canon, strlen(canon));
	if (!lit)
		return xl_err_set(err, XL_EINVAL, "invalid time '%s'", text);
	xl_buf_adds(b, lit);
	PQfreemem(lit);
	return 0;
}

/* The inner SELECT for table mode: filtered by time, in primary key order. */
static int table_query(struct xl_db *db, const struct xl_export_opts *o, struct xl_buf *q,
		       struct xl_err *err)
{
	char **pk = NULL, *tcol = NULL;
	size_t npk = 0;
	int ret = xl_table_check(db, o->table, err);

	if (ret < 0)
		return ret;
	xl_buf_adds(q, "SELECT * FROM ");
	add_ident(db, q, o->table, err);
	if (o->since || o->until) {
		ret = xl_table_time_column(db, o->table, &tcol, err);
		if (ret < 0)
			return ret;
		xl_buf_adds(q, " WHERE ");
		if (o->since) {
			add_ident(db, q, tcol, err);
			xl_buf_adds(q, " >= ");
			ret = add_time_literal(db, q, "--since", o->since, err);
		}
		if (ret == 0 && o->until) {
			if (o->since)
				xl_buf_adds(q, " AND ");
			add_ident(db, q, tcol, err);
			xl_buf_adds(q, " < ");
			ret = add_time_literal(db, q, "--until", o->until, err);
		}
		free(tcol);
		if (ret < 0)
			return ret;
	}
	ret = xl_table_primary_key(db, o->table, &pk, &npk, err);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < npk; i++) {
		xl_buf_adds(q, i ? ", " : " ORDER BY ");
		add_ident(db, q, pk[i], err);
		free(pk[i]);
	}
	free(pk);
	return 0;
}

/* The user's query without trailing semicolons, which COPY ( ... ) refuses. */
static void user_query(const char *sql, struct xl_buf *q)
{
	size_t n = strlen(sql);

	while (n > 0 && (sql[n - 1] == ';' || sql[n - 1] == ' ' || sql[n - 1] == '\n' ||
			 sql[n - 1] == '\t' || sql[n - 1] == '\r'))
		n--;
	xl_buf_add(q, sql, n);
}

/*
 * The select list over the inner query: timestamps as RFC 3339 text in UTC
 * ("...Z", with microseconds only when there are any), and for CSV
 * booleans as true/false.
 */
static int select_list(struct xl_db *db, const char *inner, int csv, struct xl_buf *list,
		       struct xl_err *err)
{
	struct xl_buf probe = XL_BUF_INIT;
	PGresult *res = NULL;
	int ret;

	xl_buf_addf(&probe, "SELECT * FROM (%s) q LIMIT 0", inner);
	ret = xl_db_exec(db, probe.buf, 0, NULL, &res, err);
	xl_buf_release(&probe);
	if (ret < 0)
		return ret;
	for (int i = 0; i < PQnfields(res); i++) {
		struct xl_buf col = XL_BUF_INIT;
		Oid type = PQftype(res, i);

		add_ident(db, &col, PQfname(res, i), err);
		if (i)
			xl_buf_adds(list, ", ");
		if (type == OID_TIMESTAMPTZ)
			xl_buf_addf(list,
				    "CASE WHEN date_trunc('second', q.%s) = q.%s "
				    "THEN to_char(q.%s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
				    "ELSE to_char(q.%s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') END AS %s",
				    col.buf, col.buf, col.buf, col.buf, col.buf);
		else if (type == OID_TIMESTAMP)
			xl_buf_addf(list, "to_char(q.%s, 'YYYY-MM-DD\"T\"HH24:MI:SS.US') AS %s", col.buf, col.buf);
		else if (type == OID_BOOL && csv)
			xl_buf_addf(list, "q.%s::text AS %s", col.buf, col.buf);
		else
			xl_buf_addf(list, "q.%s", col.buf);
		xl_buf_release(&col);
	}
	if (PQnfields(res) == 0)
		xl_buf_adds(list, "*");
	PQclear(res);
	return 0;
}

/* COPY's text format escapes backslashes (and controls, which JSON text has none of). */
static void copy_text_unescape(const char *s, size_t n, struct xl_buf *out)
{
	size_t start = 0;

	for (size_t i = 0; i < n; i++) {
		char c;

		if (s[i] != '\\' || i + 1 >= n)
			continue;
		xl_buf_add(out, s + start, i - start);
		c = s[++i];
		switch (c) {
		case 'n': c = '\n'; break;
		case 't': c = '\t'; break;
		case 'r': c = '\r'; break;
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'v': c = '\v'; break;
		default: break;
		}
		xl_buf_addch(out, c);
		start = i + 1;
	}
	xl_buf_add(out, s + start, n - start);
}

static int on_row(const char *data, size_t len, void *argp, struct xl_err *err)
{
	struct run *r = argp;
	int ret;

	xl_buf_reset(&r->row);
	if (r->o->format == XL_EXPORT_NDJSON) {
		copy_text_unescape(data, len, &r->row);
	} else if (r->enc) {
		ret = xl_enc_convert(r->enc, data, len, &r->row, 1, &r->st.replaced, err);
		if (ret < 0)
			return ret;
	} else {
		xl_buf_add(&r->row, data, len);
	}
	/* The header is row 0 in CSV; every piece ends in one '\n'. */
	if (r->o->excel && r->row.len && r->row.buf[r->row.len - 1] == '\n') {
		xl_buf_setlen(&r->row, r->row.len - 1);
		xl_buf_add(&r->row, "\r\n", 2);
	}
	r->st.rows++;
	r->st.bytes += r->row.len;
	return r->write(r->row.buf, r->row.len, r->arg, err);
}

int xl_export_check(const struct xl_export_opts *o, struct xl_err *err)
{
	if (!o->table == !o->sql)
		return xl_err_set(err, XL_EINVAL, "give either a table or an SQL query to export");
	if (o->sql && (o->since || o->until))
		return xl_err_set(err, XL_EINVAL, "--since and --until work with --table, not --sql");
	if (o->format != XL_EXPORT_CSV && (o->excel || o->cp949))
		return xl_err_set(err, XL_EINVAL, "--excel and --encoding are for CSV output");
	return 0;
}

int xl_export_run(struct xl_db *db, const struct xl_export_opts *o, xl_export_write_fn *write,
		  void *arg, struct xl_export_stats *stats, struct xl_err *err)
{
	struct xl_buf inner = XL_BUF_INIT, list = XL_BUF_INIT, copy = XL_BUF_INIT;
	struct run r = { o, write, arg, { 0, 0, 0 }, NULL, XL_BUF_INIT };
	int ret = xl_export_check(o, err);

	if (ret < 0)
		return ret;
	if (o->cp949 && (ret = xl_enc_open(&r.enc, "CP949", "UTF-8", err)) < 0)
		return ret;
	ret = xl_db_exec(db, "BEGIN READ ONLY", 0, NULL, NULL, err);
	if (ret == 0)
		ret = xl_db_exec(db, "SET LOCAL TimeZone = 'UTC'", 0, NULL, NULL, err);
	if (ret < 0)
		goto out;
	if (o->table)
		ret = table_query(db, o, &inner, err);
	else
		user_query(o->sql, &inner);
	if (ret < 0)
		goto rollback;
	ret = select_list(db, inner.buf, o->format == XL_EXPORT_CSV, &list, err);
	if (ret < 0)
		goto rollback;
	if (o->format == XL_EXPORT_NDJSON) {
		xl_buf_addf(&copy, "COPY (SELECT row_to_json(r)::text FROM (SELECT %s FROM (%s) q) r) TO STDOUT",
			    list.buf, inner.buf);
	} else {
		xl_buf_addf(&copy, "COPY (SELECT %s FROM (%s) q) TO STDOUT WITH (FORMAT csv, HEADER true)",
			    list.buf, inner.buf);
		/* The byte order mark says UTF-8: none in front of CP949. */
		if (o->excel && !o->cp949 && (ret = write("\xEF\xBB\xBF", 3, arg, err)) < 0)
			goto rollback;
	}
	ret = xl_db_copy_out(db, copy.buf, on_row, &r, err);
	if (ret < 0)
		goto rollback;
	if (o->format == XL_EXPORT_CSV && r.st.rows)
		r.st.rows--;   /* the header */
	ret = xl_db_exec(db, "COMMIT", 0, NULL, NULL, err);
	goto out;
rollback:
	{
		struct xl_err ignore = XL_ERR_INIT;

		xl_db_exec(db, "ROLLBACK", 0, NULL, NULL, &ignore);
	}
out:
	if (stats)
		*stats = r.st;
	xl_enc_free(r.enc);
	xl_buf_release(&r.row);
	xl_buf_release(&inner);
	xl_buf_release(&list);
	xl_buf_release(&copy);
	return ret;
}
