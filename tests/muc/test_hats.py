"""muc-core HATS-1: XEP-0317 hats. The service and each room advertise
urn:xmpp:hats:0; a room's owners and admins list the commands on the room's
JID (disco#items, node commands), put a hat on a user with
urn:xmpp:hats:commands:don (a form first, then its submission), and take it
off with :doff; each change is broadcast at once as the user's presence
with a <hats/> element, to every occupant, and the new joiner sees it too.
Hats are stored with a persistent room and survive a restart. Others are
refused (forbidden), bad forms get bad-request, taking off a hat nobody
wears gets item-not-found, and :dlist lists the room's hats."""

import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mucutil import (MUC, NS, occ, room_jid, is_presence, describe, tostring, cond)  # noqa: E402
from taptest import run  # noqa: E402

A, B, C = 'alice@localhost/pc', 'bob@localhost/phone', 'carol@localhost/x'
HATS = 'urn:xmpp:hats:0'
CMDS = 'http://jabber.org/protocol/commands'
DON, DOFF, DLIST = ('urn:xmpp:hats:commands:don', 'urn:xmpp:hats:commands:doff',
                    'urn:xmpp:hats:commands:dlist')
TEACHER = 'http://tech.example.edu/hats#Teacher'


def command(m, frm, node, fields=None, id_='hat'):
    x = ''
    if fields is not None:
        x = ("<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'>"
             "<value>urn:xmpp:hats:commands</value></field>%s</x>"
             % ''.join("<field var='%s'><value>%s</value></field>" % kv for kv in fields.items()))
    return m.iq(frm, room_jid('r'), 'set',
                "<command xmlns='%s' action='execute' node='%s'>%s</command>" % (CMDS, node, x),
                id_=id_)


def hats_of(st):
    h = st.find('{%s}hats' % HATS)
    return [] if h is None else [(x.get('uri'), x.get('title')) for x in h.findall('{%s}hat' % HATS)]


def presences_of(got, nick):
    return [s for s in got if is_presence(s) and s.get('from') == occ('r', nick)]


def set_up(m, persistent=0):
    m.create(A, 'r', 'alice', {'persistentroom': persistent})
    m.join(B, 'r', 'bob')


def test_hats_1_advertised_and_commands_listed():
    with MUC() as m:
        set_up(m)
        res = m.iq(B, 'muc.localhost', 'get', "<query xmlns='%s'/>" % NS['disco_info'])
        assert HATS in {f.get('var') for f in res.iter('{%s}feature' % NS['disco_info'])}, \
            tostring(res)
        res = m.iq(B, room_jid('r'), 'get', "<query xmlns='%s'/>" % NS['disco_info'])
        assert HATS in {f.get('var') for f in res.iter('{%s}feature' % NS['disco_info'])}, \
            tostring(res)
        items = "<query xmlns='%s' node='%s'/>" % (NS['disco_items'], CMDS)
        res = m.iq(A, room_jid('r'), 'get', items)
        assert {i.get('node') for i in res.iter('{%s}item' % NS['disco_items'])} == {
            DON, DOFF, DLIST}, tostring(res)
        res = m.iq(B, room_jid('r'), 'get', items)   # not an owner or admin: nothing
        assert res.get('type') == 'result' and not list(
            res.iter('{%s}item' % NS['disco_items'])), tostring(res)


def test_hats_2_don_form_then_presence_with_the_hat_to_everyone():
    with MUC() as m:
        set_up(m)
        res = command(m, A, DON)
        assert res.get('type') == 'result', tostring(res)
        cmd = res.find('{%s}command' % CMDS)
        assert cmd.get('status') == 'executing' and cmd.get('sessionid'), tostring(res)
        variables = {f.get('var') for f in cmd.iter('{jabber:x:data}field')}
        assert {'FORM_TYPE', 'accountjid', 'hat'} <= variables, variables
        res = command(m, A, DON, {'accountjid': 'bob@localhost', 'hat': TEACHER,
                                  'title': 'Teacher'})
        assert res.find('{%s}command' % CMDS).get('status') == 'completed', tostring(res)
        got = m.collect()
        bob = presences_of(got, 'bob')
        assert sorted(s.get('to') for s in bob) == [A, B], describe(got)
        assert all(hats_of(s) == [(TEACHER, 'Teacher')] for s in bob), describe(got)
        # a newcomer sees the hat in the roster
        got = m.join(C, 'r', 'carol')
        bob = [s for s in presences_of(got, 'bob') if s.get('to') == C]
        assert bob and hats_of(bob[0]) == [(TEACHER, 'Teacher')], describe(got)
        # alice wears none
        alice = [s for s in presences_of(got, 'alice') if s.get('to') == C]
        assert alice and hats_of(alice[0]) == [], describe(got)
        # the list command shows it
        res = command(m, A, DLIST)
        items = res.findall('.//{jabber:x:data}item')
        rows = [{f.get('var'): f.findtext('{jabber:x:data}value') for f in it} for it in items]
        assert rows == [{'accountjid': 'bob@localhost', 'hat': TEACHER, 'title': 'Teacher'}], rows
        # doff: the hat goes, and everyone is told
        res = command(m, A, DOFF, {'accountjid': 'bob@localhost', 'hat': TEACHER})
        assert res.get('type') == 'result', tostring(res)
        got = m.collect()
        bob = presences_of(got, 'bob')
        assert sorted(s.get('to') for s in bob) == [A, B, C], describe(got)
        assert all(hats_of(s) == [] for s in bob), describe(got)


def test_hats_3_refusals():
    with MUC() as m:
        set_up(m)
        res = command(m, B, DON, {'accountjid': 'bob@localhost', 'hat': TEACHER})
        assert res.get('type') == 'error' and cond(res)[1] == 'forbidden', tostring(res)
        res = command(m, A, DON, {'accountjid': 'bob@localhost'})
        assert res.get('type') == 'error' and cond(res)[1] == 'bad-request', tostring(res)
        res = command(m, A, DON, {'accountjid': 'bob@localhost', 'hat': 'not a uri'})
        assert res.get('type') == 'error' and cond(res)[1] == 'bad-request', tostring(res)
        res = command(m, A, DOFF, {'accountjid': 'bob@localhost', 'hat': TEACHER})
        assert res.get('type') == 'error' and cond(res)[1] == 'item-not-found', tostring(res)
        res = command(m, A, 'urn:xmpp:hats:commands:nonsense')
        assert res.get('type') == 'error' and cond(res)[1] == 'item-not-found', tostring(res)
        m.nothing()


def test_hats_4_stored_with_a_persistent_room():
    tmp = tempfile.mkdtemp(prefix='palaver-muc-hats-')
    try:
        with MUC(backend='sqlite', tmpdir=tmp) as m:
            set_up(m, persistent=1)
            res = command(m, A, DON, {'accountjid': 'bob@localhost', 'hat': TEACHER,
                                      'title': 'Teacher'})
            assert res.get('type') == 'result', tostring(res)
            m.collect()
            m.leave(B, 'r', 'bob')
        with MUC(backend='sqlite', tmpdir=tmp) as m:
            got = m.join(B, 'r', 'bob')
            own = [s for s in presences_of(got, 'bob') if s.get('to') == B]
            assert own and hats_of(own[-1]) == [(TEACHER, 'Teacher')], describe(got)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    run(globals())
