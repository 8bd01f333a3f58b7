/*
 * core/router.c: every inbound stanza goes through here, once.
 *
 * router_dispatch() classifies a stanza (kind x addressing class x IQ payload
 * namespace), parses its from and to exactly once, rejects what no plugin
 * should see (bad addresses, a `to` outside our domain, an IQ get/set without
 * exactly one payload), then walks the hook chain for that kind. Chains are
 * indexed by kind, so a message never walks IQ handlers; within a chain hooks
 * are kept sorted by priority (higher first, ties in registration order), and
 * the class and namespace filters are an AND and a strcmp.
 *
 * The router, not the handlers, guarantees the error rules: at most one
 * reply per stanza, never an error in answer to an error or a result, and
 * `service-unavailable` for an IQ get/set that nobody handled. It also
 * notices when a handler answered by itself (router_note_sent, from pv_send)
 * and then adds nothing. Rejections of a `to` that is malformed or outside
 * our domain are sent from the service domain: a component that sends from
 * an address outside its domain gets its stream closed (Prosody: invalid-from).
 *
 * Handlers may add and remove hooks while a stanza is being dispatched (even
 * from a nested dispatch): removed hooks are only marked dead and freed when
 * the outermost dispatch returns.
 *
 * PV_AGAIN (parking): the handler called pv_stanza_park(), which reserved a
 * place in the key's queue (core/park.c) and noted it on the stanza's
 * in-flight record; when the verdict comes back the router hands the stanza
 * over to the queue instead of freeing it. Any other verdict cancels the
 * reservation. Released queues are replayed when the outermost dispatch
 * returns and before the next stanza from the server is dispatched, so a
 * replay never overtakes or nests inside a handler.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "disco_internal.h"
#include "event_internal.h"
#include "router_internal.h"
#include <palaver/log.h>
#include <palaver/router.h>

#define NCHAINS 3 /* message, presence, iq: the bit index of PV_KIND_* */

struct pv_hook {
    int kinds, to_classes, priority;
    char *payload_ns; /* NULL: any IQ payload */
    pv_stanza_fn fn;
    void *ud;
    char *owner;
    const void *tag; /* the plugin handle it was made through, or NULL */
    bool dead;
    pv_hook_t *next[NCHAINS]; /* next in each chain it belongs to */
    pv_hook_t *next_all;      /* registry of every hook, for cleanup */
    pv_hook_t *next_dead;     /* graveyard while dispatching */
};

static pv_hook_t *chains[NCHAINS];
static pv_hook_t *all_hooks;
static pv_hook_t *graveyard;
static unsigned dispatching; /* nesting depth of router_dispatch */
static char *service_domain;

/* The stanza being dispatched (innermost, for nested dispatches), to notice
 * that a handler answered it itself. */
typedef struct in_flight {
    const pv_el_t *stanza;
    const char *from, *id; /* its attributes (id may be NULL) */
    const char *norm_from; /* the normalised from, once parsed */
    bool answered;
    const char *replay_key; /* replayed from this key's queue, else NULL */
    park_queue_t *park_q;   /* pv_stanza_park reserved a place here */
    bool park_head;         /* ... at the front (parked again by its replay) */
    unsigned park_gen;      /* the queue's release count at that time */
    bool park_settled;      /* the park was answered (pv_park_fail) meanwhile */
    bool kept;              /* the stanza now belongs to a queue */
    struct in_flight *outer;
} in_flight_t;
static in_flight_t *current;

static const char *const chain_names[NCHAINS] = {"message", "presence", "iq"};

/* ---- Domain ---- */

int router_set_domain(const char *domain)
{
    char *d = pv_nameprep(domain);
    if (!d) {
        pv_log(PV_LOG_ERROR, "core", "invalid component domain '%s'", domain ? domain : "");
        return -1;
    }
    free(service_domain);
    service_domain = d;
    return 0;
}

const char *pv_service_domain(void)
{
    return service_domain ? service_domain : "";
}

/* ---- Hooks ---- */

