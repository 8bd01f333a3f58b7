/*
 * plugins/history/history.h: what the history plugin's files share.
 *
 * The plugin keeps, per room, a ring of recent messages (recent.c) for the
 * discussion history sent on join (history_request.c applies the client's
 * <history/> limits), stamps every reflected groupchat message with a
 * XEP-0359 stanza-id (stanza_id.c), appends it to the backend's archive when
 * the room logs (archive.c), answers XEP-0313 queries with XEP-0059 paging
 * (mam.c, rsm.c), trims archives in the background (retention.c) and may
 * write per-room day files (disklog.c), and lets moderators retract
 * messages, leaving tombstones (moderate.c). A room muc-core loads gets its
 * ring filled from the archive, and loses it when unloaded (loading.c).
 * Only the public SDK is used.
 */
#ifndef PV_HISTORY_H
#define PV_HISTORY_H

#include <palaver/history.h>
#include <palaver/muc.h>
#include <palaver/palaver.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HIST "history"
#define NS_DELAY "urn:xmpp:delay"
#define NS_SID "urn:xmpp:sid:0"
#define NS_MAM "urn:xmpp:mam:2"
#define NS_RSM "http://jabber.org/protocol/rsm"
#define NS_FORWARD "urn:xmpp:forward:0"
#define NS_MUC "http://jabber.org/protocol/muc"
#define NS_HINTS "urn:xmpp:hints"

#define HISTORY_DEFAULT 20    /* messages sent on join when the room says nothing */
#define HISTORY_HARD_MAX 1000 /* ring capacity ceiling whatever the room says */
#define STANZA_ID_LEN 20
#define STANZA_ID_TIME_LEN 9 /* of them the archive time (stanza_id.c) */

/* ---- tags.c: tags other plugins keep with a message (palaver/history.h) ---- */

typedef struct tags {
    char *v[PV_HISTORY_TAGS_MAX]; /* owned */
    size_t n;
} tags_t;

bool tags_valid(const char *tag);
bool tags_has(const tags_t *t, const char *tag);
/* Adds a copy (once); -1 (logged) when invalid, full or out of memory. */
int tags_add(tags_t *t, const char *tag);
/* Replaces dst with a copy of src. 0 or -1. */
int tags_copy(tags_t *dst, const tags_t *src);
void tags_clear(tags_t *t);
/* Removes the private element(s) from a message; returns how many. */
int tags_strip(pv_el_t *msg);
/* Reads the tags of a stored stanza into out (only from an element naming
 * stanza_id), then removes every such element. */
void tags_extract(pv_el_t *msg, const char *stanza_id, tags_t *out);
/* Appends the private element holding t, naming stanza_id, to msg (for
 * storing); returns it (to be unlinked after serialising) or NULL when t is
 * empty or on failure. */
pv_el_t *tags_attach(pv_el_t *msg, const char *stanza_id, const tags_t *t);
/* Fires the TAG event for a message about to be kept; tags land in out. */
void tags_collect(pv_muc_message_event_t *me, const char *stanza_id, tags_t *out);

/* ---- recent.c: the per-room ring of recent messages ---- */

typedef struct recent_msg {
    pv_el_t *stanza; /* the reflected message (from = occupant JID, no to); owned */
    int64_t stamp_us;
    char *id;    /* the stanza-id; owned */
    tags_t tags; /* other plugins' tags; owned */
} recent_msg_t;

typedef struct recent {
    char *room;                   /* room bare JID (key); owned */
    recent_msg_t *msgs;           /* ring buffer of `cap` slots */
    size_t cap, n, head;          /* head: index of the oldest */
    bool loaded;                  /* the archive was consulted since the room came into memory */
    bool loading;                 /* an asynchronous load is under way */
    bool parked;                  /* joins wait under history_park_key() for that load */
    uint64_t serial;              /* tells this ring from a later one of the same room */
    int64_t retry_us;             /* after a failed load, no other before this time */
    size_t since_trim;            /* messages stored since the private archive was trimmed */
    int64_t retention_trimmed_us; /* when room_retention.c last trimmed its archive */
    struct recent *next;          /* hash chain */
} recent_t;

/* The ring of room_jid, created when `create` (NULL when absent, or on
 * allocation failure, which is logged). Owned by the table. */
