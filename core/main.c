/*
 * core/main.c: the palaver daemon's entry point.
 *
 * Reads the command line and the config, loads the backend and the plugins,
 * then runs the libev loop with the component stream until SIGTERM/SIGINT.
 * Order matters: the backend opens before plugins init (they load rooms), and
 * at exit the stream closes first (the wait for the server bounded), then
 * plugins flush, then the backend; SIGTERM/SIGINT stay caught until then, and
 * "core: stopped" is the last line.
 */
#include <ev.h>
#include <getopt.h>
#include <libxml/parser.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#include <palaver/log.h>
#include <palaver/util.h>

#include "log_internal.h"
#include "metrics_http.h"
#include "modules.h"
#include "router_internal.h"
#include "settings.h"
#include "stats.h"
#include "stream.h"
#include "util_internal.h"

#define WHO "core"

static pv_settings_t settings;
static const char *config_arg;
static bool config_required;
static pv_cli_t cli;

static void usage(FILE *out)
{
    fprintf(
        out,
        "Usage: palaver [OPTIONS]\n"
        "Palaver %s, an XMPP multi-user chat service (XEP-0045) run as a component.\n\n"
        "  -c, --config FILE     config file (default %s/palaver.xml)\n"
        "      --check-config    validate the config, load the modules, and exit\n"
        "      --list-options[=roff]  print the listed plugins' configuration elements\n"
        "      --jid DOMAIN      component domain, e.g. conference.example.org (<name>)\n"
        "      --rhost HOST      XMPP server host or address (<ip>)\n"
        "      --rport PORT      XMPP server component port (<port>, default 5347)\n"
        "      --secret SECRET   component secret (<secret>)\n"
        "      --backend NAME    storage backend: sqlite, spool, pgsql, memory (<backend><type>)\n"
        "      --spool DIR       data directory (<spool>)\n"
        "      --moduledir DIRS  where plugins and backends are (colon-separated; default %s)\n"
        "  -l, --log FILE        log file, or syslog (default: standard error)\n"
        "  -v, --verbose         more logging (twice: every stanza, secrets redacted)\n"
        "  -V, --version         print the version and exit\n"
        "  -h, --help            this help\n"
        "Command-line options override the config file.\n",
        PACKAGE_VERSION, PV_SYSCONF_DIR, PV_MODULE_DIR);
}

enum {
    OPT_CHECK = 256,
    OPT_JID,
    OPT_RHOST,
    OPT_RPORT,
    OPT_SECRET,
    OPT_BACKEND,
    OPT_SPOOL,
    OPT_MODDIR,
    OPT_LIST_OPTIONS
};

static int list_options; /* --list-options: 1 text, 2 roff */

