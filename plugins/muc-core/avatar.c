/*
 * avatar.c: room avatars (XEP-0486, with vcard-temp XEP-0054 and the
 * XEP-0153 update element). Owners set the room's vCard with an IQ set of
 * <vCard xmlns='vcard-temp'><PHOTO><TYPE/><BINVAL/></PHOTO></vCard> to the
 * room JID (a vCard without a photo removes the avatar); whoever may see the
 * room gets it with an IQ get. Only the photo is kept: its type, its base64
 * data (at most <avatar-max-bytes> decoded bytes, default 64 KiB; larger is
 * not-acceptable) and the SHA-1 of the image, as three extra keys of the
 * room's stored configuration (extensions.c keeps them in memory and
 * persist.c stores them with the room), so they survive restarts.
 * The hash is in the room's disco#info (muc#roominfo_avatarhash, in the
 * roominfo form disco-extended builds, or a form of our own when it is not
 * loaded; PV_MUC_CONFIG_AVATAR_HASH lets other plugins read it), with the
 * vcard-temp feature. A change is announced to the occupants by a presence
 * from the room JID with <x xmlns='vcard-temp:x:update'><photo>HASH</photo></x>
 * and a status 104 message (the room's look changed); joiners get that
 * presence too. As for other changes, a stored room's new avatar is written
 * first and applied, answered and announced once the backend said yes.
 */
#include "avatar.h"
#include "muc_internal.h"
#include <palaver/disco_extended.h>
#include <stdlib.h>
#include <string.h>

#define NS_VCARD "vcard-temp"
#define NS_VCARD_UPDATE "vcard-temp:x:update"
#define KEY_TYPE "x-palaver#avatar-type"
#define KEY_DATA "x-palaver#avatar-data"
#define KEY_HASH PV_MUC_CONFIG_AVATAR_HASH

static long max_bytes = 65536;
static pv_hook_t *vcard_hook;
static pv_subscription_t *feature_sub, *form_sub, *joined_sub;

/* ---- base64 (RFC 4648; white space ignored, as vCard BINVAL is folded) ---- */

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Decodes `in` into a malloc'd buffer (*out, caller frees; *outlen bytes)
 * and the same text without white space into *clean (malloc'd). -1 when
 * malformed (or out of memory). */
static int b64_decode(const char *in, unsigned char **out, size_t *outlen, char **clean)
{
    size_t len = strlen(in), n = 0, k = 0, pad = 0;
    unsigned char *buf = malloc(len / 4 * 3 + 3);
    char *c = malloc(len + 1);
    uint32_t acc = 0;
    int bits = 0;
    if (!buf || !c)
        goto bad;
    for (const char *p = in; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n')
            continue;
        c[k++] = (char)ch;
        if (ch == '=') {
            pad++;
            continue;
        }
        int v = b64_value(ch);
        if (v < 0 || pad)
            goto bad; /* a stray character, or data after the padding */
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[n++] = (unsigned char)(acc >> bits);
        }
    }
    if (k % 4 != 0 || pad > 2 || k == 0)
        goto bad;
    c[k] = '\0';
    *out = buf;
    *outlen = n;
    *clean = c;
    return 0;
bad:
    free(buf);
    free(c);
    return -1;
}

/* ---- the stored photo ---- */

static const char *photo_hash(const room_t *r)
{
    const char *h = ext_config_get(r, KEY_HASH);
    return h && *h ? h : NULL;
}

static bool may_see_room(const room_t *r, const pv_jid_t *who)
{
    pv_muc_aff_t a = room_aff(r, who->bare);
    if (a == PV_MUC_AFF_OWNER)
        return true;
    if (r->locked || a == PV_MUC_AFF_OUTCAST)
        return false;
    return room_is_public(r) || a >= PV_MUC_AFF_MEMBER || occupant_by_bare(r, who->bare);
}

