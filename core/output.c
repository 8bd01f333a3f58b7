/*
 * core/output.c: the seam between serialization and the socket.
 *
 * Everything that leaves Palaver passes through output_write() (or its
 * forms for a stanza in parts and for a fan-out's copies): the stream
 * installs itself as the sink once authenticated and removes itself when the
 * connection drops; unit tests install a capture buffer. While no sink is set
 * (disconnected), output is dropped: the clients it was meant for are gone
 * with the server connection anyway.
 */
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "prepared.h"

static output_sink_fn sink_fn;
static output_sinkv_fn sinkv_fn;
static output_sinkc_fn sinkc_fn;
static void *sink_ud;

void output_set_sinks(output_sink_fn fn, output_sinkv_fn fnv, void *ud)
{
    sink_fn = fn;
    sinkv_fn = fn ? fnv : NULL;
    sinkc_fn = NULL;
    sink_ud = ud;
}

void output_set_sink_copies(output_sinkc_fn fnc)
{
    sinkc_fn = sink_fn ? fnc : NULL;
}

void output_set_sink(output_sink_fn fn, void *ud)
{
    output_set_sinks(fn, NULL, ud);
}

int output_write(const char *buf, size_t len)
{
    if (!sink_fn)
        return -1;
    return sink_fn(buf, len, sink_ud);
}

int output_writev(const char *const *parts, const size_t *lens, int nparts, int kind)
{
    if (sinkv_fn) /* copied once, into the sink's own buffer */
        return sinkv_fn(parts, lens, nparts, kind, sink_ud);
    if (!sink_fn)
        return -1;
    if (nparts == 1)
        return sink_fn(parts[0], lens[0], sink_ud);
    size_t total = 0;
    for (int i = 0; i < nparts; i++)
        total += lens[i];
    /* Small stanzas: join on the stack so the sink sees one stanza. */
    char stackbuf[4096] = ""; /* (only sinks without a vectored form: tests) */
    char *buf = total <= sizeof stackbuf ? stackbuf : malloc(total);
    if (!buf)
        return -1;
    size_t off = 0;
    for (int i = 0; i < nparts; i++) {
        memcpy(buf + off, parts[i], lens[i]);
        off += lens[i];
    }
    int rc = sink_fn(buf, total, sink_ud);
    if (buf != stackbuf)
        free(buf);
    return rc;
}

size_t output_write_copies(const pv_prepared_t *p, const pv_recipient_t *const *to, size_t n,
                           size_t esc_bytes)
{
    if (sinkc_fn) /* room and bookkeeping once for the batch */
        return sinkc_fn(p, to, n, esc_bytes, sink_ud);
    size_t done = 0;
    for (size_t i = 0; i < n; i++) {
        const char *parts[3] = {p->buf, to[i]->esc, p->buf + p->slot};
        size_t lens[3] = {p->slot, to[i]->len, p->len - p->slot};
        if (output_writev(parts, lens, 3, p->kind) == 0)
            done++;
    }
    return done;
}
