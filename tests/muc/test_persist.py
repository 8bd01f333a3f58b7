"""muc-core: persistent rooms survive a restart through the storage backend
(EXIT-2, MSG-3, REG-*, OWNER-2), for every file-based backend; temporary
rooms never reach storage."""

import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mucutil import (MUC, NS, occ, room_jid, to, is_presence, item, codes, describe,  # noqa: E402
                     assert_error, tostring, cond, subject_of)
from taptest import run  # noqa: E402

A, B, C = 'alice@localhost/pc', 'bob@localhost/phone', 'carol@example.net/x'
INFO = "<query xmlns='%s'/>" % NS['disco_info']


def features(res):
    return {f.get('var') for f in res.iter('{%s}feature' % NS['disco_info'])}


# Temporary rooms still occupied at a clean shutdown come back with their
# occupants (RESTART-1, tests/muc/test_restart.py); these tests are about
# storage, so the occupants are not kept across their restarts.
NO_KEEP = '<keep-occupants>no</keep-occupants>'


def restart_keeps_room(backend):
    tmp = tempfile.mkdtemp(prefix='palaver-muc-persist-')
    try:
        with MUC(backend=backend, tmpdir=tmp, muc_config=NO_KEEP) as m:
            m.create(A, 'keep', 'alice', {'persistentroom': 1, 'roomname': 'Kept Room',
                                         'membersonly': 1, 'whois': 'anyone'})
            m.create(A, 'temp', 'alice', {'roomname': 'Temporary'})
            m.send("<message type='groupchat' from='%s' to='%s'><subject>Saved topic</subject></message>"
                   % (A, room_jid('keep')))
            m.collect()
            res = m.iq(B, room_jid('keep'), 'set',
                       "<query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'>"
                       "<field var='muc#register_roomnick'><value>bobby</value></field></x></query>")
            assert res.get('type') == 'result', tostring(res)
        with MUC(backend=backend, tmpdir=tmp, muc_config=NO_KEEP) as m:
            res = m.iq(C, room_jid('keep'), 'get', INFO)
            assert res.get('type') == 'result', tostring(res)
            assert res.find('.//{%s}identity' % NS['disco_info']).get('name') == 'Kept Room'
            assert {'muc_persistent', 'muc_membersonly', 'muc_nonanonymous'} <= features(res)
            res = m.iq(C, room_jid('temp'), 'get', INFO, id_='t')
            assert cond(res) == ('cancel', 'item-not-found'), 'temporary rooms are not stored'
            # affiliations survived: the owner is still owner, bob still a member, carol not
            assert_error(m.join(C, 'keep', 'carol'), C, 'auth', 'registration-required')
            assert_error(m.join(A, 'keep', 'bobby'), A, 'cancel', 'conflict')
            got = to(m.join(B, 'keep', 'bobby'), B)
            own = [s for s in got if is_presence(s)][-1]
            assert item(own).get('affiliation') == 'member' and 110 in codes(own), describe(got)
            assert subject_of(got[-1]) == 'Saved topic', describe(got)
            got = to(m.join(A, 'keep', 'alice'), A)
            own = [s for s in got if is_presence(s) and s.get('from') == occ('keep', 'alice')][-1]
            assert item(own).get('affiliation') == 'owner', describe(got)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_exit_2_persistent_room_survives_restart_sqlite():
    restart_keeps_room('sqlite')


def test_exit_2_persistent_room_survives_restart_spool():
    restart_keeps_room('spool')


def test_owner_2_room_made_temporary_is_deleted_from_storage():
    tmp = tempfile.mkdtemp(prefix='palaver-muc-persist-')
    try:
        with MUC(backend='sqlite', tmpdir=tmp, muc_config=NO_KEEP) as m:
            m.create(A, 'r', 'alice', {'persistentroom': 1})
            res = m.configure(A, 'r', {'persistentroom': 0})
            assert res.get('type') == 'result', tostring(res)
        with MUC(backend='sqlite', tmpdir=tmp) as m:
            res = m.iq(C, room_jid('r'), 'get', INFO)
            assert cond(res) == ('cancel', 'item-not-found'), tostring(res)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_enter_8_banned_user_and_domain_forbidden():
    # Bans are set by the admin operations; here one is written into the
    # sqlite store while the daemon is down, as a stored ban survives restarts.
    import sqlite3
    tmp = tempfile.mkdtemp(prefix='palaver-muc-persist-')
    try:
        with MUC(backend='sqlite', tmpdir=tmp) as m:
            m.create(A, 'r', 'alice', {'persistentroom': 1})
        db = sqlite3.connect(os.path.join(tmp, 'spool', 'palaver.db'))
        rid = db.execute("SELECT id FROM rooms WHERE name='r'").fetchone()[0]
        db.execute("INSERT INTO affiliations VALUES (?, 'eve@localhost', 'outcast', 'spam')", (rid,))
        db.execute("INSERT INTO affiliations VALUES (?, 'evil.example', 'outcast', NULL)", (rid,))
        db.commit()
        db.close()
        # alice is restored; the check of restored sessions (test_restart_check.py) is off
        with MUC(backend='sqlite', tmpdir=tmp,
                 muc_config='<restart-check-timeout>0</restart-check-timeout>') as m:
            assert_error(m.join('eve@localhost/e', 'r', 'eve'), 'eve@localhost/e', 'auth', 'forbidden',
                         frm=occ('r', 'eve'))
            assert_error(m.join('x@evil.example/y', 'r', 'x'), 'x@evil.example/y', 'auth', 'forbidden')
            got = to(m.join(B, 'r', 'bob'), B)
            assert 110 in codes([s for s in got if is_presence(s)][-1]), describe(got)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


run(globals())
