/*
 * tests/sdk/hello.c: the smallest site plugin, built out of tree against the
 * installed SDK alone (<palaver/palaver.h>), as the README shows.
 *
 * It answers <iq type='get'><hello xmlns='urn:example:hello'/></iq> sent to
 * the service with <hello xmlns='urn:example:hello'>world</hello> (or the
 * text of its own <greeting> config element). Its one element is declared
 * in a table, which the core checks; its hook is made through its handle,
 * which the core removes after shutdown, so it needs no shutdown at all.
 */
#include <palaver/palaver.h>

#define NS_HELLO "urn:example:hello"

static const char *greeting = "world";

static const pv_config_key_t keys[] = {
    {"greeting", PV_KEY_STR, "world", 0, 0, NULL, "what hello answers", 0},
    {NULL, PV_KEY_END, NULL, 0, 0, NULL, NULL, 0},
};

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

static int start(pv_plugin_handle_t *h, const pv_config_t *cfg, void **state)
{
    (void)state;
    greeting = pv_key_str(h, cfg, "greeting"); /* borrowed from the config */
    if (!pv_plugin_hook_stanza(h, PV_KIND_IQ, PV_TO_SERVICE, NS_HELLO, 0, on_hello, NULL))
        return -1;
    pv_log(PV_LOG_INFO, "hello", "answering %s on %s", NS_HELLO, pv_service_domain());
    return 0;
}

PV_PLUGIN_DEFINE(hello) = {
    .abi_major = PV_ABI_MAJOR, .abi_minor = PV_ABI_MINOR,
    .name = "hello", .version = "1.0",
    .config_keys = keys, .start = start,
};
