/*
 * backends/pgsql/archive.c: the message archive as queued statements.
 * Appends are batched (below): one INSERT of many rows (palaver_room_id
 * finds or adds each room's row) per round trip; a query is one call of palaver_archive_query
 * asking for max+1 rows, the extra row telling that the page is not complete.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <palaver/log.h>

#include "pgsql.h"
#include "query.h"

/* ---- appends, batched ----
 * Appends queued behind a statement in flight join one INSERT of up to
 * BATCH_MAX rows (unnest of one array per column), sent when the queue
 * reaches it: one round trip and one commit for every message that arrived
 * meanwhile, instead of one each. The batch stays open while it is the last
 * queued operation and not yet sent (an operation queued after it closes it,
 * so the order of operations is kept). Each row is fenced by its own room's
 * lease (holder and epoch arrays bound when the batch is sent, as
 * pg_fence_bind does for single writes). The arrays go in the binary
 * format (binarray.c: no literal for the server to parse). The callbacks
 * run after the statement's result, in order. When the statement fails
 * for one row (a duplicate id: EINVAL, a lease that moved on: EBUSY),
 * nothing was written and the rows are sent again one by one, at the head
 * of the queue, so that each gets its own answer; any other failure fails
 * every row. */
#define BATCH_MAX 1000

typedef struct append_row {
    char *v[6]; /* room, id, stamp, nick, jid, xml (owned; nick, jid may be NULL) */
    pv_store_done_fn cb;
    void *ud;
} append_row_t;

typedef struct append_batch {
    append_row_t *rows;
    size_t n, cap;
} append_batch_t;

/* The room's row id is read with a plain index lookup, and palaver_room_id
 * (a PL/pgSQL call that may add the row) runs only for a room that has no
 * row yet; palaver_fence only for a room whose lease this instance holds
 * (without one it lets every row pass). A function call per row was most
 * of the server's time for a batch. */
static const char BATCH_SQL[] =
    "INSERT INTO archive (room_id, msg_id, stamp_us, nick, jid, xml)"
    " SELECT COALESCE((SELECT id FROM rooms WHERE name = u.r), palaver_room_id(u.r)),"
    " u.m, u.s, u.n, u.j, u.x FROM unnest($1::text[], $2::text[],"
    " $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[])"
    " WITH ORDINALITY AS u(r, m, s, n, j, x, h, e, i)"
    " WHERE u.h IS NULL OR (SELECT palaver_fence(u.r, u.h, u.e)) ORDER BY u.i";

static const char SINGLE_SQL[] = "INSERT INTO archive (room_id, msg_id, stamp_us, nick, jid, xml)"
                                 " SELECT palaver_room_id($1), $2, $3::bigint, $4, $5, $6"
                                 " WHERE (SELECT palaver_fence($1, $7, $8::bigint))";

static void batch_free(append_batch_t *b)
{
    for (size_t i = 0; b && i < b->n; i++)
        for (int k = 0; k < 6; k++)
            free(b->rows[i].v[k]);
    if (b)
        free(b->rows);
    free(b);
}

/* Column k of the rows, for pg_text_array. */
typedef struct column {
    const append_batch_t *b;
    int k;
} column_t;

static const char *column_get(const void *arr, size_t i)
{
    const column_t *c = arr;
    return c->b->rows[i].v[c->k];
}

/* Fence strings of row i (holder, epoch; NULL when no lease), from
 * pg_fence_bind on a stand-in operation. */
typedef struct fences {
    char **holder, **epoch;
} fences_t;

static const char *holder_get(const void *arr, size_t i)
{
    return ((const fences_t *)arr)->holder[i];
}

static const char *epoch_get(const void *arr, size_t i)
{
    return ((const fences_t *)arr)->epoch[i];
}

