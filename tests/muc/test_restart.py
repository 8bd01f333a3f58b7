"""muc-core RESTART-1: a clean restart kicks nobody. The occupants of a
persistent and of a temporary room are saved at SIGTERM and restored at the
next start (nicks, roles, sessions, kept presence, occupant ids, the
temporary room's configuration and subject); no unavailable presence goes
out. The state file is read once: after a kill -9 nothing stale comes back
and self-ping says not-acceptable. A restored occupant whose client went away
is removed when the host bounces a stanza to it (333); the check that
follows the restart is in test_restart_check.py. A corrupt or
truncated state file is logged with its path and ignored."""

import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mucutil import (MUC, NS, ANSWERED, occ, room_jid, to, is_presence, is_message, item,  # noqa: E402
                     codes, describe, tostring, cond, occupant_id, subject_of, body_of, local)
from taptest import run  # noqa: E402

A, B, B2, C, D = ('alice@localhost/pc', 'bob@localhost/phone', 'bob@localhost/laptop',
                  'carol@example.net/x', 'dave@localhost/d')
PING = "<ping xmlns='urn:xmpp:ping'/>"
ITEMS = "<query xmlns='%s'/>" % NS['disco_items']
INFO = "<query xmlns='%s'/>" % NS['disco_info']
STATE = 'muc-occupants.state'


def tmpdir():
    return tempfile.mkdtemp(prefix='palaver-muc-restart-')


def state_path(tmp):
    return os.path.join(tmp, 'spool', STATE)


def log_size(tmp):
    try:
        return os.path.getsize(os.path.join(tmp, 'daemon.log'))
    except OSError:
        return 0


def log_since(m, offset):
    """What this daemon logged (the log file is shared by every start in tmp)."""
    with open(m.r.log_path, 'rb') as f:
        f.seek(offset)
        return f.read().decode('utf-8', 'replace')


def answer_pings(m):
    """Every restored session is pinged once the stream is up (the check of
    restart_check.c, see test_restart_check.py): the clients here are alive
    and answer. Returns the pings; nothing else may have been sent."""
    got = m.r.collect(quiet=0.25, first=ANSWERED)
    pings = [s for s in got if local(s.tag) == 'iq' and s.get('type') == 'get'
             and s.find('{urn:xmpp:ping}ping') is not None]
    assert pings == got, 'only pings after a restart:\n' + describe(got)
    for p in pings:
        m.send("<iq type='result' id='%s' from='%s' to='%s'/>"
               % (p.get('id'), p.get('to'), p.get('from')))
    return pings


def self_ping(m, frm, room, nick, id_='sp'):
    return m.iq(frm, occ(room, nick), 'get', PING, id_=id_)


def populate(m):
    """alice owns the persistent room `keep` (bob in it with two sessions and
    a status) and the temporary room `temp` (carol in it, a subject set).
    Returns the occupant ids seen at join."""
    got = m.create(A, 'keep', 'alice', {'persistentroom': 1, 'whois': 'anyone',
                                        'roomname': 'Kept'})
    ids = {'alice': occupant_id([s for s in to(got, A) if is_presence(s)][-1])}
    got = m.join(B, 'keep', 'bob', extra='<show>away</show><status>brb</status>')
    ids['bob'] = occupant_id([s for s in to(got, B) if is_presence(s)
                              and s.get('from') == occ('keep', 'bob')][-1])
    m.join(B2, 'keep', 'bob')
    m.create(A, 'temp', 'alice', {'roomname': 'Temporary one', 'moderatedroom': 1})
    m.send("<message type='groupchat' from='%s' to='%s'><subject>Temp topic</subject></message>"
           % (A, room_jid('temp')))
    m.collect()
    got = m.join(C, 'temp', 'carol')
    own = [s for s in to(got, C) if is_presence(s) and s.get('from') == occ('temp', 'carol')][-1]
    assert item(own).get('role') == 'visitor', describe(got)   # moderated: a visitor
    return ids


