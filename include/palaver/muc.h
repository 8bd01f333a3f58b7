/*
 * palaver/muc.h: what muc-core offers other plugins (history, game-rooms,
 * disco-extended, site plugins): named events about rooms and occupants, and
 * read-only lookups. The structs are opaque; read them through the getters.
 *
 * Events are fired with pv_event_fire(pv_event(NAME), &payload). Payloads are
 * borrowed for the call. A subscriber that returns PV_ERROR from a vetoable
 * event must have set `err_condition` (and may set `err_type`, `err_text`,
 * string literals or strings that outlive the call) in the payload.
 */
#ifndef PALAVER_MUC_H
#define PALAVER_MUC_H

#include <palaver/event.h>
#include <palaver/jid.h>
#include <palaver/router.h>
#include <palaver/xml.h>
#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct muc_room pv_muc_room_t;
typedef struct muc_occupant pv_muc_occupant_t;

typedef enum {
    PV_MUC_ROLE_NONE = 0,
    PV_MUC_ROLE_VISITOR,
    PV_MUC_ROLE_PARTICIPANT,
    PV_MUC_ROLE_MODERATOR
} pv_muc_role_t;

typedef enum {
    PV_MUC_AFF_OUTCAST = 0,
    PV_MUC_AFF_NONE,
    PV_MUC_AFF_MEMBER,
    PV_MUC_AFF_ADMIN,
    PV_MUC_AFF_OWNER
} pv_muc_aff_t;

/* ---- Events (names; payload struct in the comment) ---- */

/* A room came into existence (created by a join, or loaded). pv_muc_room_event_t. */
#define PV_MUC_EVENT_ROOM_CREATED "muc-room-created"
/* A room is about to be freed (last occupant of a temporary room left,
 * destroyed, unloaded after ROOM_UNLOADED, or at shutdown): actor is set
 * when someone destroyed it. pv_muc_room_event_t. */
#define PV_MUC_EVENT_ROOM_DESTROYED "muc-room-destroyed"
/* A stored room came into memory: its first use since start-up, or since it
 * was unloaded (muc-core loads rooms on demand). Fired once the room is
 * complete (configuration, affiliations, registrations, subject), before
 * any stanza for it is handled and before ROOM_CREATED, which follows as it
 * always did for loaded rooms: load per-room state here (the history plugin
 * fills its ring). The rooms of the occupants restored at start
 * (<keep-occupants>) are loaded during muc-core's own init, before plugins
 * listed after it subscribed: such a plugin finds them in memory without
 * having seen this event (load their state on first need as well).
 * pv_muc_room_event_t (actor NULL). Since ABI 1.2. */
#define PV_MUC_EVENT_ROOM_LOADED "muc-room-loaded"
/* A stored room without occupants is about to leave memory: idle for
 * <hibernate-after> seconds, or the least recently used beyond
 * <max-loaded-rooms>. It stays stored and is loaded again (ROOM_LOADED) on
 * its next use; free per-room state here, keep what is stored. ROOM_DESTROYED
 * follows with actor NULL, as for every room freed. pv_muc_room_event_t
 * (actor NULL). Since ABI 1.2. */
#define PV_MUC_EVENT_ROOM_UNLOADED "muc-room-unloaded"
/* A room's configuration was submitted and applied. pv_muc_room_event_t. */
#define PV_MUC_EVENT_ROOM_CONFIGURED "muc-room-configured"
/* Before a join is accepted: PV_ERROR vetoes it with the payload's error.
 * pv_muc_occupant_event_t (occupant is NULL; nick and real_jid are set). */
#define PV_MUC_EVENT_PRE_JOIN "muc-occupant-pre-join"
/* An occupant joined (after every presence was sent). pv_muc_occupant_event_t. */
#define PV_MUC_EVENT_JOINED "muc-occupant-joined"
/* An occupant left (before it is freed). pv_muc_occupant_event_t. */
#define PV_MUC_EVENT_LEFT "muc-occupant-left"
/* An occupant's nick changed; old_nick is set. pv_muc_occupant_event_t. */
#define PV_MUC_EVENT_NICK_CHANGED "muc-occupant-nick-changed"
/* An occupant's role or affiliation changed. pv_muc_occupant_event_t. */
#define PV_MUC_EVENT_ROLE_CHANGED "muc-occupant-role-changed"
/* A groupchat message is about to be broadcast: PV_ERROR vetoes it (error to
 * the sender); a subscriber may modify `message` (e.g. add a stanza-id) or
 * skip recipients with pv_muc_api()->message_skip(). pv_muc_message_event_t. */
