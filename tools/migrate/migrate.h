/*
 * tools/migrate/migrate.h: what the parts of palaver-migrate share.
 *
 * Every source (mu-conference spool, Palaver 0.6 database, one of our own
 * backends) reads its rooms into mig_room_t, plain owned data, and hands each
 * one to an emit callback; the callback prints it (report.c) and writes it
 * through the configured backend (target.c). The source frees the room after
 * the callback returns. Problems are counted in mig_report_t, never fatal for
 * the other rooms.
 */
#ifndef PV_MIGRATE_H
#define PV_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <palaver/store.h>

typedef struct mig_kv {
    char *key, *value;
} mig_kv_t;

typedef struct mig_aff {
    char *jid, *aff, *reason; /* reason may be NULL */
} mig_aff_t;

typedef struct mig_reg {
    char *jid, *nick;
} mig_reg_t;

/* A room as converted: all strings owned by the room. */
typedef struct mig_room {
    char *name;
    mig_kv_t *cfg;
    size_t ncfg, capcfg;
    mig_aff_t *affs;
    size_t naffs, capaffs;
    mig_reg_t *regs;
    size_t nregs, capregs;
} mig_room_t;

/* room.c. Every function returns 0, or -1 when out of memory (logged). */
mig_room_t *mig_room_new(const char *name);
void mig_room_free(mig_room_t *r);
/* Sets key (replacing an earlier value). */
int mig_room_set(mig_room_t *r, const char *key, const char *value);
const char *mig_room_get(const mig_room_t *r, const char *key);
/* Adds jid's affiliation, replacing an earlier one for the same jid; *replaced
 * (may be NULL) receives the earlier affiliation's name (borrowed until the
 * next call) or NULL. */
int mig_room_add_aff(mig_room_t *r, const char *jid, const char *aff, const char *reason,
                     const char **replaced);
int mig_room_add_reg(mig_room_t *r, const char *jid, const char *nick);
/* Lower-cased copy of a room node (nodeprep when valid), or NULL. Caller frees. */
char *mig_room_name(const char *node);
/* Bare JID of a JID string (resource dropped, lower-cased node and domain), or
 * NULL. Caller frees. */
char *mig_bare_jid(const char *jid);

/* report.c: counts and prints. Output lines are stable (tests parse them):
 *   room NAME
 *     config KEY = VALUE
 *     affiliation JID AFF [reason TEXT]
 *     nick JID NICK
 *   skipped: WHERE: room R: WHAT: WHY
 *   error: WHERE: room R: WHAT */
typedef struct mig_report {
    FILE *out;
    bool dry_run;
    size_t rooms, lists, nicks; /* converted rooms, affiliation entries, nicks */
    size_t skipped, failed;
} mig_report_t;

void report_room(mig_report_t *rep, const mig_room_t *r);
/* A field or item that could not be mapped (counted as skipped). room may be NULL. */
void report_skip(mig_report_t *rep, const char *where, const char *room, const char *what,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Something failed (bad input, a write error). room may be NULL. */
void report_fail(mig_report_t *rep, const char *where, const char *room, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Prints the summary; returns the exit status (0 when nothing failed). */
int report_summary(mig_report_t *rep);

/* Called once per converted room; returns 0 or -1 (already reported). */
typedef int (*mig_emit_fn)(mig_room_t *room, void *ud);

/* Sources: each returns 0 when it could read its input at all (failures of
 * single rooms are reported and counted, not returned), -1 otherwise. */
int source_mucconf(const char *dir, mig_report_t *rep, mig_emit_fn emit, void *ud);
int source_palaver06_sqlite(const char *file, mig_report_t *rep, mig_emit_fn emit, void *ud);
int source_palaver06_pgsql(const char *conninfo, mig_report_t *rep, mig_emit_fn emit, void *ud);
int source_backend(const char *backend, const char *location, mig_report_t *rep, mig_emit_fn emit,
                   void *ud);

/* target.c: writes a room through a backend. Waits for asynchronous
 * backends by running the event loop. Returns 0 or -1 (reported). */
typedef struct mig_target {
    const pv_store_t *st;
    void *h;
    mig_report_t *rep;
} mig_target_t;

int target_write_room(mig_target_t *t, const mig_room_t *r);

/* Runs the event loop until *done is nonzero; -1 if nothing more can happen. */
int mig_wait(const int *done);

#endif
