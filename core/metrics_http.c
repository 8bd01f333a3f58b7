/*
 * core/metrics_http.c: GET /metrics over HTTP, for Prometheus.
 *
 * The HTTP protocol is libmicrohttpd's (Debian's libmicrohttpd), not ours:
 * request parsing, limits and keep-alive are the part of an HTTP server
 * where hand-written code goes wrong. It runs in MHD's external mode with
 * epoll: MHD owns its sockets inside one epoll descriptor, which an ev_io
 * watches for readability, and an ev_timer wakes it at the deadline
 * MHD_get_timeout gives (idle connections, a ready list MHD keeps when
 * edge-triggered sockets still have work; at most a second, see run()).
 * MHD_run never blocks, and no thread is started: the handler reads the
 * statistics on the event loop, where every counter lives, with no lock.
 *
 * What a scraper (or anyone else on the address) can do is bounded: at
 * most CONN_LIMIT connections (the ones beyond wait in the kernel's
 * backlog until some close), MEMORY_LIMIT
 * bytes of request per connection (larger headers get 431), and an idle
 * connection is closed after IDLE_TIMEOUT seconds. Only GET and HEAD of
 * /metrics are answered with the metrics; any other path is a 404, any
 * other method a 405. MHD's own messages (a refused connection, a client
 * that went away) are debug lines: a flood must not fill the log.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <palaver/log.h>
#include <palaver/util.h>

#include "metrics.h"
#include "metrics_http.h"

#define WHO "metrics"
#define CONN_LIMIT 64
#define MEMORY_LIMIT (16 * 1024)
#define IDLE_TIMEOUT 10

static struct {
    struct MHD_Daemon *d;
    char *listen; /* the spec served (owned) */
    ev_io io;     /* MHD's epoll descriptor */
    ev_timer timer;
} H;

/* ---------------------------------------------------------------- addresses */

int metrics_listen_parse(const char *spec, struct sockaddr_storage *ss, socklen_t *sslen, char *err,
                         size_t errsize)
{
    char host[64];
    const char *colon, *hs = spec;
    size_t hlen;
    if (!spec || !*spec)
        goto bad;
    if (*spec == '[') {
        const char *close = strchr(spec, ']');
        if (!close || close[1] != ':')
            goto bad;
        hs = spec + 1;
        hlen = (size_t)(close - hs);
        colon = close + 1;
    } else {
        colon = strrchr(spec, ':');
        if (!colon)
            goto bad;
        hlen = (size_t)(colon - spec);
    }
    if (hlen == 0 || hlen >= sizeof host)
        goto bad;
    memcpy(host, hs, hlen);
    host[hlen] = '\0';
    char *end = NULL;
    errno = 0;
    long port = colon[1] >= '0' && colon[1] <= '9' ? strtol(colon + 1, &end, 10) : -1;
    if (port < 0 || port > 65535 || errno || *end)
        goto bad;
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    if (*spec != '[' && inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        *sslen = sizeof *a4;
        return 0;
    }
    if (*spec == '[' && inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        *sslen = sizeof *a6;
        return 0;
    }
bad:
    snprintf(err, errsize, "'%s' is not an IP address and a port", spec ? spec : "(none)");
    return -1;
}

/* ---------------------------------------------------------------- requests */

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, const char *type,
                              char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
    if (!r) {
        if (mode == MHD_RESPMEM_MUST_FREE)
            free(body);
        return MHD_NO; /* MHD closes the connection */
    }
    enum MHD_Result ok = MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (ok == MHD_YES && status == MHD_HTTP_METHOD_NOT_ALLOWED)
        ok = MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    if (ok == MHD_YES)
        ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result answer_text(struct MHD_Connection *c, unsigned status, const char *text)
{
    return answer(c, status, "text/plain; charset=utf-8", (char *)text, strlen(text),
                  MHD_RESPMEM_PERSISTENT);
}

/* True when the Accept header lists OpenMetrics (Prometheus asks for it
 * first, then for the text format). A q=0 refuses it. */
static bool wants_openmetrics(struct MHD_Connection *c)
{
    const char *acc = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
    const char *om = acc ? strcasestr(acc, "application/openmetrics-text") : NULL;
    if (!om)
        return false;
    const char *end = strchr(om, ',');
    const char *q = strstr(om, "q=0");
    if (q && (!end || q < end)) {
        const char *v = q + 3;
        if (*v == '.')
            v++;
        while (*v == '0')
            v++;
        if (*v < '1' || *v > '9')
            return false; /* q=0, q=0.0, q=0.000 */
    }
    return true;
}

