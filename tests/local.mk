# Test rigs: the fake XMPP server (fakerouter.py) and TAP runner (taptest.py)
# used by every Python test, the daemon's own behaviour through the fake
# server, and the real-server integration rig (a private Prosody).
EXTRA_DIST += tests/fakerouter.py tests/taptest.py \
	tests/integration/prosody.py tests/integration/daemon.py \
	tests/integration/xmppclient.py tools/run-local

# The rig itself, against a scripted component (no daemon needed).
TESTS += tests/rig/test_fakerouter.py
EXTRA_DIST += tests/rig/test_fakerouter.py tests/rig/fakecomponent.py

# The daemon's component stream, signals and --check-config (fake server).
TESTS += tests/core/test_daemon.py
EXTRA_DIST += tests/core/test_daemon.py

# The metrics endpoint Prometheus scrapes (METRICS-1), with the fake server.
TESTS += tests/core/test_metrics.py
EXTRA_DIST += tests/core/test_metrics.py

# The same endpoint scraped by a real Prometheus (Debian's prometheus), the
# values read back through its query API; palaver behind a real Prosody
# (skipped when prometheus or prosody is not installed).
TESTS += tests/integration/test_metrics_prometheus.py
EXTRA_DIST += tests/integration/test_metrics_prometheus.py

# Against a real Prosody (skipped when prosody is not installed).
TESTS += tests/integration/test_prosody_core.py
EXTRA_DIST += tests/integration/test_prosody_core.py

# XEP-0045 use cases with real clients through a real Prosody, on sqlite
# and on a private PostgreSQL (each skipped when its server is absent).
TESTS += tests/integration/test_prosody_muc.py tests/integration/test_prosody_muc_pgsql.py
EXTRA_DIST += tests/integration/test_prosody_muc.py tests/integration/test_prosody_muc_pgsql.py \
	tests/integration/mucclient.py tests/integration/pgserver.py \
	tests/integration/WALKTHROUGH.md

# Game rooms (GAME-1) and the muc#roominfo form (DISCO-3) with real clients
# through a real Prosody (skipped when prosody is not installed).
TESTS += tests/integration/test_prosody_game.py tests/integration/test_prosody_roominfo.py
EXTRA_DIST += tests/integration/test_prosody_game.py tests/integration/test_prosody_roominfo.py

# Service room defaults and admin-only fields (DEFAULTS-1) with real clients
# through a real Prosody (skipped when prosody is not installed).
TESTS += tests/integration/test_prosody_room_defaults.py
EXTRA_DIST += tests/integration/test_prosody_room_defaults.py

# Throttles (LIMIT-1) and the service admin commands beyond ADHOC-1
# (ADHOC-2) with real clients through a real Prosody (skipped when prosody
# is not installed).
TESTS += tests/integration/test_prosody_throttle_admin.py
EXTRA_DIST += tests/integration/test_prosody_throttle_admin.py
TESTS += tests/integration/test_prosody_hats.py
EXTRA_DIST += tests/integration/test_prosody_hats.py
TESTS += tests/integration/test_prosody_offline_delivery.py
EXTRA_DIST += tests/integration/test_prosody_offline_delivery.py
TESTS += tests/integration/test_prosody_ban_occupant_id.py
EXTRA_DIST += tests/integration/test_prosody_ban_occupant_id.py
TESTS += tests/integration/test_prosody_room_retention.py
EXTRA_DIST += tests/integration/test_prosody_room_retention.py

# A second client library: aioxmpp's own MUC API (aioclient.py) through a
# real Prosody (skipped when prosody or python3-aioxmpp is not installed).
TESTS += tests/integration/test_prosody_aioxmpp.py
EXTRA_DIST += tests/integration/test_prosody_aioxmpp.py tests/integration/aioclient.py

# Allocation-failure injection: the Nth allocation after start-up fails
# (a preloaded malloc wrapper, tests only) through join, groupchat, admin
# and configuration scenarios; the daemon must not crash nor leak.
check_LTLIBRARIES += tests/alloc/failmalloc.la
tests_alloc_failmalloc_la_SOURCES = tests/alloc/failmalloc.c
tests_alloc_failmalloc_la_LDFLAGS = -module -avoid-version -shared -rpath /nowhere
tests_alloc_failmalloc_la_LIBADD = -ldl
TESTS += tests/alloc/test_alloc_failure.py
EXTRA_DIST += tests/alloc/test_alloc_failure.py

# `make check-valgrind`, in a build configured without --enable-sanitizers
# (tools/test-all makes one beside the sanitizer build): the C unit tests,
# and daemon suites that together reach every plugin and the sqlite and
# spool backends, under valgrind's memcheck. A memory error or a definite
# or indirect leak fails the test (exit status 99; the report is in its log).
# Suites whose checks depend on wall-clock windows of a second or two (join
# history's `seconds`, tombstone expiry) stay out: valgrind's slowness, not
# the code, would fail them.
VALGRIND_DAEMON_TESTS = tests/core/test_daemon.py tests/muc/test_enter.py \
	tests/muc/test_messages.py tests/muc/test_moderation.py tests/muc/test_owner_ops.py \
	tests/muc/test_invite_register_voice.py tests/muc/test_persist.py \
	tests/muc/test_restart.py tests/muc/test_restart_check.py tests/muc/test_avatar.py \
	tests/muc/test_lazy_rooms.py tests/muc/test_hats.py tests/muc/test_ban_occupant_id.py \
	tests/muc/test_offline_delivery.py \
	tests/muc/test_multicast.py tests/muc/test_notices.py tests/muc/test_rtbl.py \
	tests/backends/test_store_failure.py tests/history/test_stanza_id_archive.py \
	tests/history/test_mam.py tests/history/test_moderate.py tests/game/test_game_rooms.py \
	tests/disco/test_roominfo.py tests/core/test_metrics.py
VALGRIND = valgrind -q --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect
EXTRA_DIST += tests/valgrind-palaver
check-valgrind: all
	@case '$(CFLAGS) $(LDFLAGS)' in *fsanitize*) \
	  echo "check-valgrind: this build has sanitizers; configure another one without --enable-sanitizers"; \
	  exit 1;; esac
	PALAVER_TEST_BIN='$(abs_top_srcdir)/tests/valgrind-palaver' PALAVER_TEST_SLOW=3 \
	  $(MAKE) $(AM_MAKEFLAGS) check \
	  TESTS='$(filter tests/unit/%,$(TESTS)) $(VALGRIND_DAEMON_TESTS)' LOG_COMPILER='$(VALGRIND)'
.PHONY: check-valgrind
