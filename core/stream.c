/*
 * core/stream.c: the XEP-0114 component connection.
 *
 * One TCP connection to the XMPP server, driven by libev:
 *
 *   DOWN --connect()--> CONNECTING --writable--> OPENING (our header sent)
 *     --server header (id)--> HANDSHAKE (sha1(id+secret) sent)
 *     --<handshake/>--> UP --any failure--> DOWN (+ backoff timer)
 *
 * Writes are non-blocking through an output buffer; the write watcher runs only
 * while the buffer holds data. Above half the high-water mark we stop reading
 * (so we stop producing replies) until the server has drained us to a quarter;
 * at the mark itself new stanzas are refused and logged, so memory never grows
 * without bound when the server reads slowly.
 *
 * Every failure (refused handshake, stream error, parse error, lost
 * connection) is logged with its reason and followed by a reconnect after an
 * exponential backoff with jitter, capped, reset only once a handshake has
 * been accepted. The parser context is per connection: after a stream error
 * it is dead and a new one is made on reconnect.
 *
 * For the statistics (stats.c) every stanza dispatched, queued or dropped is
 * counted, and the output queue's size is reported in bytes and in complete
 * stanzas (the end offset of each queued stanza is kept until it is sent).
 */
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <palaver/log.h>
#include <palaver/router.h>
#include <palaver/util.h>

#include "fanout.h"
#include "metrics.h"
#include "modules.h"
#include "output.h"
#include "prepared.h"
#include "router_internal.h"
#include "stats.h"
#include "stream.h"
#include "traffic_log.h"
#include "xmlstream.h"

#define WHO "stream"
#define BACKOFF_BASE 0.5     /* seconds before the first retry */
#define SHUTDOWN_TIMEOUT 3.0 /* seconds to flush on SIGTERM */
#define READ_CHUNK 16384
#define FLUSH_NOW_BYTES 65536 /* queued bytes that are written without waiting */

/* Where each queued stanza ends, in bytes queued since the connection
 * started; entries v[head..n) are still (partly) unsent. */
typedef struct endq {
    uint64_t *v;
    size_t head, n, cap;
} endq_t;

typedef enum { ST_DOWN, ST_CONNECTING, ST_OPENING, ST_HANDSHAKE, ST_UP, ST_CLOSING } st_state_t;

typedef struct outbuf {
    char *data;
    size_t head; /* first unsent byte */
    size_t len;  /* bytes held (from data + head) */
    size_t cap;
} outbuf_t;

static struct {
    /* settings (copied) */
    char *host, *domain, *secret;
    int port;
    double keepalive;
    ev_tstamp last_out; /* when bytes last went to the server: the keepalive counts from there */
    double backoff_max;
    size_t max_out;
    xs_limits_t limits;

    st_state_t state;
    int fd;
    struct addrinfo *addrs, *cur_addr;
    xs_parser_t *parser;
    outbuf_t out;
    uint64_t queued_total, sent_total; /* bytes on this connection */
    endq_t ends;
    bool reading_paused;
    bool overflow_logged;
    unsigned attempts; /* failed attempts since the last accepted handshake */

    ev_io rio, wio;
    ev_timer retry, keep, closing;
    void (*shutdown_done)(void);
    bool shutting_down;
    unsigned holds;       /* pv_connect_hold()s not released yet */
    struct {              /* pv_output_hold()s, oldest first */
        uint64_t id, pos; /* pos: queued_total when taken */
        bool released;
    } * oholds;
    size_t noholds, caponholds;
    uint64_t ohold_next;   /* the next token */
    uint64_t allowed;      /* with holds: bytes up to here may go */
    bool start_pending;    /* stream_start found a hold: connect at the last release */
    bool in_feed;          /* inside xs_feed: the parser must not be freed now */
    char pending_why[512]; /* a reconnect requested from inside xs_feed */
} S = {.fd = -1};

static void schedule_reconnect(const char *why);
static void start_connect(void);

/* ---------------------------------------------------------------- output */

/* Bytes of the queue that may be written now: all of them, unless output
 * is held (pv_output_hold) beyond S.allowed. */
static size_t sendable(void)
{
    if (!S.noholds)
        return S.out.len;
    uint64_t room = S.allowed > S.sent_total ? S.allowed - S.sent_total : 0;
    return room < S.out.len ? (size_t)room : S.out.len;
}

