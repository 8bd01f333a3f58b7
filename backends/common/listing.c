/*
 * backends/common/listing.c: rooms_list's reading of a room's config and its
 * page rules, the same in every backend that computes them in C (see
 * listing.h). sqlite stores the two values with the room at room_put; pgsql
 * computes them in SQL with the same rules (last pair wins, "1" is public,
 * an empty name is none).
 */
#include <stdlib.h>
#include <string.h>

#include "listing.h"

const char *config_value(const pv_kv_t *config, size_t n, const char *key)
{
    for (size_t i = n; i-- > 0;)
        if (config[i].key && strcmp(config[i].key, key) == 0)
            return config[i].value;
    return NULL;
}

int config_public(const pv_kv_t *config, size_t n)
{
    const char *v = config_value(config, n, PV_STORE_KEY_PUBLIC);
    return v && strcmp(v, "1") == 0;
}

const char *config_title(const pv_kv_t *config, size_t n)
{
    const char *v = config_value(config, n, PV_STORE_KEY_TITLE);
    return v && *v ? v : NULL;
}

size_t list_max(size_t max)
{
    return max ? max : LIST_DEFAULT_MAX;
}

static int cmp_entries(const void *a, const void *b)
{
    return strcmp(((const pv_store_room_entry_t *)a)->name,
                  ((const pv_store_room_entry_t *)b)->name);
}

size_t list_sort_after(pv_store_room_entry_t *v, size_t n, const char *after)
{
    if (n > 1)
        qsort(v, n, sizeof(*v), cmp_entries);
    if (!after)
        return 0;
    size_t lo = 0, hi = n; /* first index whose name > after */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(v[mid].name, after) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}
