/*
 * core/traffic_log.c: the -vv log of what crosses the component stream, with
 * secrets taken out.
 *
 * Operators turn raw traffic logging on to debug a client or a server, and
 * then mail the log around. It must not carry room passwords, the secrets of
 * configuration forms or registration forms, or the handshake digest. So
 * traffic is logged per stanza, from the parsed tree: <password> elements,
 * <handshake>, and the values of data-form fields whose var names a password
 * or a secret are replaced with "(redacted)". Outgoing bytes are parsed back
 * first (this costs, but only while -vv is on).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <palaver/log.h>

#include "traffic_log.h"

static const char REDACTED[] = "(redacted)";

/* Replaces every text child of el with one "(redacted)" text node. */
static void redact_text(pv_el_t *el)
{
    bool done = false;
    for (pv_el_t *c = el->children; c; c = c->next) {
        if (c->kind != PV_EL_TEXT)
            continue;
        c->text = done ? "" : REDACTED;
        c->text_len = done ? 0 : sizeof REDACTED - 1;
        done = true;
    }
}

static bool secret_var(const char *var)
{
    return var &&
           (strcasestr(var, "secret") || strcasestr(var, "password") || strcasestr(var, "passwd"));
}

static void redact(pv_el_t *el)
{
    if (el->kind != PV_EL_ELEMENT)
        return;
    if (!strcmp(el->name, "password") || !strcmp(el->name, "handshake")) {
        redact_text(el);
        return;
    }
    if (!strcmp(el->name, "field") && el->ns && !strcmp(el->ns, PV_NS_DATA) &&
        secret_var(pv_el_attr(el, "var"))) {
        for (pv_el_t *v = pv_el_child(el, PV_NS_DATA, "value"); v;
             v = pv_el_next(v, PV_NS_DATA, "value"))
            redact_text(v);
        return;
    }
    for (pv_el_t *c = el->children; c; c = c->next)
        redact(c);
}

void traffic_log_stanza(const char *dir, const pv_el_t *stanza)
{
    if (!pv_log_enabled(PV_LOG_TRAFFIC))
        return;
    pv_el_t *copy = pv_el_clone(stanza);
    if (!copy)
        return;
    redact(copy);
    size_t len;
    char *xml = pv_el_serialize(copy, &len);
    if (xml)
        pv_log(PV_LOG_TRAFFIC, "stream", "%s %s", dir, xml);
    free(xml);
    pv_el_free(copy);
}

void traffic_log_bytes(const char *dir, const char *buf, size_t len)
{
    if (!pv_log_enabled(PV_LOG_TRAFFIC))
        return;
    /* Whitespace keepalives and the stream's own framing carry no secret. */
    size_t i = 0;
    while (i < len && (buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\r' || buf[i] == '\t'))
        i++;
    if (i == len ||
        (len - i >= 8 && (!strncmp(buf + i, "<?xml", 5) || !strncmp(buf + i, "<stream:", 8) ||
                          !strncmp(buf + i, "</stream", 8)))) {
        if (!memmem(buf, len, "<handshake", 10)) {
            pv_log(PV_LOG_TRAFFIC, "stream", "%s %.*s", dir, (int)len, buf);
            return;
        }
    }
    pv_el_t *el = pv_el_parse(buf + i, len - i, NULL, 0);
    if (!el) {
        pv_log(PV_LOG_TRAFFIC, "stream", "%s (%zu bytes, not shown)", dir, len);
        return;
    }
    traffic_log_stanza(dir, el);
    pv_el_free(el);
}
