/*
 * core/config.c: reads the XML config file into pv_settings_t.
 *
 * The file is parsed with the stream's own hostile-input-safe reader
 * (xs_parse_document), then walked with a table of known elements: each row
 * names an element and the function that reads it. Everything Palaver 0.6
 * and mu-conference accepted is read unchanged (root <muc>, <backend><type>dir,
 * <conference><sadmin>), and whatever cannot be honoured is said out loud.
 *
 * Every problem is printed on stderr as "FILE:LINE: what is wrong; what to
 * write instead", and the walk goes on so that one run shows all of them;
 * config_load() fails if there was any. There is no silent default for a
 * value that is present but wrong.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <palaver/jid.h>
#include <palaver/log.h>

#include "arena.h"
#include "log_internal.h"
#include "metrics_http.h"
#include "settings.h"
#include "suggest.h"
#include "xmlstream.h"

#define CONFIG_MAX_BYTES (4L * 1024 * 1024)

/* The plugins loaded when the config has no <plugins>, in load order. */
static const char *const default_plugins[] = {"muc-core", "history", "disco-extended", "game-rooms",
                                              NULL};

/* Palaver 0.6's Python hook points (<plugins><HOOK>python.module</HOOK>). */
static const char *const python_hooks[] = {"create-room", "join-room", "groupchat",
                                           "extended-presence", NULL};

typedef struct cfg {
    pv_settings_t *s;
    const char *file;
    int errors;
    const pv_el_t *seen[32]; /* first occurrence of each table row */
} cfg_t;

