/*
 * core/send.c: the way out: sending stanzas and building replies.
 *
 * pv_send() serializes a tree and hands the bytes to the output seam
 * (core/output.h): the component stream when connected, a capture buffer in
 * tests. Replies are built here in one place so that every error in Palaver
 * has the RFC 6120 shape: addresses swapped, type='error', then
 * <error type=...><condition/><text/></error> in the
 * urn:ietf:params:xml:ns:xmpp-stanzas namespace. An error or a result is
 * never answered with an error (that is how error loops start).
 *
 * Error replies carry none of the original payload (RFC 6120 §8.3.1 says an
 * error MAY include it; Prosody's never do, and neither do ours): the payload
 * is what the sender wrote, and it can hold secrets (a join's <password/>, a
 * configuration form's muc#roomconfig_roomsecret, a registration form) that
 * must not travel again, in a stanza a client library may log or show.
 */
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "output.h"
#include "router_internal.h"
#include <palaver/log.h>
#include <palaver/router.h>

int pv_send(const pv_el_t *stanza)
{
    if (!stanza)
        return -1;
    size_t len = 0;
    char *buf = pv_el_serialize(stanza, &len);
    if (!buf) {
        pv_log(PV_LOG_ERROR, "core", "cannot serialize <%s/> to %s: not sent",
               stanza->name ? stanza->name : "?",
               pv_el_attr(stanza, "to") ? pv_el_attr(stanza, "to") : "(no to)");
        return -1;
    }
    router_note_sent(stanza); /* an answer now, even if the output drops it */
    /* The stream's sink logs the bytes (-vv) and a full buffer (once). */
    int rc = output_write(buf, len);
    if (rc >= 0)
        metrics_stanza_sent(stanza); /* errors, by condition */
    if (rc < 0)
        pv_log(PV_LOG_DEBUG, "core", "<%s/> to %s dropped: output not connected or full",
               stanza->name, pv_el_attr(stanza, "to") ? pv_el_attr(stanza, "to") : "(no to)");
    free(buf);
    return rc < 0 ? -1 : 0;
}

/* Replies go out in the component namespace even when the original was
 * read as jabber:client (normally already normalised by the parser). */
static const char *reply_ns(const pv_el_t *orig)
{
    if (!orig->ns || strcmp(orig->ns, PV_NS_CLIENT) == 0)
        return PV_NS_STANZA;
    return orig->ns;
}

/* New root `name`, with to/from swapped and the same id. */
static pv_el_t *reply_skeleton(const pv_el_t *orig, const char *name, const char *type)
{
    pv_el_t *r = pv_el_new(reply_ns(orig), name);
    if (!r)
        return NULL;
    const char *from = pv_el_attr(orig, "from"), *to = pv_el_attr(orig, "to"),
               *id = pv_el_attr(orig, "id");
    if ((from && pv_el_set_attr(r, "to", from) < 0) || (to && pv_el_set_attr(r, "from", to) < 0) ||
        (id && pv_el_set_attr(r, "id", id) < 0) || pv_el_set_attr(r, "type", type) < 0) {
        pv_el_free(r);
        return NULL;
    }
    return r;
}

pv_el_t *pv_error_new(const pv_el_t *orig, const char *type, const char *condition,
                      const char *text)
{
    if (!orig || orig->kind != PV_EL_ELEMENT || !orig->name)
        return NULL;
    const char *otype = pv_el_attr(orig, "type");
    if (otype && (strcmp(otype, "error") == 0 || strcmp(otype, "result") == 0))
        return NULL;
    if (!type)
        type = "cancel";
    if (!condition)
        condition = "undefined-condition";
    pv_el_t *r = reply_skeleton(orig, orig->name, "error");
    if (!r)
        goto nomem;
    /* no copy of orig's children: see the top of this file */
    pv_el_t *err = pv_el_add(r, reply_ns(orig), "error");
    if (!err || pv_el_set_attr(err, "type", type) < 0 ||
        !pv_el_add(err, PV_NS_STANZAS, condition) ||
        (text && !pv_el_add_text_child(err, PV_NS_STANZAS, "text", text)))
        goto nomem;
    return r;
nomem:
    pv_log(PV_LOG_ERROR, "core", "cannot build %s error to %s: out of memory", condition,
           pv_el_attr(orig, "from") ? pv_el_attr(orig, "from") : "(no from)");
    pv_el_free(r);
    return NULL;
}

int pv_send_error(const pv_el_t *orig, const char *type, const char *condition, const char *text)
{
    pv_el_t *e = pv_error_new(orig, type, condition, text);
    if (!e)
        return -1;
    int rc = pv_send(e);
    pv_el_free(e);
    return rc;
}

pv_el_t *pv_iq_result_new(const pv_el_t *iq)
{
    if (!iq || iq->kind != PV_EL_ELEMENT)
        return NULL;
    pv_el_t *r = reply_skeleton(iq, "iq", "result");
    if (!r)
        pv_log(PV_LOG_ERROR, "core", "cannot build IQ result to %s: out of memory",
               pv_el_attr(iq, "from") ? pv_el_attr(iq, "from") : "(no from)");
    return r;
}
