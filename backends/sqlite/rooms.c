/*
 * backends/sqlite/rooms.c: rooms, their configuration, affiliations and
 * registrations in SQLite.
 *
 * room_put and affs_set run in one IMMEDIATE transaction each: either every
 * row changes or, on any failure, the rollback leaves the database as it was.
 * Each touches one room through its primary key, never the rooms table as a
 * whole. Start-up reads differently: see room_list below.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <palaver/log.h>

#include "listing.h"
#include "roomdata.h"
#include "sqlite.h"

static const char *col_text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

/* ---- start-up: room_list and the room_load calls of its callback ----
 * muc-core loads every stored room from room_list's callback. So the list
 * and those loads share one read transaction (one snapshot, no transaction
 * per room), the list comes in room id order, and a room_load of the next
 * listed room reads its rows from three scans of the config, affiliation
 * and registration tables in the same order, each advanced only as far as
 * that room: three statements for all rooms instead of four per room, and
 * no more memory than one room's rows at a time. Any other call ends the
 * batch (sq_batch_end); a room_load out of list order uses the statements
 * of one room, in the same snapshot. */

enum { SCAN_UNSTARTED, SCAN_ROW, SCAN_DONE, SCAN_FAILED };

void sq_scans_clear(sq_store_t *s)
{
    static const enum sq_stmt ids[3] = {ST_CONFIG_SCAN, ST_AFF_SCAN, ST_REG_SCAN};
    for (int k = 0; k < 3; k++) {
        if (s->scan[k].state != SCAN_UNSTARTED && s->st[s->scan[k].id])
            sqlite3_reset(s->st[s->scan[k].id]);
        s->scan[k] = (sq_scan_t){ids[k], SCAN_UNSTARTED};
    }
    free(s->ids);
    s->ids = NULL;
    s->names = NULL;
    s->nlisted = s->next = 0;
}

static void scan_step(sq_store_t *s, sq_scan_t *sc)
{
    sqlite3_stmt *st = sc->state == SCAN_UNSTARTED ? sq_stmt(s, sc->id) : s->st[sc->id];
    int rc = st ? sqlite3_step(st) : SQLITE_ERROR;
    sc->state = rc == SQLITE_ROW ? SCAN_ROW : rc == SQLITE_DONE ? SCAN_DONE : SCAN_FAILED;
    if (st && sc->state == SCAN_FAILED)
        sq_error(s, NULL, "reading the stored rooms");
}

/* Room id's rows from the scans into r (rows of rooms not listed, which
 * have a smaller id, are skipped). 0, or a status. */
static int load_scanned(sq_store_t *s, roomdata_t *r, int64_t id)
{
    for (int k = 0; k < 3; k++) {
        sq_scan_t *sc = &s->scan[k];
        if (sc->state == SCAN_UNSTARTED)
            scan_step(s, sc);
        sqlite3_stmt *st = s->st[sc->id];
        while (sc->state == SCAN_ROW && sqlite3_column_int64(st, 0) <= id) {
            if (sqlite3_column_int64(st, 0) == id) {
                int added = k == 0   ? roomdata_add_config(r, col_text(st, 1), col_text(st, 2))
                            : k == 1 ? roomdata_add_aff(r, col_text(st, 1), col_text(st, 2),
                                                        col_text(st, 3))
                                     : roomdata_add_reg(r, col_text(st, 1), col_text(st, 2));
                if (added < 0) {
                    snprintf(s->err, sizeof(s->err), "room %s: out of memory loading it", r->name);
                    pv_log(PV_LOG_ERROR, "sqlite", "%s: %s", s->path, s->err);
                    return PV_STORE_ENOMEM;
                }
            }
            scan_step(s, sc);
        }
        if (sc->state == SCAN_FAILED)
            return PV_STORE_EIO;
    }
    return 0;
}

