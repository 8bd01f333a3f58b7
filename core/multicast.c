/*
 * core/multicast.c: XEP-0033 (Extended Stanza Addressing), the fan-out
 * strategy that sends one stanza for many recipients (pv_fanout_send,
 * fanout.c), opt-in with pv_multicast_configure (muc-core's <multicast>).
 * Behind a host every copy of a groupchat message or presence broadcast
 * crosses the component link and is parsed again by the host; a host that
 * expands multicast (ejabberd's mod_multicast) takes one stanza with an
 * <addresses/> list of bcc recipients instead, split at the host's limit
 * of recipients per stanza.
 *
 * A JID names the service; "auto" finds it once connected: disco#info of
 * the host (our domain without its first label), else each item of the
 * host's disco#items, and takes the first that has the
 * http://jabber.org/protocol/address feature; its XEP-0128 form gives the
 * limits ("message", "presence"). A configured limit overrides them;
 * without either the limit is 20, XEP-0033's default for a remote sender
 * (which a component is to its host).
 *
 * Until a service is known, for one recipient, and after the service
 * bounced a stanza (it is then dropped until the next connection), every
 * recipient gets its own copy: the bounced stanza itself is delivered that
 * way. Recipients that need their own variant (a MUC self-presence with
 * status codes) are never in a fan-out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <palaver/form.h>
#include <palaver/log.h>
#include <palaver/router.h>

#include "fanout.h"
#include "prepared.h"

#define MC "multicast"
#define NS_MUC_USER "http://jabber.org/protocol/muc#user"

#define NS_ADDRESS "http://jabber.org/protocol/address"
#define DEFAULT_LIMIT 20
#define MAX_CANDIDATES 32

static struct {
    bool enabled, auto_mode, fixed_limit;
    char *configured; /* the JID from the config, or NULL for auto (owned) */
    char *service;    /* the service in use, or NULL: one copy each (owned) */
    long limit_msg, limit_pres;
    unsigned gen;   /* discovery round: stale answers are ignored */
    size_t pending; /* disco#info to items still unanswered */
    pv_hook_t *iq_hook, *bounce_hook;
} mc;

/* One stanza to the service for to[0..n). */
static void send_batch(const pv_el_t *stanza, const pv_recipient_t *const *to, size_t n)
{
    pv_el_t *m = pv_el_clone(stanza);
    pv_el_t *a = m ? pv_el_add(m, NS_ADDRESS, "addresses") : NULL;
    if (!a || pv_el_set_attr(m, "to", mc.service) < 0) {
        pv_el_free(m);
        pv_log(PV_LOG_ERROR, MC, "multicast: out of memory building a stanza for %zu recipients",
               n);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        pv_el_t *ad = pv_el_add(a, NS_ADDRESS, "address");
        if (!ad || pv_el_set_attr(ad, "type", "bcc") < 0 ||
            pv_el_set_attr(ad, "jid", to[i]->jid) < 0) {
            pv_el_free(m);
            pv_log(PV_LOG_ERROR, MC, "multicast: out of memory adding recipient %s", to[i]->jid);
            return;
        }
    }
    if (pv_send(m) < 0)
        pv_log(PV_LOG_WARN, MC, "multicast: a stanza for %zu recipients was not sent", n);
    pv_el_free(m);
}

bool multicast_send(const pv_el_t *stanza, const pv_prepared_t *p, const pv_recipient_t *const *to,
                    size_t n)
{
    bool msg = stanza && !strcmp(stanza->name, "message");
    size_t lim = (size_t)(msg ? mc.limit_msg : mc.limit_pres);
    if (!mc.service || !stanza || n < 2 || lim < 2)
        return false; /* one copy each */
    for (size_t i = 0; i < n; i += lim) {
        size_t k = n - i < lim ? n - i : lim;
        if (k == 1)
            fanout_copies(p, to + i, 1, to[i]->len);
        else
            send_batch(stanza, to + i, k);
    }
    return true;
}

