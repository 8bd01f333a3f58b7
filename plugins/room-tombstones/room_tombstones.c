/*
 * room-tombstones: a destroyed persistent room leaves a tombstone (TOMB-1)
 * for <tombstone-expiry> seconds (muc-core's element, which declares and
 * checks it; 0: none). A companion of muc-core: loaded with it unless
 * <plugins> has <room-tombstones enabled="false"/>.
 *
 * While a tombstone lasts, a join (which would create the room anew) gets a
 * `gone` error (cancel) whose text is the alternate venue of the destroy
 * request as an XMPP URI (XEP-0045 section 10.9, RFC 6120 section
 * 8.3.3.5); service admins may recreate the room, which removes the
 * tombstone. Tombstones are not rooms: muc-core never sees them, so
 * disco#items, room lists and statistics do not list them, and a room's
 * disco#info answers item-not-found.
 *
 * A tombstone is kept when muc-core fires PV_MUC_EVENT_ROOM_DESTROY for a
 * persistent room. It survives restarts through the backend as a stored
 * room row named NODE@tombstone (no room node has an '@', so it never
 * collides with a room stored again under NODE, and muc-core skips such
 * rows when it lists rooms) whose config holds only Palaver-private keys
 * (TOMB_KEY: the expiry in Unix seconds, the venue and the reason).
 *
 * Rows are read on demand, as muc-core loads rooms: this plugin's presence
 * hook runs after muc-core's loading gate (priority 900) and before its
 * presence handler (0), so a join that reaches it for a room not in memory
 * is for a room the store does not have. The join is then parked under the
 * room's bare JID (palaver/router.h, the key muc-core parks under, so the
 * room's stanzas keep their order) while NODE@tombstone is read; a name
 * without one is remembered as absent for ABSENT_SECONDS, as muc-core
 * remembers rooms it lacks. An expired tombstone is deleted from storage
 * when it is next looked up, and so is every tombstone met while
 * <tombstone-expiry> is 0 (also one kept before a reload set it so). With
 * the plugin turned off, joins create the rooms again and the stored rows
 * stay; they count again when it is turned on.
 *
 * It uses the public SDK (palaver/muc.h, palaver/store.h) only.
 * Ownership: the tables own their tombstones; a read's context belongs to
 * its backend callback, which may run after this plugin shut down.
 */
#include <inttypes.h>
#include <palaver/muc.h>
#include <palaver/palaver.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NAME "room-tombstones"
#define TOMB_KEY "x-palaver#tombstone"
#define TOMB_VENUE "x-palaver#tombstone-venue"
#define TOMB_REASON "x-palaver#tombstone-reason"
#define TOMB_SUFFIX "@tombstone"
#define ABSENT_SECONDS 60        /* how long a name without a stored tombstone is believed so */
#define ABSENT_MAX 10000         /* names remembered at most (then forgotten at once) */
#define DEFAULT_SECONDS 2592000L /* 30 days, as muc-core declares it */
/* after muc-core's loading gate (900), before its presence handler (0) */
#define HOOK_PRIORITY 500

typedef struct tomb {
    int64_t expiry; /* Unix seconds */
    char *venue;    /* alternate venue JID, or NULL */
    char *reason;   /* or NULL */
} tomb_t;

/* One read of a NODE@tombstone row; owned by its backend callback. */
typedef struct tomb_read {
    char *name; /* the room node */
    char *key;  /* its bare JID: the park key */
} tomb_read_t;

static const pv_muc_api_t *api;
static pv_map_t tombs;  /* room node -> tomb_t (owned) */
static pv_map_t absent; /* room node -> (intptr_t) time() after which it is read again */
static pv_map_t reads;  /* room node -> tomb_read_t (borrowed): reads in flight */
static bool running;
static long tomb_seconds = DEFAULT_SECONDS;

static void tomb_free(void *p)
{
    tomb_t *t = p;
    if (!t)
        return;
    free(t->venue);
    free(t->reason);
    free(t);
}

/* A new tombstone (venue and reason copied, empty ones dropped); NULL when
 * out of memory. */
static tomb_t *tomb_new(int64_t expiry, const char *venue, const char *reason)
{
    tomb_t *t = calloc(1, sizeof *t);
    if (!t || (venue && *venue && !(t->venue = strdup(venue))) ||
        (reason && *reason && !(t->reason = strdup(reason)))) {
        tomb_free(t);
        return NULL;
    }
    t->expiry = expiry;
    return t;
}

/* ---- storage ---- */