static void cfg_err(cfg_t *c, const pv_el_t *el, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void cfg_err(cfg_t *c, const pv_el_t *el, const char *fmt, ...)
{
    va_list ap;
    if (el && el->line)
        fprintf(stderr, "%s:%u: ", c->file, el->line);
    else
        fprintf(stderr, "%s: ", c->file);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    c->errors++;
}

static bool is_xml_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

const char *config_text(const pv_el_t *el, size_t *len)
{
    const char *t = pv_el_text(el);
    while (is_xml_space(*t))
        t++;
    size_t n = strlen(t);
    while (n && is_xml_space(t[n - 1]))
        n--;
    *len = n;
    return t;
}

/* Trimmed text of a leaf element, allocated in the tree's arena; NULL (after
 * an error) when the element holds child elements or is empty. */
static const char *leaf_text(cfg_t *c, const pv_el_t *el)
{
    const pv_el_t *sub = pv_el_first_element(el);
    if (sub) {
        cfg_err(c, sub, "<%s> holds an element <%s>; write plain text: <%s>value</%s>", el->name,
                sub->name, el->name, el->name);
        return NULL;
    }
    size_t n;
    const char *t = config_text(el, &n);
    if (n == 0) {
        cfg_err(c, el, "<%s> is empty; write a value, e.g. <%s>...</%s>, or remove it", el->name,
                el->name, el->name);
        return NULL;
    }
    char *copy = arena_strndup(el->arena, t, n);
    if (!copy)
        cfg_err(c, el, "out of memory reading <%s>", el->name);
    return copy;
}

/* Replaces the setting *dst with a copy of v (an error naming el when out
 * of memory, *dst unchanged). */
static void set_copy(cfg_t *c, const pv_el_t *el, char **dst, const char *v)
{
    char *copy = strdup(v);
    if (!copy) {
        cfg_err(c, el, "out of memory");
        return;
    }
    free(*dst);
    *dst = copy;
}

/* Replaces *dst with a copy of the element's text. */
static void set_string(cfg_t *c, const pv_el_t *el, char **dst)
{
    const char *v = leaf_text(c, el);
    if (v)
        set_copy(c, el, dst, v);
}

/* Parses a decimal integer in [min, max]; with `sizes`, accepts a K/M/G
 * suffix (powers of 1024). Returns 0, or -1 after an error naming the element. */
static int parse_number(cfg_t *c, const pv_el_t *el, long min, long max, bool sizes,
                        const char *unit, long example, long *out)
{
    const char *v = leaf_text(c, el);
    if (!v)
        return -1;
    char *end;
    errno = 0;
    long long n = (*v >= '0' && *v <= '9') ? strtoll(v, &end, 10) : -1;
    long long mult = 1;
    if (n >= 0 && sizes &&
        (*end == 'K' || *end == 'k' || *end == 'M' || *end == 'm' || *end == 'G' || *end == 'g')) {
        mult = (*end == 'K' || *end == 'k')   ? 1024
               : (*end == 'M' || *end == 'm') ? 1048576
                                              : 1073741824;
        end++;
    }
    if (n < 0 || errno || *end || n > max / mult || n * mult < min) {
        if (sizes)
            cfg_err(c, el,
                    "<%s> must be a size in bytes between %ld and %ld, not '%s'; write "
                    "e.g. <%s>%ld</%s> (a K or M suffix is allowed)",
                    el->name, min, max, v, el->name, example, el->name);
        else
            cfg_err(c, el, "<%s> must be %s between %ld and %ld, not '%s'; write e.g. <%s>%ld</%s>",
                    el->name, unit, min, max, v, el->name, example, el->name);
        return -1;
    }
    *out = (long)(n * mult);
    return 0;
}

/* Text directly inside an element that holds elements is a typo (a value
 * outside its element, or a lost '<'): say so rather than drop it. */
static void check_stray_text(cfg_t *c, const pv_el_t *el)
{
    const pv_el_t *near = el; /* text nodes may carry no line: use the element before */
    for (const pv_el_t *t = el->children; t; t = t->next) {
        if (t->kind != PV_EL_TEXT) {
            near = t;
            continue;
        }
        size_t i = 0;
        while (i < t->text_len && strchr(" \t\r\n", t->text[i]))
            i++;
        if (i < t->text_len) {
            size_t n = t->text_len - i < 40 ? t->text_len - i : 40;
            while (n && strchr(" \t\r\n", t->text[i + n - 1]))
                n--;
            cfg_err(c, t->line ? t : near,
                    "stray text '%.*s' in <%s>; put it inside an element "
                    "or remove it",
                    (int)n, t->text + i, el->name);
            return;
        }
    }
}

/* "FILE:LINE: unknown element <x> in <parent>; did you mean <y>?" */
static void unknown_element(cfg_t *c, const pv_el_t *el, const pv_el_t *parent,
                            const char *const *known)
{
    const char *near = suggest_name(el->name, known);
    if (near) {
        cfg_err(c, el, "unknown element <%s> in <%s>; did you mean <%s>?", el->name, parent->name,
                near);
    } else {
        char list[512];
        suggest_list(known, list, sizeof list);
        cfg_err(c, el, "unknown element <%s> in <%s>; remove it (known elements: %s)", el->name,
                parent->name, list);
    }
}

/* ---- One reader per element ---- */

static void read_name(cfg_t *c, const pv_el_t *el)
{
    set_string(c, el, &c->s->jid);
}
static void read_ip(cfg_t *c, const pv_el_t *el)
{
    set_string(c, el, &c->s->rhost);
}
static void read_secret(cfg_t *c, const pv_el_t *el)
{
    set_string(c, el, &c->s->secret);
}
static void read_spool(cfg_t *c, const pv_el_t *el)
{
    set_string(c, el, &c->s->spool);
}
static void read_moddir(cfg_t *c, const pv_el_t *el)
{
    set_string(c, el, &c->s->moddir);
}

static void read_port(cfg_t *c, const pv_el_t *el)
{
    long v;
    if (parse_number(c, el, 1, 65535, false, "a port number", 5347, &v) == 0)
        c->s->rport = (int)v;
}

static void read_keepalive(cfg_t *c, const pv_el_t *el)
{
    parse_number(c, el, 0, 86400, false, "a number of seconds (0 = off)", 60, &c->s->keepalive);
}

static void read_reconnect(cfg_t *c, const pv_el_t *el)
{
    parse_number(c, el, 1, 86400, false, "a number of seconds", 60, &c->s->reconnect_max);
}

/* Reports every attribute of el that is not in attrs (NULL-terminated).
 * Returns the number reported. */
static int check_attrs(cfg_t *c, const pv_el_t *el, const char *const *attrs)
{
    int bad = 0;
    for (const pv_attr_t *a = el->attrs; a; a = a->next) {
        size_t i = 0;
        while (attrs[i] && (a->ns || strcmp(a->name, attrs[i]) != 0))
            i++;
        if (attrs[i])
            continue;
        char list[256];
        suggest_list(attrs, list, sizeof list);
        const char *near = a->ns ? NULL : suggest_name(a->name, attrs);
        if (near)
            cfg_err(c, el, "<%s> has an unknown attribute '%s'; did you mean '%s'?", el->name,
                    a->name, near);
        else
            cfg_err(c, el,
                    "<%s> has an unknown attribute '%s'; remove it (known attributes: "
                    "%s)",
                    el->name, a->name, list);
        bad++;
    }
    return bad;
}

/* <log>: "syslog", "stderr", or a file; syslog takes the attributes
 * facility (default daemon) and socket (default /dev/log). */
static void read_log(cfg_t *c, const pv_el_t *el)
{
    static const char *const attrs[] = {"facility", "socket", NULL};
    check_attrs(c, el, attrs);
    set_string(c, el, &c->s->log_path);
    const char *fac = pv_el_attr(el, "facility");
    const char *sock = pv_el_attr(el, "socket");
    bool syslog = c->s->log_path && log_dest_is_syslog(c->s->log_path);
    if ((fac || sock) && c->s->log_path && !syslog)
        pv_log(PV_LOG_WARN, "config",
               "%s:%u: the attributes facility and socket of <log> apply "
               "to syslog only (<log>syslog</log>); ignored for the file %s",
               c->file, el->line, c->s->log_path);
    if (fac) {
        int f = log_facility_by_name(fac);
        if (f < 0) {
            char list[256];
            suggest_list(log_facility_names, list, sizeof list);
            cfg_err(c, el,
                    "<log facility='%s'> is not a syslog facility; write one of %s "
                    "(default daemon)",
                    fac, list);
        } else {
            c->s->log_facility = f;
        }
    }
    if (sock) {
        if (*sock != '/' || strlen(sock) >= 108) {
            cfg_err(c, el,
                    "<log socket='%s'> must be an absolute path of the system logger's "
                    "socket, shorter than 108 bytes; write e.g. socket='/dev/log'",
                    sock);
            return;
        }
        set_copy(c, el, &c->s->log_socket, sock);
    }
}

/* For an element set by its attributes alone: reports the attributes not in
 * `attrs`, and false (after an error that shows `example`) when it holds an
 * element. */
static bool attributes_only(cfg_t *c, const pv_el_t *el, const char *const *attrs,
                            const char *example)
{
    check_attrs(c, el, attrs);
    const pv_el_t *sub = pv_el_first_element(el);
    if (sub) {
        cfg_err(c, sub, "<%s> holds no elements; write %s", el->name, example);
        return false;
    }
    return true;
}

/* <statistics interval="N"/>: a statistics line in the log every N seconds
 * (0 = never, the default). */
static void read_statistics(cfg_t *c, const pv_el_t *el)
{
    static const char *const attrs[] = {"interval", NULL};
    if (!attributes_only(c, el, attrs, "<statistics interval='60'/>"))
        return;
    const char *v = pv_el_attr(el, "interval");
    char *end = NULL;
    errno = 0;
    long n = v && *v >= '0' && *v <= '9' ? strtol(v, &end, 10) : -1;
    if (!v || n < 0 || errno || *end || n > 86400) {
        cfg_err(c, el,
                "<statistics> needs an interval in seconds between 0 (off) and 86400, "
                "not '%s'; write e.g. <statistics interval='60'/>",
                v ? v : "(none)");
        return;
    }
    c->s->stats_interval = n;
}

/* <metrics listen="ADDR:PORT"/>: the HTTP endpoint Prometheus scrapes. */
static void read_metrics(cfg_t *c, const pv_el_t *el)
{
    static const char *const attrs[] = {"listen", NULL};
    if (!attributes_only(c, el, attrs, "<metrics listen='127.0.0.1:9470'/>"))
        return;
    const char *v = pv_el_attr(el, "listen");
    struct sockaddr_storage ss;
    socklen_t sslen;
    char why[160];
    if (!v) {
        cfg_err(c, el,
                "<metrics> needs the address to listen on; write e.g. "
                "<metrics listen='127.0.0.1:9470'/> (remove <metrics> to turn it off)");
        return;
    }
    if (metrics_listen_parse(v, &ss, &sslen, why, sizeof why) < 0) {
        cfg_err(c, el,
                "<metrics listen='%s'>: %s; write an IP address and a port, e.g. "
                "listen='127.0.0.1:9470' or listen='[::1]:9470'",
                v, why);
        return;
    }
    set_copy(c, el, &c->s->metrics_listen, v);
}

/* <loglevel>: 0-2 as the number of -v, or info, debug, traffic. */
static void read_loglevel(cfg_t *c, const pv_el_t *el)
{
    static const char *const names[] = {"info", "debug", "traffic"};
    const char *v = leaf_text(c, el);
    if (!v)
        return;
    for (int i = 0; i < 3; i++) {
        if (strcasecmp(v, names[i]) == 0 || (v[0] == '0' + i && v[1] == '\0')) {
            c->s->verbosity = i;
            return;
        }
    }
    cfg_err(c, el,
            "<loglevel> must be 0 (info), 1 (debug) or 2 (traffic), like the number of "
            "-v, not '%s'; write e.g. <loglevel>1</loglevel>",
            v);
}

static void read_limits(cfg_t *c, const pv_el_t *el)
{
    static const char *const known[] = {"stanza-size", "output-buffer", NULL};
    check_stray_text(c, el);
    for (const pv_el_t *k = pv_el_first_element(el); k; k = pv_el_next(k, NULL, NULL)) {
        if (strcmp(k->name, "stanza-size") == 0)
            parse_number(c, k, 4096, 64L * 1048576, true, NULL, 262144, &c->s->max_stanza);
        else if (strcmp(k->name, "output-buffer") == 0)
            parse_number(c, k, 65536, 1024L * 1048576, true, NULL, 16777216, &c->s->max_outbuf);
        else
            unknown_element(c, k, el, known);
    }
    if (c->s->max_outbuf < c->s->max_stanza)
        cfg_err(c, el,
                "<output-buffer> (%ld) is smaller than <stanza-size> (%ld); make it at "
                "least as large",
                c->s->max_outbuf, c->s->max_stanza);
}

static void read_backend(cfg_t *c, const pv_el_t *el)
{
    check_stray_text(c, el);
    const pv_el_t *type = pv_el_child(el, NULL, "type");
    if (!type) {
        cfg_err(c, el,
                "<backend> has no <type>; write <type>sqlite</type> (or memory, spool, "
                "pgsql)");
        return;
    }
    const char *v = leaf_text(c, type);
    if (!v)
        return;
    const char *now = settings_backend_alias(v);
    if (now) {
        pv_log(PV_LOG_INFO, "config",
               "%s:%u: backend type '%s' (Palaver 0.6) is the '%s' "
               "backend now; using %s",
               c->file, type->line, v, now, now);
        v = now;
    }
    set_copy(c, type, &c->s->backend, v);
    /* The other children are the backend's own options: its open() checks them. */
}

/* Adds one service admin (normalised bare JID) from an element's text. */
static void add_sadmin(cfg_t *c, const pv_el_t *el, const char *text)
{
    pv_jid_t *jid = pv_jid_parse(text);
    if (!jid) {
        cfg_err(c, el, "'%s' is not a valid JID; write a bare JID such as admin@example.org", text);
        return;
    }
    if (jid->resource)
        pv_log(PV_LOG_WARN, "config",
               "%s:%u: service admin '%s' has a resource; using the bare "
               "JID '%s'",
               c->file, el->line, text, jid->bare);
    size_t n = 0;
    while (c->s->sadmins && c->s->sadmins[n])
        n++;
    char **grown = realloc(c->s->sadmins, (n + 2) * sizeof *grown);
    char *copy = strdup(jid->bare);
    pv_jid_free(jid);
    if (!grown || !copy) {
        free(copy);
        if (grown)
            c->s->sadmins = grown;
        cfg_err(c, el, "out of memory");
        return;
    }
    grown[n] = copy;
    grown[n + 1] = NULL;
    c->s->sadmins = grown;
}

/* <sadmin><user>jid</user>...</sadmin>, or mu-conference's <sadmin>jid</sadmin>. */
static void read_sadmin(cfg_t *c, const pv_el_t *el)
{
    static const char *const known[] = {"user", NULL};
    const pv_el_t *k = pv_el_first_element(el);
    if (!k) {
        const char *v = leaf_text(c, el);
        if (v)
            add_sadmin(c, el, v);
        return;
    }
    check_stray_text(c, el);
    for (; k; k = pv_el_next(k, NULL, NULL)) {
        if (strcmp(k->name, "user") != 0) {
            unknown_element(c, k, el, known);
            continue;
        }
        const char *v = leaf_text(c, k);
        if (v)
            add_sadmin(c, k, v);
    }
}

/* mu-conference's block: only the service admins matter to Palaver. */
static void read_conference(cfg_t *c, const pv_el_t *el)
{
    check_stray_text(c, el);
    for (const pv_el_t *k = pv_el_first_element(el); k; k = pv_el_next(k, NULL, NULL)) {
        if (strcmp(k->name, "sadmin") == 0)
            read_sadmin(c, k);
        else
            pv_log(PV_LOG_INFO, "config",
                   "%s:%u: <conference><%s> is a mu-conference setting "
                   "Palaver does not use; ignored",
                   c->file, k->line, k->name);
    }
}

static bool is_python_hook(const pv_el_t *el)
{
    for (size_t i = 0; python_hooks[i]; i++)
        if (strcmp(el->name, python_hooks[i]) == 0)
            return !pv_el_first_element(el) && *pv_el_text(el) != '\0';
    return false;
}

static int set_plugins(cfg_t *c, const char *const *names, size_t n)
{
    char **list = calloc(n + 1, sizeof *list);
    if (!list)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!(list[i] = strdup(names[i]))) {
            for (size_t j = 0; j < i; j++)
                free(list[j]);
            free(list);
            return -1;
        }
    }
    for (size_t i = 0; c->s->plugins && c->s->plugins[i]; i++)
        free(c->s->plugins[i]);
    free(c->s->plugins);
    c->s->plugins = list;
    return 0;
}

