/*
 * core/plugin_handle.h: the core's side of plugin handles and declared
 * configuration elements (palaver/plugin.h, minor 5).
 */
#ifndef PV_CORE_PLUGIN_HANDLE_H
#define PV_CORE_PLUGIN_HANDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <palaver/plugin.h>

struct pv_plugin_handle {
    char *name;                  /* the plugin's name (owned) */
    const pv_config_key_t *keys; /* its declared elements (borrowed), or NULL */
    pv_timer_t *timers;          /* live timers (owned) */
};

/* A handle for plugin `name` with its key table (NULL: none declared). NULL
 * when out of memory (logged). Freed by plugin_handle_free. */
pv_plugin_handle_t *plugin_handle_new(const char *name, const pv_config_key_t *keys);

/* Removes every hook, subscription and timer made through h (after the
 * plugin's shutdown). h stays usable. Returns how many timers were left. */
size_t plugin_handle_release(pv_plugin_handle_t *h);

/* Releases, then frees h. NULL is fine. */
void plugin_handle_free(pv_plugin_handle_t *h);

/* Checks cfg (the plugin's element, may be NULL) against its declared
 * elements: unknown names (with a suggestion), repeats of a single element,
 * and values that are not of their type or out of bounds, each logged as
 * "FILE:LINE: <plugin>: ...". Returns the number of problems (0: fine). */
int plugin_keys_check(const char *plugin, const pv_config_key_t *keys, const pv_config_t *cfg);

/* Names of the declared elements whose value differs between old and new
 * and which take effect only at restart, logged as a warning each. */
void plugin_keys_warn_restart(const char *plugin, const pv_config_key_t *keys,
                              const pv_config_t *old_cfg, const pv_config_t *new_cfg);

/* The roff heading of one plugin's list ("no elements." when `none`). */
void plugin_keys_print_heading(FILE *out, const char *plugin, bool none);

/* Prints the table: one line per element (name, type, default, bounds, doc)
 * as text, or as roff .TP paragraphs when `roff`. */
void plugin_keys_print(FILE *out, const char *plugin, const pv_config_key_t *keys, bool roff);

#endif