/* The presence announcing the current hash (an empty <photo/> when none). Caller frees. */
static pv_el_t *update_presence(const room_t *r)
{
    pv_el_t *p = pv_el_new(PV_NS_STANZA, "presence");
    pv_el_t *x = p ? pv_el_add(p, NS_VCARD_UPDATE, "x") : NULL;
    if (!x || pv_el_set_attr(p, "from", r->jid) < 0 ||
        !pv_el_add_text_child(x, NS_VCARD_UPDATE, "photo", photo_hash(r))) {
        pv_el_free(p);
        pv_log(PV_LOG_ERROR, MUC, "room %s: out of memory announcing its avatar", r->jid);
        return NULL;
    }
    return p;
}

/* Tells every occupant: the update presence, then a status 104 message. */
static void announce(const room_t *r)
{
    const pv_muc_api_t *api = pv_muc_api();
    pv_el_t *p = update_presence(r);
    if (p && api)
        api->room_broadcast(r, p);
    pv_el_free(p);
    pv_el_t *m = pv_el_new(PV_NS_STANZA, "message");
    pv_el_t *x = m ? pv_el_add(m, NS_MUC_USER, "x") : NULL;
    pv_el_t *st = x ? pv_el_add(x, NS_MUC_USER, "status") : NULL;
    if (!st || pv_el_set_attr(m, "from", r->jid) < 0 ||
        pv_el_set_attr(m, "type", "groupchat") < 0 || pv_el_set_attr(st, "code", "104") < 0)
        pv_log(PV_LOG_ERROR, MUC, "room %s: out of memory announcing its avatar", r->jid);
    else if (api)
        api->room_broadcast(r, m);
    pv_el_free(m);
}

/* ---- get ---- */

static pv_verdict_t vcard_get(pv_stanza_ctx_t *ctx, room_t *r)
{
    pv_el_t *res = pv_iq_result_new(ctx->stanza);
    pv_el_t *v = res ? pv_el_add(res, NS_VCARD, "vCard") : NULL;
    bool ok = v != NULL;
    if (ok && photo_hash(r)) {
        pv_el_t *ph = pv_el_add(v, NS_VCARD, "PHOTO");
        ok = ph && pv_el_add_text_child(ph, NS_VCARD, "TYPE", ext_config_get(r, KEY_TYPE)) &&
             pv_el_add_text_child(ph, NS_VCARD, "BINVAL", ext_config_get(r, KEY_DATA));
    }
    if (!ok) {
        pv_el_free(res);
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    }
    pv_send(res);
    pv_el_free(res);
    return PV_HANDLED;
}

/* ---- set ---- */

/* A change waiting for the backend: the request and the values to put back. */
typedef struct avatar_op {
    char *room;   /* node; owned */
    pv_el_t *iq;  /* clone of the request; owned */
    char *old[3]; /* previous type, data, hash (owned; NULL: none) */
} avatar_op_t;

static const char *const keys[3] = {KEY_TYPE, KEY_DATA, KEY_HASH};

static void op_free(avatar_op_t *op)
{
    if (!op)
        return;
    free(op->room);
    pv_el_free(op->iq);
    for (int i = 0; i < 3; i++)
        free(op->old[i]);
    free(op);
}

static void answer(const pv_el_t *iq)
{
    pv_el_t *res = pv_iq_result_new(iq);
    if (!res || pv_send(res) < 0)
        pv_log(PV_LOG_WARN, MUC, "could not answer a room vCard set");
    pv_el_free(res);
}

static void stored(bool ok, void *ud)
{
    avatar_op_t *op = ud;
    room_t *r = muc ? rooms_get(op->room) : NULL;
    if (!muc) {
        op_free(op);
        return;
    }
    if (!ok) {
        for (int i = 0; r && i < 3; i++)
            ext_config_load(r, keys[i], op->old[i] ? op->old[i] : "");
        pv_send_error(op->iq, "wait", "internal-server-error",
                      "The avatar could not be stored; it was not changed");
        op_free(op);
        return;
    }
    answer(op->iq);
    if (r)
        announce(r);
    op_free(op);
}

