/*
 * core/event.c: named events between plugins (palaver/event.h).
 *
 * Names are interned once into a handle (a short list walked only by
 * pv_event(), at start-up); each handle keeps its subscribers sorted by
 * priority, higher first, ties in subscription order, so firing is a walk of
 * a linked list with no string work and no allocation.
 *
 * Subscribers may subscribe or unsubscribe (themselves or others) while the
 * event fires, even recursively: a removed subscription is only marked dead
 * while any event is firing and freed once the outermost fire returns. New
 * subscriptions made during a fire may or may not be called by that fire.
 */
#include <stdlib.h>
#include <string.h>

#include "event_internal.h"
#include <palaver/event.h>
#include <palaver/log.h>

struct pv_subscription {
    pv_event_t *ev;
    int priority;
    bool dead;
    pv_event_fn fn;
    void *ud;
    char *owner;
    const void *tag;              /* the plugin handle it was made through, or NULL */
    pv_subscription_t *next;      /* in ev's sorted list */
    pv_subscription_t *next_dead; /* in the graveyard, while firing */
};

struct pv_event {
    char *name;
    pv_subscription_t *subs;
    size_t live; /* subscriptions not marked dead */
    pv_event_t *next;
};

static pv_event_t *events;
static unsigned firing;              /* nesting depth of pv_event_fire */
static pv_subscription_t *graveyard; /* dead subscriptions awaiting free */

pv_event_t *pv_event(const char *name)
{
    if (!name)
        return NULL;
    for (pv_event_t *e = events; e; e = e->next)
        if (strcmp(e->name, name) == 0)
            return e;
    pv_event_t *e = calloc(1, sizeof *e);
    if (!e || !(e->name = strdup(name))) {
        free(e);
        pv_log(PV_LOG_ERROR, "core", "cannot create event %s: out of memory", name);
        return NULL;
    }
    e->next = events;
    events = e;
    return e;
}

const char *pv_event_name(const pv_event_t *ev)
{
    return ev ? ev->name : "(null)";
}

pv_subscription_t *pv_event_subscribe(pv_event_t *ev, int priority, pv_event_fn fn, void *ud,
                                      const char *owner)
{
    if (!ev || !fn) {
        pv_log(PV_LOG_ERROR, "core", "%s: subscription to event %s without %s", owner ? owner : "?",
               pv_event_name(ev), ev ? "a function" : "an event");
        return NULL;
    }
    pv_subscription_t *s = calloc(1, sizeof *s);
    if (!s || !(s->owner = strdup(owner ? owner : "?"))) {
        free(s);
        pv_log(PV_LOG_ERROR, "core", "%s: cannot subscribe to event %s: out of memory",
               owner ? owner : "?", ev->name);
        return NULL;
    }
    s->ev = ev;
    s->priority = priority;
    s->fn = fn;
    s->ud = ud;
    /* After every subscription of equal or higher priority. */
    pv_subscription_t **pp = &ev->subs;
    while (*pp && (*pp)->priority >= priority)
        pp = &(*pp)->next;
    s->next = *pp;
    *pp = s;
    ev->live++;
    return s;
}

static void unlink_sub(pv_subscription_t *s)
{
    for (pv_subscription_t **pp = &s->ev->subs; *pp; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            return;
        }
    }
}

static void free_sub(pv_subscription_t *s)
{
    free(s->owner);
    free(s);
}

void pv_event_unsubscribe(pv_subscription_t *sub)
{
    if (!sub || sub->dead)
        return;
    sub->dead = true;
    sub->ev->live--;
    if (firing) {
        sub->next_dead = graveyard;
        graveyard = sub;
        return;
    }
    unlink_sub(sub);
    free_sub(sub);
}

static void bury_dead(void)
{
    while (graveyard) {
        pv_subscription_t *s = graveyard;
        graveyard = s->next_dead;
        unlink_sub(s);
        free_sub(s);
    }
}

pv_verdict_t pv_event_fire(const pv_event_t *cev, void *payload)
{
    if (!cev)
        return PV_PASS;
    pv_verdict_t v = PV_PASS;
    firing++;
    for (pv_subscription_t *s = cev->subs; s; s = s->next) {
        if (s->dead)
            continue;
        v = s->fn(cev, payload, s->ud);
        if (v != PV_PASS)
            break;
    }
    if (--firing == 0)
        bury_dead();
    return v;
}

int pv_event_has_subscribers(const pv_event_t *ev)
{
    return ev && ev->live > 0;
}

void event_dump(void)
{
    if (!pv_log_enabled(PV_LOG_DEBUG))
        return;
    for (const pv_event_t *e = events; e; e = e->next) {
        pv_log(PV_LOG_DEBUG, "core", "event %s: %zu subscriber(s)", e->name, e->live);
        for (const pv_subscription_t *s = e->subs; s; s = s->next)
            if (!s->dead)
                pv_log(PV_LOG_DEBUG, "core", "  %d %s", s->priority, s->owner);
    }
}

void event_sub_set_tag(pv_subscription_t *sub, const void *tag)
{
    if (sub)
        sub->tag = tag;
}

void event_remove_tagged(const void *tag)
{
    for (pv_event_t *e = events; e; e = e->next) {
        pv_subscription_t *next;
        for (pv_subscription_t *s = e->subs; s; s = next) {
            next = s->next; /* s may be unlinked and freed below */
            if (s->tag == tag && !s->dead)
                pv_event_unsubscribe(s);
        }
    }
}

void event_cleanup(void)
{
    graveyard = NULL; /* every dead one is still linked in its event's list */
    while (events) {
        pv_event_t *e = events;
        events = e->next;
        while (e->subs) {
            pv_subscription_t *s = e->subs;
            e->subs = s->next;
            free_sub(s);
        }
        free(e->name);
        free(e);
    }
}
