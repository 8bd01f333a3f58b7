/*
 * room_defaults.c: the service's own room defaults and the fields only
 * service admins may change (<room-defaults> and <admin-only-fields> in
 * <muc-core>, as Prosody's muc_room_default_* and ejabberd's
 * default_room_options / access_persistent).
 *
 * Why the defaults are copied into each new room rather than read through
 * room_cfg(): a room keeps NULL for a value equal to the field table's
 * built-in default (room.c), and a stored room comes back from room_get
 * with exactly the keys it had. If NULL meant "the service default", a room
 * stored with, say, publicroom 1 (the built-in default, so NULL in memory)
 * would turn private the day the service default became 0. So NULL keeps
 * meaning the built-in default everywhere, and create_room() sets each
 * configured default on the new room (a value, owned by the room, stored
 * with it like any other): rooms that exist, in memory or in storage, keep
 * what they have; a new default (SIGHUP) reaches only rooms created later.
 *
 * Each default goes through its row's own check (the submit parser's
 * config_field_normalise), muc-core's rows and other plugins' alike: at
 * start-up and on SIGHUP for the rows registered then (muc-core's are
 * registered first, config_rows_core), a bad one is "FILE:LINE: muc-core:
 * ..." and stops start-up (or keeps the old settings). Other plugins' rows
 * register after muc-core's init: their defaults are checked when the row
 * registers (a bad value refuses the registration, which stops that
 * plugin's init); a var no plugin registered by the first connection is
 * logged as an error.
 *
 * Ownership: the parsed settings (rd) are owned here, replaced as a whole on
 * a good SIGHUP and freed by room_defaults_free().
 */
#include "muc_internal.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define RD_MAX CONFIG_MAX_ROWS /* defaults, or admin-only vars */

typedef struct rd_entry {
    char *var;     /* owned */
    pv_el_t *form; /* the <field> as a submitted form field (owned); NULL: admin-only entry */
    char *value;   /* owned: the value as its row checked it; NULL until a row of var registered */
    int line;      /* of its <field> in the config file */
} rd_entry_t;

typedef struct room_defaults {
    rd_entry_t def[RD_MAX];
    size_t n_def;
    rd_entry_t admin[RD_MAX];
    size_t n_admin;
} room_defaults_t;

static room_defaults_t rd;

static void rd_clear(room_defaults_t *d)
{
    for (size_t i = 0; i < d->n_def; i++) {
        free(d->def[i].var);
        pv_el_free(d->def[i].form);
        free(d->def[i].value);
    }
    for (size_t i = 0; i < d->n_admin; i++)
        free(d->admin[i].var);
    memset(d, 0, sizeof *d);
}

void room_defaults_free(void)
{
    rd_clear(&rd);
}

/* muc#roomconfig_... and x-palaver#... are muc-core's own namespaces: a var
 * there that is not one of its rows is a typo, not another plugin's field
 * (other muc#... vars may be: the history plugin's muc#maxhistoryfetch). */
static bool core_namespace(const char *var)
{
    return !strncmp(var, "muc#roomconfig_", 15) || !strncmp(var, "x-palaver#", 10) ||
           !strcmp(var, "FORM_TYPE");
}

static int unknown_var(const pv_el_t *fel, const char *var)
{
    return pv_config_error(fel, MUC,
                           "<field var='%s'>: no such room configuration field (the owner's "
                           "form lists them: muc#roomconfig_persistentroom, "
                           "muc#roomconfig_maxusers, x-palaver#changenick...)",
                           var);
}

