/*
 * core/park.c: stanzas that wait for something to load ("parking").
 *
 * A handler that needs a room (or anything) it must first load from storage
 * parks the stanza under a key and returns PV_AGAIN (palaver/router.h); the
 * core keeps the stanza in that key's FIFO until the handler's code says the
 * load completed (pv_park_release: the stanzas are dispatched again, oldest
 * first) or failed (pv_park_fail: each is answered with the error). This is
 * the core's half; router.c ties it to the dispatch (the in-flight record of
 * the stanza whose handler is parking it).
 *
 * Why the replay is deferred: pv_park_release is called from backend
 * callbacks, which may run inside a handler (a storage call that completes
 * synchronously) or in the middle of the backend's own bookkeeping. A release
 * only marks the queue and puts it on the ready list; the ready list is
 * replayed when the outermost dispatch returns, on the next loop iteration (a
 * zero timer), and always before the next stanza from the server is
 * dispatched, so a later stanza for the key can never overtake the parked
 * ones. A replay run visits each released queue once: a queue released again
 * during the run (a handler that parks and releases in a loop) waits for the
 * next loop iteration instead of spinning inside one callback.
 *
 * Queues live in a hash table keyed by the (normalised, byte-compared) key.
 * A queue exists from the first park to its last replay, failure or timeout;
 * pv_park_busy() is "a queue exists". A queue being replayed is never freed
 * under the replay loop: a failure during the replay empties it, takes it out
 * of the table and leaves the freeing to the loop.
 *
 * Bounds, never a silent drop: a full queue refuses the stanza with
 * resource-constraint (wait); a queue that waited past its timeout answers
 * internal-server-error (wait) to everything in it and disappears. Errors and
 * IQ results are dropped instead of answered (logged).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "router_internal.h"
#include <palaver/log.h>
#include <palaver/router.h>
#include <palaver/util.h>

typedef struct parked {
    pv_el_t *stanza; /* owned */
    struct parked *next;
} parked_t;

struct park_queue {
    char *key;
    parked_t *head, **tail;
    size_t n;         /* stanzas in the queue */
    unsigned pending; /* handlers that reserved a place and have not returned */
    unsigned gen;     /* pv_park_release calls so far */
    unsigned run;     /* the replay run that last visited it */
    bool released;    /* released since it last started waiting */
    bool replaying;   /* the replay loop is working on it */
    bool dead;        /* failed during its replay: the loop frees it */
    bool in_ready;
    ev_timer timeout; /* running while waiting (not released) */
    park_queue_t *next_hash;
    park_queue_t *prev_ready, *next_ready;
};

static struct {
    park_queue_t **buckets;
    size_t nbuckets, count;
    park_queue_t *ready_head, *ready_tail;
    ev_timer kick; /* zero timer: replays on the next loop iteration */
    bool kick_ready;
    unsigned run;
    bool running;
    size_t max_queued;
    double timeout;
} P = {.max_queued = PARK_MAX_QUEUED_DEFAULT, .timeout = PARK_TIMEOUT_DEFAULT};

static const char *const WHO = "core";

int park_set_limits(size_t max_queued, double timeout_s)
{
    if (max_queued < 1 || !(timeout_s > 0))
        return -1;
    P.max_queued = max_queued;
    P.timeout = timeout_s;
    return 0;
}

/* ---- The table ---- */

static park_queue_t **bucket_of(const char *key)
{
    return &P.buckets[pv_hash_str(key) & (P.nbuckets - 1)];
}

static park_queue_t *find(const char *key)
{
    if (!P.count) /* the usual case: nothing parked, no hashing */
        return NULL;
    for (park_queue_t *q = *bucket_of(key); q; q = q->next_hash)
        if (strcmp(q->key, key) == 0)
            return q;
    return NULL;
}

bool park_exists(const char *key)
{
    return find(key) != NULL;
}

/* Doubles the table when it holds more queues than buckets. */
static int grow(void)
{
    if (P.nbuckets && P.count < P.nbuckets)
        return 0;
    size_t n = P.nbuckets ? P.nbuckets * 2 : 64;
    park_queue_t **b = calloc(n, sizeof *b);
    if (!b)
        return P.nbuckets ? 0 : -1; /* a full table still works, only slower */
    for (size_t i = 0; i < P.nbuckets; i++) {
        while (P.buckets[i]) {
            park_queue_t *q = P.buckets[i];
            P.buckets[i] = q->next_hash;
            park_queue_t **pp = &b[pv_hash_str(q->key) & (n - 1)];
            q->next_hash = *pp;
            *pp = q;
        }
    }
    free(P.buckets);
    P.buckets = b;
    P.nbuckets = n;
    return 0;
}

