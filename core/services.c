/*
 * core/services.c: what the service domain itself answers, without any
 * plugin: disco#info (XEP-0030, built from the disco registry and extended by
 * plugins through PV_EVENT_DISCO_INFO), an empty disco#items, software
 * version (XEP-0092) and ping (XEP-0199).
 *
 * These are ordinary hooks at negative priorities, so a plugin hooking the
 * same namespace at the default priority 0 runs first: PRIO_CORE for the
 * answers a plugin may want to replace, PRIO_FALLBACK for disco#items, which
 * muc-core answers with its room list and the core only when nobody did.
 */
#include "config.h"

#include <string.h>

#include "disco_internal.h"
#include "router_internal.h"
#include <palaver/disco.h>
#include <palaver/log.h>
#include <palaver/router.h>

#define PRIO_CORE (-100)
#define PRIO_FALLBACK (-1000)

#define NS_VERSION "jabber:iq:version"
#define NS_PING "urn:xmpp:ping"

static bool is_get(const pv_stanza_ctx_t *ctx)
{
    return strcmp(ctx->type, "get") == 0;
}

/* Sends r (a reply being built) and frees it; a NULL r becomes an error. */
static pv_verdict_t send_reply(pv_stanza_ctx_t *ctx, pv_el_t *r, bool ok)
{
    if (!r || !ok) {
        pv_el_free(r);
        pv_log(PV_LOG_ERROR, "core", "cannot build the %s answer to %s: out of memory",
               ctx->payload_ns, ctx->from->full);
        return pv_stanza_fail(ctx, "wait", "internal-server-error", NULL);
    }
    pv_send(r);
    pv_el_free(r);
    return PV_HANDLED;
}

static pv_verdict_t on_disco_info(pv_stanza_ctx_t *ctx, void *ud)
{
    if (!is_get(ctx))
        return PV_PASS;
    const char *node = pv_el_attr(ctx->payload, "node");
    if (node) /* no plugin before us knew this node */
        return pv_stanza_fail(ctx, "cancel", "item-not-found", NULL);
    pv_el_t *r = pv_iq_result_new(ctx->stanza);
    pv_el_t *q = r ? pv_el_add(r, PV_NS_DISCO_INFO, "query") : NULL;
    bool ok = q && disco_fill_service(q) == 0;
    if (ok) {
        pv_disco_info_t info = {
            .target = ctx->to, .node = NULL, .requester = ctx->from, .query = q, .subject = NULL};
        pv_disco_info_extend(&info);
    }
    return send_reply(ctx, r, ok);
}

static pv_verdict_t on_disco_items(pv_stanza_ctx_t *ctx, void *ud)
{
    if (!is_get(ctx))
        return PV_PASS;
    const char *node = pv_el_attr(ctx->payload, "node");
    pv_el_t *r = pv_iq_result_new(ctx->stanza);
    pv_el_t *q = r ? pv_el_add(r, PV_NS_DISCO_ITEMS, "query") : NULL;
    bool ok = q && (!node || pv_el_set_attr(q, "node", node) == 0);
    return send_reply(ctx, r, ok);
}

static pv_verdict_t on_version(pv_stanza_ctx_t *ctx, void *ud)
{
    if (!is_get(ctx))
        return PV_PASS;
    pv_el_t *r = pv_iq_result_new(ctx->stanza);
    pv_el_t *q = r ? pv_el_add(r, NS_VERSION, "query") : NULL;
    /* XEP-0092: name and version; os is optional and left out on purpose
     * (it only helps attackers). */
    bool ok = q && pv_el_add_text_child(q, NS_VERSION, "name", "Palaver") &&
              pv_el_add_text_child(q, NS_VERSION, "version", PACKAGE_VERSION);
    return send_reply(ctx, r, ok);
}

static pv_verdict_t on_ping(pv_stanza_ctx_t *ctx, void *ud)
{
    if (!is_get(ctx))
        return PV_PASS;
    pv_el_t *r = pv_iq_result_new(ctx->stanza);
    return send_reply(ctx, r, r != NULL);
}

int core_services_init(void)
{
    static const char *const features[] = {PV_NS_DISCO_INFO, PV_NS_DISCO_ITEMS, NS_VERSION,
                                           NS_PING};
    for (size_t i = 0; i < sizeof features / sizeof *features; i++)
        if (pv_disco_add_feature(features[i]) < 0)
            return -1;
    if (!pv_hook_stanza(PV_KIND_IQ, PV_TO_SERVICE, PV_NS_DISCO_INFO, PRIO_CORE, on_disco_info, NULL,
                        "core") ||
        !pv_hook_stanza(PV_KIND_IQ, PV_TO_SERVICE, PV_NS_DISCO_ITEMS, PRIO_FALLBACK, on_disco_items,
                        NULL, "core") ||
        !pv_hook_stanza(PV_KIND_IQ, PV_TO_SERVICE, NS_VERSION, PRIO_CORE, on_version, NULL,
                        "core") ||
        !pv_hook_stanza(PV_KIND_IQ, PV_TO_SERVICE, NS_PING, PRIO_CORE, on_ping, NULL, "core")) {
        pv_log(PV_LOG_ERROR, "core", "cannot register the service's own handlers");
        return -1;
    }
    return 0;
}
