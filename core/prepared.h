/*
 * core/prepared.h: the insides of a prepared stanza and of a kept
 * recipient, shared by the serializer that makes them (serialize.c), the
 * fan-out that sends one to many (fanout.c), the output seam (output.c)
 * and the stream that copies them into its buffer (stream.c). Plugins see
 * both only as opaque handles (palaver/router.h).
 */
#ifndef PV_CORE_PREPARED_H
#define PV_CORE_PREPARED_H

#include <stddef.h>

#include <palaver/router.h>

struct pv_prepared {
    char *buf;     /* whole serialization, `to` value left out (owned) */
    size_t slot;   /* prefix = buf[0, slot) */
    size_t len;    /* suffix = buf[slot, len); the prefix again at buf[len, len + slot), */
                   /* so that one copy's suffix and the next one's prefix are one memcpy */
    int kind;      /* its metrics kind, for every copy (metrics_kind) */
    char name[32]; /* element name, for logs */
};

/* A recipient checked and escaped once (pv_recipient_new), in one
 * allocation: esc is the value of to='...' as it is written (len bytes,
 * NUL-terminated), so a copy is three memcpy; jid points just after it,
 * at the JID as it was given (for an <address jid=.../> of XEP-0033). */
struct pv_recipient {
    size_t len;
    const char *jid;
    char esc[];
};

#endif