static void update_watchers(void)
{
    struct ev_loop *loop = pv_loop();
    if (S.fd < 0)
        return;
    bool want_write = sendable() > 0 || S.state == ST_CONNECTING;
    if (want_write && !ev_is_active(&S.wio))
        ev_io_start(loop, &S.wio);
    else if (!want_write && ev_is_active(&S.wio))
        ev_io_stop(loop, &S.wio);

    bool want_read = S.state != ST_CONNECTING && !S.reading_paused;
    if (want_read && !ev_is_active(&S.rio))
        ev_io_start(loop, &S.rio);
    else if (!want_read && ev_is_active(&S.rio))
        ev_io_stop(loop, &S.rio);
}

/* Makes room for len more bytes at the end of the output buffer (no limit
 * check; callers check) and returns where they go, or NULL when out of
 * memory (logged). Nothing is counted as queued until the caller does. */
static char *outbuf_reserve(size_t len)
{
    outbuf_t *o = &S.out;
    if (o->head + o->len + len <= o->cap)
        return o->data + o->head + o->len;
    if (o->head > 0) {
        memmove(o->data, o->data + o->head, o->len);
        o->head = 0;
    }
    if (o->len + len > o->cap) {
        size_t ncap = o->cap ? o->cap : 16384;
        while (ncap < o->len + len)
            ncap *= 2;
        char *n = realloc(o->data, ncap);
        if (!n) {
            pv_log(PV_LOG_ERROR, WHO, "out of memory growing the output buffer to %zu bytes", ncap);
            return NULL;
        }
        o->data = n;
        o->cap = ncap;
    }
    return o->data + o->len;
}

/* Reports the queue to the statistics, forgetting the stanzas sent. */
static void report_queue(void)
{
    endq_t *q = &S.ends;
    size_t lo = q->head, hi = q->n; /* the first not wholly sent: the ends are in order */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (q->v[mid] <= S.sent_total)
            lo = mid + 1;
        else
            hi = mid;
    }
    q->head = lo;
    if (q->head == q->n)
        q->head = q->n = 0;
    stats_queue(S.out.len, q->n - q->head);
}

/* Remembers that a stanza ends at the current end of the queue (reported
 * by the caller's report_queue). */
static void note_stanza_end(void)
{
    endq_t *q = &S.ends;
    if (q->n == q->cap) {
        if (q->head > 0) {
            memmove(q->v, q->v + q->head, (q->n - q->head) * sizeof *q->v);
            q->n -= q->head;
            q->head = 0;
        } else {
            size_t ncap = q->cap ? q->cap * 2 : 256;
            uint64_t *grown = realloc(q->v, ncap * sizeof *grown);
            if (!grown)
                return; /* the stanza count is then low by one; the bytes are right */
            q->v = grown;
            q->cap = ncap;
        }
    }
    q->v[q->n++] = S.queued_total;
}

static void outbuf_reset(void)
{
    free(S.out.data);
    memset(&S.out, 0, sizeof S.out);
    free(S.ends.v);
    memset(&S.ends, 0, sizeof S.ends);
    S.queued_total = S.sent_total = 0;
    stats_queue(0, 0);
    S.noholds = 0; /* what they held is gone with the connection */
}

/* Writes as much as the socket takes now. Returns 0, or -1 when the
 * connection failed (already handled). */
static int flush_out(void)
{
    size_t can;
    while ((can = sendable()) > 0) {
        ssize_t n = send(S.fd, S.out.data + S.out.head, can, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            if (errno == EINTR)
                continue;
            char why[128];
            snprintf(why, sizeof why, "write failed: %s", strerror(errno));
            schedule_reconnect(why);
            return -1;
        }
        S.out.head += (size_t)n;
        S.out.len -= (size_t)n;
        S.sent_total += (uint64_t)n;
        S.last_out = ev_now(pv_loop());
    }
    report_queue();
    if (S.out.len == 0)
        S.out.head = 0;
    if (S.reading_paused && S.out.len <= S.max_out / 4) {
        S.reading_paused = false;
        S.overflow_logged = false;
        pv_log(PV_LOG_INFO, WHO, "server caught up (%zu bytes queued); reading again", S.out.len);
    }
    update_watchers();
    return 0;
}

