/*
 * settings.c: disco-extended's config element, parsed once into plain data
 * (settings_t) so that answering a disco request never touches the config
 * tree. Every mistake is reported with the file and line of the offending
 * element, and the whole element is refused (start-up stops; a SIGHUP
 * reload keeps the previous settings).
 *
 *   <disco-extended>
 *     <contact type="abuse">xmpp:abuse@example.org</contact>   (XEP-0157)
 *     <form type="urn:example:info"><field var="x">value</field></form>
 *     <items-form>false</items-form>
 *     <logs-url>https://logs.example.org/{room}/</logs-url>
 *     <pubsub>xmpp:pubsub.example.org?;node=rooms/{room}</pubsub>
 *     <max-history-fetch>50</max-history-fetch>
 *     <ldapgroup room="dev">cn=dev,ou=groups,dc=example,dc=org</ldapgroup>
 *   </disco-extended>
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disco_ext.h"

/* XEP-0157 address types, as <contact type=.../> takes them. */
static const char *const contact_types[] = {"abuse",    "admin",  "feedback", "sales",
                                            "security", "status", "support",  NULL};

/* The plugin's configuration elements: the core checks them against this
 * table (names, repeats, the scalar values) before start and at SIGHUP. */
const pv_config_key_t dx_config_keys[] = {
    {"contact", PV_KEY_ELEMENT, NULL, 0, 0, NULL,
     "a contact address of the service (XEP-0157), by type", PV_KEY_REPEAT},
    {"form", PV_KEY_ELEMENT, NULL, 0, 0, NULL, "a site form added to the service's disco#info",
     PV_KEY_REPEAT},
    {"items-form", PV_KEY_BOOL, "false", 0, 0, NULL,
     "put each room's muc#roominfo form in its disco#items entry", 0},
    {"logs-url", PV_KEY_STR, NULL, 0, 0, NULL, "URL template of a room's public logs", 0},
    {"pubsub", PV_KEY_STR, NULL, 0, 0, NULL, "JID template of a room's pubsub node", 0},
    {"max-history-fetch", PV_KEY_INT, NULL, 0, 1000000, NULL,
     "muc#maxhistoryfetch shown for rooms that do not set it", 0},
    {"ldapgroup", PV_KEY_ELEMENT, NULL, 0, 0, NULL, "a room's LDAP group (muc#roominfo_ldapgroup)",
     PV_KEY_REPEAT},
    {NULL, PV_KEY_END, NULL, 0, 0, NULL, NULL, 0},
};

/* Copy of an element's text without surrounding white space (caller frees). */
static char *trimmed_text(const pv_el_t *el)
{
    const char *t = pv_el_text(el);
    while (isspace((unsigned char)*t))
        t++;
    size_t n = strlen(t);
    while (n > 0 && isspace((unsigned char)t[n - 1]))
        n--;
    return strndup(t, n);
}

static int nomem(const pv_el_t *where)
{
    return pv_config_error(where, DX, "out of memory");
}

static site_form_t *form_get(settings_t *s, const char *form_type, bool create)
{
    for (size_t i = 0; i < s->nforms; i++)
        if (strcmp(s->forms[i].form_type, form_type) == 0)
            return &s->forms[i];
    if (!create)
        return NULL;
    site_form_t *n = realloc(s->forms, (s->nforms + 1) * sizeof *n);
    if (!n)
        return NULL;
    s->forms = n;
    site_form_t *f = &s->forms[s->nforms];
    memset(f, 0, sizeof *f);
    if (!(f->form_type = strdup(form_type)))
        return NULL;
    s->nforms++;
    return f;
}

/* Adds a value to the field `var` of form f (created on first use); takes value. */
static int field_add(site_form_t *f, const char *var, char *value)
{
    site_field_t *fl = NULL;
    for (size_t i = 0; i < f->nfields; i++)
        if (strcmp(f->fields[i].var, var) == 0)
            fl = &f->fields[i];
    if (!fl) {
        site_field_t *n = realloc(f->fields, (f->nfields + 1) * sizeof *n);
        if (!n)
            goto fail;
        f->fields = n;
        fl = &f->fields[f->nfields];
        memset(fl, 0, sizeof *fl);
        if (!(fl->var = strdup(var)))
            goto fail;
        f->nfields++;
    }
    char **v = realloc(fl->values, (fl->nvalues + 1) * sizeof *v);
    if (!v)
        goto fail;
    fl->values = v;
    fl->values[fl->nvalues++] = value;
    return 0;
fail:
    free(value);
    return -1;
}