static pv_verdict_t vcard_set(pv_stanza_ctx_t *ctx, room_t *r)
{
    if (room_aff(r, ctx->from->bare) != PV_MUC_AFF_OWNER)
        return refuse(ctx, "auth", "forbidden", "Only owners may set the room's vCard");
    pv_el_t *photo = pv_el_child(ctx->payload, NS_VCARD, "PHOTO");
    const char *binval = photo ? pv_el_child_text(photo, NS_VCARD, "BINVAL") : NULL;
    const char *type = photo ? pv_el_child_text(photo, NS_VCARD, "TYPE") : NULL;
    char *vals[3] = {NULL, NULL, NULL}; /* type, clean base64, hash */
    if (photo && !binval && pv_el_child(photo, NS_VCARD, "EXTVAL"))
        return refuse(ctx, "modify", "not-acceptable",
                      "The room's photo must be sent as BINVAL (EXTVAL is not kept)");
    if (binval && strspn(binval, " \t\r\n") < strlen(binval)) {
        if (!type || !*type || strlen(type) > 100 || strchr(type, '/') == NULL)
            return refuse(ctx, "modify", "bad-request",
                          "The PHOTO needs a TYPE naming the image's media type (image/png...)");
        unsigned char *bin;
        size_t len;
        if (b64_decode(binval, &bin, &len, &vals[1]) < 0)
            return refuse(ctx, "modify", "bad-request", "The PHOTO's BINVAL is not base64");
        if ((long)len > max_bytes) {
            free(bin);
            free(vals[1]);
            return refuse(ctx, "modify", "not-acceptable",
                          errtext("The avatar is too large: this service accepts at most %ld "
                                  "bytes",
                                  max_bytes));
        }
        vals[2] = malloc(41);
        vals[0] = xstrdup(type);
        if (!vals[0] || !vals[2] || pv_sha1_hex(bin, len, vals[2]) < 0) {
            free(bin);
            for (int i = 0; i < 3; i++)
                free(vals[i]);
            return refuse(ctx, "wait", "internal-server-error", "Out of memory");
        }
        free(bin);
    }
    avatar_op_t *op = calloc(1, sizeof *op);
    bool oom = !op || !(op->room = xstrdup(r->name)) || !(op->iq = pv_el_clone(ctx->stanza));
    for (int i = 0; !oom && i < 3; i++) {
        const char *cur = ext_config_get(r, keys[i]);
        oom = cur && *cur && !(op->old[i] = xstrdup(cur));
    }
    if (oom) {
        op_free(op);
        for (int i = 0; i < 3; i++)
            free(vals[i]);
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    }
    for (int i = 0; i < 3; i++) {
        ext_config_load(r, keys[i], vals[i] ? vals[i] : "");
        free(vals[i]);
    }
    pv_log(PV_LOG_INFO, MUC, "room %s: avatar %s by %s", r->jid, photo_hash(r) ? "set" : "removed",
           ctx->from->full);
    if (room_cfg_bool(r, CF_PERSISTENT) && r->stored)
        persist_config(r, NULL, r->subject, r->subject_from, NULL, 0, stored, op);
    else
        stored(true, op);
    return PV_HANDLED;
}

static pv_verdict_t avatar_iq_handler(pv_stanza_ctx_t *ctx, void *ud)
{
    (void)ud;
    bool get = !strcmp(ctx->type, "get"), set = !strcmp(ctx->type, "set");
    if ((!get && !set) || !pv_el_is(ctx->payload, NS_VCARD, "vCard"))
        return PV_PASS;
    room_t *r = room_of(ctx->to);
    if (!r || !may_see_room(r, ctx->from))
        return refuse(ctx, "cancel", "item-not-found", "No such room");
    return get ? vcard_get(ctx, r) : vcard_set(ctx, r);
}

/* ---- disco#info and joins ---- */

