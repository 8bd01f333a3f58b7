/*
 * tests/unit/test_store_sqlite_batch.c: the SQLite backend's start-up path.
 * muc-core loads every stored room from room_list's callback; the backend
 * serves those loads from one read transaction and three table scans in
 * room id order (backends/sqlite/rooms.c). These tests check that every
 * load made that way returns exactly what a load made on its own returns,
 * whatever the order of names and ids, with rooms deleted, updated and
 * unstored in between; that loads out of list order and of unknown rooms
 * still answer right; and that a write made from inside the callback ends
 * the batch and is durable (seen after closing and reopening the file).
 *
 * Uses the conformance suite's helpers (test_store_util.c).
 */
#include "test_store.h"

static backend_t sqlite_be = {.name = "sqlite", .persistent = 1, .files = 1};

static int setup(void **state)
{
    return temp_store_setup(state, &sqlite_be, "pv-batch");
}

static int teardown(void **state)
{
    return temp_store_teardown(state);
}

/* Rooms whose ids are not in name order, some updated, one deleted (a
 * hole in the ids), one with an archive only (a rooms row not stored). */
#define NROOMS 6
static const char *const stored_names[NROOMS] = {"zeta", "alpha", "mid", "gamma", "b", "last"};

static void populate(ctx_t *c)
{
    const pv_kv_t k1[] = {{"persistent", "1"}, {"roomname", "Zeta"}};
    const pv_kv_t k2[] = {{"persistent", "1"}, {"public", "0"}, {"roomdesc", "A"}};
    const pv_kv_t k3[] = {{"persistent", "1"}};
    assert_int_equal(do_put(c, "zeta", k1, 2), 0);
    assert_int_equal(do_put(c, "alpha", k2, 3), 0);
    assert_int_equal(do_put(c, "gone", k3, 1), 0);
    assert_int_equal(do_append(c, "temp", "m1", 1000, "Ann", NULL, "<message/>"), 0);
    assert_int_equal(do_put(c, "mid", NULL, 0), 0); /* no config rows at all */
    assert_int_equal(do_put(c, "gamma", k3, 1), 0);
    const pv_store_aff_t gone_affs[] = {{"x@example.org", "owner", NULL}};
    assert_int_equal(do_affs(c, "gone", gone_affs, 1), 0);
    assert_int_equal(do_reg(c, "gone", "x@example.org", "X"), 0);
    assert_int_equal(do_delete(c, "gone"), 0);
    assert_int_equal(do_put(c, "b", k1, 2), 0);
    assert_int_equal(do_put(c, "last", k3, 1), 0);
    const pv_kv_t k4[] = {{"persistent", "1"}, {"roomname", "Alpha again"}};
    assert_int_equal(do_put(c, "alpha", k4, 2), 0); /* replaced: same id */
    const pv_store_aff_t a1[] = {{"o@example.org", "owner", NULL},
                                 {"bad@example.org", "outcast", "spam"},
                                 {"m@example.org", "member", NULL}};
    assert_int_equal(do_affs(c, "alpha", a1, 3), 0);
    assert_int_equal(do_affs(c, "last", a1, 1), 0);
    assert_int_equal(do_affs(c, "zeta", a1 + 1, 2), 0);
    assert_int_equal(do_reg(c, "alpha", "m@example.org", "Em"), 0);
    assert_int_equal(do_reg(c, "alpha", "o@example.org", "Oh"), 0);
    assert_int_equal(do_reg(c, "last", "o@example.org", "Oh"), 0);
}

