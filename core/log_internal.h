/*
 * core/log_internal.h: the daemon's control over logging (palaver/log.h is
 * what everyone logs with).
 *
 * main() opens the log once the settings are known, SIGHUP reopens it so that
 * logrotate can move the file away (or reconnects to syslog), and exit closes
 * it. Until log_open() or log_configure() is called (and after log_close()),
 * messages go to stderr.
 */
#ifndef PV_CORE_LOG_INTERNAL_H
#define PV_CORE_LOG_INTERNAL_H

#include <stddef.h>

#include <palaver/log.h>

/* Sends messages to the file at path (appended, created 0640), or to stderr
 * when path is NULL. The path is copied for log_reopen(). Returns 0, or -1
 * (reported on the current log) when the file cannot be opened; the previous
 * destination is then kept. */
int log_open(const char *path);

/* Chooses the destination from the settings: dest NULL, "stderr" or "-" is
 * standard error, "syslog" is the system logger (facility: a LOG_* value of
 * <syslog.h>; socket_path: the logger's socket, NULL for /dev/log), anything
 * else a file as log_open(). Returns 0 or -1 as log_open(); the syslog
 * destination never fails (lines go to stderr while the logger cannot be
 * reached). */
int log_configure(const char *dest, int facility, const char *socket_path);

/* True when dest (as given to log_configure) names syslog. */
int log_dest_is_syslog(const char *dest);

/* The LOG_* facility value of a name ("daemon", "local0"...), or -1. */
int log_facility_by_name(const char *name);

/* The facility names log_facility_by_name() knows, NULL-terminated. */
extern const char *const log_facility_names[];

/* 0: errors, warnings and information; 1 (-v): also debug; 2 (-vv): also
 * raw traffic. Negative values are treated as 0. */
void log_set_verbosity(int verbosity);

/* Reopens the current file (SIGHUP, after log rotation), or reconnects to
 * the system logger. Returns 0, or -1 when a file cannot be reopened: the
 * old descriptor is kept and the failure is logged on it. A no-op returning
 * 0 when logging to stderr. */
int log_reopen(void);

/* Closes the file or the syslog socket (if any) and goes back to stderr. */
void log_close(void);

/* ---- core/log_syslog.c: the system logger client (used by log.c) ---- */

/* Connects to the logger's datagram (or stream) socket at path (NULL:
 * /dev/log). Lines go to `facility`, tagged "palaver[PID]". Returns 0; when
 * the socket cannot be reached now, syslog_send() tries again later. */
int syslog_client_open(int facility, const char *path);

/* Writes the RFC 3164 header for a line of this level into buf (size >= 64):
 * "<PRI>Mmm dd hh:mm:ss palaver[PID]: ". Returns its length. */
size_t syslog_client_header(char *buf, size_t size, pv_log_level_t level);

/* Sends one message (header included, no newline). Returns 0, or -1 when the
 * logger cannot take it (the caller writes it to stderr instead). Never
 * blocks on a datagram socket: lines the logger has no room for are counted
 * and reported with the next line that gets through. */
int syslog_client_send(const char *msg, size_t len);

/* Reconnects (SIGHUP: the logger may have been restarted). */
void syslog_client_reopen(void);

void syslog_client_close(void);

#endif
