/*
 * plugins/history/moderate.c: XEP-0425 moderated message retraction. A
 * moderator sends the room
 *   <iq type='set'><moderate xmlns='urn:xmpp:message-moderate:1' id='STANZA-ID'>
 *     <retract xmlns='urn:xmpp:message-retract:1'/><reason>…</reason></moderate></iq>
 * (or the older <apply-to xmlns='urn:xmpp:fasten:0' id><moderate
 * xmlns='urn:xmpp:message-moderate:0'><retract/></moderate></apply-to> that
 * Prosody's mod_muc_moderation also takes), naming a message by the XEP-0359
 * stanza-id the room stamped on it. The history plugin owns every kept
 * message, so the retraction lives here:
 *   1. the message is found in the room's ring (recent.c) or, for older
 *      ones, in the archive (the id's predecessor, then the message after
 *      it: the store has no get-by-id);
 *   2. a tombstone replaces it in the archive (archive_replace) and in the
 *      ring: the original's from, id, stanza-id and occupant-id with
 *      <retracted/> naming the moderator and the reason, no body;
 *   3. the room tells every occupant (a message from the room JID carrying
 *      <retract id><moderated by><occupant-id/></moderated><reason/></retract>
 *      and, for older clients, the same in <apply-to/>); that notice gets a
 *      stanza-id of its own and is kept like any message (ring and archive),
 *      so clients catching up learn of the retraction too;
 *   4. the moderator gets the IQ result.
 * Errors: forbidden for non-moderators, item-not-found for an unknown id,
 * bad-request for a malformed request. Steps 1 and 2 may complete later
 * (pgsql): the operation is a heap object holding copies of everything.
 */
#include "history.h"
#include <stdlib.h>
#include <string.h>

#define NS_MODERATE1 "urn:xmpp:message-moderate:1"
#define NS_MODERATE0 "urn:xmpp:message-moderate:0"
#define NS_RETRACT1 "urn:xmpp:message-retract:1"
#define NS_RETRACT0 "urn:xmpp:message-retract:0"
#define NS_FASTEN "urn:xmpp:fasten:0"
#define NS_OCCUPANT_ID "urn:xmpp:occupant-id:0"

typedef struct mod_op {
    pv_el_t *iq;       /* clone of the request; owned */
    char *room_jid;    /* owned */
    char *room_name;   /* owned */
    char *id;          /* the stanza-id retracted; owned */
    char *reason;      /* owned, or NULL */
    char *by;          /* the moderator's occupant JID (owned), or NULL */
    char *by_oid;      /* the moderator's occupant-id (owned), or NULL */
    bool logs;         /* the room archives */
    pv_el_t *original; /* the retracted message; owned */
    tags_t tags;       /* its tags (kept with the tombstone); owned */
    bool in_ring;
} mod_op_t;

static pv_hook_t *hook1, *hook0;
static pv_subscription_t *disco_sub;
static bool running; /* backend answers after shutdown are dropped */

static void op_free(mod_op_t *op)
{
    if (!op)
        return;
    pv_el_free(op->iq);
    pv_el_free(op->original);
    tags_clear(&op->tags);
    free(op->room_jid);
    free(op->room_name);
    free(op->id);
    free(op->reason);
    free(op->by);
    free(op->by_oid);
    free(op);
}

static void op_fail(mod_op_t *op, const char *type, const char *cond, const char *text)
{
    if (pv_send_error(op->iq, type, cond, text) < 0)
        pv_log(PV_LOG_WARN, HIST, "room %s: could not answer a moderation request", op->room_jid);
    op_free(op);
}

