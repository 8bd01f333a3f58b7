/*
 * backends/pgsql/conn.c: the connection, the operation queue and the event
 * loop watchers.
 *
 * States: connected (io watcher reading; writing too while libpq has unsent
 * bytes), connecting (PQconnectPoll driven by the io watcher), or
 * disconnected (the retry timer runs). Only the head of the queue is ever on
 * the wire; its result is collected with PQconsumeInput/PQgetResult without
 * blocking, then the next one is sent. A callback may submit new operations:
 * they join the tail, so the order of calls is the order of execution.
 */
#include <stdlib.h>
#include <string.h>

#include <palaver/log.h>

#include "pgsql.h"

#define RETRY_MIN 1.0
#define RETRY_MAX 30.0

pg_op_t *pg_op_new(pg_kind_t kind, const char *sql, int nparams, const char *const *params)
{
    pg_op_t *op = calloc(1, sizeof(*op));
    if (!op)
        return NULL;
    op->kind = kind;
    op->sql = sql;
    op->nparams = nparams;
    for (int i = 0; i < nparams; i++) {
        if (params[i] && !(op->params[i] = strdup(params[i]))) {
            pg_op_free(op);
            return NULL;
        }
    }
    return op;
}

pg_op_t *pg_op_for_room(pg_store_t *s, pg_kind_t kind, const char *sql, int nparams,
                        const char *const *params, const char *room)
{
    pg_op_t *op = pg_op_new(kind, sql, nparams, params);
    if (op && room && !(op->room = strdup(room))) {
        pg_op_free(op);
        op = NULL;
    }
    if (!op) {
        snprintf(s->err, sizeof(s->err), "room %s: out of memory queueing an operation",
                 room ? room : "-");
        pv_log(PV_LOG_ERROR, "pgsql", "%s", s->err);
    }
    return op;
}

