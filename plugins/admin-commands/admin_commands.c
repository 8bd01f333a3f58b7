/*
 * admin_commands.c (ADHOC-2): XEP-0050 commands on the service JID for
 * service admins that work on one room, beside the service-wide list,
 * destroy, announce and statistics (service_commands.c):
 *
 *   set-room-affiliation  any room, any JID: owner, admin, member, none, outcast
 *   list-room-occupants   nick, real JID, role and affiliation of each
 *   edit-room-config      the room's own configuration form, submitted back
 *   destroy-unused-rooms  the stored rooms unused for N days (unused_rooms.c)
 *
 * They are on muc-core's command list (pv_muc_api_t's register_command,
 * plugin.c): muc-core checks the sender (service admins only, others get
 * forbidden), handles `cancel` and hands these nodes here. Each command is
 * stateless like muc-core's: the first stage asks for the room (and what
 * else it needs); the submitted form completes it. edit-room-config has one
 * more stage: the room's configuration form (room_config_form, the owner's
 * form with every plugin's fields) with a hidden `room` field, which the
 * admin submits back. The work itself is the owner's and the admin's IQs'
 * code (room_config_submit, room_admin_set) run as the service admin (who
 * owns every room), so the changes are stored, announced and audited
 * exactly as theirs; only the reply differs: the command's `completed`
 * result.
 *
 * Rooms load on demand (LAZY-1): a stored room not in memory is loaded with
 * room_need first, and the command comes back once it is there.
 */
#include "admin_commands.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NODE_SETAFF NS_ADMIN "#set-room-affiliation"
#define NODE_OCCUPANTS NS_ADMIN "#list-room-occupants"
#define NODE_EDITCFG NS_ADMIN "#edit-room-config"
#define NODE_UNUSED NS_ADMIN "#destroy-unused-rooms"

const char *const commands[NCOMMANDS][2] = {{NODE_SETAFF, "Set an affiliation in a room"},
                                            {NODE_OCCUPANTS, "List a room's occupants"},
                                            {NODE_EDITCFG, "Edit a room's configuration"},
                                            {NODE_UNUSED, "Destroy the rooms unused for N days"}};

/* ---- forms ---- */

pv_el_t *command_reply(const pv_el_t *iq, const char *node, const char *sid, const char *status,
                       pv_el_t **cmd)
{
    pv_el_t *res = pv_iq_result_new(iq);
    *cmd = res ? pv_el_add(res, NS_COMMANDS, "command") : NULL;
    if (!*cmd || pv_el_set_attr(*cmd, "node", node) < 0 ||
        pv_el_set_attr(*cmd, "sessionid", sid) < 0 || pv_el_set_attr(*cmd, "status", status) < 0) {
        pv_el_free(res);
        return NULL;
    }
    return res;
}

