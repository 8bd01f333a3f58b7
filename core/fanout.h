/*
 * core/fanout.h: between the fan-out (fanout.c: one prepared stanza to many
 * kept recipients) and its XEP-0033 strategy (multicast.c), and the
 * stream's call at each connection.
 */
#ifndef PV_CORE_FANOUT_H
#define PV_CORE_FANOUT_H

#include <stdbool.h>
#include <stddef.h>

#include <palaver/router.h>

/* fanout.c: p to to[0..n) (none NULL; esc_bytes: the sum of their escaped
 * lengths), one copy each, in order; the copies the output refused are
 * logged (debug, once for all). Returns how many were queued. */
size_t fanout_copies(const pv_prepared_t *p, const pv_recipient_t *const *to, size_t n,
                     size_t esc_bytes);

/* multicast.c: when a service is in use and the batch is worth it (two
 * recipients or more, a limit of two or more), sends `stanza` (p's
 * element) to to[0..n) in <addresses/> stanzas of at most the limit for
 * its kind (a last single recipient gets p's copy) and returns true; else
 * false, sending nothing: the caller sends a copy each. */
bool multicast_send(const pv_el_t *stanza, const pv_prepared_t *p, const pv_recipient_t *const *to,
                    size_t n);

/* The host accepted the component (stream.c, before the plugins hear it):
 * with "auto" the discovery starts again; a configured service dropped
 * after a bounce is used again. */
void multicast_connected(void);

/* Forgets the configuration and removes the hooks (pv_multicast_configure
 * with "off" does it too). */
void multicast_shutdown(void);

#endif
