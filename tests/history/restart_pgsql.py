"""History and archive survive a daemon restart on the pgsql backend: the same
checks as the sqlite and spool restart test (test_restart_retention.py), with
<backend><type>pgsql</type><conninfo>...</conninfo></backend>. Run by
tests/history/test_restart_pgsql.sh, which starts a private PostgreSQL and
sets PALAVER_PGSQL_CONNINFO. The pgsql backend answers from the event loop,
so this also shows whether the first join after start already gets the
archived history; and XEP-0425 retraction (test_moderate.py's checks) with
an archive that answers later."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from histutil import Hist, DOMAIN  # noqa: E402
from taptest import skip_all, run  # noqa: E402
from test_restart_retention import check_history_survives_restart  # noqa: E402
from fakerouter import escape  # noqa: E402

CONNINFO = os.environ.get('PALAVER_PGSQL_CONNINFO')
if not CONNINFO:
    skip_all('PALAVER_PGSQL_CONNINFO is not set (run test_restart_pgsql.sh)')

BACKEND = '<backend><type>pgsql</type><conninfo>%s</conninfo></backend>' % escape(CONNINFO)


class PgHist(Hist):
    """Hist whose config carries the pgsql <backend> element."""

    def __init__(self, tmpdir):
        from fakerouter import Router

        class PgRouter(Router):
            def config_xml(self):
                return super().config_xml().replace(
                    '<backend><type>pgsql</type></backend>', BACKEND)

        self.r = PgRouter(domain=DOMAIN, backend='pgsql',
                          plugins=['muc-core', 'history'],
                          plugin_config={'muc-core': '<flood-burst>0</flood-burst>',
                                         'history': ''},
                          reply_close=False, tmpdir=tmpdir)


def test_enter13_history_survives_restart_pgsql():
    check_history_survives_restart(PgHist)


def test_moderate_1_retraction_pgsql():
    """XEP-0425 on pgsql: the archive answers later (tests/history/test_moderate.py)."""
    import tempfile
    import shutil
    from test_moderate import check_retraction, check_older_than_history
    d = tempfile.mkdtemp(prefix='pv-moderate-pg-')
    try:
        check_retraction(lambda: PgHist(d))
        check_older_than_history(lambda: PgHist(d))
    finally:
        shutil.rmtree(d, ignore_errors=True)


run(globals())
