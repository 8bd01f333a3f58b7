/*
 * core/modules.c: loading plugins and the storage backend with libltdl.
 *
 * A module is NAME.la / NAME.so in one of the module directories (the first
 * directory that has one wins); it exports
 * one descriptor, NAME_LTX_pv_plugin or NAME_LTX_pv_store (NAME with every
 * non-alphanumeric character turned into '_'). Loading happens in two passes
 * so that a bad module list fails before any plugin runs:
 *
 *   1. open every listed plugin and validate its descriptor (ABI, name,
 *      `requires` present in the list);
 *   2. order them (dependencies first, config order otherwise; a cycle is an
 *      error) and call init in that order.
 *
 * A plugin's companions (palaver/plugin.h, minor 6) join the list in pass 1,
 * after the plugins <plugins> lists, unless <plugins> turns them off with
 * <NAME enabled="false"/>; a name turned off that no opened plugin names as
 * a companion is refused with its FILE:LINE.
 *
 * Every refusal names the plugin, its file and the reason, and start-up stops:
 * running with half the configured behaviour is worse than not running.
 * Shutdown runs in reverse: plugins (last initialised first), then the
 * backend, and only then are modules unmapped (a backend's last completion
 * callbacks may still run plugin code), then libltdl.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <dlfcn.h>
#include <ltdl.h>
#include <unistd.h>

#include <palaver/log.h>
#include <palaver/plugin.h>
#include <palaver/store.h>

#include "modules.h"
#include "plugin_handle.h"
#include "stats.h"
#include "suggest.h"

typedef struct module {
    char *name;
    lt_dlhandle handle;
    const pv_plugin_t *desc;
    void *state;
    pv_plugin_handle_t *h; /* made before init/start; owned */
    int mark;              /* topological sort: 0 new, 1 visiting, 2 done */
    bool initialised;
    const char *companion_of; /* the plugin that brought it (its name), or NULL: listed */
} module_t;

static struct {
    bool ltdl_up;
    char *moddir;
    module_t *mods; /* in the order they were listed, then companions */
    size_t nmods, capmods;
    module_t **order; /* initialisation order (pointers into mods) */
    size_t norder;
    lt_dlhandle store_handle;
    const pv_store_t *store;
    void *store_state;
    char *store_name;
} M;

/* "muc-core" -> "muc_core" (malloc'd; caller frees). */
static char *c_name(const char *name)
{
    char *c = strdup(name);
    for (char *p = c; p && *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            *p = '_';
    return c;
}

static const char *file_of(lt_dlhandle h)
{
    const lt_dlinfo *info = h ? lt_dlgetinfo(h) : NULL;
    return info && info->filename ? info->filename : "(unknown file)";
}

int modules_init(const char *moddir)
{
    if (!M.ltdl_up) {
        if (lt_dlinit() != 0) {
            pv_log(PV_LOG_ERROR, "core", "cannot initialise libltdl: %s", lt_dlerror());
            return -1;
        }
        M.ltdl_up = true;
    }
    free(M.moddir);
    M.moddir = strdup(moddir ? moddir : PV_MODULE_DIR);
    if (!M.moddir || lt_dlsetsearchpath(M.moddir) != 0) {
        pv_log(PV_LOG_ERROR, "core", "cannot set the module search path to %s: %s",
               moddir ? moddir : PV_MODULE_DIR, M.moddir ? lt_dlerror() : "out of memory");
        return -1;
    }
    pv_log(PV_LOG_DEBUG, "core", "module search path: %s", M.moddir);
    return 0;
}

static bool exists(const char *path)
{
    return access(path, F_OK) == 0;
}

/* The file to load for module `name` in `dir`: the shared object a libtool
 * NAME.la describes (DIR/.libs/NAME.so in a build tree, DIR/NAME.so when
 * installed), else DIR/NAME.so, else the .la itself; NULL when the directory
 * has none. malloc'd; caller frees. */
static char *find_in_dir(const char *dir, size_t dirlen, const char *name)
{
    size_t len = dirlen + strlen(name) + sizeof "/.libs/.so";
    char *path = malloc(len);
    if (!path)
        return NULL;
    snprintf(path, len, "%.*s/%s.la", (int)dirlen, dir, name);
    bool has_la = exists(path);
    if (has_la) {
        snprintf(path, len, "%.*s/.libs/%s.so", (int)dirlen, dir, name);
        if (exists(path))
            return path;
    }
    snprintf(path, len, "%.*s/%s.so", (int)dirlen, dir, name);
    if (exists(path))
        return path;
    if (has_la) {
        snprintf(path, len, "%.*s/%s.la", (int)dirlen, dir, name);
        return path;
    }
    free(path);
    return NULL;
}

/* Shipped modules of the other kind, never offered as a "did you mean". */
static const char *const shipped_backends[] = {"sqlite", "spool", "pgsql", "memory", NULL};
static const char *const shipped_plugins[] = {"muc-core", "history", "disco-extended", "game-rooms",
                                              NULL};

static bool in_list(const char *name, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(name, list[i]) == 0)
            return true;
    return false;
}

