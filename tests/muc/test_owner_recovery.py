"""muc-core: a crash during a room's first store never leaves a stored room
without an owner (OWNER-2, OWNER-5). The first store is a chain: room_put of
the whole configuration, then reg_set, then affs_set. room_put also stores
the private key x-palaver#owners with the configuration, in the same write;
a stored room loaded without any owner affiliation gets those owners back
and the affiliation is written to the store again.

The crash window is reproduced with the sqlite backend: the daemon is killed
(SIGKILL, no clean shutdown), then the affiliation and registration rows of
the room, the writes after room_put, are removed from the database, leaving
exactly what a kill between room_put and affs_set leaves."""

import os
import shutil
import signal
import sqlite3
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mucutil import MUC, NS, room_jid, tostring, cond  # noqa: E402
from taptest import run  # noqa: E402

A, B = 'alice@localhost/pc', 'bob@localhost/phone'
KEY = 'x-palaver#owners'
NO_KEEP = '<keep-occupants>no</keep-occupants>'
FORM_GET = "<query xmlns='%s'/>" % NS['muc_owner']
INFO = "<query xmlns='%s'/>" % NS['disco_info']


def db_path(tmp):
    return os.path.join(tmp, 'spool', 'palaver.db')


def stored_config(tmp, room):
    db = sqlite3.connect(db_path(tmp))
    try:
        return dict(db.execute(
            "SELECT key, value FROM room_config JOIN rooms ON rooms.id = room_id "
            "WHERE rooms.name = ?", (room,)).fetchall())
    finally:
        db.close()


def stored_affs(tmp, room):
    db = sqlite3.connect(db_path(tmp))
    try:
        return dict(db.execute(
            "SELECT jid, affiliation FROM affiliations JOIN rooms ON rooms.id = room_id "
            "WHERE rooms.name = ?", (room,)).fetchall())
    finally:
        db.close()


def cut_after_room_put(tmp, room, drop_key=False):
    """Leaves the room as a kill between room_put and affs_set leaves it."""
    db = sqlite3.connect(db_path(tmp))
    try:
        rid = db.execute("SELECT id FROM rooms WHERE name = ?", (room,)).fetchone()[0]
        db.execute("DELETE FROM affiliations WHERE room_id = ?", (rid,))
        db.execute("DELETE FROM registrations WHERE room_id = ?", (rid,))
        if drop_key:  # a room stored before the key existed
            db.execute("DELETE FROM room_config WHERE room_id = ? AND key = ?", (rid, KEY))
        db.commit()
    finally:
        db.close()


def crash(m):
    """SIGKILL: no clean shutdown, nothing written after the kill."""
    m.r.signal(signal.SIGKILL)
    m.r.wait_exit()
    m.r._cleanup()


def create_and_crash(tmp, room):
    m = MUC(backend='sqlite', tmpdir=tmp, muc_config=NO_KEEP)
    try:
        m.create(A, room, 'alice', {'persistentroom': 1, 'roomname': 'Recovered'})
    except BaseException:
        m.r._kill()
        raise
    crash(m)


def no_key_in(el):
    text = tostring(el)
    assert KEY not in text, text


