/*
 * tests/unit/test_store_scale.c: conformance tests for the room names and
 * the room counts a real service has: ten thousand rooms (put, list, load,
 * delete; the puts issued without waiting, as a busy daemon does), and room
 * names that are awkward for files and databases (XEP-0106 escapes, dots,
 * slashes, quotes, non-ASCII, names that differ only in case or escaping).
 */
#include "test_store.h"

/* ---- Ten thousand rooms ---- */

#define NROOMS 10000

typedef struct tally {
    size_t fired, failed;
    char first_error[256];
} tally_t;

static void tally_cb(int status, const char *error, void *ud)
{
    tally_t *t = ud;
    t->fired++;
    if (status != 0 && t->failed++ == 0)
        snprintf(t->first_error, sizeof(t->first_error), "%d: %s", status,
                 error ? error : "(no message)");
}

/* Runs the loop until n callbacks fired (60 s at most: then the test fails). */
static void wait_tally(const tally_t *t, size_t n)
{
    for (int rounds = 0; rounds < 6000 && t->fired < n; rounds++)
        spin(0.01);
    if (t->fired < n)
        fprintf(stderr, "# only %zu of %zu operations completed\n", t->fired, n);
    assert_true(t->fired >= n);
}

static void room_name(char *buf, size_t size, int i)
{
    snprintf(buf, size, "scale-room-%05d", i);
}

void test_ten_thousand_rooms(void **state)
{
    ctx_t *c = *state;
    char name[32], title[32];
    tally_t t = {0};
    /* Issued back to back: pgsql queues them, the others finish each at once. */
    for (int i = 0; i < NROOMS; i++) {
        room_name(name, sizeof(name), i);
        snprintf(title, sizeof(title), "Room %d", i);
        const pv_kv_t kv[] = {{"roomname", title}, {"persistentroom", "1"}};
        c->st->room_put(c->h, name, kv, 2, tally_cb, &t);
    }
    wait_tally(&t, NROOMS);
    if (t.failed)
        fprintf(stderr, "# %zu puts failed, the first with %s\n", t.failed, t.first_error);
    assert_int_equal(t.failed, 0);

    const pv_store_aff_t a[] = {{"owner@example.org", "owner", NULL},
                                {"spam@example.org", "outcast", "spam"}};
    assert_int_equal(do_affs(c, "scale-room-07777", a, 2), 0);
    assert_int_equal(do_reg(c, "scale-room-07777", "m@example.org", "Em"), 0);

    res_t r;
    do_list(c, &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.nnames, NROOMS);
    /* every name exactly once */
    char *seen = calloc(NROOMS, 1);
    assert_non_null(seen);
    for (size_t i = 0; i < r.nnames; i++) {
        int k = -1;
        assert_int_equal(sscanf(r.names[i], "scale-room-%d", &k), 1);
        assert_true(k >= 0 && k < NROOMS);
        assert_false(seen[k]);
        seen[k] = 1;
    }
    free(seen);
    res_clear(&r);

    const int probe[] = {0, 1, 4999, 7777, NROOMS - 1};
    for (size_t p = 0; p < sizeof(probe) / sizeof(probe[0]); p++) {
        room_name(name, sizeof(name), probe[p]);
        snprintf(title, sizeof(title), "Room %d", probe[p]);
        do_load(c, name, &r);
        assert_int_equal(r.status, 0);
        assert_string_equal(r.rname, name);
        assert_int_equal(r.nconfig, 2);
        assert_string_equal(r.config[0].key, "roomname");
        assert_string_equal(r.config[0].value, title);
        assert_int_equal(r.naffs, probe[p] == 7777 ? 2 : 0);
        assert_int_equal(r.nregs, probe[p] == 7777 ? 1 : 0);
        res_clear(&r);
    }
    if (c->be->persistent) { /* the same after a restart */
        close_store(c);
        assert_int_equal(open_store(c), 0);
        do_list(c, &r);
        assert_int_equal(r.nnames, NROOMS);
        res_clear(&r);
        do_load(c, "scale-room-07777", &r);
        assert_int_equal(r.status, 0);
        assert_string_equal(find_aff(&r, "spam@example.org")->reason, "spam");
        assert_string_equal(find_reg(&r, "m@example.org"), "Em");
        res_clear(&r);
    }

    memset(&t, 0, sizeof(t));
    for (int i = 0; i < NROOMS; i++) {
        room_name(name, sizeof(name), i);
        c->st->room_delete(c->h, name, tally_cb, &t);
    }
    wait_tally(&t, NROOMS);
    if (t.failed)
        fprintf(stderr, "# %zu deletes failed, the first with %s\n", t.failed, t.first_error);
    assert_int_equal(t.failed, 0);
    do_list(c, &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.nnames, 0);
    res_clear(&r);
    do_load(c, "scale-room-07777", &r);
    assert_int_equal(r.status, PV_STORE_ENOTFOUND);
    res_clear(&r);
}

