/*
 * core/plugin_handle.c: what a plugin registers through its handle
 * (palaver/plugin.h, minor 5) and what the core takes back after it.
 *
 * A plugin used to remove each hook and subscription, and stop each timer,
 * in its own shutdown: every plugin wrote that bookkeeping, and a forgotten
 * one left a callback into unmapped code. Hooks and subscriptions made
 * through a handle carry it as a tag in the router and the event registry,
 * which remove every tagged one in one pass; timers are kept on the handle's
 * own list. plugin_handle_release runs after the plugin's shutdown.
 *
 * Ownership: the core (modules.c) owns each handle; a handle owns its timers
 * (freed by pv_timer_cancel or at release).
 */
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include <palaver/log.h>
#include <palaver/plugin.h>
#include <palaver/util.h>

#include "event_internal.h"
#include "plugin_handle.h"
#include "router_internal.h"

struct pv_timer {
    ev_timer w; /* first: the watcher's address is the timer's */
    pv_timer_fn fn;
    void *ud;
    pv_plugin_handle_t *owner;
    pv_timer_t *prev, *next; /* on owner->timers */
};

pv_plugin_handle_t *plugin_handle_new(const char *name, const pv_config_key_t *keys)
{
    pv_plugin_handle_t *h = calloc(1, sizeof *h);
    if (!h || !(h->name = strdup(name))) {
        free(h);
        pv_log(PV_LOG_ERROR, "core", "plugin '%s': out of memory", name);
        return NULL;
    }
    h->keys = keys;
    return h;
}

const char *pv_plugin_name(const pv_plugin_handle_t *h)
{
    return h ? h->name : "?";
}

pv_hook_t *pv_plugin_hook_stanza(pv_plugin_handle_t *h, int kinds, int to_classes,
                                 const char *payload_ns, int priority, pv_stanza_fn fn, void *ud)
{
    if (!h)
        return NULL;
    pv_hook_t *hook = pv_hook_stanza(kinds, to_classes, payload_ns, priority, fn, ud, h->name);
    router_hook_set_tag(hook, h);
    return hook;
}

pv_subscription_t *pv_plugin_subscribe(pv_plugin_handle_t *h, pv_event_t *ev, int priority,
                                       pv_event_fn fn, void *ud)
{
    if (!h)
        return NULL;
    pv_subscription_t *sub = pv_event_subscribe(ev, priority, fn, ud, h->name);
    event_sub_set_tag(sub, h);
    return sub;
}

static void timer_fired(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    pv_timer_t *t = (pv_timer_t *)w;
    t->fn(t, t->ud);
}

pv_timer_t *pv_plugin_timer(pv_plugin_handle_t *h, double after, double repeat, pv_timer_fn fn,
                            void *ud)
{
    if (!h || !fn)
        return NULL;
    pv_timer_t *t = calloc(1, sizeof *t);
    if (!t) {
        pv_log(PV_LOG_ERROR, h->name, "cannot create a timer: out of memory");
        return NULL;
    }
    t->fn = fn;
    t->ud = ud;
    t->owner = h;
    t->next = h->timers;
    if (h->timers)
        h->timers->prev = t;
    h->timers = t;
    ev_timer_init(&t->w, timer_fired, 0., 0.);
    pv_timer_set(t, after, repeat);
    return t;
}

void pv_timer_set(pv_timer_t *t, double after, double repeat)
{
    if (!t)
        return;
    ev_timer_stop(pv_loop(), &t->w);
    if (after < 0)
        return;
    ev_timer_set(&t->w, after, repeat > 0 ? repeat : 0.);
    ev_timer_start(pv_loop(), &t->w);
}

void pv_timer_cancel(pv_timer_t *t)
{
    if (!t)
        return;
    ev_timer_stop(pv_loop(), &t->w);
    if (t->prev)
        t->prev->next = t->next;
    else
        t->owner->timers = t->next;
    if (t->next)
        t->next->prev = t->prev;
    free(t);
}

size_t plugin_handle_release(pv_plugin_handle_t *h)
{
    if (!h)
        return 0;
    size_t n = 0;
    while (h->timers) {
        pv_timer_cancel(h->timers);
        n++;
    }
    router_remove_tagged(h);
    event_remove_tagged(h);
    return n;
}

void plugin_handle_free(pv_plugin_handle_t *h)
{
    if (!h)
        return;
    plugin_handle_release(h);
    free(h->name);
    free(h);
}