/* <NAME enabled="..."> in <plugins>: 1 (absent, or a true word), 0 (a
 * false word), or -1 after an error naming the attribute. */
static int plugin_enabled(cfg_t *c, const pv_el_t *k)
{
    static const char *const yes[] = {"true", "1", "yes", "on", NULL};
    static const char *const no[] = {"false", "0", "no", "off", NULL};
    const char *v = pv_el_attr(k, "enabled");
    if (!v)
        return 1;
    for (size_t i = 0; yes[i]; i++) {
        if (strcasecmp(v, yes[i]) == 0)
            return 1;
        if (strcasecmp(v, no[i]) == 0)
            return 0;
    }
    cfg_err(c, k, "<%s enabled=\"%s\">: enabled must be true or false", k->name, v);
    return -1;
}

static void read_plugins(cfg_t *c, const pv_el_t *el)
{
    size_t count = 0, n = 0, hooks = 0, noff = 0;
    check_stray_text(c, el);
    for (const pv_el_t *k = pv_el_first_element(el); k; k = pv_el_next(k, NULL, NULL))
        count++;
    const char **names = calloc(count + 1, sizeof *names);
    char **off = calloc(count + 1, sizeof *off);
    if (!names || !off) {
        free(names);
        free(off);
        cfg_err(c, el, "out of memory");
        return;
    }
    for (const pv_el_t *k = pv_el_first_element(el); k; k = pv_el_next(k, NULL, NULL)) {
        if (is_python_hook(k)) {
            pv_log(PV_LOG_WARN, "config",
                   "%s:%u: <%s>%s</%s> is a Palaver 0.6 Python hook and "
                   "cannot be loaded; ignored. Port it to a C plugin (README, \"Writing a "
                   "plugin\") and list that plugin in <plugins> instead",
                   c->file, k->line, k->name, pv_el_text(k), k->name);
            hooks++;
            continue;
        }
        bool dup = false;
        for (size_t i = 0; i < n; i++)
            dup = dup || strcmp(names[i], k->name) == 0;
        for (size_t i = 0; i < noff; i++)
            dup = dup || strcmp(off[i], k->name) == 0;
        if (dup) {
            cfg_err(c, k, "plugin <%s> is listed twice in <plugins>; keep one <%s> element",
                    k->name, k->name);
            continue;
        }
        int on = plugin_enabled(c, k);
        if (on == 1)
            names[n++] = k->name;
        else if (on == 0 && !(off[noff] = strdup(k->name)))
            cfg_err(c, k, "out of memory");
        else if (on == 0)
            noff++;
    }
    for (size_t i = 0; c->s->plugins_off && c->s->plugins_off[i]; i++)
        free(c->s->plugins_off[i]);
    free(c->s->plugins_off);
    c->s->plugins_off = off; /* checked against the companions when plugins load */
    if (n == 0 && hooks > 0) {
        pv_log(PV_LOG_WARN, "config",
               "%s:%u: <plugins> lists no C plugin; loading the standard "
               "set (muc-core, history, disco-extended, game-rooms)",
               c->file, el->line);
    } else {
        if (n == 0)
            pv_log(PV_LOG_INFO, "config", "%s:%u: <plugins> is empty: no plugin will be loaded",
                   c->file, el->line);
        if (set_plugins(c, names, n) < 0)
            cfg_err(c, el, "out of memory");
        c->s->plugins_default = false;
    }
    free(names);
}

