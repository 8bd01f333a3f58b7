/*
 * backends/pgsql/archive.c: the message archive as queued statements.
 * An append is one INSERT (palaver_room_id finds or adds the room's row); a
 * query is one call of palaver_archive_query asking for max+1 rows, the
 * extra row telling that the page is not complete.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <palaver/log.h>

#include "check.h"
#include "pgsql.h"

static pg_op_t *new_op(pg_store_t *s, pg_kind_t kind, const char *sql, int nparams,
                       const char *const *params, const char *room)
{
    pg_op_t *op = pg_op_new(kind, sql, nparams, params);
    if (op && !(op->room = strdup(room))) {
        pg_op_free(op);
        op = NULL;
    }
    if (!op) {
        snprintf(s->err, sizeof(s->err), "room %s: out of memory queueing an operation", room);
        pv_log(PV_LOG_ERROR, "pgsql", "%s", s->err);
    }
    return op;
}

/* A write for room, fenced (lease.c): the statement takes the holder and
 * epoch as its two parameters after the nparams given. */
static void submit_done(pg_store_t *s, const char *sql, int flags, int nparams,
                        const char *const *params, const char *room, pv_store_done_fn cb, void *ud)
{
    const char *all[PG_MAX_PARAMS] = {0};
    for (int i = 0; i < nparams; i++)
        all[i] = params[i];
    pg_op_t *op = new_op(s, PG_DONE, sql, nparams + 2, all, room);
    if (!op) {
        cb(PV_STORE_ENOMEM, s->err, ud);
        return;
    }
    op->flags = flags;
    op->fence = nparams;
    op->cb.done = cb;
    op->ud = ud;
    pg_submit(s, op);
}

void pg_archive_append(void *h, const char *room, const pv_store_msg_t *msg, pv_store_done_fn cb,
                       void *ud)
{
    pg_store_t *s = h;
    const char *bad = check_room_name(room);
    if (!bad)
        bad = check_msg(msg);
    if (bad) {
        cb(PV_STORE_EINVAL, bad, ud);
        return;
    }
    char stamp[24];
    snprintf(stamp, sizeof(stamp), "%" PRId64, msg->stamp_us);
    submit_done(s,
                "INSERT INTO archive (room_id, msg_id, stamp_us, nick, jid, xml)"
                " SELECT palaver_room_id($1), $2, $3::bigint, $4, $5, $6"
                " WHERE (SELECT palaver_fence($1, $7, $8::bigint))",
                PG_EINVAL_IF_DUPLICATE, 6,
                (const char *const[]){room, msg->id, stamp, msg->nick, msg->jid, msg->xml}, room,
                cb, ud);
}

void pg_archive_query(void *h, const char *room, const pv_store_query_t *q, pv_store_msgs_fn cb,
                      void *ud)
{
    static const pv_store_query_t none;
    pg_store_t *s = h;
    const char *bad = check_room_name(room);
    if (bad) {
        cb(PV_STORE_EINVAL, bad, NULL, 0, 0, ud);
        return;
    }
    if (!q)
        q = &none;
    size_t max = query_max(q);
    char start[24], end[24], limit[24];
    snprintf(start, sizeof(start), "%" PRId64, q->start_us ? q->start_us : INT64_MIN);
    snprintf(end, sizeof(end), "%" PRId64, q->end_us ? q->end_us : INT64_MAX);
    snprintf(limit, sizeof(limit), "%zu", max < (size_t)INT64_MAX ? max + 1 : max);
    int back = query_backwards(q);
    pg_op_t *op =
        new_op(s, PG_MSGS, "SELECT * FROM palaver_archive_query($1, $2, $3, $4, $5, $6, $7, $8)", 8,
               (const char *const[]){room, q->after_id, q->before_id, start, end, q->with_nick,
                                     limit, back ? "t" : "f"},
               room);
    if (!op) {
        cb(PV_STORE_ENOMEM, s->err, NULL, 0, 0, ud);
        return;
    }
    op->max = max;
    op->backward = back;
    op->cb.msgs = cb;
    op->ud = ud;
    pg_submit(s, op);
}

void pg_archive_replace(void *h, const char *room, const char *id, const char *xml,
                        pv_store_done_fn cb, void *ud)
{
    pg_store_t *s = h;
    const char *bad = check_room_name(room);
    if (!bad)
        bad = check_id(id);
    if (!bad && !xml)
        bad = "replacement xml is NULL";
    if (bad) {
        cb(PV_STORE_EINVAL, bad, ud);
        return;
    }
    submit_done(s,
                "UPDATE archive SET xml = $3 WHERE (SELECT palaver_fence($1, $4, $5::bigint))"
                " AND room_id = (SELECT id FROM rooms WHERE name = $1) AND msg_id = $2",
                PG_NOTFOUND_IF_NO_CHANGE, 3, (const char *const[]){room, id, xml}, room, cb, ud);
}

void pg_archive_delete(void *h, const char *room, pv_store_done_fn cb, void *ud)
{
    pg_store_t *s = h;
    const char *bad = check_room_name(room);
    if (bad) {
        cb(PV_STORE_EINVAL, bad, ud);
        return;
    }
    submit_done(s,
                "DELETE FROM archive WHERE (SELECT palaver_fence($1, $2, $3::bigint))"
                " AND room_id = (SELECT id FROM rooms WHERE name = $1)",
                0, 1, (const char *const[]){room}, room, cb, ud);
}

void pg_archive_trim(void *h, const char *room, int64_t before_us, size_t keep_newest,
                     pv_store_done_fn cb, void *ud)
{
    pg_store_t *s = h;
    const char *bad = check_room_name(room);
    if (bad) {
        cb(PV_STORE_EINVAL, bad, ud);
        return;
    }
    char before[24], keep[24];
    snprintf(before, sizeof(before), "%" PRId64, before_us);
    snprintf(keep, sizeof(keep), "%" PRId64,
             keep_newest > (size_t)INT64_MAX ? INT64_MAX : (int64_t)keep_newest);
    submit_done(s,
                "SELECT palaver_archive_trim($1, $2, $3)"
                " WHERE (SELECT palaver_fence($1, $4, $5::bigint))",
                0, 3, (const char *const[]){room, before, keep}, room, cb, ud);
}