static enum MHD_Result serve_metrics(struct MHD_Connection *c)
{
    bool om = wants_openmetrics(c);
    size_t len = 0;
    char *body = metrics_render(om, &len);
    if (!body)
        return answer_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
    pv_log(PV_LOG_DEBUG, WHO, "metrics sent: %zu bytes, %s", len,
           om ? "OpenMetrics 1.0.0" : "text format 0.0.4");
    return answer(c, MHD_HTTP_OK,
                  om ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                     : "text/plain; version=0.0.4; charset=utf-8",
                  body, len, MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **state)
{
    static int seen; /* a non-NULL *state: the headers were read */
    (void)cls;
    (void)version;
    (void)upload_data;
    if (!*state) {
        *state = &seen;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0; /* a body (POST, PUT): read and dropped */
        return MHD_YES;
    }
    pv_log(PV_LOG_DEBUG, WHO, "%s %s", method, url);
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return answer_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n");
    if (strcmp(url, "/metrics") != 0)
        return answer_text(c, MHD_HTTP_NOT_FOUND, "not found; the metrics are at /metrics\n");
    return serve_metrics(c);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[256];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    pv_log(PV_LOG_DEBUG, WHO, "libmicrohttpd: %s", msg);
}

/* ---------------------------------------------------------------- the loop */

/* Lets MHD do its work, then sleeps until its next deadline, or at most
 * MAX_SLEEP: at the connection limit MHD takes its listening socket out of
 * its epoll set and puts it back only in a later MHD_run, once connections
 * closed; no descriptor becomes readable to say so, and MHD_get_timeout
 * gives no deadline when no connection is left. */
#define MAX_SLEEP 1.0
static void run(void)
{
    struct ev_loop *loop = pv_loop();
    MHD_run(H.d);
    ev_timer_stop(loop, &H.timer);
    MHD_UNSIGNED_LONG_LONG ms = 0;
    double sleep = MAX_SLEEP;
    if (MHD_get_timeout(H.d, &ms) == MHD_YES && (double)ms / 1000.0 < sleep)
        sleep = (double)ms / 1000.0;
    ev_timer_set(&H.timer, sleep, 0.);
    ev_timer_start(loop, &H.timer);
}

static void on_io(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)w;
    (void)revents;
    run();
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)w;
    (void)revents;
    run();
}

void metrics_http_stop(void)
{
    struct ev_loop *loop = pv_loop();
    if (H.d) {
        ev_io_stop(loop, &H.io);
        ev_timer_stop(loop, &H.timer);
        MHD_stop_daemon(H.d);
        pv_log(PV_LOG_INFO, WHO, "metrics endpoint on %s closed", H.listen);
    }
    H.d = NULL;
    free(H.listen);
    H.listen = NULL;
}

static struct MHD_Daemon *start_daemon(const struct sockaddr_storage *ss)
{
    unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (ss->ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    return MHD_start_daemon(flags, 0, NULL, NULL, on_request, NULL, MHD_OPTION_EXTERNAL_LOGGER,
                            mhd_log, NULL, MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)ss,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONN_LIMIT,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)MEMORY_LIMIT,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT, MHD_OPTION_END);
}

int metrics_http_configure(const char *listen)
{
    if (listen && H.listen && strcmp(listen, H.listen) == 0)
        return 0;
    metrics_http_stop();
    if (!listen)
        return 0;
    struct sockaddr_storage ss;
    socklen_t sslen;
    char err[160];
    if (metrics_listen_parse(listen, &ss, &sslen, err, sizeof err) < 0) {
        pv_log(PV_LOG_ERROR, WHO, "metrics endpoint: %s", err);
        return -1;
    }
    errno = 0;
    H.d = start_daemon(&ss);
    const union MHD_DaemonInfo *ep =
        H.d ? MHD_get_daemon_info(H.d, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
    if (!ep || !(H.listen = strdup(listen))) {
        pv_log(PV_LOG_ERROR, WHO, "cannot serve the metrics on %s: %s", listen,
               errno ? strerror(errno) : "libmicrohttpd refused to start");
        if (H.d)
            MHD_stop_daemon(H.d);
        H.d = NULL;
        return -1;
    }
    const union MHD_DaemonInfo *port = MHD_get_daemon_info(H.d, MHD_DAEMON_INFO_BIND_PORT);
    struct ev_loop *loop = pv_loop();
    ev_io_init(&H.io, on_io, ep->epoll_fd, EV_READ);
    ev_timer_init(&H.timer, on_timer, 0., 0.);
    ev_io_start(loop, &H.io);
    pv_log(PV_LOG_INFO, WHO, "metrics on http://%s/metrics (port %u)", listen,
           port ? (unsigned)port->port : 0u);
    run();
    return 0;
}
