/*
 * occupant.c: occupants and their sessions. An occupant is one nick in one
 * room; it has one or more sessions (real full JIDs of the same bare JID,
 * XEP-0045 multi-session as Prosody does it). The room's three indexes are
 * kept in step here and nowhere else, which is what keeps ghosts out.
 */
#include "muc_internal.h"
#include <stdlib.h>
#include <string.h>

/* The join role of a standard affiliation, as its row (affiliations.c) says. */
pv_muc_role_t role_for(const room_t *r, pv_muc_aff_t a)
{
    const aff_row_t *row = (unsigned)a <= PV_MUC_AFF_OWNER ? aff_row((int)a) : NULL;
    if (!row)
        return PV_MUC_ROLE_NONE;
    return room_cfg_bool(r, CF_MODERATED) ? row->join_moderated : row->join_role;
}

occupant_t *occupant_new(room_t *r, const char *nick, const pv_jid_t *real, pv_muc_role_t role)
{
    occupant_t *o = calloc(1, sizeof *o);
    if (!o)
        goto oom;
    o->room = r;
    o->role = role;
    o->nick = xstrdup(nick);
    o->bare = xstrdup(real->bare);
    if (!o->nick || !o->bare || map_put_nick(&r->by_nick, nick, o) < 0)
        goto oom_free;
    if (!occupant_add_session(o, real)) {
        map_del_nick(&r->by_nick, nick);
        goto oom_free;
    }
    occupant_id_compute(r, o->bare, o->occupant_id);
    occupant_t *same = map_get(&r->by_bare, o->bare);
    if (same) {
        o->bare_next = same->bare_next;
        same->bare_next = o;
    } else if (map_put(&r->by_bare, o->bare, o) < 0) {
        occupant_remove(o);
        goto oom;
    }
    o->prev = r->last;
    if (r->last)
        r->last->next = o;
    else
        r->first = o;
    r->last = o;
    r->noccupants++;
    return o;
oom_free:
    if (o) {
        free(o->nick);
        free(o->bare);
        free(o);
    }
oom:
    pv_log(PV_LOG_ERROR, MUC, "out of memory adding %s to room %s", real->full, r->jid);
    return NULL;
}

session_t *occupant_add_session(occupant_t *o, const pv_jid_t *real)
{
    session_t *s = calloc(1, sizeof *s);
    if (!s || !(s->jid = pv_jid_dup(real)) || map_put(&o->room->by_full, real->full, s) < 0) {
        if (s)
            pv_jid_free(s->jid);
        free(s);
        pv_log(PV_LOG_ERROR, MUC, "out of memory adding session %s to %s", real->full,
               o->room->jid);
        return NULL;
    }
    /* Checked and escaped once for every broadcast to it; NULL (logged) for
     * a JID that cannot be written, which broadcast.c then sends by its
     * text, refused there as before. */
    s->to = pv_recipient_new(real->full);
    s->occ = o;
    s->next = o->sessions;
    o->sessions = s;
    o->nsessions++;
    return s;
}

int session_send(const session_t *s, const pv_prepared_t *p)
{
    return s->to ? pv_send_prepared_to(p, s->to) : pv_send_prepared(p, s->jid->full);
}

void occupant_remove_session(occupant_t *o, session_t *s)
{
    for (session_t **pp = &o->sessions; *pp; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    }
    map_del(&o->room->by_full, s->jid->full);
    pv_jid_free(s->jid);
    pv_recipient_free(s->to);
    free(s);
    o->nsessions--;
}

/* Unlinks o from every index of its room and frees it. */
void occupant_remove(occupant_t *o)
{
    room_t *r = o->room;
    cluster_mark(r->name); /* CLUSTER-1: its stored record goes */
    left_ids_note(r, o);   /* BAN-OID-1: it can still be banned by its id */
    while (o->sessions)
        occupant_remove_session(o, o->sessions);
    if (map_get_nick(&r->by_nick, o->nick) == o)
        map_del_nick(&r->by_nick, o->nick);
    occupant_t *head = map_get(&r->by_bare, o->bare);
    if (head == o) {
        if (o->bare_next)
            map_put(&r->by_bare, o->bare, o->bare_next);
        else
            map_del(&r->by_bare, o->bare);
    } else {
        for (occupant_t *p = head; p; p = p->bare_next)
            if (p->bare_next == o) {
                p->bare_next = o->bare_next;
                break;
            }
    }
    if (o->prev)
        o->prev->next = o->next;
    else if (r->first == o)
        r->first = o->next;
    if (o->next)
        o->next->prev = o->prev;
    else if (r->last == o)
        r->last = o->prev;
    if (r->noccupants)
        r->noccupants--;
    pv_el_free(o->presence);
    free(o->nick);
    free(o->bare);
    free(o);
}

/* What presence_build copies from the kept presence: the client's elements
 * (show, status, priority, caps, ...), never its MUC payloads or errors. */
