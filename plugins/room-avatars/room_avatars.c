/*
 * room-avatars: room avatars (XEP-0486, with vcard-temp XEP-0054 and the
 * XEP-0153 update element), a companion of muc-core: loaded with it unless
 * <plugins> has <room-avatars enabled="false"/>. Owners set the room's
 * vCard with an IQ set of
 * <vCard xmlns='vcard-temp'><PHOTO><TYPE/><BINVAL/></PHOTO></vCard> to the
 * room JID (a vCard without a photo removes the avatar); whoever may see the
 * room gets it with an IQ get. Only the photo is kept: its type, its base64
 * data (at most <avatar-max-bytes> decoded bytes, default 64 KiB, read from
 * muc-core's element where it is declared; larger is not-acceptable) and the
 * SHA-1 of the image, as three keys stored with the room
 * (palaver/muc.h's room_key_set), so they survive restarts, also while the
 * plugin is off. The hash is in the room's disco#info
 * (muc#roominfo_avatarhash, in the roominfo form disco-extended builds, or a
 * form of our own when it is not loaded; PV_MUC_CONFIG_AVATAR_HASH lets
 * other plugins read it), with the vcard-temp feature. A change is
 * announced to the occupants by a presence from the room JID with
 * <x xmlns='vcard-temp:x:update'><photo>HASH</photo></x> and a status 104
 * message (the room's look changed); joiners get that presence too. As for
 * other changes, a stored room's new avatar is written first (room_store)
 * and answered and announced once the backend said yes.
 *
 * It uses muc-core's public API (palaver/muc.h) only.
 */
#include <palaver/disco_extended.h>
#include <palaver/form.h>
#include <palaver/muc.h>
#include <palaver/palaver.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME "room-avatars"
#define NS_VCARD "vcard-temp"
#define NS_VCARD_UPDATE "vcard-temp:x:update"
#define NS_MUC_USER "http://jabber.org/protocol/muc#user"
#define KEY_TYPE "x-palaver#avatar-type"
#define KEY_DATA "x-palaver#avatar-data"
#define KEY_HASH PV_MUC_CONFIG_AVATAR_HASH
/* The entries of pv_muc_api_t this plugin calls: all up to room_store. */
#define API_NEEDED (offsetof(pv_muc_api_t, room_store) + sizeof(void (*)(void)))

static const pv_muc_api_t *api;
static long max_bytes = 65536;
static bool running; /* false once shut down: a late storage answer only frees */

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

/* ---- small helpers ---- */

