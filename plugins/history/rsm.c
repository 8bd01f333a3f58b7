/*
 * plugins/history/rsm.c: XEP-0059 Result Set Management, the two halves MAM
 * needs: reading a request's <set/> (max, after, before, index) and writing
 * the answer's <set/> (<first index>, <last>, <count>).
 */
#include "history.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int rsm_parse(const pv_el_t *set, rsm_req_t *out)
{
    *out = (rsm_req_t){.max = -1};
    if (!set)
        return 0;
    const char *max = pv_el_child_text(set, NS_RSM, "max");
    if (max) {
        char *end;
        errno = 0;
        long n = strtol(max, &end, 10);
        if (!*max || *end || errno || n < 0)
            return -1;
        out->max = n;
    }
    out->after = pv_el_child_text(set, NS_RSM, "after");
    out->before = pv_el_child_text(set, NS_RSM, "before");
    out->has_index = pv_el_child(set, NS_RSM, "index") != NULL;
    if (out->after && !*out->after)
        return -1; /* <after/> must name an item */
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
