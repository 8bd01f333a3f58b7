/*
 * tests/unit/test_store.c: one conformance suite for every storage backend.
 *
 * The suite loads a backend module by name with libltdl, exactly as the
 * daemon does (lt_dlopenext over PALAVER_MODULE_DIR), opens a fresh store for
 * every test and checks each operation of palaver/store.h: rooms, the
 * cascade on delete, all-or-nothing affiliation changes, registrations, the
 * archive and its queries, persistence across close/open, hostile strings,
 * and what happens when the storage under the backend fails.
 *
 * Usage: test_store [BACKEND...]   (or PALAVER_STORE_BACKENDS="a b"); by
 * default memory, spool and sqlite. The pgsql backend needs
 * PALAVER_PGSQL_CONNINFO (tests/unit/test_store_pgsql.sh sets it up).
 * Callbacks may fire later (pgsql): every call waits on pv_loop() until its
 * callback has run, with a time limit.
 */
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
#include <palaver/store.h>
#include <palaver/util.h>
#include <palaver/xml.h>

/* ---- The backend under test ---- */

typedef struct backend {
    const char *name;
    lt_dlhandle mod;
    const pv_store_t *st;
    int persistent; /* data survives close/open */
    int files;      /* keeps its data under a directory we create */
} backend_t;

typedef struct ctx {
    backend_t *be;
    char dir[PATH_MAX]; /* fresh temporary directory of this test */
    pv_el_t *cfg;
    void *h;
} ctx_t;

static int load_backend(backend_t *be)
{
    const char *dirs = getenv("PALAVER_MODULE_DIR");
    if (lt_dlinit() != 0 || (dirs && lt_dlsetsearchpath(dirs) != 0)) {
        fprintf(stderr, "# lt_dlinit: %s\n", lt_dlerror());
        return -1;
    }
    be->mod = lt_dlopenext(be->name);
    if (!be->mod) {
        fprintf(stderr, "# cannot load backend %s from %s: %s\n", be->name,
                dirs ? dirs : "(default path)", lt_dlerror());
        return -1;
    }
    char sym[128];
    snprintf(sym, sizeof(sym), "%s_LTX_pv_store", be->name);
    be->st = lt_dlsym(be->mod, sym);
    if (!be->st) {
        fprintf(stderr, "# %s has no %s: %s\n", be->name, sym, lt_dlerror());
        return -1;
    }
    be->persistent = strcmp(be->name, "memory") != 0;
    be->files = strcmp(be->name, "spool") == 0 || strcmp(be->name, "sqlite") == 0;
    return 0;
}

/* ---- Waiting for callbacks on the loop ---- */

static int timed_out;

static void on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)w;
    (void)revents;
    timed_out = 1;
}

/* Runs the loop until *fired or 20 s passed. */
static void wait_for(const int *fired)
{
    if (*fired)
        return;
    struct ev_loop *loop = pv_loop();
    ev_timer t;
    ev_timer_init(&t, on_timeout, 20.0, 0.0);
    ev_timer_start(loop, &t);
    timed_out = 0;
    while (!*fired && !timed_out)
        ev_run(loop, EVRUN_ONCE);
    ev_timer_stop(loop, &t);
    assert_false(timed_out);
}

/* ---- Results, deep-copied out of the callbacks ---- */

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

