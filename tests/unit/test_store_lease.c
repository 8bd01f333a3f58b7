/*
 * tests/unit/test_store_lease.c: room leases (palaver/store.h minor 3, for
 * CLUSTER-1) on the backend that implements them (pgsql). Two handles on one
 * database stand for two instances: a free lease is taken with epoch 1,
 * taken again by its holder with the same epoch, refused to another
 * instance while it lives (EBUSY naming the holder), taken over after it
 * expired with a greater epoch; a heartbeat reports the lost rooms; release
 * frees it at once; an ask reaches the holder's watching handle with the
 * room's name (after a reconnection too); and fencing: once B took A's expired lease, A's room_put
 * and archive_append (and its other writes) for that room fail with EBUSY and change nothing, while
 * B's go through and rooms without a lease are written as before.
 */
#include "test_store.h"

typedef struct lres {
    int fired, status;
    int64_t epoch;
    char holder[128];
    char lost[8][64];
    size_t nlost;
} lres_t;

static void acquire_cb(int status, const char *error, int64_t epoch, const char *holder, void *ud)
{
    lres_t *r = ud;
    assert_int_equal(r->fired, 0);
    r->fired = 1;
    r->status = status;
    r->epoch = epoch;
    snprintf(r->holder, sizeof(r->holder), "%s", holder ? holder : "");
    if (status != 0)
        assert_true(error && *error);
}

static void renew_cb(int status, const char *error, const char *const *lost, size_t n, void *ud)
{
    lres_t *r = ud;
    (void)error;
    assert_int_equal(r->fired, 0);
    r->fired = 1;
    r->status = status;
    for (size_t i = 0; i < n && i < 8; i++)
        snprintf(r->lost[i], sizeof(r->lost[i]), "%s", lost[i]);
    r->nlost = n;
}

/* Room and instance names unique to this run (the database is shared by
 * the suite's tests). */
static const char *name(const char *what)
{
    static char buf[4][96];
    static int k;
    char *b = buf[k++ % 4];
    snprintf(b, 96, "%s-%ld", what, (long)getpid());
    return b;
}

static lres_t acquire(const pv_store_t *st, void *h, const char *room, const char *inst, int ttl)
{
    lres_t r = {0};
    st->lease_acquire(h, room, inst, ttl, acquire_cb, &r);
    wait_for(&r.fired);
    return r;
}

static lres_t renew(const pv_store_t *st, void *h, const char *inst, int ttl)
{
    lres_t r = {0};
    st->lease_renew(h, inst, ttl, renew_cb, &r);
    wait_for(&r.fired);
    return r;
}

static int release(const pv_store_t *st, void *h, const char *room, const char *inst)
{
    res_t r = {0};
    st->lease_release(h, room, inst, done_cb, &r);
    wait_for(&r.fired);
    return r.status;
}

/* A second handle on the same database: another instance. */
static void *open_other(ctx_t *c)
{
    void *h = NULL;
    assert_int_equal(c->be->st->open(c->cfg, &h), 0);
    return h;
}

static void check_has_leases(const pv_store_t *st)
{
    assert_true(PV_STORE_HAS(st, lease_acquire));
    assert_true(PV_STORE_HAS(st, lease_renew));
    assert_true(PV_STORE_HAS(st, lease_release));
    assert_true(PV_STORE_HAS(st, lease_ask));
    assert_true(PV_STORE_HAS(st, lease_watch));
}

