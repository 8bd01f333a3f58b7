"""muc-core LAZY-1: stored rooms are loaded on first use and unloaded again
when idle (hibernation) or beyond <max-loaded-rooms>.

A hibernate/wake cycle keeps what a room is made of (configuration,
affiliations, subject, registrations, pending registration approvals,
avatar, tombstones of destroyed rooms, game-rooms' player affiliation);
history has its own tests (tests/history). The least recently used empty
room leaves first beyond the cap. Stanzas that arrive while the room loads
wait and are answered in arrival order (a slow backend); a failing backend
answers each of them with internal-server-error (wait), leaves no room
behind, and the next stanza loads again. Names the store does not have
behave as before. 10,000 joins to 10,000 stored SQLite rooms each get
their self-presence from the stored room.

Statistics (rooms, rooms-loads, rooms-unloads) come from the service
admins' get-statistics command (XEP-0133). Slow and failing loads use
tests/backends/failstore (<load-delay-ms>, <load-failfile>).
"""

import base64
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'backends'))

from mucutil import (MUC, NS, DOMAIN, ANSWERED, escape, occ, room_jid, to, is_presence,  # noqa: E402
                     is_message, item, codes, describe, tostring, cond, local, subject_of,
                     body_of, assert_error, admin_get)
from backendutil import BackendRouter, run  # noqa: E402
from fakerouter import Router, SLOW  # noqa: E402

A, A2 = 'alice@localhost/pc', 'alice@localhost/elsewhere'  # the owner; A2 never joins
B, C, D, E = ('bob@localhost/phone', 'carol@example.net/x', 'dora@localhost/d',
              'eve@localhost/e')
ROOT = 'root@localhost/console'
SADMIN = '<sadmin><user>root@localhost</user></sadmin>'
NO_KEEP = '<keep-occupants>no</keep-occupants>'
CMD = NS['commands']
STATS = 'http://jabber.org/protocol/admin#get-statistics'
DATA = '{jabber:x:data}'
INFO = "<query xmlns='%s'/>" % NS['disco_info']
ITEMS = "<query xmlns='%s'/>" % NS['disco_items']
APPROVAL = 'x-palaver#registration_approval'
REG_NS = 'jabber:iq:register'
PNG = b'\x89PNG\r\n\x1a\n' + bytes(range(256)) * 2
SRCDIR = os.path.normpath(os.path.join(HERE, '..', '..'))


class Lazy(MUC):
    """muc-core (and `plugins`) through the fake router, root a service
    admin; backend_xml gives a whole <backend> element (failstore)."""

    def __init__(self, muc_config='', backend='memory', backend_xml=None, tmpdir=None,
                 plugins=('muc-core',)):
        kw = dict(domain=DOMAIN, backend=backend, plugins=list(plugins),
                  plugin_config={'muc-core': muc_config}, extra_config=SADMIN, tmpdir=tmpdir)
        self.r = BackendRouter(backend_xml, **kw) if backend_xml else Router(**kw)


def failstore_xml(tmp, delay_ms=0, failfile=None):
    opts = ''
    if delay_ms:
        opts += '<load-delay-ms>%d</load-delay-ms>' % delay_ms
    if failfile:
        opts += '<load-failfile>%s</load-failfile>' % escape(failfile)
    return '<backend><type>failstore</type><failfile>%s</failfile>%s</backend>' % (
        escape(os.path.join(tmp, 'writes-never-fail')), opts)


# ---- statistics ----------------------------------------------------------------

def stats(m):
    """{name: int} of get-statistics (muc-core's and the core's figures)."""
    id_ = 'st' + uuid.uuid4().hex[:6]
    res = m.iq(ROOT, DOMAIN, 'set', "<command xmlns='%s' node='%s' action='execute'/>"
               % (CMD, STATS), id_=id_)
    c = res.find('{%s}command' % CMD)
    assert res.get('type') == 'result' and c is not None, tostring(res)
    out = {}
    for f in c.iter(DATA + 'field'):
        v = f.findtext(DATA + 'value')
        if f.get('var') != 'FORM_TYPE' and v is not None:
            try:
                out[f.get('var')] = int(float(v))
            except ValueError:
                pass
    for k in ('rooms', 'rooms-loads', 'rooms-unloads'):
        assert k in out, 'get-statistics has no %s: %s' % (k, tostring(res))
    return out


