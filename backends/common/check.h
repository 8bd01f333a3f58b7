/*
 * backends/common/check.h: argument rules every backend applies the same way,
 * so that a caller bug gets PV_STORE_EINVAL (with the same message) whichever
 * backend is loaded, and before anything is changed.
 *
 * Each function returns NULL when the argument is fine, or a static message
 * (never freed) describing what is wrong.
 */
#ifndef PV_BACKENDS_CHECK_H
#define PV_BACKENDS_CHECK_H

#include <palaver/store.h>

/* Default number of archive results when the query gives max 0. */
#define STORE_DEFAULT_MAX 100

const char *check_room_name(const char *name);
const char *check_config(const pv_kv_t *config, size_t n);
const char *check_affs(const pv_store_aff_t *items, size_t n);
const char *check_reg(const char *jid);
const char *check_msg(const pv_store_msg_t *msg);
const char *check_id(const char *id);
const char *check_nick(const char *nick); /* occupant_put's nick */

/* Effective result limit of a query (max, or the default for 0). */
size_t query_max(const pv_store_query_t *q);

/* Nonzero when the query pages backwards (last, or before_id given). */
int query_backwards(const pv_store_query_t *q);

#endif
