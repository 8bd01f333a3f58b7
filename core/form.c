/*
 * core/form.c: XEP-0004 data forms for the core and every plugin.
 *
 * Ad-hoc commands, registration, voice requests, archive queries and disco
 * extensions all build and read jabber:x:data forms; before this file each
 * of them carried its own field(), form_value() and FORM_TYPE check, each
 * slightly different in what it did with NULL or a failed allocation. Here
 * there is one of each, over the public pv_el_* calls only (a form is an
 * ordinary stanza subtree, in its arena), with one rule: NULL in gives NULL
 * (or -1, or the default) out, so callers check once at the end of a chain.
 *
 * Lookups walk the form's children in order: forms are small (tens of
 * fields), and a field is read once per request.
 */
#include <stdlib.h>
#include <string.h>

#include <palaver/form.h>

static bool streq(const char *a, const char *b)
{
    return a && b && !strcmp(a, b);
}

/* ---- Building ---- */

pv_el_t *pv_form_new(pv_el_t *parent, const char *type, const char *form_type, const char *title,
                     const char *instructions)
{
    pv_el_t *x = parent ? pv_el_add(parent, PV_NS_DATA, "x") : NULL;
    if (!x || (type && pv_el_set_attr(x, "type", type) < 0) ||
        (title && !pv_el_add_text_child(x, PV_NS_DATA, "title", title)) ||
        (instructions && !pv_el_add_text_child(x, PV_NS_DATA, "instructions", instructions)) ||
        (form_type && !pv_form_add_field(x, "FORM_TYPE", "hidden", NULL, form_type)))
        return NULL;
    return x;
}

pv_el_t *pv_form_add_field(pv_el_t *x, const char *var, const char *type, const char *label,
                           const char *value)
{
    pv_el_t *f = x ? pv_el_add(x, PV_NS_DATA, "field") : NULL;
    if (!f || (var && pv_el_set_attr(f, "var", var) < 0) ||
        (type && pv_el_set_attr(f, "type", type) < 0) ||
        (label && pv_el_set_attr(f, "label", label) < 0) ||
        (value && pv_form_add_value(f, value) < 0))
        return NULL;
    return f;
}

pv_el_t *pv_form_set_field(pv_el_t *x, const char *var, const char *type, const char *label,
                           const char *value)
{
    if (!x || !var)
        return NULL;
    pv_el_t *f;
    while ((f = pv_form_field(x, var)))
        pv_el_unlink(f);
    return pv_form_add_field(x, var, type, label, value);
}

int pv_form_add_value(pv_el_t *field, const char *value)
{
    if (!field)
        return -1;
    return pv_el_add_text_child(field, PV_NS_DATA, "value", value ? value : "") ? 0 : -1;
}

pv_el_t *pv_form_add_option(pv_el_t *field, const char *label, const char *value)
{
    pv_el_t *o = field && value ? pv_el_add(field, PV_NS_DATA, "option") : NULL;
    if (!o || (label && pv_el_set_attr(o, "label", label) < 0) || pv_form_add_value(o, value) < 0)
        return NULL;
    return o;
}

int pv_form_set_required(pv_el_t *field)
{
    return field && pv_el_add(field, PV_NS_DATA, "required") ? 0 : -1;
}

/* ---- Reading ---- */

pv_el_t *pv_form_find(const pv_el_t *parent, const char *form_type)
{
    for (pv_el_t *x = pv_el_child(parent, PV_NS_DATA, "x"); x; x = pv_el_next(x, PV_NS_DATA, "x"))
        if (!form_type || streq(pv_form_value(x, "FORM_TYPE"), form_type))
            return x;
    return NULL;
}

pv_el_t *pv_form_submitted(const pv_el_t *parent, const char *form_type)
{
    pv_el_t *x = pv_form_find(parent, form_type);
    return streq(pv_el_attr(x, "type"), "submit") ? x : NULL;
}

pv_el_t *pv_form_field(const pv_el_t *x, const char *var)
{
    if (!var)
        return NULL;
    for (pv_el_t *f = pv_el_child(x, PV_NS_DATA, "field"); f;
         f = pv_el_next(f, PV_NS_DATA, "field"))
        if (streq(pv_el_attr(f, "var"), var))
            return f;
    return NULL;
}

const char *pv_form_value(const pv_el_t *x, const char *var)
{
    pv_el_t *f = pv_form_field(x, var);
    return f ? pv_el_child_text(f, PV_NS_DATA, "value") : NULL;
}

int pv_form_bool(const pv_el_t *x, const char *var, int dflt)
{
    const char *v = pv_form_value(x, var);
    if (!v)
        return dflt;
    if (!strcmp(v, "1") || !strcmp(v, "true"))
        return 1;
    if (!strcmp(v, "0") || !strcmp(v, "false"))
        return 0;
    return -1;
}

char *pv_form_lines(const pv_el_t *x, const char *var)
{
    pv_el_t *f = pv_form_field(x, var);
    size_t len = 0;
    for (pv_el_t *v = pv_form_first_value(f); v; v = pv_form_next_value(v))
        len += strlen(pv_el_text(v)) + 1;
    char *out = len ? malloc(len) : NULL;
    if (!out)
        return NULL;
    /* bounded by len: a text split over several nodes is joined in the arena
     * on each call, and may come back "" on one call and whole on the next */
    size_t off = 0; /* never past len - 1: room for the NUL */
    pv_el_t *first = pv_form_first_value(f);
    for (pv_el_t *v = first; v; v = pv_form_next_value(v)) {
        if (v != first) {
            if (off + 1 >= len)
                break;
            out[off++] = '\n';
        }
        const char *t = pv_el_text(v);
        size_t n = strlen(t);
        if (n > len - 1 - off)
            n = len - 1 - off;
        memcpy(out + off, t, n);
        off += n;
    }
    out[off] = '\0';
    return out;
}

pv_el_t *pv_form_first_value(const pv_el_t *field)
{
    return pv_el_child(field, PV_NS_DATA, "value");
}

pv_el_t *pv_form_next_value(const pv_el_t *v)
{
    return pv_el_next(v, PV_NS_DATA, "value");
}