#define PV_MUC_EVENT_MESSAGE "muc-message-broadcast"
/* Between the joiner's own presence and the subject: a subscriber sends the
 * discussion history to `to` (one session). pv_muc_history_event_t. */
#define PV_MUC_EVENT_SEND_HISTORY "muc-send-history"

/* The service's disco#items lists a room: a subscriber may append children
 * to `item` (e.g. a data form). The list comes from storage (and the
 * temporary rooms in memory), so `room` is NULL for a stored room that is not
 * in memory: only its JID and name are known then. pv_muc_disco_item_event_t. */
#define PV_MUC_EVENT_DISCO_ITEM "muc-disco-item"

typedef struct pv_muc_room_event {
    pv_muc_room_t *room;
    const pv_jid_t *actor; /* who caused it (creator, configurer), or NULL */
} pv_muc_room_event_t;

typedef struct pv_muc_occupant_event {
    pv_muc_room_t *room;
    pv_muc_occupant_t *occupant; /* NULL for PRE_JOIN */
    const char *nick;            /* the (new) nick */
    const char *old_nick;        /* NICK_CHANGED only, else NULL */
    const pv_jid_t *real_jid;    /* the session's full JID */
    const pv_el_t *presence;     /* the presence that caused it, or NULL */
    /* Set by a vetoing subscriber (PRE_JOIN): */
    const char *err_type;      /* default "cancel" */
    const char *err_condition; /* e.g. "not-allowed" */
    const char *err_text;
} pv_muc_occupant_event_t;

typedef struct pv_muc_message_event {
    pv_muc_room_t *room;
    pv_muc_occupant_t *sender;
    pv_el_t *message; /* the stanza to broadcast (from and to set per send) */
    const pv_jid_t *real_from;
    unsigned char *skip; /* internal: recipients to skip; use message_skip() */
    size_t nrecipients;  /* number of occupants the message goes to */
    const char *err_type;
    const char *err_condition;
    const char *err_text;
} pv_muc_message_event_t;

typedef struct pv_muc_history_event {
    pv_muc_room_t *room;
    pv_muc_occupant_t *occupant; /* the joiner */
    const char *to;              /* the joining session's full JID */
    const pv_el_t *history;      /* the <history/> element of the join, or NULL */
} pv_muc_history_event_t;

typedef struct pv_muc_disco_item_event {
    pv_muc_room_t *room;       /* NULL: stored, not in memory (ABI 1.2) */
    pv_el_t *item;             /* the <item jid name/> being built: append to it */
    const pv_jid_t *requester; /* who asked */
} pv_muc_disco_item_event_t;

/* ---- Extensions: roles, affiliations and config fields contributed by plugins ----
 * muc-core knows the five XEP-0045 affiliations and four roles; its
 * affiliations and the extra ones are rows of one registry, muc-core's
 * added at start the way a plugin's are. A plugin may
 * register an extra affiliation (pv_muc_api()->register_affiliation): owners
 * (or `grantor` and above) grant it with <item affiliation='NAME' jid|nick/>
 * in muc#admin, list it with a get of <item affiliation='NAME'/>, and take it
 * back by granting another affiliation (none, member...); such items may
 * share a request with items of standard affiliations (all apply or none). Its holders rank as
 * affiliation none for every standard check, enter with `base_role`, and are
 * shown with affiliation NAME and role `role` while their role is base_role.
 * Without the registration the name is an unknown affiliation.
 * A plugin may also register extra room configuration fields
 * (register_config_field): they appear at the end of the owner's form, are
 * validated and stored with the room's configuration under `var`, and are
 * read with room_config()/room_config_bool(). Definitions are borrowed: they
 * must stay valid until unregistered (the plugin's shutdown). A field
 * registered with register_config_row (PV_MUC_API_CONFIG_ROWS) also gives
 * its storage key, a check of submitted values and its place in the form:
 * the history plugin's muc#maxhistoryfetch is such a row. */
