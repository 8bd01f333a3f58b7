/*
 * plugins/history/history_request.c: discussion history on join (XEP-0045
 * §7.2.14-7.2.15). muc-core fires SEND_HISTORY between the joiner's own
 * presence and the subject; we send the newest messages of the room's ring
 * that pass every limit of the client's <history/> (maxchars, maxstanzas,
 * seconds, since: the strictest wins), capped by the room's configured
 * history length, oldest first, each from the occupant JID its sender had,
 * with the original body, payload and id plus a XEP-0203 <delay/>. Other
 * plugins may leave messages out through palaver/history.h's FILTER event
 * (which carries the tags kept with each message) and muc.h's
 * HISTORY_FILTER event. The private tags element never goes out.
 *
 * maxchars counts the characters of each complete stanza as sent (with its
 * `to` and <delay/>), as Prosody does; maxchars='0' or maxstanzas='0' means
 * no history at all.
 */
#include "history.h"
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

size_t utf8_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            n++;
    return n;
}

/* A non-negative decimal integer attribute; -1 when absent or invalid. */
static long attr_count(const pv_el_t *h, const char *name)
{
    const char *v = pv_el_attr(h, name);
    if (!v)
        return -1;
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (!*v || *end || errno || n < 0) {
        pv_log(PV_LOG_DEBUG, HIST, "<history %s='%s'> is not a count; ignored", name, v);
        return -1;
    }
    return n;
}

int history_parse_datetime(const char *s, int64_t *out_us)
{
    time_t t;
    if (!s || pv_timestamp_parse(s, &t) < 0)
        return -1;
    /* pv_timestamp_parse keeps whole seconds; add the fraction ourselves */
    int64_t frac = 0;
    const char *dot = strchr(s, '.');
    if (dot && dot > s && dot - s >= 19) {
        int64_t scale = 100000;
        for (const char *p = dot + 1; *p >= '0' && *p <= '9'; p++) {
            frac += (*p - '0') * scale;
            scale /= 10;
        }
    }
    *out_us = (int64_t)t * 1000000 + frac;
    return 0;
}

void history_limits_parse(const pv_el_t *h, int64_t now_us, history_limits_t *out)
{
    out->maxchars = -1;
    out->maxstanzas = -1;
    out->since_us = 0;
    if (!h)
        return;
    out->maxchars = attr_count(h, "maxchars");
    out->maxstanzas = attr_count(h, "maxstanzas");
    long seconds = attr_count(h, "seconds");
    if (seconds >= 0) {
        int64_t s = (int64_t)seconds * 1000000;
        out->since_us = s >= now_us ? 1 : now_us - s;
    }
    const char *since = pv_el_attr(h, "since");
    int64_t since_us;
    if (since) {
        if (history_parse_datetime(since, &since_us) < 0)
            pv_log(PV_LOG_DEBUG, HIST, "<history since='%s'> is not a DateTime; ignored", since);
        else if (since_us > out->since_us)
            out->since_us = since_us;
    }
}

size_t history_room_length(const pv_muc_room_t *room)
{
    const char *v = muc_api->room_config(room, "muc#maxhistoryfetch");
    if (!v || !*v)
        return HISTORY_DEFAULT;
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (*end || errno || n < 0)
        return HISTORY_DEFAULT;
    return n > HISTORY_HARD_MAX ? HISTORY_HARD_MAX : (size_t)n;
}

/* The stanza as the joiner gets it: a copy with `to` and <delay/>. Caller frees. */
static pv_el_t *history_copy(const recent_msg_t *m, const char *room_jid, const char *to)
{
    pv_el_t *c = pv_el_clone(m->stanza);
    if (!c)
        return NULL;
    char stamp[32];
    time_t secs = (time_t)(m->stamp_us / 1000000);
    pv_timestamp(secs, (int)(m->stamp_us % 1000000 / 1000), stamp);
    pv_el_remove_children(c, NS_DELAY, "delay");
    tags_strip(c); /* ring entries hold none; never let one out */
    pv_el_t *d = pv_el_add(c, NS_DELAY, "delay");
    if (!d || pv_el_set_attr(c, "to", to) < 0 || pv_el_set_attr(d, "from", room_jid) < 0 ||
        pv_el_set_attr(d, "stamp", stamp) < 0) {
        pv_el_free(c);
        return NULL;
    }
    return c;
}

