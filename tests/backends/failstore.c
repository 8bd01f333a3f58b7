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
 * and two for loading rooms on first use (LAZY-1), a failing and a slow
 * database:
 *   <load-failfile>PATH</load-failfile>  while a file exists at PATH,
 *                              room_load and rooms_list fail with
 *                              PV_STORE_EIO and log "failstore: ... refused".
 *                              With a delay the file is checked when the
 *                              answer is given.
 *   <load-delay-ms>N</load-delay-ms>  room_load answers N milliseconds later
 *                              from a timer on the daemon's loop (as pgsql
 *                              answers later), with what is stored then; a
 *                              store closed meanwhile answers PV_STORE_EIO.
 * <failfile> is required unless one of these two is given. Other reads
 * always work. Not installed (check_LTLIBRARIES).
 */
#include <errno.h>
#include <ev.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <palaver/config.h>
#include <palaver/log.h>
#include <palaver/store.h>
#include <palaver/util.h>

#include "memory.h"
#include "msglist.h"
#include "roomdata.h"

struct failstore;

/* A room_load waiting for its timer (<load-delay-ms>). */
typedef struct slow_load {
    ev_timer timer; /* first: the callback gets this */
    struct failstore *store;
    char *name; /* owned copy: the caller's string is not kept */
    pv_store_room_fn cb;
    void *ud;
    struct slow_load *prev, *next;
} slow_load_t;

typedef struct failstore {
    mem_store_t mem;     /* first: the mem_* functions take the handle as theirs */
    char *failfile;      /* owned; NULL: writes never fail */
    char *load_failfile; /* owned; NULL: loads never fail */
    long load_delay_ms;  /* 0: room_load answers at once */
    bool silent_list;
    struct ev_loop *loop;
    slow_load_t *slow; /* loads waiting for their timer (owned) */
} failstore_t;

/* Nonzero (after logging what was refused) when a file exists at `path`. */
static int marker_present(const char *path, const char *op, const char *room)
{
    if (!path)
        return 0;
    if (access(path, F_OK) < 0) {
        if (errno != ENOENT)
            pv_log(PV_LOG_WARN, "failstore", "cannot check %s: %s", path, strerror(errno));
        return 0;
    }
    pv_log(PV_LOG_ERROR, "failstore", "%s of room %s refused: %s exists", op,
           room ? room : "(null)", path);
    return 1;
}

