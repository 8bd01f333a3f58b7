/*
 * plugins/game-rooms/roominfo.c: tells disco#info askers whether a room is a
 * game room, as a boolean field of the muc#roominfo form that disco-extended
 * builds (palaver/disco_extended.h). Nothing happens without disco-extended.
 */
#include "game.h"
#include <palaver/disco_extended.h>

pv_verdict_t game_on_roominfo(const pv_event_t *ev, void *payload, void *ud)
{
    (void)ev;
    (void)ud;
    pv_roominfo_event_t *ri = payload;
    bool game = game_api->room_config_bool(ri->room, GAME_OPT_GAME);
    if (!pv_form_set_field(ri->form, GAME_ROOMINFO_VAR, "boolean", "Game room", game ? "1" : "0"))
        pv_log(PV_LOG_ERROR, GAME, "out of memory adding the game field of %s",
               game_api->room_jid(ri->room));
    return PV_PASS;
}