/* ---- the service bounced a stanza: deliver it one copy each, stop using it ---- */
static pv_verdict_t bounce_handler_mc(pv_stanza_ctx_t *ctx, void *ud)
{
    (void)ud;
    if (!mc.service || strcmp(ctx->type, "error") != 0 || strcmp(ctx->from->full, mc.service))
        return PV_PASS;
    pv_el_t *err = pv_el_child(ctx->stanza, PV_NS_STANZA, "error");
    pv_el_t *cond = err ? pv_el_first_element(err) : NULL;
    pv_log(PV_LOG_WARN, MC,
           "multicast service %s refused a <%s/> (%s): one copy per recipient from now on",
           mc.service, ctx->stanza->name, cond && cond->name ? cond->name : "no condition");
    free(mc.service);
    mc.service = NULL;
    pv_el_t *a = pv_el_child(ctx->stanza, NS_ADDRESS, "addresses");
    pv_el_t *copy = a ? pv_el_clone(ctx->stanza) : NULL;
    if (!copy)
        return PV_HANDLED;
    pv_el_remove_children(copy, NS_ADDRESS, "addresses");
    pv_el_remove_children(copy, PV_NS_STANZA, "error");
    pv_el_set_attr(copy, "from", ctx->to->full);
    /* The bounce lost the type: what is multicast is a room's (XEP-0045)
     * groupchat message, or its presence, unavailable when the muc#user
     * item's role is none. */
    const char *type = NULL;
    if (!strcmp(copy->name, "message")) {
        type = "groupchat";
    } else {
        pv_el_t *x = pv_el_child(copy, NS_MUC_USER, "x");
        pv_el_t *item = x ? pv_el_child(x, NS_MUC_USER, "item") : NULL;
        const char *role = item ? pv_el_attr(item, "role") : NULL;
        if (role && !strcmp(role, "none"))
            type = "unavailable";
    }
    pv_el_set_attr(copy, "type", type);
    pv_prepared_t *p = pv_prepare(copy);
    size_t n = 0;
    for (pv_el_t *ad = pv_el_child(a, NS_ADDRESS, "address"); p && ad;
         ad = pv_el_next(ad, NS_ADDRESS, "address")) {
        const char *jid = pv_el_attr(ad, "jid");
        if (jid) {
            pv_send_prepared(p, jid);
            n++;
        }
    }
    pv_log(PV_LOG_INFO, MC, "multicast: the refused <%s/> went out as %zu copies", copy->name, n);
    pv_prepared_free(p);
    pv_el_free(copy);
    return PV_HANDLED;
}

/* ---- auto: discovery ---- */
static void send_disco(const char *to, const char *ns, const char *what)
{
    pv_el_t *iq = pv_el_new(NULL, "iq");
    if (!iq || pv_el_set_attr(iq, "type", "get") < 0 ||
        pv_el_set_attrf(iq, "id", "pv-mc-%u-%s", mc.gen, what) < 0 ||
        pv_el_set_attr(iq, "to", to) < 0 || pv_el_set_attr(iq, "from", pv_service_domain()) < 0 ||
        !pv_el_add(iq, ns, "query")) {
        pv_log(PV_LOG_ERROR, MC, "multicast: out of memory asking %s", to);
    } else if (pv_send(iq) < 0) {
        pv_log(PV_LOG_WARN, MC, "multicast: cannot ask %s", to);
    }
    pv_el_free(iq);
}

static const char *host_domain(void)
{
    const char *d = pv_service_domain();
    const char *dot = d ? strchr(d, '.') : NULL;
    return dot && dot[1] ? dot + 1 : d;
}

/* The limits in a disco#info answer's XEP-0128 form for NS_ADDRESS. */
static void read_limits(const pv_el_t *query)
{
    long msg = DEFAULT_LIMIT, pres = DEFAULT_LIMIT;
    for (pv_el_t *x = pv_el_child(query, PV_NS_DATA, "x"); x; x = pv_el_next(x, PV_NS_DATA, "x")) {
        const char *ft = pv_form_value(x, "FORM_TYPE");
        if (!ft || strcmp(ft, NS_ADDRESS))
            continue;
        for (pv_el_t *f = pv_el_child(x, PV_NS_DATA, "field"); f;
             f = pv_el_next(f, PV_NS_DATA, "field")) {
            const char *var = pv_el_attr(f, "var"), *v = pv_el_child_text(f, PV_NS_DATA, "value");
            if (!var || !v)
                continue;
            char *end;
            long n = strtol(v, &end, 10);
            if (!strcmp(v, "infinite") || !strcmp(v, "infinity"))
                n = 100000;
            else if (*end || n < 0)
                continue;
            if (!strcmp(var, "message"))
                msg = n;
            else if (!strcmp(var, "presence"))
                pres = n;
        }
    }
    if (!mc.fixed_limit) {
        mc.limit_msg = msg;
        mc.limit_pres = pres;
    }
}

static bool has_address_feature(const pv_el_t *query)
{
    for (pv_el_t *f = pv_el_child(query, PV_NS_DISCO_INFO, "feature"); f;
         f = pv_el_next(f, PV_NS_DISCO_INFO, "feature")) {
        const char *var = pv_el_attr(f, "var");
        if (var && !strcmp(var, NS_ADDRESS))
            return true;
    }
    return false;
}

static void found(const char *jid, const pv_el_t *query)
{
    free(mc.service);
    mc.service = strdup(jid);
    read_limits(query);
    mc.pending = 0;
    if (mc.service)
        pv_log(PV_LOG_INFO, MC,
               "multicast: using %s (at most %ld recipients per message, %ld per presence)",
               mc.service, mc.limit_msg, mc.limit_pres);
}

