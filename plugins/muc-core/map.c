/*
 * map.c: muc-core's keys for its hash tables (palaver/map.h, the core's,
 * behind the short map_* names of muc_internal.h): nicks folded so that
 * every spelling of a nick finds the same occupant, and the string copy
 * every handler uses.
 */
#include "muc_internal.h"
#include <stdlib.h>
#include <string.h>
#include <strings.h>

char *xstrdup(const char *s)
{
    char *d = s ? strdup(s) : NULL;
    if (s && !d)
        pv_log(PV_LOG_ERROR, MUC, "out of memory copying a string of %zu bytes", strlen(s));
    return d;
}

/* ---- nick keys ----
 * Nicks are compared case-insensitively after resourceprep, for every script:
 * the key is the nick's nameprep form (Unicode case folding and NFKC, so
 * "Ａlice" and "alice" collide too), or the nick itself when nameprep refuses
 * it; the map then also folds ASCII case. */

static char *nick_key(const char *nick)
{
    char *k = pv_nameprep(nick);
    return k ? k : xstrdup(nick);
}

void *map_get_nick(const map_t *m, const char *nick)
{
    char *k = nick ? nick_key(nick) : NULL;
    void *v = k ? map_get(m, k) : NULL;
    free(k);
    return v;
}

int map_put_nick(map_t *m, const char *nick, void *val)
{
    char *k = nick_key(nick);
    int rc = k ? map_put(m, k, val) : -1;
    free(k);
    return rc;
}

void *map_del_nick(map_t *m, const char *nick)
{
    char *k = nick_key(nick);
    void *v = k ? map_del(m, k) : NULL;
    free(k);
    return v;
}

bool nick_equal(const char *a, const char *b)
{
    char *ka = nick_key(a), *kb = nick_key(b);
    bool eq = ka && kb && strcasecmp(ka, kb) == 0;
    free(ka);
    free(kb);
    return eq;
}
