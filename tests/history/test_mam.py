"""MAM-1: XEP-0313 archive queries on the room JID with XEP-0059 paging,
on the memory and sqlite backends: paging through 1,000 messages forward
and backward with nothing missing or repeated, flipped pages, pages chosen
by <index/> (XEP-0059 "retrieving a page out of order") and the index on
<first>, the ids / before-id / after-id / with / start / end fields,
item-not-found for unknown ids, the form request, and who may query."""

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
            # pages by index anywhere in the 1,000
            for start in (0, 500, 997):
                res, ans = mam_query(h, ALICE, 'big', {}, rsm_index(5, start), id_='x%d' % start)
                assert [result_body(m) for m in res] == want[start:start + 5], (backend, start)
                r = rsm_of(fin_of(ans))
                assert r['index'] == start and r['count'] == '1000', (backend, r)
                assert r['first'] == ids[start], (backend, start)
                assert (fin_of(ans).get('complete') == 'true') == (start + 5 >= 1000)


def rsm_index(max_, index, extra=''):
    return "<set xmlns='%s'><max>%d</max><index>%s</index>%s</set>" % (NS_RSM, max_, index, extra)


def test_mam1_rsm_index_page_out_of_order():
    for backend in BACKENDS:
        with Hist(backend=backend) as h:
            logged_room(h, 'r')
            fill(h, 'r', 12)
            res, _ = mam_query(h, ALICE, 'r', {}, rsm(max_=12), id_='all')
            ids = [result_id(m) for m in res]
            assert len(ids) == 12

            def page(fields, set_, id_, flip=False):
                res, ans = mam_query(h, ALICE, 'r', fields, set_, id_=id_, flip=flip)
                return [result_body(m) for m in res], rsm_of(fin_of(ans)), fin_of(ans)

            # a page in the middle, then the first and the last
            got, r, fin = page({}, rsm_index(3, 5), 'i5')
            assert got == ['m5', 'm6', 'm7'], (backend, got)
            assert (r['first'], r['last'], r['index'], r['count']) == (ids[5], ids[7], 5, '12'), r
            assert fin.get('complete') != 'true'
            got, r, fin = page({}, rsm_index(2, 0), 'i0')
            assert got == ['m0', 'm1'] and r['index'] == 0 and r['first'] == ids[0], (got, r)
            got, r, fin = page({}, rsm_index(3, 10), 'i10')
            assert got == ['m10', 'm11'] and r['index'] == 10, (got, r)
            assert fin.get('complete') == 'true'
            got, r, fin = page({}, rsm_index(3, 9), 'i9')
            assert got == ['m9', 'm10', 'm11'] and r['index'] == 9, (got, r)
            assert fin.get('complete') == 'true', 'the page ends the set'
            # at or past the end: an empty page with the count (and no first/last)
            for n, index in enumerate((12, 13, 5000)):
                got, r, fin = page({}, rsm_index(3, index), 'e%d' % n)
                assert got == [] and r == {'count': '12'}, (index, got, r)
                assert fin.get('complete') == 'true', index
            # the index counts inside the form's window (m2..m8 here)
            got, r, fin = page({'after-id': ids[1], 'before-id': ids[9]}, rsm_index(2, 2), 'w')
            assert got == ['m4', 'm5'] and r['index'] == 2 and r['count'] == '7', (got, r)
            got, r, fin = page({'after-id': ids[1], 'before-id': ids[9]}, rsm_index(4, 5), 'w2')
            assert got == ['m7', 'm8'] and fin.get('complete') == 'true', (got, r)
            got, r, fin = page({'after-id': ids[1], 'before-id': ids[9]}, rsm_index(4, 7), 'w3')
            assert got == [] and r == {'count': '7'}, (got, r)
            # a flipped index page: same items, newest first; <first> names
            # the newest, and index is its position in the set
            got, r, fin = page({}, rsm_index(3, 5), 'f5', flip=True)
            assert got == ['m7', 'm6', 'm5'], got
            assert (r['first'], r['last'], r['index']) == (ids[7], ids[5], 7), r
            # max 0: only the count
            got, r, fin = page({}, rsm_index(0, 4), 'c')
            assert got == [] and r == {'count': '12'}, (got, r)
            # an unknown after-id is still item-not-found
            res, ans = mam_query(h, ALICE, 'r', {'after-id': 'nope'}, rsm_index(2, 1), id_='u')
            assert res == [] and cond(ans) == ('cancel', 'item-not-found'), tostring(ans)
            # malformed, or mixed with <after/> / <before/>: bad-request
            for n, bad in enumerate((rsm_index(2, -1), rsm_index(2, 'x'), rsm_index(2, ''),
                                     rsm_index(2, 1, '<after>%s</after>' % ids[0]),
                                     rsm_index(2, 1, '<before/>'))):
                res, ans = mam_query(h, ALICE, 'r', {}, bad, id_='b%d' % n)
                assert res == [] and cond(ans) == ('modify', 'bad-request'), (bad, tostring(ans))


def test_mam1_first_index_on_backward_and_flipped_pages():
    with Hist(backend='sqlite') as h:
        logged_room(h, 'r')
        fill(h, 'r', 12)
        res, _ = mam_query(h, ALICE, 'r', {}, rsm(max_=12), id_='all')
        ids = [result_id(m) for m in res]
        # the last page
        res, ans = mam_query(h, ALICE, 'r', {}, rsm(max_=3, before=''), id_='l')
        assert [result_body(m) for m in res] == ['m9', 'm10', 'm11'], describe(res)
        r = rsm_of(fin_of(ans))
        assert (r['first'], r['last'], r['index'], r['count']) == (ids[9], ids[11], 9, '12'), r
        # the page before an id
        res, ans = mam_query(h, ALICE, 'r', {}, rsm(max_=2, before=ids[5]), id_='b')
        assert [result_body(m) for m in res] == ['m3', 'm4'], describe(res)
        r = rsm_of(fin_of(ans))
        assert (r['first'], r['last'], r['index']) == (ids[3], ids[4], 3), r
        # flipped: <first> is the first result sent (the newest), with its index
        res, ans = mam_query(h, ALICE, 'r', {}, rsm(max_=3, before=''), id_='fl', flip=True)
        assert [result_body(m) for m in res] == ['m11', 'm10', 'm9'], describe(res)
        r = rsm_of(fin_of(ans))
        assert (r['first'], r['last'], r['index']) == (ids[11], ids[9], 11), r
        res, ans = mam_query(h, ALICE, 'r', {}, rsm(max_=2, before=ids[5]), id_='fb', flip=True)
        assert [result_body(m) for m in res] == ['m4', 'm3'], describe(res)
        r = rsm_of(fin_of(ans))
        assert (r['first'], r['last'], r['index']) == (ids[4], ids[3], 4), r
        # flipped forward page
        res, ans = mam_query(h, ALICE, 'r', {}, rsm(max_=4, after=ids[1]), id_='ff', flip=True)
        assert [result_body(m) for m in res] == ['m5', 'm4', 'm3', 'm2'], describe(res)
        r = rsm_of(fin_of(ans))
        assert (r['first'], r['last'], r['index']) == (ids[5], ids[2], 5), r


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