/* Just before the batch is sent: it closes, and its arrays are bound. */
static int batch_prepare(pg_store_t *s, pg_op_t *op)
{
    append_batch_t *b = op->batch;
    if (s->append_open == op)
        s->append_open = NULL;
    fences_t f = {calloc(b->n, sizeof(char *)), calloc(b->n, sizeof(char *))};
    int rc = f.holder && f.epoch ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < b->n; i++) {
        pg_op_t stand_in = {.fence = 1, .room = b->rows[i].v[0], .nparams = 3};
        if (pg_fence_bind(s, &stand_in) < 0)
            rc = -1;
        f.holder[i] = stand_in.params[1];
        f.epoch[i] = stand_in.params[2];
    }
    for (int k = 0; rc == 0 && k < 6; k++) {
        free(op->params[k]);
        op->params[k] = pg_bin_array(b->n, k == 2 ? PG_INT8_OID : PG_TEXT_OID, column_get,
                                     &(column_t){b, k}, &op->lengths[k]);
        if (!op->params[k])
            rc = -1;
    }
    if (rc == 0) {
        free(op->params[6]);
        free(op->params[7]);
        op->params[6] = pg_bin_array(b->n, PG_TEXT_OID, holder_get, &f, &op->lengths[6]);
        op->params[7] = pg_bin_array(b->n, PG_INT8_OID, epoch_get, &f, &op->lengths[7]);
        if (!op->params[6] || !op->params[7])
            rc = -1;
    }
    for (size_t i = 0; f.holder && f.epoch && i < b->n; i++) {
        free(f.holder[i]);
        free(f.epoch[i]);
    }
    free(f.holder);
    free(f.epoch);
    return rc;
}

static void batch_done(pg_op_t *op, const PGresult *r)
{
    (void)r;
    append_batch_t *b = op->batch;
    op->batch = NULL;
    for (size_t i = 0; i < b->n; i++)
        b->rows[i].cb(PV_STORE_OK, NULL, b->rows[i].ud);
    batch_free(b);
}

/* One row as its own fenced INSERT (the retry of a failed batch). */
static pg_op_t *single_op(pg_store_t *s, append_row_t *row)
{
    const char *p[8] = {row->v[0], row->v[1], row->v[2], row->v[3], row->v[4], row->v[5]};
    pg_op_t *op = pg_op_for_room(s, PG_DONE, SINGLE_SQL, 8, p, row->v[0]);
    if (!op)
        return NULL;
    op->flags = PG_EINVAL_IF_DUPLICATE;
    op->fence = 6;
    op->cb.done = row->cb;
    op->ud = row->ud;
    return op;
}

/* The batch failed. A row's own failure: every row again on its own, first
 * in the queue (the batch just left its head); anything else: all fail. */
static void batch_failed(pg_op_t *op, int status, const char *msg)
{
    pg_store_t *s = op->store;
    append_batch_t *b = op->batch;
    op->batch = NULL;
    if (s->append_open == op)
        s->append_open = NULL;
    bool retry = (status == PV_STORE_EINVAL || status == PV_STORE_EBUSY) && b->n > 1 && s->conn &&
                 !s->connecting && !s->sent;
    pg_op_t *first = NULL, *last = NULL;
    size_t i = 0;
    for (; retry && i < b->n; i++) {
        pg_op_t *one = single_op(s, &b->rows[i]);
        if (!one)
            break;
        if (last)
            last->next = one;
        else
            first = one;
        last = one;
    }
    if (first) { /* rows 0..i-1 go again; the others (out of memory) fail */
        last->next = s->head;
        s->head = first;
        if (!s->tail)
            s->tail = last;
    }
    for (size_t k = first ? i : 0; k < b->n; k++)
        b->rows[k].cb(first ? PV_STORE_ENOMEM : status, first ? "out of memory" : msg,
                      b->rows[k].ud);
    batch_free(b);
}

/* A new batch operation holding no row yet, or NULL (s->err set). */
static pg_op_t *batch_new(pg_store_t *s)
{
    const char *none[8] = {0};
    pg_op_t *op = pg_op_new(PG_CUSTOM, BATCH_SQL, 8, none);
    append_batch_t *b = calloc(1, sizeof *b);
    if (!op || !b) {
        pg_op_free(op);
        free(b);
        snprintf(s->err, sizeof(s->err), "out of memory queueing a message");
        pv_log(PV_LOG_ERROR, "pgsql", "%s", s->err);
        return NULL;
    }
    op->flags = PG_EINVAL_IF_DUPLICATE;
    op->store = s;
    op->batch = b;
    op->stmt_name = "palaver_archive_batch";
    op->binary = 1; /* its arrays, bound by batch_prepare */
    op->prepare = batch_prepare;
    op->on_result = batch_done;
    op->on_fail = batch_failed;
    return op;
}

