/*
 * tests/unit/test_store_robust.c: conformance tests for what goes wrong or
 * lasts: hostile strings in every field, very long room names, close with
 * operations pending, persistence across close/open, storage that fails
 * (writes refused, read-only directory, damaged files, a file that is not a
 * database), a slow or lost PostgreSQL connection, many rooms.
 */
#include "test_store.h"

/* ---- Hostile strings ---- */

#define SPECIAL_ROOM "caf\xc3\xa9 'q' \"dq\" <x>&amp; ; DROP TABLE rooms; -- /../%41"
static const char *const specials[] = {
    "it's \"quoted\"",
    "<tag attr='v'>&amp;&lt;&#65;</tag>",
    "'); DROP TABLE rooms; --",
    "100% _wild_ \\ backslash",
    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x98\x80 caf\xc3\xa9",
    "  leading and trailing  ",
    "line1\nline2\ttab\r\n",
    "]]> <!-- --> <?pi?> <!DOCTYPE x>",
};
#define NSPECIALS (sizeof(specials) / sizeof(specials[0]))

static void put_specials(ctx_t *c)
{
    pv_kv_t kv[NSPECIALS];
    for (size_t i = 0; i < NSPECIALS; i++) {
        kv[i].key = specials[i];
        kv[i].value = specials[NSPECIALS - 1 - i];
    }
    assert_int_equal(do_put(c, SPECIAL_ROOM, kv, NSPECIALS), 0);
    pv_store_aff_t a[NSPECIALS];
    for (size_t i = 0; i < NSPECIALS; i++) {
        a[i].jid = specials[i];
        a[i].affiliation = i % 2 ? "member" : "outcast";
        a[i].reason = specials[(i + 1) % NSPECIALS];
    }
    assert_int_equal(do_affs(c, SPECIAL_ROOM, a, NSPECIALS), 0);
    for (size_t i = 0; i < NSPECIALS; i++)
        assert_int_equal(do_reg(c, SPECIAL_ROOM, specials[i], specials[(i + 2) % NSPECIALS]), 0);
    for (size_t i = 0; i < NSPECIALS; i++)
        assert_int_equal(do_append(c, SPECIAL_ROOM, specials[i], (int64_t)i + 1, specials[i],
                                   specials[(i + 3) % NSPECIALS], specials[(i + 4) % NSPECIALS]),
                         0);
}

static void check_specials(ctx_t *c)
{
    res_t r;
    do_list(c, &r);
    assert_int_equal(r.status, 0);
    assert_true(has_name(&r, SPECIAL_ROOM));
    res_clear(&r);
    do_load(c, SPECIAL_ROOM, &r);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.rname, SPECIAL_ROOM);
    assert_int_equal(r.nconfig, NSPECIALS);
    for (size_t i = 0; i < NSPECIALS; i++) {
        assert_string_equal(r.config[i].key, specials[i]);
        assert_string_equal(r.config[i].value, specials[NSPECIALS - 1 - i]);
    }
    assert_int_equal(r.naffs, NSPECIALS);
    assert_int_equal(r.nregs, NSPECIALS);
    for (size_t i = 0; i < NSPECIALS; i++) {
        const pv_store_aff_t *a = find_aff(&r, specials[i]);
        assert_non_null(a);
        assert_string_equal(a->affiliation, i % 2 ? "member" : "outcast");
        assert_string_equal(a->reason, specials[(i + 1) % NSPECIALS]);
        const char *nick = find_reg(&r, specials[i]);
        assert_non_null(nick);
        assert_string_equal(nick, specials[(i + 2) % NSPECIALS]);
    }
    res_clear(&r);
    do_query(c, SPECIAL_ROOM, NULL, &r);
    assert_int_equal(r.nmsgs, NSPECIALS);
    for (size_t i = 0; i < NSPECIALS; i++) {
        assert_string_equal(r.msgs[i].id, specials[i]);
        assert_string_equal(r.msgs[i].nick, specials[i]);
        assert_string_equal(r.msgs[i].jid, specials[(i + 3) % NSPECIALS]);
        assert_string_equal(r.msgs[i].xml, specials[(i + 4) % NSPECIALS]);
    }
    res_clear(&r);
    for (size_t i = 0; i < NSPECIALS; i++) {
        pv_store_query_t q = {.with_nick = specials[i]};
        do_query(c, SPECIAL_ROOM, &q, &r);
        assert_int_equal(r.status, 0);
        assert_int_equal(r.nmsgs, 1);
        assert_string_equal(r.msgs[0].id, specials[i]);
        res_clear(&r);
        q = (pv_store_query_t){.after_id = specials[i]};
        do_query(c, SPECIAL_ROOM, &q, &r);
        assert_int_equal(r.status, 0);
        assert_int_equal(r.nmsgs, NSPECIALS - 1 - i);
        res_clear(&r);
    }
}

