/*
 * muc_internal.h: the data model shared by muc-core's files.
 *
 * A room keeps its occupants in a list (broadcast order = join order) and in
 * three hash indexes: by nick (resourceprep'd, compared case-insensitively),
 * by real bare JID (a chain of the occupants of one user), and by real full
 * JID (sessions, for multi-session: one occupant, several resources). Rooms
 * live in one table keyed by node. Everything is owned by the room table:
 * rooms own occupants, occupants own sessions.
 */
#ifndef MUC_INTERNAL_H
#define MUC_INTERNAL_H

#include <palaver/muc.h>
#include <palaver/palaver.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MUC "muc-core"

#define NS_MUC "http://jabber.org/protocol/muc"
#define NS_MUC_USER "http://jabber.org/protocol/muc#user"
#define NS_MUC_ADMIN "http://jabber.org/protocol/muc#admin"
#define NS_MUC_OWNER "http://jabber.org/protocol/muc#owner"
#define NS_MUC_ROOMCONFIG "http://jabber.org/protocol/muc#roomconfig"
#define NS_MUC_REGISTER "http://jabber.org/protocol/muc#register"
#define NS_MUC_REQUEST "http://jabber.org/protocol/muc#request"
#define NS_MUC_UNIQUE "http://jabber.org/protocol/muc#unique"
#define NS_REGISTER "jabber:iq:register"
#define NS_OCCUPANT_ID "urn:xmpp:occupant-id:0"
#define NS_PING "urn:xmpp:ping"
#define NS_SELFPING "http://jabber.org/protocol/muc#self-ping-optimization"
#define NS_CONFERENCE "jabber:x:conference"
#define NS_VERSION "jabber:iq:version"

/* ---- The core's string-keyed hash table (palaver/map.h) under short names ----
 * 16 bytes embedded (a room holds eight), nothing allocated while empty. */
typedef pv_map_t map_t;
typedef pv_map_entry_t map_entry_t;

static inline void map_init(map_t *m, bool ci)
{
    pv_map_init(m, ci ? PV_MAP_CI : 0);
}
static inline void map_clear(map_t *m) /* frees entries (not values) */
{
    pv_map_clear(m, NULL);
}
static inline int map_put(map_t *m, const char *key, void *val) /* replaces; 0 or -1 */
{
    return pv_map_put(m, key, val);
}
static inline void *map_get(const map_t *m, const char *key)
{
    return pv_map_get(m, key);
}
static inline void *map_del(map_t *m, const char *key) /* returns the old value */
{
    return pv_map_del(m, key);
}
/* Iteration: for (e = map_first(m, &i); e; e = map_next(m, e, &i)) */
static inline map_entry_t *map_first(const map_t *m, size_t *i)
{
    return pv_map_first(m, i);
}
static inline map_entry_t *map_next(const map_t *m, map_entry_t *e, size_t *i)
{
    return pv_map_next(m, e, i);
}
/* map.c: */
/* The same with nick keys: folded (Unicode case, NFKC) before hashing. */
void *map_get_nick(const map_t *m, const char *nick);
int map_put_nick(map_t *m, const char *nick, void *val);
void *map_del_nick(map_t *m, const char *nick);
bool nick_equal(const char *a, const char *b);

/* ---- config_fields.c: the room configuration as rows ----
 * A field is a row: its form var, storage key, type, label, default,
 * offered values and check. muc-core's own rows are config_fields[] (CF_*
 * is a row's index, and the index of its value in room_t's cfg[]); other
 * plugins' rows come through palaver/muc.h's register_config_row. Both are
 * added to one registry (extensions.c: config_rows_core, config_row_find)
 * that the form, the submit walk, <room-defaults> and storage walk. */
typedef enum { FT_BOOL, FT_TEXT, FT_TEXT_MULTI, FT_LIST, FT_LIST_MULTI, FT_SECRET } field_type_t;

typedef struct config_field {
    const char *var; /* muc#roomconfig_... */
    const char *key; /* storage key */
    field_type_t type;
    const char *label;
    const char *def;            /* default value as text ("" for roomname = node) */
    const char *const *options; /* list values, NULL-terminated, or NULL */
    /* Validation beyond the type: returns NULL when fine, else a reason. */
    const char *(*check)(const char *value);
    bool integer;      /* a whole number from min to max (a list's options are suggestions) */
    long min, max;     /* with integer */
    const char *after; /* the var of the row it follows in the form, or NULL */
    /* Its effect on the occupants (config_change.c): a change of whether the
     * value is `on` (a list-multi: lists it) is announced with status_on or
     * status_off; any other change of value with 104. on NULL: always 104. */
    const char *on;
    int status_on, status_off;
} config_field_t;

enum {
    CF_ROOMNAME,
    CF_ROOMDESC,
    CF_LANG,
    CF_PERSISTENT,
    CF_PUBLIC,
    CF_MEMBERSONLY,
    CF_MODERATED,
    CF_PASSWORDPROTECTED,
    CF_ROOMSECRET,
    CF_WHOIS,
    CF_MAXUSERS,
    CF_CHANGESUBJECT,
    CF_ALLOWINVITES,
    CF_ALLOWPM,
    CF_PRESENCEBROADCAST,
    CF_ENABLELOGGING,
    CF_GETMEMBERLIST,
    CF_CHANGENICK,
    CF_VOICEREQUESTS,
    CF_REGISTRATION,
    CF_MESSAGE_SIZE,
    CF_PUBSUB,
    CF_PRIVACY,
    CF_REGAPPROVAL,
    CF_OFFLINEDELIVERY,
    CF_COUNT
};

extern const config_field_t config_fields[CF_COUNT];
int config_field_index(const char *var); /* muc-core's own row, -1 when not one */
/* Normalises a submitted value (booleans to "1"/"0"); NULL = invalid. malloc'd. */
char *config_field_normalise(const config_field_t *f, pv_el_t *field_el, const char **why);
/* The form type of a row ("boolean", "list-single"...), and back (-1: unknown). */
const char *config_field_type_name(field_type_t t);
int config_field_type_of(const char *name);

