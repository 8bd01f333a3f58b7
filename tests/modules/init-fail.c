/* tests/modules/init-fail.c: its init reports a config error and fails. */
#include <palaver/palaver.h>

#include "trace.h"

static int init(const pv_config_t *cfg, void **state)
{
    trace("init init-fail");
    return pv_config_error(cfg, "init-fail", "refusing to start (%s)", "test");
}

static void shutdown_(void *state) { trace("shutdown init-fail"); }

PV_PLUGIN_DEFINE(init_fail) = {
    .abi_major = PV_ABI_MAJOR, .abi_minor = PV_ABI_MINOR, .name = "init-fail",
    .version = "1.0", .init = init, .shutdown = shutdown_,
};
