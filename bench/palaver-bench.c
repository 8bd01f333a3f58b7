/*
 * bench/palaver-bench.c: a load generator that plays the server side of
 * XEP-0114 so that the palaver component is measured alone. It listens on a
 * loopback port, writes a config, spawns palaver, handshakes it, then joins
 * R rooms x N occupants (GroupChat 1.0 joins: instant rooms), sends M
 * groupchat messages with a bounded window in flight (or at a fixed rate),
 * and counts what comes back. It reports delivered stanzas/s, latency
 * percentiles from send to last delivery, palaver's CPU seconds per 1,000
 * deliveries (utime+stime from /proc/PID/stat) and its memory (VmRSS,
 * VmHWM). --backend names the storage (sqlite in a temporary file unless
 * --database, pgsql through --conninfo) and --persistent configures every
 * room persistent with logging on before the messages (each message is then
 * archived: the default deployment). A --startup mode times start-up against an existing SQLite
 * file; a --first-join mode joins each of R rooms stored in one once (the first use of a stored
 * room, which loads it), reports the latency from the join to the self-presence, and with --idle
 * leaves them all and waits until <hibernate-after> took them out of memory again (read from the
 * service admin's get-statistics command), printing the memory at each step.
 *
 * Incoming stanzas are not parsed as full XML: a small tag scanner finds
 * top-level element boundaries (quotes, comments and CDATA respected) and
 * looks for the few markers the benchmark needs (status 110, <body>).
 * Plain poll(); one process; everything it allocates is freed at exit.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DOMAIN "muc.localhost"
#define SECRET "benchsecret"
#define MCAST_JID "multicast.bench.localhost"
#define ADMIN_JID "admin@bench.localhost"

typedef struct {
    int rooms, occupants, messages, window, join_window;
    double rate; /* messages per second; 0: as fast as the window allows */
    const char *backend, *plugins, *palaver, *moddir, *sqlite_path, *keep_dir, *conninfo;
    bool startup, first_join, history, verbose, join_window_set;
    bool persistent; /* rooms configured persistent with logging on before the messages */
    int idle_secs;
    int hibernate_after; /* --first-join: <hibernate-after> in seconds */
    int hold_secs;       /* keep palaver running this long at the end (to attach a profiler) */
    long stored;         /* --first-join: rooms in the file; room i*(stored/rooms) is joined */
    int multicast;       /* >0: <multicast> to MCAST_JID with this limit per stanza */
} opts_t;

static opts_t O = {.rooms = 1,
                   .occupants = 10,
                   .messages = 1000,
                   .window = 50,
                   .join_window = 200,
                   .backend = "memory",
                   .plugins = "muc-core",
                   .hibernate_after = 2};

/* --- process and connection state --- */
static pid_t child = -1;
static int fd = -1;
static char tmpdir[256];

static char *inbuf;
static size_t inlen, incap;
static char *outbuf;
static size_t outlen, outoff, outcap;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "palaver-bench: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    if (child > 0) {
        kill(child, SIGTERM);
        waitpid(child, NULL, 0);
    }
    exit(1);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --- /proc readings of the palaver process --- */
