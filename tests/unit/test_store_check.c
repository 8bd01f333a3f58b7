/*
 * tests/unit/test_store_check.c: the storage interface's argument rules
 * live in the core (core/store_check.c), applied by the table pv_store()
 * hands plugins (core/store_timing.c), so a backend, ours or a site's,
 * never sees a caller bug: each operation with a bad argument is answered
 * PV_STORE_EINVAL with its message, the callback's other arguments empty,
 * and the backend is not called; a caller without a callback is fine; good
 * arguments reach the backend unchanged. (tests/unit/test_store_*.c run
 * the same rules through every real backend.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <palaver/store.h>

#include "stats.h"
#include "store_check.h"

/* ---- A backend that counts the calls reaching it ---- */

static int calls;

static void be_done(pv_store_done_fn cb, void *ud)
{
    calls++;
    if (cb)
        cb(PV_STORE_OK, NULL, ud);
}

static void be_load(void *h, const char *name, pv_store_room_fn cb, void *ud)
{
    (void)h, (void)name;
    calls++;
    cb(PV_STORE_ENOTFOUND, "no such room", NULL, ud);
}

static void be_put(void *h, const char *name, const pv_kv_t *c, size_t n, pv_store_done_fn cb,
                   void *ud)
{
    (void)h, (void)name, (void)c, (void)n;
    be_done(cb, ud);
}

static void be_room(void *h, const char *name, pv_store_done_fn cb, void *ud)
{
    (void)h, (void)name;
    be_done(cb, ud);
}

static void be_affs(void *h, const char *room, const pv_store_aff_t *items, size_t n,
                    pv_store_done_fn cb, void *ud)
{
    (void)h, (void)room, (void)items, (void)n;
    be_done(cb, ud);
}

static void be_reg(void *h, const char *room, const char *jid, const char *nick,
                   pv_store_done_fn cb, void *ud)
{
    (void)h, (void)room, (void)jid, (void)nick;
    be_done(cb, ud);
}

static void be_append(void *h, const char *room, const pv_store_msg_t *m, pv_store_done_fn cb,
                      void *ud)
{
    (void)h, (void)room, (void)m;
    be_done(cb, ud);
}

static void be_query(void *h, const char *room, const pv_store_query_t *q, pv_store_msgs_fn cb,
                     void *ud)
{
    (void)h, (void)room, (void)q;
    calls++;
    cb(PV_STORE_OK, NULL, NULL, 0, 1, ud);
}

static void be_replace(void *h, const char *room, const char *id, const char *xml,
                       pv_store_done_fn cb, void *ud)
{
    (void)h, (void)room, (void)id, (void)xml;
    be_done(cb, ud);
}

static void be_trim(void *h, const char *room, int64_t before, size_t keep, pv_store_done_fn cb,
                    void *ud)
{
    (void)h, (void)room, (void)before, (void)keep;
    be_done(cb, ud);
}

static void be_list(void *h, const char *after, size_t max, unsigned flags, pv_store_entries_fn cb,
                    void *ud)
{
    (void)h, (void)after, (void)max, (void)flags;
    calls++;
    cb(PV_STORE_OK, NULL, NULL, 0, 0, ud);
}

static void be_acquire(void *h, const char *room, const char *instance, int ttl_ms,
                       void (*cb)(int, const char *, int64_t, const char *, void *), void *ud)
{
    (void)h, (void)room, (void)ttl_ms;
    calls++;
    cb(PV_STORE_OK, NULL, 1, instance, ud);
}

static void be_renew(void *h, const char *instance, int ttl_ms,
                     void (*cb)(int, const char *, const char *const *, size_t, void *), void *ud)
{
    (void)h, (void)instance, (void)ttl_ms;
    calls++;
    cb(PV_STORE_OK, NULL, NULL, 0, ud);
}

static void be_lease(void *h, const char *room, const char *who, pv_store_done_fn cb, void *ud)
{
    (void)h, (void)room, (void)who;
    be_done(cb, ud);
}

static void be_occ_put(void *h, const char *room, const char *nick, const char *data,
                       pv_store_done_fn cb, void *ud)
{
    (void)h, (void)room, (void)nick, (void)data;
    be_done(cb, ud);
}

static void be_occ_load(void *h, const char *room,
                        void (*cb)(int, const char *, const pv_kv_t *, size_t, void *), void *ud)
{
    (void)h, (void)room;
    calls++;
    cb(PV_STORE_OK, NULL, NULL, 0, ud);
}

