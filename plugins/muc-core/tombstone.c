/*
 * tombstone.c: a destroyed persistent room leaves a tombstone (TOMB-1) for
 * <tombstone-expiry> seconds (0: none). While it lasts, a join (which would
 * create the room anew) gets a `gone` error (cancel) whose text is the
 * alternate venue of the destroy request as an XMPP URI (XEP-0045 §10.9,
 * RFC 6120 §8.3.3.5); service admins may recreate the room, which removes
 * the tombstone. Tombstones are not rooms: they live in their own table,
 * so disco#items, room lists and statistics never see them, and a room's
 * disco#info answers item-not-found. They survive restarts through the
 * backend as a stored room named NODE@tombstone (no room node has an '@',
 * so it never collides with a room stored again under NODE) whose config
 * holds only Palaver-private keys (TOMB_KEY: the expiry in Unix seconds,
 * the venue and the reason): persist.c hands such rows here instead of
 * loading a room. Expired ones are deleted from storage at start and when
 * next looked up.
 */
#include "muc_internal.h"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TOMB_KEY "x-palaver#tombstone"
#define TOMB_VENUE "x-palaver#tombstone-venue"
#define TOMB_REASON "x-palaver#tombstone-reason"
#define TOMB_SUFFIX "@tombstone"

typedef struct tomb {
    int64_t expiry; /* Unix seconds */
    char *venue;    /* alternate venue JID, or NULL */
    char *reason;   /* or NULL */
} tomb_t;

static map_t tombs; /* room node -> tomb_t (owned) */
static bool tombs_ready;
static long tomb_seconds = 2592000; /* 30 days */

int tomb_configure(const pv_config_t *cfg)
{
    tomb_seconds = pv_key_int(muc_handle, cfg, "tombstone-expiry");
    if (!tombs_ready) {
        map_init(&tombs, false);
        tombs_ready = true;
    }
    return 0;
}

static void tomb_free(tomb_t *t)
{
    if (!t)
        return;
    free(t->venue);
    free(t->reason);
    free(t);
}

void tomb_free_all(void)
{
    if (!tombs_ready)
        return;
    size_t i;
    for (map_entry_t *e = map_first(&tombs, &i); e; e = map_next(&tombs, e, &i))
        tomb_free(e->val);
    map_clear(&tombs);
    tombs_ready = false;
}

static void stored(int status, const char *error, void *ud)
{
    char *what = ud;
    if (status != PV_STORE_OK && status != PV_STORE_ENOTFOUND)
        pv_log(PV_LOG_ERROR, MUC, "%s failed: %s", what ? what : "storing a tombstone",
               error ? error : "unknown error");
    free(what);
}

/* "WHAT the tombstone of NAME", for the log of a storage callback (malloc'd). */
static char *describe(const char *what, const char *name)
{
    size_t n = strlen(what) + strlen(name) + 20;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s the tombstone of %s", what, name);
    return s;
}

/* The name its row is stored under (malloc'd), NULL when out of memory. */
char *tomb_row_name(const char *name)
{
    size_t n = strlen(name) + sizeof TOMB_SUFFIX;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s", name, TOMB_SUFFIX);
    return s;
}

static void row_delete(const char *name, const char *what)
{
    void *h;
    const pv_store_t *st = pv_store(&h);
    char *row = tomb_row_name(name);
    if (st && row)
        st->room_delete(h, row, stored, describe(what, name));
    free(row);
}

/* Forgets the tombstone of `name` (and deletes it from storage). */
static void tomb_drop(const char *name, const char *why)
{
    tomb_t *t = tombs_ready ? map_del(&tombs, name) : NULL;
    if (!t)
        return;
    tomb_free(t);
    pv_log(PV_LOG_INFO, MUC, "tombstone of %s@%s removed (%s)", name, pv_service_domain(), why);
    row_delete(name, "deleting");
}

static tomb_t *tomb_new(int64_t expiry, const char *venue, const char *reason)
{
    tomb_t *t = calloc(1, sizeof *t);
    if (!t || (venue && *venue && !(t->venue = xstrdup(venue))) ||
        (reason && *reason && !(t->reason = xstrdup(reason)))) {
        tomb_free(t);
        return NULL;
    }
    t->expiry = expiry;
    return t;
}