def wait_unloaded(m, unloads_before, rooms=0, timeout=12.0):
    """Waits (asking only the service, which touches no room) until
    rooms-unloads went past unloads_before and `rooms` rooms are loaded."""
    deadline = time.monotonic() + timeout * SLOW
    st = stats(m)
    while time.monotonic() < deadline:
        if st['rooms-unloads'] > unloads_before and st['rooms'] == rooms:
            return st
        time.sleep(0.25)
        st = stats(m)
    raise AssertionError('no unload within %.0fs: %r\n%s' % (timeout, st, m.r.stderr()[-3000:]))


# ---- reading a room's state ---------------------------------------------------

def form(res):
    """{var: [values]} of every data form field in an answer."""
    out = {}
    for f in res.iter(DATA + 'field'):
        out.setdefault(f.get('var'), []).extend(v.text or '' for v in f.findall(DATA + 'value'))
    return out


def info(m, room, frm=C):
    return m.iq(frm, room_jid(room), 'get', INFO, id_='i' + uuid.uuid4().hex[:6])


def title(m, room):
    res = info(m, room)
    assert res.get('type') == 'result', tostring(res)
    return res.find('.//{%s}identity' % NS['disco_info']).get('name')


def info_view(res):
    """What a disco#info answer says: name, features, roominfo fields."""
    assert res.get('type') == 'result', tostring(res)
    q = res.find('{%s}query' % NS['disco_info'])
    ident = q.find('{%s}identity' % NS['disco_info'])
    feats = sorted(f.get('var') for f in q.findall('{%s}feature' % NS['disco_info']))
    return ident.get('name'), feats, form(res)


def aff_list(m, room, aff):
    res = admin_get(m, A2, "affiliation='%s'" % aff, room=room)
    assert res.get('type') == 'result', tostring(res)
    out = {}
    for it in res.iter('{%s}item' % NS['muc_admin']):
        out[it.get('jid')] = it.findtext('{%s}reason' % NS['muc_admin'])
    return out


def reg_get(m, room, who):
    res = m.iq(who, room_jid(room), 'get', "<query xmlns='%s'/>" % REG_NS, id_='rg')
    assert res.get('type') == 'result', tostring(res)
    q = res.find('{%s}query' % REG_NS)
    return q.findtext('{%s}username' % REG_NS) if q.find('{%s}registered' % REG_NS) is not None \
        else None


def reg_set(m, room, who, nick):
    res = m.iq(who, room_jid(room), 'set',
               "<query xmlns='%s'><x xmlns='jabber:x:data' type='submit'>"
               "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value>"
               "</field><field var='muc#register_roomnick'><value>%s</value></field></x></query>"
               % (REG_NS, escape(nick)), id_='rs')
    assert res.get('type') == 'result', tostring(res)
    m.collect()


def photo(m, room):
    res = m.iq(C, room_jid(room), 'get', "<vCard xmlns='%s'/>" % NS['vcard'], id_='vg')
    assert res.get('type') == 'result', tostring(res)
    ph = res.find('{%s}vCard/{%s}PHOTO' % (NS['vcard'], NS['vcard']))
    if ph is None:
        return None
    return (ph.findtext('{%s}TYPE' % NS['vcard']),
            base64.b64decode(ph.findtext('{%s}BINVAL' % NS['vcard'])))


def snapshot(m, room):
    """Everything about the room that the cycle must keep, as seen over XMPP."""
    cfg = form(m.iq(A2, room_jid(room), 'get', "<query xmlns='%s'/>" % NS['muc_owner'],
                    id_='f'))
    return {
        'config': cfg,
        'info': info_view(info(m, room)),
        'affs': {a: aff_list(m, room, a) for a in ('owner', 'admin', 'member', 'outcast')},
        'regs': {w: reg_get(m, room, w) for w in (B, C)},
        'photo': photo(m, room),
    }


