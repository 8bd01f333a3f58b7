/*
 * plugin.c: muc-core's descriptor: reads the plugin's config (<create>
 * policy with <allow> entries, <occupant-id-secret>), registers the stanza
 * hooks and the service's disco identity and features, interns the events
 * other plugins subscribe to (palaver/muc.h), sets up the loading of stored
 * rooms on first use and their hibernation, puts back the occupants saved at the last clean
 * shutdown (restart.c), and at shutdown saves them, then frees everything.
 * Room avatars, the text notices, the tombstones of destroyed rooms, voice
 * requests, the service admins' commands on any room and registration
 * approvals are its companion plugins (plugins/room-avatars, room-notices,
 * room-tombstones, voice-requests, admin-commands, registration-approval),
 * loaded with it unless <plugins> turns them off.
 */
#include "muc_internal.h"
#include <stdlib.h>
#include <string.h>

muc_state_t *muc;

pv_event_t *ev_room_loaded, *ev_room_unloaded, *ev_room_destroy, *ev_register_request;
pv_event_t *ev_room_created, *ev_room_destroyed, *ev_room_configured, *ev_pre_join, *ev_joined,
    *ev_left, *ev_nick_changed, *ev_role_changed, *ev_message, *ev_history;

int events_init(void)
{
    ev_room_loaded = pv_event(PV_MUC_EVENT_ROOM_LOADED);
    ev_room_unloaded = pv_event(PV_MUC_EVENT_ROOM_UNLOADED);
    ev_room_created = pv_event(PV_MUC_EVENT_ROOM_CREATED);
    ev_room_destroyed = pv_event(PV_MUC_EVENT_ROOM_DESTROYED);
    ev_room_destroy = pv_event(PV_MUC_EVENT_ROOM_DESTROY);
    ev_register_request = pv_event(PV_MUC_EVENT_REGISTER_REQUEST);
    ev_room_configured = pv_event(PV_MUC_EVENT_ROOM_CONFIGURED);
    ev_pre_join = pv_event(PV_MUC_EVENT_PRE_JOIN);
    ev_joined = pv_event(PV_MUC_EVENT_JOINED);
    ev_left = pv_event(PV_MUC_EVENT_LEFT);
    ev_nick_changed = pv_event(PV_MUC_EVENT_NICK_CHANGED);
    ev_role_changed = pv_event(PV_MUC_EVENT_ROLE_CHANGED);
    ev_message = pv_event(PV_MUC_EVENT_MESSAGE);
    ev_history = pv_event(PV_MUC_EVENT_SEND_HISTORY);
    if (!ev_room_loaded || !ev_room_unloaded || !ev_room_created || !ev_room_destroyed ||
        !ev_room_destroy || !ev_register_request || !ev_room_configured || !ev_pre_join ||
        !ev_joined || !ev_left || !ev_nick_changed || !ev_role_changed || !ev_message ||
        !ev_history) {
        pv_log(PV_LOG_ERROR, MUC, "out of memory creating events");
        return -1;
    }
    return 0;
}

static void free_allow(char **allow)
{
    for (char **a = allow; a && *a; a++)
        free(*a);
    free(allow);
}

/* Reads the plugin's element into `into` (create policy, allow list, flood
 * limits, occupant-id secret). On failure logs FILE:LINE and returns -1;
 * what was allocated stays in `into` for the caller to free. */
static int read_config(const pv_config_t *cfg, muc_state_t *into)
{
    const char *c = pv_key_str(muc_handle, cfg, "create"); /* checked: one of these */
    static const char *const names[] = {"anyone", "local", "list", "admins"};
    into->create = CREATE_ANYONE;
    for (int i = 0; i < 4; i++)
        if (c && !strcmp(c, names[i]))
            into->create = (create_policy_t)i;
    size_t n = 0;
    for (pv_el_t *a = cfg ? pv_el_child(cfg, NULL, "allow") : NULL; a;
         a = pv_el_next(a, NULL, "allow"))
        n++;
    into->allow = calloc(n + 1, sizeof *into->allow);
    if (!into->allow)
        return -1;
    n = 0;
    for (pv_el_t *a = cfg ? pv_el_child(cfg, NULL, "allow") : NULL; a;
         a = pv_el_next(a, NULL, "allow")) {
        pv_jid_t *j = pv_jid_parse(pv_el_text(a));
        if (!j)
            return pv_config_error(a, MUC, "<allow> must hold a JID or a domain, not '%s'",
                                   pv_el_text(a));
        into->allow[n] = xstrdup(j->bare);
        pv_jid_free(j);
        if (!into->allow[n++])
            return -1;
    }
    into->flood_burst = pv_key_int(muc_handle, cfg, "flood-burst");
    into->flood_per_minute = pv_key_int(muc_handle, cfg, "flood-per-minute");
    into->load_timeout = pv_key_int(muc_handle, cfg, "load-timeout");
    const char *secret = pv_key_str(muc_handle, cfg, "occupant-id-secret");
    into->occupant_id_secret = xstrdup(secret ? secret : pv_service_domain());
    return into->occupant_id_secret ? 0 : -1;
}

