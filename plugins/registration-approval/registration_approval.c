/*
 * registration-approval: registrations that wait for the room's admins
 * (XEP-0045 section 9.9), a companion of muc-core: loaded with it unless
 * <plugins> has <registration-approval enabled="false"/>.
 *
 * Whether a room requires approval stays the owner's choice in muc-core's
 * form (x-palaver#registration_approval). There muc-core hands a new user's
 * muc#register submission to this plugin (the REGISTER_REQUEST event): the
 * request is kept with the room (stored first in persistent rooms, so a
 * restart keeps it), every owner and admin gets it as a muc#register form
 * message from the room, and the user is told it awaits their decision. An
 * admin who submits the form back with muc#register_allow true has the nick
 * registered and the user made a member (muc-core's register_member, stored
 * first); false drops the request; either way the user is told by message
 * and the request leaves storage.
 *
 * The requests are the room's key x-palaver#registration_pending (room_key_set
 * and room_store), one "bare nick" a line, as muc-core stored them before
 * this plugin existed, so stored rooms keep theirs. Turned off, muc-core
 * refuses registrations in rooms that require approval and the admins'
 * forms (nobody could approve them), and the stored requests stay with
 * their rooms until it is turned on again.
 *
 * The message hook runs after muc-core's loading gate (priority 900) and
 * before its handler of messages to the room (0); it takes only messages
 * that carry a muc#register form and leaves the rest, invitations included,
 * to muc-core.
 *
 * It uses muc-core's public API (palaver/muc.h) only.
 */
#include <palaver/muc.h>
#include <palaver/palaver.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME "registration-approval"
#define NS_MUC_REGISTER "http://jabber.org/protocol/muc#register"
#define NS_MUC_USER "http://jabber.org/protocol/muc#user"
#define NS_REGISTER "jabber:iq:register"
#define PENDING_KEY "x-palaver#registration_pending"
/* after muc-core's loading gate (900), before its room message handler (0) */
#define HOOK_PRIORITY 100
/* The entries of pv_muc_api_t this plugin calls: all up to register_member. */
#define API_NEEDED (offsetof(pv_muc_api_t, register_member) + sizeof(void (*)(void)))

static const pv_muc_api_t *api;
static bool running; /* false after shutdown: storage callbacks only free */

/* A printf-formatted text. Caller frees; NULL when out of memory. */
static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int n = vsnprintf(NULL, 0, f, ap);
    va_end(ap);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s) {
        va_start(ap, f);
        vsnprintf(s, (size_t)n + 1, f, ap);
        va_end(ap);
    }
    return s;
}

static char *sdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* ---- the pending requests: "bare nick" lines of the room's key ---- */

/* One line split: its JID and nick, both within the line; false when damaged. */
static bool line_split(const char *line, size_t len, size_t *bare_len, const char **nick,
                       size_t *nick_len)
{
    const char *sp = memchr(line, ' ', len);
    if (!sp || sp == line || sp + 1 == line + len)
        return false;
    *bare_len = (size_t)(sp - line);
    *nick = sp + 1;
    *nick_len = len - *bare_len - 1;
    return true;
}

/* Calls fn for each well-formed line of list (NULL: none). Returns the
 * number of damaged lines (skipped; empty lines are not counted). */
static size_t each_request(const char *list,
                           void (*fn)(const char *bare, size_t bare_len, const char *nick,
                                      size_t nick_len, void *ud),
                           void *ud)
{
    size_t damaged = 0;
    for (const char *line = list; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line), bl, nl;
        const char *nick;
        if (len && line_split(line, len, &bl, &nick, &nl))
            fn(line, bl, nick, nl, ud);
        else if (len)
            damaged++;
        line = end ? end + 1 : NULL;
    }
    return damaged;
}

typedef struct {
    const char *bare;
    const char *nick; /* the last line's, within the list */
    size_t nick_len;
} lookup_t;

static void look(const char *bare, size_t bl, const char *nick, size_t nl, void *ud)
{
    lookup_t *l = ud;
    if (bl == strlen(l->bare) && !memcmp(bare, l->bare, bl)) {
        l->nick = nick;
        l->nick_len = nl;
    }
}

/* The nick bare's request asks for (the last line wins, as when loaded),
 * or NULL: none. Caller frees; *oom tells out of memory from none. */
