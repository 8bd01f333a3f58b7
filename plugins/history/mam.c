/*
 * plugins/history/mam.c: XEP-0313 Message Archive Management on the room JID
 * (urn:xmpp:mam:2), paged with XEP-0059.
 *
 * A query runs as a small chain of backend calls (which may complete later,
 * with pgsql), so its state is a heap object holding copies of everything:
 *   1. the page: start/end/with/before-id/after-id from the form, narrowed by
 *      RSM after/before and max (<before/> alone: the last page);
 *      or, with RSM <index/> (XEP-0059 "retrieving a page out of order"),
 *      the set read forward from its start in batches, skipping `index`
 *      items (an index at or past the end gives an empty page);
 *      or, with the `ids` field, one lookup per id (the id's predecessor,
 *      then the message after it) since the store has no get-by-id;
 *   2. the whole matching set's ids (up to COUNT_CAP) for <count> and
 *      <first index>; omitted past the cap;
 *   3. the <fin/> result.
 * <first index='i'> gives the position, in the whole set in archive order,
 * of the item <first> names (with <flip-page/> that is the page's newest).
 * Stored stanzas lose the private tags element (palaver/history.h) before
 * they are forwarded. Unknown ids answer item-not-found. Members-only rooms answer members and
 * above; password-protected rooms their occupants (and admins); outcasts
 * never. Rooms that log advertise urn:xmpp:mam:2 in their disco#info.
 */
#include "history.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAGE_DEFAULT 50
#define PAGE_MAX 250
#define COUNT_CAP 10000
#define IDS_MAX 100
#define NO_SUCH_ID "No message with that id in this room's archive"

typedef struct mam_query {
    pv_el_t *iq; /* clone of the request; owned */
    char *room_name, *room_jid, *to, *queryid;
    char *with_nick, *form_after, *form_before, *rsm_after, *rsm_before;
    int64_t start_us, end_us;
    size_t max;
    bool last, flip;
    /* RSM <index/>: the requested index (-1: none), items still to skip,
     * and where the next batch starts (owned) */
    long index_req;
    size_t skip_left;
    char *cursor;
    /* results collected for the current page (message stanzas to send) */
    pv_el_t **out;
    char **out_ids;
    int64_t *out_stamps;
    size_t nout;
    bool complete;
    /* ids field */
    char **ids;
    size_t nids, idpos;
    char *pending_prev; /* the predecessor of ids[idpos], while looking it up */
    const char *cut_at; /* forward page: stop at this id (form_before; borrowed) */
} mam_query_t;

static void mq_free(mam_query_t *m)
{
    if (!m)
        return;
    pv_el_free(m->iq);
    free(m->room_name);
    free(m->room_jid);
    free(m->to);
    free(m->queryid);
    free(m->with_nick);
    free(m->form_after);
    free(m->form_before);
    free(m->rsm_after);
    free(m->rsm_before);
    for (size_t i = 0; i < m->nout; i++) {
        pv_el_free(m->out[i]);
        free(m->out_ids[i]);
    }
    free(m->out);
    free(m->out_ids);
    free(m->out_stamps);
    for (size_t i = 0; i < m->nids; i++)
        free(m->ids[i]);
    free(m->ids);
    free(m->pending_prev);
    free(m->cursor);
    free(m);
}

