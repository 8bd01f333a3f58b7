/*
 * core/traffic_log.h: -vv traffic logging with secrets redacted.
 */
#ifndef PV_CORE_TRAFFIC_LOG_H
#define PV_CORE_TRAFFIC_LOG_H

#include <palaver/xml.h>
#include <stddef.h>

/* Logs a stanza ("RECV"/"SEND") at PV_LOG_TRAFFIC with passwords, form
 * secrets and the handshake replaced by "(redacted)". Borrowed; no-op below -vv. */
void traffic_log_stanza(const char *dir, const pv_el_t *stanza);

/* The same for serialized bytes (parsed back to find the secrets). */
void traffic_log_bytes(const char *dir, const char *buf, size_t len);

#endif