static char *pending_nick(const pv_muc_room_t *r, const char *bare, bool *oom)
{
    lookup_t l = {bare, NULL, 0};
    each_request(api->room_config(r, PENDING_KEY), look, &l);
    char *n = l.nick ? strndup(l.nick, l.nick_len) : NULL;
    *oom = l.nick && !n;
    return n;
}

/* The list being rebuilt without some lines. */
typedef struct {
    char *out, *p;
    const char *skip_bare; /* its lines are left out, or NULL */
    const pv_muc_room_t *room;
    bool answered; /* also leave out users registered already */
} rebuild_t;

static void keep_line(const char *bare, size_t bl, const char *nick, size_t nl, void *ud)
{
    (void)nick;
    rebuild_t *b = ud;
    if (b->skip_bare && bl == strlen(b->skip_bare) && !memcmp(bare, b->skip_bare, bl))
        return;
    if (b->answered) {
        char *j = strndup(bare, bl); /* out of memory: kept */
        bool reg = j && api->registered_nick(b->room, j);
        free(j);
        if (reg)
            return;
    }
    if (b->p != b->out)
        *b->p++ = '\n';
    memcpy(b->p, bare, bl + 1 + nl); /* "bare nick" as it is in the list */
    b->p += bl + 1 + nl;
}

/* The room's requests with bare's replaced by nick (NULL: removed), set in
 * memory (room_store writes it). 0, or -1 (logged). */
static int pending_set(pv_muc_room_t *r, const char *bare, const char *nick)
{
    const char *list = api->room_config(r, PENDING_KEY);
    size_t len = (list ? strlen(list) : 0) + 1 + (nick ? strlen(bare) + 1 + strlen(nick) : 0) + 1;
    rebuild_t b = {.out = malloc(len), .skip_bare = bare, .room = r};
    int rc = -1;
    if (b.out) {
        b.p = b.out;
        each_request(list, keep_line, &b);
        if (nick)
            b.p += sprintf(b.p, "%s%s %s", b.p != b.out ? "\n" : "", bare, nick);
        *b.p = '\0';
        rc = api->room_key_set(r, PENDING_KEY, b.out);
    }
    if (rc < 0)
        pv_log(PV_LOG_ERROR, NAME, "room %s: the registration request of %s not %s (out of memory)",
               api->room_jid(r), bare, nick ? "kept" : "dropped");
    free(b.out);
    return rc;
}

/* A stored room came into memory: the requests of users registered already
 * (answered, but whose removal was not stored) and damaged lines are dropped
 * (in memory; the room's next store writes it). */
static pv_verdict_t on_room_loaded(const pv_event_t *ev, void *payload, void *ud)
{
    (void)ev;
    (void)ud;
    pv_muc_room_t *r = ((pv_muc_room_event_t *)payload)->room;
    const char *list = api->room_config(r, PENDING_KEY);
    if (!list || !*list)
        return PV_PASS;
    rebuild_t b = {.out = malloc(strlen(list) + 1), .room = r, .answered = true};
    if (!b.out) {
        pv_log(PV_LOG_ERROR, NAME, "out of memory loading the registration requests of %s",
               api->room_jid(r));
        return PV_PASS;
    }
    b.p = b.out;
    if (each_request(list, keep_line, &b))
        pv_log(PV_LOG_WARN, NAME, "stored room %s: a damaged registration request is ignored",
               api->room_jid(r));
    *b.p = '\0';
    if (strcmp(b.out, list))
        api->room_key_set(r, PENDING_KEY, b.out); /* logs when out of memory */
    free(b.out);
    return PV_PASS;
}

/* ---- telling people ---- */

static void tell_user(const char *room_jid, const char *bare, char *text /* freed */)
{
    pv_el_t *m = text ? pv_el_new(PV_NS_STANZA, "message") : NULL;
    if (!m || pv_el_set_attr(m, "from", room_jid) < 0 || pv_el_set_attr(m, "to", bare) < 0 ||
        !pv_el_add_text_child(m, PV_NS_STANZA, "body", text))
        pv_log(PV_LOG_ERROR, NAME, "room %s: out of memory telling %s of their registration",
               room_jid, bare);
    else
        pv_send(m);
    pv_el_free(m);
    free(text);
}