def diff(before, after):
    return '\n'.join('%s:\n  before %r\n  after  %r' % (k, before[k], after.get(k))
                     for k in before if before[k] != after.get(k))


def self_presence(got, frm, room, nick):
    own = [s for s in to(got, frm) if is_presence(s) and s.get('from') == occ(room, nick)
           and s.get('type') is None]
    assert own and 110 in codes(own[-1]), 'no self-presence for %s:\n%s' % (frm, describe(got))
    return own[-1]


def approval_submit(m, room, frm, jid, allow):
    m.send("<message from='%s' to='%s'><x xmlns='jabber:x:data' type='submit'>"
           "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field>"
           "<field var='muc#jid'><value>%s</value></field>"
           "<field var='muc#register_allow'><value>%s</value></field></x></message>"
           % (frm, room_jid(room), jid, allow))
    return m.collect(quiet=0.6)


def destroy(m, room, venue):
    m.send("<iq type='set' id='d' from='%s' to='%s'><query xmlns='%s'><destroy jid='%s'>"
           "<reason>Moved</reason></destroy></query></iq>" % (A, room_jid(room), NS['muc_owner'],
                                                              venue))
    got = m.collect()
    assert got and got[-1].get('type') == 'result', describe(got)


def stored_room(m, room, name, extra=None):
    """alice creates a persistent room titled `name` and leaves it."""
    cfg = {'persistentroom': 1, 'roomname': name}
    cfg.update(extra or {})
    m.create(A, room, 'alice', cfg)
    m.leave(A, room, 'alice')


# ---- the hibernate/wake cycle --------------------------------------------------

def build_full_room(m):
    """Room 'cyc' with everything a wake must bring back; 'old' destroyed."""
    m.create(A, 'cyc', 'alice', {
        'persistentroom': 1, 'roomname': 'Cycle', 'roomdesc': 'Kept while asleep',
        'whois': 'anyone', 'maxusers': 30, 'allowinvites': 1, 'changesubject': 0,
        'publicroom': 1, 'x-palaver#join': 'Welcome back', 'muc#maxhistoryfetch': 7})
    res = m.iq(A, room_jid('cyc'), 'set', "<query xmlns='%s'>"
               "<item affiliation='admin' jid='dora@localhost'/>"
               "<item affiliation='outcast' jid='eve@localhost'><reason>spam</reason></item>"
               "</query>" % NS['muc_admin'], id_='adm')
    assert res.get('type') == 'result', tostring(res)
    m.collect()
    reg_set(m, 'cyc', B, 'bobby')              # registered, so a member
    res = m.configure(A, 'cyc', {APPROVAL: 1})
    assert res.get('type') == 'result', tostring(res)
    m.collect()
    reg_set(m, 'cyc', C, 'caro')               # waits for approval
    m.send("<iq type='set' id='vc' from='%s' to='%s'><vCard xmlns='%s'><PHOTO><TYPE>image/png"
           "</TYPE><BINVAL>%s</BINVAL></PHOTO></vCard></iq>"
           % (A, room_jid('cyc'), NS['vcard'], base64.b64encode(PNG).decode()))
    got = m.collect()
    assert [s for s in got if s.get('id') == 'vc' and s.get('type') == 'result'], describe(got)
    m.send("<message type='groupchat' from='%s' to='%s'><subject>Asleep and awake</subject>"
           "</message>" % (A, room_jid('cyc')))
    m.collect()
    m.leave(A, 'cyc', 'alice')
    m.create(A, 'old', 'alice', {'persistentroom': 1})
    destroy(m, 'old', 'cyc@' + DOMAIN)