static double proc_cpu_s(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        die("cannot open %s: %s", path, strerror(errno));
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    if (!p)
        die("cannot parse %s", path);
    unsigned long ut = 0, st = 0;
    /* after ")": state(3) ... utime is field 14, stime 15 */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        die("cannot parse utime/stime in %s", path);
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static long proc_status_kb(pid_t pid, const char *key)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        die("cannot open %s: %s", path, strerror(errno));
    long v = -1;
    size_t kl = strlen(key);
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, key, kl) && line[kl] == ':') {
            v = strtol(line + kl + 1, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

/* --- output buffer --- */
static void out_append(const char *s, size_t n)
{
    if (outlen + n > outcap) {
        if (outoff) {
            memmove(outbuf, outbuf + outoff, outlen - outoff);
            outlen -= outoff;
            outoff = 0;
        }
        while (outlen + n > outcap)
            outcap = outcap ? outcap * 2 : 65536;
        outbuf = realloc(outbuf, outcap);
        if (!outbuf)
            die("out of memory");
    }
    memcpy(outbuf + outlen, s, n);
    outlen += n;
}

static void out_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out_printf(const char *fmt, ...)
{
    char tmp[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp)
        die("stanza too long");
    out_append(tmp, (size_t)n);
}

/* --- incoming stanza scanner --- */
typedef void (*stanza_cb)(const char *s, size_t n);
static int depth;           /* 0: before the stream header, 1: inside the stream */
static size_t stanza_start; /* offset in inbuf of the current top-level element */
static size_t scan_pos;
static bool stream_closed; /* the component sent </stream:stream> */

/* Consumes complete top-level elements from inbuf; calls cb for each. */
static void scan(stanza_cb cb)
{
    size_t i = scan_pos;
    while (i < inlen) {
        if (inbuf[i] != '<') {
            i++;
            continue;
        }
        /* find the end of this markup, respecting quotes and special forms */
        size_t j = i + 1;
        if (j >= inlen)
            break;
        if (inbuf[j] == '!' || inbuf[j] == '?') {
            const char *endmark = "?>";
            if (inlen - j >= 3 && !memcmp(inbuf + j, "!--", 3))
                endmark = "-->";
            else if (inlen - j >= 8 && !memcmp(inbuf + j, "![CDATA[", 8))
                endmark = "]]>";
            else if (inbuf[j] == '!')
                endmark = ">";
            char *e = memmem(inbuf + j, inlen - j, endmark, strlen(endmark));
            if (!e)
                break;
            i = (size_t)(e - inbuf) + strlen(endmark);
            continue;
        }
        char q = 0;
        size_t k = j;
        for (; k < inlen; k++) {
            char c = inbuf[k];
            if (q) {
                if (c == q)
                    q = 0;
            } else if (c == '\'' || c == '"')
                q = c;
            else if (c == '>')
                break;
        }
        if (k >= inlen)
            break; /* incomplete tag */
        bool end = inbuf[j] == '/';
        bool empty = inbuf[k - 1] == '/';
        if (end) {
            depth--;
            if (depth == 0) { /* </stream:stream> */
                stream_closed = true;
                i = k + 1;
                continue;
            }
            if (depth == 1)
                cb(inbuf + stanza_start, k + 1 - stanza_start);
        } else {
            if (depth == 1)
                stanza_start = i;
            if (!empty)
                depth++;
            else if (depth == 1)
                cb(inbuf + stanza_start, k + 1 - stanza_start);
        }
        i = k + 1;
    }
    /* drop what is consumed; keep the current partial stanza */
    size_t keep = depth >= 2 ? stanza_start : i;
    if (keep > 0) {
        memmove(inbuf, inbuf + keep, inlen - keep);
        inlen -= keep;
        i -= keep;
        if (depth >= 2)
            stanza_start = 0;
    }
    scan_pos = i;
}

/* --- I/O --- */
static bool peer_gone;

static void pump(int timeout_ms, stanza_cb cb)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (outoff < outlen)
        p.events |= POLLOUT;
    int r = poll(&p, 1, timeout_ms);
    if (r < 0) {
        if (errno == EINTR)
            return;
        die("poll: %s", strerror(errno));
    }
    if (r == 0)
        return;
    if (p.revents & POLLOUT) {
        ssize_t w = write(fd, outbuf + outoff, outlen - outoff);
        if (w < 0 && errno != EAGAIN && errno != EINTR)
            die("write: %s", strerror(errno));
        if (w > 0) {
            outoff += (size_t)w;
            if (outoff == outlen)
                outoff = outlen = 0;
        }
    }
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
        for (;;) {
            if (incap - inlen < 65536) {
                incap = incap ? incap * 2 : 262144;
                inbuf = realloc(inbuf, incap);
                if (!inbuf)
                    die("out of memory");
            }
            ssize_t n = read(fd, inbuf + inlen, incap - inlen);
            if (n < 0) {
                if (errno == EAGAIN || errno == EINTR)
                    break;
                die("read: %s", strerror(errno));
            }
            if (n == 0) {
                if (!peer_gone)
                    fprintf(stderr, "palaver-bench: the component closed the connection\n");
                peer_gone = true;
                break;
            }
            inlen += (size_t)n;
            if ((size_t)n < 65536)
                break;
        }
        scan(cb);
    }
}

/* --- counters shared by the phases --- */
static long stanzas_in, errors_in, joins_done, deliveries;
static char first_error[512];

typedef struct {
    double sent;
    int left; /* deliveries still expected */
} msg_t;
static msg_t *msgs;
static double *lat;
static long nlat, completed;

static bool has(const char *s, size_t n, const char *needle)
{
    return memmem(s, n, needle, strlen(needle)) != NULL;
}

static void note_error(const char *s, size_t n)
{
    if (has(s, n, "type='error'") || has(s, n, "type=\"error\"")) {
        errors_in++;
        if (!first_error[0])
            snprintf(first_error, sizeof first_error, "%.*s", (int)(n < 500 ? n : 500), s);
    }
}

