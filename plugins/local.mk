# (fragment; see Makefile.am)
# Plugins: one libtool module each, exporting NAME_LTX_pv_plugin.

# muc-core: rooms and occupants (XEP-0045). Its SDK header is palaver/muc.h.
pkginclude_HEADERS += include/palaver/muc.h
pkglib_LTLIBRARIES += plugins/muc-core/muc-core.la
plugins_muc_core_muc_core_la_SOURCES = \
	plugins/muc-core/muc_internal.h plugins/muc-core/plugin.c \
	plugins/muc-core/map.c plugins/muc-core/config_fields.c \
	plugins/muc-core/room.c plugins/muc-core/room_table.c \
	plugins/muc-core/occupant.c plugins/muc-core/occupant_id.c \
	plugins/muc-core/affiliations.c plugins/muc-core/privileges.c plugins/muc-core/errors.c \
	plugins/muc-core/presence_in.c plugins/muc-core/presence_out.c \
	plugins/muc-core/enter.c plugins/muc-core/exit.c plugins/muc-core/nick.c \
	plugins/muc-core/status.c plugins/muc-core/groupchat.c plugins/muc-core/subject.c \
	plugins/muc-core/private_message.c plugins/muc-core/iq_forward.c \
	plugins/muc-core/invite.c plugins/muc-core/register.c \
	plugins/muc-core/offline_delivery.c plugins/muc-core/broadcast.c \
	plugins/muc-core/multicast_config.c \
	plugins/muc-core/create.c \
	plugins/muc-core/disco.c plugins/muc-core/persist.c plugins/muc-core/api.c \
	plugins/muc-core/flood.c plugins/muc-core/throttle.c plugins/muc-core/extensions.c \
	plugins/muc-core/admin.c plugins/muc-core/evict.c plugins/muc-core/destroy.c \
	plugins/muc-core/config_change.c plugins/muc-core/adhoc.c plugins/muc-core/audit.c \
	plugins/muc-core/commands.c \
	plugins/muc-core/stats.c \
	plugins/muc-core/room_keys.c \
	plugins/muc-core/restart.c plugins/muc-core/restart_check.c \
	plugins/muc-core/room_load.c plugins/muc-core/hibernate.c plugins/muc-core/cluster.c \
	plugins/muc-core/config_keys.c plugins/muc-core/key_list.c \
	plugins/muc-core/hats.c plugins/muc-core/left_ids.c \
	plugins/muc-core/unique.c \
	plugins/muc-core/room_defaults.c plugins/muc-core/rtbl.c
plugins_muc_core_muc_core_la_LDFLAGS = $(PV_PLUGIN_MODFLAGS)
plugins_muc_core_muc_core_la_LIBADD = $(CRYPTO_LIBS)

# room-avatars: XEP-0486 room avatars, muc-core's companion (loaded with it
# unless <plugins> turns it off); only palaver/muc.h's API.
pkglib_LTLIBRARIES += plugins/room-avatars/room-avatars.la
plugins_room_avatars_room_avatars_la_SOURCES = plugins/room-avatars/room_avatars.c
plugins_room_avatars_room_avatars_la_LDFLAGS = $(PV_PLUGIN_MODFLAGS)

# room-notices: the join/leave/rename text notices (x-palaver#join, #leave,
# #rename), muc-core's companion; only palaver/muc.h's API.
pkglib_LTLIBRARIES += plugins/room-notices/room-notices.la
plugins_room_notices_room_notices_la_SOURCES = plugins/room-notices/room_notices.c
plugins_room_notices_room_notices_la_LDFLAGS = $(PV_PLUGIN_MODFLAGS)

# room-tombstones: what a destroyed persistent room leaves behind (a join
# gets `gone` while it lasts), muc-core's companion; only the public SDK.
pkglib_LTLIBRARIES += plugins/room-tombstones/room-tombstones.la
plugins_room_tombstones_room_tombstones_la_SOURCES = plugins/room-tombstones/room_tombstones.c
plugins_room_tombstones_room_tombstones_la_LDFLAGS = $(PV_PLUGIN_MODFLAGS)

# voice-requests: a visitor's request for voice (XEP-0045 7.13) and the
# moderators' approval, muc-core's companion; only palaver/muc.h's API.
pkglib_LTLIBRARIES += plugins/voice-requests/voice-requests.la
plugins_voice_requests_voice_requests_la_SOURCES = plugins/voice-requests/voice_requests.c
plugins_voice_requests_voice_requests_la_LDFLAGS = $(PV_PLUGIN_MODFLAGS)

# admin-commands: the service admins' XEP-0050 commands on the service and
# on any room (ADHOC-1, ADHOC-2), on muc-core's command list, muc-core's companion; only
# palaver/muc.h's API (and palaver/store.h for the unused rooms).
pkglib_LTLIBRARIES += plugins/admin-commands/admin-commands.la
plugins_admin_commands_admin_commands_la_SOURCES = \
	plugins/admin-commands/admin_commands.h plugins/admin-commands/plugin.c \
	plugins/admin-commands/admin_commands.c plugins/admin-commands/service_commands.c \
	plugins/admin-commands/unused_rooms.c
