/*
 * core/util_internal.h: the core's side of core/util.c (palaver/util.h is
 * the plugins' side).
 */
#ifndef PV_CORE_UTIL_INTERNAL_H
#define PV_CORE_UTIL_INTERNAL_H

/* Sets up OpenSSL's SHA-1, SHA-256 and HMAC-SHA-256 once, before anything is
 * served (see util.c). Returns 0, or -1 logged. */
int util_crypto_init(void);

#endif
