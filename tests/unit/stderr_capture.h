/*
 * tests/unit/stderr_capture.h: collects what the code under test prints on
 * stderr (config errors, pv_log lines before a log file is opened), so tests
 * can assert the exact text a user would see.
 */
#ifndef PV_TEST_STDERR_CAPTURE_H
#define PV_TEST_STDERR_CAPTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int capture_saved_fd = -1;
static FILE *capture_file;

/* Starts sending fd 2 to a temporary file. */
static void capture_begin(void)
{
    fflush(stderr);
    capture_file = tmpfile();
    if (!capture_file)
        abort();
    capture_saved_fd = dup(2);
    dup2(fileno(capture_file), 2);
}

/* Restores stderr and returns what was written (caller frees). The captured
 * text is echoed to the real stderr as TAP comments, for failed runs. */
static char *capture_end(void)
{
    fflush(stderr);
    dup2(capture_saved_fd, 2);
    close(capture_saved_fd);
    long len = ftell(capture_file);
    char *buf = malloc(len > 0 ? (size_t)len + 1 : 1);
    if (!buf)
        abort();
    rewind(capture_file);
    size_t got = len > 0 ? fread(buf, 1, (size_t)len, capture_file) : 0;
    buf[got] = '\0';
    fclose(capture_file);
    for (char *line = buf, *nl; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        if (!nl) {
            fprintf(stderr, "# %s\n", line);
            break;
        }
        fprintf(stderr, "# %.*s\n", (int)(nl - line), line);
    }
    return buf;
}

/* Writes text to a new file in dir and returns its path (caller frees). */
static char *write_file(const char *dir, const char *name, const char *text)
{
    size_t len = strlen(dir) + strlen(name) + 2;
    char *path = malloc(len);
    if (!path)
        abort();
    snprintf(path, len, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        abort();
    return path;
}

#endif
