/*
 * core/jid.c: parsing and normalising JIDs (RFC 7622 with the stringprep
 * profiles of RFC 3920, through libidn).
 *
 * Every stanza's from and to are parsed once by the router; plugins then
 * compare the ready-made bare/full strings instead of re-parsing. A JID is a
 * single allocation: the struct followed by its strings, so pv_jid_free is
 * one free(). Parts are prepped (nodeprep/nameprep/resourceprep), then each
 * must be non-empty and at most 1023 bytes. The node is optional (a domain,
 * or jabberd2's internal `sm`) and a domain needs no dot. IPv6 literal
 * domains ("[2001:db8::1]") are checked with inet_pton and written in their
 * canonical form.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <stringprep.h>

#include <palaver/jid.h>

#define PART_MAX 1023

typedef int (*prep_fn)(char *in, size_t maxlen);

static int nameprep_adapter(char *in, size_t maxlen)
{
    return stringprep_nameprep(in, maxlen);
}

static int nodeprep_adapter(char *in, size_t maxlen)
{
    return stringprep_xmpp_nodeprep(in, maxlen);
}

static int resourceprep_adapter(char *in, size_t maxlen)
{
    return stringprep_xmpp_resourceprep(in, maxlen);
}

/* Runs a stringprep profile on the first len bytes of s. Returns a malloc'd
 * result of 1..PART_MAX bytes, or NULL. */
static char *prep(const char *s, size_t len, prep_fn fn)
{
    if (!s || len == 0 || memchr(s, '\0', len))
        return NULL;
    /* Inputs much longer than the limit cannot shrink below it (mapping
     * removes only some characters); refuse them before any work. */
    if (len > 4 * PART_MAX)
        return NULL;
    size_t cap = 2 * len + 16;
    for (;;) {
        char *buf = malloc(cap);
        if (!buf)
            return NULL;
        memcpy(buf, s, len);
        buf[len] = '\0';
        int rc = fn(buf, cap);
        if (rc == STRINGPREP_OK) {
            size_t n = strlen(buf);
            if (n == 0 || n > PART_MAX) {
                free(buf);
                return NULL;
            }
            return buf;
        }
        free(buf);
        if (rc != STRINGPREP_TOO_SMALL_BUFFER || cap > 64 * PART_MAX)
            return NULL;
        cap *= 2;
    }
}

char *pv_nodeprep(const char *s)
{
    return s ? prep(s, strlen(s), nodeprep_adapter) : NULL;
}

char *pv_resourceprep(const char *s)
{
    return s ? prep(s, strlen(s), resourceprep_adapter) : NULL;
}

/* An ASCII character allowed in a (non-literal) domain after nameprep:
 * letters, digits, '-', '_' and the label separator. Non-ASCII bytes are
 * left to nameprep. */
static int domain_char_ok(unsigned char c)
{
    return c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'
           || c == '_' || c == '.' || (c >= 'A' && c <= 'Z');
}

/* "[v6]" in s[0..len): returns its canonical "[...]" (malloc'd) or NULL. */
static char *ipv6_literal(const char *s, size_t len)
{
    char addr[INET6_ADDRSTRLEN + 1];
    if (len < 3 || s[len - 1] != ']' || len - 2 > INET6_ADDRSTRLEN)
        return NULL;
    memcpy(addr, s + 1, len - 2);
    addr[len - 2] = '\0';
    struct in6_addr in6;
    if (inet_pton(AF_INET6, addr, &in6) != 1)
        return NULL;
    char canon[INET6_ADDRSTRLEN];
    if (!inet_ntop(AF_INET6, &in6, canon, sizeof canon))
        return NULL;
    size_t n = strlen(canon);
    char *out = malloc(n + 3);
    if (!out)
        return NULL;
    out[0] = '[';
    memcpy(out + 1, canon, n);
    out[n + 1] = ']';
    out[n + 2] = '\0';
    return out;
}

static char *domainprep(const char *s, size_t len)
{
    if (!s || len == 0)
        return NULL;
    if (s[0] == '[')
        return ipv6_literal(s, len);
    /* RFC 7622 3.2: one trailing dot is removed. */
    if (s[len - 1] == '.')
        len--;
    char *d = prep(s, len, nameprep_adapter);
    if (!d)
        return NULL;
    /* Nameprep maps the ideographic full stops to '.'; then labels must be
     * non-empty and ASCII restricted to what host names use. */
    const char *label = d;
    for (const char *p = d;; p++) {
        if (*p == '.' || *p == '\0') {
            if (p == label)
                goto bad;
            if (*p == '\0')
                break;
            label = p + 1;
        } else if (!domain_char_ok((unsigned char)*p)) {
            goto bad;
        }
    }
    return d;
bad:
    free(d);
    return NULL;
}

