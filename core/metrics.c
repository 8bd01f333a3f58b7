/*
 * core/metrics.c: the labelled counters behind the metrics endpoint.
 *
 * core/stats.c keeps one total per name for the log line and the ad-hoc
 * command; Prometheus wants series it can sum and rate, so this file counts
 * the same events split by label: stanzas by kind (message, presence, iq,
 * other), errors sent by their RFC 6120 condition, reconnections, and the
 * storage latency as a cumulative histogram per operation. Every label set
 * is bounded (a fixed list of kinds and conditions, the backend's fixed
 * list of operations), so a peer cannot grow the exposition. Everything
 * runs on the event loop: plain integers, no locks. The number of stored
 * rooms is asked of the backend only when scraped, at most every few
 * seconds, so a daemon nobody scrapes never asks (rooms load on demand).
 */
#include <string.h>
#include <time.h>

#include <palaver/store.h>

#include "metrics.h"

const char *const metrics_conditions[] = {"bad-request",
                                          "conflict",
                                          "feature-not-implemented",
                                          "forbidden",
                                          "gone",
                                          "internal-server-error",
                                          "item-not-found",
                                          "jid-malformed",
                                          "not-acceptable",
                                          "not-allowed",
                                          "not-authorized",
                                          "policy-violation",
                                          "recipient-unavailable",
                                          "redirect",
                                          "registration-required",
                                          "remote-server-not-found",
                                          "remote-server-timeout",
                                          "resource-constraint",
                                          "service-unavailable",
                                          "subscription-required",
                                          "undefined-condition",
                                          "unexpected-request",
                                          "other",
                                          NULL};
#define N_CONDITIONS (sizeof metrics_conditions / sizeof metrics_conditions[0] - 1)

/* 0.5 ms to 10 s: memory and sqlite answer in the first buckets, a remote
 * PostgreSQL in the middle ones, a stuck disk in the last. */
const double metrics_buckets[METRICS_NBUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                  0.1,    0.25,  0.5,    1,     2.5,  5,     10};

/* More than the store table has operations (pv_store_t). */
#define MAX_OPS 32

static struct {
    uint64_t in[METRICS_NKINDS], out[METRICS_NKINDS];
    uint64_t errors[N_CONDITIONS];
    uint64_t reconnects;
    metrics_histogram_t ops[MAX_OPS];
    size_t nops;
} M;

void metrics_stanza_in(const char *name)
{
    M.in[metrics_kind(name)]++;
}

void metrics_stanza_out_kind(int kind)
{
    M.out[kind >= 0 && kind < METRICS_NKINDS ? kind : METRICS_OTHER]++;
}

void metrics_stanzas_out_kind(int kind, size_t n)
{
    M.out[kind >= 0 && kind < METRICS_NKINDS ? kind : METRICS_OTHER] += n;
}

/* The local name of the start tag at buf: "<message ...", "<x:iq ...". */
void metrics_stanza_out(const char *buf, size_t len)
{
    size_t i = 0, start;
    while (i < len && buf[i] != '<')
        i++;
    start = ++i;
    while (i < len && buf[i] != ' ' && buf[i] != '>' && buf[i] != '/' && buf[i] != '\t' &&
           buf[i] != '\n' && buf[i] != '\r') {
        if (buf[i] == ':')
            start = i + 1;
        i++;
    }
    M.out[i <= len && start <= i ? metrics_kind_n(buf + start, i - start) : METRICS_OTHER]++;
}

void metrics_stanza_sent(const pv_el_t *stanza)
{
    const char *type = pv_el_attr(stanza, "type");
    if (!type || strcmp(type, "error") != 0)
        return;
    const pv_el_t *err = pv_el_child(stanza, NULL, "error");
    const pv_el_t *cond = err ? pv_el_child(err, PV_NS_STANZAS, NULL) : NULL;
    while (cond && strcmp(cond->name, "text") == 0)
        cond = pv_el_next(cond, PV_NS_STANZAS, NULL);
    size_t i = 0;
    while (cond && i < N_CONDITIONS - 1 && strcmp(cond->name, metrics_conditions[i]) != 0)
        i++;
    M.errors[cond ? i : N_CONDITIONS - 1]++;
}

void metrics_reconnect(void)
{
    M.reconnects++;
}

void metrics_backend_call(const char *op, double seconds)
{
    size_t i = 0;
    while (i < M.nops && strcmp(M.ops[i].op, op) != 0)
        i++;
    if (i == M.nops) {
        if (M.nops == MAX_OPS)
            return;
        M.ops[M.nops++].op = op;
    }
    metrics_histogram_t *h = &M.ops[i];
    if (seconds < 0)
        seconds = 0;
    h->count++;
    h->sum += seconds;
    for (size_t b = 0; b < METRICS_NBUCKETS; b++)
        if (seconds <= metrics_buckets[b])
            h->le[b]++;
}

uint64_t metrics_stanzas_in(int kind)
{
    return M.in[kind];
}
uint64_t metrics_stanzas_out(int kind)
{
    return M.out[kind];
}
uint64_t metrics_errors(size_t i)
{
    return i < N_CONDITIONS ? M.errors[i] : 0;
}
uint64_t metrics_reconnects(void)
{
    return M.reconnects;
}

const metrics_histogram_t *metrics_backend_histogram(size_t i)
{
    return i < M.nops ? &M.ops[i] : NULL;
}

/* ---------------------------------------------------------------- stored rooms */

#define STORED_MAX_AGE 5.0 /* seconds */

static struct {
    long long count; /* -1: unknown */
    double asked;    /* monotonic seconds of the last question */
    bool pending, asked_once;
} RS = {.count = -1};

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void stored_counted(int status, const char *error, const pv_store_room_entry_t *rooms,
                           size_t n, long long count, void *ud)
{
    (void)error;
    (void)rooms;
    (void)n;
    (void)ud;
    RS.pending = false;
    RS.count = status == PV_STORE_OK ? count : -1;
}

long long metrics_rooms_stored(void)
{
    void *h = NULL;
    const pv_store_t *st = pv_store(&h);
    double now = mono();
    if (!st || !PV_STORE_HAS(st, rooms_list) || RS.pending ||
        (RS.asked_once && now - RS.asked < STORED_MAX_AGE))
        return RS.count;
    RS.asked = now;
    RS.asked_once = RS.pending = true;
    st->rooms_list(h, NULL, 1, PV_STORE_LIST_COUNT, stored_counted, NULL);
    return RS.count;
}