pv_hook_t *pv_hook_stanza(int kinds, int to_classes, const char *payload_ns, int priority,
                          pv_stanza_fn fn, void *ud, const char *owner)
{
    if (!owner)
        owner = "?";
    if (!fn || !(kinds & PV_KIND_ANY) || !(to_classes & PV_TO_ANY)) {
        pv_log(PV_LOG_ERROR, "core", "%s: stanza hook without %s", owner,
               !fn                      ? "a function"
               : !(kinds & PV_KIND_ANY) ? "a stanza kind"
                                        : "a target class");
        return NULL;
    }
    pv_hook_t *h = calloc(1, sizeof *h);
    if (!h || !(h->owner = strdup(owner)) ||
        (payload_ns && !(h->payload_ns = strdup(payload_ns)))) {
        if (h)
            free(h->owner);
        free(h);
        pv_log(PV_LOG_ERROR, "core", "%s: cannot add stanza hook: out of memory", owner);
        return NULL;
    }
    h->kinds = kinds & PV_KIND_ANY;
    h->to_classes = to_classes & PV_TO_ANY;
    h->priority = priority;
    h->fn = fn;
    h->ud = ud;
    for (int k = 0; k < NCHAINS; k++) {
        if (!(h->kinds & (1 << k)))
            continue;
        pv_hook_t **pp = &chains[k];
        while (*pp && (*pp)->priority >= priority)
            pp = &(*pp)->next[k];
        h->next[k] = *pp;
        *pp = h;
    }
    h->next_all = all_hooks;
    all_hooks = h;
    return h;
}

static void unlink_hook(pv_hook_t *h)
{
    for (int k = 0; k < NCHAINS; k++) {
        if (!(h->kinds & (1 << k)))
            continue;
        for (pv_hook_t **pp = &chains[k]; *pp; pp = &(*pp)->next[k]) {
            if (*pp == h) {
                *pp = h->next[k];
                break;
            }
        }
    }
    for (pv_hook_t **pp = &all_hooks; *pp; pp = &(*pp)->next_all) {
        if (*pp == h) {
            *pp = h->next_all;
            break;
        }
    }
}

static void free_hook(pv_hook_t *h)
{
    free(h->payload_ns);
    free(h->owner);
    free(h);
}

void pv_hook_remove(pv_hook_t *hook)
{
    if (!hook || hook->dead)
        return;
    hook->dead = true;
    if (dispatching) {
        hook->next_dead = graveyard;
        graveyard = hook;
        return;
    }
    unlink_hook(hook);
    free_hook(hook);
}

void router_hook_set_tag(pv_hook_t *hook, const void *tag)
{
    if (hook)
        hook->tag = tag;
}

void router_remove_tagged(const void *tag)
{
    pv_hook_t *next;
    for (pv_hook_t *h = all_hooks; h; h = next) {
        next = h->next_all; /* h may be unlinked and freed below */
        if (h->tag == tag && !h->dead)
            pv_hook_remove(h);
    }
}

static void bury_dead(void)
{
    while (graveyard) {
        pv_hook_t *h = graveyard;
        graveyard = h->next_dead;
        unlink_hook(h);
        free_hook(h);
    }
}

pv_verdict_t pv_stanza_fail(pv_stanza_ctx_t *ctx, const char *type, const char *condition,
                            const char *text)
{
    if (ctx) {
        ctx->err_type = type;
        ctx->err_condition = condition;
        ctx->err_text = text;
    }
    return PV_ERROR;
}

pv_verdict_t pv_stanza_failf(pv_stanza_ctx_t *ctx, const char *type, const char *condition,
                             const char *fmt, ...)
{
    char *text = NULL;
    if (ctx && fmt) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        text = n >= 0 && ctx->stanza ? arena_alloc(ctx->stanza->arena, (size_t)n + 1) : NULL;
        if (text) {
            va_start(ap, fmt);
            vsnprintf(text, (size_t)n + 1, fmt, ap);
            va_end(ap);
        } else {
            pv_log(PV_LOG_ERROR, "core", "no memory for the text of a %s error: sent without it",
                   condition ? condition : "(no condition)");
        }
    }
    return pv_stanza_fail(ctx, type, condition, text);
}

