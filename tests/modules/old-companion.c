/*
 * tests/modules/old-companion.c: a plugin built for ABI minor 5, whose
 * descriptor ends before `companions`. The field is set here only to show
 * that the core does not read it for such a plugin (a real minor-5
 * descriptor has whatever follows it in memory there).
 */
#include <palaver/palaver.h>

#include "trace.h"

static const char *const companions[] = {"companion", NULL};

static int init(const pv_config_t *cfg, void **state)
{
    trace("init old-companion");
    return 0;
}

PV_PLUGIN_DEFINE(old_companion) = {
    .abi_major = PV_ABI_MAJOR, .abi_minor = 5, .name = "old-companion", .version = "1.0",
    .init = init, .companions = companions,
};
