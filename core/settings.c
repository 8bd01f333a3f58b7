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

void settings_set_current(pv_settings_t *s) { current = s; }
pv_settings_t *settings_current(void) { return current; }

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

/* The <type> the config file names, or NULL. */
static const char *config_backend_type(const pv_settings_t *s)
{
    const pv_el_t *b = s->root ? pv_el_child(s->root, NULL, "backend") : NULL;
    const char *t = b ? pv_el_child_text(b, NULL, "type") : NULL;
    if (!t)
        return NULL;
    while (*t == ' ' || *t == '\t' || *t == '\n' || *t == '\r')
        t++;
    return t;
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
        s->rport = cli->rport;  /* checked by settings_validate */
    if (cli->verbosity > 0)
        s->verbosity = cli->verbosity;
    if (cli->backend) {
        const char *name = cli->backend;
        if (strcmp(name, "dir") == 0) {
            pv_log(PV_LOG_INFO, "config", "--backend dir (Palaver 0.6) is the 'spool' backend "
                   "now; using spool");
            name = "spool";
        }
        const char *file_type = config_backend_type(s);
        if (file_type && strncmp(file_type, name, strlen(name)) != 0 &&
            !(strncmp(file_type, "dir", 3) == 0 && strcmp(name, "spool") == 0))
            pv_log(PV_LOG_INFO, "config", "--backend %s overrides the config's <backend> (%s); "
                   "its options are not used", name, s->backend ? s->backend : "?");
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
        fprintf(stderr, "palaver: no component domain; write <name>conference.example.org</name> "
                "in %s, or give --jid conference.example.org\n", file);
        bad++;
    } else {
        pv_jid_t *j = pv_jid_parse(s->jid);
        if (!j || j->node || j->resource) {
            fprintf(stderr, "palaver: the component domain '%s' is not a plain domain; write "
                    "one such as conference.example.org (<name> in %s, or --jid)\n", s->jid,
                    file);
            bad++;
        }
        pv_jid_free(j);
    }
    if (!s->secret) {
        fprintf(stderr, "palaver: no component secret; write <secret>...</secret> in %s (the "
                "server's component password), or give --secret\n", file);
        bad++;
    }
    if (!s->rhost || !*s->rhost) {
        fprintf(stderr, "palaver: no server host; write <ip>localhost</ip> in %s, or give "
                "--rhost\n", file);
        bad++;
    }
    if (s->rport < 1 || s->rport > 65535) {
        fprintf(stderr, "palaver: the server port %d is not between 1 and 65535; give e.g. "
                "--rport 5347\n", s->rport);
        bad++;
    }
    if (!s->backend || !module_name_ok(s->backend)) {
        fprintf(stderr, "palaver: the backend name '%s' is not a module name; write "
                "<backend><type>sqlite</type></backend> (or memory, spool, pgsql), or give "
                "--backend\n", s->backend ? s->backend : "");
        bad++;
    }
    for (size_t i = 0; s->plugins && s->plugins[i]; i++) {
        if (!module_name_ok(s->plugins[i])) {
            fprintf(stderr, "palaver: '%s' in <plugins> is not a module name (letters, digits, "
                    "'-', '_', '.'); rename it\n", s->plugins[i]);
            bad++;
        }
    }
    if (!s->moddir || !*s->moddir) {
        fprintf(stderr, "palaver: no module directory; write <moduledir>DIR</moduledir> in %s, "
                "or give --moduledir DIR\n", file);
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

const pv_el_t *settings_backend_config(pv_settings_t *s)
{
    if (s->backend_cfg)
        return s->backend_cfg;
    const pv_el_t *file_backend = s->root ? pv_el_child(s->root, NULL, "backend") : NULL;
    const char *file_type = config_backend_type(s);
    bool same = file_type && s->backend &&
                (strncmp(file_type, s->backend, strlen(s->backend)) == 0 ||
                 (strncmp(file_type, "dir", 3) == 0 && strcmp(s->backend, "spool") == 0));
    pv_el_t *b;
    if (file_backend && same) {
        b = pv_el_clone(file_backend);
        if (b)
            copy_lines(b, file_backend);
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
    /* The spool directory: the command line's, else <backend><spool>, else the root's. */
    const pv_el_t *root_spool = s->root ? pv_el_child(s->root, NULL, "spool") : NULL;
    bool has_own = pv_el_child(b, NULL, "spool") != NULL;
    if (s->spool && (!has_own || !root_spool ||
                     strcmp(pv_el_text(root_spool), s->spool) != 0)) {
        /* s->spool differs from the file's root <spool> only when --spool gave it. */
        bool from_cli = !root_spool || strstr(pv_el_text(root_spool), s->spool) == NULL;
        if (from_cli || !has_own) {
            pv_el_remove_children(b, NULL, "spool");
            pv_el_t *sp = pv_el_add_text_child(b, NULL, "spool", s->spool);
            if (sp && !from_cli)
                sp->line = root_spool->line;
        }
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
    free(s->moddir);
    free_list(s->plugins);
    free_list(s->sadmins);
    pv_el_free(s->root);
    pv_el_free(s->backend_cfg);
    memset(s, 0, sizeof *s);
}
