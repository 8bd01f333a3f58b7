/*
 * hats.c (HATS-1): XEP-0317 hats, roles of a room's own choosing ("teacher",
 * "host") shown beside the XEP-0045 role and affiliation. A room's owners
 * and admins put a hat on a user (the bare JID) or take it off with the
 * XEP-0050 commands on the room's JID, urn:xmpp:hats:commands:don and
 * :doff (as ejabberd offers them; :dlist lists the room's hats); every
 * occupant of that user then shows its hats in its presence, in a
 * <hats xmlns='urn:xmpp:hats:0'/> element, and the presence is broadcast
 * again at each change.
 *
 * The hats are stored with the room, as one of its options (HATS_KEY:
 * lines of "bare JID TAB URI TAB title"), so they survive restarts and
 * follow the room when it loads elsewhere. A change is stored first; the
 * command is answered and the presences go out once the backend said yes
 * (a failed write puts the old hats back and answers internal-server-error).
 * Rooms keep at most MAX_HATS hats.
 */
#include "muc_internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_HATS "urn:xmpp:hats:0"
#define NS_COMMANDS "http://jabber.org/protocol/commands"
#define NODE_DON "urn:xmpp:hats:commands:don"
#define NODE_DOFF "urn:xmpp:hats:commands:doff"
#define NODE_DLIST "urn:xmpp:hats:commands:dlist"
#define FORM_HATS "urn:xmpp:hats:commands"
#define HATS_KEY "x-palaver#hats"
#define MAX_HATS 1000
#define MAX_URI 1024
#define MAX_TITLE 256

/* ---- the stored text ---- */

/* Calls fn for each hat of `text` (bare, uri, title, each NUL-terminated in
 * a scratch copy); stops when fn returns false. */
static void each_hat(const char *text,
                     bool (*fn)(const char *bare, const char *uri, const char *title, void *ud),
                     void *ud)
{
    char *copy = text && *text ? xstrdup(text) : NULL;
    char *save = NULL;
    for (char *line = copy ? strtok_r(copy, "\n", &save) : NULL; line;
         line = strtok_r(NULL, "\n", &save)) {
        char *uri = strchr(line, '\t');
        char *title = uri ? strchr(uri + 1, '\t') : NULL;
        if (!title)
            continue;
        *uri++ = '\0';
        *title++ = '\0';
        if (!fn(line, uri, title, ud))
            break;
    }
    free(copy);
}

static const char *hats_text(const room_t *r)
{
    const char *t = ext_config_get(r, HATS_KEY);
    return t && *t ? t : NULL;
}

/* ---- presence ---- */

typedef struct wear {
    const char *bare;
    pv_el_t *presence;
    pv_el_t *hats; /* created at the first hat */
} wear_t;

static bool add_worn(const char *bare, const char *uri, const char *title, void *ud)
{
    wear_t *w = ud;
    if (strcmp(bare, w->bare) != 0)
        return true;
    if (!w->hats && !(w->hats = pv_el_add(w->presence, NS_HATS, "hats")))
        return false;
    pv_el_t *h = pv_el_add(w->hats, NS_HATS, "hat");
    if (h) {
        pv_el_set_attr(h, "uri", uri);
        pv_el_set_attr(h, "title", title);
    }
    return h != NULL;
}

void hats_add_to_presence(pv_el_t *presence, const occupant_t *o)
{
    const char *text = hats_text(o->room);
    if (!text || !strstr(text, o->bare))
        return; /* the common case: no hats, or none of this user's */
    wear_t w = {.bare = o->bare, .presence = presence};
    each_hat(text, add_worn, &w);
}

/* ---- changing them ---- */

typedef struct edit {
    const char *bare, *uri, *title; /* the change (title NULL: take off) */
    char *out;                      /* the new text */
    size_t len, cap, count;
    bool found, oom;
} edit_t;

static void append(edit_t *e, const char *bare, const char *uri, const char *title)
{
    size_t need = strlen(bare) + strlen(uri) + strlen(title) + 4;
    if (e->len + need > e->cap) {
        size_t cap = (e->len + need) * 2;
        char *grown = realloc(e->out, cap);
        if (!grown) {
            e->oom = true;
            return;
        }
        e->out = grown;
        e->cap = cap;
    }
    e->len += (size_t)snprintf(e->out + e->len, e->cap - e->len, "%s\t%s\t%s\n", bare, uri, title);
    e->count++;
}