typedef struct pv_muc_extra_aff {
    const char *name;        /* affiliation name in items and presence, e.g. "player" */
    const char *role;        /* role name shown for its present holders, e.g. "player" */
    pv_muc_role_t base_role; /* the role it ranks as (privileges): e.g. PARTICIPANT */
    pv_muc_aff_t grantor;    /* least affiliation that may grant and list it, e.g. OWNER */
} pv_muc_extra_aff_t;

typedef struct pv_muc_extra_field {
    const char *var;   /* form var and storage key, e.g. "x-game#game"; no "muc#" prefix clash */
    const char *type;  /* "boolean" (stored "1"/"0") or "text-single" */
    const char *label; /* shown in the form */
    const char *def;   /* default value as text */
} pv_muc_extra_field_t;

/* A field with the rest of its row (register_config_row): where it is
 * stored, how a value is checked, where it sits in the form. Members may be
 * appended: muc-core reads those `row_size` covers. */
typedef struct pv_muc_config_row {
    /* unregistered with unregister_config_field(&row->field); as a row, its
     * type may also be "text-multi", "text-private", "list-single" or
     * "list-multi" (stored with its values space-separated) */
    pv_muc_extra_field_t field;
    const char *key; /* storage key when it is not field.var (e.g. "history"), or NULL */
    /* NULL, or why a single value is refused, completing "Field VAR ...",
     * e.g. "must be an xmpp: URI": owners' submits and <room-defaults>
     * values are checked with it (after `integer`'s check) */
    const char *(*check)(const char *value);
    const char *after; /* the var of the field it follows in the form, or NULL: the end */
    /* The values a list offers (NULL-terminated), or NULL. A list-single
     * value must be one of them unless `integer` or `check` says otherwise. */
    const char *const *options;
    /* A whole number from min to max (text-single or list-single): others
     * are refused with "must be a whole number between MIN and MAX", as
     * muc-core's own muc#roomconfig_maxusers is. */
    bool integer;
    long min, max;
} pv_muc_config_row_t;

/* A broadcast on behalf of an occupant that is not a groupchat message (a
 * subject change, or the room's join/leave/rename text notice) is about to reach `recipient`: a
 * subscriber clears `deliver` to hold it back from that occupant. Groupchat messages use the
 * MESSAGE event and message_skip() instead. pv_muc_deliver_event_t. */
#define PV_MUC_EVENT_DELIVER "muc-deliver"

typedef struct pv_muc_deliver_event {
    pv_muc_room_t *room;
    pv_muc_occupant_t *sender; /* on whose behalf it is sent */
    pv_muc_occupant_t *recipient;
    const pv_el_t *stanza; /* what is sent (to not set yet) */
    const char *kind;      /* "subject" or "notice" */
    bool deliver;          /* true on entry */
} pv_muc_deliver_event_t;

/* Fired by the history plugin for each stored message it is about to send
 * to a joiner (the SEND_HISTORY event): a subscriber clears `deliver` to
 * leave the message out (it then does not count against maxstanzas).
 * pv_muc_history_filter_event_t. */
#define PV_MUC_EVENT_HISTORY_FILTER "muc-history-filter"

typedef struct pv_muc_history_filter_event {
    pv_muc_room_t *room;
    pv_muc_occupant_t *joiner;
    const char *to;         /* the joining session's full JID */
    const pv_el_t *message; /* the stored message: from = the sender's occupant JID */
    const char *stanza_id;  /* its XEP-0359 stanza-id, or NULL */
    bool deliver;           /* true on entry */
} pv_muc_history_filter_event_t;

/* ---- Ad-hoc commands added by plugins (PV_MUC_API_COMMANDS) ----
 * A plugin may add XEP-0050 commands to the service JID's command list
 * (register_command; muc-core has none of its own): muc-core lists them in
 * disco#items on the commands node, in the order registered, to those who
 * may run them; when one is executed it
 * answers item-not-found for a node nobody registered, forbidden to a
 * sender who may not run it, and `cancel` itself (status canceled), picks
 * the session id (the one given, else a new one), and calls `run` for the
 * rest: the handler answers the IQ (PV_HANDLED), refuses it with
 * pv_stanza_fail (PV_ERROR), or parks it (PV_AGAIN, palaver/router.h; the
 * command comes back through `run` when released). Definitions are
 * borrowed: they must stay valid until unregistered (the plugin's shutdown).
 */
