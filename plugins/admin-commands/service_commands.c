/*
 * service_commands.c (ADHOC-1): the service admins' XEP-0050 commands on
 * the service as a whole:
 *
 *   list-rooms      the rooms in memory, as a jid-multi result field
 *   destroy-room    a room (loaded first when stored, LAZY-1), with a reason
 *                   and an alternate venue, as its owner's request would
 *   announce        a groupchat message from each occupied room to its
 *                   occupants (XEP-0133's form: `announcement`, text-multi;
 *                   `body`, the field's name before Palaver followed it)
 *   get-statistics  the core's and every plugin's statistics (palaver/stats.h)
 *                   as a result form, one field each
 *
 * list-rooms and get-statistics complete at once; destroy-room and announce
 * first return their form (status executing), and complete when it comes
 * back. Stateless, like the others: muc-core's command list (plugin.c
 * registers these first) checks the sender, handles `cancel` and picks the
 * session id.
 */
#include "admin_commands.h"
#include <palaver/stats.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NODE_LIST NS_ADMIN "#list-rooms"
#define NODE_DESTROY NS_ADMIN "#destroy-room"
#define NODE_ANNOUNCE NS_ADMIN "#announce"
#define NODE_STATS NS_ADMIN "#get-statistics"

static bool add_room_jid(pv_muc_room_t *r, void *ud)
{
    return pv_form_add_value(ud, api->room_jid(r)) == 0;
}

static pv_verdict_t list_rooms(pv_stanza_ctx_t *ctx, const pv_el_t *cmd, const char *sid, void *ud)
{
    (void)cmd;
    (void)ud;
    pv_el_t *c, *res = command_reply(ctx->stanza, NODE_LIST, sid, "completed", &c);
    pv_el_t *x = res ? pv_form_new(c, "result", NULL, NULL, NULL) : NULL;
    pv_el_t *f = x ? pv_form_add_field(x, "rooms", "jid-multi", "Rooms", NULL) : NULL;
    if (!f) {
        pv_el_free(res);
        return send_and_free(ctx, NULL);
    }
    api->rooms_each(add_room_jid, f);
    return send_and_free(ctx, res);
}

static void add_stat(const char *name, const char *label, const char *value, void *ud)
{
    pv_form_add_field(ud, name, "text-single", label, value);
}

static pv_verdict_t get_statistics(pv_stanza_ctx_t *ctx, const pv_el_t *cmd, const char *sid,
                                   void *ud)
{
    (void)cmd;
    (void)ud;
    pv_el_t *c, *res = command_reply(ctx->stanza, NODE_STATS, sid, "completed", &c);
    pv_el_t *x = res ? pv_form_new(c, "result", NS_ADMIN, "Statistics", NULL) : NULL;
    if (!x) {
        pv_el_free(res);
        return send_and_free(ctx, NULL);
    }
    pv_stats_collect(add_stat, x);
    pv_log(PV_LOG_INFO, NAME, "statistics sent to service admin %s", ctx->from->full);
    return send_and_free(ctx, res);
}

/* ---- destroy-room ---- */

/* A destruction being settled: the command's IQ and session, owned. */
typedef struct destroy_ask {
    pv_el_t *iq;
    char *sid;
} destroy_ask_t;

static void destroyed(bool ok, const char *error, void *ud)
{
    destroy_ask_t *d = ud;
    if (api) { /* not after the plugin's shutdown: then only freed */
        pv_el_t *cmd,
            *res = ok ? command_reply(d->iq, NODE_DESTROY, d->sid, "completed", &cmd) : NULL;
        pv_el_t *n =
            res ? pv_el_add_text_child(cmd, NS_COMMANDS, "note", "The room was destroyed") : NULL;
        if (n && pv_el_set_attr(n, "type", "info") == 0)
            pv_send(res);
        else
            pv_send_error(d->iq, "wait", "internal-server-error",
                          !ok && error ? error : "Out of memory");
        pv_el_free(res);
    }
    pv_el_free(d->iq);
    free(d->sid);
    free(d);
}

