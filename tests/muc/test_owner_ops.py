"""muc-core: owner use cases (XEP-0045 §10): the configuration form and its
effects (OWNER-3, OWNER-4), owner and admin lists (OWNER-5), destroying a
room (OWNER-6), service admins as owners (OWNER-7), and the service admins'
ad-hoc commands (XEP-0050, ADHOC-1)."""

import os
import shutil
import sqlite3
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mucutil import (MUC, NS, occ, room_jid, to, is_presence, is_message, item, codes,  # noqa: E402
                     describe, assert_error, tostring, cond, admin_set, admin_get, iq_answers,
                     muc_x, body_of, DOMAIN)
from taptest import run  # noqa: E402

A, B, C = 'alice@localhost/pc', 'bob@localhost/phone', 'carol@example.net/x'
ROOT = 'root@localhost/console'
SADMIN = '<sadmin><user>root@localhost</user></sadmin>'
DATA = '{jabber:x:data}'
ADMIN_NS = NS['muc_admin']
CMD = NS['commands']
HISTORY = ('muc-core', 'history')
UX = '{%s}' % NS['muc_user']

STANDARD = ['muc#roomconfig_' + v for v in (
    'roomname', 'roomdesc', 'lang', 'enablelogging', 'changesubject', 'allowinvites', 'allowpm',
    'maxusers', 'presencebroadcast', 'getmemberlist', 'publicroom', 'persistentroom',
    'moderatedroom', 'membersonly', 'passwordprotectedroom', 'roomsecret', 'whois', 'roomadmins',
    'roomowners', 'pubsub')] + ['muc#maxhistoryfetch']
PALAVER = ['x-palaver#changenick', 'x-palaver#message_size', 'x-palaver#privacy',
           'x-palaver#join', 'x-palaver#leave', 'x-palaver#rename']


def form_fields(res):
    form = res.find('{%s}query/%sx' % (NS['muc_owner'], DATA))
    assert form is not None, tostring(res)
    return {f.get('var'): (f.get('type'), [v.text or '' for v in f.findall(DATA + 'value')])
            for f in form.findall(DATA + 'field')}


def get_form(m, who, room='r'):
    return m.iq(who, room_jid(room), 'get', "<query xmlns='%s'/>" % NS['muc_owner'], id_='get')


def room3(m, config=None):
    m.create(A, 'r', 'alice', config)
    m.join(B, 'r', 'bob')
    m.join(C, 'r', 'carol')


def configure_all(m, who, fields):
    """Submits and returns every stanza that followed (the result first)."""
    from mucutil import owner_submit, escape
    m.send("<iq type='set' id='cfg' from='%s' to='%s'>%s</iq>" % (escape(who), room_jid('r'),
                                                                  owner_submit(fields)))
    return m.collect()


def test_owner_3_form_has_every_standard_and_palaver_field():
    with MUC(plugins=HISTORY) as m:  # muc#maxhistoryfetch is its field
        m.create(A, 'r', 'alice')
        f = form_fields(get_form(m, A))
        for var in STANDARD + PALAVER:
            assert var in f, 'missing ' + var
        assert f['muc#roomconfig_roomowners'] == ('jid-multi', ['alice@localhost'])
        assert f['muc#roomconfig_roomadmins'] == ('jid-multi', [])
        assert f['muc#roomconfig_lang'][0] == 'text-single'
        assert f['muc#maxhistoryfetch'] == ('text-single', ['20'])
        order = list(f)  # the history plugin's field where muc-core's table had it
        assert order.index('muc#maxhistoryfetch') == order.index('muc#roomconfig_pubsub') + 1, order
        assert f['muc#roomconfig_allowpm'][0] == 'list-single'
        assert f['muc#roomconfig_getmemberlist'][0] == 'list-multi'


def test_owner_3_no_maxhistoryfetch_without_the_history_plugin():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        f = form_fields(get_form(m, A))
        assert 'muc#maxhistoryfetch' not in f and 'muc#roomconfig_pubsub' in f, sorted(f)