static bool presence_child_kept(const pv_el_t *c)
{
    if (c->kind != PV_EL_ELEMENT)
        return false;
    if (!strcmp(c->ns, NS_MUC) || !strcmp(c->ns, NS_MUC_USER) || !strcmp(c->ns, NS_OCCUPANT_ID))
        return false;
    return !(!strcmp(c->ns, PV_NS_STANZA) && !strcmp(c->name, "error"));
}

pv_el_t *presence_kept_copy(const pv_el_t *stanza)
{
    pv_el_t *tmp = pv_el_new(PV_NS_STANZA, "presence");
    if (!tmp)
        return NULL;
    for (const pv_el_t *c = stanza ? stanza->children : NULL; c; c = c->next)
        if (presence_child_kept(c) && !pv_el_copy_into(tmp, c)) {
            pv_el_free(tmp);
            return NULL;
        }
    pv_el_t *kept = pv_el_clone(tmp); /* in an arena of its exact size */
    pv_el_free(tmp);
    return kept;
}

void occupant_set_presence(occupant_t *o, const pv_el_t *stanza)
{
    pv_el_free(o->presence);
    o->presence = NULL;
    bool any = false;
    for (const pv_el_t *c = stanza ? stanza->children : NULL; c && !any; c = c->next)
        any = presence_child_kept(c);
    if (!any) /* a bare join presence: nothing to keep, no allocation */
        return;
    o->presence = presence_kept_copy(stanza);
    if (!o->presence)
        pv_log(PV_LOG_ERROR, MUC, "out of memory keeping the presence of %s in %s", o->nick,
               o->room->jid);
}

occupant_t *occupant_by_nick(const room_t *r, const char *nick)
{
    return map_get_nick(&r->by_nick, nick);
}

session_t *session_by_full(const room_t *r, const char *full)
{
    return map_get(&r->by_full, full);
}

occupant_t *occupant_by_bare(const room_t *r, const char *bare)
{
    return map_get(&r->by_bare, bare);
}

int occupant_rename(occupant_t *o, const char *nick)
{
    char *n = xstrdup(nick);
    if (!n)
        return -1;
    if (!nick_equal(o->nick, nick)) {
        if (map_put_nick(&o->room->by_nick, nick, o) < 0) {
            free(n);
            return -1;
        }
        map_del_nick(&o->room->by_nick, o->nick);
    }
    free(o->nick);
    o->nick = n;
    return 0;
}

/* After an affiliation change of `bare`: raise the role its affiliation
 * implies (member -> participant...) and tell the room (XEP-0045 §9.3). */
void occupant_announce_affiliation(room_t *r, const char *bare)
{
    static const int self110[] = {110, 0};
    for (occupant_t *o = occupant_by_bare(r, bare); o; o = o->bare_next) {
        pv_muc_role_t want = role_for(r, occupant_aff(o));
        if (want > o->role)
            o->role = want;
        occupant_announce_role(o, &(pres_opts_t){.self_codes = self110});
    }
}

/* The one way a changed role (or affiliation) of an occupant who stays
 * is told: its presence to the room, then the ROLE_CHANGED event. */
void occupant_announce_role(occupant_t *o, const pres_opts_t *opt)
{
    presence_broadcast(o, opt);
    pv_muc_occupant_event_t ev = {.room = o->room,
                                  .occupant = o,
                                  .nick = o->nick,
                                  .real_jid = o->sessions ? o->sessions->jid : NULL};
    pv_event_fire(ev_role_changed, &ev);
}

pv_muc_aff_t occupant_aff(const occupant_t *o)
{
    return room_aff(o->room, o->bare);
}

/* ---- SDK accessors ---- */

pv_muc_occupant_t *api_occupant_by_nick(const pv_muc_room_t *r, const char *nick)
{
    char *n = pv_resourceprep(nick);
    occupant_t *o = n ? occupant_by_nick(r, n) : NULL;
    free(n);
    return o;
}

pv_muc_occupant_t *api_occupant_by_jid(const pv_muc_room_t *r, const char *full)
{
    session_t *s = session_by_full(r, full);
    return s ? s->occ : NULL;
}

const char *api_occupant_nick(const pv_muc_occupant_t *o)
{
    return o->nick;
}
const char *api_occupant_bare_jid(const pv_muc_occupant_t *o)
{
    return o->bare;
}
const char *api_occupant_id(const pv_muc_occupant_t *o)
{
    return o->occupant_id;
}
pv_muc_role_t api_occupant_role(const pv_muc_occupant_t *o)
{
    return o->role;
}
pv_muc_aff_t api_occupant_affiliation(const pv_muc_occupant_t *o)
{
    return occupant_aff(o);
}

const char *role_name(pv_muc_role_t r)
{
    static const char *const n[] = {"none", "visitor", "participant", "moderator"};
    return (unsigned)r < 4 ? n[r] : "none";
}

/* A standard affiliation's name, from its row (extra ones: their row's name). */
const char *aff_name(pv_muc_aff_t a)
{
    const aff_row_t *row = (unsigned)a <= PV_MUC_AFF_OWNER ? aff_row((int)a) : NULL;
    return row ? row->name : "none";
}
