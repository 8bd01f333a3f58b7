"""muc-core: service discovery (XEP-0045 §6): DISCO-1, DISCO-2, DISCO-3 (room types), DISCO-4, DISCO-5."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mucutil import MUC, NS, DOMAIN, occ, room_jid, describe, tostring, cond  # noqa: E402
from taptest import run  # noqa: E402

A, B = 'alice@localhost/pc', 'bob@localhost/phone'
INFO = "<query xmlns='%s'/>" % NS['disco_info']
ITEMS = "<query xmlns='%s'/>" % NS['disco_items']


def features(res):
    return {f.get('var') for f in res.iter('{%s}feature' % NS['disco_info'])}


def items(res):
    return [(i.get('jid'), i.get('name')) for i in res.iter('{%s}item' % NS['disco_items'])]


def test_disco_1_service_info():
    with MUC() as m:
        res = m.iq(A, DOMAIN, 'get', INFO)
        assert res.get('type') == 'result', tostring(res)
        ids = [(i.get('category'), i.get('type')) for i in res.iter('{%s}identity' % NS['disco_info'])]
        assert ('conference', 'text') in ids, tostring(res)
        f = features(res)
        for var in (NS['muc'], NS['register'], NS['ping'],
                    'http://jabber.org/protocol/muc#self-ping-optimization', NS['disco_items']):
            assert var in f, 'missing %s in %s' % (var, sorted(f))


def test_disco_2_public_rooms_listed_with_name():
    with MUC() as m:
        m.create(A, 'pub', 'alice', {'roomname': 'Public Room'})
        m.create(A, 'hid', 'alice', {'publicroom': 0})
        m.join(A, 'locked', 'alice')
        res = m.iq(B, DOMAIN, 'get', ITEMS)
        assert items(res) == [(room_jid('pub'), 'Public Room')], tostring(res)


def test_disco_2_paged_by_rsm():
    with MUC() as m:
        for n in ('a', 'b', 'c', 'd', 'e'):
            m.create(A, n, 'alice')
        res = m.iq(B, DOMAIN, 'get', "<query xmlns='%s'><set xmlns='%s'><max>2</max></set></query>"
                   % (NS['disco_items'], NS['rsm']))
        assert [j for j, _ in items(res)] == [room_jid('a'), room_jid('b')], tostring(res)
        rsm = res.find('.//{%s}set' % NS['rsm'])
        assert rsm.find('{%s}count' % NS['rsm']).text == '5'
        last = rsm.find('{%s}last' % NS['rsm']).text
        res = m.iq(B, DOMAIN, 'get', "<query xmlns='%s'><set xmlns='%s'><max>2</max><after>%s</after></set></query>"
                   % (NS['disco_items'], NS['rsm'], last), id_='p2')
        assert [j for j, _ in items(res)] == [room_jid('c'), room_jid('d')], tostring(res)


def test_disco_3_room_type_features():
    with MUC() as m:
        m.create(A, 'r', 'alice', {'roomname': 'Tea'})
        res = m.iq(B, room_jid('r'), 'get', INFO)
        ident = res.find('.//{%s}identity' % NS['disco_info'])
        assert (ident.get('category'), ident.get('type'), ident.get('name')) == ('conference', 'text', 'Tea')
        f = features(res)
        for var in (NS['muc'], 'muc_public', 'muc_temporary', 'muc_open', 'muc_unmoderated',
                    'muc_semianonymous', 'muc_unsecured', 'http://jabber.org/protocol/muc#stable_id'):
            assert var in f, 'missing %s in %s' % (var, sorted(f))
        m.configure(A, 'r', {'persistentroom': 1, 'membersonly': 1, 'moderatedroom': 1,
                             'whois': 'anyone', 'passwordprotectedroom': 1, 'roomsecret': 'x'})
        m.collect()
        f = features(m.iq(A, room_jid('r'), 'get', INFO, id_='i2'))
        for var in ('muc_persistent', 'muc_membersonly', 'muc_moderated', 'muc_nonanonymous',
                    'muc_passwordprotected'):
            assert var in f, 'missing %s in %s' % (var, sorted(f))
        assert not f & {'muc_temporary', 'muc_open', 'muc_unmoderated', 'muc_semianonymous', 'muc_unsecured'}


def test_disco_4_hidden_room_item_not_found_to_outsiders():
    with MUC() as m:
        m.create(A, 'r', 'alice', {'publicroom': 0})
        res = m.iq(B, room_jid('r'), 'get', INFO)
        assert cond(res) == ('cancel', 'item-not-found'), tostring(res)
        res = m.iq(B, room_jid('r'), 'get', ITEMS, id_='i2')
        assert cond(res) == ('cancel', 'item-not-found'), tostring(res)
        res = m.iq(A, room_jid('r'), 'get', INFO, id_='i3')
        assert res.get('type') == 'result' and 'muc_hidden' in features(res), tostring(res)


def test_disco_4_nonexistent_room_item_not_found():
    with MUC() as m:
        res = m.iq(B, room_jid('nothing'), 'get', INFO)
        assert cond(res) == ('cancel', 'item-not-found'), tostring(res)


def test_disco_5_room_items_only_when_allowed():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        res = m.iq(B, room_jid('r'), 'get', ITEMS)
        assert res.get('type') == 'result' and items(res) == [], 'semi-anonymous: not to outsiders'
        res = m.iq(A, room_jid('r'), 'get', ITEMS, id_='i2')
        assert [j for j, _ in items(res)] == [occ('r', 'alice')], tostring(res)
        m.configure(A, 'r', {'whois': 'anyone'})
        m.collect()
        res = m.iq(B, room_jid('r'), 'get', ITEMS, id_='i3')
        assert [j for j, _ in items(res)] == [occ('r', 'alice')], tostring(res)
        assert A not in tostring(res), 'items never carry real jids'


run(globals())
