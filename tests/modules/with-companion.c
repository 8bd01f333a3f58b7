/*
 * tests/modules/with-companion.c: a plugin of ABI minor 6 that names a
 * companion ("companion"), loaded with it unless <plugins> turns it off.
 */
#include <palaver/palaver.h>

#include "trace.h"

static const char *const companions[] = {"companion", NULL};

static int init(const pv_config_t *cfg, void **state)
{
    trace("init with-companion");
    return 0;
}

static void shutdown_(void *state) { trace("shutdown with-companion"); }

PV_PLUGIN_DEFINE(with_companion) = {
    .abi_major = PV_ABI_MAJOR, .abi_minor = 6, .name = "with-companion", .version = "1.0",
    .init = init, .shutdown = shutdown_, .companions = companions,
};
