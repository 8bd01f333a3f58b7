/*
 * backends/common/msglist.h: one room's message archive held in memory, with
 * an id index, and the archive query rules (time range, after/before ids,
 * nick, max, backwards paging, the complete flag) implemented once for the
 * memory and spool backends. The SQL backends implement the same rules in SQL.
 *
 * Messages are kept in append order, which is their chronological order.
 * Every string is owned by the list; msglist_free() frees them.
 */
#ifndef PV_BACKENDS_MSGLIST_H
#define PV_BACKENDS_MSGLIST_H

#include <palaver/store.h>

#include <palaver/map.h>

typedef struct msglist {
    pv_store_msg_t *msgs; /* strings owned */
    size_t n, cap;
    pv_map_t *byid; /* id -> (uintptr_t)(index + 1) */
} msglist_t;

/* New empty list, or NULL on allocation failure. */
msglist_t *msglist_new(void);

/* Frees the list and every message. NULL is fine. */
void msglist_free(msglist_t *l);

/* Nonzero when a message with this id is stored. */
int msglist_has(const msglist_t *l, const char *id);

/* Appends a copy of msg (which must have passed core/store_check.c's
 * store_check_append and have a new id).
 * 0, or -1 on allocation failure (nothing appended). */
int msglist_append(msglist_t *l, const pv_store_msg_t *msg);

/* Replaces message id's XML. 0, PV_STORE_ENOTFOUND or PV_STORE_ENOMEM. */
int msglist_replace(msglist_t *l, const char *id, const char *xml);

/* Removes every message with stamp_us < before_us (before_us 0: none),
 * then all but the newest `keep` (0: no limit). Never allocates, never fails.
 * Returns how many were removed. */
size_t msglist_trim(msglist_t *l, int64_t before_us, size_t keep);

/* Calls fn, in order, for every message msglist_trim(l, before_us, keep)
 * would keep (for writers that must save the result before changing the
 * list). Stops at and returns fn's first nonzero answer; 0 otherwise. */
int msglist_each_kept(const msglist_t *l, int64_t before_us, size_t keep,
                      int (*fn)(const pv_store_msg_t *m, void *ud), void *ud);

/* Runs query q over the list (l may be NULL: an empty archive) and calls cb
 * once with the results (borrowed for the call) or an error status. */
void msglist_query(const msglist_t *l, const pv_store_query_t *q, pv_store_msgs_fn cb, void *ud);

#endif
