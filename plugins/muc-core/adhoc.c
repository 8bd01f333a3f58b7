/*
 * adhoc.c: XEP-0050 commands on the service JID for service admins
 * (ADHOC-1): list the rooms, destroy a room, announce a message to every
 * room, get the statistics (the core's and every plugin's, palaver/stats.h,
 * as a result form: one field per statistic). Each command is one or two stages: executing it
 * without a form returns the form to fill in (status executing, a session id; the announcement form
 * is XEP-0133's, its FORM_TYPE's registry fields typed as there); submitting the form (or executing
 * with it) completes it. Stateless: any session id is accepted back with a form. Others get
 * forbidden.
 *
 * Plugins add commands of their own to the same list (commands.c,
 * pv_muc_api_t's register_command): they are listed after these, to those
 * who may run them, and this file checks the sender, handles `cancel` and
 * picks the session id for them as for its own.
 */
#include "muc_internal.h"
#include <palaver/stats.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_COMMANDS "http://jabber.org/protocol/commands"
#define NODE_LIST "http://jabber.org/protocol/admin#list-rooms"
#define NODE_DESTROY "http://jabber.org/protocol/admin#destroy-room"
#define NODE_ANNOUNCE "http://jabber.org/protocol/admin#announce"
#define NODE_STATS "http://jabber.org/protocol/admin#get-statistics"
#define NS_ADMIN "http://jabber.org/protocol/admin"

static pv_el_t *reply(pv_stanza_ctx_t *ctx, const char *node, const char *sid, const char *status,
                      pv_el_t **cmd)
{
    pv_el_t *res = pv_iq_result_new(ctx->stanza);
    *cmd = res ? pv_el_add(res, NS_COMMANDS, "command") : NULL;
    if (!*cmd) {
        pv_el_free(res);
        return NULL;
    }
    pv_el_set_attr(*cmd, "node", node);
    pv_el_set_attr(*cmd, "sessionid", sid);
    pv_el_set_attr(*cmd, "status", status);
    return res;
}

static pv_verdict_t send_form(pv_stanza_ctx_t *ctx, const char *node, const char *sid,
                              const char *title, int which)
{
    pv_el_t *cmd, *res = reply(ctx, node, sid, "executing", &cmd);
    pv_el_t *actions = res ? pv_el_add(cmd, NS_COMMANDS, "actions") : NULL;
    pv_el_t *x = actions ? pv_form_new(cmd, "form", NS_ADMIN, title, NULL) : NULL;
    if (!x) {
        pv_el_free(res);
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    }
    pv_el_set_attr(actions, "execute", "complete");
    pv_el_add(actions, NS_COMMANDS, "complete");
    if (which == 0) {
        pv_form_add_field(x, "room", "jid-single", "Room to destroy", NULL);
        pv_form_add_field(x, "reason", "text-single", "Reason", NULL);
        pv_form_add_field(x, "alternate", "jid-single", "Alternate venue", NULL);
    } else {
        /* XEP-0133's announce field: text-multi, as its registry gives it */
        pv_form_set_required(
            pv_form_add_field(x, "announcement", "text-multi", "Announcement", NULL));
    }
    pv_send(res);
    pv_el_free(res);
    return PV_HANDLED;
}

static pv_verdict_t completed(pv_stanza_ctx_t *ctx, const char *node, const char *sid,
                              const char *note)
{
    pv_el_t *cmd, *res = reply(ctx, node, sid, "completed", &cmd);
    if (!res)
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    pv_el_t *n = pv_el_add_text_child(cmd, NS_COMMANDS, "note", note);
    if (n)
        pv_el_set_attr(n, "type", "info");
    pv_send(res);
    pv_el_free(res);
    return PV_HANDLED;
}

static pv_verdict_t list_rooms(pv_stanza_ctx_t *ctx, const char *sid)
{
    pv_el_t *cmd, *res = reply(ctx, NODE_LIST, sid, "completed", &cmd);
    pv_el_t *x = res ? pv_form_new(cmd, "result", NULL, NULL, NULL) : NULL;
    pv_el_t *f = pv_form_add_field(x, "rooms", "jid-multi", "Rooms", NULL);
    if (!f) {
        pv_el_free(res);
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    }
    size_t i;
    for (map_entry_t *e = map_first(&muc->rooms, &i); e; e = map_next(&muc->rooms, e, &i))
        pv_form_add_value(f, ((room_t *)e->val)->jid);
    pv_send(res);
    pv_el_free(res);
    return PV_HANDLED;
}

