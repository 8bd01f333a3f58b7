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

#include <palaver/router.h>

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

/* A prepared stanza to n kept recipients (struct pv_prepared and struct
 * pv_recipient: prepared.h), queued as the n copies that as many
 * output_writev calls of its three parts would queue, in that order.
 * Returns how many were queued (0..n): a copy refused (over the
 * high-water mark) is counted as dropped, as output_writev's. esc_bytes is
 * the sum of the recipients' escaped lengths. */
typedef size_t (*output_sinkc_fn)(const pv_prepared_t *p, const pv_recipient_t *const *to, size_t n,
                                  size_t esc_bytes, void *ud);

/* Sets the sink (NULL: drop everything); output_writev joins the parts for it. */
void output_set_sink(output_sink_fn fn, void *ud);
/* Sets both (the component stream); fnv NULL: as output_set_sink. */
void output_set_sinks(output_sink_fn fn, output_sinkv_fn fnv, void *ud);

/* Adds the copies' form to the sinks set (the component stream); it is
 * forgotten with them when output_set_sinks or output_set_sink sets
 * others. Without it, output_write_copies calls output_writev per copy. */
void output_set_sink_copies(output_sinkc_fn fnc);

/* Sends bytes to the sink. Returns the sink's answer, -1 when there is none. */
int output_write(const char *buf, size_t len);

/* Scatter write: the parts are sent as one stanza (used for prepared fan-out),
 * of the given metrics kind (or OUTPUT_KIND_UNKNOWN). */
int output_writev(const char *const *parts, const size_t *lens, int nparts, int kind);

/* The prepared stanza p to to[0..n) (none NULL; esc_bytes: the sum of
 * their escaped lengths), one copy each, in order (pv_send_prepared_many).
 * Returns how many copies the sink took. */
size_t output_write_copies(const pv_prepared_t *p, const pv_recipient_t *const *to, size_t n,
                           size_t esc_bytes);

#endif
