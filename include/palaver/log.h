/*
 * palaver/log.h: one logging call for the core and every plugin.
 *
 * Messages go to the log file chosen in the config or on the command line
 * (stderr by default), with a timestamp and level. SIGHUP reopens the file.
 * Say what failed and where (room, JID, config file:line), never just "error".
 */
#ifndef PALAVER_LOG_H
#define PALAVER_LOG_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    PV_LOG_ERROR = 0,
    PV_LOG_WARN = 1,
    PV_LOG_INFO = 2,
    PV_LOG_DEBUG = 3,  /* shown with -v */
    PV_LOG_TRAFFIC = 4 /* raw stream bytes, shown with -vv */
} pv_log_level_t;

/* Logs one line. `who` names the module ("core", "muc-core", "sqlite"...). */
void pv_log(pv_log_level_t level, const char *who, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* True when messages of this level are written (avoid building costly ones). */
bool pv_log_enabled(pv_log_level_t level);

#ifdef __cplusplus
}
#endif
#endif