static void add_stat(const char *name, const char *label, const char *value, void *ud)
{
    pv_form_add_field(ud, name, "text-single", label, value);
}

static pv_verdict_t get_statistics(pv_stanza_ctx_t *ctx, const char *sid)
{
    pv_el_t *cmd, *res = reply(ctx, NODE_STATS, sid, "completed", &cmd);
    pv_el_t *x = res ? pv_form_new(cmd, "result", NS_ADMIN, "Statistics", NULL) : NULL;
    if (!x) {
        pv_el_free(res);
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    }
    pv_stats_collect(add_stat, x);
    pv_send(res);
    pv_el_free(res);
    pv_log(PV_LOG_INFO, MUC, "statistics sent to service admin %s", ctx->from->full);
    return PV_HANDLED;
}

typedef struct destroy_ask {
    pv_el_t *iq;
    char *sid;
} destroy_ask_t;

static void destroyed(bool ok, const char *error, void *ud)
{
    destroy_ask_t *d = ud;
    pv_el_t *res = ok ? pv_iq_result_new(d->iq) : NULL;
    pv_el_t *cmd = res ? pv_el_add(res, NS_COMMANDS, "command") : NULL;
    if (cmd) {
        pv_el_t *orig = pv_el_child(d->iq, NS_COMMANDS, "command");
        pv_el_set_attr(cmd, "node", NODE_DESTROY);
        pv_el_set_attr(cmd, "sessionid", d->sid);
        pv_el_set_attr(cmd, "status", "completed");
        (void)orig;
        pv_el_t *n = pv_el_add_text_child(cmd, NS_COMMANDS, "note", "The room was destroyed");
        if (n)
            pv_el_set_attr(n, "type", "info");
        pv_send(res);
    } else {
        pv_send_error(d->iq, "wait", "internal-server-error", error ? error : "Out of memory");
    }
    pv_el_free(res);
    pv_el_free(d->iq);
    free(d->sid);
    free(d);
}

static pv_verdict_t destroy_room(pv_stanza_ctx_t *ctx, const char *sid, pv_el_t *x)
{
    const char *jid = pv_form_value(x, "room");
    pv_jid_t *j = jid ? pv_jid_parse(jid) : NULL;
    room_t *r = NULL;
    /* a stored room not in memory is loaded first: the command comes back then */
    pv_verdict_t v = j && j->node ? rooms_need(ctx, j->node, &r) : PV_PASS;
    pv_jid_free(j);
    if (v != PV_PASS)
        return v;
    if (!r)
        return refuse(ctx, "modify", "bad-request", errtext("No room %s", jid ? jid : ""));
    const char *why = pv_form_value(x, "reason"), *alt = pv_form_value(x, "alternate");
    pv_el_t *d = pv_el_new(NS_MUC_OWNER, "destroy");
    destroy_ask_t *ask = calloc(1, sizeof *ask);
    if (!d || !ask || !(ask->iq = pv_el_clone(ctx->stanza)) || !(ask->sid = xstrdup(sid))) {
        pv_el_free(d);
        if (ask)
            pv_el_free(ask->iq);
        free(ask);
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    }
    if (alt && *alt)
        pv_el_set_attr(d, "jid", alt);
    if (why && *why)
        pv_el_add_text_child(d, NS_MUC_OWNER, "reason", why);
    room_destroy(r, d, ctx->from, destroyed, ask);
    pv_el_free(d);
    return PV_HANDLED;
}

static pv_verdict_t announce(pv_stanza_ctx_t *ctx, const char *sid, pv_el_t *x)
{
    /* "body": the field's name before Palaver followed XEP-0133 */
    char *body = pv_form_lines(x, "announcement");
    if (!body || !*body) {
        free(body);
        body = pv_form_lines(x, "body");
    }
    if (!body || !*body) {
        free(body);
        return refuse(ctx, "modify", "bad-request", "The announcement is empty");
    }
    size_t i, nrooms = 0;
    for (map_entry_t *e = map_first(&muc->rooms, &i); e; e = map_next(&muc->rooms, e, &i)) {
        room_t *r = e->val;
        if (!r->first)
            continue;
        pv_el_t *m = pv_el_new(PV_NS_STANZA, "message");
        if (!m)
            continue;
        pv_el_set_attr(m, "from", r->jid);
        pv_el_set_attr(m, "type", "groupchat");
        pv_el_add_text_child(m, PV_NS_STANZA, "body", body);
        room_broadcast(r, m, NULL, NULL);
        pv_el_free(m);
        nrooms++;
    }
    free(body);
    pv_log(PV_LOG_INFO, MUC, "%s announced to %zu rooms", ctx->from->full, nrooms);
    return completed(ctx, NODE_ANNOUNCE, sid, "Announced");
}

