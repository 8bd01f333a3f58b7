/*
 * backends/pgsql/occupants.c: live occupants (palaver/store.h, minor 3),
 * so that another instance taking a room over finds who is in it.
 *
 * One row per (room, nick) in `occupants`; pos is a sequence value given at
 * the first put and kept by later ones (ON CONFLICT updates only data), so
 * a load in pos order is the order occupants were first put. Rows are keyed
 * by the room's name, not its rooms row: temporary rooms have occupants
 * too, and a put must not create room rows. A put is a fenced write
 * (lease.c).
 */
#include <stdlib.h>
#include <string.h>

#include <palaver/log.h>

#include "pgsql.h"

typedef void (*occupants_fn)(int status, const char *error, const pv_kv_t *occupants, size_t n,
                             void *ud);

static const char put_sql[] = "INSERT INTO occupants (room, nick, data) SELECT $1, $2, $3"
                              " WHERE (SELECT palaver_fence($1, $4, $5::bigint))"
                              " ON CONFLICT (room, nick) DO UPDATE SET data = excluded.data";

static const char remove_sql[] = "DELETE FROM occupants"
                                 " WHERE (SELECT palaver_fence($1, $3, $4::bigint))"
                                 " AND room = $1 AND nick = $2";

void pg_occupant_put(void *h, const char *room, const char *nick, const char *data,
                     pv_store_done_fn cb, void *ud)
{
    if (data)
        pg_submit_done(h, put_sql, 0, 3, (const char *const[]){room, nick, data}, room, cb, ud);
    else
        pg_submit_done(h, remove_sql, 0, 2, (const char *const[]){room, nick}, room, cb, ud);
}

static void load_fail(pg_op_t *op, int status, const char *msg)
{
    ((occupants_fn)op->user_cb)(status, msg, NULL, 0, op->ud);
}

/* Rows (nick, data) in pos order. */
static void load_result(pg_op_t *op, const PGresult *r)
{
    int n = PQntuples(r);
    pv_kv_t *v = calloc((size_t)n + 1, sizeof(*v));
    if (!v) {
        ((occupants_fn)op->user_cb)(PV_STORE_ENOMEM, "out of memory loading occupants", NULL, 0,
                                    op->ud);
        return;
    }
    for (int i = 0; i < n; i++)
        v[i] = (pv_kv_t){PQgetvalue(r, i, 0), PQgetvalue(r, i, 1)};
    ((occupants_fn)op->user_cb)(PV_STORE_OK, NULL, v, (size_t)n, op->ud);
    free(v);
}

void pg_occupants_load(void *h, const char *room, occupants_fn cb, void *ud)
{
    pg_store_t *s = h;
    pg_op_t *op = pg_op_for_room(s, PG_CUSTOM,
                                 "SELECT nick, data FROM occupants WHERE room = $1 ORDER BY pos", 1,
                                 (const char *const[]){room}, room);
    if (!op) {
        cb(PV_STORE_ENOMEM, s->err, NULL, 0, ud);
        return;
    }
    op->store = s;
    op->on_result = load_result;
    op->on_fail = load_fail;
    op->user_cb = (void (*)(void))cb;
    op->ud = ud;
    pg_submit(s, op);
}
