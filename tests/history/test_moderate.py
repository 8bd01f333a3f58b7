"""MODERATE-1: XEP-0425 moderated message retraction (history plugin). A
moderator names a message by the room's XEP-0359 stanza-id; every occupant
gets the retraction from the room JID (moderator's occupant JID and
occupant-id, reason; also in Prosody's older apply-to form); the moderator
gets a result; later joiners and MAM see a tombstone instead of the body,
also for messages older than the in-memory history and after a restart
(sqlite). Non-moderators get forbidden, unknown ids item-not-found,
malformed requests bad-request; rooms advertise the feature."""

import shutil
import tempfile

from histutil import (Hist, ALICE, BOB, CAROL, OWNER, room_jid, occ, to, is_message, body_of,
                      describe, logged_room, mam_query, result_id, room_stanza_id, delay_of,
                      cond, tostring, local, escape, q, NS_MAM, NS_FWD, NS_CLIENT)
from mucutil import occupant_id
from taptest import run

NS_MOD1 = 'urn:xmpp:message-moderate:1'
NS_MOD0 = 'urn:xmpp:message-moderate:0'
NS_RET1 = 'urn:xmpp:message-retract:1'
NS_RET0 = 'urn:xmpp:message-retract:0'
NS_FASTEN = 'urn:xmpp:fasten:0'
NS_OID = 'urn:xmpp:occupant-id:0'
NS_DISCO = 'http://jabber.org/protocol/disco#info'


def moderate_payload(sid, reason=None, retract=True):
    inner = ("<retract xmlns='%s'/>" % NS_RET1) if retract else ''
    if reason is not None:
        inner += '<reason>%s</reason>' % escape(reason)
    idattr = " id='%s'" % escape(sid) if sid is not None else ''
    return "<moderate xmlns='%s'%s>%s</moderate>" % (NS_MOD1, idattr, inner)


def moderate(h, frm, room, sid, reason=None, id_='mod1', payload=None):
    """Sends the request; returns (answer, every other stanza that followed)."""
    h.send("<iq type='set' id='%s' from='%s' to='%s'>%s</iq>" % (
        id_, escape(frm), room_jid(room), payload or moderate_payload(sid, reason)))
    got = h.collect()
    answers = [s for s in got if local(s.tag) == 'iq' and s.get('id') == id_]
    assert len(answers) == 1, 'no single answer:\n' + describe(got)
    return answers[0], [s for s in got if s is not answers[0]]


def say(h, frm, room, body, id_='m'):
    """Sends a groupchat message; returns (its room stanza-id, the sender's occupant-id)."""
    h.send("<message type='groupchat' id='%s' from='%s' to='%s'><body>%s</body></message>"
           % (id_, frm, room_jid(room), escape(body)))
    got = [s for s in to(h.collect(), frm) if is_message(s) and body_of(s) == body]
    assert len(got) == 1, describe(got)
    return room_stanza_id(got[0], room), occupant_id(got[0])


def retraction_of(msg, room):
    """(retracted id, moderated by, moderator occupant-id, reason) of a notice."""
    assert msg.get('from') == room_jid(room) and msg.get('type') == 'groupchat', tostring(msg)
    r = msg.find(q('retract', NS_RET1))
    assert r is not None, 'no <retract/>: ' + tostring(msg)
    m = r.find(q('moderated', NS_MOD1))
    assert m is not None, tostring(msg)
    o = m.find(q('occupant-id', NS_OID))
    reason = r.find(q('reason', NS_RET1))
    return (r.get('id'), m.get('by'), o.get('id') if o is not None else None,
            reason.text if reason is not None else None)


def tombstone_info(msg):
    """(from, moderated by, reason) of a tombstone (a message with <retracted/>), no body."""
    r = msg.find(q('retracted', NS_RET1))
    assert r is not None, 'not a tombstone: ' + tostring(msg)
    assert r.get('stamp'), tostring(msg)
    m = r.find(q('moderated', NS_MOD1))
    reason = r.find(q('reason', NS_RET1))
    return (msg.get('from'), m.get('by') if m is not None else None,
            reason.text if reason is not None else None)


def mam_messages(h, frm, room, id_):
    """The forwarded messages of a whole-archive MAM query: [(archive id, message)]."""
    res, ans = mam_query(h, frm, room, {}, id_=id_)
    assert ans.get('type') == 'result', tostring(ans)
    out = []
    for r in res:
        m = r.find('%s/%s/%s' % (q('result', NS_MAM), q('forwarded', NS_FWD),
                                 q('message', NS_CLIENT)))
        out.append((result_id(r), m))
    return out


def client_body(m):
    b = m.find(q('body', NS_CLIENT))
    return b.text if b is not None else None


def history_to(got, jid):
    return [s for s in to(got, jid) if is_message(s) and delay_of(s) is not None]