typedef struct names {
    char *v[64];
    size_t n;
} names_t;

/* Adds the module name of a directory entry (NAME.la or NAME.so) to `out`
 * unless it is there already or belongs to the other kind. */
static void add_module_name(names_t *out, const char *file, const char *const *other)
{
    size_t len = strlen(file);
    if (len < 4 || (strcmp(file + len - 3, ".la") != 0 && strcmp(file + len - 3, ".so") != 0))
        return;
    char *name = strndup(file, len - 3);
    if (!name)
        return;
    bool skip = *name == '\0' || in_list(name, other) ||
                out->n + 1 >= sizeof out->v / sizeof *out->v; /* room for the NULL */
    for (size_t i = 0; i < out->n && !skip; i++)
        skip = strcmp(out->v[i], name) == 0;
    if (skip)
        free(name);
    else
        out->v[out->n++] = name;
}

/* The modules of one kind present in the module directories (malloc'd names,
 * NULL-terminated in out->v; names_free releases them). */
static void module_names(const char *kind, names_t *out)
{
    const char *const *other = strcmp(kind, "backend") == 0 ? shipped_plugins : shipped_backends;
    out->n = 0;
    for (const char *d = M.moddir; d && *d;) {
        size_t n = strcspn(d, ":");
        char *dir = n ? strndup(d, n) : NULL;
        DIR *dh = dir ? opendir(dir) : NULL;
        for (struct dirent *e; dh && (e = readdir(dh));)
            add_module_name(out, e->d_name, other);
        if (dh)
            closedir(dh);
        free(dir);
        d += n + (d[n] == ':');
    }
    out->v[out->n] = NULL;
}

static void names_free(names_t *names)
{
    for (size_t i = 0; i < names->n; i++)
        free(names->v[i]);
    names->n = 0;
}

/* "WHERE: plugin 'histroy': cannot open module histroy.la or histroy.so in
 * DIRS: file not found; did you mean <history/>?" (or the list of those there
 * are). */
static void not_found(const char *kind, const char *name, const char *where)
{
    names_t names;
    module_names(kind, &names);
    const char *near = suggest_name(name, (const char *const *)names.v);
    char list[512];
    suggest_list((const char *const *)names.v, list, sizeof list);
    char hint[600];
    if (near && strcmp(kind, "plugin") == 0)
        snprintf(hint, sizeof hint, "did you mean <%s/>?", near);
    else if (near)
        snprintf(hint, sizeof hint, "did you mean <type>%s</type>?", near);
    else if (names.n)
        snprintf(hint, sizeof hint, "the %ss there are: %s", kind, list);
    else
        snprintf(hint, sizeof hint,
                 "no %s is installed there; check <moduledir> or "
                 "--moduledir",
                 kind);
    pv_log(PV_LOG_ERROR, "core",
           "%s%s '%s': cannot open module %s.la or %s.so in %s: file "
           "not found; %s",
           where, kind, name, name, name, M.moddir, hint);
    names_free(&names);
}

/* "FILE:LINE: " of a config element, for messages; "" without one. */
static void where_of(const pv_settings_t *s, const pv_el_t *el, char *buf, size_t len)
{
    if (s && s->config_path && el && el->line)
        snprintf(buf, len, "%s:%u: ", s->config_path, el->line);
    else if (s && s->config_path && el)
        snprintf(buf, len, "%s: ", s->config_path);
    else
        snprintf(buf, len, "%s", "");
}

/* Loads `name` from the first module directory that has it (directory order
 * wins, whatever the file type). Every symbol is resolved now, through a
 * probing dlopen(RTLD_NOW) held while libltdl opens the same object: a module
 * calling a function this palaver lacks is refused here, with the loader's
 * reason, instead of crashing at the first call. */
