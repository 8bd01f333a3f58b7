/*
 * core/log.c: one line per message, "YYYY-MM-DD hh:mm:ss LEVEL who: message".
 *
 * Every module logs through pv_log(); the level filter is a single integer
 * compare so that disabled debug and traffic lines cost almost nothing (call
 * pv_log_enabled() first when the arguments are costly to build). Each line
 * is formatted completely first and then written with one fwrite + fflush, so
 * lines never interleave and a crash loses at most the line being written.
 * Timestamps are local time, like syslog and most daemons.
 *
 * With <log>syslog</log> the same "LEVEL who: message" text goes to the
 * system logger instead (log_syslog.c), with the level as the priority and
 * the logger's own time stamp; a line the logger cannot take goes to stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log_internal.h"
#include <palaver/log.h>

static FILE *log_fp; /* NULL: stderr (or syslog, when to_syslog) */
static bool to_syslog;
static char *log_path; /* copy of the open file's path, for log_reopen */
static int log_max = PV_LOG_INFO;

#define SYSLOG_MAX 8192

static const char *const level_names[] = {"ERROR", "WARN", "INFO", "DEBUG", "TRAFFIC"};

static FILE *out(void)
{
    return log_fp ? log_fp : stderr;
}

bool pv_log_enabled(pv_log_level_t level)
{
    return (int)level <= log_max;
}

void log_set_verbosity(int verbosity)
{
    if (verbosity < 0)
        verbosity = 0;
    if (verbosity > PV_LOG_TRAFFIC - PV_LOG_INFO)
        verbosity = PV_LOG_TRAFFIC - PV_LOG_INFO;
    log_max = PV_LOG_INFO + verbosity;
}

/* Writes the prefix into buf (at least 64 bytes); returns its length. */
static size_t format_prefix(char *buf, size_t size, pv_log_level_t level, const char *who,
                            size_t *header_len)
{
    size_t n = 0;
    if (to_syslog) {
        n = syslog_client_header(buf, size, level);
    } else {
        time_t now = time(NULL);
        struct tm tm;
        if (localtime_r(&now, &tm))
            n = strftime(buf, size, "%Y-%m-%d %H:%M:%S ", &tm);
        if (n == 0)
            n = (size_t)snprintf(buf, size, "0000-00-00 00:00:00 ");
    }
    *header_len = n;
    const char *lv =
        (unsigned)level < sizeof level_names / sizeof *level_names ? level_names[level] : "?";
    int m = snprintf(buf + n, size - n, "%s %s: ", lv, who ? who : "?");
    if (m < 0)
        return n;
    n += (size_t)m;
    return n < size ? n : size - 1;
}

void pv_log(pv_log_level_t level, const char *who, const char *fmt, ...)
{
    if (!pv_log_enabled(level))
        return;
    char stackbuf[1024];
    size_t hlen = 0;
    size_t plen = format_prefix(stackbuf, sizeof stackbuf, level, who, &hlen);

    va_list ap;
    va_start(ap, fmt);
    int mlen = vsnprintf(stackbuf + plen, sizeof stackbuf - plen, fmt, ap);
    va_end(ap);
    if (mlen < 0)
        return;

    char *line = stackbuf;
    size_t total = plen + (size_t)mlen;
    if (total + 1 >= sizeof stackbuf) {
        /* Long line (e.g. traffic): format again into a heap buffer. */
        char *big = malloc(total + 2);
        if (big) {
            memcpy(big, stackbuf, plen);
            va_start(ap, fmt);
            vsnprintf(big + plen, total + 1 - plen, fmt, ap);
            va_end(ap);
            line = big;
        } else {
            total = sizeof stackbuf - 2; /* truncated rather than lost */
        }
    }
    /* One message, one line: a peer-controlled string cannot fake entries. */
    for (size_t i = plen; i < total; i++)
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    if (to_syslog) {
        /* The logger takes up to 8 KiB per message by default (rsyslog). */
        size_t len = total < SYSLOG_MAX ? total : SYSLOG_MAX;
        if (syslog_client_send(line, len) == 0) {
            if (line != stackbuf)
                free(line);
            return;
        }
        /* Not reachable: keep the line, on stderr without the syslog header. */
        memmove(line, line + hlen, total - hlen);
        total -= hlen;
    }
    line[total] = '\n';
    FILE *fp = out();
    fwrite(line, 1, total + 1, fp);
    fflush(fp);
    if (line != stackbuf)
        free(line);
}

static FILE *open_file(const char *path)
{
    /* Close-on-exec, so children never inherit the log; 0640 because logs
     * name users and rooms. */
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        return NULL;
    FILE *fp = fdopen(fd, "a");
    if (!fp) {
        int saved = errno;
        close(fd);
        errno = saved;
        return NULL;
    }
    setvbuf(fp, NULL, _IOFBF, 8192);
    return fp;
}

int log_open(const char *path)
{
    if (!path) {
        log_close();
        return 0;
    }
    char *copy = strdup(path);
    if (!copy) {
        pv_log(PV_LOG_ERROR, "core", "cannot open log file %s: out of memory", path);
        return -1;
    }
    FILE *fp = open_file(path);
    if (!fp) {
        pv_log(PV_LOG_ERROR, "core", "cannot open log file %s: %s", path, strerror(errno));
        free(copy);
        return -1;
    }
    log_close();
    log_fp = fp;
    log_path = copy;
    return 0;
}

int log_dest_is_syslog(const char *dest)
{
    return dest && strcmp(dest, "syslog") == 0;
}

int log_configure(const char *dest, int facility, const char *socket_path)
{
    if (!dest || strcmp(dest, "stderr") == 0 || strcmp(dest, "-") == 0)
        return log_open(NULL);
    if (!log_dest_is_syslog(dest))
        return log_open(dest);
    log_close();
    syslog_client_open(facility, socket_path);
    to_syslog = true;
    return 0;
}

int log_reopen(void)
{
    if (to_syslog) {
        syslog_client_reopen();
        return 0;
    }
    if (!log_fp || !log_path)
        return 0;
    FILE *fp = open_file(log_path);
    if (!fp) {
        pv_log(PV_LOG_ERROR, "core", "cannot reopen log file %s: %s (still writing to the old one)",
               log_path, strerror(errno));
        return -1;
    }
    fclose(log_fp);
    log_fp = fp;
    return 0;
}

void log_close(void)
{
    if (to_syslog)
        syslog_client_close();
    to_syslog = false;
    if (log_fp)
        fclose(log_fp);
    log_fp = NULL;
    free(log_path);
    log_path = NULL;
}