static int parse_args(int argc, char **argv, bool *check_only)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"check-config", no_argument, NULL, OPT_CHECK},
        {"jid", required_argument, NULL, OPT_JID},
        {"rhost", required_argument, NULL, OPT_RHOST},
        {"rport", required_argument, NULL, OPT_RPORT},
        {"secret", required_argument, NULL, OPT_SECRET},
        {"backend", required_argument, NULL, OPT_BACKEND},
        {"spool", required_argument, NULL, OPT_SPOOL},
        {"moduledir", required_argument, NULL, OPT_MODDIR},
        {"list-options", optional_argument, NULL, OPT_LIST_OPTIONS},
        {"log", required_argument, NULL, 'l'},
        {"verbose", no_argument, NULL, 'v'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    memset(&cli, 0, sizeof cli);
    cli.rport = -1;
    cli.verbosity = -1;
    int c;
    while ((c = getopt_long(argc, argv, "c:l:vVh", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config_arg = optarg;
            config_required = true;
            break;
        case OPT_CHECK:
            *check_only = true;
            break;
        case OPT_JID:
            cli.jid = optarg;
            break;
        case OPT_RHOST:
            cli.rhost = optarg;
            break;
        case OPT_RPORT: {
            char *end;
            long p = strtol(optarg, &end, 10);
            if (*end || p < 1 || p > 65535) {
                fprintf(stderr, "palaver: --rport must be a port number 1-65535, not '%s'\n",
                        optarg);
                return -1;
            }
            cli.rport = (int)p;
            break;
        }
        case OPT_SECRET:
            cli.secret = optarg;
            break;
        case OPT_BACKEND:
            cli.backend = optarg;
            break;
        case OPT_SPOOL:
            cli.spool = optarg;
            break;
        case OPT_MODDIR:
            cli.moddir = optarg;
            break;
        case OPT_LIST_OPTIONS:
            if (optarg && strcmp(optarg, "roff") != 0) {
                fprintf(stderr, "palaver: --list-options takes no value or =roff, not '%s'\n",
                        optarg);
                return -1;
            }
            list_options = optarg ? 2 : 1;
            break;
        case 'l':
            cli.log_path = optarg;
            break;
        case 'v':
            cli.verbosity = cli.verbosity < 0 ? 1 : cli.verbosity + 1;
            break;
        case 'V':
            printf("palaver %s\n", PACKAGE_VERSION);
            exit(0);
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "palaver: unexpected argument '%s' (see palaver --help)\n", argv[optind]);
        return -1;
    }
    if (!config_arg)
        config_arg = PV_SYSCONF_DIR "/palaver.xml";
    cli.config_path = config_arg;
    return 0;
}

/* ---------------------------------------------------------------- signals */

static ev_signal sig_term, sig_int, sig_hup;
static bool shutting_down; /* the first SIGTERM/SIGINT arrived */
static bool stream_done;   /* the stream is closed: the loop is ending */

static void stopped(void)
{
    stream_done = true;
    ev_break(pv_loop(), EVBREAK_ALL);
}

static const char *sig_name(int signum)
{
    return signum == SIGINT ? "SIGINT" : "SIGTERM";
}

/* At exit: the loop's signal watchers off, the signals ignored from then on
 * (blocked while the watchers hand back SIG_DFL). */
static void ignore_stop_signals(void)
{
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, &old);
    ev_signal_stop(pv_loop(), &sig_term);
    ev_signal_stop(pv_loop(), &sig_int);
    ev_signal_stop(pv_loop(), &sig_hup);
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    sigprocmask(SIG_SETMASK, &old, NULL);
}

/* The first SIGTERM/SIGINT closes the stream; the watchers stay on until the
 * process ends, so that a second one (an impatient Ctrl-C) cannot kill the
 * daemon with the default action before the plugins saved their state and
 * the backend closed. A second signal only ends the wait for the server's
 * </stream:stream>. */
static void on_term(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)loop;
    (void)revents;
    if (shutting_down) {
        pv_log(PV_LOG_INFO, WHO, "%s received again: already shutting down; %s",
               sig_name(w->signum),
               stream_done ? "saving state, please wait" : "not waiting for the server any longer");
        if (!stream_done)
            stream_shutdown_now();
        return;
    }
    shutting_down = true;
    pv_log(PV_LOG_INFO, WHO, "%s received: shutting down", sig_name(w->signum));
    stream_shutdown(stopped);
}

/* Settings replaced by SIGHUP reloads stay alive until exit: plugins may still
 * point into the config tree they were given. */
static pv_settings_t **old_settings;
static size_t n_old;

static bool same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* Where the log goes, for messages: "syslog", a file, or standard error. */
static const char *log_dest_name(const pv_settings_t *s)
{
    return s->log_path ? s->log_path : "standard error";
}

/* SIGHUP: a changed <log> destination (or -l) applies at once. */
static void reload_log(const pv_settings_t *fresh)
{
    if (same_str(fresh->log_path, settings.log_path) &&
        fresh->log_facility == settings.log_facility &&
        same_str(fresh->log_socket, settings.log_socket))
        return;
    pv_log(PV_LOG_INFO, WHO, "the log now goes to %s", log_dest_name(fresh));
    if (log_configure(fresh->log_path, fresh->log_facility, fresh->log_socket) < 0)
        pv_log(PV_LOG_ERROR, WHO, "cannot log to %s; still logging here", log_dest_name(fresh));
    else
        pv_log(PV_LOG_INFO, WHO, "log reopened after a configuration reload (was %s)",
               log_dest_name(&settings));
}

