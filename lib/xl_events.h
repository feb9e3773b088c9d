#ifndef XL_EVENTS_H
#define XL_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "xl_db.h"
#include "xl_err.h"

/*
 * The outbox: the events table, read in id order as NDJSON records
 * {"id","topic","key","payload","created_at"}, with consumer-group offsets
 * in consumer_offsets. Writers notify XL_EVENTS_CHANNEL (a trigger does it
 * for every insert) while a follower is listening; the notification is
 * only a hint to read the table.
 */
#define XL_EVENTS_CHANNEL "xlcfi_events"

/* The topic key under which a group's offset is kept when it reads all topics. */
#define XL_EVENTS_ALL_TOPICS "*"

/*
 * LISTEN for new events and register this connection as a listener, so
 * that writers notify (they skip NOTIFY, which serialises commits, when
 * nobody listens). Returns once every writer that may have missed the
 * registration has committed. Registrations of backends that are gone are
 * removed. Errors as xl_db_exec.
 */
int xl_events_listen(struct xl_db *db, struct xl_err *err);

/*
 * Called for each event with its record as compact JSON text (no newline;
 * borrowed for the call) and its id. 0 to go on, negative to stop.
 */
typedef int xl_events_fn(const char *json, size_t len, int64_t id, void *arg, struct xl_err *err);

/*
 * Read up to limit events with id > after (of one topic, or all when topic
 * is NULL), in id order. An event is held back while a transaction older
 * than its own is still running, since that one may commit a smaller id:
 * so a reader that moves its offset forward never skips an event. Returns the number read (0 when there are none
 * yet), or the callback's or the database's error.
 */
int xl_events_read(struct xl_db *db, int64_t after, const char *topic, int limit,
		   xl_events_fn *fn, void *arg, struct xl_err *err);

/*
 * 1 if events after `after` exist that xl_events_read holds back (an older
 * transaction is still running), else 0; or an error.
 */
int xl_events_held_back(struct xl_db *db, int64_t after, const char *topic, struct xl_err *err);

/* A group's committed offset for a topic (NULL = all): 0 if it has none. */
int xl_events_offset(struct xl_db *db, const char *group, const char *topic, int64_t *id,
		     struct xl_err *err);

/*
 * Commit a group's offset: the id of the last event it has fully handled.
 * Offsets never move backwards.
 */
int xl_events_commit(struct xl_db *db, const char *group, const char *topic, int64_t id,
		     struct xl_err *err);

/*
 * Append an event (used by commands that change state, inside their own
 * transaction, and by tests). payload_json must be a JSON object's text.
 * *id (may be NULL) receives its id.
 */
int xl_events_append(struct xl_db *db, const char *topic, const char *key,
		     const char *payload_json, int64_t *id, struct xl_err *err);

#endif
