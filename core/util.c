/*
 * core/util.c: small shared services: the event loop, hashing, random ids,
 * XEP-0082 time stamps and string hashes.
 *
 * Hashing goes through OpenSSL's EVP interfaces only (the low-level SHA1()
 * and HMAC_CTX calls are deprecated in OpenSSL 3). Random identifiers come
 * from getrandom(), which never blocks once the kernel pool is initialised
 * and needs no open file descriptor.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <ev.h>
#include <openssl/evp.h>

#include <palaver/log.h>
#include <palaver/util.h>

#include "util_internal.h"

/* libev's own allocator aborts the process at the first failed allocation
 * (a watcher array growing by 32 bytes). A short shortage should not end
 * the service: retry for about a second, then give up as libev would. */
static void *loop_realloc(void *ptr, long size)
{
    if (size <= 0) {
        free(ptr);
        return NULL;
    }
    for (int tries = 0; tries < 100; tries++) {
        void *p = realloc(ptr, (size_t)size);
        if (p)
            return p;
        if (tries == 0)
            pv_log(PV_LOG_ERROR, "core", "out of memory in the event loop (%ld bytes); retrying",
                   size);
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
    pv_log(PV_LOG_ERROR, "core",
           "out of memory in the event loop (%ld bytes) for a second; "
           "stopping",
           size);
    abort();
}

struct ev_loop *pv_loop(void)
{
    static int allocator_set;
    if (!allocator_set) { /* before the loop's first allocation */
        ev_set_allocator(loop_realloc);
        allocator_set = 1;
    }
    return ev_default_loop(0);
}

static void to_hex(const unsigned char *md, unsigned n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < n; i++) {
        out[2 * i] = digits[md[i] >> 4];
        out[2 * i + 1] = digits[md[i] & 15];
    }
    out[2 * n] = '\0';
}

/* OpenSSL sets up each algorithm at its first use (the default provider,
 * its method tables, the algorithm names), and when an allocation fails in
 * there it keeps what it had already allocated: a request that happened to
 * be the first to hash would leak under memory pressure, and a failure
 * there would only be learnt then. So the set-up is done once here, before
 * anything is served, for what Palaver hashes with: SHA-1 (the handshake,
 * avatar and room names), SHA-256 (block lists) and HMAC-SHA-256 (occupant
 * ids). Later calls find the algorithms ready. */
int util_crypto_init(void)
{
    static const unsigned char probe[] = "palaver";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    char hex[65];
    if (EVP_Digest(probe, sizeof probe - 1, md, &n, EVP_sha1(), NULL) != 1 || n != 20 ||
        EVP_Digest(probe, sizeof probe - 1, md, &n, EVP_sha256(), NULL) != 1 || n != 32 ||
        pv_hmac_sha256_hex(probe, sizeof probe - 1, probe, sizeof probe - 1, hex) < 0) {
        pv_log(PV_LOG_ERROR, "core",
               "OpenSSL cannot set up SHA-1, SHA-256 and HMAC-SHA-256 "
               "(out of memory, or the default provider is not available)");
        return -1;
    }
    return 0;
}

int pv_sha1_hex(const void *data, size_t len, char out[41])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    if (!EVP_Digest(data, len, md, &n, EVP_sha1(), NULL) || n != 20) {
        pv_log(PV_LOG_ERROR, "core", "SHA-1 computation failed (OpenSSL)");
        out[0] = '\0';
        return -1;
    }
    to_hex(md, n, out);
    return 0;
}

int pv_hmac_sha256_hex(const void *key, size_t keylen, const void *data, size_t len, char out[65])
{
    /* HMAC pads the key with zero bytes to the block size, so an empty key
     * is the same as a single zero byte; OpenSSL refuses zero-length keys. */
    static const unsigned char zero = 0;
    if (keylen == 0) {
        key = &zero;
        keylen = 1;
    }
    int rc = -1;
    unsigned char md[EVP_MAX_MD_SIZE];
    size_t n = sizeof md;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY *pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_HMAC, NULL, key, keylen);
    if (ctx && pkey && EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pkey) == 1 &&
        EVP_DigestSignUpdate(ctx, data, len) == 1 && EVP_DigestSignFinal(ctx, md, &n) == 1 &&
        n == 32) {
        to_hex(md, (unsigned)n, out);
        rc = 0;
    } else {
        pv_log(PV_LOG_ERROR, "core", "HMAC-SHA-256 computation failed (OpenSSL)");
        out[0] = '\0';
    }
    EVP_PKEY_free(pkey);
    EVP_MD_CTX_free(ctx);
    return rc;
}

