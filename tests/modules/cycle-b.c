/* tests/modules/cycle-b.c: requires cycle-a, which requires it back. */
#include <palaver/palaver.h>

static const char *const deps[] = {"cycle-a", NULL};

static int init(const pv_config_t *cfg, void **state) { return 0; }

PV_PLUGIN_DEFINE(cycle_b) = {
    .abi_major = PV_ABI_MAJOR, .abi_minor = PV_ABI_MINOR, .name = "cycle-b",
    .version = "1.0", .requires = deps, .init = init,
};