/* The <field> as a submitted form field (jabber:x:data), values trimmed. */
static pv_el_t *as_form_field(const pv_el_t *fel)
{
    pv_el_t *f = pv_el_new(PV_NS_DATA, "field");
    for (pv_el_t *v = pv_el_child(fel, NULL, "value"); f && v; v = pv_el_next(v, NULL, "value")) {
        const char *t = pv_el_text(v);
        size_t len = strlen(t);
        while (len && isspace((unsigned char)*t))
            t++, len--;
        while (len && isspace((unsigned char)t[len - 1]))
            len--;
        pv_el_t *ve = pv_el_add(f, PV_NS_DATA, "value");
        if (!ve || pv_el_add_text(ve, t, len) < 0) {
            pv_el_free(f);
            return NULL;
        }
    }
    return f;
}

static const rd_entry_t *entry_of(const rd_entry_t *list, size_t n, const char *var)
{
    for (size_t i = 0; var && i < n; i++)
        if (!strcmp(list[i].var, var))
            return &list[i];
    return NULL;
}

static rd_entry_t *entry_add(rd_entry_t *list, size_t *n, const pv_el_t *fel, const char *var)
{
    if (*n >= RD_MAX) {
        pv_config_error(fel, MUC, "at most %d fields", RD_MAX);
        return NULL;
    }
    rd_entry_t *e = &list[*n];
    *e = (rd_entry_t){.var = xstrdup(var), .line = (int)fel->line};
    if (!e->var) {
        pv_config_error(fel, MUC, "out of memory reading <field var='%s'>", var);
        return NULL;
    }
    (*n)++;
    return e;
}

/* The entry's value as row f checks it (the submit parser's normaliser). */
static int entry_check(rd_entry_t *e, const config_field_t *f, const pv_el_t *fel)
{
    const char *why = NULL;
    char *v = config_field_normalise(f, e->form, &why);
    if (!v)
        return pv_config_error(fel, MUC,
                               "the default of %s %s: fix its <value> (owners' submits are "
                               "checked the same way)",
                               e->var, why ? why : "is not valid");
    free(e->value);
    e->value = v;
    return 0;
}

static int read_default(room_defaults_t *d, const pv_el_t *fel)
{
    static const char *const field_known[] = {"value", NULL};
    const char *var = pv_el_attr(fel, "var");
    if (!var || !*var)
        return pv_config_error(fel, MUC, "<field> in <room-defaults> needs a var attribute");
    if (pv_config_check_known(fel, field_known, MUC) > 0)
        return -1;
    int i = config_row_find(var); /* muc-core's, or registered already (SIGHUP) */
    if (i < 0 && core_namespace(var))
        return unknown_var(fel, var);
    if (entry_of(d->def, d->n_def, var))
        return pv_config_error(fel, MUC, "<field var='%s'> is given twice", var);
    rd_entry_t *e = entry_add(d->def, &d->n_def, fel, var);
    if (!e)
        return -1;
    if (!(e->form = as_form_field(fel)))
        return pv_config_error(fel, MUC, "out of memory reading <field var='%s'>", var);
    return i < 0 ? 0 : entry_check(e, config_row(i), fel);
}

static int read_admin_only(room_defaults_t *d, const pv_el_t *fel)
{
    const char *var = pv_el_attr(fel, "var");
    if (!var || !*var)
        return pv_config_error(fel, MUC, "<field> in <admin-only-fields> needs a var attribute");
    if (config_row_find(var) < 0 && core_namespace(var))
        return unknown_var(fel, var);
    if (entry_of(d->admin, d->n_admin, var))
        return 0;
    return entry_add(d->admin, &d->n_admin, fel, var) ? 0 : -1;
}

static int read_list(room_defaults_t *d, const pv_config_t *cfg, const char *name,
                     int (*each)(room_defaults_t *, const pv_el_t *))
{
    static const char *const list_known[] = {"field", NULL};
    for (pv_el_t *l = cfg ? pv_el_child(cfg, NULL, name) : NULL; l; l = pv_el_next(l, NULL, name)) {
        if (pv_config_check_known(l, list_known, MUC) > 0)
            return -1;
        for (pv_el_t *fel = pv_el_child(l, NULL, "field"); fel;
             fel = pv_el_next(fel, NULL, "field"))
            if (each(d, fel) < 0)
                return -1;
    }
    return 0;
}