void sq_room_list(void *h, pv_store_names_fn cb, void *ud)
{
    sq_store_t *s = h;
    /* without the batch (logged), the list is by name and each load on its own */
    int batch = sq_batch_begin(s) == 0;
    sqlite3_stmt *st = sq_stmt(s, batch ? ST_ROOM_LIST_IDS : ST_ROOM_LIST);
    if (!st) {
        sq_batch_end(s);
        cb(PV_STORE_EIO, s->err, NULL, 0, ud);
        return;
    }
    char **names = NULL;
    int64_t *ids = NULL;
    size_t n = 0, cap = 0;
    int rc, status = PV_STORE_OK;
    const char *err = NULL;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **p = realloc(names, cap * sizeof(*p));
            if (p)
                names = p;
            int64_t *q = p && batch ? realloc(ids, cap * sizeof(*q)) : NULL;
            if (q)
                ids = q;
            if (!p || (batch && !q)) {
                status = PV_STORE_ENOMEM;
                err = "out of memory listing rooms";
                break;
            }
        }
        if (!(names[n] = strdup(col_text(st, batch ? 1 : 0)))) {
            status = PV_STORE_ENOMEM;
            err = "out of memory listing rooms";
            break;
        }
        if (batch)
            ids[n] = sqlite3_column_int64(st, 0);
        n++;
    }
    if (status == PV_STORE_OK && rc != SQLITE_DONE) {
        status = PV_STORE_EIO;
        err = sq_error(s, NULL, "listing rooms");
    }
    sqlite3_reset(st);
    if (status == PV_STORE_ENOMEM)
        pv_log(PV_LOG_ERROR, "sqlite", "%s: %s", s->path, err);
    if (status == PV_STORE_OK) {
        if (batch && s->batch) {
            s->names = (const char *const *)names;
            s->ids = ids; /* freed by sq_scans_clear */
            ids = NULL;
            s->nlisted = n;
            s->next = 0;
        }
        cb(PV_STORE_OK, NULL, (const char *const *)names, n, ud);
    } else {
        sq_batch_end(s);
        cb(status, err, NULL, 0, ud);
    }
    sq_batch_end(s);
    free(ids);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* A loaded room's data to fill, or NULL when there is no memory for it (then
 * cb has had ENOMEM). */
static roomdata_t *load_start(const char *name, pv_store_room_fn cb, void *ud)
{
    roomdata_t *r = roomdata_new(name);
    if (!r) {
        pv_log(PV_LOG_ERROR, "sqlite", "room %s: out of memory loading it", name);
        cb(PV_STORE_ENOMEM, "out of memory", NULL, ud);
    }
    return r;
}

/* Gives cb the loaded room, or on a failed load (status) rolls back: that ends
 * room_list's read transaction too, so later loads run on their own. Frees r. */
static void load_finish(sq_store_t *s, roomdata_t *r, int status, pv_store_room_fn cb, void *ud)
{
    if (status) {
        sq_rollback(s);
        cb(status, s->err, NULL, ud);
    } else {
        pv_store_room_t view;
        roomdata_view(r, &view);
        cb(PV_STORE_OK, NULL, &view, ud);
    }
    roomdata_free(r);
}

/* room_load of the next listed room inside room_list's callback. */
static int load_listed(sq_store_t *s, const char *name, pv_store_room_fn cb, void *ud)
{
    if (!s->batch || !s->names || s->next >= s->nlisted ||
        (name != s->names[s->next] && strcmp(name, s->names[s->next]) != 0))
        return 0;
    int64_t id = s->ids[s->next++];
    roomdata_t *r = load_start(name, cb, ud);
    if (r)
        load_finish(s, r, load_scanned(s, r, id), cb, ud);
    return 1;
}

