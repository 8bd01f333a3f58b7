/*
 * core/textbuf.h: a text that grows as it is written, for output built piece
 * by piece: a serialised stanza (serialize.c), the metrics page
 * (metrics_text.c), the statistics line of the log (stats.c).
 *
 * A write that cannot get memory sets `failed`, and every later write does
 * nothing, so a builder writes everything and checks once at the end. The
 * text is NUL-terminated after textbuf_printf, not after textbuf_put.
 */
#ifndef PV_CORE_TEXTBUF_H
#define PV_CORE_TEXTBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct textbuf {
    char *buf; /* malloc'd, or NULL before the first write; the caller frees it */
    size_t len, cap;
    bool failed; /* out of memory: the text is incomplete */
} textbuf_t;

/* Room for `extra` more bytes; false (failed set) when there is none. */
bool textbuf_reserve(textbuf_t *b, size_t extra);
/* Appends n bytes of s. */
void textbuf_put(textbuf_t *b, const char *s, size_t n);
/* Appends the string s. */
void textbuf_puts(textbuf_t *b, const char *s);
/* Appends printf-style (and NUL-terminates). */
void textbuf_vprintf(textbuf_t *b, const char *fmt, va_list ap);
void textbuf_printf(textbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
