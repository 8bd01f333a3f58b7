# Configuration and module loading: the suggestion helper, the unit tests of
# config.c/settings.c/sdk_config.c/modules.c, the test modules they load, and
# the out-of-tree SDK proof (tests/sdk).
CORE_SOURCES += core/suggest.c core/suggest.h

# Test modules: one per way a module can be right or wrong.
TEST_MODFLAGS = -module -avoid-version -shared -rpath /nowhere
check_LTLIBRARIES += tests/modules/good.la tests/modules/dep-user.la \
	tests/modules/bad-abi.la tests/modules/new-minor.la tests/modules/no-desc.la \
	tests/modules/needs-missing.la tests/modules/init-fail.la tests/modules/misnamed.la \
	tests/modules/cycle-a.la tests/modules/cycle-b.la tests/modules/undefined-sym.la \
	tests/modules/good-store.la tests/modules/bad-store.la tests/modules/handle.la \
	tests/modules/with-companion.la tests/modules/companion.la tests/modules/old-companion.la
tests_modules_good_la_SOURCES = tests/modules/good.c tests/modules/trace.h
tests_modules_good_la_LDFLAGS = $(TEST_MODFLAGS)
tests_modules_dep_user_la_SOURCES = tests/modules/dep-user.c tests/modules/trace.h
tests_modules_dep_user_la_LDFLAGS = $(TEST_MODFLAGS)
tests_modules_bad_abi_la_SOURCES = tests/modules/bad-abi.c
tests_modules_bad_abi_la_LDFLAGS = $(TEST_MODFLAGS)
tests_modules_new_minor_la_SOURCES = tests/modules/new-minor.c
tests_modules_new_minor_la_LDFLAGS = $(TEST_MODFLAGS)
tests_modules_no_desc_la_SOURCES = tests/modules/no-desc.c
tests_modules_no_desc_la_LDFLAGS = $(TEST_MODFLAGS)
tests_modules_needs_missing_la_SOURCES = tests/modules/needs-missing.c
tests_modules_needs_missing_la_LDFLAGS = $(TEST_MODFLAGS)
tests_modules_init_fail_la_SOURCES = tests/modules/init-fail.c tests/modules/trace.h
tests_modules_init_fail_la_LDFLAGS = $(TEST_MODFLAGS)
tests_modules_misnamed_la_SOURCES = tests/modules/misnamed.c
tests_modules_misnamed_la_LDFLAGS = $(TEST_MODFLAGS)
tests_modules_cycle_a_la_SOURCES = tests/modules/cycle-a.c
tests_modules_cycle_a_la_LDFLAGS = $(TEST_MODFLAGS)
tests_modules_cycle_b_la_SOURCES = tests/modules/cycle-b.c
tests_modules_cycle_b_la_LDFLAGS = $(TEST_MODFLAGS)
tests_modules_undefined_sym_la_SOURCES = tests/modules/undefined-sym.c
tests_modules_undefined_sym_la_LDFLAGS = $(TEST_MODFLAGS)
tests_modules_good_store_la_SOURCES = tests/modules/good-store.c tests/modules/trace.h
tests_modules_good_store_la_LDFLAGS = $(TEST_MODFLAGS)
tests_modules_bad_store_la_SOURCES = tests/modules/bad-store.c tests/modules/trace.h
tests_modules_bad_store_la_LDFLAGS = $(TEST_MODFLAGS)
tests_modules_handle_la_SOURCES = tests/modules/handle.c tests/modules/trace.h
tests_modules_handle_la_LDFLAGS = $(TEST_MODFLAGS)
tests_modules_with_companion_la_SOURCES = tests/modules/with-companion.c tests/modules/trace.h
tests_modules_with_companion_la_LDFLAGS = $(TEST_MODFLAGS)
tests_modules_companion_la_SOURCES = tests/modules/companion.c tests/modules/trace.h
tests_modules_companion_la_LDFLAGS = $(TEST_MODFLAGS)
tests_modules_old_companion_la_SOURCES = tests/modules/old-companion.c tests/modules/trace.h
tests_modules_old_companion_la_LDFLAGS = $(TEST_MODFLAGS)

# The SDK example plugin, also built in the tree so that end-to-end tests can
# list <hello/> (tests/sdk is in PALAVER_MODULE_DIR).
check_LTLIBRARIES += tests/sdk/hello.la
tests_sdk_hello_la_SOURCES = tests/sdk/hello.c
tests_sdk_hello_la_LDFLAGS = $(TEST_MODFLAGS)

# pkg-config prefers palaver-uninstalled.pc when PKG_CONFIG_PATH points at the
# build tree: the README's build command then works before `make install`.
palaver-uninstalled.pc: $(srcdir)/palaver-uninstalled.pc.in Makefile
	$(AM_V_GEN)sed -e 's|@abs_top_srcdir[@]|$(abs_top_srcdir)|g' \
		-e 's|@PACKAGE_VERSION[@]|$(PACKAGE_VERSION)|g' \
		$(srcdir)/palaver-uninstalled.pc.in > $@
check_DATA = palaver-uninstalled.pc
CLEANFILES += palaver-uninstalled.pc
EXTRA_DIST += palaver-uninstalled.pc.in tests/sdk/test_sdk_build.sh

TESTS += tests/sdk/test_sdk_build.sh

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_config tests/unit/test_modules tests/sdk/load_module
TESTS += tests/unit/test_config tests/unit/test_modules

tests_unit_test_config_SOURCES = tests/unit/test_config.c tests/unit/stderr_capture.h
tests_unit_test_config_CFLAGS = $(AM_CFLAGS) $(CORE_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_config_LDADD = libpvcore.la $(CORE_LIBS) $(CMOCKA_LIBS)

# Modules resolve pv_* in the test program, as they do in the daemon.
tests_unit_test_modules_SOURCES = tests/unit/test_modules.c tests/unit/stderr_capture.h \
	tests/sdk/sdk_symbols.c
tests_unit_test_modules_CFLAGS = $(AM_CFLAGS) $(CORE_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_modules_LDADD = libpvcore.la $(CORE_LIBS) $(CMOCKA_LIBS)
tests_unit_test_modules_LDFLAGS = -export-dynamic

# Loads a module built out of tree and sends it a stanza (test_sdk_build.sh).
tests_sdk_load_module_SOURCES = tests/sdk/load_module.c tests/sdk/sdk_symbols.c
tests_sdk_load_module_CFLAGS = $(AM_CFLAGS) $(CORE_CFLAGS)
tests_sdk_load_module_LDADD = libpvcore.la $(CORE_LIBS)
tests_sdk_load_module_LDFLAGS = -export-dynamic
endif

# Each public SDK header compiles alone as C99, C11 and C++ (tests/sdk).
TESTS += tests/sdk/test_headers.sh
EXTRA_DIST += tests/sdk/test_headers.sh
