/*
 * core/settings.c: the settings in force, after the command line.
 *
 * config_load() (config.c) fills pv_settings_t from the file; this file lays
 * the command line over it (the command line always wins: Palaver 0.6 let the
 * file override --backend, which surprised everyone), checks that what the
 * daemon needs is there, and builds the elements handed to modules: the
 * backend's <backend> (with <spool>) and each plugin's own element.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <palaver/jid.h>
#include <palaver/log.h>

#include "settings.h"

static pv_settings_t *current;

void settings_set_current(pv_settings_t *s)
{
    current = s;
}
pv_settings_t *settings_current(void)
{
    return current;
}

static int replace(char **dst, const char *v)
{
    char *copy = strdup(v);
    if (!copy) {
        fprintf(stderr, "palaver: out of memory applying the command line\n");
        return -1;
    }
    free(*dst);
    *dst = copy;
    return 0;
}

/* True when el's text, trimmed of surrounding white space, equals v. */
static bool text_is(const pv_el_t *el, const char *v)
{
    if (!el || !v)
        return false;
    size_t n, vn = strlen(v);
    const char *t = config_text(el, &n);
    /* v is the value followed by none, or some, of the white space after it */
    return vn >= n && strncmp(t, v, vn) == 0;
}

/* The config file's <backend><type> element, or NULL. */
static const pv_el_t *config_backend_type(const pv_settings_t *s)
{
    const pv_el_t *b = s->root ? pv_el_child(s->root, NULL, "backend") : NULL;
    return b ? pv_el_child(b, NULL, "type") : NULL;
}

static const struct {
    const char *old, *now;
} backend_aliases[] = {{"dir", "spool"}, {"psycopg", "pgsql"}};
#define N_ALIASES (sizeof backend_aliases / sizeof backend_aliases[0])

const char *settings_backend_alias(const char *name)
{
    for (size_t i = 0; name && i < N_ALIASES; i++)
        if (strcmp(name, backend_aliases[i].old) == 0)
            return backend_aliases[i].now;
    return NULL;
}

/* The old name the file's <backend><type> uses for `name`, or NULL. */
static const char *file_alias_of(const pv_settings_t *s, const char *name)
{
    const pv_el_t *t = config_backend_type(s);
    for (size_t i = 0; t && i < N_ALIASES; i++)
        if (strcmp(name, backend_aliases[i].now) == 0 && text_is(t, backend_aliases[i].old))
            return backend_aliases[i].old;
    return NULL;
}

/* True when the file's <backend> describes the backend named `name`. */
static bool file_backend_is(const pv_settings_t *s, const char *name)
{
    const pv_el_t *t = config_backend_type(s);
    return t && (text_is(t, name) || file_alias_of(s, name));
}

int settings_apply_cli(pv_settings_t *s, const pv_cli_t *cli)
{
    int rc = 0;
    if (cli->jid)
        rc |= replace(&s->jid, cli->jid);
    if (cli->rhost)
        rc |= replace(&s->rhost, cli->rhost);
    if (cli->secret)
        rc |= replace(&s->secret, cli->secret);
    if (cli->spool)
        rc |= replace(&s->spool, cli->spool);
    if (cli->log_path)
        rc |= replace(&s->log_path, cli->log_path);
    if (cli->moddir)
        rc |= replace(&s->moddir, cli->moddir);
    if (cli->rport != -1)
        s->rport = cli->rport; /* checked by settings_validate */
    if (cli->verbosity > 0)
        s->verbosity = cli->verbosity;
    if (cli->backend) {
        const char *name = cli->backend, *now = settings_backend_alias(name);
        if (now) {
            pv_log(PV_LOG_INFO, "config",
                   "--backend %s (Palaver 0.6) is the '%s' backend "
                   "now; using %s",
                   name, now, now);
            name = now;
        }
        if (config_backend_type(s) && !file_backend_is(s, name))
            pv_log(PV_LOG_INFO, "config",
                   "--backend %s overrides the config's <backend> (%s); "
                   "its options are not used",
                   name, s->backend ? s->backend : "?");
        rc |= replace(&s->backend, name);
    }
    return rc ? -1 : 0;
}

