/*
 * tests/unit/test_router.c: the hook chain: classification, priorities,
 * verdicts, the IQ fallback and the error rules (one answer at most, never
 * to an error or a result), checked on what the core actually sends.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>

#include "log_internal.h"
#include "router_capture.h"
#include "router_internal.h"
#include <palaver/router.h>

#define SVC "conference.example.org"
#define NS "xmlns='jabber:component:accept' "

/* What the last hooks saw, and the order they ran in. */
static struct seen {
    int calls;
    char order[64];
    int kind, to_class;
    char type[16], from_full[128], from_bare[128], to_full[128], to_bare[128], payload_ns[128];
    int from_has_node;
    int payload_null;
} seen;

typedef struct hook_cfg {
    const char *tag; /* appended to seen.order */
    pv_verdict_t verdict;
    const char *err_type, *err_cond, *err_text;
    int send_own_error; /* the handler answers by itself */
    int build_extra;    /* PV_ERROR with an application condition */
    pv_hook_t **remove; /* hook to remove when called */
} hook_cfg_t;

static pv_verdict_t record(pv_stanza_ctx_t *ctx, void *ud)
{
    hook_cfg_t *cfg = ud;
    seen.calls++;
    strncat(seen.order, cfg->tag, sizeof seen.order - strlen(seen.order) - 1);
    seen.kind = ctx->kind;
    seen.to_class = ctx->to_class;
    snprintf(seen.type, sizeof seen.type, "%s", ctx->type);
    snprintf(seen.from_full, sizeof seen.from_full, "%s", ctx->from->full);
    snprintf(seen.from_bare, sizeof seen.from_bare, "%s", ctx->from->bare);
    snprintf(seen.to_full, sizeof seen.to_full, "%s", ctx->to->full);
    snprintf(seen.to_bare, sizeof seen.to_bare, "%s", ctx->to->bare);
    snprintf(seen.payload_ns, sizeof seen.payload_ns, "%s", ctx->payload_ns ? ctx->payload_ns : "");
    seen.from_has_node = ctx->from->node != NULL;
    seen.payload_null = ctx->payload == NULL;
    if (cfg->remove && *cfg->remove) {
        pv_hook_remove(*cfg->remove);
        *cfg->remove = NULL;
    }
    if (cfg->send_own_error)
        pv_send_error(ctx->stanza, "cancel", "not-allowed", NULL);
    if (cfg->verdict == PV_ERROR) {
        if (cfg->build_extra) {
            ctx->err_extra = pv_el_new("urn:example:app", "too-fast");
            pv_el_set_attr(ctx->err_extra, "limit", "3");
        }
        if (cfg->err_cond)
            return pv_stanza_fail(ctx, cfg->err_type, cfg->err_cond, cfg->err_text);
        return PV_ERROR;
    }
    return cfg->verdict;
}

static hook_cfg_t PASS_A = {.tag = "a", .verdict = PV_PASS};
static hook_cfg_t PASS_B = {.tag = "b", .verdict = PV_PASS};
static hook_cfg_t PASS_C = {.tag = "c", .verdict = PV_PASS};
static hook_cfg_t HANDLE_H = {.tag = "h", .verdict = PV_HANDLED};

static int setup(void **state)
{
    memset(&seen, 0, sizeof seen);
    assert_int_equal(router_set_domain(SVC), 0);
    cap_start();
    return 0;
}

static int teardown(void **state)
{
    cap_stop();
    router_cleanup();
    return 0;
}

static void dispatch(const char *xml)
{
    pv_el_t *st = stanza(xml);
    assert_non_null(st);
    router_dispatch(st);
}

/* Asserts that exactly one stanza was sent and that it is an error of this
 * type and condition addressed back to `to`; returns it (caller frees). */
static pv_el_t *expect_error(const char *to, const char *type, const char *cond)
{
    assert_int_equal(cap_n, 1);
    pv_el_t *e = cap_parse(0);
    assert_non_null(e);
    assert_string_equal(pv_el_attr(e, "type"), "error");
    assert_string_equal(pv_el_attr(e, "to"), to);
    pv_el_t *err = pv_el_child(e, NULL, "error");
    assert_non_null(err);
    assert_string_equal(pv_el_attr(err, "type"), type);
    assert_non_null(pv_el_child(err, PV_NS_STANZAS, cond));
    return e;
}

/* ---- Domain ---- */

static void test_domain_is_normalised(void **state)
{
    assert_int_equal(router_set_domain("Conference.EXAMPLE.org"), 0);
    assert_string_equal(pv_service_domain(), SVC);
    assert_int_equal(router_set_domain("bad domain"), -1);
    assert_string_equal(pv_service_domain(), SVC);
}

/* ---- Classification ---- */

static void test_message_to_bare_is_classified(void **state)
{
    pv_hook_stanza(PV_KIND_MESSAGE, PV_TO_BARE, NULL, 0, record, &HANDLE_H, "t");
    dispatch("<message " NS "from='User@Example.ORG/Res' to='Room@" SVC "' type='groupchat'>"
             "<body>hi</body></message>");
    assert_int_equal(seen.calls, 1);
    assert_int_equal(seen.kind, PV_KIND_MESSAGE);
    assert_int_equal(seen.to_class, PV_TO_BARE);
    assert_string_equal(seen.type, "groupchat");
    assert_string_equal(seen.from_full, "user@example.org/Res");
    assert_string_equal(seen.from_bare, "user@example.org");
    assert_string_equal(seen.to_full, "room@" SVC);
    assert_true(seen.payload_null);
    assert_int_equal(cap_n, 0);
}

