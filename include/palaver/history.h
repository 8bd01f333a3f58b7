/*
 * palaver/history.h: what the history plugin offers other plugins: tags kept
 * with each stored message, across restarts.
 *
 * Another plugin sometimes needs to know something about a stored message
 * that the message itself does not say (game-rooms: "a player sent this"),
 * and must still know it after a restart, when the message comes back from
 * the archive. The history plugin therefore lets plugins attach short tags
 * to a message before it is kept (the TAG event), stores them inside the
 * archived stanza as a private element that it removes on every way out
 * (join history, MAM results, disk logs), and hands them back with each
 * message considered for a joiner's history (the FILTER event, which
 * carries the same fields as palaver/muc.h's PV_MUC_EVENT_HISTORY_FILTER plus
 * the tags). The backends see nothing but stanza XML.
 *
 * A tag is 1 to PV_HISTORY_TAG_MAX bytes of letters, digits and "-_.:";
 * name yours after your plugin ("game-rooms:player"). A message keeps at
 * most PV_HISTORY_TAGS_MAX tags. Messages stored by builds without tags (or
 * while no plugin tagged) simply have none.
 *
 * Events are fired with pv_event_fire(pv_event(NAME), &payload) by the
 * history plugin only; payloads are borrowed for the call.
 */
#ifndef PALAVER_HISTORY_H
#define PALAVER_HISTORY_H

#include <palaver/muc.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PV_HISTORY_TAG_MAX 64
#define PV_HISTORY_TAGS_MAX 8

/* The private element, a child of the stored message:
 * <tags xmlns='urn:x-palaver:history-tags:0' id='STANZA-ID'><tag>NAME</tag>...</tags>
 * (id: the message's XEP-0359 stanza-id; an element naming another is
 * ignored). It never leaves the daemon; a copy a client put into its own
 * message is removed before the message is broadcast or stored. */
#define PV_HISTORY_NS_TAGS "urn:x-palaver:history-tags:0"

/* A groupchat message that the history plugin keeps (ring and, when the
 * room logs, archive) is about to be kept: subscribers tag it with
 * add_tag(ev, "tag"). Fired after its stanza-id was stamped, only for
 * messages that are kept, and before the broadcast. pv_history_tag_event_t. */
#define PV_HISTORY_EVENT_TAG "history-tag"

typedef struct pv_history_tag_event {
    pv_muc_room_t *room;
    pv_muc_occupant_t *sender; /* NULL when not sent by an occupant */
    const pv_el_t *message;    /* the message as it is kept (stanza-id set) */
    const char *stanza_id;     /* its XEP-0359 stanza-id */
    /* Adds a tag (copied; the copy is the history plugin's to free; a tag
     * already present is not added twice).
     * Returns 0, or -1 for an invalid tag or past PV_HISTORY_TAGS_MAX
     * (logged by the history plugin). */
    int (*add_tag)(struct pv_history_tag_event *ev, const char *tag);
    void *priv; /* the history plugin's; do not touch */
} pv_history_tag_event_t;

/* A stored message is considered for a joiner's discussion history (fired
 * by the history plugin for each, newest first, before the
 * PV_MUC_EVENT_HISTORY_FILTER of palaver/muc.h): a subscriber clears
 * `deliver` to leave it out (it then counts against no limit).
 * pv_history_filter_event_t. */
#define PV_HISTORY_EVENT_FILTER "history-filter"

typedef struct pv_history_filter_event {
    pv_muc_room_t *room;
    pv_muc_occupant_t *joiner;
    const char *to;          /* the joining session's full JID */
    const pv_el_t *message;  /* the stored message, without the private element */
    const char *stanza_id;   /* its XEP-0359 stanza-id, or NULL */
    const char *const *tags; /* the tags it was stored with (borrowed) */
    size_t ntags;
    bool deliver; /* true on entry */
} pv_history_filter_event_t;

/* True when the message considered by a FILTER event carries `tag`. */
static inline bool pv_history_has_tag(const pv_history_filter_event_t *ev, const char *tag)
{
    for (size_t i = 0; i < ev->ntags; i++)
        if (ev->tags[i] && !strcmp(ev->tags[i], tag))
            return true;
    return false;
}

#ifdef __cplusplus
}
#endif
#endif