void test_lease_acquire_busy_takeover(void **state)
{
    ctx_t *c = *state;
    const pv_store_t *st = c->st;
    check_has_leases(st);
    void *hb = open_other(c);
    char room[96], ia[96], ib[96];
    snprintf(room, sizeof(room), "%s", name("lease-room"));
    snprintf(ia, sizeof(ia), "%s", name("inst-a"));
    snprintf(ib, sizeof(ib), "%s", name("inst-b"));

    lres_t r = acquire(st, c->h, room, ia, 1000);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.epoch, 1);
    assert_string_equal(r.holder, ia);
    r = acquire(st, c->h, room, ia, 1000); /* ours: kept, same epoch */
    assert_int_equal(r.status, 0);
    assert_int_equal(r.epoch, 1);
    r = acquire(st, hb, room, ib, 1000);
    assert_int_equal(r.status, PV_STORE_EBUSY);
    assert_string_equal(r.holder, ia);
    /* The heartbeat keeps it past its first expiry. */
    spin(0.6);
    assert_int_equal(renew(st, c->h, ia, 1000).nlost, 0);
    spin(0.6);
    r = acquire(st, hb, room, ib, 1000);
    assert_int_equal(r.status, PV_STORE_EBUSY);
    /* Without it, the lease expires and B takes it over, epoch 2. */
    spin(1.2);
    r = acquire(st, hb, room, ib, 5000);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.epoch, 2);
    assert_string_equal(r.holder, ib);
    /* A's heartbeat reports the room lost; A cannot take it back. */
    lres_t l = renew(st, c->h, ia, 400);
    assert_int_equal(l.status, 0);
    assert_int_equal(l.nlost, 1);
    assert_string_equal(l.lost[0], room);
    r = acquire(st, c->h, room, ia, 400);
    assert_int_equal(r.status, PV_STORE_EBUSY);
    assert_string_equal(r.holder, ib);
    assert_int_equal(renew(st, hb, ib, 5000).nlost, 0);
    /* B releases: A takes it at once, with a new epoch. */
    assert_int_equal(release(st, hb, room, ib), 0);
    r = acquire(st, c->h, room, ia, 5000);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.epoch, 3);
    assert_int_equal(renew(st, c->h, ia, 5000).nlost, 0);
    /* Releasing a lease one does not hold changes nothing. */
    assert_int_equal(release(st, hb, room, ib), 0);
    r = acquire(st, hb, room, ib, 400);
    assert_int_equal(r.status, PV_STORE_EBUSY);
    assert_int_equal(release(st, c->h, room, ia), 0);
    /* Bad arguments. */
    r = acquire(st, c->h, room, "", 400);
    assert_int_equal(r.status, PV_STORE_EINVAL);
    r = acquire(st, c->h, room, ia, 0);
    assert_int_equal(r.status, PV_STORE_EINVAL);
    st->close(hb);
}

static void asked_cb(const char *room, void *ud)
{
    res_t *r = ud;
    r->fired++;
    snprintf(r->err, sizeof(r->err), "%s", room);
}

void test_lease_ask_watch(void **state)
{
    ctx_t *c = *state;
    const pv_store_t *st = c->st;
    check_has_leases(st);
    void *hb = open_other(c);
    char room[96], ia[96], ib[96];
    snprintf(room, sizeof(room), "%s %s", name("ask room"), "caf\xc3\xa9:1");
    snprintf(ia, sizeof(ia), "%s", name("inst:a 1"));
    snprintf(ib, sizeof(ib), "%s", name("inst-b"));
    res_t got_a = {0}, got_b = {0};
    st->lease_watch(c->h, ia, asked_cb, &got_a);
    st->lease_watch(hb, ib, asked_cb, &got_b);
    assert_int_equal(acquire(st, c->h, room, ia, 5000).status, 0);
    lres_t r = acquire(st, hb, room, ib, 5000);
    assert_int_equal(r.status, PV_STORE_EBUSY);
    res_t done = {0};
    st->lease_ask(hb, room, r.holder, done_cb, &done);
    wait_for(&done.fired);
    assert_int_equal(done.status, 0);
    wait_for(&got_a.fired);
    assert_string_equal(got_a.err, room);
    /* Only the holder is asked. */
    spin(0.2);
    assert_int_equal(got_a.fired, 1);
    assert_int_equal(got_b.fired, 0);
    /* A gives it up; B gets it. */
    assert_int_equal(release(st, c->h, room, ia), 0);
    r = acquire(st, hb, room, ib, 5000);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.epoch, 2);
    /* The ask comes through a reconnection too (LISTEN again). */
    const char *psql = getenv("PALAVER_PGSQL_PSQL");
    if (psql) {
        char cmd[1024];
        snprintf(cmd, sizeof(cmd),
                 "%s -c \"SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                 " WHERE application_name = 'palaver' AND pid <> pg_backend_pid()\" >/dev/null",
                 psql);
        assert_int_equal(system(cmd), 0);
        /* Both handles reconnect (B listens again), then an ask arrives. */
        for (int i = 0; i < 100 && !got_b.fired; i++) {
            spin(0.1);
            memset(&done, 0, sizeof(done));
            st->lease_ask(c->h, room, ib, done_cb, &done);
            wait_for(&done.fired);
            spin(0.05);
        }
        assert_int_equal(got_b.fired, 1);
        assert_string_equal(got_b.err, room);
    }
    st->close(hb);
}

