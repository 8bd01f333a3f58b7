/*
 * tests/unit/test_store_archive.c: conformance tests for the message
 * archive: append, every query rule (time range, after/before ids, nick,
 * max, backwards paging, the complete flag, unknown ids), replace, delete,
 * archives of rooms that are not stored, and trimming.
 */
#include "test_store.h"

/* ---- Archive ---- */

void test_archive_append_query(void **state)
{
    ctx_t *c = *state;
    assert_int_equal(do_put(c, "lounge", NULL, 0), 0);
    fill_archive(c, "lounge");
    res_t r;
    do_query(c, "lounge", NULL, &r);
    assert_int_equal(r.status, 0);
    assert_ids(&r, "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9", "m10", NULL);
    assert_true(r.complete);
    assert_int_equal(r.msgs[0].stamp_us, 1000);
    assert_string_equal(r.msgs[0].nick, "Ann");
    assert_string_equal(r.msgs[0].jid, "x@example.org");
    assert_null(r.msgs[2].jid);
    assert_string_equal(r.msgs[9].xml, "<message id='m10'><body>10</body></message>");
    res_clear(&r);

    /* A room never seen has an empty, complete archive. */
    pv_store_query_t q = {0};
    do_query(c, "attic", &q, &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.nmsgs, 0);
    assert_true(r.complete);
    res_clear(&r);
}

void test_archive_query_time_range(void **state)
{
    ctx_t *c = *state;
    fill_archive(c, "lounge");
    res_t r;
    pv_store_query_t q = {.start_us = 3000, .end_us = 5000};
    do_query(c, "lounge", &q, &r);
    assert_ids(&r, "m3", "m4", "m5", NULL); /* both bounds inclusive */
    assert_true(r.complete);
    res_clear(&r);
    q = (pv_store_query_t){.start_us = 9500};
    do_query(c, "lounge", &q, &r);
    assert_ids(&r, "m10", NULL);
    res_clear(&r);
    q = (pv_store_query_t){.end_us = 1999};
    do_query(c, "lounge", &q, &r);
    assert_ids(&r, "m1", NULL);
    res_clear(&r);
    q = (pv_store_query_t){.start_us = 20000};
    do_query(c, "lounge", &q, &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.nmsgs, 0);
    assert_true(r.complete);
    res_clear(&r);
}

void test_archive_query_after_before(void **state)
{
    ctx_t *c = *state;
    fill_archive(c, "lounge");
    res_t r;
    pv_store_query_t q = {.after_id = "m7"};
    do_query(c, "lounge", &q, &r);
    assert_ids(&r, "m8", "m9", "m10", NULL);
    assert_true(r.complete);
    res_clear(&r);
    q = (pv_store_query_t){.before_id = "m3"};
    do_query(c, "lounge", &q, &r);
    assert_ids(&r, "m1", "m2", NULL);
    assert_true(r.complete);
    res_clear(&r);
    q = (pv_store_query_t){.after_id = "m2", .before_id = "m6"};
    do_query(c, "lounge", &q, &r);
    assert_ids(&r, "m3", "m4", "m5", NULL);
    res_clear(&r);
    q = (pv_store_query_t){.after_id = "m10"};
    do_query(c, "lounge", &q, &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.nmsgs, 0);
    assert_true(r.complete);
    res_clear(&r);
    /* Ids and time bounds combine. */
    q = (pv_store_query_t){.after_id = "m2", .end_us = 4000};
    do_query(c, "lounge", &q, &r);
    assert_ids(&r, "m3", "m4", NULL);
    res_clear(&r);
}

void test_archive_query_with_nick(void **state)
{
    ctx_t *c = *state;
    fill_archive(c, "lounge");
    res_t r;
    pv_store_query_t q = {.with_nick = "Bob"};
    do_query(c, "lounge", &q, &r);
    assert_ids(&r, "m2", "m4", "m6", "m8", "m10", NULL);
    res_clear(&r);
    q = (pv_store_query_t){.with_nick = "Bob", .max = 2};
    do_query(c, "lounge", &q, &r);
    assert_ids(&r, "m2", "m4", NULL);
    assert_false(r.complete);
    res_clear(&r);
    q = (pv_store_query_t){.with_nick = "nobody"};
    do_query(c, "lounge", &q, &r);
    assert_int_equal(r.nmsgs, 0);
    res_clear(&r);
    q = (pv_store_query_t){.with_nick = "bob"}; /* exact match */
    do_query(c, "lounge", &q, &r);
    assert_int_equal(r.nmsgs, 0);
    res_clear(&r);
}