static void test_presence_to_full_is_classified(void **state)
{
    pv_hook_stanza(PV_KIND_PRESENCE, PV_TO_FULL, NULL, 0, record, &HANDLE_H, "t");
    dispatch("<presence " NS "from='a@example.org/r' to='room@" SVC "/Nick'/>");
    assert_int_equal(seen.calls, 1);
    assert_int_equal(seen.kind, PV_KIND_PRESENCE);
    assert_int_equal(seen.to_class, PV_TO_FULL);
    assert_string_equal(seen.type, "");
    assert_string_equal(seen.to_full, "room@" SVC "/Nick");
    assert_string_equal(seen.to_bare, "room@" SVC);
}

static void test_service_with_and_without_resource(void **state)
{
    pv_hook_stanza(PV_KIND_ANY, PV_TO_SERVICE, NULL, 0, record, &HANDLE_H, "t");
    dispatch("<message " NS "from='a@example.org/r' to='" SVC "'><body>x</body></message>");
    assert_int_equal(seen.to_class, PV_TO_SERVICE);
    dispatch("<presence " NS "from='a@example.org/r' to='" SVC "/admin'/>");
    assert_int_equal(seen.to_class, PV_TO_SERVICE);
    assert_int_equal(seen.kind, PV_KIND_PRESENCE);
    assert_int_equal(seen.calls, 2);
}

static void test_jabber_client_stanza_is_classified(void **state)
{
    pv_hook_stanza(PV_KIND_MESSAGE, PV_TO_BARE, NULL, 0, record, &HANDLE_H, "t");
    /* Read from text: the reader normalises jabber:client. */
    pv_el_t *st = stanza("<message xmlns='jabber:client' from='a@example.org/r' to='room@" SVC
                         "'><body>x</body></message>");
    assert_non_null(st);
    assert_string_equal(st->ns, PV_NS_STANZA);
    router_dispatch(st);
    assert_int_equal(seen.calls, 1);
    /* Built by hand in jabber:client: the router accepts it as well. */
    st = pv_el_new(PV_NS_CLIENT, "message");
    pv_el_set_attr(st, "from", "b@example.org/r");
    pv_el_set_attr(st, "to", "room@" SVC);
    router_dispatch(st);
    assert_int_equal(seen.calls, 2);
    assert_string_equal(seen.from_full, "b@example.org/r");
}

static void test_from_sm_without_node_or_dot(void **state)
{
    pv_hook_stanza(PV_KIND_PRESENCE, PV_TO_FULL, NULL, 0, record, &HANDLE_H, "t");
    dispatch("<presence " NS "from='sm' to='room@" SVC "/nick' type='unavailable'/>");
    assert_int_equal(seen.calls, 1);
    assert_false(seen.from_has_node);
    assert_string_equal(seen.from_full, "sm");
    assert_string_equal(seen.type, "unavailable");
    assert_int_equal(cap_n, 0);
}

static void test_chains_are_separated_by_kind(void **state)
{
    static hook_cfg_t P = {.tag = "p", .verdict = PV_PASS};
    static hook_cfg_t M = {.tag = "m", .verdict = PV_PASS};
    static hook_cfg_t I = {.tag = "i", .verdict = PV_PASS};
    static hook_cfg_t MP = {.tag = "x", .verdict = PV_PASS};
    pv_hook_stanza(PV_KIND_PRESENCE, PV_TO_ANY, NULL, 0, record, &P, "t");
    pv_hook_stanza(PV_KIND_MESSAGE, PV_TO_ANY, NULL, 0, record, &M, "t");
    pv_hook_stanza(PV_KIND_IQ, PV_TO_ANY, NULL, 0, record, &I, "t");
    pv_hook_stanza(PV_KIND_MESSAGE | PV_KIND_PRESENCE, PV_TO_ANY, NULL, 0, record, &MP, "t");
    dispatch("<message " NS "from='a@example.org/r' to='room@" SVC "'/>");
    assert_string_equal(seen.order, "mx");
    seen.order[0] = '\0';
    dispatch("<presence " NS "from='a@example.org/r' to='room@" SVC "/n'/>");
    assert_string_equal(seen.order, "px");
    seen.order[0] = '\0';
    dispatch("<iq " NS "from='a@example.org/r' to='room@" SVC "' type='result' id='1'/>");
    assert_string_equal(seen.order, "i");
    assert_int_equal(cap_n, 0); /* message, presence and result: nothing to answer */
}

static void test_to_class_filter(void **state)
{
    pv_hook_stanza(PV_KIND_MESSAGE, PV_TO_FULL, NULL, 0, record, &PASS_A, "t");
    pv_hook_stanza(PV_KIND_MESSAGE, PV_TO_BARE | PV_TO_FULL, NULL, 0, record, &PASS_B, "t");
    dispatch("<message " NS "from='a@example.org/r' to='room@" SVC "'/>");
    assert_string_equal(seen.order, "b");
    seen.order[0] = '\0';
    dispatch("<message " NS "from='a@example.org/r' to='room@" SVC "/nick'/>");
    assert_string_equal(seen.order, "ab");
    seen.order[0] = '\0';
    dispatch("<message " NS "from='a@example.org/r' to='" SVC "'/>");
    assert_string_equal(seen.order, "");
}

