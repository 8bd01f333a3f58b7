/*
 * tools/migrate/room.c: mig_room_t, the converted room every source fills
 * and the target writes, and name normalisation for rooms and JIDs.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <palaver/jid.h>
#include <palaver/log.h>

#include "migrate.h"

#define WHO "migrate"

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return p;
    size_t ncap = *cap ? *cap * 2 : 8;
    while (ncap < need)
        ncap *= 2;
    void *q = realloc(p, ncap * size);
    if (q)
        *cap = ncap;
    return q;
}

static char *dup_or_null(const char *s, int *oom)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *oom = 1;
    return d;
}

static int oom(void)
{
    pv_log(PV_LOG_ERROR, WHO, "out of memory");
    return -1;
}

mig_room_t *mig_room_new(const char *name)
{
    mig_room_t *r = calloc(1, sizeof *r);
    if (!r || !(r->name = strdup(name))) {
        free(r);
        oom();
        return NULL;
    }
    return r;
}

void mig_room_free(mig_room_t *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->ncfg; i++) {
        free(r->cfg[i].key);
        free(r->cfg[i].value);
    }
    for (size_t i = 0; i < r->naffs; i++) {
        free(r->affs[i].jid);
        free(r->affs[i].aff);
        free(r->affs[i].reason);
    }
    for (size_t i = 0; i < r->nregs; i++) {
        free(r->regs[i].jid);
        free(r->regs[i].nick);
    }
    free(r->cfg);
    free(r->affs);
    free(r->regs);
    free(r->name);
    free(r);
}

int mig_room_set(mig_room_t *r, const char *key, const char *value)
{
    for (size_t i = 0; i < r->ncfg; i++) {
        if (strcmp(r->cfg[i].key, key) == 0) {
            char *v = strdup(value);
            if (!v)
                return oom();
            free(r->cfg[i].value);
            r->cfg[i].value = v;
            return 0;
        }
    }
    mig_kv_t *n = grow(r->cfg, &r->capcfg, r->ncfg + 1, sizeof *n);
    if (!n)
        return oom();
    r->cfg = n;
    int bad = 0;
    char *k = dup_or_null(key, &bad), *v = dup_or_null(value, &bad);
    if (bad) {
        free(k);
        free(v);
        return oom();
    }
    r->cfg[r->ncfg].key = k;
    r->cfg[r->ncfg].value = v;
    r->ncfg++;
    return 0;
}

const char *mig_room_get(const mig_room_t *r, const char *key)
{
    for (size_t i = 0; i < r->ncfg; i++)
        if (strcmp(r->cfg[i].key, key) == 0)
            return r->cfg[i].value;
    return NULL;
}

int mig_room_add_aff(mig_room_t *r, const char *jid, const char *aff, const char *reason,
                     const char **replaced)
{
    static char prev[32];
    if (replaced)
        *replaced = NULL;
    int bad = 0;
    char *a = dup_or_null(aff, &bad), *why = dup_or_null(reason, &bad);
    if (bad) {
        free(a);
        free(why);
        return oom();
    }
    for (size_t i = 0; i < r->naffs; i++) {
        if (strcmp(r->affs[i].jid, jid) == 0) {
            snprintf(prev, sizeof prev, "%s", r->affs[i].aff);
            if (replaced)
                *replaced = prev;
            free(r->affs[i].aff);
            free(r->affs[i].reason);
            r->affs[i].aff = a;
            r->affs[i].reason = why;
            return 0;
        }
    }
    mig_aff_t *n = grow(r->affs, &r->capaffs, r->naffs + 1, sizeof *n);
    char *j = strdup(jid);
    if (!n || !j) {
        if (n)
            r->affs = n;
        free(a);
        free(why);
        free(j);
        return oom();
    }
    r->affs = n;
    r->affs[r->naffs++] = (mig_aff_t){j, a, why};
    return 0;
}

int mig_room_add_reg(mig_room_t *r, const char *jid, const char *nick)
{
    for (size_t i = 0; i < r->nregs; i++) {
        if (strcmp(r->regs[i].jid, jid) == 0) {
            char *n = strdup(nick);
            if (!n)
                return oom();
            free(r->regs[i].nick);
            r->regs[i].nick = n;
            return 0;
        }
    }
    mig_reg_t *n = grow(r->regs, &r->capregs, r->nregs + 1, sizeof *n);
    char *j = strdup(jid), *k = strdup(nick);
    if (!n || !j || !k) {
        if (n)
            r->regs = n;
        free(j);
        free(k);
        return oom();
    }
    r->regs = n;
    r->regs[r->nregs++] = (mig_reg_t){j, k};
    return 0;
}

static void lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

char *mig_room_name(const char *node)
{
    if (!node || !*node)
        return NULL;
    char *n = pv_nodeprep(node);
    if (!n) {
        n = strdup(node);
        if (n)
            lower(n);
    }
    return n;
}

char *mig_bare_jid(const char *jid)
{
    if (!jid || !*jid)
        return NULL;
    pv_jid_t *j = pv_jid_parse(jid);
    char *out = NULL;
    if (j) {
        out = strdup(j->bare);
        pv_jid_free(j);
        return out;
    }
    /* Not a valid JID: keep it lower-cased without a resource. */
    out = strdup(jid);
    if (out) {
        char *slash = strchr(out, '/');
        if (slash)
            *slash = '\0';
        lower(out);
    }
    return out;
}
