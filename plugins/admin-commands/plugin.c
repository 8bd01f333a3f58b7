/*
 * plugin.c: the admin-commands plugin's descriptor. The service admins'
 * XEP-0050 commands on the service (ADHOC-1: list-rooms, destroy-room,
 * announce, get-statistics, service_commands.c) and on any room (ADHOC-2:
 * set-room-affiliation, list-room-occupants, edit-room-config,
 * destroy-unused-rooms, admin_commands.c) are added to muc-core's command
 * list on the service JID through palaver/muc.h's register_command, in that
 * order, and do their work through the same header's room operations
 * (rooms_each, room_need, room_admin_set, room_config_form,
 * room_config_submit, room_destroy, room_broadcast) alone. A companion of
 * muc-core: loaded with it unless <plugins> has <admin-commands
 * enabled="false"/>; turned off, the service has no commands (none listed,
 * item-not-found), and the rooms' own commands stay.
 */
#include "admin_commands.h"
#include <stddef.h>

/* The entries of pv_muc_api_t this plugin calls: all up to rooms_each. */
#define API_NEEDED (offsetof(pv_muc_api_t, rooms_each) + sizeof(void (*)(void)))

const pv_muc_api_t *api;
static pv_muc_command_t defs[NCOMMANDS];
static const pv_muc_command_t *registered[NSERVICE + NCOMMANDS];
static size_t nregistered;

static void admin_commands_shutdown(void *state)
{
    (void)state;
    if (!api)
        return;
    for (size_t i = 0; i < nregistered; i++)
        api->unregister_command(registered[i]);
    nregistered = 0;
    unused_rooms_shutdown();
    api = NULL;
}

static int admin_commands_start(pv_plugin_handle_t *h, const pv_config_t *cfg, void **state)
{
    (void)h;
    (void)cfg;
    *state = NULL;
    api = pv_muc_api();
    if (!api || api->size < API_NEEDED) {
        pv_log(PV_LOG_ERROR, NAME, "%s",
               api ? "muc-core is older than this plugin (no rooms_each)" : "muc-core is missing");
        api = NULL;
        return -1;
    }
    unused_rooms_init();
    for (size_t i = 0; i < NCOMMANDS; i++)
        defs[i] = (pv_muc_command_t){.node = commands[i][0],
                                     .name = commands[i][1],
                                     .who = PV_MUC_COMMAND_SERVICE_ADMINS,
                                     .run = admin_command_run};
    for (size_t i = 0; i < NSERVICE + NCOMMANDS; i++) {
        const pv_muc_command_t *d = i < NSERVICE ? &service_commands[i] : &defs[i - NSERVICE];
        if (api->register_command(d) < 0) {
            admin_commands_shutdown(NULL);
            return -1;
        }
        registered[nregistered++] = d;
    }
    return 0;
}

static const char *const requires[] = {"muc-core", NULL};
static const pv_config_key_t config_keys[] = {{.type = PV_KEY_END}};

PV_PLUGIN_DEFINE(admin_commands) = {
    .abi_major = PV_ABI_MAJOR,
    .abi_minor = PV_ABI_MINOR,
    .name = "admin-commands",
    .version = "1.0",
    .requires = requires,
    .shutdown = admin_commands_shutdown,
    .config_keys = config_keys,
    .start = admin_commands_start,
};