/* What a storage callback logs on failure: "WHAT the tombstone of NAME". */
typedef struct store_op {
    const char *what; /* static text */
    char name[];      /* the room node */
} store_op_t;

static store_op_t *store_op_new(const char *what, const char *name)
{
    size_t n = strlen(name) + 1;
    store_op_t *op = malloc(sizeof *op + n);
    if (op) {
        op->what = what;
        memcpy(op->name, name, n);
    }
    return op;
}

static void stored(int status, const char *error, void *ud)
{
    store_op_t *op = ud; /* may be NULL: out of memory when it was sent */
    if (status != PV_STORE_OK && status != PV_STORE_ENOTFOUND)
        pv_log(PV_LOG_ERROR, NAME, "%s the tombstone of %s failed: %s", op ? op->what : "storing",
               op ? op->name : "a room", error ? error : "unknown error");
    free(op);
}

/* The name its row is stored under (malloc'd), NULL when out of memory. */
static char *row_name(const char *name)
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
    char *row = row_name(name);
    if (st && row)
        st->room_delete(h, row, stored, store_op_new(what, name));
    else if (st)
        pv_log(PV_LOG_ERROR, NAME, "out of memory %s the tombstone of %s", what, name);
    free(row);
}

static void row_put(const char *name, const tomb_t *t)
{
    char exp[24];
    snprintf(exp, sizeof exp, "%" PRId64, t->expiry);
    pv_kv_t kv[3];
    size_t n = 0;
    kv[n++] = (pv_kv_t){TOMB_KEY, exp};
    if (t->venue)
        kv[n++] = (pv_kv_t){TOMB_VENUE, t->venue};
    if (t->reason)
        kv[n++] = (pv_kv_t){TOMB_REASON, t->reason};
    void *h;
    const pv_store_t *st = pv_store(&h);
    char *row = row_name(name);
    if (st && row)
        st->room_put(h, row, kv, n, stored, store_op_new("storing", name));
    else if (st)
        pv_log(PV_LOG_ERROR, NAME, "out of memory storing the tombstone of %s", name);
    free(row);
}

/* ---- the tables ---- */

static void absent_add(const char *name)
{
    if (pv_map_count(&absent) >= ABSENT_MAX)
        pv_map_clear(&absent, NULL);
    intptr_t until = (intptr_t)time(NULL) + ABSENT_SECONDS;
    if (pv_map_put(&absent, name, (void *)until) < 0)
        pv_log(PV_LOG_WARN, NAME, "out of memory remembering that %s has no tombstone", name);
}

static bool absent_has(const char *name)
{
    intptr_t until = (intptr_t)pv_map_get(&absent, name);
    if (!until)
        return false;
    if (until > (intptr_t)time(NULL))
        return true;
    pv_map_del(&absent, name);
    return false;
}

/* Keeps t (taken) as the tombstone of name; false (t freed) when out of memory. */
static bool tomb_keep(const char *name, tomb_t *t)
{
    pv_map_del(&absent, name);
    tomb_free(pv_map_del(&tombs, name));
    if (pv_map_put(&tombs, name, t) < 0) {
        tomb_free(t);
        pv_log(PV_LOG_ERROR, NAME, "out of memory keeping the tombstone of %s", name);
        return false;
    }
    return true;
}

/* Forgets the tombstone of name and deletes it from storage. */
static void tomb_drop(const char *name, const char *why)
{
    tomb_t *t = pv_map_del(&tombs, name);
    if (!t)
        return;
    tomb_free(t);
    absent_add(name);
    pv_log(PV_LOG_INFO, NAME, "tombstone of %s@%s removed (%s)", name, pv_service_domain(), why);
    row_delete(name, "deleting");
}

/* A persistent room was destroyed: its tombstone, kept and stored. */
static pv_verdict_t on_destroy(const pv_event_t *ev, void *payload, void *ud)
{
    (void)ev;
    (void)ud;
    const pv_muc_destroy_event_t *de = payload;
    if (!running || tomb_seconds <= 0 || !de->persistent || !de->name)
        return PV_PASS;
    tomb_t *t = tomb_new((int64_t)time(NULL) + tomb_seconds, de->venue, de->reason);
    if (!t) {
        pv_log(PV_LOG_ERROR, NAME, "out of memory keeping the tombstone of %s", de->name);
        return PV_PASS;
    }
    if (!tomb_keep(de->name, t))
        return PV_PASS;
    row_put(de->name, t);
    pv_log(PV_LOG_INFO, NAME, "tombstone of %s@%s kept for %ld s%s%s", de->name,
           pv_service_domain(), tomb_seconds, t->venue ? "; alternate venue " : "",
           t->venue ? t->venue : "");
    return PV_PASS;
}

