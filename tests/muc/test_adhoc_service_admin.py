"""muc-core: service admin commands beyond ADHOC-1 (ADHOC-2): set an
affiliation in any room, list a room's occupants, edit a room's
configuration through its own form, destroy the stored rooms unused for N
days (the newest archived message, else the start-up time); rooms stored
but not in memory are loaded first; others than service admins get
forbidden. They come from muc-core's companion admin-commands: turned off,
they are neither listed nor run, and muc-core's own commands and the
rooms' commands stay."""

import glob
import os
import shutil
import sqlite3
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mucutil import (MUC, NS, occ, room_jid, is_presence, is_message, describe,  # noqa: E402
                     assert_error, tostring, admin_get, item, codes, DOMAIN)
from fakerouter import Router  # noqa: E402
from taptest import run  # noqa: E402

A, B, C = 'alice@localhost/pc', 'bob@localhost/phone', 'carol@example.net/x'
ROOT = 'root@localhost/console'
SADMIN = '<sadmin><user>root@localhost</user></sadmin>'
NO_KEEP = '<keep-occupants>no</keep-occupants>'
DATA = '{jabber:x:data}'
CMD = NS['commands']
ADMIN = 'http://jabber.org/protocol/admin#'


def command(m, who, node, form='', sid=None, id_='c'):
    s = " sessionid='%s'" % sid if sid else ''
    m.send("<iq type='set' id='%s' from='%s' to='%s'><command xmlns='%s' node='%s'%s>%s</command>"
           "</iq>" % (id_, who, DOMAIN, CMD, ADMIN + node, s, form))
    return m.collect()


def submit(fields):
    return ("<x xmlns='jabber:x:data' type='submit'>" + ''.join(
        "<field var='%s'>%s</field>" % (k, ''.join('<value>%s</value>' % x for x in
                                                   (v if isinstance(v, list) else [v])))
        for k, v in fields.items()) + '</x>')


def result_of(got, id_='c'):
    res = [s for s in got if s.get('id') == id_ and s.get('to') == ROOT]
    assert len(res) == 1, describe(got)
    return res[0]


def completed(got, id_='c'):
    res = result_of(got, id_)
    assert res.get('type') == 'result', tostring(res)
    c = res.find('{%s}command' % CMD)
    assert c.get('status') == 'completed', tostring(res)
    return c


def fields(x):
    return {f.get('var'): [v.text or '' for v in f.findall(DATA + 'value')]
            for f in x.findall(DATA + 'field')}


def test_adhoc_2_set_affiliation_in_any_room():
    with MUC(extra_config=SADMIN) as m:
        m.create(A, 'r', 'alice')
        m.join(B, 'r', 'bob')
        got = command(m, ROOT, 'set-room-affiliation')
        c = result_of(got).find('{%s}command' % CMD)
        assert c.get('status') == 'executing', describe(got)
        assert {'room', 'jid', 'affiliation', 'reason'} <= set(fields(c.find(DATA + 'x')))
        got = command(m, ROOT, 'set-room-affiliation', sid=c.get('sessionid'), form=submit(
            {'room': room_jid('r'), 'jid': 'bob@localhost', 'affiliation': 'admin',
             'reason': 'trusted'}))
        c = completed(got)
        assert c.get('sessionid')
        # the room hears bob's new affiliation as from any admin change
        pres = [s for s in got if is_presence(s) and s.get('from') == occ('r', 'bob')]
        assert sorted(s.get('to') for s in pres) == sorted([A, B]), describe(got)
        assert all(item(s).get('affiliation') == 'admin' for s in pres), describe(got)
        res = admin_get(m, A, "affiliation='admin'")
        assert [i.get('jid') for i in res.iter('{%s}item' % NS['muc_admin'])] == ['bob@localhost']
        # a ban removes the occupant (301)
        got = command(m, ROOT, 'set-room-affiliation', id_='c2', form=submit(
            {'room': room_jid('r'), 'jid': 'bob@localhost', 'affiliation': 'outcast'}))
        completed(got, 'c2')
        gone = [s for s in got if is_presence(s) and s.get('type') == 'unavailable']
        assert gone and all(301 in codes(s) for s in gone), describe(got)


