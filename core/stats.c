/*
 * core/stats.c: counts what the core sees and collects every module's
 * statistics (palaver/stats.h), for the periodic log line and for plugins
 * that answer an administrator's query (muc-core's ad-hoc command).
 *
 * Totals (stanzas in, out, dropped) run from start-up. Rates, the output
 * queue's peaks and the backend's latency cover the current interval, which
 * starts at start-up and again after each periodic line; asking for the
 * statistics does not restart it, so a query never disturbs the log.
 */
#include <ev.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <palaver/log.h>
#include <palaver/stats.h>
#include <palaver/util.h>

#include "stats.h"
#include "textbuf.h"

#define WHO "stats"

struct pv_stats_source {
    char *owner;
    pv_stats_fn fn;
    void *ud;
    struct pv_stats_source *next;
};

typedef struct stat_item {
    char *name, *label, *value;
} stat_item_t;

struct pv_stats {
    stat_item_t *items;
    size_t n, cap;
    const char *owner; /* the source being asked, for messages */
};

static struct {
    bool started;
    double start, win_start;    /* monotonic seconds */
    uint64_t in, out, dropped;  /* totals */
    uint64_t win_in0, win_out0; /* totals when the interval started */
    size_t queue_bytes, queue_stanzas;
    size_t peak_bytes, peak_stanzas; /* in the interval */
    uint64_t be_ops;                 /* backend operations in the interval */
    double be_sum, be_max;           /* seconds */
    long interval;
    ev_timer timer;
    pv_stats_source_t *sources, *last;
} T;

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void ensure_started(void)
{
    if (!T.started) {
        T.started = true;
        T.start = T.win_start = mono();
    }
}

void stats_stanza_in(void)
{
    T.in++;
}
void stats_stanza_out(void)
{
    T.out++;
}
void stats_stanzas_out(size_t n)
{
    T.out += n;
}
void stats_stanza_dropped(void)
{
    T.dropped++;
}

void stats_queue(size_t bytes, size_t stanzas)
{
    T.queue_bytes = bytes;
    T.queue_stanzas = stanzas;
    if (bytes > T.peak_bytes)
        T.peak_bytes = bytes;
    if (stanzas > T.peak_stanzas)
        T.peak_stanzas = stanzas;
}

void stats_backend_time(double seconds)
{
    if (seconds < 0)
        seconds = 0;
    T.be_ops++;
    T.be_sum += seconds;
    if (seconds > T.be_max)
        T.be_max = seconds;
}

/* ---------------------------------------------------------------- sources */

pv_stats_source_t *pv_stats_register(const char *owner, pv_stats_fn fn, void *ud)
{
    pv_stats_source_t *s = calloc(1, sizeof *s);
    if (!s || !fn || !(s->owner = strdup(owner ? owner : "?"))) {
        free(s);
        pv_log(PV_LOG_ERROR, WHO, "cannot register the statistics of %s: %s", owner ? owner : "?",
               fn ? "out of memory" : "no function");
        return NULL;
    }
    s->fn = fn;
    s->ud = ud;
    if (T.last)
        T.last->next = s;
    else
        T.sources = s;
    T.last = s;
    ensure_started();
    return s;
}

void pv_stats_unregister(pv_stats_source_t *src)
{
    if (!src)
        return;
    pv_stats_source_t **pp = &T.sources, *prev = NULL;
    while (*pp && *pp != src) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (*pp) {
        *pp = src->next;
        if (T.last == src)
            T.last = prev;
    }
    free(src->owner);
    free(src);
}

static bool name_ok(const char *n)
{
    if (!n || !*n)
        return false;
    for (; *n; n++)
        if (!((*n >= 'a' && *n <= 'z') || (*n >= '0' && *n <= '9') || *n == '-'))
            return false;
    return true;
}

int pv_stats_add(pv_stats_t *st, const char *name, const char *label, const char *fmt, ...)
{
    if (!st)
        return -1;
    if (!name_ok(name)) {
        pv_log(PV_LOG_ERROR, WHO,
               "%s: statistic name '%s' refused: use lower-case letters, "
               "digits and '-'",
               st->owner, name ? name : "(null)");
        return -1;
    }
    if (st->n == st->cap) {
        size_t ncap = st->cap ? st->cap * 2 : 32;
        stat_item_t *grown = realloc(st->items, ncap * sizeof *grown);
        if (!grown)
            goto oom;
        st->items = grown;
        st->cap = ncap;
    }
    char value[128];
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(value, sizeof value, fmt, ap);
    va_end(ap);
    if (len < 0)
        value[0] = '\0';
    stat_item_t *it = &st->items[st->n];
    it->name = strdup(name);
    it->label = strdup(label ? label : name);
    it->value = strdup(value);
    if (!it->name || !it->label || !it->value) {
        free(it->name);
        free(it->label);
        free(it->value);
        goto oom;
    }
    st->n++;
    return 0;
oom:
    pv_log(PV_LOG_ERROR, WHO, "%s: out of memory adding the statistic %s", st->owner, name);
    return -1;
}

