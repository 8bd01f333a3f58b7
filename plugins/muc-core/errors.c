/*
 * errors.c: the helpers every handler uses to refuse a stanza: the XMPP
 * condition XEP-0045 names, with a human <text>, from the JID the user
 * addressed (the core builds the reply without the original payload, so no
 * password or submitted form travels back); plus the room lookup every
 * handler starts with.
 */
#include "muc_internal.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

pv_verdict_t refuse(pv_stanza_ctx_t *ctx, const char *type, const char *cond, const char *text)
{
    pv_log(PV_LOG_DEBUG, MUC, "refusing %s from %s to %s: %s (%s)",
           ctx->kind == PV_KIND_IQ        ? "iq"
           : ctx->kind == PV_KIND_MESSAGE ? "message"
                                          : "presence",
           ctx->from->full, ctx->to->full, cond, text ? text : "");
    if (!strcmp(ctx->type, "error"))
        return PV_HANDLED; /* never answer an error */
    return pv_stanza_fail(ctx, type, cond, text);
}

room_t *room_of(const pv_jid_t *to)
{
    return to->node ? rooms_get(to->node) : NULL;
}

/* The core reads an error's text after the handler returned, before the next
 * stanza: one static buffer is enough (the daemon is single-threaded). */
const char *errtext(const char *fmt, ...)
{
    static char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return buf;
}