void test_special_characters(void **state)
{
    ctx_t *c = *state;
    put_specials(c);
    assert_int_equal(do_put(c, "lounge", NULL, 0), 0); /* a plain neighbour */
    check_specials(c);
    /* Replacing with the same text keeps check_specials true. */
    assert_int_equal(do_replace(c, SPECIAL_ROOM, specials[2], specials[6]), 0);
    if (c->be->persistent) {
        close_store(c);
        assert_int_equal(open_store(c), 0);
        check_specials(c);
    }
    res_t r;
    do_list(c, &r);
    assert_true(has_name(&r, "lounge"));
    assert_int_equal(r.nnames, 2);
    res_clear(&r);
    assert_int_equal(do_delete(c, SPECIAL_ROOM), 0);
    do_load(c, SPECIAL_ROOM, &r);
    assert_int_equal(r.status, PV_STORE_ENOTFOUND);
    res_clear(&r);
}

/* Room names longer than any file name (XMPP allows 1023 bytes). */
void test_long_room_name(void **state)
{
    ctx_t *c = *state;
    char name[1024];
    for (size_t i = 0; i < sizeof(name) - 1; i++)
        name[i] = i % 3 ? 'a' + (char)(i % 26) : '.';
    name[sizeof(name) - 1] = '\0';
    char other[1024];
    memcpy(other, name, sizeof(other));
    other[1000] = 'Z'; /* differs only far past any file-name limit */
    const pv_kv_t kv[] = {{"title", "long"}};
    assert_int_equal(do_put(c, name, kv, 1), 0);
    assert_int_equal(do_put(c, other, NULL, 0), 0);
    assert_int_equal(do_append(c, name, "m1", 1, "n", NULL, "<m/>"), 0);
    res_t r;
    do_list(c, &r);
    assert_int_equal(r.nnames, 2);
    assert_true(has_name(&r, name) && has_name(&r, other));
    res_clear(&r);
    do_load(c, name, &r);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.rname, name);
    assert_int_equal(r.nconfig, 1);
    res_clear(&r);
    do_query(c, other, NULL, &r);
    assert_int_equal(r.nmsgs, 0);
    res_clear(&r);
    assert_int_equal(do_delete(c, name), 0);
    assert_int_equal(do_delete(c, other), 0);
    do_query(c, name, NULL, &r);
    assert_int_equal(r.nmsgs, 0);
    res_clear(&r);
}

/* close() lets operations still pending (pgsql) finish before it returns. */
void test_close_completes_pending(void **state)
{
    ctx_t *c = *state;
    res_t r[4];
    memset(r, 0, sizeof(r));
    assert_int_equal(do_put(c, "lounge", NULL, 0), 0);
    for (int i = 0; i < 3; i++) {
        char id[8];
        snprintf(id, sizeof(id), "p%d", i);
        pv_store_msg_t m = {id, i + 1, "n", NULL, "<m/>"};
        c->st->archive_append(c->h, "lounge", &m, done_cb, &r[i]);
    }
    const pv_store_aff_t a[] = {{"o@example.org", "owner", NULL}};
    c->st->affs_set(c->h, "lounge", a, 1, done_cb, &r[3]);
    close_store(c);
    for (int i = 0; i < 4; i++) {
        assert_true(r[i].fired);
        assert_int_equal(r[i].status, 0);
    }
    assert_int_equal(open_store(c), 0);
    if (!c->be->persistent)
        return;
    res_t q;
    do_query(c, "lounge", NULL, &q);
    assert_ids(&q, "p0", "p1", "p2", NULL);
    res_clear(&q);
    do_load(c, "lounge", &q);
    assert_int_equal(q.naffs, 1);
    res_clear(&q);
}

