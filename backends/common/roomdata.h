/*
 * backends/common/roomdata.h: one room's configuration, affiliations and
 * registrations held in memory, as the SDK's own structures so that
 * room_load can hand them to the callback without copying.
 *
 * Used by the memory backend (its whole store) and by the spool backend (the
 * parsed contents of one room file). Every string is owned by the roomdata_t;
 * roomdata_free() frees them all. Every change is all or nothing: on
 * allocation failure the room is left exactly as it was.
 */
#ifndef PV_BACKENDS_ROOMDATA_H
#define PV_BACKENDS_ROOMDATA_H

#include <palaver/store.h>

typedef struct roomdata {
    char *name;
    pv_kv_t *config;
    size_t nconfig;
    pv_store_aff_t *affs;
    size_t naffs;
    pv_store_reg_t *regs;
    size_t nregs;
} roomdata_t;

/* New empty room named name (copied), or NULL on allocation failure. */
roomdata_t *roomdata_new(const char *name);

/* Frees the room and all its strings. NULL is fine. */
void roomdata_free(roomdata_t *r);

/* Replaces the whole config with a copy of these pairs. 0, or -1 (ENOMEM). */
int roomdata_set_config(roomdata_t *r, const pv_kv_t *config, size_t n);

/* Applies the items in order (each replaces that JID's entry; "none" removes
 * it). Items must have passed check_affs. 0, or -1 (ENOMEM, nothing changed). */
int roomdata_apply_affs(roomdata_t *r, const pv_store_aff_t *items, size_t n);

/* Sets (nick non-NULL) or removes (nick NULL) jid's registration. 0 or -1. */
int roomdata_set_reg(roomdata_t *r, const char *jid, const char *nick);

/* Appends one entry without looking for duplicates (for loaders). 0 or -1. */
int roomdata_add_config(roomdata_t *r, const char *key, const char *value);
int roomdata_add_aff(roomdata_t *r, const char *jid, const char *aff, const char *reason);
int roomdata_add_reg(roomdata_t *r, const char *jid, const char *nick);

/* Fills a borrowed view of r (valid until r changes). */
void roomdata_view(const roomdata_t *r, pv_store_room_t *out);

/* strdup that accepts NULL (returns NULL, with *ok untouched) and clears *ok
 * on allocation failure: a record copied field by field checks once at the
 * end (here and in msglist.c). */
char *store_strdup(const char *s, int *ok);

#endif