static void on_stanza(const char *s, size_t n)
{
    stanzas_in++;
    note_error(s, n);
    if (s[1] == 'p') { /* presence: a finished join carries status 110 */
        if (has(s, n, "code='110'") || has(s, n, "code=\"110\""))
            joins_done++;
        return;
    }
    if (s[1] != 'm')
        return;
    const char *b = memmem(s, n, "<body>", 6);
    if (!b)
        return;
    b += 6;
    if (*b != 'b')
        return;
    long seq = strtol(b + 1, NULL, 10);
    /* (msgs is NULL before the message phase: the joins to stored rooms of
     * an earlier run get their discussion history then) */
    if (!msgs || seq < 0 || seq >= O.messages || !msgs[seq].left)
        return;
    /* one stanza to the multicast service stands for each of its addresses */
    int count = 1;
    if (O.multicast > 0 && has(s, n, "to='" MCAST_JID "'")) {
        count = 0;
        for (const char *a = s; (a = memmem(a, n - (size_t)(a - s), "<address ", 9)); a += 9)
            count++;
        if (count > msgs[seq].left)
            count = msgs[seq].left;
    }
    deliveries += count;
    msgs[seq].left -= count - 1;
    if (--msgs[seq].left == 0) {
        lat[nlat++] = now_s() - msgs[seq].sent;
        completed++;
    }
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* --- start-up: listen, config, spawn, handshake --- */
static int listen_fd;

/* The load comes from a few senders: LIMIT-1's join throttles would refuse it. */
#define NO_THROTTLE "<throttle><join burst='0'/><room-join burst='0'/></throttle>"

static void write_config(int port)
{
    char path[512];
    snprintf(path, sizeof path, "%s/palaver.xml", tmpdir);
    FILE *f = fopen(path, "w");
    if (!f)
        die("cannot write %s: %s", path, strerror(errno));
    fprintf(f,
            "<?xml version='1.0'?>\n<palaver>\n  <name>" DOMAIN "</name>\n"
            "  <ip>127.0.0.1</ip>\n  <port>%d</port>\n  <secret>" SECRET "</secret>\n",
            port);
    if (O.first_join) /* it reads the statistics */
        fprintf(f, "  <sadmin><user>" ADMIN_JID "</user></sadmin>\n");
    if (O.sqlite_path || !strcmp(O.backend, "sqlite")) /* a file in the temp dir unless told */
        fprintf(f, "  <backend><type>sqlite</type><path>%s%s</path></backend>\n",
                O.sqlite_path ? O.sqlite_path : tmpdir, O.sqlite_path ? "" : "/palaver.db");
    else if (O.conninfo && !strcmp(O.backend, "pgsql"))
        fprintf(f, "  <backend><type>%s</type><conninfo>%s</conninfo></backend>\n", O.backend,
                O.conninfo);
    else
        fprintf(f, "  <backend><type>%s</type></backend>\n", O.backend);
    fprintf(f, "  <spool>%s/spool</spool>\n  <plugins>\n", tmpdir);
    if (O.multicast > 0)
        fprintf(f,
                "    <muc-core><flood-burst>0</flood-burst>" NO_THROTTLE "<multicast>" MCAST_JID
                "</multicast><multicast-limit>%d</multicast-limit></muc-core>\n",
                O.multicast);
    else if (O.first_join)
        fprintf(f,
                "    <muc-core><flood-burst>0</flood-burst>" NO_THROTTLE "<hibernate-after>%d"
                "</hibernate-after></muc-core>\n",
                O.hibernate_after);
    else
        fprintf(f, "    <muc-core><flood-burst>0</flood-burst>" NO_THROTTLE "</muc-core>\n");
    if (O.history)
        fprintf(f, "    <history/>\n");
    fprintf(f, "  </plugins>\n</palaver>\n");
    if (fclose(f) != 0)
        die("writing %s: %s", path, strerror(errno));
}

static void spawn_palaver(void)
{
    char cfg[512], log[512];
    snprintf(cfg, sizeof cfg, "%s/palaver.xml", tmpdir);
    snprintf(log, sizeof log, "%s/palaver.log", tmpdir);
    child = fork();
    if (child < 0)
        die("fork: %s", strerror(errno));
    if (child == 0) {
        int lf = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (lf >= 0) {
            dup2(lf, 1);
            dup2(lf, 2);
            close(lf);
        }
        close(listen_fd);
        const char *argv[8] = {O.palaver, "-c", cfg};
        int a = 3;
        if (O.moddir) {
            argv[a++] = "--moduledir";
            argv[a++] = O.moddir;
        }
        if (O.verbose)
            argv[a++] = "-v";
        argv[a] = NULL;
        execv(O.palaver, (char *const *)argv);
        fprintf(stderr, "exec %s: %s\n", O.palaver, strerror(errno));
        _exit(127);
    }
}

static void expect_handshake_cb(const char *s, size_t n)
{
    if (n > 10 && !memcmp(s, "<handshake", 10))
        joins_done = -1; /* reused as a flag during the handshake */
}

static double t_spawn, t_connected, t_handshake;

static void start_and_handshake(void)
{
    listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        listen(listen_fd, 4) < 0 || getsockname(listen_fd, (struct sockaddr *)&sa, &sl) < 0)
        die("listen: %s", strerror(errno));
    write_config(ntohs(sa.sin_port));
    t_spawn = now_s();
    spawn_palaver();
    /* wait for its connection, or for it to exit (a bad config, an unusable
       database) */
    struct pollfd p = {.fd = listen_fd, .events = POLLIN};
    int status;
    for (double until = now_s() + 600; poll(&p, 1, 200) != 1;) {
        if (waitpid(child, &status, WNOHANG) == child) {
            child = -1;
            die("palaver exited (status %d) before connecting (see %s/palaver.log)",
                WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status), tmpdir);
        }
        if (now_s() > until)
            die("palaver did not connect (see %s/palaver.log)", tmpdir);
    }
    fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        die("accept: %s", strerror(errno));
    t_connected = now_s();
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* read its stream header (depth goes to 1), then answer with ours */
    double deadline = now_s() + 30;
    while (depth < 1 && now_s() < deadline && !peer_gone)
        pump(100, expect_handshake_cb);
    if (depth < 1)
        die("no stream header from palaver (see %s/palaver.log)", tmpdir);
    out_printf("<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/"
               "streams' xmlns='jabber:component:accept' from='" DOMAIN "' id='bench1'>");
    joins_done = 0;
    while (joins_done != -1 && now_s() < deadline && !peer_gone)
        pump(100, expect_handshake_cb);
    if (joins_done != -1)
        die("no handshake from palaver (see %s/palaver.log)", tmpdir);
    /* the bench does not verify the digest: it measures, it does not test */
    out_printf("<handshake/>");
    joins_done = 0;
    t_handshake = now_s();
}