/* Queues bytes for the server, given in parts (one stanza, or the stream's
 * own bytes when `force`, which skips the high-water check: stream header,
 * handshake, stream errors). A stanza's end is remembered for the queue's
 * stanza count.
 *
 * A fan-out queues one copy per recipient, so this is the per-copy path:
 * one room check for all parts, the statistics' queue report once per copy
 * (and before a flush, whose report would otherwise hide the peak), and
 * the watchers touched only when the write watcher is not running yet or
 * reading pauses, i.e. once per batch: while it runs, more bytes change
 * nothing it would decide. The keepalive's clock is set when bytes go out
 * (flush_out), once per batch too. */
static int queue_parts(const char *const *parts, const size_t *lens, int nparts, bool force)
{
    if (S.fd < 0)
        return -1;
    size_t len = 0;
    for (int i = 0; i < nparts; i++)
        len += lens[i];
    if (!force && S.out.len + len > S.max_out) {
        if (!S.overflow_logged) {
            pv_log(PV_LOG_WARN, WHO,
                   "output buffer full (%zu bytes queued, limit %zu): the server is reading too "
                   "slowly; dropping stanzas until it catches up",
                   S.out.len, S.max_out);
            S.overflow_logged = true;
        }
        return -1;
    }
    char *w = outbuf_reserve(len);
    if (!w)
        return -1;
    for (int i = 0; i < nparts; i++) {
        memcpy(w, parts[i], lens[i]);
        w += lens[i];
    }
    S.out.len += len;
    S.queued_total += len;
    if (pv_log_enabled(PV_LOG_TRAFFIC))
        traffic_log_bytes("SEND", w - len, len);
    bool flush_now = S.out.len >= FLUSH_NOW_BYTES;
    if (force || flush_now)
        report_queue(); /* the bytes as they peak, before a flush sends them */
    bool pause = !S.reading_paused && S.out.len > S.max_out / 2;
    if (pause) {
        S.reading_paused = true;
        pv_log(PV_LOG_WARN, WHO, "%zu bytes queued for the server: pausing input", S.out.len);
    }
    /* Batch: everything produced while handling one read goes out in one
     * send() when the loop comes round (the write watcher), unless a lot is
     * queued already. One send() per stanza was most of the CPU of a fan-out. */
    if (flush_now)
        return flush_out() < 0 ? -1 : 0;
    if (pause || !ev_is_active(&S.wio))
        update_watchers();
    return 0;
}

static int queue_bytes(const char *buf, size_t len, bool force)
{
    return queue_parts(&buf, &len, 1, force);
}

/* A stanza in parts (its first part begins with the element's name), of a
 * known metrics kind or OUTPUT_KIND_UNKNOWN. */
static int sinkv(const char *const *parts, const size_t *lens, int nparts, int kind, void *ud)
{
    (void)ud;
    if (S.state != ST_UP)
        return -1;
    if (queue_parts(parts, lens, nparts, false) < 0) {
        stats_stanza_dropped();
        return -1;
    }
    stats_stanza_out();
    if (kind == OUTPUT_KIND_UNKNOWN)
        metrics_stanza_out(parts[0], lens[0]);
    else
        metrics_stanza_out_kind(kind);
    note_stanza_end();
    report_queue();
    return 0;
}

static int sink(const char *buf, size_t len, void *ud)
{
    return sinkv(&buf, &len, 1, OUTPUT_KIND_UNKNOWN, ud);
}

/* Room for k more stanza ends in the queue's list. false: out of memory
 * (logged). */
static bool ends_reserve(size_t k)
{
    endq_t *q = &S.ends;
    if (q->n + k <= q->cap)
        return true;
    if (q->head > 0) {
        memmove(q->v, q->v + q->head, (q->n - q->head) * sizeof *q->v);
        q->n -= q->head;
        q->head = 0;
        if (q->n + k <= q->cap)
            return true;
    }
    size_t ncap = q->cap ? q->cap : 256;
    while (ncap < q->n + k)
        ncap *= 2;
    uint64_t *grown = realloc(q->v, ncap * sizeof *grown);
    if (!grown) {
        pv_log(PV_LOG_ERROR, WHO, "out of memory counting %zu queued stanzas", ncap);
        return false;
    }
    q->v = grown;
    q->cap = ncap;
    return true;
}

