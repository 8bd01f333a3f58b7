/*
 * tests/modules/undefined-sym.c: calls a function no palaver provides (as a
 * plugin built against a newer or patched SDK would): refused at load time.
 */
#include <palaver/palaver.h>

extern int pv_no_such_function(void);

static int init(const pv_config_t *cfg, void **state) { return pv_no_such_function(); }

PV_PLUGIN_DEFINE(undefined_sym) = {
    .abi_major = PV_ABI_MAJOR, .abi_minor = PV_ABI_MINOR, .name = "undefined-sym",
    .version = "1.0", .init = init,
};