static int parse_contact(settings_t *s, const pv_el_t *c)
{
    const char *type = pv_el_attr(c, "type");
    bool ok = false;
    for (const char *const *t = contact_types; type && *t; t++)
        ok = ok || strcmp(*t, type) == 0;
    if (!ok)
        return pv_config_error(c, DX,
                               "<contact> needs type=\"abuse\", \"admin\", \"feedback\", "
                               "\"sales\", \"security\", \"status\" or \"support\", not '%s'",
                               type ? type : "(none)");
    char *uri = trimmed_text(c);
    if (!uri)
        return nomem(c);
    if (!*uri || !strchr(uri, ':') || strpbrk(uri, " \t\r\n")) {
        pv_config_error(c, DX,
                        "<contact type=\"%s\"> must hold one URI (xmpp:..., mailto:..., "
                        "https://...), not '%s'",
                        type, uri);
        free(uri);
        return -1;
    }
    char var[32];
    snprintf(var, sizeof var, "%s-addresses", type);
    site_form_t *f = form_get(s, NS_SERVERINFO, true);
    if (!f || field_add(f, var, uri) < 0)
        return nomem(c);
    return 0;
}

static int parse_form(settings_t *s, const pv_el_t *fe)
{
    const char *type = pv_el_attr(fe, "type");
    if (!type || !*type)
        return pv_config_error(fe, DX,
                               "<form> needs a type attribute (its FORM_TYPE, e.g. "
                               "type=\"urn:example:info\")");
    if (strcmp(type, NS_SERVERINFO) == 0)
        return pv_config_error(fe, DX,
                               "<form type=\"%s\">: write these addresses as <contact "
                               "type=\"...\"> elements",
                               type);
    if (form_get(s, type, false))
        return pv_config_error(fe, DX, "<form type=\"%s\"> appears twice", type);
    site_form_t *f = form_get(s, type, true);
    if (!f)
        return nomem(fe);
    static const char *const fields_only[] = {"field", NULL};
    if (pv_config_check_known(fe, fields_only, DX) > 0)
        return -1;
    for (pv_el_t *fl = pv_el_child(fe, NULL, "field"); fl; fl = pv_el_next(fl, NULL, "field")) {
        const char *var = pv_el_attr(fl, "var");
        if (!var || !*var || strcmp(var, "FORM_TYPE") == 0)
            return pv_config_error(fl, DX, "<field> needs a var attribute other than FORM_TYPE");
        char *value = trimmed_text(fl);
        if (!value || field_add(f, var, value) < 0)
            return nomem(fl);
    }
    if (f->nfields == 0)
        return pv_config_error(fe, DX, "<form type=\"%s\"> has no <field var=\"...\">", type);
    return 0;
}

static int parse_template(const pv_config_t *cfg, const char *name, char **out)
{
    const char *t = pv_config_str(cfg, name, NULL);
    if (!t)
        return 0;
    pv_el_t *el = pv_el_child(cfg, NULL, name);
    if (!*t || !strchr(t, ':'))
        return pv_config_error(el, DX, "<%s> must be a URI, optionally with {room}, not '%s'", name,
                               t);
    if (!(*out = strdup(t)))
        return nomem(el);
    return 0;
}

static int parse_ldapgroup(settings_t *s, const pv_el_t *el)
{
    const char *room = pv_el_attr(el, "room");
    char *node = room ? pv_nodeprep(room) : NULL;
    if (!node)
        return pv_config_error(el, DX, "<ldapgroup> needs room=\"NODE\" naming a room, not '%s'",
                               room ? room : "(none)");
    char *value = trimmed_text(el);
    room_value_t *n = value ? realloc(s->ldapgroups, (s->nldapgroups + 1) * sizeof *n) : NULL;
    if (!n || !*value) {
        free(node);
        free(value);
        return n ? pv_config_error(el, DX, "<ldapgroup room=\"%s\"> is empty", room) : nomem(el);
    }
    s->ldapgroups = n;
    s->ldapgroups[s->nldapgroups++] = (room_value_t){.room = node, .value = value};
    return 0;
}

