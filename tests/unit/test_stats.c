/*
 * tests/unit/test_stats.c: the statistics SDK (palaver/stats.h) and the
 * core's counters (core/stats.h) without a daemon: the core's figures come
 * first, then each source's in registration order; bad names are refused;
 * unregistering removes a source; the storage wrapper times every operation
 * and hands the caller's callback its own data back (the store's minor 3
 * calls too, each in the metrics' histogram of its operation); the periodic
 * line starts a new interval; the metrics count stanzas by kind and errors
 * by condition.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <palaver/stats.h>
#include <palaver/store.h>

#include "log_internal.h"
#include "metrics.h"
#include "stats.h"

typedef struct seen {
    char names[64][48];
    char values[64][48];
    size_t n;
} seen_t;

static void visit(const char *name, const char *label, const char *value, void *ud)
{
    seen_t *s = ud;
    assert_non_null(label);
    assert_true(s->n < 64);
    snprintf(s->names[s->n], sizeof s->names[0], "%s", name);
    snprintf(s->values[s->n], sizeof s->values[0], "%s", value);
    s->n++;
}

static const char *value_of(const seen_t *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->names[i], name) == 0)
            return s->values[i];
    return NULL;
}

static long index_of(const seen_t *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->names[i], name) == 0)
            return (long)i;
    return -1;
}

static void src_a(pv_stats_t *st, void *ud)
{
    assert_int_equal(pv_stats_add(st, "widgets", "Widgets", "%d", *(int *)ud), 0);
    assert_int_equal(pv_stats_add(st, "Bad Name", "x", "1"), -1);
    assert_int_equal(pv_stats_add(st, "", "x", "1"), -1);
}

static void src_b(pv_stats_t *st, void *ud)
{
    (void)ud;
    assert_int_equal(pv_stats_add(st, "gadgets-per-second", "Gadgets", "%.2f", 2.5), 0);
}

static void test_sources_in_order_after_the_core(void **state)
{
    (void)state;
    int widgets = 7;
    pv_stats_source_t *a = pv_stats_register("a", src_a, &widgets);
    pv_stats_source_t *b = pv_stats_register("b", src_b, NULL);
    assert_non_null(a);
    assert_non_null(b);
    seen_t s = {0};
    size_t n = pv_stats_collect(visit, &s);
    assert_int_equal(n, s.n);
    assert_string_equal(s.names[0], "uptime-seconds");
    assert_string_equal(value_of(&s, "widgets"), "7");
    assert_string_equal(value_of(&s, "gadgets-per-second"), "2.50");
    assert_true(index_of(&s, "backend-latency-max-ms") < index_of(&s, "widgets"));
    assert_int_equal(index_of(&s, "widgets") + 1, index_of(&s, "gadgets-per-second"));
    assert_int_equal(index_of(&s, "Bad Name"), -1);

    pv_stats_unregister(a);
    memset(&s, 0, sizeof s);
    pv_stats_collect(visit, &s);
    assert_null(value_of(&s, "widgets"));
    assert_string_equal(value_of(&s, "gadgets-per-second"), "2.50");
    pv_stats_unregister(b);
    pv_stats_unregister(NULL);
    /* A source registered after the last one was removed is still called. */
    pv_stats_source_t *c = pv_stats_register("c", src_a, &widgets);
    memset(&s, 0, sizeof s);
    pv_stats_collect(visit, &s);
    assert_string_equal(value_of(&s, "widgets"), "7");
    pv_stats_unregister(c);
}

static void test_core_counters(void **state)
{
    (void)state;
    seen_t s = {0};
    pv_stats_collect(visit, &s);
    long in0 = atol(value_of(&s, "stanzas-in")), out0 = atol(value_of(&s, "stanzas-out"));
    for (int i = 0; i < 5; i++)
        stats_stanza_in();
    stats_stanza_out();
    stats_stanza_out();
    stats_stanza_dropped();
    stats_queue(1000, 3);
    stats_queue(10, 1);
    stats_backend_time(0.002);
    stats_backend_time(0.004);
    memset(&s, 0, sizeof s);
    pv_stats_collect(visit, &s);
    assert_int_equal(atol(value_of(&s, "stanzas-in")), in0 + 5);
    assert_int_equal(atol(value_of(&s, "stanzas-out")), out0 + 2);
    assert_string_equal(value_of(&s, "stanzas-dropped"), "1");
    assert_string_equal(value_of(&s, "queue-bytes"), "10");
    assert_string_equal(value_of(&s, "queue-stanzas"), "1");
    assert_string_equal(value_of(&s, "queue-bytes-max"), "1000");
    assert_string_equal(value_of(&s, "queue-stanzas-max"), "3");
    assert_string_equal(value_of(&s, "backend-operations"), "2");
    assert_string_equal(value_of(&s, "backend-latency-mean-ms"), "3.000");
    assert_string_equal(value_of(&s, "backend-latency-max-ms"), "4.000");

    /* The periodic line starts a new interval: peaks from the queue as it
     * is now, no backend operation, totals kept. */
    log_open("/dev/null");
    stats_log_line();
    log_close();
    memset(&s, 0, sizeof s);
    pv_stats_collect(visit, &s);
    assert_int_equal(atol(value_of(&s, "stanzas-in")), in0 + 5);
    assert_string_equal(value_of(&s, "stanzas-in-per-second"), "0.00");
    assert_string_equal(value_of(&s, "queue-bytes-max"), "10");
    assert_string_equal(value_of(&s, "backend-operations"), "0");
    assert_string_equal(value_of(&s, "backend-latency-max-ms"), "0.000");
    stats_queue(0, 0);
}