static const pv_store_t counting = {
    .size = sizeof(pv_store_t),
    .abi_major = PV_STORE_ABI_MAJOR,
    .abi_minor = PV_STORE_ABI_MINOR,
    .name = "counting",
    .room_load = be_load,
    .room_put = be_put,
    .room_delete = be_room,
    .affs_set = be_affs,
    .reg_set = be_reg,
    .archive_append = be_append,
    .archive_query = be_query,
    .archive_replace = be_replace,
    .archive_delete = be_room,
    .archive_trim = be_trim,
    .rooms_list = be_list,
    .lease_acquire = be_acquire,
    .lease_renew = be_renew,
    .lease_release = be_lease,
    .lease_ask = be_lease,
    .occupant_put = be_occ_put,
    .occupants_load = be_occ_load,
};

/* ---- What the caller got ---- */

typedef struct got {
    int fired, status;
    char error[128];
    int others_empty; /* every argument after `error` is NULL or 0 */
} got_t;

static void record(got_t *g, int status, const char *error, int others_empty)
{
    g->fired++;
    g->status = status;
    snprintf(g->error, sizeof g->error, "%s", error ? error : "");
    g->others_empty = others_empty;
}

static void on_done(int status, const char *error, void *ud)
{
    record(ud, status, error, 1);
}

static void on_room(int status, const char *error, const pv_store_room_t *room, void *ud)
{
    record(ud, status, error, room == NULL);
}

static void on_msgs(int status, const char *error, const pv_store_msg_t *msgs, size_t n,
                    int complete, void *ud)
{
    record(ud, status, error, !msgs && !n && !complete);
}

static void on_entries(int status, const char *error, const pv_store_room_entry_t *rooms, size_t n,
                       long long count, void *ud)
{
    record(ud, status, error, !rooms && !n && count == -1);
}

static void on_acquired(int status, const char *error, int64_t epoch, const char *holder, void *ud)
{
    record(ud, status, error, !epoch && !holder);
}

static void on_renewed(int status, const char *error, const char *const *lost, size_t n, void *ud)
{
    record(ud, status, error, !lost && !n);
}

static void on_occupants(int status, const char *error, const pv_kv_t *occ, size_t n, void *ud)
{
    record(ud, status, error, !occ && !n);
}

/* The call was refused with this message, the backend untouched. */
static void assert_refused(const got_t *g, const char *message)
{
    assert_int_equal(g->fired, 1);
    assert_int_equal(g->status, PV_STORE_EINVAL);
    assert_string_equal(g->error, message);
    assert_true(g->others_empty);
    assert_int_equal(calls, 0);
}

#define CALL(expr, message)                                                                        \
    do {                                                                                           \
        got_t g = {0};                                                                             \
        calls = 0;                                                                                 \
        expr;                                                                                      \
        assert_refused(&g, message);                                                               \
    } while (0)

static const char NO_ROOM[] = "room name is NULL or empty";

static void test_every_room_operation_refuses_a_missing_room(void **state)
{
    (void)state;
    const pv_store_t *st = stats_store_wrap(&counting);
    pv_store_msg_t m = {.id = "1", .xml = "<m/>"};
    for (int empty = 0; empty < 2; empty++) {
        const char *r = empty ? "" : NULL;
        CALL(st->room_load(NULL, r, on_room, &g), NO_ROOM);
        CALL(st->room_put(NULL, r, NULL, 0, on_done, &g), NO_ROOM);
        CALL(st->room_delete(NULL, r, on_done, &g), NO_ROOM);
        CALL(st->affs_set(NULL, r, NULL, 0, on_done, &g), NO_ROOM);
        CALL(st->reg_set(NULL, r, "a@b", "A", on_done, &g), NO_ROOM);
        CALL(st->archive_append(NULL, r, &m, on_done, &g), NO_ROOM);
        CALL(st->archive_query(NULL, r, NULL, on_msgs, &g), NO_ROOM);
        CALL(st->archive_replace(NULL, r, "1", "<m/>", on_done, &g), NO_ROOM);
        CALL(st->archive_delete(NULL, r, on_done, &g), NO_ROOM);
        CALL(st->archive_trim(NULL, r, 0, 1, on_done, &g), NO_ROOM);
        CALL(st->lease_acquire(NULL, r, "i1", 1000, on_acquired, &g), NO_ROOM);
        CALL(st->lease_release(NULL, r, "i1", on_done, &g), NO_ROOM);
        CALL(st->lease_ask(NULL, r, "i1", on_done, &g), NO_ROOM);
        CALL(st->occupant_put(NULL, r, "n", "d", on_done, &g), NO_ROOM);
        CALL(st->occupants_load(NULL, r, on_occupants, &g), NO_ROOM);
    }
}

