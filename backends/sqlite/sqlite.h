/*
 * backends/sqlite/sqlite.h: the SQLite backend's state and the helpers its
 * files share (statement cache, transactions, error reporting).
 *
 * One connection, opened in WAL mode with foreign keys on. Every statement
 * the backend runs is prepared once, on first use, and kept in st[] until
 * close, so the hot paths (archive_append, affs_set) only bind and step.
 * Reads complete before they return; writes are grouped per event-loop
 * iteration (group.c) and complete after the group's COMMIT.
 */
#ifndef PV_BACKEND_SQLITE_H
#define PV_BACKEND_SQLITE_H

#include <ev.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include <palaver/store.h>

enum sq_stmt {
    ST_BEGIN,
    ST_BEGIN_READ,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_ROOM_ID,
    ST_ROOM_PUT,
    ST_ROOM_ADD_UNSTORED,
    ST_ROOM_LIST,
    ST_ROOM_DELETE,
    ST_CONFIG_CLEAR,
    ST_CONFIG_INSERT,
    ST_CONFIG_LOAD,
    ST_AFF_UPSERT,
    ST_AFF_DELETE,
    ST_AFF_LOAD,
    ST_REG_UPSERT,
    ST_REG_DELETE,
    ST_REG_LOAD,
    ST_MSG_INSERT,
    ST_MSG_SEQ,     /* by the index of ids (rows with by_id = 1) */
    ST_MSG_SEQ_KEY, /* by the seq parsed from the id (archive.c) */
    ST_MSG_MAX_SEQ,
    ST_MSG_FORWARD,
    ST_MSG_BACKWARD,
    ST_MSG_REPLACE,
    ST_MSG_DELETE_ALL,
    ST_MSG_TRIM_AGE,
    ST_MSG_TRIM_COUNT,
    ST_ROOM_LIST_IDS, /* room_list's batch: stored rooms in id order, and */
    ST_CONFIG_SCAN,   /* the three tables read once in the same order */
    ST_AFF_SCAN,
    ST_REG_SCAN,
    ST_ROOM_SUMMARY, /* rooms_list: a room's public flag and title, set by room_put */
    ST_PAGE_ALL,
    ST_PAGE_PUBLIC,
    ST_PAGE_COUNT,
    ST_OCC_PUT, /* live occupants (occupants.c) */
    ST_OCC_DELETE,
    ST_OCC_LOAD,
    ST_SAVEPOINT, /* one operation inside the group transaction (group.c) */
    ST_RELEASE,
    ST_ROLLBACK_TO,
    ST_COUNT
};

/* One of the tables read in room id order while room_list's callback loads
 * the rooms it listed (rooms.c). */
typedef struct sq_scan {
    enum sq_stmt id;
    int state; /* SCAN_UNSTARTED, SCAN_ROW (the row is current), SCAN_DONE, SCAN_FAILED */
} sq_scan_t;

typedef struct sq_store {
    sqlite3 *db;
    char *path;                 /* owned */
    const char *vfs;            /* sq_walbuf_vfs's answer, released by close */
    sqlite3_stmt *st[ST_COUNT]; /* prepared lazily, finalized in close */
    char err[512];              /* last error message handed to a callback */
    int batch;                  /* room_list's read transaction is open (see sq_batch_end) */
    /* While batch: the listed rooms (names borrowed from room_list, ids
     * owned) in id order; room_load of names[next] reads the scans. */
    const char *const *names;
    int64_t *ids;
    size_t nlisted, next;
    sq_scan_t scan[3];           /* config, affiliations, registrations */
    unsigned long ops, ops_seen; /* statements run; as seen by the idle check */
    ev_timer idle;               /* idle.c */
    bool idle_on;
    /* group.c: the group transaction of this event-loop iteration */
    bool wtx;             /* BEGIN IMMEDIATE done, COMMIT pending */
    int sp;               /* savepoints open inside it (sq_begin...) */
    struct sq_pending *q; /* completions waiting for the COMMIT, in call order */
    size_t nq, capq;
    struct ev_loop *loop; /* the loop the watchers run on, NULL: none */
    ev_check commit_w;    /* commits at the end of the iteration */
    ev_idle awake_w;      /* keeps the loop from blocking while open */
    bool grouping;        /* the group's COMMIT is running (the WAL hook waits) */
    int wal_pages;        /* frames in the WAL after the last commit (sq_wal_hook) */
    struct sq_ckpt *ckpt; /* ckpt.c: the checkpoint thread, NULL: none */
    int ckpt_copied;      /* frames of the WAL its last pass had copied (0: none) */
    int ckpt_asked;       /* wal_pages when the loop last asked for a pass */
    /* archive.c: room name -> rooms.id for archive_append, direct-mapped;
     * emptied by sq_room_ids_clear whenever a row may have gone (a room
     * deleted, anything rolled back). Names owned. */
    struct sq_room_slot {
        char *name;
        int64_t id;
    } room_ids[256];
    /* archive.c: no row has a seq above this (0: not read yet). Only ever
     * too high (rows rolled back or deleted), which is safe: an append
     * whose id parses to a seq not above it takes the next seq instead. */
    int64_t max_seq;
} sq_store_t;

