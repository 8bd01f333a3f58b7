/*
 * api.c: muc-core's queries for other plugins (palaver/muc.h). Modules export
 * only their descriptor, so the functions are handed out as one table: a
 * plugin fires the "muc-api" event and muc-core stores the table's address in
 * the payload. The implementations live beside the data they read
 * (room_table.c, occupant.c); this file only assembles the table.
 */
#include "muc_internal.h"

void api_message_skip(pv_muc_message_event_t *ev, size_t i)
{
    if (ev && ev->skip && i < ev->nrecipients)
        ev->skip[i] = 1;
}

static void api_room_affiliations(const pv_muc_room_t *r, pv_muc_aff_t aff,
                                  bool (*fn)(const char *, void *), void *ud)
{
    size_t i;
    for (map_entry_t *e = map_first(&r->affs, &i); e; e = map_next(&r->affs, e, &i))
        if ((pv_muc_aff_t)((intptr_t)e->val - 1) == aff && !fn(e->key, ud))
            return;
}

/* Appended entry: a notice from the room to every occupant's every session. */
static int api_room_broadcast(const pv_muc_room_t *r, const pv_el_t *stanza)
{
    pv_prepared_t *p = pv_prepare(stanza);
    if (!p) {
        pv_log(PV_LOG_ERROR, MUC, "room %s: a notice to its occupants cannot be serialised",
               r->jid);
        return -1;
    }
    int n = room_broadcast((room_t *)r, stanza, p, NULL);
    offline_deliver(r, stanza, p); /* a groupchat message whose reflection waited */
    pv_prepared_free(p);
    return n;
}

static bool not_except(const occupant_t *o, void *except)
{
    return o != except;
}

/* Appended entry: a notice on behalf of an occupant, through the DELIVER
 * event (kind "notice"). A sender whose LEFT event is being fired has role
 * none by now: it is seen there with the role it had (o->left_role), and has
 * role none again before this returns. */
static int api_room_notice(const pv_muc_room_t *r, const pv_el_t *stanza, pv_muc_occupant_t *sender,
                           const pv_muc_occupant_t *except)
{
    pv_prepared_t *p = pv_prepare(stanza);
    if (!p) {
        pv_log(PV_LOG_ERROR, MUC, "room %s: cannot serialise a notice", r->jid);
        return -1;
    }
    pv_muc_role_t keep = sender ? sender->role : PV_MUC_ROLE_NONE;
    if (sender && keep == PV_MUC_ROLE_NONE)
        sender->role = sender->left_role;
    int n = room_broadcast(
        (room_t *)r, stanza, p,
        &(bcast_t){.want = not_except, .ud = (void *)except, .sender = sender, .kind = "notice"});
    if (sender)
        sender->role = keep;
    pv_prepared_free(p);
    return n;
}

static bool api_room_destroying(const pv_muc_room_t *r)
{
    return r->destroying;
}

/* Appended entry: a notice from the room to the occupants of a role or above. */
static bool role_at_least(const occupant_t *o, void *ud)
{
    return o->role >= *(const pv_muc_role_t *)ud;
}

static int api_room_broadcast_role(const pv_muc_room_t *r, const pv_el_t *stanza,
                                   pv_muc_role_t min_role)
{
    pv_prepared_t *p = pv_prepare(stanza);
    if (!p) {
        pv_log(PV_LOG_ERROR, MUC, "room %s: a notice to its %ss cannot be serialised", r->jid,
               role_name(min_role));
        return -1;
    }
    int n =
        room_broadcast((room_t *)r, stanza, p, &(bcast_t){.want = role_at_least, .ud = &min_role});
    pv_prepared_free(p);
    return n;
}

/* Appended entry: voice granted or revoked on behalf of the room. */
static int api_occupant_role_set(pv_muc_occupant_t *o, pv_muc_role_t role)
{
    if ((role != PV_MUC_ROLE_VISITOR && role != PV_MUC_ROLE_PARTICIPANT) ||
        o->role == PV_MUC_ROLE_MODERATOR || o->role == PV_MUC_ROLE_NONE)
        return -1;
    if (o->role == role)
        return 0;
    o->role = role;
    static const int self110[] = {110, 0};
    occupant_announce_role(o, &(pres_opts_t){.self_codes = self110});
    return 0;
}

static const char *api_occupant_full_jid(const pv_muc_occupant_t *o)
{
    return o->sessions ? o->sessions->jid->full : o->bare;
}

static pv_verdict_t api_throttle(pv_stanza_ctx_t *ctx, const char *kind, const pv_muc_room_t *r)
{
    return throttle_check_named(ctx, kind, r->name);
}

/* Appended entries (PV_MUC_API_COMMANDS): the room operations a service
 * command needs, the code of the owner's and the admin's IQs. */
static pv_verdict_t api_room_need(pv_stanza_ctx_t *ctx, const char *node, pv_muc_room_t **out)
{
    return rooms_need(ctx, node, out);
}