typedef enum {
    PV_MUC_COMMAND_SERVICE_ADMINS = 0, /* the service's admins (<sadmin>) only */
    PV_MUC_COMMAND_ANYONE              /* every sender */
} pv_muc_command_who_t;

typedef struct pv_muc_command {
    const char *node;         /* e.g. "http://jabber.org/protocol/admin#list-room-occupants" */
    const char *name;         /* shown in disco#items, e.g. "List a room's occupants" */
    pv_muc_command_who_t who; /* who may list and run it */
    /* ctx is the IQ set, command its <command/> (borrowed for the call),
     * sid the session id to answer with; ud is the definition's. */
    pv_verdict_t (*run)(pv_stanza_ctx_t *ctx, const pv_el_t *command, const char *sid, void *ud);
    void *ud;
} pv_muc_command_t;

/* ---- Lookups ----
 * A plugin module exports nothing but its descriptor, so muc-core's queries
 * are a table of functions that a plugin fetches once (in init; list
 * "muc-core" in its `requires`) with pv_muc_api(). Every pointer returned by
 * these functions is borrowed: valid until the next stanza is processed (a
 * room may be freed when its last occupant leaves). Entries are only ever
 * appended; `size` tells which exist.
 */
#define PV_MUC_EVENT_API "muc-api"

