/*
 * core/plugin_keys.c: plugins' declared configuration elements (the
 * config_keys table of palaver/plugin.h, minor 5).
 *
 * A plugin that declares its elements as a table (name, type, default,
 * bounds, one-line doc), as nginx modules declare their directives, gets one
 * set of rules applied for it: unknown elements and bad values are refused
 * before init, by --check-config and at reconfigure, with the same
 * "FILE:LINE: <plugin>: ..." messages as the pv_config_* getters (which this
 * file uses), and `palaver --list-options` prints the same table the checks
 * use. The getters return values already checked, so a plugin's start and
 * reconfigure read them without error paths.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <palaver/config.h>
#include <palaver/log.h>

#include "plugin_handle.h"

static const pv_config_key_t *key_find(const pv_config_key_t *keys, const char *name)
{
    for (const pv_config_key_t *k = keys; k && k->type != PV_KEY_END; k++)
        if (!strcmp(k->name, name))
            return k;
    return NULL;
}

/* True when word is one of choices ("a|b|c"). */
static bool is_choice(const char *choices, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = choices ? choices : ""; *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && !strncmp(p, word, n))
            return true;
        p += len + (bar != NULL);
    }
    return false;
}

static int check_known(const char *plugin, const pv_config_key_t *keys, const pv_config_t *cfg)
{
    size_t n = 0;
    for (const pv_config_key_t *k = keys; k->type != PV_KEY_END; k++)
        n++;
    const char **names = calloc(n + 1, sizeof *names);
    if (!names)
        return pv_config_error(cfg, plugin, "out of memory checking the configuration") * -1;
    for (size_t i = 0; i < n; i++)
        names[i] = keys[i].name;
    int bad = pv_config_check_known(cfg, names, plugin);
    free(names);
    return bad;
}

/* Checks the value of declared element k in cfg. Returns 0 or 1 (logged). */
static int check_value(const char *plugin, const pv_config_key_t *k, const pv_config_t *cfg)
{
    size_t count = 0;
    for (const pv_el_t *e = pv_el_child(cfg, NULL, k->name); e; e = pv_el_next(e, NULL, k->name))
        count++;
    if (count > 1 && !(k->flags & PV_KEY_REPEAT)) {
        pv_config_error(pv_el_next(pv_el_child(cfg, NULL, k->name), NULL, k->name), plugin,
                        "<%s> may appear only once (keep one)", k->name);
        return 1;
    }
    long l;
    bool b;
    switch (k->type) {
    case PV_KEY_INT:
        return pv_config_int(cfg, k->name, 0, k->min, k->max, plugin, &l) < 0;
    case PV_KEY_BOOL:
        return pv_config_bool(cfg, k->name, false, plugin, &b) < 0;
    case PV_KEY_CHOICE: {
        const char *v = pv_config_str(cfg, k->name, NULL);
        if (!v || is_choice(k->choices, v))
            return 0;
        pv_config_error(pv_el_child(cfg, NULL, k->name), plugin, "<%s> must be one of %s, not '%s'",
                        k->name, k->choices, v);
        return 1;
    }
    default:
        return 0;
    }
}

int plugin_keys_check(const char *plugin, const pv_config_key_t *keys, const pv_config_t *cfg)
{
    if (!keys || !cfg)
        return 0;
    int bad = check_known(plugin, keys, cfg);
    for (const pv_config_key_t *k = keys; k->type != PV_KEY_END; k++)
        bad += check_value(plugin, k, cfg);
    return bad;
}

/* The declaration of name with type `type`, or NULL after logging the bug. */
static const pv_config_key_t *declared(const pv_plugin_handle_t *h, const char *name,
                                       pv_key_type_t type)
{
    const pv_config_key_t *k = h ? key_find(h->keys, name) : NULL;
    bool ok = k && (k->type == type || (type == PV_KEY_STR && k->type == PV_KEY_CHOICE));
    if (!ok)
        pv_log(PV_LOG_ERROR, h ? h->name : "?",
               "bug: configuration element <%s> is not declared %s in the plugin's table", name,
               k ? "with this type" : "");
    return ok ? k : NULL;
}