static void test_iq_payload_namespace_filter(void **state)
{
    pv_hook_stanza(PV_KIND_IQ, PV_TO_BARE, "urn:x:one", 0, record, &PASS_A, "t");
    pv_hook_stanza(PV_KIND_IQ, PV_TO_BARE, "urn:x:two", 0, record, &PASS_B, "t");
    pv_hook_stanza(PV_KIND_IQ, PV_TO_BARE, NULL, 0, record, &HANDLE_H, "t");
    dispatch("<iq " NS "from='a@example.org/r' to='room@" SVC "' type='get' id='q1'>"
             "<query xmlns='urn:x:two'/></iq>");
    assert_string_equal(seen.order, "bh");
    assert_string_equal(seen.payload_ns, "urn:x:two");
    assert_false(seen.payload_null);
    assert_int_equal(cap_n, 0);
}

/* ---- Priorities and verdicts ---- */

static void test_priority_order_higher_first_ties_in_registration_order(void **state)
{
    pv_hook_stanza(PV_KIND_MESSAGE, PV_TO_ANY, NULL, 5, record, &PASS_A, "t");
    pv_hook_stanza(PV_KIND_MESSAGE, PV_TO_ANY, NULL, 10, record, &PASS_B, "t");
    pv_hook_stanza(PV_KIND_MESSAGE, PV_TO_ANY, NULL, 5, record, &PASS_C, "t");
    pv_hook_stanza(PV_KIND_MESSAGE, PV_TO_ANY, NULL, -3, record, &HANDLE_H, "t");
    dispatch("<message " NS "from='a@example.org/r' to='room@" SVC "'/>");
    assert_string_equal(seen.order, "bach");
}

static void test_handled_stops_the_chain(void **state)
{
    pv_hook_stanza(PV_KIND_IQ, PV_TO_ANY, NULL, 10, record, &HANDLE_H, "t");
    pv_hook_stanza(PV_KIND_IQ, PV_TO_ANY, NULL, 0, record, &PASS_A, "t");
    dispatch("<iq " NS "from='a@example.org/r' to='room@" SVC "' type='get' id='1'>"
             "<query xmlns='urn:x'/></iq>");
    assert_string_equal(seen.order, "h");
    assert_int_equal(cap_n, 0); /* HANDLED: the core adds nothing */
}

static void test_error_verdict_reply_shape(void **state)
{
    static hook_cfg_t E = {.tag = "e",
                           .verdict = PV_ERROR,
                           .err_type = "modify",
                           .err_cond = "not-acceptable",
                           .err_text = "too & long"};
    pv_hook_stanza(PV_KIND_MESSAGE, PV_TO_BARE, NULL, 1, record, &E, "t");
    pv_hook_stanza(PV_KIND_MESSAGE, PV_TO_BARE, NULL, 0, record, &PASS_A, "t");
    dispatch("<message " NS "from='a@example.org/r' to='room@" SVC "' id='m1' type='groupchat'>"
             "<body>hello</body><x xmlns='urn:example:extra'/></message>");
    assert_string_equal(seen.order, "e");
    pv_el_t *e = expect_error("a@example.org/r", "modify", "not-acceptable");
    assert_string_equal(e->name, "message");
    assert_string_equal(pv_el_attr(e, "from"), "room@" SVC);
    assert_string_equal(pv_el_attr(e, "id"), "m1");
    /* None of the original payload: the error is the only child. */
    assert_null(pv_el_child(e, NULL, "body"));
    assert_null(pv_el_child(e, "urn:example:extra", "x"));
    pv_el_t *err = pv_el_child(e, NULL, "error");
    assert_ptr_equal(e->children, err);
    assert_null(err->next);
    assert_string_equal(pv_el_child_text(err, PV_NS_STANZAS, "text"), "too & long");
    assert_null(pv_el_next(err, NULL, "error"));
    pv_el_free(e);
}

/* pv_stanza_failf: the text is formatted into the stanza's arena, so it is
 * still there when the core builds the reply after the handler returned,
 * even though the handler's own buffer is gone (ASan would see a use after
 * return if the text pointed into it). */
static pv_verdict_t fail_formatted(pv_stanza_ctx_t *ctx, void *ud)
{
    char nick[16];
    snprintf(nick, sizeof nick, "%s", (const char *)ud);
    return pv_stanza_failf(ctx, "cancel", "item-not-found", "No occupant '%s' (%d in room)", nick,
                           3);
}

static pv_verdict_t fail_formatted_without_text(pv_stanza_ctx_t *ctx, void *ud)
{
    (void)ud;
    return pv_stanza_failf(ctx, "modify", "bad-request", NULL);
}