/* The approval form for one request, to one admin. Caller frees. */
static pv_el_t *approval_form(const pv_muc_room_t *r, const char *bare, const char *nick)
{
    const char *jid = api->room_jid(r);
    char *body = fmt("%s asks to register with %s as %s; submit the form to approve or deny", bare,
                     jid, nick);
    pv_el_t *m = body ? pv_el_new(PV_NS_STANZA, "message") : NULL;
    pv_el_t *x = m && pv_el_set_attr(m, "from", jid) == 0 &&
                         pv_el_add_text_child(m, PV_NS_STANZA, "body", body)
                     ? pv_form_new(m, "form", NS_MUC_REGISTER, "Registration request",
                                   "To approve this registration request, select the "
                                   "\"Allow this person to register with the room?\" checkbox "
                                   "and submit this form.")
                     : NULL;
    free(body);
    if (!x || !pv_form_add_field(x, "muc#jid", "jid-single", "User JID", bare) ||
        !pv_form_add_field(x, "muc#register_roomnick", "text-single", "Desired Nickname", nick) ||
        !pv_form_add_field(x, "muc#register_allow", "boolean",
                           "Allow this person to register with the room?", "0")) {
        pv_el_free(m);
        return NULL;
    }
    return m;
}

typedef struct {
    pv_el_t *m;
    size_t n;
} asking_t;

static bool ask_one(const char *bare, void *ud)
{
    asking_t *a = ud;
    if (pv_el_set_attr(a->m, "to", bare) == 0) {
        pv_send(a->m);
        a->n++;
    }
    return true;
}

/* The request is kept: every owner and admin gets the form, the user the result. */
static void request_announce(pv_muc_room_t *r, const pv_el_t *iq, const char *bare,
                             const char *nick)
{
    asking_t a = {approval_form(r, bare, nick), 0};
    if (a.m) {
        api->room_affiliations(r, PV_MUC_AFF_OWNER, ask_one, &a);
        api->room_affiliations(r, PV_MUC_AFF_ADMIN, ask_one, &a);
    } else {
        pv_log(PV_LOG_ERROR, NAME, "room %s: out of memory asking the admins about %s",
               api->room_jid(r), bare);
    }
    pv_el_free(a.m);
    pv_log(PV_LOG_DEBUG, NAME, "%s asks to register in %s as %s (%zu admins asked)", bare,
           api->room_jid(r), nick, a.n);
    pv_el_t *res = pv_iq_result_new(iq);
    pv_el_t *q = res ? pv_el_add(res, NS_REGISTER, "query") : NULL;
    if (q)
        pv_el_add_text_child(q, NS_REGISTER, "instructions",
                             "Your registration request awaits the approval of the room's "
                             "admins; you will be told of their decision");
    if (res)
        pv_send(res);
    pv_el_free(res);
}

/* ---- a user's request ---- */

/* A request being stored: what is needed to answer once the backend did. */
typedef struct {
    char *room;  /* owned: the room's JID */
    pv_el_t *iq; /* owned: the user's submission */
    char *bare;  /* owned */
    char *nick;  /* owned */
    char *old;   /* owned: the nick an earlier pending request of bare had, or NULL */
} req_op_t;

static void req_op_free(req_op_t *op)
{
    free(op->room);
    pv_el_free(op->iq);
    free(op->bare);
    free(op->nick);
    free(op->old);
    free(op);
}

static void request_stored(bool ok, void *ud)
{
    req_op_t *op = ud;
    if (!running) {
        req_op_free(op);
        return;
    }
    pv_muc_room_t *r = api->room_find(op->room);
    if (!r) {
        pv_send_error(op->iq, "cancel", "item-not-found", "The room was destroyed meanwhile");
    } else if (ok) {
        request_announce(r, op->iq, op->bare, op->nick);
    } else {
        /* Not stored: the request is forgotten (or the earlier one put back),
         * unless another one of bare's replaced it meanwhile. */
        bool oom;
        char *now = pending_nick(r, op->bare, &oom);
        if (now && !strcmp(now, op->nick))
            pending_set(r, op->bare, op->old);
        free(now);
        pv_send_error(op->iq, "wait", "internal-server-error",
                      "The registration request could not be stored; try again later");
    }
    req_op_free(op);
}