/* group.c: writes issued during one event-loop iteration share one
 * transaction; their completions run after its COMMIT (durable before
 * visible). sq_group_flush commits now (close, a full batch). */
void sq_group_flush(sq_store_t *s);
void sq_group_stop(sq_store_t *s); /* close: flush, stop the watchers */
/* The WAL checkpoints (installed by open; ckpt.c): the checkpoint thread
 * copies the WAL's frames each time SQ_CHECKPOINT_PAGES more were
 * committed; past SQ_RESTART_PAGES the loop copies the last
 * SQ_CATCHUP_PAGES or fewer itself so that the WAL starts over, and past
 * SQ_WAL_MAX_PAGES whatever is left. The group's COMMIT leaves that to
 * sq_group_flush, after the group's callbacks (the reflections are sent
 * before the loop's copy and syncs). */
#define SQ_CHECKPOINT_PAGES 2000
#define SQ_RESTART_PAGES 8000
#define SQ_CATCHUP_PAGES 256
#define SQ_WAL_MAX_PAGES (2 * SQ_RESTART_PAGES)
int sq_wal_hook(void *ud, sqlite3 *db, const char *name, int pages);
void sqg_room_put(void *h, const char *name, const pv_kv_t *config, size_t n, pv_store_done_fn cb,
                  void *ud);
void sqg_room_delete(void *h, const char *name, pv_store_done_fn cb, void *ud);
void sqg_affs_set(void *h, const char *room, const pv_store_aff_t *items, size_t n,
                  pv_store_done_fn cb, void *ud);
void sqg_reg_set(void *h, const char *room, const char *jid, const char *nick, pv_store_done_fn cb,
                 void *ud);
void sqg_archive_append(void *h, const char *room, const pv_store_msg_t *msg, pv_store_done_fn cb,
                        void *ud);
void sqg_archive_replace(void *h, const char *room, const char *id, const char *xml,
                         pv_store_done_fn cb, void *ud);
void sqg_archive_delete(void *h, const char *room, pv_store_done_fn cb, void *ud);
void sqg_archive_trim(void *h, const char *room, int64_t before_us, size_t keep_newest,
                      pv_store_done_fn cb, void *ud);
void sqg_occupant_put(void *h, const char *room, const char *nick, const char *data,
                      pv_store_done_fn cb, void *ud);

/* walbuf.c: the name of the VFS that writes a commit's WAL frames in one
 * system call (registered by the first open), or NULL when it cannot be
 * (then the default VFS); each open that got a name releases it after its
 * sqlite3_close (the last unregisters it). */
const char *sq_walbuf_vfs(void);
void sq_walbuf_release(const char *vfs);

/* ckpt.c: sq_ckpt_start opens the thread's connection to path and starts
 * it, or returns NULL (logged: the loop checkpoints); sq_ckpt_stop ends and
 * joins it, closes its connection and frees it (NULL: nothing). sq_ckpt_poll,
 * on the loop with no transaction open, reads what the thread did and asks
 * for, or makes, the next checkpoint by s->wal_pages. */
typedef struct sq_ckpt sq_ckpt_t;
sq_ckpt_t *sq_ckpt_start(const char *path);
void sq_ckpt_stop(sq_ckpt_t *c);
void sq_ckpt_poll(sq_store_t *s);

/* idle.c: an idle connection gives its page cache back (started by open,
 * stopped by close). */