def check_woken(m, before, loads):
    """The state after the wake (one load brought it all back); then what
    only acting on it shows."""
    after = snapshot(m, 'cyc')
    assert after == before, 'the wake changed the room:\n' + diff(before, after)
    st = stats(m)
    assert st['rooms-loads'] == loads + 1 and st['rooms'] == 1, 'one load wakes it: %r' % st
    # the pending request is still there: approving it registers carol
    got = approval_submit(m, 'cyc', A, 'carol@example.net', 'true')
    told = [s for s in got if s.get('to') == 'carol@example.net' and is_message(s)]
    assert told and 'approved' in (body_of(told[0]) or ''), describe(got)
    assert reg_get(m, 'cyc', C) == 'caro'
    # bob's registered nick and membership, the subject, the join text
    got = m.join(B, 'cyc', 'bobby')
    own = self_presence(got, B, 'cyc', 'bobby')
    assert item(own).get('affiliation') == 'member', describe(got)
    subj = [s for s in to(got, B) if subject_of(s) is not None]
    assert subj and subject_of(subj[-1]) == 'Asleep and awake', describe(got)
    assert [s for s in to(got, B) if 'Welcome back' in (body_of(s) or '')], describe(got)
    assert_error(m.join(E, 'cyc', 'eve'), E, 'auth', 'forbidden')
    got = m.join(C, 'old', 'carol')
    assert len(got) == 1 and cond(got[0]) == ('cancel', 'gone'), describe(got)
    m.leave(B, 'cyc', 'bobby')


def hibernate_cycle(backend):
    tmp = tempfile.mkdtemp(prefix='palaver-lazy-')
    try:
        with Lazy('<hibernate-after>1</hibernate-after>' + NO_KEEP, backend=backend,
                  tmpdir=tmp) as m:
            build_full_room(m)
            before = snapshot(m, 'cyc')
            assert before['photo'] == ('image/png', PNG), before['photo']
            assert before['affs']['outcast'] == {'eve@localhost': 'spam'}, before['affs']
            assert before['regs'] == {B: 'bobby', C: None}, before['regs']
            st = wait_unloaded(m, 0)
            check_woken(m, before, st['rooms-loads'])
            # asleep again; a second wake still has everything (now with carol)
            again = snapshot(m, 'cyc')
            assert again['regs'] == {B: 'bobby', C: 'caro'}, again['regs']
            st = wait_unloaded(m, st['rooms-unloads'])
            after = snapshot(m, 'cyc')
            assert after == again, 'the second wake changed the room:\n' + diff(again, after)
            assert stats(m)['rooms-loads'] == st['rooms-loads'] + 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_lazy_1_hibernate_wake_keeps_everything_sqlite():
    hibernate_cycle('sqlite')


def test_lazy_1_hibernate_wake_keeps_everything_memory():
    hibernate_cycle('memory')


def test_lazy_1_game_1_hibernate_wake_keeps_players():
    with Lazy('<hibernate-after>1</hibernate-after>', plugins=('muc-core', 'game-rooms')) as m:
        m.create(A, 'g', 'alice', {'persistentroom': 1})
        res = m.iq(A, room_jid('g'), 'set', "<query xmlns='%s'><x xmlns='jabber:x:data' "
                   "type='submit'><field var='FORM_TYPE'><value>%s</value></field>"
                   "<field var='game'><value>1</value></field>"
                   "<field var='ignore_player'><value>0</value></field></x></query>"
                   % (NS['muc_owner'], NS['muc_roomconfig']), id_='g1')
        assert res.get('type') == 'result', tostring(res)
        res = m.iq(A, room_jid('g'), 'set', "<query xmlns='%s'><item affiliation='player' "
                   "jid='white@localhost'/></query>" % NS['muc_admin'], id_='p')
        assert res.get('type') == 'result', tostring(res)
        m.collect()
        m.leave(A, 'g', 'alice')
        wait_unloaded(m, 0)
        assert sorted(aff_list(m, 'g', 'player')) == ['white@localhost']
        f = form(m.iq(A2, room_jid('g'), 'get', "<query xmlns='%s'/>" % NS['muc_owner'],
                      id_='f'))
        assert f.get('game') == ['1'] and f.get('ignore_player') == ['0'], f
        got = m.join('white@localhost/board', 'g', 'white')
        own = self_presence(got, 'white@localhost/board', 'g', 'white')
        assert item(own).get('role') == 'player' and item(own).get('affiliation') == 'player', \
            describe(got)


