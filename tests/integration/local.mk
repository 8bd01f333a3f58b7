# tests/integration/local.mk: real-server suites beyond Prosody's own files
# listed in tests/local.mk (ejabberd and jabberd2 rigs, fault tests).