static lt_dlhandle load_file(const char *kind, const char *name, const char *where)
{
    char *file = NULL;
    for (const char *d = M.moddir; d && *d && !file;) {
        size_t n = strcspn(d, ":");
        if (n)
            file = find_in_dir(d, n, name);
        d += n + (d[n] == ':');
    }
    if (!file) {
        not_found(kind, name, where);
        return NULL;
    }
    void *probe = NULL;
    size_t len = strlen(file);
    if (len > 3 && strcmp(file + len - 3, ".so") == 0 && !(probe = dlopen(file, RTLD_NOW))) {
        const char *why = dlerror();
        pv_log(PV_LOG_ERROR, "core", "%s '%s' (%s): cannot load: %s", kind, name, file,
               why ? why : "unknown error");
        free(file);
        return NULL;
    }
    lt_dlhandle h = lt_dlopen(file);
    if (!h) {
        const char *why = lt_dlerror();
        pv_log(PV_LOG_ERROR, "core", "%s '%s' (%s): cannot open: %s", kind, name, file,
               why ? why : "unknown error");
    }
    if (probe)
        dlclose(probe);
    free(file);
    return h;
}

/* Opens NAME from the module directories and finds "<cname>_LTX_<sym>".
 * `kind` is "plugin" or "backend" for messages. */
static void *open_module(const char *kind, const char *name, const char *where, const char *sym,
                         lt_dlhandle *out)
{
    *out = NULL;
    if (!M.ltdl_up && modules_init(NULL) < 0)
        return NULL;
    lt_dlhandle h = load_file(kind, name, where);
    if (!h)
        return NULL;
    char *cname = c_name(name);
    size_t len = cname ? strlen(cname) + strlen(sym) + 6 : 0;
    char *full = cname ? malloc(len) : NULL;
    void *desc = NULL;
    if (full) {
        snprintf(full, len, "%s_LTX_%s", cname, sym);
        desc = lt_dlsym(h, full);
        if (!desc)
            pv_log(PV_LOG_ERROR, "core",
                   "%s '%s' (%s): missing descriptor: the module exports no "
                   "symbol %s; define it with %s(%s)",
                   kind, name, file_of(h), full,
                   strcmp(sym, "pv_plugin") == 0 ? "PV_PLUGIN_DEFINE" : "PV_STORE_DEFINE", cname);
    } else {
        pv_log(PV_LOG_ERROR, "core", "%s '%s': out of memory", kind, name);
    }
    free(full);
    free(cname);
    if (!desc) {
        lt_dlclose(h);
        return NULL;
    }
    *out = h;
    return desc;
}

/* ---- Plugins ---- */

static bool listed(const char *name)
{
    for (size_t i = 0; i < M.nmods; i++)
        if (strcmp(M.mods[i].name, name) == 0)
            return true;
    return false;
}

bool pv_plugin_loaded(const char *name)
{
    for (size_t i = 0; name && i < M.nmods; i++)
        if (M.mods[i].desc && strcmp(M.mods[i].name, name) == 0)
            return true;
    return false;
}

/* The minor-5 fields, read only from a descriptor built for minor 5 or later
 * (an older plugin's descriptor ends before them). */
static const pv_config_key_t *keys_of(const pv_plugin_t *d)
{
    return d && d->abi_minor >= 5 ? d->config_keys : NULL;
}

static int (*start_of(const pv_plugin_t *d))(pv_plugin_handle_t *, const pv_config_t *, void **)
{
    return d && d->abi_minor >= 5 ? d->start : NULL;
}

/* The minor-6 field, read as the minor-5 ones are. */
static const char *const *companions_of(const pv_plugin_t *d)
{
    return d && d->abi_minor >= 6 ? d->companions : NULL;
}

static bool in_names(const char *name, char *const *list)
{
    for (size_t i = 0; list && list[i]; i++)
        if (strcmp(name, list[i]) == 0)
            return true;
    return false;
}

