/*
 * tests/unit/test_park.c: parking in the core (LAZY-1's first half): a
 * handler that must load its room first parks the stanza (PV_AGAIN) and the
 * core replays it once the load is released, in arrival order, or answers it
 * when the load fails, the queue is full or the wait times out.
 *
 * The "rooms" hook below is a toy store: a room is loaded asynchronously
 * (the test completes the load, as a backend callback would, outside any
 * dispatch) or synchronously from inside the handler. The event loop is
 * driven by hand (EVRUN_NOWAIT / EVRUN_ONCE) for the deferred replays and the
 * timeouts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>

#include <ev.h>

#include "router_capture.h"
#include "router_internal.h"
#include <palaver/router.h>
#include <palaver/util.h>

#define SVC "conference.example.org"
#define NS "xmlns='jabber:component:accept' "
#define R1 "r1@" SVC
#define R2 "r2@" SVC

/* ---- A toy room store ---- */

enum load_mode { LOAD_ASYNC, LOAD_SYNC_OK, LOAD_SYNC_FAIL };

static struct {
    struct room {
        char key[128];
        bool loaded, loading;
    } rooms[8];
    int nrooms;
    int loads_started;
    enum load_mode mode;
    bool skip_busy; /* a handler that only looks at its rooms */
    char handled[512]; /* ids of the stanzas handled, in order */
} T;

static struct room *room(const char *key)
{
    for (int i = 0; i < T.nrooms; i++)
        if (strcmp(T.rooms[i].key, key) == 0)
            return &T.rooms[i];
    assert_true(T.nrooms < 8);
    struct room *r = &T.rooms[T.nrooms++];
    snprintf(r->key, sizeof r->key, "%s", key);
    return r;
}

/* What a backend callback does when the load ends. */
static void load_done(const char *key, bool ok)
{
    struct room *r = room(key);
    r->loading = false;
    if (ok) {
        r->loaded = true;
        pv_park_release(key);
    } else {
        pv_park_fail(key, "wait", "internal-server-error", "storage failed");
    }
}

static void note_handled(const pv_el_t *st)
{
    const char *id = pv_el_attr(st, "id");
    if (*T.handled)
        strncat(T.handled, ",", sizeof T.handled - strlen(T.handled) - 1);
    strncat(T.handled, id ? id : "?", sizeof T.handled - strlen(T.handled) - 1);
}

/* The documented handler shape: park while busy or not loaded, start one
 * load after parking. */
static pv_verdict_t rooms_hook(pv_stanza_ctx_t *ctx, void *ud)
{
    (void)ud;
    const char *key = ctx->to->bare;
    struct room *r = room(key);
    if ((!T.skip_busy && pv_park_busy(ctx, key)) || !r->loaded) {
        pv_verdict_t v = pv_stanza_park(ctx, key);
        if (v == PV_AGAIN && !r->loaded && !r->loading) {
            r->loading = true;
            T.loads_started++;
            if (T.mode != LOAD_ASYNC)
                load_done(key, T.mode == LOAD_SYNC_OK);
        }
        return v;
    }
    note_handled(ctx->stanza);
    return PV_HANDLED;
}

