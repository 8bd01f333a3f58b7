/*
 * core/metrics_text.c: the exposition Prometheus scrapes, in the text
 * format 0.0.4 or in OpenMetrics 1.0.0.
 *
 * One pass writes every family: the build information, the labelled series
 * of core/metrics.c, then every statistic pv_stats_collect gives (the
 * core's and each plugin's). A table maps the statistics Palaver knows to
 * names that follow Prometheus' conventions (units in the name, counters in
 * _total, the HELP an operator reads); a statistic a site plugin adds
 * becomes a gauge palaver_NAME with its label as HELP. Figures that cover
 * the log's interval (rates, peaks, mean latency) are left out: a scraper
 * computes those itself from the counters and the histogram.
 *
 * The two formats differ in little: OpenMetrics names a counter's family
 * without _total (the sample keeps it), has an `info` type for the build
 * information, and ends with "# EOF". The buffer is built on the heap for
 * each scrape: a few kilobytes, a scrape every few seconds at most.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <palaver/log.h>
#include <palaver/stats.h>

#include "config.h"
#include "metrics.h"
#include "stream.h"
#include "textbuf.h"

typedef struct out {
    textbuf_t text; /* out of memory (text.failed): the result is dropped */
    bool om;        /* OpenMetrics */
    char **seen;    /* family names written, so none is written twice */
    size_t nseen, capseen;
} out_t;

static void put(out_t *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(out_t *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    textbuf_vprintf(&o->text, fmt, ap);
    va_end(ap);
}

/* True the first time `name` is seen (remembered); false when it was
 * written already or out of memory. */
static bool first_time(out_t *o, const char *name)
{
    for (size_t i = 0; i < o->nseen; i++)
        if (strcmp(o->seen[i], name) == 0)
            return false;
    if (o->nseen == o->capseen) {
        size_t ncap = o->capseen ? o->capseen * 2 : 64;
        char **grown = realloc(o->seen, ncap * sizeof *grown);
        if (!grown) {
            o->text.failed = true;
            return false;
        }
        o->seen = grown;
        o->capseen = ncap;
    }
    if (!(o->seen[o->nseen] = strdup(name))) {
        o->text.failed = true;
        return false;
    }
    o->nseen++;
    return true;
}

/* HELP text: backslash and newline escaped. */
static void put_help(out_t *o, const char *family, const char *help)
{
    put(o, "# HELP %s ", family);
    for (const char *p = help; *p; p++) {
        if (*p == '\\')
            put(o, "\\\\");
        else if (*p == '\n')
            put(o, "\\n");
        else
            put(o, "%c", *p);
    }
    put(o, "\n");
}

/* A label value: backslash, quote and newline escaped. */
static void put_label_value(out_t *o, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            put(o, "\\%c", *v);
        else if (*v == '\n')
            put(o, "\\n");
        else
            put(o, "%c", *v);
    }
}

enum mtype { GAUGE, COUNTER, HISTOGRAM, INFO };

/* "# HELP" and "# TYPE" of the family `name` (a counter's name without
 * _total, an info's without _info). Returns false when the family was
 * written already (its samples are then skipped). */
static bool family(out_t *o, const char *name, enum mtype t, const char *help)
{
    static const char *const types[] = {"gauge", "counter", "histogram", "info"};
    char fam[160];
    if (t == COUNTER && !o->om)
        snprintf(fam, sizeof fam, "%s_total", name);
    else if (t == INFO && !o->om)
        snprintf(fam, sizeof fam, "%s_info", name);
    else
        snprintf(fam, sizeof fam, "%s", name);
    if (!first_time(o, name))
        return false;
    put_help(o, fam, help);
    put(o, "# TYPE %s %s\n", fam, t == INFO && !o->om ? "gauge" : types[t]);
    return true;
}

static void build_info(out_t *o)
{
    if (!family(o, "palaver_build", INFO, "Palaver's version (the value is always 1)"))
        return;
    put(o, "palaver_build_info{version=\"");
    put_label_value(o, PACKAGE_VERSION);
    put(o, "\"} 1\n");
}

static void stanza_counters(out_t *o)
{
    if (family(o, "palaver_stanzas_received", COUNTER,
               "Stanzas received from the XMPP server, by kind"))
        for (int k = 0; k < METRICS_NKINDS; k++)
            put(o, "palaver_stanzas_received_total{kind=\"%s\"} %llu\n", metrics_kind_names[k],
                (unsigned long long)metrics_stanzas_in(k));
    if (family(o, "palaver_stanzas_sent", COUNTER, "Stanzas queued for the XMPP server, by kind"))
        for (int k = 0; k < METRICS_NKINDS; k++)
            put(o, "palaver_stanzas_sent_total{kind=\"%s\"} %llu\n", metrics_kind_names[k],
                (unsigned long long)metrics_stanzas_out(k));
    if (family(o, "palaver_stanza_errors_sent", COUNTER,
               "Error stanzas sent, by RFC 6120 condition"))
        for (size_t i = 0; metrics_conditions[i]; i++)
            put(o, "palaver_stanza_errors_sent_total{condition=\"%s\"} %llu\n",
                metrics_conditions[i], (unsigned long long)metrics_errors(i));
}

static void connection(out_t *o)
{
    if (family(o, "palaver_server_reconnects", COUNTER,
               "Times the connection to the XMPP server was lost or refused and retried"))
        put(o, "palaver_server_reconnects_total %llu\n", (unsigned long long)metrics_reconnects());
    if (family(o, "palaver_server_connected", GAUGE,
               "1 while the component is connected and authenticated, else 0"))
        put(o, "palaver_server_connected %d\n", stream_is_up() ? 1 : 0);
}

