/*
 * core/stats.h: the core's side of the statistics (palaver/stats.h is the
 * SDK side: sources and collection).
 *
 * The stream reports each stanza it dispatches, sends or drops and the size
 * of its output queue; the backend wrapper reports how long each storage
 * operation took. An "interval" starts at start-up and at each periodic
 * statistics line: rates, queue peaks and backend latency cover it.
 */
#ifndef PV_CORE_STATS_H
#define PV_CORE_STATS_H

#include <stddef.h>

#include <palaver/store.h>

/* A stanza from the server was handed to the router. */
void stats_stanza_in(void);

/* A stanza was queued for the server / refused (output buffer full). */
void stats_stanza_out(void);
void stats_stanzas_out(size_t n); /* n at once (a fan-out's copies) */
void stats_stanza_dropped(void);

/* The output queue now holds this many bytes and complete stanzas. */
void stats_queue(size_t bytes, size_t stanzas);

/* A storage operation took this long (seconds, from call to callback). */
void stats_backend_time(double seconds);

/* Prints the statistics to the log every `seconds` (0: never), the first
 * line `seconds` from now; the current interval goes on until that line.
 * Called at start-up and on SIGHUP. Returns 0 or -1. */
int stats_set_interval(long seconds);

/* Writes the statistics line now and starts a new interval. */
void stats_log_line(void);

/* Stops the timer and frees every source (at exit). */
void stats_shutdown(void);

/* The backend as plugins see it through pv_store(): the same table with
 * every operation's arguments checked (core/store_check.h: EINVAL without
 * calling the backend) and every call that reaches it timed
 * (stats_backend_time). The copy is rebuilt when the
 * backend changes; NULL gives NULL. */
const pv_store_t *stats_store_wrap(const pv_store_t *real);

/* Frees the timing records of calls the backend never answered; only after
 * the backend was closed (its late callbacks would find them gone). */
void stats_store_forget(void);

#endif
