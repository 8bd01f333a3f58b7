/*
 * unique.c: unique room names (XEP-0307). The service advertises
 * http://jabber.org/protocol/muc#unique, so an IQ get of an empty <unique/>
 * to the service must answer with a room name nobody uses, for a client
 * that wants to create a room without risking a conflict (ad-hoc group
 * chats). The name is the hex SHA-1 of 32 random URL-safe characters (192
 * random bits, 160 kept: the form of XEP-0307's example), so no one can
 * guess or repeat it; we still draw again when a room of that name exists
 * (every stored room is loaded at start, so this covers stored rooms too).
 * A tombstone or a reservation is not looked up: at 160 random bits a
 * collision with either is out of reach. Like Prosody, anyone may ask and
 * the name is not reserved: whoever joins it first creates the room.
 */
#include "muc_internal.h"
#include <string.h>

#define UNIQUE_TRIES 8

/* A fresh room name into out (41 bytes). Returns 0, or -1 when every draw
 * hit an existing room (only with a broken random source) or hashing failed. */
static int unique_name(char out[41])
{
    for (int i = 0; i < UNIQUE_TRIES; i++) {
        char seed[33];
        pv_random_id(seed, sizeof seed - 1);
        if (pv_sha1_hex(seed, strlen(seed), out) < 0)
            return -1;
        if (!rooms_get(out))
            return 0;
    }
    return -1;
}

pv_verdict_t unique_iq_handler(pv_stanza_ctx_t *ctx, void *ud)
{
    (void)ud;
    if (strcmp(ctx->type, "get"))
        return PV_PASS; /* a set: the core answers as for any IQ nobody takes */
    if (!pv_el_is(ctx->payload, NS_MUC_UNIQUE, "unique"))
        return refuse(ctx, "modify", "bad-request", "Expected an empty <unique/>");
    char name[41];
    if (unique_name(name) < 0) {
        pv_log(PV_LOG_ERROR, MUC, "cannot make a unique room name for %s", ctx->from->full);
        return refuse(ctx, "wait", "internal-server-error", "No unique room name could be made");
    }
    pv_el_t *res = pv_iq_result_new(ctx->stanza);
    pv_el_t *u = res ? pv_el_add_text_child(res, NS_MUC_UNIQUE, "unique", name) : NULL;
    if (!u) {
        pv_el_free(res);
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    }
    pv_send(res);
    pv_el_free(res);
    return PV_HANDLED;
}