recent_t *recent_get(const char *room_jid, bool create);
/* Appends a copy of stanza and of tags (the ring takes clones; the caller
 * keeps its own). Drops the oldest past the capacity. 0 or -1. */
int recent_push(recent_t *r, const pv_el_t *stanza, int64_t stamp_us, const char *id,
                const tags_t *tags);
/* recent_push that takes stanza and the contents of tags instead of copies
 * (on failure too: stanza freed, tags cleared). 0 or -1. */
int recent_push_owned(recent_t *r, pv_el_t *stanza, int64_t stamp_us, const char *id, tags_t *tags);
/* Inserts older messages (from the archive) in front, skipping ids already
 * held, keeping at most the capacity (newest win). The stored tags element
 * is read into the entry's tags and removed from its stanza. */
int recent_prepend_xml(recent_t *r, const char *xml, int64_t stamp_us, const char *id);
/* i-th message, 0 = oldest. */
const recent_msg_t *recent_at(const recent_t *r, size_t i);
/* Changes the capacity (keeps the newest). */
int recent_set_cap(recent_t *r, size_t cap);
/* The entry holding the message with this stanza-id, or NULL. Borrowed. */
recent_msg_t *recent_find(recent_t *r, const char *id);
/* Replaces an entry's stanza with a copy of `stanza` (a retraction
 * tombstone); the entry keeps its id, time and tags. 0 or -1 (logged). */
int recent_replace(recent_t *r, recent_msg_t *m, const pv_el_t *stanza);
/* Forgets a room's ring (destroyed or unloaded room); joins parked for its
 * load are released. */
void recent_drop(const char *room_jid);
void recent_free_all(void);

/* ---- loading.c: rooms muc-core loads and unloads on demand ---- */

/* Subscribes to ROOM_LOADED and ROOM_UNLOADED and hooks the joins that must
 * wait for a ring being loaded: 0 or -1 (logged). */
int loading_start(void);
void loading_stop(void);
/* The key joins to room_jid wait under while its ring loads (caller frees),
 * or NULL (logged) when out of memory. */
char *history_park_key(const char *room_jid);
/* Lets the joins parked for r's load run (they get whatever the ring holds). */
void history_unpark(recent_t *r);

/* ---- history_request.c: the <history/> rules ---- */

typedef struct history_limits {
    long maxchars;    /* -1: no limit */
    long maxstanzas;  /* -1: no limit */
    int64_t since_us; /* 0: no bound (seconds and since folded in) */
} history_limits_t;

/* Reads <history maxchars maxstanzas seconds since/> (h may be NULL) with
 * now_us as the clock; invalid attributes are ignored (logged at debug). */
void history_limits_parse(const pv_el_t *h, int64_t now_us, history_limits_t *out);
/* Parses an XEP-0082 DateTime, with its fraction, to microseconds. 0 or -1. */
int history_parse_datetime(const char *s, int64_t *out_us);
/* Number of characters (UTF-8 code points) in s. */
size_t utf8_chars(const char *s, size_t len);
/* Sends the room's history to `to` (the SEND_HISTORY event). */
pv_verdict_t history_send(const pv_event_t *ev, void *payload, void *ud);
/* The room's configured history length (muc#maxhistoryfetch, default 20). */
size_t history_room_length(const pv_muc_room_t *room);

/* ---- stanza_id.c ---- */

/* Removes <stanza-id/> elements claiming to be by `by`; returns how many. */
int stanza_id_strip(pv_el_t *msg, const char *by);
/* A fresh id for a message archived at stamp_us (its time, then random). */
void stanza_id_make(int64_t stamp_us, char out[STANZA_ID_LEN + 1]);
/* Makes an id into out (STANZA_ID_LEN + 1 bytes) and adds
 * <stanza-id xmlns='urn:xmpp:sid:0' by id/> to msg. 0 or -1. */
int stanza_id_add(pv_el_t *msg, const char *by, int64_t stamp_us, char out[STANZA_ID_LEN + 1]);

/* ---- archive.c ---- */

/* True when a message is worth keeping (a body, or a storable payload, and
 * no no-store hint). */
bool archive_storable(const pv_el_t *msg);
/* Appends the message, with tags as the private element, to the backend
 * archive of `room_name` (msg is left as it was). */
void archive_append(const char *room_name, const char *id, int64_t stamp_us, const char *nick,
                    const char *bare_jid, pv_el_t *msg, const tags_t *tags);
