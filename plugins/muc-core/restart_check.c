/*
 * restart_check.c: restored occupants must prove they are still there
 * (RESTART-1). When the XMPP server restarted too, or a client went away
 * while Palaver was down, a restored session no longer exists; nothing is
 * ever sent to a silent occupant that could bounce, so it would stay in its
 * room for good. Once the component stream is up after a restore, each
 * restored session gets an XEP-0199 ping from its occupant JID, at most
 * <restart-check-parallel> at a time, each with <restart-check-timeout>
 * seconds to answer; nothing waits for them (the replies come back through
 * a stanza hook ahead of iq_forward.c's, matched by id and sender).
 *
 * A result keeps the session, so does feature-not-implemented (only a
 * client that got the ping says that). service-unavailable is ambiguous: a
 * client without XEP-0199 says it, and so does its server for a full JID
 * that has no session (RFC 6120 §8.3.3.19, RFC 6121 §8.5.3.2; Prosody
 * and ejabberd do): it is settled by a disco#info (XEP-0030, which every
 * client answers): a result keeps the session. Any other error, a second
 * service-unavailable, or no answer in time removes the session as a
 * bounce does (EXIT-3: 333 to the others). A reconnection re-sends what was
 * in flight (the old stream took it); shutdown frees whatever is left.
 */
#include "muc_internal.h"
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_TIMEOUT 30
#define DEFAULT_PARALLEL 32
#define RETRY_SEND 1.0 /* seconds before sending again after the output refused */

typedef struct probe {
    struct probe *prev, *next; /* in ck.waiting or ck.flying */
    char *room;                /* room node */
    char *jid;                 /* the restored session's real full JID */
    char id[20];               /* the IQ's id while in flight */
    bool confirm;              /* the disco#info after a service-unavailable */
    ev_tstamp deadline;        /* in flight: when no answer means gone */
} probe_t;

typedef struct plist {
    probe_t *head, *tail;
    size_t n;
} plist_t;

static struct {
    long timeout;  /* seconds; 0: no check */
    long parallel; /* pings in flight at most */
    plist_t waiting, flying;
    pv_hook_t *hook;
    pv_timer_t *timer; /* the plugin's (muc_handle), made at the first check */
    size_t checked, removed;
} ck = {.timeout = DEFAULT_TIMEOUT, .parallel = DEFAULT_PARALLEL};

/* ---- lists ---- */

static void unlink_probe(plist_t *l, probe_t *p)
{
    if (p->prev)
        p->prev->next = p->next;
    else
        l->head = p->next;
    if (p->next)
        p->next->prev = p->prev;
    else
        l->tail = p->prev;
    p->prev = p->next = NULL;
    l->n--;
}

static void push_back(plist_t *l, probe_t *p)
{
    p->next = NULL;
    p->prev = l->tail;
    if (l->tail)
        l->tail->next = p;
    else
        l->head = p;
    l->tail = p;
    l->n++;
}

static void push_front(plist_t *l, probe_t *p)
{
    p->prev = NULL;
    p->next = l->head;
    if (l->head)
        l->head->prev = p;
    else
        l->tail = p;
    l->head = p;
    l->n++;
}

static void probe_free(probe_t *p)
{
    if (!p)
        return;
    free(p->room);
    free(p->jid);
    free(p);
}

static void free_list(plist_t *l)
{
    while (l->head) {
        probe_t *p = l->head;
        unlink_probe(l, p);
        probe_free(p);
    }
}

/* ---- configuration ---- */

int restart_check_configure(const pv_config_t *cfg)
{
    long timeout = pv_key_int(muc_handle, cfg, "restart-check-timeout");
    long parallel = pv_key_int(muc_handle, cfg, "restart-check-parallel");
    ck.timeout = timeout;
    ck.parallel = parallel;
    if (!timeout && (ck.waiting.head || ck.flying.head)) { /* turned off by SIGHUP: all stay */
        pv_log(PV_LOG_INFO, MUC,
               "<restart-check-timeout> is 0: the restored sessions not "
               "checked yet stay unchecked");
        restart_check_shutdown();
    }
    return 0;
}

/* ---- the session a probe is about ---- */