/* Queues k copies of p (bytes in all) at once: the room reserved once, the
 * statistics, metrics, queue report and watchers once for all of them.
 * Each copy's escaped recipient is followed by one memcpy of its suffix
 * and the next copy's prefix (prepared.h); its end is noted for the
 * queue's stanza count. Returns -1 without queuing anything when they do
 * not all fit under the high-water mark (or out of memory): the caller
 * then queues them one by one, which refuses and logs as for any stanza. */
static int queue_copies(const pv_prepared_t *p, const pv_recipient_t *const *to, size_t k,
                        size_t bytes)
{
    if (S.fd < 0 || S.out.len + bytes > S.max_out)
        return -1;
    size_t pre = p->slot, one = p->len;
    char *w = outbuf_reserve(bytes + pre); /* the last prefix is written, not queued */
    if (!w || !ends_reserve(k))
        return -1;
    const char *start = w, *sufpre = p->buf + pre;
    uint64_t *end = S.ends.v + S.ends.n, base = S.queued_total - pre;
    memcpy(w, p->buf, pre);
    w += pre;
    for (size_t i = 0; i < k; i++) {
        memcpy(w, to[i]->esc, to[i]->len);
        w += to[i]->len;
        memcpy(w, sufpre, one);
        w += one;
        end[i] = base + (uint64_t)(w - start);
    }
    if (pv_log_enabled(PV_LOG_TRAFFIC))
        for (size_t i = 0; i < k; i++) {
            uint64_t from = i ? end[i - 1] : S.queued_total;
            traffic_log_bytes("SEND", start + (from - S.queued_total), (size_t)(end[i] - from));
        }
    S.ends.n += k;
    S.out.len += bytes;
    S.queued_total += bytes;
    stats_stanzas_out(k);
    metrics_stanzas_out_kind(p->kind, k);
    report_queue(); /* the bytes as they peak, before a flush sends them */
    bool pause = !S.reading_paused && S.out.len > S.max_out / 2;
    if (pause) {
        S.reading_paused = true;
        pv_log(PV_LOG_WARN, WHO, "%zu bytes queued for the server: pausing input", S.out.len);
    }
    if (S.out.len >= FLUSH_NOW_BYTES)
        flush_out(); /* on failure the copies went with the connection, as queued ones do */
    else if (pause || !ev_is_active(&S.wio))
        update_watchers();
    return 0;
}

/* The copies' sink (output_write_copies; esc_bytes: the sum of the
 * recipients' lengths): the same bytes, in the same order, as a sinkv call
 * per copy. When the queue would pass FLUSH_NOW_BYTES the copies go in
 * chunks that end there, so that the buffer is written out there as it is
 * by one copy at a time; but once a flush left it over FLUSH_NOW_BYTES
 * (the server does not read now) the rest goes at once, for the write
 * watcher, instead of a send() per copy that the socket refuses. */
static size_t sink_copies(const pv_prepared_t *p, const pv_recipient_t *const *to, size_t n,
                          size_t esc_bytes, void *ud)
{
    (void)ud;
    if (S.state != ST_UP || n == 0)
        return 0;
    size_t one = p->len, all = n * one + esc_bytes;
    if (S.out.len + all <= FLUSH_NOW_BYTES && queue_copies(p, to, n, all) == 0)
        return n; /* the usual case: one chunk */
    size_t done = 0, queued = 0, esc_left = esc_bytes;
    bool stuck = false; /* a flush left the queue over FLUSH_NOW_BYTES */
    while (done < n) {
        size_t room = S.out.len < FLUSH_NOW_BYTES ? FLUSH_NOW_BYTES - S.out.len : 0;
        size_t k = 1, bytes = one + to[done]->len;
        if (stuck && room < bytes) {
            k = n - done;
            bytes = k * one + esc_left;
        } else {
            while (done + k < n && bytes + one + to[done + k]->len <= room)
                bytes += one + to[done + k++]->len;
        }
        esc_left -= bytes - k * one;
        if (queue_copies(p, to + done, k, bytes) == 0) {
            queued += k;
        } else if (S.fd >= 0) { /* one by one: refused and logged each */
            for (size_t i = done; i < done + k && S.state == ST_UP; i++) {
                const char *parts[3] = {p->buf, to[i]->esc, p->buf + p->slot};
                size_t lens[3] = {p->slot, to[i]->len, p->len - p->slot};
                if (sinkv(parts, lens, 3, p->kind, NULL) == 0)
                    queued++;
            }
        }
        done += k;
        if (S.state != ST_UP) /* the flush lost the connection */
            break;
        stuck = S.out.len >= FLUSH_NOW_BYTES;
    }
    return queued;
}