def test_owner_3_booleans_accept_true_false_1_0():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        for given, stored in (('true', '1'), ('false', '0'), ('1', '1'), ('0', '0')):
            res = m.configure(A, 'r', {'moderatedroom': given, 'changesubject': given})
            assert res.get('type') == 'result', tostring(res)
            m.collect()
            f = form_fields(get_form(m, A))
            assert f['muc#roomconfig_moderatedroom'][1] == [stored], (given, f['muc#roomconfig_moderatedroom'])
            assert f['muc#roomconfig_changesubject'][1] == [stored]


def test_owner_3_bad_values_not_acceptable_naming_the_field():
    with MUC(plugins=HISTORY) as m:  # muc#maxhistoryfetch is its field
        room3(m)
        for var, val in (('muc#roomconfig_maxusers', 'lots'), ('muc#roomconfig_allowpm', 'everyone'),
                         ('muc#roomconfig_enablelogging', 'yes please'), ('muc#maxhistoryfetch', '-1'),
                         ('muc#roomconfig_pubsub', 'http://example.org/'),
                         ('muc#roomconfig_roomowners', 'not a jid@'),
                         ('x-palaver#message_size', 'x')):
            got = configure_all(m, A, {var: val, 'roomname': 'changed'})
            assert len(got) == 1, (var, val, describe(got))
            e = assert_error(got, A, 'modify', 'not-acceptable')
            assert var in tostring(e), tostring(e)
        f = form_fields(get_form(m, A))
        assert f['muc#roomconfig_roomname'][1] == [''], 'nothing applied'


def test_owner_3_empty_owner_list_not_acceptable():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        got = configure_all(m, A, {'muc#roomconfig_roomowners': []})
        assert_error(got, A, 'modify', 'not-acceptable')


def test_owner_4_status_codes_of_each_change():
    with MUC() as m:
        room3(m)
        cases = [({'enablelogging': 1}, [170]), ({'enablelogging': 0}, [171]),
                 ({'whois': 'anyone'}, [172]), ({'whois': 'moderators'}, [173]),
                 ({'getmemberlist': ['moderator']}, [103]),
                 ({'getmemberlist': ['moderator', 'participant']}, [102]),
                 ({'roomname': 'x'}, [104]), ({'roomname': 'y', 'enablelogging': 1}, [104, 170]),
                 ({'roomname': 'z'}, [104])]
        for fields, want in cases:
            got = configure_all(m, A, fields)
            assert got[0].get('type') == 'result', describe(got)
            msgs = got[1:]
            assert sorted(s.get('to') for s in msgs) == sorted([A, B, C]), (fields, describe(got))
            for s in msgs:
                assert is_message(s) and s.get('from') == room_jid('r')
                st = [int(x.get('code')) for x in muc_x(s).findall(UX + 'status')]
                assert st == want, (fields, st, want)


def test_owner_4_members_only_removes_non_members_322():
    with MUC() as m:
        room3(m)
        admin_set(m, A, "<item jid='bob@localhost' affiliation='member'/>")
        got = configure_all(m, A, {'membersonly': 1})
        assert got[0].get('type') == 'result'
        carol = [s for s in got if s.get('from') == occ('r', 'carol')]
        assert sorted(s.get('to') for s in carol) == sorted([A, B, C]), describe(got)
        assert all(s.get('type') == 'unavailable' and 322 in codes(s) for s in carol)
        assert codes(to(carol, C)[0]) == {322, 110}
        # the notice came before the removal, to everyone present then
        note = [i for i, s in enumerate(got) if is_message(s) and s.get('to') == C]
        gone = [i for i, s in enumerate(got) if s in carol and s.get('to') == C]
        assert note and gone and note[0] < gone[0], describe(got)
        assert not [s for s in got if s.get('from') == occ('r', 'bob')], 'members stay'
        assert_error(m.join(C, 'r', 'carol'), C, 'auth', 'registration-required')


