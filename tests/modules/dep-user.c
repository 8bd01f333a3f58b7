/*
 * tests/modules/dep-user.c: requires "good", so it must be initialised after
 * it and shut down before it, whatever the config order.
 */
#include <palaver/palaver.h>

#include "trace.h"

static const char *const deps[] = {"good", NULL};

static int init(const pv_config_t *cfg, void **state)
{
    trace("init dep-user good-loaded=%d", pv_plugin_loaded("good"));
    return 0;
}

static void shutdown_(void *state) { trace("shutdown dep-user"); }

PV_PLUGIN_DEFINE(dep_user) = {
    .abi_major = PV_ABI_MAJOR, .abi_minor = PV_ABI_MINOR, .name = "dep-user", .version = "1.0",
    .requires = deps, .init = init, .shutdown = shutdown_,
};