/* ---------------------------------------------------------------- teardown */

static void close_socket(void)
{
    struct ev_loop *loop = pv_loop();
    output_set_sink(NULL, NULL);
    ev_io_stop(loop, &S.rio);
    ev_io_stop(loop, &S.wio);
    ev_timer_stop(loop, &S.keep);
    if (S.fd >= 0)
        close(S.fd);
    S.fd = -1;
    if (S.parser) {
        xs_free(S.parser);
        S.parser = NULL;
    }
    outbuf_reset();
    S.reading_paused = false;
    S.overflow_logged = false;
    S.state = ST_DOWN;
}

static void finish_shutdown(void)
{
    struct ev_loop *loop = pv_loop();
    ev_timer_stop(loop, &S.closing);
    ev_timer_stop(loop, &S.retry);
    close_socket();
    if (S.addrs) {
        freeaddrinfo(S.addrs);
        S.addrs = NULL;
    }
    void (*done)(void) = S.shutdown_done;
    S.shutdown_done = NULL;
    if (done)
        done();
}

static double backoff_delay(void)
{
    double d = BACKOFF_BASE;
    for (unsigned i = 1; i < S.attempts && d < S.backoff_max; i++)
        d *= 2;
    if (d > S.backoff_max)
        d = S.backoff_max;
    /* Jitter: 75%..125%, so that many components do not return in lockstep. */
    char r[2];
    pv_random_id(r, 1);
    double jitter = 0.75 + 0.5 * ((unsigned char)r[0] % 64) / 63.0;
    return d * jitter;
}

static void schedule_reconnect(const char *why)
{
    if (S.in_feed) {
        /* Called from a parser callback: finish after xs_feed returns. */
        if (!S.pending_why[0])
            snprintf(S.pending_why, sizeof S.pending_why, "%s", why);
        return;
    }
    bool was_up = S.state == ST_UP;
    close_socket();
    if (S.shutting_down) {
        finish_shutdown();
        return;
    }
    S.attempts++;
    metrics_reconnect();
    double d = backoff_delay();
    pv_log(was_up ? PV_LOG_WARN : PV_LOG_INFO, WHO, "%s; reconnecting to %s:%d in %.1f s", why,
           S.host, S.port, d);
    ev_timer_set(&S.retry, d, 0.);
    ev_timer_start(pv_loop(), &S.retry);
}

/* ---------------------------------------------------------------- parser callbacks */

static void send_stream_error(const char *condition, const char *text)
{
    char buf[1024];
    int n = snprintf(buf, sizeof buf,
                     "<stream:error><%s xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                     "</stream:error></stream:stream>",
                     condition);
    (void)text;
    if (n > 0 && (size_t)n < sizeof buf)
        queue_bytes(buf, (size_t)n, true);
}

static void on_open(void *ud, const pv_el_t *header)
{
    (void)ud;
    if (S.state != ST_OPENING)
        return;
    const char *id = pv_el_attr(header, "id");
    if (!id || !*id) {
        pv_log(PV_LOG_ERROR, WHO, "server's stream header has no id; cannot compute the handshake");
        send_stream_error("invalid-id", NULL);
        S.state = ST_CLOSING;
        return;
    }
    size_t ilen = strlen(id), slen = strlen(S.secret);
    char *cat = malloc(ilen + slen + 1);
    char hex[41];
    if (!cat)
        return;
    memcpy(cat, id, ilen);
    memcpy(cat + ilen, S.secret, slen + 1);
    int rc = pv_sha1_hex(cat, ilen + slen, hex);
    free(cat);
    if (rc < 0)
        return;
    char buf[80];
    int n = snprintf(buf, sizeof buf, "<handshake>%s</handshake>", hex);
    S.state = ST_HANDSHAKE;
    queue_bytes(buf, (size_t)n, true);
}

