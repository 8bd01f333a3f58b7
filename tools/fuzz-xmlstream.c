/*
 * tools/fuzz-xmlstream.c: libFuzzer target for the stream parser.
 *
 * Feeds each input to a fresh xs_parser_t, split into pieces whose sizes
 * come from the first input byte, then to pv_el_parse, and serializes every
 * stanza that comes out (which must never fail to serialize: whatever the
 * parser accepts is valid XML 1.0). Crashes, leaks, sanitizer reports and a
 * failed serialization of a parsed stanza are findings.
 *
 * Build (needs clang; not part of the default build), from a build dir:
 *   make fuzz-xmlstream
 * Run for a bounded time (e.g. in CI), with a corpus directory:
 *   mkdir -p fuzz-corpus && ./fuzz-xmlstream -max_total_time=60 -max_len=8192 fuzz-corpus
 * A finding is written as crash-<sha1>; replay it with ./fuzz-xmlstream crash-<sha1>.
 *
 * pv_log is defined here (silent): the fuzzer links only the XML layer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <palaver/log.h>
#include <palaver/xml.h>

#include "xmlstream.h"

void pv_log(pv_log_level_t level, const char *who, const char *fmt, ...)
{
    (void)level;
    (void)who;
    (void)fmt;
}

bool pv_log_enabled(pv_log_level_t level)
{
    (void)level;
    return false;
}

static void check_serializes(const pv_el_t *el)
{
    size_t len;
    char *s = pv_el_serialize(el, &len);
    if (!s)
        abort(); /* the parser accepted something we cannot write back */
    pv_el_t *back = pv_el_parse(s, len, NULL, 0);
    /* Re-parsing can only fail on limits (xmlns declarations add bytes). */
    pv_el_free(back);
    free(s);
}

static void on_open(void *ud, const pv_el_t *header)
{
    (void)ud;
    check_serializes(header);
}

static void on_stanza(void *ud, pv_el_t *stanza)
{
    (void)ud;
    check_serializes(stanza);
    pv_el_free(stanza);
}

static void on_close(void *ud)
{
    (void)ud;
}

static void on_error(void *ud, const char *condition, const char *text)
{
    int *errors = ud;
    (*errors)++;
    if (*errors > 1 || !condition || !text)
        abort(); /* at most one error callback per parser */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t piece = (size_t)(data[0] % 64) + 1;
    data++;
    size--;
    xs_limits_t lim;
    xs_limits_default(&lim);
    lim.max_stanza_bytes = 4096; /* reach the limits with small inputs */
    lim.max_depth = 8;
    lim.max_attrs = 8;
    lim.max_text = 1024;
    int errors = 0;
    xs_callbacks_t cb = {on_open, on_stanza, on_close, on_error};
    xs_parser_t *p = xs_new(&lim, &cb, &errors);
    if (!p)
        return 0;
    int dead = 0;
    for (size_t off = 0; off < size; off += piece) {
        size_t n = size - off < piece ? size - off : piece;
        int rc = xs_feed(p, (const char *)data + off, n);
        if (dead && rc != -1)
            abort(); /* a dead parser must stay dead */
        if (rc == -1)
            dead = 1;
    }
    xs_free(p);

    pv_el_t *el = pv_el_parse((const char *)data, size, NULL, 0);
    if (el) {
        check_serializes(el);
        pv_el_free(el);
    }
    return 0;
}
