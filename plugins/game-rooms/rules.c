/*
 * plugins/game-rooms/rules.c: the delivery rules of game rooms. A broadcast
 * on behalf of a participant (role participant, not a player) is withheld
 * from players; everything else reaches everyone. History: a player gets
 * only players' messages, anyone else none of them. The room option
 * `ignore_player` turns every rule off.
 */
#include "game.h"
#include <string.h>

bool game_is_player(const pv_muc_occupant_t *occ)
{
    return occ && !strcmp(game_api->occupant_role_name(occ), GAME_PLAYER);
}

bool game_withheld(const pv_muc_room_t *room, const pv_muc_occupant_t *sender,
                   const pv_muc_occupant_t *recipient)
{
    if (!sender || game_api->room_config_bool(room, GAME_OPT_IGNORE))
        return false;
    bool participant =
        game_api->occupant_role(sender) == PV_MUC_ROLE_PARTICIPANT && !game_is_player(sender);
    return participant && game_is_player(recipient);
}

typedef struct skip_ctx {
    pv_muc_message_event_t *ev;
} skip_ctx_t;

static bool skip_players(pv_muc_occupant_t *occ, size_t i, void *ud)
{
    skip_ctx_t *c = ud;
    if (i >= c->ev->nrecipients)
        return false;
    if (game_withheld(c->ev->room, c->ev->sender, occ))
        game_api->message_skip(c->ev, i);
    return true;
}

pv_verdict_t game_on_message(const pv_event_t *ev, void *payload, void *ud)
{
    (void)ev;
    (void)ud;
    pv_muc_message_event_t *me = payload;
    if (!me->sender || game_api->room_config_bool(me->room, GAME_OPT_IGNORE))
        return PV_PASS;
    skip_ctx_t c = {me};
    game_api->room_occupants(me->room, skip_players, &c);
    return PV_PASS;
}

pv_verdict_t game_on_deliver(const pv_event_t *ev, void *payload, void *ud)
{
    (void)ev;
    (void)ud;
    pv_muc_deliver_event_t *de = payload;
    if (game_withheld(de->room, de->sender, de->recipient))
        de->deliver = false;
    return PV_PASS;
}

pv_verdict_t game_on_history_tag(const pv_event_t *ev, void *payload, void *ud)
{
    (void)ev;
    (void)ud;
    pv_history_tag_event_t *te = payload;
    if (game_is_player(te->sender) && te->add_tag(te, GAME_TAG_PLAYER) < 0)
        pv_log(PV_LOG_ERROR, GAME, "room %s: could not mark message %s as a player's",
               game_api->room_jid(te->room), te->stanza_id ? te->stanza_id : "?");
    return PV_PASS;
}

pv_verdict_t game_on_history_filter(const pv_event_t *ev, void *payload, void *ud)
{
    (void)ev;
    (void)ud;
    pv_history_filter_event_t *hf = payload;
    if (game_api->room_config_bool(hf->room, GAME_OPT_IGNORE))
        return PV_PASS;
    bool from_player = pv_history_has_tag(hf, GAME_TAG_PLAYER);
    if (from_player != game_is_player(hf->joiner))
        hf->deliver = false;
    return PV_PASS;
}