static void assert_same_room(const res_t *a, const res_t *b)
{
    assert_int_equal(a->status, b->status);
    assert_int_equal(a->has_room, b->has_room);
    if (!a->has_room)
        return;
    assert_string_equal(a->rname, b->rname);
    assert_int_equal(a->nconfig, b->nconfig);
    for (size_t i = 0; i < a->nconfig; i++) {
        assert_string_equal(a->config[i].key, b->config[i].key);
        assert_string_equal(a->config[i].value, b->config[i].value);
    }
    assert_int_equal(a->naffs, b->naffs);
    for (size_t i = 0; i < a->naffs; i++) {
        assert_string_equal(a->affs[i].jid, b->affs[i].jid);
        assert_string_equal(a->affs[i].affiliation, b->affs[i].affiliation);
        if (a->affs[i].reason || b->affs[i].reason)
            assert_string_equal(a->affs[i].reason ? a->affs[i].reason : "(none)",
                                b->affs[i].reason ? b->affs[i].reason : "(none)");
    }
    assert_int_equal(a->nregs, b->nregs);
    for (size_t i = 0; i < a->nregs; i++) {
        assert_string_equal(a->regs[i].jid, b->regs[i].jid);
        assert_string_equal(a->regs[i].nick, b->regs[i].nick);
    }
}

/* What the loads made from inside the list callback saw. */
enum mode { IN_ORDER, REVERSED, WITH_WRITE, WITH_UNKNOWN };
typedef struct inside {
    ctx_t *c;
    enum mode mode;
    int listed;
    size_t n;
    char *names[NROOMS + 2];
    res_t loads[NROOMS + 2];
    int write_status;
    res_t unknown;
} inside_t;

static void load_into(inside_t *in, size_t i)
{
    in->c->st->room_load(in->c->h, in->names[i], room_cb, &in->loads[i]);
    assert_int_equal(in->loads[i].fired, 1); /* SQLite answers before returning */
}

static void list_cb(int status, const char *error, const char *const *names, size_t n, void *ud)
{
    (void)error;
    inside_t *in = ud;
    in->listed = 1;
    assert_int_equal(status, PV_STORE_OK);
    assert_true(n <= NROOMS + 2);
    in->n = n;
    for (size_t i = 0; i < n; i++)
        in->names[i] = strdup(names[i]);
    for (size_t k = 0; k < n; k++) {
        size_t i = in->mode == REVERSED ? n - 1 - k : k;
        if (in->mode == WITH_UNKNOWN && k == 2) {
            in->c->st->room_load(in->c->h, "nosuch", room_cb, &in->unknown);
            assert_int_equal(in->unknown.fired, 1);
        }
        load_into(in, i);
        if (in->mode == WITH_WRITE && k == 1) {
            const pv_kv_t kv[] = {{"persistent", "1"}, {"roomname", "Made meanwhile"}};
            in->write_status = do_put(in->c, "newroom", kv, 2);
            assert_int_equal(do_reg(in->c, "newroom", "n@example.org", "En"), 0);
        }
    }
}

static void run_inside(ctx_t *c, enum mode mode)
{
    populate(c);
    inside_t in = {.c = c, .mode = mode, .write_status = -1};
    c->st->room_list(c->h, list_cb, &in);
    assert_int_equal(in.listed, 1);
    assert_int_equal(in.n, NROOMS);
    for (size_t i = 0; i < NROOMS; i++) {
        int found = 0;
        for (size_t k = 0; k < in.n; k++)
            found += !strcmp(in.names[k], stored_names[i]);
        assert_int_equal(found, 1);
    }
    /* Each room as loaded on its own, after the list returned. */
    for (size_t i = 0; i < in.n; i++) {
        res_t alone;
        do_load(c, in.names[i], &alone);
        assert_int_equal(alone.status, PV_STORE_OK);
        assert_same_room(&in.loads[i], &alone);
        res_clear(&alone);
    }
    if (mode == WITH_UNKNOWN)
        assert_int_equal(in.unknown.status, PV_STORE_ENOTFOUND);
    if (mode == WITH_WRITE) {
        assert_int_equal(in.write_status, 0);
        close_store(c); /* the write is on disk, not held in a read transaction */
        assert_int_equal(open_store(c), 0);
        res_t r;
        do_load(c, "newroom", &r);
        assert_int_equal(r.status, PV_STORE_OK);
        assert_int_equal(r.nconfig, 2);
        assert_string_equal(r.config[1].value, "Made meanwhile");
        assert_string_equal(find_reg(&r, "n@example.org"), "En");
        res_clear(&r);
    }
    /* Spot checks against what populate() stored. */
    for (size_t i = 0; i < in.n; i++) {
        if (!strcmp(in.names[i], "alpha")) {
            assert_int_equal(in.loads[i].nconfig, 2);
            assert_string_equal(in.loads[i].config[1].value, "Alpha again");
            assert_int_equal(in.loads[i].naffs, 3);
            assert_string_equal(find_aff(&in.loads[i], "bad@example.org")->reason, "spam");
            assert_string_equal(find_reg(&in.loads[i], "m@example.org"), "Em");
            assert_int_equal(in.loads[i].nregs, 2);
        } else if (!strcmp(in.names[i], "mid")) {
            assert_int_equal(in.loads[i].nconfig, 0);
            assert_int_equal(in.loads[i].naffs, 0);
        } else if (!strcmp(in.names[i], "zeta")) {
            assert_int_equal(in.loads[i].naffs, 2);
            assert_int_equal(in.loads[i].nregs, 0);
        }
    }
    for (size_t i = 0; i < in.n; i++) {
        free(in.names[i]);
        res_clear(&in.loads[i]);
    }
    res_clear(&in.unknown);
}