settings_t *dx_settings_parse(const pv_plugin_handle_t *h, const pv_config_t *cfg)
{
    settings_t *s = calloc(1, sizeof *s);
    if (!s) {
        pv_log(PV_LOG_ERROR, DX, "out of memory reading the configuration");
        return NULL;
    }
    s->max_history_fetch = -1;
    if (!cfg)
        return s;
    for (pv_el_t *c = pv_el_child(cfg, NULL, "contact"); c; c = pv_el_next(c, NULL, "contact"))
        if (parse_contact(s, c) < 0)
            goto fail;
    for (pv_el_t *f = pv_el_child(cfg, NULL, "form"); f; f = pv_el_next(f, NULL, "form"))
        if (parse_form(s, f) < 0)
            goto fail;
    for (pv_el_t *g = pv_el_child(cfg, NULL, "ldapgroup"); g; g = pv_el_next(g, NULL, "ldapgroup"))
        if (parse_ldapgroup(s, g) < 0)
            goto fail;
    s->items_form = pv_key_bool(h, cfg, "items-form");
    if (pv_el_child(cfg, NULL, "max-history-fetch")) /* absent: -1, the room's own value */
        s->max_history_fetch = pv_key_int(h, cfg, "max-history-fetch");
    if (parse_template(cfg, "logs-url", &s->logs_url) < 0 ||
        parse_template(cfg, "pubsub", &s->pubsub) < 0)
        goto fail;
    return s;
fail:
    dx_settings_free(s);
    return NULL;
}

void dx_settings_free(settings_t *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nforms; i++) {
        site_form_t *f = &s->forms[i];
        for (size_t j = 0; j < f->nfields; j++) {
            for (size_t k = 0; k < f->fields[j].nvalues; k++)
                free(f->fields[j].values[k]);
            free(f->fields[j].values);
            free(f->fields[j].var);
        }
        free(f->fields);
        free(f->form_type);
    }
    free(s->forms);
    for (size_t i = 0; i < s->nldapgroups; i++) {
        free(s->ldapgroups[i].room);
        free(s->ldapgroups[i].value);
    }
    free(s->ldapgroups);
    free(s->logs_url);
    free(s->pubsub);
    free(s);
}

const char *dx_settings_ldapgroup(const settings_t *s, const char *room)
{
    for (size_t i = 0; i < s->nldapgroups; i++)
        if (strcmp(s->ldapgroups[i].room, room) == 0)
            return s->ldapgroups[i].value;
    return NULL;
}

/* Characters a URI may carry as they are (RFC 3986 unreserved). */
static bool unreserved(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* {room} becomes the node percent-encoded, so that a node with '?', '#' or
 * non-ASCII letters still makes one valid URI. */
char *dx_expand_room(const char *tmpl, const char *room)
{
    static const char mark[] = "{room}";
    const size_t ml = sizeof mark - 1;
    size_t n = 1;
    for (const char *p = tmpl; *p;) {
        if (strncmp(p, mark, ml) == 0) {
            for (const unsigned char *r = (const unsigned char *)room; *r; r++)
                n += unreserved(*r) ? 1 : 3;
            p += ml;
        } else {
            n++;
            p++;
        }
    }
    char *out = malloc(n), *o = out;
    if (!out)
        return NULL;
    for (const char *p = tmpl; *p;) {
        if (strncmp(p, mark, ml) == 0) {
            for (const unsigned char *r = (const unsigned char *)room; *r; r++) {
                if (unreserved(*r)) {
                    *o++ = (char)*r;
                } else {
                    snprintf(o, 4, "%%%02X", *r);
                    o += 3;
                }
            }
            p += ml;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    return out;
}
