/*
 * throttle.c (LIMIT-1): rate limits on what costs the room and its occupants
 * more than one stanza, besides MSG-7's message flood control (flood.c):
 *
 *   join           joins per sender (bare JID), over every room
 *   room-join      joins per room, whoever sends them
 *   presence       presence (show, status) updates per occupant
 *   nick           nick changes per occupant
 *   invite         mediated invitations per occupant (each <invite/> counts)
 *   voice-request  voice requests per occupant
 *
 * Each is configured inside <throttle> in <muc-core> as
 * <join burst='100' per-minute='120'/>: `burst` actions at once, refilled at
 * `per-minute` (burst 0 turns that throttle off). An action over its limit
 * is refused with resource-constraint (type wait), the condition RFC 6120
 * names for "try again later"; the room's state is unchanged. Service
 * admins are never throttled. The defaults suit a public service: nobody
 * typing reaches them, a script does.
 *
 * The buckets are the same token buckets as flood control (flood.c), kept
 * here in one table keyed by kind, room and bare JID ("per occupant" is per
 * user in a room, so leaving and joining again does not refill it). A
 * bucket that has refilled completely is the same as no bucket: the table
 * drops those whenever it has doubled since the last sweep, so its size
 * follows the recently active senders, not everyone ever seen.
 *
 * Ownership: the table owns its keys (map.c) and the buckets (malloc'd).
 */
#include "muc_internal.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SWEEP_MIN 1024   /* no sweep below this many buckets */
#define BURST_MAX 100000 /* the same bounds as flood-burst / flood-per-minute */
#define RATE_MAX 6000000

typedef struct limit {
    long burst;
    long per_minute;
} limit_t;

typedef struct kind_def {
    const char *name;
    limit_t def;
    const char *what; /* for the error text */
} kind_def_t;

static const kind_def_t kinds[THR_COUNT] = {
    [THR_JOIN] = {"join", {100, 120}, "joining rooms"}, /* a client's bookmarks at login */
    [THR_ROOM_JOIN] = {"room-join", {100, 600}, "joining this room"},
    [THR_PRESENCE] = {"presence", {20, 60}, "changing your presence"},
    [THR_NICK] = {"nick", {10, 20}, "changing your nickname"},
    [THR_INVITE] = {"invite", {10, 20}, "sending invitations"},
    [THR_VOICE] = {"voice-request", {3, 6}, "requesting voice"},
};

static limit_t limits[THR_COUNT];
static bool configured;
static map_t buckets; /* "K\x1froom\x1fbare" -> bucket_t * (owned) */
static bool table_ready;
static uint32_t sweep_at = SWEEP_MIN;

static void defaults(limit_t out[THR_COUNT])
{
    for (int k = 0; k < THR_COUNT; k++)
        out[k] = kinds[k].def;
}

/* One attribute of a kind's element: absent keeps *out. 0, or -1 logged
 * with FILE:LINE and the fix. */
static int read_attr(const pv_el_t *el, const char *attr, long max, long *out)
{
    const char *v = pv_el_attr(el, attr);
    if (!v)
        return 0;
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (!*v || *end || errno || n < 0 || n > max)
        return pv_config_error(el, MUC,
                               "<throttle><%s %s='%s'>: %s must be an integer from 0 to %ld "
                               "(for example <%s burst='10' per-minute='20'/>; burst='0' turns "
                               "this throttle off)",
                               el->name, attr, v, attr, max, el->name);
    *out = n;
    return 0;
}

static int read_kind(const pv_el_t *el, limit_t out[THR_COUNT])
{
    int k = 0;
    while (k < THR_COUNT && strcmp(kinds[k].name, el->name))
        k++;
    if (k == THR_COUNT)
        return -1; /* reported by pv_config_check_known */
    for (const pv_attr_t *a = el->attrs; a; a = a->next)
        if (a->ns || (strcmp(a->name, "burst") && strcmp(a->name, "per-minute")))
            return pv_config_error(el, MUC,
                                   "<throttle><%s>: unknown attribute '%s' (write <%s "
                                   "burst='N' per-minute='M'/>)",
                                   el->name, a->name, el->name);
    if (pv_el_child(el, NULL, NULL))
        return pv_config_error(el, MUC,
                               "<throttle><%s> takes attributes, not elements (write <%s "
                               "burst='N' per-minute='M'/>)",
                               el->name, el->name);
    if (read_attr(el, "burst", BURST_MAX, &out[k].burst) < 0 ||
        read_attr(el, "per-minute", RATE_MAX, &out[k].per_minute) < 0)
        return -1;
    if (out[k].burst > 0 && out[k].per_minute == 0)
        return pv_config_error(el, MUC,
                               "<throttle><%s>: per-minute='0' would never refill the %ld "
                               "allowed at once; give a rate, or burst='0' to turn it off",
                               el->name, out[k].burst);
    return 0;
}