static void test_each_rule_has_its_message(void **state)
{
    (void)state;
    const pv_store_t *st = stats_store_wrap(&counting);
    const pv_kv_t nokey[] = {{"k", "v"}, {"", "v"}}, noval[] = {{"k", NULL}};
    CALL(st->room_put(NULL, "r", NULL, 1, on_done, &g), "config array is NULL");
    CALL(st->room_put(NULL, "r", nokey, 2, on_done, &g),
         "config item with a NULL or empty key or a NULL value");
    CALL(st->room_put(NULL, "r", noval, 1, on_done, &g),
         "config item with a NULL or empty key or a NULL value");
    const pv_store_aff_t nojid[] = {{"a@b", "owner", NULL}, {NULL, "admin", NULL}},
                         noaff[] = {{"a@b", "", NULL}};
    CALL(st->affs_set(NULL, "r", NULL, 1, on_done, &g), "affiliation array is NULL");
    CALL(st->affs_set(NULL, "r", nojid, 2, on_done, &g),
         "affiliation item with a NULL or empty jid");
    CALL(st->affs_set(NULL, "r", noaff, 1, on_done, &g),
         "affiliation item with a NULL or empty affiliation");
    CALL(st->reg_set(NULL, "r", "", "A", on_done, &g), "registration with a NULL or empty jid");
    pv_store_msg_t noid = {.xml = "<m/>"}, noxml = {.id = "1"};
    CALL(st->archive_append(NULL, "r", NULL, on_done, &g), "message is NULL");
    CALL(st->archive_append(NULL, "r", &noid, on_done, &g), "message id is NULL or empty");
    CALL(st->archive_append(NULL, "r", &noxml, on_done, &g), "message xml is NULL");
    CALL(st->archive_replace(NULL, "r", "", "<m/>", on_done, &g), "message id is NULL or empty");
    CALL(st->archive_replace(NULL, "r", "1", NULL, on_done, &g), "replacement xml is NULL");
    CALL(st->rooms_list(NULL, NULL, 10, 4, on_entries, &g), "unknown rooms_list flags");
    CALL(st->lease_acquire(NULL, "r", "", 1000, on_acquired, &g), "instance name is NULL or empty");
    CALL(st->lease_acquire(NULL, "r", "i1", 0, on_acquired, &g), "lease time must be positive");
    CALL(st->lease_renew(NULL, NULL, 1000, on_renewed, &g), "instance name is NULL or empty");
    CALL(st->lease_renew(NULL, "i1", -5, on_renewed, &g), "lease time must be positive");
    CALL(st->lease_release(NULL, "r", NULL, on_done, &g), "instance name is NULL or empty");
    CALL(st->lease_ask(NULL, "r", "", on_done, &g), "instance name is NULL or empty");
    CALL(st->occupant_put(NULL, "r", "", "d", on_done, &g), "occupant nick is NULL or empty");
}

/* A caller that wants no answer (cb NULL) is refused quietly. */
static void test_refusal_without_a_callback(void **state)
{
    (void)state;
    const pv_store_t *st = stats_store_wrap(&counting);
    calls = 0;
    st->room_put(NULL, NULL, NULL, 0, NULL, NULL);
    st->archive_append(NULL, "r", NULL, NULL, NULL);
    assert_int_equal(calls, 0);
}

/* Good arguments, including the optional ones left out, reach the backend. */
static void test_good_arguments_reach_the_backend(void **state)
{
    (void)state;
    const pv_store_t *st = stats_store_wrap(&counting);
    const pv_kv_t kv[] = {{"k", ""}};
    const pv_store_aff_t none[] = {{"a@b", "none", NULL}};
    pv_store_msg_t m = {.id = "1", .xml = "<m/>"}; /* no nick, no jid */
    got_t g = {0};
    calls = 0;
    st->room_put(NULL, "r", kv, 1, on_done, &g);
    st->room_put(NULL, "r", NULL, 0, on_done, &g);
    st->affs_set(NULL, "r", none, 1, on_done, &g);
    st->reg_set(NULL, "r", "a@b", NULL, on_done, &g); /* NULL nick: removal */
    st->archive_append(NULL, "r", &m, on_done, &g);
    st->archive_query(NULL, "r", NULL, on_msgs, &g);
    st->rooms_list(NULL, NULL, 0, PV_STORE_LIST_PUBLIC | PV_STORE_LIST_COUNT, on_entries, &g);
    st->lease_renew(NULL, "i1", 1, on_renewed, &g);
    st->occupant_put(NULL, "r", "n", NULL, on_done, &g); /* NULL data: removal */
    assert_int_equal(calls, 9);
    assert_int_equal(g.fired, 9);
    assert_int_equal(g.status, PV_STORE_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_room_operation_refuses_a_missing_room),
        cmocka_unit_test(test_each_rule_has_its_message),
        cmocka_unit_test(test_refusal_without_a_callback),
        cmocka_unit_test(test_good_arguments_reach_the_backend),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