# ---- the cap -----------------------------------------------------------------

def loads_after(m, room, expect_title):
    assert title(m, room) == expect_title
    return stats(m)


CAP = '<hibernate-after>0</hibernate-after><max-loaded-rooms>2</max-loaded-rooms>'


def test_lazy_1_max_loaded_rooms_unloads_least_recently_used():
    tmp = tempfile.mkdtemp(prefix='palaver-lazy-')
    try:
        with Lazy(NO_KEEP, backend='sqlite', tmpdir=tmp) as m:
            for i in range(1, 6):
                stored_room(m, 'r%d' % i, 'Room %d' % i)
        with Lazy(CAP + NO_KEEP, backend='sqlite', tmpdir=tmp) as m:
            st = stats(m)
            assert st['rooms'] == 0 and st['rooms-loads'] == 0, 'start-up loads no room: %r' % st
            for i in range(1, 6):           # in use order r1..r5: r4 and r5 stay
                assert title(m, 'r%d' % i) == 'Room %d' % i
                st = stats(m)
                assert st['rooms'] == min(i, 2) and st['rooms-loads'] == i, st
            loads = st['rooms-loads']
            for room, more in (('r4', 0), ('r5', 0), ('r3', 1), ('r5', 1), ('r4', 2)):
                st = loads_after(m, room, 'Room ' + room[1:])
                assert st['rooms-loads'] == loads + more, \
                    '%s: %d loads, expected %d (least recently used goes first)' % (
                        room, st['rooms-loads'], loads + more)
                assert st['rooms'] == 2, st
            # an occupied room stays, whatever else is used
            got = m.join(B, 'r1', 'bob')
            self_presence(got, B, 'r1', 'bob')
            for i in range(2, 6):
                assert title(m, 'r%d' % i) == 'Room %d' % i
                st = stats(m)
                assert st['rooms'] <= 2 + st['rooms-occupied'] and st['rooms-occupied'] == 1, st
            got = m.groupchat(B, 'r1', 'still here')
            assert [s for s in to(got, B) if body_of(s) == 'still here'], describe(got)
            m.leave(B, 'r1', 'bob')
            assert stats(m)['rooms'] <= 2, 'the room left empty goes beyond the cap'
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_lazy_1_max_loaded_rooms_holds_for_rooms_created_and_left():
    with Lazy(CAP) as m:
        for i in range(1, 6):
            stored_room(m, 'r%d' % i, 'Room %d' % i)
            st = stats(m)
            assert st['rooms'] <= 2, 'after creating and leaving r%d: %r' % (i, st)
        for i in range(1, 6):
            assert title(m, 'r%d' % i) == 'Room %d' % i
            assert stats(m)['rooms'] <= 2


# ---- slow loads: the order of waiting stanzas -----------------------------------

def position(got, what, pred):
    for i, s in enumerate(got):
        if pred(s):
            return i
    raise AssertionError('no %s in:\n%s' % (what, describe(got)))


