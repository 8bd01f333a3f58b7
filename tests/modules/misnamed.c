/* tests/modules/misnamed.c: the descriptor's name differs from the file name. */
#include <palaver/palaver.h>

static int init(const pv_config_t *cfg, void **state) { return 0; }

PV_PLUGIN_DEFINE(misnamed) = {
    .abi_major = PV_ABI_MAJOR, .abi_minor = PV_ABI_MINOR, .name = "other-name",
    .version = "1.0", .init = init,
};