def test_owner_5_owner_and_admin_lists_owners_only():
    with MUC() as m:
        room3(m)
        got = admin_set(m, A, "<item jid='bob@localhost' affiliation='owner'/><item jid='carol@example.net' affiliation='admin'/>")
        assert iq_answers(got)[0].get('type') == 'result', describe(got)
        owners = {i.get('jid') for i in admin_get(m, A, "affiliation='owner'").iter('{%s}item' % ADMIN_NS)}
        admins = {i.get('jid') for i in admin_get(m, A, "affiliation='admin'").iter('{%s}item' % ADMIN_NS)}
        assert owners == {'alice@localhost', 'bob@localhost'} and admins == {'carol@example.net'}
        # an admin may not read nor change them
        assert cond(admin_get(m, C, "affiliation='owner'")) == ('auth', 'forbidden')
        assert cond(admin_get(m, C, "affiliation='admin'")) == ('auth', 'forbidden')
        # an owner may revoke another owner
        got = admin_set(m, B, "<item jid='alice@localhost' affiliation='none'/>")
        pres = [s for s in got if is_presence(s) and s.get('from') == occ('r', 'alice')]
        assert len(pres) == 3 and all(item(s).get('affiliation') == 'none' and item(s).get('role') == 'participant'
                                      for s in pres), describe(got)
        # the owner list in the form shows the same
        f = form_fields(get_form(m, B))
        assert f['muc#roomconfig_roomowners'][1] == ['bob@localhost']


def test_owner_5_owner_list_through_the_form():
    with MUC() as m:
        room3(m)
        got = configure_all(m, A, {'muc#roomconfig_roomowners': ['alice@localhost', 'bob@localhost'],
                                   'muc#roomconfig_roomadmins': ['carol@example.net']})
        assert got[0].get('type') == 'result', describe(got)
        bob = [s for s in got if is_presence(s) and s.get('from') == occ('r', 'bob')]
        assert len(bob) == 3 and all(item(s).get('affiliation') == 'owner' for s in bob), describe(got)
        admins = {i.get('jid') for i in admin_get(m, A, "affiliation='admin'").iter('{%s}item' % ADMIN_NS)}
        assert admins == {'carol@example.net'}


def destroy_iq(reason='bye', venue='new@' + DOMAIN, password='pw'):
    inner = ''
    if reason is not None:
        inner += '<reason>%s</reason>' % reason
    if password is not None:
        inner += '<password>%s</password>' % password
    jid = " jid='%s'" % venue if venue else ''
    return "<query xmlns='%s'><destroy%s>%s</destroy></query>" % (NS['muc_owner'], jid, inner)


def test_owner_6_destroy_notifies_each_occupant_once_then_result():
    with MUC() as m:
        room3(m)
        m.join('carol@example.net/y', 'r', 'carol')
        m.send("<iq type='set' id='d' from='%s' to='%s'>%s</iq>" % (A, room_jid('r'), destroy_iq()))
        got = m.collect()
        pres = got[:-1]
        assert got[-1].get('id') == 'd' and got[-1].get('type') == 'result', describe(got)
        assert sorted(s.get('to') for s in pres) == sorted([A, B, C, 'carol@example.net/y']), describe(got)
        for s in pres:
            assert s.get('type') == 'unavailable'
            nick = s.get('from').split('/', 1)[1]
            assert (s.get('to'), nick) in ((A, 'alice'), (B, 'bob'), (C, 'carol'), ('carol@example.net/y', 'carol')), \
                'each occupant hears only of itself: ' + describe(got)
            assert item(s).get('affiliation') == 'none' and item(s).get('role') == 'none'
            d = muc_x(s).find(UX + 'destroy')
            assert d.get('jid') == 'new@' + DOMAIN
            assert d.findtext(UX + 'reason') == 'bye' and d.findtext(UX + 'password') == 'pw'
        res = m.iq(B, room_jid('r'), 'get', "<query xmlns='%s'/>" % NS['disco_info'], id_='gone')
        assert cond(res) == ('cancel', 'item-not-found'), tostring(res)


