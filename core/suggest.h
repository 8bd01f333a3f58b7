/*
 * core/suggest.h: "did you mean <x>?" for misspelt config element names.
 *
 * Shared by the core's config reader and the plugins' pv_config_check_known()
 * so that every unknown-element message offers the same kind of help.
 */
#ifndef PV_CORE_SUGGEST_H
#define PV_CORE_SUGGEST_H

#include <stddef.h>

/* Edit distance (insert, delete, substitute) between a and b, capped: any
 * distance above `cap` is returned as cap + 1. */
unsigned suggest_distance(const char *a, const char *b, unsigned cap);

/* The name in `known` (NULL-terminated) closest to `given` within edit
 * distance 2 (the first one on ties), or NULL. Borrowed from `known`. */
const char *suggest_name(const char *given, const char *const *known);

/* Writes "a, b, c" (the known names) into buf; truncates with "..." */
void suggest_list(const char *const *known, char *buf, size_t len);

#endif
