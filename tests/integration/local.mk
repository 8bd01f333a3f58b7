# tests/integration/local.mk: real-server suites beyond Prosody's own files
# listed in tests/local.mk (ejabberd and jabberd2 rigs, fault tests).

# Palaver behind a private ejabberd and a private jabberd2, with real
# slixmpp clients (each suite takes seconds; skipped when the server is
# not installed). jabberd2's run reuses the ejabberd suite's tests.
TESTS += tests/integration/test_ejabberd_muc.py tests/integration/test_jabberd2_muc.py
EXTRA_DIST += tests/integration/test_ejabberd_muc.py tests/integration/test_jabberd2_muc.py \
	tests/integration/ejabberd.py tests/integration/jabberd2.py

# What the rigs share: server.py (the three private servers' common code,
# also palaver's process helpers) and suite.py (every real-client suite's
# setup and teardown).
EXTRA_DIST += tests/integration/server.py tests/integration/suite.py

# The use cases and service rules test_prosody_muc.py does not walk
# through (addressing, bans, creation policy, bounces, presence broadcast,
# flood control, service admins, ad-hoc commands, tombstones), on sqlite
# and on pgsql.
TESTS += tests/integration/test_prosody_usecases.py tests/integration/test_prosody_usecases_pgsql.py
EXTRA_DIST += tests/integration/test_prosody_usecases.py \
	tests/integration/test_prosody_usecases_pgsql.py

# Faults against a real Prosody, palaver on sqlite: Prosody restarted under
# load, palaver restarted (XEP-0410 self-ping), palaver killed (-9) during
# a burst of configuration changes.
TESTS += tests/integration/test_prosody_faults.py
EXTRA_DIST += tests/integration/test_prosody_faults.py

# The check of restored occupants after a clean palaver restart (RESTART-1):
# a client that logged out meanwhile is removed (333), a live one stays.
TESTS += tests/integration/test_prosody_restart_check.py
EXTRA_DIST += tests/integration/test_prosody_restart_check.py

# How ejabberd, Prosody and jabberd2 route one component domain to several
# connections (test components and clients, no palaver): the facts the
# several-instances design rests on (skipped per server when not installed).
TESTS += tests/integration/test_cluster_routing.py
EXTRA_DIST += tests/integration/test_cluster_routing.py

# Only the suites against real servers (Prosody, ejabberd, jabberd2): every
# TESTS entry under tests/integration/, whichever fragment registered it.
check-servers:
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(filter tests/integration/%,$(TESTS))'
.PHONY: check-servers

# Several instances on one domain (CLUSTER-1) behind real servers with a
# private PostgreSQL: a Prosody hot standby taking over after kill -9, a
# PostgreSQL restart, ejabberd's fixed slots with a standby.
TESTS += tests/integration/test_cluster_failover.py
EXTRA_DIST += tests/integration/test_cluster_failover.py

# Real-time block lists (RTBL-1) against Prosody's mod_pubsub: a listed
# user's join refused, a newly listed occupant removed from every room, a
# retraction readmitting them.
TESTS += tests/integration/test_prosody_rtbl.py
EXTRA_DIST += tests/integration/test_prosody_rtbl.py
