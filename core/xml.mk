# (fragment; see Makefile.am)
# The XML layer: arena, stanza tree, serializer (with prepared fan-out) and
# the hostile-input-safe libxml2 push parser. Sources are listed in
# core/local.mk (CORE_SOURCES); this fragment adds their tests and the fuzzer.

if HAVE_CMOCKA
XML_TESTS = tests/unit/test_xml tests/unit/test_serialize tests/unit/test_xmlstream
check_PROGRAMS += $(XML_TESTS)
TESTS += $(XML_TESTS)

tests_unit_test_xml_SOURCES = tests/unit/test_xml.c tests/unit/test_xml_log.h
tests_unit_test_xml_CFLAGS = $(AM_CFLAGS) $(CORE_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_xml_LDADD = libpvcore.la $(CORE_LIBS) $(CMOCKA_LIBS)

tests_unit_test_serialize_SOURCES = tests/unit/test_serialize.c tests/unit/test_xml_log.h
tests_unit_test_serialize_CFLAGS = $(AM_CFLAGS) $(CORE_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_serialize_LDADD = libpvcore.la $(CORE_LIBS) $(CMOCKA_LIBS)

tests_unit_test_xmlstream_SOURCES = tests/unit/test_xmlstream.c tests/unit/test_xml_log.h
tests_unit_test_xmlstream_CFLAGS = $(AM_CFLAGS) $(CORE_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_xmlstream_LDADD = libpvcore.la $(CORE_LIBS) $(CMOCKA_LIBS)
endif

# libFuzzer target for the stream parser (not built by default; needs clang).
# See the header of tools/fuzz-xmlstream.c for how to run it.
EXTRA_DIST += tools/fuzz-xmlstream.c
CLEANFILES += fuzz-xmlstream
FUZZ_CC = clang
FUZZ_XML_FILES = $(top_srcdir)/tools/fuzz-xmlstream.c \
	$(top_srcdir)/core/arena.c $(top_srcdir)/core/xml.c \
	$(top_srcdir)/core/serialize.c $(top_srcdir)/core/textbuf.c \
	$(top_srcdir)/core/xmlstream.c \
	$(top_srcdir)/core/output.c $(top_srcdir)/core/metrics_kind.c
fuzz-xmlstream: $(FUZZ_XML_FILES)
	$(FUZZ_CC) -g -O1 -std=gnu11 -fsanitize=fuzzer,address,undefined \
	  -I$(top_srcdir)/include -I$(top_srcdir)/core $(XML_CFLAGS) \
	  -o $@ $(FUZZ_XML_FILES) $(XML_LIBS)
