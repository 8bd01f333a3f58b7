"""muc-core: exiting, nick changes and status (XEP-0045 §7.6, 7.7, 7.14): EXIT-*, NICK-1, STATUS-*."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mucutil import (MUC, NS, occ, room_jid, to, is_presence, is_message, item, codes,  # noqa: E402
                     describe, assert_error, tostring, cond)
from taptest import run  # noqa: E402

A, B, C = 'alice@localhost/pc', 'bob@localhost/phone', 'carol@example.net/x'


def status_text(el):
    s = el.find('{%s}status' % NS['component'])
    return None if s is None else s.text


def test_exit_1_unavailable_to_everyone_with_status():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        m.join(B, 'r', 'bob')
        m.join(C, 'r', 'carol')
        got = m.leave(B, 'r', 'bob', status='gone fishing')
        assert sorted(s.get('to') for s in got) == sorted([A, B, C]), describe(got)
        for s in got:
            assert is_presence(s) and s.get('type') == 'unavailable', describe(got)
            assert s.get('from') == occ('r', 'bob')
            assert status_text(s) == 'gone fishing', describe(got)
            assert item(s).get('role') == 'none'
        mine = to(got, B)[0]
        assert 110 in codes(mine) and item(mine).get('jid') == B
        assert 110 not in codes(to(got, C)[0]) and item(to(got, C)[0]).get('jid') is None
        # bob is gone: his messages are refused, others' no longer reach him
        got = m.groupchat(A, 'r', 'anyone?')
        assert B not in [s.get('to') for s in got], describe(got)


def test_exit_1_unavailable_from_nonoccupant_is_ignored():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        got = m.leave(B, 'r', 'bob')
        assert got == [], describe(got)


def test_exit_2_temporary_room_destroyed_when_empty():
    with MUC() as m:
        m.create(A, 'r', 'alice', {'roomname': 'Old name'})
        m.leave(A, 'r', 'alice')
        info = m.iq(B, room_jid('r'), 'get', "<query xmlns='%s'/>" % NS['disco_info'])
        assert cond(info) == ('cancel', 'item-not-found'), tostring(info)
        got = m.join(B, 'r', 'bob')
        assert 201 in codes([s for s in got if is_presence(s)][0]), 'a new room: ' + describe(got)


def test_exit_2_persistent_room_kept():
    with MUC() as m:
        m.create(A, 'r', 'alice', {'persistentroom': 1, 'roomname': 'Kept'})
        m.leave(A, 'r', 'alice')
        info = m.iq(B, room_jid('r'), 'get', "<query xmlns='%s'/>" % NS['disco_info'])
        assert info.get('type') == 'result', tostring(info)
        ident = info.find('.//{%s}identity' % NS['disco_info'])
        assert ident.get('name') == 'Kept'
        got = m.join(B, 'r', 'bob')
        assert 201 not in codes([s for s in got if is_presence(s)][0]), describe(got)


def test_exit_3_presence_error_bounce_removes_occupant_once():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        m.join(B, 'r', 'bob')
        m.send("<presence type='error' from='%s' to='%s'><error type='cancel'>"
               "<remote-server-not-found xmlns='%s'/></error></presence>" % (B, occ('r', 'alice'), NS['stanzas']))
        got = m.collect()
        # alice, and bob himself (with 110, in case his client is still there)
        assert sorted(s.get('to') for s in got) == sorted([A, B]), describe(got)
        for s in got:
            assert s.get('type') == 'unavailable' and 333 in codes(s), describe(got)
            assert s.get('from') == occ('r', 'bob')
        assert 110 in codes(to(got, B)[0]), describe(got)
        m.send("<message type='error' from='%s' to='%s'><error type='cancel'>"
               "<remote-server-not-found xmlns='%s'/></error></message>" % (B, room_jid('r'), NS['stanzas']))
        assert m.collect() == [], 'removed once only'


def test_exit_3_message_error_bounce_removes_occupant():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        m.join(B, 'r', 'bob')
        m.send("<message type='error' from='%s' to='%s'><error type='cancel'>"
               "<service-unavailable xmlns='%s'/></error></message>" % (B, room_jid('r'), NS['stanzas']))
        got = m.collect()
        assert sorted(s.get('to') for s in got) == sorted([A, B]), describe(got)
        assert all(333 in codes(s) for s in got), describe(got)


def test_nick_1_change():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        m.join(B, 'r', 'bob')
        m.presence(B, occ('r', 'robert'))
        got = m.collect()
        assert len(got) == 4, describe(got)
        for who in (A, B):
            mine = to(got, who)
            assert len(mine) == 2, describe(got)
            out, into = mine
            assert out.get('type') == 'unavailable' and out.get('from') == occ('r', 'bob'), describe(mine)
            assert 303 in codes(out) and item(out).get('nick') == 'robert', describe(mine)
            assert into.get('type') is None and into.get('from') == occ('r', 'robert'), describe(mine)
            assert (110 in codes(out)) == (who == B) and (110 in codes(into)) == (who == B)
        # the old nick is free, the new one taken
        got = m.join(C, 'r', 'bob')
        assert 110 in codes([s for s in to(got, C) if is_presence(s)][-1]), describe(got)
        got = m.join('dave@localhost/d', 'r', 'robert')
        assert_error(got, 'dave@localhost/d', 'cancel', 'conflict', frm=occ('r', 'robert'))


def test_nick_1_conflict():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        m.join(B, 'r', 'bob')
        m.presence(B, occ('r', 'Alice'))
        got = m.collect()
        assert_error(got, B, 'cancel', 'conflict', frm=occ('r', 'Alice'))


def test_nick_1_reserved_nick_refused():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        res = m.iq(C, room_jid('r'), 'set',
                   "<query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'>"
                   "<field var='muc#register_roomnick'><value>cee</value></field></x></query>")
        assert res.get('type') == 'result', tostring(res)
        m.join(B, 'r', 'bob')
        m.presence(B, occ('r', 'cee'))
        assert_error(m.collect(), B, 'cancel', 'conflict', frm=occ('r', 'cee'))


def test_nick_1_room_forbids_nick_changes():
    with MUC() as m:
        m.create(A, 'r', 'alice', {'x-palaver#changenick': 0})
        m.join(B, 'r', 'bob')
        m.presence(B, occ('r', 'robert'))
        assert_error(m.collect(), B, 'modify', 'not-acceptable', frm=occ('r', 'robert'))


def test_status_1_broadcast():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        m.join(B, 'r', 'bob')
        m.presence(A, occ('r', 'alice'), body='<show>dnd</show><status>busy</status>')
        got = m.collect()
        assert sorted(s.get('to') for s in got) == sorted([A, B]), describe(got)
        for s in got:
            assert s.find('{%s}show' % NS['component']).text == 'dnd'
            assert status_text(s) == 'busy'
        # a later joiner sees the current status
        got = to(m.join(C, 'r', 'carol'), C)
        assert status_text(got[0]) == 'busy', describe(got)


def test_status_2_presencebroadcast_roles():
    with MUC() as m:
        m.create(A, 'r', 'alice', {'presencebroadcast': ['moderator'], 'moderatedroom': 1})
        got = m.join(B, 'r', 'bob')     # a visitor: its presence is not broadcast
        assert not to(got, A), describe(got)
        mine = [s for s in to(got, B) if is_presence(s)]
        assert [s.get('from') for s in mine] == [occ('r', 'alice'), occ('r', 'bob')], describe(got)
        m.presence(B, occ('r', 'bob'), body='<show>away</show>')
        got = m.collect()
        assert [s.get('to') for s in got] == [B], describe(got)
        got = m.leave(B, 'r', 'bob')
        assert [s.get('to') for s in got] == [B], describe(got)


run(globals())