void test_archive_query_max_complete(void **state)
{
    ctx_t *c = *state;
    fill_archive(c, "lounge");
    res_t r;
    pv_store_query_t q = {.max = 3};
    do_query(c, "lounge", &q, &r);
    assert_ids(&r, "m1", "m2", "m3", NULL);
    assert_false(r.complete);
    res_clear(&r);
    q = (pv_store_query_t){.max = 10};
    do_query(c, "lounge", &q, &r);
    assert_int_equal(r.nmsgs, 10);
    assert_true(r.complete); /* exactly max matches: nothing more */
    res_clear(&r);
    q = (pv_store_query_t){.max = 3, .after_id = "m7"};
    do_query(c, "lounge", &q, &r);
    assert_ids(&r, "m8", "m9", "m10", NULL);
    assert_true(r.complete);
    res_clear(&r);
    /* Paging forwards through everything. */
    q = (pv_store_query_t){.max = 4, .after_id = "m4"};
    do_query(c, "lounge", &q, &r);
    assert_ids(&r, "m5", "m6", "m7", "m8", NULL);
    assert_false(r.complete);
    res_clear(&r);
}

void test_archive_query_default_max(void **state)
{
    ctx_t *c = *state;
    for (int i = 0; i < 105; i++) {
        char id[16];
        snprintf(id, sizeof(id), "d%03d", i);
        assert_int_equal(do_append(c, "big", id, 1000 + i, "n", NULL, "<message/>"), 0);
    }
    res_t r;
    pv_store_query_t q = {0};
    do_query(c, "big", &q, &r);
    assert_int_equal(r.nmsgs, 100);
    assert_false(r.complete);
    assert_string_equal(r.msgs[0].id, "d000");
    assert_string_equal(r.msgs[99].id, "d099");
    res_clear(&r);
}

void test_archive_query_last_page(void **state)
{
    ctx_t *c = *state;
    fill_archive(c, "lounge");
    res_t r;
    pv_store_query_t q = {.last = 1, .max = 3};
    do_query(c, "lounge", &q, &r);
    assert_ids(&r, "m8", "m9", "m10", NULL); /* newest, oldest first */
    assert_false(r.complete);
    res_clear(&r);
    q = (pv_store_query_t){.before_id = "m8", .max = 3};
    do_query(c, "lounge", &q, &r);
    assert_ids(&r, "m5", "m6", "m7", NULL);
    assert_false(r.complete);
    res_clear(&r);
    q = (pv_store_query_t){.before_id = "m3", .max = 3};
    do_query(c, "lounge", &q, &r);
    assert_ids(&r, "m1", "m2", NULL);
    assert_true(r.complete);
    res_clear(&r);
    q = (pv_store_query_t){.last = 1, .max = 2, .with_nick = "Ann"};
    do_query(c, "lounge", &q, &r);
    assert_ids(&r, "m7", "m9", NULL);
    assert_false(r.complete);
    res_clear(&r);
    q = (pv_store_query_t){.last = 1, .max = 50, .end_us = 4000};
    do_query(c, "lounge", &q, &r);
    assert_ids(&r, "m1", "m2", "m3", "m4", NULL);
    assert_true(r.complete);
    res_clear(&r);
}

void test_archive_query_unknown_id(void **state)
{
    ctx_t *c = *state;
    fill_archive(c, "lounge");
    assert_int_equal(do_append(c, "other", "o1", 1, "n", NULL, "<message/>"), 0);
    res_t r;
    pv_store_query_t q = {.after_id = "nope"};
    do_query(c, "lounge", &q, &r);
    assert_int_equal(r.status, PV_STORE_ENOTFOUND);
    res_clear(&r);
    q = (pv_store_query_t){.before_id = "nope"};
    do_query(c, "lounge", &q, &r);
    assert_int_equal(r.status, PV_STORE_ENOTFOUND);
    res_clear(&r);
    q = (pv_store_query_t){.after_id = "o1"}; /* ids belong to their room */
    do_query(c, "lounge", &q, &r);
    assert_int_equal(r.status, PV_STORE_ENOTFOUND);
    res_clear(&r);
    q = (pv_store_query_t){.after_id = "m1"};
    do_query(c, "attic", &q, &r);
    assert_int_equal(r.status, PV_STORE_ENOTFOUND);
    res_clear(&r);
}

void test_archive_duplicate_id(void **state)
{
    ctx_t *c = *state;
    assert_int_equal(do_append(c, "lounge", "same", 1, "n", NULL, "<a/>"), 0);
    assert_int_equal(do_append(c, "lounge", "same", 2, "n", NULL, "<b/>"), PV_STORE_EINVAL);
    assert_int_equal(do_append(c, "other", "same", 2, "n", NULL, "<c/>"), 0);
    res_t r;
    do_query(c, "lounge", NULL, &r);
    assert_int_equal(r.nmsgs, 1);
    assert_string_equal(r.msgs[0].xml, "<a/>");
    res_clear(&r);
}