/* ---- rooms and occupants ---- */
typedef struct session {
    pv_jid_t *jid;      /* real full JID */
    pv_recipient_t *to; /* jid->full checked and escaped for fan-out; NULL: not writable */
    struct muc_occupant *occ;
    struct session *next; /* next session of the same occupant */
} session_t;

typedef struct muc_occupant {
    struct muc_room *room;
    char *nick;
    char *bare; /* real bare JID */
    pv_muc_role_t role;
    pv_muc_role_t left_role; /* the role it had, set before PV_MUC_EVENT_LEFT fires */
    session_t *sessions;     /* newest first; sessions->jid is the shown jid */
    size_t nsessions;
    pv_el_t *presence; /* last available presence (owned), for show/status */
    char occupant_id[45];
    double flood_tokens; /* flood control bucket (flood.c) */
    int64_t flood_last_us;
    struct muc_occupant *prev, *next; /* room order */
    struct muc_occupant *bare_next;   /* other occupants of the same user */
} occupant_t;

typedef struct muc_room {
    char *name;          /* normalised node */
    char *jid;           /* name@service */
    char *cfg[CF_COUNT]; /* config values (owned; NULL: the field's default) */
    char *subject;       /* NULL: none */
    char *subject_from;  /* occupant nick that set it, or NULL */
    bool locked;
    bool stored;     /* known to the backend */
    bool destroying; /* destroy.c is removing every occupant */
    map_t by_nick, by_bare, by_full;
    map_t affs;        /* bare JID -> (intptr_t) pv_muc_aff_t */
    map_t aff_reasons; /* bare JID -> char *reason (owned), for the lists */
    map_t regs;        /* bare JID -> char *nick (owned) */
    map_t reg_nicks;   /* nick (ci) -> char *bare (borrowed from regs key) */
    map_t offline;     /* bare JID -> (void *)1: members who get messages while absent */
    occupant_t *first, *last;
    size_t noccupants;
    unsigned busy;                        /* >0 while iterating: destruction deferred */
    unsigned pins;                        /* storage writes in flight: not unloaded (hibernate.c) */
    double last_used;                     /* ev_now of the last stanza for it (hibernate.c) */
    struct muc_room *lru_prev, *lru_next; /* use order, newest first (hibernate.c) */
    struct ext_room *ext; /* extensions.c: plugins' affiliations and options, or NULL */
    map_t left_ids;       /* occupant-id -> who left, for a while (left_ids.c) */
} room_t;

/* plugin.c: global state */
typedef enum { CREATE_ANYONE, CREATE_LOCAL, CREATE_LIST, CREATE_ADMINS } create_policy_t;
typedef struct muc_state {
    create_policy_t create;
    char **allow; /* NULL-terminated JIDs/domains */
    char *occupant_id_secret;
    long flood_burst;      /* messages allowed at once (0: no limit) */
    long flood_per_minute; /* refill rate */
    long load_timeout;     /* seconds to wait at start for the restored occupants' rooms */
    long hibernate_after;  /* seconds an empty stored room stays loaded (0: for ever) */
    long max_loaded;       /* rooms in memory beyond which empty stored ones go (0: no cap) */
    map_t rooms;           /* name -> room_t */
} muc_state_t;
extern muc_state_t *muc;

/* The plugin's handle (from start; config_keys.c) and its configuration
 * elements: read them with pv_key_int(muc_handle, cfg, name) and friends. */
extern pv_plugin_handle_t *muc_handle;
extern const pv_config_key_t muc_config_keys[];

/* room.c */
room_t *room_new(const char *name); /* not yet in the table */
void room_free(room_t *r);
const char *room_cfg(const room_t *r, int f);
bool room_cfg_bool(const room_t *r, int f);
long room_cfg_int(const room_t *r, int f);
int room_cfg_set(room_t *r, int f, const char *value);
pv_muc_aff_t room_aff(const room_t *r, const char *bare);
int room_aff_set(room_t *r, const char *bare, pv_muc_aff_t a);
const char *room_reg_nick(const room_t *r, const char *bare);
const char *room_reg_owner(const room_t *r, const char *nick);
int room_reg_set(room_t *r, const char *bare, const char *nick);
bool room_is_public(const room_t *r);
bool room_whois_anyone(const room_t *r);

/* room_table.c */
room_t *rooms_get(const char *name);
int rooms_add(room_t *r);
void rooms_remove_and_free(room_t *r, const pv_jid_t *actor); /* fires ROOM_DESTROYED */
void rooms_maybe_destroy(room_t *r);                          /* temporary + empty: remove */
void rooms_free_all(void);
/* Parses a room node from a JID node (XEP-0106 escapes kept as sent) */

/* occupant.c */
occupant_t *occupant_new(room_t *r, const char *nick, const pv_jid_t *real, pv_muc_role_t role);
void occupant_remove(occupant_t *o); /* unlinks and frees */
session_t *occupant_add_session(occupant_t *o, const pv_jid_t *real);
void occupant_remove_session(occupant_t *o, session_t *s);
occupant_t *occupant_by_nick(const room_t *r, const char *nick);
session_t *session_by_full(const room_t *r, const char *full);
occupant_t *occupant_by_bare(const room_t *r, const char *bare);
int occupant_rename(occupant_t *o, const char *nick);
pv_muc_aff_t occupant_aff(const occupant_t *o);
void occupant_announce_affiliation(room_t *r, const char *bare);
pv_muc_role_t role_for(const room_t *r, pv_muc_aff_t a);
/* The part of a client's presence an occupant keeps (what presence_build
 * copies: show, status, priority, other extensions; no attributes, no MUC
 * payloads), as a new <presence/> in an arena of its exact size; the caller
 * frees it. NULL on allocation failure (logged by the core). */
pv_el_t *presence_kept_copy(const pv_el_t *stanza);
/* Replaces o->presence with presence_kept_copy(stanza); NULL when nothing
 * of it is kept (a bare join presence), or when that failed (logged). */
