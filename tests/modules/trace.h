/*
 * tests/modules/trace.h: lets the test modules tell the test what happened.
 *
 * Each call appends one line ("init good count=3") to the file named by
 * $PV_TEST_TRACE, so a test can check which callbacks ran and in what order
 * without the modules linking anything but libc.
 */
#ifndef PV_TEST_TRACE_H
#define PV_TEST_TRACE_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static inline void trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void trace(const char *fmt, ...)
{
    const char *path = getenv("PV_TEST_TRACE");
    FILE *f = path ? fopen(path, "a") : NULL;
    if (!f)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
    fclose(f);
}

#endif