def test_adhoc_2_set_affiliation_refusals():
    with MUC(extra_config=SADMIN) as m:
        m.create(A, 'r', 'alice')
        got = command(m, ROOT, 'set-room-affiliation', form=submit(
            {'room': room_jid('nosuch'), 'jid': 'bob@localhost', 'affiliation': 'member'}))
        assert_error(got, ROOT, 'cancel', 'item-not-found')
        got = command(m, ROOT, 'set-room-affiliation', form=submit(
            {'room': room_jid('r'), 'jid': 'bob@localhost', 'affiliation': 'king'}))
        assert_error(got, ROOT, 'modify', 'bad-request')
        got = command(m, ROOT, 'set-room-affiliation', form=submit(
            {'room': room_jid('r'), 'jid': 'alice@localhost', 'affiliation': 'none'}))
        assert_error(got, ROOT, 'cancel', 'conflict')   # the last owner stays
        for node in ('set-room-affiliation', 'list-room-occupants', 'edit-room-config'):
            assert_error(command(m, A, node), A, 'auth', 'forbidden')


def test_adhoc_2_list_occupants():
    with MUC(extra_config=SADMIN) as m:
        m.create(A, 'r', 'alice')
        m.join(B, 'r', 'bob')
        got = command(m, ROOT, 'list-room-occupants', form=submit({'room': room_jid('r')}))
        x = completed(got).find(DATA + 'x')
        assert x.get('type') == 'result', tostring(x)
        assert [f.get('var') for f in x.find(DATA + 'reported').findall(DATA + 'field')] == [
            'nick', 'jid', 'role', 'affiliation']
        rows = [fields(i) for i in x.findall(DATA + 'item')]
        assert rows == [{'nick': ['alice'], 'jid': [A], 'role': ['moderator'],
                         'affiliation': ['owner']},
                        {'nick': ['bob'], 'jid': [B], 'role': ['participant'],
                         'affiliation': ['none']}], rows


def test_adhoc_2_edit_room_config_with_the_rooms_form():
    with MUC(extra_config=SADMIN) as m:
        m.create(A, 'r', 'alice')
        m.join(B, 'r', 'bob')
        got = command(m, ROOT, 'edit-room-config', form=submit({'room': room_jid('r')}))
        res = result_of(got)
        c = res.find('{%s}command' % CMD)
        assert c.get('status') == 'executing', tostring(res)
        form = fields(c.find(DATA + 'x'))
        assert form['FORM_TYPE'] == [NS['muc_roomconfig']] and form['room'] == [room_jid('r')]
        assert form['muc#roomconfig_roomname'] == [''] and 'muc#roomconfig_whois' in form
        got = command(m, ROOT, 'edit-room-config', sid=c.get('sessionid'), id_='c2', form=submit(
            {'FORM_TYPE': NS['muc_roomconfig'], 'room': room_jid('r'),
             'muc#roomconfig_roomname': 'Renamed', 'muc#roomconfig_whois': 'anyone'}))
        completed(got, 'c2')
        # the occupants hear the change (172: now non-anonymous)
        notes = [s for s in got if is_message(s) and 172 in codes(s)]
        assert sorted(s.get('to') for s in notes) == sorted([A, B]), describe(got)
        res = m.iq(A, room_jid('r'), 'get', "<query xmlns='%s'/>" % NS['muc_owner'], id_='g')
        f = fields(res.find('{%s}query/%sx' % (NS['muc_owner'], DATA)))
        assert f['muc#roomconfig_roomname'] == ['Renamed'], tostring(res)
        got = command(m, ROOT, 'edit-room-config', id_='c3', form=submit(
            {'FORM_TYPE': NS['muc_roomconfig'], 'room': room_jid('r'),
             'muc#roomconfig_maxusers': 'lots'}))
        assert_error(got, ROOT, 'modify', 'not-acceptable')


