"""disco-extended: the muc#roominfo form in a room's disco#info (DISCO-3, XEP-0128)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from discoutil import (DX, MUC, NS, ROOMINFO, room_jid, forms, fields, field_el,  # noqa: E402
                       roominfo, tostring, OutOfTree, HERE)
from taptest import run, skip  # noqa: E402

A, B = 'alice@localhost/pc', 'bob@localhost/phone'


def test_disco_3_roominfo_form_carries_the_room():
    with DX() as m:
        m.create(A, 'tea', 'alice', {'roomname': 'Tea Room', 'roomdesc': 'All about tea',
                                     'lang': 'en', 'changesubject': 1})
        res = m.info(B, room_jid('tea'))
        x = forms(res)[ROOMINFO]
        f = fields(x)
        assert f['muc#roomconfig_roomname'] == ['Tea Room'], f
        assert f['muc#roominfo_description'] == ['All about tea'], f
        assert f['muc#roominfo_lang'] == ['en'], f
        assert f['muc#roominfo_occupants'] == ['1'], f
        assert f['muc#roominfo_subject'] == [''], f
        assert f['muc#roominfo_subjectmod'] == ['1'], f
        assert f['muc#roominfo_changesubject'] == ['1'], f
        assert field_el(x, 'muc#roominfo_subjectmod').get('type') == 'boolean'
        # nothing the operator did not configure
        for var in ('muc#roominfo_logs', 'muc#roominfo_pubsub', 'muc#maxhistoryfetch',
                    'muc#roominfo_ldapgroup'):
            assert var not in f, '%s advertised without configuration: %s' % (var, f)
        # the room features muc-core puts are still there, the form comes after them
        q = res.find('{%s}query' % NS['disco_info'])
        assert q[-1].tag == '{%s}x' % NS['data'], tostring(res)


def test_disco_3_roominfo_follows_the_room_live():
    with DX() as m:
        m.create(A, 'tea', 'alice', {'roomname': 'Tea', 'roomdesc': 'old', 'changesubject': 0})
        f = roominfo(m, B, 'tea')
        assert (f['muc#roomconfig_roomname'], f['muc#roominfo_description'],
                f['muc#roominfo_subjectmod']) == (['Tea'], ['old'], ['0']), f
        assert 'muc#roominfo_lang' not in f, f
        # the owner changes the configuration through the owner form
        res = m.configure(A, 'tea', {'roomname': 'Green Tea', 'roomdesc': 'new', 'lang': 'fr',
                                     'changesubject': 1})
        assert res.get('type') == 'result', tostring(res)
        m.collect()
        f = roominfo(m, B, 'tea', id_='ri2')
        assert f['muc#roomconfig_roomname'] == ['Green Tea'], f
        assert f['muc#roominfo_description'] == ['new'], f
        assert f['muc#roominfo_lang'] == ['fr'], f
        assert f['muc#roominfo_subjectmod'] == ['1'], f
        # a subject and a second occupant
        m.send("<message type='groupchat' id='s1' from='%s' to='%s'><subject>Oolong</subject>"
               "</message>" % (A, room_jid('tea')))
        m.collect()
        m.join(B, 'tea', 'bob')
        f = roominfo(m, B, 'tea', id_='ri3')
        assert f['muc#roominfo_subject'] == ['Oolong'], f
        assert f['muc#roominfo_occupants'] == ['2'], f
        m.leave(B, 'tea', 'bob')
        assert roominfo(m, B, 'tea', id_='ri4')['muc#roominfo_occupants'] == ['1']


def test_disco_3_roominfo_contact_jids_are_the_owners():
    with DX() as m:
        m.create(A, 'tea', 'alice')
        f = roominfo(m, B, 'tea')
        if 'muc#roominfo_contactjid' not in f:
            header = os.path.join(os.environ.get('PALAVER_SRCDIR', ''), 'include', 'palaver',
                                  'muc.h')
            with open(header, encoding='utf-8') as h:
                if 'room_affiliations' not in h.read():
                    skip('muc-core cannot list a room\'s owners yet (palaver/muc.h)')
        assert f['muc#roominfo_contactjid'] == ['alice@localhost'], f


def test_disco_3_roominfo_room_name_defaults_to_the_node():
    with DX() as m:
        m.create(A, 'plain', 'alice')
        f = roominfo(m, B, 'plain')
        assert f['muc#roomconfig_roomname'] == ['plain'], f
        assert f['muc#roominfo_description'] == [''], f


DX_SITE = ('<logs-url>https://logs.example.org/{room}/</logs-url>'
           '<pubsub>xmpp:pubsub.example.org?;node=rooms/{room}</pubsub>'
           '<max-history-fetch>50</max-history-fetch>'
           '<ldapgroup room="dev">cn=dev,ou=groups,dc=example,dc=org</ldapgroup>')


def test_disco_3_roominfo_values_from_the_plugin_config():
    with DX(DX_SITE) as m:
        m.create(A, 'dev', 'alice', {'enablelogging': 1})
        m.create(A, 'caf\u00e9', 'alice')
        f = roominfo(m, B, 'dev')
        assert f['muc#roominfo_logs'] == ['https://logs.example.org/dev/'], f
        assert f['muc#roominfo_pubsub'] == ['xmpp:pubsub.example.org?;node=rooms/dev'], f
        assert f['muc#maxhistoryfetch'] == ['50'], f
        assert f['muc#roominfo_ldapgroup'] == ['cn=dev,ou=groups,dc=example,dc=org'], f
        g = roominfo(m, B, 'caf\u00e9', id_='ri2')
        # logs only while public logging is on; the LDAP group only where configured;
        # the room node is percent-encoded into the URI
        assert 'muc#roominfo_logs' not in g, g
        assert 'muc#roominfo_ldapgroup' not in g, g
        assert g['muc#roominfo_pubsub'] == ['xmpp:pubsub.example.org?;node=rooms/caf%C3%A9'], g
        # turning logging on shows the URL at once
        m.configure(A, 'caf\u00e9', {'enablelogging': 1})
        m.collect()
        g = roominfo(m, B, 'caf\u00e9', id_='ri3')
        assert g['muc#roominfo_logs'] == ['https://logs.example.org/caf%C3%A9/'], g


def test_disco_3_no_roominfo_without_the_plugin():
    with MUC() as m:
        m.create(A, 'tea', 'alice', {'roomname': 'Tea', 'roomdesc': 'All about tea'})
        res = m.iq(B, room_jid('tea'), 'get', "<query xmlns='%s'/>" % NS['disco_info'])
        assert res.get('type') == 'result', tostring(res)
        assert not forms(res), 'a data form without disco-extended: ' + tostring(res)


def test_disco_3_hidden_room_still_item_not_found():
    with DX() as m:
        m.create(A, 'secret', 'alice', {'publicroom': 0, 'roomdesc': 'hush'})
        res = m.iq(B, room_jid('secret'), 'get', "<query xmlns='%s'/>" % NS['disco_info'])
        assert res.get('type') == 'error', tostring(res)
        assert 'hush' not in tostring(res)


def test_disco_3_node_query_carries_no_roominfo():
    with DX() as m:
        m.create(A, 'tea', 'alice')
        res = m.iq(B, room_jid('tea'), 'get', "<query xmlns='%s' node='x-roomuser-item'/>"
                   % NS['disco_info'])
        assert not forms(res), tostring(res)


def test_disco_3_other_plugins_add_roominfo_fields_through_the_sdk():
    with OutOfTree(os.path.join(HERE, 'roominfo-contrib.c'), 'roominfo-contrib'):
        with DX(plugins=('muc-core', 'disco-extended', 'roominfo-contrib')) as m:
            m.create(A, 'tea', 'alice', {'lang': 'en'})
            f = roominfo(m, B, 'tea')
            assert f['x-example#node'] == ['tea'], f
            assert f['muc#roominfo_lang'] == ['tlh'], 'not replaced: %s' % f
            assert f['muc#roominfo_occupants'] == ['1'], f
        # without disco-extended the event never fires: no form at all
        with DX(plugins=('muc-core', 'roominfo-contrib')) as m:
            m.create(A, 'tea', 'alice')
            res = m.info(B, room_jid('tea'))
            assert not forms(res), tostring(res)


run(globals())