static void rooms_stored(out_t *o)
{
    long long n = metrics_rooms_stored();
    if (n >= 0 && family(o, "palaver_rooms_stored", GAUGE,
                         "Rooms in the storage backend, as it counts them (rooms not in "
                         "memory are hibernated; muc-core's tombstone rows count too)"))
        put(o, "palaver_rooms_stored %lld\n", n);
}

static void backend_histograms(out_t *o)
{
    const char *f = "palaver_backend_call_duration_seconds";
    if (!family(o, f, HISTOGRAM, "Time from a storage call to its answer, by operation"))
        return;
    const metrics_histogram_t *h;
    for (size_t i = 0; (h = metrics_backend_histogram(i)) != NULL; i++) {
        for (size_t b = 0; b < METRICS_NBUCKETS; b++)
            put(o, "%s_bucket{operation=\"%s\",le=\"%g\"} %llu\n", f, h->op, metrics_buckets[b],
                (unsigned long long)h->le[b]);
        put(o, "%s_bucket{operation=\"%s\",le=\"+Inf\"} %llu\n", f, h->op,
            (unsigned long long)h->count);
        put(o, "%s_sum{operation=\"%s\"} %.9g\n", f, h->op, h->sum);
        put(o, "%s_count{operation=\"%s\"} %llu\n", f, h->op, (unsigned long long)h->count);
    }
}

/* The statistics that have a name of their own here; NULL metric: left out. */
static const struct {
    const char *stat, *metric;
    enum mtype type;
    const char *help;
} known[] = {
    {"uptime-seconds", "palaver_uptime_seconds", GAUGE, "Seconds since start-up"},
    {"stanzas-dropped", "palaver_stanzas_dropped", COUNTER,
     "Stanzas dropped because the output queue was full"},
    {"queue-bytes", "palaver_output_queue_bytes", GAUGE, "Bytes waiting for the XMPP server"},
    {"queue-stanzas", "palaver_output_queue_stanzas", GAUGE, "Stanzas waiting for the XMPP server"},
    {"rooms", "palaver_rooms_loaded", GAUGE, "Rooms in memory"},
    {"rooms-persistent", "palaver_rooms_persistent_loaded", GAUGE, "Persistent rooms in memory"},
    {"rooms-occupied", "palaver_rooms_occupied", GAUGE, "Rooms with occupants"},
    {"rooms-loads", "palaver_room_loads", COUNTER, "Stored rooms loaded into memory"},
    {"rooms-unloads", "palaver_room_hibernations", COUNTER,
     "Unused rooms unloaded from memory (hibernated)"},
    {"occupants", "palaver_occupants", GAUGE, "Occupants (nicks in rooms)"},
    {"occupant-sessions", "palaver_occupant_sessions", GAUGE,
     "Occupant sessions (client resources)"},
    /* Covered by the labelled series and the histogram, or per interval. */
    {"interval-seconds", NULL, GAUGE, NULL},
    {"stanzas-in", NULL, GAUGE, NULL},
    {"stanzas-out", NULL, GAUGE, NULL},
    {"stanzas-in-per-second", NULL, GAUGE, NULL},
    {"stanzas-out-per-second", NULL, GAUGE, NULL},
    {"queue-bytes-max", NULL, GAUGE, NULL},
    {"queue-stanzas-max", NULL, GAUGE, NULL},
    {"backend-operations", NULL, GAUGE, NULL},
    {"backend-latency-mean-ms", NULL, GAUGE, NULL},
    {"backend-latency-max-ms", NULL, GAUGE, NULL},
};
#define N_KNOWN (sizeof known / sizeof known[0])

static bool is_number(const char *v)
{
    char *end = NULL;
    if (!v || !*v)
        return false;
    (void)strtod(v, &end);
    return end && *end == '\0';
}

/* One statistic (a pv_stats_visit_fn). */
static void stat_family(const char *name, const char *label, const char *value, void *ud)
{
    out_t *o = ud;
    if (!is_number(value))
        return;
    size_t i = 0;
    while (i < N_KNOWN && strcmp(known[i].stat, name) != 0)
        i++;
    if (i < N_KNOWN) {
        if (known[i].metric && family(o, known[i].metric, known[i].type, known[i].help))
            put(o, "%s%s %s\n", known[i].metric, known[i].type == COUNTER ? "_total" : "", value);
        return;
    }
    /* A plugin's own statistic: a gauge, its name in Prometheus' alphabet
     * (pv_stats_add allows only a-z, 0-9 and '-'). */
    char metric[160];
    int n = snprintf(metric, sizeof metric, "palaver_%s", name);
    if (n < 0 || (size_t)n >= sizeof metric)
        return;
    for (char *p = metric; *p; p++)
        if (*p == '-')
            *p = '_';
    if (family(o, metric, GAUGE, label && *label ? label : name))
        put(o, "%s %s\n", metric, value);
}

char *metrics_render(bool openmetrics, size_t *len)
{
    out_t o = {.om = openmetrics};
    build_info(&o);
    stanza_counters(&o);
    connection(&o);
    rooms_stored(&o);
    backend_histograms(&o);
    pv_stats_collect(stat_family, &o);
    if (o.om)
        put(&o, "# EOF\n");
    for (size_t i = 0; i < o.nseen; i++)
        free(o.seen[i]);
    free(o.seen);
    if (o.text.failed || !o.text.buf) {
        pv_log(PV_LOG_ERROR, "metrics", "out of memory writing the metrics");
        free(o.text.buf);
        return NULL;
    }
    *len = o.text.len;
    return o.text.buf;
}