/* A stored row read back: kept, or deleted when it expired meanwhile (or
 * tombstones are off). Rows that are not tombstones count as none. */
static void tomb_loaded(const char *name, const pv_store_room_t *sr)
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
    if (!exp) {
        pv_log(PV_LOG_WARN, NAME, "stored row %s%s is not a tombstone: ignored", name, TOMB_SUFFIX);
        absent_add(name);
        return;
    }
    char *end;
    long long e = strtoll(exp, &end, 10);
    if (*end || end == exp || e <= (long long)time(NULL) || tomb_seconds <= 0) {
        pv_log(PV_LOG_INFO, NAME, "tombstone of %s %s: deleted", name,
               tomb_seconds <= 0 ? "found while tombstones are off" : "expired");
        row_delete(name, "deleting the expired");
        absent_add(name);
        return;
    }
    tomb_t *t = tomb_new((int64_t)e, venue, reason);
    if (!t)
        pv_log(PV_LOG_ERROR, NAME, "out of memory keeping the tombstone of %s", name);
    else
        tomb_keep(name, t);
}

static void read_free(tomb_read_t *r)
{
    if (!r)
        return;
    free(r->name);
    free(r->key);
    free(r);
}

/* The backend's answer to a NODE@tombstone read: the parked joins go on. */
static void row_read(int status, const char *error, const pv_store_room_t *sr, void *ud)
{
    tomb_read_t *r = ud;
    if (!running) { /* answered after shutdown */
        read_free(r);
        return;
    }
    if (pv_map_get(&reads, r->name) == r)
        pv_map_del(&reads, r->name);
    if (status == PV_STORE_ENOTFOUND || (status == PV_STORE_OK && !sr)) {
        absent_add(r->name);
    } else if (status != PV_STORE_OK) {
        pv_log(PV_LOG_ERROR, NAME, "reading the tombstone of %s failed: %s", r->key,
               error ? error : "unknown error");
        pv_park_fail(r->key, "wait", "internal-server-error",
                     "The room could not be read from storage");
        read_free(r);
        return;
    } else {
        tomb_loaded(r->name, sr);
    }
    pv_park_release(r->key);
    read_free(r);
}

/* Parks the join and reads the tombstone row of its room (once per name). */
static pv_verdict_t read_then_replay(pv_stanza_ctx_t *ctx, const char *name)
{
    const char *key = ctx->to->bare;
    pv_verdict_t v = pv_stanza_park(ctx, key);
    if (v != PV_AGAIN || pv_map_get(&reads, name))
        return v;
    void *h;
    const pv_store_t *st = pv_store(&h);
    tomb_read_t *r = st ? calloc(1, sizeof *r) : NULL;
    char *row = r ? row_name(name) : NULL;
    if (!row || !(r->name = strdup(name)) || !(r->key = strdup(key)) ||
        pv_map_put(&reads, name, r) < 0) {
        free(row);
        read_free(r);
        if (!st) { /* no storage: nothing stored */
            absent_add(name);
            pv_park_release(key);
        } else {
            pv_log(PV_LOG_ERROR, NAME, "out of memory reading the tombstone of %s", key);
            pv_park_fail(key, "wait", "internal-server-error", "Out of memory");
        }
        return v;
    }
    st->room_load(h, row, row_read, r);
    free(row);
    return v;
}

/* ---- the join ---- */

static pv_verdict_t refuse_join(pv_stanza_ctx_t *ctx, const tomb_t *t)
{
    char text[2048];
    snprintf(text, sizeof text, "This room was destroyed%s%s%s%s", t->reason ? ": " : "",
             t->reason ? t->reason : "", t->venue ? "; it continues at " : "",
             t->venue ? t->venue : "");
    pv_el_t *err = pv_error_new(ctx->stanza, "cancel", "gone", text);
    pv_el_t *e = err ? pv_el_child(err, NULL, "error") : NULL;
    pv_el_t *gone = e ? pv_el_child(e, PV_NS_STANZAS, "gone") : NULL;
    if (gone && t->venue) {
        char uri[3100];
        int n = snprintf(uri, sizeof uri, "xmpp:%s?join", t->venue);
        if (n > 0 && (size_t)n < sizeof uri && pv_el_add_text(gone, uri, (size_t)n) < 0)
            pv_log(PV_LOG_WARN, NAME, "out of memory adding the venue to a refusal");
    }
    if (!err || pv_send(err) < 0)
        pv_log(PV_LOG_ERROR, NAME, "refusing a join of %s failed (out of memory?)", ctx->to->full);
    pv_el_free(err);
    pv_log(PV_LOG_DEBUG, NAME, "join of %s by %s refused: the room was destroyed", ctx->to->full,
           ctx->from->full);
    return PV_HANDLED;
}