static void test_error_verdict_with_formatted_text(void **state)
{
    pv_hook_stanza(PV_KIND_IQ, PV_TO_BARE, NULL, 0, fail_formatted, "x<y", "t");
    dispatch("<iq " NS "from='a@example.org/r' to='room@" SVC "' type='get' id='f1'>"
             "<query xmlns='urn:x'/></iq>");
    pv_el_t *e = expect_error("a@example.org/r", "cancel", "item-not-found");
    assert_string_equal(pv_el_attr(e, "id"), "f1");
    assert_string_equal(pv_el_child_text(pv_el_child(e, NULL, "error"), PV_NS_STANZAS, "text"),
                        "No occupant 'x<y' (3 in room)");
    pv_el_free(e);
}

static void test_error_verdict_formatted_without_text(void **state)
{
    pv_hook_stanza(PV_KIND_IQ, PV_TO_BARE, NULL, 0, fail_formatted_without_text, NULL, "t");
    dispatch("<iq " NS "from='a@example.org/r' to='room@" SVC "' type='set' id='f2'>"
             "<query xmlns='urn:x'/></iq>");
    pv_el_t *e = expect_error("a@example.org/r", "modify", "bad-request");
    assert_null(pv_el_child(pv_el_child(e, NULL, "error"), PV_NS_STANZAS, "text"));
    pv_el_free(e);
}

static void test_error_verdict_without_fail_is_internal_error(void **state)
{
    static hook_cfg_t E = {.tag = "e", .verdict = PV_ERROR};
    pv_hook_stanza(PV_KIND_IQ, PV_TO_SERVICE, NULL, 0, record, &E, "t");
    dispatch("<iq " NS "from='a@example.org/r' to='" SVC "' type='set' id='9'>"
             "<query xmlns='urn:x'/></iq>");
    pv_el_t *e = expect_error("a@example.org/r", "wait", "internal-server-error");
    assert_string_equal(pv_el_attr(e, "id"), "9");
    pv_el_free(e);
}

static void test_error_verdict_with_application_condition(void **state)
{
    static hook_cfg_t E = {.tag = "e",
                           .verdict = PV_ERROR,
                           .err_type = "wait",
                           .err_cond = "policy-violation",
                           .build_extra = 1};
    pv_hook_stanza(PV_KIND_MESSAGE, PV_TO_BARE, NULL, 0, record, &E, "t");
    dispatch("<message " NS "from='a@example.org/r' to='room@" SVC "'><body>x</body></message>");
    pv_el_t *e = expect_error("a@example.org/r", "wait", "policy-violation");
    pv_el_t *app = pv_el_child(pv_el_child(e, NULL, "error"), "urn:example:app", "too-fast");
    assert_non_null(app);
    assert_string_equal(pv_el_attr(app, "limit"), "3");
    pv_el_free(e); /* and ASan checks the core freed err_extra */
}

static void test_error_verdict_on_error_or_result_sends_nothing(void **state)
{
    static hook_cfg_t E = {
        .tag = "e", .verdict = PV_ERROR, .err_type = "cancel", .err_cond = "not-allowed"};
    pv_hook_stanza(PV_KIND_ANY, PV_TO_ANY, NULL, 0, record, &E, "t");
    dispatch("<message " NS "from='a@example.org/r' to='room@" SVC "' type='error'>"
             "<error type='cancel'><gone xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"
             "</message>");
    dispatch("<iq " NS "from='a@example.org/r' to='room@" SVC "' type='result' id='1'/>");
    dispatch("<iq " NS "from='a@example.org/r' to='room@" SVC "' type='error' id='2'>"
             "<error type='cancel'/></iq>");
    dispatch("<presence " NS "from='a@example.org/r' to='room@" SVC "/n' type='error'/>");
    assert_int_equal(seen.calls, 4);
    assert_int_equal(cap_n, 0);
}

static void test_handler_answer_is_not_doubled(void **state)
{
    static hook_cfg_t OWN = {.tag = "o", .verdict = PV_HANDLED, .send_own_error = 1};
    pv_hook_stanza(PV_KIND_IQ, PV_TO_BARE, NULL, 0, record, &OWN, "t");
    dispatch("<iq " NS "from='a@example.org/r' to='room@" SVC "' type='get' id='1'>"
             "<query xmlns='urn:x'/></iq>");
    pv_el_t *e = expect_error("a@example.org/r", "cancel", "not-allowed");
    pv_el_free(e);
}

static pv_verdict_t reply_then(pv_stanza_ctx_t *ctx, void *ud)
{
    /* Answers with the normalised address, then (wrongly) goes on. */
    pv_el_t *r = pv_iq_result_new(ctx->stanza);
    pv_el_set_attr(r, "to", ctx->from->full);
    pv_send(r);
    pv_el_free(r);
    return *(pv_verdict_t *)ud;
}

