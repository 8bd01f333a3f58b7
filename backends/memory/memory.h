/*
 * backends/memory/memory.h: the memory backend's state, shared by its files.
 *
 * Nothing persists: the store lives in hash tables for the life of the
 * process (rooms by name, archives by room name; an archive may exist for a
 * room that is not stored). Every operation completes before it returns.
 */
#ifndef PV_BACKEND_MEMORY_H
#define PV_BACKEND_MEMORY_H

#include <palaver/store.h>

#include <palaver/map.h>

typedef struct mem_store {
    pv_map_t *rooms;     /* name -> roomdata_t (owned) */
    pv_map_t *archives;  /* room name -> msglist_t (owned) */
    pv_map_t *occupants; /* room name -> occlist_t (owned), rooms with occupants */
} mem_store_t;

void mem_room_list(void *h, pv_store_names_fn cb, void *ud);
void mem_rooms_list(void *h, const char *after, size_t max, unsigned flags, pv_store_entries_fn cb,
                    void *ud);
void mem_room_load(void *h, const char *name, pv_store_room_fn cb, void *ud);
void mem_room_put(void *h, const char *name, const pv_kv_t *config, size_t n, pv_store_done_fn cb,
                  void *ud);
void mem_room_delete(void *h, const char *name, pv_store_done_fn cb, void *ud);
void mem_affs_set(void *h, const char *room, const pv_store_aff_t *items, size_t n,
                  pv_store_done_fn cb, void *ud);
void mem_reg_set(void *h, const char *room, const char *jid, const char *nick, pv_store_done_fn cb,
                 void *ud);

void mem_archive_append(void *h, const char *room, const pv_store_msg_t *msg, pv_store_done_fn cb,
                        void *ud);
void mem_archive_query(void *h, const char *room, const pv_store_query_t *q, pv_store_msgs_fn cb,
                       void *ud);
void mem_archive_replace(void *h, const char *room, const char *id, const char *xml,
                         pv_store_done_fn cb, void *ud);
void mem_archive_delete(void *h, const char *room, pv_store_done_fn cb, void *ud);
void mem_archive_trim(void *h, const char *room, int64_t before_us, size_t keep_newest,
                      pv_store_done_fn cb, void *ud);

void mem_occupant_put(void *h, const char *room, const char *nick, const char *data,
                      pv_store_done_fn cb, void *ud);
void mem_occupants_load(void *h, const char *room,
                        void (*cb)(int status, const char *error, const pv_kv_t *occupants,
                                   size_t n, void *ud),
                        void *ud);

#endif