void tomb_add(const char *name, const char *venue, const char *reason)
{
    if (tomb_seconds <= 0 || !tombs_ready)
        return;
    int64_t expiry = (int64_t)time(NULL) + tomb_seconds;
    tomb_t *t = tomb_new(expiry, venue, reason);
    if (!t) {
        pv_log(PV_LOG_ERROR, MUC, "out of memory keeping the tombstone of %s", name);
        return;
    }
    tomb_free(map_del(&tombs, name));
    if (map_put(&tombs, name, t) < 0) {
        tomb_free(t);
        pv_log(PV_LOG_ERROR, MUC, "out of memory keeping the tombstone of %s", name);
        return;
    }
    char exp[24];
    snprintf(exp, sizeof exp, "%" PRId64, expiry);
    pv_kv_t kv[3];
    size_t n = 0;
    kv[n++] = (pv_kv_t){TOMB_KEY, exp};
    if (t->venue)
        kv[n++] = (pv_kv_t){TOMB_VENUE, t->venue};
    if (t->reason)
        kv[n++] = (pv_kv_t){TOMB_REASON, t->reason};
    void *h;
    const pv_store_t *st = pv_store(&h);
    char *row = tomb_row_name(name);
    if (st && row)
        st->room_put(h, row, kv, n, stored, describe("storing", name));
    else if (st)
        pv_log(PV_LOG_ERROR, MUC, "out of memory storing the tombstone of %s", name);
    free(row);
    pv_log(PV_LOG_INFO, MUC, "tombstone of %s@%s kept for %ld s%s%s", name, pv_service_domain(),
           tomb_seconds, t->venue ? "; alternate venue " : "", t->venue ? t->venue : "");
}

bool tomb_loaded(const pv_store_room_t *sr)
{
    const char *exp = NULL, *venue = NULL, *reason = NULL;
    for (size_t i = 0; i < sr->nconfig; i++) {
        const char *k = sr->config[i].key;
        if (!strcmp(k, TOMB_KEY))
            exp = sr->config[i].value;
        else if (!strcmp(k, TOMB_VENUE))
            venue = sr->config[i].value;
        else if (!strcmp(k, TOMB_REASON))
            reason = sr->config[i].value;
    }
    size_t len = strlen(sr->name), sl = strlen(TOMB_SUFFIX);
    if (!exp || len <= sl || strcmp(sr->name + len - sl, TOMB_SUFFIX) != 0)
        return false;
    char name[1024];
    if (len - sl >= sizeof name)
        return false;
    memcpy(name, sr->name, len - sl);
    name[len - sl] = '\0';
    char *end;
    long long e = strtoll(exp, &end, 10);
    if (*end || end == exp || e <= (long long)time(NULL) || tomb_seconds <= 0) {
        pv_log(PV_LOG_INFO, MUC, "tombstone of %s %s: deleted", name,
               tomb_seconds <= 0 ? "found while tombstones are off" : "expired");
        row_delete(name, "deleting the expired");
        return true;
    }
    tomb_t *t = tombs_ready ? tomb_new((int64_t)e, venue, reason) : NULL;
    if (t) {
        tomb_free(map_del(&tombs, name));
        if (map_put(&tombs, name, t) < 0) {
            tomb_free(t);
            t = NULL;
        }
    }
    if (!t)
        pv_log(PV_LOG_ERROR, MUC, "cannot keep the tombstone of %s", name);
    return true;
}

/* The tombstone of a room node, when one lasts (expired ones are dropped). */
static tomb_t *tomb_get(const char *name)
{
    tomb_t *t = tombs_ready && name ? map_get(&tombs, name) : NULL;
    if (t && t->expiry <= (int64_t)time(NULL)) {
        tomb_drop(name, "expired");
        return NULL;
    }
    return t;
}

bool tomb_refuse_join(pv_stanza_ctx_t *ctx, pv_verdict_t *verdict)
{
    const char *name = ctx->to->node;
    tomb_t *t = tomb_get(name);
    if (!t)
        return false;
    if (pv_is_sadmin(ctx->from->bare)) {
        tomb_drop(name, "recreated by a service admin");
        return false;
    }
    *verdict = PV_HANDLED;
    if (!strcmp(ctx->type, "error"))
        return true;
    const char *text = errtext("This room was destroyed%s%s%s%s", t->reason ? ": " : "",
                               t->reason ? t->reason : "", t->venue ? "; it continues at " : "",
                               t->venue ? t->venue : "");
    pv_el_t *err = pv_error_new(ctx->stanza, "cancel", "gone", text);
    pv_el_t *e = err ? pv_el_child(err, NULL, "error") : NULL;
    pv_el_t *gone = e ? pv_el_child(e, PV_NS_STANZAS, "gone") : NULL;
    if (gone && t->venue) {
        char uri[3100];
        int n = snprintf(uri, sizeof uri, "xmpp:%s?join", t->venue);
        if (n > 0 && (size_t)n < sizeof uri)
            pv_el_add_text(gone, uri, (size_t)n);
    }
    if (err)
        pv_send(err);
    else
        pv_log(PV_LOG_ERROR, MUC, "out of memory refusing a join of %s", ctx->to->full);
    pv_el_free(err);
    pv_log(PV_LOG_DEBUG, MUC, "join of %s by %s refused: the room was destroyed", ctx->to->full,
           ctx->from->full);
    return true;
}