static void on_server_stream_error(const pv_el_t *el)
{
    const char *cond = "undefined-condition";
    const char *text = NULL;
    for (const pv_el_t *c = pv_el_first_element(el); c; c = pv_el_next(c, NULL, NULL)) {
        if (!strcmp(c->name, "text"))
            text = pv_el_text(c);
        else
            cond = c->name;
    }
    char why[512];
    if (S.state == ST_HANDSHAKE && !strcmp(cond, "not-authorized"))
        snprintf(why, sizeof why,
                 "server refused the handshake (not-authorized): check <secret> and that the "
                 "server has a component '%s' with that secret",
                 S.domain);
    else if (!strcmp(cond, "conflict"))
        snprintf(why, sizeof why,
                 "server stream error: conflict (another component is connected as '%s')%s%s",
                 S.domain, text ? ": " : "", text ? text : "");
    else
        snprintf(why, sizeof why, "server stream error: %s%s%s", cond, text ? ": " : "",
                 text ? text : "");
    S.state = ST_CLOSING;
    schedule_reconnect(why);
}

static void on_stanza(void *ud, pv_el_t *el)
{
    (void)ud;
    traffic_log_stanza("RECV", el);
    if (S.state == ST_CLOSING && !S.shutting_down) {
        pv_el_free(el);
        return;
    }
    if (el->ns && !strcmp(el->ns, PV_NS_STREAMS) && !strcmp(el->name, "error")) {
        on_server_stream_error(el);
        pv_el_free(el);
        return;
    }
    if (S.state == ST_HANDSHAKE) {
        if (!strcmp(el->name, "handshake")) {
            S.state = ST_UP;
            S.attempts = 0;
            output_set_sinks(sink, sinkv, NULL);
            output_set_sink_copies(sink_copies);
            pv_log(PV_LOG_INFO, WHO, "connected to %s:%d as component %s", S.host, S.port,
                   S.domain);
            if (S.keepalive > 0) {
                S.keep.repeat = S.keepalive;
                ev_timer_again(pv_loop(), &S.keep);
            }
            multicast_connected(); /* XEP-0033 discovery, before the plugins hear it */
            modules_connected();
        } else {
            pv_log(PV_LOG_WARN, WHO, "unexpected <%s/> before the handshake was accepted; ignored",
                   el->name);
        }
        pv_el_free(el);
        return;
    }
    if (S.state != ST_UP && !S.shutting_down) {
        pv_el_free(el);
        return;
    }
    stats_stanza_in();
    metrics_stanza_in(el->name);
    router_dispatch(el);
}

static void on_close(void *ud)
{
    (void)ud;
    if (S.shutting_down) {
        schedule_reconnect("server closed the stream"); /* deferred; ends the shutdown */
        return;
    }
    if (S.state == ST_UP)
        queue_bytes("</stream:stream>", 16, true);
    S.state = ST_CLOSING;
    schedule_reconnect("server closed the stream");
}

static void on_parse_error(void *ud, const char *condition, const char *text)
{
    (void)ud;
    pv_log(PV_LOG_WARN, WHO, "bad input from the server (%s%s%s): closing the stream with %s",
           condition, text ? ": " : "", text ? text : "", condition);
    send_stream_error(condition, text);
    S.state = ST_CLOSING;
}

static const xs_callbacks_t parser_cbs = {
    .open = on_open, .stanza = on_stanza, .close = on_close, .error = on_parse_error};

/* ---------------------------------------------------------------- I/O callbacks */

static void send_header(void)
{
    char buf[512];
    int n = snprintf(buf, sizeof buf,
                     "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' "
                     "xmlns:stream='http://etherx.jabber.org/streams' to='%s'>",
                     S.domain);
    S.state = ST_OPENING;
    queue_bytes(buf, (size_t)n, true);
}

static void on_readable(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)w;
    (void)revents;
    char buf[READ_CHUNK];
    ssize_t n = recv(S.fd, buf, sizeof buf, 0);
    if (n == 0) {
        schedule_reconnect("server closed the connection");
        return;
    }
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return;
        char why[128];
        snprintf(why, sizeof why, "read failed: %s", strerror(errno));
        schedule_reconnect(why);
        return;
    }
    S.in_feed = true;
    S.pending_why[0] = '\0';
    int rc = xs_feed(S.parser, buf, (size_t)n);
    S.in_feed = false;
    if (S.pending_why[0]) {
        char why[sizeof S.pending_why];
        memcpy(why, S.pending_why, sizeof why);
        S.pending_why[0] = '\0';
        flush_out();
        if (S.shutting_down)
            finish_shutdown();
        else if (S.fd >= 0)
            schedule_reconnect(why);
        return;
    }
    if (S.fd < 0)
        return;
    if (rc < 0 || (S.state == ST_CLOSING && !S.shutting_down)) {
        /* Flush the stream error (best effort), then start over. */
        flush_out();
        if (S.fd >= 0)
            schedule_reconnect("stream closed after an error");
    }
}

