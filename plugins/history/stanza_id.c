/*
 * plugins/history/stanza_id.c: XEP-0359 unique and stable stanza ids. The
 * room stamps every reflected groupchat message with
 * <stanza-id xmlns='urn:xmpp:sid:0' by='room@service' id='…'/>; the same id
 * names the message in the archive, in history and in MAM results. A
 * client-supplied <stanza-id/> claiming to be by the room is a forgery and
 * is removed before stamping (XEP-0359 §5); ids by other entities stay.
 *
 * An id is STANZA_ID_TIME_LEN characters of the message's archive time (its
 * microseconds since the epoch, 6 bits a character in an alphabet that sorts
 * in ASCII order, most significant first) followed by random characters.
 * The time part makes ids of the same process sort in archive order and
 * lets a backend find the message from its id alone (the sqlite backend
 * keys its archive rows by that time and needs no index of the ids); the
 * random part keeps the ids unique and unguessable. Clients treat the id as
 * opaque (XEP-0359 §4); a backend must still accept any other id.
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

/* Random characters for the ids, drawn from the system's generator a few
 * kilobytes at a time rather than one system call per message. */
static char pool[4096];
static size_t pool_used = sizeof pool;

static void random_chars(char *out, size_t n)
{
    if (pool_used + n > sizeof pool - 1) {
        pv_random_id(pool, sizeof pool - 1);
        pool_used = 0;
    }
    memcpy(out, pool + pool_used, n);
    memset(pool + pool_used, 0, n); /* handed out: not kept here */
    pool_used += n;
    out[n] = '\0';
}

void stanza_id_make(int64_t stamp_us, char out[STANZA_ID_LEN + 1])
{
    static const char sorted[] = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
    uint64_t t = stamp_us > 0 ? (uint64_t)stamp_us : 0;
    for (int i = STANZA_ID_TIME_LEN - 1; i >= 0; i--) {
        out[i] = sorted[t & 63];
        t >>= 6;
    }
    random_chars(out + STANZA_ID_TIME_LEN, STANZA_ID_LEN - STANZA_ID_TIME_LEN);
}

int stanza_id_add(pv_el_t *msg, const char *by, int64_t stamp_us, char out[STANZA_ID_LEN + 1])
{
    stanza_id_make(stamp_us, out);
    pv_el_t *s = pv_el_add(msg, NS_SID, "stanza-id");
    if (!s || pv_el_set_attr(s, "by", by) < 0 || pv_el_set_attr(s, "id", out) < 0) {
        pv_log(PV_LOG_ERROR, HIST, "out of memory adding a stanza-id by %s", by);
        return -1;
    }
    return 0;
}
