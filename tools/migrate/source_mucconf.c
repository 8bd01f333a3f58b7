/*
 * tools/migrate/source_mucconf.c: reads a JCR mu-conference spool (jabberd14
 * xdb_file layout, PALAVER.md 4.6): DIR/rooms.xml lists the rooms, each
 * room's config and lists are in DIR/<sha1(room jid)>.xml, and
 * DIR/registration.xml holds the service's registered nicks. Fields map by
 * the keys_mucconf table (keys.c). A missing or broken room file is reported
 * with its path and room; the other rooms still convert.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <palaver/util.h>

#include "keys.h"
#include "migrate.h"

typedef struct reg_list {
    mig_reg_t *items;
    size_t n;
} reg_list_t;

static char *path_join(const char *dir, const char *file)
{
    size_t len = strlen(dir) + strlen(file) + 2;
    char *p = malloc(len);
    if (p)
        snprintf(p, len, "%s/%s", dir, file);
    return p;
}

/* Parses a file; NULL after reporting why (with the file and room). */
static xmlDocPtr read_xml(mig_report_t *rep, const char *path, const char *room)
{
    if (access(path, R_OK) != 0) {
        report_fail(rep, path, room, "cannot read: %s", strerror(errno));
        return NULL;
    }
    xmlResetLastError();
    xmlDocPtr doc =
        xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    const xmlError *e = xmlGetLastError();
    if (!doc || (e && e->level >= XML_ERR_ERROR)) {
        char msg[256] = "not well-formed XML";
        if (e && e->message) {
            snprintf(msg, sizeof msg, "not well-formed XML (line %d: %s", e->line, e->message);
            size_t l = strlen(msg);
            while (l && (msg[l - 1] == '\n' || msg[l - 1] == ' '))
                msg[--l] = '\0';
            if (l + 1 < sizeof msg)
                strcat(msg, ")");
        }
        report_fail(rep, path, room, "%s", msg);
        xmlFreeDoc(doc);
        return NULL;
    }
    return doc;
}

static bool is_el(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && (!name || xmlStrcmp(n->name, BAD_CAST name) == 0);
}

/* Attribute value (malloc'd) or NULL. */
static char *attr(xmlNode *n, const char *name)
{
    xmlChar *v = xmlGetProp(n, BAD_CAST name);
    if (!v)
        return NULL;
    char *s = strdup((const char *)v);
    xmlFree(v);
    return s;
}

static char *text(xmlNode *n)
{
    xmlChar *v = xmlNodeGetContent(n);
    char *s = strdup(v ? (const char *)v : "");
    xmlFree(v);
    return s;
}

/* The element (root or a root child) whose xdbns is ns, or with prefix
 * matching when `prefix`; continues after `after`. */
static xmlNode *find_ns(xmlDocPtr doc, const char *ns, bool prefix, xmlNode *after)
{
    xmlNode *root = xmlDocGetRootElement(doc);
    if (!root)
        return NULL;
    xmlNode *start = after ? after->next : root;
    if (!after) {
        char *x = attr(root, "xdbns");
        bool hit = x && (prefix ? strncmp(x, ns, strlen(ns)) == 0 : strcmp(x, ns) == 0);
        free(x);
        if (hit)
            return root;
        start = root->children;
    }
    for (xmlNode *c = start; c; c = c->next) {
        if (!is_el(c, NULL))
            continue;
        char *x = attr(c, "xdbns");
        bool hit = x && (prefix ? strncmp(x, ns, strlen(ns)) == 0 : strcmp(x, ns) == 0);
        free(x);
        if (hit)
            return c;
    }
    return NULL;
}

