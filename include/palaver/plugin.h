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
 *
 * Since minor 5 a plugin may instead define `start`, which receives a handle
 * (pv_plugin_handle_t): the stanza hooks, event subscriptions and timers made
 * through it belong to the plugin, and the core removes whatever is left of
 * them right after the plugin's shutdown, so shutdown only frees the plugin's
 * own data. A plugin may also declare its configuration elements as a table
 * (`config_keys`): the core then refuses unknown elements and bad values
 * (with FILE:LINE and the expected form) before init, at --check-config and
 * at reconfigure, and `palaver --list-options` prints the table.
 *
 * Since minor 6 a plugin may name companions: plugins that the core loads
 * together with it (after the plugins <plugins> lists), whether or not
 * <plugins> lists them, unless the configuration turns one off with an
 * element of its name whose enabled attribute is false:
 *
 *   <plugins><some-plugin/><its-companion enabled="false"/></plugins>
 *
 * A feature that moves out of a plugin into a plugin of its own stays
 * loaded that way for configurations that list <plugins> explicitly. A
 * companion is an ordinary plugin (it usually `requires` the plugin that
 * names it); listing it as well changes nothing but its place in the list.
 * Turning off a name that no loaded plugin names as a companion is a
 * configuration error (FILE:LINE), as is a missing companion module.
 */
#ifndef PALAVER_PLUGIN_H
#define PALAVER_PLUGIN_H

#include <palaver/config.h>
#include <palaver/event.h>
#include <palaver/router.h>

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
 * table of palaver/map.h (pv_map_*). Minor 5 added plugin handles and
 * declared configuration elements (pv_plugin_t's config_keys and start,
 * pv_plugin_hook_stanza, pv_plugin_subscribe, pv_plugin_timer, pv_timer_set,
 * pv_timer_cancel, pv_plugin_name, pv_key_int, pv_key_bool, pv_key_str).
 * Minor 6 added pv_plugin_t's companions. Minor 7 added pv_stanza_failf
 * (palaver/router.h). Minor 8 added recipients kept for fan-out
 * (pv_recipient_new, pv_recipient_free, pv_send_prepared_to in
 * palaver/router.h). Minor 9 added the fan-out to many kept recipients
 * and its XEP-0033 strategy (pv_send_prepared_many, pv_fanout_new,
 * pv_fanout_add, pv_fanout_count, pv_fanout_send, pv_fanout_free,
 * pv_multicast_configure in palaver/router.h). */
#define PV_ABI_MINOR 9

/* The kind of value a declared configuration element holds. */
typedef enum pv_key_type {
    PV_KEY_END = 0, /* terminates a config_keys table */
    PV_KEY_INT,     /* a decimal integer within [min, max] */
    PV_KEY_BOOL,    /* 1/0, true/false, yes/no, on/off (any case) */
    PV_KEY_STR,     /* any text (trimmed) */
    PV_KEY_CHOICE,  /* one of the words of `choices` ("a|b|c") */
    PV_KEY_ELEMENT, /* structured content the plugin reads itself */
} pv_key_type_t;

/* Flags of a declared element. */
#define PV_KEY_REPEAT 1u  /* may appear more than once (otherwise: at most once) */
#define PV_KEY_RESTART 2u /* a new value takes effect only at restart */

/* One configuration element of a plugin (<plugins><NAME><name>..</name>).
 * A table of these ends with an entry whose type is PV_KEY_END. */
typedef struct pv_config_key {
    const char *name;    /* the element's name */
    pv_key_type_t type;  /* what its text must be */
    const char *def;     /* the default as text ("10", "true", "anyone"), or NULL: none */
    long min, max;       /* PV_KEY_INT: the bounds */
    const char *choices; /* PV_KEY_CHOICE: the accepted words, '|'-separated */
    const char *doc;     /* one line: what it sets */
    unsigned flags;      /* PV_KEY_REPEAT, PV_KEY_RESTART */
} pv_config_key_t;

/* What the core keeps for one loaded plugin (opaque). Valid from start()
 * until the plugin's shutdown returned. */
