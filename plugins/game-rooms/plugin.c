/*
 * plugins/game-rooms/plugin.c: the game-rooms plugin's descriptor. At start
 * it registers, through muc-core's extension point (palaver/muc.h), the
 * extra affiliation `player` (role `player`, ranking as participant, granted
 * by owners) and the room options `game` and `ignore_player`, then subscribes
 * to the events that carry the rules (rules.c: muc-core's and the history
 * plugin's; roominfo.c: disco-extended's), through its handle. At shutdown
 * it takes the affiliation and the options back; the core ends the
 * subscriptions. It has no configuration of its own (an empty table).
 */
#include "game.h"
#include <palaver/disco_extended.h>
#include <stddef.h>
#include <stdlib.h>

const pv_muc_api_t *game_api;

static const pv_muc_extra_aff_t player = {
    .name = GAME_PLAYER,
    .role = GAME_PLAYER,
    .base_role = PV_MUC_ROLE_PARTICIPANT,
    .grantor = PV_MUC_AFF_OWNER,
};
static const pv_muc_extra_field_t opt_game = {
    .var = GAME_OPT_GAME, .type = "boolean", .label = "Make Room a Game Room?", .def = "0"};
static const pv_muc_extra_field_t opt_ignore = {.var = GAME_OPT_IGNORE,
                                                .type = "boolean",
                                                .label = "Ignore Player Checks for Games?",
                                                .def = "0"};

typedef struct game_state {
    bool aff, game, ignore; /* what was registered */
} game_state_t;

static const pv_config_key_t no_keys[] = {{NULL, PV_KEY_END, NULL, 0, 0, NULL, NULL, 0}};

static int subscribe(pv_plugin_handle_t *h, const char *name, int prio, pv_event_fn fn)
{
    pv_event_t *ev = pv_event(name);
    if (!ev || !pv_plugin_subscribe(h, ev, prio, fn, NULL)) {
        pv_log(PV_LOG_ERROR, GAME, "cannot subscribe to %s (out of memory)", name);
        return -1;
    }
    return 0;
}

static void game_shutdown(void *state);

static int game_start(pv_plugin_handle_t *h, const pv_config_t *cfg, void **state)
{
    (void)cfg; /* checked against no_keys: empty */
    game_state_t *s = calloc(1, sizeof *s);
    if (!s) {
        pv_log(PV_LOG_ERROR, GAME, "out of memory at start");
        return -1;
    }
    *state = s;
    game_api = pv_muc_api();
    if (!game_api ||
        game_api->size < offsetof(pv_muc_api_t, room_occupants) + sizeof game_api->room_occupants) {
        pv_log(PV_LOG_ERROR, GAME,
               "muc-core is not loaded (or has no extension point): list it before game-rooms");
        goto fail;
    }
    if (game_api->register_affiliation(&player) < 0)
        goto fail;
    s->aff = true;
    if (game_api->register_config_field(&opt_game) < 0)
        goto fail;
    s->game = true;
    if (game_api->register_config_field(&opt_ignore) < 0)
        goto fail;
    s->ignore = true;
    /* The delivery filter runs before other MESSAGE subscribers. The history
     * events exist only with the history plugin loaded; subscribing to them
     * costs nothing otherwise. */
    if (subscribe(h, PV_MUC_EVENT_MESSAGE, 50, game_on_message) < 0 ||
        subscribe(h, PV_MUC_EVENT_DELIVER, 0, game_on_deliver) < 0 ||
        subscribe(h, PV_HISTORY_EVENT_TAG, 0, game_on_history_tag) < 0 ||
        subscribe(h, PV_HISTORY_EVENT_FILTER, 0, game_on_history_filter) < 0 ||
        subscribe(h, PV_DISCO_EXT_EVENT_ROOMINFO, 0, game_on_roominfo) < 0)
        goto fail;
    return 0;
fail:
    game_shutdown(s);
    *state = NULL;
    return -1;
}

static void game_shutdown(void *state)
{
    game_state_t *s = state;
    if (!s)
        return;
    if (s->aff)
        game_api->unregister_affiliation(&player);
    if (s->game)
        game_api->unregister_config_field(&opt_game);
    if (s->ignore)
        game_api->unregister_config_field(&opt_ignore);
    free(s);
}

static const char *const requires_[] = {"muc-core", NULL};

PV_PLUGIN_DEFINE(game_rooms) = {
    .abi_major = PV_ABI_MAJOR,
    .abi_minor = PV_ABI_MINOR,
    .name = "game-rooms",
    .version = "1.0",
    .requires = requires_,
    .reconfigure = NULL,
    .connected = NULL,
    .shutdown = game_shutdown,
    .config_keys = no_keys,
    .start = game_start,
};
