/*
 * core/jid.c: parsing and normalising JIDs (RFC 7622 with the stringprep
 * profiles of RFC 3920, through libidn).
 *
 * Every stanza's from and to are parsed once by the router; plugins then
 * compare the ready-made bare/full strings instead of re-parsing. A JID is a
 * single allocation: the struct followed by its strings, so pv_jid_free is
 * one free(). Parts are prepped (nodeprep/nameprep/resourceprep), then each
 * must be non-empty and at most 1023 bytes. Most JIDs are plain lowercase
 * ASCII, for which the profiles are the identity: those skip libidn, so a
 * typical stanza's two JIDs cost two malloc()s and a byte scan each. The node is optional (a
 * domain, or jabberd2's internal `sm`) and a domain needs no dot. IPv6 literal domains
 * ("[2001:db8::1]") are checked with inet_pton and written in their canonical form.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <stringprep.h>

#include <palaver/jid.h>

#define PART_MAX 1023

typedef enum { NODE, DOMAIN, RESOURCE } profile_t;

/* A normalised part: s[0..len) is either borrowed from the input (ASCII fast
 * path, no copy) or `owned` (malloc'd by stringprep). s is NULL when absent. */
typedef struct part {
    const char *s;
    size_t len;
    char *owned;
} part_t;

/* True when the profile maps s to itself and accepts it, which holds for the
 * everyday ASCII JID: stringprep then needs no UCS-4 round trip. Nodeprep
 * lowercases and refuses space and "&'/:<>@; resourceprep keeps all printable
 * ASCII; nameprep lowercases, and domains keep host-name characters only.
 * Anything else takes the full stringprep path. */
static bool ascii_identity(const char *s, size_t len, profile_t p)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c > 0x7e)
            return false;
        switch (p) {
        case NODE:
            if (c == ' ' || (c >= 'A' && c <= 'Z') || strchr("\"&'/:<>@", c))
                return false;
            break;
        case DOMAIN:
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                  c == '.'))
                return false;
            break;
        case RESOURCE:
            break;
        }
    }
    return true;
}

static int run_profile(char *buf, size_t cap, profile_t p)
{
    switch (p) {
    case NODE:
        return stringprep_xmpp_nodeprep(buf, cap);
    case DOMAIN:
        return stringprep_nameprep(buf, cap);
    default:
        return stringprep_xmpp_resourceprep(buf, cap);
    }
}

/* Runs the profile on s[0..len) with libidn. Returns a malloc'd string or NULL. */
static char *stringprep_copy(const char *s, size_t len, profile_t p)
{
    /* Refuse inputs over four times the limit before any work: only
     * characters mapped to nothing could bring them back under it. */
    if (len > 4 * PART_MAX)
        return NULL;
    size_t cap = 2 * len + 16;
    for (;;) {
        char *buf = malloc(cap);
        if (!buf)
            return NULL;
        memcpy(buf, s, len);
        buf[len] = '\0';
        int rc = run_profile(buf, cap, p);
        if (rc == STRINGPREP_OK)
            return buf;
        free(buf);
        if (rc != STRINGPREP_TOO_SMALL_BUFFER || cap > 64 * PART_MAX)
            return NULL;
        cap *= 2;
    }
}