def clean_stop(m):
    """SIGTERM; returns what the daemon sent while shutting down."""
    before = len(m.r.conn.raw_bytes())
    m.stop()
    return m.r.conn.raw_bytes()[before:]


def test_restart_1_clean_restart_keeps_occupants():
    tmp = tmpdir()
    try:
        with MUC(backend='sqlite', tmpdir=tmp) as m:
            ids = populate(m)
            tail = clean_stop(m)
        assert b'unavailable' not in tail, 'unavailable presence at shutdown: %r' % tail
        assert os.path.exists(state_path(tmp)), 'no state file after a clean shutdown'
        off = log_size(tmp)
        with MUC(backend='sqlite', tmpdir=tmp) as m:
            log = log_since(m, off)
            assert 'restored 4 occupants in 2 rooms' in log, log[-2000:]
            assert not os.path.exists(state_path(tmp)), 'the state file is read once, then removed'
            # each restored session is asked whether it is still there...
            pinged = sorted((p.get('from'), p.get('to')) for p in answer_pings(m))
            assert pinged == sorted([(occ('keep', 'alice'), A), (occ('keep', 'bob'), B),
                                     (occ('keep', 'bob'), B2), (occ('temp', 'alice'), A),
                                     (occ('temp', 'carol'), C)]), pinged
            m.nothing()   # ...and nobody was told anything: no join, no leave
            for frm, room, nick in ((A, 'keep', 'alice'), (B, 'keep', 'bob'), (B2, 'keep', 'bob'),
                                    (C, 'temp', 'carol'), (A, 'temp', 'alice')):
                res = self_ping(m, frm, room, nick)
                assert res.get('type') == 'result', '%s in %s: %s' % (frm, room, tostring(res))
            res = m.iq(B, room_jid('keep'), 'get', ITEMS)
            assert {i.get('jid') for i in res.iter('{%s}item' % NS['disco_items'])} == {
                occ('keep', 'alice'), occ('keep', 'bob')}, tostring(res)
            # a message reaches every session, without a rejoin
            got = m.groupchat(A, 'keep', 'still here?')
            assert {s.get('to') for s in got if is_message(s)} == {A, B, B2}, describe(got)
            assert all(body_of(s) == 'still here?' for s in got if is_message(s)), describe(got)
            # roles, affiliations and occupant ids are those of before
            m.presence(A, occ('keep', 'alice'), body='<show>chat</show>')
            got = to(m.collect(), B)
            p = [s for s in got if is_presence(s) and s.get('from') == occ('keep', 'alice')]
            assert p and item(p[0]).get('role') == 'moderator', describe(got)
            assert item(p[0]).get('affiliation') == 'owner', describe(got)
            assert item(p[0]).get('jid') == A, describe(got)
            assert occupant_id(p[0]) == ids['alice'], describe(got)
            # bob's kept presence (show, status) is what a newcomer sees
            got = to(m.join(D, 'keep', 'dave'), D)
            bob = [s for s in got if is_presence(s) and s.get('from') == occ('keep', 'bob')]
            assert bob, describe(got)
            assert bob[0].findtext('{%s}show' % NS['component']) == 'away', describe(got)
            assert bob[0].findtext('{%s}status' % NS['component']) == 'brb', describe(got)
            assert item(bob[0]).get('role') == 'participant', describe(got)
            assert occupant_id(bob[0]) == ids['bob'], describe(got)
            # the temporary room came back with its configuration and subject
            res = m.iq(C, room_jid('temp'), 'get', INFO, id_='ti')
            assert res.get('type') == 'result', tostring(res)
            assert res.find('.//{%s}identity' % NS['disco_info']).get('name') == 'Temporary one'
            feats = {f.get('var') for f in res.iter('{%s}feature' % NS['disco_info'])}
            assert {'muc_temporary', 'muc_moderated'} <= feats, feats
            got = to(m.join(D, 'temp', 'dave'), D)
            assert subject_of(got[-1]) == 'Temp topic', describe(got)
            carol = [s for s in got if is_presence(s) and s.get('from') == occ('temp', 'carol')]
            assert carol and item(carol[0]).get('role') == 'visitor', describe(got)
            alice = [s for s in got if is_presence(s) and s.get('from') == occ('temp', 'alice')]
            assert alice and item(alice[0]).get('affiliation') == 'owner', describe(got)
            # the visitor is still a visitor: her message is refused
            got = m.groupchat(C, 'temp', 'hello')
            assert [cond(s) for s in got] == [('auth', 'forbidden')], describe(got)
            # and the room is still temporary: it goes when its occupants leave
            for frm, nick in ((C, 'carol'), (A, 'alice'), (D, 'dave')):
                m.leave(frm, 'temp', nick)
            res = m.iq(C, room_jid('temp'), 'get', INFO, id_='gone')
            assert cond(res) == ('cancel', 'item-not-found'), tostring(res)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_restart_1_kill_restores_nothing_and_self_ping_fails():
    tmp = tmpdir()
    try:
        with MUC(backend='sqlite', tmpdir=tmp) as m:
            populate(m)
        m = MUC(backend='sqlite', tmpdir=tmp)
        try:
            answer_pings(m)
            res = self_ping(m, B, 'keep', 'bob')
            assert res.get('type') == 'result', tostring(res)
            assert not os.path.exists(state_path(tmp))
        finally:
            m.r._kill()    # kill -9: no shutdown, no state file
        assert not os.path.exists(state_path(tmp)), 'a crash left a state file'
        off = log_size(tmp)
        with MUC(backend='sqlite', tmpdir=tmp) as m:
            assert 'restored' not in log_since(m, off), log_since(m, off)[-2000:]
            res = self_ping(m, B, 'keep', 'bob')
            assert cond(res) == ('cancel', 'not-acceptable'), tostring(res)
            res = m.iq(C, room_jid('temp'), 'get', INFO, id_='t')
            assert cond(res) == ('cancel', 'item-not-found'), tostring(res)
            # the stored room is there, empty: the client rejoins
            res = m.iq(B, room_jid('keep'), 'get', ITEMS)
            assert res.get('type') == 'result' and not list(res.iter(
                '{%s}item' % NS['disco_items'])), tostring(res)
            got = to(m.join(B, 'keep', 'bob'), B)
            assert 110 in codes([s for s in got if is_presence(s)][-1]), describe(got)
            res = self_ping(m, B, 'keep', 'bob', id_='sp2')
            assert res.get('type') == 'result', tostring(res)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_restart_1_bounced_restored_occupant_is_removed_with_333():
    tmp = tmpdir()
    try:
        with MUC(backend='sqlite', tmpdir=tmp) as m:
            populate(m)
        with MUC(backend='sqlite', tmpdir=tmp) as m:
            answer_pings(m)
            # carol's client went away after the check: the host bounces the
            # next message the room sends her
            got = m.groupchat(A, 'temp', 'anyone there?')
            assert C in {s.get('to') for s in got if is_message(s)}, describe(got)
            m.send("<message type='error' from='%s' to='%s'><body>anyone there?</body>"
                   "<error type='cancel'><service-unavailable xmlns='%s'/></error></message>"
                   % (C, occ('temp', 'alice'), NS['stanzas']))
            got = m.collect()
            gone = [s for s in to(got, A) if is_presence(s) and s.get('type') == 'unavailable'
                    and s.get('from') == occ('temp', 'carol')]
            assert gone and 333 in codes(gone[0]), describe(got)
            # the ghost gets at most its own removal (110 and 333: EXIT-3)
            assert all(is_presence(s) and s.get('type') == 'unavailable' and 333 in codes(s)
                       and s.get('from') == occ('temp', 'carol') for s in to(got, C)), \
                'only its own removal is sent to the ghost: ' + describe(got)
            res = self_ping(m, C, 'temp', 'carol')
            assert cond(res) == ('cancel', 'not-acceptable'), tostring(res)
            # one of bob's two restored sessions bounces a presence: the other stays
            m.send("<presence type='error' from='%s' to='%s'><error type='cancel'>"
                   "<remote-server-not-found xmlns='%s'/></error></presence>"
                   % (B2, occ('keep', 'alice'), NS['stanzas']))
            m.collect()
            assert cond(self_ping(m, B2, 'keep', 'bob')) == ('cancel', 'not-acceptable')
            assert self_ping(m, B, 'keep', 'bob', id_='b').get('type') == 'result'
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_restart_1_corrupt_state_file_is_logged_and_ignored():
    tmp = tmpdir()
    try:
        with MUC(backend='sqlite', tmpdir=tmp) as m:
            populate(m)
        with open(state_path(tmp), 'rb') as f:
            saved = f.read()
        # truncated: the end record is missing
        with open(state_path(tmp), 'wb') as f:
            f.write(saved[:len(saved) // 2])
        off = log_size(tmp)
        with MUC(backend='sqlite', tmpdir=tmp) as m:
            log = log_since(m, off)
            assert state_path(tmp) in log and 'truncated' in log, log[-2000:]
            assert cond(self_ping(m, B, 'keep', 'bob')) == ('cancel', 'not-acceptable')
            assert m.iq(A, room_jid('keep'), 'get', INFO).get('type') == 'result'
        # garbage
        with open(state_path(tmp), 'wb') as f:
            f.write(b'12\n<not xml at all\n')
        off = log_size(tmp)
        with MUC(backend='sqlite', tmpdir=tmp) as m:
            log = log_since(m, off)
            assert state_path(tmp) in log and 'unusable' in log, log[-2000:]
            assert not os.path.exists(state_path(tmp))
            got = to(m.join(B, 'keep', 'bob'), B)
            assert 110 in codes([s for s in got if is_presence(s)][-1]), describe(got)
        # unreadable: a directory where the file should be
        os.remove(state_path(tmp)) if os.path.isfile(state_path(tmp)) else None
        os.mkdir(state_path(tmp))
        off = log_size(tmp)
        with MUC(backend='sqlite', tmpdir=tmp) as m:
            log = log_since(m, off)
            assert 'cannot read the saved occupants %s' % state_path(tmp) in log, log[-2000:]
            assert m.iq(A, room_jid('keep'), 'get', INFO).get('type') == 'result'
            os.rmdir(state_path(tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_restart_1_option_off_and_custom_path():
    tmp = tmpdir()
    custom = os.path.join(tmp, 'occupants.saved')
    try:
        with MUC(backend='sqlite', tmpdir=tmp,
                 muc_config='<restart-state>%s</restart-state>' % custom) as m:
            populate(m)
        assert os.path.exists(custom) and not os.path.exists(state_path(tmp))
        with MUC(backend='sqlite', tmpdir=tmp,
                 muc_config='<restart-state>%s</restart-state>' % custom) as m:
            answer_pings(m)
            assert self_ping(m, B, 'keep', 'bob').get('type') == 'result'
        assert os.path.exists(custom)
        # turned off: the saved file is dropped, nobody is restored or saved
        with MUC(backend='sqlite', tmpdir=tmp,
                 muc_config='<restart-state>%s</restart-state><keep-occupants>no</keep-occupants>'
                 % custom) as m:
            assert not os.path.exists(custom)
            assert cond(self_ping(m, B, 'keep', 'bob')) == ('cancel', 'not-acceptable')
            m.join(B, 'keep', 'bob')
        assert not os.path.exists(custom) and not os.path.exists(state_path(tmp))
        # a file that cannot be written: logged with its path, nobody restored
        bad = os.path.join(tmp, 'missing-dir', 'occupants.saved')
        with MUC(backend='sqlite', tmpdir=tmp,
                 muc_config='<restart-state>%s</restart-state>' % bad) as m:
            m.join(B, 'keep', 'bob')
            off = log_size(tmp)
        with open(m.r.log_path, 'rb') as f:
            f.seek(off)
            log = f.read().decode('utf-8', 'replace')
        assert 'cannot save the occupants' in log and bad in log, log[-2000:]
        with MUC(backend='sqlite', tmpdir=tmp,
                 muc_config='<restart-state>%s</restart-state>' % bad) as m:
            assert cond(self_ping(m, B, 'keep', 'bob')) == ('cancel', 'not-acceptable')
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_restart_1_memory_backend_keeps_persistent_rooms_with_occupants():
    # the memory backend forgets its rooms: an occupied persistent room
    # comes back from the state file, configuration and owner included
    tmp = tmpdir()
    try:
        with MUC(backend='memory', tmpdir=tmp) as m:
            populate(m)
        with MUC(backend='memory', tmpdir=tmp) as m:
            answer_pings(m)
            assert self_ping(m, B, 'keep', 'bob').get('type') == 'result'
            res = m.iq(C, room_jid('keep'), 'get', INFO, id_='k')
            assert res.find('.//{%s}identity' % NS['disco_info']).get('name') == 'Kept', tostring(res)
            feats = {f.get('var') for f in res.iter('{%s}feature' % NS['disco_info'])}
            assert {'muc_persistent', 'muc_nonanonymous'} <= feats, feats
            m.presence(A, occ('keep', 'alice'), body='<show>chat</show>')
            got = to(m.collect(), B)
            p = [s for s in got if is_presence(s) and s.get('from') == occ('keep', 'alice')]
            assert p and item(p[0]).get('affiliation') == 'owner', describe(got)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)



ROOT = 'root@localhost/console'
SADMIN = '<sadmin><user>root@localhost</user></sadmin>'


def stats(m):
    """{name: int} of the service admins' get-statistics command."""
    res = m.iq(ROOT, 'muc.localhost', 'set',
               "<command xmlns='http://jabber.org/protocol/commands' action='execute' "
               "node='http://jabber.org/protocol/admin#get-statistics'/>", id_='stats')
    assert res.get('type') == 'result', tostring(res)
    out = {}
    for f in res.iter('{jabber:x:data}field'):
        v = f.findtext('{jabber:x:data}value')
        if v is not None and v.isdigit():
            out[f.get('var')] = int(v)
    return out


def test_restart_1_with_lazy_loading_only_the_occupied_rooms_load():
    # LAZY-1 with RESTART-1: at start only the rooms of the restored
    # occupants are read from storage; the others come at their first use
    tmp = tmpdir()
    try:
        with MUC(backend='sqlite', tmpdir=tmp, extra_config=SADMIN) as m:
            m.create(A, 'busy', 'alice', {'persistentroom': 1, 'roomname': 'Busy'})
            m.join(B, 'busy', 'bob')
            m.create(C, 'quiet', 'carol', {'persistentroom': 1, 'roomname': 'Quiet place'})
            m.leave(C, 'quiet', 'carol')
            clean_stop(m)
        off = log_size(tmp)
        with MUC(backend='sqlite', tmpdir=tmp, extra_config=SADMIN) as m:
            log = log_since(m, off)
            assert 'restored 2 occupants in 1 rooms' in log, log[-2000:]
            answer_pings(m)
            st = stats(m)
            assert st['rooms'] == 1 and st['rooms-loads'] == 1, st
            # the restored occupants talk on
            got = m.groupchat(B, 'busy', 'back')
            assert {s.get('to') for s in got if is_message(s)} == {A, B}, describe(got)
            # the other room loads at its first stanza, with its configuration
            res = m.iq(D, room_jid('quiet'), 'get', INFO)
            ident = res.find('.//{%s}identity' % NS['disco_info'])
            assert ident is not None and ident.get('name') == 'Quiet place', tostring(res)
            got = to(m.join(D, 'quiet', 'dave'), D)
            assert any(110 in codes(s) for s in got if is_presence(s)), describe(got)
            st = stats(m)
            assert st['rooms'] == 2 and st['rooms-loads'] == 2, st
            res = m.iq(C, room_jid('quiet'), 'get',
                       "<query xmlns='http://jabber.org/protocol/muc#admin'>"
                       "<item affiliation='owner'/></query>", id_='own')
            assert [i.get('jid') for i in res.iter('{%s}item' % NS['muc_admin'])] == [
                'carol@example.net'], tostring(res)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


run(globals())