static int check_plugin(module_t *m, const char *config_file)
{
    const pv_plugin_t *d = m->desc;
    const char *file = file_of(m->handle);
    if (d->abi_major != PV_ABI_MAJOR) {
        pv_log(PV_LOG_ERROR, "core",
               "plugin '%s' (%s): built for plugin ABI %u.%u, but this "
               "palaver provides %u.%u (the major version differs); rebuild the plugin against "
               "this palaver's SDK",
               m->name, file, d->abi_major, d->abi_minor, PV_ABI_MAJOR, PV_ABI_MINOR);
        return -1;
    }
    if (d->abi_minor > PV_ABI_MINOR) {
        pv_log(PV_LOG_ERROR, "core",
               "plugin '%s' (%s): built for plugin ABI %u.%u, newer than "
               "this palaver's %u.%u; upgrade palaver or rebuild the plugin against this SDK",
               m->name, file, d->abi_major, d->abi_minor, PV_ABI_MAJOR, PV_ABI_MINOR);
        return -1;
    }
    if (!d->name || strcmp(d->name, m->name) != 0) {
        pv_log(PV_LOG_ERROR, "core",
               "plugin '%s' (%s): its descriptor names it '%s'; the module "
               "file must be named after the plugin (%s.so) and listed as <%s/>",
               m->name, file, d->name ? d->name : "(null)", d->name ? d->name : "NAME",
               d->name ? d->name : "NAME");
        return -1;
    }
    if (!d->init && !start_of(d)) {
        pv_log(PV_LOG_ERROR, "core",
               "plugin '%s' (%s): its descriptor has no init (or start) function", m->name, file);
        return -1;
    }
    for (size_t i = 0; d->requires && d->requires[i]; i++) {
        if (!listed(d->requires[i])) {
            pv_log(PV_LOG_ERROR, "core",
                   "plugin '%s' (%s) requires '%s', which is not listed "
                   "in <plugins>; add <%s/> to <plugins> in %s",
                   m->name, file, d->requires[i], d -> requires[i], config_file);
            return -1;
        }
    }
    return 0;
}

static module_t *find_mod(const char *name)
{
    for (size_t i = 0; i < M.nmods; i++)
        if (strcmp(M.mods[i].name, name) == 0)
            return &M.mods[i];
    return NULL;
}

/* Depth-first: dependencies first. `path` holds the chain being visited, for
 * the cycle message. */
static int visit(module_t *m, module_t **path, size_t depth)
{
    if (m->mark == 2)
        return 0;
    path[depth] = m;
    if (m->mark == 1) {
        char chain[1024] = "";
        size_t start = 0;
        while (path[start] != m)
            start++;
        for (size_t i = start; i <= depth; i++) {
            strncat(chain, path[i]->name, sizeof chain - strlen(chain) - 1);
            if (i < depth)
                strncat(chain, " -> ", sizeof chain - strlen(chain) - 1);
        }
        pv_log(PV_LOG_ERROR, "core",
               "plugin '%s' (%s): dependency cycle %s; one of these "
               "plugins must stop requiring the next",
               m->name, file_of(m->handle), chain);
        return -1;
    }
    m->mark = 1;
    for (size_t i = 0; m->desc->requires && m->desc->requires[i]; i++)
        if (visit(find_mod(m->desc->requires[i]), path, depth + 1) < 0)
            return -1;
    m->mark = 2;
    M.order[M.norder++] = m;
    return 0;
}

/* Calls shutdown() of every initialised plugin, last initialised first. */
static void stop_plugins(void)
{
    for (size_t i = M.norder; i-- > 0;) {
        module_t *m = M.order[i];
        if (m->initialised && m->desc->shutdown) {
            pv_log(PV_LOG_DEBUG, "core", "plugin '%s': shutting down", m->name);
            m->desc->shutdown(m->state);
        }
        size_t timers = plugin_handle_release(m->h);
        if (timers)
            pv_log(PV_LOG_DEBUG, "core", "plugin '%s': %zu timer(s) stopped after its shutdown",
                   m->name, timers);
        m->initialised = false;
    }
}

/* Unmaps the plugins (after the backend closed: its last completions may
 * still call into plugin code) and forgets them. */
static void unload_plugins(void)
{
    for (size_t i = 0; i < M.nmods; i++) {
        plugin_handle_free(M.mods[i].h);
        if (M.mods[i].handle)
            lt_dlclose(M.mods[i].handle);
        free(M.mods[i].name);
    }
    free(M.mods);
    free(M.order);
    M.mods = NULL;
    M.order = NULL;
    M.nmods = M.norder = M.capmods = 0;
}

static void shutdown_plugins(void)
{
    stop_plugins();
    unload_plugins();
}

/* A new entry at the end of M.mods (zeroed, named), or NULL when out of
 * memory. Pointers into M.mods are not kept across this call. */
static module_t *add_mod(const char *name)
{
    if (M.nmods == M.capmods) {
        size_t cap = M.capmods ? 2 * M.capmods : 8;
        module_t *bigger = realloc(M.mods, cap * sizeof *bigger);
        if (!bigger)
            return NULL;
        M.mods = bigger;
        M.capmods = cap;
    }
    module_t *m = &M.mods[M.nmods];
    memset(m, 0, sizeof *m);
    if (!(m->name = strdup(name)))
        return NULL;
    M.nmods++;
    return m;
}

