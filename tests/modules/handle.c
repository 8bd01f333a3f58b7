/*
 * tests/modules/handle.c: a plugin of ABI minor 5. It declares its
 * configuration elements as a table, starts through `start` with a handle,
 * and registers a stanza hook, an event subscription and a timer through it,
 * then leaves all three in place at shutdown: the core must remove them.
 * Traces what start and reconfigure read.
 */
#include <palaver/palaver.h>

#include "trace.h"

static const pv_config_key_t keys[] = {
    {"count", PV_KEY_INT, "7", 1, 50, NULL, "how many", 0},
    {"loud", PV_KEY_BOOL, "false", 0, 0, NULL, "say more", 0},
    {"mode", PV_KEY_CHOICE, "fast", 0, 0, "fast|slow", "how", 0},
    {"tag", PV_KEY_STR, NULL, 0, 0, NULL, "a label", PV_KEY_RESTART},
    {"peer", PV_KEY_STR, NULL, 0, 0, NULL, "one peer", PV_KEY_REPEAT},
    {NULL, PV_KEY_END, NULL, 0, 0, NULL, NULL, 0},
};

static pv_plugin_handle_t *me;
static int state_token = 5;

static pv_verdict_t on_iq(pv_stanza_ctx_t *ctx, void *ud)
{
    (void)ctx;
    (void)ud;
    return PV_PASS;
}

static pv_verdict_t on_event(const pv_event_t *ev, void *payload, void *ud)
{
    (void)ev;
    (void)payload;
    (void)ud;
    trace("event handle");
    return PV_PASS;
}

static void on_timer(pv_timer_t *t, void *ud)
{
    (void)t;
    (void)ud;
}

static void trace_values(const char *what, const pv_config_t *cfg)
{
    const char *tag = pv_key_str(me, cfg, "tag");
    trace("%s %s count=%ld loud=%d mode=%s tag=%s", what, pv_plugin_name(me),
          pv_key_int(me, cfg, "count"), pv_key_bool(me, cfg, "loud"), pv_key_str(me, cfg, "mode"),
          tag ? tag : "(none)");
}

static int start(pv_plugin_handle_t *h, const pv_config_t *cfg, void **state)
{
    me = h;
    trace_values("start", cfg);
    if (!pv_plugin_hook_stanza(h, PV_KIND_IQ, PV_TO_SERVICE, "urn:test:handle", 0, on_iq, NULL) ||
        !pv_plugin_subscribe(h, pv_event("handle-test"), 0, on_event, NULL) ||
        !pv_plugin_timer(h, 3600, 0, on_timer, NULL))
        return -1;
    *state = &state_token;
    return 0;
}

static int reconfigure(void *state, const pv_config_t *cfg)
{
    (void)state;
    trace_values("reconfigure", cfg);
    return 0;
}

static void shutdown_(void *state) { trace("shutdown handle state=%d", *(int *)state); }

PV_PLUGIN_DEFINE(handle) = {
    .abi_major = PV_ABI_MAJOR,
    .abi_minor = PV_ABI_MINOR,
    .name = "handle",
    .version = "1.0",
    .reconfigure = reconfigure,
    .shutdown = shutdown_,
    .config_keys = keys,
    .start = start,
};