void occupant_set_presence(occupant_t *o, const pv_el_t *stanza);

/* occupant_id.c */
void occupant_id_compute(const room_t *r, const char *bare, char out[45]);
void occupant_id_add(pv_el_t *stanza, const occupant_t *o);

/* privileges.c */
typedef enum {
    PRIV_SEE_JID,
    PRIV_SEND_GROUPCHAT,
    PRIV_CHANGE_SUBJECT,
    PRIV_SEND_PM,
    PRIV_INVITE,
    PRIV_CONFIGURE,
    PRIV_REQUEST_VOICE,
    PRIV_GRANT_VOICE,
    PRIV_COUNT
} priv_t;
bool may(const room_t *r, const occupant_t *o, priv_t what);

/* ---- affiliations.c: the one registry of affiliations ----
 * A row per affiliation: the five of XEP-0045 at the index of their
 * pv_muc_aff_t value (their id and rank), other plugins' extra ones
 * (register_affiliation) after them. privileges.c, role_for, aff_name and
 * aff_parse read the rows; extensions.c keeps who holds an extra one. */
#define AFF_EXTRA_MAX 8
#define AFF_MAX_ROWS (PV_MUC_AFF_OWNER + 1 + AFF_EXTRA_MAX)
#define AFF_NOBODY (PV_MUC_AFF_OWNER + 1) /* as grant or list: no affiliation suffices */
#define AFF_BIT(a) (1u << (a))            /* a rank in a row's reach */

typedef struct aff_row {
    int id;                  /* its index in the registry (a standard one's pv_muc_aff_t) */
    const char *name;        /* in items, presence and storage */
    pv_muc_aff_t rank;       /* what its holders count as in every standard check */
    int grant;               /* the least affiliation that may give it */
    bool not_to_self;        /* nobody gives it to himself */
    unsigned reach;          /* AFF_BIT of each rank whose affiliation its holders may change */
    bool moderator;          /* its holders count as moderators, present or not */
    int list;                /* the least affiliation that may read its list (AFF_NOBODY) */
    int list_cfg;            /* CF_* naming the roles that may read its list too, or -1 */
    pv_muc_role_t join_role; /* the role its holders enter with */
    pv_muc_role_t join_moderated; /* ... in a moderated room */
    const char *role_shown; /* shown as its holders' role while they have join_role, or NULL */
} aff_row_t;

/* Adds muc-core's five rows (muc_start; again: nothing): 0, or -1 logged. */
int aff_rows_core(void);
/* The row of an id, or NULL (no such row); the id of a name, or -1; the row
 * of an extra (registered, not standard) affiliation's name, or NULL. */
const aff_row_t *aff_row(int id);
int aff_row_find(const char *name);
const aff_row_t *aff_row_extra(const char *name);

/* The change tables of XEP-0045 §5.1.2/§5.2.1 (privileges.c). An answer is
 * PRIV_OK, or the error condition the XEP names. */
typedef enum { PRIV_OK = 0, PRIV_FORBIDDEN, PRIV_NOT_ALLOWED } priv_answer_t;
/* May an actor (affiliation, role) give a target (affiliation, current role) new_role? */
priv_answer_t priv_role_change(pv_muc_aff_t actor_aff, pv_muc_role_t actor_role,
                               pv_muc_aff_t target_aff, pv_muc_role_t target_role,
                               pv_muc_role_t new_role);
/* May an actor (affiliation, role) give a target of affiliation target_aff
 * new_aff? new_aff is a row's id, an extra affiliation's too: the row given
 * says who grants it, the actor's row whom it reaches (a grant of an extra
 * affiliation replaces the target's standard one). */
priv_answer_t priv_aff_change(pv_muc_aff_t actor_aff, pv_muc_role_t actor_role,
                              pv_muc_aff_t target_aff, pv_muc_aff_t new_aff);
/* May this actor read the list of occupants with `role` / holders of `aff`? */
bool priv_list_role(const room_t *r, pv_muc_aff_t actor_aff, pv_muc_role_t actor_role,
                    pv_muc_role_t role);
bool priv_list_aff(const room_t *r, pv_muc_aff_t actor_aff, pv_muc_role_t actor_role,
                   pv_muc_aff_t aff);
const char *priv_condition(priv_answer_t a); /* "forbidden", "not-allowed" */
/* Names from items: true and *out set when known. */
bool role_parse(const char *s, pv_muc_role_t *out);
bool aff_parse(const char *s, pv_muc_aff_t *out);
bool may_see_jid(const room_t *r, const occupant_t *viewer);
bool presence_broadcast_for(const room_t *r, pv_muc_role_t role);
bool presence_role_listed(const char *list, pv_muc_role_t role);

/* presence_out.c: building and broadcasting occupant presence */
typedef struct pres_opts {
    const char *type;        /* NULL or "unavailable" */
    const int *codes;        /* status codes for everyone, 0-terminated, or NULL */
    const int *self_codes;   /* extra codes for the occupant's own sessions */
    const char *new_nick;    /* 303 item nick */
    const pv_el_t *extra_x;  /* element copied into muc#user x (destroy), or NULL */
    const char *status_text; /* <status> override for unavailable, or NULL */
    bool self_only;          /* only the occupant's own sessions (given session if set) */
    session_t *only_session;
    const occupant_t *except; /* do not send to this occupant */
    bool filter_set;          /* use filter_role for presencebroadcast, not o->role */
    pv_muc_role_t filter_role;
    const char *actor_nick; /* <actor nick/> in the item (kick, ban, role change), or NULL */
    const char *reason;     /* <reason/> in the item, or NULL */
} pres_opts_t;
/* Builds occupant o's presence as seen by a viewer (with_jid) and, for self, with codes. */
pv_el_t *presence_build(const occupant_t *o, bool with_jid, bool self, const pres_opts_t *opt);
void presence_broadcast(occupant_t *o, const pres_opts_t *opt);
/* occupant.c: a changed role or affiliation of an occupant who stays:
 * presence_broadcast, then the ROLE_CHANGED event. */
