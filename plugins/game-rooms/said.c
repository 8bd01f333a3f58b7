/*
 * plugins/game-rooms/said.c: remembers which reflected messages were sent by
 * players, so that the history filter can tell whose a stored message was.
 * Messages are known by the XEP-0359 stanza-id the history plugin stamps on
 * them; per room a ring of the newest SAID_MAX ids of players' messages is
 * kept (the history ring holds at most 1000 messages). The rings live in
 * memory only: after a restart, history loaded from the archive counts as
 * participants' messages. Everything here is owned by this file.
 */
#include "game.h"
#include <stdlib.h>
#include <string.h>

#define SAID_MAX 1000
#define NS_SID "urn:xmpp:sid:0"

typedef struct said {
    char *room;          /* room bare JID; owned */
    char *ids[SAID_MAX]; /* ring of owned stanza-ids */
    size_t head, n;
    struct said *next;
} said_t;

static said_t *rooms;

static said_t *said_get(const char *room, bool create)
{
    for (said_t *s = rooms; s; s = s->next)
        if (!strcmp(s->room, room))
            return s;
    if (!create)
        return NULL;
    said_t *s = calloc(1, sizeof *s);
    if (!s || !(s->room = strdup(room))) {
        free(s);
        pv_log(PV_LOG_ERROR, GAME, "out of memory remembering players' messages in %s", room);
        return NULL;
    }
    s->next = rooms;
    rooms = s;
    return s;
}

static void said_free(said_t *s)
{
    for (size_t i = 0; i < SAID_MAX; i++)
        free(s->ids[i]);
    free(s->room);
    free(s);
}

pv_verdict_t game_record_message(const pv_event_t *ev, void *payload, void *ud)
{
    (void)ev;
    (void)ud;
    pv_muc_message_event_t *me = payload;
    if (!me->sender || !game_is_player(me->sender))
        return PV_PASS;
    const char *room = game_api->room_jid(me->room);
    const char *id = NULL;
    for (pv_el_t *c = pv_el_child(me->message, NS_SID, "stanza-id"); c;
         c = pv_el_next(c, NS_SID, "stanza-id")) {
        const char *by = pv_el_attr(c, "by");
        if (by && !strcmp(by, room))
            id = pv_el_attr(c, "id");
    }
    if (!id)
        return PV_PASS; /* no history plugin: nothing will be replayed */
    said_t *s = said_get(room, true);
    char *copy = s ? strdup(id) : NULL;
    if (!copy) {
        if (s)
            pv_log(PV_LOG_ERROR, GAME, "out of memory remembering a message in %s", room);
        return PV_PASS;
    }
    size_t slot = (s->head + s->n) % SAID_MAX;
    if (s->n == SAID_MAX) {
        slot = s->head;
        s->head = (s->head + 1) % SAID_MAX;
        free(s->ids[slot]);
    } else {
        s->n++;
    }
    s->ids[slot] = copy;
    return PV_PASS;
}

bool game_said_by_player(const char *room_jid, const char *stanza_id)
{
    said_t *s = stanza_id ? said_get(room_jid, false) : NULL;
    for (size_t k = 0; s && k < s->n; k++)
        if (!strcmp(s->ids[(s->head + k) % SAID_MAX], stanza_id))
            return true;
    return false;
}

pv_verdict_t game_on_room_destroyed(const pv_event_t *ev, void *payload, void *ud)
{
    (void)ev;
    (void)ud;
    pv_muc_room_event_t *re = payload;
    const char *room = game_api->room_jid(re->room);
    for (said_t **pp = &rooms; *pp; pp = &(*pp)->next)
        if (!strcmp((*pp)->room, room)) {
            said_t *s = *pp;
            *pp = s->next;
            said_free(s);
            break;
        }
    return PV_PASS;
}

void game_said_free_all(void)
{
    while (rooms) {
        said_t *s = rooms;
        rooms = s->next;
        said_free(s);
    }
}
