/*
 * core/log_syslog.c: a small client for the system logger (<log>syslog</log>).
 *
 * Palaver speaks to the logger's socket itself instead of calling syslog(3):
 * glibc's syslog() blocks the whole event loop when the logger stops reading,
 * and it can only use /dev/log. Here the datagram socket is non-blocking:
 * lines the logger has no room for yet (the kernel queues only a few
 * datagrams, net.unix.max_dgram_qlen) wait in memory, in order, and the
 * event loop sends them as soon as the logger reads again; only beyond
 * BACKLOG_MAX bytes are lines dropped, and then counted and reported. At
 * exit the backlog is flushed, waiting up to two seconds. The socket path can be set
 * (<log socket="..."> for a chroot or a private logger), and a logger that
 * is restarted is found again on the next line. The messages are what
 * syslog(3) sends: "<PRI>Mmm dd hh:mm:ss palaver[PID]: text", where PRI
 * is the facility plus the level's severity. Stream sockets (some syslog-ng
 * set-ups) get the same text ended by a NUL byte, as glibc does.
 */
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <palaver/util.h>

#include "log_internal.h"

#define DEFAULT_SOCKET "/dev/log"
#define IDENT "palaver"
#define BACKLOG_MAX (1024 * 1024) /* bytes of lines waiting for the logger */
#define EXIT_FLUSH_MS 2000

/* A line waiting for the logger. */
typedef struct held {
    struct held *next;
    size_t len;
    char msg[];
} held_t;

static struct {
    int fd;
    int type; /* SOCK_DGRAM or SOCK_STREAM once connected */
    int facility;
    char path[sizeof((struct sockaddr_un *)0)->sun_path];
    unsigned long dropped; /* lines dropped (backlog full) */
    time_t last_try;       /* last failed connection attempt */
    held_t *head, *tail;   /* the backlog, oldest first */
    size_t held_bytes;
    ev_io wio; /* active while the backlog is not empty */
} C = {.fd = -1, .facility = LOG_DAEMON};

static void flush_backlog(void);

const char *const log_facility_names[] = {"daemon", "user",     "local0", "local1", "local2",
                                          "local3", "local4",   "local5", "local6", "local7",
                                          "auth",   "authpriv", "cron",   "ftp",    "lpr",
                                          "mail",   "news",     "syslog", "uucp",   NULL};

int log_facility_by_name(const char *name)
{
    static const int values[] = {LOG_DAEMON, LOG_USER,     LOG_LOCAL0, LOG_LOCAL1, LOG_LOCAL2,
                                 LOG_LOCAL3, LOG_LOCAL4,   LOG_LOCAL5, LOG_LOCAL6, LOG_LOCAL7,
                                 LOG_AUTH,   LOG_AUTHPRIV, LOG_CRON,   LOG_FTP,    LOG_LPR,
                                 LOG_MAIL,   LOG_NEWS,     LOG_SYSLOG, LOG_UUCP};
    for (size_t i = 0; name && log_facility_names[i]; i++)
        if (strcmp(name, log_facility_names[i]) == 0)
            return values[i];
    return -1;
}

static int severity(pv_log_level_t level)
{
    switch (level) {
    case PV_LOG_ERROR:
        return LOG_ERR;
    case PV_LOG_WARN:
        return LOG_WARNING;
    case PV_LOG_INFO:
        return LOG_INFO;
    default:
        return LOG_DEBUG; /* debug and traffic */
    }
}

static void stop_watcher(void)
{
    struct ev_loop *loop = pv_loop();
    if (loop && ev_is_active(&C.wio))
        ev_io_stop(loop, &C.wio);
}

static void on_writable(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)w;
    (void)revents;
    flush_backlog();
}

/* Sends the backlog from the event loop once the logger can take it. */
static void start_watcher(void)
{
    struct ev_loop *loop = pv_loop();
    if (!loop || C.fd < 0 || ev_is_active(&C.wio))
        return;
    ev_io_init(&C.wio, on_writable, C.fd, EV_WRITE);
    ev_io_start(loop, &C.wio);
}

static void disconnect(void)
{
    stop_watcher();
    if (C.fd >= 0)
        close(C.fd);
    C.fd = -1;
}

/* Keeps a line for later; counts it as dropped when the backlog is full. */
static void hold(const char *msg, size_t len)
{
    held_t *h = C.held_bytes + len <= BACKLOG_MAX ? malloc(sizeof *h + len) : NULL;
    if (!h) {
        C.dropped++;
        return;
    }
    h->next = NULL;
    h->len = len;
    memcpy(h->msg, msg, len);
    if (C.tail)
        C.tail->next = h;
    else
        C.head = h;
    C.tail = h;
    C.held_bytes += len;
    start_watcher();
}

static void pop(void)
{
    held_t *h = C.head;
    C.head = h->next;
    if (!C.head)
        C.tail = NULL;
    C.held_bytes -= h->len;
    free(h);
}

/* Connects to C.path; a datagram socket first, a stream socket when the
 * logger listens on one (EPROTOTYPE). Returns 0 or -1 (errno set). */
static int connect_logger(void)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    memcpy(sa.sun_path, C.path, sizeof sa.sun_path);
    static const int types[] = {SOCK_DGRAM, SOCK_STREAM};
    int err = 0;
    for (size_t i = 0; i < 2; i++) {
        int flags = types[i] == SOCK_DGRAM ? SOCK_NONBLOCK : 0;
        int fd = socket(AF_UNIX, types[i] | SOCK_CLOEXEC | flags, 0);
        if (fd < 0)
            return -1;
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
            if (types[i] == SOCK_STREAM) {
                /* Blocking, so a line is never cut; but never for long. */
                struct timeval tv = {.tv_sec = 1};
                setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
            }
            C.fd = fd;
            C.type = types[i];
            return 0;
        }
        err = errno;
        close(fd);
        if (err != EPROTOTYPE)
            break;
    }
    errno = err;
    return -1;
}