static session_t *probe_session(const probe_t *p, room_t **room)
{
    room_t *r = rooms_get(p->room);
    *room = r;
    return r ? session_by_full(r, p->jid) : NULL;
}

/* Removes the session as a bounce does (EXIT-3: 333 to the others). */
static void remove_session(probe_t *p, const char *why)
{
    room_t *r;
    session_t *s = probe_session(p, &r);
    if (!s)
        return;
    static const int codes[] = {333, 0};
    pv_log(PV_LOG_INFO, MUC, "restored %s in %s (%s) is gone (%s): removing it", p->jid, r->jid,
           s->occ->nick, why);
    ck.removed++;
    exit_occupant(s->occ, s, NULL, codes);
}

/* ---- sending ---- */

static pv_el_t *probe_iq(const probe_t *p, const room_t *r, const occupant_t *o)
{
    pv_el_t *iq = pv_el_new(PV_NS_STANZA, "iq");
    if (!iq)
        return NULL;
    bool ok = pv_el_set_attr(iq, "type", "get") == 0 && pv_el_set_attr(iq, "id", p->id) == 0 &&
              pv_el_set_attrf(iq, "from", "%s/%s", r->jid, o->nick) == 0 &&
              pv_el_set_attr(iq, "to", p->jid) == 0 &&
              (p->confirm ? pv_el_add(iq, PV_NS_DISCO_INFO, "query")
                          : pv_el_add(iq, NS_PING, "ping")) != NULL;
    if (!ok) {
        pv_el_free(iq);
        return NULL;
    }
    return iq;
}

/* 1 sent, 0 nothing to ask (the session is gone already), -1 the output
 * refused it (disconnected or full: try again later). */
static int send_probe(probe_t *p)
{
    room_t *r;
    session_t *s = probe_session(p, &r);
    if (!s)
        return 0;
    pv_random_id(p->id, 16);
    pv_el_t *iq = probe_iq(p, r, s->occ);
    int rc = iq ? pv_send(iq) : -1;
    pv_el_free(iq);
    if (rc < 0)
        return -1;
    p->deadline = ev_now(pv_loop()) + (ev_tstamp)ck.timeout;
    return 1;
}

/* ---- the pump: at most `parallel` in flight, one timer ---- */

static void finish(void)
{
    if (ck.checked || ck.removed)
        pv_log(PV_LOG_INFO, MUC, "checked %zu restored sessions: %zu gone, removed", ck.checked,
               ck.removed);
    pv_hook_remove(ck.hook);
    ck.hook = NULL;
    pv_timer_set(ck.timer, -1., 0.); /* stopped */
    ck.checked = ck.removed = 0;
}

static void arm(bool retry)
{
    struct ev_loop *loop = pv_loop();
    pv_timer_set(ck.timer, -1., 0.);
    ev_tstamp at = ck.flying.head ? ck.flying.head->deadline : 0;
    if (retry && (!at || ev_now(loop) + RETRY_SEND < at))
        at = ev_now(loop) + RETRY_SEND;
    if (!at)
        return;
    ev_tstamp in = at - ev_now(loop);
    pv_timer_set(ck.timer, in > 0 ? in : 0, 0.);
}

static void pump(void)
{
    bool refused = false;
    while (!refused && ck.flying.n < (size_t)ck.parallel && ck.waiting.head) {
        probe_t *p = ck.waiting.head;
        unlink_probe(&ck.waiting, p);
        int rc = send_probe(p);
        if (rc > 0) {
            push_back(&ck.flying, p);
        } else if (rc < 0) {
            push_front(&ck.waiting, p);
            refused = true;
        } else {
            probe_free(p); /* left or was removed meanwhile */
        }
    }
    if (!ck.waiting.head && !ck.flying.head)
        finish();
    else
        arm(refused);
}

/* An answer (or its absence) settled p: it leaves the flying list. */
static void settle(probe_t *p, bool keep, const char *why)
{
    unlink_probe(&ck.flying, p);
    ck.checked++;
    if (!keep)
        remove_session(p, why);
    probe_free(p);
}

static void on_timer(pv_timer_t *t, void *ud)
{
    (void)t;
    (void)ud;
    ev_tstamp now = ev_now(pv_loop());
    char why[48];
    snprintf(why, sizeof why, "no answer within %ld s", ck.timeout);
    while (ck.flying.head && ck.flying.head->deadline <= now)
        settle(ck.flying.head, false, why);
    pump();
}