/* ---- a fake backend, synchronous for room_put, deferred for room_load ---- */

static pv_store_room_fn deferred_cb;
static void *deferred_ud;
static int put_calls;

static void fake_put(void *h, const char *name, const pv_kv_t *config, size_t n,
                     pv_store_done_fn cb, void *ud)
{
    (void)h, (void)name, (void)config, (void)n;
    put_calls++;
    cb(PV_STORE_OK, NULL, ud);
}

static void fake_load(void *h, const char *name, pv_store_room_fn cb, void *ud)
{
    (void)h, (void)name;
    deferred_cb = cb;
    deferred_ud = ud;
}

static int done_status = 99;
static void *done_ud;

static void on_done(int status, const char *error, void *ud)
{
    (void)error;
    done_status = status;
    done_ud = ud;
}

static void on_room(int status, const char *error, const pv_store_room_t *room, void *ud)
{
    (void)error, (void)room;
    done_status = status;
    done_ud = ud;
}

static void test_store_wrapper_times_each_operation(void **state)
{
    (void)state;
    /* An old backend: its table ends before archive_trim. */
    pv_store_t fake = {.size = offsetof(pv_store_t, archive_trim), .abi_major = 1,
                       .name = "fake", .room_put = fake_put, .room_load = fake_load};
    const pv_store_t *t = stats_store_wrap(&fake);
    assert_non_null(t);
    assert_ptr_not_equal(t, &fake);
    assert_ptr_equal(stats_store_wrap(&fake), t);
    assert_null(stats_store_wrap(NULL));
    assert_string_equal(t->name, "fake");
    assert_int_equal(t->size, fake.size);
    assert_null(t->room_delete);    /* absent stays absent */
    assert_null(t->archive_trim);

    log_open("/dev/null");
    stats_log_line();               /* a fresh interval */
    log_close();
    int mine;
    t->room_put(NULL, "r", NULL, 0, on_done, &mine);
    assert_int_equal(put_calls, 1);
    assert_int_equal(done_status, PV_STORE_OK);
    assert_ptr_equal(done_ud, &mine);
    done_status = 99;
    t->room_load(NULL, "r", on_room, &mine);
    assert_int_equal(done_status, 99);   /* not answered yet */
    seen_t s = {0};
    pv_stats_collect(visit, &s);
    assert_string_equal(value_of(&s, "backend-operations"), "1");
    deferred_cb(PV_STORE_ENOTFOUND, "no", NULL, deferred_ud);
    assert_int_equal(done_status, PV_STORE_ENOTFOUND);
    assert_ptr_equal(done_ud, &mine);
    memset(&s, 0, sizeof s);
    pv_stats_collect(visit, &s);
    assert_string_equal(value_of(&s, "backend-operations"), "2");
}

/* ---- a minor 3 backend: leases deferred, occupants synchronous ---- */

static void (*acq_cb)(int, const char *, int64_t, const char *, void *);
static void *acq_ud;

static void fake_acquire(void *h, const char *room, const char *instance, int ttl_ms,
                         void (*cb)(int, const char *, int64_t, const char *, void *), void *ud)
{
    (void)h, (void)room, (void)instance, (void)ttl_ms;
    acq_cb = cb;
    acq_ud = ud;
}

static void fake_watch(void *h, const char *instance, void (*asked)(const char *, void *),
                       void *ud)
{
    (void)h, (void)instance, (void)asked, (void)ud;
}

static void fake_occupants(void *h, const char *room,
                           void (*cb)(int, const char *, const pv_kv_t *, size_t, void *),
                           void *ud)
{
    (void)h, (void)room;
    static const pv_kv_t one = {"nick", "data"};
    cb(PV_STORE_OK, NULL, &one, 1, ud);
}

static int64_t got_epoch;
static size_t got_n;

static void on_acquired(int status, const char *error, int64_t epoch, const char *holder,
                        void *ud)
{
    (void)error, (void)holder;
    done_status = status;
    got_epoch = epoch;
    done_ud = ud;
}

static void on_occupants(int status, const char *error, const pv_kv_t *occ, size_t n, void *ud)
{
    (void)error, (void)occ;
    done_status = status;
    got_n = n;
    done_ud = ud;
}