static char *dupn(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void res_clear(res_t *r)
{
    for (size_t i = 0; i < r->nnames; i++)
        free(r->names[i]);
    free(r->names);
    free(r->rname);
    for (size_t i = 0; i < r->nconfig; i++) {
        free((char *)r->config[i].key);
        free((char *)r->config[i].value);
    }
    free(r->config);
    for (size_t i = 0; i < r->naffs; i++) {
        free((char *)r->affs[i].jid);
        free((char *)r->affs[i].affiliation);
        free((char *)r->affs[i].reason);
    }
    free(r->affs);
    for (size_t i = 0; i < r->nregs; i++) {
        free((char *)r->regs[i].jid);
        free((char *)r->regs[i].nick);
    }
    free(r->regs);
    for (size_t i = 0; i < r->nmsgs; i++) {
        free((char *)r->msgs[i].id);
        free((char *)r->msgs[i].nick);
        free((char *)r->msgs[i].jid);
        free((char *)r->msgs[i].xml);
    }
    free(r->msgs);
    memset(r, 0, sizeof(*r));
}

static void note(res_t *r, int status, const char *error)
{
    assert_int_equal(r->fired, 0); /* exactly once */
    r->fired = 1;
    r->status = status;
    snprintf(r->err, sizeof(r->err), "%s", error ? error : "");
    if (status != 0)
        assert_true(error && *error); /* every failure says why */
}

static void done_cb(int status, const char *error, void *ud)
{
    note(ud, status, error);
}

static void names_cb(int status, const char *error, const char *const *names, size_t n, void *ud)
{
    res_t *r = ud;
    note(r, status, error);
    if (status != 0)
        return;
    r->names = calloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        r->names[i] = strdup(names[i]);
    r->nnames = n;
}

static void room_cb(int status, const char *error, const pv_store_room_t *room, void *ud)
{
    res_t *r = ud;
    note(r, status, error);
    if (status != 0)
        return;
    assert_non_null(room);
    r->has_room = 1;
    r->rname = dupn(room->name);
    r->config = calloc(room->nconfig + 1, sizeof(pv_kv_t));
    for (size_t i = 0; i < room->nconfig; i++) {
        r->config[i].key = dupn(room->config[i].key);
        r->config[i].value = dupn(room->config[i].value);
    }
    r->nconfig = room->nconfig;
    r->affs = calloc(room->naffs + 1, sizeof(pv_store_aff_t));
    for (size_t i = 0; i < room->naffs; i++) {
        r->affs[i].jid = dupn(room->affs[i].jid);
        r->affs[i].affiliation = dupn(room->affs[i].affiliation);
        r->affs[i].reason = dupn(room->affs[i].reason);
    }
    r->naffs = room->naffs;
    r->regs = calloc(room->nregs + 1, sizeof(pv_store_reg_t));
    for (size_t i = 0; i < room->nregs; i++) {
        r->regs[i].jid = dupn(room->regs[i].jid);
        r->regs[i].nick = dupn(room->regs[i].nick);
    }
    r->nregs = room->nregs;
}

static void msgs_cb(int status, const char *error, const pv_store_msg_t *msgs, size_t n,
                    int complete, void *ud)
{
    res_t *r = ud;
    note(r, status, error);
    if (status != 0)
        return;
    r->msgs = calloc(n + 1, sizeof(pv_store_msg_t));
    for (size_t i = 0; i < n; i++) {
        r->msgs[i].id = dupn(msgs[i].id);
        r->msgs[i].stamp_us = msgs[i].stamp_us;
        r->msgs[i].nick = dupn(msgs[i].nick);
        r->msgs[i].jid = dupn(msgs[i].jid);
        r->msgs[i].xml = dupn(msgs[i].xml);
    }
    r->nmsgs = n;
    r->complete = complete;
}

/* ---- Calling the backend and waiting ---- */

static int do_put(ctx_t *c, const char *room, const pv_kv_t *kv, size_t n)
{
    res_t r = {0};
    c->be->st->room_put(c->h, room, kv, n, done_cb, &r);
    wait_for(&r.fired);
    return r.status;
}

static int do_delete(ctx_t *c, const char *room)
{
    res_t r = {0};
    c->be->st->room_delete(c->h, room, done_cb, &r);
    wait_for(&r.fired);
    return r.status;
}

static int do_affs(ctx_t *c, const char *room, const pv_store_aff_t *items, size_t n)
{
    res_t r = {0};
    c->be->st->affs_set(c->h, room, items, n, done_cb, &r);
    wait_for(&r.fired);
    return r.status;
}

static int do_reg(ctx_t *c, const char *room, const char *jid, const char *nick)
{
    res_t r = {0};
    c->be->st->reg_set(c->h, room, jid, nick, done_cb, &r);
    wait_for(&r.fired);
    return r.status;
}

static int do_append(ctx_t *c, const char *room, const char *id, int64_t stamp, const char *nick,
                     const char *jid, const char *xml)
{
    res_t r = {0};
    pv_store_msg_t m = {id, stamp, nick, jid, xml};
    c->be->st->archive_append(c->h, room, &m, done_cb, &r);
    wait_for(&r.fired);
    return r.status;
}

static int do_replace(ctx_t *c, const char *room, const char *id, const char *xml)
{
    res_t r = {0};
    c->be->st->archive_replace(c->h, room, id, xml, done_cb, &r);
    wait_for(&r.fired);
    return r.status;
}

static int do_archive_delete(ctx_t *c, const char *room)
{
    res_t r = {0};
    c->be->st->archive_delete(c->h, room, done_cb, &r);
    wait_for(&r.fired);
    return r.status;
}

/* The caller res_clear()s *r. */
static void do_load(ctx_t *c, const char *room, res_t *r)
{
    memset(r, 0, sizeof(*r));
    c->be->st->room_load(c->h, room, room_cb, r);
    wait_for(&r->fired);
}

static void do_list(ctx_t *c, res_t *r)
{
    memset(r, 0, sizeof(*r));
    c->be->st->room_list(c->h, names_cb, r);
    wait_for(&r->fired);
}

static void do_query(ctx_t *c, const char *room, const pv_store_query_t *q, res_t *r)
{
    memset(r, 0, sizeof(*r));
    c->be->st->archive_query(c->h, room, q, msgs_cb, r);
    wait_for(&r->fired);
}

/* ---- Lookup helpers over results ---- */

static int has_name(const res_t *r, const char *name)
{
    for (size_t i = 0; i < r->nnames; i++)
        if (strcmp(r->names[i], name) == 0)
            return 1;
    return 0;
}

static const pv_store_aff_t *find_aff(const res_t *r, const char *jid)
{
    for (size_t i = 0; i < r->naffs; i++)
        if (strcmp(r->affs[i].jid, jid) == 0)
            return &r->affs[i];
    return NULL;
}

static const char *find_reg(const res_t *r, const char *jid)
{
    for (size_t i = 0; i < r->nregs; i++)
        if (strcmp(r->regs[i].jid, jid) == 0)
            return r->regs[i].nick;
    return NULL;
}

/* Asserts the query result's ids, in order, equal the NULL-terminated list. */
static void assert_ids(const res_t *r, ...)
{
    va_list ap;
    va_start(ap, r);
    size_t i = 0;
    const char *id;
    while ((id = va_arg(ap, const char *))) {
        assert_true(i < r->nmsgs);
        assert_string_equal(r->msgs[i].id, id);
        i++;
    }
    va_end(ap);
    assert_int_equal(r->nmsgs, i);
}

/* ---- Fixtures ---- */

static void rm_tree(const char *path)
{
    DIR *d = opendir(path);
    if (!d) {
        unlink(path);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char p[PATH_MAX * 2];
        snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
        struct stat sb;
        if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            chmod(p, 0700);
            rm_tree(p);
        } else {
            unlink(p);
        }
    }
    closedir(d);
    rmdir(path);
}

