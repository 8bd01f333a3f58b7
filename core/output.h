/*
 * core/output.h: where serialized stanzas go.
 *
 * pv_send() and friends serialize, then hand bytes to the current sink: the
 * component stream when connected, a capture buffer in unit tests, nothing
 * while disconnected. Keeping this seam tiny lets the router and plugins be
 * tested without a socket.
 */
#ifndef PV_CORE_OUTPUT_H
#define PV_CORE_OUTPUT_H

#include <stddef.h>

/* Writes len bytes; returns 0, or -1 when refused (over the high-water mark). */
typedef int (*output_sink_fn)(const char *buf, size_t len, void *ud);

/* The kind of a stanza given in parts is unknown: the sink reads it from
 * the start tag (metrics_stanza_out). */
#define OUTPUT_KIND_UNKNOWN (-1)

/* The same for a stanza in parts (a prepared fan-out copy: prefix, the
 * recipient, suffix), so that a sink copies them straight into its buffer.
 * kind is the stanza's metrics kind (METRICS_* of core/metrics.h), known
 * once per prepared stanza, or OUTPUT_KIND_UNKNOWN. */
typedef int (*output_sinkv_fn)(const char *const *parts, const size_t *lens, int nparts, int kind,
                               void *ud);

/* Sets the sink (NULL: drop everything); output_writev joins the parts for it. */
void output_set_sink(output_sink_fn fn, void *ud);
/* Sets both (the component stream); fnv NULL: as output_set_sink. */
void output_set_sinks(output_sink_fn fn, output_sinkv_fn fnv, void *ud);

/* Sends bytes to the sink. Returns the sink's answer, -1 when there is none. */
int output_write(const char *buf, size_t len);

/* Scatter write: the parts are sent as one stanza (used for prepared fan-out),
 * of the given metrics kind (or OUTPUT_KIND_UNKNOWN). */
int output_writev(const char *const *parts, const size_t *lens, int nparts, int kind);

#endif