static void drain(double quiet_s)
{
    long before;
    do {
        before = stanzas_in;
        double end = now_s() + quiet_s;
        while (now_s() < end)
            pump(20, on_stanza);
    } while (stanzas_in != before);
}

/* --- phases --- */
static void phase_join(void)
{
    long total = (long)O.rooms * O.occupants, sent = 0;
    long s0 = stanzas_in;
    double c0 = proc_cpu_s(child), t0 = now_s(), last_progress = t0;
    while (joins_done < total) {
        while (sent < total && sent - joins_done < O.join_window) {
            int room = (int)(sent / O.occupants), occ = (int)(sent % O.occupants);
            out_printf("<presence from='u%d@bench.localhost/r' to='room%d@" DOMAIN "/nick%d'/>",
                       occ, room, occ);
            sent++;
        }
        long before = stanzas_in;
        pump(1000, on_stanza);
        if (stanzas_in != before)
            last_progress = now_s();
        else if (now_s() - last_progress > 30)
            die("joins stalled at %ld/%ld; errors %ld; first: %s", joins_done, total, errors_in,
                first_error);
        if (peer_gone)
            die("palaver went away during joins (see %s/palaver.log)", tmpdir);
    }
    double dt = now_s() - t0; /* until the last join's self-presence */
    drain(0.3);               /* the rest of the broadcasts */
    double dc = proc_cpu_s(child) - c0;
    long st = stanzas_in - s0;
    printf("join: %ld joins (%d rooms x %d) in %.3f s = %.0f joins/s; %ld stanzas back "
           "(%.0f/s); palaver CPU %.3f s = %.3f ms/join, %.4f s per 1000 stanzas\n",
           total, O.rooms, O.occupants, dt, (double)total / dt, st, (double)st / dt, dc,
           dc * 1000 / (double)total, dc * 1000 / (double)st);
}

/* --persistent: the creator of each room (u0, its owner) submits the owner
 * form: persistent, logging on (the archive every message then goes to). */
static long configured, configure_errors;

static void on_configure(const char *s, size_t n)
{
    on_stanza(s, n);
    if (s[1] != 'i' || !(has(s, n, "id='bcfg") || has(s, n, "id=\"bcfg")))
        return;
    if (has(s, n, "type='result'") || has(s, n, "type=\"result\""))
        configured++;
    else
        configure_errors++;
}

static void phase_configure(void)
{
    double c0 = proc_cpu_s(child), t0 = now_s();
    for (int room = 0; room < O.rooms; room++)
        out_printf("<iq type='set' id='bcfg%d' from='u0@bench.localhost/r' to='room%d@" DOMAIN
                   "'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data'"
                   " type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/"
                   "muc#roomconfig</value></field><field var='muc#roomconfig_persistentroom'>"
                   "<value>1</value></field><field var='muc#roomconfig_enablelogging'><value>1"
                   "</value></field></x></query></iq>",
                   room, room);
    while (configured + configure_errors < O.rooms) {
        if (now_s() - t0 > 60)
            die("configuring rooms stalled at %ld/%d", configured + configure_errors, O.rooms);
        pump(1000, on_configure);
        if (peer_gone)
            die("palaver went away while rooms were configured (see %s/palaver.log)", tmpdir);
    }
    if (configure_errors)
        die("%ld rooms refused the configuration; first error: %s", configure_errors, first_error);
    drain(0.3);
    printf("configure: %d rooms persistent with logging on (backend %s) in %.3f s; palaver CPU "
           "%.3f s\n",
           O.rooms, O.backend, now_s() - t0, proc_cpu_s(child) - c0);
}

