/*
 * core/sdk_config.c: the plugins' read-only view of the config
 * (palaver/config.h).
 *
 * A plugin gets its own element and reads it through these getters, which
 * take a default and bounds, so that every plugin reports bad values the same
 * way: "FILE:LINE: <plugin>: <what> (expected ...)" in the log, and a failed
 * init. Values are read from the tree of the settings in force
 * (settings_current()); nothing here allocates outside that tree.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <palaver/config.h>
#include <palaver/log.h>

#include "arena.h"
#include "settings.h"
#include "suggest.h"

const char *pv_config_file(void)
{
    const pv_settings_t *s = settings_current();
    return s && s->config_path ? s->config_path : "(command line)";
}

const pv_config_t *pv_config_root(void)
{
    const pv_settings_t *s = settings_current();
    return s ? s->root : NULL;
}

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* Trimmed text of el, in el's arena (or the untrimmed text if out of memory). */
static const char *trimmed(const pv_el_t *el)
{
    size_t n;
    const char *t = config_text(el, &n);
    if (t[n] == '\0')
        return t;
    const char *copy = arena_strndup(el->arena, t, n);
    return copy ? copy : t;
}

const char *pv_config_str(const pv_config_t *c, const char *name, const char *def)
{
    const pv_el_t *el = c ? pv_el_child(c, NULL, name) : NULL;
    return el ? trimmed(el) : def;
}

/* "FILE:LINE: " (or "FILE: ") for node el, into buf. */
static const char *where(const pv_el_t *el, char *buf, size_t len)
{
    if (el && el->line)
        snprintf(buf, len, "%s:%u", pv_config_file(), el->line);
    else
        snprintf(buf, len, "%s", pv_config_file());
    return buf;
}

int pv_config_int(const pv_config_t *c, const char *name, long def, long min, long max,
                  const char *owner, long *out)
{
    const pv_el_t *el = c ? pv_el_child(c, NULL, name) : NULL;
    if (!el) {
        *out = def;
        return 0;
    }
    const char *v = trimmed(el);
    char *end = NULL;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (*v && !is_space(*v) && end && !*end && !errno && n >= min && n <= max) {
        *out = n;
        return 0;
    }
    char at[512];
    pv_log(PV_LOG_ERROR, owner, "%s: %s: %s must be an integer between %ld and %ld, not '%s'",
           where(el, at, sizeof at), owner, name, min, max, v);
    return -1;
}

int pv_config_bool(const pv_config_t *c, const char *name, bool def, const char *owner, bool *out)
{
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off"};
    const pv_el_t *el = c ? pv_el_child(c, NULL, name) : NULL;
    if (!el) {
        *out = def;
        return 0;
    }
    const char *v = trimmed(el);
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    char at[512];
    pv_log(PV_LOG_ERROR, owner,
           "%s: %s: %s must be a boolean (true/false, yes/no, on/off, 1/0), "
           "not '%s'",
           where(el, at, sizeof at), owner, name, v);
    return -1;
}

int pv_config_check_known(const pv_config_t *c, const char *const *known, const char *owner)
{
    int unknown = 0;
    for (const pv_el_t *k = c ? pv_el_first_element(c) : NULL; k; k = pv_el_next(k, NULL, NULL)) {
        size_t i = 0;
        while (known && known[i] && strcmp(known[i], k->name) != 0)
            i++;
        if (known && known[i])
            continue;
        unknown++;
        char at[512], list[512];
        suggest_list(known, list, sizeof list);
        const char *near = suggest_name(k->name, known);
        if (near)
            pv_log(PV_LOG_ERROR, owner,
                   "%s: %s: unknown element <%s> (known: %s); did you mean "
                   "<%s>?",
                   where(k, at, sizeof at), owner, k->name, list, near);
        else
            pv_log(PV_LOG_ERROR, owner, "%s: %s: unknown element <%s> (known: %s)",
                   where(k, at, sizeof at), owner, k->name, list);
    }
    return unknown;
}

int pv_config_error(const pv_config_t *c, const char *owner, const char *fmt, ...)
{
    char at[512], msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pv_log(PV_LOG_ERROR, owner, "%s: %s: %s", where(c, at, sizeof at), owner, msg);
    return -1;
}

const char *const *pv_config_sadmins(void)
{
    static const char *const none[] = {NULL};
    const pv_settings_t *s = settings_current();
    return s && s->sadmins ? (const char *const *)s->sadmins : none;
}

bool pv_is_sadmin(const char *bare_jid)
{
    if (!bare_jid)
        return false;
    for (const char *const *a = pv_config_sadmins(); *a; a++)
        if (strcmp(*a, bare_jid) == 0)
            return true;
    return false;
}
