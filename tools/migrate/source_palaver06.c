/*
 * tools/migrate/source_palaver06.c: reads a Palaver 0.6 database (SQLite or
 * PostgreSQL; the schema of PALAVER.md 4.4): muc_rooms rows with
 * muc_roomattributess (pickled values), the owner/admin/member/outcast/player
 * tables joined with muc_users. Both databases go through one tiny "query,
 * rows as text" interface, so the mapping (keys_palaver06 in keys.c) is
 * written once. A missing table is reported and the rest still converts.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#ifdef PV_MIGRATE_PGSQL
#include <libpq-fe.h>
#endif

#include "keys.h"
#include "migrate.h"
#include "pickle.h"

typedef int (*row_fn)(void *ud, int ncols, char **names, char **vals);

typedef struct db {
    void *conn;
    /* Runs sql, calling row for each row; 0, or -1 with err filled. */
    int (*query)(struct db *db, const char *sql, row_fn row, void *ud, char *err, size_t len);
} db_t;

typedef struct conv {
    mig_report_t *rep;
    mig_room_t **rooms;
    int64_t *ids;
    size_t n, cap;
    const char *table; /* for messages */
    const char *aff;   /* list being read */
} conv_t;

static mig_room_t *room_by_id(conv_t *c, const char *id)
{
    if (!id)
        return NULL;
    int64_t v = strtoll(id, NULL, 10);
    for (size_t i = 0; i < c->n; i++)
        if (c->ids[i] == v)
            return c->rooms[i];
    return NULL;
}

static int put_value(conv_t *c, mig_room_t *r, const char *where, const char *field,
                     const char *val)
{
    const mig_map_t *m = keys_find(keys_palaver06, field);
    if (!m) {
        if (val && *val)
            report_skip(c->rep, where, r->name, field, "unknown field (value '%s')", val);
        return 0;
    }
    if (m->conv == CONV_DROP) {
        if (val && *val && keys_bool(val) != 0)
            report_skip(c->rep, where, r->name, field, "%s (value '%s')", m->why, val);
        return 0;
    }
    char out[4096];
    const char *why;
    if (keys_convert(m->conv, val, out, sizeof out, &why) < 0) {
        report_skip(c->rep, where, r->name, field, "%s (value '%s')", why, val);
        return 0;
    }
    return mig_room_set(r, m->key, out);
}

static int room_row(void *ud, int ncols, char **names, char **vals)
{
    conv_t *c = ud;
    const char *id = NULL, *name = NULL, *host = NULL;
    for (int i = 0; i < ncols; i++) {
        if (strcmp(names[i], "id") == 0)
            id = vals[i];
        else if (strcmp(names[i], "name") == 0)
            name = vals[i];
        else if (strcmp(names[i], "hostname") == 0)
            host = vals[i];
    }
    char *rname = mig_room_name(name);
    if (!id || !rname) {
        report_fail(c->rep, "table muc_rooms", name, "row %s has no usable id or name",
                    id ? id : "?");
        free(rname);
        return 0;
    }
    for (size_t i = 0; i < c->n; i++) {
        if (strcmp(c->rooms[i]->name, rname) == 0) {
            report_skip(c->rep, "table muc_rooms", rname, "row",
                        "id %s (hostname %s) has the same name as an earlier row; not converted",
                        id, host ? host : "NULL");
            free(rname);
            return 0;
        }
    }
    if (c->n == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 16;
        mig_room_t **nr = realloc(c->rooms, ncap * sizeof *nr);
        if (nr)
            c->rooms = nr;
        int64_t *ni = nr ? realloc(c->ids, ncap * sizeof *ni) : NULL;
        if (ni)
            c->ids = ni;
        if (!nr || !ni) {
            free(rname);
            report_fail(c->rep, "table muc_rooms", name, "out of memory");
            return -1;
        }
        c->cap = ncap;
    }
    mig_room_t *r = mig_room_new(rname);
    free(rname);
    if (!r)
        return -1;
    c->rooms[c->n] = r;
    c->ids[c->n++] = strtoll(id, NULL, 10);
    for (int i = 0; i < ncols; i++) {
        const char *col = names[i];
        const char *v = vals[i];
        if (!strcmp(col, "id") || !strcmp(col, "name") || !strcmp(col, "hostname"))
            continue;
        if (!v) { /* NULL: how Palaver 0.6 read it */
            if (strcmp(col, "subject_change") == 0)
                v = "0";
            else if (strcmp(col, "history") == 0)
                v = "30";
            else
                continue;
        }
        if (put_value(c, r, "table muc_rooms", col, v) < 0)
            return -1;
    }
    return 0;
}