def test_owner_2_stored_config_names_its_owners():
    tmp = tempfile.mkdtemp(prefix='palaver-owner-recovery-')
    try:
        create_and_crash(tmp, 'r')
        cfg = stored_config(tmp, 'r')
        assert cfg.get(KEY) == 'alice@localhost', cfg
        assert stored_affs(tmp, 'r') == {'alice@localhost': 'owner'}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_owner_2_crash_before_affs_set_restores_the_creator():
    tmp = tempfile.mkdtemp(prefix='palaver-owner-recovery-')
    try:
        create_and_crash(tmp, 'r')
        cut_after_room_put(tmp, 'r')
        assert stored_affs(tmp, 'r') == {}
        with MUC(backend='sqlite', tmpdir=tmp, muc_config=NO_KEEP) as m:
            res = m.iq(A, room_jid('r'), 'get', FORM_GET, id_='g')
            assert res.get('type') == 'result', tostring(res)
            no_key_in(res)
            res = m.configure(A, 'r', {'roomname': 'Renamed'})
            assert res.get('type') == 'result', tostring(res)
            res = m.iq(B, room_jid('r'), 'get', FORM_GET, id_='b')
            assert cond(res) == ('auth', 'forbidden'), tostring(res)
            res = m.configure(B, 'r', {'roomname': 'Bob was here'})
            assert cond(res) == ('auth', 'forbidden'), tostring(res)
            log = m.r.stderr()
            assert 'r@muc.localhost had no owner' in log and 'alice@localhost is owner' in log, log
            assert 'restored owners of r@muc.localhost stored' in log, log
        # written back: the store holds the owner again, no second restore
        assert stored_affs(tmp, 'r') == {'alice@localhost': 'owner'}
        assert stored_config(tmp, 'r')['roomname'] == 'Renamed'
        os.remove(os.path.join(tmp, 'daemon.log'))  # the log is appended to across starts
        with MUC(backend='sqlite', tmpdir=tmp, muc_config=NO_KEEP) as m:
            res = m.iq(A, room_jid('r'), 'get', FORM_GET, id_='g2')
            assert res.get('type') == 'result', tostring(res)
            assert 'had no owner' not in m.r.stderr()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_owner_5_key_follows_the_owner_list():
    tmp = tempfile.mkdtemp(prefix='palaver-owner-recovery-')
    try:
        with MUC(backend='sqlite', tmpdir=tmp, muc_config=NO_KEEP) as m:
            m.create(A, 'r', 'alice', {'persistentroom': 1})
            res = m.configure(A, 'r', {'roomowners': ['alice@localhost', 'bob@localhost']})
            assert res.get('type') == 'result', tostring(res)
            # a later config change stores the owners of the time
            res = m.configure(A, 'r', {'roomname': 'Two owners'})
            assert res.get('type') == 'result', tostring(res)
        assert set(stored_config(tmp, 'r')[KEY].split()) == {'alice@localhost', 'bob@localhost'}
        cut_after_room_put(tmp, 'r')
        with MUC(backend='sqlite', tmpdir=tmp, muc_config=NO_KEEP) as m:
            for who, i in ((A, 'a'), (B, 'b')):
                res = m.iq(who, room_jid('r'), 'get', FORM_GET, id_=i)
                assert res.get('type') == 'result', tostring(res)
            res = m.iq('carol@localhost/x', room_jid('r'), 'get', FORM_GET, id_='c')
            assert cond(res) == ('auth', 'forbidden'), tostring(res)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_owner_2_key_never_shown():
    tmp = tempfile.mkdtemp(prefix='palaver-owner-recovery-')
    try:
        create_and_crash(tmp, 'r')
        # disco-extended adds the muc#roominfo form to disco#info
        with MUC(backend='sqlite', tmpdir=tmp, muc_config=NO_KEEP,
                 plugins=('muc-core', 'disco-extended')) as m:
            res = m.iq(A, room_jid('r'), 'get', FORM_GET, id_='g')
            assert res.get('type') == 'result', tostring(res)
            no_key_in(res)
            res = m.iq(B, room_jid('r'), 'get', INFO, id_='i')
            assert res.get('type') == 'result', tostring(res)
            assert res.find('.//{jabber:x:data}x') is not None, 'muc#roominfo: ' + tostring(res)
            no_key_in(res)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_owner_2_room_without_recorded_owners_stays_closed():
    # A room stored without the key (and cut short): nobody is made owner.
    tmp = tempfile.mkdtemp(prefix='palaver-owner-recovery-')
    try:
        create_and_crash(tmp, 'r')
        cut_after_room_put(tmp, 'r', drop_key=True)
        with MUC(backend='sqlite', tmpdir=tmp, muc_config=NO_KEEP) as m:
            res = m.iq(A, room_jid('r'), 'get', FORM_GET, id_='g')
            assert cond(res) == ('auth', 'forbidden'), tostring(res)
            assert 'no recorded owners' in m.r.stderr()
        assert stored_affs(tmp, 'r') == {}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


run(globals())
