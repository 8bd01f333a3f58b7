/*
 * backends/pgsql/result.c: turning a statement's PGresult into the
 * operation's callback.
 *
 * Values handed to callbacks point into the PGresult (text format, each
 * NUL-terminated), which lives until the callback returns. Server errors map
 * to store statuses: unique violation on an archived id is a caller bug
 * (EINVAL), SQLSTATE P0002 raised by palaver_archive_query is an unknown
 * after/before id (ENOTFOUND), anything else is EIO with the server's message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <palaver/log.h>

#include "pgsql.h"

static const char *val(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

static void done(pg_op_t *op, const PGresult *r)
{
    int status = PV_STORE_OK;
    if ((op->flags & PG_NOTFOUND_IF_NO_ROWS) && PQntuples(r) == 0)
        status = PV_STORE_ENOTFOUND;
    if ((op->flags & PG_NOTFOUND_IF_FALSE) &&
        (PQntuples(r) < 1 || !val(r, 0, 0) || strcmp(val(r, 0, 0), "t") != 0))
        status = PV_STORE_ENOTFOUND;
    if ((op->flags & PG_NOTFOUND_IF_NO_CHANGE) && strcmp(PQcmdTuples((PGresult *)r), "0") == 0)
        status = PV_STORE_ENOTFOUND;
    op->cb.done(status,
                status ? (op->flags & PG_NOTFOUND_IF_NO_CHANGE ? "no such message" : "no such room")
                       : NULL,
                op->ud);
}

static void names(pg_store_t *s, pg_op_t *op, const PGresult *r)
{
    int n = PQntuples(r);
    const char **v = n ? malloc((size_t)n * sizeof(*v)) : NULL;
    if (n && !v) {
        snprintf(s->err, sizeof(s->err), "out of memory listing rooms");
        pv_log(PV_LOG_ERROR, "pgsql", "%s", s->err);
        op->cb.names(PV_STORE_ENOMEM, s->err, NULL, 0, op->ud);
        return;
    }
    for (int i = 0; i < n; i++)
        v[i] = PQgetvalue(r, i, 0);
    op->cb.names(PV_STORE_OK, NULL, v, (size_t)n, op->ud);
    free(v);
}

/* Rows of the room_load query: (kind, pos, a, b, c); kind 0 config, 1
 * affiliation, 2 registration, 3 "the room exists". */
static void room(pg_store_t *s, pg_op_t *op, const PGresult *r)
{
    int n = PQntuples(r), exists = 0;
    size_t nc = 0, na = 0, ng = 0;
    pv_kv_t *kv = calloc((size_t)n + 1, sizeof(*kv));
    pv_store_aff_t *affs = calloc((size_t)n + 1, sizeof(*affs));
    pv_store_reg_t *regs = calloc((size_t)n + 1, sizeof(*regs));
    if (!kv || !affs || !regs) {
        snprintf(s->err, sizeof(s->err), "room %s: out of memory loading it", op->room);
        pv_log(PV_LOG_ERROR, "pgsql", "%s", s->err);
        op->cb.room(PV_STORE_ENOMEM, s->err, NULL, op->ud);
        goto out;
    }
    for (int i = 0; i < n; i++) {
        switch (atoi(PQgetvalue(r, i, 0))) {
        case 0:
            kv[nc++] = (pv_kv_t){val(r, i, 2), val(r, i, 3)};
            break;
        case 1:
            affs[na++] = (pv_store_aff_t){val(r, i, 2), val(r, i, 3), val(r, i, 4)};
            break;
        case 2:
            regs[ng++] = (pv_store_reg_t){val(r, i, 2), val(r, i, 3)};
            break;
        default:
            exists = 1;
        }
    }
    if (!exists) {
        op->cb.room(PV_STORE_ENOTFOUND, "no such room", NULL, op->ud);
        goto out;
    }
    pv_store_room_t view = {op->room, kv, nc, affs, na, regs, ng};
    op->cb.room(PV_STORE_OK, NULL, &view, op->ud);
out:
    free(kv);
    free(affs);
    free(regs);
}

/* Rows of the rooms_list query: (name, title, public, count); one row with
 * name NULL when the page is empty. */
