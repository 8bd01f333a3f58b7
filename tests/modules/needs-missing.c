/* tests/modules/needs-missing.c: requires a plugin the config does not list. */
#include <palaver/palaver.h>

static const char *const deps[] = {"absent-plugin", NULL};

static int init(const pv_config_t *cfg, void **state) { return 0; }

PV_PLUGIN_DEFINE(needs_missing) = {
    .abi_major = PV_ABI_MAJOR, .abi_minor = PV_ABI_MINOR, .name = "needs-missing",
    .version = "1.0", .requires = deps, .init = init,
};