void occupant_announce_role(occupant_t *o, const pres_opts_t *opt);
void presence_send_to(const occupant_t *o, const char *to, bool with_jid, const pres_opts_t *opt);

/* enter.c, exit.c, nick.c, status.c */
pv_verdict_t enter_handle(pv_stanza_ctx_t *ctx, room_t *r, const char *nick, bool *created_now);
pv_verdict_t exit_handle(pv_stanza_ctx_t *ctx, room_t *r, session_t *s);
void exit_occupant(occupant_t *o, session_t *s, const char *status_text, const int *codes);
pv_verdict_t nick_handle(pv_stanza_ctx_t *ctx, room_t *r, session_t *s, const char *nick);
pv_verdict_t status_handle(pv_stanza_ctx_t *ctx, room_t *r, session_t *s);
pv_verdict_t presence_handler(pv_stanza_ctx_t *ctx, void *ud);
pv_verdict_t presence_bare_handler(pv_stanza_ctx_t *ctx, void *ud);

/* create.c */
bool create_allowed(const pv_jid_t *who);
room_t *create_room(const char *name, const pv_jid_t *creator, bool locked);
pv_verdict_t owner_iq_handler(pv_stanza_ctx_t *ctx, void *ud);
void config_form_build(const room_t *r, pv_el_t *query);
/* A submitted configuration form x for r by ctx's sender (stored, applied,
 * announced); the reply is `result` (copied) instead of an empty IQ result
 * when non-NULL. */
pv_verdict_t config_submit(pv_stanza_ctx_t *ctx, room_t *r, pv_el_t *x, const pv_el_t *result);

/* message handlers */
pv_verdict_t message_room_handler(pv_stanza_ctx_t *ctx, void *ud);     /* groupchat, invite */
pv_verdict_t message_occupant_handler(pv_stanza_ctx_t *ctx, void *ud); /* PM */
pv_verdict_t groupchat_handle(pv_stanza_ctx_t *ctx, room_t *r);
pv_verdict_t subject_handle(pv_stanza_ctx_t *ctx, room_t *r, occupant_t *o);
void subject_send(const room_t *r, const char *to);
/* Copy of the sender's stanza from its occupant JID, `to` removed, occupant-id set. Caller frees.
 */
pv_el_t *message_from_occupant(pv_stanza_ctx_t *ctx, const occupant_t *o);
void enter_resync(room_t *r, session_t *s, pv_el_t *mucx);
pv_verdict_t invite_handle(pv_stanza_ctx_t *ctx, room_t *r, pv_el_t *x);
pv_verdict_t iq_occupant_handler(pv_stanza_ctx_t *ctx, void *ud);
pv_verdict_t iq_forward_result(pv_stanza_ctx_t *ctx);
pv_verdict_t register_handler(pv_stanza_ctx_t *ctx, void *ud);
/* register.c: palaver/muc.h's registered_nick and register_member (a
 * plugin's registration on behalf of the room: an admin's approval, §9.9). */
const char *api_registered_nick(const pv_muc_room_t *r, const char *bare);
int api_register_member(pv_muc_room_t *room, const char *bare_jid, const char *nick,
                        void (*done)(bool ok, void *ud), void *ud);
/* offline_delivery.c: registered members who are not in the room may ask
 * (a field of the registration form, as Prosody's mod_muc_offline_delivery)
 * for the room's messages at their bare JID; the room's owner can turn it
 * off (x-palaver#offlinedelivery). The set is stored in the room's config
 * under OFFLINE_KEY, a bare JID a line. */
#define OFFLINE_KEY "x-palaver#offline_members"
#define OFFLINE_FIELD "{http://tigase.org/protocol/muc}offline"
bool offline_wanted(const room_t *r, const char *bare);
int offline_set(room_t *r, const char *bare, bool on); /* 0, or -1 (out of memory) */
/* The stored value with bare's choice replaced (on: listed), or the room's as
 * it is (bare NULL); caller frees. NULL: empty (*oom false) or out of memory. */
char *offline_encode(const room_t *r, const char *bare, bool on, bool *oom);
void offline_load(room_t *r, const char *value); /* after the registrations */
void offline_form_field(const room_t *r, const char *bare, pv_el_t *x);
/* The submitted choice: 1 or 0, -1 when the form leaves it out, -2 invalid. */
int offline_submitted(pv_el_t *x);
/* A message stanza the room's occupants just got (or are about to get, in
 * the same loop iteration): a groupchat message with a body goes to every
 * absent member who asked for it. */
void offline_deliver(const room_t *r, const pv_el_t *msg, pv_prepared_t *p);
pv_verdict_t disco_info_handler(pv_stanza_ctx_t *ctx, void *ud);
pv_verdict_t disco_items_handler(pv_stanza_ctx_t *ctx, void *ud);
/* unique.c: XEP-0307 unique room names (an IQ get to the service) */
pv_verdict_t unique_iq_handler(pv_stanza_ctx_t *ctx, void *ud);
pv_verdict_t bounce_handler(pv_stanza_ctx_t *ctx, void *ud);
void iq_forward_reset(void);

/* admin.c: the muc#admin IQ (XEP-0045 §8, §9, §10.5): lists and changes */
pv_verdict_t admin_iq_handler(pv_stanza_ctx_t *ctx, void *ud);
/* The changes of a muc#admin <query/> q by ctx's sender, answered with
 * `result` (copied) instead of an empty IQ result (service commands). */
pv_verdict_t admin_set_for_command(pv_stanza_ctx_t *ctx, room_t *r, pv_el_t *q,
                                   const pv_el_t *result);
/* Sets a reason kept with an affiliation (NULL clears). */
void room_aff_reason_set(room_t *r, const char *bare, const char *reason);
const char *room_aff_reason(const room_t *r, const char *bare);
size_t room_owner_count(const room_t *r);

/* evict.c: an occupant removed by the room (kick 307, ban 301, 321, 322):
 * tell_self sends its own sessions the unavailable presence (with 110),
 * tell_others the remaining occupants; with both, the occupant is freed. */