long pv_key_int(const pv_plugin_handle_t *h, const pv_config_t *cfg, const char *name)
{
    const pv_config_key_t *k = declared(h, name, PV_KEY_INT);
    if (!k)
        return 0;
    long def = k->def ? strtol(k->def, NULL, 10) : 0, v = def;
    if (pv_config_int(cfg, name, def, k->min, k->max, h->name, &v) < 0)
        return def; /* not reached: checked before start and reconfigure */
    return v;
}

bool pv_key_bool(const pv_plugin_handle_t *h, const pv_config_t *cfg, const char *name)
{
    const pv_config_key_t *k = declared(h, name, PV_KEY_BOOL);
    if (!k)
        return false;
    bool def = k->def && (!strcasecmp(k->def, "true") || !strcasecmp(k->def, "yes") ||
                          !strcasecmp(k->def, "on") || !strcmp(k->def, "1"));
    bool v = def;
    if (pv_config_bool(cfg, name, def, h->name, &v) < 0)
        return def;
    return v;
}

const char *pv_key_str(const pv_plugin_handle_t *h, const pv_config_t *cfg, const char *name)
{
    const pv_config_key_t *k = declared(h, name, PV_KEY_STR);
    return k ? pv_config_str(cfg, name, k->def) : NULL;
}

void plugin_keys_warn_restart(const char *plugin, const pv_config_key_t *keys,
                              const pv_config_t *old_cfg, const pv_config_t *new_cfg)
{
    for (const pv_config_key_t *k = keys; k && k->type != PV_KEY_END; k++) {
        if (!(k->flags & PV_KEY_RESTART) || k->type == PV_KEY_ELEMENT)
            continue;
        const char *a = pv_config_str(old_cfg, k->name, k->def);
        const char *b = pv_config_str(new_cfg, k->name, k->def);
        if ((a == NULL) != (b == NULL) || (a && strcmp(a, b)))
            pv_log(PV_LOG_WARN, plugin, "<%s> changed: the new value takes effect at restart",
                   k->name);
    }
}

static const char *type_text(const pv_config_key_t *k)
{
    switch (k->type) {
    case PV_KEY_INT:
        return "integer";
    case PV_KEY_BOOL:
        return "boolean";
    case PV_KEY_STR:
        return "text";
    case PV_KEY_CHOICE:
        return "word";
    default:
        return "element";
    }
}

/* "integer 0..100000, default 10, restart only" into buf. */
static const char *summary(const pv_config_key_t *k, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s", type_text(k));
    if (k->type == PV_KEY_INT && n >= 0 && (size_t)n < len)
        n += snprintf(buf + n, len - (size_t)n, " %ld..%ld", k->min, k->max);
    if (k->type == PV_KEY_CHOICE && n >= 0 && (size_t)n < len)
        n += snprintf(buf + n, len - (size_t)n, " %s", k->choices ? k->choices : "");
    if (k->def && n >= 0 && (size_t)n < len)
        n += snprintf(buf + n, len - (size_t)n, ", default %s", k->def);
    if ((k->flags & PV_KEY_REPEAT) && n >= 0 && (size_t)n < len)
        n += snprintf(buf + n, len - (size_t)n, ", repeatable");
    if ((k->flags & PV_KEY_RESTART) && n >= 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, ", at restart");
    return buf;
}

/* Writes s with roff's '-' and '\' escaped. */
static void roff_text(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '-' || *s == '\\')
            fputc('\\', out);
        fputc(*s == '\\' ? 'e' : *s, out);
    }
}

void plugin_keys_print_heading(FILE *out, const char *plugin, bool none)
{
    fputs(".PP\n.BR ", out);
    roff_text(out, plugin);
    fputs(none ? " :\nno elements.\n" : " :\n", out);
}

void plugin_keys_print(FILE *out, const char *plugin, const pv_config_key_t *keys, bool roff)
{
    char buf[256];
    for (const pv_config_key_t *k = keys; k && k->type != PV_KEY_END; k++) {
        if (!roff) {
            fprintf(out, "%s\t<%s>\t%s\t%s\n", plugin, k->name, summary(k, buf, sizeof buf),
                    k->doc ? k->doc : "");
            continue;
        }
        fputs(".TP\n.B <", out);
        roff_text(out, k->name);
        fputs(">\n", out);
        roff_text(out, k->doc ? k->doc : "");
        fputs(" (", out);
        roff_text(out, summary(k, buf, sizeof buf));
        fputs(")\n", out);
    }
}