static pv_verdict_t iq_handler_mc(pv_stanza_ctx_t *ctx, void *ud)
{
    (void)ud;
    const char *id = pv_el_attr(ctx->stanza, "id");
    char prefix[32];
    int pl = snprintf(prefix, sizeof prefix, "pv-mc-%u-", mc.gen);
    bool result = !strcmp(ctx->type, "result");
    if (!id || (!result && strcmp(ctx->type, "error") != 0))
        return PV_PASS;
    if (strncmp(id, "pv-mc-", 6) != 0)
        return PV_PASS;
    if (strncmp(id, prefix, (size_t)pl) != 0 || mc.service)
        return PV_HANDLED; /* an earlier round, or already decided */
    const char *what = id + pl;
    pv_el_t *q = ctx->payload;
    if (!strcmp(what, "host")) {
        if (result && q && pv_el_is(q, PV_NS_DISCO_INFO, "query") && has_address_feature(q)) {
            found(ctx->from->full, q);
        } else {
            send_disco(host_domain(), PV_NS_DISCO_ITEMS, "items");
        }
    } else if (!strcmp(what, "items")) {
        size_t n = 0;
        for (pv_el_t *it = result && q ? pv_el_child(q, PV_NS_DISCO_ITEMS, "item") : NULL;
             it && n < MAX_CANDIDATES; it = pv_el_next(it, PV_NS_DISCO_ITEMS, "item")) {
            const char *jid = pv_el_attr(it, "jid");
            if (!jid || pv_el_attr(it, "node") || strchr(jid, '@') || strchr(jid, '/') ||
                !strcmp(jid, pv_service_domain()))
                continue;
            send_disco(jid, PV_NS_DISCO_INFO, "item");
            n++;
        }
        mc.pending = n;
        if (!n)
            pv_log(PV_LOG_WARN, MC,
                   "multicast: %s offers no XEP-0033 service: one copy "
                   "per recipient",
                   host_domain());
    } else if (!strcmp(what, "item")) {
        if (result && q && pv_el_is(q, PV_NS_DISCO_INFO, "query") && has_address_feature(q))
            found(ctx->from->full, q);
        else if (mc.pending && --mc.pending == 0)
            pv_log(PV_LOG_WARN, MC,
                   "multicast: no item of %s offers XEP-0033: one copy "
                   "per recipient",
                   host_domain());
    }
    return PV_HANDLED;
}

void multicast_connected(void)
{
    if (!mc.enabled)
        return;
    mc.gen++;
    if (!mc.auto_mode) {
        if (!mc.service)
            mc.service = strdup(mc.configured); /* again after a bounce */
        return;
    }
    free(mc.service);
    mc.service = NULL;
    mc.pending = 0;
    send_disco(host_domain(), PV_NS_DISCO_INFO, "host");
}

int pv_multicast_configure(const char *service, long limit)
{
    multicast_shutdown();
    mc.fixed_limit = limit > 0;
    mc.limit_msg = mc.limit_pres = limit > 0 ? limit : DEFAULT_LIMIT;
    if (!service || !*service || !strcmp(service, "off"))
        return 0;
    if (!strcmp(service, "auto")) {
        mc.auto_mode = true;
    } else {
        pv_jid_t *j = pv_jid_parse(service);
        if (!j)
            return -1; /* the caller reports it against its configuration */
        mc.configured = strdup(j->full);
        pv_jid_free(j);
        if (!mc.configured) {
            pv_log(PV_LOG_ERROR, MC, "out of memory configuring multicast");
            return -1;
        }
    }
    mc.enabled = true;
    mc.iq_hook =
        pv_hook_stanza(PV_KIND_IQ, PV_TO_SERVICE, NULL, 1000, iq_handler_mc, NULL, "multicast");
    mc.bounce_hook = pv_hook_stanza(PV_KIND_MESSAGE | PV_KIND_PRESENCE, PV_TO_ANY, NULL, 1000,
                                    bounce_handler_mc, NULL, "multicast");
    if (!mc.iq_hook || !mc.bounce_hook) {
        pv_log(PV_LOG_ERROR, MC, "multicast: cannot register its stanza hooks");
        multicast_shutdown();
        return -1;
    }
    pv_log(PV_LOG_INFO, MC, "multicast: fan-out through %s once connected",
           mc.auto_mode ? "the host's XEP-0033 service (auto)" : mc.configured);
    return 0;
}

void multicast_shutdown(void)
{
    pv_hook_remove(mc.iq_hook);
    pv_hook_remove(mc.bounce_hook);
    free(mc.configured);
    free(mc.service);
    memset(&mc, 0, sizeof mc);
}
