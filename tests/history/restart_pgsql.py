"""History and archive survive a daemon restart on the pgsql backend: the same
checks as the sqlite and spool restart test (test_restart_retention.py), with
<backend><type>pgsql</type><conninfo>...</conninfo></backend>. Run by
tests/history/test_restart_pgsql.sh, which starts a private PostgreSQL and
sets PALAVER_PGSQL_CONNINFO. The pgsql backend answers from the event loop,
so this also shows whether the first join after start already gets the
archived history (the join waits for it); the same after the room was
unloaded for idleness (test_history_lazy.py's checks); and XEP-0425
retraction (test_moderate.py's checks) with an archive that answers later."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from histutil import Hist, DOMAIN  # noqa: E402
from taptest import skip_all, run  # noqa: E402
from test_restart_retention import check_history_survives_restart  # noqa: E402
from fakerouter import Router, escape  # noqa: E402

CONNINFO = os.environ.get('PALAVER_PGSQL_CONNINFO')
if not CONNINFO:
    skip_all('PALAVER_PGSQL_CONNINFO is not set (run test_restart_pgsql.sh)')

BACKEND = '<backend><type>pgsql</type><conninfo>%s</conninfo></backend>' % escape(CONNINFO)


class PgRouter(Router):
    """Router whose config carries the pgsql <backend> element."""

    def config_xml(self):
        return super().config_xml().replace('<backend><type>pgsql</type></backend>', BACKEND)


class PgHist(Hist):
    """Hist on the pgsql backend."""

    def __init__(self, tmpdir):
        self.r = PgRouter(domain=DOMAIN, backend='pgsql',
                          plugins=['muc-core', 'history'],
                          plugin_config={'muc-core': '<flood-burst>0</flood-burst>',
                                         'history': ''},
                          reply_close=False, tmpdir=tmpdir)


def test_enter13_history_survives_restart_pgsql():
    check_history_survives_restart(PgHist)


def test_store1_sigkill_during_a_burst_pgsql():
    """STORE-1 on pgsql: kill -9 in the middle of a burst; every message any
    occupant received is archived, nothing else (test_store1_durable.py)."""
    from test_store1_durable import check_sigkill_burst
    check_sigkill_burst(PgHist, room='burstpg')


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


def test_lazy1_history_after_hibernation_pgsql():
    """LAZY-1 on pgsql: a logging room unloaded when idle is loaded again by a
    join, whose history the archive answers later: the join waits for it
    (tests/history/test_history_lazy.py)."""
    from test_history_lazy import LazyHist, check_history_after_hibernation
    check_history_after_hibernation(lambda: LazyHist(backend='pgsql', router=PgRouter),
                                    room='lazy')


def psql(sql):
    """Runs SQL in the test database (as the daemon's role)."""
    import subprocess
    exe = os.path.join(os.environ.get('PGBIN', '/usr/lib/postgresql/15/bin'), 'psql')
    subprocess.run([exe, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', CONNINFO, '-c', sql],
                   check=True, stdout=subprocess.DEVNULL)


def test_lazy1_history_load_failure_pgsql():
    """The archive fails while a reloaded room's history is read: the join
    that waited for it goes on at once without history (no error, no 10 s
    wait), the failure is logged, and a later join gets the history."""
    import time
    from histutil import ALICE, BOB, OWNER, logged_room, history_bodies, describe, to, codes
    from histutil import is_presence
    from test_history_lazy import LazyHist, statistics, wait_unloaded
    with LazyHist(backend='pgsql', router=PgRouter) as h:
        logged_room(h, 'fragile')
        h.groupchat(OWNER, 'fragile', 'f0')
        before = statistics(h)
        h.leave(OWNER, 'fragile', 'owner')
        wait_unloaded(h, before['rooms-unloads'])
        psql('ALTER TABLE archive RENAME TO archive_away')
        try:
            t0 = time.monotonic()
            got = h.join(ALICE, 'fragile', 'alice')
            took = time.monotonic() - t0
        finally:
            psql('ALTER TABLE archive_away RENAME TO archive')
        mine = to(got, ALICE)
        assert any(is_presence(s) and 110 in codes(s) for s in mine), describe(got)
        assert history_bodies(got, ALICE) == [], describe(got)
        assert not any(s.get('type') == 'error' for s in mine), describe(got)
        assert took < 5, took
        assert 'room fragile@%s: loading its history failed' % DOMAIN in h.r.stderr(), \
            h.r.stderr()
        time.sleep(2.5)  # a failed load is not tried again at once
        got = h.join(BOB, 'fragile', 'bob')
        assert history_bodies(got, BOB) == ['f0'], describe(got)


run(globals())
