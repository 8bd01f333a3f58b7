/*
 * unused_rooms.c (ADHOC-2): the service admin command that destroys the
 * stored rooms unused for N days, as ejabberd's rooms_unused_destroy.
 *
 * When was a room last used? Rooms do not store it (their stored row is
 * their configuration), so the answer is pieced together as ejabberd does:
 * the time of the newest message in the room's archive (logging rooms, and
 * anything the history plugin keeps); a room that has no archived message
 * counts as used when this Palaver started, since nothing older is known.
 * So a room that keeps no archive is destroyed only once Palaver has run N
 * days, never too early. A room with occupants is never unused. (The
 * in-memory use time of muc-core's hibernation is no help: every stanza for
 * the room sets it, a disco#info or this very command's loading included.)
 * "When Palaver started" is when this plugin started: with muc-core, as its
 * companion.
 *
 * The work spans many storage calls, each of which may answer later (pgsql),
 * and rooms that must be loaded before they are destroyed (room_destroy
 * needs the room in memory: its other state, tombstone, events). So the
 * command is a job, kept in a table under a key of its own (the sender's
 * JID and the IQ id), and its stanza is parked under that key while the job
 * works (palaver/router.h): first the stored rooms are listed (rooms_list,
 * by pages) and each one's newest archived message read (one at a time);
 * then the stanza is released, and each replay destroys the next candidate
 * (loading it first with room_need; checking again that it is empty) and
 * parks again until the destruction settled. The last replay answers with
 * the rooms destroyed. With `dry-run` nothing is destroyed: the answer is
 * the list.
 *
 * Ownership: the table owns its jobs. A job whose storage call is in flight
 * when the plugin shuts down is left to that call's callback to free.
 */
#include "admin_commands.h"
#include <palaver/store.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE 100
#define JOB_MAX_AGE_US (3600 * 1000000LL) /* a job whose stanza was dropped is forgotten */

typedef struct job {
    char *key; /* park key (owned); also the table key */
    char *sid; /* the command's session id */
    pv_jid_t *actor;
    int64_t before_us; /* last use before this: unused */
    int64_t started_us;
    bool dry_run;
    char **names; /* stored rooms, then the candidates (owned) */
    int64_t *last_us;
    size_t n, cap;
    size_t scanned; /* rooms whose archive was read */
    size_t next;    /* next candidate (destroy phase) */
    char **gone;    /* room JIDs destroyed, or that would be (owned) */
    size_t ngone;
    bool waiting, pumping, listed, ready, failed, orphan;
    char *error; /* why the scan failed (owned) */
} job_t;

static pv_map_t jobs; /* key -> job_t */
static bool jobs_ready;
static int64_t plugin_started_us;

void unused_rooms_init(void)
{
    plugin_started_us = pv_now_us();
}

static void job_free(job_t *j)
{
    if (!j)
        return;
    for (size_t i = 0; i < j->n; i++)
        free(j->names[i]);
    for (size_t i = 0; i < j->ngone; i++)
        free(j->gone[i]);
    free(j->names);
    free(j->last_us);
    free(j->gone);
    free(j->key);
    free(j->sid);
    free(j->error);
    pv_jid_free(j->actor);
    free(j);
}

static void job_forget(job_t *j)
{
    if (jobs_ready && pv_map_get(&jobs, j->key) == j)
        pv_map_del(&jobs, j->key);
    job_free(j);
}

void unused_rooms_shutdown(void)
{
    if (!jobs_ready)
        return;
    size_t i;
    for (pv_map_entry_t *e = pv_map_first(&jobs, &i); e; e = pv_map_next(&jobs, e, &i)) {
        job_t *j = e->val;
        if (j->waiting)
            j->orphan = true; /* its callback frees it */
        else
            job_free(j);
    }
    pv_map_clear(&jobs, NULL);
    jobs_ready = false;
}

/* Jobs whose stanza never came back (dropped while parked). */
static void jobs_expire(int64_t now)
{
    job_t *old[16];
    size_t n = 0, i;
    for (pv_map_entry_t *e = pv_map_first(&jobs, &i); e && n < 16; e = pv_map_next(&jobs, e, &i)) {
        job_t *j = e->val;
        if (!j->waiting && now - j->started_us > JOB_MAX_AGE_US)
            old[n++] = j;
    }
    for (i = 0; i < n; i++)
        job_forget(old[i]);
}

static int add_name(job_t *j, const char *name)
{
    if (j->n == j->cap) {
        size_t cap = j->cap ? j->cap * 2 : 64;
        char **names = realloc(j->names, cap * sizeof *names);
        if (!names)
            return -1;
        j->names = names;
        int64_t *last = realloc(j->last_us, cap * sizeof *last);
        if (!last)
            return -1;
        j->last_us = last;
        j->cap = cap;
    }
    if (!(j->names[j->n] = strdup(name)))
        return -1;
    j->last_us[j->n++] = 0;
    return 0;
}

static void fail(job_t *j, const char *why)
{
    j->failed = true;
    free(j->error);
    j->error = strdup(why);
    pv_log(PV_LOG_ERROR, NAME, "finding unused rooms: %s", why);
}

