/*
 * plugins/history/disklog.c: optional public logs on disk, one file per
 * room per day (UTC): DIR/<room>/<YYYY-MM-DD>.txt or .html, for rooms whose
 * logging is on. Lines are "[hh:mm:ss] <nick> body"; the HTML form escapes
 * every byte of user text (& < > " '). Files are opened per write and
 * appended to, so rotation and removal by an administrator are harmless.
 */
#include "history.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static char *log_dir;
static bool html;

int disklog_configure(const char *dir, const char *format)
{
    free(log_dir);
    log_dir = NULL;
    if (!dir)
        return 0;
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
        pv_log(PV_LOG_ERROR, HIST, "disk logs: cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    log_dir = strdup(dir);
    html = format && !strcmp(format, "html");
    return log_dir ? 0 : -1;
}

void disklog_close(void)
{
    free(log_dir);
    log_dir = NULL;
}

static void put_escaped(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&#39;", f);
            break;
        case '\n':
            fputs(html ? "<br/>" : "\n  ", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

static void put_text(FILE *f, const char *s)
{
    if (html) {
        put_escaped(f, s);
        return;
    }
    for (; *s; s++) {
        if (*s == '\n')
            fputs("\n  ", f);
        else if ((unsigned char)*s >= 0x20 || *s == '\t')
            fputc(*s, f);
    }
}

void disklog_message(const char *room_name, const char *room_jid, const char *nick,
                     int64_t stamp_us, const pv_el_t *msg)
{
    if (!log_dir)
        return;
    const char *body = pv_el_child_text(msg, PV_NS_STANZA, "body");
    if (!body)
        return;
    /* room names are nodeprep'd: no '/', but refuse dot names anyway */
    if (!*room_name || !strcmp(room_name, ".") || !strcmp(room_name, "..") ||
        strchr(room_name, '/'))
        return;
    time_t t = (time_t)(stamp_us / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t len = strlen(log_dir) + strlen(room_name) + 32;
    char *path = malloc(len);
    if (!path)
        return;
    snprintf(path, len, "%s/%s", log_dir, room_name);
    if (mkdir(path, 0755) < 0 && errno != EEXIST) {
        pv_log(PV_LOG_ERROR, HIST, "disk logs: cannot create %s: %s", path, strerror(errno));
        free(path);
        return;
    }
    char day[16];
    strftime(day, sizeof day, "%Y-%m-%d", &tm);
    snprintf(path, len, "%s/%s/%s.%s", log_dir, room_name, day, html ? "html" : "txt");
    struct stat sb;
    bool fresh = stat(path, &sb) < 0;
    FILE *f = fopen(path, "a");
    if (!f) {
        pv_log(PV_LOG_ERROR, HIST, "disk logs: cannot open %s: %s", path, strerror(errno));
        free(path);
        return;
    }
    if (fresh && html) {
        fputs("<!DOCTYPE html>\n<html><head><meta charset='utf-8'/><title>", f);
        put_escaped(f, room_jid);
        fprintf(f, " %s</title></head><body>\n", day);
    }
    char hms[16];
    strftime(hms, sizeof hms, "%H:%M:%S", &tm);
    if (html) {
        fprintf(f, "<div class='msg'><span class='time'>[%s]</span> <span class='nick'>", hms);
        put_escaped(f, nick ? nick : "");
        fputs("</span> <span class='body'>", f);
        put_escaped(f, body);
        fputs("</span></div>\n", f);
    } else {
        fprintf(f, "[%s] <", hms);
        put_text(f, nick ? nick : "");
        fputs("> ", f);
        put_text(f, body);
        fputc('\n', f);
    }
    if (fclose(f) != 0)
        pv_log(PV_LOG_ERROR, HIST, "disk logs: writing %s failed: %s", path, strerror(errno));
    free(path);
}
