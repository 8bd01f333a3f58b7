/*
 * core/fanout.c: one prepared stanza to many kept recipients (a room's
 * occupants), the core's fan-out. pv_send_prepared_many hands the whole
 * list to the output at once, which reserves room and does the stream's
 * bookkeeping (statistics, metrics, queue report, watchers) once for all
 * the copies instead of once per copy; the bytes are those of as many
 * pv_send_prepared_to calls. A batch (pv_fanout_*) collects the
 * recipients one by one and, when sent, lets the core choose the strategy:
 * a copy each, or XEP-0033 <addresses/> stanzas through the host's
 * multicast service when one is configured (multicast.c).
 */
#include <stdlib.h>

#include <palaver/log.h>
#include <palaver/router.h>

#include "fanout.h"
#include "output.h"
#include "prepared.h"

struct pv_fanout {
    const pv_recipient_t **to; /* borrowed */
    size_t n, cap;
    size_t esc; /* the sum of their escaped lengths */
};

size_t fanout_copies(const pv_prepared_t *p, const pv_recipient_t *const *to, size_t n,
                     size_t esc_bytes)
{
    size_t done = n ? output_write_copies(p, to, n, esc_bytes) : 0;
    if (done < n)
        pv_log(PV_LOG_DEBUG, "core",
               "output refused <%s/> to %zu of %zu recipients (disconnected or over the "
               "high-water mark)",
               p->name, n - done, n);
    return done;
}

long pv_send_prepared_many(const pv_prepared_t *p, const pv_recipient_t *const *to, size_t n)
{
    if (!p || (!to && n)) {
        pv_log(PV_LOG_ERROR, "core", "pv_send_prepared_many: %s",
               p ? "no recipients" : "no stanza");
        return -1;
    }
    /* Runs between NULL entries, which are refused (logged) one by one. */
    size_t done = 0, start = 0, esc = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && to[i]) {
            esc += to[i]->len;
            continue;
        }
        done += fanout_copies(p, to + start, i - start, esc);
        esc = 0;
        if (i < n)
            pv_log(PV_LOG_ERROR, "core", "pv_send_prepared_many: recipient %zu of %zu is NULL", i,
                   n);
        start = i + 1;
    }
    return (long)done;
}

pv_fanout_t *pv_fanout_new(void)
{
    pv_fanout_t *b = calloc(1, sizeof *b);
    if (!b)
        pv_log(PV_LOG_ERROR, "core", "out of memory making a fan-out batch");
    return b;
}

int pv_fanout_add(pv_fanout_t *b, const pv_recipient_t *to)
{
    if (!b || !to) {
        pv_log(PV_LOG_ERROR, "core", "pv_fanout_add: %s", b ? "no recipient" : "no batch");
        return -1;
    }
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        const pv_recipient_t **grown = realloc(b->to, cap * sizeof *grown);
        if (!grown) {
            pv_log(PV_LOG_ERROR, "core", "out of memory collecting %zu recipients", cap);
            return -1;
        }
        b->to = grown;
        b->cap = cap;
    }
    b->to[b->n++] = to;
    b->esc += to->len;
    return 0;
}

size_t pv_fanout_count(const pv_fanout_t *b)
{
    return b ? b->n : 0;
}

long pv_fanout_send(pv_fanout_t *b, const pv_el_t *stanza, const pv_prepared_t *p)
{
    if (!b || !p) {
        pv_log(PV_LOG_ERROR, "core", "pv_fanout_send: %s", b ? "no stanza" : "no batch");
        if (b)
            b->n = b->esc = 0;
        return -1;
    }
    size_t n = b->n, esc = b->esc;
    b->n = b->esc = 0; /* empty again, for the next stanza */
    if (multicast_send(stanza, p, b->to, n))
        return (long)n;
    return (long)fanout_copies(p, b->to, n, esc);
}

void pv_fanout_free(pv_fanout_t *b)
{
    if (!b)
        return;
    free(b->to);
    free(b);
}