/* ---- Awkward room names ---- */

static const char *const awkward[] = {
    "inner\\20chamber",          /* XEP-0106: "inner chamber" */
    "inner chamber",             /* ...and the unescaped form, a different room */
    "d\\27artagnan\\40musketeers", /* d'artagnan@musketeers escaped */
    "c\\3a\\5c\\2f\\3c\\3e\\26",   /* : \ / < > & escaped */
    "back\\slash",
    ".",
    "..",
    "...",
    ".hidden",
    "a.b",
    "lounge.room", /* the spool's own file suffixes */
    "lounge.archive",
    "a/b",
    "../../etc/passwd",
    "/absolute",
    "it's",
    "say \"hi\"",
    "caf\xc3\xa9",
    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
    "\xf0\x9f\x98\x80",
    "Lounge", /* differs from "lounge" only in case */
    "%6Counge", /* what the spool would write "lounge" as, escaped */
    "~0123456789abcdef0123456789abcdef01234567", /* looks like a hashed spool name */
    "tab\there",
    "-",
    "_",
    "x%",
};
#define NAWKWARD (sizeof(awkward) / sizeof(awkward[0]))

static void check_awkward(ctx_t *c)
{
    res_t r;
    do_list(c, &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.nnames, NAWKWARD + 1);
    for (size_t i = 0; i < NAWKWARD; i++) {
        if (!has_name(&r, awkward[i]))
            fprintf(stderr, "# room list lacks '%s'\n", awkward[i]);
        assert_true(has_name(&r, awkward[i]));
    }
    assert_true(has_name(&r, "lounge"));
    res_clear(&r);
    for (size_t i = 0; i < NAWKWARD; i++) {
        do_load(c, awkward[i], &r);
        assert_int_equal(r.status, 0);
        assert_string_equal(r.rname, awkward[i]);
        assert_int_equal(r.nconfig, 1);
        assert_string_equal(r.config[0].value, awkward[i]);
        assert_int_equal(r.naffs, 1);
        assert_string_equal(r.affs[0].reason, awkward[i]);
        assert_int_equal(r.nregs, 1);
        assert_string_equal(r.regs[0].nick, awkward[i]);
        res_clear(&r);
        do_query(c, awkward[i], NULL, &r);
        assert_int_equal(r.status, 0);
        assert_int_equal(r.nmsgs, 1);
        assert_string_equal(r.msgs[0].xml, awkward[i]);
        res_clear(&r);
    }
}

void test_awkward_room_names(void **state)
{
    ctx_t *c = *state;
    assert_int_equal(do_put(c, "lounge", NULL, 0), 0);
    for (size_t i = 0; i < NAWKWARD; i++) {
        const pv_kv_t kv[] = {{"roomname", awkward[i]}};
        assert_int_equal(do_put(c, awkward[i], kv, 1), 0);
        const pv_store_aff_t a[] = {{"o@example.org", "owner", awkward[i]}};
        assert_int_equal(do_affs(c, awkward[i], a, 1), 0);
        assert_int_equal(do_reg(c, awkward[i], "o@example.org", awkward[i]), 0);
        assert_int_equal(do_append(c, awkward[i], "m1", 1, "n", NULL, awkward[i]), 0);
    }
    check_awkward(c);
    res_t r;
    do_load(c, "lounge", &r); /* "Lounge" and "%6Counge" did not touch it */
    assert_int_equal(r.status, 0);
    assert_int_equal(r.nconfig, 0);
    assert_int_equal(r.naffs, 0);
    res_clear(&r);
    if (c->be->persistent) {
        close_store(c);
        assert_int_equal(open_store(c), 0);
        check_awkward(c);
    }
    /* Deleting one leaves every other intact. */
    for (size_t i = 0; i < NAWKWARD; i++) {
        assert_int_equal(do_delete(c, awkward[i]), 0);
        do_load(c, awkward[i], &r);
        assert_int_equal(r.status, PV_STORE_ENOTFOUND);
        res_clear(&r);
        do_query(c, awkward[i], NULL, &r);
        assert_int_equal(r.nmsgs, 0);
        res_clear(&r);
        for (size_t j = i + 1; j < NAWKWARD; j++) {
            do_load(c, awkward[j], &r);
            assert_int_equal(r.status, 0);
            assert_string_equal(r.config[0].value, awkward[j]);
            res_clear(&r);
        }
    }
    do_list(c, &r);
    assert_int_equal(r.nnames, 1);
    assert_true(has_name(&r, "lounge"));
    res_clear(&r);
}