/* ---- Parking (the queues are in core/park.c) ---- */

bool router_dispatching(void)
{
    return dispatching > 0;
}

static in_flight_t *flight_of(const pv_el_t *st)
{
    for (in_flight_t *f = current; f && st; f = f->outer)
        if (f->stanza == st)
            return f;
    return NULL;
}

pv_verdict_t pv_stanza_park(pv_stanza_ctx_t *ctx, const char *key)
{
    in_flight_t *f = flight_of(ctx ? ctx->stanza : NULL);
    if (!f || !key || !*key) {
        pv_log(PV_LOG_ERROR, "core", "pv_stanza_park %s",
               !f ? "outside a stanza handler" : "without a key");
        return pv_stanza_fail(ctx, "wait", "internal-server-error", NULL);
    }
    if (f->park_q) { /* parked twice by the same handler: the last key wins */
        park_cancel(f->park_q);
        f->park_q = NULL;
    }
    bool at_head = f->replay_key && strcmp(f->replay_key, key) == 0;
    const char *cond = NULL, *text = NULL;
    park_queue_t *q = park_reserve(key, at_head, &f->park_gen, &cond, &text);
    if (!q)
        return pv_stanza_fail(ctx, "wait", cond, text);
    f->park_q = q;
    f->park_head = at_head;
    return PV_AGAIN;
}

bool pv_park_busy(const pv_stanza_ctx_t *ctx, const char *key)
{
    if (!key || !park_exists(key))
        return false;
    const in_flight_t *f = flight_of(ctx ? ctx->stanza : NULL);
    return !(f && f->replay_key && strcmp(f->replay_key, key) == 0);
}

/* Stanzas of type error, and IQ results, are never answered. */
static bool answerable_stanza(const pv_el_t *st)
{
    const char *type = pv_el_attr(st, "type");
    if (!type)
        return true;
    if (strcmp(type, "error") == 0)
        return false;
    return !(st->name && strcmp(st->name, "iq") == 0 && strcmp(type, "result") == 0);
}

static void reply_error(const pv_el_t *st, bool answerable, bool from_service, const char *type,
                        const char *condition, const char *text, const pv_el_t *extra);

/* Sends the error outside the in-flight bookkeeping: an answer to a parked
 * stanza must not count as the answer to the stanza being dispatched. */
bool router_reply_parked(const pv_el_t *st, const char *type, const char *condition,
                         const char *text)
{
    bool answerable = answerable_stanza(st);
    in_flight_t *saved = current;
    current = NULL;
    reply_error(st, answerable, false, type, condition, text, NULL);
    current = saved;
    return answerable;
}

void router_park_settle(const park_queue_t *q, const char *type, const char *condition,
                        const char *text)
{
    for (in_flight_t *f = current; f; f = f->outer) {
        if (f->park_q != q)
            continue;
        f->park_q = NULL;
        f->park_settled = true;
        if (!f->answered)
            router_reply_parked(f->stanza, type, condition, text);
        f->answered = true;
    }
}

/* After the chain: the stanza joins its queue on PV_AGAIN; a reservation
 * followed by another verdict is undone. */
static void settle_park(in_flight_t *f, pv_stanza_ctx_t *ctx, pv_verdict_t v, const pv_hook_t *by)
{
    if (v == PV_AGAIN && f->park_q) {
        park_commit(f->park_q, ctx->stanza, f->park_head, f->park_gen);
        f->park_q = NULL;
        f->kept = true;
        return;
    }
    if (f->park_q) {
        pv_log(PV_LOG_WARN, "core",
               "%s: pv_stanza_park() then verdict %d for <%s/> from %s: "
               "not parked",
               by ? by->owner : "?", (int)v, ctx->stanza->name, ctx->from->full);
        park_cancel(f->park_q);
        f->park_q = NULL;
    }
}

