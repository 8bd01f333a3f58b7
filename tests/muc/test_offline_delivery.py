"""muc-core: messages for registered members who are not in the room (OFFLINE-1).

A registered member asks for them with {http://tigase.org/protocol/muc}offline in
the registration form; each groupchat message with a body then also goes to the
member's bare JID while none of the member's sessions is in the room. The owner
turns it off with x-palaver#offlinedelivery; the choice is stored with the room.
"""

import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mucutil import (MUC, room_jid, occ, to, is_message, describe, assert_error,  # noqa: E402
                     tostring, body_of)
from taptest import run  # noqa: E402

A, B, C = 'alice@localhost/pc', 'bob@localhost/phone', 'carol@example.net/x'
B2 = 'bob@localhost/laptop'
DATA = '{jabber:x:data}'
REG = '{jabber:iq:register}'
FIELD = '{http://tigase.org/protocol/muc}offline'


def reg_get(m, who, room='r'):
    return m.iq(who, room_jid(room), 'get', "<query xmlns='jabber:iq:register'/>", id_='rg')


def reg_set(m, who, nick, offline=None, room='r'):
    extra = '' if offline is None else "<field var='%s'><value>%s</value></field>" % (FIELD, offline)
    return m.iq(who, room_jid(room), 'set',
                "<query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'>"
                "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field>"
                "<field var='muc#register_roomnick'><value>%s</value></field>%s</x></query>"
                % (nick, extra), id_='rs')


def unregister(m, who, room='r'):
    return m.iq(who, room_jid(room), 'set',
                "<query xmlns='jabber:iq:register'><remove/></query>", id_='ru')


def form_value(res, var):
    for f in res.findall(REG + 'query/' + DATA + 'x/' + DATA + 'field'):
        if f.get('var') == var:
            return f, f.findtext(DATA + 'value')
    return None, None


def say(m, body='hello', frm=A, nick='alice', room='r'):
    m.send("<message from='%s' to='%s' type='groupchat' id='g1'><body>%s</body></message>"
           % (frm, room_jid(room), body))
    return m.collect()


def setup(m, config=None):
    m.create(A, 'r', 'alice', dict({'persistentroom': 1}, **(config or {})))


def test_offline_1_form_offers_the_field_unset():
    with MUC() as m:
        setup(m)
        f, v = form_value(reg_get(m, B), FIELD)
        assert f is not None and f.get('type') == 'boolean' and v == '0', tostring(f)


def test_offline_1_absent_member_gets_messages_at_bare_jid():
    with MUC() as m:
        setup(m)
        res = reg_set(m, B, 'bobby', '1')
        assert res.get('type') == 'result', tostring(res)
        f, v = form_value(reg_get(m, B), FIELD)
        assert v == '1', tostring(f)
        got = say(m, 'while you were out')
        copies = to(got, 'bob@localhost')
        assert len(copies) == 1 and is_message(copies[0]), describe(got)
        c = copies[0]
        assert c.get('type') == 'groupchat' and c.get('from') == occ('r', 'alice'), tostring(c)
        assert body_of(c) == 'while you were out'
        assert len(to(got, A)) == 1, describe(got)


def test_offline_1_nothing_while_any_session_is_in_the_room():
    with MUC() as m:
        setup(m)
        reg_set(m, B, 'bobby', 'true')
        m.join(B2, 'r', 'bobby')
        got = say(m)
        assert not to(got, 'bob@localhost'), describe(got)
        assert len(to(got, B2)) == 1, describe(got)
        m.leave(B2, 'r', 'bobby')
        assert len(to(say(m), 'bob@localhost')) == 1


def test_offline_1_not_asked_not_sent():
    with MUC() as m:
        setup(m)
        reg_set(m, B, 'bobby')             # the field left out: off
        reg_set(m, 'dave@localhost/d', 'dave', '0')
        got = say(m)
        assert [s.get('to') for s in got] == [A], describe(got)


def test_offline_1_only_messages_with_a_body():
    with MUC() as m:
        setup(m)
        reg_set(m, B, 'bobby', '1')
        m.send("<message from='%s' to='%s' type='groupchat'><subject>news</subject></message>"
               % (A, room_jid('r')))
        got = m.collect()
        assert not to(got, 'bob@localhost'), describe(got)
        m.send("<message from='%s' to='%s' type='groupchat'><active xmlns='"
               "http://jabber.org/protocol/chatstates'/></message>" % (A, room_jid('r')))
        got = m.collect()
        assert not to(got, 'bob@localhost'), describe(got)