static pv_verdict_t on_register_request(const pv_event_t *ev, void *payload, void *ud)
{
    (void)ev;
    (void)ud;
    pv_muc_register_event_t *re = payload;
    bool oom = false;
    req_op_t *op = calloc(1, sizeof *op);
    if (op)
        op->old = pending_nick(re->room, re->bare_jid, &oom);
    if (!op || oom || !(op->room = sdup(api->room_jid(re->room))) ||
        !(op->iq = pv_el_clone(re->iq)) || !(op->bare = sdup(re->bare_jid)) ||
        !(op->nick = sdup(re->nick)) || pending_set(re->room, re->bare_jid, re->nick) < 0) {
        if (op)
            req_op_free(op);
        pv_log(PV_LOG_ERROR, NAME, "room %s: out of memory keeping %s's registration request",
               api->room_jid(re->room), re->bare_jid);
        re->err_type = "wait";
        re->err_condition = "internal-server-error";
        re->err_text = "Out of memory";
        return PV_ERROR;
    }
    api->room_store(re->room, request_stored, op);
    return PV_HANDLED;
}

/* ---- an admin's answer ---- */

static void removal_stored(bool ok, void *ud)
{
    char *jid = ud; /* owned: the room's JID, for the log */
    if (!ok && running)
        pv_log(PV_LOG_WARN, NAME,
               "the answered registration request in %s is still stored; it is asked again "
               "after a restart",
               jid ? jid : "a room");
    free(jid);
}

/* The answered request leaves storage too (its answer already took effect). */
static void request_forget_stored(pv_muc_room_t *r)
{
    api->room_store(r, removal_stored, sdup(api->room_jid(r)));
}

/* An approval being stored by muc-core (register_member). */
typedef struct {
    char *room;   /* owned: the room's JID */
    pv_el_t *msg; /* owned: the admin's form, answered on failure */
    char *bare;   /* owned */
    char *nick;   /* owned */
} approval_op_t;

static void approval_op_free(approval_op_t *op)
{
    free(op->room);
    pv_el_free(op->msg);
    free(op->bare);
    free(op->nick);
    free(op);
}

static void approval_done(bool ok, void *ud)
{
    approval_op_t *op = ud;
    if (!running) {
        approval_op_free(op);
        return;
    }
    pv_muc_room_t *r = api->room_find(op->room);
    if (ok) {
        tell_user(op->room, op->bare,
                  fmt("Your registration with %s as %s was approved", op->room, op->nick));
        if (r)
            request_forget_stored(r);
    } else {
        /* nothing changed: the request is pending again, unless asked anew */
        bool oom;
        char *now = r ? pending_nick(r, op->bare, &oom) : NULL;
        if (r && !now && !oom)
            pending_set(r, op->bare, op->nick);
        free(now);
        if (r)
            pv_send_error(op->msg, "wait", "internal-server-error",
                          "The registration could not be stored; nothing was changed");
        else
            pv_send_error(op->msg, "cancel", "item-not-found", "The room was destroyed meanwhile");
    }
    approval_op_free(op);
}

/* Approves bare's request for nick: out of the pending ones at once (a
 * second answer finds nothing), back in when muc-core cannot register it. */
static pv_verdict_t approve(pv_stanza_ctx_t *ctx, pv_muc_room_t *r, const char *bare,
                            const char *nick)
{
    approval_op_t *op = calloc(1, sizeof *op);
    if (!op || !(op->room = sdup(api->room_jid(r))) || !(op->msg = pv_el_clone(ctx->stanza)) ||
        !(op->bare = sdup(bare)) || !(op->nick = sdup(nick)) || pending_set(r, bare, NULL) < 0) {
        if (op)
            approval_op_free(op);
        return pv_stanza_fail(ctx, "wait", "internal-server-error", "Out of memory");
    }
    int rc = api->register_member(r, bare, nick, approval_done, op);
    if (rc == 0)
        return PV_HANDLED;
    pending_set(r, bare, nick); /* not registered: still pending */
    approval_op_free(op);
    if (rc > 0)
        return pv_stanza_fail(ctx, "cancel", "conflict", "That nickname was taken meanwhile");
    return pv_stanza_fail(ctx, "wait", "internal-server-error",
                          "The registration could not be made");
}