pv_verdict_t history_send(const pv_event_t *ev, void *payload, void *ud)
{
    (void)ev;
    (void)ud;
    pv_muc_history_event_t *he = payload;
    const char *room_jid = muc_api->room_jid(he->room);
    size_t cap = history_room_length(he->room);
    room_retention_first_use(he->room); /* RETAIN-1 */
    recent_t *r = recent_get(room_jid, true);
    if (!r)
        return PV_PASS;
    if (r->cap < cap && recent_set_cap(r, cap) < 0)
        return PV_PASS;
    if (!r->loaded)
        archive_load_recent(r, he->room, r->cap);
    history_limits_t lim;
    int64_t now_us = pv_now_us();
    history_limits_parse(he->history, now_us, &lim);
    long long keep = room_retention_s(he->room); /* RETAIN-1 */
    if (keep == 0)
        return PV_PASS;
    if (keep > 0 && now_us - (int64_t)keep * 1000000 > lim.since_us)
        lim.since_us = now_us - (int64_t)keep * 1000000;
    long maxstanzas = (long)cap;
    if (lim.maxstanzas >= 0 && lim.maxstanzas < maxstanzas)
        maxstanzas = lim.maxstanzas;
    if (maxstanzas == 0 || lim.maxchars == 0 || r->n == 0)
        return PV_PASS;
    /* Walk newest to oldest, building each copy, until a limit stops us.
     * Messages another plugin filters out (HISTORY_FILTER, e.g. game rooms)
     * count against no limit. */
    size_t want = (size_t)maxstanzas < r->n ? (size_t)maxstanzas : r->n;
    pv_el_t **out = calloc(want, sizeof *out);
    if (!out) {
        pv_log(PV_LOG_ERROR, HIST, "room %s: out of memory sending history to %s", room_jid,
               he->to);
        return PV_PASS;
    }
    pv_event_t *tfilter = pv_event(PV_HISTORY_EVENT_FILTER);
    bool tfiltering = tfilter && pv_event_has_subscribers(tfilter);
    pv_event_t *filter = pv_event(PV_MUC_EVENT_HISTORY_FILTER);
    bool filtering = filter && pv_event_has_subscribers(filter);
    size_t n = 0, chars = 0;
    for (size_t k = 0; k < r->n && n < want; k++) {
        const recent_msg_t *m = recent_at(r, r->n - 1 - k);
        if (lim.since_us && m->stamp_us < lim.since_us)
            break;
        if (tfiltering) {
            pv_history_filter_event_t te = {.room = he->room,
                                            .joiner = he->occupant,
                                            .to = he->to,
                                            .message = m->stanza,
                                            .stanza_id = *m->id ? m->id : NULL,
                                            .tags = (const char *const *)m->tags.v,
                                            .ntags = m->tags.n,
                                            .deliver = true};
            pv_event_fire(tfilter, &te);
            if (!te.deliver)
                continue;
        }
        if (filtering) {
            pv_muc_history_filter_event_t fe = {.room = he->room,
                                                .joiner = he->occupant,
                                                .to = he->to,
                                                .message = m->stanza,
                                                .stanza_id = *m->id ? m->id : NULL,
                                                .deliver = true};
            pv_event_fire(filter, &fe);
            if (!fe.deliver)
                continue;
        }
        pv_el_t *c = history_copy(m, room_jid, he->to);
        if (!c) {
            pv_log(PV_LOG_ERROR, HIST, "room %s: out of memory building history for %s", room_jid,
                   he->to);
            break;
        }
        if (lim.maxchars > 0) {
            size_t len = 0;
            char *xml = pv_el_serialize(c, &len);
            if (!xml) {
                pv_el_free(c);
                break;
            }
            chars += utf8_chars(xml, len);
            free(xml);
            if (chars > (size_t)lim.maxchars) {
                pv_el_free(c);
                break;
            }
        }
        out[n++] = c;
    }
    for (size_t k = n; k-- > 0;) {
        if (pv_send(out[k]) < 0)
            pv_log(PV_LOG_WARN, HIST, "room %s: a history message to %s was not sent", room_jid,
                   he->to);
        pv_el_free(out[k]);
    }
    free(out);
    return PV_PASS;
}