static void phase_messages(void)
{
    if (O.messages <= 0)
        return;
    msgs = calloc((size_t)O.messages, sizeof *msgs);
    lat = calloc((size_t)O.messages, sizeof *lat);
    if (!msgs || !lat)
        die("out of memory");
    long expected = (long)O.messages * O.occupants;
    long d0 = deliveries, e0 = errors_in;
    double c0 = proc_cpu_s(child), t0 = now_s();
    long sent = 0;
    double last_progress = t0;
    while (completed < O.messages) {
        double t = now_s();
        while (sent < O.messages && sent - completed < O.window &&
               (O.rate <= 0 || (double)sent < (t - t0) * O.rate)) {
            int room = (int)(sent % O.rooms);
            int occ = (int)((sent / O.rooms) % O.occupants);
            msgs[sent].left = O.occupants;
            msgs[sent].sent = now_s();
            out_printf("<message from='u%d@bench.localhost/r' to='room%d@" DOMAIN
                       "' type='groupchat' id='m%ld'><body>b%ld</body></message>",
                       occ, room, sent, sent);
            sent++;
        }
        long before = completed;
        pump(O.rate > 0 ? 1 : 1000, on_stanza);
        if (completed != before)
            last_progress = now_s();
        else if (now_s() - last_progress > 10)
            die("messages stalled: %ld/%d complete, %ld deliveries; errors %ld; first: %s",
                completed, O.messages, deliveries - d0, errors_in - e0, first_error);
        if (peer_gone)
            die("palaver went away during messages");
    }
    double dt = now_s() - t0, dc = proc_cpu_s(child) - c0;
    long dl = deliveries - d0;
    qsort(lat, (size_t)nlat, sizeof *lat, cmp_d);
    double p50 = lat[nlat / 2], p99 = lat[(nlat * 99) / 100 < nlat ? (nlat * 99) / 100 : nlat - 1];
    printf("messages: %d sent, %ld/%ld delivered in %.3f s = %.0f deliveries/s; latency p50 "
           "%.3f ms p99 %.3f ms (window %d%s); palaver CPU %.3f s = %.4f s per 1000 deliveries "
           "(%.1f us/delivery); errors %ld\n",
           O.messages, dl, expected, dt, (double)dl / dt, p50 * 1e3, p99 * 1e3, O.window,
           O.rate > 0 ? ", rate-limited" : "", dc, dc * 1000 / (double)dl, dc * 1e6 / (double)dl,
           errors_in - e0);
}

static void print_mem(const char *when)
{
    /* RssAnon is the heap; RssFile is mostly the pages of code run so far */
    printf("memory %s: VmRSS %ld kB, VmHWM %ld kB (RssAnon %ld kB, RssFile %ld kB)\n", when,
           proc_status_kb(child, "VmRSS"), proc_status_kb(child, "VmHWM"),
           proc_status_kb(child, "RssAnon"), proc_status_kb(child, "RssFile"));
}

/* The probe's answer: the room's name from its disco#info identity. */
static char probe_name[256];

static void on_probe(const char *s, size_t n)
{
    on_stanza(s, n);
    const char *id = memmem(s, n, "<identity", 9);
    const char *nm = id ? memmem(id, n - (size_t)(id - s), "name=", 5) : NULL;
    if (!nm || (size_t)(nm + 6 - s) >= n)
        return;
    const char *v = nm + 6, *e = memchr(v, nm[5], n - (size_t)(v - s));
    if (e)
        snprintf(probe_name, sizeof probe_name, "%.*s", (int)(e - v), v);
}

static void startup_probe(void)
{
    /* one disco#info to the last room: answered only once loading is done
       (the daemon is single-threaded) */
    double t0 = now_s();
    out_printf("<iq type='get' id='probe' from='u0@bench.localhost/r' to='room%d@" DOMAIN
               "'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
               O.rooms > 0 ? O.rooms - 1 : 0);
    long before = stanzas_in;
    while (stanzas_in == before && now_s() - t0 < 600 && !peer_gone)
        pump(100, on_probe);
    double t1 = now_s();
    printf("startup: connected %.3f s after spawn, handshake done %.3f s, first answer "
           "(disco#info to room%d) %.3f s after spawn%s; palaver CPU so far %.3f s\n",
           t_connected - t_spawn, t_handshake - t_spawn, O.rooms - 1, t1 - t_spawn,
           errors_in ? " (an error: the room was not found)" : "", proc_cpu_s(child));
    if (errors_in)
        printf("  answer: %s\n", first_error);
    else
        printf("  answer: identity name '%s'\n", probe_name);
}

/* --- the first join to stored rooms (--first-join) --- */
static double *fj_sent; /* per room: when its join or leave went out; 0: no answer due */
static double *fj_lat;
static long fj_nlat, fj_done, fj_errors;
static bool fj_leaving;
static long stat_rooms = -1, stat_loads = -1, stat_unloads = -1;
static bool stats_answered;

/* Joins spread over the stored rooms: the i-th goes to room<i * stride>. */
static long fj_stride(void)
{
    return O.stored > O.rooms ? O.stored / O.rooms : 1;
}

/* The join index i of from='room<i * stride>@...', or -1. */
static long room_of(const char *s, size_t n)
{
    const char *f = memmem(s, n, "from='room", 10);
    if (!f)
        f = memmem(s, n, "from=\"room", 10);
    if (!f)
        return -1;
    char *end;
    long k = strtol(f + 10, &end, 10), stride = fj_stride();
    if (end == f + 10 || *end != '@' || k < 0 || k % stride || k / stride >= O.rooms)
        return -1;
    return k / stride;
}

