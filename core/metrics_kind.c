/*
 * core/metrics_kind.c: a stanza's kind for the metrics (message, presence,
 * iq, other) from its element name. Apart from the counters (metrics.c) so
 * that what only names a stanza, such as pv_prepare, links without them
 * (the XML fuzzer builds the XML layer alone).
 */
#include <string.h>

#include "metrics.h"

const char *const metrics_kind_names[METRICS_NKINDS] = {"message", "presence", "iq", "other"};

int metrics_kind_n(const char *name, size_t len)
{
    for (int k = 0; k < METRICS_OTHER; k++)
        if (strlen(metrics_kind_names[k]) == len && memcmp(name, metrics_kind_names[k], len) == 0)
            return k;
    return METRICS_OTHER;
}

int metrics_kind(const char *name)
{
    return name ? metrics_kind_n(name, strlen(name)) : METRICS_OTHER;
}