/* ---- Dispatch ---- */

static int kind_of(const pv_el_t *st)
{
    if (st->kind != PV_EL_ELEMENT || !st->name || !st->ns)
        return 0;
    if (strcmp(st->ns, PV_NS_STANZA) != 0 && strcmp(st->ns, PV_NS_CLIENT) != 0)
        return 0;
    if (strcmp(st->name, "message") == 0)
        return PV_KIND_MESSAGE;
    if (strcmp(st->name, "presence") == 0)
        return PV_KIND_PRESENCE;
    if (strcmp(st->name, "iq") == 0)
        return PV_KIND_IQ;
    return 0;
}

static int chain_of(int kind)
{
    return kind == PV_KIND_MESSAGE ? 0 : kind == PV_KIND_PRESENCE ? 1 : 2;
}

static const char *or_none(const char *s)
{
    return s ? s : "(none)";
}

static bool same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

void router_note_sent(const pv_el_t *sent)
{
    if (!current || current->answered || !sent->name || !current->stanza->name)
        return;
    const char *type = pv_el_attr(sent, "type");
    if (!type || (strcmp(type, "result") != 0 && strcmp(type, "error") != 0))
        return;
    const char *to = pv_el_attr(sent, "to");
    if (strcmp(sent->name, current->stanza->name) == 0 &&
        (same_str(to, current->from) || same_str(to, current->norm_from)) &&
        same_str(pv_el_attr(sent, "id"), current->id))
        current->answered = true;
}

/* The one place the router answers: at most once, never to an error/result.
 * from_service: the stanza's `to` is malformed or not ours, so the reply
 * comes from the service domain (servers close a component stream that sends
 * from an address outside its domain: Prosody's invalid-from). */
static void reply_error(const pv_el_t *st, bool answerable, bool from_service, const char *type,
                        const char *condition, const char *text, const pv_el_t *extra)
{
    if (current && current->stanza == st && current->answered) {
        pv_log(PV_LOG_WARN, "core", "<%s/> from %s was already answered: not sending %s as well",
               st->name, or_none(pv_el_attr(st, "from")), condition);
        return;
    }
    if (!answerable) {
        pv_log(PV_LOG_DEBUG, "core", "not answering <%s type='%s'/> from %s with %s", st->name,
               or_none(pv_el_attr(st, "type")), or_none(pv_el_attr(st, "from")), condition);
        return;
    }
    pv_el_t *r = pv_error_new(st, type, condition, text);
    if (!r)
        return;
    if (from_service && pv_el_set_attr(r, "from", service_domain) < 0) {
        pv_log(PV_LOG_ERROR, "core", "cannot address the %s error: out of memory", condition);
        pv_el_free(r);
        return;
    }
    if (extra) {
        pv_el_t *err = r->last_child; /* pv_error_new appends <error/> last */
        if (!err || !err->name || strcmp(err->name, "error") != 0 || !pv_el_copy_into(err, extra))
            pv_log(PV_LOG_ERROR, "core", "cannot add the application condition to %s error",
                   condition);
    }
    pv_send(r);
    pv_el_free(r);
}

/* Counts element children and returns the first one. */
static pv_el_t *payload_of(const pv_el_t *st, int *count)
{
    pv_el_t *first = NULL;
    *count = 0;
    for (pv_el_t *c = st->children; c; c = c->next) {
        if (c->kind != PV_EL_ELEMENT)
            continue;
        if (!first)
            first = c;
        ++*count;
    }
    return first;
}

/* Frees an application condition element the handler built as its own tree
 * (a root not in the stanza's arena); nodes of other trees are borrowed. */
static void release_extra(pv_stanza_ctx_t *ctx)
{
    pv_el_t *x = ctx->err_extra;
    if (x && !x->parent && x->arena != ctx->stanza->arena)
        pv_el_free(x);
    ctx->err_extra = NULL;
}