/* STORE-1: appends issued without waiting (one event-loop iteration: sqlite
 * groups them in one transaction, pgsql in one INSERT per round trip), two
 * rooms interleaved, a duplicate id among them: every callback once, in
 * call order, the duplicate alone refused, the archive in call order. */
typedef struct burst {
    int fired, status, order;
} burst_t;

static int burst_seen;

static void burst_cb(int status, const char *error, void *ud)
{
    (void)error;
    burst_t *b = ud;
    b->fired++;
    b->status = status;
    b->order = ++burst_seen;
}

void test_archive_append_burst(void **state)
{
    ctx_t *c = *state;
    enum { N = 300, DUP = 157 };
    static burst_t b[N];
    memset(b, 0, sizeof b);
    burst_seen = 0;
    char id[32];
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof id, "b%d", i == DUP ? DUP - 2 : i); /* DUP repeats DUP-2's id */
        pv_store_msg_t m = {.id = id, .stamp_us = 1000 + i, .nick = "n", .xml = "<m/>"};
        c->st->archive_append(c->h, i % 2 ? "burst-a" : "burst-b", &m, burst_cb, &b[i]);
    }
    wait_for(&b[N - 1].fired);
    for (int i = 0; i < N; i++) {
        assert_int_equal(b[i].fired, 1);
        assert_int_equal(b[i].order, i + 1);
        assert_int_equal(b[i].status, i == DUP ? PV_STORE_EINVAL : PV_STORE_OK);
    }
    res_t r;
    pv_store_query_t q = {.max = 1000};
    do_query(c, "burst-a", &q, &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.nmsgs, N / 2 - 1);
    for (size_t k = 0, i = 1; k < r.nmsgs; k++, i += 2) {
        if (i == DUP)
            i += 2;
        snprintf(id, sizeof id, "b%zu", i);
        assert_string_equal(r.msgs[k].id, id);
    }
    res_clear(&r);
    /* a burst without a duplicate: stored together (pgsql: one INSERT) */
    memset(b, 0, sizeof b);
    burst_seen = 0;
    for (int i = 0; i < 50; i++) {
        snprintf(id, sizeof id, "c%d", i);
        pv_store_msg_t m = {.id = id, .stamp_us = 5000 + i, .nick = i % 3 ? "n" : NULL,
                            .jid = i % 2 ? "a@b" : NULL, .xml = "<m a='\"{,}\\'/>"};
        c->st->archive_append(c->h, i % 3 ? "burst-c" : "burst-d", &m, burst_cb, &b[i]);
    }
    wait_for(&b[49].fired);
    for (int i = 0; i < 50; i++) {
        assert_int_equal(b[i].order, i + 1);
        assert_int_equal(b[i].status, PV_STORE_OK);
    }
    do_query(c, "burst-c", &q, &r);
    assert_int_equal(r.nmsgs, 33);
    assert_string_equal(r.msgs[0].id, "c1");
    assert_string_equal(r.msgs[32].id, "c49");
    assert_string_equal(r.msgs[0].jid, "a@b");
    assert_string_equal(r.msgs[0].xml, "<m a='\"{,}\\'/>");
    res_clear(&r);
    do_query(c, "burst-d", &q, &r);
    assert_int_equal(r.nmsgs, 17);
    assert_null(r.msgs[0].nick);
    assert_null(r.msgs[0].jid);
    assert_string_equal(r.msgs[16].id, "c48");
    res_clear(&r);
}

void test_archive_replace(void **state)
{
    ctx_t *c = *state;
    fill_archive(c, "lounge");
    fill_archive(c, "other");
    const char *tomb = "<message id='m4'><retracted xmlns='urn:xmpp:message-retract:1'/></message>";
    assert_int_equal(do_replace(c, "lounge", "m4", tomb), 0);
    assert_int_equal(do_replace(c, "lounge", "nope", "<x/>"), PV_STORE_ENOTFOUND);
    res_t r;
    do_query(c, "lounge", NULL, &r);
    assert_int_equal(r.nmsgs, 10);
    assert_string_equal(r.msgs[3].id, "m4");
    assert_string_equal(r.msgs[3].xml, tomb);
    assert_int_equal(r.msgs[3].stamp_us, 4000); /* the rest is kept */
    assert_string_equal(r.msgs[3].nick, "Bob");
    assert_string_equal(r.msgs[4].xml, "<message id='m5'><body>5</body></message>");
    res_clear(&r);
    do_query(c, "other", NULL, &r);
    assert_string_equal(r.msgs[3].xml, "<message id='m4'><body>4</body></message>");
    res_clear(&r);
}

