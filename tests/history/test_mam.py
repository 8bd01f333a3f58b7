"""MAM-1: XEP-0313 archive queries on the room JID with XEP-0059 paging,
on the memory and sqlite backends: paging through 1,000 messages forward
and backward with nothing missing or repeated, flipped pages, the ids /
before-id / after-id / with / start / end fields, item-not-found for unknown
ids, the form request, and who may query."""

import time

from histutil import (Hist, ALICE, BOB, OWNER, room_jid, occ, describe, logged_room, mam_query,
                      fin_of, rsm_of, result_id, result_body, escape, cond, tostring, NS_MAM,
                      NS_RSM, NS_DATA, delay_of)
from taptest import run

BACKENDS = ('memory', 'sqlite')


def fill(h, room, n, sender=OWNER, prefix='m'):
    for i in range(n):
        h.send("<message type='groupchat' from='%s' to='%s'><body>%s%d</body></message>"
               % (sender, room_jid(room), prefix, i))
    h.collect(quiet=0.8)


def rsm(max_=None, after=None, before=None):
    out = "<set xmlns='%s'>" % NS_RSM
    if max_ is not None:
        out += '<max>%d</max>' % max_
    if after is not None:
        out += '<after>%s</after>' % escape(after)
    if before is not None:
        out += '<before>%s</before>' % escape(before) if before else '<before/>'
    return out + '</set>'


def test_mam1_page_forward_and_backward_through_1000():
    for backend in BACKENDS:
        with Hist(backend=backend) as h:
            logged_room(h, 'big')
            fill(h, 'big', 1000)
            want = ['m%d' % i for i in range(1000)]
            # forward
            seen, ids, after, pages = [], [], None, 0
            while True:
                res, ans = mam_query(h, ALICE, 'big', {}, rsm(max_=73, after=after),
                                     id_='f%d' % pages)
                fin = fin_of(ans)
                r = rsm_of(fin)
                assert r.get('count') == '1000', (backend, tostring(ans))
                seen += [result_body(m) for m in res]
                ids += [result_id(m) for m in res]
                assert r['first'] == ids[-len(res)] and r['last'] == ids[-1], tostring(ans)
                assert r.get('index') == len(seen) - len(res), (r, len(seen))
                pages += 1
                if fin.get('complete') == 'true':
                    break
                assert len(res) == 73, len(res)
                after = r['last']
                assert pages < 30
            assert seen == want, (backend, len(seen))
            assert len(set(ids)) == 1000
            # backward from the end
            seen_b, before, pages = [], '', 0
            while True:
                res, ans = mam_query(h, ALICE, 'big', {}, rsm(max_=100, before=before),
                                     id_='b%d' % pages)
                fin = fin_of(ans)
                r = rsm_of(fin)
                page = [result_body(m) for m in res]
                seen_b = page + seen_b
                pages += 1
                if fin.get('complete') == 'true':
                    break
                before = r['first']
                assert pages < 30
            assert seen_b == want, (backend, len(seen_b))
            assert pages == 10, pages


def test_mam1_flip_page_reverses_order():
    with Hist() as h:
        logged_room(h, 'r')
        fill(h, 'r', 10)
        res, ans = mam_query(h, ALICE, 'r', {}, rsm(max_=3, before=''), flip=True)
        assert [result_body(m) for m in res] == ['m9', 'm8', 'm7'], describe(res)
        r = rsm_of(fin_of(ans))
        assert r['first'] == result_id(res[0]) and r['last'] == result_id(res[-1])


def test_mam1_ids_before_id_after_id():
    for backend in BACKENDS:
        with Hist(backend=backend) as h:
            logged_room(h, 'r')
            fill(h, 'r', 10)
            res, _ = mam_query(h, ALICE, 'r', {}, rsm(max_=10))
            ids = [result_id(m) for m in res]
            res, ans = mam_query(h, ALICE, 'r', {'ids': [ids[7], ids[2], ids[0]]}, id_='i')
            assert [result_body(m) for m in res] == ['m0', 'm2', 'm7'], describe(res)
            assert fin_of(ans).get('complete') == 'true'
            res, _ = mam_query(h, ALICE, 'r', {'after-id': ids[5]}, id_='a')
            assert [result_body(m) for m in res] == ['m6', 'm7', 'm8', 'm9']
            res, _ = mam_query(h, ALICE, 'r', {'before-id': ids[3]}, id_='b')
            assert [result_body(m) for m in res] == ['m0', 'm1', 'm2']
            res, _ = mam_query(h, ALICE, 'r', {'after-id': ids[2], 'before-id': ids[6]}, id_='ab')
            assert [result_body(m) for m in res] == ['m3', 'm4', 'm5']
            # RSM paging inside a before-id/after-id window
            res, ans = mam_query(h, ALICE, 'r', {'after-id': ids[0], 'before-id': ids[9]},
                                 rsm(max_=3, after=ids[4]), id_='w')
            assert [result_body(m) for m in res] == ['m5', 'm6', 'm7']
            assert rsm_of(fin_of(ans)).get('count') == '8'
            assert fin_of(ans).get('complete') != 'true'
            res, ans = mam_query(h, ALICE, 'r', {'after-id': ids[0], 'before-id': ids[9]},
                                 rsm(max_=3, after=ids[7]), id_='w2')
            assert [result_body(m) for m in res] == ['m8'], describe(res)
            assert fin_of(ans).get('complete') == 'true'
            # the default page of a window is its oldest
            res, ans = mam_query(h, ALICE, 'r', {'before-id': ids[9]}, rsm(max_=2), id_='w3')
            assert [result_body(m) for m in res] == ['m0', 'm1'], describe(res)
            # and <before/> pages from its end
            res, ans = mam_query(h, ALICE, 'r', {'before-id': ids[9]}, rsm(max_=2, before=''),
                                 id_='w4')
            assert [result_body(m) for m in res] == ['m7', 'm8'], describe(res)