static void test_loads_in_list_order_match_single_loads(void **state)
{
    run_inside(*state, IN_ORDER);
}

static void test_loads_out_of_order_match_single_loads(void **state)
{
    run_inside(*state, REVERSED);
}

static void test_unknown_room_inside_the_list(void **state)
{
    run_inside(*state, WITH_UNKNOWN);
}

static void test_write_inside_the_list_is_durable(void **state)
{
    run_inside(*state, WITH_WRITE);
}

/* Many rooms with ids interleaved with deleted ones: each gets its own rows. */
typedef struct many {
    ctx_t *c;
    size_t n, ok;
} many_t;

static void many_cb(int status, const char *error, const char *const *names, size_t n, void *ud)
{
    (void)error;
    many_t *m = ud;
    assert_int_equal(status, PV_STORE_OK);
    m->n = n;
    for (size_t i = 0; i < n; i++) {
        res_t r = {0};
        m->c->st->room_load(m->c->h, names[i], room_cb, &r);
        assert_int_equal(r.status, PV_STORE_OK);
        char title[48], jid[64];
        snprintf(title, sizeof title, "Title %s", names[i]);
        snprintf(jid, sizeof jid, "owner-%s@example.org", names[i]);
        assert_int_equal(r.nconfig, 1);
        assert_string_equal(r.config[0].value, title);
        assert_int_equal(r.naffs, 1);
        assert_string_equal(r.affs[0].jid, jid);
        m->ok++;
        res_clear(&r);
    }
}

static void test_many_rooms_each_gets_its_rows(void **state)
{
    ctx_t *c = *state;
    char name[32], title[48], jid[64];
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof name, "r%03d", (i * 7) % 300); /* ids not in name order */
        snprintf(title, sizeof title, "Title %s", name);
        const pv_kv_t kv[] = {{"roomname", title}};
        assert_int_equal(do_put(c, name, kv, 1), 0);
        snprintf(jid, sizeof jid, "owner-%s@example.org", name);
        const pv_store_aff_t a[] = {{jid, "owner", NULL}};
        assert_int_equal(do_affs(c, name, a, 1), 0);
        if (i % 3 == 0)
            assert_int_equal(do_delete(c, name), 0);
    }
    many_t m = {c, 0, 0};
    c->st->room_list(c->h, many_cb, &m);
    assert_int_equal(m.n, 200);
    assert_int_equal(m.ok, 200);
}

int main(void)
{
    if (backend_module_load(&sqlite_be) < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_loads_in_list_order_match_single_loads, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_loads_out_of_order_match_single_loads, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unknown_room_inside_the_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_inside_the_list_is_durable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_rooms_each_gets_its_rows, setup, teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    backend_module_unload(&sqlite_be);
    return failed ? 1 : 0;
}