static void test_reply_then_pass_or_error_is_not_doubled(void **state)
{
    static pv_verdict_t pass = PV_PASS, error = PV_ERROR;
    pv_hook_t *h = pv_hook_stanza(PV_KIND_IQ, PV_TO_BARE, NULL, 0, reply_then, &pass, "t");
    dispatch("<iq " NS "from='A@Example.org/r' to='room@" SVC "' type='get' id='1'>"
             "<query xmlns='urn:x'/></iq>");
    assert_int_equal(cap_n, 1); /* no service-unavailable after the result */
    pv_el_t *r = cap_parse(0);
    assert_string_equal(pv_el_attr(r, "type"), "result");
    pv_el_free(r);
    pv_hook_remove(h);
    cap_reset();
    pv_hook_stanza(PV_KIND_IQ, PV_TO_BARE, NULL, 0, reply_then, &error, "t");
    dispatch("<iq " NS "from='a@example.org/r' to='room@" SVC "' type='set' id='2'>"
             "<query xmlns='urn:x'/></iq>");
    assert_int_equal(cap_n, 1);
    r = cap_parse(0);
    assert_string_equal(pv_el_attr(r, "type"), "result");
    pv_el_free(r);
    cap_reset();
    /* A reply to another stanza (other id) does not count. */
    pv_hook_t *other = pv_hook_stanza(PV_KIND_IQ, PV_TO_FULL, NULL, 0, record, &PASS_A, "t");
    assert_non_null(other);
    dispatch("<iq " NS "from='a@example.org/r' to='room@" SVC "/n' type='get' id='3'>"
             "<query xmlns='urn:x'/></iq>");
    assert_int_equal(cap_n, 1);
    r = cap_parse(0);
    assert_string_equal(pv_el_attr(r, "type"), "error");
    pv_el_free(r);
}

/* ---- Fallbacks ---- */

static void test_unhandled_iq_get_and_set_get_service_unavailable(void **state)
{
    pv_hook_stanza(PV_KIND_IQ, PV_TO_ANY, NULL, 0, record, &PASS_A, "t");
    dispatch("<iq " NS "from='a@example.org/r' to='room@" SVC "' type='get' id='g'>"
             "<vCard xmlns='vcard-temp'/></iq>");
    assert_string_equal(seen.order, "a");
    pv_el_t *e = expect_error("a@example.org/r", "cancel", "service-unavailable");
    assert_string_equal(pv_el_attr(e, "id"), "g");
    assert_string_equal(e->name, "iq");
    assert_null(pv_el_child(e, "vcard-temp", "vCard")); /* no payload echoed */
    pv_el_free(e);
    cap_reset();
    dispatch("<iq " NS "from='a@example.org/r' to='" SVC "' type='set' id='s'>"
             "<query xmlns='urn:x'/></iq>");
    e = expect_error("a@example.org/r", "cancel", "service-unavailable");
    pv_el_free(e);
}

static void test_unhandled_messages_presences_results_errors_are_dropped(void **state)
{
    dispatch("<message " NS "from='a@example.org/r' to='room@" SVC "'><body>x</body></message>");
    dispatch("<presence " NS "from='a@example.org/r' to='room@" SVC "/n'/>");
    dispatch("<iq " NS "from='a@example.org/r' to='room@" SVC "' type='result' id='1'/>");
    dispatch("<iq " NS "from='a@example.org/r' to='room@" SVC "' type='error' id='2'/>");
    assert_int_equal(cap_n, 0);
}

/* ---- Rejections before any hook ---- */

static void test_malformed_from_or_to_gets_jid_malformed(void **state)
{
    pv_hook_stanza(PV_KIND_ANY, PV_TO_ANY, NULL, 0, record, &HANDLE_H, "t");
    dispatch("<message " NS "from='a@example.org/r' to='bad room@" SVC
             "'><body>x</body></message>");
    pv_el_t *e = expect_error("a@example.org/r", "modify", "jid-malformed");
    /* Never from the bad address: servers cut components that send from
     * outside their domain. */
    assert_string_equal(pv_el_attr(e, "from"), SVC);
    pv_el_free(e);
    cap_reset();
    dispatch("<presence " NS "from='@example.org' to='room@" SVC "/n'/>");
    e = expect_error("@example.org", "modify", "jid-malformed");
    assert_string_equal(pv_el_attr(e, "from"), "room@" SVC "/n");
    pv_el_free(e);
    cap_reset();
    /* An error with a bad address is dropped, never answered. */
    dispatch("<message " NS "from='a@@b' to='room@" SVC "' type='error'/>");
    assert_int_equal(cap_n, 0);
    assert_int_equal(seen.calls, 0);
}

static void test_to_outside_domain_gets_item_not_found(void **state)
{
    pv_hook_stanza(PV_KIND_ANY, PV_TO_ANY, NULL, 0, record, &HANDLE_H, "t");
    dispatch("<iq " NS "from='a@example.org/r' to='room@other.example.org' type='get' id='1'>"
             "<query xmlns='urn:x'/></iq>");
    pv_el_t *e = expect_error("a@example.org/r", "cancel", "item-not-found");
    assert_string_equal(pv_el_attr(e, "from"), SVC); /* not room@other.example.org */
    pv_el_free(e);
    cap_reset();
    dispatch("<message " NS "from='a@example.org/r' to='other.example.org' type='error'/>");
    assert_int_equal(cap_n, 0);
    assert_int_equal(seen.calls, 0);
}

