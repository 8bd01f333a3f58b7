/*
 * plugins/history/stanza_id.c: XEP-0359 unique and stable stanza ids. The
 * room stamps every reflected groupchat message with
 * <stanza-id xmlns='urn:xmpp:sid:0' by='room@service' id='…'/>; the same id
 * names the message in the archive, in history and in MAM results. A
 * client-supplied <stanza-id/> claiming to be by the room is a forgery and
 * is removed before stamping (XEP-0359 §5); ids by other entities stay.
 */
#include "history.h"
#include <string.h>

int stanza_id_strip(pv_el_t *msg, const char *by)
{
    int removed = 0;
    pv_el_t *c = pv_el_child(msg, NS_SID, "stanza-id");
    while (c) {
        pv_el_t *next = pv_el_next(c, NS_SID, "stanza-id");
        const char *b = pv_el_attr(c, "by");
        pv_jid_t *j = b ? pv_jid_parse(b) : NULL;
        /* compare normalised: BY='Room@Service' is the room too */
        if (!b || !j || !strcmp(j->full, by)) {
            pv_el_unlink(c);
            removed++;
        }
        pv_jid_free(j);
        c = next;
    }
    return removed;
}

int stanza_id_add(pv_el_t *msg, const char *by, char out[STANZA_ID_LEN + 1])
{
    pv_random_id(out, STANZA_ID_LEN);
    pv_el_t *s = pv_el_add(msg, NS_SID, "stanza-id");
    if (!s || pv_el_set_attr(s, "by", by) < 0 || pv_el_set_attr(s, "id", out) < 0) {
        pv_log(PV_LOG_ERROR, HIST, "out of memory adding a stanza-id by %s", by);
        return -1;
    }
    return 0;
}
