/*
 * tests/unit/test_xml_log.h: log capture shared by the XML layer's tests.
 *
 * The serializer must log the name of an element it refuses; these helpers
 * let a test read what was logged. pv_log (core/log.c) writes to stderr
 * until a log file is opened, so capturing stderr captures the log.
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

static int capture_saved_fd = -1;
static FILE *capture_file;

/* Starts recording what is logged. */
__attribute__((unused)) static void log_capture_begin(void)
{
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
    char *out = calloc(1, 65536);
    if (!out)
        return NULL;
    if (capture_file) {
        dup2(capture_saved_fd, 2);
        close(capture_saved_fd);
        rewind(capture_file);
        size_t n = fread(out, 1, 65535, capture_file);
        out[n] = '\0';
        fclose(capture_file);
        capture_file = NULL;
    }
    return out;
}

#endif
