/*
 * tests/unit/test_xml_log.h: log capture shared by the XML layer's tests.
 *
 * The serializer must log the name of an element it refuses; these helpers
 * let a test read what was logged. pv_log comes from core/log.c when it is
 * linked; the weak definitions below only fill in while core/log.c does not
 * provide it, and record into a buffer instead. Capture reads both that
 * buffer and whatever the real pv_log wrote to stderr.
 */
#ifndef TEST_XML_LOG_H
#define TEST_XML_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <palaver/log.h>

static char test_logbuf[16384];
static size_t test_loglen;

__attribute__((weak)) void pv_log(pv_log_level_t level, const char *who, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    int n = snprintf(test_logbuf + test_loglen, sizeof test_logbuf - test_loglen, "%d %s: %s\n",
                     (int)level, who, line);
    if (n > 0 && test_loglen + (size_t)n < sizeof test_logbuf)
        test_loglen += (size_t)n;
}

__attribute__((weak)) bool pv_log_enabled(pv_log_level_t level)
{
    return true;
}

static int capture_saved_fd = -1;
static FILE *capture_file;

/* Starts recording what is logged (the buffer above and stderr). */
__attribute__((unused)) static void log_capture_begin(void)
{
    test_loglen = 0;
    test_logbuf[0] = '\0';
    fflush(stderr);
    capture_file = tmpfile();
    if (!capture_file)
        return;
    capture_saved_fd = dup(2);
    dup2(fileno(capture_file), 2);
}

/* Stops recording; returns everything logged since begin (caller frees). */
__attribute__((unused)) static char *log_capture_end(void)
{
    fflush(stderr);
    char *out = calloc(1, sizeof test_logbuf + 65536);
    if (!out)
        return NULL;
    memcpy(out, test_logbuf, test_loglen);
    if (capture_file) {
        dup2(capture_saved_fd, 2);
        close(capture_saved_fd);
        rewind(capture_file);
        size_t n = fread(out + test_loglen, 1, 65535, capture_file);
        out[test_loglen + n] = '\0';
        fclose(capture_file);
        capture_file = NULL;
    }
    return out;
}

#endif
