/*
 * core/stream.h: the XEP-0114 component connection.
 *
 * Owns the socket, the parser and the output buffer; connects, authenticates
 * with the handshake, hands stanzas to the router, keeps the stream alive and
 * reconnects with capped exponential backoff and jitter, forever.
 */
#ifndef PV_CORE_STREAM_H
#define PV_CORE_STREAM_H

#include "settings.h"

/* Starts connecting (asynchronously) with these settings. Returns 0 or -1. */
int stream_start(const pv_settings_t *s);

/* Closes the stream cleanly (</stream:stream>, flush with a short timeout),
 * then calls done(). Used on SIGTERM/SIGINT. */
void stream_shutdown(void (*done)(void));

/* During a stream_shutdown(): stops waiting for the server's
 * </stream:stream> and closes the connection at once (then done() runs).
 * Does nothing otherwise. */
void stream_shutdown_now(void);

/* True while authenticated. */
int stream_is_up(void);

/* Frees everything (after the loop ended). */
void stream_free(void);

#endif