void evict_tell_self(occupant_t *o, int code, const char *actor_nick, const char *reason);
void evict_finish(occupant_t *o, int code, pv_muc_role_t old_role, const char *actor_nick,
                  const char *reason);

/* destroy.c: destroying a room (XEP-0045 §10.9). `destroy` is the request's
 * <destroy/> (any namespace; NULL: none); occupants get unavailable presence
 * with it. Stored rooms are deleted from the backend first: done(ok, ud) runs
 * when that is settled (now or later); on failure the room is kept. */
typedef void (*destroy_done_fn)(bool ok, const char *error, void *ud);
void room_destroy(room_t *r, const pv_el_t *destroy, const pv_jid_t *actor, destroy_done_fn done,
                  void *ud);
pv_verdict_t owner_destroy(pv_stanza_ctx_t *ctx, room_t *r, pv_el_t *destroy);

/* adhoc.c: the service's XEP-0050 commands (those plugins registered) */
pv_verdict_t adhoc_handler(pv_stanza_ctx_t *ctx, void *ud);
pv_verdict_t adhoc_items_handler(pv_stanza_ctx_t *ctx, void *ud); /* the command list */
/* commands.c: the commands plugins add to the service's list
 * (register_command): find by node (NULL: none), may `bare` run it, add
 * those `bare` may run to a disco#items query; free at shutdown. */
int commands_register(const pv_muc_command_t *def);
void commands_unregister(const pv_muc_command_t *def);
const pv_muc_command_t *commands_find(const char *node);
bool commands_may_run(const pv_muc_command_t *def, const char *bare);
void commands_items(pv_el_t *query, const char *bare);
void commands_free(void);
/* XEP-0050 §2.2 answers (adhoc.c): a disco#items result on the commands
 * node, *q its query (NULL when out of memory; caller frees); and items for
 * n commands {node, name} of jid added to query. */
pv_el_t *adhoc_items_result(const pv_stanza_ctx_t *ctx, pv_el_t **q);
void adhoc_add_items(pv_el_t *query, const char *jid, const char *const (*nodes)[2], size_t n);

/* stats.c: rooms and occupants for the statistics (palaver/stats.h) */
int muc_stats_init(void);
void muc_stats_shutdown(void);

/* config_change.c: after a submitted configuration (XEP-0045 §10.2.1) */
/* old: the core values before the submit; ext_changed: another plugin's field changed */
void config_changed(room_t *r, char *const old[CF_COUNT], bool ext_changed);
/* muc#roomconfig_roomadmins / _roomowners: shown in the form, checked
 * (NULL or the reason for not-acceptable) and applied on submit. */
void config_lists_form(const room_t *r, pv_el_t *x);
const char *config_lists_check(pv_el_t *x);
void config_lists_apply(room_t *r, pv_el_t *x); /* in memory; stored beforehand */
/* The affiliation changes config_lists_apply would make, for storing first:
 * *items is malloc'd (jids owned; free with config_lists_free). 0 or -1 (OOM). */
int config_lists_changes(const room_t *r, pv_el_t *x, pv_store_aff_t **items, size_t *n);
void config_lists_free(pv_store_aff_t *items, size_t n);

/* persist.c. Changes are stored before they are applied: cb(ok, ud) runs
 * exactly once, now or later (asynchronous backends), after the backend
 * answered every write (or the first one failed, which is logged). It also
 * runs (ok false) when muc-core shut down meanwhile: check `muc`. The
 * callers keep their own copies of what they need (the room may be gone). */
typedef void (*persist_cb)(bool ok, void *ud);
/* room_put of the config (cfg[i] when non-NULL instead of the room's value,
 * and this subject), then one affs_set of `affs` (plus, when the room was
 * not stored yet, all its affiliations) and its registrations. */
void persist_config(room_t *r, char *const cfg[CF_COUNT], const char *subject,
                    const char *subject_from, const pv_store_aff_t *affs, size_t naffs,
                    persist_cb cb, void *ud);
/* A stored room: (offline 0 or 1) a room_put with reg_bare's offline delivery
 * choice so, then (with_reg) reg_set (reg_nick NULL removes), then one
 * affs_set; offline -1: no room_put. A room not stored: cb(true) at once. */
void persist_changes(room_t *r, const pv_store_aff_t *affs, size_t naffs, const char *reg_bare,
                     const char *reg_nick, bool with_reg, int offline, persist_cb cb, void *ud);
void persist_delete_then(room_t *r, persist_cb cb, void *ud); /* not stored: cb(true) now */
/* A key stored with a room that is not a configuration row's (subject, owners...). */
bool persist_room_key(const char *k);
/* A room built from its stored row (not in the table yet; the caller adds or
 * frees it), or NULL when out of memory (logged). *owners_back is set when
 * the owners recorded at its last room_put were restored (a first store cut
 * short): store them with persist_owners_write_back once it is in the table. */
room_t *persist_room_from_store(const pv_store_room_t *sr, bool *owners_back);
void persist_owners_write_back(const room_t *r);

/* room_load.c (LAZY-1): stored rooms come into memory on first use. A gate
 * hook, ahead of every handler, parks each stanza for a room that is not in
 * memory under the room's bare JID and loads it; stanzas of type error and
 * IQ results pass. A name the store does not have is remembered as absent
 * for the replay (and a while after), so handlers see no room as before. */
pv_verdict_t room_gate_handler(pv_stanza_ctx_t *ctx, void *ud);
/* For handlers that name a room elsewhere than in `to` (service commands):
 * PV_PASS with *out the room, or NULL when no room of that name is stored;
 * otherwise (PV_AGAIN or PV_ERROR) return the verdict: the stanza comes back
 * once the room is in memory. */
pv_verdict_t rooms_need(pv_stanza_ctx_t *ctx, const char *name, room_t **out);
/* Loads the named rooms that are stored and not in memory, running the event
 * loop until they all arrived or `timeout` seconds passed (start-up only:
 * the rooms of the restored occupants). */
