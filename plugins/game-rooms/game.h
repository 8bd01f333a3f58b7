/*
 * plugins/game-rooms/game.h: what the game-rooms plugin's files share.
 *
 * Game rooms (PALAVER.md §2.17): owners grant the extra affiliation `player`
 * (role `player` while present) through muc-core's extension point; a
 * groupchat message or subject change from a participant does not reach
 * players, and history on join holds only players' messages for a player and
 * none of theirs for anyone else, unless the room's `ignore_player` option is
 * on. The `game` option marks a game room (shown in disco roominfo). Which
 * stored messages players sent is kept by the history plugin as a tag on
 * each message (palaver/history.h), so it survives restarts. Only the public
 * SDK (palaver/muc.h, palaver/history.h, palaver/disco_extended.h) is used.
 */
#ifndef PV_GAME_H
#define PV_GAME_H

#include <palaver/history.h>
#include <palaver/muc.h>
#include <palaver/palaver.h>
#include <stdbool.h>

#define GAME "game-rooms"
#define GAME_PLAYER "player"
#define GAME_OPT_GAME "game"
#define GAME_OPT_IGNORE "ignore_player"
#define GAME_ROOMINFO_VAR "x-palaver#game"
/* The history tag on messages a player sent. */
#define GAME_TAG_PLAYER "game-rooms:player"

extern const pv_muc_api_t *game_api;

/* ---- rules.c: who hears whom ---- */
bool game_is_player(const pv_muc_occupant_t *occ);
/* True when a broadcast from sender must not reach recipient. */
bool game_withheld(const pv_muc_room_t *room, const pv_muc_occupant_t *sender,
                   const pv_muc_occupant_t *recipient);
pv_verdict_t game_on_message(const pv_event_t *ev, void *payload, void *ud);
pv_verdict_t game_on_deliver(const pv_event_t *ev, void *payload, void *ud);
/* The history plugin's TAG event: tags a player's message. */
pv_verdict_t game_on_history_tag(const pv_event_t *ev, void *payload, void *ud);
/* The history plugin's FILTER event: players' history, everyone else's. */
pv_verdict_t game_on_history_filter(const pv_event_t *ev, void *payload, void *ud);

/* ---- roominfo.c: the disco-extended roominfo field ---- */
pv_verdict_t game_on_roominfo(const pv_event_t *ev, void *payload, void *ud);

#endif
