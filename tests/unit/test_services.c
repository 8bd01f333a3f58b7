/*
 * tests/unit/test_services.c: what the service domain answers by itself:
 * disco#info (registry + extension event), the disco#items fallback,
 * XEP-0092 version and XEP-0199 ping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "config.h"
#include "router_capture.h"
#include "router_internal.h"
#include <palaver/disco.h>
#include <palaver/router.h>
#include <stdio.h>

#define SVC "conference.example.org"
#define NS "xmlns='jabber:component:accept' "
#define FROM "u@example.org/res"

static int setup(void **state)
{
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

/* Dispatches an IQ get with this payload to `to` and returns the one reply. */
static pv_el_t *ask(const char *to, const char *type, const char *payload)
{
    char xml[1024];
    snprintf(xml, sizeof xml, "<iq " NS "from='" FROM "' to='%s' type='%s' id='q1'>%s</iq>", to,
             type, payload);
    cap_reset();
    router_dispatch(stanza(xml));
    assert_int_equal(cap_n, 1);
    pv_el_t *r = cap_parse(0);
    assert_non_null(r);
    assert_string_equal(r->name, "iq");
    assert_string_equal(pv_el_attr(r, "id"), "q1");
    assert_string_equal(pv_el_attr(r, "to"), FROM);
    assert_string_equal(pv_el_attr(r, "from"), to);
    return r;
}

static int has_feature(const pv_el_t *q, const char *var)
{
    for (pv_el_t *f = pv_el_child(q, PV_NS_DISCO_INFO, "feature"); f;
         f = pv_el_next(f, PV_NS_DISCO_INFO, "feature"))
        if (pv_el_attr(f, "var") && strcmp(pv_el_attr(f, "var"), var) == 0)
            return 1;
    return 0;
}

static int count_children(const pv_el_t *q, const char *name)
{
    int n = 0;
    for (pv_el_t *c = pv_el_child(q, NULL, name); c; c = pv_el_next(c, NULL, name))
        n++;
    return n;
}

static pv_verdict_t add_form(const pv_event_t *ev, void *payload, void *ud)
{
    pv_disco_info_t *info = payload;
    assert_string_equal(info->target->full, SVC);
    assert_string_equal(info->requester->full, FROM);
    assert_null(info->node);
    pv_el_t *x = pv_el_add(info->query, PV_NS_DATA, "x");
    pv_el_set_attr(x, "type", "result");
    ++*(int *)ud;
    return PV_PASS;
}

static void test_service_disco_info(void **state)
{
    assert_int_equal(core_services_init(), 0);
    assert_int_equal(pv_disco_add_identity("conference", "text", "Chatrooms"), 0);
    assert_int_equal(pv_disco_add_identity("conference", "text", "Chatrooms"), 0); /* dup */
    assert_int_equal(pv_disco_add_feature("http://jabber.org/protocol/muc"), 0);
    assert_int_equal(pv_disco_add_feature("http://jabber.org/protocol/muc"), 0); /* dup */
    assert_int_equal(pv_disco_add_feature(NULL), -1);
    int fired = 0;
    pv_event_subscribe(pv_event(PV_EVENT_DISCO_INFO), 0, add_form, &fired, "t");

    pv_el_t *r = ask(SVC, "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>");
    assert_string_equal(pv_el_attr(r, "type"), "result");
    pv_el_t *q = pv_el_child(r, PV_NS_DISCO_INFO, "query");
    assert_non_null(q);
    assert_int_equal(count_children(q, "identity"), 1);
    pv_el_t *id = pv_el_child(q, PV_NS_DISCO_INFO, "identity");
    assert_string_equal(pv_el_attr(id, "category"), "conference");
    assert_string_equal(pv_el_attr(id, "type"), "text");
    assert_string_equal(pv_el_attr(id, "name"), "Chatrooms");
    assert_true(has_feature(q, PV_NS_DISCO_INFO));
    assert_true(has_feature(q, PV_NS_DISCO_ITEMS));
    assert_true(has_feature(q, "jabber:iq:version"));
    assert_true(has_feature(q, "urn:xmpp:ping"));
    assert_true(has_feature(q, "http://jabber.org/protocol/muc"));
    assert_int_equal(count_children(q, "feature"), 5);
    assert_non_null(pv_el_child(q, PV_NS_DATA, "x"));
    assert_int_equal(fired, 1);
    pv_el_free(r);
}

static void test_disco_info_without_identities_has_a_default(void **state)
{
    assert_int_equal(core_services_init(), 0);
    pv_el_t *r = ask(SVC, "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>");
    pv_el_t *q = pv_el_child(r, PV_NS_DISCO_INFO, "query");
    assert_int_equal(count_children(q, "identity"), 1);
    assert_string_equal(pv_el_attr(pv_el_child(q, NULL, "identity"), "category"), "component");
    pv_el_free(r);
}

