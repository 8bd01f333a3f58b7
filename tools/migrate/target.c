/*
 * tools/migrate/target.c: writes a converted room through the configured
 * backend (pv_store_t), whether the backend completes before returning
 * (memory, spool, sqlite) or later from the event loop (pgsql).
 *
 * A room that already exists in the target gets its config replaced and the
 * converted affiliations and nicks added over its own (store.h semantics).
 */
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include <palaver/util.h>

#include "migrate.h"

int mig_wait(const int *done)
{
    while (!*done)
        if (!ev_run(pv_loop(), EVRUN_ONCE) && !*done)
            return -1;
    return 0;
}

typedef struct op {
    int done, status;
    char err[512];
    int exists;
} op_t;

static void op_done(int status, const char *error, void *ud)
{
    op_t *o = ud;
    o->status = status;
    snprintf(o->err, sizeof o->err, "%s", error ? error : "");
    o->done = 1;
}

static void op_loaded(int status, const char *error, const pv_store_room_t *room, void *ud)
{
    op_t *o = ud;
    o->exists = status == 0 && room != NULL;
    op_done(status == PV_STORE_ENOTFOUND ? 0 : status, error, ud);
}

/* Waits for o; returns 0, or -1 after reporting what failed. */
static int finish(mig_target_t *t, op_t *o, const char *room, const char *what)
{
    if (mig_wait(&o->done) < 0) {
        report_fail(t->rep, what, room, "the backend never completed the operation");
        return -1;
    }
    if (o->status != 0) {
        report_fail(t->rep, what, room, "backend %s: %s (status %d)", t->st->name,
                    o->err[0] ? o->err : "failed", o->status);
        return -1;
    }
    return 0;
}

int target_write_room(mig_target_t *t, const mig_room_t *r)
{
    op_t o = {0};
    t->st->room_load(t->h, r->name, op_loaded, &o);
    if (finish(t, &o, r->name, "target room_load") < 0)
        return -1;
    if (o.exists)
        report_skip(t->rep, "target", r->name, "room",
                    "already stored: its config is replaced, its lists and nicks are merged");

    pv_kv_t *kv = calloc(r->ncfg ? r->ncfg : 1, sizeof *kv);
    pv_store_aff_t *affs = calloc(r->naffs ? r->naffs : 1, sizeof *affs);
    if (!kv || !affs) {
        free(kv);
        free(affs);
        report_fail(t->rep, "target", r->name, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < r->ncfg; i++)
        kv[i] = (pv_kv_t){r->cfg[i].key, r->cfg[i].value};
    for (size_t i = 0; i < r->naffs; i++)
        affs[i] = (pv_store_aff_t){r->affs[i].jid, r->affs[i].aff, r->affs[i].reason};

    int rc = -1;
    o = (op_t){0};
    t->st->room_put(t->h, r->name, kv, r->ncfg, op_done, &o);
    if (finish(t, &o, r->name, "target room_put") < 0)
        goto out;
    if (r->naffs) {
        o = (op_t){0};
        t->st->affs_set(t->h, r->name, affs, r->naffs, op_done, &o);
        if (finish(t, &o, r->name, "target affs_set") < 0)
            goto out;
    }
    rc = 0;
    for (size_t i = 0; i < r->nregs; i++) {
        o = (op_t){0};
        t->st->reg_set(t->h, r->name, r->regs[i].jid, r->regs[i].nick, op_done, &o);
        if (finish(t, &o, r->name, "target reg_set") < 0)
            rc = -1;
    }
out:
    free(kv);
    free(affs);
    return rc;
}
