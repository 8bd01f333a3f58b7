/*
 * tests/sdk/hello.c: the smallest site plugin, built out of tree against the
 * installed SDK alone (<palaver/palaver.h>), as the README shows.
 *
 * It answers <iq type='get'><hello xmlns='urn:example:hello'/></iq> sent to
 * the service with <hello xmlns='urn:example:hello'>world</hello> (or the
 * text of its own <greeting> config element).
 */
#include <palaver/palaver.h>

#define NS_HELLO "urn:example:hello"

static pv_hook_t *hook;
static const char *greeting = "world";

static pv_verdict_t on_hello(pv_stanza_ctx_t *ctx, void *ud)
{
    (void)ud;
    if (ctx->type[0] != 'g')  /* only "get" has an answer */
        return pv_stanza_fail(ctx, "modify", "bad-request", "hello only answers get");
    pv_el_t *reply = pv_iq_result_new(ctx->stanza);
    if (!reply)
        return pv_stanza_fail(ctx, "wait", "resource-constraint", NULL);
    pv_el_add_text_child(reply, NS_HELLO, "hello", greeting);
    pv_send(reply);
    pv_el_free(reply);
    return PV_HANDLED;
}

static int init(const pv_config_t *cfg, void **state)
{
    static const char *const known[] = {"greeting", NULL};
    (void)state;
    if (pv_config_check_known(cfg, known, "hello") != 0)
        return -1;
    greeting = pv_config_str(cfg, "greeting", "world");
    hook = pv_hook_stanza(PV_KIND_IQ, PV_TO_SERVICE, NS_HELLO, 0, on_hello, NULL, "hello");
    if (!hook)
        return -1;
    pv_log(PV_LOG_INFO, "hello", "answering %s on %s", NS_HELLO, pv_service_domain());
    return 0;
}

static void shutdown_(void *state)
{
    (void)state;
    pv_hook_remove(hook);
    hook = NULL;
}

PV_PLUGIN_DEFINE(hello) = {
    .abi_major = PV_ABI_MAJOR, .abi_minor = PV_ABI_MINOR,
    .name = "hello", .version = "1.0",
    .init = init, .shutdown = shutdown_,
};