static void entries(pg_store_t *s, pg_op_t *op, const PGresult *r)
{
    int n = PQntuples(r);
    pv_store_room_entry_t *v = calloc((size_t)n + 1, sizeof(*v));
    if (!v) {
        snprintf(s->err, sizeof(s->err), "out of memory listing rooms");
        pv_log(PV_LOG_ERROR, "pgsql", "%s", s->err);
        op->cb.entries(PV_STORE_ENOMEM, s->err, NULL, 0, -1, op->ud);
        return;
    }
    size_t k = 0;
    long long count = -1;
    for (int i = 0; i < n; i++) {
        if (val(r, i, 3))
            count = strtoll(val(r, i, 3), NULL, 10);
        if (!val(r, i, 0))
            continue;
        v[k++] = (pv_store_room_entry_t){val(r, i, 0), val(r, i, 1),
                                         val(r, i, 2) && strcmp(val(r, i, 2), "t") == 0};
    }
    op->cb.entries(PV_STORE_OK, NULL, v, k, count, op->ud);
    free(v);
}

/* Rows of palaver_archive_query: (msg_id, stamp_us, nick, jid, xml), at
 * most max+1 of them; newest first when paging backwards. */
static void msgs(pg_store_t *s, pg_op_t *op, const PGresult *r)
{
    size_t n = (size_t)PQntuples(r);
    int complete = n <= op->max;
    size_t shown = complete ? n : op->max;
    pv_store_msg_t *m = calloc(shown + 1, sizeof(*m));
    if (!m) {
        snprintf(s->err, sizeof(s->err), "room %s: out of memory reading the archive", op->room);
        pv_log(PV_LOG_ERROR, "pgsql", "%s", s->err);
        op->cb.msgs(PV_STORE_ENOMEM, s->err, NULL, 0, 0, op->ud);
        return;
    }
    for (size_t i = 0; i < shown; i++) {
        int row = (int)(op->backward ? shown - 1 - i : i);
        m[i].id = val(r, row, 0);
        m[i].stamp_us = strtoll(PQgetvalue(r, row, 1), NULL, 10);
        m[i].nick = val(r, row, 2);
        m[i].jid = val(r, row, 3);
        m[i].xml = val(r, row, 4);
    }
    op->cb.msgs(PV_STORE_OK, NULL, m, shown, complete, op->ud);
    free(m);
}

void pg_complete(pg_store_t *s, pg_op_t *op)
{
    PGresult *r = op->result;
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
        const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
        if (state && strcmp(state, "23505") == 0 && (op->flags & PG_EINVAL_IF_DUPLICATE)) {
            pg_op_fail(op, PV_STORE_EINVAL,
                       "a message with this id is already archived in this room");
            return;
        }
        if (state && strcmp(state, PG_SQLSTATE_FENCED) == 0) {
            snprintf(s->err, sizeof(s->err), "%s", primary ? primary : "the room's lease moved on");
            pv_log(PV_LOG_WARN, "pgsql", "%s", s->err);
            pg_op_fail(op, PV_STORE_EBUSY, s->err);
            return;
        }
        if (state && strcmp(state, "P0002") == 0 && op->kind == PG_MSGS) {
            snprintf(s->err, sizeof(s->err), "%s", primary ? primary : "no such message");
            pg_op_fail(op, PV_STORE_ENOTFOUND, s->err);
            return;
        }
        snprintf(s->err, sizeof(s->err), "%s%s%s%s", op->room ? "room " : "",
                 op->room ? op->room : "", op->room ? ": " : "",
                 primary ? primary
                 : r     ? PQresultErrorMessage(r)
                         : "no result from PostgreSQL");
        pv_log(PV_LOG_ERROR, "pgsql", "%s (SQLSTATE %s)", s->err, state ? state : "?");
        pg_op_fail(op, PV_STORE_EIO, s->err);
        return;
    }
    switch (op->kind) {
    case PG_DONE:
        done(op, r);
        break;
    case PG_NAMES:
        names(s, op, r);
        break;
    case PG_ROOM:
        room(s, op, r);
        break;
    case PG_MSGS:
        msgs(s, op, r);
        break;
    case PG_ENTRIES:
        entries(s, op, r);
        break;
    case PG_CUSTOM:
        op->on_result(op, r);
        break;
    }
    pg_op_free(op);
}
