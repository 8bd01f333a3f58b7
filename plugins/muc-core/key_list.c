/*
 * key_list.c: sets of bare JIDs kept in a room's stored configuration as one
 * text value (the owners, the members who want messages while absent).
 * Each is the keys of a map joined by a separator, and parsed back one line
 * at a time. A bare JID has no space nor line break, so the text parses back
 * without quoting.
 */
#include "muc_internal.h"
#include <stdlib.h>
#include <string.h>

/* The length of one item (its key), or 0 when skipped. */
static size_t item_len(const map_entry_t *e, const key_list_t *how)
{
    if (how->keep && !how->keep(e->key, how->ud))
        return 0;
    return strlen(e->key);
}

static char *append(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

char *key_list_join(const map_t *m, const key_list_t *how, bool *oom)
{
    size_t len = 0, i, n = 0;
    *oom = false;
    for (map_entry_t *e = map_first(m, &i); e; e = map_next(m, e, &i)) {
        size_t l = item_len(e, how);
        len += l ? l + 1 : 0;
        n += l != 0;
    }
    if (how->extra)
        len += strlen(how->extra) + 1;
    if (!len)
        return NULL;
    char *s = malloc(len), *p = s;
    if (!s) {
        *oom = true;
        return NULL;
    }
    for (map_entry_t *e = map_first(m, &i); e; e = map_next(m, e, &i)) {
        if (!item_len(e, how))
            continue;
        if (p != s)
            *p++ = how->sep;
        p = append(p, e->key);
    }
    if (how->extra) {
        if (p != s)
            *p++ = how->sep;
        p = append(p, how->extra);
    }
    *p = '\0';
    return s;
}

void key_list_each_line(const char *text, void (*fn)(const char *line, size_t len, void *ud),
                        void *ud)
{
    const char *line = text;
    while (line && *line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len)
            fn(line, len, ud);
        line = end ? end + 1 : NULL;
    }
}