static void on_hup(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)loop;
    (void)w;
    (void)revents;
    if (shutting_down) {
        pv_log(PV_LOG_INFO, WHO, "SIGHUP received while shutting down; ignored");
        return;
    }
    log_reopen();
    pv_log(PV_LOG_INFO, WHO, "SIGHUP: log reopened; reloading %s",
           settings.config_path ? settings.config_path : "(no config file)");
    if (!settings.config_path)
        return;
    pv_settings_t *fresh = calloc(1, sizeof *fresh);
    pv_settings_t **grown = realloc(old_settings, (n_old + 1) * sizeof *old_settings);
    if (!fresh || !grown) {
        free(fresh);
        pv_log(PV_LOG_ERROR, WHO, "out of memory reloading the config; keeping the old one");
        return;
    }
    old_settings = grown;
    if (config_load(fresh, settings.config_path, true) < 0 || settings_apply_cli(fresh, &cli) < 0 ||
        settings_validate(fresh) < 0) {
        pv_log(PV_LOG_ERROR, WHO, "config reload failed (see above); keeping the old config");
        settings_free(fresh);
        free(fresh);
        return;
    }
    if (fresh->verbosity >= 0)
        log_set_verbosity(fresh->verbosity);
    reload_log(fresh);
    if (fresh->stats_interval != settings.stats_interval) {
        stats_set_interval(fresh->stats_interval);
        if (fresh->stats_interval)
            pv_log(PV_LOG_INFO, WHO, "statistics in the log every %ld s", fresh->stats_interval);
        else
            pv_log(PV_LOG_INFO, WHO, "statistics in the log turned off");
    }
    modules_reconfigure(fresh);
    if (!same_str(fresh->metrics_listen, settings.metrics_listen))
        metrics_http_configure(fresh->metrics_listen); /* logged either way */
    /* Connection settings (jid, host, secret) take effect at the next reconnect
     * only through a restart; say so rather than pretend. */
    if (strcmp(fresh->jid, settings.jid) || strcmp(fresh->rhost, settings.rhost) ||
        fresh->rport != settings.rport)
        pv_log(PV_LOG_WARN, WHO, "connection settings changed: restart palaver to apply them");
    old_settings[n_old] = malloc(sizeof **old_settings);
    if (old_settings[n_old]) {
        *old_settings[n_old] = settings;
        n_old++;
        settings = *fresh;
        settings_set_current(&settings);
    } else {
        settings_free(fresh);
    }
    free(fresh);
}

/* ---------------------------------------------------------------- main */

/* After errors in the core's settings: the plugin list is checked too (names,
 * modules, requirements), so that one run shows every problem. Returns true
 * when the modules were initialised (modules_shutdown then). */
static bool check_plugins_anyway(void)
{
    if (!settings.root || !settings.moddir || !*settings.moddir)
        return false;
    if (modules_init(settings.moddir) < 0)
        return true;
    modules_check_plugins(&settings);
    return true;
}

/* --list-options: needs only the plugin list and the module directories
 * (no component domain, secret or backend). Returns the exit status. */
static int print_plugin_options(void)
{
    int rc = 1;
    if (config_load(&settings, config_arg, config_required) == 0 &&
        settings_apply_cli(&settings, &cli) == 0) {
        settings_set_current(&settings);
        if (modules_init(settings.moddir) == 0) {
            rc = modules_print_options(&settings, list_options == 2) == 0 ? 0 : 1;
            modules_shutdown();
        }
    }
    settings_free(&settings);
    log_close();
    xmlCleanupParser();
    return rc;
}

