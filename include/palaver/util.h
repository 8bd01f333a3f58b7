/*
 * palaver/util.h: small services of the core that plugins share: the event
 * loop, hashing, random identifiers, time stamps.
 */
#ifndef PALAVER_UTIL_H
#define PALAVER_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ev_loop;

/* The daemon's libev loop. Plugins may start watchers on it (timers for
 * flood control, idle unloading...) and must stop them in shutdown. */
struct ev_loop *pv_loop(void);

/* Lowercase hex SHA-1 of data into out (41 bytes with the NUL). Returns 0 or -1. */
int pv_sha1_hex(const void *data, size_t len, char out[41]);

/* Lowercase hex HMAC-SHA-256 of data with key into out (65 bytes). Returns 0 or -1. */
int pv_hmac_sha256_hex(const void *key, size_t keylen, const void *data, size_t len, char out[65]);

/* Fills out with `len` random URL-safe characters and a NUL (out must hold
 * len+1 bytes). Uses getrandom(). */
void pv_random_id(char *out, size_t len);

/* XEP-0082 UTC timestamp "YYYY-MM-DDThh:mm:ss[.mmm]Z" of t (milliseconds shown
 * when ms >= 0). out must hold 32 bytes. */
void pv_timestamp(time_t t, int ms, char out[32]);

/* Parses an XEP-0082 date-time (with optional fraction and Z or +hh:mm).
 * Returns 0 and sets *t, or -1 when malformed. */
int pv_timestamp_parse(const char *s, time_t *t);

/* Wall-clock time in microseconds since the epoch. */
int64_t pv_now_us(void);

/* 32-bit FNV-1a hash of a string (for plugins' own hash tables); case-folded
 * ASCII variant for case-insensitive keys. */
uint32_t pv_hash_str(const char *s);
uint32_t pv_hash_str_ci(const char *s);

#ifdef __cplusplus
}
#endif
#endif