def test_adhoc_2_rooms_not_in_memory_are_loaded_first():
    tmp = tempfile.mkdtemp(prefix='palaver-adhoc2-')
    try:
        with MUC(backend='sqlite', tmpdir=tmp, muc_config=NO_KEEP, extra_config=SADMIN) as m:
            m.create(A, 'keep', 'alice', {'persistentroom': 1})
        with MUC(backend='sqlite', tmpdir=tmp, muc_config=NO_KEEP, extra_config=SADMIN) as m:
            got = command(m, ROOT, 'set-room-affiliation', form=submit(
                {'room': room_jid('keep'), 'jid': 'bob@localhost', 'affiliation': 'member'}))
            completed(got)
            got = command(m, ROOT, 'list-room-occupants', id_='c2',
                          form=submit({'room': room_jid('keep')}))
            assert completed(got, 'c2').find(DATA + 'x').findall(DATA + 'item') == []
        with MUC(backend='sqlite', tmpdir=tmp, muc_config=NO_KEEP, extra_config=SADMIN) as m:
            res = admin_get(m, A, "affiliation='member'", room='keep')
            assert [i.get('jid') for i in res.iter('{%s}item' % NS['muc_admin'])] == [
                'bob@localhost'], 'stored: ' + tostring(res)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


DAY_US = 86400 * 1000000


def unused(m, days, dry_run, id_):
    got = command(m, ROOT, 'destroy-unused-rooms', id_=id_, form=submit(
        {'days': str(days), 'dry-run': '1' if dry_run else '0'}))
    c = completed(got, id_)
    return got, sorted(v.text for v in c.iter(DATA + 'value'))


def test_adhoc_2_destroy_unused_rooms():
    tmp = tempfile.mkdtemp(prefix='palaver-adhoc2-unused-')
    plugins = ('muc-core', 'history')
    try:
        with MUC(backend='sqlite', tmpdir=tmp, muc_config=NO_KEEP, extra_config=SADMIN,
                 plugins=plugins) as m:
            for name in ('old', 'recent', 'silent', 'busy'):
                m.create(A, name, 'alice', {'persistentroom': 1, 'enablelogging': 1})
                if name != 'silent':
                    m.groupchat(A, name, 'hello ' + name)
        db = glob.glob(os.path.join(tmp, 'spool', '*.db'))[0]
        with sqlite3.connect(db) as c:   # their messages are ten days old now
            n = c.execute("UPDATE archive SET stamp_us = stamp_us - ? WHERE room_id IN "
                          "(SELECT id FROM rooms WHERE name IN ('old', 'busy'))",
                          (10 * DAY_US,)).rowcount
            assert n == 2, n
        with MUC(backend='sqlite', tmpdir=tmp, muc_config=NO_KEEP, extra_config=SADMIN,
                 plugins=plugins) as m:
            got = command(m, ROOT, 'destroy-unused-rooms')
            c = result_of(got).find('{%s}command' % CMD)
            assert {'days', 'dry-run'} <= set(fields(c.find(DATA + 'x'))), describe(got)
            assert_error(command(m, ROOT, 'destroy-unused-rooms', id_='bad',
                                 form=submit({'days': 'soon'})), ROOT, 'modify', 'bad-request')
            assert_error(command(m, A, 'destroy-unused-rooms', form=submit({'days': '5'})),
                         A, 'auth', 'forbidden')
            m.join(B, 'busy', 'bob')            # occupied: never unused
            got, rooms = unused(m, 5, True, 'dry')
            assert rooms == [room_jid('old')], describe(got)
            assert not [s for s in got if is_presence(s)], 'a dry run destroys nothing'
            got, rooms = unused(m, 20, False, 'none')
            assert rooms == [], 'nothing is 20 days old: ' + describe(got)
            got, rooms = unused(m, 5, False, 'real')
            assert rooms == [room_jid('old')], describe(got)
            info = "<query xmlns='%s'/>" % NS['disco_info']
            res = m.iq(C, room_jid('old'), 'get', info, id_='i1')
            assert res.get('type') == 'error', 'destroyed: ' + tostring(res)
            for name in ('recent', 'silent', 'busy'):
                res = m.iq(C, room_jid(name), 'get', info, id_='i2')
                assert res.get('type') == 'result', tostring(res)
        with MUC(backend='sqlite', tmpdir=tmp, muc_config=NO_KEEP, extra_config=SADMIN,
                 plugins=plugins) as m:
            # and not stored any more
            got, rooms = unused(m, 5, True, 'again')
            assert rooms == [room_jid('busy')], describe(got)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)



