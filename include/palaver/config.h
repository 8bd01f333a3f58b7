/*
 * palaver/config.h: read-only access to the configuration file.
 *
 * The config is an XML file read with the same hostile-input rules as the
 * stream; every node remembers its line. A plugin receives its own element
 * (<plugins><NAME>...</NAME></plugins>, or NULL when the config has none) and
 * reads it with these getters, which take a default and bounds and, on a bad
 * value, log "FILE:LINE: <what> (expected ...)" naming the plugin, and fail.
 * Unknown elements must be reported too: call pv_config_check_known().
 */
#ifndef PALAVER_CONFIG_H
#define PALAVER_CONFIG_H

#include <palaver/xml.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef pv_el_t pv_config_t;

/* Path of the config file in use ("(command line)" when none). */
const char *pv_config_file(void);

/* Root element of the whole config (<muc> or <palaver>), or NULL when running
 * without a file. Plugins may read service-wide settings from it. During a
 * plugin's reconfigure it is the root of the configuration being applied. */
const pv_config_t *pv_config_root(void);

/* Text of child `name` (trimmed of surrounding white space) or def when absent.
 * The result is borrowed from the config tree (or is def). */
const char *pv_config_str(const pv_config_t *c, const char *name, const char *def);

/* Integer child `name`. Absent: *out = def, returns 0. Present and a decimal
 * integer within [min, max]: stored, returns 0. Otherwise logs
 * "FILE:LINE: <owner>: <name> must be an integer between MIN and MAX, not 'X'"
 * and returns -1. */
int pv_config_int(const pv_config_t *c, const char *name, long def, long min, long max,
                  const char *owner, long *out);

/* Boolean child: accepts 1/0, true/false, yes/no, on/off (any case). Absent:
 * def. Other text: logs FILE:LINE and returns -1. */
int pv_config_bool(const pv_config_t *c, const char *name, bool def, const char *owner, bool *out);

/* Checks that every child element of c is in `known` (NULL-terminated). For
 * each unknown one logs "FILE:LINE: <owner>: unknown element <x> (known: a, b, c)"
 * and, when one of the known names is close, "did you mean <y>?". Returns the
 * number of unknown elements (0 = fine). */
int pv_config_check_known(const pv_config_t *c, const char *const *known, const char *owner);

/* Logs "FILE:LINE: <owner>: <message>" at error level for node c (c may be
 * NULL: no line). Returns -1, for `return pv_config_error(...)`. */
int pv_config_error(const pv_config_t *c, const char *owner, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Service admins (sadmin) from the config, as normalised bare JIDs. The array
 * is owned by the core and NULL-terminated. */
const char *const *pv_config_sadmins(void);

/* True when bare_jid is a service admin. */
bool pv_is_sadmin(const char *bare_jid);

#ifdef __cplusplus
}
#endif
#endif