static void unhash(park_queue_t *q)
{
    for (park_queue_t **pp = bucket_of(q->key); *pp; pp = &(*pp)->next_hash) {
        if (*pp == q) {
            *pp = q->next_hash;
            P.count--;
            return;
        }
    }
}

/* ---- The ready list ---- */

static void on_kick(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)w;
    (void)revents;
    park_run_ready();
}

static void kick(void)
{
    struct ev_loop *loop = pv_loop();
    if (!P.kick_ready) {
        ev_timer_init(&P.kick, on_kick, 0., 0.);
        P.kick_ready = true;
    }
    if (!ev_is_active(&P.kick))
        ev_timer_start(loop, &P.kick);
}

static void ready_unlink(park_queue_t *q)
{
    if (!q->in_ready)
        return;
    if (q->prev_ready)
        q->prev_ready->next_ready = q->next_ready;
    else
        P.ready_head = q->next_ready;
    if (q->next_ready)
        q->next_ready->prev_ready = q->prev_ready;
    else
        P.ready_tail = q->prev_ready;
    q->prev_ready = q->next_ready = NULL;
    q->in_ready = false;
}

/* Puts a released queue with stanzas on the ready list (once). */
static void schedule(park_queue_t *q)
{
    if (!q->released || !q->head || q->replaying || q->in_ready)
        return;
    q->prev_ready = P.ready_tail;
    q->next_ready = NULL;
    if (P.ready_tail)
        P.ready_tail->next_ready = q;
    else
        P.ready_head = q;
    P.ready_tail = q;
    q->in_ready = true;
    kick();
}

/* ---- Queues ---- */

static void on_timeout(struct ev_loop *loop, ev_timer *w, int revents);

static void start_waiting(park_queue_t *q)
{
    struct ev_loop *loop = pv_loop();
    ev_timer_stop(loop, &q->timeout);
    ev_timer_set(&q->timeout, P.timeout, 0.);
    ev_timer_start(loop, &q->timeout);
}

static park_queue_t *create(const char *key)
{
    park_queue_t *q = calloc(1, sizeof *q);
    if (!q || !(q->key = strdup(key)) || grow() < 0) {
        if (q)
            free(q->key);
        free(q);
        return NULL;
    }
    q->tail = &q->head;
    ev_timer_init(&q->timeout, on_timeout, P.timeout, 0.);
    q->timeout.data = q;
    start_waiting(q);
    park_queue_t **pp = bucket_of(key);
    q->next_hash = *pp;
    *pp = q;
    P.count++;
    return q;
}

static parked_t *pop(park_queue_t *q)
{
    parked_t *e = q->head;
    if (!e)
        return NULL;
    q->head = e->next;
    if (!q->head)
        q->tail = &q->head;
    q->n--;
    return e;
}

static void free_queue(park_queue_t *q)
{
    free(q->key);
    free(q);
}

/* Takes q out of everything (its stanzas must be gone); frees it unless the
 * replay loop is working on it (the loop frees it then). */
static void destroy(park_queue_t *q)
{
    ev_timer_stop(pv_loop(), &q->timeout);
    ready_unlink(q);
    unhash(q);
    if (q->replaying)
        q->dead = true;
    else
        free_queue(q);
}

/* Answers (or drops) every stanza of q, including those whose handler is
 * still running, and destroys q. */
static void answer_all(park_queue_t *q, const char *type, const char *condition, const char *text)
{
    router_park_settle(q, type, condition, text);
    size_t answered = 0, dropped = 0;
    parked_t *e;
    while ((e = pop(q))) {
        if (router_reply_parked(e->stanza, type, condition, text))
            answered++;
        else
            dropped++;
        pv_el_free(e->stanza);
        free(e);
    }
    pv_log(PV_LOG_INFO, WHO, "%s: %zu parked stanza(s) answered %s, %zu error(s)/result(s) dropped",
           q->key, answered, condition, dropped);
    destroy(q);
}

static void on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    park_queue_t *q = w->data;
    pv_log(PV_LOG_WARN, WHO, "%s: %zu stanza(s) waited %.1f s without being released", q->key, q->n,
           P.timeout);
    answer_all(q, "wait", "internal-server-error", "Timed out waiting for the address to load");
}

/* ---- What the router calls ---- */

