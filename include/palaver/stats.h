/*
 * palaver/stats.h: the statistics an operator asks for, from every module.
 *
 * The core counts what it sees (stanzas in and out, the output queue, the
 * time the storage backend takes to answer); a plugin adds what only it
 * knows (muc-core: rooms and occupants) by registering a source. When the
 * statistics are collected (the periodic line in the log, <statistics
 * interval="N"/>, or an administrator's query), the core's figures come
 * first, then each source's, in registration order.
 *
 * A statistic is a name (lower-case letters, digits and '-': it is the key
 * in the log line and the field var of a data form), a human label, and a
 * value written as text (a count, or a decimal number).
 */
#ifndef PALAVER_STATS_H
#define PALAVER_STATS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A collection being filled (opaque; only valid during the callback). */
typedef struct pv_stats pv_stats_t;

/* A registered source (opaque). */
typedef struct pv_stats_source pv_stats_source_t;

/* Adds a source's statistics to st with pv_stats_add(). Called from the
 * event loop; must not block. */
typedef void (*pv_stats_fn)(pv_stats_t *st, void *ud);

/* Registers fn, called with ud each time statistics are collected. `owner`
 * names the module (copied). Returns the source (freed by
 * pv_stats_unregister), or NULL (logged) when out of memory. */
pv_stats_source_t *pv_stats_register(const char *owner, pv_stats_fn fn, void *ud);

/* Unregisters and frees src (NULL is a no-op). Call it at shutdown at the
 * latest: fn must not be called once the plugin is unloaded. */
void pv_stats_unregister(pv_stats_source_t *src);

/* Adds one statistic, its value formatted as printf does (name, label and
 * the formatted value are copied). Returns 0, or -1 (logged, naming the
 * source) when name is not lower-case letters, digits and '-', or out of
 * memory. */
int pv_stats_add(pv_stats_t *st, const char *name, const char *label, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Receives one statistic; the strings are borrowed for the call. */
typedef void (*pv_stats_visit_fn)(const char *name, const char *label, const char *value, void *ud);

/* Collects every statistic now (the core's, then each source's) and calls
 * visit for each, in order. Returns how many were visited. Collecting does
 * not restart the interval the rates and the backend latency cover (only
 * the periodic log line does). */
size_t pv_stats_collect(pv_stats_visit_fn visit, void *ud);

#ifdef __cplusplus
}
#endif
#endif
