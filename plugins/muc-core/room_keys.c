/*
 * room_keys.c: palaver/muc.h's room_key_set and room_store, through which a
 * plugin keeps values of its own with a room's stored configuration (room
 * avatars' type, data and hash) and writes them before it answers.
 * The values live in extensions.c's map of other plugins' keys, which
 * persist.c stores with the room and room loading fills back.
 */
#include "muc_internal.h"
#include <string.h>

int api_room_key_set(pv_muc_room_t *room, const char *key, const char *value)
{
    room_t *r = (room_t *)room;
    if (!key || !*key || config_field_index(key) >= 0) {
        pv_log(PV_LOG_ERROR, MUC, "room %s: '%s' is not a key a plugin may set", r->jid,
               key ? key : "(null)");
        return -1;
    }
    const char *v = value ? value : "";
    ext_config_load(r, key, v); /* logs when out of memory */
    const char *now = ext_config_get(r, key);
    return now && strcmp(now, v) == 0 ? 0 : -1;
}

void api_room_store(pv_muc_room_t *room, void (*done)(bool ok, void *ud), void *ud)
{
    room_t *r = (room_t *)room;
    if (room_cfg_bool(r, CF_PERSISTENT) && r->stored)
        persist_config(r, NULL, r->subject, r->subject_from, NULL, 0, done, ud);
    else
        done(true, ud);
}
