/*
 * tools/migrate/source_backend.c: reads every room of one of our own
 * backends (spool:DIR, sqlite:FILE, pgsql:CONNINFO) so that it can be copied
 * into the configured one. The source module is opened beside the target
 * (libltdl, from the same module directory) with a <backend> element built
 * from the location; which option carries the location is the table below.
 * Config keys are copied as they are: both sides are Palaver.
 */
#include <errno.h>
#include <ltdl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <palaver/xml.h>

#include "migrate.h"

/* BACKEND:LOCATION -> <backend><type>BACKEND</type><OPTION>LOCATION</OPTION>. */
static const struct {
    const char *backend, *option;
    bool is_path; /* must exist: opening it must not create an empty store */
} location_option[] = {{"spool", "spool", true},     /* the spool directory */
                       {"sqlite", "database", true}, /* the database file */
                       {"pgsql", "conninfo", false}, /* a libpq connection string */
                       {NULL, NULL, false}};

typedef struct names_op {
    int done, status;
    char err[512];
    char **names;
    size_t n;
} names_op_t;

static void got_names(int status, const char *error, const char *const *names, size_t n, void *ud)
{
    names_op_t *o = ud;
    o->status = status;
    snprintf(o->err, sizeof o->err, "%s", error ? error : "");
    if (status == 0 && n) {
        o->names = calloc(n, sizeof *o->names);
        for (size_t i = 0; o->names && i < n; i++) {
            o->names[i] = strdup(names[i]);
            if (!o->names[i])
                o->status = PV_STORE_ENOMEM;
        }
        if (!o->names)
            o->status = PV_STORE_ENOMEM;
        o->n = o->names ? n : 0;
    }
    o->done = 1;
}

typedef struct load_op {
    int done, status;
    char err[512];
    mig_room_t *room;
} load_op_t;

static void got_room(int status, const char *error, const pv_store_room_t *room, void *ud)
{
    load_op_t *o = ud;
    o->status = status;
    snprintf(o->err, sizeof o->err, "%s", error ? error : "");
    if (status == 0 && room) {
        mig_room_t *r = mig_room_new(room->name);
        int bad = !r;
        for (size_t i = 0; !bad && i < room->nconfig; i++)
            bad = mig_room_set(r, room->config[i].key,
                               room->config[i].value ? room->config[i].value : "") < 0;
        for (size_t i = 0; !bad && i < room->naffs; i++)
            bad = mig_room_add_aff(r, room->affs[i].jid, room->affs[i].affiliation,
                                   room->affs[i].reason, NULL) < 0;
        for (size_t i = 0; !bad && i < room->nregs; i++)
            bad = mig_room_add_reg(r, room->regs[i].jid, room->regs[i].nick) < 0;
        if (bad) {
            mig_room_free(r);
            r = NULL;
            o->status = PV_STORE_ENOMEM;
            snprintf(o->err, sizeof o->err, "out of memory");
        }
        o->room = r;
    }
    o->done = 1;
}

int source_backend(const char *backend, const char *location, mig_report_t *rep, mig_emit_fn emit,
                   void *ud)
{
    const char *option = NULL;
    bool is_path = false;
    for (int i = 0; location_option[i].backend; i++) {
        if (strcmp(location_option[i].backend, backend) == 0) {
            option = location_option[i].option;
            is_path = location_option[i].is_path;
        }
    }
    if (!option) {
        report_fail(rep, backend, NULL,
                    "not a backend that can be read from "
                    "(use spool:DIR, sqlite:FILE or pgsql:CONNINFO)");
        return -1;
    }
    struct stat sb;
    if (is_path && stat(location, &sb) != 0) {
        report_fail(rep, location, NULL, "cannot read the %s source: %s", backend, strerror(errno));
        return -1;
    }
    char sym[128];
    snprintf(sym, sizeof sym, "%s_LTX_pv_store", backend);
    lt_dlhandle mod = lt_dlopenext(backend);
    const pv_store_t *st = mod ? lt_dlsym(mod, sym) : NULL;
    if (!st) {
        const char *e = lt_dlerror();
        report_fail(rep, backend, NULL, "cannot load the %s backend module: %s", backend,
                    e ? e : "no descriptor");
        if (mod)
            lt_dlclose(mod);
        return -1;
    }
    if (st->abi_major != PV_STORE_ABI_MAJOR ||
        st->size < offsetof(pv_store_t, reg_set) + sizeof st->reg_set) {
        report_fail(rep, backend, NULL, "the %s module has an incompatible ABI (%u)", backend,
                    st->abi_major);
        lt_dlclose(mod);
        return -1;
    }
    pv_el_t *cfg = pv_el_new(NULL, "backend");
    if (!cfg || !pv_el_add_text_child(cfg, NULL, "type", backend) ||
        !pv_el_add_text_child(cfg, NULL, option, location)) {
        pv_el_free(cfg);
        lt_dlclose(mod);
        report_fail(rep, backend, NULL, "out of memory");
        return -1;
    }
    void *h = NULL;
    if (st->open(cfg, &h) < 0) {
        report_fail(rep, location, NULL, "the %s backend could not open it (see above)", backend);
        pv_el_free(cfg);
        lt_dlclose(mod);
        return -1;
    }
    int rc = 0;
    names_op_t no = {0};
    st->room_list(h, got_names, &no);
    if (mig_wait(&no.done) < 0 || no.status != 0) {
        report_fail(rep, location, NULL, "cannot list the rooms: %s",
                    no.done ? no.err : "the backend never answered");
        rc = -1;
    }
    for (size_t i = 0; rc == 0 && i < no.n; i++) {
        load_op_t lo = {0};
        st->room_load(h, no.names[i], got_room, &lo);
        if (mig_wait(&lo.done) < 0 || lo.status != 0 || !lo.room)
            report_fail(rep, location, no.names[i], "cannot load the room: %s",
                        lo.done ? lo.err : "the backend never answered");
        else
            emit(lo.room, ud);
        mig_room_free(lo.room);
    }
    for (size_t i = 0; i < no.n; i++)
        free(no.names[i]);
    free(no.names);
    st->close(h);
    pv_el_free(cfg);
    lt_dlclose(mod);
    return rc;
}