class _AdminCommandsOff(Router):
    """The daemon's config with <admin-commands enabled='false'/> in <plugins>."""

    def config_xml(self):
        xml = super().config_xml()
        assert '<admin-commands></admin-commands>' in xml, xml
        return xml.replace('<admin-commands></admin-commands>', "<admin-commands enabled='false'/>")


def command_nodes(m, who, to=DOMAIN):
    q = "<query xmlns='%s' node='%s'/>" % (NS['disco_items'], CMD)
    res = m.iq(who, to, 'get', q, id_='cmds')
    assert res.get('type') == 'result', tostring(res)
    return {i.get('node') for i in res.iter('{%s}item' % NS['disco_items'])}


ADHOC_1 = {ADMIN + n for n in ('list-rooms', 'destroy-room', 'announce', 'get-statistics')}
ADHOC_2 = {ADMIN + n for n in ('set-room-affiliation', 'list-room-occupants', 'edit-room-config',
                               'destroy-unused-rooms')}
HATS_DON = 'urn:xmpp:hats:commands:don'


def test_adhoc_2_absent_when_turned_off():
    """admin-commands is muc-core's companion: with <admin-commands
    enabled='false'/> the service has no commands (ADHOC-1 and ADHOC-2):
    none is listed and executing one is item-not-found, as for any unknown
    node; a room owner's commands (hats) still work."""
    with MUC(extra_config=SADMIN) as m:
        assert command_nodes(m, ROOT) == ADHOC_1 | ADHOC_2
    m = MUC.__new__(MUC)
    m.r = _AdminCommandsOff(domain=DOMAIN, plugins=['muc-core', 'admin-commands'],
                            extra_config=SADMIN)
    with m:
        m.create(A, 'r', 'alice')
        m.join(B, 'r', 'bob')
        assert command_nodes(m, ROOT) == set()
        for node in ('set-room-affiliation', 'list-room-occupants', 'edit-room-config',
                     'destroy-unused-rooms', 'list-rooms', 'destroy-room', 'announce',
                     'get-statistics'):
            assert_error(command(m, ROOT, node), ROOT, 'cancel', 'item-not-found')
        got = command(m, ROOT, 'set-room-affiliation', id_='c2', form=submit(
            {'room': room_jid('r'), 'jid': 'bob@localhost', 'affiliation': 'admin'}))
        assert_error(got, ROOT, 'cancel', 'item-not-found')
        assert not [s for s in got if is_presence(s)], describe(got)
        got = command(m, ROOT, 'announce', id_='c3', form=submit({'announcement': 'hi'}))
        assert_error(got, ROOT, 'cancel', 'item-not-found')
        assert not [s for s in got if s.tag.endswith('message')], describe(got)
        # and so do the room owner's (XEP-0317 hats on the room's JID)
        assert HATS_DON in command_nodes(m, A, room_jid('r'))
        res = m.iq(A, room_jid('r'), 'set', "<command xmlns='%s' action='execute' node='%s'/>"
                   % (CMD, HATS_DON), id_='hat')
        c = res.find('{%s}command' % CMD)
        assert res.get('type') == 'result' and c.get('status') == 'executing', tostring(res)


run(globals())
