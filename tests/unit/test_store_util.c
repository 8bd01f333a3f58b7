/*
 * tests/unit/test_store_util.c: helpers of the storage conformance suite:
 * waiting on the event loop for callbacks (pgsql answers later, the others
 * at once), copying results out of callbacks (their data is only borrowed),
 * and one call-and-wait wrapper per operation.
 */
#include "test_store.h"

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
void wait_for(const int *fired)
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

static char *dupn(const char *s)
{
    return s ? strdup(s) : NULL;
}

void res_clear(res_t *r)
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

void done_cb(int status, const char *error, void *ud)
{
    note(ud, status, error);
}

void names_cb(int status, const char *error, const char *const *names, size_t n, void *ud)
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

void room_cb(int status, const char *error, const pv_store_room_t *room, void *ud)
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

void msgs_cb(int status, const char *error, const pv_store_msg_t *msgs, size_t n, int complete,
             void *ud)
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

int do_put(ctx_t *c, const char *room, const pv_kv_t *kv, size_t n)
{
    res_t r = {0};
    c->st->room_put(c->h, room, kv, n, done_cb, &r);
    wait_for(&r.fired);
    return r.status;
}

int do_delete(ctx_t *c, const char *room)
{
    res_t r = {0};
    c->st->room_delete(c->h, room, done_cb, &r);
    wait_for(&r.fired);
    return r.status;
}

int do_affs(ctx_t *c, const char *room, const pv_store_aff_t *items, size_t n)
{
    res_t r = {0};
    c->st->affs_set(c->h, room, items, n, done_cb, &r);
    wait_for(&r.fired);
    return r.status;
}

int do_reg(ctx_t *c, const char *room, const char *jid, const char *nick)
{
    res_t r = {0};
    c->st->reg_set(c->h, room, jid, nick, done_cb, &r);
    wait_for(&r.fired);
    return r.status;
}

int do_append(ctx_t *c, const char *room, const char *id, int64_t stamp, const char *nick,
              const char *jid, const char *xml)
{
    res_t r = {0};
    pv_store_msg_t m = {id, stamp, nick, jid, xml};
    c->st->archive_append(c->h, room, &m, done_cb, &r);
    wait_for(&r.fired);
    return r.status;
}

int do_replace(ctx_t *c, const char *room, const char *id, const char *xml)
{
    res_t r = {0};
    c->st->archive_replace(c->h, room, id, xml, done_cb, &r);
    wait_for(&r.fired);
    return r.status;
}

int do_archive_delete(ctx_t *c, const char *room)
{
    res_t r = {0};
    c->st->archive_delete(c->h, room, done_cb, &r);
    wait_for(&r.fired);
    return r.status;
}

/* The caller res_clear()s *r. */
void do_load(ctx_t *c, const char *room, res_t *r)
{
    memset(r, 0, sizeof(*r));
    c->st->room_load(c->h, room, room_cb, r);
    wait_for(&r->fired);
}

void do_list(ctx_t *c, res_t *r)
{
    memset(r, 0, sizeof(*r));
    c->st->room_list(c->h, names_cb, r);
    wait_for(&r->fired);
}

void do_query(ctx_t *c, const char *room, const pv_store_query_t *q, res_t *r)
{
    memset(r, 0, sizeof(*r));
    c->st->archive_query(c->h, room, q, msgs_cb, r);
    wait_for(&r->fired);
}

/* ---- Lookup helpers over results ---- */

int has_name(const res_t *r, const char *name)
{
    for (size_t i = 0; i < r->nnames; i++)
        if (strcmp(r->names[i], name) == 0)
            return 1;
    return 0;
}

const pv_store_aff_t *find_aff(const res_t *r, const char *jid)
{
    for (size_t i = 0; i < r->naffs; i++)
        if (strcmp(r->affs[i].jid, jid) == 0)
            return &r->affs[i];
    return NULL;
}

const char *find_reg(const res_t *r, const char *jid)
{
    for (size_t i = 0; i < r->nregs; i++)
        if (strcmp(r->regs[i].jid, jid) == 0)
            return r->regs[i].nick;
    return NULL;
}