static void add_opt(pv_el_t *cfg, const char *name, const char *value)
{
    assert_non_null(pv_el_add_text_child(cfg, NULL, name, value));
}

static pv_el_t *make_config(ctx_t *c)
{
    pv_el_t *cfg = pv_el_new(NULL, "backend");
    assert_non_null(cfg);
    add_opt(cfg, "type", c->be->name);
    if (strcmp(c->be->name, "spool") == 0) {
        char p[PATH_MAX + 16];
        snprintf(p, sizeof(p), "%s/spool", c->dir);
        add_opt(cfg, "spool", p);
    } else if (strcmp(c->be->name, "sqlite") == 0) {
        add_opt(cfg, "spool", c->dir); /* database defaults to <spool>/palaver.db */
    } else if (strcmp(c->be->name, "pgsql") == 0) {
        const char *ci = getenv("PALAVER_PGSQL_CONNINFO");
        assert_non_null(ci);
        add_opt(cfg, "conninfo", ci);
    }
    return cfg;
}

static int open_store(ctx_t *c)
{
    return c->be->st->open(c->cfg, &c->h);
}

static void close_store(ctx_t *c)
{
    c->be->st->close(c->h);
    c->h = NULL;
}

/* Every room name a test uses, so that a shared database (pgsql) starts
 * each test empty. */
static const char *const used_rooms[] = {
    "lounge", "kitchen", "attic", "temp",
    "other",  "big",     "spec",  "caf\xc3\xa9 'q' \"dq\" <x>&amp; ; DROP TABLE rooms; -- /../%41",
    NULL};

static void wipe(ctx_t *c)
{
    res_t r;
    do_list(c, &r);
    assert_int_equal(r.status, 0);
    for (size_t i = 0; i < r.nnames; i++)
        assert_int_equal(do_delete(c, r.names[i]), 0);
    res_clear(&r);
    for (size_t i = 0; used_rooms[i]; i++)
        assert_int_equal(do_archive_delete(c, used_rooms[i]), 0);
}

