# The core: stream, parser, router, config, module loading. It knows no MUC.
# CORE_SOURCES is built twice: into the daemon (which exports the pv_* SDK
# symbols to plugins) and into libpvcore.la for unit tests.
CORE_SOURCES += \
	core/arena.c core/arena.h \
	core/xml.c core/serialize.c core/xmlstream.c core/xmlstream.h \
	core/jid.c core/router.c core/router_internal.h core/event.c core/disco.c \
	core/services.c core/util.c core/log.c core/send.c \
	core/output.c core/output.h \
	core/config.c core/settings.c core/settings.h core/sdk_config.c \
	core/modules.c core/modules.h \
	core/stream.c core/stream.h core/traffic_log.c core/traffic_log.h

CORE_CFLAGS = $(XML_CFLAGS) $(IDN_CFLAGS) $(CRYPTO_CFLAGS)
CORE_LIBS = $(XML_LIBS) $(IDN_LIBS) $(CRYPTO_LIBS) $(EV_LIBS) $(LTDL_LIBS)

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