/* Nonzero when writes must fail now. */
static int failing(failstore_t *s, const char *op, const char *room)
{
    return marker_present(s->failfile, op, room);
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

/* ---- loads: failing (<load-failfile>) and slow (<load-delay-ms>) ---------- */

static void load_now(failstore_t *s, const char *name, pv_store_room_fn cb, void *ud)
{
    if (marker_present(s->load_failfile, "room_load", name)) {
        cb(PV_STORE_EIO, "failstore: room_load refused (load-failfile exists)", NULL, ud);
        return;
    }
    mem_room_load(s, name, cb, ud);
}

static void slow_unlink(failstore_t *s, slow_load_t *l)
{
    if (l->prev)
        l->prev->next = l->next;
    else
        s->slow = l->next;
    if (l->next)
        l->next->prev = l->prev;
}

static void slow_free(slow_load_t *l)
{
    free(l->name);
    free(l);
}

/* The timer of a slow load: answers with what is stored now (the memory
 * store's data is borrowed by the callback, so it is read only here). */
static void on_slow_load(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    slow_load_t *l = (slow_load_t *)w;
    failstore_t *s = l->store;
    ev_timer_stop(loop, w);
    slow_unlink(s, l);
    load_now(s, l->name, l->cb, l->ud);
    slow_free(l);
}

static void fs_room_load(void *h, const char *name, pv_store_room_fn cb, void *ud)
{
    failstore_t *s = h;
    if (s->load_delay_ms <= 0) {
        load_now(s, name, cb, ud);
        return;
    }
    slow_load_t *l = calloc(1, sizeof(*l));
    if (!l || !(l->name = strdup(name ? name : ""))) {
        free(l);
        cb(PV_STORE_ENOMEM, "failstore: out of memory", NULL, ud);
        return;
    }
    l->store = s;
    l->cb = cb;
    l->ud = ud;
    l->next = s->slow;
    if (s->slow)
        s->slow->prev = l;
    s->slow = l;
    ev_timer_init(&l->timer, on_slow_load, (double)s->load_delay_ms / 1000.0, 0.0);
    ev_timer_start(s->loop, &l->timer);
}

/* close: loads still waiting fail (palaver/store.h: pending operations
 * complete before close returns). */
static void slow_fail_all(failstore_t *s)
{
    while (s->slow) {
        slow_load_t *l = s->slow;
        ev_timer_stop(s->loop, &l->timer);
        slow_unlink(s, l);
        l->cb(PV_STORE_EIO, "failstore: closed before the load was answered", NULL, l->ud);
        slow_free(l);
    }
}

static void fs_rooms_list(void *h, const char *after, size_t max, unsigned flags,
                          pv_store_entries_fn cb, void *ud)
{
    failstore_t *s = h;
    if (marker_present(s->load_failfile, "rooms_list", after)) {
        cb(PV_STORE_EIO, "failstore: rooms_list refused (load-failfile exists)", NULL, 0, -1, ud);
        return;
    }
    mem_rooms_list(h, after, max, flags, cb, ud);
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
    slow_fail_all(s);
    pv_map_free(s->mem.rooms, free_room);
    pv_map_free(s->mem.archives, free_archive);
    free(s->failfile);
    free(s->load_failfile);
    free(s);
}

/* A copy of the option's text in *out (NULL when absent or empty); -1 when out of memory. */
static int opt_path(const pv_config_t *cfg, const char *name, char **out)
{
    const char *v = pv_config_str(cfg, name, NULL);
    *out = NULL;
    if (!v || !*v)
        return 0;
    *out = strdup(v);
    return *out ? 0 : -1;
}

static int fs_open(const pv_config_t *cfg, void **handle)
{
    static const char *const known[] = {"type",          "spool",         "failfile", "silent-list",
                                        "load-failfile", "load-delay-ms", NULL};
    if (pv_config_check_known(cfg, known, "failstore") > 0)
        return -1;
    failstore_t *s = calloc(1, sizeof(*s));
    if (!s || opt_path(cfg, "failfile", &s->failfile) < 0 ||
        opt_path(cfg, "load-failfile", &s->load_failfile) < 0 || !(s->mem.rooms = pv_map_new(0)) ||
        !(s->mem.archives = pv_map_new(0))) {
        pv_log(PV_LOG_ERROR, "failstore", "out of memory opening the store");
        fs_close(s);
        return -1;
    }
    s->loop = pv_loop();
    if (pv_config_bool(cfg, "silent-list", false, "failstore", &s->silent_list) < 0 ||
        pv_config_int(cfg, "load-delay-ms", 0, 0, 600000, "failstore", &s->load_delay_ms) < 0) {
        fs_close(s);
        return -1;
    }
    if (!s->failfile && !s->load_failfile && !s->load_delay_ms) {
        fs_close(s);
        return pv_config_error(cfg, "failfile", "<failfile> (the marker file's path) is required");
    }
    if (s->failfile)
        pv_log(PV_LOG_INFO, "failstore", "writes fail while %s exists", s->failfile);
    if (s->load_failfile)
        pv_log(PV_LOG_INFO, "failstore", "loads fail while %s exists", s->load_failfile);
    if (s->load_delay_ms)
        pv_log(PV_LOG_INFO, "failstore", "loads are answered %ld ms late", s->load_delay_ms);
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
    .room_load = fs_room_load,
    .room_put = fs_room_put,
    .room_delete = fs_room_delete,
    .affs_set = fs_affs_set,
    .reg_set = fs_reg_set,
    .archive_append = fs_archive_append,
    .archive_query = mem_archive_query,
    .archive_replace = fs_archive_replace,
    .archive_delete = fs_archive_delete,
    .archive_trim = fs_archive_trim,
    .rooms_list = fs_rooms_list,
};