def setup(h, room='r'):
    logged_room(h, room)
    h.join(ALICE, room, 'alice')
    h.join(BOB, room, 'bob')
    h.collect()
    _, owner_oid = say(h, OWNER, room, 'hello from the owner', id_='o1')
    sid, alice_oid = say(h, ALICE, room, 'something bad', id_='a1')
    keep, _ = say(h, BOB, room, 'something fine', id_='b1')
    return owner_oid, sid, alice_oid, keep


def check_retraction(make):
    """make() -> a started Hist on the backend under test."""
    with make() as h:
        owner_oid, sid, alice_oid, keep = setup(h)
        ans, got = moderate(h, OWNER, 'r', sid, 'Spam')
        assert ans.get('type') == 'result' and ans.get('to') == OWNER, tostring(ans)
        # every occupant's session gets the notice, once, from the room
        for who in (OWNER, ALICE, BOB):
            notes = [s for s in to(got, who) if is_message(s)]
            assert len(notes) == 1, (who, describe(got))
            n = notes[0]
            assert retraction_of(n, 'r') == (sid, occ('r', 'owner'), owner_oid, 'Spam'), \
                tostring(n)
            assert body_of(n) is None, tostring(n)
            # Prosody's older form for older clients
            ap = n.find(q('apply-to', NS_FASTEN))
            assert ap is not None and ap.get('id') == sid, tostring(n)
            m0 = ap.find(q('moderated', NS_MOD0))
            assert m0 is not None and m0.get('by') == occ('r', 'owner'), tostring(n)
            assert m0.find(q('retract', NS_RET0)) is not None, tostring(n)
            assert room_stanza_id(n, 'r') not in (sid, keep), tostring(n)
        # later joiners: a tombstone where the body was, the rest untouched
        got = h.join(CAROL, 'r', 'carol')
        hist = history_to(got, CAROL)
        assert [body_of(s) for s in hist][:3] == ['hello from the owner', None, 'something fine'], \
            describe(hist)
        assert 'something bad' not in describe(got)
        tomb = hist[1]
        assert tombstone_info(tomb) == (occ('r', 'alice'), occ('r', 'owner'), 'Spam'), \
            tostring(tomb)
        assert room_stanza_id(tomb, 'r') == sid, tostring(tomb)
        assert occupant_id(tomb) == alice_oid, tostring(tomb)
        # the notice itself is kept too (clients catching up learn of it)
        assert len(hist) == 4 and retraction_of(hist[3], 'r')[0] == sid, describe(hist)
        # MAM: the tombstone under the same id, then the notice
        msgs = mam_messages(h, BOB, 'r', 'mam-a')
        assert [i for i, _ in msgs][:3] == [msgs[0][0], sid, keep], describe([m for _, m in msgs])
        assert [client_body(m) for _, m in msgs][:3] == ['hello from the owner', None,
                                                       'something fine']
        r = msgs[1][1].find(q('retracted', NS_RET1))
        assert r is not None, tostring(msgs[1][1])
        assert r.find(q('moderated', NS_MOD1)).get('by') == occ('r', 'owner')
        assert len(msgs) == 4 and msgs[3][1].find(q('retract', NS_RET1)).get('id') == sid


def test_moderate_1_retraction_memory():
    check_retraction(lambda: Hist(backend='memory'))


def test_moderate_1_retraction_sqlite():
    check_retraction(lambda: Hist(backend='sqlite'))


def test_moderate_1_retraction_spool():
    check_retraction(lambda: Hist(backend='spool'))


def test_moderate_1_errors():
    with Hist(backend='sqlite') as h:
        owner_oid, sid, alice_oid, keep = setup(h)
        # a participant is no moderator
        ans, got = moderate(h, ALICE, 'r', keep, 'mine now', id_='e1')
        assert cond(ans) == ('auth', 'forbidden'), tostring(ans)
        assert not [s for s in got if is_message(s)], describe(got)
        # nor is an outsider
        ans, _ = moderate(h, CAROL, 'r', keep, id_='e2')
        assert cond(ans) == ('auth', 'forbidden'), tostring(ans)
        # unknown ids
        ans, got = moderate(h, OWNER, 'r', 'no-such-id', id_='e3')
        assert cond(ans) == ('cancel', 'item-not-found'), tostring(ans)
        assert not [s for s in got if is_message(s)], describe(got)
        # malformed: no id, no <retract/>
        ans, _ = moderate(h, OWNER, 'r', None, id_='e4')
        assert cond(ans) == ('modify', 'bad-request'), tostring(ans)
        ans, _ = moderate(h, OWNER, 'r', None, id_='e5', payload=moderate_payload(sid, 'x', False))
        assert cond(ans) == ('modify', 'bad-request'), tostring(ans)
        # no such room
        ans, _ = moderate(h, OWNER, 'nowhere', sid, id_='e6')
        assert cond(ans) == ('cancel', 'item-not-found'), tostring(ans)
        # nothing was retracted
        msgs = mam_messages(h, BOB, 'r', 'mam-e')
        assert [client_body(m) for _, m in msgs] == ['hello from the owner', 'something bad',
                                                   'something fine'], describe(
                                                       [m for _, m in msgs])
        # an admin outside the room is a moderator there: allowed
        admin = 'dave@localhost/pc'
        res = h.iq(OWNER, room_jid('r'), 'set',
                   "<query xmlns='http://jabber.org/protocol/muc#admin'>"
                   "<item affiliation='admin' jid='dave@localhost'/></query>", id_='adm')
        assert res.get('type') == 'result', tostring(res)
        h.collect()
        ans, got = moderate(h, admin, 'r', keep, id_='e7')
        assert ans.get('type') == 'result', tostring(ans)
        n = [s for s in to(got, BOB) if is_message(s)]
        assert len(n) == 1 and retraction_of(n[0], 'r')[0] == keep, describe(got)