/* The number in <field var='VAR'><value>N</value>, or -1. */
static long stat_value(const char *s, size_t n, const char *var)
{
    char key[2][80];
    snprintf(key[0], sizeof key[0], "var='%s'", var);
    snprintf(key[1], sizeof key[1], "var=\"%s\"", var);
    for (int q = 0; q < 2; q++) {
        const char *f = memmem(s, n, key[q], strlen(key[q]));
        const char *v = f ? memmem(f, n - (size_t)(f - s), "<value>", 7) : NULL;
        if (v)
            return strtol(v + 7, NULL, 10);
    }
    return -1;
}

static void on_first_join(const char *s, size_t n)
{
    stanzas_in++;
    note_error(s, n);
    if (s[1] == 'i' && (has(s, n, "id='bstat'") || has(s, n, "id=\"bstat\""))) {
        stat_rooms = stat_value(s, n, "rooms");
        stat_loads = stat_value(s, n, "rooms-loads");
        stat_unloads = stat_value(s, n, "rooms-unloads");
        stats_answered = true;
        return;
    }
    if (s[1] != 'p')
        return;
    long i = room_of(s, n);
    if (i < 0 || fj_sent[i] == 0)
        return;
    bool err = has(s, n, "type='error'") || has(s, n, "type=\"error\"");
    bool self = has(s, n, "code='110'") || has(s, n, "code=\"110\"");
    bool gone = has(s, n, "type='unavailable'") || has(s, n, "type=\"unavailable\"");
    if (!err && (!self || gone != fj_leaving))
        return; /* someone else's presence */
    if (err)
        fj_errors++;
    else if (!fj_leaving)
        fj_lat[fj_nlat++] = now_s() - fj_sent[i];
    fj_sent[i] = 0;
    fj_done++;
}

/* The service admin's get-statistics: rooms in memory, loads, unloads
 * (-1 for a figure the service does not give). */
static void fetch_stats(void)
{
    stats_answered = false;
    out_printf("<iq type='set' id='bstat' from='" ADMIN_JID "/r' to='" DOMAIN "'><command "
               "xmlns='http://jabber.org/protocol/commands' node='http://jabber.org/protocol/"
               "admin#get-statistics' action='execute'/></iq>");
    double t0 = now_s();
    while (!stats_answered && now_s() - t0 < 30 && !peer_gone)
        pump(100, on_first_join);
    if (!stats_answered)
        die("no answer to get-statistics (see %s/palaver.log)", tmpdir);
}

/* Joins (or leaves) room0..room<R-1> once each, one client per room, with
 * at most the join window (default 1: one at a time) waiting for its
 * self-presence. */
static void first_join_run(bool leaving)
{
    long total = O.rooms, sent = 0;
    long window = O.join_window_set ? O.join_window : 1;
    double last_progress = now_s();
    fj_leaving = leaving;
    fj_done = 0;
    while (fj_done < total) {
        while (sent < total && sent - fj_done < window) {
            long room = sent * fj_stride();
            fj_sent[sent] = now_s();
            if (leaving)
                out_printf("<presence type='unavailable' from='u%ld@bench.localhost/r' "
                           "to='room%ld@" DOMAIN "/nick%ld'/>",
                           sent, room, sent);
            else
                out_printf("<presence from='u%ld@bench.localhost/r' to='room%ld@" DOMAIN
                           "/nick%ld'><x xmlns='http://jabber.org/protocol/muc'/></presence>",
                           sent, room, sent);
            sent++;
        }
        long before = fj_done;
        pump(1000, on_first_join);
        if (fj_done != before)
            last_progress = now_s();
        else if (now_s() - last_progress > 30)
            die("%s stalled at %ld/%ld; errors %ld; first: %s", leaving ? "leaves" : "joins",
                fj_done, total, errors_in, first_error);
        if (peer_gone)
            die("palaver went away (see %s/palaver.log)", tmpdir);
    }
}

static long rss_startup, rss_joined;

static void phase_first_join(void)
{
    fj_sent = calloc((size_t)O.rooms, sizeof *fj_sent);
    fj_lat = calloc((size_t)O.rooms, sizeof *fj_lat);
    if (!fj_sent || !fj_lat)
        die("out of memory");
    fetch_stats(); /* the service answers: start-up is over */
    printf("statistics at start-up: rooms %ld\n", stat_rooms);
    rss_startup = proc_status_kb(child, "VmRSS");
    print_mem("at start-up");
    double c0 = proc_cpu_s(child), t0 = now_s();
    first_join_run(false);
    double dt = now_s() - t0;
    drain(0.3); /* the subjects after the last self-presence */
    double dc = proc_cpu_s(child) - c0;
    double p50 = 0, p99 = 0, max = 0;
    if (fj_nlat > 0) {
        qsort(fj_lat, (size_t)fj_nlat, sizeof *fj_lat, cmp_d);
        p50 = fj_lat[fj_nlat / 2];
        p99 = fj_lat[(fj_nlat * 99) / 100 < fj_nlat ? (fj_nlat * 99) / 100 : fj_nlat - 1];
        max = fj_lat[fj_nlat - 1];
    }
    printf("first-join: %d joins, one to each of %d rooms of %ld stored (window %ld), in %.3f s "
           "= %.0f joins/s; latency p50 %.3f ms p99 %.3f ms max %.3f ms; palaver CPU %.3f s = "
           "%.3f ms/join; errors %ld\n",
           O.rooms, O.rooms, O.stored > O.rooms ? O.stored : (long)O.rooms,
           O.join_window_set ? (long)O.join_window : 1L, dt, (double)O.rooms / dt, p50 * 1e3,
           p99 * 1e3, max * 1e3, dc, dc * 1000 / (double)O.rooms, fj_errors);
    if (fj_errors)
        printf("  first error: %s\n", first_error);
    fetch_stats();
    printf("statistics after joins: rooms %ld, rooms-loads %ld\n", stat_rooms, stat_loads);
    rss_joined = proc_status_kb(child, "VmRSS");
    print_mem("after joins");
}

