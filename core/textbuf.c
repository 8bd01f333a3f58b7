/*
 * core/textbuf.c: a text that grows as it is written (see textbuf.h).
 *
 * The capacity doubles from 512 bytes, so a text of n bytes costs about
 * log2(n / 512) reallocations.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "textbuf.h"

bool textbuf_reserve(textbuf_t *b, size_t extra)
{
    if (b->failed)
        return false;
    if (b->cap - b->len >= extra)
        return true;
    size_t cap = b->cap ? b->cap : 512;
    while (cap - b->len < extra) {
        if (cap > SIZE_MAX / 2) {
            b->failed = true;
            return false;
        }
        cap *= 2;
    }
    char *grown = realloc(b->buf, cap);
    if (!grown) {
        b->failed = true;
        return false;
    }
    b->buf = grown;
    b->cap = cap;
    return true;
}

void textbuf_put(textbuf_t *b, const char *s, size_t n)
{
    if (n && textbuf_reserve(b, n)) {
        memcpy(b->buf + b->len, s, n);
        b->len += n;
    }
}

void textbuf_puts(textbuf_t *b, const char *s)
{
    textbuf_put(b, s, strlen(s));
}

void textbuf_vprintf(textbuf_t *b, const char *fmt, va_list ap)
{
    if (b->failed)
        return;
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(b->buf ? b->buf + b->len : NULL, b->buf ? b->cap - b->len : 0, fmt, ap);
    if (n >= 0 && b->buf && b->len + (size_t)n < b->cap)
        b->len += (size_t)n;
    else if (n < 0)
        b->failed = true;
    else if (textbuf_reserve(b, (size_t)n + 1)) {
        vsnprintf(b->buf + b->len, b->cap - b->len, fmt, again);
        b->len += (size_t)n;
    }
    va_end(again);
}

void textbuf_printf(textbuf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    textbuf_vprintf(b, fmt, ap);
    va_end(ap);
}