/* Adds the row to batch b: 0, or -1 (out of memory, nothing added). */
static int batch_add(append_batch_t *b, const char *room, const pv_store_msg_t *msg,
                     pv_store_done_fn cb, void *ud)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16;
        append_row_t *rows = realloc(b->rows, cap * sizeof *rows);
        if (!rows)
            return -1;
        b->rows = rows;
        b->cap = cap;
    }
    char stamp[24];
    snprintf(stamp, sizeof(stamp), "%" PRId64, msg->stamp_us);
    const char *v[6] = {room, msg->id, stamp, msg->nick, msg->jid, msg->xml};
    append_row_t *row = &b->rows[b->n];
    int ok = 1;
    for (int k = 0; k < 6; k++)
        if ((row->v[k] = v[k] ? strdup(v[k]) : NULL) == NULL && v[k])
            ok = 0;
    if (!ok) {
        for (int k = 0; k < 6; k++)
            free(row->v[k]);
        return -1;
    }
    row->cb = cb;
    row->ud = ud;
    b->n++;
    return 0;
}

void pg_archive_append(void *h, const char *room, const pv_store_msg_t *msg, pv_store_done_fn cb,
                       void *ud)
{
    pg_store_t *s = h;
    pg_op_t *op = s->append_open;
    if (op && (op != s->tail || ((append_batch_t *)op->batch)->n >= BATCH_MAX))
        op = s->append_open = NULL; /* something was queued after it, or it is full */
    bool fresh = !op;
    if (fresh && !(op = batch_new(s))) {
        cb(PV_STORE_ENOMEM, s->err, ud);
        return;
    }
    if (batch_add(op->batch, room, msg, cb, ud) < 0) {
        if (fresh) {
            batch_free(op->batch);
            op->batch = NULL;
            pg_op_free(op);
        }
        pv_log(PV_LOG_ERROR, "pgsql", "room %s: out of memory queueing a message", room);
        cb(PV_STORE_ENOMEM, "out of memory", ud);
        return;
    }
    if (!fresh)
        return;
    s->append_open = op;
    pg_submit(s, op); /* sent at once when nothing is in flight (prepare closes it) */
}

void pg_archive_query(void *h, const char *room, const pv_store_query_t *q, pv_store_msgs_fn cb,
                      void *ud)
{
    static const pv_store_query_t none;
    pg_store_t *s = h;
    if (!q)
        q = &none;
    size_t max = query_max(q);
    char start[24], end[24], limit[24];
    snprintf(start, sizeof(start), "%" PRId64, q->start_us ? q->start_us : INT64_MIN);
    snprintf(end, sizeof(end), "%" PRId64, q->end_us ? q->end_us : INT64_MAX);
    snprintf(limit, sizeof(limit), "%zu", max < (size_t)INT64_MAX ? max + 1 : max);
    int back = query_backwards(q);
    pg_op_t *op = pg_op_for_room(
        s, PG_MSGS, "SELECT * FROM palaver_archive_query($1, $2, $3, $4, $5, $6, $7, $8)", 8,
        (const char *const[]){room, q->after_id, q->before_id, start, end, q->with_nick, limit,
                              back ? "t" : "f"},
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
    pg_submit_done(s,
                   "UPDATE archive SET xml = $3 WHERE (SELECT palaver_fence($1, $4, $5::bigint))"
                   " AND room_id = (SELECT id FROM rooms WHERE name = $1) AND msg_id = $2",
                   PG_NOTFOUND_IF_NO_CHANGE, 3, (const char *const[]){room, id, xml}, room, cb, ud);
}

void pg_archive_delete(void *h, const char *room, pv_store_done_fn cb, void *ud)
{
    pg_store_t *s = h;
    pg_submit_done(s,
                   "DELETE FROM archive WHERE (SELECT palaver_fence($1, $2, $3::bigint))"
                   " AND room_id = (SELECT id FROM rooms WHERE name = $1)",
                   0, 1, (const char *const[]){room}, room, cb, ud);
}

void pg_archive_trim(void *h, const char *room, int64_t before_us, size_t keep_newest,
                     pv_store_done_fn cb, void *ud)
{
    pg_store_t *s = h;
    char before[24], keep[24];
    snprintf(before, sizeof(before), "%" PRId64, before_us);
    snprintf(keep, sizeof(keep), "%" PRId64,
             keep_newest > (size_t)INT64_MAX ? INT64_MAX : (int64_t)keep_newest);
    pg_submit_done(s,
                   "SELECT palaver_archive_trim($1, $2, $3)"
                   " WHERE (SELECT palaver_fence($1, $4, $5::bigint))",
                   0, 3, (const char *const[]){room, before, keep}, room, cb, ud);
}