typedef struct pv_muc_api {
    size_t size; /* sizeof(pv_muc_api_t) as muc-core was built */

    /* The room whose bare JID or node is given, or NULL when not in memory. */
    pv_muc_room_t *(*room_find)(const char *room_jid_or_node);
    /* The room's bare JID (room@service). */
    const char *(*room_jid)(const pv_muc_room_t *room);
    /* The room's normalised node. */
    const char *(*room_name)(const pv_muc_room_t *room);
    /* A configuration value by form var ("muc#roomconfig_roomname"...), as text
     * ("1"/"0" for booleans), or NULL for a var muc-core does not know. */
    const char *(*room_config)(const pv_muc_room_t *room, const char *var);
    /* A boolean configuration value; false for unknown vars. */
    bool (*room_config_bool)(const pv_muc_room_t *room, const char *var);
    /* The current subject ("" when none). */
    const char *(*room_subject)(const pv_muc_room_t *room);
    /* Number of occupants (not sessions). */
    size_t (*room_occupant_count)(const pv_muc_room_t *room);
    /* True while a newly created room waits for its configuration. */
    bool (*room_locked)(const pv_muc_room_t *room);
    /* The occupant with this nick (resourceprep'd, compared case-insensitively), or NULL. */
    pv_muc_occupant_t *(*occupant_by_nick)(const pv_muc_room_t *room, const char *nick);
    /* The occupant one of whose sessions has this real full JID, or NULL. */
    pv_muc_occupant_t *(*occupant_by_jid)(const pv_muc_room_t *room, const char *full_jid);
    /* The occupant's nick. */
    const char *(*occupant_nick)(const pv_muc_occupant_t *occ);
    /* The occupant's real bare JID. */
    const char *(*occupant_bare_jid)(const pv_muc_occupant_t *occ);
    /* The occupant's XEP-0421 occupant-id. */
    const char *(*occupant_id)(const pv_muc_occupant_t *occ);
    /* The occupant's role. */
    pv_muc_role_t (*occupant_role)(const pv_muc_occupant_t *occ);
    /* The occupant's affiliation. */
    pv_muc_aff_t (*occupant_affiliation)(const pv_muc_occupant_t *occ);
    /* Affiliation of a bare JID in a room (service admins count as owners). */
    pv_muc_aff_t (*affiliation)(const pv_muc_room_t *room, const char *bare_jid);
    /* Marks recipient i (0-based, occupant order) of a MESSAGE event as skipped. */
    void (*message_skip)(pv_muc_message_event_t *ev, size_t i);
    /* Name of a role ("moderator"...); a static string. */
    const char *(*role_name)(pv_muc_role_t r);
    /* Name of an affiliation ("owner"...); a static string. */
    const char *(*aff_name)(pv_muc_aff_t a);
    /* Calls fn(bare_jid, ud) for every JID holding exactly `aff` in the room
     * (service admins are not listed), in no particular order, until fn
     * returns false. The strings are borrowed for the call. */
    void (*room_affiliations)(const pv_muc_room_t *room, pv_muc_aff_t aff,
                              bool (*fn)(const char *bare_jid, void *ud), void *ud);
    /* ---- Extensions (see pv_muc_extra_aff_t above) ---- */
    /* Registers an extra affiliation (the name must not be a standard one or
     * registered already): 0, or -1 (logged). */
    int (*register_affiliation)(const pv_muc_extra_aff_t *def);
    /* Forgets it (holders keep nothing: they become affiliation none). */
    void (*unregister_affiliation)(const pv_muc_extra_aff_t *def);
    /* Registers an extra configuration field: 0, or -1 (logged). */
    int (*register_config_field)(const pv_muc_extra_field_t *def);
    void (*unregister_config_field)(const pv_muc_extra_field_t *def);
    /* The extra affiliation name a bare JID holds in the room, or NULL. */
    const char *(*extra_affiliation)(const pv_muc_room_t *room, const char *bare_jid);
    /* The occupant's role as shown in presence: an extra role name ("player")
     * or role_name(occupant_role()). A static or registered string. */
    const char *(*occupant_role_name)(const pv_muc_occupant_t *occ);
    /* Calls fn(occupant, i, ud) for every occupant in room order (i is the
     * recipient index of a MESSAGE event) until fn returns false. */
    void (*room_occupants)(const pv_muc_room_t *room,
                           bool (*fn)(pv_muc_occupant_t *occ, size_t i, void *ud), void *ud);
    /* ---- Appended: room-wide notices (XEP-0425 retractions, avatar updates) ----
     * Sends `stanza` to every session of every occupant of the room, `to` set
     * per recipient (through the host's XEP-0033 service when multicast is
     * on); its `from` and everything else are sent as the caller built them.
     * The stanza is borrowed (the caller frees it). Returns the number of
     * sessions addressed, or -1 (logged) when it cannot be serialised. */
    int (*room_broadcast)(const pv_muc_room_t *room, const pv_el_t *stanza);
    /* ---- Appended: configuration fields as whole rows (PV_MUC_API_CONFIG_ROWS) ----
     * register_config_field with the rest of the row; row_size is
     * sizeof(pv_muc_config_row_t) as the plugin was built. 0, or -1 (logged). */
    int (*register_config_row)(const pv_muc_config_row_t *row, size_t row_size);
    /* ---- Appended: the MESSAGE event's message handed over (PV_MUC_API_MESSAGE_TAKE) ----
     * Called by a MESSAGE subscriber: the event's `message` becomes the
     * caller's (it frees it with pv_el_free), and muc-core reflects nothing
     * of it, as if every recipient were skipped: for a plugin that sends the
     * message later itself (room_broadcast), without a copy. The message
     * stays the event's until the event returns: later subscribers still
     * see it (and may modify it). NULL when it cannot be taken (another
     * subscriber took it, or the event was not fired by muc-core's
     * reflection of a groupchat message): then it is not the caller's. */
    pv_el_t *(*message_take)(pv_muc_message_event_t *ev);
    /* ---- Appended: a plugin's own keys stored with a room (PV_MUC_API_ROOM_KEYS) ----
     * A plugin may keep values of its own with a room's configuration under
     * keys that are not form vars (e.g. room avatars' "x-palaver#avatar-hash"):
     * muc-core stores them with the room, loads them with it, keeps them
     * while no plugin uses them, and room_config() reads them. room_key_set
     * sets one in memory (value copied; "" when none): 0, or -1 (logged) when
     * out of memory or when key is one of muc-core's own configuration
     * fields. Nothing is written until room_store. */
    int (*room_key_set)(pv_muc_room_t *room, const char *key, const char *value);
    /* Writes the room's configuration, keys included, when the room is
     * persistent and stored, then calls done(ok, ud) once the backend
     * answered; done(true, ud) at once when nothing is to be written. The
     * caller answers its request and tells the occupants in done (durable
     * before visible), and on !ok puts its previous values back; done may run
     * after the caller's shutdown (storage completes before the backend
     * closes): then it should only free ud. */
    void (*room_store)(pv_muc_room_t *room, void (*done)(bool ok, void *ud), void *ud);
    /* ---- Appended: notices on behalf of an occupant (PV_MUC_API_ROOM_NOTICE) ----
     * room_broadcast of `stanza` on behalf of `sender` (the room's text
     * notices of an occupant joining, leaving or changing nick): every
     * occupant but `except` (NULL: none) whom the DELIVER event (kind
     * "notice") lets receive it. A sender that has just left (role none, in
     * its LEFT event) counts there with the role it had in the room. The
     * stanza is borrowed. The number of sessions addressed, or -1 (logged)
     * when it cannot be serialised. */
    int (*room_notice)(const pv_muc_room_t *room, const pv_el_t *stanza, pv_muc_occupant_t *sender,
                       const pv_muc_occupant_t *except);
    /* True while the room is being destroyed (its occupants removed, their
     * LEFT events fired): nothing more should be said in it. */
    bool (*room_destroying)(const pv_muc_room_t *room);
    /* ---- Appended: voice, and what a plugin's requests need (PV_MUC_API_ROLE_SET) ----
     * room_broadcast to the occupants whose role is at least min_role only
     * (PV_MUC_ROLE_MODERATOR: the moderators). The number of sessions
     * addressed, or -1 (logged) when it cannot be serialised. */
    int (*room_broadcast_role)(const pv_muc_room_t *room, const pv_el_t *stanza,
                               pv_muc_role_t min_role);
    /* Grants (PV_MUC_ROLE_PARTICIPANT) or revokes (PV_MUC_ROLE_VISITOR) an
     * occupant's voice on behalf of the room, without an actor or a reason:
     * sets the role, sends every occupant the occupant's presence with it
     * (status 110 to the occupant's own sessions) and fires ROLE_CHANGED.
     * 0 (also when the occupant has that role already), or -1 for any other
     * role (a moderator's or a kick needs the admin IQ's checks) or a
     * moderator occupant. */
    int (*occupant_role_set)(pv_muc_occupant_t *occ, pv_muc_role_t role);
    /* The real full JID of the occupant's first session (its bare JID when
     * it has none); borrowed while the occupant lasts. */
    const char *(*occupant_full_jid)(const pv_muc_occupant_t *occ);
    /* muc-core's rate limit `kind` (the names of <throttle>'s elements in
     * palaver.xml(5): "voice-request"...) for ctx's sender in room: PV_PASS
     * (a token taken; service admins always pass), or, over the limit, the
     * resource-constraint refusal recorded with pv_stanza_fail (PV_ERROR),
     * also for an unknown kind (internal-server-error, logged). */
    pv_verdict_t (*throttle)(pv_stanza_ctx_t *ctx, const char *kind, const pv_muc_room_t *room);
    /* ---- Appended: ad-hoc commands, and what a command on any room needs
     * (PV_MUC_API_COMMANDS; pv_muc_command_t above) ----
     * Adds a command to the service's list: 0, or -1 (logged) when its node
     * is taken or out of memory. */
    int (*register_command)(const pv_muc_command_t *def);
    /* Takes it off the list (nothing when it is not on it). */
    void (*unregister_command)(const pv_muc_command_t *def);
    /* The room named `node` (its JID's local part) for the stanza being
     * handled, loading a stored room not in memory first: PV_PASS with *out
     * set (NULL: no such room), or the verdict to return (the stanza is
     * parked until the room is in memory, PV_AGAIN, and comes back to the
     * handler; or refused, PV_ERROR). */
    pv_verdict_t (*room_need)(pv_stanza_ctx_t *ctx, const char *node, pv_muc_room_t **out);
    /* The changes of a muc#admin <query/> (XEP-0045 sections 9 and 10: items
     * with an affiliation or a role) made by ctx's sender in room, with the
     * checks, storage, presence and audit of a muc#admin IQ set to the room
     * (service admins count as owners); answered with `reply` (copied; NULL:
     * an empty IQ result) once applied, or refused with the same errors.
     * The query is borrowed. PV_HANDLED, PV_ERROR or PV_AGAIN. */
    pv_verdict_t (*room_admin_set)(pv_stanza_ctx_t *ctx, pv_muc_room_t *room, pv_el_t *query,
                                   const pv_el_t *reply);
    /* Appends the room's configuration form (the owner's muc#owner form,
     * with every plugin's fields) to `parent`: the new <x/>, or NULL (out
     * of memory, logged). */
    pv_el_t *(*room_config_form)(const pv_muc_room_t *room, pv_el_t *parent);
    /* A submitted muc#roomconfig form made by ctx's sender, as an owner's
     * muc#owner IQ set to the room: checked, stored, applied and announced,
     * then answered with `reply` (copied; NULL: an empty IQ result), or
     * refused with the same errors. The form is borrowed. PV_HANDLED,
     * PV_ERROR or PV_AGAIN. */
    pv_verdict_t (*room_config_submit)(pv_stanza_ctx_t *ctx, pv_muc_room_t *room, pv_el_t *form,
                                       const pv_el_t *reply);
    /* Destroys the room as its owner's request would (XEP-0045 section
     * 10.9: ROOM_DESTROY, the occupants' unavailable presence with the
     * <destroy/>, the room deleted from storage first), on behalf of
     * `actor` (copied; NULL: none), with an alternate `venue` JID and a
     * `reason` (either may be NULL). done(ok, error, ud) runs once the
     * deletion settled, now or later (on failure the room is kept); it may
     * run after the caller's shutdown (storage completes before the backend
     * closes): then it should only free ud. done may be NULL. */
    void (*room_destroy)(pv_muc_room_t *room, const char *venue, const char *reason,
                         const pv_jid_t *actor, void (*done)(bool ok, const char *error, void *ud),
                         void *ud);
    /* ---- Appended: registrations on a plugin's behalf (PV_MUC_API_REGISTRATION) ----
     * The nick registered (XEP-0045 section 7.10) by a bare JID in the room,
     * or NULL when it has none. */
    const char *(*registered_nick)(const pv_muc_room_t *room, const char *bare_jid);
    /* Registers `nick` for `bare_jid` in the room and, when the JID's
     * affiliation is none, makes it a member, as a registration of its own
     * does, on behalf of the room (an admin's approval, XEP-0045 section
     * 9.9): stored first when the room is persistent, then set, and the
     * occupants told of the new membership; then done(true, ud), and only
     * then should the caller tell the user (durable before visible). When
     * it cannot be stored or set (or the room went meanwhile) nothing
     * changes and done(false, ud) runs. done may run before this returns,
     * and after the caller's shutdown (storage completes before the backend
     * closes): then it should only free ud. Returns 0 (done will run), 1
     * when the nick (resourceprep'd) is registered to another JID or used
     * by another user's occupant, or -1 when bare_jid or nick is not valid
     * or memory ran out (logged); done does not run then. */
    int (*register_member)(pv_muc_room_t *room, const char *bare_jid, const char *nick,
                           void (*done)(bool ok, void *ud), void *ud);
    /* ---- Appended: every room (PV_MUC_API_ROOMS_EACH) ----
     * Calls fn for each room in memory (rooms stored and not loaded, LAZY-1,
     * are not visited), in no particular order, until fn returns false. fn
     * must not create or destroy rooms (room_destroy's deletion settles
     * later, so calling it is fine); sending to a room is. */
    void (*rooms_each)(bool (*fn)(pv_muc_room_t *room, void *ud), void *ud);
} pv_muc_api_t;
/* Defined when pv_muc_api_t has room_affiliations (check `size` at run time too). */
#define PV_MUC_API_ROOM_AFFILIATIONS 1
/* Defined when pv_muc_api_t has the extension entries (register_affiliation...). */
#define PV_MUC_API_EXTENSIONS 1
/* Defined when pv_muc_api_t has room_broadcast (check `size` at run time too). */
#define PV_MUC_API_ROOM_BROADCAST 1
/* Defined when pv_muc_api_t has register_config_row (pv_muc_config_row_t;
 * check `size` at run time too). */
