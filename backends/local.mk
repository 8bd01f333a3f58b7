# (fragment; see Makefile.am)
# Storage backends: one libtool module each, exporting NAME_LTX_pv_store.
# backends/common holds code compiled into several modules (each module is
# self-contained: no shared library between them).
BACKEND_COMMON = \
	backends/common/query.c backends/common/query.h \
	backends/common/listing.c backends/common/listing.h \
	backends/common/occlist.c backends/common/occlist.h
BACKEND_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/backends/common

# memory: nothing persists.
pkglib_LTLIBRARIES += backends/memory/memory.la
backends_memory_memory_la_SOURCES = $(BACKEND_COMMON) \
	backends/common/roomdata.c backends/common/roomdata.h \
	backends/common/msglist.c backends/common/msglist.h \
	backends/memory/memory.h backends/memory/backend.c \
	backends/memory/rooms.c backends/memory/archive.c backends/memory/occupants.c
backends_memory_memory_la_CPPFLAGS = $(BACKEND_CPPFLAGS)
backends_memory_memory_la_LDFLAGS = $(PV_STORE_MODFLAGS)

# sqlite: the embedded default.
pkglib_LTLIBRARIES += backends/sqlite/sqlite.la
backends_sqlite_sqlite_la_SOURCES = $(BACKEND_COMMON) \
	backends/common/roomdata.c backends/common/roomdata.h \
	backends/sqlite/sqlite.h backends/sqlite/backend.c backends/sqlite/schema.c \
	backends/sqlite/stmt.c backends/sqlite/rooms.c backends/sqlite/archive.c \
	backends/sqlite/occupants.c backends/sqlite/idle.c backends/sqlite/group.c \
	backends/sqlite/walbuf.c backends/sqlite/ckpt.c
backends_sqlite_sqlite_la_CPPFLAGS = $(BACKEND_CPPFLAGS)
backends_sqlite_sqlite_la_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS) -pthread
backends_sqlite_sqlite_la_LIBADD = $(SQLITE_LIBS) $(EV_LIBS)
backends_sqlite_sqlite_la_LDFLAGS = $(PV_STORE_MODFLAGS) -pthread

# spool: a directory of room files.
pkglib_LTLIBRARIES += backends/spool/spool.la
backends_spool_spool_la_SOURCES = $(BACKEND_COMMON) \
	backends/common/roomdata.c backends/common/roomdata.h \
	backends/common/msglist.c backends/common/msglist.h \
	backends/spool/spool.h backends/spool/backend.c backends/spool/names.c \
	backends/spool/roomfile.c backends/spool/rooms.c backends/spool/archive.c \
	backends/spool/occupants.c
backends_spool_spool_la_CPPFLAGS = $(BACKEND_CPPFLAGS)
backends_spool_spool_la_LDFLAGS = $(PV_STORE_MODFLAGS)

# pgsql: PostgreSQL through asynchronous libpq, only when configure found it.
if HAVE_PGSQL
pkglib_LTLIBRARIES += backends/pgsql/pgsql.la
backends_pgsql_pgsql_la_SOURCES = $(BACKEND_COMMON) \
	backends/pgsql/pgsql.h backends/pgsql/backend.c backends/pgsql/conn.c \
	backends/pgsql/result.c backends/pgsql/schema.c backends/pgsql/rooms.c \
	backends/pgsql/archive.c backends/pgsql/lease.c backends/pgsql/occupants.c \
	backends/pgsql/binarray.c
backends_pgsql_pgsql_la_CPPFLAGS = $(BACKEND_CPPFLAGS)
backends_pgsql_pgsql_la_CFLAGS = $(AM_CFLAGS) $(PQ_CFLAGS)
backends_pgsql_pgsql_la_LIBADD = $(PQ_LIBS) $(EV_LIBS)
backends_pgsql_pgsql_la_LDFLAGS = $(PV_STORE_MODFLAGS)
endif

# The conformance suite: loads each backend module by name and checks every
# operation of palaver/store.h. `make check` runs it on memory, spool and
# sqlite; tests/unit/test_store_pgsql.sh runs it on pgsql with a private server.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_store
TESTS += tests/unit/test_store
tests_unit_test_store_SOURCES = tests/unit/test_store.c tests/unit/test_store.h \
	tests/unit/test_store_util.c tests/unit/test_store_rooms.c \
	tests/unit/test_store_archive.c tests/unit/test_store_robust.c \
	tests/unit/test_store_scale.c tests/unit/test_store_list.c \
	tests/unit/test_store_occupants.c tests/unit/test_store_lease.c \
	tests/unit/test_store_pgsql_upgrade.c
