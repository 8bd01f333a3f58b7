/*
 * backends/spool/spool.h: the spool backend's state and the helpers its files
 * share.
 *
 * Layout of the spool directory, one pair of files per room:
 *   NAME.room     the room's config, affiliations and registrations (XML,
 *                 replaced atomically: write NAME.room.tmp, fsync, rename,
 *                 fsync the directory);
 *   NAME.archive  its message archive, append-only (XML, one element a line);
 *   NAME.occupants  its live occupants, while it has any (occupants.c).
 * NAME is the room name encoded to be a safe file name (names.c). A damaged
 * file costs only its own room: it is reported (EIO naming the file) and every
 * other room keeps working.
 *
 * Every operation completes before it returns.
 */
#ifndef PV_BACKEND_SPOOL_H
#define PV_BACKEND_SPOOL_H

#include <palaver/store.h>

#include "roomdata.h"
#include <palaver/map.h>

#define SPOOL_NS "urn:palaver:spool:1"

typedef struct spool {
    char *dir;           /* owned */
    int dirfd;           /* open on dir, for fsync after renames */
    pv_map_t *archives;  /* room name -> msglist_t, loaded on first use (owned) */
    pv_map_t *occupants; /* room name -> occlist_t, loaded on first use (owned) */
    char err[1024];      /* message of the last failure handed to a callback */
} spool_t;

/* names.c: the file name (without directory) for room name + suffix, into
 * out. Returns 0, or -1 when it does not fit. */
int spool_file_name(const char *room, const char *suffix, char *out, size_t outlen);
/* The room name encoded in a plain file name stem (no suffix); malloc'd,
 * caller frees; NULL when stem is not an encoded name (e.g. a hashed one). */
char *spool_decode_name(const char *stem, size_t len);

/* Formats s->err ("room R: WHAT" + ": strerror(errno)" when err_no != 0),
 * logs it at error level and returns s->err. */
const char *spool_error(spool_t *s, const char *room, int err_no, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* roomfile.c: reads room's file. Returns 0 and sets *out (caller frees with
 * roomdata_free), PV_STORE_ENOTFOUND, or PV_STORE_EIO/ENOMEM with s->err set. */
int spool_room_read(spool_t *s, const char *room, roomdata_t **out);
/* Writes r as room's file atomically. 0, or PV_STORE_E* with s->err set. */
int spool_room_write(spool_t *s, const roomdata_t *r);
/* Replaces spool file `file` with buf atomically (temp file, fsync,
 * rename, fsync of the directory). 0, or PV_STORE_E* with s->err set. */
int spool_write_atomic(spool_t *s, const char *room, const char *file, const char *buf, size_t len);
/* Full path of a file in the spool: malloc'd (caller frees) or NULL. */
char *spool_path(const spool_t *s, const char *file);

/* Writes all of buf to fd (retrying short writes and EINTR). 0 or -1 (errno). */
int spool_write_all(int fd, const char *buf, size_t len);
/* Reads the whole file at path: malloc'd, NUL-terminated (caller frees),
 * length in *len; NULL with errno set. */
char *spool_read_all(const char *path, size_t *len);

/* rooms.c / archive.c: the vtable entries. */
void spool_room_list(void *h, pv_store_names_fn cb, void *ud);
void spool_rooms_list(void *h, const char *after, size_t max, unsigned flags,
                      pv_store_entries_fn cb, void *ud);
void spool_room_load(void *h, const char *name, pv_store_room_fn cb, void *ud);
void spool_room_put(void *h, const char *name, const pv_kv_t *config, size_t n, pv_store_done_fn cb,
                    void *ud);
void spool_room_delete(void *h, const char *name, pv_store_done_fn cb, void *ud);
void spool_affs_set(void *h, const char *room, const pv_store_aff_t *items, size_t n,
                    pv_store_done_fn cb, void *ud);
void spool_reg_set(void *h, const char *room, const char *jid, const char *nick,
                   pv_store_done_fn cb, void *ud);
void spool_archive_append(void *h, const char *room, const pv_store_msg_t *msg, pv_store_done_fn cb,
                          void *ud);
void spool_archive_query(void *h, const char *room, const pv_store_query_t *q, pv_store_msgs_fn cb,
                         void *ud);
void spool_archive_replace(void *h, const char *room, const char *id, const char *xml,
                           pv_store_done_fn cb, void *ud);
void spool_archive_delete(void *h, const char *room, pv_store_done_fn cb, void *ud);
void spool_archive_trim(void *h, const char *room, int64_t before_us, size_t keep_newest,
                        pv_store_done_fn cb, void *ud);
void spool_occupant_put(void *h, const char *room, const char *nick, const char *data,
                        pv_store_done_fn cb, void *ud);
void spool_occupants_load(void *h, const char *room,
                          void (*cb)(int status, const char *error, const pv_kv_t *occupants,
                                     size_t n, void *ud),
                          void *ud);
/* Drops room's cached archive (after its file was removed). */
void spool_archive_forget(spool_t *s, const char *room);

#endif