#define SETTLE_SECS 5.0

/* Leaves every room, then asks for the statistics every half second until
 * no room is in memory or --idle seconds have passed; reads the memory
 * SETTLE_SECS later. */
static void phase_hibernate(void)
{
    double t0 = now_s();
    first_join_run(true);
    printf("leave: %d rooms left in %.3f s\n", O.rooms, now_s() - t0);
    drain(0.2);
    print_mem("after leaving");
    double t_left = now_s();
    do {
        double until = now_s() + 0.5;
        while (now_s() < until)
            pump(50, on_first_join);
        fetch_stats();
    } while (stat_rooms != 0 && now_s() - t_left < O.idle_secs);
    printf("hibernation: %ld rooms in memory %.1f s after the last leave (hibernate-after %d s); "
           "rooms-loads %ld, rooms-unloads %ld\n",
           stat_rooms, now_s() - t_left, O.hibernate_after, stat_loads, stat_unloads);
    /* The storage's own idle clean-up (the sqlite backend gives an idle
     * connection's page cache back within SETTLE_SECS) before the reading. */
    double settle = now_s() + SETTLE_SECS;
    while (now_s() < settle)
        pump(50, on_first_join);
    long rss = proc_status_kb(child, "VmRSS");
    print_mem("after hibernation");
    printf("rss: start-up %ld kB, after joins %ld kB, after hibernation %ld kB = %+.1f%% of "
           "start-up\n",
           rss_startup, rss_joined, rss, 100.0 * (double)(rss - rss_startup) / (double)rss_startup);
}