static const char *const own[][2] = {{NODE_LIST, "List rooms"},
                                     {NODE_DESTROY, "Destroy a room"},
                                     {NODE_ANNOUNCE, "Announce to all rooms"},
                                     {NODE_STATS, "Get statistics"}};
#define NOWN (sizeof own / sizeof own[0])

bool adhoc_own_command(const char *node)
{
    for (size_t i = 0; node && i < NOWN; i++)
        if (!strcmp(node, own[i][0]))
            return true;
    return false;
}

pv_verdict_t adhoc_handler(pv_stanza_ctx_t *ctx, void *ud)
{
    (void)ud;
    if (strcmp(ctx->type, "set"))
        return PV_PASS;
    pv_el_t *c = ctx->payload;
    if (!c || strcmp(c->name, "command"))
        return PV_PASS;
    const char *node = pv_el_attr(c, "node");
    const pv_muc_command_t *added = commands_find(node); /* a plugin's (commands.c) */
    if (!adhoc_own_command(node) && !added)
        return refuse(ctx, "cancel", "item-not-found", "No such command");
    if (added ? !commands_may_run(added, ctx->from->bare) : !pv_is_sadmin(ctx->from->bare))
        return refuse(ctx, "auth", "forbidden", "Only service administrators may run this command");
    const char *action = pv_el_attr(c, "action");
    if (action && !strcmp(action, "cancel")) {
        pv_el_t *cmd,
            *res = reply(ctx, node, pv_el_attr(c, "sessionid") ? pv_el_attr(c, "sessionid") : "",
                         "canceled", &cmd);
        if (res) {
            pv_send(res);
            pv_el_free(res);
        }
        return PV_HANDLED;
    }
    char sid[24];
    const char *given = pv_el_attr(c, "sessionid");
    if (given)
        snprintf(sid, sizeof sid, "%.23s", given);
    else
        pv_random_id(sid, 16);
    if (added)
        return added->run(ctx, c, sid, added->ud);
    if (!strcmp(node, NODE_LIST))
        return list_rooms(ctx, sid);
    if (!strcmp(node, NODE_STATS))
        return get_statistics(ctx, sid);
    pv_el_t *x = pv_form_submitted(c, NULL);
    if (!x)
        return send_form(ctx, node, sid,
                         !strcmp(node, NODE_DESTROY) ? "Destroy a room" : "Announce to all rooms",
                         !strcmp(node, NODE_DESTROY) ? 0 : 1);
    if (!strcmp(node, NODE_DESTROY))
        return destroy_room(ctx, sid, x);
    return announce(ctx, sid, x);
}

pv_el_t *adhoc_items_result(const pv_stanza_ctx_t *ctx, pv_el_t **q)
{
    pv_el_t *res = pv_iq_result_new(ctx->stanza);
    *q = res ? pv_el_add(res, PV_NS_DISCO_ITEMS, "query") : NULL;
    if (!*q || pv_el_set_attr(*q, "node", NS_COMMANDS) < 0) {
        pv_el_free(res);
        return NULL;
    }
    return res;
}

void adhoc_add_items(pv_el_t *query, const char *jid, const char *const (*nodes)[2], size_t n)
{
    for (size_t i = 0; i < n; i++) {
        pv_el_t *it = pv_el_add(query, PV_NS_DISCO_ITEMS, "item");
        if (!it)
            return;
        pv_el_set_attr(it, "jid", jid);
        pv_el_set_attr(it, "node", nodes[i][0]);
        pv_el_set_attr(it, "name", nodes[i][1]);
    }
}

/* XEP-0050 §2.2: disco#items on the commands node lists the commands (for
 * service admins; others get those a plugin opened to anyone, most often
 * none). Other disco#items pass on. */
pv_verdict_t adhoc_items_handler(pv_stanza_ctx_t *ctx, void *ud)
{
    (void)ud;
    const char *node = ctx->payload ? pv_el_attr(ctx->payload, "node") : NULL;
    if (strcmp(ctx->type, "get") || !node || strcmp(node, NS_COMMANDS))
        return PV_PASS;
    pv_el_t *q, *res = adhoc_items_result(ctx, &q);
    if (!res)
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    if (pv_is_sadmin(ctx->from->bare))
        adhoc_add_items(q, pv_service_domain(), own, NOWN);
    commands_items(q, ctx->from->bare); /* the plugins' */
    pv_send(res);
    pv_el_free(res);
    return PV_HANDLED;
}
