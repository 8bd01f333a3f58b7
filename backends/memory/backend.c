/*
 * backends/memory/backend.c: the memory backend's descriptor, open and close.
 *
 * For tests and for services that keep nothing across restarts. Takes no
 * options of its own (<spool>, copied in by the core, is ignored).
 */
#include <stdlib.h>

#include <palaver/config.h>
#include <palaver/log.h>

#include "memory.h"
#include "msglist.h"
#include "occlist.h"
#include "roomdata.h"

static int mem_open(const pv_config_t *cfg, void **handle)
{
    static const char *const known[] = {"type", "spool", NULL};
    if (pv_config_check_known(cfg, known, "memory") > 0)
        return -1;
    mem_store_t *s = calloc(1, sizeof(*s));
    if (s) {
        s->rooms = pv_map_new(0);
        s->archives = pv_map_new(0);
        s->occupants = pv_map_new(0);
    }
    if (!s || !s->rooms || !s->archives || !s->occupants) {
        pv_log(PV_LOG_ERROR, "memory", "out of memory opening the store");
        if (s) {
            pv_map_free(s->rooms, NULL);
            pv_map_free(s->archives, NULL);
            pv_map_free(s->occupants, NULL);
        }
        free(s);
        return -1;
    }
    *handle = s;
    return 0;
}

static void free_room(void *r)
{
    roomdata_free(r);
}

static void free_archive(void *l)
{
    msglist_free(l);
}

static void free_occupants(void *l)
{
    occlist_free(l);
}

static void mem_close(void *handle)
{
    mem_store_t *s = handle;
    if (!s)
        return;
    pv_map_free(s->rooms, free_room);
    pv_map_free(s->archives, free_archive);
    pv_map_free(s->occupants, free_occupants);
    free(s);
}

PV_STORE_DEFINE(memory) = {
    .size = sizeof(pv_store_t),
    .abi_major = PV_STORE_ABI_MAJOR,
    .abi_minor = PV_STORE_ABI_MINOR,
    .name = "memory",
    .version = "1.0",
    .open = mem_open,
    .close = mem_close,
    .room_list = mem_room_list,
    .room_load = mem_room_load,
    .room_put = mem_room_put,
    .room_delete = mem_room_delete,
    .affs_set = mem_affs_set,
    .reg_set = mem_reg_set,
    .archive_append = mem_archive_append,
    .archive_query = mem_archive_query,
    .archive_replace = mem_archive_replace,
    .archive_delete = mem_archive_delete,
    .archive_trim = mem_archive_trim,
    .rooms_list = mem_rooms_list,
    .occupant_put = mem_occupant_put,
    .occupants_load = mem_occupants_load,
};