static int attr_row(void *ud, int ncols, char **names, char **vals)
{
    conv_t *c = ud;
    (void)names;
    if (ncols < 3)
        return 0;
    mig_room_t *r = room_by_id(c, vals[0]);
    if (!r) {
        report_skip(c->rep, "table muc_roomattributess", NULL, vals[1] ? vals[1] : "?",
                    "room_id %s is not in muc_rooms", vals[0] ? vals[0] : "NULL");
        return 0;
    }
    if (!vals[1] || !vals[2])
        return 0;
    const char *why;
    char *v = pickle_value(vals[2], &why);
    if (!v) {
        report_skip(c->rep, "table muc_roomattributess", r->name, vals[1], "%s", why);
        return 0;
    }
    int rc = put_value(c, r, "table muc_roomattributess", vals[1], v);
    free(v);
    return rc;
}

static int aff_row(void *ud, int ncols, char **names, char **vals)
{
    conv_t *c = ud;
    (void)names;
    mig_room_t *r = room_by_id(c, vals[0]);
    if (!r) {
        report_skip(c->rep, c->table, NULL, vals[2] ? vals[2] : "?",
                    "room_id %s is not in muc_rooms", vals[0] ? vals[0] : "NULL");
        return 0;
    }
    char *bare = mig_bare_jid(vals[2]);
    if (!bare) {
        report_skip(c->rep, c->table, r->name, "user_id", "user %s is not in muc_users",
                    vals[1] ? vals[1] : "NULL");
        return 0;
    }
    const char *reason = ncols > 3 && vals[3] && *vals[3] ? vals[3] : NULL;
    const char *prev;
    int rc = mig_room_add_aff(r, bare, c->aff, reason, &prev);
    if (rc == 0 && prev)
        report_skip(c->rep, c->table, r->name, bare, "listed as %s and %s; kept %s", prev, c->aff,
                    c->aff);
    free(bare);
    return rc;
}

static int roster_count(void *ud, int ncols, char **names, char **vals)
{
    (void)names;
    conv_t *c = ud;
    if (ncols == 1 && vals[0] && strcmp(vals[0], "0") != 0)
        report_skip(c->rep, "table muc_rooms_roster", NULL, "occupants",
                    "%s live occupant rows not converted (occupants rejoin after the move)",
                    vals[0]);
    return 0;
}

static int run(db_t *db, conv_t *c, mig_emit_fn emit, void *ud)
{
    char err[512];
    if (db->query(db, "SELECT * FROM muc_rooms ORDER BY id", room_row, c, err, sizeof err) < 0) {
        report_fail(c->rep, "table muc_rooms", NULL, "%s", err);
        return -1;
    }
    if (db->query(db, "SELECT room_id, key, value FROM muc_roomattributess ORDER BY id", attr_row,
                  c, err, sizeof err) < 0)
        report_fail(c->rep, "table muc_roomattributess", NULL, "%s", err);
    /* Weakest first: a JID in two lists keeps the stronger affiliation. */
    static const struct {
        const char *table, *aff;
        bool reason;
    } lists[] = {
        {"muc_rooms_outcasts", "outcast", true}, {"muc_rooms_players", "player", false},
        {"muc_rooms_members", "member", false},  {"muc_rooms_admins", "admin", false},
        {"muc_rooms_owners", "owner", false},
    };
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        char sql[512], where[64];
        snprintf(sql, sizeof sql,
                 "SELECT l.room_id, l.user_id, u.username%s FROM %s l "
                 "LEFT JOIN muc_users u ON u.id = l.user_id ORDER BY l.id",
                 lists[i].reason ? ", l.reason" : "", lists[i].table);
        snprintf(where, sizeof where, "table %s", lists[i].table);
        c->table = where;
        c->aff = lists[i].aff;
        if (db->query(db, sql, aff_row, c, err, sizeof err) < 0)
            report_fail(c->rep, where, NULL, "%s", err);
    }
    /* The persisted roster is live state (PALAVER.md 4.4: ghosts); say so.
     * A database without the table lacks nothing that matters. */
    db->query(db, "SELECT COUNT(*) FROM muc_rooms_roster", roster_count, c, err, sizeof err);
    for (size_t i = 0; i < c->n; i++)
        emit(c->rooms[i], ud);
    return 0;
}