void pg_submit_done(pg_store_t *s, const char *sql, int flags, int nparams,
                    const char *const *params, const char *room, pv_store_done_fn cb, void *ud)
{
    const char *all[PG_MAX_PARAMS] = {0};
    for (int i = 0; i < nparams; i++)
        all[i] = params[i];
    pg_op_t *op = pg_op_for_room(s, PG_DONE, sql, nparams + 2, all, room);
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

void pg_op_free(pg_op_t *op)
{
    if (!op)
        return;
    for (int i = 0; i < op->nparams; i++)
        free(op->params[i]);
    free(op->room);
    free(op->arg);
    PQclear(op->result);
    free(op);
}

void pg_op_fail(pg_op_t *op, int status, const char *msg)
{
    switch (op->kind) {
    case PG_DONE:
        op->cb.done(status, msg, op->ud);
        break;
    case PG_NAMES:
        op->cb.names(status, msg, NULL, 0, op->ud);
        break;
    case PG_ROOM:
        op->cb.room(status, msg, NULL, op->ud);
        break;
    case PG_MSGS:
        op->cb.msgs(status, msg, NULL, 0, 0, op->ud);
        break;
    case PG_ENTRIES:
        op->cb.entries(status, msg, NULL, 0, -1, op->ud);
        break;
    case PG_CUSTOM:
        op->on_fail(op, status, msg);
        break;
    }
    pg_op_free(op);
}

void pg_one_line(char *msg)
{
    char *w = msg;
    for (const char *r = msg; *r; r++) {
        char ch = (*r == '\n' || *r == '\t' || *r == '\r') ? ' ' : *r;
        if (ch != ' ' || (w > msg && w[-1] != ' '))
            *w++ = ch;
    }
    while (w > msg && w[-1] == ' ')
        w--;
    *w = '\0';
}

static void set_io(pg_store_t *s, int events)
{
    int fd = PQsocket(s->conn);
    if (ev_is_active(&s->io) && s->io.fd == fd && (s->io.events & (EV_READ | EV_WRITE)) == events)
        return;
    ev_io_stop(s->loop, &s->io);
    if (fd < 0)
        return;
    ev_io_set(&s->io, fd, events);
    ev_io_start(s->loop, &s->io);
}

/* Fails every queued operation (the one in flight too) with EIO. */
static void fail_all(pg_store_t *s, const char *why)
{
    pg_op_t *op = s->head;
    s->head = s->tail = NULL;
    s->sent = 0;
    s->preparing = 0;
    while (op) {
        pg_op_t *next = op->next;
        pg_op_fail(op, PV_STORE_EIO, why);
        op = next;
    }
}

static void schedule_retry(pg_store_t *s)
{
    if (s->closing)
        return;
    s->retry_delay = s->retry_delay < RETRY_MIN ? RETRY_MIN : s->retry_delay * 2;
    if (s->retry_delay > RETRY_MAX)
        s->retry_delay = RETRY_MAX;
    ev_timer_stop(s->loop, &s->retry);
    ev_timer_set(&s->retry, s->retry_delay, 0.0);
    ev_timer_start(s->loop, &s->retry);
}

void pg_disconnect(pg_store_t *s, const char *why)
{
    char msg[sizeof(s->err)];
    snprintf(msg, sizeof(msg), "the connection to PostgreSQL failed: %s", why);
    pg_one_line(msg);
    pv_log(PV_LOG_ERROR, "pgsql", "%s; reconnecting", msg);
    ev_io_stop(s->loop, &s->io);
    PQfinish(s->conn);
    s->conn = NULL;
    s->connecting = 0;
    memset(s->prepared, 0, sizeof s->prepared); /* the server forgot them */
    s->preparing = 0;
    schedule_retry(s);
    fail_all(s, msg);
}

static int is_prepared(const pg_store_t *s, const char *name)
{
    for (int i = 0; i < PG_MAX_STMTS && s->prepared[i]; i++)
        if (strcmp(s->prepared[i], name) == 0)
            return 1;
    return 0;
}

/* The parameters' formats for libpq: NULL (all text) or all binary. */
static const int *formats(const pg_op_t *op)
{
    static const int binary[PG_MAX_PARAMS] = {1, 1, 1, 1, 1, 1, 1, 1};
    _Static_assert(PG_MAX_PARAMS == 8, "one format per parameter");
    return op->binary ? binary : NULL;
}

/* Sends op's statement without preparing it: 1, or 0 when libpq refused. */
static int send_unprepared(pg_store_t *s, pg_op_t *op)
{
    return PQsendQueryParams(s->conn, op->sql, op->nparams, NULL, (const char *const *)op->params,
                             op->binary ? op->lengths : NULL, formats(op), 0);
}

/* Sends op's statement: prepared when it has a name (its PQsendPrepare
 * first, on a connection that has not prepared it yet: s->preparing; the
 * statement follows when that is answered), else as text. 1 when
 * something was sent, 0 when libpq refused it. */
static int send_op(pg_store_t *s, pg_op_t *op)
{
    if (!op->stmt_name)
        return send_unprepared(s, op);
    if (is_prepared(s, op->stmt_name))
        return PQsendQueryPrepared(s->conn, op->stmt_name, op->nparams,
                                   (const char *const *)op->params, op->binary ? op->lengths : NULL,
                                   formats(op), 0);
    s->preparing = 1;
    return PQsendPrepare(s->conn, op->stmt_name, op->sql, op->nparams, NULL);
}

/* The answer to a PQsendPrepare: the name is remembered (the statement is
 * sent next), or, when the server refused it, the op goes on as text. */
static void prepared(pg_store_t *s, pg_op_t *op, PGresult *r)
{
    if (PQresultStatus(r) == PGRES_COMMAND_OK) {
        int i = 0;
        while (i < PG_MAX_STMTS - 1 && s->prepared[i])
            i++;
        s->prepared[i] = op->stmt_name;
    } else {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", PQresultErrorMessage(r));
        pg_one_line(msg);
        pv_log(PV_LOG_WARN, "pgsql", "cannot prepare %s (%s): sending it as text", op->stmt_name,
               msg);
        op->stmt_name = NULL;
    }
    PQclear(r);
}

/* Sends the head of the queue when nothing is in flight. */
static void pump(pg_store_t *s)
{
    while (s->conn && !s->connecting && !s->sent && s->head) {
        pg_op_t *op = s->head;
        if (!s->preparing &&
            (pg_fence_bind(s, op) < 0 || (op->prepare && op->prepare(s, op) < 0))) {
            s->head = op->next;
            if (!s->head)
                s->tail = NULL;
            pg_op_fail(op, PV_STORE_ENOMEM, "out of memory sending an operation");
            continue;
        }
        s->preparing = 0;
        if (!send_op(s, op)) {
            s->preparing = 0;
            if (PQstatus(s->conn) == CONNECTION_BAD) {
                pg_disconnect(s, PQerrorMessage(s->conn));
                return;
            }
            snprintf(s->err, sizeof(s->err), "cannot send a query: %s", PQerrorMessage(s->conn));
            pv_log(PV_LOG_ERROR, "pgsql", "%s", s->err);
            s->head = op->next;
            if (!s->head)
                s->tail = NULL;
            pg_op_fail(op, PV_STORE_EIO, s->err);
            continue;
        }
        s->sent = 1;
        int f = PQflush(s->conn);
        if (f < 0) {
            pg_disconnect(s, PQerrorMessage(s->conn));
            return;
        }
        set_io(s, f ? EV_READ | EV_WRITE : EV_READ);
    }
}

void pg_submit(pg_store_t *s, pg_op_t *op)
{
    if (!s->conn || s->connecting || s->closing) {
        pg_op_fail(op, PV_STORE_EIO,
                   s->closing ? "the store is closing"
                              : "not connected to PostgreSQL (reconnecting)");
        return;
    }
    op->next = NULL;
    if (s->tail)
        s->tail->next = op;
    else
        s->head = op;
    s->tail = op;
    pump(s);
}

/* Keeps the statement's result (the first error wins over success). */
static void keep_result(pg_op_t *op, PGresult *r)
{
    ExecStatusType st = PQresultStatus(r);
    int bad = st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK;
    if (!op->result || (bad && (PQresultStatus(op->result) == PGRES_COMMAND_OK ||
                                PQresultStatus(op->result) == PGRES_TUPLES_OK))) {
        PQclear(op->result);
        op->result = r;
    } else {
        PQclear(r);
    }
}

/* Reads every result that is complete, finishing operations in order. */
static void read_results(pg_store_t *s)
{
    while (s->conn && s->sent && !PQisBusy(s->conn)) {
        PGresult *r = PQgetResult(s->conn);
        if (r && s->preparing) {
            prepared(s, s->head, r);
            continue;
        }
        if (r) {
            keep_result(s->head, r);
            continue;
        }
        if (s->preparing) { /* the head's statement itself goes next */
            s->sent = 0;
            pump(s);
            continue;
        }
        pg_op_t *op = s->head;
        s->head = op->next;
        if (!s->head)
            s->tail = NULL;
        s->sent = 0;
        pg_complete(s, op); /* may submit more */
        pump(s);
    }
}

static void connect_poll(pg_store_t *s)
{
    switch (PQconnectPoll(s->conn)) {
    case PGRES_POLLING_READING:
        set_io(s, EV_READ);
        break;
    case PGRES_POLLING_WRITING:
        set_io(s, EV_WRITE);
        break;
    case PGRES_POLLING_OK:
        s->connecting = 0;
        pg_after_connect(s);
        pv_log(PV_LOG_INFO, "pgsql", "connected to PostgreSQL again");
        pg_start_io(s);
        break;
    default: {
        char why[512];
        snprintf(why, sizeof(why), "%s", PQerrorMessage(s->conn));
        pg_disconnect(s, why);
        break;
    }
    }
}

static void on_io(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    pg_store_t *s = w->data;
    if (s->connecting) {
        connect_poll(s);
        return;
    }
    if (revents & EV_WRITE) {
        int f = PQflush(s->conn);
        if (f < 0) {
            pg_disconnect(s, PQerrorMessage(s->conn));
            return;
        }
        if (f == 0)
            set_io(s, EV_READ);
    }
    if (revents & EV_READ) {
        if (!PQconsumeInput(s->conn) || PQstatus(s->conn) == CONNECTION_BAD) {
            pg_disconnect(s, PQerrorMessage(s->conn));
            return;
        }
        read_results(s);
        if (s->conn && PQstatus(s->conn) == CONNECTION_BAD)
            pg_disconnect(s, PQerrorMessage(s->conn));
        else if (s->conn)
            pg_lease_notifies(s);
    }
}

static void on_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    pg_store_t *s = w->data;
    s->conn = PQconnectStartParams(s->keys, s->values, 1);
    if (!s->conn || PQstatus(s->conn) == CONNECTION_BAD) {
        pg_disconnect(s, s->conn ? PQerrorMessage(s->conn) : "out of memory");
        return;
    }
    s->connecting = 1;
    set_io(s, EV_WRITE);
}