static bool copy_hat(const char *bare, const char *uri, const char *title, void *ud)
{
    edit_t *e = ud;
    if (!strcmp(bare, e->bare) && !strcmp(uri, e->uri)) {
        e->found = true;
        if (e->title)
            append(e, bare, uri, e->title); /* worn again: the new title */
        return !e->oom;
    }
    append(e, bare, uri, title);
    return !e->oom;
}

typedef struct hat_op {
    char *room;
    char *bare;
    char *old;   /* the hats before (NULL: none) */
    pv_el_t *iq; /* the command, answered once stored */
    const char *node;
} hat_op_t;

static void op_free(hat_op_t *op)
{
    if (!op)
        return;
    free(op->room);
    free(op->bare);
    free(op->old);
    pv_el_free(op->iq);
    free(op);
}

static void answer_completed(const pv_el_t *iq, const char *node, const char *note)
{
    pv_el_t *res = pv_iq_result_new(iq);
    pv_el_t *cmd = res ? pv_el_add(res, NS_COMMANDS, "command") : NULL;
    if (!cmd) {
        pv_el_free(res);
        return;
    }
    const pv_el_t *in = pv_el_child(iq, NS_COMMANDS, "command");
    const char *sid = in ? pv_el_attr(in, "sessionid") : NULL;
    pv_el_set_attr(cmd, "node", node);
    if (sid)
        pv_el_set_attr(cmd, "sessionid", sid);
    pv_el_set_attr(cmd, "status", "completed");
    if (note) {
        pv_el_t *n = pv_el_add_text_child(cmd, NS_COMMANDS, "note", note);
        if (n)
            pv_el_set_attr(n, "type", "info");
    }
    pv_send(res);
    pv_el_free(res);
}

static void stored(bool ok, void *ud)
{
    hat_op_t *op = ud;
    room_t *r = muc ? rooms_get(op->room) : NULL;
    if (!muc) {
        op_free(op);
        return;
    }
    if (!ok) {
        if (r)
            ext_config_load(r, HATS_KEY, op->old ? op->old : "");
        pv_send_error(op->iq, "wait", "internal-server-error",
                      "The hats could not be stored; nothing was changed");
        op_free(op);
        return;
    }
    answer_completed(op->iq, op->node, NULL);
    pres_opts_t plain = {0};
    for (occupant_t *o = r ? map_get(&r->by_bare, op->bare) : NULL; o; o = o->bare_next)
        presence_broadcast(o, &plain); /* everyone sees the hats it wears now */
    op_free(op);
}

/* ---- the commands ---- */

/* The value of the first of vars (a field's XEP-0317 name, then the names
 * other clients give it) that the form has. */
static const char *form_value(const pv_el_t *x, const char *const *vars)
{
    for (; *vars; vars++)
        if (pv_form_field(x, *vars))
            return pv_form_value(x, *vars);
    return NULL;
}

/* The first stage: the form to fill in (status executing). */
static pv_verdict_t send_form(pv_stanza_ctx_t *ctx, const char *node, bool don)
{
    char sid[24];
    pv_random_id(sid, 16);
    pv_el_t *res = pv_iq_result_new(ctx->stanza);
    pv_el_t *cmd = res ? pv_el_add(res, NS_COMMANDS, "command") : NULL;
    pv_el_t *actions = cmd ? pv_el_add(cmd, NS_COMMANDS, "actions") : NULL;
    pv_el_t *x =
        actions ? pv_form_new(cmd, "form", FORM_HATS, don ? "Assigning a Hat" : "Removing a Hat",
                              don ? "Fill out this form to assign a hat."
                                  : "Fill out this form to remove a hat.")
                : NULL;
    if (!x) {
        pv_el_free(res);
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    }
    pv_el_set_attr(cmd, "node", node);
    pv_el_set_attr(cmd, "sessionid", sid);
    pv_el_set_attr(cmd, "status", "executing");
    pv_el_set_attr(actions, "execute", "complete");
    pv_el_add(actions, NS_COMMANDS, "complete");
    pv_form_set_required(pv_form_add_field(x, "accountjid", "jid-single", "User Address", NULL));
    pv_form_set_required(pv_form_add_field(x, "hat", "text-single", "The hat's URI", NULL));
    if (don)
        pv_form_add_field(x, "title", "text-single", "The hat's title (default: its URI)", NULL);
    pv_send(res);
    pv_el_free(res);
    return PV_HANDLED;
}