tests_unit_test_store_CFLAGS = $(AM_CFLAGS) $(CORE_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_store_LDADD = libpvcore.la $(CORE_LIBS) $(CMOCKA_LIBS)
tests_unit_test_store_LDFLAGS = -export-dynamic
TESTS += tests/unit/test_store_pgsql.sh tests/unit/test_pgsql_schema_file.sh
endif
EXTRA_DIST += tests/unit/test_store_pgsql.sh backends/README.md \
	tests/unit/pgsql_server.sh tests/unit/test_pgsql_schema_file.sh tools/pgsql-schema.py
# The schema as a file, for operators who create the database by hand.
if HAVE_PGSQL
dist_pkgdata_DATA = backends/pgsql/palaver-pgsql.sql
else
EXTRA_DIST += backends/pgsql/palaver-pgsql.sql
endif

# A backend whose writes (or loads) fail while a marker file exists, and whose
# loads may be answered late (tests only).
check_LTLIBRARIES += tests/backends/failstore.la
tests_backends_failstore_la_SOURCES = $(BACKEND_COMMON) \
	backends/common/roomdata.c backends/common/roomdata.h \
	backends/common/msglist.c backends/common/msglist.h \
	backends/memory/memory.h backends/memory/rooms.c backends/memory/archive.c \
	tests/backends/failstore.c
tests_backends_failstore_la_CPPFLAGS = $(BACKEND_CPPFLAGS) -I$(top_srcdir)/backends/memory
tests_backends_failstore_la_LDFLAGS = $(PV_STORE_MODFLAGS) -rpath /nowhere
tests_backends_failstore_la_LIBADD = $(EV_LIBS)

# Through the daemon (tests/fakerouter.py): crashes, pgsql restarts, the
# Palaver 0.6 spool, a failing backend.
TESTS += tests/backends/test_crash.py tests/backends/test_legacy_spool.py \
	tests/backends/test_store_failure.py tests/backends/test_persist_pgsql.sh \
	tests/backends/test_cluster_pgsql.sh
EXTRA_DIST += tests/backends/backendutil.py tests/backends/test_crash.py \
	tests/backends/test_legacy_spool.py tests/backends/test_store_failure.py \
	tests/backends/test_persist_pgsql.sh tests/backends/persist_pgsql.py \
	tests/backends/test_cluster_pgsql.sh tests/backends/cluster_pgsql.py

# The SQLite backend's start-up path: loads made from room_list's callback
# (one read transaction, table scans in id order) against single loads.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_store_sqlite_batch
TESTS += tests/unit/test_store_sqlite_batch
tests_unit_test_store_sqlite_batch_SOURCES = tests/unit/test_store_sqlite_batch.c \
	tests/unit/test_store.h tests/unit/test_store_util.c
tests_unit_test_store_sqlite_batch_CFLAGS = $(AM_CFLAGS) $(CORE_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_store_sqlite_batch_LDADD = libpvcore.la $(CORE_LIBS) $(CMOCKA_LIBS)
tests_unit_test_store_sqlite_batch_LDFLAGS = -export-dynamic
endif

# STORE-1: the SQLite backend's group commit (one transaction per loop
# iteration, callbacks after the COMMIT, a failed COMMIT fails the group).
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_store1_group_commit
TESTS += tests/unit/test_store1_group_commit
tests_unit_test_store1_group_commit_SOURCES = tests/unit/test_store1_group_commit.c \
	tests/unit/test_store.h tests/unit/test_store_util.c
tests_unit_test_store1_group_commit_CFLAGS = $(AM_CFLAGS) $(CORE_CFLAGS) $(CMOCKA_CFLAGS) \
	$(SQLITE_CFLAGS)
tests_unit_test_store1_group_commit_LDADD = libpvcore.la $(CORE_LIBS) $(CMOCKA_LIBS) $(SQLITE_LIBS)
tests_unit_test_store1_group_commit_LDFLAGS = -export-dynamic
endif

# The SQLite archive's ids since schema 4: time ids found by their seq,
# other ids through an index; a schema 3 database upgraded.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_store_sqlite_ids
TESTS += tests/unit/test_store_sqlite_ids
tests_unit_test_store_sqlite_ids_SOURCES = tests/unit/test_store_sqlite_ids.c \
	tests/unit/test_store.h tests/unit/test_store_util.c
tests_unit_test_store_sqlite_ids_CFLAGS = $(AM_CFLAGS) $(CORE_CFLAGS) $(CMOCKA_CFLAGS) \
	$(SQLITE_CFLAGS)
tests_unit_test_store_sqlite_ids_LDADD = libpvcore.la $(CORE_LIBS) $(CMOCKA_LIBS) $(SQLITE_LIBS)
tests_unit_test_store_sqlite_ids_LDFLAGS = -export-dynamic
endif

# The WAL written in one system call per commit (walbuf.c): commits seen by
# another connection at once, commits beyond 128 KB whole.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_store_sqlite_walbuf
TESTS += tests/unit/test_store_sqlite_walbuf
tests_unit_test_store_sqlite_walbuf_SOURCES = tests/unit/test_store_sqlite_walbuf.c \
	tests/unit/test_store.h tests/unit/test_store_util.c
tests_unit_test_store_sqlite_walbuf_CFLAGS = $(AM_CFLAGS) $(CORE_CFLAGS) $(CMOCKA_CFLAGS) \
	$(SQLITE_CFLAGS)
tests_unit_test_store_sqlite_walbuf_LDADD = libpvcore.la $(CORE_LIBS) $(CMOCKA_LIBS) $(SQLITE_LIBS)
tests_unit_test_store_sqlite_walbuf_LDFLAGS = -export-dynamic
endif

# The WAL checkpointed on a thread of the store's own (ckpt.c): its syncs
# off the loop, the WAL bounded during a burst, nothing answered lost by a
# kill -9 during a checkpoint.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_store_sqlite_checkpoint
TESTS += tests/unit/test_store_sqlite_checkpoint
tests_unit_test_store_sqlite_checkpoint_SOURCES = tests/unit/test_store_sqlite_checkpoint.c \
	tests/unit/test_store.h tests/unit/test_store_util.c
tests_unit_test_store_sqlite_checkpoint_CFLAGS = $(AM_CFLAGS) $(CORE_CFLAGS) $(CMOCKA_CFLAGS) \
	$(SQLITE_CFLAGS) $(EV_CFLAGS) -pthread
tests_unit_test_store_sqlite_checkpoint_LDADD = libpvcore.la $(CORE_LIBS) $(CMOCKA_LIBS) \
	$(SQLITE_LIBS) $(EV_LIBS) -ldl
tests_unit_test_store_sqlite_checkpoint_LDFLAGS = -export-dynamic -pthread
endif