static int setup(void **state)
{
    ctx_t *c = calloc(1, sizeof(*c));
    c->be = *state;
    snprintf(c->dir, sizeof(c->dir), "%s/pv-store-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(c->dir))
        return -1;
    c->cfg = make_config(c);
    if (open_store(c) != 0)
        return -1;
    wipe(c);
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    ctx_t *c = *state;
    if (c->h)
        close_store(c);
    pv_el_free(c->cfg);
    rm_tree(c->dir);
    *state = c->be;
    free(c);
    return 0;
}

/* ---- Rooms ---- */

static void test_room_put_load(void **state)
{
    ctx_t *c = *state;
    const pv_kv_t kv[] = {{"title", "The Lounge"}, {"persistent", "1"}, {"a", ""}};
    assert_int_equal(do_put(c, "lounge", kv, 3), 0);
    res_t r;
    do_load(c, "lounge", &r);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.rname, "lounge");
    assert_int_equal(r.nconfig, 3);
    for (size_t i = 0; i < 3; i++) { /* order kept */
        assert_string_equal(r.config[i].key, kv[i].key);
        assert_string_equal(r.config[i].value, kv[i].value);
    }
    assert_int_equal(r.naffs, 0);
    assert_int_equal(r.nregs, 0);
    res_clear(&r);

    /* A second put replaces the whole config and keeps affiliations. */
    const pv_store_aff_t a[] = {{"o@example.org", "owner", NULL}};
    assert_int_equal(do_affs(c, "lounge", a, 1), 0);
    assert_int_equal(do_reg(c, "lounge", "o@example.org", "Olga"), 0);
    const pv_kv_t kv2[] = {{"title", "Renamed"}};
    assert_int_equal(do_put(c, "lounge", kv2, 1), 0);
    do_load(c, "lounge", &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.nconfig, 1);
    assert_string_equal(r.config[0].value, "Renamed");
    assert_int_equal(r.naffs, 1);
    assert_string_equal(find_aff(&r, "o@example.org")->affiliation, "owner");
    assert_string_equal(find_reg(&r, "o@example.org"), "Olga");
    res_clear(&r);

    /* An empty config is a valid room. */
    assert_int_equal(do_put(c, "kitchen", NULL, 0), 0);
    do_load(c, "kitchen", &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.nconfig, 0);
    res_clear(&r);
}

static void test_room_missing_is_enotfound(void **state)
{
    ctx_t *c = *state;
    res_t r;
    do_load(c, "attic", &r);
    assert_int_equal(r.status, PV_STORE_ENOTFOUND);
    assert_int_equal(r.has_room, 0);
    res_clear(&r);
    assert_int_equal(do_delete(c, "attic"), PV_STORE_ENOTFOUND);
    const pv_store_aff_t a[] = {{"x@example.org", "member", NULL}};
    assert_int_equal(do_affs(c, "attic", a, 1), PV_STORE_ENOTFOUND);
    assert_int_equal(do_reg(c, "attic", "x@example.org", "X"), PV_STORE_ENOTFOUND);
    assert_int_equal(do_replace(c, "attic", "nope", "<message/>"), PV_STORE_ENOTFOUND);
}

static void test_room_list(void **state)
{
    ctx_t *c = *state;
    res_t r;
    do_list(c, &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.nnames, 0);
    res_clear(&r);
    assert_int_equal(do_put(c, "lounge", NULL, 0), 0);
    assert_int_equal(do_put(c, "kitchen", NULL, 0), 0);
    assert_int_equal(do_put(c, "attic", NULL, 0), 0);
    assert_int_equal(do_put(c, "kitchen", NULL, 0), 0); /* no duplicate */
    /* An archive alone does not make a stored room. */
    assert_int_equal(do_append(c, "temp", "m1", 1, "n", NULL, "<message/>"), 0);
    do_list(c, &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.nnames, 3);
    assert_true(has_name(&r, "lounge") && has_name(&r, "kitchen") && has_name(&r, "attic"));
    assert_false(has_name(&r, "temp"));
    res_clear(&r);
    assert_int_equal(do_delete(c, "kitchen"), 0);
    do_list(c, &r);
    assert_int_equal(r.nnames, 2);
    assert_false(has_name(&r, "kitchen"));
    res_clear(&r);
}