static int setup(void **state)
{
    (void)state;
    memset(&T, 0, sizeof T);
    assert_int_equal(router_set_domain(SVC), 0);
    assert_non_null(
        pv_hook_stanza(PV_KIND_ANY, PV_TO_BARE | PV_TO_FULL, NULL, 0, rooms_hook, NULL, "rooms"));
    ev_now_update(pv_loop());
    cap_start();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
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

static void msg(const char *id, const char *to)
{
    char xml[512];
    snprintf(xml, sizeof xml,
             "<message " NS "from='u@example.org/r' to='%s' id='%s' type='groupchat'>"
             "<body>%s</body></message>",
             to, id, id);
    dispatch(xml);
}

static void iq(const char *id, const char *to)
{
    char xml[512];
    snprintf(xml, sizeof xml,
             "<iq " NS "from='u@example.org/r' to='%s' id='%s' type='get'>"
             "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
             to, id);
    dispatch(xml);
}

/* One loop iteration without blocking (deferred replays). */
static void run_loop(void)
{
    ev_run(pv_loop(), EVRUN_NOWAIT);
}

/* Asserts that the i-th sent stanza is an error of this type and condition
 * to u@example.org/r answering the stanza `id`. */
static void expect_error_at(int i, const char *id, const char *type, const char *cond)
{
    pv_el_t *e = cap_parse(i);
    assert_non_null(e);
    assert_string_equal(pv_el_attr(e, "type"), "error");
    assert_string_equal(pv_el_attr(e, "to"), "u@example.org/r");
    if (id)
        assert_string_equal(pv_el_attr(e, "id"), id);
    pv_el_t *err = pv_el_child(e, NULL, "error");
    assert_non_null(err);
    assert_string_equal(pv_el_attr(err, "type"), type);
    assert_non_null(pv_el_child(err, PV_NS_STANZAS, cond));
    pv_el_free(e);
}

/* ---- Release and replay ---- */

static void test_parked_stanzas_replay_in_order_after_release(void **state)
{
    msg("m1", R1);
    msg("m2", R1);
    iq("i3", R1 "/nick");
    assert_string_equal(T.handled, "");
    assert_int_equal(T.loads_started, 1);
    assert_true(pv_park_busy(NULL, R1));
    assert_false(pv_park_busy(NULL, R2));
    assert_int_equal(cap_n, 0);

    load_done(R1, true); /* a backend callback: the replay is deferred */
    assert_string_equal(T.handled, "");
    run_loop();
    assert_string_equal(T.handled, "m1,m2,i3");
    assert_false(pv_park_busy(NULL, R1));
    assert_int_equal(cap_n, 0);

    msg("m4", R1); /* loaded: straight through */
    assert_string_equal(T.handled, "m1,m2,i3,m4");
    assert_int_equal(T.loads_started, 1);
}

static void test_later_arrivals_wait_behind_the_parked_ones(void **state)
{
    room(R2)->loaded = true;
    msg("m1", R1);
    msg("x1", R2); /* another room is not held up */
    assert_string_equal(T.handled, "x1");
    msg("m2", R1);
    load_done(R1, true);
    /* Released but not replayed yet: the next stanza from the server is
     * dispatched after the released ones. */
    msg("m3", R1);
    assert_string_equal(T.handled, "x1,m1,m2,m3");
    run_loop();
    assert_string_equal(T.handled, "x1,m1,m2,m3");
    assert_false(pv_park_busy(NULL, R1));
}

static void test_released_stanzas_run_before_the_next_arrival(void **state)
{
    T.skip_busy = true;
    msg("m1", R1);
    msg("m2", R1);
    load_done(R1, true);
    msg("m3", R1); /* the room is loaded and the handler does not ask */
    assert_string_equal(T.handled, "m1,m2,m3");
    run_loop();
    assert_string_equal(T.handled, "m1,m2,m3");
}

static void test_release_from_inside_the_handler(void **state)
{
    T.mode = LOAD_SYNC_OK; /* the load completes before pv_stanza_park's caller returns */
    msg("m1", R1);
    assert_string_equal(T.handled, "m1");
    msg("m2", R1);
    assert_string_equal(T.handled, "m1,m2");
    assert_int_equal(T.loads_started, 1);
    assert_false(pv_park_busy(NULL, R1));
    assert_int_equal(cap_n, 0);
}

static void test_reparked_stanza_stays_in_front(void **state)
{
    msg("m1", R1);
    msg("m2", R1);
    msg("m3", R1);
    /* Released without the room: the first replayed stanza parks again (a new
     * load starts) and the others stay behind it. */
    room(R1)->loading = false;
    pv_park_release(R1);
    run_loop();
    assert_string_equal(T.handled, "");
    assert_int_equal(T.loads_started, 2);
    assert_true(pv_park_busy(NULL, R1));
    run_loop(); /* nothing is replayed without a new release */
    assert_string_equal(T.handled, "");
    msg("m4", R1);
    load_done(R1, true);
    run_loop();
    assert_string_equal(T.handled, "m1,m2,m3,m4");
    assert_int_equal(cap_n, 0);
}

static void test_reparked_and_released_synchronously_on_replay(void **state)
{
    msg("m1", R1);
    msg("m2", R1);
    room(R1)->loading = false;
    T.mode = LOAD_SYNC_OK; /* the replay's new load completes at once */
    pv_park_release(R1);
    run_loop();
    run_loop();
    assert_string_equal(T.handled, "m1,m2");
    assert_int_equal(T.loads_started, 2);
    assert_false(pv_park_busy(NULL, R1));
}

/* ---- Failures ---- */

static void test_failed_load_answers_the_parked_stanzas(void **state)
{
    iq("i1", R1);
    msg("m1", R1);
    dispatch("<message " NS "from='u@example.org/r' to='" R1 "' id='e1' type='error'/>");
    dispatch("<iq " NS "from='u@example.org/r' to='" R1 "/n' id='r1' type='result'/>");
    dispatch("<presence " NS "from='u@example.org/r' to='" R1 "/nick' id='p1'/>");
    assert_int_equal(cap_n, 0);

    load_done(R1, false);
    assert_int_equal(cap_n, 3); /* not the error, not the result */
    expect_error_at(0, "i1", "wait", "internal-server-error");
    expect_error_at(1, "m1", "wait", "internal-server-error");
    expect_error_at(2, "p1", "wait", "internal-server-error");
    pv_el_t *e = cap_parse(2);
    assert_string_equal(e->name, "presence");
    pv_el_free(e);
    assert_false(pv_park_busy(NULL, R1));
    run_loop();
    assert_int_equal(cap_n, 3);
    assert_string_equal(T.handled, "");

    /* The next stanza tries again. */
    msg("m2", R1);
    assert_int_equal(T.loads_started, 2);
    load_done(R1, true);
    run_loop();
    assert_string_equal(T.handled, "m2");
}

static void test_synchronous_failure_answers_the_stanza_once(void **state)
{
    T.mode = LOAD_SYNC_FAIL;
    iq("i1", R1);
    assert_int_equal(cap_n, 1);
    expect_error_at(0, "i1", "wait", "internal-server-error");
    dispatch("<message " NS "from='u@example.org/r' to='" R1 "' id='e1' type='error'/>");
    assert_int_equal(cap_n, 1);
    assert_false(pv_park_busy(NULL, R1));
    run_loop();
    assert_int_equal(cap_n, 1);
}

/* An answer to a parked stanza is not the answer to the stanza being
 * dispatched, even with the same sender, name and (absent) id. */
static pv_verdict_t fail_r1_then_refuse(pv_stanza_ctx_t *ctx, void *ud)
{
    (void)ud;
    load_done(R1, false);
    return pv_stanza_fail(ctx, "cancel", "not-allowed", NULL);
}

static void test_failure_reply_is_not_the_current_stanzas_answer(void **state)
{
    pv_hook_stanza(PV_KIND_PRESENCE, PV_TO_SERVICE, NULL, 0, fail_r1_then_refuse, NULL, "t");
    dispatch("<presence " NS "from='u@example.org/r' to='" R1 "/nick'/>");
    assert_int_equal(cap_n, 0);
    dispatch("<presence " NS "from='u@example.org/r' to='" SVC "'/>");
    assert_int_equal(cap_n, 2);
    expect_error_at(0, NULL, "wait", "internal-server-error");
    expect_error_at(1, NULL, "cancel", "not-allowed");
}

/* ---- Bounds ---- */

static void test_full_queue_answers_resource_constraint(void **state)
{
    assert_int_equal(park_set_limits(3, 10.0), 0);
    iq("i1", R1);
    iq("i2", R1);
    iq("i3", R1);
    iq("i4", R1);
    assert_int_equal(cap_n, 1);
    expect_error_at(0, "i4", "wait", "resource-constraint");
    dispatch("<message " NS "from='u@example.org/r' to='" R1 "' id='e1' type='error'/>");
    assert_int_equal(cap_n, 1); /* refused, never answered */
    load_done(R1, true);
    run_loop();
    assert_string_equal(T.handled, "i1,i2,i3");
    assert_int_equal(cap_n, 1);
}

static void test_timeout_answers_internal_server_error_wait(void **state)
{
    assert_int_equal(park_set_limits(100, 0.05), 0);
    iq("i1", R1);
    dispatch("<message " NS "from='u@example.org/r' to='" R1 "' id='e1' type='error'/>");
    iq("i2", R1 "/nick");
    for (int i = 0; i < 100 && pv_park_busy(NULL, R1); i++)
        ev_run(pv_loop(), EVRUN_ONCE);
    assert_false(pv_park_busy(NULL, R1));
    assert_int_equal(cap_n, 2);
    expect_error_at(0, "i1", "wait", "internal-server-error");
    expect_error_at(1, "i2", "wait", "internal-server-error");

    load_done(R1, true); /* too late: nothing left to release */
    run_loop();
    assert_string_equal(T.handled, "");
    assert_int_equal(cap_n, 2);
    iq("i3", R1);
    assert_string_equal(T.handled, "i3");
}

static void test_released_queue_does_not_time_out(void **state)
{
    assert_int_equal(park_set_limits(100, 0.05), 0);
    msg("m1", R1);
    load_done(R1, true);
    ev_sleep(0.1);
    run_loop();
    assert_string_equal(T.handled, "m1");
    assert_int_equal(cap_n, 0);
}

static void test_limits_are_checked(void **state)
{
    assert_int_equal(park_set_limits(0, 1.0), -1);
    assert_int_equal(park_set_limits(1, 0.0), -1);
    assert_int_equal(park_set_limits(1, -1.0), -1);
}

static void test_parked_stanzas_are_freed_at_exit(void **state)
{
    msg("m1", R1);
    iq("i1", R2);
    msg("m2", R1);
    assert_int_equal(cap_n, 0);
    /* teardown's router_cleanup frees them (the sanitizers check) */
}

/* ---- Misuse ---- */

static pv_verdict_t again_without_park(pv_stanza_ctx_t *ctx, void *ud)
{
    (void)ctx;
    (void)ud;
    return PV_AGAIN;
}

static pv_verdict_t park_then_handle(pv_stanza_ctx_t *ctx, void *ud)
{
    (void)ud;
    assert_int_equal(pv_stanza_park(ctx, "k"), PV_AGAIN);
    assert_true(pv_park_busy(NULL, "k"));
    return PV_HANDLED;
}

static void test_again_without_park_is_internal_server_error(void **state)
{
    pv_hook_stanza(PV_KIND_IQ, PV_TO_SERVICE, NULL, 0, again_without_park, NULL, "t");
    iq("i1", SVC);
    assert_int_equal(cap_n, 1);
    expect_error_at(0, "i1", "wait", "internal-server-error");
}

static void test_park_then_other_verdict_is_undone(void **state)
{
    pv_hook_stanza(PV_KIND_MESSAGE, PV_TO_SERVICE, NULL, 0, park_then_handle, NULL, "t");
    msg("m1", SVC);
    assert_false(pv_park_busy(NULL, "k"));
    assert_int_equal(cap_n, 0);
    pv_park_release("k");
    run_loop();
    assert_int_equal(cap_n, 0);
}

static void test_park_outside_a_handler_is_refused(void **state)
{
    pv_el_t *st = stanza("<message " NS "from='u@example.org/r' to='" R1 "'/>");
    pv_stanza_ctx_t ctx = {.stanza = st};
    assert_int_equal(pv_stanza_park(&ctx, R1), PV_ERROR);
    assert_string_equal(ctx.err_condition, "internal-server-error");
    assert_false(pv_park_busy(NULL, R1));
    pv_el_free(st);
    pv_park_release("nothing");
    pv_park_fail("nothing", NULL, NULL, NULL);
    assert_int_equal(cap_n, 0);
}

#define TS(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TS(test_parked_stanzas_replay_in_order_after_release),
        TS(test_later_arrivals_wait_behind_the_parked_ones),
        TS(test_released_stanzas_run_before_the_next_arrival),
        TS(test_release_from_inside_the_handler),
        TS(test_reparked_stanza_stays_in_front),
        TS(test_reparked_and_released_synchronously_on_replay),
        TS(test_failed_load_answers_the_parked_stanzas),
        TS(test_synchronous_failure_answers_the_stanza_once),
        TS(test_failure_reply_is_not_the_current_stanzas_answer),
        TS(test_full_queue_answers_resource_constraint),
        TS(test_timeout_answers_internal_server_error_wait),
        TS(test_released_queue_does_not_time_out),
        TS(test_limits_are_checked),
        TS(test_parked_stanzas_are_freed_at_exit),
        TS(test_again_without_park_is_internal_server_error),
        TS(test_park_then_other_verdict_is_undone),
        TS(test_park_outside_a_handler_is_refused),
    };
    int failed = cmocka_run_group_tests_name("park", tests, NULL, NULL);
    ev_loop_destroy(pv_loop()); /* the loop's own memory, for valgrind */
    return failed;
}