int syslog_client_open(int facility, const char *path)
{
    disconnect();
    C.facility = facility >= 0 ? facility : LOG_DAEMON;
    snprintf(C.path, sizeof C.path, "%s", path && *path ? path : DEFAULT_SOCKET);
    C.dropped = 0;
    C.last_try = 0;
    if (connect_logger() < 0) {
        C.last_try = time(NULL);
        fprintf(stderr,
                "palaver: cannot reach the system logger at %s (%s); logging to "
                "standard error until it can be reached\n",
                C.path, strerror(errno));
    }
    return 0;
}

size_t syslog_client_header(char *buf, size_t size, pv_log_level_t level)
{
    time_t now = time(NULL);
    struct tm tm;
    char stamp[32] = "Jan  1 00:00:00";
    if (localtime_r(&now, &tm))
        strftime(stamp, sizeof stamp, "%b %e %H:%M:%S", &tm);
    int n = snprintf(buf, size, "<%d>%s %s[%ld]: ", C.facility | severity(level), stamp, IDENT,
                     (long)getpid());
    if (n < 0)
        return 0;
    return (size_t)n < size ? (size_t)n : size - 1;
}

/* One send; 0, or -1 with errno. A stream socket gets the NUL terminator. */
static int send_once(const char *msg, size_t len)
{
    if (C.type == SOCK_STREAM) {
        struct iovec iov[2] = {{(void *)msg, len}, {"", 1}};
        struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
        ssize_t n = sendmsg(C.fd, &mh, MSG_NOSIGNAL);
        return n == (ssize_t)(len + 1) ? 0 : -1;
    }
    return send(C.fd, msg, len, MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)len ? 0 : -1;
}

static bool busy(void)
{
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS;
}

/* Says how many lines were dropped, once the logger takes lines again. */
static void report_dropped(void)
{
    if (!C.dropped || C.head)
        return;
    char note[160];
    size_t h = syslog_client_header(note, sizeof note, PV_LOG_WARN);
    int m = snprintf(note + h, sizeof note - h,
                     "WARN core: %lu log lines were dropped: the "
                     "system logger was not reading",
                     C.dropped);
    if (m > 0 && h + (size_t)m < sizeof note && send_once(note, h + (size_t)m) == 0)
        C.dropped = 0;
}

/* Sends one line now; on a broken connection reconnects once and retries.
 * Returns 0 (sent), 1 (the logger is busy: hold it) or -1 (unreachable). */
static int deliver(const char *msg, size_t len)
{
    if (send_once(msg, len) == 0)
        return 0;
    if (busy())
        return 1;
    /* The logger went away or was restarted: reconnect once and retry. */
    disconnect();
    if (connect_logger() == 0) {
        if (send_once(msg, len) == 0)
            return 0;
        if (busy())
            return 1;
        disconnect();
    }
    C.last_try = time(NULL);
    return -1;
}

/* Writes the backlog to stderr (the logger is gone) and empties it. */
static void spill_backlog(void)
{
    while (C.head) {
        /* Without the syslog header, as log.c does for a line it cannot send. */
        const char *text = memchr(C.head->msg, ']', C.head->len);
        size_t skip =
            text && text + 3 <= C.head->msg + C.head->len ? (size_t)(text + 3 - C.head->msg) : 0;
        fprintf(stderr, "%.*s\n", (int)(C.head->len - skip), C.head->msg + skip);
        pop();
    }
    stop_watcher();
}

static void flush_backlog(void)
{
    while (C.head) {
        int rc = C.fd >= 0 ? deliver(C.head->msg, C.head->len) : -1;
        if (rc == 1) {
            start_watcher();
            return;
        }
        if (rc < 0) {
            spill_backlog();
            return;
        }
        pop();
    }
    stop_watcher();
    report_dropped();
}

int syslog_client_send(const char *msg, size_t len)
{
    if (C.path[0] == '\0')
        return -1;
    if (C.fd < 0) {
        /* Not reachable: try again at most once a second. */
        time_t now = time(NULL);
        if (now == C.last_try || connect_logger() < 0) {
            C.last_try = now;
            return -1;
        }
        flush_backlog();
    }
    if (C.head) { /* keep the order: behind the lines already waiting */
        hold(msg, len);
        return 0;
    }
    int rc = deliver(msg, len);
    if (rc == 1) {
        hold(msg, len); /* the logger is behind: never stall the daemon for it */
        return 0;
    }
    if (rc == 0)
        report_dropped();
    return rc;
}

void syslog_client_reopen(void)
{
    if (C.path[0] == '\0')
        return;
    disconnect();
    if (connect_logger() < 0)
        C.last_try = time(NULL);
    else
        flush_backlog();
}

void syslog_client_close(void)
{
    /* Give the logger a moment to take what is still waiting. */
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (C.head && C.fd >= 0) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        long left =
            EXIT_FLUSH_MS - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
        struct pollfd pfd = {.fd = C.fd, .events = POLLOUT};
        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
            break;
        flush_backlog();
    }
    if (C.head)
        spill_backlog();
    disconnect();
    C.path[0] = '\0';
    C.dropped = 0;
}
