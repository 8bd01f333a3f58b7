/*
 * tests/unit/test_store.h: what the files of the storage conformance suite
 * share: the backend under test, a test's context, results copied out of
 * the callbacks, and helpers that call the backend and wait for the answer.
 *
 * test_store.c loads the backends and runs every test on each;
 * test_store_util.c holds the helpers; the tests are in test_store_rooms.c,
 * test_store_archive.c, test_store_robust.c, test_store_scale.c,
 * test_store_list.c, test_store_occupants.c, test_store_lease.c and
 * test_store_pgsql_upgrade.c.
 */
#ifndef PV_TEST_STORE_H
#define PV_TEST_STORE_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
/* cmocka.h needs setjmp.h (and stdarg.h, stddef.h) before it. */
#include <setjmp.h>

#include <cmocka.h>

#include <ev.h>
#include <ltdl.h>

#include <palaver/config.h>
#include <palaver/log.h>
#include <palaver/map.h>
#include <palaver/store.h>
#include <palaver/util.h>
#include <palaver/xml.h>

/* The backend under test. */
typedef struct backend {
    const char *name;
    lt_dlhandle mod;
    const pv_store_t *st; /* the module's own table */
    int persistent; /* data survives close/open */
    int files;      /* keeps its data under a directory we create */
} backend_t;

typedef struct ctx {
    backend_t *be;
    /* The backend as plugins see it (pv_store(): arguments checked by the
     * core, calls timed), set by open_store: the tests call through it. */
    const pv_store_t *st;
    char dir[PATH_MAX]; /* fresh temporary directory of this test */
    pv_el_t *cfg;
    void *h;
} ctx_t;

/* What one call's callback reported, deep-copied (free with res_clear). */
typedef struct res {
    int fired;
    int status;
    char err[512];
    /* room_list */
    char **names;
    size_t nnames;
    /* room_load */
    int has_room;
    char *rname;
    pv_kv_t *config;
    size_t nconfig;
    pv_store_aff_t *affs;
    size_t naffs;
    pv_store_reg_t *regs;
    size_t nregs;
    /* archive_query */
    pv_store_msg_t *msgs;
    size_t nmsgs;
    int complete;
} res_t;

/* core/store_timing.c: the table pv_store() hands plugins. */
const pv_store_t *stats_store_wrap(const pv_store_t *real);

/* ---- test_store_util.c ---- */

/* Runs pv_loop() until *fired (20 s at most: then the test fails). */
void wait_for(const int *fired);
/* Runs pv_loop() for about `seconds`. */
void spin(double seconds);
/* Callbacks recording into the res_t passed as ud. */
void done_cb(int status, const char *error, void *ud);
void names_cb(int status, const char *error, const char *const *names, size_t n, void *ud);
void room_cb(int status, const char *error, const pv_store_room_t *room, void *ud);
void msgs_cb(int status, const char *error, const pv_store_msg_t *msgs, size_t n, int complete,
             void *ud);
void res_clear(res_t *r);
/* Call one operation and wait: the status, or the result in *r. */
int do_put(ctx_t *c, const char *room, const pv_kv_t *kv, size_t n);
int do_delete(ctx_t *c, const char *room);
int do_affs(ctx_t *c, const char *room, const pv_store_aff_t *items, size_t n);
int do_reg(ctx_t *c, const char *room, const char *jid, const char *nick);
int do_append(ctx_t *c, const char *room, const char *id, int64_t stamp, const char *nick,
              const char *jid, const char *xml);
int do_replace(ctx_t *c, const char *room, const char *id, const char *xml);
int do_archive_delete(ctx_t *c, const char *room);
void do_load(ctx_t *c, const char *room, res_t *r);
void do_list(ctx_t *c, res_t *r);
void do_query(ctx_t *c, const char *room, const pv_store_query_t *q, res_t *r);
/* Lookups over results. */
int has_name(const res_t *r, const char *name);
const pv_store_aff_t *find_aff(const res_t *r, const char *jid);
const char *find_reg(const res_t *r, const char *jid);
void assert_ids(const res_t *r, ...);
/* Fixtures. */
void add_opt(pv_el_t *cfg, const char *name, const char *value);
/* Sets c->st, then opens the backend with c->cfg into c->h: its result. */
int open_store(ctx_t *c);
void close_store(ctx_t *c);
/* Appends m1..m10 to room: stamps 1000..10000, nicks alternating Ann/Bob,
 * m3 without a JID. */
void fill_archive(ctx_t *c, const char *room);

/* Programs that test one backend with files (test_store_sqlite_*.c, ...):
 * backend_module_load loads be->name's module from PALAVER_MODULE_DIR into
 * be (0, or -1 after a "Bail out!" line); temp_store_setup, a cmocka setup,
 * makes a fresh directory $TMPDIR/PREFIX-XXXXXX and opens the backend with
 * its <spool> there (the state is the ctx_t); temp_store_teardown closes it
 * and removes the directory. */
int backend_module_load(backend_t *be);
/* Whether the core functions the backends call are linked in (every program
 * that loads one checks it first, see test_store_util.c). 0 or -1. */
int backend_core_linked(void);
void backend_module_unload(backend_t *be);
int temp_store_setup(void **state, backend_t *be, const char *prefix);
int temp_store_teardown(void **state);

/* ---- The tests ---- */
void test_room_put_load(void **state);
void test_room_missing_is_enotfound(void **state);
void test_room_list(void **state);
void test_room_delete_cascades(void **state);
void test_affs_set(void **state);
void test_affs_set_is_atomic(void **state);
void test_reg_set(void **state);
void test_invalid_arguments(void **state);

void test_archive_append_query(void **state);
void test_archive_query_time_range(void **state);
void test_archive_query_after_before(void **state);
void test_archive_query_with_nick(void **state);
void test_archive_query_max_complete(void **state);
void test_archive_query_default_max(void **state);
void test_archive_query_last_page(void **state);
void test_archive_query_unknown_id(void **state);
void test_archive_duplicate_id(void **state);
void test_archive_append_burst(void **state);
void test_archive_replace(void **state);
void test_archive_delete(void **state);
void test_archive_temporary_room(void **state);
void test_archive_trim(void **state);

void test_special_characters(void **state);
void test_long_room_name(void **state);
void test_close_completes_pending(void **state);
void test_open_failure(void **state);
void test_persistence(void **state);
void test_failing_writes(void **state);
void test_failing_readonly_dir(void **state);
void test_failing_corrupt_file(void **state);
void test_slow_database(void **state);
void test_reconnect(void **state);
void test_many_rooms(void **state);

void test_ten_thousand_rooms(void **state);
void test_awkward_room_names(void **state);

void test_rooms_list_paging(void **state);

void test_occupants_put_load_order(void **state);
void test_occupants_replace_remove(void **state);
void test_occupants_invalid(void **state);
void test_occupants_schema_upgrade(void **state);
/* test_store_pgsql_upgrade.c */
void test_pgsql_archive_schema_upgrade(void **state);

void test_lease_acquire_busy_takeover(void **state);
void test_lease_ask_watch(void **state);
void test_lease_fencing(void **state);
void test_rooms_list_after(void **state);
void test_rooms_list_awkward_names(void **state);
void test_rooms_list_changes_between_pages(void **state);
void test_room_load_on_demand(void **state);
void test_rooms_list_older_backend(void **state);

#endif
