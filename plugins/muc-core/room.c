/*
 * room.c: one room: its configuration values (indexed by the field table;
 * only values that differ from the default are kept), its subject, affiliation list and nick
 * registrations. Occupants are in occupant.c; the table of all rooms in room_table.c.
 */
#include "muc_internal.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

room_t *room_new(const char *name)
{
    room_t *r = calloc(1, sizeof *r);
    if (!r) {
        pv_log(PV_LOG_ERROR, MUC, "out of memory creating room %s", name);
        return NULL;
    }
    size_t jl = strlen(name) + strlen(pv_service_domain()) + 2;
    r->name = xstrdup(name);
    r->jid = malloc(jl);
    if (!r->name || !r->jid) {
        room_free(r);
        return NULL;
    }
    snprintf(r->jid, jl, "%s@%s", name, pv_service_domain());
    /* cfg[] stays NULL: every value is its field's default until set */
    map_init(&r->by_nick, true);
    map_init(&r->by_bare, false);
    map_init(&r->by_full, false);
    map_init(&r->left_ids, false);
    map_init(&r->affs, false);
    map_init(&r->aff_reasons, false);
    map_init(&r->regs, false);
    map_init(&r->reg_nicks, true);
    map_init(&r->offline, false);
    return r;
}

void room_free(room_t *r)
{
    if (!r)
        return;
    while (r->first)
        occupant_remove(r->first);
    size_t i;
    for (map_entry_t *e = map_first(&r->regs, &i); e; e = map_next(&r->regs, e, &i))
        free(e->val);
    for (map_entry_t *e = map_first(&r->reg_nicks, &i); e; e = map_next(&r->reg_nicks, e, &i))
        free(e->val);
    for (map_entry_t *e = map_first(&r->aff_reasons, &i); e; e = map_next(&r->aff_reasons, e, &i))
        free(e->val);
    map_clear(&r->offline);
    map_clear(&r->aff_reasons);
    map_clear(&r->by_nick);
    map_clear(&r->by_bare);
    map_clear(&r->by_full);
    map_clear(&r->affs);
    map_clear(&r->regs);
    map_clear(&r->reg_nicks);
    ext_room_free(r);
    left_ids_free(r);
    for (int f = 0; f < CF_COUNT; f++)
        free(r->cfg[f]);
    free(r->subject);
    free(r->subject_from);
    free(r->name);
    free(r->jid);
    free(r);
}

/* NULL in cfg[] means the field table's default (static, never freed). */
const char *room_cfg(const room_t *r, int f)
{
    if (r->cfg[f])
        return r->cfg[f];
    return config_fields[f].def ? config_fields[f].def : "";
}

bool room_cfg_bool(const room_t *r, int f)
{
    return strcmp(room_cfg(r, f), "1") == 0;
}

long room_cfg_int(const room_t *r, int f)
{
    return strtol(room_cfg(r, f), NULL, 10);
}

/* A value equal to the default is not copied: most rooms keep most
 * defaults, and a copy of each would cost every room some 28 mallocs. */
int room_cfg_set(room_t *r, int f, const char *value)
{
    const char *def = config_fields[f].def ? config_fields[f].def : "";
    char *v = NULL;
    if (!value)
        value = "";
    if (strcmp(value, def) != 0 && !(v = xstrdup(value)))
        return -1;
    free(r->cfg[f]);
    r->cfg[f] = v;
    return 0;
}

pv_muc_aff_t room_aff(const room_t *r, const char *bare)
{
    if (pv_is_sadmin(bare))
        return PV_MUC_AFF_OWNER;
    void *v = map_get(&r->affs, bare);
    if (v)
        return (pv_muc_aff_t)((intptr_t)v - 1);
    /* a domain ban/affiliation applies to every user of the domain */
    const char *at = strchr(bare, '@');
    if (at && (v = map_get(&r->affs, at + 1)))
        return (pv_muc_aff_t)((intptr_t)v - 1);
    return PV_MUC_AFF_NONE;
}

/* Values are stored +1 so that outcast (0) is not NULL. */
int room_aff_set(room_t *r, const char *bare, pv_muc_aff_t a)
{
    ext_aff_cleared(r, bare);
    if (a == PV_MUC_AFF_NONE) {
        map_del(&r->affs, bare);
        free(map_del(&r->aff_reasons, bare));
        return 0;
    }
    return map_put(&r->affs, bare, (void *)(intptr_t)(a + 1));
}

const char *room_reg_nick(const room_t *r, const char *bare)
{
    return map_get(&r->regs, bare);
}

const char *room_reg_owner(const room_t *r, const char *nick)
{
    return map_get_nick(&r->reg_nicks, nick);
}

/* regs: bare -> nick (owned); reg_nicks: nick -> bare (owned copy). */
int room_reg_set(room_t *r, const char *bare, const char *nick)
{
    char *old = map_get(&r->regs, bare);
    if (old) {
        free(map_del_nick(&r->reg_nicks, old));
        map_del(&r->regs, bare);
        free(old);
    }
    if (!nick)
        return 0;
    char *n = xstrdup(nick);
    char *b = xstrdup(bare);
    if (!n || !b || map_put(&r->regs, bare, n) < 0) {
        free(n);
        free(b);
        return -1;
    }
    if (map_put_nick(&r->reg_nicks, n, b) < 0) {
        map_del(&r->regs, bare);
        free(n);
        free(b);
        return -1;
    }
    return 0;
}

bool room_is_public(const room_t *r)
{
    return room_cfg_bool(r, CF_PUBLIC);
}

bool room_whois_anyone(const room_t *r)
{
    return strcmp(room_cfg(r, CF_WHOIS), "anyone") == 0;
}

void room_aff_reason_set(room_t *r, const char *bare, const char *reason)
{
    free(map_del(&r->aff_reasons, bare));
    if (!reason || !*reason)
        return;
    char *v = xstrdup(reason);
    if (!v || map_put(&r->aff_reasons, bare, v) < 0) {
        free(v);
        pv_log(PV_LOG_ERROR, MUC, "out of memory keeping a reason in %s", r->jid);
    }
}

const char *room_aff_reason(const room_t *r, const char *bare)
{
    return map_get(&r->aff_reasons, bare);
}

/* Owners on the room's list (service admins are owners everywhere but not listed). */
size_t room_owner_count(const room_t *r)
{
    size_t i, n = 0;
    for (map_entry_t *e = map_first(&r->affs, &i); e; e = map_next(&r->affs, e, &i))
        if ((pv_muc_aff_t)((intptr_t)e->val - 1) == PV_MUC_AFF_OWNER)
            n++;
    return n;
}
