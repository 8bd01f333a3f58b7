/*
 * backends/common/query.h: how every backend reads an archive query the
 * same way (palaver/store.h pv_store_query_t): the page size a max of 0
 * means, and which end a page is taken from. (The arguments themselves are
 * checked by the core before a backend sees them: core/store_check.c.)
 */
#ifndef PV_BACKENDS_QUERY_H
#define PV_BACKENDS_QUERY_H

#include <palaver/store.h>

/* Default number of archive results when the query gives max 0. */
#define STORE_DEFAULT_MAX 100

/* Effective result limit of a query (max, or the default for 0). */
size_t query_max(const pv_store_query_t *q);

/* Nonzero when the query pages backwards (last, or before_id given). */
int query_backwards(const pv_store_query_t *q);

#endif
