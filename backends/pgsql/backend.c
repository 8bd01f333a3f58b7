/*
 * backends/pgsql/backend.c: the PostgreSQL backend's descriptor, open and
 * close.
 *
 * Options in <backend>, Palaver 0.6's names:
 *   <dbname> <dbuser> <dbpass> <dbhostname> <dbport>
 * or one libpq connection string:
 *   <conninfo>host=... dbname=...</conninfo>
 * (given together, the separate options override the string's values).
 * open connects and creates the schema synchronously, so that a wrong
 * password or an unreachable server stops start-up with a clear message;
 * from then on everything runs on the event loop.
 */
#include <stdlib.h>
#include <string.h>

#include <palaver/config.h>
#include <palaver/log.h>
#include <palaver/util.h>

#include "pgsql.h"

/* libpq keyword for each option; conninfo goes first as an expandable dbname. */
static const struct {
    const char *option, *keyword;
} options[] = {
    {"conninfo", "dbname"}, {"dbname", "dbname"},   {"dbuser", "user"},
    {"dbpass", "password"}, {"dbhostname", "host"}, {"dbport", "port"},
};
#define NOPTIONS (sizeof(options) / sizeof(options[0]))

static void free_params(pg_store_t *s)
{
    if (s->values)
        for (size_t i = 0; s->keys[i]; i++)
            free((char *)s->values[i]);
    free(s->keys);
    free(s->values);
}

/* Builds s->keys/values from cfg. 0, or -1 (logged). */
static int params_from(pg_store_t *s, const pv_config_t *cfg)
{
    s->keys = calloc(NOPTIONS + 3, sizeof(char *));
    s->values = calloc(NOPTIONS + 3, sizeof(char *));
    if (!s->keys || !s->values)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < NOPTIONS; i++) {
        const char *v = pv_config_str(cfg, options[i].option, NULL);
        if (!v || !*v)
            continue;
        s->keys[n] = options[i].keyword;
        if (!(s->values[n] = strdup(v)))
            return -1;
        n++;
    }
    s->keys[n] = "fallback_application_name";
    if (!(s->values[n++] = strdup("palaver")))
        return -1;
    s->keys[n] = "client_encoding";
    if (!(s->values[n++] = strdup("UTF8")))
        return -1;
    return 0;
}

static void pg_close(void *handle)
{
    pg_store_t *s = handle;
    if (!s)
        return;
    pg_drain(s);
    pg_lease_free(s);
    free_params(s);
    free(s);
}

static int pg_open(const pv_config_t *cfg, void **handle)
{
    static const char *const known[] = {"type",   "spool",      "conninfo", "dbname", "dbuser",
                                        "dbpass", "dbhostname", "dbport",   NULL};
    if (pv_config_check_known(cfg, known, "pgsql") > 0)
        return -1;
    const char *ci = pv_config_str(cfg, "conninfo", NULL), *db = pv_config_str(cfg, "dbname", NULL);
    if (ci && *ci && db && *db)
        return pv_config_error(cfg, "pgsql", "give either <conninfo> or <dbname>, not both");
    pg_store_t *s = calloc(1, sizeof(*s));
    if (!s) {
        pv_log(PV_LOG_ERROR, "pgsql", "out of memory opening the store");
        return -1;
    }
    s->loop = pv_loop();
    if (params_from(s, cfg) < 0 || pg_lease_init(s) < 0) {
        pv_log(PV_LOG_ERROR, "pgsql", "out of memory opening the store");
        pg_lease_free(s);
        free_params(s);
        free(s);
        return -1;
    }
    if (pg_connect_blocking(s) < 0 || pg_schema_apply(s) < 0) {
        PQfinish(s->conn);
        pg_lease_free(s);
        free_params(s);
        free(s);
        return -1;
    }
    pg_start_io(s);
    if (!s->conn) {
        pg_close(s);
        return -1;
    }
    pv_log(PV_LOG_DEBUG, "pgsql", "connected to database %s on %s", PQdb(s->conn),
           PQhost(s->conn) ? PQhost(s->conn) : "(default)");
    *handle = s;
    return 0;
}

PV_STORE_DEFINE(pgsql) = {
    .size = sizeof(pv_store_t),
    .abi_major = PV_STORE_ABI_MAJOR,
    .abi_minor = PV_STORE_ABI_MINOR,
    .name = "pgsql",
    .version = "1.0",
    .open = pg_open,
    .close = pg_close,
    .room_list = pg_room_list,
    .room_load = pg_room_load,
    .room_put = pg_room_put,
    .room_delete = pg_room_delete,
    .affs_set = pg_affs_set,
    .reg_set = pg_reg_set,
    .archive_append = pg_archive_append,
    .archive_query = pg_archive_query,
    .archive_replace = pg_archive_replace,
    .archive_delete = pg_archive_delete,
    .archive_trim = pg_archive_trim,
    .rooms_list = pg_rooms_list,
    .lease_acquire = pg_lease_acquire,
    .lease_renew = pg_lease_renew,
    .lease_release = pg_lease_release,
    .lease_ask = pg_lease_ask,
    .lease_watch = pg_lease_watch,
    .occupant_put = pg_occupant_put,
    .occupants_load = pg_occupants_load,
};
