/*
 * tests/modules/bad-store.c: a backend whose descriptor claims to end before
 * the entries the core needs (as if built against a truncated SDK).
 */
#include <stddef.h>

#include <palaver/palaver.h>

#include "trace.h"

static int open_(const pv_config_t *cfg, void **handle)
{
    trace("open bad-store");
    return 0;
}

static void close_(void *handle) {}

PV_STORE_DEFINE(bad_store) = {
    .size = offsetof(pv_store_t, room_list), .abi_major = PV_STORE_ABI_MAJOR,
    .abi_minor = PV_STORE_ABI_MINOR, .name = "bad-store", .version = "1.0",
    .open = open_, .close = close_,
};
