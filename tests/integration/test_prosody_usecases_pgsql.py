"""tests/integration/test_prosody_usecases_pgsql.py: the real-client use-case suite (test_prosody_usecases.py) on the pgsql backend.

Starts a private PostgreSQL (pgserver.py) and runs every test of
test_prosody_usecases.py with palaver's pgsql backend. Skipped when Prosody
or the PostgreSQL server binaries are absent, or the pgsql backend was not
built.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..'))

from suite import main_on_pgsql  # noqa: E402
import test_prosody_usecases  # noqa: E402

if __name__ == '__main__':
    main_on_pgsql(test_prosody_usecases)
