/*
 * backends/pgsql/binarray.c: one-dimensional arrays in PostgreSQL's binary
 * format, for parameters sent with format 1. The batched append
 * (archive.c) sends its columns this way: the server then copies each
 * element as it is, where a text[] literal is parsed character by
 * character (quotes, escapes), which was a tenth of its time for a batch.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pgsql.h"

static char *put32(char *p, uint32_t v)
{
    p[0] = (char)(v >> 24);
    p[1] = (char)(v >> 16);
    p[2] = (char)(v >> 8);
    p[3] = (char)v;
    return p + 4;
}

char *pg_bin_array(size_t n, unsigned elem_type, const char *(*get)(const void *arr, size_t i),
                   const void *arr, int *len)
{
    /* ndim, has-null flag, element type, then the one dimension's size and
     * lower bound; then each element: its length (-1: NULL), its bytes. */
    size_t total = 20, nulls = 0;
    for (size_t i = 0; i < n; i++) {
        const char *v = get(arr, i);
        if (!v)
            nulls = 1;
        total += 4 + (!v ? 0 : elem_type == PG_INT8_OID ? 8 : strlen(v));
    }
    if (total > INT_MAX || n > INT32_MAX)
        return NULL;
    char *out = malloc(total), *p = out;
    if (!out)
        return NULL;
    p = put32(p, n ? 1 : 0);
    p = put32(p, (uint32_t)nulls);
    p = put32(p, elem_type);
    p = put32(p, (uint32_t)n);
    p = put32(p, 1);
    for (size_t i = 0; i < n; i++) {
        const char *v = get(arr, i);
        if (!v) {
            p = put32(p, UINT32_MAX); /* -1 */
        } else if (elem_type == PG_INT8_OID) {
            uint64_t x = (uint64_t)strtoll(v, NULL, 10);
            p = put32(p, 8);
            p = put32(p, (uint32_t)(x >> 32));
            p = put32(p, (uint32_t)x);
        } else {
            size_t l = strlen(v);
            p = put32(p, (uint32_t)l);
            memcpy(p, v, l);
            p += l;
        }
    }
    *len = (int)(p - out);
    return out;
}
