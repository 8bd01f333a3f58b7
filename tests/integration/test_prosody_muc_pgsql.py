"""tests/integration/test_prosody_muc_pgsql.py: the real-client MUC suite (test_prosody_muc.py) on the pgsql backend.

Starts a private PostgreSQL (pgserver.py) and runs every test of
test_prosody_muc.py with palaver's pgsql backend, so persistence across a
restart is checked on both SQL backends. Skipped when Prosody or the
PostgreSQL server binaries are absent, or the pgsql backend was not built.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..'))

from suite import main_on_pgsql  # noqa: E402
import test_prosody_muc  # noqa: E402

if __name__ == '__main__':
    main_on_pgsql(test_prosody_muc)
