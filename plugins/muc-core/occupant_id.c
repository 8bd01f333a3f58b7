/*
 * occupant_id.c: XEP-0421 anonymous unique occupant identifiers. The id is an
 * HMAC-SHA-256 of the user's bare JID keyed by a service secret and the room
 * JID, so it is stable for one user in one room, differs between rooms, and
 * reveals nothing. It is added to every presence and message the room sends
 * on an occupant's behalf (any id the client sent is removed first).
 */
#include "muc_internal.h"
#include <stdio.h>
#include <string.h>

void occupant_id_compute(const room_t *r, const char *bare, char out[45])
{
    char key[2048];
    char hex[65];
    int n = snprintf(key, sizeof key, "%s\n%s", muc->occupant_id_secret, r->jid);
    if (n < 0 || (size_t)n >= sizeof key)
        n = (int)sizeof key - 1;
    if (pv_hmac_sha256_hex(key, (size_t)n, bare, strlen(bare), hex) < 0) {
        pv_log(PV_LOG_ERROR, MUC, "cannot compute occupant-id in %s", r->jid);
        hex[0] = '\0';
    }
    memcpy(out, hex, 44);
    out[44] = '\0';
}

void occupant_id_add(pv_el_t *stanza, const occupant_t *o)
{
    pv_el_remove_children(stanza, NS_OCCUPANT_ID, "occupant-id");
    pv_el_t *id = pv_el_add(stanza, NS_OCCUPANT_ID, "occupant-id");
    if (id)
        pv_el_set_attr(id, "id", o->occupant_id);
}
