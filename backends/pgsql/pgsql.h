/*
 * backends/pgsql/pgsql.h: the PostgreSQL backend's state, its queue of
 * operations and the helpers its files share.
 *
 * One connection, used asynchronously from the event loop (pv_loop()): an
 * operation becomes one SQL statement (the multi-step ones are PL/pgSQL
 * functions created with the schema, so each is atomic on the server), queued
 * in call order and sent with PQsendQueryParams when the previous one has
 * finished; an ev_io watcher on PQsocket() reads the result and runs the
 * callback from the loop. The loop never waits for the database.
 *
 * When the connection drops, the operation in flight and everything queued
 * fail with PV_STORE_EIO, new operations fail at once while a timer
 * reconnects (with a growing delay), and service resumes when it succeeds.
 */
#ifndef PV_BACKEND_PGSQL_H
#define PV_BACKEND_PGSQL_H

#include <ev.h>
#include <libpq-fe.h>

#include <palaver/store.h>

#include <palaver/map.h>

#define PG_MAX_PARAMS 8

/* SQLSTATE palaver_fence raises when a write's lease has moved on (EBUSY). */
#define PG_SQLSTATE_FENCED "PV001"

/* What an operation's result means. */
typedef enum pg_kind {
    PG_DONE,    /* pv_store_done_fn */
    PG_NAMES,   /* pv_store_names_fn: one text column */
    PG_ROOM,    /* pv_store_room_fn: rows of the room_load query */
    PG_MSGS,    /* pv_store_msgs_fn: rows of palaver_archive_query */
    PG_ENTRIES, /* pv_store_entries_fn: rows of the rooms_list query */
    PG_CUSTOM,  /* op->on_result / op->on_fail (lease.c, occupants.c) */
} pg_kind_t;

/* How a PG_DONE result maps to ENOTFOUND / EINVAL. */
enum {
    PG_NOTFOUND_IF_NO_ROWS = 1,   /* e.g. DELETE ... RETURNING */
    PG_NOTFOUND_IF_FALSE = 2,     /* a function returning boolean */
    PG_NOTFOUND_IF_NO_CHANGE = 4, /* UPDATE touching no row */
    PG_EINVAL_IF_DUPLICATE = 8,   /* unique violation: a caller bug */
};

typedef struct pg_op pg_op_t;
struct pg_op {
    struct pg_op *next;
    pg_kind_t kind;
    int flags;
    const char *sql; /* static text */
    int nparams;
    char *params[PG_MAX_PARAMS]; /* owned copies (NULL = SQL NULL) */
    char *room;                  /* owned, for messages */
    size_t max;                  /* PG_MSGS: page size */
    int backward;                /* PG_MSGS: rows come newest first */
    union {
        pv_store_done_fn done;
        pv_store_names_fn names;
        pv_store_room_fn room;
        pv_store_msgs_fn msgs;
        pv_store_entries_fn entries;
    } cb;
    void *ud;
    PGresult *result; /* the statement's result, once read */
    /* Fencing (lease.c): params[fence] and params[fence + 1] are the lease
     * holder and epoch, filled when the op is sent if this handle holds the
     * lease of op->room then (else left NULL: palaver_fence lets it pass).
     * 0: not a fenced write. */
    int fence;
    /* PG_CUSTOM: the result (status OK) or the failure, and what they need. */
    struct pg_store *store;
    void (*on_result)(pg_op_t *op, const PGresult *r);
    void (*on_fail)(pg_op_t *op, int status, const char *msg);
    void (*user_cb)(void); /* the caller's callback, cast back by on_* */
    char *arg;             /* an owned string on_* need (the instance) */
    /* Batched appends (archive.c): called just before the op is sent (its
     * parameters are bound then); 0, or -1 (out of memory: the op fails). */
    int (*prepare)(struct pg_store *s, pg_op_t *op);
    void *batch; /* the rows it carries, owned by archive.c's on_* */
    /* A statement sent often (the batched append): op->sql is prepared once
     * per connection under this name (a static string, at most
     * PG_MAX_STMTS of them) and run with PQsendQueryPrepared, which spares
     * the server parsing and planning it each time. NULL: sent as text. */
    const char *stmt_name;
    /* Nonzero: every parameter is in the binary format, lengths[i] bytes
     * (archive.c's batch); else they are text. */
    int binary;
    int lengths[PG_MAX_PARAMS];
};

#define PG_MAX_STMTS 4

typedef struct pg_store {
    const char **keys, **values; /* libpq connection parameters (owned) */
    PGconn *conn;
    int connecting;    /* PQconnectPoll in progress */
    int polling_write; /* connect poll wants writability */
    ev_io io;          /* on PQsocket(conn) */
    ev_timer retry;    /* reconnect timer */
    double retry_delay;
    struct ev_loop *loop;
    pg_op_t *head, *tail; /* queued, head is in flight when sent */
    int sent;             /* head has been sent */
    int closing;
    char err[1024];
    /* lease.c: the leases this handle holds, room -> pg_lease_t (owned),
     * and who is told of asks (lease_watch). */
    pv_map_t *leases;
    char *watch_instance; /* owned; NULL: not watching */
    void (*watch_asked)(const char *room, void *ud);
    void *watch_ud;
    pg_op_t *append_open; /* archive.c: the queued, unsent batch appends still join */
    /* conn.c: statements prepared on this connection (names, static), and
     * whether the head's PQsendPrepare (not the statement itself) is in
     * flight. Forgotten when the connection is. */
    const char *prepared[PG_MAX_STMTS];
    int preparing;
} pg_store_t;