/* A store that cannot be opened says so and open fails. */
void test_open_failure(void **state)
{
    ctx_t *c = *state;
    pv_el_t *cfg = pv_el_new(NULL, "backend");
    add_opt(cfg, "type", c->be->name);
    char p[PATH_MAX + 32];
    if (strcmp(c->be->name, "spool") == 0) {
        snprintf(p, sizeof(p), "%s/a-file", c->dir); /* a file, not a directory */
        FILE *f = fopen(p, "w");
        assert_non_null(f);
        fclose(f);
        add_opt(cfg, "spool", p);
    } else if (strcmp(c->be->name, "sqlite") == 0) {
        snprintf(p, sizeof(p), "%s/no/such/dir/x.db", c->dir);
        add_opt(cfg, "database", p);
    } else {
        add_opt(cfg, "conninfo", "host=127.0.0.1 port=1 dbname=none connect_timeout=2");
    }
    void *h = NULL;
    assert_int_equal(c->be->st->open(cfg, &h), -1);
    assert_null(h);
    pv_el_free(cfg);
    /* Unknown options are refused too (a typo must not go unnoticed). */
    cfg = pv_el_new(NULL, "backend");
    add_opt(cfg, "type", c->be->name);
    add_opt(cfg, "databse", "x");
    assert_int_equal(c->be->st->open(cfg, &h), -1);
    pv_el_free(cfg);
}

/* ---- Persistence ---- */

void test_persistence(void **state)
{
    ctx_t *c = *state;
    const pv_kv_t kv[] = {{"title", "Persistent"}, {"public", "1"}};
    assert_int_equal(do_put(c, "lounge", kv, 2), 0);
    const pv_store_aff_t a[] = {{"o@example.org", "owner", NULL},
                                {"b@example.org", "outcast", "rude"}};
    assert_int_equal(do_affs(c, "lounge", a, 2), 0);
    assert_int_equal(do_reg(c, "lounge", "o@example.org", "Olga"), 0);
    fill_archive(c, "lounge");
    assert_int_equal(do_replace(c, "lounge", "m2", "<tomb/>"), 0);
    fill_archive(c, "temp");
    assert_int_equal(do_put(c, "kitchen", NULL, 0), 0);
    assert_int_equal(do_delete(c, "kitchen"), 0);

    close_store(c);
    assert_int_equal(open_store(c), 0);

    res_t r;
    do_list(c, &r);
    assert_int_equal(r.status, 0);
    if (!c->be->persistent) {
        assert_int_equal(r.nnames, 0); /* memory: nothing persists */
        res_clear(&r);
        return;
    }
    assert_int_equal(r.nnames, 1);
    assert_string_equal(r.names[0], "lounge");
    res_clear(&r);
    do_load(c, "lounge", &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.nconfig, 2);
    assert_string_equal(r.config[0].key, "title");
    assert_string_equal(r.config[0].value, "Persistent");
    assert_string_equal(r.config[1].key, "public");
    assert_int_equal(r.naffs, 2);
    assert_string_equal(find_aff(&r, "b@example.org")->reason, "rude");
    assert_null(find_aff(&r, "o@example.org")->reason);
    assert_string_equal(find_reg(&r, "o@example.org"), "Olga");
    res_clear(&r);
    do_query(c, "lounge", NULL, &r);
    assert_int_equal(r.nmsgs, 10);
    assert_string_equal(r.msgs[1].xml, "<tomb/>");
    assert_null(r.msgs[2].jid);
    assert_int_equal(r.msgs[9].stamp_us, 10000);
    res_clear(&r);
    pv_store_query_t q = {.after_id = "m8"};
    do_query(c, "lounge", &q, &r);
    assert_ids(&r, "m9", "m10", NULL);
    res_clear(&r);
    do_query(c, "temp", NULL, &r);
    assert_int_equal(r.nmsgs, 10);
    res_clear(&r);
    /* Appends after reopening continue the same order, ids stay unique. */
    assert_int_equal(do_append(c, "lounge", "m11", 11000, "Ann", NULL, "<m11/>"), 0);
    assert_int_equal(do_append(c, "lounge", "m1", 11000, "Ann", NULL, "<dup/>"), PV_STORE_EINVAL);
    q = (pv_store_query_t){.last = 1, .max = 2};
    do_query(c, "lounge", &q, &r);
    assert_ids(&r, "m10", "m11", NULL);
    res_clear(&r);
}