static void usage(void)
{
    fprintf(
        stderr,
        "usage: palaver-bench [options]\n"
        "  -r ROOMS  -n OCCUPANTS-PER-ROOM  -m MESSAGES  -w WINDOW  -W JOIN-WINDOW\n"
        "  --rate MSG/S     send at this rate (default: as fast as the window allows)\n"
        "  --history        load the history plugin too\n"
        "  --backend NAME   memory (default), sqlite (a file in the temp dir unless\n"
        "                   --database), spool, pgsql (with --conninfo)\n"
        "  --database FILE  the sqlite database file\n"
        "  --conninfo STR   the pgsql backend's libpq connection string\n"
        "  --persistent     before the messages, configure every room persistent with\n"
        "                   logging on (archived messages: the default deployment)\n"
        "  --multicast N    muc-core fans out through XEP-0033 (" MCAST_JID ", played\n"
        "                   here) with at most N recipients per stanza; each address\n"
        "                   counts as a delivery\n"
        "  --idle SECS      after joining, wait and print memory (idle rooms)\n"
        "  --startup FILE   time start-up against this SQLite database; -r names the\n"
        "                   room count in it (the probe asks room<r-1>)\n"
        "  --first-join FILE  join room0..room<r-1> stored in this SQLite database\n"
        "                   once each (one at a time unless -W): latency of the first\n"
        "                   join, which loads the room; with --idle SECS, then leave\n"
        "                   them all and wait up to SECS for them to hibernate\n"
        "  --hibernate-after SECS  <hibernate-after> for --first-join (default 2)\n"
        "  --stored N       --first-join: the file holds N rooms; the joins are spread\n"
        "                   over them (room0, room<N/r>, room<2N/r>...)\n"
        "  --hold SECS      at the end, print palaver's pid and leave it running this\n"
        "                   long before stopping it (to attach gdb or perf)\n"
        "  --palaver BIN    (default $PALAVER_BIN or ./palaver)\n"
        "  --moduledir DIRS (default $PALAVER_MODULE_DIR)\n"
        "  --keep           keep the temp dir (config, palaver.log)\n  -v  verbose palaver log\n");
    exit(2);
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {{"rate", 1, NULL, 'R'},
                                       {"history", 0, NULL, 'H'},
                                       {"idle", 1, NULL, 'I'},
                                       {"startup", 1, NULL, 'S'},
                                       {"palaver", 1, NULL, 'P'},
                                       {"moduledir", 1, NULL, 'M'},
                                       {"keep", 0, NULL, 'K'},
                                       {"help", 0, NULL, 'h'},
                                       {"multicast", 1, NULL, 'C'},
                                       {"first-join", 1, NULL, 'F'},
                                       {"hibernate-after", 1, NULL, 'A'},
                                       {"hold", 1, NULL, 'O'},
                                       {"stored", 1, NULL, 'N'},
                                       {"backend", 1, NULL, 'B'},
                                       {"database", 1, NULL, 'D'},
                                       {"conninfo", 1, NULL, 'Q'},
                                       {"persistent", 0, NULL, 'T'},
                                       {NULL, 0, NULL, 0}};
    bool keep = false;
    int c;
    while ((c = getopt_long(argc, argv, "r:n:m:w:W:vh", lo, NULL)) != -1) {
        switch (c) {
        case 'r':
            O.rooms = atoi(optarg);
            break;
        case 'n':
            O.occupants = atoi(optarg);
            break;
        case 'm':
            O.messages = atoi(optarg);
            break;
        case 'w':
            O.window = atoi(optarg);
            break;
        case 'W':
            O.join_window = atoi(optarg);
            O.join_window_set = true;
            break;
        case 'R':
            O.rate = atof(optarg);
            break;
        case 'H':
            O.history = true;
            break;
        case 'I':
            O.idle_secs = atoi(optarg);
            break;
        case 'S':
            O.sqlite_path = optarg;
            O.startup = true;
            break;
        case 'P':
            O.palaver = optarg;
            break;
        case 'M':
            O.moddir = optarg;
            break;
        case 'K':
            keep = true;
            break;
        case 'C':
            O.multicast = atoi(optarg);
            break;
        case 'F':
            O.sqlite_path = optarg;
            O.first_join = true;
            break;
        case 'A':
            O.hibernate_after = atoi(optarg);
            break;
        case 'O':
            O.hold_secs = atoi(optarg);
            break;
        case 'N':
            O.stored = atol(optarg);
            break;
        case 'B':
            O.backend = optarg;
            break;
        case 'D':
            O.sqlite_path = optarg;
            O.backend = "sqlite";
            break;
        case 'Q':
            O.conninfo = optarg;
            break;
        case 'T':
            O.persistent = true;
            break;
        case 'v':
            O.verbose = true;
            break;
        default:
            usage();
        }
    }
    if (O.rooms < 1 || O.occupants < 1 || O.window < 1 || O.join_window < 1 || O.messages < 0 ||
        O.hibernate_after < 0 || O.stored < 0 || (O.startup && O.first_join) ||
        (strcmp(O.backend, "memory") && strcmp(O.backend, "sqlite") && strcmp(O.backend, "spool") &&
         strcmp(O.backend, "pgsql")) ||
        (!strcmp(O.backend, "pgsql") && !O.conninfo))
        usage();
    if (!O.palaver)
        O.palaver = getenv("PALAVER_BIN") ? getenv("PALAVER_BIN") : "./palaver";
    if (!O.moddir)
        O.moddir = getenv("PALAVER_MODULE_DIR");
    signal(SIGPIPE, SIG_IGN);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/palaver-bench-XXXXXX");
    if (!mkdtemp(tmpdir))
        die("mkdtemp: %s", strerror(errno));

    start_and_handshake();
    print_mem("after handshake");
    if (O.startup) {
        startup_probe();
        print_mem("after start-up");
    } else if (O.first_join) {
        phase_first_join();
        if (O.idle_secs > 0)
            phase_hibernate();
    } else {
        phase_join();
        print_mem("after joins");
        if (O.persistent)
            phase_configure();
        if (O.idle_secs > 0) {
            sleep((unsigned)O.idle_secs);
            print_mem("idle");
        }
        phase_messages();
        print_mem("after messages");
    }
    if (O.hold_secs > 0) {
        printf("holding palaver (pid %d) for %d s\n", (int)child, O.hold_secs);
        fflush(stdout);
        double until = now_s() + O.hold_secs;
        while (now_s() < until && !peer_gone)
            pump(200, note_error);
    }
    double cpu = proc_cpu_s(child);
    kill(child, SIGTERM);
    /* answer its </stream:stream> so that it need not wait for a timeout */
    double until = now_s() + 5;
    while (!stream_closed && !peer_gone && now_s() < until)
        pump(50, on_stanza);
    if (stream_closed && !peer_gone) {
        out_printf("</stream:stream>");
        while (outoff < outlen && !peer_gone && now_s() < until)
            pump(50, on_stanza);
    }
    int status = 0;
    waitpid(child, &status, 0);
    printf("palaver total CPU %.3f s; exit status %d\n", cpu,
           WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status));
    if (keep) {
        printf("kept %s\n", tmpdir);
    } else {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "palaver-bench: could not remove %s\n", tmpdir);
    }
    close(fd);
    close(listen_fd);
    free(inbuf);
    free(outbuf);
    free(msgs);
    free(lat);
    free(fj_sent);
    free(fj_lat);
    return 0;
}
