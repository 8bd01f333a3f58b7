# (fragment; see Makefile.am: include plugins/game-rooms/local.mk)
# game-rooms: the `player` affiliation and role, and the game room options
# (PALAVER.md §2.17), on muc-core's extension point (palaver/muc.h).
pkglib_LTLIBRARIES += plugins/game-rooms/game-rooms.la
plugins_game_rooms_game_rooms_la_SOURCES = \
	plugins/game-rooms/game.h plugins/game-rooms/plugin.c plugins/game-rooms/rules.c \
	plugins/game-rooms/roominfo.c
plugins_game_rooms_game_rooms_la_LDFLAGS = $(PV_PLUGIN_MODFLAGS)

# Protocol tests through the fake router (tests/fakerouter.py).
GAME_TESTS = tests/game/test_game_rooms.py tests/game/test_game_history_tags.py
TESTS += $(GAME_TESTS)
EXTRA_DIST += $(GAME_TESTS) tests/game/gameutil.py plugins/game-rooms/README
