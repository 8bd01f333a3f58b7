/* tests/modules/cycle-a.c: requires cycle-b, which requires it back. */
#include <palaver/palaver.h>

static const char *const deps[] = {"cycle-b", NULL};

static int init(const pv_config_t *cfg, void **state) { return 0; }

PV_PLUGIN_DEFINE(cycle_a) = {
    .abi_major = PV_ABI_MAJOR, .abi_minor = PV_ABI_MINOR, .name = "cycle-a",
    .version = "1.0", .requires = deps, .init = init,
};
