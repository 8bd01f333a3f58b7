/*
 * tests/modules/companion.c: the companion of with-companion (and of
 * old-companion, which cannot name it). It requires the plugin that names
 * it, so it starts after it and stops before it.
 */
#include <palaver/palaver.h>

#include "trace.h"

static const char *const deps[] = {"with-companion", NULL};

static int init(const pv_config_t *cfg, void **state)
{
    trace("init companion with-companion-loaded=%d", pv_plugin_loaded("with-companion"));
    return 0;
}

static void shutdown_(void *state) { trace("shutdown companion"); }

PV_PLUGIN_DEFINE(companion) = {
    .abi_major = PV_ABI_MAJOR, .abi_minor = 6, .name = "companion", .version = "1.0",
    .requires = deps, .init = init, .shutdown = shutdown_,
};