/* ---- the scan: list, then each room's newest archived message ---- */

static void pump(job_t *j);

/* Settled: the stanza comes back (or, after shutdown, the job goes). */
static bool settle(job_t *j)
{
    j->waiting = false;
    if (j->orphan || !api) {
        job_free(j);
        return false;
    }
    return true;
}

static void listed(int status, const char *error, const pv_store_room_entry_t *rooms, size_t n,
                   long long count, void *ud)
{
    (void)count;
    job_t *j = ud;
    if (!settle(j))
        return;
    if (status != PV_STORE_OK)
        fail(j, error ? error : "the store could not list the rooms");
    for (size_t i = 0; i < n && !j->failed; i++) {
        if (add_name(j, rooms[i].name) < 0)
            fail(j, "out of memory");
        else if (strchr(rooms[i].name, '@'))
            j->last_us[j->n - 1] = -1; /* NODE@tombstone: not a room, kept for paging */
    }
    if (n < PAGE)
        j->listed = true;
    pump(j);
}

static void archived(int status, const char *error, const pv_store_msg_t *msgs, size_t n,
                     int complete, void *ud)
{
    (void)complete;
    job_t *j = ud;
    if (!settle(j))
        return;
    if (status != PV_STORE_OK && status != PV_STORE_ENOTFOUND)
        fail(j, error ? error : "the store could not read an archive");
    else if (n > 0)
        j->last_us[j->scanned] = msgs[n - 1].stamp_us;
    j->scanned++;
    pump(j);
}

/* The name after which the next page starts: the last listed. */
static const char *list_after(const job_t *j)
{
    return j->n ? j->names[j->n - 1] : NULL;
}

static void step(job_t *j)
{
    void *h;
    const pv_store_t *st = pv_store(&h);
    j->waiting = true;
    if (!j->listed) {
        st->rooms_list(h, list_after(j), PAGE, 0, listed, j);
        return;
    }
    while (j->scanned < j->n && j->last_us[j->scanned] < 0)
        j->scanned++; /* tombstone sentinels */
    if (j->scanned < j->n) {
        pv_store_query_t q = {.max = 1, .last = 1};
        st->archive_query(h, j->names[j->scanned], &q, archived, j);
        return;
    }
    j->waiting = false;
    j->ready = true;
}

/* The stored room `name` when it is in memory, else NULL. */
static pv_muc_room_t *room_in_memory(const char *name)
{
    char jid[3072];
    int n = snprintf(jid, sizeof jid, "%s@%s", name, pv_service_domain());
    return n > 0 && (size_t)n < sizeof jid ? api->room_find(jid) : NULL;
}

/* The candidates: rooms whose last use is before the cut-off. */
static void choose(job_t *j)
{
    size_t k = 0;
    for (size_t i = 0; i < j->n; i++) {
        int64_t known = j->last_us[i]; /* -1: not a room; 0: no archived message */
        pv_muc_room_t *r = known >= 0 ? room_in_memory(j->names[i]) : NULL;
        int64_t last = known ? known : plugin_started_us;
        if (known >= 0 && last < j->before_us && !(r && api->room_occupant_count(r))) {
            j->names[k] = j->names[i];
            j->last_us[k++] = last;
        } else {
            free(j->names[i]);
        }
    }
    j->n = k;
}

/* Runs storage calls while they answer at once; a later answer calls it again. */
static void pump(job_t *j)
{
    if (j->pumping)
        return;
    j->pumping = true;
    while (!j->waiting && !j->ready && !j->failed)
        step(j);
    j->pumping = false;
    if (!j->waiting && (j->ready || j->failed)) {
        if (j->ready && !j->failed)
            choose(j);
        j->ready = true;
        pv_park_release(j->key);
    }
}

/* ---- the destroy phase, one room per replay ---- */

static void destroyed(bool ok, const char *error, void *ud)
{
    job_t *j = ud;
    if (!settle(j))
        return;
    if (!ok) { /* kept: not in the answer */
        pv_log(PV_LOG_ERROR, NAME, "destroying unused room %s failed: %s", j->gone[j->ngone - 1],
               error ? error : "unknown error");
        free(j->gone[--j->ngone]);
    }
    pv_park_release(j->key);
}

static int note_gone(job_t *j, const pv_muc_room_t *r)
{
    char **g = realloc(j->gone, (j->ngone + 1) * sizeof *g);
    if (!g)
        return -1;
    j->gone = g;
    if (!(g[j->ngone] = strdup(api->room_jid(r))))
        return -1;
    j->ngone++;
    return 0;
}