static void try_next_address(void);

static void on_writable(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)w;
    (void)revents;
    if (S.state == ST_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(S.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
            err = errno;
        if (err) {
            pv_log(PV_LOG_INFO, WHO, "connect to %s:%d failed: %s", S.host, S.port, strerror(err));
            close(S.fd);
            ev_io_stop(pv_loop(), &S.wio);
            S.fd = -1;
            S.cur_addr = S.cur_addr ? S.cur_addr->ai_next : NULL;
            try_next_address();
            return;
        }
        send_header();
        update_watchers();
        return;
    }
    flush_out();
    if (S.shutting_down && S.out.len == 0 && S.state == ST_CLOSING && !S.parser)
        finish_shutdown();
}

static void try_next_address(void)
{
    struct ev_loop *loop = pv_loop();
    for (; S.cur_addr; S.cur_addr = S.cur_addr->ai_next) {
        struct addrinfo *a = S.cur_addr;
        int fd =
            socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0)
            continue;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (connect(fd, a->ai_addr, a->ai_addrlen) < 0 && errno != EINPROGRESS) {
            pv_log(PV_LOG_INFO, WHO, "connect to %s:%d failed: %s", S.host, S.port,
                   strerror(errno));
            close(fd);
            continue;
        }
        S.fd = fd;
        S.parser = xs_new(&S.limits, &parser_cbs, NULL);
        if (!S.parser) {
            close(fd);
            S.fd = -1;
            break;
        }
        S.state = ST_CONNECTING;
        ev_io_set(&S.rio, fd, EV_READ);
        ev_io_set(&S.wio, fd, EV_WRITE);
        ev_io_start(loop, &S.wio);
        return;
    }
    schedule_reconnect("could not connect");
}

static void start_connect(void)
{
    if (S.addrs) {
        freeaddrinfo(S.addrs);
        S.addrs = NULL;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    char port[16];
    snprintf(port, sizeof port, "%d", S.port);
    /* Literal addresses resolve without any lookup; names use the system
     * resolver once per connection attempt. */
    hints.ai_flags = AI_NUMERICHOST;
    int rc = getaddrinfo(S.host, port, &hints, &S.addrs);
    if (rc == EAI_NONAME) {
        hints.ai_flags = AI_ADDRCONFIG;
        rc = getaddrinfo(S.host, port, &hints, &S.addrs);
    }
    if (rc != 0) {
        char why[256];
        snprintf(why, sizeof why, "cannot resolve server host '%s': %s", S.host, gai_strerror(rc));
        S.addrs = NULL;
        schedule_reconnect(why);
        return;
    }
    S.cur_addr = S.addrs;
    try_next_address();
}

static void on_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)w;
    (void)revents;
    start_connect();
}

/* Fires at most `keepalive` seconds after the last output: a whitespace ping
 * when the link was quiet that long, else it waits for the rest. */
static void on_keepalive(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    ev_tstamp quiet = ev_now(loop) - S.last_out;
    if (quiet < S.keepalive) {
        w->repeat = S.keepalive - quiet;
        ev_timer_again(loop, w);
        return;
    }
    if (S.state == ST_UP && S.out.len == 0)
        queue_bytes(" ", 1, true);
    w->repeat = S.keepalive;
    ev_timer_again(loop, w);
}

static void on_closing_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)w;
    (void)revents;
    pv_log(PV_LOG_INFO, WHO, "server did not close the stream in time; closing the connection");
    finish_shutdown();
}

/* ---------------------------------------------------------------- public */

