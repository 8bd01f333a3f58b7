# The core: stream, parser, router, config, module loading. It knows no MUC.
# CORE_SOURCES is built twice: into the daemon (which exports the pv_* SDK
# symbols to plugins) and into libpvcore.la for unit tests.
CORE_SOURCES += \
	core/arena.c core/arena.h \
	core/xml.c core/serialize.c core/textbuf.c core/textbuf.h core/xmlstream.c core/xmlstream.h \
	core/jid.c core/router.c core/router_internal.h core/park.c core/event.c \
	core/disco.c core/form.c \
	core/services.c core/util.c core/util_internal.h core/map.c core/log.c core/send.c \
	core/output.c core/output.h core/prepared.h \
	core/fanout.c core/fanout.h core/multicast.c \
	core/config.c core/settings.c core/settings.h core/sdk_config.c \
	core/plugin_handle.c core/plugin_handle.h core/plugin_keys.c \
	core/modules.c core/modules.h \
	core/stream.c core/stream.h core/traffic_log.c core/traffic_log.h \
	core/log_syslog.c \
	core/stats.c core/stats.h core/store_timing.c core/store_check.c core/store_check.h \
	core/metrics.c core/metrics.h core/metrics_kind.c core/metrics_text.c core/metrics_http.c core/metrics_http.h

# The statistics SDK (sources registered by plugins, collection).
pkginclude_HEADERS += include/palaver/stats.h
# Data forms (XEP-0004): build and read jabber:x:data.
pkginclude_HEADERS += include/palaver/form.h
# The string-keyed hash table (core, plugins and backends).
pkginclude_HEADERS += include/palaver/map.h

CORE_CFLAGS = $(XML_CFLAGS) $(IDN_CFLAGS) $(CRYPTO_CFLAGS) $(MHD_CFLAGS)
CORE_LIBS = $(XML_LIBS) $(IDN_LIBS) $(CRYPTO_LIBS) $(MHD_LIBS) $(EV_LIBS) $(LTDL_LIBS)

bin_PROGRAMS += palaver
palaver_SOURCES = core/main.c $(CORE_SOURCES)
palaver_CFLAGS = $(AM_CFLAGS) $(CORE_CFLAGS)
palaver_LDADD = $(CORE_LIBS)
# Export only the SDK (pv_*) to plugins, so a plugin's own internal names
# never bind to the daemon's.
palaver_LDFLAGS = '-Wl,--export-dynamic-symbol=pv_*'

noinst_LTLIBRARIES += libpvcore.la
libpvcore_la_SOURCES = $(CORE_SOURCES)
libpvcore_la_CFLAGS = $(AM_CFLAGS) $(CORE_CFLAGS)
libpvcore_la_LIBADD = $(CORE_LIBS)

# The statistics (periodic log line, get-statistics ad-hoc command) and the
# syslog destination, end to end through the fake server.
CORE_OPS_TESTS = tests/core/test_stats.py tests/core/test_syslog.py
TESTS += $(CORE_OPS_TESTS)
EXTRA_DIST += $(CORE_OPS_TESTS)

if HAVE_CMOCKA
# The statistics SDK, the core's counters and the timed storage table.
check_PROGRAMS += tests/unit/test_stats
TESTS += tests/unit/test_stats
tests_unit_test_stats_SOURCES = tests/unit/test_stats.c
tests_unit_test_stats_CFLAGS = $(AM_CFLAGS) $(CORE_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_stats_LDADD = libpvcore.la $(CORE_LIBS) $(CMOCKA_LIBS)
# The storage interface's argument rules, applied once by the core's wrapper.
check_PROGRAMS += tests/unit/test_store_check
TESTS += tests/unit/test_store_check
tests_unit_test_store_check_SOURCES = tests/unit/test_store_check.c
tests_unit_test_store_check_CFLAGS = $(AM_CFLAGS) $(CORE_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_store_check_LDADD = libpvcore.la $(CORE_LIBS) $(CMOCKA_LIBS)
# The hash table of palaver/map.h.
check_PROGRAMS += tests/unit/test_map
TESTS += tests/unit/test_map
tests_unit_test_map_SOURCES = tests/unit/test_map.c
tests_unit_test_map_CFLAGS = $(AM_CFLAGS) $(CORE_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_map_LDADD = libpvcore.la $(CORE_LIBS) $(CMOCKA_LIBS)
# Data forms: building, finding, reading, NULL and allocation failure.
check_PROGRAMS += tests/unit/test_form
TESTS += tests/unit/test_form
tests_unit_test_form_SOURCES = tests/unit/test_form.c
tests_unit_test_form_CFLAGS = $(AM_CFLAGS) $(CORE_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_form_LDADD = libpvcore.la $(CORE_LIBS) $(CMOCKA_LIBS)
# malloc fails on demand: the builders' allocation failures.
tests_unit_test_form_LDFLAGS = -Wl,--wrap=malloc
endif
