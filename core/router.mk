# Router and core services: JIDs, hook chains, events, disco, sending,
# logging, utilities (the sources are listed in core/local.mk; these are the
# internal headers added since) and their unit tests.
CORE_SOURCES += core/log_internal.h core/event_internal.h core/disco_internal.h

if HAVE_CMOCKA
ROUTER_UNIT_TESTS = tests/unit/test_router tests/unit/test_jid tests/unit/test_event \
	tests/unit/test_util tests/unit/test_log tests/unit/test_services tests/unit/test_park
check_PROGRAMS += $(ROUTER_UNIT_TESTS)
TESTS += $(ROUTER_UNIT_TESTS)

ROUTER_TEST_CFLAGS = $(AM_CFLAGS) $(CORE_CFLAGS) $(CMOCKA_CFLAGS)
ROUTER_TEST_LDADD = libpvcore.la $(CORE_LIBS) $(CMOCKA_LIBS)

tests_unit_test_router_SOURCES = tests/unit/test_router.c tests/unit/router_capture.h
tests_unit_test_router_CFLAGS = $(ROUTER_TEST_CFLAGS)
tests_unit_test_router_LDADD = $(ROUTER_TEST_LDADD)

tests_unit_test_park_SOURCES = tests/unit/test_park.c tests/unit/router_capture.h
tests_unit_test_park_CFLAGS = $(ROUTER_TEST_CFLAGS)
tests_unit_test_park_LDADD = $(ROUTER_TEST_LDADD)

tests_unit_test_services_SOURCES = tests/unit/test_services.c tests/unit/router_capture.h
tests_unit_test_services_CFLAGS = $(ROUTER_TEST_CFLAGS)
tests_unit_test_services_LDADD = $(ROUTER_TEST_LDADD)

tests_unit_test_jid_SOURCES = tests/unit/test_jid.c
tests_unit_test_jid_CFLAGS = $(ROUTER_TEST_CFLAGS)
tests_unit_test_jid_LDADD = $(ROUTER_TEST_LDADD)

tests_unit_test_event_SOURCES = tests/unit/test_event.c
tests_unit_test_event_CFLAGS = $(ROUTER_TEST_CFLAGS)
tests_unit_test_event_LDADD = $(ROUTER_TEST_LDADD)

tests_unit_test_util_SOURCES = tests/unit/test_util.c
tests_unit_test_util_CFLAGS = $(ROUTER_TEST_CFLAGS)
tests_unit_test_util_LDADD = $(ROUTER_TEST_LDADD)

tests_unit_test_log_SOURCES = tests/unit/test_log.c
tests_unit_test_log_CFLAGS = $(ROUTER_TEST_CFLAGS)
tests_unit_test_log_LDADD = $(ROUTER_TEST_LDADD)
endif