static pv_verdict_t answer(pv_stanza_ctx_t *ctx, job_t *j)
{
    pv_el_t *res = pv_iq_result_new(ctx->stanza);
    pv_el_t *cmd = res ? pv_el_add(res, NS_COMMANDS, "command") : NULL;
    char note[128];
    snprintf(note, sizeof note, "%zu unused rooms %s", j->ngone,
             j->dry_run ? "found (none destroyed)" : "destroyed");
    pv_el_t *n = cmd ? pv_el_add_text_child(cmd, NS_COMMANDS, "note", note) : NULL;
    pv_el_t *x = n ? pv_form_new(cmd, "result", NULL, NULL, NULL) : NULL;
    pv_el_t *f = pv_form_add_field(x, "rooms", "jid-multi", NULL, NULL);
    bool ok = f && pv_el_set_attr(cmd, "node", pv_el_attr(ctx->payload, "node")) == 0 &&
              pv_el_set_attr(cmd, "sessionid", j->sid) == 0 &&
              pv_el_set_attr(cmd, "status", "completed") == 0 &&
              pv_el_set_attr(n, "type", "info") == 0;
    for (size_t i = 0; ok && i < j->ngone; i++)
        ok = pv_form_add_value(f, j->gone[i]) == 0;
    pv_log(PV_LOG_INFO, NAME, "%s: %s (unused for %lld days)", ctx->from->full, note,
           (long long)((pv_now_us() - j->before_us) / 86400000000LL));
    job_forget(j);
    if (!ok) {
        pv_el_free(res);
        return pv_stanza_fail(ctx, "wait", "internal-server-error", "Out of memory");
    }
    pv_send(res);
    pv_el_free(res);
    return PV_HANDLED;
}

static pv_verdict_t destroy_next(pv_stanza_ctx_t *ctx, job_t *j)
{
    while (j->next < j->n) {
        pv_muc_room_t *r;
        pv_verdict_t v = api->room_need(ctx, j->names[j->next], &r);
        if (v != PV_PASS)
            return v; /* back once the room is in memory */
        j->next++;
        if (!r || api->room_occupant_count(r))
            continue; /* gone meanwhile, or someone came in */
        if (note_gone(j, r) < 0) {
            job_forget(j);
            return pv_stanza_fail(ctx, "wait", "internal-server-error", "Out of memory");
        }
        if (j->dry_run)
            continue;
        v = pv_stanza_park(ctx, j->key);
        if (v != PV_AGAIN) {
            job_forget(j);
            return v;
        }
        j->waiting = true;
        api->room_destroy(r, NULL, NULL, j->actor, destroyed, j);
        return PV_AGAIN;
    }
    return answer(ctx, j);
}

/* ---- the command ---- */

static char *job_key(pv_stanza_ctx_t *ctx)
{
    const char *id = pv_el_attr(ctx->stanza, "id");
    size_t len = strlen(ctx->from->full) + (id ? strlen(id) : 0) + 16;
    char *k = malloc(len);
    if (k)
        snprintf(k, len, "unused-rooms/%s/%s", ctx->from->full, id ? id : "");
    return k;
}

static pv_verdict_t start(pv_stanza_ctx_t *ctx, char *key, long days, bool dry_run, const char *sid)
{
    job_t *j = calloc(1, sizeof *j);
    if (!j || !(j->sid = strdup(sid)) || !(j->actor = pv_jid_parse(ctx->from->full))) {
        free(key);
        job_free(j);
        return pv_stanza_fail(ctx, "wait", "internal-server-error", "Out of memory");
    }
    j->key = key;
    j->dry_run = dry_run;
    j->started_us = pv_now_us();
    j->before_us = j->started_us - (int64_t)days * 86400000000LL;
    void *h;
    const pv_store_t *st = pv_store(&h);
    if (!PV_STORE_HAS(st, rooms_list)) {
        job_free(j);
        return pv_stanza_fail(ctx, "cancel", "feature-not-implemented",
                              "The storage backend cannot list its rooms");
    }
    if (pv_map_put(&jobs, key, j) < 0) {
        job_free(j);
        return pv_stanza_fail(ctx, "wait", "internal-server-error", "Out of memory");
    }
    pv_verdict_t v = pv_stanza_park(ctx, key);
    if (v != PV_AGAIN) {
        job_forget(j);
        return v;
    }
    pump(j);
    return PV_AGAIN;
}

pv_verdict_t unused_rooms_run(pv_stanza_ctx_t *ctx, const char *days_text, bool dry_run,
                              const char *sid)
{
    if (!jobs_ready) {
        pv_map_init(&jobs, 0);
        jobs_ready = true;
    }
    char *key = job_key(ctx);
    if (!key)
        return pv_stanza_fail(ctx, "wait", "internal-server-error", "Out of memory");
    job_t *j = pv_map_get(&jobs, key);
    if (j) { /* a replay */
        free(key);
        if (j->waiting)
            return pv_stanza_park(ctx, j->key); /* not settled yet: wait again */
        if (j->failed) {
            pv_verdict_t v = pv_stanza_failf(ctx, "wait", "internal-server-error",
                                             "Finding the unused rooms failed: %s",
                                             j->error ? j->error : "unknown error");
            job_forget(j);
            return v;
        }
        return destroy_next(ctx, j);
    }
    jobs_expire(pv_now_us());
    char *end;
    long days = days_text ? strtol(days_text, &end, 10) : -1;
    if (!days_text || !*days_text || *end || days < 1 || days > 36500) {
        free(key);
        return pv_stanza_fail(ctx, "modify", "bad-request",
                              "days must be a whole number of days from 1 to 36500");
    }
    return start(ctx, key, days, dry_run, sid);
}