/* ---- Failing storage ---- */

/* Makes every write of this process fail (EFBIG), as a full or broken disk
 * would; works for root too, unlike permissions. */
static void writes_fail(int on)
{
    static struct rlimit saved;
    if (on) {
        signal(SIGXFSZ, SIG_IGN);
        assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
        struct rlimit rl = {0, saved.rlim_max};
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
    } else {
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
    }
}

static void seed_room(ctx_t *c)
{
    const pv_kv_t kv[] = {{"title", "before"}};
    assert_int_equal(do_put(c, "lounge", kv, 1), 0);
    const pv_store_aff_t a[] = {{"o@example.org", "owner", NULL}};
    assert_int_equal(do_affs(c, "lounge", a, 1), 0);
    assert_int_equal(do_append(c, "lounge", "m1", 1, "n", NULL, "<m1/>"), 0);
}

static void check_seeded(ctx_t *c)
{
    res_t r;
    do_load(c, "lounge", &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.nconfig, 1);
    assert_string_equal(r.config[0].value, "before");
    assert_int_equal(r.naffs, 1);
    assert_string_equal(r.affs[0].affiliation, "owner");
    res_clear(&r);
    do_query(c, "lounge", NULL, &r);
    assert_int_equal(r.status, 0);
    assert_ids(&r, "m1", NULL);
    res_clear(&r);
}

void test_failing_writes(void **state)
{
    ctx_t *c = *state;
    seed_room(c);
    writes_fail(1);
    const pv_kv_t kv[] = {{"title", "after"}};
    res_t r = {0};
    c->st->room_put(c->h, "lounge", kv, 1, done_cb, &r);
    wait_for(&r.fired);
    int put = r.status;
    const pv_store_aff_t a[] = {{"o@example.org", "none", NULL}, {"n@example.org", "admin", NULL}};
    int affs = do_affs(c, "lounge", a, 2);
    int app = do_append(c, "lounge", "m2", 2, "n", NULL, "<m2/>");
    writes_fail(0);
    assert_int_equal(put, PV_STORE_EIO);
    assert_true(strlen(r.err) > 0);
    assert_int_equal(affs, PV_STORE_EIO);
    assert_int_equal(app, PV_STORE_EIO);
    check_seeded(c);
    close_store(c);
    assert_int_equal(open_store(c), 0);
    check_seeded(c);
    /* And it works again once the disk does. */
    assert_int_equal(do_put(c, "lounge", kv, 1), 0);
}

void test_failing_readonly_dir(void **state)
{
    ctx_t *c = *state;
    seed_room(c);
    char dir[PATH_MAX + 16];
    snprintf(dir, sizeof(dir), "%s/spool", c->dir);
    assert_int_equal(chmod(dir, 0500), 0);
    const pv_kv_t kv[] = {{"title", "after"}};
    int put = do_put(c, "kitchen", kv, 1);
    chmod(dir, 0700);
    assert_int_equal(put, PV_STORE_EIO);
    check_seeded(c);
}