char *pv_nameprep(const char *s)
{
    return s ? domainprep(s, strlen(s)) : NULL;
}

/* Builds the JID from already normalised parts (node, resource may be NULL). */
static pv_jid_t *assemble(const char *node, const char *domain, const char *resource)
{
    size_t ln = node ? strlen(node) : 0, ld = strlen(domain), lr = resource ? strlen(resource) : 0;
    size_t lbare = (node ? ln + 1 : 0) + ld;
    size_t lfull = lbare + (resource ? lr + 1 : 0);
    size_t total = sizeof(pv_jid_t) + (node ? ln + 1 : 0) + ld + 1 + (resource ? lr + 1 : 0)
                   + lbare + 1 + lfull + 1;
    pv_jid_t *j = malloc(total);
    if (!j)
        return NULL;
    char *p = (char *)(j + 1);
    j->node = NULL;
    j->resource = NULL;
    if (node) {
        memcpy(p, node, ln + 1);
        j->node = p;
        p += ln + 1;
    }
    memcpy(p, domain, ld + 1);
    j->domain = p;
    p += ld + 1;
    if (resource) {
        memcpy(p, resource, lr + 1);
        j->resource = p;
        p += lr + 1;
    }
    char *full = p;
    if (node) {
        memcpy(p, node, ln);
        p += ln;
        *p++ = '@';
    }
    memcpy(p, domain, ld);
    p += ld;
    char *bare_end = p;
    if (resource) {
        *p++ = '/';
        memcpy(p, resource, lr);
        p += lr;
    }
    *p++ = '\0';
    j->full = full;
    /* bare: a separate copy (the full string continues after it). */
    memcpy(p, full, (size_t)(bare_end - full));
    p[bare_end - full] = '\0';
    j->bare = p;
    return j;
}

/* Preps raw parts (given with lengths; node/resource NULL when absent). */
static pv_jid_t *make_parts(const char *node, size_t ln, const char *domain, size_t ld,
                            const char *resource, size_t lr)
{
    char *n = NULL, *d = NULL, *r = NULL;
    pv_jid_t *j = NULL;
    if (node && !(n = prep(node, ln, nodeprep_adapter)))
        goto out;
    if (!(d = domainprep(domain, ld)))
        goto out;
    if (resource && !(r = prep(resource, lr, resourceprep_adapter)))
        goto out;
    j = assemble(n, d, r);
out:
    free(n);
    free(d);
    free(r);
    return j;
}

pv_jid_t *pv_jid_parse(const char *s)
{
    if (!s || !*s)
        return NULL;
    size_t len = strlen(s);
    /* RFC 7622 3.1: the resource starts at the first '/'; the node ends at
     * the first '@' before it. */
    const char *slash = memchr(s, '/', len);
    size_t pre = slash ? (size_t)(slash - s) : len;
    const char *at = memchr(s, '@', pre);
    const char *node = NULL, *domain = s, *resource = NULL;
    size_t ln = 0, ld = pre, lr = 0;
    if (at) {
        node = s;
        ln = (size_t)(at - s);
        domain = at + 1;
        ld = pre - ln - 1;
        if (ln == 0)
            return NULL;
    }
    if (slash) {
        resource = slash + 1;
        lr = len - pre - 1;
        if (lr == 0)
            return NULL;
    }
    if (ld == 0)
        return NULL;
    return make_parts(node, ln, domain, ld, resource, lr);
}

pv_jid_t *pv_jid_make(const char *node, const char *domain, const char *resource)
{
    if (!domain)
        return NULL;
    return make_parts(node, node ? strlen(node) : 0, domain, strlen(domain), resource,
                      resource ? strlen(resource) : 0);
}

pv_jid_t *pv_jid_dup(const pv_jid_t *jid)
{
    return jid ? assemble(jid->node, jid->domain, jid->resource) : NULL;
}

void pv_jid_free(pv_jid_t *jid)
{
    free(jid);
}

bool pv_jid_equal(const pv_jid_t *a, const pv_jid_t *b)
{
    return a && b && strcmp(a->full, b->full) == 0;
}

bool pv_jid_bare_equal(const pv_jid_t *a, const pv_jid_t *b)
{
    return a && b && strcmp(a->bare, b->bare) == 0;
}