static int set_field(mig_report_t *rep, const char *path, mig_room_t *r, const char *field,
                     const char *value)
{
    const mig_map_t *m = keys_find(keys_mucconf, field);
    if (!m) {
        report_skip(rep, path, r->name, field, "unknown mu-conference field (value '%s')", value);
        return 0;
    }
    if (m->conv == CONV_DROP) {
        if (*value && strcmp(value, "0") != 0)
            report_skip(rep, path, r->name, field, "%s (value '%s')", m->why, value);
        return 0;
    }
    if (strcmp(field, "secret") == 0) {
        if (*value && mig_room_set(r, "roomsecret", value) < 0)
            return -1;
        return mig_room_set(r, "passwordprotected", *value ? "1" : "0");
    }
    char out[4096];
    const char *why;
    if (keys_convert(m->conv, value, out, sizeof out, &why) < 0) {
        report_skip(rep, path, r->name, field, "%s (value '%s')", why, value);
        return 0;
    }
    return mig_room_set(r, m->key, out);
}

static int read_config(mig_report_t *rep, const char *path, mig_room_t *r, xmlNode *cfg)
{
    for (xmlNode *c = cfg->children; c; c = c->next) {
        if (!is_el(c, NULL))
            continue;
        if (is_el(c, "notice")) {
            for (xmlNode *n = c->children; n; n = n->next) {
                if (!is_el(n, NULL))
                    continue;
                char *v = text(n);
                const char *name = (const char *)n->name;
                int rc = 0;
                if (!v)
                    rc = -1;
                else if (strcmp(name, "leave") && strcmp(name, "join") && strcmp(name, "rename"))
                    report_skip(rep, path, r->name, "notice", "unknown notice <%s>", name);
                else
                    rc = mig_room_set(r, name, v);
                free(v);
                if (rc < 0)
                    return -1;
            }
            continue;
        }
        char *v = text(c);
        if (!v || set_field(rep, path, r, (const char *)c->name, v) < 0) {
            free(v);
            return -1;
        }
        free(v);
    }
    /* Every room mu-conference kept in its spool was persistent. */
    if (!mig_room_get(r, "persistent") && mig_room_set(r, "persistent", "1") < 0)
        return -1;
    return 0;
}

static int read_lists(mig_report_t *rep, const char *path, mig_room_t *r, xmlDocPtr doc)
{
    for (xmlNode *l = find_ns(doc, "muc:list:", true, NULL); l;
         l = find_ns(doc, "muc:list:", true, l)) {
        char *ns = attr(l, "xdbns");
        const char *aff = ns ? ns + strlen("muc:list:") : "";
        bool known = !strcmp(aff, "owner") || !strcmp(aff, "admin") || !strcmp(aff, "member") ||
                     !strcmp(aff, "outcast");
        if (!known) {
            report_skip(rep, path, r->name, ns ? ns : "list", "unknown list; not converted");
            free(ns);
            continue;
        }
        for (xmlNode *it = l->children; it; it = it->next) {
            if (!is_el(it, "item"))
                continue;
            char *jid = attr(it, "jid");
            char *bare = mig_bare_jid(jid);
            char *reason = NULL;
            for (xmlNode *c = it->children; c; c = c->next)
                if (is_el(c, "reason")) {
                    free(reason);
                    reason = text(c);
                }
            if (!bare) {
                report_skip(rep, path, r->name, ns, "item without a jid");
            } else {
                const char *prev;
                if (mig_room_add_aff(r, bare, aff, reason && *reason ? reason : NULL, &prev) < 0) {
                    free(jid), free(bare), free(reason), free(ns);
                    return -1;
                }
                if (prev)
                    report_skip(rep, path, r->name, bare, "listed as %s and %s; kept %s", prev, aff,
                                aff);
            }
            free(jid);
            free(bare);
            free(reason);
        }
        free(ns);
    }
    return 0;
}

/* registration.xml: <registered xdbns='muc:data'><item jid nick keynick/>. */
static void read_registrations(mig_report_t *rep, const char *dir, reg_list_t *regs)
{
    char *path = path_join(dir, "registration.xml");
    if (!path || access(path, F_OK) != 0) {
        free(path);
        return;
    }
    xmlDocPtr doc = read_xml(rep, path, NULL);
    xmlNode *reg = doc ? find_ns(doc, "muc:data", false, NULL) : NULL;
    for (xmlNode *it = reg ? reg->children : NULL; it; it = it->next) {
        if (!is_el(it, "item"))
            continue;
        char *jid = attr(it, "jid"), *nick = attr(it, "nick");
        char *bare = mig_bare_jid(jid);
        if (!bare || !nick || !*nick) {
            report_skip(rep, path, NULL, "item", "registration without a jid or nick");
        } else {
            mig_reg_t *n = realloc(regs->items, (regs->n + 1) * sizeof *n);
            if (n) {
                regs->items = n;
                regs->items[regs->n++] = (mig_reg_t){bare, nick};
                bare = nick = NULL;
            } else {
                report_fail(rep, path, NULL, "out of memory");
            }
        }
        free(jid);
        free(bare);
        free(nick);
    }
    xmlFreeDoc(doc);
    free(path);
}