static void run_chain(in_flight_t *f, pv_stanza_ctx_t *ctx, bool answerable)
{
    int k = chain_of(ctx->kind);
    pv_verdict_t v = PV_PASS;
    pv_hook_t *by = NULL;
    for (pv_hook_t *h = chains[k]; h; h = h->next[k]) {
        if (h->dead || !(h->to_classes & ctx->to_class))
            continue;
        if (h->payload_ns && (!ctx->payload_ns || strcmp(h->payload_ns, ctx->payload_ns) != 0))
            continue;
        v = h->fn(ctx, h->ud);
        if (v != PV_PASS) {
            by = h;
            break;
        }
    }
    const pv_el_t *st = ctx->stanza;
    settle_park(f, ctx, v, by);
    switch (v) {
    case PV_HANDLED:
        break;
    case PV_AGAIN:
        if (f->kept || f->park_settled)
            break;
        pv_log(PV_LOG_WARN, "core", "%s: PV_AGAIN without pv_stanza_park() for <%s/> from %s",
               by->owner, st->name, ctx->from->full);
        reply_error(st, answerable, false, "wait", "internal-server-error", NULL, NULL);
        break;
    case PV_ERROR:
        if (!ctx->err_condition) {
            pv_log(PV_LOG_WARN, "core", "%s: PV_ERROR without pv_stanza_fail() for <%s/> from %s",
                   by->owner, st->name, ctx->from->full);
            ctx->err_type = "wait";
            ctx->err_condition = "internal-server-error";
            ctx->err_text = NULL;
        }
        reply_error(st, answerable, false, ctx->err_type ? ctx->err_type : "cancel",
                    ctx->err_condition, ctx->err_text, ctx->err_extra);
        break;
    case PV_PASS:
        if (ctx->kind == PV_KIND_IQ && answerable) {
            pv_log(PV_LOG_DEBUG, "core", "no handler for IQ %s (%s) from %s to %s", ctx->type,
                   or_none(ctx->payload_ns), ctx->from->full, ctx->to->full);
            reply_error(st, true, false, "cancel", "service-unavailable", NULL, NULL);
        } else {
            pv_log(PV_LOG_DEBUG, "core", "nobody took <%s type='%s'/> from %s to %s: dropped",
                   st->name, ctx->type, ctx->from->full, ctx->to->full);
        }
        break;
    default:
        pv_log(PV_LOG_WARN, "core", "%s: unknown verdict %d for <%s/> from %s: taken as handled",
               by->owner, (int)v, st->name, ctx->from->full);
        break;
    }
    release_extra(ctx);
}

/* True when `to` parsed and is within our domain (any domain before
 * router_set_domain, as in some tests). */
static bool to_ours(const pv_jid_t *to)
{
    return to && (!service_domain || strcmp(to->domain, service_domain) == 0);
}