def test_lazy_1_stanzas_during_a_slow_load_keep_their_order():
    tmp = tempfile.mkdtemp(prefix='palaver-lazy-')
    try:
        with Lazy('<hibernate-after>1</hibernate-after>' + NO_KEEP, backend='failstore',
                  backend_xml=failstore_xml(tmp, delay_ms=300), tmpdir=tmp) as m:
            stored_room(m, 'slow', 'Slow Room')
            st = wait_unloaded(m, 0)
            m.send(''.join([
                "<presence from='%s' to='%s'><x xmlns='%s'/></presence>"
                % (B, occ('slow', 'bob'), NS['muc']),
                "<message type='groupchat' id='g1' from='%s' to='%s'><body>first</body></message>"
                % (B, room_jid('slow')),
                "<presence from='%s' to='%s'/>" % (B, occ('slow', 'robert')),
                "<iq type='get' id='di' from='%s' to='%s'>%s</iq>" % (C, room_jid('slow'), INFO),
                "<presence from='%s' to='%s'><x xmlns='%s'/></presence>"
                % (A, occ('slow', 'alice'), NS['muc']),
                "<iq type='get' id='v1' from='%s' to='%s'><query xmlns='jabber:iq:version'/></iq>"
                % (A, occ('slow', 'robert')),
                "<iq type='get' id='sp' from='%s' to='%s'><ping xmlns='urn:xmpp:ping'/></iq>"
                % (A, occ('slow', 'alice')),
            ]))
            got = m.r.collect(quiet=0.6, first=ANSWERED)
            order = [
                position(got, "bob's self-presence", lambda s: s.get('to') == B and is_presence(s)
                         and s.get('from') == occ('slow', 'bob') and s.get('type') is None
                         and 110 in codes(s)),
                position(got, 'the reflected message', lambda s: s.get('to') == B
                         and is_message(s) and body_of(s) == 'first'
                         and s.get('from') == occ('slow', 'bob')),
                position(got, "bob's 303", lambda s: s.get('to') == B and is_presence(s)
                         and s.get('type') == 'unavailable' and 303 in codes(s)),
                position(got, "robert's self-presence", lambda s: s.get('to') == B
                         and is_presence(s) and s.get('from') == occ('slow', 'robert')
                         and s.get('type') is None and 110 in codes(s)),
                position(got, 'the disco#info result', lambda s: s.get('id') == 'di'
                         and s.get('type') == 'result'),
                position(got, "alice's self-presence", lambda s: s.get('to') == A
                         and is_presence(s) and s.get('from') == occ('slow', 'alice')
                         and 110 in codes(s)),
                position(got, 'the forwarded version IQ', lambda s: local(s.tag) == 'iq'
                         and s.get('to') == B and s.get('from') == occ('slow', 'alice')
                         and s.get('type') == 'get'),
                position(got, 'the self-ping result', lambda s: s.get('id') == 'sp'
                         and s.get('type') == 'result' and s.get('to') == A),
            ]
            assert order == sorted(order), 'out of order %r:\n%s' % (order, describe(got))
            res = got[order[4]]
            assert info_view(res)[0] == 'Slow Room', tostring(res)
            assert not [s for s in got if s.get('type') == 'error'], describe(got)
            after = stats(m)
            assert after['rooms-loads'] == st['rooms-loads'] + 1, 'one load for all: %r' % after
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_lazy_1_shutdown_during_a_slow_load_is_clean():
    """A load still waiting when the daemon stops: the backend answers it
    at close, after muc-core shut down; nothing leaks, the exit is 0."""
    tmp = tempfile.mkdtemp(prefix='palaver-lazy-')
    try:
        m = Lazy('<hibernate-after>1</hibernate-after>' + NO_KEEP, backend='failstore',
                 backend_xml=failstore_xml(tmp, delay_ms=2000), tmpdir=tmp)
        try:
            m.send("<presence from='%s' to='%s'><x xmlns='%s'/></presence>"
                   % (C, occ('other', 'carol'), NS['muc']))
            time.sleep(0.3)
        finally:
            m.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_lazy_1_names_not_stored_behave_as_before_during_slow_loads():
    tmp = tempfile.mkdtemp(prefix='palaver-lazy-')
    try:
        with Lazy(NO_KEEP, backend='failstore', backend_xml=failstore_xml(tmp, delay_ms=300),
                  tmpdir=tmp) as m:
            res = info(m, 'nothing')
            assert cond(res) == ('cancel', 'item-not-found'), tostring(res)
            got = m.join(B, 'fresh', 'bob')
            own = self_presence(got, B, 'fresh', 'bob')
            assert 201 in codes(own) and item(own).get('affiliation') == 'owner', describe(got)
            res = info(m, 'nothing')
            assert cond(res) == ('cancel', 'item-not-found'), tostring(res)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_lazy_1_names_not_stored_behave_as_before():
    with Lazy() as m:
        res = info(m, 'nothing')
        assert cond(res) == ('cancel', 'item-not-found'), tostring(res)
        got = m.join(B, 'fresh', 'bob')
        own = self_presence(got, B, 'fresh', 'bob')
        assert 201 in codes(own) and item(own).get('affiliation') == 'owner', describe(got)
        assert stats(m)['rooms'] == 1


