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
 * Each default goes through the field's own validation (the submit
 * parser's config_field_normalise) at start-up and on SIGHUP; a bad one is
 * "FILE:LINE: muc-core: ..." and stops start-up (or keeps the old settings).
 * Fields contributed by other plugins (extensions.c) register after
 * muc-core's init: their defaults are checked when the field registers (a
 * bad value refuses the registration, which stops that plugin's init); a
 * var no plugin registered by the first connection is logged as an error.
 *
 * Ownership: the parsed settings (rd) are owned here, replaced as a whole on
 * a good SIGHUP and freed by room_defaults_free().
 */
#include "muc_internal.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define RD_MAX_EXT 16 /* defaults or admin-only vars of other plugins' fields */

typedef struct rd_ext {
    char *var;   /* owned */
    char *value; /* owned; NULL for an admin-only entry */
    int line;    /* of its <field> in the config file */
} rd_ext_t;

typedef struct room_defaults {
    char *vals[CF_COUNT]; /* configured default (owned), NULL: the built-in one */
    bool admin_only[CF_COUNT];
    rd_ext_t ext_def[RD_MAX_EXT];
    size_t n_ext_def;
    rd_ext_t ext_admin[RD_MAX_EXT];
    size_t n_ext_admin;
} room_defaults_t;

static room_defaults_t rd;

static void rd_clear(room_defaults_t *d)
{
    for (int f = 0; f < CF_COUNT; f++)
        free(d->vals[f]);
    for (size_t i = 0; i < d->n_ext_def; i++) {
        free(d->ext_def[i].var);
        free(d->ext_def[i].value);
    }
    for (size_t i = 0; i < d->n_ext_admin; i++)
        free(d->ext_admin[i].var);
    memset(d, 0, sizeof *d);
}

void room_defaults_free(void)
{
    rd_clear(&rd);
}

/* muc#roomconfig_... and x-palaver#... are muc-core's own namespaces: a var
 * there that is not in the field table is a typo, not another plugin's field
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

static int ext_add(rd_ext_t *list, size_t *n, const pv_el_t *fel, const char *var,
                   const char *value)
{
    if (*n >= RD_MAX_EXT)
        return pv_config_error(fel, MUC, "at most %d fields of other plugins", RD_MAX_EXT);
    for (size_t i = 0; i < *n; i++)
        if (!strcmp(list[i].var, var))
            return pv_config_error(fel, MUC, "<field var='%s'> is given twice", var);
    rd_ext_t *e = &list[*n];
    e->var = xstrdup(var);
    e->value = value ? xstrdup(value) : NULL;
    e->line = (int)fel->line;
    if (!e->var || (value && !e->value)) {
        free(e->var);
        free(e->value);
        return -1;
    }
    (*n)++;
    return 0;
}

/* Booleans of other plugins' fields, as ext_config_submit reads them (their
 * own checks: ext_config_check, or room_defaults_ext_check when they register). */
static const char *ext_normalise(const char *type, const char *t)
{
    if (strcmp(type, "boolean"))
        return t;
    if (!strcmp(t, "1") || !strcmp(t, "true"))
        return "1";
    if (!strcmp(t, "0") || !strcmp(t, "false") || !*t)
        return "0";
    return NULL;
}

static int read_default(room_defaults_t *d, const pv_el_t *fel)
{
    static const char *const field_known[] = {"value", NULL};
    const char *var = pv_el_attr(fel, "var");
    if (!var || !*var)
        return pv_config_error(fel, MUC, "<field> in <room-defaults> needs a var attribute");
    if (pv_config_check_known(fel, field_known, MUC) > 0)
        return -1;
    int f = config_field_index(var);
    if (f < 0) {
        if (core_namespace(var))
            return unknown_var(fel, var);
        const char *t = pv_el_child_text(fel, NULL, "value");
        const char *type = ext_config_type(var); /* registered already (SIGHUP) */
        const char *v = type ? ext_normalise(type, t ? t : "") : t ? t : "";
        const char *why = type ? ext_config_check(var, t ? t : "") : NULL;
        if (!v || why)
            return pv_config_error(fel, MUC, "the default of %s %s, not '%s': fix its <value>", var,
                                   why ? why : "must be a boolean (1, 0, true or false)", t);
        return ext_add(d->ext_def, &d->n_ext_def, fel, var, v);
    }
    if (d->vals[f])
        return pv_config_error(fel, MUC, "<field var='%s'> is given twice", var);
    pv_el_t *form = as_form_field(fel);
    if (!form)
        return pv_config_error(fel, MUC, "out of memory reading <field var='%s'>", var);
    const char *why = NULL;
    d->vals[f] = config_field_normalise(&config_fields[f], form, &why);
    pv_el_free(form);
    if (!d->vals[f])
        return pv_config_error(fel, MUC,
                               "the default of %s %s: fix its <value> (owners' submits are "
                               "checked the same way)",
                               var, why ? why : "is not valid");
    return 0;
}

