"""STORE-1, durable before visible, through the daemon (muc-core and history):

- a groupchat message of a logging room whose archive write fails is
  refused (the sender gets internal-server-error) and reflected to nobody
  (tests/backends/failstore, writes failing while a marker file exists);
- the daemon on sqlite killed with SIGKILL in the middle of a burst of
  messages: every message any occupant received is in the archive after the
  restart, and every archived message is one that was sent, once, in order
  (no phantom, no duplicate); check_sigkill_burst is shared with
  restart_pgsql.py (the same on pgsql);
- the join history of a persistent room without public logging survives a
  restart (sqlite, spool): the room keeps its last maxhistoryfetch messages
  in storage, MAM still serves nothing for it.
"""

import os
import shutil
import signal
import sqlite3
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'backends'))

from histutil import (Hist, ALICE, BOB, CAROL, OWNER, DOMAIN, room_jid, to, body_of, describe,  # noqa: E402
                      logged_room, mam_query, history_bodies, is_message, local, escape,
                      result_body, result_id)
from backendutil import BackendRouter  # noqa: E402
from taptest import diag, run  # noqa: E402


class FailHist(Hist):
    """muc-core and history on failstore (writes fail while `marker` exists)."""

    def __init__(self, tmpdir, marker):
        xml = '<backend><type>failstore</type><failfile>%s</failfile></backend>' % escape(marker)
        self.r = BackendRouter(xml, domain=DOMAIN, backend='failstore',
                               plugins=['muc-core', 'history'],
                               plugin_config={'muc-core': '<flood-burst>0</flood-burst>',
                                              'history': ''},
                               reply_close=False, tmpdir=tmpdir)


def groupchats(stanzas):
    return [s for s in stanzas if is_message(s) and s.get('type') == 'groupchat' and body_of(s)]


def test_store1_failed_archive_write_refuses_and_reflects_nothing():
    d = tempfile.mkdtemp(prefix='pv-store1-fail-')
    marker = os.path.join(d, 'fail-now')
    try:
        with FailHist(d, marker) as h:
            logged_room(h, 'r')
            h.join(ALICE, 'r', 'alice')
            open(marker, 'w').close()
            h.send("<message type='groupchat' id='lost' from='%s' to='%s'><body>lost</body>"
                   "</message>" % (OWNER, room_jid('r')))
            got = h.collect()
            errs = [s for s in to(got, OWNER) if s.get('type') == 'error']
            assert errs, 'the sender was not told:\n' + describe(got)
            assert errs[0].get('id') == 'lost', describe(errs)
            assert not groupchats(got), 'a message that was not stored was reflected:\n' + \
                describe(got)
            os.unlink(marker)
            h.send("<message type='groupchat' id='kept' from='%s' to='%s'><body>kept</body>"
                   "</message>" % (OWNER, room_jid('r')))
            got = h.collect()
            assert sorted(s.get('to') for s in groupchats(got)) == sorted([OWNER, ALICE]), \
                describe(got)
            res, _ = mam_query(h, ALICE, 'r', {})
            assert len(res) == 1, describe(res)
            got = h.join(BOB, 'r', 'bob')
            assert history_bodies(got, BOB) == ['kept'], describe(got)
    finally:
        shutil.rmtree(d, ignore_errors=True)


BURST = 12000  # large enough that the kill lands mid-burst in an optimised build
KILL_AFTER = 600  # reflected copies seen before the kill


def archived_bodies(h, room, frm=ALICE):
    """Every archived message of the room, oldest first (MAM, pages of 100)."""
    out, after, n = [], None, 0
    while True:
        rsm = "<set xmlns='http://jabber.org/protocol/rsm'><max>100</max>%s</set>" % (
            '<after>%s</after>' % after if after else '')
        res, ans = mam_query(h, frm, room, {}, rsm=rsm, id_='page%d' % n)
        out += [result_body(m) for m in res]
        n += 1
        fin = ans.find('{urn:xmpp:mam:2}fin')
        if fin.get('complete') == 'true' or not res:
            return out
        after = result_id(res[-1])
        assert n < 200


