/*
 * palaver/disco_extended.h: what the disco-extended plugin offers other
 * plugins: a way to add fields to a room's muc#roominfo form (XEP-0045
 * §15.5.4, carried in disco#info as XEP-0128 extended information).
 *
 * When a room's disco#info is answered, disco-extended builds the form
 * <x xmlns='jabber:x:data' type='result'> with the FORM_TYPE hidden field
 * and every standard field the room can fill, then fires
 * PV_DISCO_EXT_EVENT_ROOMINFO. A subscriber (game-rooms, a site plugin)
 * appends its own fields to `form`, or replaces a standard one with
 * pv_form_set_field() (palaver/form.h). Subscribers should return PV_PASS so
 * that the next one runs too; the verdict is otherwise ignored. Nothing
 * fires when disco-extended is not loaded (the room then has no roominfo
 * form).
 *
 *     static pv_verdict_t add_mine(const pv_event_t *ev, void *payload, void *ud)
 *     {
 *         pv_roominfo_event_t *ri = payload;
 *         pv_form_set_field(ri->form, "x-example#players", "text-single", "Players", "4");
 *         return PV_PASS;
 *     }
 *     ...in init:
 *     pv_event_subscribe(pv_event(PV_DISCO_EXT_EVENT_ROOMINFO), 0, add_mine, NULL, "mine");
 *
 * The pv_dataform_* helpers below are kept for plugins written before the
 * core had data forms: each is now the palaver/form.h function of the same
 * meaning. New code calls pv_form_* directly.
 */
#ifndef PALAVER_DISCO_EXTENDED_H
#define PALAVER_DISCO_EXTENDED_H

#include <palaver/event.h>
#include <palaver/form.h>
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

/* The names these helpers had before palaver/form.h, kept for the plugins
 * that use them. */

/* pv_form_field: the first <field var=VAR/> of a data form, or NULL. */
static inline pv_el_t *pv_dataform_field(const pv_el_t *form, const char *var)
{
    return pv_form_field(form, var);
}

/* pv_form_add_value: appends <value>value</value> to a field ("" for NULL). */
static inline int pv_dataform_add_value(pv_el_t *field, const char *value)
{
    return pv_form_add_value(field, value);
}

/* pv_form_add_field: appends a field (type, label, value NULL: left out). */
static inline pv_el_t *pv_dataform_add(pv_el_t *form, const char *var, const char *type,
                                       const char *label, const char *value)
{
    return pv_form_add_field(form, var, type, label, value);
}

/* pv_form_set_field: replaces every field var with a new one. */
static inline pv_el_t *pv_dataform_set(pv_el_t *form, const char *var, const char *type,
                                       const char *label, const char *value)
{
    return pv_form_set_field(form, var, type, label, value);
}

/* pv_form_new: a result form with its hidden FORM_TYPE field. */
static inline pv_el_t *pv_dataform_new_result(pv_el_t *parent, const char *form_type)
{
    return pv_form_new(parent, "result", form_type, NULL, NULL);
}

/* pv_form_find: the form with this FORM_TYPE among parent's children. */
static inline pv_el_t *pv_dataform_find(const pv_el_t *parent, const char *form_type)
{
    return pv_form_find(parent, form_type);
}

#ifdef __cplusplus
}
#endif
#endif
