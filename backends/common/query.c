/*
 * backends/common/query.c: the archive query rules every backend shares
 * (see query.h).
 */
#include "query.h"

size_t query_max(const pv_store_query_t *q)
{
    return q && q->max ? q->max : STORE_DEFAULT_MAX;
}

int query_backwards(const pv_store_query_t *q)
{
    return q && (q->last || q->before_id);
}