/* Reads the rows of one of the *_LOAD statements into r. 0, or a status. */
static int load_rows(sq_store_t *s, roomdata_t *r, int64_t id, enum sq_stmt which)
{
    sqlite3_stmt *st = sq_stmt(s, which);
    if (!st)
        return PV_STORE_EIO;
    sqlite3_bind_int64(st, 1, id);
    int rc, added = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (which == ST_CONFIG_LOAD)
            added = roomdata_add_config(r, col_text(st, 0), col_text(st, 1));
        else if (which == ST_AFF_LOAD)
            added = roomdata_add_aff(r, col_text(st, 0), col_text(st, 1), col_text(st, 2));
        else
            added = roomdata_add_reg(r, col_text(st, 0), col_text(st, 1));
        if (added < 0) {
            sqlite3_reset(st);
            snprintf(s->err, sizeof(s->err), "room %s: out of memory loading it", r->name);
            pv_log(PV_LOG_ERROR, "sqlite", "%s: %s", s->path, s->err);
            return PV_STORE_ENOMEM;
        }
    }
    if (rc != SQLITE_DONE) {
        sq_error(s, r->name, "loading the room");
        sqlite3_reset(st);
        return PV_STORE_EIO;
    }
    sqlite3_reset(st);
    return 0;
}

void sq_room_load(void *h, const char *name, pv_store_room_fn cb, void *ud)
{
    sq_store_t *s = h;
    if (load_listed(s, name, cb, ud))
        return;
    int64_t id;
    int stored;
    int found = sq_room_id(s, name, &id, &stored);
    if (found < 0) {
        cb(PV_STORE_EIO, s->err, NULL, ud);
        return;
    }
    if (!found || !stored) {
        cb(PV_STORE_ENOTFOUND, "no such room", NULL, ud);
        return;
    }
    roomdata_t *r = load_start(name, cb, ud);
    if (!r)
        return;
    /* One read transaction, so the three tables are seen consistently:
     * room_list's when this runs from its callback, else our own. */
    int own = !s->batch;
    int status = own && sq_begin_read(s, name) < 0 ? PV_STORE_EIO : 0;
    if (!status)
        status = load_rows(s, r, id, ST_CONFIG_LOAD);
    if (!status)
        status = load_rows(s, r, id, ST_AFF_LOAD);
    if (!status)
        status = load_rows(s, r, id, ST_REG_LOAD);
    if (!status && own && sq_commit(s, name) < 0)
        status = PV_STORE_EIO;
    load_finish(s, r, status, cb, ud);
}

/* ---- rooms_list: a range of an index on the name, plus one counter row ---- */

/* The page's rows (at most max): entries borrow the owned strings in
 * strs[2i] (name) and strs[2i+1] (title). 0, or a status. */
static int page_rows(sq_store_t *s, sqlite3_stmt *st, pv_store_room_entry_t *v, char **strs,
                     size_t *n)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *title = col_text(st, 1);
        char *nm = strdup(col_text(st, 0)), *t = title ? strdup(title) : NULL;
        strs[2 * *n] = nm;
        strs[2 * *n + 1] = t;
        if (!nm || (title && !t)) {
            snprintf(s->err, sizeof(s->err), "out of memory listing rooms");
            pv_log(PV_LOG_ERROR, "sqlite", "%s: %s", s->path, s->err);
            (*n)++; /* freed with the others */
            return PV_STORE_ENOMEM;
        }
        v[*n] = (pv_store_room_entry_t){nm, t, sqlite3_column_int(st, 2) != 0};
        (*n)++;
    }
    if (rc != SQLITE_DONE) {
        sq_error(s, NULL, "listing rooms");
        return PV_STORE_EIO;
    }
    return 0;
}

/* The count of matching rooms into *count. 0, or PV_STORE_EIO. */
static int page_count(sq_store_t *s, unsigned flags, long long *count)
{
    sqlite3_stmt *st = sq_stmt(s, ST_PAGE_COUNT);
    if (!st)
        return PV_STORE_EIO;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *count = sqlite3_column_int64(st, (flags & PV_STORE_LIST_PUBLIC) ? 1 : 0);
    else if (rc != SQLITE_DONE)
        sq_error(s, NULL, "counting rooms");
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : PV_STORE_EIO;
}