/* A's writes for a room B took over fail with EBUSY and change nothing. */
void test_lease_fencing(void **state)
{
    ctx_t *c = *state;
    const pv_store_t *st = c->st;
    check_has_leases(st);
    void *hb = open_other(c);
    ctx_t cb = *c;
    cb.h = hb;
    char room[96], ia[96], ib[96];
    snprintf(room, sizeof(room), "%s", name("fenced"));
    snprintf(ia, sizeof(ia), "%s", name("inst-a"));
    snprintf(ib, sizeof(ib), "%s", name("inst-b"));

    pv_kv_t v1[] = {{"title", "one"}};
    pv_kv_t v2[] = {{"title", "two by A, stale"}};
    pv_kv_t v3[] = {{"title", "three by B"}};
    assert_int_equal(acquire(st, c->h, room, ia, 300).status, 0);
    assert_int_equal(do_put(c, room, v1, 1), 0); /* fenced, current: fine */
    assert_int_equal(do_append(c, room, "a1", 1000, "Ann", NULL, "<message id='a1'/>"), 0);
    spin(0.45);
    lres_t r = acquire(st, hb, room, ib, 10000);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.epoch, 2);

    /* A, not yet aware: every write for the room is refused. */
    assert_int_equal(do_put(c, room, v2, 1), PV_STORE_EBUSY);
    assert_int_equal(do_append(c, room, "a2", 2000, "Ann", NULL, "<message id='a2'/>"),
                     PV_STORE_EBUSY);
    assert_int_equal(do_replace(c, room, "a1", "<gone/>"), PV_STORE_EBUSY);
    assert_int_equal(do_replace(c, room, "no-such-id", "<gone/>"), PV_STORE_EBUSY);
    assert_int_equal(do_reg(c, room, "x@example.org", "x"), PV_STORE_EBUSY);
    pv_store_aff_t aff = {"x@example.org", "owner", NULL};
    assert_int_equal(do_affs(c, room, &aff, 1), PV_STORE_EBUSY);
    assert_int_equal(do_archive_delete(c, room), PV_STORE_EBUSY);
    assert_int_equal(do_delete(c, room), PV_STORE_EBUSY);
    res_t d = {0};
    st->occupant_put(c->h, room, "Ann", "<stale/>", done_cb, &d);
    wait_for(&d.fired);
    assert_int_equal(d.status, PV_STORE_EBUSY);
    memset(&d, 0, sizeof(d));
    st->archive_trim(c->h, room, 0, 0, done_cb, &d);
    wait_for(&d.fired);
    assert_int_equal(d.status, PV_STORE_EBUSY);

    /* Nothing changed. */
    res_t l;
    do_load(c, room, &l);
    assert_int_equal(l.status, 0);
    assert_int_equal(l.nconfig, 1);
    assert_string_equal(l.config[0].value, "one");
    assert_int_equal(l.naffs, 0);
    assert_int_equal(l.nregs, 0);
    res_clear(&l);
    do_query(c, room, NULL, &l);
    assert_int_equal(l.status, 0);
    assert_ids(&l, "a1", NULL);
    assert_string_equal(l.msgs[0].xml, "<message id='a1'/>");
    res_clear(&l);

    /* B, the holder, writes; A's other rooms are written as before. */
    assert_int_equal(do_put(&cb, room, v3, 1), 0);
    assert_int_equal(do_append(&cb, room, "b1", 3000, "Bob", NULL, "<message id='b1'/>"), 0);
    assert_int_equal(do_put(c, name("unleased"), v1, 1), 0);
    assert_int_equal(do_delete(c, name("unleased")), 0);
    do_load(c, room, &l);
    assert_string_equal(l.config[0].value, "three by B");
    res_clear(&l);

    /* A learns it lost the room; its writes stay refused until it holds
     * the lease again. */
    lres_t lost = renew(st, c->h, ia, 300);
    assert_int_equal(lost.nlost, 1);
    assert_int_equal(do_put(c, room, v2, 1), PV_STORE_EBUSY);
    assert_int_equal(release(st, hb, room, ib), 0);
    r = acquire(st, c->h, room, ia, 10000);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.epoch, 3);
    assert_int_equal(do_put(c, room, v2, 1), 0);
    assert_int_equal(release(st, c->h, room, ia), 0);
    assert_int_equal(do_delete(c, room), 0);
    assert_int_equal(do_archive_delete(c, room), 0);
    st->close(hb);
}
