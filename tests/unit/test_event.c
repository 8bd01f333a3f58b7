/*
 * tests/unit/test_event.c: named events: interning, priority order,
 * stopping verdicts, and subscribing/unsubscribing while an event fires.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "event_internal.h"
#include <palaver/event.h>

static char order[64];

typedef struct sub_cfg {
    const char *tag;
    pv_verdict_t verdict;
    pv_subscription_t **unsubscribe; /* removed when called */
} sub_cfg_t;

static pv_verdict_t note(const pv_event_t *ev, void *payload, void *ud)
{
    sub_cfg_t *cfg = ud;
    strncat(order, cfg->tag, sizeof order - strlen(order) - 1);
    if (payload)
        ++*(int *)payload;
    if (cfg->unsubscribe && *cfg->unsubscribe) {
        pv_event_unsubscribe(*cfg->unsubscribe);
        *cfg->unsubscribe = NULL;
    }
    return cfg->verdict;
}

static sub_cfg_t A = {"a", PV_PASS, NULL}, B = {"b", PV_PASS, NULL}, C = {"c", PV_PASS, NULL};

static int setup(void **state)
{
    order[0] = '\0';
    return 0;
}

static int teardown(void **state)
{
    event_cleanup();
    return 0;
}

static void test_names_are_interned(void **state)
{
    pv_event_t *e1 = pv_event("muc-occupant-joined");
    pv_event_t *e2 = pv_event("muc-occupant-joined");
    pv_event_t *e3 = pv_event("muc-room-created");
    assert_non_null(e1);
    assert_ptr_equal(e1, e2);
    assert_ptr_not_equal(e1, e3);
    assert_string_equal(pv_event_name(e1), "muc-occupant-joined");
    assert_null(pv_event(NULL));
}

static void test_fire_without_subscribers_passes(void **state)
{
    pv_event_t *e = pv_event("nobody");
    assert_false(pv_event_has_subscribers(e));
    assert_int_equal(pv_event_fire(e, NULL), PV_PASS);
    assert_int_equal(pv_event_fire(NULL, NULL), PV_PASS);
}

static void test_priority_order_and_payload(void **state)
{
    pv_event_t *e = pv_event("ev");
    pv_event_subscribe(e, 0, note, &A, "t");
    pv_event_subscribe(e, 50, note, &B, "t");
    pv_event_subscribe(e, 0, note, &C, "t");
    assert_true(pv_event_has_subscribers(e));
    int count = 0;
    assert_int_equal(pv_event_fire(e, &count), PV_PASS);
    assert_string_equal(order, "bac");
    assert_int_equal(count, 3);
}

static void test_stopping_verdicts(void **state)
{
    static sub_cfg_t VETO = {"v", PV_ERROR, NULL}, DONE = {"d", PV_HANDLED, NULL};
    pv_event_t *e = pv_event("pre-join");
    pv_event_subscribe(e, 10, note, &A, "t");
    pv_event_subscribe(e, 5, note, &VETO, "game-rooms");
    pv_event_subscribe(e, 0, note, &B, "t");
    assert_int_equal(pv_event_fire(e, NULL), PV_ERROR);
    assert_string_equal(order, "av");
    pv_event_t *f = pv_event("other");
    pv_event_subscribe(f, 0, note, &DONE, "t");
    pv_event_subscribe(f, 0, note, &C, "t");
    order[0] = '\0';
    assert_int_equal(pv_event_fire(f, NULL), PV_HANDLED);
    assert_string_equal(order, "d");
    event_dump();
}

static void test_unsubscribe(void **state)
{
    pv_event_t *e = pv_event("ev");
    pv_subscription_t *s = pv_event_subscribe(e, 0, note, &A, "t");
    pv_event_subscribe(e, 0, note, &B, "t");
    pv_event_unsubscribe(s);
    pv_event_unsubscribe(NULL);
    pv_event_fire(e, NULL);
    assert_string_equal(order, "b");
    assert_null(pv_event_subscribe(e, 0, NULL, NULL, "t"));
    assert_null(pv_event_subscribe(NULL, 0, note, &A, "t"));
}

static void test_unsubscribe_while_firing(void **state)
{
    static pv_subscription_t *later, *self;
    static sub_cfg_t KILL = {"k", PV_PASS, &later}, SELF = {"s", PV_PASS, &self};
    pv_event_t *e = pv_event("ev");
    self = pv_event_subscribe(e, 30, note, &SELF, "t");
    pv_event_subscribe(e, 20, note, &KILL, "t");
    later = pv_event_subscribe(e, 10, note, &A, "t");
    pv_event_subscribe(e, 0, note, &B, "t");
    pv_event_fire(e, NULL);
    assert_string_equal(order, "skb");
    assert_true(pv_event_has_subscribers(e));
    order[0] = '\0';
    pv_event_fire(e, NULL);
    assert_string_equal(order, "kb");
}

static pv_event_t *nested_ev;

static pv_verdict_t subscribe_and_refire(const pv_event_t *ev, void *payload, void *ud)
{
    strncat(order, "n", sizeof order - strlen(order) - 1);
    if (!payload) { /* only at the outer level */
        pv_event_subscribe(nested_ev, 100, note, &C, "t");
        int depth = 0;
        pv_event_fire(nested_ev, &depth);
    }
    return PV_PASS;
}

static void test_subscribe_and_fire_while_firing(void **state)
{
    nested_ev = pv_event("nested");
    pv_event_subscribe(nested_ev, 0, subscribe_and_refire, NULL, "t");
    pv_event_fire(nested_ev, NULL);
    /* The outer fire: n; the inner one: c (new, priority 100) then n. */
    assert_string_equal(order, "ncn");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_names_are_interned),
        T(test_fire_without_subscribers_passes),
        T(test_priority_order_and_payload),
        T(test_stopping_verdicts),
        T(test_unsubscribe),
        T(test_unsubscribe_while_firing),
        T(test_subscribe_and_fire_while_firing),
    };
    return cmocka_run_group_tests_name("event", tests, NULL, NULL);
}
