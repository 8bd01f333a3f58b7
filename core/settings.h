/*
 * core/settings.h: the effective settings of the daemon, from the config file
 * and the command line (command line wins, for every option).
 *
 * config_load() reads and validates the file (Palaver 0.6 and mu-conference
 * layouts included), settings_apply_cli() overlays command-line values, and
 * settings_validate() checks the result. Every problem is reported as
 * "FILE:LINE: what is wrong; what to write instead".
 */
#ifndef PV_CORE_SETTINGS_H
#define PV_CORE_SETTINGS_H

#include <palaver/xml.h>
#include <stdbool.h>

typedef struct pv_settings {
    char *config_path; /* file read, or NULL */
    char *jid;         /* component domain (<name>, --jid) */
    char *rhost;       /* server host (<ip>, --rhost), default "localhost" */
    int rport;         /* server component port (<port>, --rport), default 5347 */
    char *secret;      /* handshake secret (<secret>, --secret) */
    char *backend;     /* backend module name (<backend><type>, --backend), default "sqlite";
                          Palaver 0.6's "dir" means "spool" */
    char *spool;       /* <spool>, --spool */
    char *log_path;    /* <log>, --log; NULL or "stderr" = stderr, "syslog" = syslog */
    int verbosity;     /* -v count, or <loglevel> (0-2, or info, debug, traffic) */
    char *moddir; /* <moduledir>, --moduledir, or PALAVER_MODULE_DIR env, else the install path */
    long max_stanza;    /* <limits><stanza-size> bytes, default 262144 */
    long max_outbuf;    /* <limits><output-buffer> bytes, default 16 MiB */
    long keepalive;     /* <keepalive> seconds, default 60 (0 = off) */
    long reconnect_max; /* <reconnect-max> seconds, default 60 */
    char **plugins;     /* NULL-terminated names, in load order */
    pv_el_t *root;      /* the parsed config (owned), or NULL */
    /* Appended by config_load / settings_backend_config; all owned by s. */
    char **sadmins;       /* service admins, normalised bare JIDs, NULL-terminated */
    pv_el_t *backend_cfg; /* built by settings_backend_config(), or NULL */
    bool plugins_default; /* true when no <plugins> was given (standard set) */
    /* Appended for syslog and statistics. */
    int log_facility;    /* <log facility="...">: a LOG_* value, default LOG_DAEMON */
    char *log_socket;    /* <log socket="...">: the logger's socket, NULL = /dev/log */
    long stats_interval; /* <statistics interval="N">: seconds, 0 (the default) = off */
    /* Appended for the metrics endpoint. */
    char *metrics_listen; /* <metrics listen="ADDR:PORT">: NULL (the default) = off */
    /* Appended for companion plugins: the names <plugins> turns off
     * (<NAME enabled="false"/>), NULL-terminated, or NULL. */
    char **plugins_off;
} pv_settings_t;

/* Options given on the command line; NULL / -1 when not given. */
typedef struct pv_cli {
    const char *config_path;
    const char *jid, *rhost, *secret, *backend, *spool, *log_path, *moddir;
    int rport;
    int verbosity; /* number of -v */
} pv_cli_t;

/* Reads path into s (zeroed first). A missing file is an error when
 * `required`. Returns 0, or -1 after printing FILE:LINE errors to stderr. */
int config_load(pv_settings_t *s, const char *path, bool required);

/* The value a config element holds: its text without the XML white space
 * (space, tab, LF, CR) around it. Returns where the value starts inside el's
 * text and stores its length in *len (the value ends at a NUL only when no
 * white space follows it). Nothing is allocated. */
const char *config_text(const pv_el_t *el, size_t *len);

/* Overlays CLI values. */
int settings_apply_cli(pv_settings_t *s, const pv_cli_t *cli);

/* Checks that what is needed to run is there (jid, secret...). Returns 0 or -1
 * after printing what is missing and how to give it. */
int settings_validate(const pv_settings_t *s);

/* The <backend> element to give the backend's open(): the config's, with
 * <spool> copied in, or a synthesized one. Owned by s. */
const pv_el_t *settings_backend_config(pv_settings_t *s);

/* The plugin's own config element (<plugins><NAME>...), or NULL. */
const pv_el_t *settings_plugin_config(const pv_settings_t *s, const char *name);

void settings_free(pv_settings_t *s);

/* The backend a Palaver 0.6 name means ("dir" -> "spool", "psycopg" ->
 * "pgsql"), or NULL when name is not an old name. Static strings. */
const char *settings_backend_alias(const char *name);

/* The settings in force (for pv_config_* in the SDK). */
void settings_set_current(pv_settings_t *s);
pv_settings_t *settings_current(void);

#endif
