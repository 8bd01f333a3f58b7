"""tests/integration/test_prosody_muc_pgsql.py: the real-client MUC suite (test_prosody_muc.py) on the pgsql backend.

Starts a private PostgreSQL (pgserver.py) and runs every test of
test_prosody_muc.py with palaver's pgsql backend, so persistence across a
restart is checked on both SQL backends. Skipped when Prosody or the
PostgreSQL server binaries are absent, or the pgsql backend was not built.
"""

import os
import sys
from xml.sax.saxutils import escape

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..'))

from taptest import skip_all  # noqa: E402
import prosody  # noqa: E402
import pgserver  # noqa: E402
import test_prosody_muc as suite  # noqa: E402

if __name__ == '__main__':
    if not prosody.available():
        skip_all('prosody is not installed')
    build = os.environ.get('PALAVER_BUILDDIR', '.')
    if not os.path.exists(os.path.join(build, 'backends', 'pgsql', 'pgsql.la')):
        skip_all('pgsql backend not built (configure did not find libpq)')
    try:
        pg = pgserver.PgServer()
    except pgserver.Unavailable as e:
        skip_all(str(e))
    try:
        pg.start()
    except RuntimeError as e:
        print('Bail out! private PostgreSQL: %s' % str(e).splitlines()[0], flush=True)
        print('# ' + str(e).replace('\n', '\n# '), flush=True)
        pg.stop()
        sys.exit(0)
    suite.SUITE.backend = 'pgsql'
    suite.SUITE.backend_options = '<conninfo>%s</conninfo>' % escape(pg.conninfo)
    try:
        suite.SUITE.main(vars(suite))
    finally:
        pg.stop()