park_queue_t *park_reserve(const char *key, bool at_head, unsigned *gen, const char **condition,
                           const char **text)
{
    park_queue_t *q = find(key);
    if (!q && !(q = create(key))) {
        pv_log(PV_LOG_ERROR, WHO, "%s: cannot park a stanza: out of memory", key);
        *condition = "internal-server-error";
        *text = NULL;
        return NULL;
    }
    if (!at_head && q->n >= P.max_queued) {
        pv_log(PV_LOG_WARN, WHO, "%s: %zu stanzas already waiting: refusing one more", key, q->n);
        *condition = "resource-constraint";
        *text = "Too many stanzas waiting for this address";
        return NULL;
    }
    q->pending++;
    *gen = q->gen;
    return q;
}

void park_commit(park_queue_t *q, pv_el_t *stanza, bool at_head, unsigned gen)
{
    q->pending--;
    parked_t *e = malloc(sizeof *e);
    if (!e) { /* the stanza is ours now: answer it rather than lose it */
        pv_log(PV_LOG_ERROR, WHO, "%s: cannot park a stanza: out of memory", q->key);
        router_reply_parked(stanza, "wait", "internal-server-error", NULL);
        pv_el_free(stanza);
        return;
    }
    e->stanza = stanza;
    if (at_head) {
        e->next = q->head;
        q->head = e;
        if (!e->next)
            q->tail = &e->next;
        if (q->released && q->gen == gen) { /* no release since: wait for the next one */
            q->released = false;
            ready_unlink(q);
            start_waiting(q);
        }
    } else {
        e->next = NULL;
        *q->tail = e;
        q->tail = &e->next;
    }
    q->n++;
    schedule(q);
}

void park_cancel(park_queue_t *q)
{
    q->pending--;
    if (!q->head && !q->pending && !q->replaying)
        destroy(q);
}

/* Dispatches q's stanzas while it stays released; stops when one goes back
 * to the front (parked again) or q failed meanwhile. */
static void replay_queue(park_queue_t *q)
{
    q->replaying = true;
    while (q->released && !q->dead) {
        parked_t *e = pop(q);
        if (!e)
            break;
        pv_el_t *st = e->stanza;
        free(e);
        if (router_replay(st, q->key)) /* q->key lives as long as q */
            break;
    }
    q->replaying = false;
    if (q->dead)
        free_queue(q);
    else if (q->released && !q->head && !q->pending)
        destroy(q);
    else
        schedule(q);
}

void park_run_ready(void)
{
    if (P.running || router_dispatching())
        return;
    P.running = true;
    unsigned run = ++P.run;
    park_queue_t *q;
    while ((q = P.ready_head) && q->run != run) {
        ready_unlink(q);
        q->run = run;
        replay_queue(q);
    }
    P.running = false;
}

void park_cleanup(void)
{
    size_t freed = 0;
    for (size_t i = 0; i < P.nbuckets; i++) {
        while (P.buckets[i]) {
            park_queue_t *q = P.buckets[i];
            P.buckets[i] = q->next_hash;
            parked_t *e;
            while ((e = pop(q))) {
                pv_el_free(e->stanza);
                free(e);
                freed++;
            }
            ev_timer_stop(pv_loop(), &q->timeout);
            free_queue(q);
        }
    }
    if (freed)
        pv_log(PV_LOG_INFO, WHO, "%zu parked stanza(s) dropped at exit", freed);
    if (P.kick_ready)
        ev_timer_stop(pv_loop(), &P.kick);
    free(P.buckets);
    P.buckets = NULL;
    P.nbuckets = P.count = 0;
    P.ready_head = P.ready_tail = NULL;
    P.kick_ready = false;
    P.max_queued = PARK_MAX_QUEUED_DEFAULT;
    P.timeout = PARK_TIMEOUT_DEFAULT;
}

/* ---- The SDK ---- */

void pv_park_release(const char *key)
{
    park_queue_t *q = key ? find(key) : NULL;
    if (!q) {
        pv_log(PV_LOG_DEBUG, WHO, "release of %s: nothing parked", key ? key : "(null)");
        return;
    }
    q->gen++;
    if (!q->released) {
        q->released = true;
        ev_timer_stop(pv_loop(), &q->timeout);
    }
    schedule(q);
}

void pv_park_fail(const char *key, const char *type, const char *condition, const char *text)
{
    park_queue_t *q = key ? find(key) : NULL;
    if (!q) {
        pv_log(PV_LOG_DEBUG, WHO, "failure of %s: nothing parked", key ? key : "(null)");
        return;
    }
    answer_all(q, type ? type : "wait", condition ? condition : "internal-server-error", text);
}