/* Runs the page query and the count in one read transaction. */
static int page_read(sq_store_t *s, const char *after, size_t max, unsigned flags,
                     pv_store_room_entry_t *v, char **strs, size_t *n, long long *count)
{
    if (sq_begin_read(s, NULL) < 0)
        return PV_STORE_EIO;
    sqlite3_stmt *st = sq_stmt(s, (flags & PV_STORE_LIST_PUBLIC) ? ST_PAGE_PUBLIC : ST_PAGE_ALL);
    int status = st ? 0 : PV_STORE_EIO;
    if (st) {
        sqlite3_bind_text(st, 1, after ? after : "", -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
        status = page_rows(s, st, v, strs, n);
        sqlite3_reset(st);
    }
    if (!status && (flags & PV_STORE_LIST_COUNT))
        status = page_count(s, flags, count);
    if (!status && sq_commit(s, NULL) < 0)
        status = PV_STORE_EIO;
    if (status)
        sq_rollback(s);
    return status;
}

void sq_rooms_list(void *h, const char *after, size_t max, unsigned flags, pv_store_entries_fn cb,
                   void *ud)
{
    sq_store_t *s = h;
    sq_batch_end(s);
    max = list_max(max);
    if (max > 100000) /* one page is held in memory */
        max = 100000;
    pv_store_room_entry_t *v = calloc(max, sizeof(*v));
    char **strs = calloc(2 * max, sizeof(*strs));
    size_t n = 0;
    long long count = -1;
    int status = v && strs ? page_read(s, after, max, flags, v, strs, &n, &count) : PV_STORE_ENOMEM;
    if (!v || !strs) {
        snprintf(s->err, sizeof(s->err), "out of memory listing rooms");
        pv_log(PV_LOG_ERROR, "sqlite", "%s: %s", s->path, s->err);
    }
    if (status)
        cb(status, s->err, NULL, 0, -1, ud);
    else
        cb(PV_STORE_OK, NULL, v, n, count, ud);
    for (size_t i = 0; strs && i < 2 * n; i++)
        free(strs[i]);
    free(strs);
    free(v);
}

static int put_rows(sq_store_t *s, const char *name, const pv_kv_t *config, size_t n)
{
    sqlite3_stmt *st = sq_stmt(s, ST_ROOM_PUT);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    if (sq_step_write(s, st, name, "storing the room") < 0)
        return -1;
    int64_t id;
    int stored;
    if (sq_room_id(s, name, &id, &stored) != 1)
        return -1;
    if (!(st = sq_stmt(s, ST_CONFIG_CLEAR)))
        return -1;
    sqlite3_bind_int64(st, 1, id);
    if (sq_step_write(s, st, name, "clearing the old config") < 0)
        return -1;
    if (!(st = sq_stmt(s, ST_ROOM_SUMMARY)))
        return -1;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, config_public(config, n));
    const char *title = config_title(config, n);
    if (title)
        sqlite3_bind_text(st, 3, title, -1, SQLITE_STATIC);
    if (sq_step_write(s, st, name, "storing the room's listing") < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!(st = sq_stmt(s, ST_CONFIG_INSERT)))
            return -1;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
        sqlite3_bind_text(st, 3, config[i].key, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, config[i].value, -1, SQLITE_STATIC);
        if (sq_step_write(s, st, name, "storing a config value") < 0)
            return -1;
    }
    return 0;
}

void sq_room_put(void *h, const char *name, const pv_kv_t *config, size_t n, pv_store_done_fn cb,
                 void *ud)
{
    sq_store_t *s = h;
    sq_batch_end(s);
    if (sq_begin(s, name) < 0 || put_rows(s, name, config, n) < 0 || sq_commit(s, name) < 0) {
        sq_rollback(s);
        cb(PV_STORE_EIO, s->err, ud);
        return;
    }
    cb(PV_STORE_OK, NULL, ud);
}