/* ---- The table of top-level elements ---- */

typedef void (*reader_fn)(cfg_t *c, const pv_el_t *el);

static const struct {
    const char *name;
    reader_fn read;
} top_level[] = {
    {"name", read_name},
    {"ip", read_ip},
    {"port", read_port},
    {"secret", read_secret},
    {"backend", read_backend},
    {"spool", read_spool},
    {"conference", read_conference},
    {"sadmin", read_sadmin},
    {"plugins", read_plugins},
    {"log", read_log},
    {"loglevel", read_loglevel},
    {"moduledir", read_moddir},
    {"limits", read_limits},
    {"keepalive", read_keepalive},
    {"reconnect-max", read_reconnect},
    {"statistics", read_statistics},
    {"metrics", read_metrics},
};
#define N_TOP (sizeof top_level / sizeof top_level[0])

static void read_root(cfg_t *c, const pv_el_t *root)
{
    const char *known[N_TOP + 1];
    for (size_t i = 0; i < N_TOP; i++)
        known[i] = top_level[i].name;
    known[N_TOP] = NULL;
    check_stray_text(c, root);

    for (const pv_el_t *k = pv_el_first_element(root); k; k = pv_el_next(k, NULL, NULL)) {
        size_t i = 0;
        while (i < N_TOP && strcmp(k->name, top_level[i].name) != 0)
            i++;
        if (i == N_TOP) {
            unknown_element(c, k, root, known);
            continue;
        }
        /* mu-conference allows several <sadmin>; everything else is single. */
        if (c->seen[i] && top_level[i].read != read_sadmin) {
            cfg_err(c, k, "<%s> is given twice (first at line %u); keep one", k->name,
                    c->seen[i]->line);
            continue;
        }
        c->seen[i] = k;
        top_level[i].read(c, k);
    }
}