int pg_connect_blocking(pg_store_t *s)
{
    ev_init(&s->io, on_io);
    s->io.data = s;
    ev_init(&s->retry, on_retry);
    s->retry.data = s;
    s->conn = PQconnectdbParams(s->keys, s->values, 1);
    if (!s->conn || PQstatus(s->conn) != CONNECTION_OK) {
        char why[512];
        snprintf(why, sizeof(why), "%s", s->conn ? PQerrorMessage(s->conn) : "out of memory");
        pg_one_line(why);
        pv_log(PV_LOG_ERROR, "pgsql", "cannot connect to PostgreSQL: %s", why);
        PQfinish(s->conn);
        s->conn = NULL;
        return -1;
    }
    return 0;
}

void pg_start_io(pg_store_t *s)
{
    if (PQsetnonblocking(s->conn, 1) != 0) {
        pg_disconnect(s, PQerrorMessage(s->conn));
        return;
    }
    s->retry_delay = 0;
    set_io(s, EV_READ);
    pg_lease_reconnected(s);
    pump(s);
}

void pg_drain(pg_store_t *s)
{
    s->closing = 1;
    ev_timer_stop(s->loop, &s->retry);
    ev_io_stop(s->loop, &s->io);
    if (s->conn && !s->connecting && PQsetnonblocking(s->conn, 0) == 0) {
        /* Blocking from here on: finish what was asked before close. */
        int bound = 0; /* the head's parameters are bound already */
        if (s->sent && s->preparing) {
            /* Only the head's PQsendPrepare is in flight: read its answer,
             * then send the statement itself (as text, below). */
            PGresult *r;
            while ((r = PQgetResult(s->conn)))
                prepared(s, s->head, r);
            s->sent = s->preparing = 0;
            bound = 1;
        }
        while (s->head && s->conn) {
            pg_op_t *op = s->head;
            if (!s->sent && !bound &&
                (pg_fence_bind(s, op) < 0 || (op->prepare && op->prepare(s, op) < 0)))
                break;
            bound = 0;
            if (!s->sent && !send_unprepared(s, op))
                break;
            s->sent = 1;
            PGresult *r;
            while ((r = PQgetResult(s->conn)))
                keep_result(op, r);
            s->head = op->next;
            if (!s->head)
                s->tail = NULL;
            s->sent = 0;
            pg_complete(s, op);
        }
    }
    fail_all(s, "the store closed before this operation could run");
    PQfinish(s->conn);
    s->conn = NULL;
}
