"""room-notices, muc-core's companion: the original Palaver's text notices
(x-palaver#join, #leave, #rename).

A non-empty text makes the room send a groupchat body from its bare JID after
an occupant enters ("<nick> <join>", to everyone), leaves ("<nick> <leave>",
to those who stay) or changes nick ("<old> <rename> <new>"); empty texts (the
default) send nothing. In game rooms a notice on behalf of a participant does
not reach players (unless ignore_player), like that participant's messages.
<room-notices enabled="false"/> in <plugins> turns them off.
"""

import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'game'))

from mucutil import (MUC, NS, occ, room_jid, is_message, is_presence, body_of, subject_of,  # noqa: E402
                     describe, tostring, DOMAIN, Router)
from gameutil import game_muc, game_room, OWNER, PLAYER, KIBITZ  # noqa: E402
from taptest import run  # noqa: E402

A, B, C = 'alice@localhost/pc', 'bob@localhost/phone', 'carol@example.net/x'
TEXTS = {'x-palaver#join': 'has joined the room',
         'x-palaver#leave': 'has left the room',
         'x-palaver#rename': 'is now known as'}


def notices(got):
    """The messages from the bare room JID that carry a body."""
    return [s for s in got if is_message(s) and s.get('from') == room_jid('r')
            and body_of(s) is not None]


def check_notice(got, body, recipients):
    n = notices(got)
    assert sorted(s.get('to') for s in n) == sorted(recipients), describe(got)
    for s in n:
        assert s.get('type') == 'groupchat', describe(got)
        assert body_of(s) == body, describe(got)
        assert subject_of(s) is None, describe(got)


def test_notice_join_to_everyone_after_the_join():
    with MUC() as m:
        m.create(A, 'r', 'alice', TEXTS)
        m.join(B, 'r', 'bob')
        got = m.join(C, 'r', 'carol')
        check_notice(got, 'carol has joined the room', [A, B, C])
        mine = [s for s in got if s.get('to') == C]
        # the joiner gets it after its own presence and the subject
        assert is_presence(mine[0]) and body_of(mine[-1]) == 'carol has joined the room', \
            describe(mine)
        assert any(subject_of(s) is not None for s in mine[:-1]), describe(mine)


def test_notice_join_second_session_sends_none():
    with MUC() as m:
        m.create(A, 'r', 'alice', TEXTS)
        m.join(B, 'r', 'bob')
        got = m.join('bob@localhost/laptop', 'r', 'bob')
        assert notices(got) == [], describe(got)


def test_notice_leave_to_those_who_stay():
    with MUC() as m:
        m.create(A, 'r', 'alice', TEXTS)
        m.join(B, 'r', 'bob')
        m.join(C, 'r', 'carol')
        got = m.leave(B, 'r', 'bob', status='bye')
        check_notice(got, 'bob has left the room', [A, C])
        # after the unavailable presence
        for who in (A, C):
            mine = [s for s in got if s.get('to') == who]
            assert is_presence(mine[0]) and mine[0].get('type') == 'unavailable', describe(mine)
            assert is_message(mine[-1]), describe(mine)


def test_notice_rename_old_text_new():
    with MUC() as m:
        m.create(A, 'r', 'alice', TEXTS)
        m.join(B, 'r', 'bob')
        m.join(C, 'r', 'carol')
        m.presence(B, occ('r', 'robert'))
        got = m.collect()
        check_notice(got, 'bob is now known as robert', [A, B, C])


def test_notice_empty_texts_send_nothing():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        got = m.join(B, 'r', 'bob')
        got += m.join(C, 'r', 'carol')
        m.presence(B, occ('r', 'robert'))
        got += m.collect()
        got += m.leave(C, 'r', 'carol')
        assert notices(got) == [], describe(got)
        assert not any(body_of(s) is not None for s in got if is_message(s)), describe(got)


def test_notice_cleared_text_sends_nothing():
    with MUC() as m:
        m.create(A, 'r', 'alice', TEXTS)
        m.join(B, 'r', 'bob')
        res = m.configure(A, 'r', {'x-palaver#join': '', 'x-palaver#leave': '',
                                   'x-palaver#rename': ''})
        assert res.get('type') == 'result', describe([res])
        m.collect()
        got = m.join(C, 'r', 'carol')
        m.presence(C, occ('r', 'caz'))
        got += m.collect()
        got += m.leave(C, 'r', 'caz')
        assert notices(got) == [], describe(got)


def test_notice_only_one_text_set():
    with MUC() as m:
        m.create(A, 'r', 'alice', {'x-palaver#leave': 'went away'})
        got = m.join(B, 'r', 'bob')
        m.presence(B, occ('r', 'robert'))
        got += m.collect()
        assert notices(got) == [], describe(got)
        got = m.leave(B, 'r', 'robert')
        check_notice(got, 'robert went away', [A])


# ---- game rooms: notices on behalf of a participant skip players ----------------