int room_defaults_configure(const pv_config_t *cfg)
{
    room_defaults_t fresh = {0};
    if (config_rows_core() < 0) /* muc-core's rows, which the defaults are checked with */
        return -1;
    if (read_list(&fresh, cfg, "room-defaults", read_default) < 0 ||
        read_list(&fresh, cfg, "admin-only-fields", read_admin_only) < 0) {
        rd_clear(&fresh);
        return -1;
    }
    rd_clear(&rd);
    rd = fresh;
    return 0;
}

void room_defaults_apply(room_t *r)
{
    for (size_t k = 0; k < rd.n_def; k++) {
        int i = rd.def[k].value ? config_row_find(rd.def[k].var) : -1; /* -1: not registered */
        if (i >= 0 && config_row_set(r, i, rd.def[k].value) < 0)
            pv_log(PV_LOG_ERROR, MUC, "out of memory setting the default %s of %s", rd.def[k].var,
                   r->jid);
    }
}

bool room_defaults_admin_only(const char *var)
{
    return entry_of(rd.admin, rd.n_admin, var) != NULL;
}

/* True when the submitted field would change the room's value. */
static bool changes(const room_t *r, pv_el_t *fel, const char *var)
{
    int i = config_row_find(var);
    if (i < 0)
        return false; /* no row: the submit ignores it */
    const char *why = NULL;
    char *v = config_field_normalise(config_row(i), fel, &why);
    bool diff = !v || strcmp(v, config_row_value(r, i)) != 0;
    free(v);
    return diff;
}

const char *room_defaults_forbidden(const room_t *r, pv_el_t *x, const char *bare)
{
    if (pv_is_sadmin(bare))
        return NULL;
    for (pv_el_t *fel = pv_el_child(x, PV_NS_DATA, "field"); fel;
         fel = pv_el_next(fel, PV_NS_DATA, "field")) {
        const char *var = pv_el_attr(fel, "var");
        if (!var || !room_defaults_admin_only(var))
            continue;
        if (changes(r, fel, var))
            return var;
    }
    return NULL;
}

/* The <field> of var in <muc-core><room-defaults>, for the error's line. */
static const pv_el_t *config_line_el(const char *var)
{
    const pv_el_t *root = pv_config_root();
    const pv_el_t *p = root ? pv_el_child(root, NULL, "plugins") : NULL;
    const pv_el_t *m = p ? pv_el_child(p, NULL, "muc-core") : NULL;
    for (const pv_el_t *l = m ? pv_el_child(m, NULL, "room-defaults") : NULL; l;
         l = pv_el_next(l, NULL, "room-defaults"))
        for (const pv_el_t *f = pv_el_child(l, NULL, "field"); f; f = pv_el_next(f, NULL, "field"))
            if (pv_el_attr(f, "var") && !strcmp(pv_el_attr(f, "var"), var))
                return f;
    return NULL;
}

int room_defaults_row_check(const config_field_t *f)
{
    for (size_t k = 0; k < rd.n_def; k++) {
        rd_entry_t *e = &rd.def[k];
        if (!strcmp(e->var, f->var) && entry_check(e, f, config_line_el(e->var)) < 0)
            return -1;
    }
    return 0;
}

static void warn_unregistered(const rd_entry_t *list, size_t n, const char *where)
{
    for (size_t i = 0; i < n; i++)
        if (config_row_find(list[i].var) < 0)
            pv_log(PV_LOG_ERROR, MUC,
                   "%s:%d: <%s> names %s, which no loaded plugin registered: it has no effect",
                   pv_config_file(), list[i].line, where, list[i].var);
}

void room_defaults_connected(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    warn_unregistered(rd.def, rd.n_def, "room-defaults");
    warn_unregistered(rd.admin, rd.n_admin, "admin-only-fields");
}