static pv_verdict_t answer(pv_stanza_ctx_t *ctx, pv_muc_room_t *r, const pv_el_t *form)
{
    const char *type = pv_el_attr(form, "type");
    if (type && !strcmp(type, "cancel"))
        return PV_HANDLED;
    if (!type || strcmp(type, "submit"))
        return pv_stanza_fail(ctx, "modify", "bad-request",
                              "Expected a submitted muc#register form");
    pv_muc_aff_t aff = api->affiliation(r, ctx->from->bare);
    if (aff != PV_MUC_AFF_OWNER && aff != PV_MUC_AFF_ADMIN)
        return pv_stanza_fail(ctx, "auth", "forbidden", "Only admins may approve registrations");
    const char *jid = pv_form_value(form, "muc#jid");
    pv_jid_t *j = jid ? pv_jid_parse(jid) : NULL;
    if (!j)
        return pv_stanza_fail(ctx, "modify", "bad-request", "The form must give muc#jid");
    char *bare = sdup(j->bare);
    pv_jid_free(j);
    bool oom = !bare;
    char *pending = bare ? pending_nick(r, bare, &oom) : NULL;
    pv_verdict_t v;
    if (oom) {
        v = pv_stanza_fail(ctx, "wait", "internal-server-error", "Out of memory");
    } else if (!pending) {
        v = pv_stanza_fail(ctx, "cancel", "item-not-found",
                           "No registration request of that user is pending");
    } else if (pv_form_bool(form, "muc#register_allow", 0) == 1) {
        v = approve(ctx, r, bare, pending);
    } else {
        const char *rj = api->room_jid(r);
        tell_user(rj, bare, fmt("Your registration with %s was denied", rj));
        pv_log(PV_LOG_DEBUG, NAME, "%s denied %s's registration in %s", ctx->from->bare, bare, rj);
        if (pending_set(r, bare, NULL) == 0)
            request_forget_stored(r);
        v = PV_HANDLED;
    }
    free(pending);
    free(bare);
    return v;
}

static pv_verdict_t answer_handler(pv_stanza_ctx_t *ctx, void *ud)
{
    (void)ud;
    if (!strcmp(ctx->type, "error") || !ctx->to->node)
        return PV_PASS;
    pv_el_t *form = pv_form_find(ctx->stanza, NS_MUC_REGISTER);
    pv_el_t *x = pv_el_child(ctx->stanza, NS_MUC_USER, "x");
    if (!form ||
        (x && (pv_el_child(x, NS_MUC_USER, "invite") || pv_el_child(x, NS_MUC_USER, "decline"))))
        return PV_PASS; /* muc-core's: invitations come first */
    pv_muc_room_t *r = api->room_find(ctx->to->node);
    if (!r || (api->room_locked(r) && !api->occupant_by_jid(r, ctx->from->full)))
        return PV_PASS; /* muc-core answers: no such room */
    return answer(ctx, r, form);
}

/* ---- the plugin ---- */

static void approval_shutdown(void *state)
{
    (void)state;
    running = false;
}

/* The hook and subscriptions go with the handle. */
static int approval_start(pv_plugin_handle_t *h, const pv_config_t *cfg, void **state)
{
    (void)cfg;
    *state = NULL;
    api = pv_muc_api();
    if (!api || api->size < API_NEEDED) {
        pv_log(PV_LOG_ERROR, NAME,
               "muc-core is missing or too old (it needs register_member, "
               "palaver/muc.h's PV_MUC_API_REGISTRATION)");
        return -1;
    }
    pv_event_t *rev = pv_event(PV_MUC_EVENT_REGISTER_REQUEST),
               *lev = pv_event(PV_MUC_EVENT_ROOM_LOADED);
    if (!rev || !lev ||
        !pv_plugin_hook_stanza(h, PV_KIND_MESSAGE, PV_TO_BARE, NULL, HOOK_PRIORITY, answer_handler,
                               NULL) ||
        !pv_plugin_subscribe(h, rev, 0, on_register_request, NULL) ||
        !pv_plugin_subscribe(h, lev, 0, on_room_loaded, NULL)) {
        pv_log(PV_LOG_ERROR, NAME, "cannot register registration approvals (out of memory)");
        return -1;
    }
    running = true;
    return 0;
}

static const char *const requires[] = {"muc-core", NULL};
static const pv_config_key_t config_keys[] = {{.type = PV_KEY_END}};

PV_PLUGIN_DEFINE(registration_approval) = {
    .abi_major = PV_ABI_MAJOR,
    .abi_minor = PV_ABI_MINOR,
    .name = "registration-approval",
    .version = "1.0",
    .requires = requires,
    .shutdown = approval_shutdown,
    .config_keys = config_keys,
    .start = approval_start,
};