#define STORE_NAME_MAX 1100     /* a room node (at most 1023 bytes) and a suffix */
#define RECENT_SUFFIX "@recent" /* the private join history of a room that does not log */
/* Where the room's messages are stored (archive.c explains): its name when
 * it logs, NAME@recent (written into buf) for a persistent room that does
 * not, NULL for a temporary room that does not. */
const char *archive_store_name(const pv_muc_room_t *room, char *buf, size_t len);
/* Deletes a room's whole archive (and its private recent messages). */
void archive_delete(const char *room_name);
/* The MESSAGE event: stanza-id, ring, archive, disk log. */
pv_verdict_t archive_on_message(const pv_event_t *ev, void *payload, void *ud);
/* Loads the newest messages of a room into its ring (one query). When the
 * backend answers later, r->loading stays set until it does. Does nothing
 * while a load is under way, or for a moment after one failed. */
void archive_load_recent(recent_t *r, const pv_muc_room_t *room, size_t n);
/* Number of archive loads whose answer has not come yet (any ring). */
size_t archive_loads_pending(void);

/* ---- mam.c / rsm.c ---- */

pv_verdict_t mam_iq(pv_stanza_ctx_t *ctx, void *ud);
pv_verdict_t mam_disco(const pv_event_t *ev, void *payload, void *ud);
/* A disco#info query to a room's bare JID, no node: where the room's own
 * features are listed (MAM's here, moderation's in moderate.c). */
bool disco_asks_room(const pv_disco_info_t *info);

typedef struct rsm_req {
    long max;           /* -1: absent */
    const char *after;  /* NULL: absent */
    const char *before; /* NULL: absent; "" = <before/> (last page) */
    long index;         /* -1: absent; else the page's first item (0-based) */
} rsm_req_t;

/* Reads an <set xmlns=rsm/> (may be NULL). -1 on a malformed max or index,
 * or an <index/> combined with <after/> or <before/>. */
int rsm_parse(const pv_el_t *set, rsm_req_t *out);
/* Appends <set><first index>..</first><last/><count/></set> to parent.
 * count < 0 / index < 0: omitted. first NULL: only <count/>. */
void rsm_answer(pv_el_t *parent, const char *first, const char *last, long index, long count);

/* ---- room_retention.c (RETAIN-1): each room's own retention ---- */

/* Seconds the room keeps its history: -1 as long as the service keeps it,
 * 0 none, else that many (never more than <max-age>). */
long long room_retention_s(const pv_muc_room_t *room);
/* Trims the room's archive (and private join history) to its retention. */
void room_retention_trim(const pv_muc_room_t *room);
/* A message was stored for the room (ring r): trims at most once an hour. */
void room_retention_note_message(recent_t *r, const pv_muc_room_t *room);
/* A join or an archive query: the room's first since it came into memory
 * trims it first (rooms loaded before the plugin subscribed). */
void room_retention_first_use(const pv_muc_room_t *room);
int room_retention_start(long max_age_s);
void room_retention_stop(void);

/* ---- retention.c ---- */

typedef struct retention_cfg {
    long max_age_s;  /* 0: keep forever */
    long max_count;  /* 0: no limit */
    long interval_s; /* timer period */
    long batch;      /* rooms examined per tick */
} retention_cfg_t;

/* Starts the trimming timer through the plugin's handle h. 0 or -1. */
int retention_start(pv_plugin_handle_t *h, const retention_cfg_t *cfg);
void retention_stop(void);
/* A room the plugin saw archive into (retention only walks known rooms). */
void retention_note_room(const char *room_name);
/* Forgets a noted room (unloaded: it is stored, so the backend lists it). */
void retention_forget_room(const char *room_name);

/* ---- disklog.c ---- */

/* dir NULL: off. format "text" or "html". 0 or -1. */
int disklog_configure(const char *dir, const char *format);
void disklog_message(const char *room_name, const char *room_jid, const char *nick,
                     int64_t stamp_us, const pv_el_t *msg);
void disklog_close(void);

/* ---- moderate.c: XEP-0425 moderated message retraction ---- */

/* Registers the moderation IQ hooks and the rooms' disco features: 0 or -1
 * (logged). Without muc-core's room_broadcast, moderation stays off (0). */
int moderate_start(void);
void moderate_stop(void);

/* ---- plugin.c ---- */

extern const pv_muc_api_t *muc_api;

#endif
