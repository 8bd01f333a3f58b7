/*
 * backends/pgsql/rooms.c: rooms, affiliations and registrations as queued
 * statements. Multi-row changes go to the server as text[] arrays in one
 * call of a PL/pgSQL function (schema.c), which applies all or nothing.
 */
#include <stdlib.h>
#include <string.h>

#include <palaver/log.h>

#include "listing.h"
#include "pgsql.h"

char *pg_text_array(size_t n, const char *(*get)(const void *arr, size_t i), const void *arr)
{
    size_t len = 3;
    for (size_t i = 0; i < n; i++) {
        const char *v = get(arr, i);
        len += 5; /* quotes, comma, or NULL */
        for (; v && *v; v++)
            len += (*v == '"' || *v == '\\') ? 2 : 1;
    }
    char *out = malloc(len), *p = out;
    if (!out)
        return NULL;
    *p++ = '{';
    for (size_t i = 0; i < n; i++) {
        const char *v = get(arr, i);
        if (i)
            *p++ = ',';
        if (!v) {
            memcpy(p, "NULL", 4);
            p += 4;
            continue;
        }
        *p++ = '"';
        for (; *v; v++) {
            if (*v == '"' || *v == '\\')
                *p++ = '\\';
            *p++ = *v;
        }
        *p++ = '"';
    }
    *p++ = '}';
    *p = '\0';
    return out;
}

void pg_room_list(void *h, pv_store_names_fn cb, void *ud)
{
    pg_store_t *s = h;
    pg_op_t *op = pg_op_for_room(s, PG_NAMES, "SELECT name FROM rooms WHERE stored ORDER BY name",
                                 0, NULL, NULL);
    if (!op) {
        cb(PV_STORE_ENOMEM, s->err, NULL, 0, ud);
        return;
    }
    op->cb.names = cb;
    op->ud = ud;
    pg_submit(s, op);
}

/* One page and the count in one statement: the count row always comes
 * (name NULL when the page is empty); the page is a range of a partial
 * index on name COLLATE "C" (schema.c), so byte order and no scan. */
#define PAGE_SQL(cond)                                                                             \
    "SELECT r.name, r.title, r.public, c.n FROM"                                                   \
    " (SELECT CASE WHEN $3 THEN (SELECT " cond " FROM room_counts LIMIT 1) END AS n) c"            \
    " LEFT JOIN LATERAL (SELECT name, title, public FROM rooms WHERE " cond                        \
    "  AND name COLLATE \"C\" > $1 ORDER BY name COLLATE \"C\" LIMIT $2) r ON true"                \
    " ORDER BY r.name COLLATE \"C\""

void pg_rooms_list(void *h, const char *after, size_t max, unsigned flags, pv_store_entries_fn cb,
                   void *ud)
{
    pg_store_t *s = h;
    char limit[32];
    snprintf(limit, sizeof(limit), "%zu", list_max(max) > 100000 ? (size_t)100000 : list_max(max));
    const char *params[3] = {after ? after : "", limit, (flags & PV_STORE_LIST_COUNT) ? "t" : "f"};
    pg_op_t *op = pg_op_for_room(
        s, PG_ENTRIES, (flags & PV_STORE_LIST_PUBLIC) ? PAGE_SQL("public") : PAGE_SQL("stored"), 3,
        params, NULL);
    if (!op) {
        cb(PV_STORE_ENOMEM, s->err, NULL, 0, -1, ud);
        return;
    }
    op->cb.entries = cb;
    op->ud = ud;
    pg_submit(s, op);
}

static const char load_sql[] =
    "SELECT 0 AS kind, c.pos, c.key, c.value, NULL FROM rooms r"
    "  JOIN room_config c ON c.room_id = r.id WHERE r.name = $1 AND r.stored"
    " UNION ALL SELECT 1, 0, a.jid, a.affiliation, a.reason FROM rooms r"
    "  JOIN affiliations a ON a.room_id = r.id WHERE r.name = $1 AND r.stored"
    " UNION ALL SELECT 2, 0, g.jid, g.nick, NULL FROM rooms r"
    "  JOIN registrations g ON g.room_id = r.id WHERE r.name = $1 AND r.stored"
    " UNION ALL SELECT 3, 0, NULL, NULL, NULL FROM rooms r WHERE r.name = $1 AND r.stored"
    " ORDER BY 1, 2, 3";