pv_el_t *completed_reply(pv_stanza_ctx_t *ctx, const char *node, const char *sid, const char *fmt,
                         ...)
{
    char note[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(note, sizeof note, fmt, ap);
    va_end(ap);
    pv_el_t *cmd, *res = command_reply(ctx->stanza, node, sid, "completed", &cmd);
    pv_el_t *n = res ? pv_el_add_text_child(cmd, NS_COMMANDS, "note", note) : NULL;
    if (!n || pv_el_set_attr(n, "type", "info") < 0) {
        pv_el_free(res);
        return NULL;
    }
    return res;
}

pv_verdict_t send_and_free(pv_stanza_ctx_t *ctx, pv_el_t *res)
{
    if (!res)
        return pv_stanza_fail(ctx, "wait", "internal-server-error", "Out of memory");
    pv_send(res);
    pv_el_free(res);
    return PV_HANDLED;
}

pv_el_t *form_reply(pv_stanza_ctx_t *ctx, const char *node, const char *sid, const char *title,
                    pv_el_t **x)
{
    pv_el_t *cmd, *res = command_reply(ctx->stanza, node, sid, "executing", &cmd);
    pv_el_t *actions = res ? pv_el_add(cmd, NS_COMMANDS, "actions") : NULL;
    *x = actions ? pv_form_new(cmd, "form", NS_ADMIN, title, NULL) : NULL;
    if (!*x || pv_el_set_attr(actions, "execute", "complete") < 0 ||
        !pv_el_add(actions, NS_COMMANDS, "complete")) {
        pv_el_free(res);
        return NULL;
    }
    return res;
}

static bool add_room_field(pv_el_t *x)
{
    return pv_form_set_required(pv_form_add_field(x, "room", "jid-single", "Room", NULL)) == 0;
}

/* The first stage of each command: the form to fill in. */
static pv_verdict_t ask(pv_stanza_ctx_t *ctx, const char *node, const char *sid)
{
    pv_el_t *x, *res = NULL;
    if (!strcmp(node, NODE_SETAFF)) {
        res = form_reply(ctx, node, sid, "Set an affiliation in a room", &x);
        pv_el_t *f = res && add_room_field(x)
                         ? pv_form_add_field(x, "jid", "jid-single", "User", NULL)
                         : NULL;
        pv_el_t *a =
            pv_form_set_required(f) == 0
                ? pv_form_add_field(x, "affiliation", "list-single", "Affiliation", "member")
                : NULL;
        static const char *const affs[] = {"owner", "admin", "member", "none", "outcast"};
        for (size_t i = 0; a && i < sizeof affs / sizeof affs[0]; i++)
            if (!pv_form_add_option(a, affs[i], affs[i]))
                a = NULL;
        if (!a || !pv_form_add_field(x, "reason", "text-single", "Reason", NULL)) {
            pv_el_free(res);
            res = NULL;
        }
    } else if (!strcmp(node, NODE_UNUSED)) {
        res = form_reply(ctx, node, sid, "Destroy the rooms unused for N days", &x);
        pv_el_t *f =
            res ? pv_form_add_field(x, "days", "text-single", "Unused for how many days", "30")
                : NULL;
        if (pv_form_set_required(f) < 0 ||
            !pv_form_add_field(x, "dry-run", "boolean", "Only list them", "0")) {
            pv_el_free(res);
            res = NULL;
        }
    } else {
        res = form_reply(ctx, node, sid,
                         !strcmp(node, NODE_OCCUPANTS) ? "List a room's occupants"
                                                       : "Edit a room's configuration",
                         &x);
        if (res && !add_room_field(x)) {
            pv_el_free(res);
            res = NULL;
        }
    }
    return send_and_free(ctx, res);
}

/* The room the form names: PV_PASS with *out set (NULL: answered as an
 * error in *v), or the verdict of room_need (the command comes back once
 * the stored room is in memory). */
static pv_verdict_t named_room(pv_stanza_ctx_t *ctx, const pv_el_t *x, pv_muc_room_t **out)
{
    *out = NULL;
    const char *jid = pv_form_value(x, "room");
    pv_jid_t *j = jid && *jid ? pv_jid_parse(jid) : NULL;
    if (!j || !j->node || strcmp(j->domain, pv_service_domain())) {
        pv_jid_free(j);
        return pv_stanza_failf(ctx, "modify", "bad-request", "'%s' is not a room of this service",
                               jid ? jid : "");
    }
    pv_verdict_t v = api->room_need(ctx, j->node, out);
    pv_jid_free(j);
    if (v == PV_PASS && !*out)
        return pv_stanza_failf(ctx, "cancel", "item-not-found", "No room %s", jid);
    return v;
}

/* ---- the commands ---- */

/* One of the five affiliations of XEP-0045 (an extra one is not for this
 * command). */
static bool standard_aff(const char *aff)
{
    for (int a = PV_MUC_AFF_OUTCAST; aff && a <= PV_MUC_AFF_OWNER; a++)
        if (!strcmp(aff, api->aff_name((pv_muc_aff_t)a)))
            return true;
    return false;
}

static pv_verdict_t set_affiliation(pv_stanza_ctx_t *ctx, pv_muc_room_t *r, const pv_el_t *x,
                                    const char *sid)
{
    const char *jid = pv_form_value(x, "jid"), *aff = pv_form_value(x, "affiliation");
    const char *reason = pv_form_value(x, "reason");
    if (!jid || !*jid)
        return pv_stanza_fail(ctx, "modify", "bad-request", "The form names no user (field jid)");
    if (!standard_aff(aff))
        return pv_stanza_failf(ctx, "modify", "bad-request",
                               "Unknown affiliation '%s' (owner, admin, member, none or outcast)",
                               aff ? aff : "");
    pv_el_t *q = pv_el_new(NS_MUC_ADMIN, "query");
    pv_el_t *it = q ? pv_el_add(q, NS_MUC_ADMIN, "item") : NULL;
    pv_el_t *res = it ? completed_reply(ctx, NODE_SETAFF, sid, "%s is now %s in %s", jid, aff,
                                        api->room_jid(r))
                      : NULL;
    if (!res || pv_el_set_attr(it, "jid", jid) < 0 || pv_el_set_attr(it, "affiliation", aff) < 0 ||
        (reason && *reason && !pv_el_add_text_child(it, NS_MUC_ADMIN, "reason", reason))) {
        pv_el_free(q);
        pv_el_free(res);
        return pv_stanza_fail(ctx, "wait", "internal-server-error", "Out of memory");
    }
    pv_verdict_t v = api->room_admin_set(ctx, r, q, res);
    pv_el_free(q);
    pv_el_free(res);
    return v;
}

static pv_el_t *reported(pv_el_t *x)
{
    pv_el_t *rep = pv_el_add(x, PV_NS_DATA, "reported");
    if (!pv_form_add_field(rep, "nick", "text-single", "Nickname", NULL) ||
        !pv_form_add_field(rep, "jid", "jid-single", "Real JID", NULL) ||
        !pv_form_add_field(rep, "role", "text-single", "Role", NULL) ||
        !pv_form_add_field(rep, "affiliation", "text-single", "Affiliation", NULL))
        return NULL;
    return rep;
}

/* The rows of list-room-occupants, one per occupant in room order. */
typedef struct rows {
    pv_el_t *x;
    bool ok; /* cleared (and the walk stopped) when out of memory */
} rows_t;

static bool add_occupant(pv_muc_occupant_t *o, size_t i, void *ud)
{
    (void)i;
    rows_t *rows = ud;
    pv_el_t *item = pv_el_add(rows->x, PV_NS_DATA, "item");
    rows->ok = pv_form_add_field(item, "nick", NULL, NULL, api->occupant_nick(o)) &&
               pv_form_add_field(item, "jid", NULL, NULL, api->occupant_full_jid(o)) &&
               pv_form_add_field(item, "role", NULL, NULL, api->role_name(api->occupant_role(o))) &&
               pv_form_add_field(item, "affiliation", NULL, NULL,
                                 api->aff_name(api->occupant_affiliation(o)));
    return rows->ok;
}

static pv_verdict_t list_occupants(pv_stanza_ctx_t *ctx, pv_muc_room_t *r, const char *sid)
{
    pv_el_t *res = completed_reply(ctx, NODE_OCCUPANTS, sid, "%zu occupants in %s",
                                   api->room_occupant_count(r), api->room_jid(r));
    pv_el_t *cmd = res ? pv_el_child(res, NS_COMMANDS, "command") : NULL;
    pv_el_t *x = cmd ? pv_form_new(cmd, "result", NS_ADMIN, api->room_jid(r), NULL) : NULL;
    rows_t rows = {.x = x, .ok = x && reported(x)};
    if (rows.ok)
        api->room_occupants(r, add_occupant, &rows);
    if (!rows.ok) {
        pv_el_free(res);
        res = NULL;
    }
    return send_and_free(ctx, res);
}

/* Second stage of edit-room-config: the room's form, its room kept hidden. */
static pv_verdict_t config_form(pv_stanza_ctx_t *ctx, pv_muc_room_t *r, const char *sid)
{
    pv_el_t *cmd, *res = command_reply(ctx->stanza, NODE_EDITCFG, sid, "executing", &cmd);
    pv_el_t *actions = res ? pv_el_add(cmd, NS_COMMANDS, "actions") : NULL;
    pv_el_t *x = NULL;
    if (actions && pv_el_set_attr(actions, "execute", "complete") == 0 &&
        pv_el_add(actions, NS_COMMANDS, "complete")) {
        x = api->room_config_form(r, cmd); /* appends the <x/> */
    }
    if (!pv_form_add_field(x, "room", "hidden", NULL, api->room_jid(r))) {
        pv_el_free(res);
        res = NULL;
    }
    return send_and_free(ctx, res);
}

static pv_verdict_t submit_config(pv_stanza_ctx_t *ctx, pv_muc_room_t *r, pv_el_t *x,
                                  const char *sid)
{
    pv_el_t *res = completed_reply(ctx, NODE_EDITCFG, sid, "The configuration of %s was changed",
                                   api->room_jid(r));
    if (!res)
        return pv_stanza_fail(ctx, "wait", "internal-server-error", "Out of memory");
    pv_verdict_t v = api->room_config_submit(ctx, r, x, res);
    pv_el_free(res);
    return v;
}

pv_verdict_t admin_command_run(pv_stanza_ctx_t *ctx, const pv_el_t *cmd, const char *sid, void *ud)
{
    (void)ud;
    const char *node = pv_el_attr(cmd, "node"); /* one of commands[] (muc-core checked) */
    pv_el_t *x = pv_form_submitted(cmd, NULL);
    if (!x)
        return ask(ctx, node, sid);
    if (!strcmp(node, NODE_UNUSED))
        return unused_rooms_run(ctx, pv_form_value(x, "days"), pv_form_bool(x, "dry-run", 0) == 1,
                                sid);
    pv_muc_room_t *r;
    pv_verdict_t v = named_room(ctx, x, &r);
    if (v != PV_PASS || !r)
        return v;
    if (!strcmp(node, NODE_SETAFF))
        return set_affiliation(ctx, r, x, sid);
    if (!strcmp(node, NODE_OCCUPANTS))
        return list_occupants(ctx, r, sid);
    const char *ft = pv_form_value(x, "FORM_TYPE");
    if (ft && !strcmp(ft, NS_MUC_ROOMCONFIG))
        return submit_config(ctx, r, x, sid);
    return config_form(ctx, r, sid);
}
