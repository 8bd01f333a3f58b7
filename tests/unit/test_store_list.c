/*
 * tests/unit/test_store_list.c: conformance tests for listing stored rooms
 * page by page without loading them (rooms_list, for disco#items with
 * XEP-0059 paging) and for loading one room on first use (room_load):
 * ten thousand rooms in pages of a hundred, each once and in byte order;
 * public rooms only; a starting name past the end or not stored; awkward
 * names; rooms added and deleted between pages; the count; and a backend
 * built before rooms_list existed, which callers can tell.
 */
#include "test_store.h"

/* One page, deep-copied out of the callback. */
typedef struct page {
    int fired, status;
    char **names, **titles;
    int *pub;
    size_t n;
    long long count;
} page_t;

static char *dupn(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void page_cb(int status, const char *error, const pv_store_room_entry_t *rooms, size_t n,
                    long long count, void *ud)
{
    page_t *p = ud;
    assert_int_equal(p->fired, 0);
    p->fired = 1;
    p->status = status;
    p->count = count;
    if (status != 0) {
        assert_true(error && *error);
        return;
    }
    p->names = calloc(n + 1, sizeof(char *));
    p->titles = calloc(n + 1, sizeof(char *));
    p->pub = calloc(n + 1, sizeof(int));
    for (size_t i = 0; i < n; i++) {
        p->names[i] = strdup(rooms[i].name);
        p->titles[i] = dupn(rooms[i].title);
        p->pub[i] = rooms[i].is_public;
    }
    p->n = n;
}

static void page_clear(page_t *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->names[i]);
        free(p->titles[i]);
    }
    free(p->names);
    free(p->titles);
    free(p->pub);
    memset(p, 0, sizeof(*p));
}

static void do_page(ctx_t *c, const char *after, size_t max, unsigned flags, page_t *p)
{
    memset(p, 0, sizeof(*p));
    assert_true(PV_STORE_HAS(c->be->st, rooms_list));
    c->st->rooms_list(c->h, after, max, flags, page_cb, p);
    wait_for(&p->fired);
}

/* The count asked for: every backend knows it, but spool for public rooms. */
static void check_count(ctx_t *c, const page_t *p, unsigned flags, long long want)
{
    if (p->count != want)
        fprintf(stderr, "# %s: count %lld, expected %lld (flags %u)\n", c->be->name, p->count,
                want, flags);
    if (strcmp(c->be->name, "spool") == 0 && (flags & PV_STORE_LIST_PUBLIC))
        assert_int_equal(p->count, -1);
    else
        assert_int_equal(p->count, want);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Pages through every room (flags) in pages of `size`; asserts they come
 * in strictly increasing byte order and returns how many there were. */
static size_t walk(ctx_t *c, size_t size, unsigned flags, char ***out)
{
    char *after = NULL, **all = NULL;
    size_t total = 0;
    for (;;) {
        page_t p;
        do_page(c, after, size, flags, &p);
        assert_int_equal(p.status, 0);
        assert_true(p.n <= size);
        all = realloc(all, (total + p.n + 1) * sizeof(char *));
        for (size_t i = 0; i < p.n; i++) {
            if (after)
                assert_true(strcmp(after, p.names[i]) < 0);
            free(after);
            after = strdup(p.names[i]);
            all[total++] = strdup(p.names[i]);
            if (flags & PV_STORE_LIST_PUBLIC)
                assert_true(p.pub[i]);
        }
        size_t got = p.n;
        page_clear(&p);
        if (got < size)
            break;
    }
    free(after);
    if (out)
        *out = all;
    else {
        for (size_t i = 0; i < total; i++)
            free(all[i]);
        free(all);
    }
    return total;
}

/* ---- Ten thousand rooms in pages of a hundred ---- */

#define NROOMS 10000

typedef struct tally {
    size_t fired, failed;
} tally_t;

static void tally_cb(int status, const char *error, void *ud)
{
    (void)error;
    tally_t *t = ud;
    t->fired++;
    t->failed += status != 0;
}

static void wait_tally(const tally_t *t, size_t n)
{
    for (int rounds = 0; rounds < 6000 && t->fired < n; rounds++)
        spin(0.01);
    assert_true(t->fired >= n);
    assert_int_equal(t->failed, 0);
}

/* room i is public when i % 3 == 0; every fifth has no display name */
static void put_many(ctx_t *c, int n)
{
    tally_t t = {0};
    char name[32], title[32];
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "list-%05d", i);
        snprintf(title, sizeof(title), "Room %d", i);
        const pv_kv_t kv[] = {{"persistent", "1"},
                              {"public", i % 3 == 0 ? "1" : "0"},
                              {"roomname", i % 5 == 0 ? "" : title}};
        c->st->room_put(c->h, name, kv, 3, tally_cb, &t);
    }
    wait_tally(&t, (size_t)n);
}

