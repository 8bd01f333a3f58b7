"""muc-core: groupchat, subject, private messages and IQs to occupants (XEP-0045 §7.4, 7.5, 7.9, 8.1): MSG-*."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mucutil import (MUC, NS, occ, room_jid, to, is_presence, is_message, describe,  # noqa: E402
                     assert_error, tostring, cond, subject_of, body_of, occupant_id, muc_x)
from taptest import run  # noqa: E402

A, B, C = 'alice@localhost/pc', 'bob@localhost/phone', 'carol@example.net/x'


def room3(m, config=None):
    m.create(A, 'r', 'alice', config)
    m.join(B, 'r', 'bob')
    m.join(C, 'r', 'carol')


def test_msg_1_groupchat_reflected_to_all():
    with MUC() as m:
        room3(m)
        got = m.groupchat(B, 'r', 'hello <all> & you', id_='abc',
                          extra="<active xmlns='%s'/>" % NS['chatstates'])
        assert sorted(s.get('to') for s in got) == sorted([A, B, C]), describe(got)
        for s in got:
            assert s.get('from') == occ('r', 'bob') and s.get('type') == 'groupchat'
            assert s.get('id') == 'abc', describe(got)
            assert body_of(s) == 'hello <all> & you'
            assert s.find('{%s}active' % NS['chatstates']) is not None, 'extensions kept'
            assert occupant_id(s)


def test_msg_1_multi_session_recipient_gets_each_once():
    with MUC() as m:
        room3(m)
        m.join('carol@example.net/y', 'r', 'carol')
        got = m.groupchat(A, 'r', 'x')
        tos = [s.get('to') for s in got]
        assert sorted(tos) == sorted([A, B, C, 'carol@example.net/y']), describe(got)


def test_msg_1_recipient_needing_escaping_written_exactly():
    # The JID each copy goes to is escaped once, at the join: the bytes on the
    # wire are the attribute as the serialiser writes it, and it reads back
    # as the session's JID.
    odd = 'dave@localhost/o\'brien & <co> "x"'
    with MUC() as m:
        room3(m)
        m.join(odd, 'r', 'dave')
        start = len(m.r.conn.raw_bytes())
        got = m.groupchat(A, 'r', 'x')
        assert sorted(s.get('to') for s in got) == sorted([A, B, C, odd]), describe(got)
        sent = m.r.conn.raw_bytes()[start:]
        assert sent.count(b"to='dave@localhost/o&apos;brien &amp; &lt;co> &quot;x&quot;'") == 1, sent


def test_msg_1_broadcast_copies_written_together_exactly():
    # The core queues a broadcast's copies together, in chunks that end where
    # the queue passes 64 KiB: on the wire each copy is still the whole
    # stanza, the same bytes but for its escaped recipient, one after the
    # other with nothing between them, one per session.
    odd = 'dave@localhost/o\'brien & <co> "x"'
    users = [odd] + ['u%d@localhost/r' % i for i in range(40)]
    with MUC() as m:
        m.create(A, 'r', 'owner')
        for i, u in enumerate(users):
            m.join(u, 'r', 'n%d' % i)
        start = len(m.r.conn.raw_bytes())
        got = m.groupchat(A, 'r', 'b' * 4000)
        assert sorted(s.get('to') for s in got) == sorted(users + [A]), describe(got)
        sent = m.r.conn.raw_bytes()[start:]
        assert len(sent) > 2 * 65536, len(sent)
        head = b"<message to='"
        assert sent.startswith(head), sent[:200]
        copies = sent[len(head):].split(head)
        assert len(copies) == len(users) + 1, len(copies)
        tails = set(c.split(b"'", 1)[1] for c in copies)
        assert len(tails) == 1, tails
        assert tails.pop().endswith(b'</message>')
        tos = [c.split(b"'", 1)[0] for c in copies]
        assert tos.count(b"dave@localhost/o&apos;brien &amp; &lt;co> &quot;x&quot;") == 1, tos


def test_msg_1_broadcast_to_a_server_that_does_not_read():
    # Broadcasts larger than <output-buffer> while the server does not read:
    # the copies past the mark are refused whole (logged), the queue never
    # holds half a stanza, and once the server reads again every copy it
    # gets is complete and the stream goes on.
    limits = ('<limits><stanza-size>65536</stanza-size><output-buffer>65536</output-buffer>'
              '</limits>')
    users = ['u%d@localhost/r' % i for i in range(20)]
    with MUC(extra_config=limits) as m:
        m.create(A, 'r', 'owner')
        for i, u in enumerate(users):
            m.join(u, 'r', 'n%d' % i)
        m.r.pause_reading()
        body = 'b' * 4000
        for i in range(400):
            m.send("<message type='groupchat' id='f%d' from='%s' to='%s'><body>%s</body>"
                   "</message>" % (i, A, room_jid('r'), body))
        m.r.wait_log('output buffer full', timeout=30)
        m.r.resume_reading()
        got = m.r.collect(quiet=1.0, timeout=120)
        msgs = [s for s in got if is_message(s) and s.get('type') == 'groupchat']
        assert 0 < len(msgs) < 400 * 21, len(msgs)
        assert all(s.findtext('{jabber:component:accept}body') == body for s in msgs)
        got = m.groupchat(A, 'r', 'after')
        assert sorted(s.get('to') for s in got) == sorted(users + [A]), describe(got)


def test_msg_2_groupchat_from_nonoccupant_not_acceptable():
    with MUC() as m:
        room3(m)
        got = m.groupchat('eve@localhost/e', 'r', 'sneaky')
        assert_error(got, 'eve@localhost/e', 'modify', 'not-acceptable', frm=room_jid('r'))


def test_msg_2_visitor_in_moderated_room_forbidden():
    with MUC() as m:
        room3(m, {'moderatedroom': 1})
        got = m.groupchat(B, 'r', 'may I?')
        assert_error(got, B, 'auth', 'forbidden', frm=room_jid('r'))
        got = m.groupchat(A, 'r', 'moderators may')
        assert len(got) == 3, describe(got)


def test_msg_2_groupchat_to_missing_room():
    with MUC() as m:
        got = m.groupchat(A, 'nowhere', 'hello?')
        assert_error(got, A, 'cancel', 'item-not-found', frm=room_jid('nowhere'))


def subject(m, frm, text):
    m.send("<message type='groupchat' id='s1' from='%s' to='%s'><subject>%s</subject></message>"
           % (frm, room_jid('r'), text))
    return m.collect()


def test_msg_3_subject_change_by_moderator():
    with MUC() as m:
        room3(m)
        got = subject(m, A, 'New topic')
        assert sorted(s.get('to') for s in got) == sorted([A, B, C]), describe(got)
        assert all(subject_of(s) == 'New topic' and s.get('from') == occ('r', 'alice') for s in got)
        assert all(body_of(s) is None for s in got)
        got = to(m.join('dave@localhost/d', 'r', 'dave'), 'dave@localhost/d')
        assert is_message(got[-1]) and subject_of(got[-1]) == 'New topic', describe(got)
        assert got[-1].get('from') == occ('r', 'alice')


def test_msg_3_subject_change_by_participant_forbidden_unless_allowed():
    with MUC() as m:
        room3(m)
        got = subject(m, B, 'mine')
        assert_error(got, B, 'auth', 'forbidden', frm=room_jid('r'))
        res = m.configure(A, 'r', {'changesubject': 1})
        assert res.get('type') == 'result', tostring(res)
        m.collect()
        got = subject(m, B, 'mine')
        assert len(got) == 3 and all(subject_of(s) == 'mine' for s in got), describe(got)


def test_msg_3_subject_kept_with_persistent_room():
    with MUC() as m:
        m.create(A, 'r', 'alice', {'persistentroom': 1})
        subject(m, A, 'Stays')
        m.leave(A, 'r', 'alice')
        got = to(m.join(B, 'r', 'bob'), B)
        assert subject_of(got[-1]) == 'Stays', describe(got)


def pm(m, frm, nick, body, type_='chat'):
    m.send("<message type='%s' id='p1' from='%s' to='%s'><body>%s</body></message>"
           % (type_, frm, occ('r', nick), body))
    return m.collect()


def test_msg_4_private_message():
    with MUC() as m:
        room3(m)
        m.join('carol@example.net/y', 'r', 'carol')
        got = pm(m, B, 'carol', 'psst')
        assert sorted(s.get('to') for s in got) == sorted([C, 'carol@example.net/y']), describe(got)
        for s in got:
            assert s.get('from') == occ('r', 'bob') and s.get('type') == 'chat'
            assert body_of(s) == 'psst' and s.get('id') == 'p1'
            assert muc_x(s) is not None, 'muc#user x added'
            assert B not in tostring(s), 'the real jid must not leak'


def test_msg_4_private_message_unknown_nick():
    with MUC() as m:
        room3(m)
        got = pm(m, B, 'nobody', 'hello?')
        assert_error(got, B, 'cancel', 'item-not-found', frm=occ('r', 'nobody'))


def test_msg_4_private_message_from_nonoccupant():
    with MUC() as m:
        room3(m)
        got = pm(m, 'eve@localhost/e', 'bob', 'hi')
        assert_error(got, 'eve@localhost/e', 'modify', 'not-acceptable', frm=occ('r', 'bob'))


def test_msg_4_allowpm_enforced():
    with MUC() as m:
        room3(m, {'allowpm': 'moderators'})
        got = pm(m, B, 'carol', 'no')
        assert_error(got, B, 'auth', 'forbidden', frm=occ('r', 'carol'))
        got = pm(m, A, 'carol', 'yes')
        assert [s.get('to') for s in got] == [C], describe(got)
        m.configure(A, 'r', {'allowpm': 'none'})
        m.collect()
        got = pm(m, A, 'carol', 'no more')
        assert_error(got, A, 'auth', 'forbidden', frm=occ('r', 'carol'))


def test_msg_5_iq_forwarded_and_reply_routed_back():
    with MUC() as m:
        room3(m)
        m.send("<iq type='get' id='v1' from='%s' to='%s'><query xmlns='jabber:iq:version'/></iq>"
               % (B, occ('r', 'carol')))
        got = m.collect()
        assert len(got) == 1, describe(got)
        fwd = got[0]
        assert fwd.get('to') == C and fwd.get('from') == occ('r', 'bob'), describe(got)
        assert fwd.find('{jabber:iq:version}query') is not None
        new_id = fwd.get('id')
        m.send("<iq type='result' id='%s' from='%s' to='%s'><query xmlns='jabber:iq:version'>"
               "<name>Client</name></query></iq>" % (new_id, C, occ('r', 'bob')))
        got = m.collect()
        assert len(got) == 1, describe(got)
        assert got[0].get('to') == B and got[0].get('from') == occ('r', 'carol')
        assert got[0].get('id') == 'v1' and got[0].get('type') == 'result'
        # a reply from someone else with that id is not routed
        m.send("<iq type='result' id='%s' from='%s' to='%s'/>" % (new_id, C, occ('r', 'bob')))
        assert m.collect() == []


def test_msg_5_vcard_goes_to_bare_jid():
    with MUC() as m:
        room3(m)
        m.send("<iq type='get' id='vc' from='%s' to='%s'><vCard xmlns='vcard-temp'/></iq>"
               % (B, occ('r', 'carol')))
        got = m.collect()
        assert [s.get('to') for s in got] == ['carol@example.net'], describe(got)


def test_msg_5_self_ping_answered_by_service():
    with MUC() as m:
        room3(m)
        res = m.iq(B, occ('r', 'bob'), 'get', "<ping xmlns='urn:xmpp:ping'/>", id_='sp')
        assert res.get('type') == 'result' and res.get('to') == B, tostring(res)
        assert res.get('from') == occ('r', 'bob')
        assert m.collect() == []
        res = m.iq('eve@localhost/e', occ('r', 'bob'), 'get', "<ping xmlns='urn:xmpp:ping'/>", id_='sp2')
        assert res.get('type') == 'error', 'a non-occupant is told it is not in the room'
        assert cond(res)[1] == 'not-acceptable', tostring(res)


def test_msg_5_privacy_off_refuses_iqs_between_occupants():
    # x-palaver#privacy is Palaver 0.6's "Allow users to query others?":
    # off, IQs to occupants are refused; self-ping still works.
    with MUC() as m:
        room3(m, {'x-palaver#privacy': 0})
        for payload in ("<query xmlns='jabber:iq:version'/>", "<vCard xmlns='vcard-temp'/>"):
            res = m.iq(B, occ('r', 'carol'), 'get', payload, id_='v')
            assert cond(res) == ('cancel', 'not-allowed'), tostring(res)
            assert res.get('from') == occ('r', 'carol') and res.get('to') == B, tostring(res)
            assert m.collect() == [], 'the IQ was forwarded anyway'
        res = m.iq(B, occ('r', 'bob'), 'get', "<ping xmlns='urn:xmpp:ping'/>", id_='sp')
        assert res.get('type') == 'result', tostring(res)
        # on again: forwarded
        m.configure(A, 'r', {'x-palaver#privacy': 1})
        m.collect()
        m.send("<iq type='get' id='v2' from='%s' to='%s'><query xmlns='jabber:iq:version'/></iq>"
               % (B, occ('r', 'carol')))
        got = m.collect()
        assert [s.get('to') for s in got] == [C], describe(got)


def test_msg_6_message_size_limit():
    with MUC() as m:
        room3(m, {'x-palaver#message_size': 10})
        got = m.groupchat(B, 'r', 'x' * 11)
        e = assert_error(got, B, 'modify', 'not-acceptable', frm=room_jid('r'))
        assert '10' in tostring(e)
        got = m.groupchat(B, 'r', 'x' * 10)
        assert len(got) == 3, describe(got)


def test_msg_7_flood_control():
    with MUC(muc_config='<flood-burst>3</flood-burst><flood-per-minute>1</flood-per-minute>') as m:
        room3(m)
        for i in range(3):
            got = m.groupchat(B, 'r', 'msg %d' % i, id_='f%d' % i)
            assert len(got) == 3, describe(got)
        got = m.groupchat(B, 'r', 'one too many', id_='f4')
        assert_error(got, B, 'wait', 'resource-constraint', frm=room_jid('r'))
        got = m.groupchat(C, 'r', 'others are not limited')
        assert len(got) == 3, describe(got)


run(globals())
