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
