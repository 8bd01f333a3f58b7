/*
 * core/metrics.h: the figures the metrics endpoint adds to the statistics
 * (palaver/stats.h), and their rendering for Prometheus.
 *
 * The statistics give one number per name; a scraper wants labelled
 * series it can sum and rate: stanzas in and out by kind, errors sent by
 * condition, reconnections, and each storage operation's latency as a
 * histogram. The stream, pv_send and the timed storage table report here;
 * metrics_text.c renders these with every collected statistic.
 */
#ifndef PV_CORE_METRICS_H
#define PV_CORE_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <palaver/xml.h>

/* Stanza kinds, the value of the `kind` label. */
enum { METRICS_MESSAGE, METRICS_PRESENCE, METRICS_IQ, METRICS_OTHER, METRICS_NKINDS };

/* A stanza named `name` (its element's local name) came from the server. */
void metrics_stanza_in(const char *name);

/* A serialized stanza (buf, len: it starts with its start tag) was queued. */
void metrics_stanza_out(const char *buf, size_t len);

/* The kind (METRICS_*) of a stanza whose element's local name is `name`
 * (NULL: METRICS_OTHER). A prepared fan-out stanza asks once, in pv_prepare,
 * and reports each copy with metrics_stanza_out_kind instead of having its
 * start tag read again per recipient. */
int metrics_kind(const char *name);
/* The same for the first len bytes of name (metrics_kind.c). */
int metrics_kind_n(const char *name, size_t len);

/* A stanza of that kind (METRICS_*) was queued. */
void metrics_stanza_out_kind(int kind);
/* n stanzas of that kind (a fan-out's copies) were queued. */
void metrics_stanzas_out_kind(int kind, size_t n);

/* stanza was sent; counted when it is an error (type='error'), by its
 * condition. */
void metrics_stanza_sent(const pv_el_t *stanza);

/* The connection to the server was lost or could not be made; a new
 * attempt is scheduled. */
void metrics_reconnect(void);

/* The storage operation `op` (a static name, e.g. "room_load") took this
 * many seconds. */
void metrics_backend_call(const char *op, double seconds);

/* The rooms in the storage backend as it last counted them (rooms_list
 * with PV_STORE_LIST_COUNT), or -1 when unknown (not counted yet, or not
 * cheap for this backend). Asks again when the last count is older than a
 * few seconds and none is pending: a backend that answers later (pgsql)
 * gives the figure to the next scrape. */
long long metrics_rooms_stored(void);

/* Read access for the renderer. */
extern const char *const metrics_kind_names[METRICS_NKINDS];
uint64_t metrics_stanzas_in(int kind);
uint64_t metrics_stanzas_out(int kind);
/* The stanza error conditions of RFC 6120 and "other", NULL-terminated. */
extern const char *const metrics_conditions[];
uint64_t metrics_errors(size_t condition_index);
uint64_t metrics_reconnects(void);

/* Histogram bucket upper bounds (seconds), ascending; +Inf is implied. */
#define METRICS_NBUCKETS 14
extern const double metrics_buckets[METRICS_NBUCKETS];
typedef struct metrics_histogram {
    const char *op; /* static */
    uint64_t count;
    double sum;
    uint64_t le[METRICS_NBUCKETS]; /* observations <= metrics_buckets[i] */
} metrics_histogram_t;
/* The i-th operation seen so far, or NULL past the last. */
const metrics_histogram_t *metrics_backend_histogram(size_t i);

/* The exposition of every metric: Prometheus text format 0.0.4, or
 * OpenMetrics 1.0.0 when `openmetrics`. Returns a NUL-terminated buffer the
 * caller frees, its length in *len; NULL when out of memory (logged). */
char *metrics_render(bool openmetrics, size_t *len);

#endif