/* ---- Defaults and loading ---- */

static int set_defaults(pv_settings_t *s)
{
    memset(s, 0, sizeof *s);
    s->rport = 5347;
    s->max_stanza = 262144;
    s->max_outbuf = 16L * 1024 * 1024;
    s->keepalive = 60;
    s->reconnect_max = 60;
    s->plugins_default = true;
    s->log_facility = log_facility_by_name("daemon");
    s->rhost = strdup("localhost");
    s->backend = strdup("sqlite");
    s->sadmins = calloc(1, sizeof *s->sadmins);
    if (!s->rhost || !s->backend || !s->sadmins)
        return -1;
    cfg_t c = {.s = s, .file = "(defaults)"};
    size_t n = 0;
    while (default_plugins[n])
        n++;
    return set_plugins(&c, default_plugins, n);
}

/* The module directory when neither the file nor the command line set one. */
static int default_moddir(pv_settings_t *s)
{
    if (s->moddir)
        return 0;
    const char *env = getenv("PALAVER_MODULE_DIR");
    s->moddir = strdup(env && *env ? env : PV_MODULE_DIR);
    return s->moddir ? 0 : -1;
}

/* Reads the whole file into a malloc'd buffer (caller frees). */
static char *read_file(const char *path, size_t *len, int *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        *err = errno;
        return NULL;
    }
    size_t cap = 8192, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
        if (n == cap) {
            if (cap >= (size_t)CONFIG_MAX_BYTES) {
                free(buf);
                fclose(f);
                *err = EFBIG;
                return NULL;
            }
            char *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    if (!buf || ferror(f)) {
        *err = buf ? errno : ENOMEM;
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *len = n;
    return buf;
}

int config_load(pv_settings_t *s, const char *path, bool required)
{
    if (set_defaults(s) < 0) {
        fprintf(stderr, "palaver: out of memory reading the configuration\n");
        return -1;
    }
    if (!path)
        path = PV_SYSCONF_DIR "/palaver.xml";

    int err = 0;
    size_t len = 0;
    char *buf = read_file(path, &len, &err);
    if (!buf) {
        if (err == ENOENT && !required) {
            pv_log(PV_LOG_INFO, "config", "no config file %s; using the command line only", path);
            return default_moddir(s);
        }
        if (err == EFBIG)
            fprintf(stderr,
                    "%s: the config file is larger than %ld bytes; is this the right "
                    "file? Give it with -c FILE\n",
                    path, CONFIG_MAX_BYTES);
        else
            fprintf(stderr,
                    "%s: cannot read the config file: %s; give a readable file with "
                    "-c FILE\n",
                    path, strerror(err));
        return -1;
    }
    if (!(s->config_path = strdup(path))) {
        free(buf);
        return -1;
    }

    xs_limits_t lim;
    xs_limits_default(&lim);
    lim.max_stanza_bytes = (size_t)CONFIG_MAX_BYTES;
    lim.max_text = (size_t)CONFIG_MAX_BYTES;
    char msg[256] = "";
    unsigned line = 0;
    s->root = xs_parse_document(buf, len, &lim, msg, sizeof msg, &line);
    free(buf);
    if (!s->root) {
        if (line)
            fprintf(stderr,
                    "%s:%u: malformed XML: %s; fix the XML syntax (every element "
                    "closed, attribute values quoted)\n",
                    path, line, msg);
        else
            fprintf(stderr,
                    "%s: malformed XML: %s; fix the XML syntax (every element closed, "
                    "attribute values quoted)\n",
                    path, msg);
        return -1;
    }

    cfg_t c = {.s = s, .file = s->config_path};
    if (strcmp(s->root->name, "muc") != 0 && strcmp(s->root->name, "palaver") != 0) {
        cfg_err(&c, s->root,
                "the root element is <%s>; write <palaver> ... </palaver> (or "
                "<muc>, as in Palaver 0.6)",
                s->root->name);
        return -1;
    }
    read_root(&c, s->root);
    if (default_moddir(s) < 0) {
        cfg_err(&c, NULL, "out of memory");
        return -1;
    }
    return c.errors ? -1 : 0;
}
