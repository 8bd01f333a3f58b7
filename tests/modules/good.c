/*
 * tests/modules/good.c: a well-formed plugin. Reads <count> from its own
 * config element with the SDK getters and traces every callback.
 */
#include <palaver/palaver.h>

#include "trace.h"

static int state_token = 42;

static int init(const pv_config_t *cfg, void **state)
{
    static const char *const known[] = {"count", NULL};
    long count;
    if (pv_config_check_known(cfg, known, "good") != 0)
        return -1;
    if (pv_config_int(cfg, "count", 1, 0, 100, "good", &count) < 0)
        return -1;
    *state = &state_token;
    trace("init good count=%ld", count);
    return 0;
}

static int reconfigure(void *state, const pv_config_t *cfg)
{
    long count;
    if (pv_config_int(cfg, "count", 1, 0, 100, "good", &count) < 0)
        return -1;
    trace("reconfigure good count=%ld state=%d", count, *(int *)state);
    return 0;
}

static void connected(void *state) { trace("connected good state=%d", *(int *)state); }
static void shutdown_(void *state) { trace("shutdown good state=%d", *(int *)state); }

PV_PLUGIN_DEFINE(good) = {
    .abi_major = PV_ABI_MAJOR, .abi_minor = PV_ABI_MINOR, .name = "good", .version = "1.0",
    .init = init, .reconfigure = reconfigure, .connected = connected, .shutdown = shutdown_,
};
