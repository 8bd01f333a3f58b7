/*
 * adhoc.c: the service JID's XEP-0050 commands. muc-core has none of its
 * own: plugins add them (commands.c, pv_muc_api_t's register_command; the
 * admin-commands plugin's, ADHOC-1 and ADHOC-2, come this way). This file
 * answers the commands node's disco#items with the commands the sender may
 * run, and an execution: item-not-found for a node nobody registered,
 * forbidden to a sender who may not run it, `cancel` itself (status
 * canceled); it picks the session id (the one given, else a new one) and
 * hands the rest to the command's handler.
 */
#include "muc_internal.h"
#include <stdio.h>
#include <string.h>

#define NS_COMMANDS "http://jabber.org/protocol/commands"

/* `cancel` (XEP-0050 §3.3): status canceled, with the session given. */
static pv_verdict_t canceled(pv_stanza_ctx_t *ctx, const char *node, const char *sid)
{
    pv_el_t *res = pv_iq_result_new(ctx->stanza);
    pv_el_t *cmd = res ? pv_el_add(res, NS_COMMANDS, "command") : NULL;
    if (!cmd || pv_el_set_attr(cmd, "node", node) < 0 ||
        pv_el_set_attr(cmd, "sessionid", sid ? sid : "") < 0 ||
        pv_el_set_attr(cmd, "status", "canceled") < 0) {
        pv_el_free(res);
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    }
    pv_send(res);
    pv_el_free(res);
    return PV_HANDLED;
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
    const pv_muc_command_t *cmd = commands_find(node); /* a plugin's (commands.c) */
    if (!cmd)
        return refuse(ctx, "cancel", "item-not-found", "No such command");
    if (!commands_may_run(cmd, ctx->from->bare))
        return refuse(ctx, "auth", "forbidden", "Only service administrators may run this command");
    const char *action = pv_el_attr(c, "action");
    if (action && !strcmp(action, "cancel"))
        return canceled(ctx, node, pv_el_attr(c, "sessionid"));
    char sid[24];
    const char *given = pv_el_attr(c, "sessionid");
    if (given)
        snprintf(sid, sizeof sid, "%.23s", given);
    else
        pv_random_id(sid, 16);
    return cmd->run(ctx, c, sid, cmd->ud);
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

/* XEP-0050 §2.2: disco#items on the commands node lists the commands the
 * sender may run (none for most senders). Other disco#items pass on. */
pv_verdict_t adhoc_items_handler(pv_stanza_ctx_t *ctx, void *ud)
{
    (void)ud;
    const char *node = ctx->payload ? pv_el_attr(ctx->payload, "node") : NULL;
    if (strcmp(ctx->type, "get") || !node || strcmp(node, NS_COMMANDS))
        return PV_PASS;
    pv_el_t *q, *res = adhoc_items_result(ctx, &q);
    if (!res)
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    commands_items(q, ctx->from->bare);
    pv_send(res);
    pv_el_free(res);
    return PV_HANDLED;
}