/* A domain's labels must be non-empty and (ASCII) host-name characters. */
static bool labels_ok(const char *d, size_t len)
{
    size_t label = 0;
    for (size_t i = 0; i <= len; i++) {
        unsigned char c = i < len ? (unsigned char)d[i] : '.';
        if (c == '.') {
            if (label == 0)
                return false;
            label = 0;
            continue;
        }
        if (c < 0x80 && !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
        label++;
    }
    return true;
}

/* "[v6]" in s[0..len): its canonical "[...]" (malloc'd) or NULL. */
static char *ipv6_literal(const char *s, size_t len)
{
    char addr[INET6_ADDRSTRLEN + 1];
    if (len < 3 || s[len - 1] != ']' || len - 2 > INET6_ADDRSTRLEN)
        return NULL;
    memcpy(addr, s + 1, len - 2);
    addr[len - 2] = '\0';
    struct in6_addr in6;
    char canon[INET6_ADDRSTRLEN];
    if (inet_pton(AF_INET6, addr, &in6) != 1 || !inet_ntop(AF_INET6, &in6, canon, sizeof canon))
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

/* Normalises s[0..len) for profile p into *out. Returns 0, or -1 when the
 * part is empty, too long or refused by the profile (*out is then empty). */
static int prep_part(const char *s, size_t len, profile_t p, part_t *out)
{
    *out = (part_t){NULL, 0, NULL};
    if (!s || len == 0 || memchr(s, '\0', len))
        return -1;
    if (p == DOMAIN && s[0] == '[') {
        if (!(out->owned = ipv6_literal(s, len)))
            return -1;
        out->s = out->owned;
        out->len = strlen(out->owned);
        return 0;
    }
    if (p == DOMAIN && s[len - 1] == '.') /* RFC 7622 3.2: one trailing dot goes */
        len--;
    if (len == 0)
        return -1;
    if (ascii_identity(s, len, p)) {
        out->s = s;
        out->len = len;
    } else {
        if (!(out->owned = stringprep_copy(s, len, p)))
            return -1;
        out->s = out->owned;
        out->len = strlen(out->owned);
    }
    if (out->len == 0 || out->len > PART_MAX || (p == DOMAIN && !labels_ok(out->s, out->len))) {
        free(out->owned);
        *out = (part_t){NULL, 0, NULL};
        return -1;
    }
    return 0;
}

/* Public single-part helpers: always a malloc'd copy. */
static char *prep_string(const char *s, profile_t p)
{
    part_t part;
    if (!s || prep_part(s, strlen(s), p, &part) < 0)
        return NULL;
    if (part.owned)
        return part.owned;
    return strndup(part.s, part.len);
}

char *pv_nodeprep(const char *s)
{
    return prep_string(s, NODE);
}

char *pv_nameprep(const char *s)
{
    return prep_string(s, DOMAIN);
}

char *pv_resourceprep(const char *s)
{
    return prep_string(s, RESOURCE);
}

/* Builds the JID from normalised parts (node.s, resource.s NULL when absent)
 * in one allocation: struct, node, domain, resource, full, bare. */
static pv_jid_t *assemble(part_t node, part_t domain, part_t resource)
{
    size_t lbare = (node.s ? node.len + 1 : 0) + domain.len;
    size_t lfull = lbare + (resource.s ? resource.len + 1 : 0);
    size_t total = sizeof(pv_jid_t) + (node.s ? node.len + 1 : 0) + domain.len + 1 +
                   (resource.s ? resource.len + 1 : 0) + lfull + 1 + lbare + 1;
    pv_jid_t *j = malloc(total);
    if (!j)
        return NULL;
    char *p = (char *)(j + 1);
    j->node = NULL;
    j->resource = NULL;
    if (node.s) {
        memcpy(p, node.s, node.len);
        p[node.len] = '\0';
        j->node = p;
        p += node.len + 1;
    }
    memcpy(p, domain.s, domain.len);
    p[domain.len] = '\0';
    j->domain = p;
    p += domain.len + 1;
    if (resource.s) {
        memcpy(p, resource.s, resource.len);
        p[resource.len] = '\0';
        j->resource = p;
        p += resource.len + 1;
    }
    char *full = p;
    if (node.s) {
        memcpy(p, node.s, node.len);
        p += node.len;
        *p++ = '@';
    }
    memcpy(p, domain.s, domain.len);
    p += domain.len;
    if (resource.s) {
        *p++ = '/';
        memcpy(p, resource.s, resource.len);
        p += resource.len;
    }
    *p++ = '\0';
    j->full = full;
    memcpy(p, full, lbare); /* bare: the full string's prefix, terminated */
    p[lbare] = '\0';
    j->bare = p;
    return j;
}

/* Preps raw parts (node/resource NULL when absent) and builds the JID. */
static pv_jid_t *make_parts(const char *node, size_t ln, const char *domain, size_t ld,
                            const char *resource, size_t lr)
{
    part_t n = {0}, d = {0}, r = {0};
    pv_jid_t *j = NULL;
    if ((!node || prep_part(node, ln, NODE, &n) == 0) && prep_part(domain, ld, DOMAIN, &d) == 0 &&
        (!resource || prep_part(resource, lr, RESOURCE, &r) == 0))
        j = assemble(n, d, r);
    free(n.owned);
    free(d.owned);
    free(r.owned);
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
    if (!jid)
        return NULL;
    part_t n = {jid->node, jid->node ? strlen(jid->node) : 0, NULL};
    part_t d = {jid->domain, strlen(jid->domain), NULL};
    part_t r = {jid->resource, jid->resource ? strlen(jid->resource) : 0, NULL};
    return assemble(n, d, r);
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
