/*
 * palaver/store.h: the storage backend interface.
 *
 * A backend is a libtool module NAME.so (memory, spool, sqlite, pgsql, or a
 * site's own) that exports one const pv_store_t named NAME_LTX_pv_store
 * (declare it with PV_STORE_DEFINE). The config's <backend><type>NAME</type>
 * chooses it; nothing else in Palaver knows which one is loaded.
 *
 * What is stored is what MUC must keep across restarts, as plain data:
 *   - rooms: a name (the room node, normalised) and a list of key/value
 *     strings (configuration, subject...; keys are the plugin's business);
 *   - affiliations per room: bare JID, affiliation name, reason;
 *   - registered nicks per room: bare JID, nick;
 *   - a message archive per room: id, time, sender, the stanza as XML text.
 *
 * Asynchrony: every operation takes a completion callback, called exactly once
 * with status 0 or a negative PV_STORE_E* code and a message. Backends that
 * work synchronously (memory, spool, sqlite) call it before returning;
 * pgsql calls it later from the event loop. Callers must handle both. Data
 * passed to a callback is borrowed for the duration of the callback.
 * Strings passed in are copied by the backend before the call returns.
 * Caller bugs (a NULL or empty room name, a config pair or affiliation
 * without a key, a message without an id or XML, unknown flags...) get
 * PV_STORE_EINVAL from the table pv_store() hands out, before the backend
 * is called: a backend may take its arguments as valid.
 *
 * ABI: `size` is sizeof(pv_store_t) as the backend was built; the core only
 * calls entries that lie within it, so entries are only ever appended. A
 * backend built for an older minor version is still loaded: the table
 * pv_store() hands out then has those later entries NULL and its `size`
 * ends before them, so callers test PV_STORE_HAS(st, entry) before using an
 * entry appended after minor 0 (archive_trim, rooms_list, the minor 3
 * entries).
 *
 * Loading one room on first use needs no entry of its own: room_load gives
 * everything stored for a room (its config pairs, which also carry what
 * muc-core keeps there, such as the subject, pending registration requests
 * and the owners recorded at the last room_put; its affiliations; its
 * registrations). A room's archive is read with archive_query.
 */
#ifndef PALAVER_STORE_H
#define PALAVER_STORE_H

#include <palaver/config.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PV_STORE_ABI_MAJOR 1
#define PV_STORE_ABI_MINOR 3 /* 1: archive_trim; 2: rooms_list; 3: leases, live occupants */

enum {
    PV_STORE_OK = 0,
    PV_STORE_ENOTFOUND = -1, /* no such room / message */
    PV_STORE_EIO = -2,       /* the storage failed (disk, database, corrupt data) */
    PV_STORE_EINVAL = -3,    /* bad argument (a caller bug) */
    PV_STORE_ENOMEM = -4,
    PV_STORE_EBUSY = -5 /* (minor 3) a lease held by another live instance, or a
                           write for a room whose lease moved on (fencing) */
};

typedef struct pv_kv {
    const char *key;
    const char *value;
} pv_kv_t;

typedef struct pv_store_aff {
    const char *jid;         /* bare JID (or a domain, for domain bans) */
    const char *affiliation; /* "owner", "admin", "member", "outcast", "player"...;
                                "none" in affs_set means remove */
    const char *reason;      /* may be NULL */
} pv_store_aff_t;

typedef struct pv_store_reg {
    const char *jid; /* bare JID */
    const char *nick;
} pv_store_reg_t;

typedef struct pv_store_room {
    const char *name;
    const pv_kv_t *config;
    size_t nconfig;
    const pv_store_aff_t *affs;
    size_t naffs;
    const pv_store_reg_t *regs;
    size_t nregs;
} pv_store_room_t;

typedef struct pv_store_msg {
    const char *id;   /* unique within the room (stanza-id); the backend keeps it */
    int64_t stamp_us; /* microseconds since the epoch, UTC */
    const char *nick; /* sender's nick at the time */
    const char *jid;  /* sender's bare JID (may be NULL) */
    const char *xml;  /* the message stanza as serialized XML */
} pv_store_msg_t;

