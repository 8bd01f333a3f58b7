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
#include "test_store.h"

/* ---- Loading a backend ---- */

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

/* ---- Running every test against every backend ---- */

/* Which backends a test applies to (cmocka's skip() prints "not ok # SKIP",
 * which TAP drivers count as a failure, so tests that cannot apply are not
 * run at all; main() says which). */
enum need { ANY, NOT_MEMORY, FILES, SPOOL_NOT_ROOT, PGSQL_PSQL, LEASES, SCHEMA_UPGRADE };

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
    T(test_archive_append_burst),
    T(test_archive_replace),
    T(test_archive_delete),
    T(test_archive_temporary_room),
    T(test_archive_trim),
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
    T(test_awkward_room_names),
    T(test_ten_thousand_rooms),
    T(test_rooms_list_after),
    T(test_rooms_list_awkward_names),
    T(test_rooms_list_changes_between_pages),
    T(test_room_load_on_demand),
    T(test_rooms_list_older_backend),
    T(test_rooms_list_paging),
    T(test_occupants_put_load_order),
    T(test_occupants_replace_remove),
    T(test_occupants_invalid),
    TN(test_occupants_schema_upgrade, SCHEMA_UPGRADE),
    TN(test_pgsql_archive_schema_upgrade, PGSQL_PSQL),
    TN(test_lease_acquire_busy_takeover, LEASES),
    TN(test_lease_ask_watch, LEASES),
    TN(test_lease_fencing, LEASES),
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
    case SCHEMA_UPGRADE: /* the database backends, when the test can edit the database */
        return strcmp(be->name, "sqlite") == 0 ||
               (strcmp(be->name, "pgsql") == 0 && getenv("PALAVER_PGSQL_PSQL"));
    case LEASES: /* backends shared between processes */
        return strcmp(be->name, "pgsql") == 0;
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
    if (backend_core_linked() < 0)
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