int main(int argc, char **argv)
{
    bool check_only = false;
    if (parse_args(argc, argv, &check_only) < 0)
        return 2;

    xmlInitParser();
    signal(SIGPIPE, SIG_IGN);
    if (list_options)
        return print_plugin_options();

    int rc = 1;
    bool modules_up = false, ran = false;
    if (config_load(&settings, config_arg, config_required) < 0 ||
        settings_apply_cli(&settings, &cli) < 0 || settings_validate(&settings) < 0) {
        modules_up = check_plugins_anyway();
        goto out;
    }
    settings_set_current(&settings);

    if (log_configure(settings.log_path, settings.log_facility, settings.log_socket) < 0) {
        fprintf(stderr, "palaver: cannot open log file %s\n", settings.log_path);
        goto out;
    }
    log_set_verbosity(settings.verbosity);

    if (router_set_domain(settings.jid) < 0) {
        pv_log(PV_LOG_ERROR, WHO, "'%s' is not a valid component domain (<name> or --jid)",
               settings.jid);
        goto out;
    }
    if (util_crypto_init() < 0 || core_services_init() < 0 || modules_init(settings.moddir) < 0)
        goto out;
    modules_up = true;
    if (modules_load_backend(&settings) < 0) {
        /* Still report what is wrong with the plugins: one run, every problem. */
        if (modules_check_plugins(&settings) == 0)
            pv_log(PV_LOG_INFO, WHO,
                   "the plugins load; their own settings are checked once "
                   "the backend opens");
        goto out;
    }
    if (modules_load_plugins(&settings) < 0)
        goto out;
    if (pv_log_enabled(PV_LOG_DEBUG))
        router_dump_chains();

    if (check_only) {
        printf("%s: configuration OK (component %s, backend %s, server %s:%d)\n",
               settings.config_path ? settings.config_path : "(command line)", settings.jid,
               settings.backend, settings.rhost, settings.rport);
        rc = 0;
        goto out;
    }

    struct ev_loop *loop = pv_loop();
    ev_signal_init(&sig_term, on_term, SIGTERM);
    ev_signal_init(&sig_int, on_term, SIGINT);
    ev_signal_init(&sig_hup, on_hup, SIGHUP);
    ev_signal_start(loop, &sig_term);
    ev_signal_start(loop, &sig_int);
    ev_signal_start(loop, &sig_hup);

    pv_log(PV_LOG_INFO, WHO, "Palaver %s starting: component %s, server %s:%d, backend %s",
           PACKAGE_VERSION, settings.jid, settings.rhost, settings.rport, settings.backend);
    if (stats_set_interval(settings.stats_interval) < 0)
        goto out;
    if (settings.stats_interval > 0)
        pv_log(PV_LOG_INFO, WHO, "statistics in the log every %ld s", settings.stats_interval);
    if (metrics_http_configure(settings.metrics_listen) < 0)
        goto out;
    if (stream_start(&settings) < 0)
        goto out;
    ev_run(loop, 0);
    rc = 0;
    ran = true;

out:
    /* SIGTERM/SIGINT stay caught (on_term) while the plugins save their state
     * and the backend closes. Then they are ignored, not given back their
     * default actions: a late Ctrl-C must not turn a clean exit into a kill.
     * They are blocked across the switch, so none arrives while ev_signal_stop
     * has restored SIG_DFL; one pending then is discarded by SIG_IGN. */
    metrics_http_stop();
    stream_free();
    if (modules_up)
        modules_shutdown();
    stats_shutdown();
    router_cleanup();
    ignore_stop_signals();
    if (ran)
        pv_log(PV_LOG_INFO, WHO, "stopped"); /* the last line of a clean shutdown */
    for (size_t i = 0; i < n_old; i++) {
        settings_free(old_settings[i]);
        free(old_settings[i]);
    }
    free(old_settings);
    settings_free(&settings);
    log_close();
    xmlCleanupParser();
    ev_loop_destroy(EV_DEFAULT);
    return rc;
}