def test_lazy_1_statistics_count_rooms_loaded_not_lookups():
    """rooms-loads is "Stored rooms loaded since start": names the store
    does not have, and reads that failed, bring no room."""
    tmp = tempfile.mkdtemp(prefix='palaver-lazy-')
    marker = os.path.join(tmp, 'loads-fail')
    try:
        with Lazy('<hibernate-after>1</hibernate-after>' + NO_KEEP, backend='failstore',
                  backend_xml=failstore_xml(tmp, 0, marker), tmpdir=tmp) as m:
            assert cond(info(m, 'nothing')) == ('cancel', 'item-not-found')
            stored_room(m, 'r', 'Stored')
            st = stats(m)
            assert st['rooms-loads'] == 0, 'two names looked up, no room loaded: %r' % st
            st = wait_unloaded(m, 0)
            open(marker, 'w').close()
            assert cond(info(m, 'r')) == ('wait', 'internal-server-error')
            assert stats(m)['rooms-loads'] == 0, 'a failed read loads no room'
            os.unlink(marker)
            assert title(m, 'r') == 'Stored'
            assert stats(m)['rooms-loads'] == 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---- failing loads ---------------------------------------------------------------

def failing_then_working(delay_ms):
    tmp = tempfile.mkdtemp(prefix='palaver-lazy-')
    marker = os.path.join(tmp, 'loads-fail')
    try:
        with Lazy('<hibernate-after>1</hibernate-after>' + NO_KEEP, backend='failstore',
                  backend_xml=failstore_xml(tmp, delay_ms, marker), tmpdir=tmp) as m:
            stored_room(m, 'r', 'Stored', {'whois': 'anyone', 'maxusers': 20})
            st = wait_unloaded(m, 0)
            open(marker, 'w').close()
            # a join, a message and a disco#info at once: each is answered
            m.send("<presence from='%s' to='%s'><x xmlns='%s'/></presence>"
                   "<message type='groupchat' id='g' from='%s' to='%s'><body>x</body></message>"
                   "<iq type='get' id='di' from='%s' to='%s'>%s</iq>"
                   % (B, occ('r', 'bob'), NS['muc'], B, room_jid('r'), C, room_jid('r'), INFO))
            got = m.r.collect(quiet=0.6, first=ANSWERED)
            assert [(s.get('to'), local(s.tag)) for s in got] == [
                (B, 'presence'), (B, 'message'), (C, 'iq')], describe(got)
            for s in got:
                assert s.get('type') == 'error', describe(got)
                assert cond(s) == ('wait', 'internal-server-error'), describe(got)
            assert got[0].get('from') == occ('r', 'bob'), describe(got)
            # each stanza tries again (and fails again); no room half-exists
            assert_error(m.join(B, 'r', 'bob'), B, 'wait', 'internal-server-error',
                         frm=occ('r', 'bob'))
            res = info(m, 'r')
            assert cond(res) == ('wait', 'internal-server-error'), tostring(res)
            res = m.iq(C, DOMAIN, 'get', ITEMS, id_='items')
            assert res.get('type') == 'error' and cond(res)[0] == 'wait', \
                'a failing store is not an empty service: ' + tostring(res)
            assert stats(m)['rooms'] == 0
            assert 'failstore' in m.r.stderr()
            os.unlink(marker)
            got = m.join(B, 'r', 'bob')
            own = self_presence(got, B, 'r', 'bob')
            assert 201 not in codes(own) and 100 in codes(own), \
                'the stored room (whois anyone), not a new one: ' + describe(got)
            cfg = form(m.iq(A2, room_jid('r'), 'get', "<query xmlns='%s'/>" % NS['muc_owner'],
                            id_='f'))
            assert cfg['muc#roomconfig_roomname'] == ['Stored'], cfg
            assert cfg['muc#roomconfig_maxusers'] == ['20'], cfg
            assert aff_list(m, 'r', 'owner') == {'alice@localhost': None}
            assert stats(m)['rooms'] == 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_lazy_1_failing_load_answers_wait_and_retries():
    failing_then_working(0)


