/*
 * backends/sqlite/backend.c: the SQLite backend's descriptor, open and close.
 *
 * The embedded default. Options in <backend>:
 *   <database>  path of the database file; default <spool>/palaver.db when
 *               <spool> is set, else /var/lib/palaver/palaver.db.
 * The database is opened in WAL mode (readers never block the writer, and a
 * commit costs no fsync with synchronous=NORMAL) with foreign keys enforced.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <palaver/config.h>
#include <palaver/log.h>

#include "sqlite.h"

#define DEFAULT_DATABASE "/var/lib/palaver/palaver.db"

/* The database path from the options (<path>, or its synonym <database>);
 * malloc'd (caller frees) or NULL. */
static char *database_path(const pv_config_t *cfg)
{
    const char *db = pv_config_str(cfg, "path", NULL);
    if (!db || !*db)
        db = pv_config_str(cfg, "database", NULL);
    if (db && *db)
        return strdup(db);
    const char *spool = pv_config_str(cfg, "spool", NULL);
    if (!spool || !*spool)
        return strdup(DEFAULT_DATABASE);
    size_t len = strlen(spool) + sizeof("/palaver.db");
    char *p = malloc(len);
    if (p)
        snprintf(p, len, "%s/palaver.db", spool);
    return p;
}

/* Runs a PRAGMA and checks its single-row answer when expect is not NULL. */
static int pragma(sq_store_t *s, const char *sql, const char *expect)
{
    sqlite3_stmt *st = NULL;
    int ok = 0;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE || rc == SQLITE_ROW) {
            const char *got = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
            ok = !expect || (got && strcmp(got, expect) == 0);
            if (!ok)
                pv_log(PV_LOG_ERROR, "sqlite", "%s: %s answered '%s', expected '%s'", s->path, sql,
                       got ? got : "", expect);
        }
    }
    if (!ok && !expect)
        pv_log(PV_LOG_ERROR, "sqlite", "%s: %s: %s", s->path, sql, sqlite3_errmsg(s->db));
    else if (!ok && sqlite3_errcode(s->db) != SQLITE_OK && sqlite3_errcode(s->db) != SQLITE_ROW)
        pv_log(PV_LOG_ERROR, "sqlite", "%s: %s: %s", s->path, sql, sqlite3_errmsg(s->db));
    sqlite3_finalize(st);
    return ok ? 0 : -1;
}

static void sq_close(void *handle)
{
    sq_store_t *s = handle;
    if (!s)
        return;
    if (s->db)
        sq_group_stop(s);  /* the last group commits, its callbacks run */
    sq_ckpt_stop(s->ckpt); /* joined: the loop's connection closes last */
    s->ckpt = NULL;
    sq_idle_stop(s);
    sq_finalize_all(s);
    sq_room_ids_clear(s);
    free(s->q);
    if (s->db && sqlite3_close(s->db) != SQLITE_OK)
        pv_log(PV_LOG_ERROR, "sqlite", "%s: closing: %s", s->path, sqlite3_errmsg(s->db));
    else /* the connection is gone: its VFS may go */
        sq_walbuf_release(s->vfs);
    free(s->path);
    free(s);
}

static int sq_open(const pv_config_t *cfg, void **handle)
{
    static const char *const known[] = {"type", "spool", "path", "database", NULL};
    if (pv_config_check_known(cfg, known, "sqlite") > 0)
        return -1;
    sq_store_t *s = calloc(1, sizeof(*s));
    if (!s || !(s->path = database_path(cfg))) {
        pv_log(PV_LOG_ERROR, "sqlite", "out of memory opening the store");
        free(s);
        return -1;
    }
    s->vfs = sq_walbuf_vfs(); /* NULL: the default VFS */
    int rc = sqlite3_open_v2(
        s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, s->vfs);
    if (rc != SQLITE_OK) {
        pv_log(PV_LOG_ERROR, "sqlite", "%s: cannot open the database: %s", s->path,
               s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        sq_close(s);
        return -1;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, 5000);
    if (pragma(s, "PRAGMA journal_mode = WAL", "wal") < 0 ||
        pragma(s, "PRAGMA foreign_keys = ON", NULL) < 0 ||
        pragma(s, "PRAGMA synchronous = NORMAL", NULL) < 0 || sq_schema_apply(s) < 0) {
        pv_log(PV_LOG_ERROR, "sqlite", "%s: not usable as Palaver's database", s->path);
        sq_close(s);
        return -1;
    }
    s->ckpt = sq_ckpt_start(s->path);        /* NULL: the loop checkpoints */
    sqlite3_wal_hook(s->db, sq_wal_hook, s); /* the checkpoints, group.c */
    pv_log(PV_LOG_DEBUG, "sqlite", "opened %s", s->path);
    sq_idle_start(s);
    *handle = s;
    return 0;
}

PV_STORE_DEFINE(sqlite) = {
    .size = sizeof(pv_store_t),
    .abi_major = PV_STORE_ABI_MAJOR,
    .abi_minor = PV_STORE_ABI_MINOR,
    .name = "sqlite",
    .version = "1.0",
    .open = sq_open,
    .close = sq_close,
    .room_list = sq_room_list,
    .room_load = sq_room_load,
    .room_put = sqg_room_put,
    .room_delete = sqg_room_delete,
    .affs_set = sqg_affs_set,
    .reg_set = sqg_reg_set,
    .archive_append = sqg_archive_append,
    .archive_query = sq_archive_query,
    .archive_replace = sqg_archive_replace,
    .archive_delete = sqg_archive_delete,
    .archive_trim = sqg_archive_trim,
    .rooms_list = sq_rooms_list,
    .occupant_put = sqg_occupant_put,
    .occupants_load = sq_occupants_load,
};