static void delete_many(ctx_t *c, int n)
{
    tally_t t = {0};
    char name[32];
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "list-%05d", i);
        c->st->room_delete(c->h, name, tally_cb, &t);
    }
    wait_tally(&t, (size_t)n);
}

void test_rooms_list_paging(void **state)
{
    ctx_t *c = *state;
    put_many(c, NROOMS);
    char **all;
    assert_int_equal(walk(c, 100, 0, &all), NROOMS);
    for (int i = 0; i < NROOMS; i++) { /* every room once, in order */
        char name[32];
        snprintf(name, sizeof(name), "list-%05d", i);
        assert_string_equal(all[i], name);
        free(all[i]);
    }
    free(all);
    assert_int_equal(walk(c, 100, PV_STORE_LIST_PUBLIC, &all), (NROOMS + 2) / 3);
    for (int i = 0; i < (NROOMS + 2) / 3; i++) {
        char name[32];
        snprintf(name, sizeof(name), "list-%05d", i * 3);
        assert_string_equal(all[i], name);
        free(all[i]);
    }
    free(all);

    page_t p;
    do_page(c, NULL, 0, PV_STORE_LIST_COUNT, &p); /* max 0: a page of 100 */
    assert_int_equal(p.status, 0);
    assert_int_equal(p.n, 100);
    check_count(c, &p, 0, NROOMS);
    assert_string_equal(p.names[0], "list-00000");
    assert_null(p.titles[0]); /* an empty display name is none */
    assert_string_equal(p.titles[1], "Room 1");
    assert_true(p.pub[0]);
    assert_false(p.pub[1]);
    page_clear(&p);
    do_page(c, "list-05000", 10, PV_STORE_LIST_PUBLIC | PV_STORE_LIST_COUNT, &p);
    assert_int_equal(p.status, 0);
    assert_int_equal(p.n, 10);
    check_count(c, &p, PV_STORE_LIST_PUBLIC, (NROOMS + 2) / 3); /* all, not only after */
    assert_string_equal(p.names[0], "list-05001");
    assert_string_equal(p.titles[0], "Room 5001");
    assert_string_equal(p.names[9], "list-05028");
    page_clear(&p);

    /* A room changed to hidden leaves the public list (and its count). */
    const pv_kv_t hidden[] = {{"public", "1"}, {"public", "0"}}; /* the last pair counts */
    assert_int_equal(do_put(c, "list-00003", hidden, 2), 0);
    do_page(c, "list-00000", 1, PV_STORE_LIST_PUBLIC | PV_STORE_LIST_COUNT, &p);
    assert_string_equal(p.names[0], "list-00006");
    check_count(c, &p, PV_STORE_LIST_PUBLIC, (NROOMS + 2) / 3 - 1);
    page_clear(&p);
    if (c->be->persistent) { /* the listing survives a restart */
        close_store(c);
        assert_int_equal(open_store(c), 0);
        do_page(c, "list-09990", 100, PV_STORE_LIST_COUNT, &p);
        assert_int_equal(p.n, 9);
        assert_string_equal(p.titles[0], "Room 9991");
        check_count(c, &p, 0, NROOMS);
        page_clear(&p);
    }
    delete_many(c, NROOMS);
    do_page(c, NULL, 100, PV_STORE_LIST_COUNT, &p);
    assert_int_equal(p.n, 0);
    check_count(c, &p, 0, 0);
    page_clear(&p);
    do_page(c, NULL, 100, PV_STORE_LIST_PUBLIC | PV_STORE_LIST_COUNT, &p);
    assert_int_equal(p.n, 0);
    check_count(c, &p, PV_STORE_LIST_PUBLIC, 0);
    page_clear(&p);
}

/* ---- Where a page starts ---- */