/* Available presence to an occupant JID of a room not in memory (so one the
 * store lacks, muc-core's gate having run): a join that would create it. */
static pv_verdict_t join_handler(pv_stanza_ctx_t *ctx, void *ud)
{
    (void)ud;
    const char *name = ctx->to->node;
    if (!running || !name || !ctx->to->resource || *ctx->type || api->room_find(name))
        return PV_PASS;
    if (pv_park_busy(ctx, ctx->to->bare))
        return pv_stanza_park(ctx, ctx->to->bare);
    tomb_t *t = pv_map_get(&tombs, name);
    if (t && (tomb_seconds <= 0 || t->expiry <= (int64_t)time(NULL))) {
        tomb_drop(name, tomb_seconds <= 0 ? "tombstones are off" : "expired");
        return PV_PASS;
    }
    if (!t)
        return absent_has(name) ? PV_PASS : read_then_replay(ctx, name);
    if (pv_is_sadmin(ctx->from->bare)) {
        tomb_drop(name, "recreated by a service admin");
        return PV_PASS;
    }
    return refuse_join(ctx, t);
}

/* ---- the plugin ---- */

/* <tombstone-expiry> in muc-core's element, which declares and checks it. */
static int read_seconds(long *out)
{
    const pv_config_t *root = pv_config_root();
    const pv_config_t *plugins = root ? pv_el_child(root, NULL, "plugins") : NULL;
    const pv_config_t *core = plugins ? pv_el_child(plugins, NULL, "muc-core") : NULL;
    return pv_config_int(core, "tombstone-expiry", DEFAULT_SECONDS, 0, 3153600000L, NAME, out);
}

static void tables_free(void)
{
    pv_map_clear(&tombs, tomb_free);
    pv_map_clear(&absent, NULL);
    pv_map_clear(&reads, NULL); /* the reads belong to their callbacks */
}

/* The hook and subscription go with the handle. */
static void tombstones_shutdown(void *state)
{
    (void)state;
    if (!running)
        return;
    running = false;
    tables_free();
}

static int tombstones_start(pv_plugin_handle_t *h, const pv_config_t *cfg, void **state)
{
    (void)cfg;
    *state = NULL;
    api = pv_muc_api();
    if (!api) {
        pv_log(PV_LOG_ERROR, NAME, "muc-core is missing");
        return -1;
    }
    if (read_seconds(&tomb_seconds) < 0)
        return -1;
    pv_map_init(&tombs, 0);
    pv_map_init(&absent, 0);
    pv_map_init(&reads, 0);
    running = true;
    pv_event_t *dev = pv_event(PV_MUC_EVENT_ROOM_DESTROY);
    if (!dev || !pv_plugin_subscribe(h, dev, 0, on_destroy, NULL) ||
        !pv_plugin_hook_stanza(h, PV_KIND_PRESENCE, PV_TO_FULL, NULL, HOOK_PRIORITY, join_handler,
                               NULL)) {
        pv_log(PV_LOG_ERROR, NAME, "cannot register the tombstones (out of memory)");
        tombstones_shutdown(NULL);
        return -1;
    }
    return 0;
}

/* A new <tombstone-expiry> counts for the tombstones kept from now on, and
 * for those looked up (0 deletes them as they are met). */
static int tombstones_reconfigure(void *state, const pv_config_t *cfg)
{
    (void)state;
    (void)cfg;
    long v;
    if (read_seconds(&v) < 0)
        return -1;
    tomb_seconds = v;
    return 0;
}

static const char *const requires[] = {"muc-core", NULL};
static const pv_config_key_t config_keys[] = {{.type = PV_KEY_END}};

PV_PLUGIN_DEFINE(room_tombstones) = {
    .abi_major = PV_ABI_MAJOR,
    .abi_minor = PV_ABI_MINOR,
    .name = "room-tombstones",
    .version = "1.0",
    .requires = requires,
    .reconfigure = tombstones_reconfigure,
    .shutdown = tombstones_shutdown,
    .config_keys = config_keys,
    .start = tombstones_start,
};
