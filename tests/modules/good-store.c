/*
 * tests/modules/good-store.c: a complete (if forgetful) backend. Every
 * operation succeeds at once; open traces the <type> and <spool> it was
 * given so the test can check settings_backend_config().
 */
#include <palaver/palaver.h>

#include "trace.h"

static int handle_token = 7;

static int open_(const pv_config_t *cfg, void **handle)
{
    trace("open good-store type=%s spool=%s", pv_config_str(cfg, "type", "-"),
          pv_config_str(cfg, "spool", "-"));
    *handle = &handle_token;
    return 0;
}

static void close_(void *handle) { trace("close good-store handle=%d", *(int *)handle); }

static void names(void *h, pv_store_names_fn cb, void *ud) { cb(0, NULL, NULL, 0, ud); }
static void room_load(void *h, const char *n, pv_store_room_fn cb, void *ud)
{
    cb(PV_STORE_ENOTFOUND, "no such room", NULL, ud);
}
static void room_put(void *h, const char *n, const pv_kv_t *c, size_t k, pv_store_done_fn cb,
                     void *ud) { cb(0, NULL, ud); }
static void room_delete(void *h, const char *n, pv_store_done_fn cb, void *ud) { cb(0, NULL, ud); }
static void affs_set(void *h, const char *r, const pv_store_aff_t *i, size_t n,
                     pv_store_done_fn cb, void *ud) { cb(0, NULL, ud); }
static void reg_set(void *h, const char *r, const char *j, const char *n, pv_store_done_fn cb,
                    void *ud) { cb(0, NULL, ud); }
static void append(void *h, const char *r, const pv_store_msg_t *m, pv_store_done_fn cb,
                   void *ud) { cb(0, NULL, ud); }
static void query(void *h, const char *r, const pv_store_query_t *q, pv_store_msgs_fn cb,
                  void *ud) { cb(0, NULL, NULL, 0, 1, ud); }
static void replace(void *h, const char *r, const char *id, const char *x, pv_store_done_fn cb,
                    void *ud) { cb(PV_STORE_ENOTFOUND, "no such message", ud); }
static void adelete(void *h, const char *r, pv_store_done_fn cb, void *ud) { cb(0, NULL, ud); }

PV_STORE_DEFINE(good_store) = {
    .size = sizeof(pv_store_t), .abi_major = PV_STORE_ABI_MAJOR,
    .abi_minor = PV_STORE_ABI_MINOR, .name = "good-store", .version = "1.0",
    .open = open_, .close = close_, .room_list = names, .room_load = room_load,
    .room_put = room_put, .room_delete = room_delete, .affs_set = affs_set,
    .reg_set = reg_set, .archive_append = append, .archive_query = query,
    .archive_replace = replace, .archive_delete = adelete,
};
