/*
 * plugins/history/rsm.c: XEP-0059 Result Set Management, the two halves MAM
 * needs: reading a request's <set/> (max, after, before, index) and writing
 * the answer's <set/> (<first index>, <last>, <count>). Counts are plain
 * decimal digits (no sign, no spaces).
 */
#include "history.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* A non-negative decimal count; -1 when malformed. */
static long count_of(const char *s)
{
    char *end;
    errno = 0;
    long n = strtol(s, &end, 10);
    if (!*s || *s == '-' || *s == '+' || *end || errno || n < 0)
        return -1;
    return n;
}

int rsm_parse(const pv_el_t *set, rsm_req_t *out)
{
    *out = (rsm_req_t){.max = -1, .index = -1};
    if (!set)
        return 0;
    const char *max = pv_el_child_text(set, NS_RSM, "max");
    if (max && (out->max = count_of(max)) < 0)
        return -1;
    out->after = pv_el_child_text(set, NS_RSM, "after");
    out->before = pv_el_child_text(set, NS_RSM, "before");
    if (out->after && !*out->after)
        return -1; /* <after/> must name an item */
    const char *index = pv_el_child_text(set, NS_RSM, "index");
    if (index) {
        /* a page is chosen by position or by a neighbour, not both */
        if ((out->index = count_of(index)) < 0 || out->after || out->before)
            return -1;
    }
    return 0;
}

void rsm_answer(pv_el_t *parent, const char *first, const char *last, long index, long count)
{
    pv_el_t *set = pv_el_add(parent, NS_RSM, "set");
    if (!set)
        return;
    if (first) {
        pv_el_t *f = pv_el_add_text_child(set, NS_RSM, "first", first);
        if (f && index >= 0)
            pv_el_set_attrf(f, "index", "%ld", index);
        pv_el_add_text_child(set, NS_RSM, "last", last);
    }
    if (count >= 0) {
        char n[32];
        snprintf(n, sizeof n, "%ld", count);
        pv_el_add_text_child(set, NS_RSM, "count", n);
    }
}
