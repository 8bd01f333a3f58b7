/*
 * tests/alloc/failmalloc.c: allocation-failure injection for the daemon, as
 * SQLite's test harness does it: fail the Nth allocation, once (or, in
 * "persist" mode, every allocation from the Nth on), and see that nothing
 * crashes and nothing leaks. Loaded with LD_PRELOAD by
 * tests/alloc/test_alloc_failure.py; never installed.
 *
 * Why a preloaded object and not a hook in the daemon: the failures must
 * reach every allocation, libxml2's, libev's and sqlite's included, and the
 * daemon must stay the one that ships. The wrappers forward to the next
 * definition (dlsym RTLD_NEXT): libc's in a plain build, AddressSanitizer's
 * in a sanitizer build, where the test preloads this object ahead of libasan
 * (ASAN_OPTIONS=verify_asan_link_order=0), so ASan still owns every block
 * and LeakSanitizer still reports leaks. The wrappers themselves are not
 * instrumented: the loader and libc may call malloc before ASan has set up
 * its shadow memory. strdup and strndup are wrapped too (ASan's own
 * versions would bypass malloc); they count as one allocation each.
 *
 * Control, so that start-up is never failed: nothing is counted until the
 * daemon receives SIGRTMIN+3 ("arm"). The handler then reads the file named
 * by $PALAVER_FAILMALLOC: "N" or "N persist" (N = 0 counts without failing).
 * SIGRTMIN+4 ("disarm") stops counting and writes "COUNT FAILED\n" (the
 * allocations seen since arming, and how many were failed) into that file.
 * Both handlers use only async-signal-safe calls (open, read, write).
 * Without $PALAVER_FAILMALLOC no handler is installed and every call is
 * forwarded unchanged.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SHIM __attribute__((no_sanitize("address", "undefined")))
#define ARM_SIGNAL (SIGRTMIN + 3)
#define DISARM_SIGNAL (SIGRTMIN + 4)

void *malloc(size_t size);
void *calloc(size_t n, size_t size);
void *realloc(void *ptr, size_t size);
void free(void *ptr);
char *strdup(const char *s);
char *strndup(const char *s, size_t n);

static void *(*next_malloc)(size_t);
static void *(*next_calloc)(size_t, size_t);
static void *(*next_realloc)(void *, size_t);
static void (*next_free)(void *);

static volatile sig_atomic_t armed;
static volatile sig_atomic_t persist;
static volatile long fail_at;   /* 0: count only */
static volatile long counted;   /* allocations since arming */
static volatile long failed;    /* of which failed */
static const char *ctl_path;

/* dlsym may allocate before the next malloc is known: a small arena serves
 * those few calls, and free() ignores its blocks. */
static _Alignas(16) unsigned char boot_arena[4096];
static size_t boot_used;
static int resolving;

SHIM static void *boot_alloc(size_t size)
{
    size = (size + 15) & ~(size_t)15;
    if (size > sizeof boot_arena - boot_used)
        return NULL;
    void *p = boot_arena + boot_used;
    boot_used += size;
    return p; /* static storage: already zero */
}

SHIM static int in_arena(const void *p)
{
    return (const unsigned char *)p >= boot_arena &&
           (const unsigned char *)p < boot_arena + sizeof boot_arena;
}

SHIM static void resolve(void)
{
    if (next_free || resolving)
        return;
    resolving = 1;
    next_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
    next_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
    next_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
    next_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
    resolving = 0;
    if (!next_malloc || !next_calloc || !next_realloc || !next_free)
        abort();
}

/* One allocation seen: 1 when it is to fail. */
SHIM static int should_fail(void)
{
    if (!armed)
        return 0;
    long n = ++counted;
    if (fail_at <= 0 || n < fail_at || (n > fail_at && !persist))
        return 0;
    failed++;
    errno = ENOMEM;
    return 1;
}

SHIM void *malloc(size_t size)
{
    resolve();
    if (resolving)
        return boot_alloc(size);
    return should_fail() ? NULL : next_malloc(size);
}

SHIM void *calloc(size_t n, size_t size)
{
    resolve();
    if (resolving)
        return size && n > SIZE_MAX / size ? NULL : boot_alloc(n * size);
    return should_fail() ? NULL : next_calloc(n, size);
}

SHIM void *realloc(void *ptr, size_t size)
{
    resolve();
    if (resolving)
        return NULL; /* dlsym does not grow blocks */
    if (ptr && in_arena(ptr)) { /* the block is at most what is left of the arena */
        size_t left = (size_t)(boot_arena + sizeof boot_arena - (unsigned char *)ptr);
        void *p = malloc(size);
        if (p)
            memcpy(p, ptr, size < left ? size : left);
        return p;
    }
    if (ptr && size == 0) { /* a free, not an allocation */
        next_free(ptr);
        return NULL;
    }
    return should_fail() ? NULL : next_realloc(ptr, size);
}

SHIM void free(void *ptr)
{
    if (!ptr || in_arena(ptr))
        return;
    resolve();
    next_free(ptr);
}

SHIM char *strdup(const char *s)
{
    size_t len = strlen(s) + 1;
    char *p = malloc(len);
    if (p)
        memcpy(p, s, len);
    return p;
}

SHIM char *strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = malloc(len + 1);
    if (p) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

/* ---- control (signal handlers: async-signal-safe calls only) ---------- */

SHIM static long parse_long(const char **s)
{
    long v = 0;
    while (**s == ' ')
        (*s)++;
    while (**s >= '0' && **s <= '9')
        v = v * 10 + (*(*s)++ - '0');
    return v;
}

SHIM static void on_arm(int sig)
{
    (void)sig;
    int saved = errno;
    char buf[64] = {0};
    int fd = open(ctl_path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t got = read(fd, buf, sizeof buf - 1);
        (void)got;
        close(fd);
    }
    const char *s = buf;
    fail_at = parse_long(&s);
    persist = strstr(s, "persist") != NULL;
    counted = 0;
    failed = 0;
    armed = 1;
    errno = saved;
}

SHIM static size_t put_long(char *out, long v)
{
    char digits[24];
    size_t n = 0, len = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0 && n < sizeof digits);
    while (n > 0)
        out[len++] = digits[--n];
    return len;
}

SHIM static void on_disarm(int sig)
{
    (void)sig;
    int saved = errno;
    armed = 0;
    char out[64];
    size_t len = put_long(out, counted);
    out[len++] = ' ';
    len += put_long(out + len, failed);
    out[len++] = '\n';
    int fd = open(ctl_path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t put = write(fd, out, len);
        (void)put;
        close(fd);
    }
    errno = saved;
}

SHIM __attribute__((constructor)) static void failmalloc_init(void)
{
    ctl_path = getenv("PALAVER_FAILMALLOC");
    if (!ctl_path || !*ctl_path)
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sa.sa_handler = on_arm;
    sigaction(ARM_SIGNAL, &sa, NULL);
    sa.sa_handler = on_disarm;
    sigaction(DISARM_SIGNAL, &sa, NULL);
}