static void test_disco_info_unknown_node_is_item_not_found(void **state)
{
    assert_int_equal(core_services_init(), 0);
    pv_el_t *r =
        ask(SVC, "get", "<query xmlns='http://jabber.org/protocol/disco#info' node='nope'/>");
    assert_string_equal(pv_el_attr(r, "type"), "error");
    assert_non_null(pv_el_child(pv_el_child(r, NULL, "error"), PV_NS_STANZAS, "item-not-found"));
    pv_el_free(r);
}

static pv_verdict_t list_rooms(pv_stanza_ctx_t *ctx, void *ud)
{
    pv_el_t *r = pv_iq_result_new(ctx->stanza);
    pv_el_t *q = pv_el_add(r, PV_NS_DISCO_ITEMS, "query");
    pv_el_t *item = pv_el_add(q, NULL, "item");
    pv_el_set_attr(item, "jid", "room@" SVC);
    pv_send(r);
    pv_el_free(r);
    return PV_HANDLED;
}

static void test_disco_items_fallback_and_override(void **state)
{
    assert_int_equal(core_services_init(), 0);
    pv_el_t *r = ask(SVC, "get", "<query xmlns='http://jabber.org/protocol/disco#items'/>");
    assert_string_equal(pv_el_attr(r, "type"), "result");
    pv_el_t *q = pv_el_child(r, PV_NS_DISCO_ITEMS, "query");
    assert_non_null(q);
    assert_null(pv_el_first_element(q));
    pv_el_free(r);

    r = ask(SVC, "get", "<query xmlns='http://jabber.org/protocol/disco#items' node='n1'/>");
    assert_string_equal(pv_el_attr(pv_el_child(r, PV_NS_DISCO_ITEMS, "query"), "node"), "n1");
    pv_el_free(r);

    /* A plugin at the default priority answers first: one reply only. */
    pv_hook_stanza(PV_KIND_IQ, PV_TO_SERVICE, PV_NS_DISCO_ITEMS, 0, list_rooms, NULL, "t");
    r = ask(SVC, "get", "<query xmlns='http://jabber.org/protocol/disco#items'/>");
    q = pv_el_child(r, PV_NS_DISCO_ITEMS, "query");
    assert_string_equal(pv_el_attr(pv_el_child(q, NULL, "item"), "jid"), "room@" SVC);
    pv_el_free(r);
}

static void test_version(void **state)
{
    assert_int_equal(core_services_init(), 0);
    pv_el_t *r = ask(SVC, "get", "<query xmlns='jabber:iq:version'/>");
    assert_string_equal(pv_el_attr(r, "type"), "result");
    pv_el_t *q = pv_el_child(r, "jabber:iq:version", "query");
    assert_non_null(q);
    assert_string_equal(pv_el_child_text(q, "jabber:iq:version", "name"), "Palaver");
    assert_string_equal(pv_el_child_text(q, "jabber:iq:version", "version"), PACKAGE_VERSION);
    assert_int_equal(count_children(q, "name"), 1);
    pv_el_free(r);

    /* A set is not something version supports. */
    r = ask(SVC, "set", "<query xmlns='jabber:iq:version'/>");
    assert_string_equal(pv_el_attr(r, "type"), "error");
    pv_el_free(r);
}

static void test_ping_to_service(void **state)
{
    assert_int_equal(core_services_init(), 0);
    pv_el_t *r = ask(SVC, "get", "<ping xmlns='urn:xmpp:ping'/>");
    assert_string_equal(pv_el_attr(r, "type"), "result");
    assert_null(pv_el_first_element(r));
    pv_el_free(r);
}

static void test_service_answers_are_only_for_the_service(void **state)
{
    assert_int_equal(core_services_init(), 0);
    /* A ping to a room is not the core's business: nobody took it. */
    pv_el_t *r = ask("room@" SVC, "get", "<ping xmlns='urn:xmpp:ping'/>");
    assert_string_equal(pv_el_attr(r, "type"), "error");
    assert_non_null(
        pv_el_child(pv_el_child(r, NULL, "error"), PV_NS_STANZAS, "service-unavailable"));
    pv_el_free(r);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_service_disco_info),
        T(test_disco_info_without_identities_has_a_default),
        T(test_disco_info_unknown_node_is_item_not_found),
        T(test_disco_items_fallback_and_override),
        T(test_version),
        T(test_ping_to_service),
        T(test_service_answers_are_only_for_the_service),
    };
    return cmocka_run_group_tests_name("services", tests, NULL, NULL);
}
