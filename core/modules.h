/*
 * core/modules.h: loading plugins and the backend with libltdl.
 *
 * Modules are found in the module directory (settings->moddir). A plugin is
 * refused, with a message naming it and its file, when it cannot be opened,
 * lacks its descriptor, has an incompatible ABI, needs a plugin that is not
 * listed, or its init fails; every problem of every plugin is reported
 * (FILE:LINE, and "did you mean" for a misspelt name), then start-up stops.
 */
#ifndef PV_CORE_MODULES_H
#define PV_CORE_MODULES_H

#include "settings.h"

/* Initialises libltdl and sets the search path. Returns 0 or -1. */
int modules_init(const char *moddir);

/* Loads and opens the backend named in s. Returns 0 or -1 (logged). */
int modules_load_backend(pv_settings_t *s);

/* Loads the plugins listed in s (dependencies first) and calls their init.
 * Returns 0 or -1 (logged; plugins already initialised are shut down). */
int modules_load_plugins(pv_settings_t *s);

/* The checks of modules_load_plugins() without init (no backend to give
 * them): every listed plugin is opened, its descriptor and requirements
 * checked, then all are unloaded. Returns 0 or -1 (logged). */
int modules_check_plugins(pv_settings_t *s);

/* The checks of modules_check_plugins(), then prints on standard output
 * each listed plugin's declared configuration elements (palaver/plugin.h's
 * config_keys): one tab-separated line each, or roff paragraphs for the
 * manual. Returns 0 or -1 (logged). */
int modules_print_options(pv_settings_t *s, bool roff);

/* Calls every plugin's connected() after a successful handshake. */
void modules_connected(void);

/* SIGHUP: calls reconfigure() with the new settings' elements. */
void modules_reconfigure(pv_settings_t *s);

/* Shuts plugins down (reverse order), then closes the backend, then libltdl. */
void modules_shutdown(void);

#endif
