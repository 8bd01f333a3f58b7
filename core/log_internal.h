/*
 * core/log_internal.h: the daemon's control over logging (palaver/log.h is
 * what everyone logs with).
 *
 * main() opens the log once the settings are known, SIGHUP reopens it so that
 * logrotate can move the file away, and exit closes it. Until log_open() is
 * called (and after log_close()), messages go to stderr.
 */
#ifndef PV_CORE_LOG_INTERNAL_H
#define PV_CORE_LOG_INTERNAL_H

/* Sends messages to the file at path (appended, created 0640), or to stderr
 * when path is NULL. The path is copied for log_reopen(). Returns 0, or -1
 * (reported on the current log) when the file cannot be opened; the previous
 * destination is then kept. */
int log_open(const char *path);

/* 0: errors, warnings and information; 1 (-v): also debug; 2 (-vv): also
 * raw traffic. Negative values are treated as 0. */
void log_set_verbosity(int verbosity);

/* Reopens the current file (SIGHUP, after log rotation). Returns 0, or -1
 * when it cannot be reopened: the old descriptor is kept and the failure is
 * logged on it. A no-op returning 0 when logging to stderr. */
int log_reopen(void);

/* Closes the file (if any) and goes back to stderr. */
void log_close(void);

#endif
