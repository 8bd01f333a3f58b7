/*
 * tests/backends/failstore.c: a storage backend for tests whose writes fail
 * on demand, to check that the daemon survives a failing store and tells the
 * client instead of losing the change.
 *
 * It is the memory backend (its rooms.c and archive.c are compiled in) with
 * one extra option in <backend>:
 *   <failfile>PATH</failfile>  while a file exists at PATH, every write
 *                              (room_put, room_delete, affs_set, reg_set,
 *                              archive_*) fails with PV_STORE_EIO, changes
 *                              nothing and logs "failstore: ... refused".
 *   <silent-list>true</silent-list>  room_list never answers (a backend hanging
 *                              at start-up).
 * Reads always work. Not installed (check_LTLIBRARIES).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <palaver/config.h>
#include <palaver/log.h>
#include <palaver/store.h>

#include "memory.h"
#include "msglist.h"
#include "roomdata.h"

typedef struct failstore {
    mem_store_t mem; /* first: the mem_* functions take the handle as theirs */
    char *failfile;  /* owned */
    bool silent_list;
} failstore_t;

/* Nonzero (after logging what was refused) when writes must fail now. */
static int failing(failstore_t *s, const char *op, const char *room)
{
    if (access(s->failfile, F_OK) < 0) {
        if (errno != ENOENT)
            pv_log(PV_LOG_WARN, "failstore", "cannot check %s: %s", s->failfile,
                   strerror(errno));
        return 0;
    }
    pv_log(PV_LOG_ERROR, "failstore", "%s of room %s refused: %s exists", op,
           room ? room : "(null)", s->failfile);
    return 1;
}

#define FAIL_DONE(op, room)                                                                        \
    do {                                                                                           \
        if (failing(h, op, room)) {                                                                \
            cb(PV_STORE_EIO, "failstore: " op " refused (failfile exists)", ud);                   \
            return;                                                                                \
        }                                                                                          \
    } while (0)

static void fs_room_put(void *h, const char *name, const pv_kv_t *config, size_t n,
                        pv_store_done_fn cb, void *ud)
{
    FAIL_DONE("room_put", name);
    mem_room_put(h, name, config, n, cb, ud);
}

static void fs_room_delete(void *h, const char *name, pv_store_done_fn cb, void *ud)
{
    FAIL_DONE("room_delete", name);
    mem_room_delete(h, name, cb, ud);
}

static void fs_affs_set(void *h, const char *room, const pv_store_aff_t *items, size_t n,
                        pv_store_done_fn cb, void *ud)
{
    FAIL_DONE("affs_set", room);
    mem_affs_set(h, room, items, n, cb, ud);
}

static void fs_reg_set(void *h, const char *room, const char *jid, const char *nick,
                       pv_store_done_fn cb, void *ud)
{
    FAIL_DONE("reg_set", room);
    mem_reg_set(h, room, jid, nick, cb, ud);
}

static void fs_archive_append(void *h, const char *room, const pv_store_msg_t *msg,
                              pv_store_done_fn cb, void *ud)
{
    FAIL_DONE("archive_append", room);
    mem_archive_append(h, room, msg, cb, ud);
}

static void fs_archive_replace(void *h, const char *room, const char *id, const char *xml,
                               pv_store_done_fn cb, void *ud)
{
    FAIL_DONE("archive_replace", room);
    mem_archive_replace(h, room, id, xml, cb, ud);
}

static void fs_archive_delete(void *h, const char *room, pv_store_done_fn cb, void *ud)
{
    FAIL_DONE("archive_delete", room);
    mem_archive_delete(h, room, cb, ud);
}

static void fs_archive_trim(void *h, const char *room, int64_t before_us, size_t keep_newest,
                            pv_store_done_fn cb, void *ud)
{
    FAIL_DONE("archive_trim", room);
    mem_archive_trim(h, room, before_us, keep_newest, cb, ud);
}

static void fs_room_list(void *h, pv_store_names_fn cb, void *ud)
{
    failstore_t *s = h;
    if (s->silent_list) {
        pv_log(PV_LOG_INFO, "failstore", "room_list left unanswered (silent-list)");
        return;
    }
    mem_room_list(h, cb, ud);
}

static void free_room(void *r)
{
    roomdata_free(r);
}

static void free_archive(void *l)
{
    msglist_free(l);
}

static void fs_close(void *handle)
{
    failstore_t *s = handle;
    if (!s)
        return;
    strmap_free(s->mem.rooms, free_room);
    strmap_free(s->mem.archives, free_archive);
    free(s->failfile);
    free(s);
}

static int fs_open(const pv_config_t *cfg, void **handle)
{
    static const char *const known[] = {"type", "spool", "failfile", "silent-list", NULL};
    if (pv_config_check_known(cfg, known, "failstore") > 0)
        return -1;
    const char *ff = pv_config_str(cfg, "failfile", NULL);
    if (!ff || !*ff)
        return pv_config_error(cfg, "failfile", "<failfile> (the marker file's path) is required");
    failstore_t *s = calloc(1, sizeof(*s));
    if (!s || !(s->failfile = strdup(ff)) || !(s->mem.rooms = strmap_new()) ||
        !(s->mem.archives = strmap_new())) {
        pv_log(PV_LOG_ERROR, "failstore", "out of memory opening the store");
        fs_close(s);
        return -1;
    }
    if (pv_config_bool(cfg, "silent-list", false, "failstore", &s->silent_list) < 0) {
        fs_close(s);
        return -1;
    }
    pv_log(PV_LOG_INFO, "failstore", "writes fail while %s exists", s->failfile);
    *handle = s;
    return 0;
}

PV_STORE_DEFINE(failstore) = {
    .size = sizeof(pv_store_t),
    .abi_major = PV_STORE_ABI_MAJOR,
    .abi_minor = PV_STORE_ABI_MINOR,
    .name = "failstore",
    .version = "1.0",
    .open = fs_open,
    .close = fs_close,
    .room_list = fs_room_list,
    .room_load = mem_room_load,
    .room_put = fs_room_put,
    .room_delete = fs_room_delete,
    .affs_set = fs_affs_set,
    .reg_set = fs_reg_set,
    .archive_append = fs_archive_append,
    .archive_query = mem_archive_query,
    .archive_replace = fs_archive_replace,
    .archive_delete = fs_archive_delete,
    .archive_trim = fs_archive_trim,
    .rooms_list = mem_rooms_list, /* a read, like room_load: never failed */
};