/* Archive query. NULL/0 fields do not restrict. Results are in chronological
 * order. With `before_id` (or `last`), the newest `max` matches before it are
 * returned, still oldest first. */
typedef struct pv_store_query {
    int64_t start_us;      /* >= start (0: no bound) */
    int64_t end_us;        /* <= end (0: no bound) */
    const char *after_id;  /* strictly after this message */
    const char *before_id; /* strictly before this message */
    const char *with_nick; /* only from this nick */
    size_t max;            /* at most this many (0: backend's default, 100) */
    int last;              /* nonzero: take the newest `max` (page backwards) */
} pv_store_query_t;

typedef void (*pv_store_done_fn)(int status, const char *error, void *ud);
typedef void (*pv_store_names_fn)(int status, const char *error, const char *const *names, size_t n,
                                  void *ud);
typedef void (*pv_store_room_fn)(int status, const char *error, const pv_store_room_t *room,
                                 void *ud);
/* One stored room as rooms_list gives it. */
typedef struct pv_store_room_entry {
    const char *name;  /* the room name */
    const char *title; /* PV_STORE_KEY_TITLE's value, NULL when absent or empty */
    int is_public;     /* PV_STORE_KEY_PUBLIC's value is "1" */
} pv_store_room_entry_t;

/* The config keys rooms_list reads (muc-core's storage keys for
 * muc#roomconfig_publicroom and muc#roomconfig_roomname). When a room's
 * config holds a key more than once, the last pair counts. */
#define PV_STORE_KEY_PUBLIC "public"
#define PV_STORE_KEY_TITLE "roomname"

/* rooms_list flags. */
#define PV_STORE_LIST_PUBLIC 1u /* only rooms whose PV_STORE_KEY_PUBLIC is "1" */
#define PV_STORE_LIST_COUNT 2u  /* the caller wants the count (see rooms_list) */

/* count: how many stored rooms match the flags in all (not only after
 * `after`), or -1 when not asked for or not cheap for this backend. */
typedef void (*pv_store_entries_fn)(int status, const char *error,
                                    const pv_store_room_entry_t *rooms, size_t n, long long count,
                                    void *ud);
/* complete: nonzero when the query range held no more matches than returned. */
typedef void (*pv_store_msgs_fn)(int status, const char *error, const pv_store_msg_t *msgs,
                                 size_t n, int complete, void *ud);