int stream_start(const pv_settings_t *s)
{
    S.host = strdup(s->rhost ? s->rhost : "localhost");
    S.domain = strdup(s->jid);
    S.secret = strdup(s->secret ? s->secret : "");
    if (!S.host || !S.domain || !S.secret) {
        pv_log(PV_LOG_ERROR, WHO, "out of memory");
        return -1;
    }
    S.port = s->rport > 0 ? s->rport : 5347;
    S.keepalive = s->keepalive > 0 ? (double)s->keepalive : 0;
    S.backoff_max = s->reconnect_max > 0 ? (double)s->reconnect_max : 60;
    S.max_out = s->max_outbuf > 0 ? (size_t)s->max_outbuf : 16u << 20;
    xs_limits_default(&S.limits);
    if (s->max_stanza > 0)
        S.limits.max_stanza_bytes = (size_t)s->max_stanza;
    S.limits.max_text = S.limits.max_stanza_bytes;

    ev_init(&S.rio, on_readable);
    ev_init(&S.wio, on_writable);
    ev_init(&S.retry, on_retry);
    ev_init(&S.keep, on_keepalive);
    ev_init(&S.closing, on_closing_timeout);
    if (S.holds) {
        pv_log(PV_LOG_INFO, WHO, "not connecting to %s:%d yet: a plugin holds the connection back",
               S.host, S.port);
        S.start_pending = true;
        return 0;
    }
    start_connect();
    return 0;
}

uint64_t pv_output_hold(void)
{
    if (S.fd < 0 || S.state != ST_UP)
        return 0; /* nothing to hold back: whatever is queued is lost anyway */
    if (S.noholds == S.caponholds) {
        size_t cap = S.caponholds ? S.caponholds * 2 : 16;
        void *grown = realloc(S.oholds, cap * sizeof *S.oholds);
        if (!grown) {
            pv_log(PV_LOG_ERROR, WHO, "out of memory holding output back: not held");
            return 0;
        }
        S.oholds = grown;
        S.caponholds = cap;
    }
    if (!S.noholds)
        S.allowed = S.sent_total; /* nothing more goes until released */
    uint64_t id = ++S.ohold_next;
    S.oholds[S.noholds].id = id;
    S.oholds[S.noholds].pos = S.queued_total;
    S.oholds[S.noholds].released = false;
    S.noholds++;
    update_watchers();
    return id;
}

void pv_output_release(uint64_t token)
{
    size_t i = 0;
    while (i < S.noholds && S.oholds[i].id != token)
        i++;
    if (!token || i == S.noholds)
        return; /* unknown: its connection is gone */
    S.oholds[i].released = true;
    size_t done = 0; /* released ones at the front: what they held may go */
    while (done < S.noholds && S.oholds[done].released)
        S.allowed = S.oholds[done++].pos;
    if (!done)
        return;
    memmove(S.oholds, S.oholds + done, (S.noholds - done) * sizeof *S.oholds);
    S.noholds -= done;
    if (S.fd >= 0 && sendable() > 0)
        flush_out();
}

void pv_connect_hold(void)
{
    S.holds++;
}

void pv_connect_release(void)
{
    if (!S.holds || --S.holds || !S.start_pending)
        return;
    S.start_pending = false;
    if (!S.shutting_down && pv_loop()) {
        pv_log(PV_LOG_INFO, WHO, "connecting to %s:%d now", S.host, S.port);
        start_connect();
    }
}

void stream_shutdown(void (*done)(void))
{
    S.shutdown_done = done;
    S.shutting_down = true;
    ev_timer_stop(pv_loop(), &S.retry);
    if (S.state != ST_UP && S.state != ST_HANDSHAKE && S.state != ST_OPENING) {
        finish_shutdown();
        return;
    }
    pv_log(PV_LOG_INFO, WHO, "closing the stream");
    S.noholds = 0; /* what is held goes out before the stream's end */
    output_set_sink(NULL, NULL);
    queue_bytes("</stream:stream>", 16, true);
    S.state = ST_CLOSING;
    ev_timer_set(&S.closing, SHUTDOWN_TIMEOUT, 0.);
    ev_timer_start(pv_loop(), &S.closing);
}

void stream_shutdown_now(void)
{
    if (!S.shutting_down || !S.shutdown_done)
        return;
    /* What the socket takes now; the rest is lost with it. A failed write
     * has already ended the shutdown (schedule_reconnect). */
    if (S.fd >= 0 && flush_out() < 0)
        return;
    finish_shutdown();
}

int stream_is_up(void)
{
    return S.state == ST_UP;
}

void stream_free(void)
{
    struct ev_loop *loop = pv_loop();
    ev_timer_stop(loop, &S.retry);
    ev_timer_stop(loop, &S.closing);
    close_socket();
    if (S.addrs)
        freeaddrinfo(S.addrs);
    S.addrs = NULL;
    free(S.oholds);
    S.oholds = NULL;
    S.noholds = S.caponholds = 0;
    free(S.host);
    free(S.domain);
    free(S.secret);
    S.host = S.domain = S.secret = NULL;
}