/* Adds the companions of M.mods[i] that are neither in the list already
 * nor turned off, and opens them. Returns the number that failed, or -1
 * when out of memory. */
static int open_companions(const pv_settings_t *s, size_t i)
{
    const char *const *names = companions_of(M.mods[i].desc);
    int bad = 0;
    for (size_t j = 0; names && names[j]; j++) {
        if (listed(names[j]) || in_names(names[j], s->plugins_off))
            continue;
        const char *by = M.mods[i].name;
        module_t *m = add_mod(names[j]);
        if (!m)
            return -1;
        m->companion_of = by;
        pv_log(PV_LOG_DEBUG, "core", "plugin '%s': loaded as a companion of '%s'", m->name, by);
        m->desc = open_module("plugin", m->name, "", "pv_plugin", &m->handle);
        if (!m->desc) {
            pv_log(PV_LOG_ERROR, "core",
                   "plugin '%s' is a companion of '%s', loaded with it unless <plugins> turns "
                   "it off: install it, or write <%s enabled=\"false\"/> in <plugins> in %s",
                   m->name, by, m->name, s->config_path ? s->config_path : "the config file");
            bad++;
        }
    }
    return bad;
}

/* Refuses every name <plugins> turns off that no opened plugin names as a
 * companion (a misspelt name would otherwise turn nothing off). Returns
 * the number refused. */
static int check_turned_off(const pv_settings_t *s)
{
    const char *known[64];
    size_t nknown = 0;
    for (size_t i = 0; i < M.nmods; i++) {
        const char *const *names = companions_of(M.mods[i].desc);
        for (size_t j = 0; names && names[j] && nknown + 1 < sizeof known / sizeof *known; j++)
            known[nknown++] = names[j];
    }
    known[nknown] = NULL;
    int bad = 0;
    for (size_t i = 0; s->plugins_off && s->plugins_off[i]; i++) {
        const char *name = s->plugins_off[i];
        bool found = false;
        for (size_t j = 0; j < nknown && !found; j++)
            found = strcmp(known[j], name) == 0;
        if (found)
            continue;
        char where[1100], hint[700], list[512];
        const pv_el_t *el = settings_plugin_config(s, name);
        const char *value = el ? pv_el_attr(el, "enabled") : NULL;
        where_of(s, el, where, sizeof where);
        const char *near = suggest_name(name, known);
        suggest_list(known, list, sizeof list);
        if (near)
            snprintf(hint, sizeof hint, "did you mean <%s enabled=\"false\"/>?", near);
        else if (nknown)
            snprintf(hint, sizeof hint, "the companions there are: %s", list);
        else
            snprintf(hint, sizeof hint, "%s", "none of the listed plugins has companions");
        pv_log(PV_LOG_ERROR, "core",
               "%s<%s enabled=\"%s\">: no plugin loaded has a companion named '%s', so it "
               "turns nothing off; %s (to not load a plugin, remove it from <plugins>)",
               where, name, value ? value : "false", name, hint);
        bad++;
    }
    return bad;
}

/* Pass 1: opens every listed plugin, then their companions (and theirs),
 * reporting each one that cannot be opened (not only the first). Returns
 * the number that failed, or -1 when out of memory. */
static int open_plugins(pv_settings_t *s)
{
    int bad = 0;
    for (size_t i = 0; s->plugins && s->plugins[i]; i++) {
        module_t *m = add_mod(s->plugins[i]);
        if (!m)
            return -1;
        char where[1100];
        where_of(s, settings_plugin_config(s, m->name), where, sizeof where);
        m->desc = open_module("plugin", m->name, where, "pv_plugin", &m->handle);
        bad += !m->desc;
    }
    for (size_t i = 0; i < M.nmods; i++) { /* M.nmods grows with the companions */
        int n = open_companions(s, i);
        if (n < 0)
            return -1;
        bad += n;
    }
    if (bad == 0) /* a plugin not opened may have been the one naming it */
        bad += check_turned_off(s);
    return bad;
}

/* True when a plugin m requires failed to initialise (or was skipped). */
static const char *failed_requirement(const module_t *m)
{
    for (size_t i = 0; m->desc->requires && m->desc->requires[i]; i++) {
        const module_t *dep = find_mod(m->desc->requires[i]);
        if (dep && !dep->initialised)
            return dep->name;
    }
    return NULL;
}

/* Pass 3: init in dependency order. A failure does not stop the others (one
 * run shows every plugin's configuration problems); a plugin whose
 * requirement failed is skipped. Returns 0 or -1. */
