/*
 * tools/migrate/report.c: what palaver-migrate prints. Each converted room
 * with every field it carries, each field or item that could not be mapped
 * (with why), each failure (with the file or table and the room), and a
 * summary whose counts decide the exit status.
 */
#include <stdarg.h>
#include <stdio.h>

#include "migrate.h"

void report_room(mig_report_t *rep, const mig_room_t *r)
{
    FILE *o = rep->out;
    fprintf(o, "room %s\n", r->name);
    for (size_t i = 0; i < r->ncfg; i++)
        fprintf(o, "  config %s = %s\n", r->cfg[i].key, r->cfg[i].value);
    for (size_t i = 0; i < r->naffs; i++) {
        fprintf(o, "  affiliation %s %s", r->affs[i].jid, r->affs[i].aff);
        if (r->affs[i].reason)
            fprintf(o, " reason %s", r->affs[i].reason);
        fputc('\n', o);
    }
    for (size_t i = 0; i < r->nregs; i++)
        fprintf(o, "  nick %s %s\n", r->regs[i].jid, r->regs[i].nick);
}

void report_skip(mig_report_t *rep, const char *where, const char *room, const char *what,
                 const char *fmt, ...)
{
    rep->skipped++;
    fprintf(rep->out, "skipped: %s: room %s: %s: ", where, room ? room : "-", what);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(rep->out, fmt, ap);
    va_end(ap);
    fputc('\n', rep->out);
}

void report_fail(mig_report_t *rep, const char *where, const char *room, const char *fmt, ...)
{
    rep->failed++;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(rep->out, "error: %s: room %s: %s\n", where, room ? room : "-", msg);
    fflush(rep->out);
    /* Also on stderr, so that failures show when stdout goes to a file. */
    fprintf(stderr, "palaver-migrate: %s: room %s: %s\n", where, room ? room : "-", msg);
}

int report_summary(mig_report_t *rep)
{
    fprintf(rep->out,
            "summary: %s%zu rooms, %zu list entries, %zu nicks converted; "
            "%zu items skipped; %zu failures\n",
            rep->dry_run ? "dry run: would convert; " : "", rep->rooms, rep->lists, rep->nicks,
            rep->skipped, rep->failed);
    fflush(rep->out);
    return rep->failed ? 1 : 0;
}