typedef struct pv_store {
    size_t size;        /* sizeof(pv_store_t) at build time */
    unsigned abi_major; /* PV_STORE_ABI_MAJOR */
    unsigned abi_minor; /* PV_STORE_ABI_MINOR */
    const char *name;   /* equals the module file name */
    const char *version;

    /* Opens the store. cfg is the <backend> element (with the root's <spool>
     * copied in when the backend element has none), never NULL. Sets *handle.
     * Returns 0, or -1 after logging why (start-up then stops). */
    int (*open)(const pv_config_t *cfg, void **handle);

    /* Flushes and frees. Pending asynchronous operations complete (or fail
     * with PV_STORE_EIO) before it returns. */
    void (*close)(void *handle);

    /* Names of all stored rooms. */
    void (*room_list)(void *handle, pv_store_names_fn cb, void *ud);

    /* A room with its config, affiliations and registrations; ENOTFOUND if absent. */
    void (*room_load)(void *handle, const char *name, pv_store_room_fn cb, void *ud);

    /* Creates the room or replaces its whole config with these pairs
     * (affiliations, registrations and archive are kept). */
    void (*room_put)(void *handle, const char *name, const pv_kv_t *config, size_t n,
                     pv_store_done_fn cb, void *ud);

    /* Deletes the room and everything stored for it (affiliations,
     * registrations, archive). ENOTFOUND if absent. */
    void (*room_delete)(void *handle, const char *name, pv_store_done_fn cb, void *ud);

    /* Applies all affiliation changes or none (one transaction). Each item
     * replaces that JID's affiliation; "none" removes it. The room must exist. */
    void (*affs_set)(void *handle, const char *room, const pv_store_aff_t *items, size_t n,
                     pv_store_done_fn cb, void *ud);

    /* Registers jid's nick in room (replacing an earlier one); nick NULL removes. */
    void (*reg_set)(void *handle, const char *room, const char *jid, const char *nick,
                    pv_store_done_fn cb, void *ud);

    /* Appends a message to the room's archive. The room need not be stored
     * (temporary rooms with logging keep an archive too). */
    void (*archive_append)(void *handle, const char *room, const pv_store_msg_t *msg,
                           pv_store_done_fn cb, void *ud);

    /* Queries a room's archive. An unknown after_id/before_id gives ENOTFOUND. */
    void (*archive_query)(void *handle, const char *room, const pv_store_query_t *q,
                          pv_store_msgs_fn cb, void *ud);

    /* Replaces a stored message's XML (retraction tombstone, XEP-0425).
     * ENOTFOUND if absent. */
    void (*archive_replace)(void *handle, const char *room, const char *id, const char *xml,
                            pv_store_done_fn cb, void *ud);

    /* Deletes a room's whole archive (the room itself stays). */
    void (*archive_delete)(void *handle, const char *room, pv_store_done_fn cb, void *ud);

    /* (Appended for the history plugin's retention.) Deletes from a room's
     * archive every message older than before_us (0: no age limit), then all
     * but the newest keep_newest messages (0: no count limit). Bounded work
     * per call is the caller's concern (it calls once per room per tick).
     * A room without an archive is fine (PV_STORE_OK). May be NULL or lie
     * beyond `size` in older backends: callers check. Strings are copied. */
    void (*archive_trim)(void *handle, const char *room, int64_t before_us, size_t keep_newest,
                         pv_store_done_fn cb, void *ud);

    /* (Minor 2, for listing rooms without loading them: disco#items with
     * XEP-0059 paging.) One page of stored rooms in byte order of their
     * names (strcmp), those strictly after `after` (NULL: from the first),
     * at most `max` (0: 100). With PV_STORE_LIST_PUBLIC only rooms stored
     * as public: the value of PV_STORE_KEY_PUBLIC in the room's config is
     * exactly "1" (muc-core writes every option at each room_put; a row
     * without the key, such as muc-core's NODE@tombstone rows, is not
     * public). Without it every stored room is listed, tombstone rows
     * included: callers skip names they store for their own purposes. A
     * name `after` that is not stored is fine (the page starts at the next
     * name), so rooms added or deleted between pages neither repeat nor
     * hide others. With PV_STORE_LIST_COUNT the callback's count is the
     * number of matching rooms when the backend knows it cheaply (memory,
     * sqlite and pgsql keep it; spool only without PV_STORE_LIST_PUBLIC),
     * else -1. Cost per page: memory and spool walk their table or
     * directory; sqlite and pgsql read an index from `after` on (never the
     * whole table). The entries are borrowed for the callback. May be NULL
     * or lie beyond `size` in older backends (PV_STORE_HAS). */
    void (*rooms_list)(void *handle, const char *after, size_t max, unsigned flags,
                       pv_store_entries_fn cb, void *ud);

    /* ---- (Minor 3) Several instances on one domain: room leases ----
     * A lease makes one instance (a name unique among the instances sharing
     * the store) the owner of a room for ttl_ms, renewed by a heartbeat.
     * Expiry is measured on the store's clock (pgsql: the server's), never
     * the instances'. Only backends shared between processes (pgsql)
     * implement these; the others leave them NULL (test PV_STORE_HAS and
     * the pointer). Fencing is the backend's business: once a handle holds
     * a room's lease at some epoch, every write it makes for that room
     * (room_put, affs_set, reg_set, room_delete, archive_append/replace/
     * delete/trim, occupant_put) carries that epoch and fails with
     * PV_STORE_EBUSY, changing nothing, when the lease has moved on
     * meanwhile; that includes writes queued before the handle learnt it
     * (pgsql binds the epoch when the write is sent, so writes queued
     * behind an acquire are fenced by it). A lost lease stays fenced until
     * it is released or acquired again. Rooms a handle holds no lease on
     * are written without a fence, as in a single-instance deployment. */

    /* Takes (free or expired), keeps (already ours: renewed) or refuses
     * (held by another instance whose lease has not expired: EBUSY, with
     * `holder` set) the lease of `room` for `instance`. On success `epoch`
     * is the lease's epoch, which grows every time the lease changes hands. */
    void (*lease_acquire)(void *handle, const char *room, const char *instance, int ttl_ms,
                          void (*cb)(int status, const char *error, int64_t epoch,
                                     const char *holder, void *ud),
                          void *ud);
    /* The heartbeat: extends to now + ttl_ms every lease this handle
     * acquired for `instance` and still holds (at the epoch it acquired).
     * `lost` lists the others, rooms taken over after expiry: the caller
     * stops serving them (and releases them); a lost room is listed at
     * each renew until then. Leases the handle did not acquire are left to
     * expire (an instance restarted under the same name acquires its rooms
     * again, at the same epoch, before serving them). */
    void (*lease_renew)(void *handle, const char *instance, int ttl_ms,
                        void (*cb)(int status, const char *error, const char *const *lost,
                                   size_t nlost, void *ud),
                        void *ud);
    /* Gives the lease of `room` up (when held by `instance`; else OK, nothing
     * done): another instance can take it at once, with a greater epoch.
     * The handle forgets the lease when the release completes; its later
     * writes for the room are not fenced. */
    void (*lease_release)(void *handle, const char *room, const char *instance, pv_store_done_fn cb,
                          void *ud);
    /* Asks `holder` (the holder acquire reported) to give `room`'s lease
     * up (PostgreSQL NOTIFY). OK once sent; whether and when the holder
     * releases it is the holder's decision. */
    void (*lease_ask)(void *handle, const char *room, const char *holder, pv_store_done_fn cb,
                      void *ud);
    /* Calls asked(room, ud) from the event loop whenever an instance asks
     * `instance` to give a room up (PostgreSQL LISTEN, renewed after each
     * reconnection), until close. One watch per handle: a later call
     * replaces it. Asks sent while the handle is disconnected are lost:
     * the asker asks again. */
    void (*lease_watch)(void *handle, const char *instance,
                        void (*asked)(const char *room, void *ud), void *ud);

    /* ---- (Minor 3) Live occupants, stored as they change ----
     * One record per occupant (room, nick): `data` is muc-core's text (its
     * serialised occupant: sessions, role, presence...), opaque here.
     * data NULL removes the record (absent: OK). A put for a nick already
     * stored replaces its data and keeps its place; occupants_load gives
     * every record of a room (key: nick, value: data; none: n 0, OK) in
     * the order they were first put. Records are keyed by the room's name
     * and independent of its stored row: rooms need not be stored
     * (temporary rooms), and room_delete leaves them (muc-core removes
     * each occupant as it leaves). Memory, spool, sqlite and pgsql
     * implement them; occupant_put is fenced like every write. */
    void (*occupant_put)(void *handle, const char *room, const char *nick, const char *data,
                         pv_store_done_fn cb, void *ud);
    void (*occupants_load)(void *handle, const char *room,
                           void (*cb)(int status, const char *error, const pv_kv_t *occupants,
                                      size_t n, void *ud),
                           void *ud);
} pv_store_t;

/* Nonzero when st has the (appended) entry and it is not NULL. */
#define PV_STORE_HAS(st, entry)                                                                    \
    ((st)->size >= offsetof(pv_store_t, entry) + sizeof((st)->entry) && (st)->entry != NULL)

#define PV_STORE_SYMBOL_(n) n##_LTX_pv_store
#define PV_STORE_DEFINE(cname)                                                                     \
    extern const pv_store_t PV_STORE_SYMBOL_(cname);                                               \
    const pv_store_t PV_STORE_SYMBOL_(cname)

/* The loaded backend and its handle, for plugins. Never NULL after start-up. */
const pv_store_t *pv_store(void **handle);

/* Name of the loaded backend ("sqlite"...). */
const char *pv_store_name(void);

#ifdef __cplusplus
}
#endif
#endif