/* SIGHUP: the new policy and limits apply at once; the occupant-id secret is
 * kept (changing it would change every live occupant's id). */
static int muc_reconfigure(void *state, const pv_config_t *cfg)
{
    muc_state_t *m = state, fresh = {0};
    if (read_config(cfg, &fresh) < 0 || room_defaults_configure(cfg) < 0 ||
        throttle_configure(cfg) < 0) {
        free_allow(fresh.allow);
        free(fresh.occupant_id_secret);
        pv_log(PV_LOG_ERROR, MUC, "new configuration refused: keeping the old one");
        return -1;
    }
    /* occupant-id-secret is PV_KEY_RESTART: the core said it waits for a restart */
    free(fresh.occupant_id_secret);
    free_allow(m->allow);
    m->allow = fresh.allow;
    m->create = fresh.create;
    m->flood_burst = fresh.flood_burst;
    m->flood_per_minute = fresh.flood_per_minute;
    if (restart_configure(cfg) < 0) /* restart.c */
        pv_log(PV_LOG_ERROR, MUC, "restart settings refused: keeping the old ones");
    if (hibernate_configure(cfg) < 0) /* hibernate.c */
        pv_log(PV_LOG_ERROR, MUC, "hibernation settings refused: keeping the old ones");
    if (left_ids_configure(cfg) < 0) /* left_ids.c */
        pv_log(PV_LOG_ERROR, MUC, "<remember-left-occupants> refused: keeping the old value");
    return 0;
}

/* A stanza hook through the plugin's handle: the core removes it after
 * muc_shutdown. */
static int hook(int kinds, int to, const char *ns, int prio, pv_stanza_fn fn)
{
    if (!pv_plugin_hook_stanza(muc_handle, kinds, to, ns, prio, fn, NULL)) {
        pv_log(PV_LOG_ERROR, MUC, "cannot register a stanza hook");
        return -1;
    }
    return 0;
}

static void muc_shutdown(void *state);