static char *dup0(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void mq_error(mam_query_t *m, const char *type, const char *cond, const char *text)
{
    if (pv_send_error(m->iq, type, cond, text) < 0)
        pv_log(PV_LOG_WARN, HIST, "room %s: could not send a MAM error to %s", m->room_jid, m->to);
    mq_free(m);
}

/* An archive read that failed answers the query (an unknown id in it, or
 * the archive unreadable) and frees it: true then. `what` names the read in
 * the log. */
static bool read_failed(mam_query_t *m, int status, const char *error, const char *what)
{
    if (status == PV_STORE_ENOTFOUND) {
        mq_error(m, "cancel", "item-not-found", NO_SUCH_ID);
        return true;
    }
    if (status != PV_STORE_OK) {
        pv_log(PV_LOG_ERROR, HIST, "room %s: %s failed: %s", m->room_jid, what,
               error ? error : "unknown error");
        mq_error(m, "wait", "internal-server-error", "The archive could not be read");
        return true;
    }
    return false;
}

/* Stored stanzas are in the component namespace; forwarded ones read as client stanzas. */
static void to_client_ns(pv_el_t *el)
{
    if (el->kind != PV_EL_ELEMENT)
        return;
    if (!strcmp(el->ns, PV_NS_STANZA))
        el->ns = PV_NS_CLIENT;
    for (pv_el_t *c = el->children; c; c = c->next)
        to_client_ns(c);
}

/* Builds the <message><result><forwarded><delay/><message/></forwarded></result></message>. */
static pv_el_t *result_message(const mam_query_t *m, const pv_store_msg_t *sm)
{
    char err[128];
    pv_el_t *inner = sm->xml ? pv_el_parse(sm->xml, strlen(sm->xml), err, sizeof err) : NULL;
    if (!inner) {
        pv_log(PV_LOG_WARN, HIST, "room %s: archived message %s is unreadable; skipped",
               m->room_jid, sm->id);
        return NULL;
    }
    pv_el_t *out = pv_el_new(PV_NS_STANZA, "message");
    pv_el_t *res = out ? pv_el_add(out, NS_MAM, "result") : NULL;
    pv_el_t *fwd = res ? pv_el_add(res, NS_FORWARD, "forwarded") : NULL;
    pv_el_t *delay = fwd ? pv_el_add(fwd, NS_DELAY, "delay") : NULL;
    pv_el_t *copy = NULL;
    if (delay) {
        char stamp[32];
        pv_timestamp((time_t)(sm->stamp_us / 1000000), (int)(sm->stamp_us % 1000000 / 1000), stamp);
        pv_el_set_attr(delay, "stamp", stamp);
        pv_el_remove_children(inner, NS_DELAY, "delay");
        tags_strip(inner);
        pv_el_set_attr(inner, "to", NULL);
        to_client_ns(inner);
        copy = pv_el_copy_into(fwd, inner);
    }
    pv_el_free(inner);
    if (!copy || pv_el_set_attr(out, "to", m->to) < 0 ||
        pv_el_set_attr(out, "from", m->room_jid) < 0 || pv_el_set_attr(res, "id", sm->id) < 0 ||
        (m->queryid && pv_el_set_attr(res, "queryid", m->queryid) < 0)) {
        pv_el_free(out);
        pv_log(PV_LOG_ERROR, HIST, "room %s: out of memory building a MAM result", m->room_jid);
        return NULL;
    }
    return out;
}

static int collect(mam_query_t *m, const pv_store_msg_t *sm)
{
    pv_el_t **o = realloc(m->out, (m->nout + 1) * sizeof *o);
    if (o)
        m->out = o;
    char **oi = o ? realloc(m->out_ids, (m->nout + 1) * sizeof *oi) : NULL;
    if (oi)
        m->out_ids = oi;
    int64_t *os = oi ? realloc(m->out_stamps, (m->nout + 1) * sizeof *os) : NULL;
    if (os)
        m->out_stamps = os;
    pv_el_t *el = os ? result_message(m, sm) : NULL;
    char *id = el ? strdup(sm->id) : NULL;
    if (!id) {
        pv_el_free(el);
        return os ? 0 : -1; /* an unreadable message is skipped, not fatal */
    }
    m->out_stamps[m->nout] = sm->stamp_us;
    m->out[m->nout] = el;
    m->out_ids[m->nout++] = id;
    return 0;
}

/* ---- step 3: the answer ---- */

static void finish(mam_query_t *m, long count, long index)
{
    for (size_t i = 0; i < m->nout; i++) {
        size_t k = m->flip ? m->nout - 1 - i : i;
        if (pv_send(m->out[k]) < 0)
            pv_log(PV_LOG_WARN, HIST, "room %s: a MAM result to %s was not sent", m->room_jid,
                   m->to);
    }
    pv_el_t *res = pv_iq_result_new(m->iq);
    pv_el_t *fin = res ? pv_el_add(res, NS_MAM, "fin") : NULL;
    if (!fin) {
        pv_el_free(res);
        pv_log(PV_LOG_ERROR, HIST, "room %s: out of memory answering a MAM query", m->room_jid);
        mq_free(m);
        return;
    }
    if (m->queryid)
        pv_el_set_attr(fin, "queryid", m->queryid);
    if (m->complete)
        pv_el_set_attr(fin, "complete", "true");
    if (m->nout) {
        size_t a = m->flip ? m->nout - 1 : 0, b = m->flip ? 0 : m->nout - 1;
        /* index: of the oldest item of the page; <first> names the newest
         * when the page is flipped */
        if (index >= 0 && m->flip)
            index += (long)m->nout - 1;
        rsm_answer(fin, m->out_ids[a], m->out_ids[b], index, count);
    } else {
        rsm_answer(fin, NULL, NULL, -1, count);
    }
    pv_send(res);
    pv_el_free(res);
    mq_free(m);
}

/* ---- step 2: count the whole set ---- */

static void counted(int status, const char *error, const pv_store_msg_t *msgs, size_t n,
                    int complete, void *ud)
{
    mam_query_t *m = ud;
    long count = -1, index = -1;
    if (status == PV_STORE_ENOTFOUND) {
        /* the form's before-id, not used by a forward page, is unknown */
        mq_error(m, "cancel", "item-not-found", NO_SUCH_ID);
        return;
    }
    if (status == PV_STORE_OK && complete) {
        count = (long)n;
        if (m->nout)
            for (size_t i = 0; i < n; i++)
                if (!strcmp(msgs[i].id, m->out_ids[0])) {
                    index = (long)i;
                    break;
                }
    } else if (status != PV_STORE_OK) {
        pv_log(PV_LOG_WARN, HIST, "room %s: counting MAM results failed: %s", m->room_jid,
               error ? error : "unknown error");
    }
    if (m->index_req >= 0 && m->nout)
        index = m->index_req; /* known even past COUNT_CAP */
    finish(m, count, index);
}

static void count_set(mam_query_t *m)
{
    void *h;
    const pv_store_t *st = pv_store(&h);
    pv_store_query_t q = {.start_us = m->start_us,
                          .end_us = m->end_us,
                          .after_id = m->form_after,
                          .before_id = m->form_before,
                          .with_nick = m->with_nick,
                          .max = COUNT_CAP};
    st->archive_query(h, m->room_name, &q, counted, m);
}

/* ---- step 1: the page ---- */

static void paged(int status, const char *error, const pv_store_msg_t *msgs, size_t n, int complete,
                  void *ud)
{
    mam_query_t *m = ud;
    if (read_failed(m, status, error, "MAM query"))
        return;
    bool cut = false;
    for (size_t i = 0; m->max && i < n; i++) {
        if (m->cut_at && !strcmp(msgs[i].id, m->cut_at)) {
            cut = true; /* forward page reached the form's before-id */
            break;
        }
        if (collect(m, &msgs[i]) < 0) {
            mq_error(m, "wait", "internal-server-error", "Out of memory");
            return;
        }
    }
    m->complete = complete != 0 || cut;
    if (m->max == 0)
        m->complete = false;
    count_set(m);
}

static void run_page(mam_query_t *m)
{
    void *h;
    const pv_store_t *st = pv_store(&h);
    /* The store pages backwards whenever before_id is set; a forward page
     * (the default, or RSM <after/>) inside a before-id window therefore
     * reads forward without it and stops at that id. */
    bool forward = !m->last;
    m->cut_at = forward ? m->form_before : NULL;
    pv_store_query_t q = {.start_us = m->start_us,
                          .end_us = m->end_us,
                          .after_id = m->rsm_after ? m->rsm_after : m->form_after,
                          .before_id = forward         ? NULL
                                       : m->rsm_before ? m->rsm_before
                                                       : m->form_before,
                          .with_nick = m->with_nick,
                          .max = m->max ? m->max : 1,
                          .last = m->last};
    /* <max>0</max> asks only for the count (XEP-0059 §2.6): one row is read
     * anyway so that unknown ids are still refused, and none is sent */
    st->archive_query(h, m->room_name, &q, paged, m);
}

/* ---- RSM <index/>: the set read forward, `index` items skipped ---- */

static void index_step(mam_query_t *m);

static void indexed(int status, const char *error, const pv_store_msg_t *msgs, size_t n,
                    int complete, void *ud)
{
    mam_query_t *m = ud;
    if (read_failed(m, status, error, "MAM query"))
        return;
    bool end = complete != 0 || n == 0;
    size_t i = 0;
    for (; i < n; i++) {
        if (m->form_before && !strcmp(msgs[i].id, m->form_before)) {
            end = true; /* the form's before-id closes the set */
            break;
        }
        if (m->skip_left) {
            m->skip_left--;
            continue;
        }
        if (m->nout >= m->max)
            break; /* the page is full and another item follows */
        if (collect(m, &msgs[i]) < 0) {
            mq_error(m, "wait", "internal-server-error", "Out of memory");
            return;
        }
    }
    if (i < n && !end) {
        m->complete = false;
    } else if (end) {
        m->complete = true;
    } else {
        /* the batch ran out before the set did: read on after its last item */
        char *c = strdup(msgs[n - 1].id);
        if (!c) {
            mq_error(m, "wait", "internal-server-error", "Out of memory");
            return;
        }
        free(m->cursor);
        m->cursor = c;
        index_step(m);
        return;
    }
    count_set(m);
}

static void index_step(mam_query_t *m)
{
    void *h;
    const pv_store_t *st = pv_store(&h);
    /* one more than needed, to tell whether the page is the last */
    size_t want = m->skip_left + (m->max - m->nout) + 1;
    if (want > COUNT_CAP)
        want = COUNT_CAP;
    pv_store_query_t q = {.start_us = m->start_us,
                          .end_us = m->end_us,
                          .after_id = m->cursor ? m->cursor : m->form_after,
                          .with_nick = m->with_nick,
                          .max = want};
    st->archive_query(h, m->room_name, &q, indexed, m);
}

/* ---- the ids field: one message per id ---- */

static void next_id(mam_query_t *m);

static void got_one(int status, const char *error, const pv_store_msg_t *msgs, size_t n,
                    int complete, void *ud)
{
    (void)complete;
    mam_query_t *m = ud;
    if (status != PV_STORE_OK) {
        pv_log(PV_LOG_ERROR, HIST, "room %s: MAM id lookup failed: %s", m->room_jid,
               error ? error : "unknown error");
        mq_error(m, "wait", "internal-server-error", "The archive could not be read");
        return;
    }
    if (n < 1 || strcmp(msgs[0].id, m->ids[m->idpos]) != 0) {
        mq_error(m, "cancel", "item-not-found", NO_SUCH_ID);
        return;
    }
    if (collect(m, &msgs[0]) < 0) {
        mq_error(m, "wait", "internal-server-error", "Out of memory");
        return;
    }
    m->idpos++;
    next_id(m);
}

static void got_prev(int status, const char *error, const pv_store_msg_t *msgs, size_t n,
                     int complete, void *ud)
{
    (void)complete;
    mam_query_t *m = ud;
    if (read_failed(m, status, error, "MAM id lookup"))
        return;
    free(m->pending_prev);
    m->pending_prev = n ? strdup(msgs[n - 1].id) : NULL;
    if (n && !m->pending_prev) {
        mq_error(m, "wait", "internal-server-error", "Out of memory");
        return;
    }
    void *h;
    const pv_store_t *st = pv_store(&h);
    pv_store_query_t q = {.after_id = m->pending_prev, .max = 1};
    st->archive_query(h, m->room_name, &q, got_one, m);
}

/* Results in archive (time) order, whatever order the ids were asked in
 * (insertion sort: stable, and there are at most IDS_MAX). */
static void sort_by_stamp(mam_query_t *m)
{
    for (size_t i = 1; i < m->nout; i++)
        for (size_t k = i; k > 0 && m->out_stamps[k - 1] > m->out_stamps[k]; k--) {
            int64_t s = m->out_stamps[k];
            m->out_stamps[k] = m->out_stamps[k - 1];
            m->out_stamps[k - 1] = s;
            pv_el_t *e = m->out[k];
            m->out[k] = m->out[k - 1];
            m->out[k - 1] = e;
            char *id = m->out_ids[k];
            m->out_ids[k] = m->out_ids[k - 1];
            m->out_ids[k - 1] = id;
        }
}

static void next_id(mam_query_t *m)
{
    if (m->idpos >= m->nids) {
        m->complete = true;
        sort_by_stamp(m);
        finish(m, (long)m->nout, 0);
        return;
    }
    void *h;
    const pv_store_t *st = pv_store(&h);
    pv_store_query_t q = {.before_id = m->ids[m->idpos], .max = 1, .last = 1};
    st->archive_query(h, m->room_name, &q, got_prev, m);
}

/* ---- the request ---- */

static pv_verdict_t send_form(pv_stanza_ctx_t *ctx)
{
    pv_el_t *res = pv_iq_result_new(ctx->stanza);
    pv_el_t *q = res ? pv_el_add(res, NS_MAM, "query") : NULL;
    pv_el_t *x = q ? pv_form_new(q, "form", NS_MAM, NULL, NULL) : NULL;
    if (!x) {
        pv_el_free(res);
        return pv_stanza_fail(ctx, "wait", "internal-server-error", "Out of memory");
    }
    pv_form_add_field(x, "with", "jid-single", "Sent by (occupant JID)", NULL);
    pv_form_add_field(x, "start", "text-single", "Sent at or after", NULL);
    pv_form_add_field(x, "end", "text-single", "Sent at or before", NULL);
    pv_form_add_field(x, "before-id", "text-single", "Sent before the message with this id", NULL);
    pv_form_add_field(x, "after-id", "text-single", "Sent after the message with this id", NULL);
    pv_form_add_field(x, "ids", "text-multi", "Only the messages with these ids", NULL);
    pv_send(res);
    pv_el_free(res);
    return PV_HANDLED;
}

static bool occupant_of(const pv_muc_room_t *room, const pv_jid_t *who)
{
    return muc_api->occupant_by_jid(room, who->full) != NULL;
}

static const char *may_query(const pv_muc_room_t *room, const pv_jid_t *who)
{
    pv_muc_aff_t aff = muc_api->affiliation(room, who->bare);
    if (aff == PV_MUC_AFF_OUTCAST)
        return "You are banned from this room";
    if (muc_api->room_config_bool(room, "muc#roomconfig_membersonly") && aff < PV_MUC_AFF_MEMBER)
        return "Only members may read the archive of this members-only room";
    if (muc_api->room_config_bool(room, "muc#roomconfig_passwordprotectedroom") &&
        aff < PV_MUC_AFF_ADMIN && !occupant_of(room, who))
        return "Only occupants may read the archive of this password-protected room";
    return NULL;
}

static int parse_time(pv_stanza_ctx_t *ctx, const pv_el_t *x, const char *var, int64_t *out)
{
    const char *v = pv_form_value(x, var);
    if (!v)
        return 0;
    if (history_parse_datetime(v, out) < 0 || *out == 0) {
        pv_stanza_fail(ctx, "modify", "bad-request", "start and end must be XEP-0082 DateTimes");
        return -1;
    }
    /* Stamps are shown to the millisecond but kept to the microsecond: an
     * end given to the millisecond (or coarser) covers that whole millisecond,
     * so a stamp read from a result, used as end, includes that result. */
    const char *dot = strchr(v, '.');
    size_t digits = 0;
    while (dot && dot[1 + digits] >= '0' && dot[1 + digits] <= '9')
        digits++;
    if (!strcmp(var, "end") && digits <= 3) {
        int64_t unit = digits == 0 ? 1000000 : digits == 1 ? 100000 : digits == 2 ? 10000 : 1000;
        *out += unit - 1;
    }
    return 0;
}

pv_verdict_t mam_iq(pv_stanza_ctx_t *ctx, void *ud)
{
    (void)ud;
    if (strcmp(ctx->type, "get") && strcmp(ctx->type, "set"))
        return PV_PASS;
    if (!pv_el_is(ctx->payload, NS_MAM, "query"))
        return PV_PASS;
    pv_muc_room_t *room = muc_api->room_find(ctx->to->bare);
    if (!room || muc_api->room_locked(room))
        return pv_stanza_fail(ctx, "cancel", "item-not-found", "No such room");
    const char *why = may_query(room, ctx->from);
    if (why)
        return pv_stanza_fail(ctx, "auth", "forbidden", why);
    room_retention_first_use(room); /* RETAIN-1 */
    if (!strcmp(ctx->type, "get"))
        return send_form(ctx);
    void *h;
    const pv_store_t *st = pv_store(&h);
    if (!st || !st->archive_query)
        return pv_stanza_fail(ctx, "cancel", "service-unavailable", "No archive is available");

    pv_el_t *x = pv_form_find(ctx->payload, NULL);
    rsm_req_t rsm;
    if (rsm_parse(pv_el_child(ctx->payload, NS_RSM, "set"), &rsm) < 0)
        return pv_stanza_fail(ctx, "modify", "bad-request",
                              "Malformed result set request (<index/> goes without <after/> "
                              "and <before/>)");
    int64_t start = 0, end = 0;
    if (parse_time(ctx, x, "start", &start) < 0 || parse_time(ctx, x, "end", &end) < 0)
        return PV_ERROR;
    const char *with = pv_form_value(x, "with");
    char *nick = NULL;
    if (with) {
        pv_jid_t *j = pv_jid_parse(with);
        bool ok = j && j->resource && !strcmp(j->bare, muc_api->room_jid(room));
        nick = ok ? strdup(j->resource) : NULL;
        pv_jid_free(j);
        if (!ok)
            return pv_stanza_fail(ctx, "modify", "bad-request",
                                  "with must be an occupant JID of this room (room@service/nick)");
    }
    mam_query_t *m = calloc(1, sizeof *m);
    if (!m) {
        free(nick);
        return pv_stanza_fail(ctx, "wait", "internal-server-error", "Out of memory");
    }
    m->with_nick = nick;
    m->iq = pv_el_clone(ctx->stanza);
    m->room_name = dup0(muc_api->room_name(room));
    m->room_jid = dup0(muc_api->room_jid(room));
    m->to = dup0(ctx->from->full);
    m->queryid = dup0(pv_el_attr(ctx->payload, "queryid"));
    m->form_after = dup0(pv_form_value(x, "after-id"));
    m->form_before = dup0(pv_form_value(x, "before-id"));
    m->rsm_after = dup0(rsm.after);
    m->rsm_before = rsm.before && *rsm.before ? strdup(rsm.before) : NULL;
    m->last = rsm.before != NULL;
    m->flip = pv_el_child(ctx->payload, NS_MAM, "flip-page") != NULL;
    m->start_us = start;
    m->end_us = end;
    m->max = rsm.max < 0 ? PAGE_DEFAULT : rsm.max > PAGE_MAX ? PAGE_MAX : (size_t)rsm.max;
    m->index_req = rsm.index;
    m->skip_left = rsm.index > 0 ? (size_t)rsm.index : 0;
    if (!m->iq || !m->room_name || !m->room_jid || !m->to) {
        mq_free(m);
        return pv_stanza_fail(ctx, "wait", "internal-server-error", "Out of memory");
    }
    pv_el_t *ids = pv_form_field(x, "ids");
    if (ids) {
        size_t n = 0;
        for (pv_el_t *v = pv_form_first_value(ids); v; v = pv_form_next_value(v))
            n++;
        if (n > IDS_MAX) {
            mq_free(m);
            return pv_stanza_fail(ctx, "modify", "policy-violation", "Too many ids in one query");
        }
        m->ids = calloc(n ? n : 1, sizeof *m->ids);
        for (pv_el_t *v = pv_form_first_value(ids); m->ids && v; v = pv_form_next_value(v))
            if (!(m->ids[m->nids++] = strdup(pv_el_text(v)))) {
                mq_free(m);
                return pv_stanza_fail(ctx, "wait", "internal-server-error", "Out of memory");
            }
        if (!m->ids) {
            mq_free(m);
            return pv_stanza_fail(ctx, "wait", "internal-server-error", "Out of memory");
        }
        next_id(m);
        return PV_HANDLED;
    }
    if (m->index_req >= 0 && m->max == 0)
        count_set(m); /* count only: nothing to skip to */
    else if (m->index_req >= 0)
        index_step(m);
    else
        run_page(m);
    return PV_HANDLED;
}

bool disco_asks_room(const pv_disco_info_t *info)
{
    return info->subject && !info->node && info->target && info->target->node &&
           !info->target->resource;
}

pv_verdict_t mam_disco(const pv_event_t *ev, void *payload, void *ud)
{
    (void)ev;
    (void)ud;
    pv_disco_info_t *info = payload;
    if (!disco_asks_room(info))
        return PV_PASS;
    pv_muc_room_t *room = info->subject;
    if (muc_api->room_config_bool(room, "muc#roomconfig_enablelogging"))
        pv_disco_query_feature(info->query, NS_MAM);
    pv_disco_query_feature(info->query, NS_SID);
    return PV_PASS;
}