/* conn.c */
void pg_one_line(char *msg);            /* libpq's multi-line messages, on one line */
int pg_connect_blocking(pg_store_t *s); /* at open: 0 or -1 (logged) */
void pg_start_io(pg_store_t *s);        /* after a connection is made */
void pg_disconnect(pg_store_t *s, const char *why);
void pg_drain(pg_store_t *s); /* close: finish queued operations */
/* Queues op (takes ownership) and sends it when its turn comes. */
void pg_submit(pg_store_t *s, pg_op_t *op);
/* New operation; strings are copied. NULL on allocation failure. */
pg_op_t *pg_op_new(pg_kind_t kind, const char *sql, int nparams, const char *const *params);
/* pg_op_new for room (copied; NULL: none); on allocation failure NULL, with
 * the reason in s->err (logged). */
pg_op_t *pg_op_for_room(pg_store_t *s, pg_kind_t kind, const char *sql, int nparams,
                        const char *const *params, const char *room);
/* Queues a PG_DONE write for room, fenced (lease.c): the statement takes the
 * holder and epoch as its two parameters after the nparams given. cb gets
 * PV_STORE_ENOMEM at once when it cannot be queued. */
void pg_submit_done(pg_store_t *s, const char *sql, int flags, int nparams,
                    const char *const *params, const char *room, pv_store_done_fn cb, void *ud);
void pg_op_free(pg_op_t *op);
/* Fails op with status and message (frees it). */
void pg_op_fail(pg_op_t *op, int status, const char *msg);

/* result.c: runs op's callback from its result (or error). */
void pg_complete(pg_store_t *s, pg_op_t *op);

/* schema.c: creates the schema if absent (blocking, at open). 0 or -1. */
int pg_schema_apply(pg_store_t *s);
/* Settings for every new connection (notice routing). */
void pg_after_connect(pg_store_t *s);

/* rooms.c / archive.c: the vtable entries. */
void pg_room_list(void *h, pv_store_names_fn cb, void *ud);
void pg_rooms_list(void *h, const char *after, size_t max, unsigned flags, pv_store_entries_fn cb,
                   void *ud);
void pg_room_load(void *h, const char *name, pv_store_room_fn cb, void *ud);
void pg_room_put(void *h, const char *name, const pv_kv_t *config, size_t n, pv_store_done_fn cb,
                 void *ud);
void pg_room_delete(void *h, const char *name, pv_store_done_fn cb, void *ud);
void pg_affs_set(void *h, const char *room, const pv_store_aff_t *items, size_t n,
                 pv_store_done_fn cb, void *ud);
void pg_reg_set(void *h, const char *room, const char *jid, const char *nick, pv_store_done_fn cb,
                void *ud);
void pg_archive_append(void *h, const char *room, const pv_store_msg_t *msg, pv_store_done_fn cb,
                       void *ud);
void pg_archive_query(void *h, const char *room, const pv_store_query_t *q, pv_store_msgs_fn cb,
                      void *ud);
void pg_archive_replace(void *h, const char *room, const char *id, const char *xml,
                        pv_store_done_fn cb, void *ud);
void pg_archive_delete(void *h, const char *room, pv_store_done_fn cb, void *ud);
void pg_archive_trim(void *h, const char *room, int64_t before_us, size_t keep_newest,
                     pv_store_done_fn cb, void *ud);

/* lease.c */
int pg_lease_init(pg_store_t *s);         /* at open: 0, or -1 (out of memory) */
void pg_lease_free(pg_store_t *s);        /* at close */
void pg_lease_reconnected(pg_store_t *s); /* LISTEN again after a reconnection */
void pg_lease_notifies(pg_store_t *s);    /* hands the asks received to lease_watch */
/* Fills op's fence parameters just before it is sent: 0, or -1 (no memory). */
int pg_fence_bind(pg_store_t *s, pg_op_t *op);
void pg_lease_acquire(void *h, const char *room, const char *instance, int ttl_ms,
                      void (*cb)(int status, const char *error, int64_t epoch, const char *holder,
                                 void *ud),
                      void *ud);
void pg_lease_renew(void *h, const char *instance, int ttl_ms,
                    void (*cb)(int status, const char *error, const char *const *lost, size_t nlost,
                               void *ud),
                    void *ud);
void pg_lease_release(void *h, const char *room, const char *instance, pv_store_done_fn cb,
                      void *ud);
void pg_lease_ask(void *h, const char *room, const char *holder, pv_store_done_fn cb, void *ud);
void pg_lease_watch(void *h, const char *instance, void (*asked)(const char *room, void *ud),
                    void *ud);

/* occupants.c */
void pg_occupant_put(void *h, const char *room, const char *nick, const char *data,
                     pv_store_done_fn cb, void *ud);
void pg_occupants_load(void *h, const char *room,
                       void (*cb)(int status, const char *error, const pv_kv_t *occupants, size_t n,
                                  void *ud),
                       void *ud);

/* The text[] literal for n strings (NULL entries become NULL): malloc'd,
 * caller frees; NULL on allocation failure. get(i) returns entry i. */
char *pg_text_array(size_t n, const char *(*get)(const void *arr, size_t i), const void *arr);

/* binarray.c: the same as an array in the binary format (for a parameter
 * of format 1) of text (PG_TEXT_OID: the strings as they are) or bigint
 * (PG_INT8_OID: each string a decimal integer); its length in *len.
 * malloc'd, caller frees; NULL on allocation failure. */
#define PG_TEXT_OID 25
#define PG_INT8_OID 20
char *pg_bin_array(size_t n, unsigned elem_type, const char *(*get)(const void *arr, size_t i),
                   const void *arr, int *len);

#endif
