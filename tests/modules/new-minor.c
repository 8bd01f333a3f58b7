/* tests/modules/new-minor.c: needs a newer minor ABI than the core has: refused. */
#include <palaver/palaver.h>

static int init(const pv_config_t *cfg, void **state) { return 0; }

PV_PLUGIN_DEFINE(new_minor) = {
    .abi_major = PV_ABI_MAJOR, .abi_minor = PV_ABI_MINOR + 1, .name = "new-minor",
    .version = "1.0", .init = init,
};