static int init_plugins(pv_settings_t *s)
{
    const char *config_file = s->config_path ? s->config_path : "the config file";
    int rc = 0;
    for (size_t i = 0; i < M.norder; i++) {
        module_t *m = M.order[i];
        const char *file = file_of(m->handle);
        const char *dep = failed_requirement(m);
        if (dep) {
            pv_log(PV_LOG_ERROR, "core",
                   "plugin '%s' (%s): not initialised, since '%s', which "
                   "it requires, failed",
                   m->name, file, dep);
            rc = -1;
            continue;
        }
        pv_log(PV_LOG_DEBUG, "core", "plugin '%s' %s (%s): init", m->name,
               m->desc->version ? m->desc->version : "", file);
        const pv_config_t *cfg = settings_plugin_config(s, m->name);
        int (*start)(pv_plugin_handle_t *, const pv_config_t *, void **) = start_of(m->desc);
        if (!(m->h = plugin_handle_new(m->name, keys_of(m->desc))) ||
            (start ? start(m->h, cfg, &m->state) : m->desc->init(cfg, &m->state)) != 0) {
            plugin_handle_release(m->h); /* what it registered before failing */
            char where[1100];
            where_of(s, settings_plugin_config(s, m->name), where, sizeof where);
            pv_log(PV_LOG_ERROR, "core",
                   "%splugin '%s' (%s): init failed (see above); fix its "
                   "configuration in %s or remove it from <plugins>",
                   where, m->name, file, config_file);
            rc = -1;
            continue;
        }
        m->initialised = true;
    }
    return rc;
}

typedef enum { LOAD_INIT, LOAD_CHECK, LOAD_PRINT, LOAD_PRINT_ROFF } load_mode_t;

/* --list-options: every listed plugin's declared elements, in list order. */
static void print_options(FILE *out, bool roff)
{
    for (size_t i = 0; i < M.nmods; i++) {
        const pv_config_key_t *keys = keys_of(M.mods[i].desc);
        bool none = !keys || keys[0].type == PV_KEY_END;
        if (roff)
            plugin_keys_print_heading(out, M.mods[i].name, none);
        else if (none)
            fprintf(out, "%s\t%s\n", M.mods[i].name,
                    keys ? "(no elements)" : "(no declared elements: it checks its own)");
        plugin_keys_print(out, M.mods[i].name, keys, roff);
    }
}

/* Every entry point: every pass reports every problem it finds before
 * start-up stops; modes other than LOAD_INIT stop after the ordering pass. */
static int load_plugins(pv_settings_t *s, load_mode_t mode)
{
    bool init = mode == LOAD_INIT;
    shutdown_plugins();
    const char *config_file = s->config_path ? s->config_path : "the config file";
    int bad = open_plugins(s);
    module_t **path = NULL;
    if (bad >= 0) {
        M.order = calloc(M.nmods + 1, sizeof *M.order);
        path = calloc(M.nmods + 1, sizeof *path);
        if (!M.order || !path)
            bad = -1;
    }
    if (bad < 0)
        pv_log(PV_LOG_ERROR, "core", "out of memory loading plugins");
    for (size_t i = 0; i < M.nmods && bad >= 0; i++)
        if (M.mods[i].desc && check_plugin(&M.mods[i], config_file) < 0)
            bad++;
    for (size_t i = 0; i < M.nmods && bad >= 0; i++) /* declared elements (minor 5) */
        if (M.mods[i].desc && plugin_keys_check(M.mods[i].name, keys_of(M.mods[i].desc),
                                                settings_plugin_config(s, M.mods[i].name)) > 0)
            bad++;
    int rc = bad ? -1 : 0;
    for (size_t i = 0; i < M.nmods && rc == 0; i++)
        rc = visit(&M.mods[i], path, 0);
    free(path);
    if (rc == 0 && init)
        rc = init_plugins(s);
    if (rc == 0 && (mode == LOAD_PRINT || mode == LOAD_PRINT_ROFF))
        print_options(stdout, mode == LOAD_PRINT_ROFF);
    if (rc != 0 || !init) {
        shutdown_plugins();
        return rc;
    }
    if (M.norder)
        pv_log(PV_LOG_INFO, "core", "%zu plugin(s) loaded", M.norder);
    return 0;
}

int modules_load_plugins(pv_settings_t *s)
{
    return load_plugins(s, LOAD_INIT);
}

int modules_check_plugins(pv_settings_t *s)
{
    return load_plugins(s, LOAD_CHECK);
}

