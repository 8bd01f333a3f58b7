"""muc-core TOMB-1: a destroyed persistent room leaves a tombstone. While it
lasts, a join (which would create the room anew) gets `gone` (cancel) with
the alternate venue of the destroy request as an XMPP URI; the room is not
in disco#items and its disco#info is item-not-found; service admins may
recreate it. Tombstones survive restarts (sqlite), expire (a tiny configured
time here), and are off with 0. Temporary rooms leave none."""

import os
import shutil
import signal
import sqlite3
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mucutil import (MUC, NS, DOMAIN, occ, room_jid, to, is_presence, codes,  # noqa: E402
                     describe, tostring, cond, error_text)
from fakerouter import Router  # noqa: E402
from taptest import run  # noqa: E402

A, B, ROOT = 'alice@localhost/pc', 'bob@localhost/phone', 'root@localhost/r'
SADMIN = '<sadmin><user>root@localhost</user></sadmin>'
VENUE = 'new@' + DOMAIN
INFO = "<query xmlns='%s'/>" % NS['disco_info']
ITEMS = "<query xmlns='%s'/>" % NS['disco_items']


def destroy(m, room='old', venue=VENUE, reason='Moved on'):
    jid = " jid='%s'" % venue if venue else ''
    why = '<reason>%s</reason>' % reason if reason else ''
    m.send("<iq type='set' id='d' from='%s' to='%s'><query xmlns='%s'><destroy%s>%s</destroy>"
           "</query></iq>" % (A, room_jid(room), NS['muc_owner'], jid, why))
    got = m.collect()
    assert got and got[-1].get('type') == 'result', describe(got)
    return got


def persistent_room(m, room='old'):
    m.create(A, room, 'alice', {'persistentroom': 1, 'publicroom': 1})
    m.join(B, room, 'bob')


def gone_uri(el):
    e = el.find('{%s}error' % NS['component'])
    g = e.find('{%s}gone' % NS['stanzas']) if e is not None else None
    return g.text if g is not None else None


def assert_gone(m, frm, room, nick, venue=VENUE, muc=True):
    got = m.join(frm, room, nick, muc=muc)
    assert len(got) == 1, 'one error, nothing else: ' + describe(got)
    e = got[0]
    assert e.get('type') == 'error' and e.get('to') == frm, describe(got)
    assert e.get('from') == occ(room, nick), describe(got)
    assert cond(e) == ('cancel', 'gone'), describe(got)
    assert error_text(e), describe(got)
    assert gone_uri(e) == ('xmpp:%s?join' % venue if venue else None), describe(got)
    return e


def listed(m):
    res = m.iq(B, DOMAIN, 'get', ITEMS, id_='items')
    return {i.get('jid') for i in res.iter('{%s}item' % NS['disco_items'])}


def creates(m, frm, room, nick):
    got = to(m.join(frm, room, nick), frm)
    own = [s for s in got if is_presence(s) and s.get('from') == occ(room, nick)]
    assert own and 201 in codes(own[-1]), 'the room is created anew: ' + describe(got)


def tombstone_joins(backend):
    tmp = tempfile.mkdtemp(prefix='palaver-muc-tomb-')
    try:
        with MUC(backend=backend, tmpdir=tmp) as m:
            persistent_room(m)
            m.create(A, 'pub', 'alice', {'persistentroom': 1, 'publicroom': 1})
            assert room_jid('old') in listed(m)
            destroy(m)
            e = assert_gone(m, B, 'old', 'bob')
            assert 'Moved on' in error_text(e) and VENUE in error_text(e), tostring(e)
            # the former owner cannot create it anew either, nor a GroupChat 1.0 join
            assert_gone(m, A, 'old', 'alice')
            assert_gone(m, B, 'old', 'bobby', muc=False)
            res = m.iq(B, room_jid('old'), 'get', INFO, id_='i')
            assert cond(res) == ('cancel', 'item-not-found'), tostring(res)
            assert listed(m) == {room_jid('pub')}, listed(m)
            # nothing but the join is refused: other rooms work
            m.join(B, 'pub', 'bob')
            # without a venue: an empty <gone/>
            m.create(A, 'plain', 'alice', {'persistentroom': 1})
            destroy(m, 'plain', venue=None, reason=None)
            assert_gone(m, B, 'plain', 'bob', venue=None)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_tomb_1_join_gets_gone_with_venue_memory():
    tombstone_joins('memory')