static void test_iq_without_exactly_one_payload_gets_bad_request(void **state)
{
    pv_hook_stanza(PV_KIND_IQ, PV_TO_ANY, NULL, 0, record, &HANDLE_H, "t");
    dispatch("<iq " NS "from='a@example.org/r' to='room@" SVC "' type='get' id='0'/>");
    pv_el_t *e = expect_error("a@example.org/r", "modify", "bad-request");
    pv_el_free(e);
    cap_reset();
    dispatch("<iq " NS "from='a@example.org/r' to='room@" SVC "' type='set' id='2'>"
             "<a xmlns='urn:x'/><b xmlns='urn:x'/></iq>");
    e = expect_error("a@example.org/r", "modify", "bad-request");
    pv_el_free(e);
    cap_reset();
    dispatch("<iq " NS "from='a@example.org/r' to='room@" SVC "' id='3'><a xmlns='urn:x'/></iq>");
    e = expect_error("a@example.org/r", "modify", "bad-request");
    pv_el_free(e);
    assert_int_equal(seen.calls, 0);
    cap_reset();
    /* A result may be empty: it reaches the hooks with no payload. */
    dispatch("<iq " NS "from='a@example.org/r' to='room@" SVC "' type='result' id='4'/>");
    assert_int_equal(seen.calls, 1);
    assert_true(seen.payload_null);
    assert_int_equal(cap_n, 0);
}

static void test_non_stanzas_and_missing_from_are_dropped(void **state)
{
    pv_hook_stanza(PV_KIND_ANY, PV_TO_ANY, NULL, 0, record, &HANDLE_H, "t");
    dispatch("<foo " NS "from='a@example.org/r' to='room@" SVC "'/>");
    dispatch("<message xmlns='urn:not:stanza' from='a@example.org/r' to='room@" SVC "'/>");
    dispatch("<iq " NS "to='room@" SVC "' type='get' id='1'><q xmlns='urn:x'/></iq>");
    assert_int_equal(seen.calls, 0);
    assert_int_equal(cap_n, 0);
}

/* ---- Invariants over every combination ---- */

static int combo_mode; /* 0 pass, 1 handled, 2 error, 3 own result then error */

static pv_verdict_t combo_hook(pv_stanza_ctx_t *ctx, void *ud)
{
    switch (combo_mode) {
    case 1:
        return PV_HANDLED;
    case 2:
        return pv_stanza_fail(ctx, "cancel", "not-allowed", NULL);
    case 3: {
        /* The handler answers by itself (same kind, back to the sender). */
        pv_el_t *r = pv_el_new(NULL, ctx->stanza->name);
        pv_el_set_attr(r, "to", pv_el_attr(ctx->stanza, "from"));
        pv_el_set_attr(r, "id", pv_el_attr(ctx->stanza, "id"));
        pv_el_set_attr(r, "type", strcmp(ctx->type, "error") == 0 ? "result" : "error");
        pv_send(r);
        pv_el_free(r);
        return pv_stanza_fail(ctx, "cancel", "not-allowed", NULL);
    }
    default:
        return PV_PASS;
    }
}

static void test_never_two_answers_never_to_errors_or_results(void **state)
{
    static const char *const kinds[] = {"message", "presence", "iq"};
    static const char *const types[] = {"",      "get",       "set",        "result",
                                        "error", "groupchat", "unavailable"};
    static const char *const froms[] = {"a@example.org/r", "sm", "a@@b"};
    static const char *const tos[] = {"room@" SVC, "room@" SVC "/n", SVC, "x@other.org",
                                      "bad room@" SVC};
    static const char *const payloads[] = {"", "<q xmlns='urn:x'/>",
                                           "<q xmlns='urn:x'/><r xmlns='urn:y'/>"};
    pv_hook_stanza(PV_KIND_ANY, PV_TO_ANY, NULL, 0, combo_hook, NULL, "t");
    assert_int_equal(log_open("/dev/null"), 0); /* thousands of rejections logged */
    int checked = 0;
    for (size_t k = 0; k < 3; k++)
        for (size_t t = 0; t < sizeof types / sizeof *types; t++)
            for (size_t f = 0; f < 3; f++)
                for (size_t o = 0; o < sizeof tos / sizeof *tos; o++)
                    for (size_t p = 0; p < 3; p++)
                        for (combo_mode = 0; combo_mode < 4; combo_mode++) {
                            char xml[512];
                            snprintf(xml, sizeof xml,
                                     "<%s " NS "from='%s' to='%s' type='%s' id='c'>%s</%s>",
                                     kinds[k], froms[f], tos[o], types[t], payloads[p], kinds[k]);
                            cap_reset();
                            dispatch(xml);
                            bool err_or_result = strcmp(types[t], "error") == 0 ||
                                                 (k == 2 && strcmp(types[t], "result") == 0);
                            bool reaches_hook =
                                f < 2 && o < 3 &&
                                (k != 2 || (t >= 1 && t <= 2 && p == 1) || (err_or_result));
                            if (cap_n > 1)
                                fail_msg("two answers to %s (mode %d)", xml, combo_mode);
                            /* The core never answers an error or a result (the
                             * handler's own send in mode 3 is its business). */
                            if (err_or_result && !(reaches_hook && combo_mode == 3) && cap_n != 0)
                                fail_msg("answered %s (mode %d)", xml, combo_mode);
                            /* A request that reached the chain always gets one answer. */
                            bool request = k == 2 && (t == 1 || t == 2);
                            if (request && reaches_hook && combo_mode != 1 && cap_n != 1)
                                fail_msg("no answer to %s (mode %d)", xml, combo_mode);
                            for (int i = 0; i < cap_n; i++) {
                                pv_el_t *r = cap_parse(i);
                                assert_non_null(r);
                                assert_string_equal(pv_el_attr(r, "to"), froms[f]);
                                /* Whatever we send comes from our own domain. */
                                const char *from = pv_el_attr(r, "from");
                                pv_jid_t *fj = from ? pv_jid_parse(from) : NULL;
                                if (from && (!fj || strcmp(fj->domain, SVC) != 0))
                                    fail_msg("reply from '%s' to %s", from, xml);
                                pv_jid_free(fj);
                                pv_el_free(r);
                            }
                            checked++;
                        }
    log_close();
    assert_int_equal(checked, 3 * 7 * 3 * 5 * 3 * 4);
}

