/*
 * bench/null-component.c: the routing ceiling of a host. An XEP-0114
 * component with no MUC logic at all: it answers a join (a presence to
 * room@domain/nick) with the joiner's own presence (status 110) and nothing
 * else, and copies every groupchat message to each occupant of the room, one
 * stanza per occupant, from room@domain/nick. Whatever a real MUC component
 * does behind the same host can only be slower, so the end-to-end benchmarks
 * (bench/e2e-prosody.py, bench/e2e-ejabberd.py) run it beside Palaver.
 *
 *   null-component -p PORT -d DOMAIN -s SECRET [-a 127.0.0.1] [-o]
 *
 * -o adds to every copy an XEP-0421 <occupant-id/> of the size Palaver sends
 * (to weigh what that element costs the host).
 *
 * It prints "null-component: connected" once the handshake is accepted and
 * exits when the host closes the stream (or on SIGTERM). Input is scanned,
 * not parsed (a tag scanner that respects quotes, comments and CDATA); output
 * is buffered and written once per read. One process, plain poll().
 * Everything it allocates lives until exit.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/sha.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *domain = "null.localhost", *secret = "secret", *addr = "127.0.0.1";
static int port = 5347, fd = -1;
static char *inbuf, *outbuf;
static size_t inlen, incap, outlen, outcap;
static long joins, messages, copies;
static bool with_occupant_id;

static void die(const char *what)
{
    fprintf(stderr, "null-component: %s: %s\n", what, errno ? strerror(errno) : "failed");
    exit(1);
}

static void out(const char *s, size_t n)
{
    if (outlen + n > outcap) {
        while (outlen + n > outcap)
            outcap = outcap ? outcap * 2 : 1 << 20;
        outbuf = realloc(outbuf, outcap);
        if (!outbuf)
            die("out of memory");
    }
    memcpy(outbuf + outlen, s, n);
    outlen += n;
}

static void outs(const char *s)
{
    out(s, strlen(s));
}

static void flush_all(void)
{
    size_t off = 0;
    while (off < outlen) {
        ssize_t w = write(fd, outbuf + off, outlen - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                struct pollfd p = {.fd = fd, .events = POLLOUT};
                poll(&p, 1, 1000);
                continue;
            }
            die("write");
        }
        off += (size_t)w;
    }
    outlen = 0;
}

/* The raw (still escaped) value of attribute `name` in the start tag s[0..n). */
static bool attr(const char *s, size_t n, const char *name, const char **v, size_t *vl)
{
    size_t nl = strlen(name);
    const char *end = s + n;
    char q = 0;
    for (const char *p = s + 1; p < end; p++) {
        if (q) {
            if (*p == q)
                q = 0;
            continue;
        }
        if (*p == '\'' || *p == '"') {
            q = *p;
            continue;
        }
        if (*p == '>')
            break;
        if ((p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\n') && p + nl + 2 < end &&
            !memcmp(p, name, nl) && p[nl] == '=' && (p[nl + 1] == '\'' || p[nl + 1] == '"')) {
            char qq = p[nl + 1];
            const char *b = p + nl + 2, *e = memchr(b, qq, (size_t)(end - b));
            if (!e)
                return false;
            *v = b;
            *vl = (size_t)(e - b);
            return true;
        }
    }
    return false;
}

static bool attr_is(const char *s, size_t n, const char *name, const char *want)
{
    const char *v;
    size_t vl;
    return attr(s, n, name, &v, &vl) && vl == strlen(want) && !memcmp(v, want, vl);
}

/* --- rooms: a few, each a growable array of (real JID, nick) --- */
typedef struct {
    char *jid, *nick;
} occ_t;
typedef struct {
    char *name; /* room@domain */
    occ_t *occ;
    size_t n, cap;
} room_t;
static room_t *rooms;
static size_t nrooms, caprooms;

static char *dupn(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (!d)
        die("out of memory");
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

static room_t *room_get(const char *name, size_t n, bool create)
{
    for (size_t i = 0; i < nrooms; i++)
        if (strlen(rooms[i].name) == n && !memcmp(rooms[i].name, name, n))
            return &rooms[i];
    if (!create)
        return NULL;
    if (nrooms == caprooms) {
        caprooms = caprooms ? caprooms * 2 : 16;
        rooms = realloc(rooms, caprooms * sizeof *rooms);
        if (!rooms)
            die("out of memory");
    }
    room_t *r = &rooms[nrooms++];
    memset(r, 0, sizeof *r);
    r->name = dupn(name, n);
    return r;
}

static occ_t *occ_by_jid(room_t *r, const char *jid, size_t n)
{
    for (size_t i = 0; i < r->n; i++)
        if (strlen(r->occ[i].jid) == n && !memcmp(r->occ[i].jid, jid, n))
            return &r->occ[i];
    return NULL;
}

static void on_presence(const char *s, size_t n)
{
    const char *to, *from;
    size_t tl, fl;
    if (!attr(s, n, "to", &to, &tl) || !attr(s, n, "from", &from, &fl))
        return;
    const char *slash = memchr(to, '/', tl);
    if (!slash)
        return;
    room_t *r = room_get(to, (size_t)(slash - to), true);
    bool leave = attr_is(s, n, "type", "unavailable");
    occ_t *o = occ_by_jid(r, from, fl);
    if (leave && o) {
        free(o->jid);
        free(o->nick);
        *o = r->occ[--r->n];
    } else if (!leave && !o) {
        if (r->n == r->cap) {
            r->cap = r->cap ? r->cap * 2 : 64;
            r->occ = realloc(r->occ, r->cap * sizeof *r->occ);
            if (!r->occ)
                die("out of memory");
        }
        r->occ[r->n].jid = dupn(from, fl);
        r->occ[r->n].nick = dupn(slash + 1, tl - (size_t)(slash + 1 - to));
        r->n++;
        joins++;
    }
    outs("<presence from='");
    out(to, tl);
    outs("' to='");
    out(from, fl);
    outs(leave ? "' type='unavailable'>" : "'>");
    outs("<x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' "
         "role='participant'/><status code='110'/></x></presence>");
}

static void on_message(const char *s, size_t n)
{
    const char *to, *from, *id = NULL;
    size_t tl, fl, il = 0;
    if (!attr_is(s, n, "type", "groupchat") || !attr(s, n, "to", &to, &tl) ||
        !attr(s, n, "from", &from, &fl))
        return;
    room_t *r = room_get(to, tl, false);
    occ_t *sender = r ? occ_by_jid(r, from, fl) : NULL;
    if (!sender)
        return;
    attr(s, n, "id", &id, &il);
    /* the children: between the end of the start tag and </message> */
    const char *gt = s;
    for (char q = 0; gt < s + n; gt++) {
        if (q) {
            if (*gt == q)
                q = 0;
        } else if (*gt == '\'' || *gt == '"')
            q = *gt;
        else if (*gt == '>')
            break;
    }
    const char *inner = gt + 1;
    size_t innerl = gt[-1] == '/' ? 0 : (size_t)(s + n - inner) - strlen("</message>");
    if (gt[-1] == '/')
        inner = "";
    messages++;
    for (size_t i = 0; i < r->n; i++) {
        outs("<message type='groupchat' from='");
        outs(r->name);
        out("/", 1);
        outs(sender->nick);
        outs("' to='");
        outs(r->occ[i].jid);
        if (id) {
            outs("' id='");
            out(id, il);
        }
        outs("'>");
        out(inner, innerl);
        if (with_occupant_id)
            outs("<occupant-id xmlns='urn:xmpp:occupant-id:0' "
                 "id='4908b1310ecee8a1c1719a1e9bb526c8ca3d75570496'/>");
        outs("</message>");
        copies++;
    }
}

static void on_stanza(const char *s, size_t n)
{
    if (n > 2 && s[1] == 'p')
        on_presence(s, n);
    else if (n > 2 && s[1] == 'm')
        on_message(s, n);
    /* IQs and anything else: no answer (the benchmark sends none) */
}

/* --- the stream: scanning top-level elements --- */
static int depth;
static size_t stanza_start;
static bool closed;
static char stream_id[256];

static void scan(void)
{
    size_t i = 0;
    while (i < inlen) {
        if (inbuf[i] != '<') {
            i++;
            continue;
        }
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
            break;
        bool end = inbuf[j] == '/', empty = inbuf[k - 1] == '/';
        if (end) {
            if (--depth == 0)
                closed = true;
            else if (depth == 1)
                on_stanza(inbuf + stanza_start, k + 1 - stanza_start);
        } else if (depth == 0) { /* the stream header */
            const char *v;
            size_t vl;
            if (attr(inbuf + i, k + 1 - i, "id", &v, &vl) && vl < sizeof stream_id)
                memcpy(stream_id, v, vl), stream_id[vl] = 0;
            depth = 1;
        } else {
            if (depth == 1)
                stanza_start = i;
            if (!empty)
                depth++;
            else if (depth == 1)
                on_stanza(inbuf + stanza_start, k + 1 - stanza_start);
        }
        i = k + 1;
    }
    size_t keep = depth >= 2 ? stanza_start : i;
    memmove(inbuf, inbuf + keep, inlen - keep);
    inlen -= keep;
    if (depth >= 2)
        stanza_start = 0;
}

/* Reads what is there (blocking up to timeout_ms); false when the host closed. */
static bool pump(int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r = poll(&p, 1, timeout_ms);
    if (r < 0 && errno != EINTR)
        die("poll");
    if (r <= 0)
        return true;
    if (incap - inlen < 65536) {
        incap = incap ? incap * 2 : 1 << 20;
        inbuf = realloc(inbuf, incap);
        if (!inbuf)
            die("out of memory");
    }
    ssize_t n = read(fd, inbuf + inlen, incap - inlen);
    if (n < 0) {
        if (errno == EINTR || errno == EAGAIN)
            return true;
        die("read");
    }
    if (n == 0)
        return false;
    inlen += (size_t)n;
    return true;
}

static volatile sig_atomic_t stop;
static void on_term(int sig)
{
    (void)sig;
    stop = 1;
}

int main(int argc, char **argv)
{
    int c;
    while ((c = getopt(argc, argv, "p:d:s:a:o")) != -1) {
        if (c == 'p')
            port = atoi(optarg);
        else if (c == 'd')
            domain = optarg;
        else if (c == 's')
            secret = optarg;
        else if (c == 'a')
            addr = optarg;
        else if (c == 'o')
            with_occupant_id = true;
        else {
            fprintf(stderr, "usage: null-component -p PORT -d DOMAIN -s SECRET [-a ADDR] [-o]\n");
            return 2;
        }
    }
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    signal(SIGPIPE, SIG_IGN);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (fd < 0 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
        die("socket");
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
        die("connect");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char hdr[512];
    snprintf(hdr, sizeof hdr,
             "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' "
             "xmlns:stream='http://etherx.jabber.org/streams' to='%s'>",
             domain);
    outs(hdr);
    flush_all();
    while (!stream_id[0] && !stop) {
        if (!pump(10000))
            die("the host closed the stream before its header");
        scan();
    }
    char cat[512], hex[41];
    unsigned char md[SHA_DIGEST_LENGTH];
    snprintf(cat, sizeof cat, "%s%s", stream_id, secret);
    SHA1((const unsigned char *)cat, strlen(cat), md);
    for (int i = 0; i < SHA_DIGEST_LENGTH; i++)
        sprintf(hex + 2 * i, "%02x", md[i]);
    snprintf(hdr, sizeof hdr, "<handshake>%s</handshake>", hex);
    outs(hdr);
    flush_all();
    /* wait for <handshake/> (any other answer is a stream error) */
    for (;;) {
        if (!pump(10000))
            die("the host closed the stream at the handshake");
        if (memmem(inbuf, inlen, "<handshake", 10)) {
            inlen = 0;
            break;
        }
        if (memmem(inbuf, inlen, "error", 5)) {
            fprintf(stderr, "null-component: refused: %.*s\n", (int)inlen, inbuf);
            return 1;
        }
    }
    printf("null-component: connected as %s\n", domain);
    fflush(stdout);
    while (!stop && !closed) {
        if (!pump(500))
            break;
        scan();
        flush_all();
    }
    fprintf(stderr, "null-component: %ld joins, %ld messages, %ld copies\n", joins, messages,
            copies);
    close(fd);
    return 0;
}