def test_tomb_1_join_gets_gone_with_venue_sqlite():
    tombstone_joins('sqlite')


def test_tomb_1_temporary_room_leaves_no_tombstone():
    with MUC() as m:
        m.create(A, 'tmp', 'alice')
        destroy(m, 'tmp')
        creates(m, B, 'tmp', 'bob')


def test_tomb_1_service_admin_recreates_the_room():
    for backend in ('memory', 'sqlite'):
        tmp = tempfile.mkdtemp(prefix='palaver-muc-tomb-')
        try:
            with MUC(backend=backend, tmpdir=tmp, extra_config=SADMIN) as m:
                persistent_room(m)
                destroy(m)
                assert_gone(m, B, 'old', 'bob')
                creates(m, ROOT, 'old', 'root')
                res = m.configure(ROOT, 'old', {})
                assert res.get('type') == 'result', tostring(res)
                m.collect()
                got = to(m.join(B, 'old', 'bob'), B)
                assert not [s for s in got if s.get('type') == 'error'], describe(got)
            if backend == 'sqlite':
                db = sqlite3.connect(os.path.join(tmp, 'spool', 'palaver.db'))
                names = {r[0] for r in db.execute('SELECT name FROM rooms')}
                db.close()
                assert 'old@tombstone' not in names, names
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def test_tomb_1_survives_restart_sqlite():
    tmp = tempfile.mkdtemp(prefix='palaver-muc-tomb-')
    try:
        with MUC(backend='sqlite', tmpdir=tmp) as m:
            persistent_room(m)
            m.create(A, 'pub', 'alice', {'persistentroom': 1, 'publicroom': 1})
            destroy(m)
        db = sqlite3.connect(os.path.join(tmp, 'spool', 'palaver.db'))
        names = {r[0] for r in db.execute('SELECT name FROM rooms')}
        db.close()
        assert names == {'pub', 'old@tombstone'}, names
        # alice is restored; the check of restored sessions (test_restart_check.py) is off
        with MUC(backend='sqlite', tmpdir=tmp,
                 muc_config='<restart-check-timeout>0</restart-check-timeout>') as m:
            e = assert_gone(m, B, 'old', 'bob')
            assert 'Moved on' in error_text(e), tostring(e)
            assert listed(m) == {room_jid('pub')}, listed(m)
            res = m.iq(B, room_jid('old'), 'get', INFO, id_='i')
            assert cond(res) == ('cancel', 'item-not-found'), tostring(res)
            res = m.iq(B, room_jid('old@tombstone'), 'get', INFO, id_='j')
            assert res.get('type') == 'error', tostring(res)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_tomb_1_expires():
    cfg = '<tombstone-expiry>2</tombstone-expiry>'
    for backend in ('memory', 'sqlite'):
        tmp = tempfile.mkdtemp(prefix='palaver-muc-tomb-')
        try:
            with MUC(backend=backend, tmpdir=tmp, muc_config=cfg) as m:
                persistent_room(m)
                destroy(m)
                assert_gone(m, B, 'old', 'bob')
                time.sleep(2.5)
                creates(m, B, 'old', 'bob')   # expired: looked up, dropped
            if backend == 'sqlite':
                db = sqlite3.connect(os.path.join(tmp, 'spool', 'palaver.db'))
                names = {r[0] for r in db.execute('SELECT name FROM rooms')}
                db.close()
                assert 'old@tombstone' not in names, names
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    # expired while the service was down: deleted when the name is next used
    # (rooms and tombstones load on demand, LAZY-1)
    tmp = tempfile.mkdtemp(prefix='palaver-muc-tomb-')
    try:
        with MUC(backend='sqlite', tmpdir=tmp, muc_config=cfg) as m:
            persistent_room(m)
            destroy(m)
        time.sleep(2.5)
        with MUC(backend='sqlite', tmpdir=tmp, muc_config=cfg) as m:
            assert 'tombstone of old expired: deleted' not in m.r.stderr()
            creates(m, B, 'old', 'bob')
            assert 'tombstone of old expired: deleted' in m.r.stderr(), m.r.stderr()[-1500:]
        db = sqlite3.connect(os.path.join(tmp, 'spool', 'palaver.db'))
        names = {r[0] for r in db.execute('SELECT name FROM rooms')}
        db.close()
        assert 'old@tombstone' not in names, names
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_tomb_1_zero_turns_tombstones_off():
    with MUC(muc_config='<tombstone-expiry>0</tombstone-expiry>') as m:
        persistent_room(m)
        destroy(m)
        creates(m, B, 'old', 'bob')