static bool has_space(const char *s)
{
    return strpbrk(s, " \t\r\n") != NULL;
}

/* Title for storage: tabs and newlines become spaces; copied (caller frees). */
static char *clean_title(const char *t)
{
    char *c = xstrdup(t);
    for (char *p = c; p && *p; p++)
        if (*p == '\t' || *p == '\n' || *p == '\r')
            *p = ' ';
    return c;
}

static pv_verdict_t change(pv_stanza_ctx_t *ctx, room_t *r, const char *node, const pv_el_t *x,
                           bool don)
{
    static const char *const jid_vars[] = {"accountjid", "jid", NULL};
    static const char *const uri_vars[] = {"hat", "hat_uri", "uri", NULL};
    static const char *const title_vars[] = {"title", "hat_title", NULL};
    const char *jid = form_value(x, jid_vars), *uri = form_value(x, uri_vars);
    const char *title = don ? form_value(x, title_vars) : NULL;
    pv_jid_t *who = jid && *jid ? pv_jid_parse(jid) : NULL;
    if (!who || !uri || !*uri || strlen(uri) > MAX_URI || has_space(uri)) {
        pv_jid_free(who);
        return refuse(ctx, "modify", "bad-request",
                      "The form needs accountjid (a JID) and hat (a URI without spaces, at most "
                      "1024 bytes)");
    }
    if (title && strlen(title) > MAX_TITLE) {
        pv_jid_free(who);
        return refuse(ctx, "modify", "bad-request", "A hat's title is at most 256 bytes");
    }
    char *t = don ? clean_title(title && *title ? title : uri) : NULL;
    edit_t e = {.bare = who->bare, .uri = uri, .title = t};
    each_hat(hats_text(r), copy_hat, &e);
    if (don && !e.found && !e.oom)
        append(&e, who->bare, uri, t);
    free(t);
    if (e.oom || (don && !t)) {
        free(e.out);
        pv_jid_free(who);
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    }
    if (!don && !e.found) {
        free(e.out);
        pv_jid_free(who);
        return refuse(ctx, "cancel", "item-not-found", "That user does not wear that hat here");
    }
    if (e.count > MAX_HATS) {
        free(e.out);
        pv_jid_free(who);
        return refuse(ctx, "wait", "resource-constraint",
                      "This room has as many hats as it may have (1000)");
    }
    hat_op_t *op = calloc(1, sizeof *op);
    const char *old = hats_text(r);
    bool oom = !op || !(op->room = xstrdup(r->name)) || !(op->bare = xstrdup(who->bare)) ||
               !(op->iq = pv_el_clone(ctx->stanza)) || (old && !(op->old = xstrdup(old)));
    pv_jid_free(who);
    if (oom) {
        free(e.out);
        op_free(op);
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    }
    op->node = node;
    ext_config_load(r, HATS_KEY, e.out ? e.out : "");
    free(e.out);
    pv_log(PV_LOG_INFO, MUC, "room %s: hat %s %s %s by %s", r->jid, uri,
           don ? "put on" : "taken off", op->bare, ctx->from->full);
    if (room_cfg_bool(r, CF_PERSISTENT) && r->stored)
        persist_config(r, NULL, r->subject, r->subject_from, NULL, 0, stored, op);
    else
        stored(true, op);
    return PV_HANDLED;
}

static bool list_hat(const char *bare, const char *uri, const char *title, void *ud)
{
    pv_el_t *x = ud;
    pv_el_t *item = pv_el_add(x, PV_NS_DATA, "item");
    if (!item)
        return false;
    pv_form_add_field(item, "accountjid", NULL, NULL, bare);
    pv_form_add_field(item, "hat", NULL, NULL, uri);
    pv_form_add_field(item, "title", NULL, NULL, title);
    return true;
}