void test_failing_corrupt_file(void **state)
{
    ctx_t *c = *state;
    seed_room(c);
    char path[PATH_MAX + 32];
    if (strcmp(c->be->name, "spool") == 0) {
        assert_int_equal(do_put(c, "kitchen", NULL, 0), 0);
        snprintf(path, sizeof(path), "%s/spool/kitchen.room", c->dir);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs("<room><config><item key='x' value=", f); /* truncated */
        fclose(f);
        res_t r;
        do_load(c, "kitchen", &r);
        assert_int_equal(r.status, PV_STORE_EIO);
        assert_non_null(strstr(r.err, "kitchen"));
        res_clear(&r);
        const pv_store_aff_t a[] = {{"x@example.org", "member", NULL}};
        assert_int_equal(do_affs(c, "kitchen", a, 1), PV_STORE_EIO);
        check_seeded(c); /* the other room is intact */
        do_list(c, &r);
        assert_int_equal(r.status, 0);
        assert_true(has_name(&r, "lounge"));
        res_clear(&r);
        /* A damaged archive line costs only that message; a torn last line
         * (crash during an append) is dropped and appends go on. */
        close_store(c);
        snprintf(path, sizeof(path), "%s/spool/lounge.archive", c->dir);
        f = fopen(path, "a");
        assert_non_null(f);
        fputs("<m id='bad' t='x' xml='&lt;m/&gt;'/>\n", f);
        fputs("<m id='m2' t='2' nick='n' xml='&lt;m2/&gt;'/>\n", f);
        fputs("<m id='torn' t='3' xml='", f);
        fclose(f);
        assert_int_equal(open_store(c), 0);
        do_query(c, "lounge", NULL, &r);
        assert_int_equal(r.status, 0);
        assert_ids(&r, "m1", "m2", NULL);
        assert_string_equal(r.msgs[1].xml, "<m2/>");
        res_clear(&r);
        assert_int_equal(do_append(c, "lounge", "m3", 3, "n", NULL, "<m3/>"), 0);
        close_store(c);
        assert_int_equal(open_store(c), 0);
        do_query(c, "lounge", NULL, &r);
        assert_ids(&r, "m1", "m2", "m3", NULL);
        res_clear(&r);
        /* A damaged room file is never overwritten (it may hold bans); deleting
         * the room removes it, and then the name can be used again. */
        assert_int_equal(do_put(c, "kitchen", NULL, 0), PV_STORE_EIO);
        snprintf(path, sizeof(path), "%s/spool/kitchen.room", c->dir);
        struct stat sb;
        assert_int_equal(stat(path, &sb), 0);
        assert_int_equal(sb.st_size, strlen("<room><config><item key='x' value="));
        assert_int_equal(do_delete(c, "kitchen"), 0);
        assert_int_equal(do_put(c, "kitchen", NULL, 0), 0);
        do_load(c, "kitchen", &r);
        assert_int_equal(r.status, 0);
        res_clear(&r);
        return;
    }
    /* sqlite: a database path holding something else is refused, untouched. */
    close_store(c);
    snprintf(path, sizeof(path), "%s/other.db", c->dir);
    const char junk[] = "this is not an SQLite database, just text that must survive\n";
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < 100; i++)
        fputs(junk, f);
    fclose(f);
    pv_el_t *cfg = pv_el_new(NULL, "backend");
    add_opt(cfg, "type", "sqlite");
    add_opt(cfg, "database", path);
    void *h = NULL;
    assert_int_equal(c->be->st->open(cfg, &h), -1);
    pv_el_free(cfg);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal((size_t)sb.st_size, 100 * strlen(junk));
    f = fopen(path, "r");
    char line[128];
    assert_non_null(fgets(line, sizeof(line), f));
    fclose(f);
    assert_string_equal(line, junk);
    /* The real database is still fine. */
    assert_int_equal(open_store(c), 0);
    check_seeded(c);
}

/* ---- PostgreSQL: a slow and a lost connection ---- */

/* Runs SQL through PALAVER_PGSQL_PSQL (a psql command line);
 * in the background when bg. Returns system()'s status. */
static int psql(const char *sql, int bg)
{
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "%s -c \"%s\" >/dev/null%s", getenv("PALAVER_PGSQL_PSQL"), sql,
             bg ? " &" : "");
    return system(cmd);
}