static void test_room_delete_cascades(void **state)
{
    ctx_t *c = *state;
    const pv_kv_t kv[] = {{"title", "T"}};
    assert_int_equal(do_put(c, "lounge", kv, 1), 0);
    assert_int_equal(do_put(c, "other", kv, 1), 0);
    const pv_store_aff_t a[] = {{"a@example.org", "admin", "trusted"}};
    assert_int_equal(do_affs(c, "lounge", a, 1), 0);
    assert_int_equal(do_affs(c, "other", a, 1), 0);
    assert_int_equal(do_reg(c, "lounge", "a@example.org", "Ann"), 0);
    assert_int_equal(do_append(c, "lounge", "m1", 10, "Ann", "a@example.org", "<message/>"), 0);
    assert_int_equal(do_append(c, "other", "m1", 10, "Ann", "a@example.org", "<message/>"), 0);

    assert_int_equal(do_delete(c, "lounge"), 0);
    res_t r;
    do_load(c, "lounge", &r);
    assert_int_equal(r.status, PV_STORE_ENOTFOUND);
    res_clear(&r);
    do_query(c, "lounge", NULL, &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.nmsgs, 0);
    res_clear(&r);
    assert_int_equal(do_delete(c, "lounge"), PV_STORE_ENOTFOUND);

    /* Re-creating it starts from nothing. */
    assert_int_equal(do_put(c, "lounge", NULL, 0), 0);
    do_load(c, "lounge", &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.nconfig, 0);
    assert_int_equal(r.naffs, 0);
    assert_int_equal(r.nregs, 0);
    res_clear(&r);

    /* The other room lost nothing. */
    do_load(c, "other", &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.naffs, 1);
    res_clear(&r);
    do_query(c, "other", NULL, &r);
    assert_int_equal(r.nmsgs, 1);
    res_clear(&r);
}

/* ---- Affiliations and registrations ---- */

static void test_affs_set(void **state)
{
    ctx_t *c = *state;
    assert_int_equal(do_put(c, "lounge", NULL, 0), 0);
    const pv_store_aff_t a[] = {
        {"owner@example.org", "owner", NULL},
        {"m1@example.org", "member", "friend"},
        {"m2@example.org", "member", NULL},
        {"evil.example", "outcast", "spam domain"},
    };
    assert_int_equal(do_affs(c, "lounge", a, 4), 0);
    res_t r;
    do_load(c, "lounge", &r);
    assert_int_equal(r.naffs, 4);
    assert_string_equal(find_aff(&r, "owner@example.org")->affiliation, "owner");
    assert_null(find_aff(&r, "owner@example.org")->reason);
    assert_string_equal(find_aff(&r, "m1@example.org")->reason, "friend");
    assert_string_equal(find_aff(&r, "evil.example")->affiliation, "outcast");
    res_clear(&r);

    /* Replace one, remove one, remove an absent one; order within a batch counts. */
    const pv_store_aff_t b[] = {
        {"m1@example.org", "admin", "promoted"}, {"m2@example.org", "none", NULL},
        {"ghost@example.org", "none", NULL},     {"p@example.org", "member", NULL},
        {"p@example.org", "player", NULL},
    };
    assert_int_equal(do_affs(c, "lounge", b, 5), 0);
    do_load(c, "lounge", &r);
    assert_int_equal(r.naffs, 4);
    assert_string_equal(find_aff(&r, "m1@example.org")->affiliation, "admin");
    assert_string_equal(find_aff(&r, "m1@example.org")->reason, "promoted");
    assert_null(find_aff(&r, "m2@example.org"));
    assert_null(find_aff(&r, "ghost@example.org"));
    assert_string_equal(find_aff(&r, "p@example.org")->affiliation, "player");
    res_clear(&r);

    /* An empty batch changes nothing and succeeds. */
    assert_int_equal(do_affs(c, "lounge", NULL, 0), 0);
}

static void test_affs_set_is_atomic(void **state)
{
    ctx_t *c = *state;
    assert_int_equal(do_put(c, "lounge", NULL, 0), 0);
    const pv_store_aff_t a[] = {{"keep@example.org", "admin", "r"}};
    assert_int_equal(do_affs(c, "lounge", a, 1), 0);

    const pv_store_aff_t bad_jid[] = {
        {"new@example.org", "member", NULL},
        {"keep@example.org", "none", NULL},
        {NULL, "member", NULL},
    };
    res_t r = {0};
    c->be->st->affs_set(c->h, "lounge", bad_jid, 3, done_cb, &r);
    wait_for(&r.fired);
    assert_int_equal(r.status, PV_STORE_EINVAL);
    assert_true(strlen(r.err) > 0);
    const pv_store_aff_t bad_aff[] = {
        {"new@example.org", "member", NULL},
        {"x@example.org", NULL, NULL},
    };
    assert_int_equal(do_affs(c, "lounge", bad_aff, 2), PV_STORE_EINVAL);
    const pv_store_aff_t empty_jid[] = {{"new@example.org", "member", NULL}, {"", "member", NULL}};
    assert_int_equal(do_affs(c, "lounge", empty_jid, 2), PV_STORE_EINVAL);

    do_load(c, "lounge", &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.naffs, 1);
    assert_string_equal(r.affs[0].jid, "keep@example.org");
    assert_string_equal(r.affs[0].affiliation, "admin");
    assert_string_equal(r.affs[0].reason, "r");
    res_clear(&r);
}