typedef struct pv_plugin_handle pv_plugin_handle_t;

/* A timer of the event loop, owned by the handle that made it (opaque). */
typedef struct pv_timer pv_timer_t;
typedef void (*pv_timer_fn)(pv_timer_t *timer, void *ud);

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
    /* ---- minor 5 (read only when abi_minor >= 5) ---- */
    /* The plugin's configuration elements, or NULL (the plugin checks its
     * element itself). With a table, the core has checked cfg against it
     * before start/init and reconfigure are called. */
    const pv_config_key_t *config_keys;
    /* Called instead of init when set: as init, with the plugin's handle,
     * through which its hooks, subscriptions and timers are made. */
    int (*start)(pv_plugin_handle_t *h, const pv_config_t *cfg, void **state);
    /* ---- minor 6 (read only when abi_minor >= 6) ---- */
    /* NULL-terminated names of the plugins loaded with this one unless
     * <plugins> turns them off (<NAME enabled="false"/>), or NULL. */
    const char *const *companions;
} pv_plugin_t;

#define PV_PLUGIN_SYMBOL_(n) n##_LTX_pv_plugin
/* PV_PLUGIN_DEFINE(muc_core) = { ... } defines the descriptor of muc-core.so. */
#define PV_PLUGIN_DEFINE(cname)                                                                    \
    extern const pv_plugin_t PV_PLUGIN_SYMBOL_(cname);                                             \
    const pv_plugin_t PV_PLUGIN_SYMBOL_(cname)

/* True when the named plugin is loaded (a plugin may adapt to an optional peer). */
bool pv_plugin_loaded(const char *name);

/* ---- Plugin handles (minor 5) ---- */

/* The plugin's name (as in <plugins>): the owner named in logs. */
const char *pv_plugin_name(const pv_plugin_handle_t *h);

/* pv_hook_stanza() on behalf of the plugin (owner: its name). The hook may
 * still be removed early with pv_hook_remove(); the core removes it after
 * the plugin's shutdown otherwise. NULL on allocation failure. */
pv_hook_t *pv_plugin_hook_stanza(pv_plugin_handle_t *h, int kinds, int to_classes,
                                 const char *payload_ns, int priority, pv_stanza_fn fn, void *ud);

/* pv_event_subscribe() on behalf of the plugin; the same rules as above
 * (pv_event_unsubscribe() may end it early). NULL on allocation failure. */
pv_subscription_t *pv_plugin_subscribe(pv_plugin_handle_t *h, pv_event_t *ev, int priority,
                                       pv_event_fn fn, void *ud);

/* A timer on the daemon's loop that calls fn(timer, ud) after `after`
 * seconds, then every `repeat` seconds (0: once). The timer stays the
 * plugin's until pv_timer_cancel() or the plugin's shutdown, fired or not.
 * NULL on allocation failure (logged). */
pv_timer_t *pv_plugin_timer(pv_plugin_handle_t *h, double after, double repeat, pv_timer_fn fn,
                            void *ud);

/* Re-arms a timer (also one that fired or was stopped): `after`, then every
 * `repeat` seconds (0: once). after < 0 stops it without freeing it. */
void pv_timer_set(pv_timer_t *t, double after, double repeat);

/* Stops and frees a timer. NULL is fine. */
void pv_timer_cancel(pv_timer_t *t);

/* The value of declared element `name` in cfg (the element given to start,
 * init or reconfigure, or NULL), already checked against the table: its
 * text converted, or the declared default when absent. Asking for a name
 * the table does not declare, or with the wrong type, logs a bug and
 * returns 0 / false / NULL. pv_key_str's result is borrowed from cfg or the
 * table; for PV_KEY_CHOICE it is the word. */
long pv_key_int(const pv_plugin_handle_t *h, const pv_config_t *cfg, const char *name);
bool pv_key_bool(const pv_plugin_handle_t *h, const pv_config_t *cfg, const char *name);
const char *pv_key_str(const pv_plugin_handle_t *h, const pv_config_t *cfg, const char *name);

#ifdef __cplusplus
}
#endif
#endif
