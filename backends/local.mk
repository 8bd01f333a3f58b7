# (fragment; see Makefile.am)
# Storage backends: one libtool module each, exporting NAME_LTX_pv_store.
# backends/common holds code compiled into several modules (each module is
# self-contained: no shared library between them).
BACKEND_COMMON = \
	backends/common/check.c backends/common/check.h \
	backends/common/strmap.c backends/common/strmap.h
BACKEND_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/backends/common

# memory: nothing persists.
pkglib_LTLIBRARIES += backends/memory/memory.la
backends_memory_memory_la_SOURCES = $(BACKEND_COMMON) \
	backends/common/roomdata.c backends/common/roomdata.h \
	backends/common/msglist.c backends/common/msglist.h \
	backends/memory/memory.h backends/memory/backend.c \
	backends/memory/rooms.c backends/memory/archive.c
backends_memory_memory_la_CPPFLAGS = $(BACKEND_CPPFLAGS)
backends_memory_memory_la_LDFLAGS = $(PV_STORE_MODFLAGS)