/* The room a disco#info answer is about, or NULL. */
static room_t *disco_room(const pv_disco_info_t *info)
{
    if (!muc || info->node || !info->target || !info->target->node || info->target->resource)
        return NULL;
    room_t *r = room_of(info->target);
    return r && (void *)r == info->subject ? r : NULL;
}

/* Early (priority 10): the feature goes with the others, before any form. */
static pv_verdict_t on_disco_feature(const pv_event_t *ev, void *payload, void *ud)
{
    (void)ev;
    (void)ud;
    pv_disco_info_t *info = payload;
    if (disco_room(info))
        pv_disco_query_feature(info->query, NS_VCARD);
    return PV_PASS;
}

/* Last (priority -100): the hash, in the roominfo form. */
static pv_verdict_t on_disco_form(const pv_event_t *ev, void *payload, void *ud)
{
    (void)ev;
    (void)ud;
    pv_disco_info_t *info = payload;
    room_t *r = disco_room(info);
    if (!r)
        return PV_PASS;
    const char *hash = photo_hash(r);
    if (!hash)
        return PV_PASS;
    /* disco-extended's form when it built one, else a form of our own */
    pv_el_t *form = pv_form_find(info->query, PV_NS_MUC_ROOMINFO);
    if (!form)
        form = pv_form_new(info->query, "result", PV_NS_MUC_ROOMINFO, NULL, NULL);
    if (form && !pv_form_field(form, "muc#roominfo_avatarhash") &&
        !pv_form_add_field(form, "muc#roominfo_avatarhash", "text-multi", "Avatar Hash", hash))
        form = NULL;
    if (!form)
        pv_log(PV_LOG_ERROR, MUC, "room %s: out of memory adding its avatar hash", r->jid);
    return PV_PASS;
}

static pv_verdict_t on_joined(const pv_event_t *ev, void *payload, void *ud)
{
    (void)ev;
    (void)ud;
    pv_muc_occupant_event_t *oe = payload;
    room_t *r = (room_t *)oe->room;
    if (!r || !photo_hash(r) || !oe->real_jid)
        return PV_PASS;
    pv_el_t *p = update_presence(r);
    if (p && (pv_el_set_attr(p, "to", oe->real_jid->full) < 0 || pv_send(p) < 0))
        pv_log(PV_LOG_WARN, MUC, "room %s: avatar presence to %s not sent", r->jid,
               oe->real_jid->full);
    pv_el_free(p);
    return PV_PASS;
}

int avatar_init(const pv_config_t *cfg)
{
    max_bytes = pv_key_int(muc_handle, cfg, "avatar-max-bytes");
    pv_event_t *dev = pv_event(PV_EVENT_DISCO_INFO), *jev = pv_event(PV_MUC_EVENT_JOINED);
    vcard_hook = pv_plugin_hook_stanza(muc_handle, PV_KIND_IQ, PV_TO_BARE, NS_VCARD, 0,
                                       avatar_iq_handler, NULL);
    /* the form after every other contribution, disco-extended's (priority 0) included */
    feature_sub = dev ? pv_plugin_subscribe(muc_handle, dev, 10, on_disco_feature, NULL) : NULL;
    form_sub = dev ? pv_plugin_subscribe(muc_handle, dev, -100, on_disco_form, NULL) : NULL;
    joined_sub = jev ? pv_plugin_subscribe(muc_handle, jev, 0, on_joined, NULL) : NULL;
    if (!vcard_hook || !feature_sub || !form_sub || !joined_sub) {
        pv_log(PV_LOG_ERROR, MUC, "cannot register room avatars (out of memory)");
        avatar_shutdown();
        return -1;
    }
    return 0;
}

void avatar_shutdown(void)
{
    pv_hook_remove(vcard_hook);
    if (feature_sub)
        pv_event_unsubscribe(feature_sub);
    if (form_sub)
        pv_event_unsubscribe(form_sub);
    if (joined_sub)
        pv_event_unsubscribe(joined_sub);
    vcard_hook = NULL;
    feature_sub = form_sub = joined_sub = NULL;
}