static void conv_free(conv_t *c)
{
    for (size_t i = 0; i < c->n; i++)
        mig_room_free(c->rooms[i]);
    free(c->rooms);
    free(c->ids);
}

/* ---------------------------------------------------------------- SQLite */

typedef struct sq_cb {
    row_fn row;
    void *ud;
} sq_cb_t;

static int sq_row(void *ud, int n, char **vals, char **names)
{
    sq_cb_t *cb = ud;
    return cb->row(cb->ud, n, names, vals) < 0 ? 1 : 0;
}

static int sq_query(db_t *db, const char *sql, row_fn row, void *ud, char *err, size_t len)
{
    sq_cb_t cb = {row, ud};
    char *msg = NULL;
    int rc = sqlite3_exec(db->conn, sql, sq_row, &cb, &msg);
    if (rc != SQLITE_OK) {
        snprintf(err, len, "%s", msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

int source_palaver06_sqlite(const char *file, mig_report_t *rep, mig_emit_fn emit, void *ud)
{
    sqlite3 *conn = NULL;
    int rc = sqlite3_open_v2(file, &conn, SQLITE_OPEN_READONLY, NULL);
    if (rc != SQLITE_OK) {
        report_fail(rep, file, NULL, "cannot open the SQLite database: %s",
                    conn ? sqlite3_errmsg(conn) : sqlite3_errstr(rc));
        sqlite3_close(conn);
        return -1;
    }
    db_t db = {conn, sq_query};
    conv_t c = {.rep = rep};
    int res = run(&db, &c, emit, ud);
    conv_free(&c);
    sqlite3_close(conn);
    return res;
}

/* ---------------------------------------------------------------- PostgreSQL */

#ifdef PV_MIGRATE_PGSQL
static int pg_query(db_t *db, const char *sql, row_fn row, void *ud, char *err, size_t len)
{
    PGresult *res = PQexec(db->conn, sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        snprintf(err, len, "%s", PQresultErrorMessage(res));
        size_t l = strlen(err);
        while (l && (err[l - 1] == '\n' || err[l - 1] == ' '))
            err[--l] = '\0';
        PQclear(res);
        return -1;
    }
    int ncols = PQnfields(res), rc = 0;
    char **names = calloc((size_t)ncols + 1, sizeof *names);
    char **vals = calloc((size_t)ncols + 1, sizeof *vals);
    if (!names || !vals) {
        snprintf(err, len, "out of memory");
        rc = -1;
    }
    for (int c = 0; rc == 0 && c < ncols; c++)
        names[c] = PQfname(res, c);
    for (int r = 0; rc == 0 && r < PQntuples(res); r++) {
        for (int c = 0; c < ncols; c++)
            vals[c] = PQgetisnull(res, r, c) ? NULL : PQgetvalue(res, r, c);
        if (row(ud, ncols, names, vals) < 0) {
            snprintf(err, len, "conversion stopped (see above)");
            rc = -1;
        }
    }
    free(names);
    free(vals);
    PQclear(res);
    return rc;
}

int source_palaver06_pgsql(const char *conninfo, mig_report_t *rep, mig_emit_fn emit, void *ud)
{
    PGconn *conn = PQconnectdb(conninfo);
    if (PQstatus(conn) != CONNECTION_OK) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", PQerrorMessage(conn));
        size_t l = strlen(msg);
        while (l && (msg[l - 1] == '\n' || msg[l - 1] == ' '))
            msg[--l] = '\0';
        report_fail(rep, "PostgreSQL", NULL, "cannot connect (%s): %s", conninfo, msg);
        PQfinish(conn);
        return -1;
    }
    db_t db = {conn, pg_query};
    conv_t c = {.rep = rep};
    int res = run(&db, &c, emit, ud);
    conv_free(&c);
    PQfinish(conn);
    return res;
}
#else
int source_palaver06_pgsql(const char *conninfo, mig_report_t *rep, mig_emit_fn emit, void *ud)
{
    (void)emit;
    (void)ud;
    report_fail(rep, "PostgreSQL", NULL,
                "palaver-migrate was built without libpq; "
                "cannot read %s (rebuild with libpq-dev installed)",
                conninfo);
    return -1;
}
#endif