def test_mam1_unknown_id_item_not_found():
    for backend in BACKENDS:
        with Hist(backend=backend) as h:
            logged_room(h, 'r')
            fill(h, 'r', 3)
            for n, (fields, set_) in enumerate([({}, rsm(after='nope')), ({}, rsm(before='nope')),
                                                ({'after-id': 'nope'}, ''),
                                                ({'before-id': 'nope'}, ''),
                                                ({'ids': ['nope']}, '')]):
                res, ans = mam_query(h, ALICE, 'r', fields, set_, id_='e%d' % n)
                assert res == [], describe(res)
                assert ans.get('type') == 'error', tostring(ans)
                assert cond(ans) == ('cancel', 'item-not-found'), (fields, tostring(ans))


def test_mam1_with_start_end():
    with Hist() as h:
        logged_room(h, 'r')
        h.join(ALICE, 'r', 'alice')
        fill(h, 'r', 2, prefix='o')
        time.sleep(1.1)
        fill(h, 'r', 1, sender=ALICE, prefix='a')
        time.sleep(0.05)
        h.send("<message type='groupchat' from='%s' to='%s'><body>a1</body></message>"
               % (ALICE, room_jid('r')))
        h.collect()
        res, _ = mam_query(h, BOB, 'r', {'with': occ('r', 'alice')}, id_='w')
        assert [result_body(m) for m in res] == ['a0', 'a1'], describe(res)
        stamp = delay_of(res[0].find('{%s}result/{urn:xmpp:forward:0}forwarded' % NS_MAM)).get('stamp')
        res, _ = mam_query(h, BOB, 'r', {'start': stamp}, id_='s')
        assert [result_body(m) for m in res] == ['a0', 'a1'], describe(res)
        res, _ = mam_query(h, BOB, 'r', {'end': stamp}, id_='e')
        assert [result_body(m) for m in res] == ['o0', 'o1', 'a0'], describe(res)
        res, ans = mam_query(h, BOB, 'r', {'start': 'yesterday'}, id_='bad')
        assert cond(ans) == ('modify', 'bad-request'), tostring(ans)


def test_mam1_count_only_with_max_zero():
    with Hist() as h:
        logged_room(h, 'r')
        fill(h, 'r', 5)
        res, ans = mam_query(h, ALICE, 'r', {}, rsm(max_=0))
        assert res == [], describe(res)
        assert rsm_of(fin_of(ans)).get('count') == '5', tostring(ans)


def test_mam1_form_request():
    with Hist() as h:
        logged_room(h, 'r')
        a = h.iq(ALICE, room_jid('r'), 'get', "<query xmlns='%s'/>" % NS_MAM, id_='form')
        assert a.get('type') == 'result', tostring(a)
        x = a.find('{%s}query/{%s}x' % (NS_MAM, NS_DATA))
        assert x is not None and x.get('type') == 'form', tostring(a)
        vars_ = {f.get('var') for f in x.findall('{%s}field' % NS_DATA)}
        assert {'FORM_TYPE', 'with', 'start', 'end', 'before-id', 'after-id', 'ids'} <= vars_, vars_


def test_mam1_members_only_room_members_only():
    with Hist() as h:
        logged_room(h, 'mo', extra={'membersonly': '1'})
        fill(h, 'mo', 2)
        res, ans = mam_query(h, BOB, 'mo', {}, id_='x')
        assert res == [] and cond(ans) == ('auth', 'forbidden'), tostring(ans)
        # the owner is affiliated (owner >= member) and may read it
        res, ans = mam_query(h, OWNER, 'mo', {}, id_='y')
        assert [result_body(m) for m in res] == ['m0', 'm1'], tostring(ans)
        # and so may a member, once granted
        a = h.iq(OWNER, room_jid('mo'), 'set',
                 "<query xmlns='http://jabber.org/protocol/muc#admin'>"
                 "<item affiliation='member' jid='bob@localhost'/></query>", id_='mem')
        assert a.get('type') == 'result', tostring(a)
        h.collect()
        res, ans = mam_query(h, BOB, 'mo', {}, id_='y2')
        assert [result_body(m) for m in res] == ['m0', 'm1'], tostring(ans)
        # open rooms: anyone who is not banned
        logged_room(h, 'open')
        fill(h, 'open', 1)
        res, ans = mam_query(h, 'stranger@elsewhere/x', 'open', {}, id_='z')
        assert [result_body(m) for m in res] == ['m0'], tostring(ans)


def test_mam1_unknown_room_item_not_found():
    with Hist() as h:
        res, ans = mam_query(h, ALICE, 'nosuch', {})
        assert cond(ans) == ('cancel', 'item-not-found'), tostring(ans)


run(globals())