static int ticks;

static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)w;
    (void)revents;
    ticks++;
}

/* pgsql: a slow database (another session holds a lock for 1.5 s) does not
 * block the loop: timers keep firing while the operation waits, and the
 * operation completes afterwards. */
void test_slow_database(void **state)
{
    ctx_t *c = *state;
    assert_int_equal(do_put(c, "lounge", NULL, 0), 0);
    assert_int_equal(
        psql("BEGIN; LOCK TABLE rooms IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(1.5); COMMIT", 1),
        0);
    usleep(500 * 1000); /* let it take the lock */
    res_t r = {0};
    const pv_kv_t kv[] = {{"title", "after the lock"}};
    c->st->room_put(c->h, "lounge", kv, 1, done_cb, &r);
    assert_false(r.fired); /* pgsql answers from the loop, never inside the call */
    struct ev_loop *loop = pv_loop();
    ev_timer tick;
    ticks = 0;
    ev_timer_init(&tick, on_tick, 0.05, 0.05);
    ev_timer_start(loop, &tick);
    wait_for(&r.fired);
    ev_timer_stop(loop, &tick);
    assert_int_equal(r.status, 0);
    assert_true(ticks >= 5); /* the loop ran while the database was busy */
    do_load(c, "lounge", &r);
    assert_string_equal(r.config[0].value, "after the lock");
    res_clear(&r);
}

/* pgsql: the server cuts the connection (pg_terminate_backend); the next
 * operation fails with EIO, the backend reconnects by itself and the data is
 * all there. */
void test_reconnect(void **state)
{
    ctx_t *c = *state;
    seed_room(c);
    assert_int_equal(psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                          " WHERE application_name = 'palaver'",
                          0),
                     0);
    res_t r = {0};
    c->st->room_load(c->h, "lounge", room_cb, &r);
    wait_for(&r.fired);
    assert_int_equal(r.status, PV_STORE_EIO);
    assert_non_null(strstr(r.err, "connection"));
    res_clear(&r);
    /* Operations fail fast while it reconnects, then work again. */
    int status = PV_STORE_EIO;
    for (int i = 0; i < 100 && status == PV_STORE_EIO; i++) {
        spin(0.1);
        do_load(c, "lounge", &r);
        status = r.status;
        res_clear(&r);
    }
    assert_int_equal(status, 0);
    check_seeded(c);
    /* The new connection prepares the batched append again (the server
     * forgot the statement the first connection had prepared for m1). */
    assert_int_equal(do_append(c, "lounge", "m2", 2, "n", NULL, "<m2/>"), 0);
    do_query(c, "lounge", NULL, &r);
    assert_ids(&r, "m1", "m2", NULL);
    res_clear(&r);
}

/* ---- A longer run: appends stay cheap with many rooms ---- */

void test_many_rooms(void **state)
{
    ctx_t *c = *state;
    char name[32], id[32];
    for (int i = 0; i < 200; i++) {
        snprintf(name, sizeof(name), "room%03d", i);
        assert_int_equal(do_put(c, name, NULL, 0), 0);
    }
    for (int i = 0; i < 400; i++) {
        snprintf(name, sizeof(name), "room%03d", i % 200);
        snprintf(id, sizeof(id), "id%d", i);
        assert_int_equal(do_append(c, name, id, i, "n", NULL, "<message/>"), 0);
    }
    const pv_store_aff_t a[] = {{"x@example.org", "member", NULL}};
    assert_int_equal(do_affs(c, "room150", a, 1), 0);
    res_t r;
    do_query(c, "room150", NULL, &r);
    assert_ids(&r, "id150", "id350", NULL);
    res_clear(&r);
    do_list(c, &r);
    assert_int_equal(r.nnames, 200);
    res_clear(&r);
    for (int i = 0; i < 200; i++) {
        snprintf(name, sizeof(name), "room%03d", i);
        assert_int_equal(do_delete(c, name), 0);
    }
}
