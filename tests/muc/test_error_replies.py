"""muc-core: error replies never echo what the sender wrote (ENTER-6, OWNER-3, OWNER-6, REG-1).

An error reply is the original stanza's addresses swapped and one <error/>:
none of the original payload comes back, as in Prosody. The payload may hold
secrets (a join's <password/>, a configuration form's roomsecret, the
alternate venue's password of a <destroy/>) that must not travel again.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mucutil import (MUC, NS, local, occ, room_jid, to, assert_error, owner_submit,  # noqa: E402
                     tostring, describe, escape)
from taptest import run  # noqa: E402

A, B = 'alice@localhost/pc', 'bob@localhost/phone'
SECRET = 'Xyzzy-s3cret-42'


def assert_bare_error(e, *secrets):
    """e is an error whose only child is <error/>, and no secret appears in it."""
    xml = tostring(e)
    assert e.get('type') == 'error', xml
    kids = [local(c.tag) for c in e]
    assert kids == ['error'], 'the error carries more than <error/>: ' + xml
    for s in (SECRET,) + secrets:
        assert s not in xml, '%r echoed back: %s' % (s, xml)
    assert 'jabber:x:data' not in xml, 'a form echoed back: ' + xml
    assert not [el for el in e.iter() if local(el.tag) == 'password'], \
        'a <password/> echoed back: ' + xml


def test_enter_6_wrong_password_error_holds_no_password():
    with MUC() as m:
        m.create(A, 'r', 'alice', {'passwordprotectedroom': 1, 'roomsecret': 'sesame'})
        got = m.join(B, 'r', 'bob', password=SECRET)
        e = assert_error(got, B, 'auth', 'not-authorized', frm=occ('r', 'bob'))
        assert_bare_error(e, 'sesame')


def test_enter_6_refused_join_to_locked_room_holds_no_password():
    with MUC() as m:
        m.join(A, 'r', 'alice')                     # created, still locked
        got = to(m.join(B, 'r', 'bob', password=SECRET), B)
        assert len(got) == 1, describe(got)
        assert_bare_error(got[0])


def test_owner_3_refused_config_submit_holds_no_roomsecret():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        res = m.configure(A, 'r', {'passwordprotectedroom': 1, 'roomsecret': SECRET,
                                   'maxusers': 'not-a-number'})
        assert res.get('type') == 'error', tostring(res)
        assert local(res.find('{%s}error' % NS['component'])[0].tag) == 'not-acceptable', \
            tostring(res)
        assert_bare_error(res)


def test_owner_3_config_submit_by_non_owner_holds_no_roomsecret():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        m.join(B, 'r', 'bob')
        res = m.configure(B, 'r', {'passwordprotectedroom': 1, 'roomsecret': SECRET})
        assert res.get('type') == 'error', tostring(res)
        assert_bare_error(res)


def test_owner_6_refused_destroy_holds_no_venue_password():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        m.join(B, 'r', 'bob')
        res = m.iq(B, room_jid('r'), 'set',
                   "<query xmlns='%s'><destroy jid='other@%s'><password>%s</password>"
                   "<reason>moving</reason></destroy></query>"
                   % (NS['muc_owner'], 'muc.localhost', escape(SECRET)), id_='d')
        assert res.get('type') == 'error', tostring(res)
        assert_bare_error(res, 'moving')


def test_reg_1_refused_registration_holds_no_form():
    with MUC() as m:
        res = m.iq(B, room_jid('nosuchroom'), 'set',
                   "<query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'>"
                   "<field var='muc#register_roomnick'><value>%s</value></field></x></query>"
                   % escape(SECRET), id_='rs')
        assert res.get('type') == 'error', tostring(res)
        assert_bare_error(res)


def test_refused_message_holds_no_body():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        got = to(m.groupchat(B, 'r', SECRET), B)    # bob is not in the room
        assert len(got) == 1, describe(got)
        assert_bare_error(got[0])


def test_unhandled_iq_error_holds_no_payload():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        res = m.iq(B, room_jid('r'), 'get',
                   "<query xmlns='urn:example:unknown'><secret>%s</secret></query>" % SECRET,
                   id_='u')
        assert res.get('type') == 'error', tostring(res)
        assert_bare_error(res)


def test_create_refused_submit_before_join_holds_no_form():
    with MUC() as m:
        res = m.iq(A, room_jid('nosuchroom'), 'set',
                   owner_submit({'roomsecret': SECRET}), id_='cfg')
        assert res.get('type') == 'error', tostring(res)
        assert_bare_error(res)


if __name__ == '__main__':
    run(globals())