static pv_verdict_t api_room_admin_set(pv_stanza_ctx_t *ctx, pv_muc_room_t *r, pv_el_t *query,
                                       const pv_el_t *reply)
{
    return admin_set_for_command(ctx, r, query, reply);
}

static pv_el_t *api_room_config_form(const pv_muc_room_t *r, pv_el_t *parent)
{
    config_form_build(r, parent);
    return pv_form_find(parent, NS_MUC_ROOMCONFIG);
}

static pv_verdict_t api_room_config_submit(pv_stanza_ctx_t *ctx, pv_muc_room_t *r, pv_el_t *form,
                                           const pv_el_t *reply)
{
    return config_submit(ctx, r, form, reply);
}

static void api_room_destroy(pv_muc_room_t *r, const char *venue, const char *reason,
                             const pv_jid_t *actor, destroy_done_fn done, void *ud)
{
    pv_el_t *d = NULL;
    if (venue || reason) { /* as the owner's <destroy jid><reason/></destroy> */
        d = pv_el_new(NS_MUC_OWNER, "destroy");
        if (!d || (venue && pv_el_set_attr(d, "jid", venue) < 0) ||
            (reason && !pv_el_add_text_child(d, NS_MUC_OWNER, "reason", reason))) {
            pv_el_free(d);
            pv_log(PV_LOG_ERROR, MUC, "out of memory destroying %s", r->jid);
            if (done)
                done(false, "Out of memory", ud);
            return;
        }
    }
    room_destroy(r, d, actor, done, ud);
    pv_el_free(d);
}

static void api_rooms_each(bool (*fn)(pv_muc_room_t *room, void *ud), void *ud)
{
    size_t i;
    for (map_entry_t *e = map_first(&muc->rooms, &i); e; e = map_next(&muc->rooms, e, &i))
        if (!fn(e->val, ud))
            return;
}

static const pv_muc_api_t table = {
    .size = sizeof(pv_muc_api_t),
    .room_find = api_room_find,
    .room_jid = api_room_jid,
    .room_name = api_room_name,
    .room_config = api_room_config,
    .room_config_bool = api_room_config_bool,
    .room_subject = api_room_subject,
    .room_occupant_count = api_room_occupant_count,
    .room_locked = api_room_locked,
    .occupant_by_nick = api_occupant_by_nick,
    .occupant_by_jid = api_occupant_by_jid,
    .occupant_nick = api_occupant_nick,
    .occupant_bare_jid = api_occupant_bare_jid,
    .occupant_id = api_occupant_id,
    .occupant_role = api_occupant_role,
    .occupant_affiliation = api_occupant_affiliation,
    .affiliation = api_affiliation,
    .message_skip = api_message_skip,
    .role_name = role_name,
    .aff_name = aff_name,
    .room_affiliations = api_room_affiliations,
    .register_affiliation = ext_api_register_affiliation,
    .unregister_affiliation = ext_api_unregister_affiliation,
    .register_config_field = ext_api_register_config_field,
    .unregister_config_field = ext_api_unregister_config_field,
    .extra_affiliation = ext_api_extra_affiliation,
    .occupant_role_name = ext_api_occupant_role_name,
    .room_occupants = ext_api_room_occupants,
    .room_broadcast = api_room_broadcast,
    .register_config_row = ext_api_register_config_row,
    .message_take = message_take,
    .room_key_set = api_room_key_set,
    .room_store = api_room_store,
    .room_notice = api_room_notice,
    .room_destroying = api_room_destroying,
    .room_broadcast_role = api_room_broadcast_role,
    .occupant_role_set = api_occupant_role_set,
    .occupant_full_jid = api_occupant_full_jid,
    .throttle = api_throttle,
    .register_command = commands_register,
    .unregister_command = commands_unregister,
    .room_need = api_room_need,
    .room_admin_set = api_room_admin_set,
    .room_config_form = api_room_config_form,
    .room_config_submit = api_room_config_submit,
    .room_destroy = api_room_destroy,
    .registered_nick = api_registered_nick,
    .register_member = api_register_member,
    .rooms_each = api_rooms_each,
};

static pv_subscription_t *sub;

static pv_verdict_t give_table(const pv_event_t *ev, void *payload, void *ud)
{
    (void)ev;
    (void)ud;
    *(const pv_muc_api_t **)payload = &table;
    return PV_HANDLED;
}

int api_init(void)
{
    pv_event_t *ev = pv_event(PV_MUC_EVENT_API);
    sub = ev ? pv_plugin_subscribe(muc_handle, ev, 0, give_table, NULL) : NULL;
    if (!sub) {
        pv_log(PV_LOG_ERROR, MUC, "cannot publish the muc-api table");
        return -1;
    }
    return 0;
}

void api_shutdown(void)
{
    pv_event_unsubscribe(sub);
    sub = NULL;
}