/* Fills buf with random bytes; falls back to a weak generator (logged) only
 * when the kernel cannot provide any, so that ids stay unique-ish. */
static void random_bytes(unsigned char *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t r = getrandom(buf + got, len - got, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        got += (size_t)r;
    }
    if (got == len)
        return;
    pv_log(PV_LOG_ERROR, "core", "getrandom failed (%s): using a weak fallback", strerror(errno));
    static uint64_t state;
    if (!state)
        state = (uint64_t)pv_now_us() ^ ((uint64_t)(uintptr_t)buf << 16) ^ 0x9e3779b97f4a7c15u;
    for (; got < len; got++) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        buf[got] = (unsigned char)(state >> 24);
    }
}

void pv_random_id(char *out, size_t len)
{
    /* 64 symbols: each random byte's low 6 bits pick one without bias. */
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char buf[64];
    size_t done = 0;
    while (done < len) {
        size_t chunk = len - done < sizeof buf ? len - done : sizeof buf;
        random_bytes(buf, chunk);
        for (size_t i = 0; i < chunk; i++)
            out[done + i] = alphabet[buf[i] & 63];
        done += chunk;
    }
    out[len] = '\0';
}

void pv_timestamp(time_t t, int ms, char out[32])
{
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        snprintf(out, 32, "1970-01-01T00:00:00Z");
        return;
    }
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    if (ms >= 0)
        snprintf(out + n, 32 - n, ".%03dZ", ms % 1000);
    else
        snprintf(out + n, 32 - n, "Z");
}

/* Reads exactly n digits at *p into *v; advances *p. Returns 0 or -1. */
static int digits(const char **p, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        x = x * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *v = x;
    return 0;
}

static int expect(const char **p, char c)
{
    if (**p != c)
        return -1;
    (*p)++;
    return 0;
}

static int days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
        return 29;
    return days[month - 1];
}

int pv_timestamp_parse(const char *s, time_t *t)
{
    if (!s)
        return -1;
    const char *p = s;
    int Y, M, D, h, m, sec;
    if (digits(&p, 4, &Y) || expect(&p, '-') || digits(&p, 2, &M) || expect(&p, '-') ||
        digits(&p, 2, &D) || expect(&p, 'T') || digits(&p, 2, &h) || expect(&p, ':') ||
        digits(&p, 2, &m) || expect(&p, ':') || digits(&p, 2, &sec))
        return -1;
    if (M < 1 || M > 12 || D < 1 || D > days_in_month(Y, M) || h > 23 || m > 59 || sec > 60)
        return -1;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return -1;
        while (isdigit((unsigned char)*p))
            p++;
    }
    long offset = 0;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, oh, om;
        p++;
        if (digits(&p, 2, &oh) || expect(&p, ':') || digits(&p, 2, &om) || oh > 23 || om > 59)
            return -1;
        offset = sign * (oh * 3600L + om * 60L);
    } else {
        return -1;
    }
    if (*p)
        return -1;
    struct tm tm = {.tm_year = Y - 1900,
                    .tm_mon = M - 1,
                    .tm_mday = D,
                    .tm_hour = h,
                    .tm_min = m,
                    .tm_sec = sec > 59 ? 59 : sec};
    time_t base = timegm(&tm);
    if (base == (time_t)-1 && !(Y == 1969 && M == 12 && D == 31))
        return -1;
    *t = base - offset;
    return 0;
}

int64_t pv_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

uint32_t pv_hash_str(const char *s)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        h ^= *p;
        h *= 16777619u;
    }
    return h;
}

uint32_t pv_hash_str_ci(const char *s)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        h ^= c;
        h *= 16777619u;
    }
    return h;
}
