"""ID-1: XEP-0359 stanza-ids on reflected messages (forged ones stripped),
the archive written only when the room logs, the room's disco#info, and the
optional disk logs; on the memory and sqlite backends."""

import os
import shutil
import tempfile

from histutil import (Hist, ALICE, BOB, OWNER, room_jid, occ, to, is_message, body_of,
                      stanza_ids, room_stanza_id, describe, logged_room, mam_query, fin_of,
                      rsm_of, result_id, history_bodies, tostring, NS_MAM, NS_SID)
from taptest import run

BACKENDS = ('memory', 'sqlite')


def test_id1_stanza_id_on_every_reflected_copy():
    for backend in BACKENDS:
        with Hist(backend=backend) as h:
            logged_room(h, 'r')
            h.join(ALICE, 'r', 'alice')
            got = h.groupchat(ALICE, 'r', 'hi', id_='c1')
            copies = [s for s in got if is_message(s) and body_of(s) == 'hi']
            assert sorted(s.get('to') for s in copies) == sorted([OWNER, ALICE]), describe(got)
            ids = {room_stanza_id(s, 'r') for s in copies}
            assert len(ids) == 1, describe(got)
            assert all(s.get('id') == 'c1' for s in copies)
            got2 = h.groupchat(ALICE, 'r', 'again', id_='c1')
            assert {room_stanza_id(s, 'r') for s in got2 if is_message(s)} != ids, \
                'two messages share a stanza-id'
            # the archive knows the message under the broadcast id
            res, ans = mam_query(h, OWNER, 'r', {})
            assert [result_id(m) for m in res][0] == ids.pop()


def test_id1_forged_stanza_id_stripped_foreign_kept():
    with Hist() as h:
        logged_room(h, 'r')
        forged = ("<stanza-id xmlns='urn:xmpp:sid:0' by='%s' id='forged1'/>"
                  "<stanza-id xmlns='urn:xmpp:sid:0' by='R@MUC.localhost' id='forged2'/>"
                  "<stanza-id xmlns='urn:xmpp:sid:0' by='alice@localhost' id='theirs'/>"
                  % room_jid('r'))
        got = h.groupchat(OWNER, 'r', 'x', extra=forged)
        (m,) = [s for s in got if is_message(s)]
        ids = stanza_ids(m)
        assert ('alice@localhost', 'theirs') in ids, tostring(m)
        ours = [i for b, i in ids if b.lower() == room_jid('r')]
        assert len(ours) == 1 and ours[0] not in ('forged1', 'forged2'), tostring(m)


def test_id1_logging_off_nothing_stored():
    for backend in BACKENDS:
        with Hist(backend=backend) as h:
            h.create(OWNER, 'quiet', 'owner', {'persistentroom': '1', 'enablelogging': '0'})
            got = h.groupchat(OWNER, 'quiet', 'secret words')
            (m,) = [s for s in got if is_message(s)]
            room_stanza_id(m, 'quiet')      # still stamped
            res, ans = mam_query(h, OWNER, 'quiet', {})
            assert res == [], describe(res)
            assert rsm_of(fin_of(ans)).get('count') == '0', tostring(ans)
            # history in memory still works in a room that does not log
            got = h.join(ALICE, 'quiet', 'alice')
            assert history_bodies(got, ALICE) == ['secret words']
            # turning logging on later stores only what follows
            assert h.configure(OWNER, 'quiet', {'enablelogging': '1'}).get('type') == 'result'
            h.collect()
            h.groupchat(OWNER, 'quiet', 'public words')
            res, ans = mam_query(h, OWNER, 'quiet', {})
            from histutil import result_body
            assert [result_body(m) for m in res] == ['public words'], describe(res)


def test_id1_room_disco_advertises_mam_and_sid():
    with Hist() as h:
        logged_room(h, 'r')
        h.create(OWNER, 'quiet', 'owner', {'enablelogging': '0'})
        feats = {}
        for room in ('r', 'quiet'):
            a = h.iq(BOB, room_jid(room), 'get',
                     "<query xmlns='http://jabber.org/protocol/disco#info'/>", id_='d' + room)
            assert a.get('type') == 'result', tostring(a)
            feats[room] = {f.get('var') for f in
                           a.iter('{http://jabber.org/protocol/disco#info}feature')}
        assert NS_MAM in feats['r'] and NS_SID in feats['r'], feats
        assert NS_MAM not in feats['quiet'] and NS_SID in feats['quiet'], feats


def test_disk_logs_html_escaped_one_file_per_room_per_day():
    d = tempfile.mkdtemp(prefix='pv-disklog-')
    try:
        logs = os.path.join(d, 'logs')
        with Hist(history_config="<disk-logs format='html'>%s</disk-logs>" % logs) as h:
            logged_room(h, 'r')
            h.groupchat(OWNER, 'r', "<script>alert('x')</script> & co")
            h.create(OWNER, 'quiet', 'owner', {'enablelogging': '0'})
            h.groupchat(OWNER, 'quiet', 'not logged')
        files = os.listdir(os.path.join(logs, 'r'))
        assert len(files) == 1 and files[0].endswith('.html'), files
        text = open(os.path.join(logs, 'r', files[0]), encoding='utf-8').read()
        assert '&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co' in text, text
        assert '<script>' not in text
        assert not os.path.exists(os.path.join(logs, 'quiet'))
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_history_and_archive_deleted_with_temporary_room():
    with Hist() as h:
        h.create(OWNER, 'tmp', 'owner', {'enablelogging': '1', 'persistentroom': '0'})
        h.groupchat(OWNER, 'tmp', 'gone soon')
        h.leave(OWNER, 'tmp', 'owner')
        h.create(OWNER, 'tmp', 'owner', {'enablelogging': '1', 'persistentroom': '0'})
        res, ans = mam_query(h, OWNER, 'tmp', {})
        assert res == [], describe(res)
        got = h.join(ALICE, 'tmp', 'alice')
        assert history_bodies(got, ALICE) == [], describe(got)


def test_history_and_archive_deleted_with_destroyed_persistent_room():
    # the destroyed room leaves a tombstone (TOMB-1): only a service admin
    # may create it again, which is what shows nothing of it was kept
    for backend in BACKENDS:
        with Hist(backend=backend, extra_config='<sadmin><user>owner@localhost</user></sadmin>') as h:
            logged_room(h, 'p')
            h.groupchat(OWNER, 'p', 'before destroy')
            a = h.iq(OWNER, room_jid('p'), 'set',
                     "<query xmlns='http://jabber.org/protocol/muc#owner'>"
                     "<destroy><reason>done</reason></destroy></query>", id_='destroy')
            assert a.get('type') == 'result', tostring(a)
            h.collect()
            logged_room(h, 'p')
            res, ans = mam_query(h, OWNER, 'p', {})
            assert res == [], describe(res)
            got = h.join(ALICE, 'p', 'alice')
            assert history_bodies(got, ALICE) == [], describe(got)


run(globals())