static bool module_name_ok(const char *n)
{
    if (!*n)
        return false;
    for (; *n; n++)
        if (!((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z') || (*n >= '0' && *n <= '9') ||
              *n == '-' || *n == '_' || *n == '.'))
            return false;
    return true;
}

int settings_validate(const pv_settings_t *s)
{
    const char *file = s->config_path ? s->config_path : "the config file";
    int bad = 0;
    if (!s->jid) {
        fprintf(stderr,
                "palaver: no component domain; write <name>conference.example.org</name> "
                "in %s, or give --jid conference.example.org\n",
                file);
        bad++;
    } else {
        pv_jid_t *j = pv_jid_parse(s->jid);
        if (!j || j->node || j->resource) {
            fprintf(stderr,
                    "palaver: the component domain '%s' is not a plain domain; write "
                    "one such as conference.example.org (<name> in %s, or --jid)\n",
                    s->jid, file);
            bad++;
        }
        pv_jid_free(j);
    }
    if (!s->secret) {
        fprintf(stderr,
                "palaver: no component secret; write <secret>...</secret> in %s (the "
                "server's component password), or give --secret\n",
                file);
        bad++;
    }
    if (!s->rhost || !*s->rhost) {
        fprintf(stderr,
                "palaver: no server host; write <ip>localhost</ip> in %s, or give "
                "--rhost\n",
                file);
        bad++;
    }
    if (s->rport < 1 || s->rport > 65535) {
        fprintf(stderr,
                "palaver: the server port %d is not between 1 and 65535; give e.g. "
                "--rport 5347\n",
                s->rport);
        bad++;
    }
    if (!s->backend || !module_name_ok(s->backend)) {
        fprintf(stderr,
                "palaver: the backend name '%s' is not a module name; write "
                "<backend><type>sqlite</type></backend> (or memory, spool, pgsql), or give "
                "--backend\n",
                s->backend ? s->backend : "");
        bad++;
    }
    for (size_t i = 0; s->plugins && s->plugins[i]; i++) {
        if (!module_name_ok(s->plugins[i])) {
            fprintf(stderr,
                    "palaver: '%s' in <plugins> is not a module name (letters, digits, "
                    "'-', '_', '.'); rename it\n",
                    s->plugins[i]);
            bad++;
        }
    }
    if (!s->moddir || !*s->moddir) {
        fprintf(stderr,
                "palaver: no module directory; write <moduledir>DIR</moduledir> in %s, "
                "or give --moduledir DIR\n",
                file);
        bad++;
    }
    return bad ? -1 : 0;
}

/* pv_el_clone keeps the structure; copy the line numbers too, so the
 * backend's errors point into the file. Both trees have the same shape. */
static void copy_lines(pv_el_t *dst, const pv_el_t *src)
{
    dst->line = src->line;
    const pv_el_t *sc = src->children;
    for (pv_el_t *dc = dst->children; dc && sc; dc = dc->next, sc = sc->next)
        copy_lines(dc, sc);
}

/* Palaver 0.6's example config lists the pgsql options whatever the <type>
 * (<type>dir</type> with <dbuser>...). Other backends would reject them as
 * unknown, so they are dropped here, each with one line saying so. */
static void drop_pgsql_options(const pv_settings_t *s, pv_el_t *b)
{
    static const char *const pgsql_only[] = {"dbuser",     "dbname", "dbpass",
                                             "dbhostname", "dbport", NULL};
    if (!s->backend || strcmp(s->backend, "pgsql") == 0)
        return;
    for (size_t i = 0; pgsql_only[i]; i++) {
        const pv_el_t *opt = pv_el_child(b, NULL, pgsql_only[i]);
        if (!opt)
            continue;
        pv_log(PV_LOG_INFO, "config",
               "%s:%u: <%s> is a pgsql option; the %s backend does not "
               "use it (ignored)",
               s->config_path ? s->config_path : "(config)", opt->line, pgsql_only[i], s->backend);
        pv_el_remove_children(b, NULL, pgsql_only[i]);
    }
}

const pv_el_t *settings_backend_config(pv_settings_t *s)
{
    if (s->backend_cfg)
        return s->backend_cfg;
    const pv_el_t *file_backend = s->root ? pv_el_child(s->root, NULL, "backend") : NULL;
    pv_el_t *b;
    if (file_backend && s->backend && file_backend_is(s, s->backend)) {
        b = pv_el_clone(file_backend);
        if (b)
            copy_lines(b, file_backend);
        const pv_el_t *t = config_backend_type(s);
        if (b && file_alias_of(s, s->backend)) { /* Palaver 0.6's name: say what is loaded */
            pv_el_remove_children(b, NULL, "type");
            pv_el_t *nt = pv_el_add_text_child(b, NULL, "type", s->backend);
            if (nt)
                nt->line = t->line;
        }
    } else {
        b = pv_el_new(file_backend ? file_backend->ns : NULL, "backend");
        if (b && !pv_el_add_text_child(b, NULL, "type", s->backend ? s->backend : "")) {
            pv_el_free(b);
            b = NULL;
        }
    }
    if (!b) {
        pv_log(PV_LOG_ERROR, "core", "out of memory building the backend's configuration");
        return NULL;
    }
    drop_pgsql_options(s, b);
    /* The spool directory: --spool, else <backend><spool>, else the root's <spool>.
     * s->spool differs from the root's <spool> only when --spool gave it. */
    const pv_el_t *root_spool = s->root ? pv_el_child(s->root, NULL, "spool") : NULL;
    bool from_cli = s->spool && !text_is(root_spool, s->spool);
    if (from_cli || (s->spool && !pv_el_child(b, NULL, "spool"))) {
        pv_el_remove_children(b, NULL, "spool");
        pv_el_t *sp = pv_el_add_text_child(b, NULL, "spool", s->spool);
        if (!sp) {
            pv_log(PV_LOG_ERROR, "core", "out of memory building the backend's configuration");
            pv_el_free(b);
            return NULL;
        }
        if (!from_cli)
            sp->line = root_spool->line;
    }
    s->backend_cfg = b;
    return b;
}

const pv_el_t *settings_plugin_config(const pv_settings_t *s, const char *name)
{
    const pv_el_t *plugins = s->root ? pv_el_child(s->root, NULL, "plugins") : NULL;
    return plugins ? pv_el_child(plugins, NULL, name) : NULL;
}

static void free_list(char **list)
{
    for (size_t i = 0; list && list[i]; i++)
        free(list[i]);
    free(list);
}

void settings_free(pv_settings_t *s)
{
    if (!s)
        return;
    if (current == s)
        current = NULL;
    free(s->config_path);
    free(s->jid);
    free(s->rhost);
    free(s->secret);
    free(s->backend);
    free(s->spool);
    free(s->log_path);
    free(s->log_socket);
    free(s->metrics_listen);
    free(s->moddir);
    free_list(s->plugins);
    free_list(s->plugins_off);
    free_list(s->sadmins);
    pv_el_free(s->root);
    pv_el_free(s->backend_cfg);
    memset(s, 0, sizeof *s);
}