static int read_admin_only(room_defaults_t *d, const pv_el_t *fel)
{
    const char *var = pv_el_attr(fel, "var");
    if (!var || !*var)
        return pv_config_error(fel, MUC, "<field> in <admin-only-fields> needs a var attribute");
    int f = config_field_index(var);
    if (f >= 0) {
        d->admin_only[f] = true;
        return 0;
    }
    if (core_namespace(var))
        return unknown_var(fel, var);
    return ext_add(d->ext_admin, &d->n_ext_admin, fel, var, NULL);
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
    for (int f = 0; f < CF_COUNT; f++)
        if (rd.vals[f] && room_cfg_set(r, f, rd.vals[f]) < 0)
            pv_log(PV_LOG_ERROR, MUC, "out of memory setting the default %s of %s",
                   config_fields[f].var, r->jid);
    for (size_t i = 0; i < rd.n_ext_def; i++) {
        const char *key = ext_config_key(rd.ext_def[i].var); /* NULL: not registered */
        if (key)
            ext_config_load(r, key, rd.ext_def[i].value);
    }
}

bool room_defaults_admin_only(int f)
{
    return f >= 0 && f < CF_COUNT && rd.admin_only[f];
}

static bool ext_admin_only(const char *var)
{
    for (size_t i = 0; var && i < rd.n_ext_admin; i++)
        if (!strcmp(rd.ext_admin[i].var, var))
            return true;
    return false;
}

/* True when the submitted field would change the room's value. */
static bool changes(const room_t *r, pv_el_t *fel, const char *var)
{
    int f = config_field_index(var);
    if (f >= 0) {
        const char *why = NULL;
        char *v = config_field_normalise(&config_fields[f], fel, &why);
        bool diff = !v || strcmp(v, room_cfg(r, f)) != 0;
        free(v);
        return diff;
    }
    const char *cur = ext_config_get(r, var), *type = ext_config_type(var);
    const char *t = pv_el_child_text(fel, PV_NS_DATA, "value");
    const char *v = type ? ext_normalise(type, t ? t : "") : NULL;
    return cur && (!v || strcmp(v, cur) != 0);
}

const char *room_defaults_forbidden(const room_t *r, pv_el_t *x, const char *bare)
{
    if (pv_is_sadmin(bare))
        return NULL;
    for (pv_el_t *fel = pv_el_child(x, PV_NS_DATA, "field"); fel;
         fel = pv_el_next(fel, PV_NS_DATA, "field")) {
        const char *var = pv_el_attr(fel, "var");
        if (!var || (!room_defaults_admin_only(config_field_index(var)) && !ext_admin_only(var)))
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

int room_defaults_ext_check(const pv_muc_config_row_t *d)
{
    for (size_t i = 0; i < rd.n_ext_def; i++) {
        rd_ext_t *e = &rd.ext_def[i];
        if (strcmp(e->var, d->field.var))
            continue;
        const char *v = ext_normalise(d->field.type, e->value);
        const char *why = v && d->check && strcmp(d->field.type, "boolean") ? d->check(v) : NULL;
        if (!v || why)
            return pv_config_error(config_line_el(e->var), MUC,
                                   "the default of %s %s, not '%s': fix its <value>", e->var,
                                   why ? why : "must be a boolean (1, 0, true or false)", e->value);
        char *n = xstrdup(v);
        if (!n)
            return -1;
        free(e->value);
        e->value = n;
    }
    return 0;
}

static void warn_unregistered(const rd_ext_t *list, size_t n, const char *where)
{
    room_t probe = {0}; /* ext_config_get on a room without values: registered or not */
    for (size_t i = 0; i < n; i++)
        if (!ext_config_get(&probe, list[i].var))
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
    warn_unregistered(rd.ext_def, rd.n_ext_def, "room-defaults");
    warn_unregistered(rd.ext_admin, rd.n_ext_admin, "admin-only-fields");
}