static void dispatch_one(in_flight_t *f, pv_el_t *st)
{
    int kind = kind_of(st);
    if (!kind) {
        pv_log(PV_LOG_WARN, "core", "dropping <%s xmlns='%s'/> from %s: not a stanza",
               or_none(st->name), or_none(st->ns), or_none(pv_el_attr(st, "from")));
        return;
    }
    const char *type = pv_el_attr(st, "type");
    if (!type)
        type = "";
    bool is_error = strcmp(type, "error") == 0;
    bool answerable = !is_error && !(kind == PV_KIND_IQ && strcmp(type, "result") == 0);

    const char *from_s = pv_el_attr(st, "from"), *to_s = pv_el_attr(st, "to");
    if (!from_s) {
        pv_log(PV_LOG_WARN, "core", "dropping <%s/> to %s without a from", st->name, or_none(to_s));
        return;
    }
    pv_jid_t *from = pv_jid_parse(from_s);
    pv_jid_t *to = to_s ? pv_jid_parse(to_s) : NULL;
    if (!from || !to) {
        pv_log(PV_LOG_INFO, "core", "<%s/> from '%s' to '%s': malformed %s", st->name, from_s,
               or_none(to_s), !from ? "from" : "to");
        reply_error(st, answerable, !to_ours(to), "modify", "jid-malformed", NULL, NULL);
        goto out;
    }
    if (!to_ours(to)) {
        pv_log(PV_LOG_WARN, "core", "<%s/> from %s to %s: not our domain (%s)", st->name,
               from->full, to->full, service_domain);
        reply_error(st, answerable, true, "cancel", "item-not-found", NULL, NULL);
        goto out;
    }

    f->norm_from = from->full;
    pv_stanza_ctx_t ctx = {
        .stanza = st,
        .kind = kind,
        .to_class = !to->node      ? PV_TO_SERVICE
                    : to->resource ? PV_TO_FULL
                                   : PV_TO_BARE,
        .type = type,
        .from = from,
        .to = to,
    };
    if (kind == PV_KIND_IQ) {
        int n;
        ctx.payload = payload_of(st, &n);
        ctx.payload_ns = ctx.payload ? ctx.payload->ns : NULL;
        bool request = strcmp(type, "get") == 0 || strcmp(type, "set") == 0;
        if (answerable && (!request || n != 1)) {
            pv_log(PV_LOG_INFO, "core",
                   "IQ type '%s' from %s to %s with %d payload element(s): "
                   "bad-request",
                   type, from->full, to->full, n);
            reply_error(st, true, false, "modify", "bad-request", NULL, NULL);
            goto out;
        }
    }
    run_chain(f, &ctx, answerable);
out:
    pv_jid_free(from);
    pv_jid_free(to);
}

/* replay_key: the queue a parked stanza comes from (NULL: a new stanza).
 * Returns true when the stanza is now parked again at the front of that
 * queue. */
static bool dispatch_owned(pv_el_t *stanza, const char *replay_key)
{
    if (!stanza)
        return false;
    bool outermost = !dispatching && !replay_key;
    if (outermost)
        park_run_ready(); /* released stanzas go before this newer one */
    in_flight_t flight = {.stanza = stanza,
                          .from = pv_el_attr(stanza, "from"),
                          .id = pv_el_attr(stanza, "id"),
                          .replay_key = replay_key,
                          .outer = current};
    current = &flight;
    dispatching++;
    dispatch_one(&flight, stanza);
    current = flight.outer;
    if (--dispatching == 0)
        bury_dead();
    if (!flight.kept)
        pv_el_free(stanza);
    if (outermost)
        park_run_ready(); /* what this dispatch released */
    return flight.kept && flight.park_head;
}

void router_dispatch(pv_el_t *stanza)
{
    dispatch_owned(stanza, NULL);
}

bool router_replay(pv_el_t *stanza, const char *key)
{
    return dispatch_owned(stanza, key);
}

void router_dump_chains(void)
{
    if (!pv_log_enabled(PV_LOG_DEBUG))
        return;
    static const char *const classes[] = {"service", "bare", "full"};
    for (int k = 0; k < NCHAINS; k++) {
        pv_log(PV_LOG_DEBUG, "core", "%s chain:", chain_names[k]);
        for (const pv_hook_t *h = chains[k]; h; h = h->next[k]) {
            if (h->dead)
                continue;
            char cls[32] = "";
            for (int c = 0; c < 3; c++)
                if (h->to_classes & (1 << c)) {
                    if (*cls)
                        strcat(cls, "|");
                    strcat(cls, classes[c]);
                }
            pv_log(PV_LOG_DEBUG, "core", "  %6d %-16s to %s%s%s", h->priority, h->owner, cls,
                   h->payload_ns ? " ns " : "", h->payload_ns ? h->payload_ns : "");
        }
    }
    event_dump();
}

void router_cleanup(void)
{
    park_cleanup();
    graveyard = NULL; /* dead hooks are still in all_hooks */
    while (all_hooks) {
        pv_hook_t *h = all_hooks;
        all_hooks = h->next_all;
        free_hook(h);
    }
    for (int k = 0; k < NCHAINS; k++)
        chains[k] = NULL;
    event_cleanup();
    disco_cleanup();
    free(service_domain);
    service_domain = NULL;
}