def test_moderate_1_disco_feature():
    with Hist() as h:
        logged_room(h, 'r')
        res = h.iq(CAROL, room_jid('r'), 'get', "<query xmlns='%s'/>" % NS_DISCO)
        feats = {f.get('var') for f in res.iter(q('feature', NS_DISCO))}
        assert {NS_MOD1, NS_MOD0} <= feats, tostring(res)


def test_moderate_1_legacy_apply_to_request():
    with Hist() as h:
        owner_oid, sid, alice_oid, keep = setup(h)
        payload = ("<apply-to xmlns='%s' id='%s'><moderate xmlns='%s'><retract xmlns='%s'/>"
                   "<reason>old client</reason></moderate></apply-to>"
                   % (NS_FASTEN, sid, NS_MOD0, NS_RET0))
        ans, got = moderate(h, OWNER, 'r', None, id_='l1', payload=payload)
        assert ans.get('type') == 'result', tostring(ans)
        n = [s for s in to(got, ALICE) if is_message(s)]
        assert len(n) == 1, describe(got)
        assert retraction_of(n[0], 'r') == (sid, occ('r', 'owner'), owner_oid, 'old client')


def check_older_than_history(make):
    """A message no longer held in memory is found in the archive."""
    with make() as h:
        logged_room(h, 'old', extra={'muc#maxhistoryfetch': '2'})
        h.join(ALICE, 'old', 'alice')
        first, _ = say(h, ALICE, 'old', 'old and bad', id_='x0')
        for i in range(4):
            say(h, ALICE, 'old', 'later %d' % i, id_='x%d' % (i + 1))
        ans, got = moderate(h, OWNER, 'old', first, 'late cleanup', id_='old')
        assert ans.get('type') == 'result', tostring(ans)
        assert len([s for s in to(got, ALICE) if is_message(s)]) == 1, describe(got)
        msgs = mam_messages(h, OWNER, 'old', 'mam-o')
        assert msgs[0][0] == first and client_body(msgs[0][1]) is None, tostring(msgs[0][1])
        assert msgs[0][1].get('from') == occ('old', 'alice'), tostring(msgs[0][1])
        r = msgs[0][1].find(q('retracted', NS_RET1))
        assert r is not None and r.find(q('reason', NS_RET1)).text == 'late cleanup'
        assert [client_body(m) for _, m in msgs[1:5]] == ['later %d' % i for i in range(4)]
        # unknown ids are still unknown with the archive consulted
        ans, _ = moderate(h, OWNER, 'old', 'zzz', id_='old2')
        assert cond(ans) == ('cancel', 'item-not-found'), tostring(ans)


def test_moderate_1_message_older_than_history():
    check_older_than_history(lambda: Hist(backend='sqlite'))


def test_moderate_1_tombstone_survives_restart_sqlite():
    d = tempfile.mkdtemp(prefix='pv-moderate-')
    try:
        with Hist(backend='sqlite', tmpdir=d) as h:
            owner_oid, sid, alice_oid, keep = setup(h)
            ans, _ = moderate(h, OWNER, 'r', sid, 'Spam')
            assert ans.get('type') == 'result', tostring(ans)
        with Hist(backend='sqlite', tmpdir=d) as h:
            got = h.join(CAROL, 'r', 'carol')
            hist = history_to(got, CAROL)
            assert 'something bad' not in describe(got), describe(got)
            tombs = [s for s in hist if s.find(q('retracted', NS_RET1)) is not None]
            assert len(tombs) == 1, describe(hist)
            assert tombstone_info(tombs[0]) == (occ('r', 'alice'), occ('r', 'owner'), 'Spam')
            assert room_stanza_id(tombs[0], 'r') == sid
            assert 'something fine' in [body_of(s) for s in hist]
            msgs = mam_messages(h, CAROL, 'r', 'mam-r')
            ids = [i for i, _ in msgs]
            m = msgs[ids.index(sid)][1]
            assert client_body(m) is None and m.find(q('retracted', NS_RET1)) is not None, \
                tostring(m)
            # still retractable again (idempotent: the tombstone stays a tombstone)
            ans, _ = moderate(h, OWNER, 'r', sid, 'again', id_='again')
            assert ans.get('type') == 'result', tostring(ans)
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == '__main__':
    run(globals())