/* Asserts the query result's ids, in order, equal the NULL-terminated list. */
void assert_ids(const res_t *r, ...)
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

void add_opt(pv_el_t *cfg, const char *name, const char *value)
{
    assert_non_null(pv_el_add_text_child(cfg, NULL, name, value));
}

int open_store(ctx_t *c)
{
    c->st = stats_store_wrap(c->be->st);
    return c->st->open(c->cfg, &c->h);
}

void close_store(ctx_t *c)
{
    c->be->st->close(c->h);
    c->h = NULL;
}

void fill_archive(ctx_t *c, const char *room)
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

/* Runs the loop for about `seconds`. */
void spin(double seconds)
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

/* ---- Programs that test one backend (test_store_sqlite_*.c, ...) ---- */

/* The core functions the backends call. The programs link the core as a
 * static convenience library, so only objects something in the program
 * refers to end up in it (and, with -export-dynamic, visible to the
 * modules): this table makes sure they all do. */
typedef void (*any_fn)(void);
static volatile any_fn core_for_backends[] = {
    (any_fn)pv_log,          (any_fn)pv_config_str, (any_fn)pv_config_check_known,
    (any_fn)pv_config_error, (any_fn)pv_loop,       (any_fn)pv_el_new,
    (any_fn)pv_el_free,      (any_fn)pv_el_add,     (any_fn)pv_el_set_attr,
    (any_fn)pv_el_attr,      (any_fn)pv_el_child,   (any_fn)pv_el_next,
    (any_fn)pv_el_serialize, (any_fn)pv_el_parse,   (any_fn)pv_el_text,
    (any_fn)pv_map_new,      (any_fn)pv_map_free,   (any_fn)pv_map_get,
    (any_fn)pv_map_put,      (any_fn)pv_map_del,    (any_fn)pv_map_count,
    (any_fn)pv_map_each,
};

int backend_core_linked(void)
{
    for (size_t i = 0; i < sizeof core_for_backends / sizeof core_for_backends[0]; i++)
        if (!core_for_backends[i])
            return -1;
    return 0;
}

int backend_module_load(backend_t *be)
{
    if (backend_core_linked() < 0)
        return -1;
    const char *dirs = getenv("PALAVER_MODULE_DIR");
    if (lt_dlinit() != 0 || (dirs && lt_dlsetsearchpath(dirs) != 0)) {
        printf("Bail out! lt_dlinit: %s\n", lt_dlerror());
        return -1;
    }
    char sym[64];
    snprintf(sym, sizeof sym, "%s_LTX_pv_store", be->name);
    be->mod = lt_dlopenext(be->name);
    be->st = be->mod ? lt_dlsym(be->mod, sym) : NULL;
    if (!be->st) {
        printf("Bail out! cannot load the %s backend from %s: %s\n", be->name,
               dirs ? dirs : "(default path)", lt_dlerror());
        return -1;
    }
    return 0;
}

void backend_module_unload(backend_t *be)
{
    lt_dlclose(be->mod);
    lt_dlexit();
}

/* Removes dir and the files in it. */
static void rm_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            char p[PATH_MAX * 2];
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
    }
    closedir(d);
    rmdir(dir);
}

int temp_store_setup(void **state, backend_t *be, const char *prefix)
{
    ctx_t *c = calloc(1, sizeof *c);
    if (!c)
        return -1;
    c->be = be;
    snprintf(c->dir, sizeof c->dir, "%s/%s-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
             prefix);
    if (!mkdtemp(c->dir))
        return -1;
    c->cfg = pv_el_new(NULL, "backend");
    if (!c->cfg)
        return -1;
    add_opt(c->cfg, "type", be->name);
    add_opt(c->cfg, "spool", c->dir);
    if (open_store(c) != 0)
        return -1;
    *state = c;
    return 0;
}

int temp_store_teardown(void **state)
{
    ctx_t *c = *state;
    if (c->h)
        close_store(c);
    pv_el_free(c->cfg);
    rm_dir(c->dir);
    free(c);
    return 0;
}