void pg_room_load(void *h, const char *name, pv_store_room_fn cb, void *ud)
{
    pg_store_t *s = h;
    pg_op_t *op = pg_op_for_room(s, PG_ROOM, load_sql, 1, (const char *const[]){name}, name);
    if (!op) {
        cb(PV_STORE_ENOMEM, s->err, NULL, ud);
        return;
    }
    op->cb.room = cb;
    op->ud = ud;
    pg_submit(s, op);
}

static const char *kv_key(const void *arr, size_t i)
{
    return ((const pv_kv_t *)arr)[i].key;
}

static const char *kv_value(const void *arr, size_t i)
{
    return ((const pv_kv_t *)arr)[i].value;
}

void pg_room_put(void *h, const char *name, const pv_kv_t *config, size_t n, pv_store_done_fn cb,
                 void *ud)
{
    pg_store_t *s = h;
    char *keys = pg_text_array(n, kv_key, config), *values = pg_text_array(n, kv_value, config);
    if (!keys || !values) {
        free(keys);
        free(values);
        cb(PV_STORE_ENOMEM, "out of memory", ud);
        return;
    }
    pg_submit_done(s,
                   "SELECT palaver_room_put($1, $2::text[], $3::text[])"
                   " WHERE (SELECT palaver_fence($1, $4, $5::bigint))",
                   0, 3, (const char *const[]){name, keys, values}, name, cb, ud);
    free(keys);
    free(values);
}

void pg_room_delete(void *h, const char *name, pv_store_done_fn cb, void *ud)
{
    pg_store_t *s = h;
    pg_submit_done(s,
                   "DELETE FROM rooms WHERE (SELECT palaver_fence($1, $2, $3::bigint))"
                   " AND name = $1 AND stored RETURNING id",
                   PG_NOTFOUND_IF_NO_ROWS, 1, (const char *const[]){name}, name, cb, ud);
}

static const char *aff_jid(const void *arr, size_t i)
{
    return ((const pv_store_aff_t *)arr)[i].jid;
}

static const char *aff_aff(const void *arr, size_t i)
{
    return ((const pv_store_aff_t *)arr)[i].affiliation;
}

static const char *aff_reason(const void *arr, size_t i)
{
    return ((const pv_store_aff_t *)arr)[i].reason;
}

void pg_affs_set(void *h, const char *room, const pv_store_aff_t *items, size_t n,
                 pv_store_done_fn cb, void *ud)
{
    pg_store_t *s = h;
    char *jids = pg_text_array(n, aff_jid, items), *affs = pg_text_array(n, aff_aff, items),
         *reasons = pg_text_array(n, aff_reason, items);
    if (!jids || !affs || !reasons)
        cb(PV_STORE_ENOMEM, "out of memory", ud);
    else
        pg_submit_done(s,
                       "SELECT palaver_affs_set($1, $2::text[], $3::text[], $4::text[])"
                       " WHERE (SELECT palaver_fence($1, $5, $6::bigint))",
                       PG_NOTFOUND_IF_FALSE, 4, (const char *const[]){room, jids, affs, reasons},
                       room, cb, ud);
    free(jids);
    free(affs);
    free(reasons);
}

void pg_reg_set(void *h, const char *room, const char *jid, const char *nick, pv_store_done_fn cb,
                void *ud)
{
    pg_store_t *s = h;
    pg_submit_done(s,
                   "SELECT palaver_reg_set($1, $2, $3)"
                   " WHERE (SELECT palaver_fence($1, $4, $5::bigint))",
                   PG_NOTFOUND_IF_FALSE, 3, (const char *const[]){room, jid, nick}, room, cb, ud);
}
