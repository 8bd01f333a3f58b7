/*
 * register.c: registering with a room (XEP-0045 §7.10, §7.11): the
 * muc#register form, the submitted nick reserved for the user and membership
 * granted; <remove/> unregisters (nick and membership go). Reservations are
 * enforced at entry and nick change (conflict). Stored with persistent rooms.
 */
#include "muc_internal.h"
#include <stdlib.h>
#include <string.h>

static pv_el_t *result_query(pv_stanza_ctx_t *ctx, pv_el_t **res)
{
    *res = pv_iq_result_new(ctx->stanza);
    return *res ? pv_el_add(*res, NS_REGISTER, "query") : NULL;
}

static void field(pv_el_t *x, const char *var, const char *type, const char *label,
                  const char *value, bool required)
{
    pv_el_t *f = pv_el_add(x, PV_NS_DATA, "field");
    if (!f)
        return;
    pv_el_set_attr(f, "var", var);
    pv_el_set_attr(f, "type", type);
    if (label)
        pv_el_set_attr(f, "label", label);
    if (value)
        pv_el_add_text_child(f, PV_NS_DATA, "value", value);
    if (required)
        pv_el_add(f, PV_NS_DATA, "required");
}

static const char *submitted(pv_el_t *x, const char *var)
{
    for (pv_el_t *f = pv_el_child(x, PV_NS_DATA, "field"); f;
         f = pv_el_next(f, PV_NS_DATA, "field")) {
        const char *v = pv_el_attr(f, "var");
        if (v && !strcmp(v, var))
            return pv_el_child_text(f, PV_NS_DATA, "value");
    }
    return NULL;
}

static void persist_registration(room_t *r, const char *bare, const char *nick, pv_muc_aff_t aff)
{
    if (!room_cfg_bool(r, CF_PERSISTENT))
        return;
    persist_aff(r, bare, aff);
    persist_reg(r, bare, nick);
}

static pv_verdict_t unregister(pv_stanza_ctx_t *ctx, room_t *r)
{
    const char *bare = ctx->from->bare;
    if (!room_reg_nick(r, bare) && room_aff(r, bare) != PV_MUC_AFF_MEMBER)
        return refuse(ctx, "cancel", "item-not-found", "You are not registered with this room");
    room_reg_set(r, bare, NULL);
    pv_muc_aff_t aff_before = room_aff(r, bare);
    if (aff_before == PV_MUC_AFF_MEMBER)
        room_aff_set(r, bare, PV_MUC_AFF_NONE);
    persist_registration(r, bare, NULL, room_aff(r, bare));
    bool was_member = aff_before == PV_MUC_AFF_MEMBER;
    pv_el_t *res = pv_iq_result_new(ctx->stanza);
    if (res) {
        pv_send(res);
        pv_el_free(res);
    }
    if (was_member)
        occupant_announce_affiliation(r, bare);
    return PV_HANDLED;
}

pv_verdict_t register_handler(pv_stanza_ctx_t *ctx, void *ud)
{
    (void)ud;
    if (strcmp(ctx->type, "get") && strcmp(ctx->type, "set"))
        return PV_PASS;
    room_t *r = room_of(ctx->to);
    if (!r || r->locked)
        return refuse(ctx, "cancel", "item-not-found", "No such room");
    const char *bare = ctx->from->bare;
    pv_muc_aff_t aff = room_aff(r, bare);
    if (aff == PV_MUC_AFF_OUTCAST)
        return refuse(ctx, "auth", "forbidden", "You are banned from this room");
    if (!room_cfg_bool(r, CF_REGISTRATION))
        return refuse(ctx, "cancel", "not-allowed", "This room does not accept registrations");
    if (!strcmp(ctx->type, "get")) {
        pv_el_t *res, *q = result_query(ctx, &res);
        if (!q) {
            pv_el_free(res);
            return refuse(ctx, "wait", "internal-server-error", "Out of memory");
        }
        const char *nick = room_reg_nick(r, bare);
        if (nick) {
            pv_el_add(q, NS_REGISTER, "registered");
            pv_el_add_text_child(q, NS_REGISTER, "username", nick);
        } else {
            pv_el_add_text_child(q, NS_REGISTER, "instructions",
                                 "Choose the nickname you want to reserve in this room.");
            pv_el_t *x = pv_el_add(q, PV_NS_DATA, "x");
            pv_el_set_attr(x, "type", "form");
            pv_el_add_text_child(x, PV_NS_DATA, "title", "Room registration");
            field(x, "FORM_TYPE", "hidden", NULL, NS_MUC_REGISTER, false);
            field(x, "muc#register_roomnick", "text-single", "Desired Nickname", NULL, true);
        }
        pv_send(res);
        pv_el_free(res);
        return PV_HANDLED;
    }
    pv_el_t *q = ctx->payload;
    if (pv_el_child(q, NS_REGISTER, "remove"))
        return unregister(ctx, r);
    pv_el_t *x = pv_el_child(q, PV_NS_DATA, "x");
    const char *type = x ? pv_el_attr(x, "type") : NULL;
    if (type && !strcmp(type, "cancel")) {
        pv_el_t *res = pv_iq_result_new(ctx->stanza);
        if (res) {
            pv_send(res);
            pv_el_free(res);
        }
        return PV_HANDLED;
    }
    const char *raw = x ? submitted(x, "muc#register_roomnick") : NULL;
    if (!raw || !*raw)
        return refuse(ctx, "modify", "bad-request", "The form must give muc#register_roomnick");
    char *nick = pv_resourceprep(raw);
    if (!nick)
        return refuse(ctx, "modify", "jid-malformed", "That nickname is not valid");
    const char *owner = room_reg_owner(r, nick);
    occupant_t *o = occupant_by_nick(r, nick);
    if ((owner && strcmp(owner, bare)) || (o && strcmp(o->bare, bare))) {
        free(nick);
        return refuse(ctx, "cancel", "conflict", "That nickname is already taken in this room");
    }
    if (room_reg_set(r, bare, nick) < 0) {
        free(nick);
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    }
    if (aff == PV_MUC_AFF_NONE)
        room_aff_set(r, bare, PV_MUC_AFF_MEMBER);
    persist_registration(r, bare, nick, room_aff(r, bare));
    free(nick);
    pv_el_t *res = pv_iq_result_new(ctx->stanza);
    if (res) {
        pv_send(res);
        pv_el_free(res);
    }
    if (aff == PV_MUC_AFF_NONE)
        occupant_announce_affiliation(r, bare);
    return PV_HANDLED;
}