int modules_print_options(pv_settings_t *s, bool roff)
{
    return load_plugins(s, roff ? LOAD_PRINT_ROFF : LOAD_PRINT);
}

void modules_connected(void)
{
    for (size_t i = 0; i < M.norder; i++)
        if (M.order[i]->initialised && M.order[i]->desc->connected)
            M.order[i]->desc->connected(M.order[i]->state);
}

/* True when s would load the plugins loaded now, in the same order: its
 * list, then the companions it does not turn off (as open_plugins adds
 * them). */
static bool same_plugins(const pv_settings_t *s)
{
    const char **want = calloc(M.nmods + 1, sizeof *want);
    size_t n = 0;
    bool same = want != NULL;
    for (size_t i = 0; same && s->plugins && s->plugins[i]; i++)
        same = n < M.nmods && (want[n++] = s->plugins[i]);
    for (size_t i = 0; same && i < n; i++) { /* n grows with the companions */
        const module_t *m = find_mod(want[i]);
        const char *const *names = m ? companions_of(m->desc) : NULL;
        same = m != NULL;
        for (size_t j = 0; same && names && names[j]; j++) {
            bool have = in_names(names[j], s->plugins_off);
            for (size_t k = 0; k < n && !have; k++)
                have = strcmp(want[k], names[j]) == 0;
            if (!have)
                same = n < M.nmods && (want[n++] = names[j]);
        }
    }
    for (size_t i = 0; same && i < n; i++)
        same = strcmp(want[i], M.mods[i].name) == 0;
    free(want);
    return same && n == M.nmods;
}

void modules_reconfigure(pv_settings_t *s)
{
    pv_settings_t *old = settings_current();
    /* A plugin's reconfigure that reads another element (pv_config_root())
     * reads the new configuration, as its own cfg is. */
    settings_set_current(s);
    for (size_t i = 0; i < M.norder; i++) {
        module_t *m = M.order[i];
        if (!m->initialised || !m->desc->reconfigure)
            continue;
        const pv_config_t *cfg = settings_plugin_config(s, m->name);
        if (plugin_keys_check(m->name, keys_of(m->desc), cfg) > 0) {
            pv_log(PV_LOG_WARN, "core",
                   "plugin '%s': the new configuration has errors (see above); it keeps the "
                   "old one",
                   m->name);
            continue;
        }
        if (old)
            plugin_keys_warn_restart(m->name, keys_of(m->desc),
                                     settings_plugin_config(old, m->name), cfg);
        if (m->desc->reconfigure(m->state, cfg) != 0)
            pv_log(PV_LOG_WARN, "core",
                   "plugin '%s': the new configuration was refused; it "
                   "keeps the old one",
                   m->name);
    }
    settings_set_current(old);
    if (!same_plugins(s))
        pv_log(PV_LOG_WARN, "core",
               "the list of plugins changed; restart palaver to load or "
               "unload plugins");
}

/* ---- The backend ---- */

/* Entries the core and plugins call, with their offsets: `size` must cover
 * them and none may be NULL. Appended entries (a later minor) are optional. */
#define ENTRY(f)                                                                                   \
    {                                                                                              \
#f, offsetof(pv_store_t, f)                                                                \
    }
static const struct {
    const char *name;
    size_t offset;
} store_entries[] = {
    ENTRY(open),           ENTRY(close),         ENTRY(room_list),       ENTRY(room_load),
    ENTRY(room_put),       ENTRY(room_delete),   ENTRY(affs_set),        ENTRY(reg_set),
    ENTRY(archive_append), ENTRY(archive_query), ENTRY(archive_replace), ENTRY(archive_delete),
};
#define STORE_MIN_SIZE (offsetof(pv_store_t, archive_delete) + sizeof(void (*)(void)))