void test_archive_delete(void **state)
{
    ctx_t *c = *state;
    const pv_kv_t kv[] = {{"title", "kept"}};
    assert_int_equal(do_put(c, "lounge", kv, 1), 0);
    fill_archive(c, "lounge");
    fill_archive(c, "other");
    assert_int_equal(do_archive_delete(c, "lounge"), 0);
    assert_int_equal(do_archive_delete(c, "attic"), 0); /* nothing to delete */
    res_t r;
    do_query(c, "lounge", NULL, &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.nmsgs, 0);
    res_clear(&r);
    do_load(c, "lounge", &r);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.config[0].value, "kept");
    res_clear(&r);
    do_query(c, "other", NULL, &r);
    assert_int_equal(r.nmsgs, 10);
    res_clear(&r);
    /* The id can be used again after a delete. */
    assert_int_equal(do_append(c, "lounge", "m1", 1, "n", NULL, "<again/>"), 0);
    do_query(c, "lounge", NULL, &r);
    assert_ids(&r, "m1", NULL);
    res_clear(&r);
}

void test_archive_temporary_room(void **state)
{
    ctx_t *c = *state;
    fill_archive(c, "temp");
    res_t r;
    do_load(c, "temp", &r);
    assert_int_equal(r.status, PV_STORE_ENOTFOUND);
    res_clear(&r);
    assert_int_equal(do_delete(c, "temp"), PV_STORE_ENOTFOUND);
    do_query(c, "temp", NULL, &r);
    assert_int_equal(r.nmsgs, 10); /* still there */
    res_clear(&r);
    /* Storing the room later keeps its archive. */
    assert_int_equal(do_put(c, "temp", NULL, 0), 0);
    do_query(c, "temp", NULL, &r);
    assert_int_equal(r.nmsgs, 10);
    res_clear(&r);
}

static int do_trim(ctx_t *c, const char *room, int64_t before_us, size_t keep)
{
    res_t r = {0};
    c->st->archive_trim(c->h, room, before_us, keep, done_cb, &r);
    wait_for(&r.fired);
    return r.status;
}

/* archive_trim (appended to the SDK for retention): an age cut, then a
 * count cut; ids that went away are unknown afterwards. */
void test_archive_trim(void **state)
{
    ctx_t *c = *state;
    const pv_store_t *st = c->st;
    assert_true(st->size >= offsetof(pv_store_t, archive_trim) + sizeof(st->archive_trim));
    assert_non_null(st->archive_trim);
    fill_archive(c, "lounge");
    fill_archive(c, "other");
    assert_int_equal(do_trim(c, "lounge", 0, 0), 0); /* no limits: nothing goes */
    res_t r;
    do_query(c, "lounge", NULL, &r);
    assert_int_equal(r.nmsgs, 10);
    res_clear(&r);
    assert_int_equal(do_trim(c, "lounge", 3500, 0), 0); /* strictly older goes */
    do_query(c, "lounge", NULL, &r);
    assert_ids(&r, "m4", "m5", "m6", "m7", "m8", "m9", "m10", NULL);
    res_clear(&r);
    assert_int_equal(do_trim(c, "lounge", 4000, 5), 0); /* 4000 stays; then keep 5 */
    do_query(c, "lounge", NULL, &r);
    assert_ids(&r, "m6", "m7", "m8", "m9", "m10", NULL);
    res_clear(&r);
    assert_int_equal(do_trim(c, "lounge", 0, 2), 0);
    assert_int_equal(do_trim(c, "lounge", 0, 50), 0); /* fewer than keep: no change */
    assert_int_equal(do_trim(c, "attic", 1, 1), 0);   /* no archive at all */
    do_query(c, "lounge", NULL, &r);
    assert_ids(&r, "m9", "m10", NULL);
    res_clear(&r);
    pv_store_query_t q = {.after_id = "m5"};
    do_query(c, "lounge", &q, &r);
    assert_int_equal(r.status, PV_STORE_ENOTFOUND);
    res_clear(&r);
    do_query(c, "other", NULL, &r); /* another room is untouched */
    assert_int_equal(r.nmsgs, 10);
    res_clear(&r);
    /* Appends go on after the trimmed ones, and it all persists. */
    assert_int_equal(do_append(c, "lounge", "m11", 11000, "Ann", NULL, "<m11/>"), 0);
    assert_int_equal(do_replace(c, "lounge", "m9", "<tomb/>"), 0);
    if (c->be->persistent) {
        close_store(c);
        assert_int_equal(open_store(c), 0);
    }
    do_query(c, "lounge", NULL, &r);
    assert_ids(&r, "m9", "m10", "m11", NULL);
    assert_string_equal(r.msgs[0].xml, "<tomb/>");
    res_clear(&r);
    assert_int_equal(do_trim(c, "lounge", 0, 1), 0);
    do_query(c, "lounge", NULL, &r);
    assert_ids(&r, "m11", NULL);
    res_clear(&r);
    assert_int_equal(do_trim(c, NULL, 0, 1), PV_STORE_EINVAL);
}
