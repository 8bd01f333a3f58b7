/*
 * palaver/plugin.h: what a plugin shared object exports.
 *
 * A plugin is a libtool module NAME.so (NAME as written in <plugins>) that
 * exports exactly one symbol: a const pv_plugin_t named NAME_LTX_pv_plugin
 * (NAME with every non-alphanumeric character turned into '_'; libltdl looks
 * for that name first). Declare it with PV_PLUGIN_DEFINE. Plugins call the
 * core's pv_* functions directly: the daemon exports them.
 *
 * ABI: the core refuses a plugin whose abi_major differs from PV_ABI_MAJOR or
 * whose abi_minor is newer than the core's, naming both versions and the file.
 * PV_ABI_MINOR grows when functions or struct fields are appended; PV_ABI_MAJOR
 * only when something is removed or changed.
 *
 * Lifecycle: plugins are loaded in config order, after the plugins they
 * `requires`; init runs before the component connects; shutdown runs in reverse
 * order at exit, after the stream closed and before the backend closes.
 */
#ifndef PALAVER_PLUGIN_H
#define PALAVER_PLUGIN_H

#include <palaver/config.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PV_ABI_MAJOR 1
/* Minor versions: 1 added parking (PV_AGAIN, pv_stanza_park, pv_park_busy,
 * pv_park_release, pv_park_fail in palaver/router.h); 2 added muc-core's
 * rooms on demand (the ROOM_LOADED and ROOM_UNLOADED events, and
 * DISCO_ITEM's room NULL for rooms not in memory, in palaver/muc.h); 3
 * added pv_connect_hold and pv_connect_release (palaver/router.h).
 * Minor 4 added the data forms of palaver/form.h (pv_form_*) and the hash
 * table of palaver/map.h (pv_map_*). */
#define PV_ABI_MINOR 4

typedef struct pv_plugin {
    unsigned abi_major;          /* PV_ABI_MAJOR at build time */
    unsigned abi_minor;          /* PV_ABI_MINOR at build time */
    const char *name;            /* must equal the module file name */
    const char *version;         /* the plugin's own version string */
    const char *const *requires; /* NULL-terminated plugin names, or NULL */
    /* Called once. cfg is the plugin's own config element or NULL. Sets *state
     * (passed back to the other callbacks). Returns 0, or -1 after logging why:
     * start-up then stops with a message naming the plugin and file. */
    int (*init)(const pv_config_t *cfg, void **state);
    /* SIGHUP: the new config element. Returns 0, or -1 to keep the old one.
     * May be NULL. */
    int (*reconfigure)(void *state, const pv_config_t *cfg);
    /* The stream is up (called after every successful handshake). May be NULL. */
    void (*connected)(void *state);
    /* Flush and free everything. May be NULL. */
    void (*shutdown)(void *state);
} pv_plugin_t;

#define PV_PLUGIN_SYMBOL_(n) n##_LTX_pv_plugin
/* PV_PLUGIN_DEFINE(muc_core) = { ... } defines the descriptor of muc-core.so. */
#define PV_PLUGIN_DEFINE(cname)                                                                    \
    extern const pv_plugin_t PV_PLUGIN_SYMBOL_(cname);                                             \
    const pv_plugin_t PV_PLUGIN_SYMBOL_(cname)

/* True when the named plugin is loaded (a plugin may adapt to an optional peer). */
bool pv_plugin_loaded(const char *name);

#ifdef __cplusplus
}
#endif
#endif