void test_rooms_list_after(void **state)
{
    ctx_t *c = *state;
    page_t p;
    do_page(c, NULL, 10, PV_STORE_LIST_COUNT, &p); /* nothing stored */
    assert_int_equal(p.status, 0);
    assert_int_equal(p.n, 0);
    check_count(c, &p, 0, 0);
    page_clear(&p);
    const char *names[] = {"attic", "kitchen", "lounge"};
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(do_put(c, names[i], NULL, 0), 0);
    assert_int_equal(do_append(c, "temp", "m1", 1, "n", NULL, "<x/>"), 0); /* archive only */
    do_page(c, "lounge", 10, 0, &p); /* the last one */
    assert_int_equal(p.n, 0);
    page_clear(&p);
    do_page(c, "zzz", 10, 0, &p); /* beyond the end */
    assert_int_equal(p.status, 0);
    assert_int_equal(p.n, 0);
    page_clear(&p);
    do_page(c, "b", 10, 0, &p); /* not stored: the next name on */
    assert_int_equal(p.n, 2);
    assert_string_equal(p.names[0], "kitchen");
    assert_string_equal(p.names[1], "lounge");
    assert_false(p.pub[0]); /* no "public" key: not public */
    assert_null(p.titles[0]);
    page_clear(&p);
    do_page(c, "", 10, PV_STORE_LIST_COUNT, &p); /* before every name; "temp" is no room */
    assert_int_equal(p.n, 3);
    check_count(c, &p, 0, 3);
    page_clear(&p);
    do_page(c, NULL, 10, PV_STORE_LIST_PUBLIC, &p);
    assert_int_equal(p.n, 0);
    page_clear(&p);
    do_page(c, NULL, 10, 0x80, &p);
    assert_int_equal(p.status, PV_STORE_EINVAL);
    page_clear(&p);
    assert_int_equal(do_archive_delete(c, "temp"), 0);
}

/* ---- Awkward names, in byte order ---- */

static const char *const awkward[] = {
    "inner\\20chamber", "inner chamber", "d\\27artagnan\\40musketeers", "back\\slash", ".", "..",
    "a/b", "../../etc/passwd", "it's", "say \"hi\"", "caf\xc3\xa9", "cafe",
    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "\xf0\x9f\x98\x80", "Lounge", "lounge", "%6Counge",
    "~0123456789abcdef0123456789abcdef01234567", "tab\there", "-", "_", "x%", "a'; DROP TABLE rooms; --",
    "node@tombstone", "Z", "a", "\x7f"};
#define NAWKWARD (sizeof(awkward) / sizeof(awkward[0]))

void test_rooms_list_awkward_names(void **state)
{
    ctx_t *c = *state;
    for (size_t i = 0; i < NAWKWARD; i++) {
        const pv_kv_t kv[] = {{"public", "1"}, {"roomname", awkward[i]}};
        assert_int_equal(do_put(c, awkward[i], kv, 2), 0);
    }
    char *sorted[NAWKWARD];
    memcpy(sorted, awkward, sizeof(sorted));
    qsort(sorted, NAWKWARD, sizeof(char *), cmp_str);
    for (size_t size = 1; size <= 7; size += 6) {
        char **all;
        assert_int_equal(walk(c, size, size == 1 ? 0 : PV_STORE_LIST_PUBLIC, &all), NAWKWARD);
        for (size_t i = 0; i < NAWKWARD; i++) {
            assert_string_equal(all[i], sorted[i]);
            free(all[i]);
        }
        free(all);
    }
    for (size_t i = 0; i < NAWKWARD; i++) { /* each name as a starting point */
        page_t p;
        do_page(c, sorted[i], 1, 0, &p);
        assert_int_equal(p.n, i + 1 < NAWKWARD ? 1 : 0);
        if (p.n) {
            assert_string_equal(p.names[0], sorted[i + 1]);
            assert_string_equal(p.titles[0], sorted[i + 1]);
        }
        page_clear(&p);
    }
    for (size_t i = 0; i < NAWKWARD; i++)
        assert_int_equal(do_delete(c, awkward[i]), 0);
}

/* ---- Rooms added and deleted between pages ---- */