/* ---- Adding and removing hooks ---- */

static void test_removed_hook_is_not_called(void **state)
{
    pv_hook_t *a = pv_hook_stanza(PV_KIND_MESSAGE, PV_TO_ANY, NULL, 0, record, &PASS_A, "t");
    pv_hook_stanza(PV_KIND_MESSAGE, PV_TO_ANY, NULL, 0, record, &PASS_B, "t");
    assert_non_null(a);
    pv_hook_remove(a);
    pv_hook_remove(NULL);
    dispatch("<message " NS "from='a@example.org/r' to='room@" SVC "'/>");
    assert_string_equal(seen.order, "b");
}

static void test_hook_removed_during_dispatch(void **state)
{
    static pv_hook_t *victim, *self;
    static hook_cfg_t KILL = {.tag = "k", .verdict = PV_PASS, .remove = &victim};
    static hook_cfg_t SELF = {.tag = "s", .verdict = PV_PASS, .remove = &self};
    self = pv_hook_stanza(PV_KIND_MESSAGE, PV_TO_ANY, NULL, 20, record, &SELF, "t");
    pv_hook_stanza(PV_KIND_MESSAGE, PV_TO_ANY, NULL, 10, record, &KILL, "t");
    victim = pv_hook_stanza(PV_KIND_MESSAGE | PV_KIND_IQ, PV_TO_ANY, NULL, 5, record, &PASS_A, "t");
    pv_hook_stanza(PV_KIND_MESSAGE, PV_TO_ANY, NULL, 0, record, &PASS_B, "t");
    dispatch("<message " NS "from='a@example.org/r' to='room@" SVC "'/>");
    assert_string_equal(seen.order, "skb"); /* a was removed before its turn */
    assert_null(victim);
    seen.order[0] = '\0';
    dispatch("<message " NS "from='a@example.org/r' to='room@" SVC "'/>");
    assert_string_equal(seen.order, "kb");
    seen.order[0] = '\0';
    dispatch("<iq " NS "from='a@example.org/r' to='room@" SVC "' type='result' id='1'/>");
    assert_string_equal(seen.order, ""); /* gone from the iq chain too */
}

static pv_verdict_t add_then_pass(pv_stanza_ctx_t *ctx, void *ud)
{
    pv_hook_stanza(PV_KIND_MESSAGE, PV_TO_ANY, NULL, 100, record, &PASS_C, "t");
    /* A nested dispatch (e.g. a plugin re-injecting a stanza) is fine too. */
    router_dispatch(stanza("<presence " NS "from='x@example.org/r' to='room@" SVC "/n'/>"));
    return PV_PASS;
}

static void test_hook_added_during_dispatch(void **state)
{
    pv_hook_stanza(PV_KIND_MESSAGE, PV_TO_ANY, NULL, 0, add_then_pass, NULL, "t");
    pv_hook_stanza(PV_KIND_PRESENCE, PV_TO_ANY, NULL, 0, record, &PASS_B, "t");
    dispatch("<message " NS "from='a@example.org/r' to='room@" SVC "'/>");
    assert_string_equal(seen.order, "b");
    seen.order[0] = '\0';
    router_dump_chains();
    pv_hook_stanza(PV_KIND_MESSAGE, PV_TO_ANY, NULL, 0, record, &HANDLE_H, "t");
    dispatch("<message " NS "from='a@example.org/r' to='room@" SVC "'/>");
    /* c (priority 100, added once per dispatch) ran first now. */
    assert_int_equal(seen.order[0], 'c');
    assert_non_null(strchr(seen.order, 'h'));
}

static void test_invalid_registrations_are_refused(void **state)
{
    assert_null(pv_hook_stanza(PV_KIND_IQ, PV_TO_ANY, NULL, 0, NULL, NULL, "t"));
    assert_null(pv_hook_stanza(0, PV_TO_ANY, NULL, 0, record, &PASS_A, "t"));
    assert_null(pv_hook_stanza(PV_KIND_IQ, 0, NULL, 0, record, &PASS_A, "t"));
}

/* ---- Reply builders ---- */

static void test_error_new_refuses_errors_and_results(void **state)
{
    pv_el_t *st = stanza("<iq " NS "from='a@example.org/r' to='" SVC "' type='result' id='1'/>");
    assert_null(pv_error_new(st, "cancel", "bad-request", NULL));
    assert_int_equal(pv_send_error(st, "cancel", "bad-request", NULL), -1);
    pv_el_free(st);
    st = stanza("<message " NS "from='a@example.org/r' to='" SVC "' type='error'/>");
    assert_null(pv_error_new(st, "cancel", "bad-request", NULL));
    pv_el_free(st);
    assert_int_equal(cap_n, 0);
}