static void test_reg_set(void **state)
{
    ctx_t *c = *state;
    assert_int_equal(do_put(c, "lounge", NULL, 0), 0);
    assert_int_equal(do_reg(c, "lounge", "a@example.org", "Ann"), 0);
    assert_int_equal(do_reg(c, "lounge", "b@example.org", "Bob"), 0);
    assert_int_equal(do_reg(c, "lounge", "a@example.org", "Annie"), 0);
    res_t r;
    do_load(c, "lounge", &r);
    assert_int_equal(r.nregs, 2);
    assert_string_equal(find_reg(&r, "a@example.org"), "Annie");
    assert_string_equal(find_reg(&r, "b@example.org"), "Bob");
    res_clear(&r);
    assert_int_equal(do_reg(c, "lounge", "b@example.org", NULL), 0);
    assert_int_equal(do_reg(c, "lounge", "nobody@example.org", NULL), 0);
    assert_int_equal(do_reg(c, "lounge", NULL, "X"), PV_STORE_EINVAL);
    do_load(c, "lounge", &r);
    assert_int_equal(r.nregs, 1);
    assert_null(find_reg(&r, "b@example.org"));
    res_clear(&r);
}

static void test_invalid_arguments(void **state)
{
    ctx_t *c = *state;
    const pv_kv_t badkv[] = {{NULL, "v"}};
    assert_int_equal(do_put(c, NULL, NULL, 0), PV_STORE_EINVAL);
    assert_int_equal(do_put(c, "", NULL, 0), PV_STORE_EINVAL);
    assert_int_equal(do_put(c, "lounge", badkv, 1), PV_STORE_EINVAL);
    res_t r;
    do_load(c, "lounge", &r); /* the bad put stored nothing */
    assert_int_equal(r.status, PV_STORE_ENOTFOUND);
    res_clear(&r);
    assert_int_equal(do_append(c, "lounge", NULL, 1, "n", NULL, "<m/>"), PV_STORE_EINVAL);
    assert_int_equal(do_append(c, "lounge", "i", 1, "n", NULL, NULL), PV_STORE_EINVAL);
    assert_int_equal(do_append(c, NULL, "i", 1, "n", NULL, "<m/>"), PV_STORE_EINVAL);
    assert_int_equal(do_replace(c, "lounge", "i", NULL), PV_STORE_EINVAL);
}

/* ---- Archive ---- */

/* Appends m1..m10 to room: stamps 1000..10000, nicks alternating Ann/Bob,
 * m3 without a JID. */
static void fill_archive(ctx_t *c, const char *room)
{
    for (int i = 1; i <= 10; i++) {
        char id[16], xml[64];
        snprintf(id, sizeof(id), "m%d", i);
        snprintf(xml, sizeof(xml), "<message id='m%d'><body>%d</body></message>", i, i);
        assert_int_equal(do_append(c, room, id, (int64_t)i * 1000, i % 2 ? "Ann" : "Bob",
                                   i == 3 ? NULL : "x@example.org", xml),
                         0);
    }
}

static void test_archive_append_query(void **state)
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

static void test_archive_query_time_range(void **state)
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

static void test_archive_query_after_before(void **state)
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

static void test_archive_query_with_nick(void **state)
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

static void test_archive_query_max_complete(void **state)
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

static void test_archive_query_default_max(void **state)
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

static void test_archive_query_last_page(void **state)
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

static void test_archive_query_unknown_id(void **state)
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

static void test_archive_duplicate_id(void **state)
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

static void test_archive_replace(void **state)
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

static void test_archive_delete(void **state)
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

static void test_archive_temporary_room(void **state)
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