int throttle_configure(const pv_config_t *cfg)
{
    limit_t fresh[THR_COUNT];
    defaults(fresh);
    const pv_el_t *t = cfg ? pv_el_child(cfg, NULL, "throttle") : NULL;
    if (t && pv_el_next(t, NULL, "throttle"))
        return pv_config_error(pv_el_next(t, NULL, "throttle"), MUC,
                               "<throttle> may appear once: put every limit in the first one");
    if (t) {
        const char *names[THR_COUNT + 1];
        for (int k = 0; k < THR_COUNT; k++)
            names[k] = kinds[k].name;
        names[THR_COUNT] = NULL;
        if (pv_config_check_known(t, names, MUC) > 0)
            return -1;
        for (pv_el_t *c = pv_el_child(t, NULL, NULL); c; c = pv_el_next(c, NULL, NULL))
            if (read_kind(c, fresh) < 0)
                return -1;
    }
    memcpy(limits, fresh, sizeof limits);
    configured = true;
    return 0;
}

void throttle_free(void)
{
    if (table_ready) {
        size_t i;
        for (map_entry_t *e = map_first(&buckets, &i); e; e = map_next(&buckets, e, &i))
            free(e->val);
        map_clear(&buckets);
    }
    table_ready = false;
    configured = false;
    sweep_at = SWEEP_MIN;
}

/* Drops the buckets that are full again (they equal no bucket). */
static void sweep(int64_t now)
{
    map_t keep;
    map_init(&keep, false);
    size_t i;
    bool oom = false;
    for (map_entry_t *e = map_first(&buckets, &i); e; e = map_next(&buckets, e, &i)) {
        bucket_t *b = e->val;
        int k = e->key[0] - '0';
        bucket_refill(b, limits[k].burst, limits[k].per_minute, now);
        if (!oom && b->tokens < (double)limits[k].burst && map_put(&keep, e->key, b) == 0)
            continue;
        if (b->tokens < (double)limits[k].burst)
            oom = true; /* kept nowhere: forgotten, which only forgives a sender */
        free(b);
    }
    map_clear(&buckets);
    buckets = keep;
    sweep_at = buckets.count * 2 > SWEEP_MIN ? buckets.count * 2 : SWEEP_MIN;
}

bool throttle_allow(throttle_t k, const char *room, const char *bare)
{
    if (!configured)
        defaults(limits), configured = true;
    if (limits[k].burst <= 0 || (bare && pv_is_sadmin(bare)))
        return true;
    if (!table_ready) {
        map_init(&buckets, false);
        table_ready = true;
    }
    int64_t now = pv_now_us();
    if (buckets.count >= sweep_at)
        sweep(now);
    char key[8192];
    int n =
        snprintf(key, sizeof key, "%c\x1f%s\x1f%s", '0' + k, room ? room : "", bare ? bare : "");
    if (n < 0 || (size_t)n >= sizeof key)
        return true; /* longer than any JID pair: nothing to count */
    bucket_t *b = map_get(&buckets, key);
    if (!b) {
        b = calloc(1, sizeof *b);
        if (!b || map_put(&buckets, key, b) < 0) {
            free(b);
            pv_log(PV_LOG_ERROR, MUC, "out of memory counting %s for %s", kinds[k].name, key + 2);
            return true;
        }
    }
    return bucket_take(b, limits[k].burst, limits[k].per_minute, now);
}

pv_verdict_t throttle_refuse(pv_stanza_ctx_t *ctx, throttle_t k)
{
    pv_log(PV_LOG_INFO, MUC, "throttled %s: %s too fast (%s)", ctx->from->full, kinds[k].name,
           ctx->to->bare);
    return refuse(ctx, "wait", "resource-constraint",
                  errtext("You are %s too fast; wait a moment and try again", kinds[k].what));
}

pv_verdict_t throttle_check_named(pv_stanza_ctx_t *ctx, const char *kind, const char *room)
{
    for (int k = 0; kind && k < THR_COUNT; k++)
        if (!strcmp(kinds[k].name, kind))
            return throttle_check(ctx, (throttle_t)k, room);
    pv_log(PV_LOG_ERROR, MUC, "no throttle named '%s'", kind ? kind : "(null)");
    return refuse(ctx, "wait", "internal-server-error", "Unknown rate limit");
}

pv_verdict_t throttle_check(pv_stanza_ctx_t *ctx, throttle_t k, const char *room)
{
    if (pv_is_sadmin(ctx->from->bare) ||
        throttle_allow(k, room, k == THR_ROOM_JOIN ? NULL : ctx->from->bare))
        return PV_PASS;
    return throttle_refuse(ctx, k);
}