static int muc_start(pv_plugin_handle_t *h, const pv_config_t *cfg, void **state)
{
    muc_handle = h;
    muc = calloc(1, sizeof *muc);
    if (!muc)
        return -1;
    map_init(&muc->rooms, false);
    *state = muc;
    if (aff_rows_core() < 0) /* the five affiliations of XEP-0045, affiliations.c */
        goto fail;
    if (read_config(cfg, muc) < 0 || room_defaults_configure(cfg) < 0 ||
        throttle_configure(cfg) < 0 /* LIMIT-1 */ || multicast_init(cfg) < 0 || events_init() < 0 ||
        api_init() < 0 || rtbl_init(cfg) < 0 /* RTBL-1: real-time block lists, rtbl.c */)
        goto fail;
    if (muc_stats_init() < 0) /* rooms and occupants for the statistics */
        goto fail;
    if (restart_configure(cfg) < 0) /* RESTART-1 */
        goto fail;
    if (hibernate_configure(cfg) < 0) /* LAZY-1: unused rooms leave memory */
        goto fail;
    if (cluster_configure(cfg) < 0) /* CLUSTER-1: rooms owned through leases */
        goto fail;
    if (left_ids_configure(cfg) < 0) /* BAN-OID-1 */
        goto fail;
    /* LAZY-1: ahead of every handler, a room not in memory is loaded first */
    if (hook(PV_KIND_ANY, PV_TO_BARE | PV_TO_FULL, NULL, 900, room_gate_handler) < 0 ||
        hook(PV_KIND_PRESENCE, PV_TO_FULL, NULL, 0, presence_handler) < 0 ||
        hook(PV_KIND_PRESENCE, PV_TO_BARE, NULL, 0, presence_bare_handler) < 0 ||
        hook(PV_KIND_MESSAGE, PV_TO_BARE, NULL, 0, message_room_handler) < 0 ||
        hook(PV_KIND_MESSAGE, PV_TO_FULL, NULL, 0, message_occupant_handler) < 0 ||
        hook(PV_KIND_IQ, PV_TO_BARE, NS_MUC_OWNER, 0, owner_iq_handler) < 0 ||
        hook(PV_KIND_IQ, PV_TO_BARE, NS_MUC_ADMIN, 0, admin_iq_handler) < 0 ||
        hook(PV_KIND_IQ, PV_TO_SERVICE, "http://jabber.org/protocol/commands", 0, adhoc_handler) <
            0 ||
        hook(PV_KIND_IQ, PV_TO_SERVICE, PV_NS_DISCO_ITEMS, 10, adhoc_items_handler) < 0 ||
        hook(PV_KIND_IQ, PV_TO_BARE, NS_REGISTER, 0, register_handler) < 0 ||
        hook(PV_KIND_IQ, PV_TO_BARE, "http://jabber.org/protocol/commands", 0,
             hats_command_handler) < 0 ||
        hook(PV_KIND_IQ, PV_TO_BARE, PV_NS_DISCO_ITEMS, 10, hats_items_handler) < 0 ||
        hook(PV_KIND_IQ, PV_TO_SERVICE, NS_MUC_UNIQUE, 0, unique_iq_handler) < 0 ||
        hook(PV_KIND_IQ, PV_TO_BARE, PV_NS_DISCO_INFO, 0, disco_info_handler) < 0 ||
        hook(PV_KIND_IQ, PV_TO_BARE | PV_TO_SERVICE, PV_NS_DISCO_ITEMS, 0, disco_items_handler) <
            0 ||
        hook(PV_KIND_IQ, PV_TO_FULL, NULL, -100, iq_occupant_handler) < 0)
        goto fail;
    pv_disco_add_identity("conference", "text", "Chatrooms");
    static const char *const features[] = {NS_MUC,
                                           NS_MUC_UNIQUE,
                                           NS_REGISTER,
                                           NS_PING,
                                           NS_SELFPING,
                                           NS_OCCUPANT_ID,
                                           PV_NS_DISCO_ITEMS,
                                           "http://jabber.org/protocol/commands",
                                           "urn:xmpp:hats:0",
                                           NULL};
    for (const char *const *f = features; *f; f++)
        pv_disco_add_feature(*f);
    /* No stored room is loaded here: each comes at its first stanza
     * (room_load.c), except the rooms of the restored occupants. */
    restart_restore();       /* the occupants saved at the last clean shutdown (restart.c) */
    if (cluster_start() < 0) /* the heartbeat, and the asks of the other instances */
        goto fail;
    return 0;
fail:
    muc_shutdown(muc);
    *state = NULL;
    return -1;
}

static void muc_shutdown(void *state)
{
    muc_state_t *m = state;
    if (!m)
        return;
    api_shutdown();
    rtbl_shutdown();
    multicast_shutdown();
    muc_stats_shutdown();
    cluster_shutdown(); /* live occupants stored, every lease given back */
    restart_shutdown(); /* saves the live occupants first (restart.c) */
    rooms_free_all();
    hibernate_shutdown();
    room_load_shutdown();
    iq_forward_reset();
    free_allow(m->allow);
    free(m->occupant_id_secret);
    room_defaults_free();
    throttle_free();
    commands_free();      /* the plugins' commands (commands.c) */
    broadcast_shutdown(); /* last: what the steps above broadcast used it */
    free(m);
    muc = NULL;
}

/* Once the host accepted us (the core has started the multicast discovery
 * of <multicast>auto</multicast>): the check of the restored occupants. */
static void muc_connected(void *state)
{
    (void)state;
    restart_check_connected(); /* restored occupants still there? (restart_check.c) */
    room_defaults_connected(); /* <room-defaults> of fields nobody registered */
    rtbl_connected();          /* subscribe to the block lists and fetch them (rtbl.c) */
}

static const char *const no_requires[] = {NULL};
/* Features of their own, loaded with muc-core unless <plugins> turns them
 * off (palaver/plugin.h): XEP-0486 room avatars, the join/leave/rename
 * text notices, the tombstones of destroyed rooms, voice requests, the
 * service admins' commands on any room (ADHOC-2), and registration
 * approvals. */
static const char *const companions[] = {"room-avatars",
                                         "room-notices",
                                         "room-tombstones",
                                         "voice-requests",
                                         "admin-commands",
                                         "registration-approval",
                                         NULL};

PV_PLUGIN_DEFINE(muc_core) = {
    .abi_major = PV_ABI_MAJOR,
    .abi_minor = PV_ABI_MINOR,
    .name = "muc-core",
    .version = "1.0",
    .requires = no_requires,
    .reconfigure = muc_reconfigure,
    .connected = muc_connected,
    .shutdown = muc_shutdown,
    .config_keys = muc_config_keys,
    .start = muc_start,
    .companions = companions,
};