#define PV_MUC_API_CONFIG_ROWS 1
/* Defined when pv_muc_api_t has message_take (check `size` at run time too). */
#define PV_MUC_API_MESSAGE_TAKE 1
/* Defined when pv_muc_api_t has room_key_set and room_store (check `size`
 * at run time too). */
#define PV_MUC_API_ROOM_KEYS 1
/* Defined when pv_muc_api_t has room_notice and room_destroying (check
 * `size` at run time too). */
#define PV_MUC_API_ROOM_NOTICE 1
/* Defined when pv_muc_api_t has room_broadcast_role, occupant_role_set,
 * occupant_full_jid and throttle (check `size` at run time too). */
#define PV_MUC_API_ROLE_SET 1
/* Defined when pv_muc_api_t has register_command, unregister_command,
 * room_need, room_admin_set, room_config_form, room_config_submit and
 * room_destroy (check `size` at run time too). */
#define PV_MUC_API_COMMANDS 1
/* Defined when pv_muc_api_t has registered_nick and register_member, and
 * muc-core fires PV_MUC_EVENT_REGISTER_REQUEST (check `size` at run time
 * too). */
#define PV_MUC_API_REGISTRATION 1
/* Defined when pv_muc_api_t has rooms_each (check `size` at run time too). */
#define PV_MUC_API_ROOMS_EACH 1
/* Room avatars (XEP-0486, the room-avatars plugin, muc-core's companion):
 * room_config(room, PV_MUC_CONFIG_AVATAR_HASH) is the lowercase hex SHA-1 of
 * the room's avatar image, or NULL or "" when the room has none. Set by
 * owners with a vcard-temp IQ set; stored with the room. */