static char *dup_str(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* ---- the stored photo ---- */

static const char *photo_hash(const pv_muc_room_t *r)
{
    const char *h = api->room_config(r, KEY_HASH);
    return h && *h ? h : NULL;
}

static const char *key_or_empty(const pv_muc_room_t *r, const char *key)
{
    const char *v = api->room_config(r, key);
    return v ? v : "";
}

static bool same_bare(pv_muc_occupant_t *occ, size_t i, void *ud)
{
    (void)i;
    const char **bare = ud;
    if (strcmp(api->occupant_bare_jid(occ), *bare) != 0)
        return true;
    *bare = NULL; /* found: stop */
    return false;
}

static bool may_see_room(const pv_muc_room_t *r, const pv_jid_t *who)
{
    pv_muc_aff_t a = api->affiliation(r, who->bare);
    if (a == PV_MUC_AFF_OWNER)
        return true;
    if (api->room_locked(r) || a == PV_MUC_AFF_OUTCAST)
        return false;
    if (api->room_config_bool(r, "muc#roomconfig_publicroom") || a >= PV_MUC_AFF_MEMBER)
        return true;
    const char *bare = who->bare;
    api->room_occupants(r, same_bare, &bare);
    return bare == NULL; /* one of the occupants is this user */
}

/* The presence announcing the current hash (an empty <photo/> when none). Caller frees. */
static pv_el_t *update_presence(const pv_muc_room_t *r)
{
    pv_el_t *p = pv_el_new(PV_NS_STANZA, "presence");
    pv_el_t *x = p ? pv_el_add(p, NS_VCARD_UPDATE, "x") : NULL;
    if (!x || pv_el_set_attr(p, "from", api->room_jid(r)) < 0 ||
        !pv_el_add_text_child(x, NS_VCARD_UPDATE, "photo", photo_hash(r))) {
        pv_el_free(p);
        pv_log(PV_LOG_ERROR, NAME, "room %s: out of memory announcing its avatar",
               api->room_jid(r));
        return NULL;
    }
    return p;
}

/* Tells every occupant: the update presence, then a status 104 message. */
static void announce(const pv_muc_room_t *r)
{
    pv_el_t *p = update_presence(r);
    if (p)
        api->room_broadcast(r, p);
    pv_el_free(p);
    pv_el_t *m = pv_el_new(PV_NS_STANZA, "message");
    pv_el_t *x = m ? pv_el_add(m, NS_MUC_USER, "x") : NULL;
    pv_el_t *st = x ? pv_el_add(x, NS_MUC_USER, "status") : NULL;
    if (!st || pv_el_set_attr(m, "from", api->room_jid(r)) < 0 ||
        pv_el_set_attr(m, "type", "groupchat") < 0 || pv_el_set_attr(st, "code", "104") < 0)
        pv_log(PV_LOG_ERROR, NAME, "room %s: out of memory announcing its avatar",
               api->room_jid(r));
    else
        api->room_broadcast(r, m);
    pv_el_free(m);
}

/* ---- get ---- */

static pv_verdict_t vcard_get(pv_stanza_ctx_t *ctx, pv_muc_room_t *r)
{
    pv_el_t *res = pv_iq_result_new(ctx->stanza);
    pv_el_t *v = res ? pv_el_add(res, NS_VCARD, "vCard") : NULL;
    bool ok = v != NULL;
    if (ok && photo_hash(r)) {
        pv_el_t *ph = pv_el_add(v, NS_VCARD, "PHOTO");
        ok = ph && pv_el_add_text_child(ph, NS_VCARD, "TYPE", key_or_empty(r, KEY_TYPE)) &&
             pv_el_add_text_child(ph, NS_VCARD, "BINVAL", key_or_empty(r, KEY_DATA));
    }
    if (!ok) {
        pv_el_free(res);
        return pv_stanza_fail(ctx, "wait", "internal-server-error", "Out of memory");
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
        pv_log(PV_LOG_WARN, NAME, "could not answer a room vCard set");
    pv_el_free(res);
}

static void stored(bool ok, void *ud)
{
    avatar_op_t *op = ud;
    pv_muc_room_t *r = running ? api->room_find(op->room) : NULL;
    if (!running) {
        op_free(op);
        return;
    }
    if (!ok) {
        for (int i = 0; r && i < 3; i++)
            api->room_key_set(r, keys[i], op->old[i] ? op->old[i] : "");
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

static pv_verdict_t vcard_set(pv_stanza_ctx_t *ctx, pv_muc_room_t *r)
{
    if (api->affiliation(r, ctx->from->bare) != PV_MUC_AFF_OWNER)
        return pv_stanza_fail(ctx, "auth", "forbidden", "Only owners may set the room's vCard");
    pv_el_t *photo = pv_el_child(ctx->payload, NS_VCARD, "PHOTO");
    const char *binval = photo ? pv_el_child_text(photo, NS_VCARD, "BINVAL") : NULL;
    const char *type = photo ? pv_el_child_text(photo, NS_VCARD, "TYPE") : NULL;
    char *vals[3] = {NULL, NULL, NULL}; /* type, clean base64, hash */
    if (photo && !binval && pv_el_child(photo, NS_VCARD, "EXTVAL"))
        return pv_stanza_fail(ctx, "modify", "not-acceptable",
                              "The room's photo must be sent as BINVAL (EXTVAL is not kept)");
    if (binval && strspn(binval, " \t\r\n") < strlen(binval)) {
        if (!type || !*type || strlen(type) > 100 || strchr(type, '/') == NULL)
            return pv_stanza_fail(
                ctx, "modify", "bad-request",
                "The PHOTO needs a TYPE naming the image's media type (image/png...)");
        unsigned char *bin;
        size_t len;
        if (b64_decode(binval, &bin, &len, &vals[1]) < 0)
            return pv_stanza_fail(ctx, "modify", "bad-request", "The PHOTO's BINVAL is not base64");
        if ((long)len > max_bytes) {
            free(bin);
            free(vals[1]);
            return pv_stanza_failf(ctx, "modify", "not-acceptable",
                                   "The avatar is too large: this service accepts at most %ld "
                                   "bytes",
                                   max_bytes);
        }
        vals[2] = malloc(41);
        vals[0] = dup_str(type);
        if (!vals[0] || !vals[2] || pv_sha1_hex(bin, len, vals[2]) < 0) {
            free(bin);
            for (int i = 0; i < 3; i++)
                free(vals[i]);
            return pv_stanza_fail(ctx, "wait", "internal-server-error", "Out of memory");
        }
        free(bin);
    }
    avatar_op_t *op = calloc(1, sizeof *op);
    bool oom =
        !op || !(op->room = dup_str(api->room_name(r))) || !(op->iq = pv_el_clone(ctx->stanza));
    for (int i = 0; !oom && i < 3; i++) {
        const char *cur = api->room_config(r, keys[i]);
        oom = cur && *cur && !(op->old[i] = dup_str(cur));
    }
    for (int i = 0; !oom && i < 3; i++)
        oom = api->room_key_set(r, keys[i], vals[i] ? vals[i] : "") < 0;
    for (int i = 0; i < 3; i++)
        free(vals[i]);
    if (oom) {
        for (int i = 0; op && i < 3; i++) /* what was set goes back */
            api->room_key_set(r, keys[i], op->old[i] ? op->old[i] : "");
        op_free(op);
        return pv_stanza_fail(ctx, "wait", "internal-server-error", "Out of memory");
    }
    pv_log(PV_LOG_INFO, NAME, "room %s: avatar %s by %s", api->room_jid(r),
           photo_hash(r) ? "set" : "removed", ctx->from->full);
    api->room_store(r, stored, op);
    return PV_HANDLED;
}

static pv_verdict_t avatar_iq_handler(pv_stanza_ctx_t *ctx, void *ud)
{
    (void)ud;
    bool get = !strcmp(ctx->type, "get"), set = !strcmp(ctx->type, "set");
    if ((!get && !set) || !pv_el_is(ctx->payload, NS_VCARD, "vCard"))
        return PV_PASS;
    pv_muc_room_t *r = ctx->to->node ? api->room_find(ctx->to->node) : NULL;
    if (!r || !may_see_room(r, ctx->from))
        return pv_stanza_fail(ctx, "cancel", "item-not-found", "No such room");
    return get ? vcard_get(ctx, r) : vcard_set(ctx, r);
}

/* ---- disco#info and joins ---- */

/* The room a disco#info answer is about, or NULL. */
static pv_muc_room_t *disco_room(const pv_disco_info_t *info)
{
    if (!running || info->node || !info->target || !info->target->node || info->target->resource)
        return NULL;
    pv_muc_room_t *r = api->room_find(info->target->node);
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
    pv_muc_room_t *r = disco_room(info);
    const char *hash = r ? photo_hash(r) : NULL;
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
        pv_log(PV_LOG_ERROR, NAME, "room %s: out of memory adding its avatar hash",
               api->room_jid(r));
    return PV_PASS;
}

static pv_verdict_t on_joined(const pv_event_t *ev, void *payload, void *ud)
{
    (void)ev;
    (void)ud;
    pv_muc_occupant_event_t *oe = payload;
    pv_muc_room_t *r = oe->room;
    if (!r || !photo_hash(r) || !oe->real_jid)
        return PV_PASS;
    pv_el_t *p = update_presence(r);
    if (p && (pv_el_set_attr(p, "to", oe->real_jid->full) < 0 || pv_send(p) < 0))
        pv_log(PV_LOG_WARN, NAME, "room %s: avatar presence to %s not sent", api->room_jid(r),
               oe->real_jid->full);
    pv_el_free(p);
    return PV_PASS;
}

/* <avatar-max-bytes> in muc-core's element, which declares and checks it. */
static long read_max_bytes(void)
{
    const pv_config_t *root = pv_config_root();
    const pv_config_t *plugins = root ? pv_el_child(root, NULL, "plugins") : NULL;
    const pv_config_t *core = plugins ? pv_el_child(plugins, NULL, "muc-core") : NULL;
    long v = 65536;
    if (pv_config_int(core, "avatar-max-bytes", 65536, 0, 16L * 1024 * 1024, NAME, &v) < 0)
        return -1;
    return v;
}

static int avatars_start(pv_plugin_handle_t *h, const pv_config_t *cfg, void **state)
{
    (void)cfg;
    *state = NULL;
    api = pv_muc_api();
    if (!api || api->size < API_NEEDED) {
        pv_log(PV_LOG_ERROR, NAME,
               "muc-core is missing or too old (it needs room_store, "
               "palaver/muc.h's PV_MUC_API_ROOM_KEYS)");
        return -1;
    }
    if ((max_bytes = read_max_bytes()) < 0)
        return -1;
    pv_event_t *dev = pv_event(PV_EVENT_DISCO_INFO), *jev = pv_event(PV_MUC_EVENT_JOINED);
    /* the form after every other contribution, disco-extended's (priority 0) included */
    if (!dev || !jev ||
        !pv_plugin_hook_stanza(h, PV_KIND_IQ, PV_TO_BARE, NS_VCARD, 0, avatar_iq_handler, NULL) ||
        !pv_plugin_subscribe(h, dev, 10, on_disco_feature, NULL) ||
        !pv_plugin_subscribe(h, dev, -100, on_disco_form, NULL) ||
        !pv_plugin_subscribe(h, jev, 0, on_joined, NULL)) {
        pv_log(PV_LOG_ERROR, NAME, "cannot register room avatars (out of memory)");
        return -1;
    }
    running = true;
    return 0;
}

/* The hook and subscriptions go with the handle. */
static void avatars_shutdown(void *state)
{
    (void)state;
    running = false;
}

/* SIGHUP: a new <avatar-max-bytes> counts for avatars set from now on. */
static int avatars_reconfigure(void *state, const pv_config_t *cfg)
{
    (void)state;
    (void)cfg;
    long v = read_max_bytes();
    if (v < 0)
        return -1;
    max_bytes = v;
    return 0;
}

static const char *const requires[] = {"muc-core", NULL};
static const pv_config_key_t config_keys[] = {{.type = PV_KEY_END}};

PV_PLUGIN_DEFINE(room_avatars) = {
    .abi_major = PV_ABI_MAJOR,
    .abi_minor = PV_ABI_MINOR,
    .name = "room-avatars",
    .version = "1.0",
    .requires = requires,
    .reconfigure = avatars_reconfigure,
    .shutdown = avatars_shutdown,
    .config_keys = config_keys,
    .start = avatars_start,
};
