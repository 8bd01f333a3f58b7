/*
 * enter.c: entering a room (XEP-0045 §7.2). The checks run in a fixed order
 * (locked, banned, members-only, password, nick conflict and reservation,
 * capacity, then other plugins' pre-join veto); each refusal is the error the
 * XEP names, sent from the occupant JID the user addressed. On success the
 * joiner gets every other occupant's presence, then its own (110 and the
 * room's status codes), then the history (the history plugin, through the
 * SEND_HISTORY event), then the subject; the others get its presence once.
 * A second session of the same user with the same nick joins the occupant.
 */
#include "muc_internal.h"
#include <stdlib.h>
#include <string.h>

/* Each refusal goes back from the occupant JID the user addressed, with the
 * original presence and a text (the core builds the reply from refuse()). */
static pv_verdict_t check_entry(pv_stanza_ctx_t *ctx, room_t *r, const char *nick, pv_el_t *mucx,
                                occupant_t *existing)
{
    pv_muc_aff_t aff = room_aff(r, ctx->from->bare);
    if (r->locked && aff != PV_MUC_AFF_OWNER)
        return refuse(ctx, "cancel", "item-not-found",
                      "This room is locked: its owner has not configured it yet");
    if (aff == PV_MUC_AFF_OUTCAST)
        return refuse(ctx, "auth", "forbidden", "You are banned from this room");
    if (room_cfg_bool(r, CF_MEMBERSONLY) && aff < PV_MUC_AFF_MEMBER)
        return refuse(ctx, "auth", "registration-required",
                      "This room is members-only and you are not a member");
    if (room_cfg_bool(r, CF_PASSWORDPROTECTED)) { /* nobody is exempt, as in Prosody */
        const char *pw = mucx ? pv_el_child_text(mucx, NS_MUC, "password") : NULL;
        if (!pw)
            return refuse(ctx, "auth", "not-authorized",
                          "This room is password-protected: a password is required");
        if (strcmp(pw, room_cfg(r, CF_ROOMSECRET)) != 0)
            return refuse(ctx, "auth", "not-authorized", "The password is wrong");
    }
    occupant_t *o = occupant_by_nick(r, nick);
    if (o && strcmp(o->bare, ctx->from->bare) != 0)
        return refuse(ctx, "cancel", "conflict",
                      "That nickname is already in use by another occupant");
    const char *owner = room_reg_owner(r, nick);
    if (owner && strcmp(owner, ctx->from->bare) != 0)
        return refuse(ctx, "cancel", "conflict",
                      "That nickname is registered by another user of this room");
    long max = room_cfg_int(r, CF_MAXUSERS);
    if (!existing && max > 0 && (long)r->noccupants >= max && aff < PV_MUC_AFF_ADMIN)
        return refuse(ctx, "wait", "service-unavailable",
                      "This room is full (maximum number of occupants reached)");
    pv_muc_occupant_event_t ev = {
        .room = r, .nick = nick, .real_jid = ctx->from, .presence = ctx->stanza};
    if (pv_event_fire(ev_pre_join, &ev) == PV_ERROR)
        return refuse(ctx, ev.err_type ? ev.err_type : "cancel",
                      ev.err_condition ? ev.err_condition : "not-allowed",
                      ev.err_text ? ev.err_text : "Entering this room was refused");
    return PV_PASS;
}

/* The join sequence for one session: roster, own presence, history, subject. */
static void send_join_sequence(room_t *r, occupant_t *o, session_t *s, pv_el_t *mucx, bool created,
                               bool broadcast)
{
    bool see = may_see_jid(r, o);
    for (occupant_t *p = r->first; p; p = p->next) {
        if (p == o || !presence_broadcast_for(r, p->role))
            continue;
        presence_send_to(p, s->jid->full, see, NULL);
    }
    int self_codes[6], n = 0;
    self_codes[n++] = 110;
    if (room_whois_anyone(r))
        self_codes[n++] = 100;
    if (room_cfg_bool(r, CF_ENABLELOGGING))
        self_codes[n++] = 170;
    if (created && r->locked)
        self_codes[n++] = 201;
    self_codes[n] = 0;
    pres_opts_t opt = {.self_codes = self_codes, .self_only = !broadcast, .only_session = s};
    presence_broadcast(o, &opt);
    pv_muc_history_event_t hev = {.room = r,
                                  .occupant = o,
                                  .to = s->jid->full,
                                  .history = mucx ? pv_el_child(mucx, NS_MUC, "history") : NULL};
    pv_event_fire(ev_history, &hev);
    subject_send(r, s->jid->full);
}

pv_verdict_t enter_handle(pv_stanza_ctx_t *ctx, room_t *r, const char *nick, bool *created_now)
{
    pv_el_t *mucx = pv_el_child(ctx->stanza, NS_MUC, "x");
    bool created = false;
    /* LIMIT-1: joins per sender, then per room (throttle.c) */
    pv_verdict_t t = throttle_check(ctx, THR_JOIN, NULL);
    if (t == PV_PASS)
        t = throttle_check(ctx, THR_ROOM_JOIN, ctx->to->node);
    if (t != PV_PASS)
        return t;
    if (!r) {
        if (!create_allowed(ctx->from))
            return refuse(ctx, "cancel", "not-allowed",
                          "You are not allowed to create rooms on this service");
        r = create_room(ctx->to->node, ctx->from, mucx != NULL);
        if (!r)
            return refuse(ctx, "wait", "internal-server-error", "The room could not be created");
        created = true;
    }
    occupant_t *existing = occupant_by_nick(r, nick);
    if (existing && strcmp(existing->bare, ctx->from->bare) != 0)
        existing = NULL;
    r->busy++;
    pv_verdict_t v = check_entry(ctx, r, nick, mucx, existing);
    if (v != PV_PASS) {
        r->busy--;
        if (created) {
            rooms_remove_and_free(r, NULL);
        }
        return v;
    }
    session_t *s;
    occupant_t *o;
    bool broadcast = true;
    if (existing) {
        o = existing;
        s = occupant_add_session(o, ctx->from);
        broadcast = false; /* the room already knows this occupant */
    } else {
        pv_muc_aff_t aff = room_aff(r, ctx->from->bare);
        o = occupant_new(r, nick, ctx->from, ext_join_role(r, ctx->from->bare, role_for(r, aff)));
        s = o ? o->sessions : NULL;
    }
    if (!s) {
        r->busy--;
        if (created)
            rooms_remove_and_free(r, NULL);
        else
            rooms_maybe_destroy(r);
        return refuse(ctx, "wait", "internal-server-error", "Could not add you to the room");
    }
    if (!existing) /* another session of an occupant keeps the occupant's presence */
        occupant_set_presence(o, ctx->stanza);
    pv_log(PV_LOG_DEBUG, MUC, "%s entered %s as %s", ctx->from->full, r->jid, nick);
    send_join_sequence(r, o, s, mucx, created, broadcast);
    if (!existing) {
        pv_muc_occupant_event_t ev = {.room = r,
                                      .occupant = o,
                                      .nick = o->nick,
                                      .real_jid = ctx->from,
                                      .presence = ctx->stanza};
        pv_event_fire(ev_joined, &ev);
    }
    r->busy--;
    if (created_now)
        *created_now = created;
    return PV_HANDLED;
}

/* A join presence from a session already in the room: the client lost track
 * (e.g. after a reconnect); resend the room's state to that session only. */
void enter_resync(room_t *r, session_t *s, pv_el_t *mucx)
{
    send_join_sequence(r, s->occ, s, mucx, false, false);
}