#define PV_MUC_CONFIG_AVATAR_HASH "x-palaver#avatar-hash"

/* ---- Appended: a room destroyed on request (PV_MUC_API_ROOM_DESTROY) ----
 * Its owner (XEP-0045 section 10.9) or a service admin (the destroy-room
 * command) destroyed the room, and its deletion from storage succeeded:
 * fired once, before its occupants are sent their unavailable presence with
 * the <destroy/> and before the room is freed (ROOM_DESTROYED follows, as
 * for every room freed). Not fired for a temporary room that ends with its
 * last occupant, nor for a room unloaded or freed at shutdown. The
 * room-tombstones plugin keeps a tombstone of a persistent room here.
 * pv_muc_destroy_event_t; every pointer is borrowed for the call. */
#define PV_MUC_EVENT_ROOM_DESTROY "muc-room-destroy"

typedef struct pv_muc_destroy_event {
    pv_muc_room_t *room;
    const char *name;      /* the room's node (the local part of its JID) */
    const pv_jid_t *actor; /* who destroyed it, or NULL */
    const char *venue;     /* the alternate venue's JID, or NULL */
    const char *reason;    /* the reason given, or NULL */
    bool persistent;       /* the room was stored or configured persistent */
} pv_muc_destroy_event_t;
/* Defined when muc-core fires PV_MUC_EVENT_ROOM_DESTROY. */
#define PV_MUC_API_ROOM_DESTROY 1

