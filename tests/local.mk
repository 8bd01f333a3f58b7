# Test rigs: the fake XMPP server (fakerouter.py) and TAP runner (taptest.py)
# used by every Python test, the daemon's own behaviour through the fake
# server, and the real-server integration rig (Prosody).
EXTRA_DIST += tests/fakerouter.py tests/taptest.py tests/integration/prosody.py \
	tools/run-local

TESTS += tests/core/test_daemon.py \
	tests/integration/test_prosody_core.py
EXTRA_DIST += tests/core/test_daemon.py \
	tests/integration/test_prosody_core.py
