# (fragment; see Makefile.am)
# palaver-migrate: copies rooms from JCR mu-conference, Palaver 0.6 databases
# or one of our backends into the configured backend. It links the core like
# the daemon (backends resolve pv_* symbols from it: -export-dynamic).
bin_PROGRAMS += palaver-migrate
palaver_migrate_SOURCES = tools/migrate/migrate.h tools/migrate/main.c \
	tools/migrate/keys.c tools/migrate/keys.h tools/migrate/room.c \
	tools/migrate/report.c tools/migrate/target.c \
	tools/migrate/pickle.c tools/migrate/pickle.h \
	tools/migrate/source_mucconf.c tools/migrate/source_palaver06.c \
	tools/migrate/source_backend.c $(CORE_SOURCES)
palaver_migrate_CFLAGS = $(AM_CFLAGS) $(CORE_CFLAGS) $(SQLITE_CFLAGS)
palaver_migrate_LDADD = $(CORE_LIBS) $(SQLITE_LIBS)
palaver_migrate_LDFLAGS = -export-dynamic
if HAVE_PGSQL
palaver_migrate_CFLAGS += $(PQ_CFLAGS) -DPV_MIGRATE_PGSQL
palaver_migrate_LDADD += $(PQ_LIBS)
endif

# Tests: fixtures of each legacy format are built by the test itself from
# the format descriptions (PALAVER.md 4.4 and 4.6).
TESTS += tests/migrate/test_migrate.py
EXTRA_DIST += tests/migrate/test_migrate.py