void test_rooms_list_changes_between_pages(void **state)
{
    ctx_t *c = *state;
    const char *first[] = {"a", "b", "c", "d", "e", "f", "g"};
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(do_put(c, first[i], NULL, 0), 0);
    page_t p;
    do_page(c, NULL, 3, 0, &p);
    assert_int_equal(p.n, 3);
    assert_string_equal(p.names[2], "c");
    page_clear(&p);
    assert_int_equal(do_put(c, "bb", NULL, 0), 0); /* before the cursor: not seen */
    assert_int_equal(do_put(c, "dd", NULL, 0), 0); /* after it: seen in order */
    assert_int_equal(do_delete(c, "e"), 0);        /* after it: gone */
    assert_int_equal(do_delete(c, "c"), 0);        /* the cursor itself */
    do_page(c, "c", 3, PV_STORE_LIST_COUNT, &p);
    assert_int_equal(p.n, 3);
    assert_string_equal(p.names[0], "d");
    assert_string_equal(p.names[1], "dd");
    assert_string_equal(p.names[2], "f");
    check_count(c, &p, 0, 7);
    page_clear(&p);
    do_page(c, "f", 3, 0, &p);
    assert_int_equal(p.n, 1);
    assert_string_equal(p.names[0], "g");
    page_clear(&p);
    const char *left[] = {"a", "b", "bb", "d", "dd", "f", "g"};
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(do_delete(c, left[i]), 0);
}

/* ---- Loading one room on first use ---- */

void test_room_load_on_demand(void **state)
{
    ctx_t *c = *state;
    const pv_kv_t kv[] = {{"roomname", "The Lounge"}, {"public", "1"}, {"subject", "hi"}};
    assert_int_equal(do_put(c, "lounge", kv, 3), 0);
    const pv_store_aff_t a[] = {{"o@example.org", "owner", NULL},
                                {"x@example.org", "outcast", "spam"}};
    assert_int_equal(do_affs(c, "lounge", a, 2), 0);
    assert_int_equal(do_reg(c, "lounge", "m@example.org", "Em"), 0);
    assert_int_equal(do_put(c, "kitchen", NULL, 0), 0);
    /* the listing names it; loading it gives everything stored for it */
    page_t p;
    do_page(c, "kitchen", 1, PV_STORE_LIST_PUBLIC, &p);
    assert_int_equal(p.n, 1);
    assert_string_equal(p.names[0], "lounge");
    assert_string_equal(p.titles[0], "The Lounge");
    res_t r;
    do_load(c, p.names[0], &r);
    page_clear(&p);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.rname, "lounge");
    assert_int_equal(r.nconfig, 3);
    assert_string_equal(r.config[2].key, "subject");
    assert_string_equal(r.config[2].value, "hi");
    assert_int_equal(r.naffs, 2);
    assert_string_equal(find_aff(&r, "x@example.org")->reason, "spam");
    assert_string_equal(find_reg(&r, "m@example.org"), "Em");
    res_clear(&r);
    do_load(c, "attic", &r);
    assert_int_equal(r.status, PV_STORE_ENOTFOUND);
    assert_false(r.has_room);
    res_clear(&r);
    assert_int_equal(do_delete(c, "lounge"), 0);
    do_load(c, "lounge", &r);
    assert_int_equal(r.status, PV_STORE_ENOTFOUND);
    res_clear(&r);
}

/* ---- A backend built before rooms_list ---- */

void test_rooms_list_older_backend(void **state)
{
    ctx_t *c = *state;
    pv_store_t old;
    memset(&old, 0xa5, sizeof(old)); /* what lies beyond `size` is never read */
    memcpy(&old, c->be->st, offsetof(pv_store_t, rooms_list));
    old.size = offsetof(pv_store_t, rooms_list);
    old.abi_minor = 1;
    assert_false(PV_STORE_HAS(&old, rooms_list));
    assert_true(PV_STORE_HAS(&old, archive_trim));
    const pv_store_t *seen = stats_store_wrap(&old); /* as plugins get it */
    assert_false(PV_STORE_HAS(seen, rooms_list));
    assert_true(PV_STORE_HAS(seen, room_load));
    assert_int_equal(do_put(c, "attic", NULL, 0), 0);
    res_t r = {0};
    seen->room_load(c->h, "attic", room_cb, &r);
    wait_for(&r.fired);
    assert_int_equal(r.status, 0);
    res_clear(&r);
    /* the backend itself, wrapped, has it */
    const pv_store_t *now = stats_store_wrap(c->be->st);
    assert_true(PV_STORE_HAS(now, rooms_list));
    page_t p = {0};
    now->rooms_list(c->h, NULL, 10, 0, page_cb, &p);
    wait_for(&p.fired);
    assert_int_equal(p.n, 1);
    page_clear(&p);
}
