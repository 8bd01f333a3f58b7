"""muc-core: what other clients and servers expect (XEP-0045 §7.14, §8.1, §10.2.1, XEP-0307, and
Prosody's behaviour where the XEP is silent): MSG-3, EXIT-1, EXIT-3, OWNER-4, DISCO-1."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mucutil import (MUC, NS, DOMAIN, occ, room_jid, to, is_presence, is_message, item,  # noqa: E402
                     codes, subject_of, body_of, describe, assert_error, tostring, escape,
                     owner_submit)
from taptest import run  # noqa: E402

A, B, C = 'alice@localhost/pc', 'bob@localhost/phone', 'carol@example.net/x'
NS_UNIQUE = 'http://jabber.org/protocol/muc#unique'


def room3(m, config=None):
    m.create(A, 'r', 'alice', config)
    m.join(B, 'r', 'bob')
    m.join(C, 'r', 'carol')


def thread_of(el):
    t = el.find('{%s}thread' % NS['component'])
    return None if t is None else (t.text or '')


def subject_on_join(m, who='dave@localhost/d', nick='dave'):
    """The subject a new joiner gets (the last stanza of its join)."""
    got = to(m.join(who, 'r', nick), who)
    assert is_message(got[-1]), describe(got)
    return subject_of(got[-1])


# ---- MSG-3: <subject> with <body> or <thread> is a message, not a subject change (§8.1) ----

def test_msg_3_subject_with_thread_is_a_message_not_a_change():
    with MUC() as m:
        room3(m)
        # bob is a participant: a subject change would be forbidden to him
        m.send("<message type='groupchat' id='t1' from='%s' to='%s'><subject>Side topic</subject>"
               "<thread>th-1</thread></message>" % (B, room_jid('r')))
        got = m.collect()
        assert sorted(s.get('to') for s in got) == sorted([A, B, C]), describe(got)
        for s in got:
            assert is_message(s) and s.get('type') == 'groupchat', describe(got)
            assert s.get('from') == occ('r', 'bob') and s.get('id') == 't1', describe(got)
            assert subject_of(s) == 'Side topic' and thread_of(s) == 'th-1', describe(got)
        # a moderator's one does not change the subject either
        m.send("<message type='groupchat' id='t2' from='%s' to='%s'><subject>Not the topic"
               "</subject><thread>th-2</thread></message>" % (A, room_jid('r')))
        got = m.collect()
        assert len(got) == 3 and all(thread_of(s) == 'th-2' for s in got), describe(got)
        assert subject_on_join(m) == '', 'the room subject stayed empty'


def test_msg_3_subject_with_body_is_a_message_not_a_change():
    with MUC() as m:
        room3(m)
        m.send("<message type='groupchat' id='b1' from='%s' to='%s'><subject>Re: plans</subject>"
               "<body>see you</body></message>" % (A, room_jid('r')))
        got = m.collect()
        assert len(got) == 3, describe(got)
        assert all(subject_of(s) == 'Re: plans' and body_of(s) == 'see you' for s in got)
        assert subject_on_join(m) == '', 'the room subject stayed empty'
        # a subject alone still changes it
        m.send("<message type='groupchat' id='s1' from='%s' to='%s'><subject>Real topic</subject>"
               "</message>" % (A, room_jid('r')))
        assert len(m.collect()) == 4  # alice, bob, carol, dave
        assert subject_on_join(m, 'erin@localhost/e', 'erin') == 'Real topic'


# ---- EXIT-3: the bounced occupant is told too, with 110 and 333 ----

def check_bounce_removal(got):
    assert sorted(s.get('to') for s in got) == sorted([A, B]), describe(got)
    for s in got:
        assert is_presence(s) and s.get('type') == 'unavailable', describe(got)
        assert s.get('from') == occ('r', 'bob') and 333 in codes(s), describe(got)
        assert item(s).get('role') == 'none', describe(got)
    mine = to(got, B)[0]
    assert codes(mine) == {110, 333}, describe(got)
    assert 110 not in codes(to(got, A)[0]), describe(got)


def test_exit_3_presence_bounce_tells_the_removed_occupant_110_333():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        m.join(B, 'r', 'bob')
        m.send("<presence type='error' from='%s' to='%s'><error type='cancel'>"
               "<remote-server-not-found xmlns='%s'/></error></presence>"
               % (B, occ('r', 'alice'), NS['stanzas']))
        check_bounce_removal(m.collect())


def test_exit_3_message_bounce_tells_the_removed_occupant_110_333():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        m.join(B, 'r', 'bob')
        m.send("<message type='error' from='%s' to='%s'><error type='cancel'>"
               "<service-unavailable xmlns='%s'/></error></message>"
               % (B, room_jid('r'), NS['stanzas']))
        check_bounce_removal(m.collect())
        got = m.groupchat(A, 'r', 'still there?')
        assert [s.get('to') for s in got] == [A], 'bob is out: ' + describe(got)


# ---- EXIT-1: unavailable presence to the bare room JID leaves (as Prosody, aioxmpp) ----

def test_exit_1_unavailable_to_bare_room_jid_leaves():
    with MUC() as m:
        room3(m)
        m.presence(B, room_jid('r'), 'unavailable', '<status>bye</status>')
        got = m.collect()
        assert sorted(s.get('to') for s in got) == sorted([A, B, C]), describe(got)
        for s in got:
            assert is_presence(s) and s.get('type') == 'unavailable', describe(got)
            assert s.get('from') == occ('r', 'bob'), describe(got)
            assert s.find('{%s}status' % NS['component']).text == 'bye', describe(got)
        assert 110 in codes(to(got, B)[0]) and 110 not in codes(to(got, A)[0]), describe(got)
        got = m.groupchat(A, 'r', 'gone?')
        assert sorted(s.get('to') for s in got) == sorted([A, C]), describe(got)


def test_exit_1_bare_room_jid_presence_otherwise_unchanged():
    with MUC() as m:
        room3(m)
        # from someone not in the room: nothing
        m.presence('dave@localhost/d', room_jid('r'), 'unavailable')
        m.nothing()
        # available presence to the bare JID stays refused (no nickname)
        m.presence(B, room_jid('r'))
        assert_error(m.collect(), B, 'modify', 'jid-malformed')
        got = m.groupchat(A, 'r', 'bob still in')
        assert sorted(s.get('to') for s in got) == sorted([A, B, C]), describe(got)


# ---- DISCO-1 / XEP-0307: the advertised muc#unique answers ----

UNIQUE = "<unique xmlns='%s'/>" % NS_UNIQUE


def unique_name(m, frm=A, id_='u1'):
    res = m.iq(frm, DOMAIN, 'get', UNIQUE, id_=id_)
    assert res.get('type') == 'result', tostring(res)
    u = res.find('{%s}unique' % NS_UNIQUE)
    assert u is not None and u.text, tostring(res)
    return u.text


def test_disco_1_unique_room_name_xep0307():
    with MUC() as m:
        info = m.iq(A, DOMAIN, 'get', "<query xmlns='%s'/>" % NS['disco_info'])
        assert NS_UNIQUE in {f.get('var') for f in info.iter('{%s}feature' % NS['disco_info'])}
        room3(m)
        names = {unique_name(m, id_='u%d' % i) for i in range(20)}
        assert len(names) == 20, 'every answer is a fresh name: %r' % names
        for n in names:
            assert re.fullmatch('[0-9a-f]{40}', n), n   # a valid, case-stable room node
            assert n != 'r'
        # anyone may ask; the name is free: joining it creates the room
        n = unique_name(m, frm=C, id_='uc')
        got = m.join(C, n, 'carol')
        assert 201 in codes(to(got, C)[0]), describe(got)


def test_disco_1_unique_only_as_get_to_the_service():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        res = m.iq(A, DOMAIN, 'set', UNIQUE, id_='us')
        assert res.get('type') == 'error', tostring(res)
        res = m.iq(A, DOMAIN, 'get', "<other xmlns='%s'/>" % NS_UNIQUE, id_='uo')
        assert res.get('type') == 'error', tostring(res)


# ---- OWNER-4: no change, no 104; the first configuration is announced (as Prosody) ----

def submit(m, fields, who=A):
    m.send("<iq type='set' id='cfg' from='%s' to='%s'>%s</iq>" % (escape(who), room_jid('r'),
                                                                 owner_submit(fields)))
    got = m.collect()
    assert got and got[0].get('type') == 'result' and got[0].get('id') == 'cfg', describe(got)
    return got[1:]


def status_list(el):
    x = el.find('{%s}x' % NS['muc_user'])
    return sorted(int(s.get('code')) for s in x.findall('{%s}status' % NS['muc_user']))


def test_owner_4_submit_that_changes_nothing_sends_no_104():
    with MUC() as m:
        room3(m, {'roomname': 'Same', 'moderatedroom': 1})
        got = submit(m, {'roomname': 'Same', 'moderatedroom': 'true'})
        assert got == [], 'nothing changed: ' + describe(got)
        got = submit(m, {})
        assert got == [], 'an empty submit changes nothing: ' + describe(got)
        got = submit(m, {'roomname': 'Other'})
        assert len(got) == 3 and all(status_list(s) == [104] for s in got), describe(got)


def test_owner_4_first_configuration_non_anonymous_172():
    with MUC() as m:
        got = m.join(A, 'r', 'alice')
        assert 201 in codes(to(got, A)[0]), describe(got)
        got = submit(m, {'whois': 'anyone'})
        assert len(got) == 1 and is_message(got[0]), describe(got)
        s = got[0]
        assert s.get('to') == A and s.get('from') == room_jid('r'), describe(got)
        assert s.get('type') == 'groupchat' and status_list(s) == [172], describe(got)


def test_owner_4_first_configuration_logged_and_other_changes():
    with MUC() as m:
        m.join(A, 'r', 'alice')
        got = submit(m, {'whois': 'anyone', 'enablelogging': 1, 'roomname': 'Logged'})
        assert len(got) == 1 and status_list(got[0]) == [104, 170, 172], describe(got)


def test_owner_4_first_configuration_instant_room_sends_nothing():
    with MUC() as m:
        m.join(A, 'r', 'alice')
        got = submit(m, {})
        assert got == [], describe(got)


run(globals())