class _TombstonesOff(Router):
    """The daemon's config with <room-tombstones enabled='false'/> in <plugins>."""

    def config_xml(self):
        xml = super().config_xml()
        assert '<room-tombstones></room-tombstones>' in xml, xml
        return xml.replace('<room-tombstones></room-tombstones>',
                           "<room-tombstones enabled='false'/>")


def stored_names(tmp):
    db = sqlite3.connect(os.path.join(tmp, 'spool', 'palaver.db'))
    names = {r[0] for r in db.execute('SELECT name FROM rooms')}
    db.close()
    return names


def test_tomb_1_absent_when_turned_off():
    """room-tombstones is muc-core's companion: with <room-tombstones
    enabled='false'/> a destroyed room may be created again at once and a
    room destroyed then leaves none; the tombstone stored before stays and
    refuses joins again when it is turned on."""
    tmp = tempfile.mkdtemp(prefix='palaver-muc-tomb-off-')
    try:
        with MUC(backend='sqlite', tmpdir=tmp) as m:
            persistent_room(m)
            destroy(m)
            assert_gone(m, B, 'old', 'bob')
        m = MUC.__new__(MUC)
        m.r = _TombstonesOff(domain=DOMAIN, backend='sqlite',
                             plugins=['muc-core', 'room-tombstones'], tmpdir=tmp)
        with m:
            creates(m, B, 'old', 'bob')    # the tombstone does not count
            m.leave(B, 'old', 'bob')       # a temporary room: gone with bob
            persistent_room(m, 'later')
            destroy(m, 'later')
            creates(m, B, 'later', 'bob')  # destroyed while off: none kept
            m.leave(B, 'later', 'bob')
        assert 'old@tombstone' in stored_names(tmp), stored_names(tmp)
        assert 'later@tombstone' not in stored_names(tmp), stored_names(tmp)
        with MUC(backend='sqlite', tmpdir=tmp) as m:
            e = assert_gone(m, B, 'old', 'bob')
            assert 'Moved on' in error_text(e), tostring(e)
            creates(m, B, 'later', 'bob')
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_tomb_1_zero_deletes_stored_tombstones():
    """With <tombstone-expiry>0 a tombstone stored earlier counts for nothing
    and is deleted from storage when its name is next used."""
    tmp = tempfile.mkdtemp(prefix='palaver-muc-tomb-zero-')
    try:
        with MUC(backend='sqlite', tmpdir=tmp) as m:
            persistent_room(m)
            destroy(m)
        assert 'old@tombstone' in stored_names(tmp), stored_names(tmp)
        with MUC(backend='sqlite', tmpdir=tmp,
                 muc_config='<tombstone-expiry>0</tombstone-expiry>'
                            '<restart-check-timeout>0</restart-check-timeout>') as m:
            creates(m, B, 'old', 'bob')
        assert 'old@tombstone' not in stored_names(tmp), stored_names(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def reload_muc_config(m, conf):
    m.r.plugin_config['muc-core'] = conf
    with open(m.r.config_path, 'w', encoding='utf-8') as f:
        f.write(m.r.config_xml())
    m.r.signal(signal.SIGHUP)


def test_tomb_1_sighup_to_zero_drops_kept_tombstones():
    """A reload that sets <tombstone-expiry>0 counts at once (the plugin reads
    muc-core's element of the new configuration): the tombstone kept before
    no longer refuses joins, and a room destroyed afterwards leaves none."""
    with MUC() as m:
        persistent_room(m)
        destroy(m)
        assert_gone(m, B, 'old', 'bob')
        reload_muc_config(m, '<tombstone-expiry>0</tombstone-expiry>')
        deadline = time.monotonic() + 10
        while True:
            got = to(m.join(B, 'old', 'bob'), B)
            own = [s for s in got if is_presence(s) and s.get('from') == occ('old', 'bob')]
            if own and own[-1].get('type') != 'error':
                assert 201 in codes(own[-1]), describe(got)
                break
            assert cond(got[-1]) == ('cancel', 'gone'), describe(got)
            assert time.monotonic() < deadline, 'the reload did not count: ' + describe(got)
            time.sleep(0.2)
        assert 'tombstone of old@%s removed (tombstones are off)' % DOMAIN in m.r.stderr()
        persistent_room(m, 'later')
        destroy(m, 'later')
        creates(m, B, 'later', 'bob')


run(globals())
