#include "xl_events.h"

#include <stdio.h>
#include <stdlib.h>

#include "xl_buf.h"
#include "xl_jsonl.h"
#include "xl_num.h"
#include "xl_banned.h"

int xl_events_read(struct xl_db *db, int64_t after, const char *topic, int limit,
		   xl_events_fn *fn, void *arg, struct xl_err *err)
{
	char after_s[24], limit_s[16];
	const char *params[] = { after_s, topic, limit_s };
	struct xl_buf line = XL_BUF_INIT;
	PGresult *res = NULL;
	int ret, n;

	snprintf(after_s, sizeof(after_s), "%lld", (long long)after);
	snprintf(limit_s, sizeof(limit_s), "%d", limit);
	ret = xl_db_exec(db,
		"SELECT id, json_build_object('id', id, 'topic', topic, 'key', key, 'payload', payload,"
		" 'created_at', to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'))::text "
		"FROM events WHERE id > $1 AND ($2::text IS NULL OR topic = $2) "
		/*
		 * Only events whose transaction is older than every transaction
		 * still running: one of those may hold a smaller id and commit
		 * later, and reading past it would skip it for good.
		 */
		"AND age(xmin) > age(((pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
		" % 4294967296)::text)::xid) "
		"ORDER BY id LIMIT $3",
		3, params, &res, err);
	if (ret < 0)
		return ret;
	n = PQntuples(res);
	for (int i = 0; i < n && ret == 0; i++) {
		json_t *rec = NULL;
		int64_t id = 0;

		/* The server's JSON text has spaces after ':' and ','; records are compact. */
		xl_num_parse_i64(PQgetvalue(res, i, 0), &id);
		ret = xl_jsonl_parse(PQgetvalue(res, i, 1), (size_t)PQgetlength(res, i, 1), &rec, err);
		if (ret == 0) {
			xl_buf_reset(&line);
			ret = xl_jsonl_dump(&line, rec);
			json_decref(rec);
		}
		if (ret == 0) {
			ret = fn(line.buf, line.len, id, arg, err);
		} else {
			/* Numbers jansson cannot hold (beyond 64 bits): pass the server's text on. */
			ret = fn(PQgetvalue(res, i, 1), (size_t)PQgetlength(res, i, 1), id, arg, err);
		}
	}
	xl_buf_release(&line);
	PQclear(res);
	return ret < 0 ? ret : n;
}

int xl_events_listen(struct xl_db *db, struct xl_err *err)
{
	int ret = xl_db_listen(db, XL_EVENTS_CHANNEL, err);

	if (ret == 0)
		ret = xl_db_exec_script(db, "BEGIN; "
					"DELETE FROM event_listeners WHERE pid NOT IN (SELECT pid FROM pg_stat_activity); "
					"INSERT INTO event_listeners (pid) VALUES (pg_backend_pid()) "
					"ON CONFLICT (pid) DO UPDATE SET since = now(); "
					"SELECT pg_advisory_xact_lock(20261126); COMMIT", err);
	if (ret < 0)
		xl_db_exec(db, "ROLLBACK", 0, NULL, NULL, NULL);
	return ret;
}

int xl_events_held_back(struct xl_db *db, int64_t after, const char *topic, struct xl_err *err)
{
	char after_s[24];
	const char *params[] = { after_s, topic };
	char *v = NULL;
	int ret;

	snprintf(after_s, sizeof(after_s), "%lld", (long long)after);
	ret = xl_db_query_value(db,
		"SELECT 1 FROM events WHERE id > $1 AND ($2::text IS NULL OR topic = $2) LIMIT 1",
		2, params, &v, err);
	if (ret < 0)
		return ret;
	ret = v != NULL;
	free(v);
	return ret;
}

int xl_events_offset(struct xl_db *db, const char *group, const char *topic, int64_t *id,
		     struct xl_err *err)
{
	const char *params[] = { group, topic ? topic : XL_EVENTS_ALL_TOPICS };
	char *v = NULL;
	int ret = xl_db_query_value(db,
		"SELECT last_event_id FROM consumer_offsets WHERE consumer = $1 AND topic = $2",
		2, params, &v, err);

	if (ret < 0)
		return ret;
	*id = 0;
	if (v)
		xl_num_parse_i64(v, id);
	free(v);
	return 0;
}

int xl_events_commit(struct xl_db *db, const char *group, const char *topic, int64_t id,
		     struct xl_err *err)
{
	char id_s[24];
	const char *params[] = { group, topic ? topic : XL_EVENTS_ALL_TOPICS, id_s };

	snprintf(id_s, sizeof(id_s), "%lld", (long long)id);
	return xl_db_exec(db,
		"INSERT INTO consumer_offsets (consumer, topic, last_event_id) VALUES ($1, $2, $3) "
		"ON CONFLICT (consumer, topic) DO UPDATE "
		"SET last_event_id = greatest(consumer_offsets.last_event_id, EXCLUDED.last_event_id)",
		3, params, NULL, err);
}

int xl_events_append(struct xl_db *db, const char *topic, const char *key,
		     const char *payload_json, int64_t *id, struct xl_err *err)
{
	const char *params[] = { topic, key, payload_json };
	char *v = NULL;
	int ret = xl_db_query_value(db,
		"INSERT INTO events (topic, key, payload) VALUES ($1, $2, $3::jsonb) RETURNING id",
		3, params, &v, err);

	if (ret == 0 && id)
		xl_num_parse_i64(v, id);
	free(v);
	return ret;
}