static void convert_room(mig_report_t *rep, const char *dir, xmlNode *item, const reg_list_t *regs,
                         mig_emit_fn emit, void *ud)
{
    char *rjid = attr(item, "name"), *fjid = attr(item, "jid");
    char *file = NULL, *path = NULL, *node = NULL, *name = NULL;
    mig_room_t *r = NULL;
    xmlDocPtr doc = NULL;
    if (!rjid || !*rjid) {
        report_fail(rep, "rooms.xml", NULL, "an <item> has no name attribute");
        goto out;
    }
    node = strdup(rjid);
    if (!node)
        goto oom;
    char *at = strchr(node, '@');
    if (at)
        *at = '\0';
    name = mig_room_name(node);
    if (!name) {
        report_fail(rep, "rooms.xml", rjid, "not a valid room name");
        goto out;
    }
    if (fjid && *fjid) {
        file = strdup(fjid);
        if (file && (at = strchr(file, '@')))
            *at = '\0';
    } else {
        char hex[41];
        if (pv_sha1_hex(rjid, strlen(rjid), hex) == 0)
            file = strdup(hex);
    }
    size_t flen = file ? strlen(file) + 5 : 0;
    char *fname = file ? malloc(flen) : NULL;
    if (fname)
        snprintf(fname, flen, "%s.xml", file);
    path = fname ? path_join(dir, fname) : NULL;
    free(fname);
    if (!path)
        goto oom;
    doc = read_xml(rep, path, name);
    if (!doc)
        goto out;
    xmlNode *cfg = find_ns(doc, "muc:room:config", false, NULL);
    if (!cfg) {
        report_fail(rep, path, name, "no <room xdbns='muc:room:config'> element");
        goto out;
    }
    r = mig_room_new(name);
    if (!r || read_config(rep, path, r, cfg) < 0 || read_lists(rep, path, r, doc) < 0)
        goto oom;
    for (size_t i = 0; i < regs->n; i++)
        if (mig_room_add_reg(r, regs->items[i].jid, regs->items[i].nick) < 0)
            goto oom;
    emit(r, ud);
    goto out;
oom:
    report_fail(rep, path ? path : "rooms.xml", name ? name : rjid, "out of memory");
out:
    mig_room_free(r);
    xmlFreeDoc(doc);
    free(rjid);
    free(fjid);
    free(file);
    free(path);
    free(node);
    free(name);
}

int source_mucconf(const char *dir, mig_report_t *rep, mig_emit_fn emit, void *ud)
{
    char *list = path_join(dir, "rooms.xml");
    if (!list) {
        report_fail(rep, dir, NULL, "out of memory");
        return -1;
    }
    xmlDocPtr doc = read_xml(rep, list, NULL);
    if (!doc) {
        free(list);
        return -1;
    }
    xmlNode *reg = find_ns(doc, "muc:room:list", false, NULL);
    if (!reg) {
        report_fail(rep, list, NULL, "no <registered xdbns='muc:room:list'> element");
        xmlFreeDoc(doc);
        free(list);
        return -1;
    }
    reg_list_t regs = {0};
    read_registrations(rep, dir, &regs);
    for (xmlNode *it = reg->children; it; it = it->next)
        if (is_el(it, "item"))
            convert_room(rep, dir, it, &regs, emit, ud);
    for (size_t i = 0; i < regs.n; i++) {
        free(regs.items[i].jid);
        free(regs.items[i].nick);
    }
    free(regs.items);
    xmlFreeDoc(doc);
    free(list);
    return 0;
}