def test_owner_6_non_owner_cannot_destroy():
    with MUC() as m:
        room3(m)
        admin_set(m, A, "<item jid='bob@localhost' affiliation='admin'/>")
        m.send("<iq type='set' id='d' from='%s' to='%s'>%s</iq>" % (B, room_jid('r'), destroy_iq()))
        assert_error(m.collect(), B, 'auth', 'forbidden')


def test_owner_6_destroy_removes_stored_data():
    tmp = tempfile.mkdtemp(prefix='palaver-muc-destroy-')
    try:
        with MUC(backend='sqlite', tmpdir=tmp) as m:
            m.create(A, 'r', 'alice', {'persistentroom': 1})
            admin_set(m, A, "<item jid='eve@localhost' affiliation='outcast'/>")
            db = sqlite3.connect(os.path.join(tmp, 'spool', 'palaver.db'))
            assert db.execute("SELECT COUNT(*) FROM rooms WHERE name='r'").fetchone()[0] == 1
            db.close()
            m.send("<iq type='set' id='d' from='%s' to='%s'>%s</iq>" % (A, room_jid('r'), destroy_iq(venue=None)))
            got = m.collect()
            assert got[-1].get('type') == 'result', describe(got)
            db = sqlite3.connect(os.path.join(tmp, 'spool', 'palaver.db'))
            assert db.execute("SELECT COUNT(*) FROM rooms WHERE name='r'").fetchone()[0] == 0
            assert db.execute("SELECT COUNT(*) FROM affiliations").fetchone()[0] == 0
            db.close()
        with MUC(backend='sqlite', tmpdir=tmp) as m:
            res = m.iq(B, room_jid('r'), 'get', "<query xmlns='%s'/>" % NS['disco_info'], id_='gone')
            assert cond(res) == ('cancel', 'item-not-found'), 'not back after a restart'
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_owner_7_service_admin_acts_as_owner():
    with MUC(extra_config=SADMIN) as m:
        room3(m)
        assert form_fields(get_form(m, ROOT))['muc#roomconfig_roomowners'][1] == ['alice@localhost']
        got = configure_all(m, ROOT, {'roomname': 'by root'})
        assert got[0].get('type') == 'result', describe(got)
        got = admin_set(m, ROOT, "<item jid='alice@localhost' affiliation='none'/><item jid='bob@localhost' affiliation='owner'/>")
        assert iq_answers(got)[0].get('type') == 'result', describe(got)
        # a service admin's own affiliation cannot be changed
        assert_error(admin_set(m, A, "<item jid='bob@localhost' affiliation='owner'/>"), A, 'auth', 'forbidden')
        assert_error(admin_set(m, B, "<item jid='root@localhost' affiliation='outcast'/>"), B, 'cancel', 'not-allowed')
        m.send("<iq type='set' id='d' from='%s' to='%s'>%s</iq>" % (ROOT, room_jid('r'), destroy_iq()))
        got = m.collect()
        assert got[-1].get('type') == 'result' and len(got) == 4, describe(got)


def command(m, who, node, form='', action=None, sid=None, id_='c'):
    a = " action='%s'" % action if action else ''
    s = " sessionid='%s'" % sid if sid else ''
    m.send("<iq type='set' id='%s' from='%s' to='%s'><command xmlns='%s' node='%s'%s%s>%s</command></iq>"
           % (id_, who, DOMAIN, CMD, node, a, s, form))
    return m.collect()


def submit(fields):
    return ("<x xmlns='jabber:x:data' type='submit'>" +
            ''.join("<field var='%s'><value>%s</value></field>" % kv for kv in fields.items()) + '</x>')