static pv_verdict_t list(pv_stanza_ctx_t *ctx, room_t *r)
{
    pv_el_t *res = pv_iq_result_new(ctx->stanza);
    pv_el_t *cmd = res ? pv_el_add(res, NS_COMMANDS, "command") : NULL;
    pv_el_t *x = cmd ? pv_form_new(cmd, "result", NULL, "The room's hats", NULL) : NULL;
    pv_el_t *rep = x ? pv_el_add(x, PV_NS_DATA, "reported") : NULL;
    if (!rep) {
        pv_el_free(res);
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    }
    char sid[24];
    pv_random_id(sid, 16);
    pv_el_set_attr(cmd, "node", NODE_DLIST);
    pv_el_set_attr(cmd, "sessionid", sid);
    pv_el_set_attr(cmd, "status", "completed");
    pv_form_add_field(rep, "accountjid", "jid-single", "User Address", NULL);
    pv_form_add_field(rep, "hat", "text-single", "The hat's URI", NULL);
    pv_form_add_field(rep, "title", "text-single", "The hat's title", NULL);
    each_hat(hats_text(r), list_hat, x);
    pv_send(res);
    pv_el_free(res);
    return PV_HANDLED;
}

static bool may_manage(const room_t *r, const pv_jid_t *from)
{
    pv_muc_aff_t a = room_aff(r, from->bare);
    return a == PV_MUC_AFF_OWNER || a == PV_MUC_AFF_ADMIN || pv_is_sadmin(from->bare);
}

static bool is_hat_node(const char *node)
{
    return node &&
           (!strcmp(node, NODE_DON) || !strcmp(node, NODE_DOFF) || !strcmp(node, NODE_DLIST));
}

pv_verdict_t hats_command_handler(pv_stanza_ctx_t *ctx, void *ud)
{
    (void)ud;
    pv_el_t *c = ctx->payload;
    if (strcmp(ctx->type, "set") || !c || strcmp(c->name, "command"))
        return PV_PASS;
    const char *node = pv_el_attr(c, "node");
    if (!is_hat_node(node))
        return refuse(ctx, "cancel", "item-not-found", "No such command");
    room_t *r = room_of(ctx->to);
    if (!r)
        return refuse(ctx, "cancel", "item-not-found", "No such room");
    if (!may_manage(r, ctx->from))
        return refuse(ctx, "auth", "forbidden", "Only the room's owners and admins manage hats");
    const char *action = pv_el_attr(c, "action");
    if (action && !strcmp(action, "cancel")) {
        answer_completed(ctx->stanza, node, NULL);
        return PV_HANDLED;
    }
    if (!strcmp(node, NODE_DLIST))
        return list(ctx, r);
    bool don = !strcmp(node, NODE_DON);
    pv_el_t *x = pv_form_submitted(c, NULL);
    if (!x)
        return send_form(ctx, node, don);
    return change(ctx, r, don ? NODE_DON : NODE_DOFF, x, don);
}

/* XEP-0050 §2.2 on the room's JID: the hat commands, for those who may
 * run them (others get an empty list). */
pv_verdict_t hats_items_handler(pv_stanza_ctx_t *ctx, void *ud)
{
    (void)ud;
    const char *node = ctx->payload ? pv_el_attr(ctx->payload, "node") : NULL;
    if (strcmp(ctx->type, "get") || !node || strcmp(node, NS_COMMANDS))
        return PV_PASS;
    room_t *r = room_of(ctx->to);
    if (!r)
        return refuse(ctx, "cancel", "item-not-found", "No such room");
    static const char *const nodes[][2] = {
        {NODE_DON, "Put a hat on"}, {NODE_DOFF, "Take a hat off"}, {NODE_DLIST, "List the hats"}};
    pv_el_t *q, *res = adhoc_items_result(ctx, &q);
    if (!res)
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    if (may_manage(r, ctx->from))
        adhoc_add_items(q, r->jid, nodes, sizeof nodes / sizeof nodes[0]);
    pv_send(res);
    pv_el_free(res);
    return PV_HANDLED;
}