def check_sigkill_burst(make, room='burst'):
    """make(tmpdir) -> a started Hist on the backend under test; each call
    reaches the same stored data. Kill -9 in the middle of a burst; after a
    restart every message any occupant received is archived, and every
    archived message was sent, once."""
    d = tempfile.mkdtemp(prefix='pv-store1-kill-')
    try:
        h = make(d)
        logged_room(h, room)
        h.join(ALICE, room, 'alice')
        h.join(BOB, room, 'bob')
        h.collect()
        data = ''.join("<message type='groupchat' id='b%d' from='%s' to='%s'><body>b%d</body>"
                       "</message>" % (i, OWNER, room_jid(room), i)
                       for i in range(BURST)).encode()

        def feed():
            try:
                h.r.send_raw(data)
            except OSError:
                pass  # killed
        sender = threading.Thread(target=feed, daemon=True)
        sender.start()
        received, errors = set(), []
        deadline = time.monotonic() + 60
        while len(received) < KILL_AFTER and time.monotonic() < deadline:
            for el in h.r.collect(quiet=0.001, timeout=0.05):
                if local(el.tag) == 'message' and el.get('type') == 'groupchat':
                    received.add(el.get('id'))
                elif el.get('type') == 'error':
                    errors.append(el)
        h.r.proc.send_signal(signal.SIGKILL)
        h.r.proc.wait()
        while True:  # what the daemon wrote before it died was received too
            try:
                el = h.r._next_stanza(0.5)
            except AssertionError:
                break
            if el is None:
                break
            if local(el.tag) == 'message' and el.get('type') == 'groupchat':
                received.add(el.get('id'))
        sender.join(5)
        h.r.stop(check_sanitizers=False)
        assert not errors, describe(errors)
        assert KILL_AFTER <= len(received) < BURST, \
            'the kill did not land mid-burst: %d of %d received' % (len(received), BURST)
        with make(d) as h:
            ids = archived_bodies(h, room)
            assert len(ids) == len(set(ids)), 'a message archived twice'
            sent = {'b%d' % i for i in range(BURST)}
            assert set(ids) <= sent, 'phantom messages: %r' % sorted(set(ids) - sent)[:10]
            lost = received - set(ids)
            assert not lost, '%d received messages are not in the archive after the kill: %r' % (
                len(lost), sorted(lost)[:10])
            assert ids == sorted(ids, key=lambda b: int(b[1:])), 'archive out of order'
            diag('killed with %d of %d messages received, %d archived'
                 % (len(received), BURST, len(ids)))
            # the daemon goes on
            h.join(CAROL, room, 'carol')
            h.groupchat(CAROL, room, 'after', id_='after')
            assert archived_bodies(h, room)[-1] == 'after'
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_store1_sigkill_during_a_burst_sqlite():
    check_sigkill_burst(lambda d: Hist(backend='sqlite', tmpdir=d))


def check_quiet_room_keeps_its_history(backend):
    d = tempfile.mkdtemp(prefix='pv-store1-quiet-')
    try:
        with Hist(backend=backend, tmpdir=d) as h:
            h.create(OWNER, 'quiet', 'owner', {'persistentroom': '1', 'enablelogging': '0',
                                               'muc#maxhistoryfetch': '5'})
            for i in range(12):
                h.send("<message type='groupchat' id='q%d' from='%s' to='%s'><body>q%d</body>"
                       "</message>" % (i, OWNER, room_jid('quiet'), i))
            got = h.collect()
            assert len([s for s in to(got, OWNER) if is_message(s) and body_of(s)]) == 12, \
                describe(got)
            h.create(OWNER, 'temp', 'owner', {'persistentroom': '0', 'enablelogging': '0'})
            h.groupchat(OWNER, 'temp', 'volatile')
        with Hist(backend=backend, tmpdir=d) as h:
            got = h.join(ALICE, 'quiet', 'alice')
            assert history_bodies(got, ALICE) == ['q%d' % i for i in range(7, 12)], describe(got)
            # public logging off: MAM serves nothing of it
            h.send("<iq type='set' id='mam' from='%s' to='%s'><query xmlns='urn:xmpp:mam:2'/>"
                   "</iq>" % (ALICE, room_jid('quiet')))
            got = h.collect()
            assert not [s for s in got if is_message(s) and s.get('to') == ALICE and
                        s.find('{urn:xmpp:mam:2}result') is not None], describe(got)
            # and new messages join it
            h.groupchat(ALICE, 'quiet', 'later', id_='later')
            got = h.join(BOB, 'quiet', 'bob')
            assert history_bodies(got, BOB) == ['q%d' % i for i in range(8, 12)] + ['later'], \
                describe(got)
        if backend == 'sqlite':  # trimmed to about maxhistoryfetch as it grows
            con = sqlite3.connect(os.path.join(d, 'spool', 'palaver.db'))
            n = con.execute("SELECT count(*) FROM archive a JOIN rooms r ON r.id = a.room_id"
                            " WHERE r.name = 'quiet@recent'").fetchone()[0]
            con.close()
            assert 5 <= n <= 8, n
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_store1_join_history_without_logging_survives_restart_sqlite():
    check_quiet_room_keeps_its_history('sqlite')


def test_store1_join_history_without_logging_survives_restart_spool():
    check_quiet_room_keeps_its_history('spool')


if __name__ == '__main__':
    run(globals())