static int check_store(const char *name, lt_dlhandle h, const pv_store_t *st)
{
    const char *file = file_of(h);
    if (st->abi_major != PV_STORE_ABI_MAJOR || st->abi_minor > PV_STORE_ABI_MINOR) {
        pv_log(PV_LOG_ERROR, "core",
               "backend '%s' (%s): built for backend ABI %u.%u, but this "
               "palaver provides %u.%u (%s); rebuild the backend against this palaver's SDK",
               name, file, st->abi_major, st->abi_minor, PV_STORE_ABI_MAJOR, PV_STORE_ABI_MINOR,
               st->abi_major != PV_STORE_ABI_MAJOR ? "the major version differs"
                                                   : "its minor version is newer");
        return -1;
    }
    if (st->size < STORE_MIN_SIZE) {
        pv_log(PV_LOG_ERROR, "core",
               "backend '%s' (%s): its descriptor is %zu bytes, smaller "
               "than the %zu this palaver needs; rebuild it against this SDK",
               name, file, st->size, (size_t)STORE_MIN_SIZE);
        return -1;
    }
    if (!st->name || strcmp(st->name, name) != 0) {
        pv_log(PV_LOG_ERROR, "core",
               "backend '%s' (%s): its descriptor names it '%s'; the "
               "module file must be named after the backend",
               name, file, st->name ? st->name : "(null)");
        return -1;
    }
    for (size_t i = 0; i < sizeof store_entries / sizeof store_entries[0]; i++) {
        void (*fn)(void);
        memcpy(&fn, (const char *)st + store_entries[i].offset, sizeof fn);
        if (!fn) {
            pv_log(PV_LOG_ERROR, "core", "backend '%s' (%s): its descriptor has no %s function",
                   name, file, store_entries[i].name);
            return -1;
        }
    }
    return 0;
}

/* Closes the backend (its handle stays mapped until unload_store). */
static void close_store(void)
{
    if (M.store) {
        pv_log(PV_LOG_DEBUG, "core", "backend '%s': closing", M.store_name);
        M.store->close(M.store_state);
        stats_store_forget(); /* records of calls it never answered */
    }
    free(M.store_name);
    M.store = NULL;
    M.store_state = NULL;
    M.store_name = NULL;
}

static void unload_store(void)
{
    if (M.store_handle)
        lt_dlclose(M.store_handle);
    M.store_handle = NULL;
}

/* An element's text without surrounding white space (malloc'd), or NULL. */
static char *trimmed_text(const pv_el_t *el)
{
    size_t n;
    const char *t = config_text(el, &n);
    return strndup(t, n);
}

/* "FILE:LINE: " of the file's <backend><type> when it names this backend
 * (or its Palaver 0.6 alias); "--backend: " when the command line did. */
static void backend_where(const pv_settings_t *s, const char *name, char *buf, size_t len)
{
    const pv_el_t *b = s->root ? pv_el_child(s->root, NULL, "backend") : NULL;
    const pv_el_t *t = b ? pv_el_child(b, NULL, "type") : NULL;
    char *text = t ? trimmed_text(t) : NULL;
    const char *alias = text ? settings_backend_alias(text) : NULL;
    if (text && (strcmp(text, name) == 0 || (alias && strcmp(alias, name) == 0)))
        where_of(s, t, buf, len);
    else if (strcmp(name, "sqlite") == 0 && !t)
        snprintf(buf, len, "%s", ""); /* the default */
    else
        snprintf(buf, len, "%s", "--backend: ");
    free(text);
}

int modules_load_backend(pv_settings_t *s)
{
    close_store();
    unload_store();
    const char *name = s->backend ? s->backend : "sqlite";
    lt_dlhandle h;
    char where[1100];
    backend_where(s, name, where, sizeof where);
    const pv_store_t *st = open_module("backend", name, where, "pv_store", &h);
    if (!st)
        return -1;
    if (check_store(name, h, st) < 0) {
        lt_dlclose(h);
        return -1;
    }
    const pv_el_t *cfg = settings_backend_config(s);
    void *state = NULL;
    if (!cfg || st->open(cfg, &state) != 0) {
        pv_log(PV_LOG_ERROR, "core",
               "backend '%s' (%s): open failed (see above); palaver cannot "
               "run without storage",
               name, file_of(h));
        lt_dlclose(h);
        return -1;
    }
    M.store_name = strdup(name);
    if (!M.store_name) {
        st->close(state);
        lt_dlclose(h);
        pv_log(PV_LOG_ERROR, "core", "out of memory");
        return -1;
    }
    M.store = st;
    M.store_state = state;
    M.store_handle = h;
    pv_log(PV_LOG_INFO, "core", "backend '%s' %s (%s) open", name, st->version ? st->version : "",
           file_of(h));
    return 0;
}

const pv_store_t *pv_store(void **handle)
{
    if (handle)
        *handle = M.store_state;
    return stats_store_wrap(M.store); /* every operation timed for the statistics */
}

const char *pv_store_name(void)
{
    return M.store_name;
}

void modules_shutdown(void)
{
    stop_plugins();
    close_store();
    unload_plugins();
    unload_store();
    if (M.ltdl_up)
        lt_dlexit();
    M.ltdl_up = false;
    free(M.moddir);
    M.moddir = NULL;
}