def test_lazy_1_failing_slow_load_answers_every_waiting_stanza():
    failing_then_working(300)


# ---- 10,000 stored rooms ----------------------------------------------------------

# 10,000 in make check (ASan); a tenth under valgrind (check-valgrind sets
# PALAVER_TEST_SLOW), where every join costs some fifty times as much.
N_ROOMS = 10000 if SLOW <= 1 else 1000
BATCH = 500


def in_batches(m, make, done, total, what):
    """Sends make(i) for i in 0..total-1, BATCH at a time; after each batch
    reads stanzas until done(stanza) returned a true value for each of the
    batch. Returns every stanza done() accepted, in arrival order."""
    accepted = []
    for start in range(0, total, BATCH):
        end = min(start + BATCH, total)
        m.send(''.join(make(i) for i in range(start, end)))
        want = end - start
        seen = []
        for el in m.r.stanzas(quiet=10.0):
            if done(el):
                seen.append(el)
                if len(seen) == want:
                    break
        assert len(seen) == want, '%s %d..%d: %d answered\n%s' % (
            what, start, end, len(seen), m.r.stderr()[-3000:])
        accepted += seen
    return accepted


def test_lazy_1_ten_thousand_joins_to_stored_rooms():
    tmp = tempfile.mkdtemp(prefix='palaver-lazy-10k-')
    try:
        os.makedirs(os.path.join(tmp, 'spool'))
        db = os.path.join(tmp, 'spool', 'palaver.db')
        p = subprocess.run(['sh', os.path.join(SRCDIR, 'bench', 'make-sqlite-rooms.sh'), db,
                            str(N_ROOMS)], capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        started = time.monotonic()
        with Lazy(NO_KEEP, backend='sqlite', tmpdir=tmp) as m:
            st = stats(m)
            assert st['rooms'] == 0 and st['rooms-loads'] == 0, 'start-up loads no room: %r' % st

            def join(i):
                return ("<presence from='u%d@localhost/x' to='%s'><x xmlns='%s'/></presence>"
                        % (i, occ('room%d' % i, 'u'), NS['muc']))

            def joined(el):
                n = (el.get('to') or '').split('@')[0][1:]
                return (is_presence(el) and el.get('type') is None and 110 in codes(el)
                        and el.get('from') == occ('room' + n, 'u'))
            got = in_batches(m, join, joined, N_ROOMS, 'joins')
            assert len({s.get('from') for s in got}) == N_ROOMS
            for s in got:
                assert 201 not in codes(s) and item(s).get('affiliation') == 'none', tostring(s)
            st = stats(m)
            assert st['rooms'] == N_ROOMS and st['rooms-loads'] == N_ROOMS, st

            def ask(i):
                return "<iq type='get' id='i%d' from='%s' to='%s'>%s</iq>" % (
                    i, C, room_jid('room%d' % i), INFO)

            def answered(el):
                return local(el.tag) == 'iq' and (el.get('id') or '').startswith('i')
            got = in_batches(m, ask, answered, N_ROOMS, 'disco#info')
            bad = [tostring(s) for s in got
                   if s.get('type') != 'result' or info_view(s)[0] !=
                   'Room room%s' % s.get('id')[1:]]
            assert not bad, '%d wrong answers, first: %s' % (len(bad), bad[0])
        took = time.monotonic() - started
        if took > 60:
            print('# 10,000 joins and disco#info took %.1fs' % took, flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


run(globals())
