/*
 * reg_approval.c: registration requests that wait for the room's admins
 * (XEP-0045 §9.9), in rooms with x-palaver#registration_approval on. A new
 * user's muc#register submission is kept (in memory: a restart forgets
 * pending requests) and every owner and admin gets it as a muc#register form
 * message from the room; an admin submits it back with muc#register_allow:
 * true registers the nick and makes the user a member (register.c, stored
 * first), false drops the request; either way the user is told by message.
 */
#include "muc_internal.h"
#include <stdlib.h>
#include <string.h>

static const char *form_value(pv_el_t *form, const char *var)
{
    for (pv_el_t *f = pv_el_child(form, PV_NS_DATA, "field"); f;
         f = pv_el_next(f, PV_NS_DATA, "field")) {
        const char *v = pv_el_attr(f, "var");
        if (v && !strcmp(v, var))
            return pv_el_child_text(f, PV_NS_DATA, "value");
    }
    return NULL;
}

static void add_field(pv_el_t *x, const char *var, const char *type, const char *label,
                      const char *value)
{
    pv_el_t *f = pv_el_add(x, PV_NS_DATA, "field");
    if (!f)
        return;
    pv_el_set_attr(f, "var", var);
    pv_el_set_attr(f, "type", type);
    if (label)
        pv_el_set_attr(f, "label", label);
    pv_el_add_text_child(f, PV_NS_DATA, "value", value);
}

/* The approval form for one request, to one admin. Caller frees. */
static pv_el_t *approval_form(const room_t *r, const char *bare, const char *nick)
{
    pv_el_t *m = pv_el_new(PV_NS_STANZA, "message");
    if (!m)
        return NULL;
    pv_el_set_attr(m, "from", r->jid);
    pv_el_add_text_child(m, PV_NS_STANZA, "body",
                         errtext("%s asks to register with %s as %s; submit the form to approve "
                                 "or deny",
                                 bare, r->jid, nick));
    pv_el_t *x = pv_el_add(m, PV_NS_DATA, "x");
    if (!x) {
        pv_el_free(m);
        return NULL;
    }
    pv_el_set_attr(x, "type", "form");
    pv_el_add_text_child(x, PV_NS_DATA, "title", "Registration request");
    pv_el_add_text_child(x, PV_NS_DATA, "instructions",
                         "To approve this registration request, select the "
                         "\"Allow this person to register with the room?\" checkbox and "
                         "submit this form.");
    add_field(x, "FORM_TYPE", "hidden", NULL, NS_MUC_REGISTER);
    add_field(x, "muc#jid", "jid-single", "User JID", bare);
    add_field(x, "muc#register_roomnick", "text-single", "Desired Nickname", nick);
    add_field(x, "muc#register_allow", "boolean", "Allow this person to register with the room?",
              "0");
    return m;
}

static void tell_user(const room_t *r, const char *bare, const char *text)
{
    pv_el_t *m = pv_el_new(PV_NS_STANZA, "message");
    if (!m)
        return;
    pv_el_set_attr(m, "from", r->jid);
    pv_el_set_attr(m, "to", bare);
    pv_el_add_text_child(m, PV_NS_STANZA, "body", text);
    pv_send(m);
    pv_el_free(m);
}

pv_verdict_t reg_approval_request(pv_stanza_ctx_t *ctx, room_t *r, const char *bare,
                                  const char *nick)
{
    char *kept = xstrdup(nick);
    char *old = map_get(&r->reg_pending, bare);
    if (!kept || map_put(&r->reg_pending, bare, kept) < 0) {
        free(kept);
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    }
    free(old);
    pv_el_t *m = approval_form(r, bare, nick);
    size_t i, n = 0;
    for (map_entry_t *e = map_first(&r->affs, &i); m && e; e = map_next(&r->affs, e, &i)) {
        pv_muc_aff_t a = (pv_muc_aff_t)((intptr_t)e->val - 1);
        if (a != PV_MUC_AFF_OWNER && a != PV_MUC_AFF_ADMIN)
            continue;
        pv_el_set_attr(m, "to", e->key);
        pv_send(m);
        n++;
    }
    pv_el_free(m);
    pv_log(PV_LOG_DEBUG, MUC, "%s asks to register in %s as %s (%zu admins asked)", bare, r->jid,
           nick, n);
    pv_el_t *res = pv_iq_result_new(ctx->stanza);
    pv_el_t *q = res ? pv_el_add(res, NS_REGISTER, "query") : NULL;
    if (q)
        pv_el_add_text_child(q, NS_REGISTER, "instructions",
                             "Your registration request awaits the approval of the room's "
                             "admins; you will be told of their decision");
    if (res)
        pv_send(res);
    pv_el_free(res);
    return PV_HANDLED;
}

pv_verdict_t reg_approval_handle(pv_stanza_ctx_t *ctx, room_t *r, pv_el_t *form)
{
    const char *type = pv_el_attr(form, "type");
    if (type && !strcmp(type, "cancel"))
        return PV_HANDLED;
    if (!type || strcmp(type, "submit"))
        return refuse(ctx, "modify", "bad-request", "Expected a submitted muc#register form");
    pv_muc_aff_t aff = room_aff(r, ctx->from->bare);
    if (aff != PV_MUC_AFF_OWNER && aff != PV_MUC_AFF_ADMIN)
        return refuse(ctx, "auth", "forbidden", "Only admins may approve registrations");
    const char *jid = form_value(form, "muc#jid");
    pv_jid_t *j = jid ? pv_jid_parse(jid) : NULL;
    if (!j) {
        return refuse(ctx, "modify", "bad-request", "The form must give muc#jid");
    }
    char *bare = xstrdup(j->bare);
    pv_jid_free(j);
    char *pending = bare ? map_get(&r->reg_pending, bare) : NULL;
    if (!pending) {
        free(bare);
        return refuse(ctx, "cancel", "item-not-found",
                      "No registration request of that user is pending");
    }
    const char *allow = form_value(form, "muc#register_allow");
    bool yes = allow && (!strcmp(allow, "1") || !strcmp(allow, "true"));
    pv_verdict_t v = PV_HANDLED;
    if (yes) {
        const char *owner = room_reg_owner(r, pending);
        occupant_t *o = occupant_by_nick(r, pending);
        if ((owner && strcmp(owner, bare)) || (o && strcmp(o->bare, bare))) {
            v = refuse(ctx, "cancel", "conflict", "That nickname was taken meanwhile");
        } else {
            v = register_approved(ctx, r, bare, pending);
        }
    } else {
        tell_user(r, bare, errtext("Your registration with %s was denied", r->jid));
        pv_log(PV_LOG_DEBUG, MUC, "%s denied %s's registration in %s", ctx->from->bare, bare,
               r->jid);
    }
    if (v == PV_HANDLED)
        free(map_del(&r->reg_pending, bare));
    free(bare);
    return v;
}