static char *dup0(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* <moderated by><occupant-id/></moderated> in `ns` under parent. */
static pv_el_t *add_moderated(pv_el_t *parent, const char *ns, const mod_op_t *op)
{
    pv_el_t *m = pv_el_add(parent, ns, "moderated");
    if (!m || (op->by && pv_el_set_attr(m, "by", op->by) < 0))
        return NULL;
    if (op->by_oid) {
        pv_el_t *o = pv_el_add(m, NS_OCCUPANT_ID, "occupant-id");
        if (!o || pv_el_set_attr(o, "id", op->by_oid) < 0)
            return NULL;
    }
    return m;
}

/* The tombstone of the original (XEP-0425 §5, with Prosody's older form beside). Caller frees. */
static pv_el_t *tombstone(const mod_op_t *op)
{
    char stamp[32];
    int64_t now = pv_now_us();
    pv_timestamp((time_t)(now / 1000000), -1, stamp);
    pv_el_t *t = pv_el_new(PV_NS_STANZA, "message");
    if (!t)
        return NULL;
    const char *from = pv_el_attr(op->original, "from");
    const char *id = pv_el_attr(op->original, "id");
    pv_el_t *rt = pv_el_add(t, NS_RETRACT1, "retracted");
    pv_el_t *m0 = rt ? pv_el_add(t, NS_MODERATE0, "moderated") : NULL;
    pv_el_t *rt0 = m0 ? pv_el_add(m0, NS_RETRACT0, "retracted") : NULL;
    bool ok = rt0 && (!from || pv_el_set_attr(t, "from", from) == 0) &&
              pv_el_set_attr(t, "type", "groupchat") == 0 &&
              (!id || pv_el_set_attr(t, "id", id) == 0) &&
              pv_el_set_attr(rt, "stamp", stamp) == 0 && add_moderated(rt, NS_MODERATE1, op) &&
              (!op->reason || pv_el_add_text_child(rt, NS_RETRACT1, "reason", op->reason)) &&
              (!op->by || pv_el_set_attr(m0, "by", op->by) == 0) &&
              pv_el_set_attr(rt0, "stamp", stamp) == 0 &&
              (!op->reason || pv_el_add_text_child(m0, NS_MODERATE0, "reason", op->reason));
    /* what identifies the original stays: its stanza-id(s) and occupant-id */
    for (pv_el_t *c = pv_el_child(op->original, NS_SID, "stanza-id"); ok && c;
         c = pv_el_next(c, NS_SID, "stanza-id"))
        ok = pv_el_copy_into(t, c) != NULL;
    pv_el_t *oid = pv_el_child(op->original, NS_OCCUPANT_ID, "occupant-id");
    if (ok && oid)
        ok = pv_el_copy_into(t, oid) != NULL;
    if (!ok) {
        pv_el_free(t);
        return NULL;
    }
    return t;
}

/* The notice every occupant gets (XEP-0425 §4, and the apply-to form). Caller frees. */
static pv_el_t *notice(const mod_op_t *op)
{
    char mid[STANZA_ID_LEN + 1];
    pv_random_id(mid, STANZA_ID_LEN);
    pv_el_t *n = pv_el_new(PV_NS_STANZA, "message");
    if (!n)
        return NULL;
    pv_el_t *rt = pv_el_add(n, NS_RETRACT1, "retract");
    pv_el_t *ap = rt ? pv_el_add(n, NS_FASTEN, "apply-to") : NULL;
    pv_el_t *m0 = ap ? add_moderated(ap, NS_MODERATE0, op) : NULL;
    bool ok = m0 && pv_el_set_attr(n, "from", op->room_jid) == 0 &&
              pv_el_set_attr(n, "type", "groupchat") == 0 && pv_el_set_attr(n, "id", mid) == 0 &&
              pv_el_set_attr(rt, "id", op->id) == 0 && add_moderated(rt, NS_MODERATE1, op) &&
              (!op->reason || pv_el_add_text_child(rt, NS_RETRACT1, "reason", op->reason)) &&
              pv_el_set_attr(ap, "id", op->id) == 0 && pv_el_add(m0, NS_RETRACT0, "retract") &&
              (!op->reason || pv_el_add_text_child(m0, NS_MODERATE0, "reason", op->reason)) &&
              pv_el_add(n, NS_HINTS, "store");
    if (!ok) {
        pv_el_free(n);
        return NULL;
    }
    return n;
}

/* Step 3 and 4: the ring, the notice, the answer. */
static void finish(mod_op_t *op, pv_el_t *tomb)
{
    recent_t *r = recent_get(op->room_jid, false);
    recent_msg_t *m = r ? recent_find(r, op->id) : NULL;
    if (m)
        recent_replace(r, m, tomb);
    pv_muc_room_t *room = muc_api->room_find(op->room_jid);
    pv_el_t *n = room ? notice(op) : NULL;
    char sid[STANZA_ID_LEN + 1];
    int64_t now = pv_now_us();
    if (room && (!n || stanza_id_add(n, op->room_jid, now, sid) < 0)) {
        pv_log(PV_LOG_ERROR, HIST, "room %s: out of memory telling occupants of a retraction",
               op->room_jid);
    } else if (room) {
        if (muc_api->room_broadcast(room, n) < 0)
            pv_log(PV_LOG_WARN, HIST, "room %s: the retraction of %s was not broadcast",
                   op->room_jid, op->id);
        r = recent_get(op->room_jid, true);
        if (r && (r->cap || recent_set_cap(r, history_room_length(room)) == 0))
            recent_push(r, n, now, sid, NULL);
        if (muc_api->room_config_bool(room, "muc#roomconfig_enablelogging"))
            archive_append(op->room_name, sid, now, NULL, NULL, n, NULL);
    }
    pv_el_free(n);
    pv_log(PV_LOG_INFO, HIST, "room %s: message %s retracted by %s%s%s", op->room_jid, op->id,
           pv_el_attr(op->iq, "from"), op->reason ? ": " : "", op->reason ? op->reason : "");
    pv_el_t *res = pv_iq_result_new(op->iq);
    if (!res || pv_send(res) < 0)
        pv_log(PV_LOG_WARN, HIST, "room %s: could not answer a moderation request", op->room_jid);
    pv_el_free(res);
    op_free(op);
}

typedef struct replace_ud {
    mod_op_t *op;
    pv_el_t *tomb; /* owned */
} replace_ud_t;

static void replaced(int status, const char *error, void *ud)
{
    replace_ud_t *ru = ud;
    mod_op_t *op = ru->op;
    pv_el_t *tomb = ru->tomb;
    free(ru);
    if (!running) {
        pv_el_free(tomb);
        op_free(op);
        return;
    }
    if (status == PV_STORE_OK || (status == PV_STORE_ENOTFOUND && op->in_ring)) {
        finish(op, tomb); /* not archived (logging came later): the ring is all */
    } else if (status == PV_STORE_ENOTFOUND) {
        op_fail(op, "cancel", "item-not-found", "No message with this id in the room's archive");
    } else {
        pv_log(PV_LOG_ERROR, HIST, "room %s: storing the tombstone of %s failed: %s", op->room_jid,
               op->id, error ? error : "unknown error");
        op_fail(op, "wait", "internal-server-error", "The retraction could not be stored");
    }
    pv_el_free(tomb);
}

/* Step 2: the tombstone, into the archive when the room logs. */
static void retract(mod_op_t *op)
{
    pv_el_t *tomb = tombstone(op);
    if (!tomb) {
        pv_log(PV_LOG_ERROR, HIST, "room %s: out of memory building a tombstone", op->room_jid);
        op_fail(op, "wait", "internal-server-error", "Out of memory");
        return;
    }
    void *h;
    const pv_store_t *st = pv_store(&h);
    if (!op->logs || !st || !st->archive_replace) {
        finish(op, tomb);
        pv_el_free(tomb);
        return;
    }
    pv_el_t *te = tags_attach(tomb, op->id, &op->tags);
    char *xml = pv_el_serialize(tomb, NULL);
    if (te)
        pv_el_unlink(te);
    replace_ud_t *ru = xml ? malloc(sizeof *ru) : NULL;
    if (!ru) {
        free(xml);
        pv_el_free(tomb);
        pv_log(PV_LOG_ERROR, HIST, "room %s: out of memory storing a tombstone", op->room_jid);
        op_fail(op, "wait", "internal-server-error", "Out of memory");
        return;
    }
    *ru = (replace_ud_t){.op = op, .tomb = tomb};
    st->archive_replace(h, op->room_name, op->id, xml, replaced, ru);
    free(xml);
}

/* ---- step 1 for messages no longer in the ring: the archive ---- */

static void found(int status, const char *error, const pv_store_msg_t *msgs, size_t n, int complete,
                  void *ud)
{
    (void)complete;
    mod_op_t *op = ud;
    if (!running) {
        op_free(op);
        return;
    }
    if (status != PV_STORE_OK && status != PV_STORE_ENOTFOUND) {
        pv_log(PV_LOG_ERROR, HIST, "room %s: looking up message %s failed: %s", op->room_jid,
               op->id, error ? error : "unknown error");
        op_fail(op, "wait", "internal-server-error", "The archive could not be read");
        return;
    }
    if (status != PV_STORE_OK || n != 1 || !msgs[0].id || strcmp(msgs[0].id, op->id) ||
        !msgs[0].xml) {
        op_fail(op, "cancel", "item-not-found", "No message with this id in the room");
        return;
    }
    char err[128];
    op->original = pv_el_parse(msgs[0].xml, strlen(msgs[0].xml), err, sizeof err);
    if (!op->original) {
        pv_log(PV_LOG_WARN, HIST, "room %s: archived message %s is not XML (%s)", op->room_jid,
               op->id, err);
        op_fail(op, "wait", "internal-server-error", "The archived message is unreadable");
        return;
    }
    tags_extract(op->original, op->id, &op->tags);
    retract(op);
}

static void predecessor(int status, const char *error, const pv_store_msg_t *msgs, size_t n,
                        int complete, void *ud)
{
    (void)complete;
    mod_op_t *op = ud;
    if (!running) {
        op_free(op);
        return;
    }
    if (status == PV_STORE_ENOTFOUND) {
        op_fail(op, "cancel", "item-not-found", "No message with this id in the room");
        return;
    }
    if (status != PV_STORE_OK) {
        pv_log(PV_LOG_ERROR, HIST, "room %s: looking up message %s failed: %s", op->room_jid,
               op->id, error ? error : "unknown error");
        op_fail(op, "wait", "internal-server-error", "The archive could not be read");
        return;
    }
    void *h;
    const pv_store_t *st = pv_store(&h);
    pv_store_query_t q = {.after_id = n ? msgs[0].id : NULL, .max = 1};
    st->archive_query(h, op->room_name, &q, found, op);
}

/* ---- the request ---- */

static bool is_moderator(pv_muc_room_t *room, const pv_jid_t *from, const char **nick)
{
    pv_muc_occupant_t *o = muc_api->occupant_by_jid(room, from->full);
    *nick = o ? muc_api->occupant_nick(o) : NULL;
    if (o)
        return muc_api->occupant_role(o) == PV_MUC_ROLE_MODERATOR;
    /* not in the room: admins and owners would be moderators there */
    return muc_api->affiliation(room, from->bare) >= PV_MUC_AFF_ADMIN;
}

static pv_verdict_t handle(pv_stanza_ctx_t *ctx, const char *id, const char *reason)
{
    pv_muc_room_t *room = muc_api->room_find(ctx->to->bare);
    if (!room || muc_api->room_locked(room))
        return pv_stanza_fail(ctx, "cancel", "item-not-found", "No such room");
    const char *nick;
    if (!is_moderator(room, ctx->from, &nick))
        return pv_stanza_fail(ctx, "auth", "forbidden",
                              "Only moderators may retract other occupants' messages");
    if (!id || !*id)
        return pv_stanza_fail(ctx, "modify", "bad-request",
                              "The request must name a message by its stanza-id (id)");
    const char *room_jid = muc_api->room_jid(room);
    recent_t *r = recent_get(room_jid, false);
    recent_msg_t *m = r ? recent_find(r, id) : NULL;
    bool logs = muc_api->room_config_bool(room, "muc#roomconfig_enablelogging");
    void *h;
    const pv_store_t *st = pv_store(&h);
    bool archive = logs && st && st->archive_query && st->archive_replace;
    if (!m && !archive)
        return pv_stanza_fail(ctx, "cancel", "item-not-found",
                              "No message with this id in the room");
    mod_op_t *op = calloc(1, sizeof *op);
    pv_muc_occupant_t *occ = muc_api->occupant_by_jid(room, ctx->from->full);
    if (!op || !(op->iq = pv_el_clone(ctx->stanza)) || !(op->room_jid = strdup(room_jid)) ||
        !(op->room_name = strdup(muc_api->room_name(room))) || !(op->id = strdup(id)) ||
        (reason && *reason && !(op->reason = strdup(reason))) ||
        (nick && !(op->by = malloc(strlen(room_jid) + strlen(nick) + 2))) ||
        (occ && !(op->by_oid = dup0(muc_api->occupant_id(occ)))) ||
        (m && (!(op->original = pv_el_clone(m->stanza)) || tags_copy(&op->tags, &m->tags) < 0))) {
        op_free(op);
        pv_log(PV_LOG_ERROR, HIST, "room %s: out of memory for a moderation request", room_jid);
        return pv_stanza_fail(ctx, "wait", "internal-server-error", "Out of memory");
    }
    if (op->by)
        strcat(strcat(strcpy(op->by, room_jid), "/"), nick);
    op->logs = logs;
    op->in_ring = m != NULL;
    if (m) {
        retract(op);
        return PV_HANDLED;
    }
    /* older than the ring: the message before it, then the one after that */
    pv_store_query_t q = {.before_id = id, .max = 1, .last = 1};
    st->archive_query(h, op->room_name, &q, predecessor, op);
    return PV_HANDLED;
}

/* <moderate xmlns='urn:xmpp:message-moderate:1' id><retract/><reason/></moderate> */
static pv_verdict_t moderate1_iq(pv_stanza_ctx_t *ctx, void *ud)
{
    (void)ud;
    if (strcmp(ctx->type, "set") || !pv_el_is(ctx->payload, NS_MODERATE1, "moderate"))
        return PV_PASS;
    if (!pv_el_child(ctx->payload, NS_RETRACT1, "retract")) {
        if (!muc_api->room_find(ctx->to->bare))
            return pv_stanza_fail(ctx, "cancel", "item-not-found", "No such room");
        return pv_stanza_fail(ctx, "modify", "bad-request",
                              "Only retraction (<retract xmlns='" NS_RETRACT1 "'/>) is supported");
    }
    return handle(ctx, pv_el_attr(ctx->payload, "id"),
                  pv_el_child_text(ctx->payload, NS_MODERATE1, "reason"));
}

/* <apply-to xmlns='urn:xmpp:fasten:0' id><moderate xmlns=':0'><retract/></moderate></apply-to> */
static pv_verdict_t moderate0_iq(pv_stanza_ctx_t *ctx, void *ud)
{
    (void)ud;
    if (strcmp(ctx->type, "set") || !pv_el_is(ctx->payload, NS_FASTEN, "apply-to"))
        return PV_PASS;
    pv_el_t *mod = pv_el_child(ctx->payload, NS_MODERATE0, "moderate");
    if (!mod)
        return PV_PASS; /* another kind of fastening */
    if (!pv_el_child(mod, NS_RETRACT0, "retract"))
        return pv_stanza_fail(ctx, "modify", "bad-request", "Only retraction is supported");
    return handle(ctx, pv_el_attr(ctx->payload, "id"),
                  pv_el_child_text(mod, NS_MODERATE0, "reason"));
}

static pv_verdict_t moderate_disco(const pv_event_t *ev, void *payload, void *ud)
{
    (void)ev;
    (void)ud;
    pv_disco_info_t *info = payload;
    if (!disco_asks_room(info))
        return PV_PASS;
    pv_disco_query_feature(info->query, NS_MODERATE1);
    pv_disco_query_feature(info->query, NS_MODERATE0);
    return PV_PASS;
}

int moderate_start(void)
{
    if (muc_api->size < offsetof(pv_muc_api_t, room_broadcast) + sizeof muc_api->room_broadcast ||
        !muc_api->room_broadcast) {
        pv_log(PV_LOG_WARN, HIST, "muc-core has no room_broadcast: message moderation is off");
        return 0;
    }
    pv_event_t *ev = pv_event(PV_EVENT_DISCO_INFO);
    hook1 = pv_hook_stanza(PV_KIND_IQ, PV_TO_BARE, NS_MODERATE1, 0, moderate1_iq, NULL, HIST);
    hook0 = pv_hook_stanza(PV_KIND_IQ, PV_TO_BARE, NS_FASTEN, 0, moderate0_iq, NULL, HIST);
    disco_sub = ev ? pv_event_subscribe(ev, 0, moderate_disco, NULL, HIST) : NULL;
    if (!hook1 || !hook0 || !disco_sub) {
        pv_log(PV_LOG_ERROR, HIST, "cannot register message moderation (out of memory)");
        moderate_stop();
        return -1;
    }
    running = true;
    return 0;
}

void moderate_stop(void)
{
    running = false;
    pv_hook_remove(hook1);
    pv_hook_remove(hook0);
    if (disco_sub)
        pv_event_unsubscribe(disco_sub);
    hook1 = hook0 = NULL;
    disco_sub = NULL;
}