static void test_special_characters(void **state)
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
static void test_long_room_name(void **state)
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
static void test_close_completes_pending(void **state)
{
    ctx_t *c = *state;
    res_t r[4];
    memset(r, 0, sizeof(r));
    assert_int_equal(do_put(c, "lounge", NULL, 0), 0);
    for (int i = 0; i < 3; i++) {
        char id[8];
        snprintf(id, sizeof(id), "p%d", i);
        pv_store_msg_t m = {id, i + 1, "n", NULL, "<m/>"};
        c->be->st->archive_append(c->h, "lounge", &m, done_cb, &r[i]);
    }
    const pv_store_aff_t a[] = {{"o@example.org", "owner", NULL}};
    c->be->st->affs_set(c->h, "lounge", a, 1, done_cb, &r[3]);
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
static void test_open_failure(void **state)
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

static void test_persistence(void **state)
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

static void test_failing_writes(void **state)
{
    ctx_t *c = *state;
    seed_room(c);
    writes_fail(1);
    const pv_kv_t kv[] = {{"title", "after"}};
    res_t r = {0};
    c->be->st->room_put(c->h, "lounge", kv, 1, done_cb, &r);
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

static void test_failing_readonly_dir(void **state)
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

static void test_failing_corrupt_file(void **state)
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

/* Runs SQL through PALAVER_PGSQL_PSQL (a psql command line);
 * in the background when bg. Returns system()'s status. */
static int psql(const char *sql, int bg)
{
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "%s -c \"%s\" >/dev/null%s", getenv("PALAVER_PGSQL_PSQL"), sql,
             bg ? " &" : "");
    return system(cmd);
}

/* Runs the loop for about `seconds`. */
static void spin(double seconds)
{
    struct ev_loop *loop = pv_loop();
    ev_timer t;
    timed_out = 0;
    ev_timer_init(&t, on_timeout, seconds, 0.0);
    ev_timer_start(loop, &t);
    while (!timed_out)
        ev_run(loop, EVRUN_ONCE);
    ev_timer_stop(loop, &t);
    timed_out = 0;
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
static void test_slow_database(void **state)
{
    ctx_t *c = *state;
    assert_int_equal(do_put(c, "lounge", NULL, 0), 0);
    assert_int_equal(
        psql("BEGIN; LOCK TABLE rooms IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(1.5); COMMIT", 1),
        0);
    usleep(500 * 1000); /* let it take the lock */
    res_t r = {0};
    const pv_kv_t kv[] = {{"title", "after the lock"}};
    c->be->st->room_put(c->h, "lounge", kv, 1, done_cb, &r);
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
static void test_reconnect(void **state)
{
    ctx_t *c = *state;
    seed_room(c);
    assert_int_equal(psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                          " WHERE application_name = 'palaver'",
                          0),
                     0);
    res_t r = {0};
    c->be->st->room_load(c->h, "lounge", room_cb, &r);
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
}

/* ---- A longer run: appends stay cheap with many rooms ---- */

static void test_many_rooms(void **state)
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

/* ---- Running every test against every backend ---- */

/* The core functions the backends call. The test links the core as a static
 * convenience library, so only objects something in the program refers to
 * end up in it (and, with -export-dynamic, visible to the modules): this
 * table makes sure they all do. */
typedef void (*any_fn)(void);
static volatile any_fn core_for_backends[] = {
    (any_fn)pv_log,          (any_fn)pv_config_str, (any_fn)pv_config_check_known,
    (any_fn)pv_config_error, (any_fn)pv_loop,       (any_fn)pv_el_new,
    (any_fn)pv_el_free,      (any_fn)pv_el_add,     (any_fn)pv_el_set_attr,
    (any_fn)pv_el_attr,      (any_fn)pv_el_child,   (any_fn)pv_el_next,
    (any_fn)pv_el_serialize, (any_fn)pv_el_parse,   (any_fn)pv_el_text,
};

/* Which backends a test applies to (cmocka's skip() prints "not ok # SKIP",
 * which TAP drivers count as a failure, so tests that cannot apply are not
 * run at all; main() says which). */
enum need { ANY, NOT_MEMORY, FILES, SPOOL_NOT_ROOT, PGSQL_PSQL };

typedef struct test_def {
    const char *name;
    CMUnitTestFunction fn;
    enum need need;
} test_def_t;

#define T(f)                                                                                       \
    {                                                                                              \
#f, f, ANY                                                                                 \
    }
#define TN(f, need)                                                                                \
    {                                                                                              \
#f, f, need                                                                                \
    }
static const test_def_t tests[] = {
    T(test_room_put_load),
    T(test_room_missing_is_enotfound),
    T(test_room_list),
    T(test_room_delete_cascades),
    T(test_affs_set),
    T(test_affs_set_is_atomic),
    T(test_reg_set),
    T(test_invalid_arguments),
    T(test_archive_append_query),
    T(test_archive_query_time_range),
    T(test_archive_query_after_before),
    T(test_archive_query_with_nick),
    T(test_archive_query_max_complete),
    T(test_archive_query_default_max),
    T(test_archive_query_last_page),
    T(test_archive_query_unknown_id),
    T(test_archive_duplicate_id),
    T(test_archive_replace),
    T(test_archive_delete),
    T(test_archive_temporary_room),
    T(test_special_characters),
    T(test_long_room_name),
    T(test_close_completes_pending),
    TN(test_open_failure, NOT_MEMORY),
    T(test_persistence),
    TN(test_failing_writes, FILES),
    TN(test_failing_readonly_dir, SPOOL_NOT_ROOT), /* root ignores permissions */
    TN(test_failing_corrupt_file, FILES),
    TN(test_slow_database, PGSQL_PSQL),
    TN(test_reconnect, PGSQL_PSQL),
    T(test_many_rooms),
};
#define NTESTS (sizeof(tests) / sizeof(tests[0]))

static int applies(const backend_t *be, enum need need)
{
    switch (need) {
    case NOT_MEMORY:
        return be->persistent;
    case FILES:
        return be->files;
    case SPOOL_NOT_ROOT:
        return strcmp(be->name, "spool") == 0 && geteuid() != 0;
    case PGSQL_PSQL:
        return strcmp(be->name, "pgsql") == 0 && getenv("PALAVER_PGSQL_PSQL");
    default:
        return 1;
    }
}

int main(int argc, char **argv)
{
    const char *defaults[] = {"memory", "spool", "sqlite"};
    const char *names[16];
    size_t nb = 0;
    char *envcopy = NULL;
    if (argc > 1) {
        for (int i = 1; i < argc && nb < 16; i++)
            names[nb++] = argv[i];
    } else if (getenv("PALAVER_STORE_BACKENDS")) {
        envcopy = strdup(getenv("PALAVER_STORE_BACKENDS"));
        for (char *save = NULL, *t = strtok_r(envcopy, " ,", &save); t && nb < 16;
             t = strtok_r(NULL, " ,", &save))
            names[nb++] = t;
    } else {
        for (size_t i = 0; i < 3; i++)
            names[nb++] = defaults[i];
    }
    for (size_t i = 0; i < sizeof(core_for_backends) / sizeof(core_for_backends[0]); i++)
        if (!core_for_backends[i])
            return 1;
    backend_t *bes = calloc(nb, sizeof(*bes));
    struct CMUnitTest *all = calloc(nb * NTESTS, sizeof(*all));
    char **labels = calloc(nb * NTESTS, sizeof(char *));
    size_t n = 0;
    int bailed = 0;
    for (size_t b = 0; b < nb; b++) {
        bes[b].name = names[b];
        if (load_backend(&bes[b]) < 0) {
            printf("Bail out! cannot load backend %s\n", names[b]);
            bailed = 1;
            nb = b + 1; /* its module handle is NULL: lt_dlclose ignores it */
            break;
        }
        for (size_t t = 0; t < NTESTS; t++) {
            if (!applies(&bes[b], tests[t].need)) {
                printf("# %s: %s does not apply\n", names[b], tests[t].name + 5);
                continue;
            }
            size_t len = strlen(names[b]) + strlen(tests[t].name) + 4;
            labels[n] = malloc(len);
            snprintf(labels[n], len, "%s: %s", names[b], tests[t].name + 5);
            all[n].name = labels[n];
            all[n].test_func = tests[t].fn;
            all[n].setup_func = setup;
            all[n].teardown_func = teardown;
            all[n].initial_state = &bes[b];
            n++;
        }
    }
    fflush(stdout);
    int failed = bailed ? 1 : _cmocka_run_group_tests("store", all, n, NULL, NULL);
    for (size_t i = 0; i < n; i++)
        free(labels[i]);
    free(labels);
    free(all);
    for (size_t b = 0; b < nb; b++)
        if (bes[b].mod)
            lt_dlclose(bes[b].mod);
    lt_dlexit();
    free(bes);
    free(envcopy);
    return failed ? 1 : 0;
}