void rooms_load_wait(const char *const *names, size_t n, double timeout);
void rooms_absent_forget(const char *name); /* a room of that name exists now */
void room_load_shutdown(void);
size_t room_loads_total(void);

/* hibernate.c: stored rooms without occupants leave memory after
 * <hibernate-after> seconds unused, or at once beyond <max-loaded-rooms>
 * (least recently used first). Rooms are kept in use order: rooms_touch at
 * every stanza for the room. A pinned room (a storage write in flight) stays. */
int hibernate_configure(const pv_config_t *cfg); /* 0, or -1 logged */
void hibernate_shutdown(void);
void rooms_touch(room_t *r);
void rooms_lru_unlink(room_t *r);
void rooms_enforce_cap(void); /* after a load: the cap, if any, holds again */
void rooms_hold(bool hold);   /* true: nothing is unloaded; false: again (cap enforced) */
void room_pin(room_t *r);
void room_unpin(const char *name); /* the room by that name, if still in memory */
size_t room_unloads_total(void);

/* audit.c: INFO lines saying who did what (kicks, bans, role, affiliation
 * and configuration changes, destruction). `actor` is audit_actor's text. */
/* "bare (nick 'n')", "bare" or, bare NULL, "the service", into buf; returns buf */
const char *audit_actor(char *buf, size_t size, const char *bare, const char *nick);
void audit_role(const room_t *r, const char *actor, const char *nick, pv_muc_role_t from,
                pv_muc_role_t to, const char *reason);
void audit_aff(const room_t *r, const char *actor, const char *jid, pv_muc_aff_t from,
               pv_muc_aff_t to, const char *reason);
/* After a submit's values were set, before the form's owner/admin lists
 * (x, may be NULL) are applied: the fields that differ from old, by the
 * sender of iq. */
void audit_config(const room_t *r, const pv_el_t *iq, char *const old[CF_COUNT], pv_el_t *x);