/* ---------------------------------------------------------------- collection */

static void core_stats(pv_stats_t *st)
{
    double now = mono();
    double win = now - T.win_start;
    double rate_div = win > 0.001 ? win : 0.001;
    pv_stats_add(st, "uptime-seconds", "Seconds since start-up", "%.0f", now - T.start);
    pv_stats_add(st, "interval-seconds", "Seconds covered by rates, peaks and latency", "%.1f",
                 win);
    pv_stats_add(st, "stanzas-in", "Stanzas received since start-up", "%llu",
                 (unsigned long long)T.in);
    pv_stats_add(st, "stanzas-out", "Stanzas sent since start-up", "%llu",
                 (unsigned long long)T.out);
    pv_stats_add(st, "stanzas-dropped", "Stanzas dropped (output queue full) since start-up",
                 "%llu", (unsigned long long)T.dropped);
    pv_stats_add(st, "stanzas-in-per-second", "Stanzas received per second", "%.2f",
                 (double)(T.in - T.win_in0) / rate_div);
    pv_stats_add(st, "stanzas-out-per-second", "Stanzas sent per second", "%.2f",
                 (double)(T.out - T.win_out0) / rate_div);
    pv_stats_add(st, "queue-bytes", "Bytes waiting for the server", "%zu", T.queue_bytes);
    pv_stats_add(st, "queue-stanzas", "Stanzas waiting for the server", "%zu", T.queue_stanzas);
    pv_stats_add(st, "queue-bytes-max", "Most bytes waiting in the interval", "%zu", T.peak_bytes);
    pv_stats_add(st, "queue-stanzas-max", "Most stanzas waiting in the interval", "%zu",
                 T.peak_stanzas);
    pv_stats_add(st, "backend-operations", "Storage operations in the interval", "%llu",
                 (unsigned long long)T.be_ops);
    pv_stats_add(st, "backend-latency-mean-ms", "Mean storage latency (ms)", "%.3f",
                 T.be_ops ? T.be_sum * 1000.0 / (double)T.be_ops : 0.0);
    pv_stats_add(st, "backend-latency-max-ms", "Longest storage latency (ms)", "%.3f",
                 T.be_max * 1000.0);
}

static void free_items(pv_stats_t *st)
{
    for (size_t i = 0; i < st->n; i++) {
        free(st->items[i].name);
        free(st->items[i].label);
        free(st->items[i].value);
    }
    free(st->items);
}

size_t pv_stats_collect(pv_stats_visit_fn visit, void *ud)
{
    ensure_started();
    pv_stats_t st = {.owner = "core"};
    core_stats(&st);
    for (pv_stats_source_t *s = T.sources; s; s = s->next) {
        st.owner = s->owner;
        s->fn(&st, s->ud);
    }
    for (size_t i = 0; visit && i < st.n; i++)
        visit(st.items[i].name, st.items[i].label, st.items[i].value, ud);
    size_t n = st.n;
    free_items(&st);
    return n;
}

/* ---------------------------------------------------------------- the log line */

static void append_stat(const char *name, const char *label, const char *value, void *ud)
{
    (void)label;
    textbuf_t *l = ud;
    textbuf_printf(l, "%s%s=%s", l->len ? " " : "", name, value);
}

static void new_interval(void)
{
    T.win_start = mono();
    T.win_in0 = T.in;
    T.win_out0 = T.out;
    T.peak_bytes = T.queue_bytes;
    T.peak_stanzas = T.queue_stanzas;
    T.be_ops = 0;
    T.be_sum = T.be_max = 0;
}

void stats_log_line(void)
{
    textbuf_t l = {0};
    pv_stats_collect(append_stat, &l);
    if (l.failed || !l.buf)
        pv_log(PV_LOG_ERROR, WHO, "out of memory writing the statistics line");
    else
        pv_log(PV_LOG_INFO, WHO, "statistics: %s", l.buf);
    free(l.buf);
    new_interval();
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)w;
    (void)revents;
    stats_log_line();
}

int stats_set_interval(long seconds)
{
    ensure_started();
    struct ev_loop *loop = pv_loop();
    if (!loop)
        return -1;
    ev_timer_stop(loop, &T.timer);
    T.interval = seconds > 0 ? seconds : 0;
    if (T.interval > 0) {
        ev_timer_init(&T.timer, on_timer, (double)T.interval, (double)T.interval);
        ev_timer_start(loop, &T.timer);
    }
    return 0;
}

void stats_shutdown(void)
{
    struct ev_loop *loop = pv_loop();
    if (loop)
        ev_timer_stop(loop, &T.timer);
    while (T.sources) {
        pv_stats_source_t *s = T.sources;
        T.sources = s->next;
        free(s->owner);
        free(s);
    }
    T.last = NULL;
}