/* Error replies never echo what the sender wrote: not a join's password,
 * not a submitted form's secret fields (ENTER-6, OWNER-3). */
static void test_error_new_carries_no_payload(void **state)
{
    static const char *const secrets[] = {
        "<presence " NS "from='a@example.org/r' to='room@" SVC "/nick' id='p1'>"
        "<x xmlns='http://jabber.org/protocol/muc'><password>s3cret-pw</password></x>"
        "</presence>",
        "<iq " NS "from='a@example.org/r' to='room@" SVC "' type='set' id='c1'>"
        "<query xmlns='http://jabber.org/protocol/muc#owner'>"
        "<x xmlns='jabber:x:data' type='submit'><field var='muc#roomconfig_roomsecret'>"
        "<value>s3cret-pw</value></field></x></query></iq>",
        "<message " NS "from='a@example.org/r' to='room@" SVC "' id='m1' type='groupchat'>"
        "<body>s3cret-pw</body></message>"};
    for (size_t i = 0; i < sizeof secrets / sizeof *secrets; i++) {
        pv_el_t *st = stanza(secrets[i]);
        assert_non_null(st);
        pv_el_t *e = pv_error_new(st, "auth", "not-authorized", "Refused");
        assert_non_null(e);
        assert_string_equal(e->name, st->name);
        assert_string_equal(pv_el_attr(e, "id"), pv_el_attr(st, "id"));
        assert_string_equal(pv_el_attr(e, "to"), "a@example.org/r");
        assert_string_equal(pv_el_attr(e, "type"), "error");
        pv_el_t *err = e->children;
        assert_non_null(err);
        assert_string_equal(err->name, "error");
        assert_null(err->next);
        size_t len = 0;
        char *xml = pv_el_serialize(e, &len);
        assert_non_null(xml);
        assert_null(strstr(xml, "s3cret-pw"));
        assert_null(strstr(xml, "jabber:x:data"));
        assert_null(strstr(xml, "password"));
        free(xml);
        pv_el_free(e);
        pv_el_free(st);
    }
}

static void test_iq_result_new_shape(void **state)
{
    pv_el_t *st = stanza("<iq " NS "from='a@example.org/r' to='room@" SVC "' type='get' id='x7'>"
                         "<ping xmlns='urn:xmpp:ping'/></iq>");
    pv_el_t *r = pv_iq_result_new(st);
    assert_non_null(r);
    assert_string_equal(r->name, "iq");
    assert_string_equal(r->ns, PV_NS_STANZA);
    assert_string_equal(pv_el_attr(r, "type"), "result");
    assert_string_equal(pv_el_attr(r, "id"), "x7");
    assert_string_equal(pv_el_attr(r, "to"), "a@example.org/r");
    assert_string_equal(pv_el_attr(r, "from"), "room@" SVC);
    assert_null(pv_el_first_element(r));
    assert_int_equal(pv_send(r), 0);
    assert_int_equal(cap_n, 1);
    pv_el_free(r);
    pv_el_free(st);
}

static void test_send_without_sink_fails(void **state)
{
    output_set_sink(NULL, NULL);
    pv_el_t *m = pv_el_new(NULL, "message");
    pv_el_set_attr(m, "to", "a@example.org");
    assert_int_equal(pv_send(m), -1);
    pv_el_free(m);
    assert_int_equal(pv_send(NULL), -1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_domain_is_normalised),
        T(test_message_to_bare_is_classified),
        T(test_presence_to_full_is_classified),
        T(test_service_with_and_without_resource),
        T(test_jabber_client_stanza_is_classified),
        T(test_from_sm_without_node_or_dot),
        T(test_chains_are_separated_by_kind),
        T(test_to_class_filter),
        T(test_iq_payload_namespace_filter),
        T(test_priority_order_higher_first_ties_in_registration_order),
        T(test_handled_stops_the_chain),
        T(test_error_verdict_reply_shape),
        T(test_error_verdict_with_formatted_text),
        T(test_error_verdict_formatted_without_text),
        T(test_error_verdict_without_fail_is_internal_error),
        T(test_error_verdict_with_application_condition),
        T(test_error_verdict_on_error_or_result_sends_nothing),
        T(test_handler_answer_is_not_doubled),
        T(test_reply_then_pass_or_error_is_not_doubled),
        T(test_unhandled_iq_get_and_set_get_service_unavailable),
        T(test_unhandled_messages_presences_results_errors_are_dropped),
        T(test_malformed_from_or_to_gets_jid_malformed),
        T(test_to_outside_domain_gets_item_not_found),
        T(test_iq_without_exactly_one_payload_gets_bad_request),
        T(test_non_stanzas_and_missing_from_are_dropped),
        T(test_never_two_answers_never_to_errors_or_results),
        T(test_removed_hook_is_not_called),
        T(test_hook_removed_during_dispatch),
        T(test_hook_added_during_dispatch),
        T(test_invalid_registrations_are_refused),
        T(test_error_new_refuses_errors_and_results),
        T(test_error_new_carries_no_payload),
        T(test_iq_result_new_shape),
        T(test_send_without_sink_fails),
    };
    return cmocka_run_group_tests_name("router", tests, NULL, NULL);
}