/* ---- answers ---- */

static const char *error_condition(const pv_el_t *iq)
{
    pv_el_t *e = pv_el_child(iq, NULL, "error");
    for (pv_el_t *c = e ? pv_el_child(e, PV_NS_STANZAS, NULL) : NULL; c;
         c = pv_el_next(c, PV_NS_STANZAS, NULL))
        if (strcmp(c->name, "text") != 0)
            return c->name;
    return "malformed error";
}

/* The probe this reply answers: same id, from the pinged JID (or its bare
 * JID, should a server answer for it). */
static probe_t *probe_of(const pv_stanza_ctx_t *ctx)
{
    const char *id = pv_el_attr(ctx->stanza, "id");
    if (!id)
        return NULL;
    size_t bl = strlen(ctx->from->bare);
    for (probe_t *p = ck.flying.head; p; p = p->next)
        if (!strcmp(p->id, id) &&
            (!strcmp(p->jid, ctx->from->full) ||
             (!ctx->from->resource && !strncmp(p->jid, ctx->from->bare, bl) && p->jid[bl] == '/')))
            return p;
    return NULL;
}

static pv_verdict_t on_reply(pv_stanza_ctx_t *ctx, void *ud)
{
    (void)ud;
    bool result = !strcmp(ctx->type, "result");
    if (!result && strcmp(ctx->type, "error") != 0)
        return PV_PASS;
    probe_t *p = probe_of(ctx);
    if (!p)
        return PV_PASS; /* not ours: iq_forward.c's */
    const char *cond = result ? NULL : error_condition(ctx->stanza);
    if (cond && !strcmp(cond, "service-unavailable") && !p->confirm) {
        /* no ping support, or no such session: disco#info tells which */
        unlink_probe(&ck.flying, p);
        p->confirm = true;
        push_front(&ck.waiting, p);
    } else {
        settle(p, !cond || !strcmp(cond, "feature-not-implemented"), cond);
    }
    pump();
    return PV_HANDLED;
}

/* ---- the check's life ---- */

void restart_check_add(const room_t *r, const char *full)
{
    if (!ck.timeout)
        return;
    probe_t *p = calloc(1, sizeof *p);
    if (p && (p->room = xstrdup(r->name)) && (p->jid = xstrdup(full))) {
        push_back(&ck.waiting, p);
        return;
    }
    probe_free(p);
    pv_log(PV_LOG_ERROR, MUC, "out of memory: restored %s in %s is not checked", full, r->jid);
}

void restart_check_connected(void)
{
    if (!ck.waiting.head && !ck.flying.head)
        return;
    struct ev_loop *loop = pv_loop();
    if (!loop) { /* no event loop (a tool's run): nobody to ask */
        restart_check_shutdown();
        return;
    }
    if (!ck.hook) {
        ck.hook =
            pv_plugin_hook_stanza(muc_handle, PV_KIND_IQ, PV_TO_FULL, NULL, 10, on_reply, NULL);
        if (!ck.hook) {
            pv_log(PV_LOG_ERROR, MUC, "restored occupants are not checked (no stanza hook)");
            restart_check_shutdown();
            return;
        }
        pv_log(PV_LOG_INFO, MUC, "checking %zu restored sessions (XEP-0199 ping, %ld s each)",
               ck.waiting.n, ck.timeout);
    }
    if (!ck.timer && !(ck.timer = pv_plugin_timer(muc_handle, -1., 0., on_timer, NULL))) {
        restart_check_shutdown();
        return;
    }
    /* a reconnection: the old stream took what was in flight with it */
    while (ck.flying.tail) {
        probe_t *p = ck.flying.tail;
        unlink_probe(&ck.flying, p);
        push_front(&ck.waiting, p);
    }
    pump();
}

void restart_check_shutdown(void)
{
    pv_timer_cancel(ck.timer);
    ck.timer = NULL;
    pv_hook_remove(ck.hook);
    ck.hook = NULL;
    free_list(&ck.waiting);
    free_list(&ck.flying);
    ck.checked = ck.removed = 0;
}