void sq_idle_start(sq_store_t *s);
void sq_idle_stop(sq_store_t *s);

/* schema.c: creates or upgrades the schema. 0, or -1 after logging. */
int sq_schema_apply(sq_store_t *s);

/* stmt.c: the cached statement id, reset and with cleared bindings, or NULL
 * after logging (s->err holds the reason). */
sqlite3_stmt *sq_stmt(sq_store_t *s, enum sq_stmt id);
void sq_finalize_all(sq_store_t *s);

/* Runs a cached statement that returns no rows. SQLITE_DONE on success, else
 * the error code (logged). */
int sq_exec(sq_store_t *s, enum sq_stmt id);

/* Steps a bound statement that returns no rows, then resets it (the bindings
 * stay). 0, or -1 after sq_error(s, room, what). */
int sq_step_write(sq_store_t *s, sqlite3_stmt *st, const char *room, const char *what);

/* Transactions for room (named in messages; may be NULL): 0 or -1 (logged,
 * s->err set). sq_rollback never fails loudly. Inside the group transaction
 * (group.c) they are savepoints: an operation still applies all or nothing,
 * and its reads see the group's earlier writes. */
int sq_begin(sq_store_t *s, const char *room);      /* IMMEDIATE: for writes */
int sq_begin_read(sq_store_t *s, const char *room); /* DEFERRED: for reads */
int sq_commit(sq_store_t *s, const char *room);
void sq_rollback(sq_store_t *s);

/* room_list keeps one read transaction open while its callback runs, so
 * the room_load calls the callback makes (muc-core loads every stored room
 * from there) share it instead of each opening and closing its own. Every
 * other entry point ends it first with sq_batch_end (a write must never be
 * held in it, a failure must not roll back anything else). */
int sq_batch_begin(sq_store_t *s); /* 0, or -1 (logged): then no batch */
void sq_batch_end(sq_store_t *s);
void sq_scans_clear(sq_store_t *s);    /* rooms.c: drops the scans and ids */
void sq_room_ids_clear(sq_store_t *s); /* archive.c: forgets the cached room ids */

/* Formats "room R: WHAT: <sqlite message>" into s->err, logs it at error
 * level and returns s->err (for the callback). room may be NULL. */
const char *sq_error(sq_store_t *s, const char *room, const char *what);

/* Looks up a room's row. Returns 1 found (sets *id and *stored), 0 absent,
 * -1 error (logged, s->err set). */
int sq_room_id(sq_store_t *s, const char *name, int64_t *id, int *stored);

/* rooms.c / archive.c: the vtable entries. */
void sq_room_list(void *h, pv_store_names_fn cb, void *ud);
void sq_rooms_list(void *h, const char *after, size_t max, unsigned flags, pv_store_entries_fn cb,
                   void *ud);
void sq_room_load(void *h, const char *name, pv_store_room_fn cb, void *ud);
void sq_room_put(void *h, const char *name, const pv_kv_t *config, size_t n, pv_store_done_fn cb,
                 void *ud);
void sq_room_delete(void *h, const char *name, pv_store_done_fn cb, void *ud);
void sq_affs_set(void *h, const char *room, const pv_store_aff_t *items, size_t n,
                 pv_store_done_fn cb, void *ud);
void sq_reg_set(void *h, const char *room, const char *jid, const char *nick, pv_store_done_fn cb,
                void *ud);
void sq_archive_append(void *h, const char *room, const pv_store_msg_t *msg, pv_store_done_fn cb,
                       void *ud);
void sq_archive_query(void *h, const char *room, const pv_store_query_t *q, pv_store_msgs_fn cb,
                      void *ud);
void sq_archive_replace(void *h, const char *room, const char *id, const char *xml,
                        pv_store_done_fn cb, void *ud);
void sq_archive_delete(void *h, const char *room, pv_store_done_fn cb, void *ud);
void sq_archive_trim(void *h, const char *room, int64_t before_us, size_t keep_newest,
                     pv_store_done_fn cb, void *ud);
void sq_occupant_put(void *h, const char *room, const char *nick, const char *data,
                     pv_store_done_fn cb, void *ud);
void sq_occupants_load(void *h, const char *room,
                       void (*cb)(int status, const char *error, const pv_kv_t *occupants, size_t n,
                                  void *ud),
                       void *ud);

#endif
