/*
 * core/metrics_http.h: the HTTP endpoint Prometheus scrapes
 * (<metrics listen='127.0.0.1:9470'/>), served from the event loop.
 */
#ifndef PV_CORE_METRICS_HTTP_H
#define PV_CORE_METRICS_HTTP_H

#include <stddef.h>
#include <sys/socket.h>

/* Parses "IPV4:PORT" or "[IPV6]:PORT" (PORT 0 to 65535; 0 picks a free
 * port) into *ss and *sslen. Returns 0, or -1 with a reason in err. */
int metrics_listen_parse(const char *spec, struct sockaddr_storage *ss, socklen_t *sslen, char *err,
                         size_t errsize);

/* Serves /metrics on `listen` (a spec metrics_listen_parse accepts) from
 * now on, replacing a server already running when the address differs;
 * NULL stops serving. Returns 0, or -1 (logged) when the address cannot be
 * bound: the previous server, if any, is then stopped too. */
int metrics_http_configure(const char *listen);

/* Stops serving and closes every connection (at exit). */
void metrics_http_stop(void);

#endif