def test_adhoc_1_commands_discoverable_by_service_admins():
    with MUC(extra_config=SADMIN) as m:
        q = "<query xmlns='%s' node='%s'/>" % (NS['disco_items'], CMD)
        res = m.iq(ROOT, DOMAIN, 'get', q, id_='cmds')
        nodes = {i.get('node') for i in res.iter('{%s}item' % NS['disco_items'])}
        assert nodes == {'http://jabber.org/protocol/admin#' + n
                         for n in ('list-rooms', 'destroy-room', 'announce', 'get-statistics',
                                   'set-room-affiliation', 'list-room-occupants',
                                   'edit-room-config', 'destroy-unused-rooms')}, tostring(res)
        res = m.iq(A, DOMAIN, 'get', q, id_='cmds2')
        assert res.get('type') == 'result' and not list(res.iter('{%s}item' % NS['disco_items']))
        res = m.iq(A, DOMAIN, 'get', "<query xmlns='%s'/>" % NS['disco_info'], id_='info')
        assert CMD in {f.get('var') for f in res.iter('{%s}feature' % NS['disco_info'])}, tostring(res)


def test_adhoc_1_list_rooms():
    with MUC(extra_config=SADMIN) as m:
        m.create(A, 'r', 'alice')
        m.create(B, 's', 'bob')
        got = command(m, ROOT, 'http://jabber.org/protocol/admin#list-rooms', action='execute')
        assert len(got) == 1 and got[0].get('type') == 'result', describe(got)
        c = got[0].find('{%s}command' % CMD)
        assert c.get('status') == 'completed' and c.get('sessionid')
        vals = {v.text for v in c.iter(DATA + 'value')}
        assert vals == {room_jid('r'), room_jid('s')}, vals


def test_adhoc_1_only_service_admins():
    with MUC(extra_config=SADMIN) as m:
        m.create(A, 'r', 'alice')
        for node in ('list-rooms', 'destroy-room', 'announce'):
            got = command(m, A, 'http://jabber.org/protocol/admin#' + node, action='execute')
            assert_error(got, A, 'auth', 'forbidden')


def test_adhoc_1_destroy_room_two_stages():
    with MUC(extra_config=SADMIN) as m:
        room3(m)
        got = command(m, ROOT, 'http://jabber.org/protocol/admin#destroy-room', action='execute')
        c = got[0].find('{%s}command' % CMD)
        assert c.get('status') == 'executing', describe(got)
        assert {f.get('var') for f in c.iter(DATA + 'field')} >= {'room', 'reason', 'alternate'}
        got = command(m, ROOT, 'http://jabber.org/protocol/admin#destroy-room', sid=c.get('sessionid'),
                      form=submit({'room': room_jid('r'), 'reason': 'cleanup'}))
        pres = [s for s in got if is_presence(s)]
        assert sorted(s.get('to') for s in pres) == sorted([A, B, C]), describe(got)
        assert all(muc_x(s).find(UX + 'destroy').findtext(UX + 'reason') == 'cleanup' for s in pres)
        res = got[-1]
        assert res.get('type') == 'result' and res.find('{%s}command' % CMD).get('status') == 'completed'
        got = command(m, ROOT, 'http://jabber.org/protocol/admin#list-rooms')
        assert not [v for v in got[0].iter(DATA + 'value')], describe(got)


def test_adhoc_1_announce_to_all_rooms():
    with MUC(extra_config=SADMIN) as m:
        room3(m)
        m.create('dan@localhost/d', 's', 'dan')
        got = command(m, ROOT, 'http://jabber.org/protocol/admin#announce',
                      form=submit({'body': 'maintenance at noon'}))
        msgs = [s for s in got if is_message(s)]
        assert sorted(s.get('to') for s in msgs) == sorted([A, B, C, 'dan@localhost/d']), describe(got)
        assert all(body_of(s) == 'maintenance at noon' and s.get('type') == 'groupchat' for s in msgs)
        assert {s.get('from') for s in msgs} == {room_jid('r'), room_jid('s')}
        assert got[-1].get('type') == 'result'


run(globals())
