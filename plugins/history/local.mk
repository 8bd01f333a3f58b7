# (fragment; see Makefile.am: include plugins/history/local.mk)
# history: discussion history on join, stanza-ids, the archive, XEP-0313 MAM,
# retention and optional disk logs. Needs muc-core (palaver/muc.h).
pkglib_LTLIBRARIES += plugins/history/history.la
# The history plugin's SDK header (tags kept with stored messages).
pkginclude_HEADERS += include/palaver/history.h
plugins_history_history_la_SOURCES = \
	plugins/history/history.h plugins/history/plugin.c plugins/history/recent.c \
	plugins/history/history_request.c plugins/history/archive.c plugins/history/mam.c \
	plugins/history/rsm.c plugins/history/stanza_id.c plugins/history/retention.c \
	plugins/history/disklog.c plugins/history/loading.c plugins/history/tags.c \
	plugins/history/moderate.c plugins/history/room_retention.c
plugins_history_history_la_LDFLAGS = $(PV_PLUGIN_MODFLAGS)

# Protocol tests through the fake router (tests/fakerouter.py).
HISTORY_TESTS = \
	tests/history/test_history_join.py tests/history/test_stanza_id_archive.py \
	tests/history/test_mam.py tests/history/test_restart_retention.py \
	tests/history/test_history_query_plan.py tests/history/test_restart_pgsql.sh \
	tests/history/test_moderate.py tests/history/test_history_lazy.py \
	tests/history/test_room_retention.py \
	tests/history/test_store1_durable.py
TESTS += $(HISTORY_TESTS)
EXTRA_DIST += $(HISTORY_TESTS) tests/history/histutil.py tests/history/restart_pgsql.py \
	plugins/history/README.md

# Discussion history with real clients through a real Prosody (skipped
# without Prosody); uses the rig of tests/integration/.
TESTS += tests/integration/test_prosody_history.py
EXTRA_DIST += tests/integration/test_prosody_history.py

# Moderation (XEP-0425) and room avatars (XEP-0486) with real clients
# through a real Prosody (skipped without Prosody).
TESTS += tests/integration/test_prosody_extras.py
EXTRA_DIST += tests/integration/test_prosody_extras.py
