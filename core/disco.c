/*
 * core/disco.c: what the service says about itself in disco#info (XEP-0030),
 * and the hook for plugins to extend any disco#info answer (XEP-0128).
 *
 * Plugins register static identities and features once at init; the core's
 * disco#info handler (core/services.c) copies them into every answer and
 * then fires PV_EVENT_DISCO_INFO. The registry is two small arrays: it is
 * written a handful of times at start-up and read per disco request.
 */
#include <stdlib.h>
#include <string.h>

#include "disco_internal.h"
#include <palaver/disco.h>
#include <palaver/log.h>

typedef struct identity {
    char *category, *type, *name; /* name may be NULL */
} identity_t;

static identity_t *identities;
static size_t nidentities, capidentities;
static char **features;
static size_t nfeatures, capfeatures;

static bool same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Makes room for one more element in a growable array. */
static int grow(void **arr, size_t *cap, size_t n, size_t elsize)
{
    if (n < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *p = realloc(*arr, ncap * elsize);
    if (!p)
        return -1;
    *arr = p;
    *cap = ncap;
    return 0;
}

int pv_disco_add_identity(const char *category, const char *type, const char *name)
{
    if (!category || !type || !*category || !*type) {
        pv_log(PV_LOG_ERROR, "core", "disco identity needs a category and a type");
        return -1;
    }
    for (size_t i = 0; i < nidentities; i++)
        if (same(identities[i].category, category) && same(identities[i].type, type) &&
            same(identities[i].name, name))
            return 0;
    if (grow((void **)&identities, &capidentities, nidentities, sizeof *identities) < 0)
        goto nomem;
    identity_t id = {strdup(category), strdup(type), name ? strdup(name) : NULL};
    if (!id.category || !id.type || (name && !id.name)) {
        free(id.category);
        free(id.type);
        free(id.name);
        goto nomem;
    }
    identities[nidentities++] = id;
    return 0;
nomem:
    pv_log(PV_LOG_ERROR, "core", "cannot add disco identity %s/%s: out of memory", category, type);
    return -1;
}

int pv_disco_add_feature(const char *var)
{
    if (!var || !*var) {
        pv_log(PV_LOG_ERROR, "core", "disco feature needs a var");
        return -1;
    }
    for (size_t i = 0; i < nfeatures; i++)
        if (strcmp(features[i], var) == 0)
            return 0;
    char *copy = NULL;
    if (grow((void **)&features, &capfeatures, nfeatures, sizeof *features) < 0 ||
        !(copy = strdup(var))) {
        pv_log(PV_LOG_ERROR, "core", "cannot add disco feature %s: out of memory", var);
        return -1;
    }
    features[nfeatures++] = copy;
    return 0;
}

void pv_disco_info_extend(pv_disco_info_t *info)
{
    /* Looked up each time (a short list walk): handles die in event_cleanup. */
    pv_event_t *ev = info ? pv_event(PV_EVENT_DISCO_INFO) : NULL;
    if (ev)
        pv_event_fire(ev, info);
}

int pv_disco_query_feature(pv_el_t *query, const char *var)
{
    if (!query || !var)
        return -1;
    pv_el_t *f = pv_el_add(query, PV_NS_DISCO_INFO, "feature");
    if (!f || pv_el_set_attr(f, "var", var) < 0)
        return -1;
    return 0;
}

int pv_disco_query_identity(pv_el_t *query, const char *category, const char *type,
                            const char *name)
{
    if (!query || !category || !type)
        return -1;
    pv_el_t *i = pv_el_add(query, PV_NS_DISCO_INFO, "identity");
    if (!i || pv_el_set_attr(i, "category", category) < 0 || pv_el_set_attr(i, "type", type) < 0 ||
        (name && pv_el_set_attr(i, "name", name) < 0))
        return -1;
    return 0;
}

int disco_fill_service(pv_el_t *query)
{
    if (nidentities == 0 && pv_disco_query_identity(query, "component", "generic", "Palaver") < 0)
        return -1;
    for (size_t i = 0; i < nidentities; i++)
        if (pv_disco_query_identity(query, identities[i].category, identities[i].type,
                                    identities[i].name) < 0)
            return -1;
    for (size_t i = 0; i < nfeatures; i++)
        if (pv_disco_query_feature(query, features[i]) < 0)
            return -1;
    return 0;
}

void disco_cleanup(void)
{
    for (size_t i = 0; i < nidentities; i++) {
        free(identities[i].category);
        free(identities[i].type);
        free(identities[i].name);
    }
    free(identities);
    identities = NULL;
    nidentities = capidentities = 0;
    for (size_t i = 0; i < nfeatures; i++)
        free(features[i]);
    free(features);
    features = NULL;
    nfeatures = capfeatures = 0;
}
