/*
 * palaver/disco_extended.h: what the disco-extended plugin offers other
 * plugins: a way to add fields to a room's muc#roominfo form (XEP-0045
 * §15.5.4, carried in disco#info as XEP-0128 extended information), and
 * small helpers to build data form fields.
 *
 * When a room's disco#info is answered, disco-extended builds the form
 * <x xmlns='jabber:x:data' type='result'> with the FORM_TYPE hidden field
 * and every standard field the room can fill, then fires
 * PV_DISCO_EXT_EVENT_ROOMINFO. A subscriber (game-rooms, a site plugin)
 * appends its own fields to `form`, or replaces a standard one with
 * pv_dataform_set(). Subscribers should return PV_PASS so that the next one
 * runs too; the verdict is otherwise ignored. Nothing fires when
 * disco-extended is not loaded (the room then has no roominfo form).
 *
 *     static pv_verdict_t add_mine(const pv_event_t *ev, void *payload, void *ud)
 *     {
 *         pv_roominfo_event_t *ri = payload;
 *         pv_dataform_set(ri->form, "x-example#players", "text-single", "Players", "4");
 *         return PV_PASS;
 *     }
 *     ...in init:
 *     pv_event_subscribe(pv_event(PV_DISCO_EXT_EVENT_ROOMINFO), 0, add_mine, NULL, "mine");
 *
 * The helpers are static inline (a plugin module exports nothing but its
 * descriptor, so disco-extended cannot hand out functions by symbol); they
 * only use the public pv_el_* calls and work on any data form.
 */
#ifndef PALAVER_DISCO_EXTENDED_H
#define PALAVER_DISCO_EXTENDED_H

#include <palaver/event.h>
#include <palaver/jid.h>
#include <palaver/muc.h>
#include <palaver/xml.h>
#include <stddef.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The FORM_TYPE of the room information form. */
#define PV_NS_MUC_ROOMINFO "http://jabber.org/protocol/muc#roominfo"

/* Fired while a room's roominfo form is being built. Payload: pv_roominfo_event_t. */
#define PV_DISCO_EXT_EVENT_ROOMINFO "disco-extended-roominfo"

typedef struct pv_roominfo_event {
    pv_muc_room_t *room;       /* the room (read it through pv_muc_api()) */
    pv_el_t *form;             /* the <x xmlns='jabber:x:data' type='result'/>: append to it */
    const pv_jid_t *requester; /* who asked */
} pv_roominfo_event_t;

/* The first <field var=VAR/> of a data form, or NULL. Borrowed from the form. */
static inline pv_el_t *pv_dataform_field(const pv_el_t *form, const char *var)
{
    for (pv_el_t *f = pv_el_child(form, PV_NS_DATA, "field"); f;
         f = pv_el_next(f, PV_NS_DATA, "field")) {
        const char *v = pv_el_attr(f, "var");
        if (v && strcmp(v, var) == 0)
            return f;
    }
    return NULL;
}

/* Appends <value>value</value> to a field. Returns 0, or -1 on allocation failure. */
static inline int pv_dataform_add_value(pv_el_t *field, const char *value)
{
    return pv_el_add_text_child(field, PV_NS_DATA, "value", value ? value : "") ? 0 : -1;
}

/* Appends <field var type label><value/></field> to a form (type and label
 * may be NULL: left out; value NULL: no <value/>, for multi-value fields
 * filled with pv_dataform_add_value). The strings are copied into the form's
 * tree. Returns the field (owned by the form) or NULL on allocation failure. */
static inline pv_el_t *pv_dataform_add(pv_el_t *form, const char *var, const char *type,
                                       const char *label, const char *value)
{
    pv_el_t *f = pv_el_add(form, PV_NS_DATA, "field");
    if (!f || pv_el_set_attr(f, "var", var) < 0 || (type && pv_el_set_attr(f, "type", type) < 0) ||
        (label && pv_el_set_attr(f, "label", label) < 0) ||
        (value && pv_dataform_add_value(f, value) < 0))
        return NULL;
    return f;
}

/* Like pv_dataform_add, but first removes every existing field with this var
 * (so a plugin can replace a standard field's value). Returns the new field or NULL. */
static inline pv_el_t *pv_dataform_set(pv_el_t *form, const char *var, const char *type,
                                       const char *label, const char *value)
{
    pv_el_t *f;
    while ((f = pv_dataform_field(form, var)))
        pv_el_unlink(f);
    return pv_dataform_add(form, var, type, label, value);
}

/* Appends a new result form <x xmlns='jabber:x:data' type='result'> with its
 * hidden FORM_TYPE field to parent (a disco#info <query/>, an <item/>...).
 * Returns the form (owned by parent's tree) or NULL on allocation failure. */
static inline pv_el_t *pv_dataform_new_result(pv_el_t *parent, const char *form_type)
{
    pv_el_t *x = pv_el_add(parent, PV_NS_DATA, "x");
    if (!x || pv_el_set_attr(x, "type", "result") < 0 ||
        !pv_dataform_add(x, "FORM_TYPE", "hidden", NULL, form_type))
        return NULL;
    return x;
}

/* The result form with this FORM_TYPE among parent's children, or NULL. */
static inline pv_el_t *pv_dataform_find(const pv_el_t *parent, const char *form_type)
{
    for (pv_el_t *x = pv_el_child(parent, PV_NS_DATA, "x"); x; x = pv_el_next(x, PV_NS_DATA, "x")) {
        pv_el_t *ft = pv_dataform_field(x, "FORM_TYPE");
        const char *v = ft ? pv_el_child_text(ft, PV_NS_DATA, "value") : NULL;
        if (v && strcmp(v, form_type) == 0)
            return x;
    }
    return NULL;
}

#ifdef __cplusplus
}
#endif
#endif