plugins_admin_commands_admin_commands_la_LDFLAGS = $(PV_PLUGIN_MODFLAGS)

# registration-approval: registrations that wait for an admin's approval
# (XEP-0045 9.9), muc-core's companion; only palaver/muc.h's API.
pkglib_LTLIBRARIES += plugins/registration-approval/registration-approval.la
plugins_registration_approval_registration_approval_la_SOURCES = \
	plugins/registration-approval/registration_approval.c
plugins_registration_approval_registration_approval_la_LDFLAGS = $(PV_PLUGIN_MODFLAGS)

# Protocol tests through the fake router (tests/fakerouter.py).
MUC_TESTS = \
	tests/muc/test_enter.py tests/muc/test_exit_nick_status.py \
	tests/muc/test_messages.py tests/muc/test_owner_create.py \
	tests/muc/test_disco.py tests/muc/test_disco_items_stored.py \
	tests/muc/test_invite_register_voice.py tests/muc/test_offline_delivery.py \
	tests/muc/test_persist.py tests/muc/test_owner_recovery.py \
	tests/muc/test_hats.py tests/muc/test_ban_occupant_id.py \
	tests/muc/test_room_defaults.py tests/muc/test_throttle.py \
	tests/muc/test_adhoc_service_admin.py \
	tests/muc/test_roster_property.py \
	tests/muc/test_moderation.py tests/muc/test_admin.py tests/muc/test_owner_ops.py \
	tests/muc/test_multicast.py tests/muc/test_error_replies.py tests/muc/test_audit_log.py \
	tests/muc/test_avatar.py tests/muc/test_restart.py tests/muc/test_restart_check.py \
	tests/muc/test_tombstone.py tests/muc/test_lazy_rooms.py \
	tests/muc/test_notices.py tests/muc/test_form_registry.py tests/muc/test_form_golden.py \
	tests/muc/test_interop.py tests/muc/test_rtbl.py
TESTS += $(MUC_TESTS)
EXTRA_DIST += $(MUC_TESTS) tests/muc/mucutil.py

# A test plugin that drives muc-core's SDK events (tests/muc/test_sdk_events.py).
check_LTLIBRARIES += tests/muc/muc-probe.la
tests_muc_muc_probe_la_SOURCES = tests/muc/probe.c
tests_muc_muc_probe_la_LDFLAGS = $(PV_PLUGIN_MODFLAGS) -rpath /nowhere
TESTS += tests/muc/test_sdk_events.py
EXTRA_DIST += tests/muc/test_sdk_events.py

# Unit tests of muc-core's building blocks (no daemon).
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_muc
TESTS += tests/unit/test_muc
tests_unit_test_muc_SOURCES = tests/muc/unit_muc.c \
	plugins/muc-core/map.c plugins/muc-core/config_fields.c
tests_unit_test_muc_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/muc-core
tests_unit_test_muc_CFLAGS = $(AM_CFLAGS) $(CORE_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_muc_LDADD = libpvcore.la $(CORE_LIBS) $(CMOCKA_LIBS)

# The privilege tables of XEP-0045 §5, walked cell by cell (privileges.c and the
# affiliation rows it reads, affiliations.c).
check_PROGRAMS += tests/unit/test_muc_priv
TESTS += tests/unit/test_muc_priv
tests_unit_test_muc_priv_SOURCES = tests/muc/unit_priv.c plugins/muc-core/privileges.c \
	plugins/muc-core/affiliations.c
tests_unit_test_muc_priv_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/muc-core
tests_unit_test_muc_priv_CFLAGS = $(AM_CFLAGS) $(CORE_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_muc_priv_LDADD = libpvcore.la $(CORE_LIBS) $(CMOCKA_LIBS)
endif

# The registry of affiliations: the standard rows and plugins' extra ones.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_muc_aff
TESTS += tests/unit/test_muc_aff
tests_unit_test_muc_aff_SOURCES = tests/muc/unit_aff.c plugins/muc-core/affiliations.c
tests_unit_test_muc_aff_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/muc-core
tests_unit_test_muc_aff_CFLAGS = $(AM_CFLAGS) $(CORE_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_muc_aff_LDADD = libpvcore.la $(CORE_LIBS) $(CMOCKA_LIBS)
endif

# What keeps rooms and occupants small: exact-size clones, keys inside map
# entries, no copies of default config values, the kept part of a presence.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_muc_memory
TESTS += tests/unit/test_muc_memory
tests_unit_test_muc_memory_SOURCES = tests/muc/unit_memory.c \
	plugins/muc-core/map.c plugins/muc-core/config_fields.c \
	plugins/muc-core/room.c plugins/muc-core/occupant.c plugins/muc-core/affiliations.c
tests_unit_test_muc_memory_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/muc-core \
	-I$(top_srcdir)/core
tests_unit_test_muc_memory_CFLAGS = $(AM_CFLAGS) $(CORE_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_muc_memory_LDADD = libpvcore.la $(CORE_LIBS) $(CMOCKA_LIBS)
endif