/* ---- Appended: registrations awaiting approval (PV_MUC_API_REGISTRATION) ----
 * A user whose affiliation is none submitted the muc#register form
 * (XEP-0045 section 7.10) to a room whose owner requires an admin's
 * approval of registrations (x-palaver#registration_approval, muc-core's
 * form): the form is valid and the nick (resourceprep'd) is free. Instead
 * of registering the user, muc-core hands the request over (the
 * registration-approval plugin, its companion, asks the room's admins,
 * XEP-0045 section 9.9). A subscriber that takes the request returns
 * PV_HANDLED and answers the IQ itself (now or later, from a copy of `iq`);
 * PV_ERROR refuses it with the payload's error. When no subscriber takes it,
 * muc-core refuses the registration (service-unavailable): nobody could
 * approve it. pv_muc_register_event_t; every pointer is borrowed for the
 * call. */
#define PV_MUC_EVENT_REGISTER_REQUEST "muc-register-request"

typedef struct pv_muc_register_event {
    pv_muc_room_t *room;
    const pv_el_t *iq;    /* the user's IQ set */
    const char *bare_jid; /* the user */
    const char *nick;     /* the nick asked for, resourceprep'd */
    /* Set by a refusing subscriber (PV_ERROR): */
    const char *err_type; /* default "cancel" */
    const char *err_condition;
    const char *err_text;
} pv_muc_register_event_t;

/* muc-core's function table, or NULL when muc-core is not loaded. muc-core
 * answers the PV_MUC_EVENT_API event (payload: const pv_muc_api_t **) by
 * storing its table there. The table lives as long as the process. */
static inline const pv_muc_api_t *pv_muc_api(void)
{
    const pv_muc_api_t *api = NULL;
    pv_event_t *ev = pv_event(PV_MUC_EVENT_API);
    if (ev)
        pv_event_fire(ev, (void *)&api);
    return api;
}

#ifdef __cplusplus
}
#endif
#endif
