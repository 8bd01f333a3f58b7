/*
 * offline_delivery.c: messages for members who are not in the room. A
 * registered member may ask, with the boolean field
 * {http://tigase.org/protocol/muc}offline of the registration form (the
 * protocol of Tigase and Prosody's mod_muc_offline_delivery), to get the
 * room's messages at their bare JID while none of their sessions is in the
 * room, so that their own server's archive and push notifications reach
 * them. The room's owner turns it off with x-palaver#offlinedelivery.
 *
 * The members who asked are a set in the room (r->offline), stored with the
 * room's configuration under OFFLINE_KEY, one bare JID a line; the choice is
 * stored together with the registration before the member is answered
 * (register.c). A copy goes out with the occupants' copies (the same
 * serialised stanza, sent to the bare JID), so it is no earlier than theirs
 * (durable before visible: an archived message is reflected only once
 * stored). Errors the member's server answers with are dropped by the
 * occupant-JID handlers like any bounce from a non-occupant.
 */
#include "muc_internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LISTED ((void *)1)

bool offline_wanted(const room_t *r, const char *bare)
{
    return bare && map_get(&r->offline, bare) != NULL;
}

int offline_set(room_t *r, const char *bare, bool on)
{
    if (!on) {
        map_del(&r->offline, bare);
        return 0;
    }
    if (map_put(&r->offline, bare, LISTED) < 0) {
        pv_log(PV_LOG_ERROR, MUC, "out of memory noting %s's offline delivery in %s", bare, r->jid);
        return -1;
    }
    return 0;
}

typedef struct {
    const room_t *r;
    const char *bare; /* the member whose choice the caller gives, or NULL */
} listing_t;

/* A listed member still counts while registered (a removed registration
 * takes the choice with it). */
static bool listed(const char *key, const void *ud)
{
    const listing_t *l = ud;
    if (l->bare && !strcmp(key, l->bare))
        return false; /* replaced by the caller's choice */
    return room_reg_nick(l->r, key) != NULL;
}

char *offline_encode(const room_t *r, const char *bare, bool on, bool *oom)
{
    key_list_t how = {.sep = '\n', .keep = listed, .ud = &(listing_t){r, bare}};
    how.extra = bare && on ? bare : NULL;
    char *s = key_list_join(&r->offline, &how, oom);
    if (*oom)
        pv_log(PV_LOG_ERROR, MUC, "out of memory listing the offline members of %s", r->jid);
    return s;
}

static void load_line(const char *line, size_t len, void *ud)
{
    room_t *r = ud;
    char *bare = strndup(line, len);
    if (!bare)
        pv_log(PV_LOG_ERROR, MUC, "out of memory loading the offline members of %s", r->jid);
    else if (room_reg_nick(r, bare)) /* unregistered since: dropped */
        offline_set(r, bare, true);
    free(bare);
}

void offline_load(room_t *r, const char *value)
{
    key_list_each_line(value, load_line, r);
}

void offline_form_field(const room_t *r, const char *bare, pv_el_t *x)
{
    if (!room_cfg_bool(r, CF_OFFLINEDELIVERY))
        return;
    pv_form_add_field(x, OFFLINE_FIELD, "boolean",
                      "Receive messages while not connected to the room",
                      offline_wanted(r, bare) ? "1" : "0");
}

int offline_submitted(pv_el_t *x)
{
    if (!pv_form_field(x, OFFLINE_FIELD))
        return -1;
    int b = pv_form_bool(x, OFFLINE_FIELD, 0); /* no <value/>: false */
    return b < 0 ? -2 : b;
}

/* Messages worth a copy: what the room's history would keep. */
static bool deliverable(const pv_el_t *msg)
{
    const char *type = pv_el_attr(msg, "type");
    return type && !strcmp(type, "groupchat") && pv_el_child(msg, PV_NS_STANZA, "body") != NULL;
}

void offline_deliver(const room_t *r, const pv_el_t *msg, pv_prepared_t *p)
{
    if (!r->offline.count || !room_cfg_bool(r, CF_OFFLINEDELIVERY) || !deliverable(msg))
        return;
    size_t i;
    for (map_entry_t *e = map_first(&r->offline, &i); e; e = map_next(&r->offline, e, &i)) {
        pv_muc_aff_t aff = room_aff(r, e->key);
        if (aff < PV_MUC_AFF_MEMBER || !room_reg_nick(r, e->key) || occupant_by_bare(r, e->key))
            continue;
        if (pv_send_prepared(p, e->key) < 0)
            pv_log(PV_LOG_WARN, MUC, "room %s: a message for absent member %s was not sent", r->jid,
                   e->key);
    }
}