/* errors.c */
/* Room lookup from a stanza's `to`: NULL when absent. */
room_t *room_of(const pv_jid_t *to);
pv_verdict_t refuse(pv_stanza_ctx_t *ctx, const char *type, const char *cond, const char *text);
/* Formats an error text into a static buffer valid until the next stanza. */
const char *errtext(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* events.c */
extern pv_event_t *ev_room_loaded, *ev_room_unloaded;
extern pv_event_t *ev_room_destroy;     /* PV_MUC_EVENT_ROOM_DESTROY (destroy.c) */
extern pv_event_t *ev_register_request; /* PV_MUC_EVENT_REGISTER_REQUEST (register.c) */
extern pv_event_t *ev_room_created, *ev_room_destroyed, *ev_room_configured, *ev_pre_join,
    *ev_joined, *ev_left, *ev_nick_changed, *ev_role_changed, *ev_message, *ev_history;
int events_init(void);

/* api.c: the SDK's function table (palaver/muc.h) and its implementations */
int api_init(void);
void api_shutdown(void);
const char *role_name(pv_muc_role_t r);
const char *aff_name(pv_muc_aff_t a);
pv_muc_room_t *api_room_find(const char *s);
const char *api_room_jid(const pv_muc_room_t *r);
const char *api_room_name(const pv_muc_room_t *r);
const char *api_room_config(const pv_muc_room_t *r, const char *var);
bool api_room_config_bool(const pv_muc_room_t *r, const char *var);
const char *api_room_subject(const pv_muc_room_t *r);
size_t api_room_occupant_count(const pv_muc_room_t *r);
bool api_room_locked(const pv_muc_room_t *r);
pv_muc_aff_t api_affiliation(const pv_muc_room_t *r, const char *bare);
pv_muc_occupant_t *api_occupant_by_nick(const pv_muc_room_t *r, const char *nick);
pv_muc_occupant_t *api_occupant_by_jid(const pv_muc_room_t *r, const char *full);
const char *api_occupant_nick(const pv_muc_occupant_t *o);
const char *api_occupant_bare_jid(const pv_muc_occupant_t *o);
const char *api_occupant_id(const pv_muc_occupant_t *o);
pv_muc_role_t api_occupant_role(const pv_muc_occupant_t *o);
pv_muc_aff_t api_occupant_affiliation(const pv_muc_occupant_t *o);
void api_message_skip(pv_muc_message_event_t *ev, size_t i);
pv_el_t *message_take(pv_muc_message_event_t *ev); /* groupchat.c */
/* room_keys.c: palaver/muc.h's room_key_set and room_store. */
int api_room_key_set(pv_muc_room_t *room, const char *key, const char *value);
void api_room_store(pv_muc_room_t *room, void (*done)(bool ok, void *ud), void *ud);

/* flood.c: the token bucket of every rate limit (burst at once, refilled at
 * per_minute; burst <= 0: no limit), and the per-occupant message limit;
 * true when the message may go out */
typedef struct bucket {
    double tokens;
    int64_t last_us; /* 0: never used (full) */
} bucket_t;
void bucket_refill(bucket_t *b, long burst, long per_minute, int64_t now_us);
bool bucket_take(bucket_t *b, long burst, long per_minute, int64_t now_us);
bool flood_allow(occupant_t *o);

/* throttle.c (LIMIT-1): <throttle> limits per sender, room and occupant.
 * configure: 0, or -1 logged (FILE:LINE; old limits kept). allow: takes a
 * token for (room, bare) of that kind (either may be NULL). check: PV_PASS,
 * or the resource-constraint refusal (service admins always pass). */
typedef enum {
    THR_JOIN,
    THR_ROOM_JOIN,
    THR_PRESENCE,
    THR_NICK,
    THR_INVITE,
    THR_VOICE,
    THR_COUNT
} throttle_t;
int throttle_configure(const pv_config_t *cfg);
void throttle_free(void);
bool throttle_allow(throttle_t k, const char *room, const char *bare);
pv_verdict_t throttle_refuse(pv_stanza_ctx_t *ctx, throttle_t k);
pv_verdict_t throttle_check(pv_stanza_ctx_t *ctx, throttle_t k, const char *room);
/* throttle_check by the kind's name (<throttle>'s element names), for
 * pv_muc_api_t's throttle; an unknown name is refused (logged). */
pv_verdict_t throttle_check_named(pv_stanza_ctx_t *ctx, const char *kind, const char *room);

/* extensions.c: affiliations, roles and config fields contributed by plugins */
#define EXT_MAX_FIELDS 16
void ext_room_free(room_t *r);
void ext_aff_cleared(room_t *r, const char *bare); /* a standard affiliation was set */
void ext_aff_load(room_t *r, const char *bare, const char *name);
/* The extra affiliations of a room stored for the first time, except those
 * `skip` names: *out malloc'd (caller frees it; strings borrowed from the
 * room). SIZE_MAX when out of memory (logged). */
size_t ext_affs_list(const room_t *r, const pv_store_aff_t *skip, size_t nskip,
                     pv_store_aff_t **out);
const char *ext_aff_shown(const occupant_t *o);  /* presence item affiliation */
const char *ext_role_shown(const occupant_t *o); /* presence item role */
pv_muc_role_t ext_join_role(const room_t *r, const char *bare, pv_muc_role_t role);
bool ext_may_deliver(room_t *r, occupant_t *sender, occupant_t *to, const pv_el_t *st,
                     const char *kind);
/* A row's value by var, or the value another plugin's code keeps under
 * that key (NULL: neither); as a boolean; a stored key of another plugin's
 * (muc-core's own keys are skipped); the room's values of other plugins'
 * rows (borrowed). */
const char *ext_config_get(const room_t *r, const char *var);
bool ext_config_bool(const room_t *r, const char *var);
void ext_config_load(room_t *r, const char *key, const char *value);
size_t ext_config_kv(const room_t *r, pv_kv_t *kv, size_t max);
/* The registry of configuration rows (see config_fields.c): muc-core's own
 * at their CF_* index (config_rows_core adds the missing ones: 0, or -1
 * logged), other plugins' after them (register_config_row) in registration
 * order. config_row: the row at index i, NULL for a free place;
 * config_row_find: the index of the row of a var, or -1; config_row_value:
 * a room's value of row i (the row's default when it has none);
 * config_row_set: sets it (copied): 0, or -1. */
#define CONFIG_MAX_ROWS (CF_COUNT + EXT_MAX_FIELDS)
int config_rows_core(void);
const config_field_t *config_row(int i);
int config_row_find(const char *var);
const char *config_row_value(const room_t *r, int i);
int config_row_set(room_t *r, int i, const char *value);
/* create.c's one walk of a submitted form checks each field with its row
 * and keeps the values of other plugins' rows in staged[] (owned there;
 * staged[k] is row CF_COUNT + k). ext_config_set then
 * sets the staged values in memory (persist_config stores them with the
 * room) and empties staged[]: NULL with *undo able to put the previous
 * values back (owned by the caller: ext_config_undo or
 * ext_config_undo_free), or an error text (nothing changed). */
typedef struct ext_cfg_undo ext_cfg_undo_t;
const char *ext_config_set(room_t *r, char *staged[EXT_MAX_FIELDS], ext_cfg_undo_t **undo);
void ext_config_undo(room_t *r, ext_cfg_undo_t *u); /* restores (r non-NULL), frees u */
void ext_config_undo_free(ext_cfg_undo_t *u);
bool ext_config_changed(const room_t *r, const ext_cfg_undo_t *u); /* any value changed */
/* muc#admin (admin.c): a registered extra affiliation by name, or NULL; the
 * one a bare JID holds (NULL: none); granting one once stored (after
 * room_aff_set(none)); the items of a get of its list. */
const aff_row_t *ext_aff_def(const char *name);
const char *ext_aff_held(const room_t *r, const char *bare);
void ext_aff_grant(room_t *r, const char *bare, const char *name);
void ext_aff_list_items(const room_t *r, const char *name, pv_el_t *q);
/* affiliations.c: register_affiliation's row, added after the standard ones */
int ext_api_register_affiliation(const pv_muc_extra_aff_t *d);
void ext_api_unregister_affiliation(const pv_muc_extra_aff_t *d);
int ext_api_register_config_field(const pv_muc_extra_field_t *d);
void ext_api_unregister_config_field(const pv_muc_extra_field_t *d);
int ext_api_register_config_row(const pv_muc_config_row_t *r, size_t size);
const char *ext_api_extra_affiliation(const pv_muc_room_t *r, const char *bare);
const char *ext_api_occupant_role_name(const pv_muc_occupant_t *o);
void ext_api_room_occupants(const pv_muc_room_t *r, bool (*fn)(pv_muc_occupant_t *, size_t, void *),
                            void *ud);

/* util */
char *xstrdup(const char *s);

/* multicast_config.c: <multicast> and <multicast-limit>, handed to the
 * core's fan-out (pv_multicast_configure), whose XEP-0033 strategy
 * broadcast.c's batches then use. 0, or -1 after logging the config error;
 * multicast_shutdown turns it off. */
int multicast_init(const pv_config_t *cfg);
void multicast_shutdown(void);

/* occupant.c: p (prepared) to one session, through its kept recipient (or
 * its JID when that could not be kept). 0, or -1 (logged at debug level
 * by the core). */
int session_send(const session_t *s, const pv_prepared_t *p);

/* broadcast.c: one stanza to the room's occupants (every session of each),
 * in one batch of the core's fan-out (multicast when on). how NULL: everyone. want (NULL: everyone)
 * is asked once per occupant, in room order; with a kind, the DELIVER event decides too (sender: on
 * whose behalf, may be NULL). prepared: the stanza already serialised, or NULL. The number of
 * sessions, or -1 (not serialised, logged). */
typedef struct bcast {
    bool (*want)(const occupant_t *o, void *ud);
    void *ud;
    occupant_t *sender;
    const char *kind;
} bcast_t;
int room_broadcast(room_t *r, const pv_el_t *stanza, const pv_prepared_t *prepared,
                   const bcast_t *how);
void broadcast_shutdown(void); /* frees the batch kept between broadcasts */

/* restart.c (RESTART-1): the live occupants across a clean restart.
 * restart_configure reads <keep-occupants> and <restart-state> (0, or -1
 * logged); restart_restore, the last step of a successful start, reads the
 * state file once, removes it and puts the occupants back (and the
 * temporary rooms they were in); restart_shutdown writes it (temp file,
 * then rename) when the start had completed, and frees the settings. */
int restart_configure(const pv_config_t *cfg);
void restart_restore(void);
void restart_shutdown(void);
/* One occupant as a record (NS urn:palaver:muc-restart:1; owned by the
 * caller), and back: the occupant put into r from such a record (its
 * sessions queued for restart_check), or NULL when the record is not r's,
 * is bad, or its nick is taken or its user banned meanwhile (logged). */
pv_el_t *restart_occupant_record(const occupant_t *o);
occupant_t *restart_occupant_restore(room_t *r, const pv_el_t *e);

/* left_ids.c (BAN-OID-1): the occupant-ids of those who left, for
 * <remember-left-occupants> seconds. note: o leaves r; find: the bare JID of
 * the occupant (present or gone) with that id, or NULL; configure: 0, or -1
 * logged. */
int left_ids_configure(const pv_config_t *cfg);
void left_ids_note(room_t *r, const occupant_t *o);
const char *left_ids_find(room_t *r, const char *id);
void left_ids_free(room_t *r);

/* hats.c (HATS-1): XEP-0317. The hats o's user wears in its room, into
 * presence p; the room's commands (don, doff, dlist) and their disco#items. */
void hats_add_to_presence(pv_el_t *presence, const occupant_t *o);
pv_verdict_t hats_command_handler(pv_stanza_ctx_t *ctx, void *ud);
pv_verdict_t hats_items_handler(pv_stanza_ctx_t *ctx, void *ud);

/* cluster.c (CLUSTER-1): several instances on one domain, each room owned
 * through a lease in the (pgsql) store. cluster_configure reads <cluster>
 * (0, or -1 logged); cluster_start, once muc-core is up, starts the
 * heartbeat and the watch for asks. cluster_acquire calls done(true, ud)
 * once this instance holds `name`'s lease (at once when it does), or
 * done(false, ud) when it could not get it in time; exactly once, possibly
 * after muc-core shut down. cluster_restore puts the room's stored live
 * occupants back, then calls done(ud). cluster_mark: occupant state of the
 * room may have changed (stored at the end of the event-loop iteration).
 * cluster_forget_absent: a name found not stored (its stale records go). */
int cluster_configure(const pv_config_t *cfg);
int cluster_start(void);
bool cluster_on(void);
void cluster_acquire(const char *name, void (*done)(bool ok, void *ud), void *ud);
void cluster_restore(room_t *r, void (*done)(void *ud), void *ud);
void cluster_mark(const char *name);
void cluster_forget_absent(const char *name);
void cluster_shutdown(void);
void cluster_stats(pv_stats_t *st); /* leases held, takeovers, rooms lost and given */
/* room_load.c, for cluster.c: a read of `name` is in flight / it is known absent */
bool rooms_loading(const char *name);
bool rooms_known_absent(const char *name);

/* restart_check.c: once the stream is up, every restored session is pinged
 * (XEP-0199) and removed (333) when it does not answer or its server says it
 * is gone. restart_check_configure reads <restart-check-timeout> and
 * <restart-check-parallel> (0, or -1 logged); restart_check_add queues one
 * restored session (copied); restart_check_connected (every handshake)
 * starts the check, or re-sends what a dropped stream took; shutdown frees
 * what is left. */
int restart_check_configure(const pv_config_t *cfg);
void restart_check_add(const room_t *r, const char *full);
void restart_check_connected(void);
void restart_check_shutdown(void);

/* room_defaults.c: <room-defaults> (the values of new rooms) and
 * <admin-only-fields>. configure: 0, or -1 logged (FILE:LINE; old settings
 * kept); apply: sets the defaults on a room being created; forbidden: the var
 * of an admin-only field the submitted form x would change, unless bare is a
 * service admin, else NULL; row_check: the default of a row as it registers
 * (0, or -1 logged); connected: logs vars nobody registered. */
int room_defaults_configure(const pv_config_t *cfg);
void room_defaults_apply(room_t *r);
bool room_defaults_admin_only(const char *var);
const char *room_defaults_forbidden(const room_t *r, pv_el_t *x, const char *bare);
int room_defaults_row_check(const config_field_t *f);
void room_defaults_connected(void);
void room_defaults_free(void);

/* rtbl.c (RTBL-1): real-time block lists (<rtbl service node/>, XEP-0060
 * nodes of hex SHA-256 bare JIDs). init reads them and subscribes to
 * PRE_JOIN (after events_init; 0, or -1 logged with FILE:LINE); connected
 * (every handshake) subscribes to each node and fetches it anew; shutdown
 * frees everything (safe to call twice). */
int rtbl_init(const pv_config_t *cfg);
void rtbl_connected(void);
void rtbl_shutdown(void);

/* key_list.c: a set of bare JIDs stored as one text value of a room's
 * configuration. key_list_join joins the keys of m that keep(key, ud)
 * accepts (all when keep is NULL), separated by sep, then extra (when non-NULL). Returns the text
 * (caller frees), or NULL: nothing to list (*oom false) or out of memory (*oom true; the caller
 * logs). key_list_each_line calls fn for each non-empty line of text (NULL: none). */
typedef struct key_list {
    char sep;
    bool (*keep)(const char *key, const void *ud);
    const void *ud;
    const char *extra;
} key_list_t;
char *key_list_join(const map_t *m, const key_list_t *how, bool *oom);
void key_list_each_line(const char *text, void (*fn)(const char *line, size_t len, void *ud),
                        void *ud);

#endif