def test_notice_destroy_sends_no_leave_notices():
    with MUC() as m:
        m.create(A, 'r', 'alice', TEXTS)
        m.join(B, 'r', 'bob')
        m.join(C, 'r', 'carol')
        m.send("<iq type='set' id='d' from='%s' to='%s'><query xmlns='%s'>"
               "<destroy><reason>bye</reason></destroy></query></iq>"
               % (A, room_jid('r'), 'http://jabber.org/protocol/muc#owner'))
        got = m.collect()
        assert any(s.get('id') == 'd' and s.get('type') == 'result' for s in got), describe(got)
        assert notices(got) == [], describe(got)


G = {'x-palaver#join': 'arrives', 'x-palaver#leave': 'leaves', 'x-palaver#rename': 'becomes'}
KIBITZ2 = 'kibitz2@example.net/y'


def game_notices(got, body):
    n = [s for s in got if is_message(s) and s.get('from') == room_jid('g')
         and body_of(s) is not None]
    assert all(body_of(s) == body and s.get('type') == 'groupchat' for s in n), describe(got)
    return sorted(s.get('to') for s in n)


def test_notice_game_participant_notices_skip_players():
    with game_muc() as m:
        game_room(m, config=G)
        got = m.join(KIBITZ2, 'g', 'kibitz2')
        assert game_notices(got, 'kibitz2 arrives') == sorted([OWNER, KIBITZ, KIBITZ2])
        m.presence(KIBITZ2, occ('g', 'k2'))
        got = m.collect()
        assert game_notices(got, 'kibitz2 becomes k2') == sorted([OWNER, KIBITZ, KIBITZ2])
        got = m.leave(KIBITZ, 'g', 'kibitz')
        assert game_notices(got, 'kibitz leaves') == sorted([OWNER, KIBITZ2])


def test_notice_game_player_and_moderator_notices_reach_everyone():
    with game_muc() as m:
        game_room(m, config=G)
        m.presence(PLAYER, occ('g', 'white2'))
        got = m.collect()
        assert game_notices(got, 'white becomes white2') == sorted([OWNER, PLAYER, KIBITZ])
        m.presence(OWNER, occ('g', 'boss'))
        got = m.collect()
        assert game_notices(got, 'owner becomes boss') == sorted([OWNER, PLAYER, KIBITZ])
        got = m.leave(PLAYER, 'g', 'white2')
        assert game_notices(got, 'white2 leaves') == sorted([OWNER, KIBITZ])


def test_notice_game_ignore_player_reaches_players():
    with game_muc() as m:
        game_room(m, config=G, options={'ignore_player': '1'})
        got = m.join(KIBITZ2, 'g', 'kibitz2')
        assert game_notices(got, 'kibitz2 arrives') == sorted([OWNER, PLAYER, KIBITZ, KIBITZ2])


# ---- turned off ------------------------------------------------------------------------------


class _NoticesOff(Router):
    """The daemon's config with <room-notices enabled='false'/> in <plugins>."""

    def config_xml(self):
        xml = super().config_xml()
        assert '<room-notices></room-notices>' in xml, xml
        return xml.replace('<room-notices></room-notices>', "<room-notices enabled='false'/>")


def form_vars(m, room):
    res = m.iq(A, room_jid(room), 'get', "<query xmlns='%s'/>" % NS['muc_owner'], id_='get')
    assert res.get('type') == 'result', tostring(res)
    return [f.get('var') for f in res.iter('{jabber:x:data}field')]


def test_notice_absent_when_turned_off():
    """room-notices is muc-core's companion: <room-notices enabled='false'/>
    sends no notice and takes the three fields out of the owner's form; the
    texts a stored room has stay and come back when it is turned on again."""
    tmp = tempfile.mkdtemp(prefix='palaver-notices-off-')
    try:
        with MUC(backend='sqlite', tmpdir=tmp) as m:
            m.create(A, 'r', 'alice', dict(TEXTS, persistentroom=1))
            assert [v for v in form_vars(m, 'r') if v in TEXTS] == list(TEXTS)
        m = MUC.__new__(MUC)
        m.r = _NoticesOff(domain=DOMAIN, backend='sqlite', plugins=['muc-core', 'room-notices'],
                          tmpdir=tmp)
        with m:
            m.join(A, 'r', 'alice')
            fields = form_vars(m, 'r')
            assert 'x-palaver#privacy' in fields, fields
            assert not any(v in TEXTS for v in fields), fields
            got = m.join(B, 'r', 'bob')
            m.presence(B, occ('r', 'robert'))
            got += m.collect()
            got += m.leave(B, 'r', 'robert')
            assert notices(got) == [], describe(got)
        with MUC(backend='sqlite', tmpdir=tmp) as m:
            m.join(A, 'r', 'alice')
            got = m.join(B, 'r', 'bob')
            check_notice(got, 'bob has joined the room', [A, B])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


run(globals())
