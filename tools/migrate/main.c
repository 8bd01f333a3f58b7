/*
 * tools/migrate/main.c: palaver-migrate, which copies rooms (config,
 * affiliations, registered nicks) from a legacy MUC service or from one of
 * our backends into the backend that palaver.xml configures.
 *
 *   palaver-migrate --from SOURCE --to-config palaver.xml [--dry-run]
 *
 * SOURCE: mu-conference:DIR, palaver06-sqlite:FILE, palaver06-pgsql:CONNINFO,
 * spool:DIR, sqlite:FILE, pgsql:CONNINFO. Exit status: 0 when everything
 * converted (skipped fields are not failures), 1 when anything failed, 2 on
 * usage errors.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>
#include <libxml/parser.h>

#include <palaver/log.h>
#include <palaver/store.h>
#include <palaver/util.h>

#include "log_internal.h"
#include "migrate.h"
#include "modules.h"
#include "settings.h"

typedef struct run {
    mig_report_t rep;
    mig_target_t target;
} run_t;

static void usage(FILE *f)
{
    fprintf(f, "usage: palaver-migrate --from SOURCE --to-config palaver.xml [--dry-run] [-v]\n"
               "  SOURCE is one of\n"
               "    mu-conference:DIR           JCR mu-conference spool of the conference host\n"
               "                                (the directory holding rooms.xml)\n"
               "    palaver06-sqlite:FILE       Palaver 0.6 SQLite database\n"
               "    palaver06-pgsql:CONNINFO    Palaver 0.6 PostgreSQL database (libpq string)\n"
               "    spool:DIR | sqlite:FILE | pgsql:CONNINFO   one of Palaver's backends\n"
               "  The rooms go into the backend palaver.xml configures; rooms keep their node.\n"
               "  --dry-run   print what would be converted and what cannot be, write nothing\n");
}

static int emit(mig_room_t *room, void *ud)
{
    run_t *run = ud;
    report_room(&run->rep, room);
    if (!run->rep.dry_run && target_write_room(&run->target, room) < 0)
        return -1;
    run->rep.rooms++;
    run->rep.lists += room->naffs;
    run->rep.nicks += room->nregs;
    return 0;
}

static int convert(const char *from, run_t *run)
{
    const char *colon = strchr(from, ':');
    if (!colon || colon == from || !colon[1]) {
        fprintf(stderr, "palaver-migrate: --from must be KIND:LOCATION, not '%s'\n", from);
        return -1;
    }
    size_t klen = (size_t)(colon - from);
    char kind[64];
    if (klen >= sizeof kind) {
        fprintf(stderr, "palaver-migrate: unknown source kind in '%s'\n", from);
        return -1;
    }
    memcpy(kind, from, klen);
    kind[klen] = '\0';
    const char *loc = colon + 1;
    if (strcmp(kind, "mu-conference") == 0)
        return source_mucconf(loc, &run->rep, emit, run);
    if (strcmp(kind, "palaver06-sqlite") == 0)
        return source_palaver06_sqlite(loc, &run->rep, emit, run);
    if (strcmp(kind, "palaver06-pgsql") == 0)
        return source_palaver06_pgsql(loc, &run->rep, emit, run);
    if (strcmp(kind, "memory") == 0) {
        fprintf(stderr, "palaver-migrate: the memory backend keeps nothing; it cannot be a "
                        "source\n");
        return -1;
    }
    if (!strcmp(kind, "spool") || !strcmp(kind, "sqlite") || !strcmp(kind, "pgsql") ||
        !strcmp(kind, "dir"))
        return source_backend(strcmp(kind, "dir") ? kind : "spool", loc, &run->rep, emit, run);
    fprintf(stderr,
            "palaver-migrate: unknown source kind '%s' (mu-conference, "
            "palaver06-sqlite, palaver06-pgsql, spool, sqlite, pgsql)\n",
            kind);
    return -1;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"from", required_argument, NULL, 'f'}, {"to-config", required_argument, NULL, 'c'},
        {"dry-run", no_argument, NULL, 'n'},    {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0},
    };
    const char *from = NULL, *config = NULL;
    bool dry = false;
    int verbose = 0, opt;
    while ((opt = getopt_long(argc, argv, "f:c:nvh", opts, NULL)) != -1) {
        switch (opt) {
        case 'f':
            from = optarg;
            break;
        case 'c':
            config = optarg;
            break;
        case 'n':
            dry = true;
            break;
        case 'v':
            verbose++;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc || !from || !config) {
        if (optind < argc)
            fprintf(stderr, "palaver-migrate: unexpected argument '%s'\n", argv[optind]);
        else
            fprintf(stderr, "palaver-migrate: --from and --to-config are required\n");
        usage(stderr);
        return 2;
    }

    xmlInitParser();
    pv_settings_t settings;
    memset(&settings, 0, sizeof settings);
    pv_cli_t cli;
    memset(&cli, 0, sizeof cli);
    cli.rport = -1;
    cli.verbosity = verbose ? verbose : -1;
    cli.moddir = getenv("PALAVER_MODULE_DIR");
    run_t run = {.rep = {.out = stdout, .dry_run = dry}};
    int rc = 1;
    bool modules_up = false, source_ok = false;

    if (config_load(&settings, config, true) < 0 || settings_apply_cli(&settings, &cli) < 0)
        goto out;
    settings_set_current(&settings);
    log_set_verbosity(settings.verbosity);
    if (modules_init(settings.moddir) < 0)
        goto out;
    modules_up = true;
    if (!dry) {
        if (modules_load_backend(&settings) < 0)
            goto out;
        run.target.st = pv_store(&run.target.h);
        run.target.rep = &run.rep;
        if (!run.target.st) {
            fprintf(stderr, "palaver-migrate: no backend loaded\n");
            goto out;
        }
        printf("target: backend %s (%s)\n", settings.backend, config);
        if (strcmp(settings.backend, "memory") == 0)
            printf("warning: the memory backend keeps nothing: the converted rooms are lost "
                   "when palaver-migrate exits (use --dry-run to preview)\n");
    } else {
        printf("target: backend %s (%s), dry run: nothing is written\n", settings.backend, config);
    }
    source_ok = convert(from, &run) == 0;
    rc = report_summary(&run.rep);
    if (!source_ok)
        rc = 1;
out:
    if (modules_up)
        modules_shutdown();
    settings_free(&settings);
    xmlCleanupParser();
    ev_loop_destroy(EV_DEFAULT);
    return rc;
}
