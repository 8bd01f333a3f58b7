/*
 * backends/sqlite/occupants.c: live occupants (palaver/store.h minor 3) in
 * the `occupants` table (schema version 3): one row per (room, nick), keyed
 * by the room's name (temporary rooms have occupants too, and a put must
 * not create room rows). pos is the room's largest plus one at the first
 * put and kept by later ones (the upsert changes only data), so a load in
 * pos order is the order occupants were first put. Each put is one
 * statement, atomic on its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite.h"

void sq_occupant_put(void *h, const char *room, const char *nick, const char *data,
                     pv_store_done_fn cb, void *ud)
{
    sq_store_t *s = h;
    sq_batch_end(s); /* a write: not inside room_list's read transaction */
    sqlite3_stmt *st = sq_stmt(s, data ? ST_OCC_PUT : ST_OCC_DELETE);
    if (!st) {
        cb(PV_STORE_EIO, s->err, ud);
        return;
    }
    sqlite3_bind_text(st, 1, room, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, nick, -1, SQLITE_STATIC);
    if (data)
        sqlite3_bind_text(st, 3, data, -1, SQLITE_STATIC);
    if (sq_step_write(s, st, room, data ? "storing an occupant" : "removing an occupant") < 0)
        cb(PV_STORE_EIO, s->err, ud);
    else
        cb(PV_STORE_OK, NULL, ud);
}

static void free_kv(pv_kv_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free((char *)v[i].key);
        free((char *)v[i].value);
    }
    free(v);
}

void sq_occupants_load(void *h, const char *room,
                       void (*cb)(int status, const char *error, const pv_kv_t *occupants, size_t n,
                                  void *ud),
                       void *ud)
{
    sq_store_t *s = h;
    sq_batch_end(s);
    sqlite3_stmt *st = sq_stmt(s, ST_OCC_LOAD);
    if (!st) {
        cb(PV_STORE_EIO, s->err, NULL, 0, ud);
        return;
    }
    sqlite3_bind_text(st, 1, room, -1, SQLITE_STATIC);
    pv_kv_t *v = NULL;
    size_t n = 0, cap = 0;
    int rc, status = PV_STORE_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *nick = (const char *)sqlite3_column_text(st, 0);
        const char *data = (const char *)sqlite3_column_text(st, 1);
        if (n == cap) {
            size_t c2 = cap ? cap * 2 : 16;
            pv_kv_t *v2 = realloc(v, c2 * sizeof(*v2));
            if (!v2) {
                status = PV_STORE_ENOMEM;
                break;
            }
            v = v2;
            cap = c2;
        }
        char *k = strdup(nick ? nick : ""), *d = strdup(data ? data : "");
        if (!k || !d) {
            free(k);
            free(d);
            status = PV_STORE_ENOMEM;
            break;
        }
        v[n++] = (pv_kv_t){k, d};
    }
    if (status == PV_STORE_OK && rc != SQLITE_DONE) {
        sq_error(s, room, "loading occupants");
        status = PV_STORE_EIO;
    }
    sqlite3_reset(st);
    if (status == PV_STORE_ENOMEM)
        snprintf(s->err, sizeof(s->err), "room %s: out of memory loading occupants", room);
    cb(status, status ? s->err : NULL, status ? NULL : v, status ? 0 : n, ud);
    free_kv(v, n);
}