static const metrics_histogram_t *histogram_of(const char *op)
{
    const metrics_histogram_t *h;
    for (size_t i = 0; (h = metrics_backend_histogram(i)) != NULL; i++)
        if (strcmp(h->op, op) == 0)
            return h;
    return NULL;
}

static void test_store_wrapper_times_leases_and_occupants(void **state)
{
    (void)state;
    pv_store_t fake = {.size = sizeof(pv_store_t), .abi_major = 1, .name = "fake3",
                       .lease_acquire = fake_acquire, .lease_watch = fake_watch,
                       .occupants_load = fake_occupants};
    const pv_store_t *t = stats_store_wrap(&fake);
    assert_ptr_equal(t->lease_watch, fake_watch); /* a registration, not timed */
    assert_null(t->lease_renew);
    int mine;
    t->occupants_load(NULL, "r", on_occupants, &mine);
    assert_int_equal(done_status, PV_STORE_OK);
    assert_int_equal(got_n, 1);
    assert_ptr_equal(done_ud, &mine);
    t->lease_acquire(NULL, "r", "a", 1000, on_acquired, &mine);
    assert_null(histogram_of("lease_acquire")); /* not answered yet */
    acq_cb(PV_STORE_OK, NULL, 42, "a", acq_ud);
    assert_int_equal(got_epoch, 42);
    assert_ptr_equal(done_ud, &mine);
    const metrics_histogram_t *h = histogram_of("lease_acquire");
    assert_non_null(h);
    assert_int_equal(h->count, 1);
    assert_int_equal(h->le[METRICS_NBUCKETS - 1], 1);
    h = histogram_of("occupants_load");
    assert_non_null(h);
    assert_int_equal(h->count, 1);
    size_t len = 0;
    char *text = metrics_render(false, &len);
    assert_non_null(text);
    assert_non_null(strstr(text, "palaver_backend_call_duration_seconds_count{operation="
                                 "\"occupants_load\"} 1\n"));
    free(text);
}

static void test_metrics_stanza_kinds_and_error_conditions(void **state)
{
    (void)state;
    uint64_t msg = metrics_stanzas_out(METRICS_MESSAGE), iq = metrics_stanzas_out(METRICS_IQ),
             pres = metrics_stanzas_out(METRICS_PRESENCE),
             other = metrics_stanzas_out(METRICS_OTHER);
    metrics_stanza_out("<message to='a'/>", 17);
    metrics_stanza_out("<iq>", 4);
    metrics_stanza_out("<c:presence/>", 13);
    metrics_stanza_out("<messages/>", 11);
    metrics_stanza_out("", 0);
    metrics_stanza_out("<mess", 5); /* cut short: its name is "mess" */
    assert_int_equal(metrics_stanzas_out(METRICS_MESSAGE), msg + 1);
    assert_int_equal(metrics_stanzas_out(METRICS_IQ), iq + 1);
    assert_int_equal(metrics_stanzas_out(METRICS_PRESENCE), pres + 1);
    assert_int_equal(metrics_stanzas_out(METRICS_OTHER), other + 3);

    pv_el_t *e = pv_el_new(NULL, "message");
    assert_non_null(e);
    assert_int_equal(pv_el_set_attr(e, "type", "error"), 0);
    pv_el_t *err = pv_el_add(e, NULL, "error");
    assert_non_null(pv_el_add_text_child(err, PV_NS_STANZAS, "text", "why"));
    assert_non_null(pv_el_add(err, PV_NS_STANZAS, "forbidden"));
    size_t forbidden = 0, otheri = 0;
    for (size_t i = 0; metrics_conditions[i]; i++) {
        if (strcmp(metrics_conditions[i], "forbidden") == 0)
            forbidden = i;
        if (strcmp(metrics_conditions[i], "other") == 0)
            otheri = i;
    }
    uint64_t f0 = metrics_errors(forbidden), o0 = metrics_errors(otheri);
    metrics_stanza_sent(e);
    assert_int_equal(metrics_errors(forbidden), f0 + 1);
    pv_el_free(e);
    e = pv_el_new(NULL, "iq");
    assert_int_equal(pv_el_set_attr(e, "type", "error"), 0);
    assert_non_null(pv_el_add(pv_el_add(e, NULL, "error"), PV_NS_STANZAS, "made-up"));
    metrics_stanza_sent(e);
    assert_int_equal(metrics_errors(otheri), o0 + 1);
    assert_int_equal(pv_el_set_attr(e, "type", "result"), 0);
    metrics_stanza_sent(e); /* not an error: not counted */
    assert_int_equal(metrics_errors(otheri), o0 + 1);
    pv_el_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sources_in_order_after_the_core),
        cmocka_unit_test(test_core_counters),
        cmocka_unit_test(test_store_wrapper_times_each_operation),
        cmocka_unit_test(test_store_wrapper_times_leases_and_occupants),
        cmocka_unit_test(test_metrics_stanza_kinds_and_error_conditions),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    stats_shutdown();
    return rc;
}
