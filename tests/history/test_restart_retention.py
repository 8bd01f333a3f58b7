"""History and archive across a daemon restart on sqlite and spool (the same
data directory): the first join after start refills the room's history from
the archive, stanza-ids are stable, MAM still pages; and archive retention
(<max-count>) trims through the backend without stalling the loop.
check_history_survives_restart is shared with restart_pgsql.py."""

import shutil
import tempfile
import time

from histutil import (Hist, ALICE, BOB, OWNER, room_jid, to, is_history, body_of, describe,
                      logged_room, mam_query, result_body, result_id, fin_of, rsm_of,
                      room_stanza_id, history_bodies, is_message)
from taptest import run


def check_history_survives_restart(make):
    """make(tmpdir) -> a started Hist on the backend under test; each call
    must reach the same stored data."""
    d = tempfile.mkdtemp(prefix='pv-hist-restart-')
    try:
        with make(d) as h:
            logged_room(h, 'keep')
            sent_ids = []
            for i in range(25):
                h.send("<message type='groupchat' id='k%d' from='%s' to='%s'><body>k%d</body>"
                       "</message>" % (i, OWNER, room_jid('keep'), i))
            for s in h.collect():
                if is_message(s) and body_of(s):
                    sent_ids.append((body_of(s), room_stanza_id(s, 'keep')))
        with make(d) as h:
            got = h.join(ALICE, 'keep', 'alice')
            hist = [s for s in to(got, ALICE) if is_history(s)]
            assert [body_of(s) for s in hist] == ['k%d' % i for i in range(5, 25)], describe(got)
            assert [(body_of(s), room_stanza_id(s, 'keep')) for s in hist] == sent_ids[5:]
            assert [s.get('id') for s in hist] == ['k%d' % i for i in range(5, 25)]
            # new messages join the refilled history, in order, once
            h.groupchat(ALICE, 'keep', 'after restart')
            got = h.join(BOB, 'keep', 'bob', history="<history maxstanzas='3'/>")
            assert history_bodies(got, BOB) == ['k23', 'k24', 'after restart'], describe(got)
            res, ans = mam_query(h, BOB, 'keep', {})
            assert [result_body(m) for m in res] == ['k%d' % i for i in range(25)] + \
                ['after restart']
            assert [result_id(m) for m in res][:25] == [i for _, i in sent_ids]
            # persistent rooms that do not log keep their join history (STORE-1)
            h.create(OWNER, 'quiet', 'owner', {'persistentroom': '1', 'enablelogging': '0'})
            h.groupchat(OWNER, 'quiet', 'kept')
        with make(d) as h:
            got = h.join(ALICE, 'quiet', 'alice')
            assert history_bodies(got, ALICE) == ['kept'], describe(got)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_enter13_history_survives_restart_sqlite():
    check_history_survives_restart(lambda d: Hist(backend='sqlite', tmpdir=d))


def test_enter13_history_survives_restart_spool():
    check_history_survives_restart(lambda d: Hist(backend='spool', tmpdir=d))


def test_retention_max_count():
    for backend in ('memory', 'sqlite'):
        cfg = '<max-count>5</max-count><retention-interval>1</retention-interval>'
        with Hist(backend=backend, history_config=cfg) as h:
            logged_room(h, 'r')
            for i in range(12):
                h.send("<message type='groupchat' from='%s' to='%s'><body>r%d</body></message>"
                       % (OWNER, room_jid('r'), i))
            h.collect()
            deadline = time.time() + 8
            bodies = None
            while time.time() < deadline:
                res, ans = mam_query(h, OWNER, 'r', {}, id_='t%d' % int(time.time() * 1000))
                bodies = [result_body(m) for m in res]
                if len(bodies) == 5:
                    break
                time.sleep(0.5)
            assert 'cannot trim archives' not in h.r.stderr(), backend
            assert bodies == ['r%d' % i for i in range(7, 12)], (backend, bodies)


def test_retention_max_age():
    cfg = '<max-age>2</max-age><retention-interval>1</retention-interval>'
    with Hist(backend='sqlite', history_config=cfg) as h:
        logged_room(h, 'r')
        h.groupchat(OWNER, 'r', 'old')
        time.sleep(2.5)
        h.groupchat(OWNER, 'r', 'new')
        deadline = time.time() + 6
        while time.time() < deadline:
            res, ans = mam_query(h, OWNER, 'r', {}, id_='a%d' % int(time.time() * 1000))
            bodies = [result_body(m) for m in res]
            if bodies == ['new']:
                break
            time.sleep(0.5)
        assert bodies == ['new'], bodies


def test_config_errors_refused():
    from fakerouter import Router
    for bad in ('<max-age>-1</max-age>', "<disk-logs format='pdf'>/tmp/x</disk-logs>",
                '<bogus/>'):
        r = Router(plugins=['muc-core', 'history'], plugin_config={'history': bad}, start=False)
        try:
            r.start(accept=False)
            rc = r.wait_exit(10)
            assert rc != 0, bad
            assert 'history' in r.stderr(), r.stderr()
        finally:
            r.stop(check_sanitizers=False)
            r._cleanup()


if __name__ == '__main__':
    run(globals())