static pv_verdict_t destroy_room(pv_stanza_ctx_t *ctx, const char *sid, const pv_el_t *x)
{
    const char *jid = pv_form_value(x, "room");
    pv_jid_t *j = jid ? pv_jid_parse(jid) : NULL;
    pv_muc_room_t *r = NULL;
    /* a stored room not in memory is loaded first: the command comes back then */
    pv_verdict_t v = j && j->node ? api->room_need(ctx, j->node, &r) : PV_PASS;
    pv_jid_free(j);
    if (v != PV_PASS)
        return v;
    if (!r)
        return pv_stanza_failf(ctx, "modify", "bad-request", "No room %s", jid ? jid : "");
    const char *why = pv_form_value(x, "reason"), *alt = pv_form_value(x, "alternate");
    destroy_ask_t *ask = calloc(1, sizeof *ask);
    if (!ask || !(ask->iq = pv_el_clone(ctx->stanza)) || !(ask->sid = strdup(sid))) {
        if (ask)
            pv_el_free(ask->iq);
        free(ask);
        return send_and_free(ctx, NULL);
    }
    api->room_destroy(r, alt && *alt ? alt : NULL, why && *why ? why : NULL, ctx->from, destroyed,
                      ask);
    return PV_HANDLED;
}

/* ---- announce ---- */

typedef struct announcement {
    const char *body;
    size_t nrooms;
} announcement_t;

static bool announce_in(pv_muc_room_t *r, void *ud)
{
    announcement_t *a = ud;
    if (!api->room_occupant_count(r))
        return true;
    pv_el_t *m = pv_el_new(PV_NS_STANZA, "message");
    if (m && pv_el_set_attr(m, "from", api->room_jid(r)) == 0 &&
        pv_el_set_attr(m, "type", "groupchat") == 0 &&
        pv_el_add_text_child(m, PV_NS_STANZA, "body", a->body) && api->room_broadcast(r, m) >= 0)
        a->nrooms++;
    else
        pv_log(PV_LOG_ERROR, NAME, "the announcement to %s was not sent (out of memory?)",
               api->room_jid(r));
    pv_el_free(m);
    return true;
}

static pv_verdict_t announce(pv_stanza_ctx_t *ctx, const char *sid, const pv_el_t *x)
{
    char *body = pv_form_lines(x, "announcement");
    if (!body || !*body) { /* "body": the field's name before Palaver followed XEP-0133 */
        free(body);
        body = pv_form_lines(x, "body");
    }
    if (!body || !*body) {
        free(body);
        return pv_stanza_fail(ctx, "modify", "bad-request", "The announcement is empty");
    }
    announcement_t a = {body, 0};
    api->rooms_each(announce_in, &a);
    free(body);
    pv_log(PV_LOG_INFO, NAME, "%s announced to %zu rooms", ctx->from->full, a.nrooms);
    return send_and_free(ctx, completed_reply(ctx, NODE_ANNOUNCE, sid, "Announced"));
}

/* destroy-room and announce: their form first, then the work. */
static pv_verdict_t two_stage(pv_stanza_ctx_t *ctx, const pv_el_t *cmd, const char *sid, void *ud)
{
    (void)ud;
    bool destroy = !strcmp(pv_el_attr(cmd, "node"), NODE_DESTROY);
    pv_el_t *x = pv_form_submitted(cmd, NULL);
    if (x)
        return destroy ? destroy_room(ctx, sid, x) : announce(ctx, sid, x);
    pv_el_t *res = form_reply(ctx, destroy ? NODE_DESTROY : NODE_ANNOUNCE, sid,
                              destroy ? "Destroy a room" : "Announce to all rooms", &x);
    bool ok = res != NULL;
    if (ok && destroy)
        ok = pv_form_add_field(x, "room", "jid-single", "Room to destroy", NULL) &&
             pv_form_add_field(x, "reason", "text-single", "Reason", NULL) &&
             pv_form_add_field(x, "alternate", "jid-single", "Alternate venue", NULL);
    else if (ok) /* XEP-0133's announce field: text-multi, as its registry gives it */
        ok = pv_form_set_required(
                 pv_form_add_field(x, "announcement", "text-multi", "Announcement", NULL)) == 0;
    if (!ok) {
        pv_el_free(res);
        res = NULL;
    }
    return send_and_free(ctx, res);
}

const pv_muc_command_t service_commands[NSERVICE] = {
    {.node = NODE_LIST,
     .name = "List rooms",
     .who = PV_MUC_COMMAND_SERVICE_ADMINS,
     .run = list_rooms},
    {.node = NODE_DESTROY,
     .name = "Destroy a room",
     .who = PV_MUC_COMMAND_SERVICE_ADMINS,
     .run = two_stage},
    {.node = NODE_ANNOUNCE,
     .name = "Announce to all rooms",
     .who = PV_MUC_COMMAND_SERVICE_ADMINS,
     .run = two_stage},
    {.node = NODE_STATS,
     .name = "Get statistics",
     .who = PV_MUC_COMMAND_SERVICE_ADMINS,
     .run = get_statistics},
};
