/*
 * plugins/history/tags.c: the tags other plugins attach to a kept message
 * (palaver/history.h). Before a message is kept, the TAG event lets
 * subscribers add tags; they travel with the message in the ring and, in the
 * archive, as a private child element of the stored stanza
 * (<tags xmlns=PV_HISTORY_NS_TAGS><tag>..</tag></tags>), which is read back
 * and removed whenever a stored stanza is parsed, and removed from every
 * message a client sent before it is broadcast. A tags_t owns its strings.
 */
#include "history.h"
#include <stdlib.h>
#include <string.h>

bool tags_valid(const char *tag)
{
    size_t n = tag ? strlen(tag) : 0;
    if (n == 0 || n > PV_HISTORY_TAG_MAX)
        return false;
    for (const char *p = tag; *p; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.' || c == ':';
        if (!ok)
            return false;
    }
    return true;
}

bool tags_has(const tags_t *t, const char *tag)
{
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->v[i], tag))
            return true;
    return false;
}

int tags_add(tags_t *t, const char *tag)
{
    if (!tags_valid(tag)) {
        pv_log(PV_LOG_WARN, HIST, "history tag '%s' is not a valid tag; ignored", tag ? tag : "");
        return -1;
    }
    if (tags_has(t, tag))
        return 0;
    if (t->n >= PV_HISTORY_TAGS_MAX) {
        pv_log(PV_LOG_WARN, HIST, "a message has %d history tags already; '%s' ignored",
               PV_HISTORY_TAGS_MAX, tag);
        return -1;
    }
    char *c = strdup(tag);
    if (!c) {
        pv_log(PV_LOG_ERROR, HIST, "out of memory keeping history tag '%s'", tag);
        return -1;
    }
    t->v[t->n++] = c;
    return 0;
}

int tags_copy(tags_t *dst, const tags_t *src)
{
    tags_clear(dst);
    for (size_t i = 0; i < src->n; i++)
        if (tags_add(dst, src->v[i]) < 0) {
            tags_clear(dst);
            return -1;
        }
    return 0;
}

void tags_clear(tags_t *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->v[i]);
    memset(t, 0, sizeof *t);
}

int tags_strip(pv_el_t *msg)
{
    return pv_el_remove_children(msg, PV_HISTORY_NS_TAGS, NULL);
}

void tags_extract(pv_el_t *msg, const char *stanza_id, tags_t *out)
{
    for (pv_el_t *e = pv_el_child(msg, PV_HISTORY_NS_TAGS, "tags"); e;
         e = pv_el_next(e, PV_HISTORY_NS_TAGS, "tags")) {
        const char *id = pv_el_attr(e, "id");
        if (!stanza_id || !id || strcmp(id, stanza_id) != 0) {
            pv_log(PV_LOG_DEBUG, HIST, "stored message %s: a tags element not ours; ignored",
                   stanza_id ? stanza_id : "?");
            continue;
        }
        for (pv_el_t *t = pv_el_child(e, PV_HISTORY_NS_TAGS, "tag"); t;
             t = pv_el_next(t, PV_HISTORY_NS_TAGS, "tag"))
            tags_add(out, pv_el_text(t));
    }
    tags_strip(msg);
}

pv_el_t *tags_attach(pv_el_t *msg, const char *stanza_id, const tags_t *t)
{
    if (t->n == 0)
        return NULL;
    pv_el_t *e = pv_el_add(msg, PV_HISTORY_NS_TAGS, "tags");
    if (e && pv_el_set_attr(e, "id", stanza_id) < 0) {
        pv_el_unlink(e);
        e = NULL;
    }
    for (size_t i = 0; e && i < t->n; i++)
        if (!pv_el_add_text_child(e, PV_HISTORY_NS_TAGS, "tag", t->v[i])) {
            pv_el_unlink(e);
            e = NULL;
        }
    if (!e)
        pv_log(PV_LOG_ERROR, HIST, "out of memory storing a message's tags; stored without");
    return e;
}

static int add_tag(pv_history_tag_event_t *ev, const char *tag)
{
    return tags_add(ev->priv, tag);
}

void tags_collect(pv_muc_message_event_t *me, const char *stanza_id, tags_t *out)
{
    pv_event_t *ev = pv_event(PV_HISTORY_EVENT_TAG);
    if (!ev || !pv_event_has_subscribers(ev))
        return;
    pv_history_tag_event_t te = {.room = me->room,
                                 .sender = me->sender,
                                 .message = me->message,
                                 .stanza_id = stanza_id,
                                 .add_tag = add_tag,
                                 .priv = out};
    pv_event_fire(ev, &te);
}
