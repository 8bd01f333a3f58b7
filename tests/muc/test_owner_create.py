"""muc-core: room creation and the owner's configuration flow (XEP-0045 §10.1): OWNER-1, OWNER-2, OWNER-8."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mucutil import (MUC, NS, occ, room_jid, to, is_presence, is_message, item, codes,  # noqa: E402
                     describe, assert_error, tostring, cond, owner_submit)
from taptest import run  # noqa: E402

A, B = 'alice@localhost/pc', 'bob@localhost/phone'
DATA = '{jabber:x:data}'


def fields(form):
    out = {}
    for f in form.findall(DATA + 'field'):
        out[f.get('var')] = (f.get('type'), [v.text or '' for v in f.findall(DATA + 'value')])
    return out


def get_form(m, who, room='r'):
    return m.iq(who, room_jid(room), 'get', "<query xmlns='%s'/>" % NS['muc_owner'], id_='get')


def test_owner_1_instant_room_by_empty_submit():
    with MUC() as m:
        m.join(A, 'r', 'alice')
        res = m.iq(A, room_jid('r'), 'set',
                   "<query xmlns='%s'><x xmlns='jabber:x:data' type='submit'/></query>" % NS['muc_owner'])
        assert res.get('type') == 'result' and res.get('from') == room_jid('r'), tostring(res)
        assert m.collect() == [], 'unlocking sends nothing else'
        got = to(m.join(B, 'r', 'bob'), B)
        assert [s.get('from') for s in got if is_presence(s)] == [occ('r', 'alice'), occ('r', 'bob')], describe(got)


def test_owner_2_reserved_room_get_and_submit():
    with MUC() as m:
        m.join(A, 'r', 'alice')
        res = get_form(m, A)
        assert res.get('type') == 'result', tostring(res)
        form = res.find('{%s}query/%sx' % (NS['muc_owner'], DATA))
        assert form is not None and form.get('type') == 'form', tostring(res)
        f = fields(form)
        assert f['FORM_TYPE'] == ('hidden', [NS['muc_roomconfig']]), f
        for var in ('roomname', 'roomdesc', 'persistentroom', 'publicroom', 'membersonly',
                    'moderatedroom', 'passwordprotectedroom', 'roomsecret', 'whois', 'maxusers',
                    'changesubject', 'allowinvites', 'allowpm', 'presencebroadcast',
                    'enablelogging', 'getmemberlist'):
            assert 'muc#roomconfig_' + var in f, 'missing ' + var
        assert f['muc#roomconfig_persistentroom'][0] == 'boolean'
        assert f['muc#roomconfig_whois'][0] == 'list-single'
        assert f['muc#roomconfig_roomsecret'][0] == 'text-private'
        # still locked while the owner edits the form
        assert_error(m.join(B, 'r', 'bob'), B, 'cancel', 'item-not-found')
        res = m.configure(A, 'r', {'roomname': 'The Room', 'enablelogging': 'true',
                                   'whois': 'anyone'})
        assert res.get('type') == 'result', tostring(res)
        m.collect()
        f = fields(get_form(m, A).find('{%s}query/%sx' % (NS['muc_owner'], DATA)))
        assert f['muc#roomconfig_roomname'][1] == ['The Room']
        assert f['muc#roomconfig_enablelogging'][1] == ['1']
        got = to(m.join(B, 'r', 'bob'), B)
        own = [s for s in got if is_presence(s)][-1]
        assert {110, 100, 170} <= codes(own), describe(got)


def test_owner_2_invalid_values_not_acceptable():
    with MUC() as m:
        m.join(A, 'r', 'alice')
        res = m.configure(A, 'r', {'persistentroom': 'maybe'})
        assert cond(res) == ('modify', 'not-acceptable'), tostring(res)
        assert 'persistentroom' in tostring(res)
        res = m.configure(A, 'r', {'whois': 'everybody'})
        assert cond(res) == ('modify', 'not-acceptable'), tostring(res)
        # nothing applied, still locked
        assert_error(m.join(B, 'r', 'bob'), B, 'cancel', 'item-not-found')


def test_owner_2_cancel_destroys_locked_room():
    with MUC() as m:
        m.join(A, 'r', 'alice')
        res = m.iq(A, room_jid('r'), 'set',
                   "<query xmlns='%s'><x xmlns='jabber:x:data' type='cancel'/></query>" % NS['muc_owner'])
        assert res.get('type') == 'result', tostring(res)
        got = m.collect()
        assert len(got) == 1 and got[0].get('type') == 'unavailable' and got[0].get('to') == A, describe(got)
        info = m.iq(A, room_jid('r'), 'get', "<query xmlns='%s'/>" % NS['disco_info'])
        assert cond(info) == ('cancel', 'item-not-found'), tostring(info)


def test_owner_2_only_owner_configures():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        m.join(B, 'r', 'bob')
        res = get_form(m, B)
        assert cond(res) == ('auth', 'forbidden'), tostring(res)
        res = m.configure(B, 'r', {'roomname': 'pwned'})
        assert cond(res) == ('auth', 'forbidden'), tostring(res)


def test_owner_2_change_notifies_occupants_104():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        m.join(B, 'r', 'bob')
        res = m.configure(A, 'r', {'roomdesc': 'about things'})
        assert res.get('type') == 'result'
        got = m.collect()
        assert sorted(s.get('to') for s in got) == sorted([A, B]), describe(got)
        assert all(is_message(s) and 104 in codes(s) for s in got), describe(got)


def test_owner_8_create_anyone_default():
    with MUC() as m:
        got = m.join('x@anywhere.example/r', 'r', 'x')
        assert 201 in codes(got[0]), describe(got)


def test_owner_8_create_local_only():
    with MUC(muc_config='<create>local</create>') as m:
        assert_error(m.join('x@elsewhere.example/r', 'r', 'x'), 'x@elsewhere.example/r',
                     'cancel', 'not-allowed')
        got = m.join('y@localhost/r', 'r', 'y')
        assert 201 in codes(got[0]), describe(got)


def test_owner_8_create_listed():
    with MUC(muc_config='<create>list</create><allow>boss@corp.example</allow>'
                        '<allow>trusted.example</allow>') as m:
        assert_error(m.join('x@localhost/r', 'r1', 'x'), 'x@localhost/r', 'cancel', 'not-allowed')
        assert 201 in codes(m.join('boss@corp.example/r', 'r2', 'b')[0])
        assert 201 in codes(m.join('anyone@trusted.example/r', 'r3', 'a')[0])
        assert_error(m.join('other@corp.example/r', 'r4', 'o'), 'other@corp.example/r', 'cancel', 'not-allowed')


def test_owner_8_create_admins_only():
    with MUC(muc_config='<create>admins</create>',
             extra_config='<sadmin><user>root@localhost</user></sadmin>') as m:
        assert_error(m.join(A, 'r', 'alice'), A, 'cancel', 'not-allowed')
        got = m.join('root@localhost/r', 'r', 'root')
        assert 201 in codes(got[0]), describe(got)


def test_owner_8_policy_reloaded_on_sighup():
    import signal
    import time
    with MUC() as m:
        assert 201 in codes(m.join(A, 'r1', 'alice')[0])
        m.r.plugin_config['muc-core'] = '<create>admins</create>'
        with open(m.r.config_path, 'w', encoding='utf-8') as f:
            f.write(m.r.config_xml())
        m.r.signal(signal.SIGHUP)
        deadline = time.monotonic() + 5
        while True:
            got = m.join(B, 'r%d' % int(time.monotonic() * 1000), 'bob')
            if got and got[0].get('type') == 'error':
                assert cond(got[0]) == ('cancel', 'not-allowed'), describe(got)
                break
            assert time.monotonic() < deadline, 'the new policy never applied'


run(globals())
