/* tests/modules/bad-abi.c: built for the next ABI major: must be refused. */
#include <palaver/palaver.h>

static int init(const pv_config_t *cfg, void **state) { return 0; }

PV_PLUGIN_DEFINE(bad_abi) = {
    .abi_major = PV_ABI_MAJOR + 1, .abi_minor = 0, .name = "bad-abi", .version = "1.0",
    .init = init,
};
