/*
 * palaver/form.h: XEP-0004 data forms (<x xmlns='jabber:x:data'/>), built
 * and read the same way by every plugin.
 *
 * A form is an ordinary pv_el_t subtree: these functions only add and find
 * elements in it, so a form built here can be completed with the pv_el_*
 * calls, and any form received in a stanza can be read here. Nothing is
 * allocated outside the tree's arena, except by pv_form_lines (which says so).
 *
 * Building: pv_form_new appends the <x/> (with its title, instructions and
 * hidden FORM_TYPE field, each optional), pv_form_add_field a field; options,
 * <required/> and more values go onto the field it returns.
 *
 *     pv_el_t *x = pv_form_new(cmd, "form", "urn:example", "Title", NULL);
 *     pv_el_t *f = pv_form_add_field(x, "color", "list-single", "Color", "red");
 *     if (!f || !pv_form_add_option(f, "Red", "red") || pv_form_set_required(f) < 0)
 *         ...out of memory
 *
 * Reading: pv_form_find (or pv_form_submitted) picks the form among a
 * payload's children; pv_form_value, pv_form_bool and pv_form_lines read a
 * field by its var; pv_form_first_value / pv_form_next_value walk the values
 * of a multi-value field.
 *
 * NULL in, NULL (or -1, or the default) out: every function accepts a NULL
 * form or field, so a chain of calls needs one check at its end. A function
 * that builds returns NULL or -1 when an allocation failed; what it had
 * already added stays in the tree (freed with it).
 */
#ifndef PALAVER_FORM_H
#define PALAVER_FORM_H

#include <palaver/xml.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Building ---- */

/* Appends <x xmlns='jabber:x:data' type=TYPE> to parent, then, each when not
 * NULL, <title/>, <instructions/> and the hidden FORM_TYPE field holding
 * form_type, in that order. type NULL leaves the attribute out. Returns the
 * form (owned by parent's tree), or NULL when parent is NULL or an
 * allocation failed. */
pv_el_t *pv_form_new(pv_el_t *parent, const char *type, const char *form_type, const char *title,
                     const char *instructions);

/* Appends <field var type label><value>value</value></field> to x (a form,
 * or a <reported/> or <item/> inside one). var, type and label NULL leave
 * their attribute out; value NULL adds no <value/> (add several with
 * pv_form_add_value). Returns the field (owned by x's tree), or NULL when x
 * is NULL or an allocation failed. */
pv_el_t *pv_form_add_field(pv_el_t *x, const char *var, const char *type, const char *label,
                           const char *value);

/* Like pv_form_add_field, but first removes every field of x with this var,
 * so that a plugin can replace a field another one added. var must not be
 * NULL. Returns the new field or NULL. */
pv_el_t *pv_form_set_field(pv_el_t *x, const char *var, const char *type, const char *label,
                           const char *value);

/* Appends <value>value</value> to a field (value NULL: an empty <value/>).
 * Returns 0, or -1 when field is NULL or an allocation failed. */
int pv_form_add_value(pv_el_t *field, const char *value);

/* Appends <option label><value>value</value></option> to a list field
 * (label NULL: no label attribute). Returns the option (owned by the field's
 * tree), or NULL when field or value is NULL or an allocation failed. */
pv_el_t *pv_form_add_option(pv_el_t *field, const char *label, const char *value);

/* Marks a field <required/>. Returns 0, or -1 when field is NULL or an
 * allocation failed. */
int pv_form_set_required(pv_el_t *field);

/* ---- Reading ---- */

/* The first data form among parent's children whose FORM_TYPE field's value
 * is form_type; form_type NULL: the first data form, whatever its FORM_TYPE
 * (or none). The form's type is not looked at. Returns NULL when there is
 * none or parent is NULL. Borrowed from parent's tree. */
pv_el_t *pv_form_find(const pv_el_t *parent, const char *form_type);

/* pv_form_find's form when its type is "submit", else NULL (a form of
 * another type, or none: the caller usually answers with the blank form). */
pv_el_t *pv_form_submitted(const pv_el_t *parent, const char *form_type);

/* The first field of x whose var is var, or NULL (also when x or var is
 * NULL). Borrowed from x's tree. */
pv_el_t *pv_form_field(const pv_el_t *x, const char *var);

/* The text of the first <value/> of the field var (see pv_form_field), or
 * NULL when the field is absent or has no <value/>. Borrowed from x's tree. */
const char *pv_form_value(const pv_el_t *x, const char *var);

/* The boolean field var (XEP-0004 §3.3: "1" or "true", "0" or "false"):
 * 1 or 0; dflt when the field or its value is absent; -1 when the value is
 * anything else. */
int pv_form_bool(const pv_el_t *x, const char *var, int dflt);

/* The values of the field var joined by newlines (a text-multi's lines), in
 * a malloc'd string the caller frees; NULL when the field is absent, has no
 * <value/>, or an allocation failed. */
char *pv_form_lines(const pv_el_t *x, const char *var);

/* The first <value/> of a field, and the one after v, for loops over a
 * multi-value field (the text of each is pv_el_text(v)):
 *     for (pv_el_t *v = pv_form_first_value(f); v; v = pv_form_next_value(v))
 * NULL when there is none, or field / v is NULL. */
pv_el_t *pv_form_first_value(const pv_el_t *field);
pv_el_t *pv_form_next_value(const pv_el_t *v);

#ifdef __cplusplus
}
#endif
#endif