void sq_room_delete(void *h, const char *name, pv_store_done_fn cb, void *ud)
{
    sq_store_t *s = h;
    sq_batch_end(s);
    int64_t id;
    int stored;
    int found = sq_room_id(s, name, &id, &stored);
    if (found < 0) {
        cb(PV_STORE_EIO, s->err, ud);
        return;
    }
    if (!found || !stored) {
        cb(PV_STORE_ENOTFOUND, "no such room", ud);
        return;
    }
    sqlite3_stmt *st = sq_stmt(s, ST_ROOM_DELETE);
    if (!st) {
        cb(PV_STORE_EIO, s->err, ud);
        return;
    }
    sqlite3_bind_int64(st, 1, id);
    sq_room_ids_clear(s); /* its id is gone (and may come back for another room) */
    if (sq_step_write(s, st, name, "deleting the room") < 0) {
        cb(PV_STORE_EIO, s->err, ud);
        return;
    }
    cb(PV_STORE_OK, NULL, ud);
}

/* Looks up a stored room for affs_set/reg_set: 1 found, else calls cb. */
static int stored_room(sq_store_t *s, const char *room, int64_t *id, pv_store_done_fn cb, void *ud)
{
    int stored;
    int found = sq_room_id(s, room, id, &stored);
    if (found < 0) {
        cb(PV_STORE_EIO, s->err, ud);
        return 0;
    }
    if (!found || !stored) {
        cb(PV_STORE_ENOTFOUND, "no such room", ud);
        return 0;
    }
    return 1;
}

static int aff_rows(sq_store_t *s, const char *room, int64_t id, const pv_store_aff_t *items,
                    size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int del = strcmp(items[i].affiliation, "none") == 0;
        sqlite3_stmt *st = sq_stmt(s, del ? ST_AFF_DELETE : ST_AFF_UPSERT);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, items[i].jid, -1, SQLITE_STATIC);
        if (!del) {
            sqlite3_bind_text(st, 3, items[i].affiliation, -1, SQLITE_STATIC);
            if (items[i].reason)
                sqlite3_bind_text(st, 4, items[i].reason, -1, SQLITE_STATIC);
        }
        if (sq_step_write(s, st, room, "storing an affiliation") < 0)
            return -1;
    }
    return 0;
}

void sq_affs_set(void *h, const char *room, const pv_store_aff_t *items, size_t n,
                 pv_store_done_fn cb, void *ud)
{
    sq_store_t *s = h;
    sq_batch_end(s);
    if (sq_begin(s, room) < 0) {
        cb(PV_STORE_EIO, s->err, ud);
        return;
    }
    int64_t id;
    if (!stored_room(s, room, &id, cb, ud)) {
        sq_rollback(s);
        return;
    }
    if (aff_rows(s, room, id, items, n) < 0 || sq_commit(s, room) < 0) {
        sq_rollback(s);
        cb(PV_STORE_EIO, s->err, ud);
        return;
    }
    cb(PV_STORE_OK, NULL, ud);
}

void sq_reg_set(void *h, const char *room, const char *jid, const char *nick, pv_store_done_fn cb,
                void *ud)
{
    sq_store_t *s = h;
    sq_batch_end(s);
    int64_t id;
    if (!stored_room(s, room, &id, cb, ud))
        return;
    sqlite3_stmt *st = sq_stmt(s, nick ? ST_REG_UPSERT : ST_REG_DELETE);
    if (!st) {
        cb(PV_STORE_EIO, s->err, ud);
        return;
    }
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, jid, -1, SQLITE_STATIC);
    if (nick)
        sqlite3_bind_text(st, 3, nick, -1, SQLITE_STATIC);
    if (sq_step_write(s, st, room, "storing a registration") < 0) {
        cb(PV_STORE_EIO, s->err, ud);
        return;
    }
    cb(PV_STORE_OK, NULL, ud);
}