def test_offline_1_choice_can_be_withdrawn_and_unregistering_ends_it():
    with MUC() as m:
        setup(m)
        reg_set(m, B, 'bobby', '1')
        assert reg_set(m, B, 'bobby', '0').get('type') == 'result'
        assert not to(say(m), 'bob@localhost')
        reg_set(m, B, 'bobby', '1')
        assert to(say(m), 'bob@localhost')
        assert unregister(m, B).get('type') == 'result'
        assert not to(say(m), 'bob@localhost')


def test_offline_1_banned_member_gets_nothing():
    with MUC() as m:
        setup(m)
        reg_set(m, B, 'bobby', '1')
        m.iq(A, room_jid('r'), 'set',
             "<query xmlns='http://jabber.org/protocol/muc#admin'>"
             "<item jid='bob@localhost' affiliation='outcast'/></query>", id_='ban')
        told = to(m.collect(), 'bob@localhost')    # §9.1: status 101, not a groupchat
        assert all(s.get('type') != 'groupchat' for s in told), describe(told)
        assert not to(say(m), 'bob@localhost')


def test_offline_1_owner_turns_it_off():
    with MUC() as m:
        setup(m)
        reg_set(m, B, 'bobby', '1')
        m.configure(A, 'r', {'x-palaver#offlinedelivery': 0})
        assert not to(say(m), 'bob@localhost')
        f, _ = form_value(reg_get(m, 'dave@localhost/d'), FIELD)
        assert f is None, 'the form offers what the room does not do'
        assert_error([reg_set(m, 'dave@localhost/d', 'dave', '1')], 'dave@localhost/d',
                     'cancel', 'not-allowed', frm=room_jid('r'))
        m.configure(A, 'r', {'x-palaver#offlinedelivery': 1})
        assert to(say(m), 'bob@localhost'), 'the choice was kept while off'


def test_offline_1_invalid_value_refused():
    with MUC() as m:
        setup(m)
        assert_error([reg_set(m, B, 'bobby', 'maybe')], B, 'modify', 'bad-request',
                     frm=room_jid('r'))
        assert not to(say(m), 'bob@localhost')


def test_offline_1_bounce_from_member_server_changes_nothing():
    with MUC() as m:
        setup(m)
        reg_set(m, B, 'bobby', '1')
        m.join(C, 'r', 'carol')
        say(m)
        m.send("<message from='bob@localhost' to='%s' type='error' id='g1'>"
               "<error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
               "</error></message>" % occ('r', 'alice'))
        got = m.collect()
        assert not got, describe(got)
        got = say(m)
        assert sorted(s.get('to') for s in got) == sorted([A, C, 'bob@localhost']), describe(got)


def test_offline_1_logging_room_copy_goes_with_the_stored_reflection():
    # sqlite's group commit holds the reflection until the archive has the
    # message (history plugin); the absent member's copy goes with it
    tmp = tempfile.mkdtemp()
    try:
        with MUC(backend='sqlite', tmpdir=tmp, plugins=('muc-core', 'history')) as m:
            setup(m, {'enablelogging': 1})
            reg_set(m, B, 'bobby', '1')
            got = say(m, 'archived first')
            copies = to(got, 'bob@localhost')
            assert len(copies) == 1 and body_of(copies[0]) == 'archived first', describe(got)
            sid = copies[0].find('{urn:xmpp:sid:0}stanza-id')
            own = to(got, A)
            assert len(own) == 1 and own[0].find('{urn:xmpp:sid:0}stanza-id') is not None
            assert sid is not None and sid.get('id') == \
                own[0].find('{urn:xmpp:sid:0}stanza-id').get('id'), describe(got)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_offline_1_choice_survives_restart_sqlite():
    tmp = tempfile.mkdtemp()
    try:
        with MUC(backend='sqlite', tmpdir=tmp) as m:
            setup(m)
            reg_set(m, B, 'bobby', '1')
            reg_set(m, 'dave@localhost/d', 'dave', '1')
            assert unregister(m, 'dave@localhost/d').get('type') == 'result'
        with MUC(backend='sqlite', tmpdir=tmp) as m:
            m.join(A, 'r', 'alice')
            got = say(m)
            assert sorted(s.get('to') for s in got) == sorted([A, 'bob@localhost']), describe(got)
            _, v = form_value(reg_get(m, B), FIELD)
            assert v == '1'
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    run(globals())
