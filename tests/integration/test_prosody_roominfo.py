"""tests/integration/test_prosody_roominfo.py: the muc#roominfo form (FEATURES.md DISCO-3) with real clients through a real Prosody.

Palaver (muc-core, history, disco-extended, game-rooms) runs as the
component of a private Prosody, with disco-extended's settings for the log
and pubsub URLs and the history limit. Real accounts (slixmpp, over c2s)
ask a room's disco#info and read the XEP-0128 form disco-extended adds: one
named test per field it fills, each checking that the value follows the
room live, after the owner's form change, a subject change, an occupant
arriving or an owner granted. One Prosody and one palaver for the file, a
distinct room per test. The stanza helpers are test_prosody_muc.py's.
TAP_ONLY=substring runs some tests; PALAVER_KEEP_TMP=1 keeps directories.
"""

import os
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..'))

import test_prosody_muc as M  # noqa: E402  (helpers only; its tests do not run here)
from mucclient import NS, q  # noqa: E402
from suite import Suite, prosody_server  # noqa: E402
from test_prosody_muc import (room, text, join, leave, presence_from,  # noqa: E402
                              message_from, get_config, submit_config, create, admin_set,
                              form_fields)

DOMAIN = M.DOMAIN
SECRET = 'roominfo-integration-secret'
PLUGINS = ['muc-core', 'history', 'disco-extended', 'game-rooms']
ROOMINFO = 'http://jabber.org/protocol/muc#roominfo'
DISCO_EXT = ("<logs-url>https://logs.example.org/{room}/</logs-url>"
             "<pubsub>xmpp:pubsub.example.org?;node=rooms/{room}</pubsub>"
             "<max-history-fetch>42</max-history-fetch>")
ACCOUNTS = ('alice', 'bob', 'carol', 'dave')

P = D = U = None  # prosody.Prosody, daemon.Palaver, mucclient.Users: see suite.py
SUITE = Suite(globals(), prosody_server(DOMAIN, SECRET), DOMAIN, SECRET, PLUGINS, ACCOUNTS,
              name='roominfo', resource='info', plugin_config={'disco-extended': DISCO_EXT})
setup, login, logout = SUITE.setup, SUITE.login, SUITE.logout


def roominfo(u, rname):
    """The muc#roominfo form of a room's disco#info as {var: [values]};
    asserts there is exactly one, with FORM_TYPE as a hidden field."""
    res = u.iq(room(rname), 'get', "<query xmlns='%s'/>" % NS['info'])
    forms = [x for x in res.find(q('info:query')).findall(q('data:x'))
             if form_fields(x).get('FORM_TYPE') == [ROOMINFO]]
    assert len(forms) == 1, ET.tostring(res, 'unicode')
    x = forms[0]
    assert x.get('type') == 'result', ET.tostring(x, 'unicode')
    ft = [f for f in x.findall(q('data:field')) if f.get('var') == 'FORM_TYPE'][0]
    assert ft.get('type') == 'hidden', ET.tostring(ft, 'unicode')
    return form_fields(x)


def field_type(u, rname, var):
    res = u.iq(room(rname), 'get', "<query xmlns='%s'/>" % NS['info'])
    for f in res.iter(q('data:field')):
        if f.get('var') == var:
            return f.get('type')
    return None


def set_subject(u, rname, nick, subject):
    m = u.mark()
    u.send("<message to='%s' type='groupchat'><subject>%s</subject></message>" % (room(rname), subject))
    message_from(u, '%s/%s' % (room(rname), nick), m, lambda st: text(st, 'subject') == subject)


# ---- tests -----------------------------------------------------------------

def test_disco_3_roominfo_roomname_is_the_node_until_named_and_follows_the_form():
    setup()
    R = 'ri-name'
    alice, bob = login('alice'), login('bob')
    try:
        create(alice, R, 'Alice')
        assert roominfo(bob, R).get('muc#roomconfig_roomname') == [R]
        submit_config(alice, R, {'muc#roomconfig_roomname': 'Chess Club'})
        assert roominfo(bob, R).get('muc#roomconfig_roomname') == ['Chess Club']
        submit_config(alice, R, {'muc#roomconfig_roomname': 'Go Club'})
        f = roominfo(bob, R)
        assert f.get('muc#roomconfig_roomname') == ['Go Club'], f
        res = bob.iq(room(R), 'get', "<query xmlns='%s'/>" % NS['info'])
        assert res.find(q('info:query')).find(q('info:identity')).get('name') == 'Go Club'
    finally:
        logout(alice, bob)


def test_disco_3_roominfo_description_follows_the_form():
    setup()
    R = 'ri-desc'
    alice, bob = login('alice'), login('bob')
    try:
        create(alice, R, 'Alice')
        assert roominfo(bob, R).get('muc#roominfo_description') in ([''], []), roominfo(bob, R)
        submit_config(alice, R, {'muc#roomconfig_roomdesc': 'openings only'})
        assert roominfo(bob, R).get('muc#roominfo_description') == ['openings only']
        submit_config(alice, R, {'muc#roomconfig_roomdesc': 'endgames &amp; studies'})
        assert roominfo(bob, R).get('muc#roominfo_description') == ['endgames & studies']
    finally:
        logout(alice, bob)


def test_disco_3_roominfo_subject_follows_subject_changes():
    setup()
    R = 'ri-subject'
    alice, bob = login('alice'), login('bob')
    try:
        create(alice, R, 'Alice')
        assert roominfo(bob, R).get('muc#roominfo_subject') in ([''], []), roominfo(bob, R)
        set_subject(alice, R, 'Alice', 'Round 1')
        assert roominfo(bob, R).get('muc#roominfo_subject') == ['Round 1']
        set_subject(alice, R, 'Alice', 'Round 2')
        assert roominfo(bob, R).get('muc#roominfo_subject') == ['Round 2']
    finally:
        logout(alice, bob)


def test_disco_3_roominfo_subjectmod_and_changesubject_follow_the_form():
    setup()
    R = 'ri-subjmod'
    alice, bob = login('alice'), login('bob')
    try:
        create(alice, R, 'Alice', {'muc#roomconfig_changesubject': '0'})
        for want in ('0', '1', '0'):
            submit_config(alice, R, {'muc#roomconfig_changesubject': want})
            assert get_config(alice, R)['muc#roomconfig_changesubject'] in ([want], [
                {'0': 'false', '1': 'true'}[want]])
            f = roominfo(bob, R)
            assert f.get('muc#roominfo_subjectmod') == [want], (want, f)
            assert f.get('muc#roominfo_changesubject') == [want], (want, f)
        assert field_type(bob, R, 'muc#roominfo_subjectmod') == 'boolean'
    finally:
        logout(alice, bob)


def test_disco_3_roominfo_occupants_follows_arrivals_and_departures():
    setup()
    R = 'ri-occupants'
    alice, bob, carol = login('alice'), login('bob'), login('carol')
    try:
        create(alice, R, 'Alice')
        assert roominfo(carol, R).get('muc#roominfo_occupants') == ['1']
        join(bob, R, 'Bob')
        assert roominfo(carol, R).get('muc#roominfo_occupants') == ['2']
        join(carol, R, 'Carol')
        assert roominfo(carol, R).get('muc#roominfo_occupants') == ['3']
        leave(bob, R, 'Bob')
        presence_from(alice, room(R) + '/Bob', 0, lambda st: st.get('type') == 'unavailable')
        assert roominfo(carol, R).get('muc#roominfo_occupants') == ['2']
    finally:
        logout(alice, bob, carol)


def test_disco_3_roominfo_lang_absent_until_set_and_follows_the_form():
    setup()
    R = 'ri-lang'
    alice, bob = login('alice'), login('bob')
    try:
        create(alice, R, 'Alice', {'muc#roomconfig_lang': ''})
        f = roominfo(bob, R)
        assert f.get('muc#roominfo_lang') in (None, ['']), f
        submit_config(alice, R, {'muc#roomconfig_lang': 'fr'})
        assert roominfo(bob, R).get('muc#roominfo_lang') == ['fr']
        submit_config(alice, R, {'muc#roomconfig_lang': 'de'})
        assert roominfo(bob, R).get('muc#roominfo_lang') == ['de']
    finally:
        logout(alice, bob)


def test_disco_3_roominfo_contactjid_lists_the_owners_live():
    setup()
    R = 'ri-contact'
    alice, bob, carol = login('alice'), login('bob'), login('carol')
    try:
        create(alice, R, 'Alice')
        assert roominfo(carol, R).get('muc#roominfo_contactjid') == ['alice@localhost']
        assert field_type(carol, R, 'muc#roominfo_contactjid') == 'jid-multi'
        admin_set(alice, R, "<item jid='bob@localhost' affiliation='owner'/>")
        assert sorted(roominfo(carol, R).get('muc#roominfo_contactjid')) == \
            ['alice@localhost', 'bob@localhost']
        admin_set(alice, R, "<item jid='bob@localhost' affiliation='admin'/>")
        assert roominfo(carol, R).get('muc#roominfo_contactjid') == ['alice@localhost']
        # through the owner form's roomowners list as well
        submit_config(alice, R, {'muc#roomconfig_roomowners': ['alice@localhost', 'carol@localhost']})
        assert sorted(roominfo(bob, R).get('muc#roominfo_contactjid')) == \
            ['alice@localhost', 'carol@localhost']
    finally:
        logout(alice, bob, carol)


def test_disco_3_roominfo_logs_url_only_while_public_logging_is_on():
    setup()
    R = 'ri-logs'
    alice, bob = login('alice'), login('bob')
    try:
        create(alice, R, 'Alice', {'muc#roomconfig_enablelogging': '0'})
        assert 'muc#roominfo_logs' not in roominfo(bob, R), roominfo(bob, R)
        submit_config(alice, R, {'muc#roomconfig_enablelogging': '1'})
        assert roominfo(bob, R).get('muc#roominfo_logs') == \
            ['https://logs.example.org/ri-logs/']
        submit_config(alice, R, {'muc#roomconfig_enablelogging': '0'})
        assert 'muc#roominfo_logs' not in roominfo(bob, R), roominfo(bob, R)
    finally:
        logout(alice, bob)


def test_disco_3_roominfo_logs_and_pubsub_urls_percent_encode_the_node():
    setup()
    R = 'ri.caf\u00e9'
    alice, bob = login('alice'), login('bob')
    try:
        create(alice, R, 'Alice', {'muc#roomconfig_enablelogging': '1'})
        f = roominfo(bob, R)
        assert f.get('muc#roominfo_logs') == ['https://logs.example.org/ri.caf%C3%A9/'], f
        assert f.get('muc#roominfo_pubsub') == ['xmpp:pubsub.example.org?;node=rooms/ri.caf%C3%A9'], f
    finally:
        logout(alice, bob)


def test_disco_3_roominfo_pubsub_from_the_settings_for_every_room():
    setup()
    R = 'ri-pubsub'
    alice, bob = login('alice'), login('bob')
    try:
        create(alice, R, 'Alice')
        assert roominfo(bob, R).get('muc#roominfo_pubsub') == \
            ['xmpp:pubsub.example.org?;node=rooms/ri-pubsub']
        submit_config(alice, R, {'muc#roomconfig_roomname': 'Renamed'})
        assert roominfo(bob, R).get('muc#roominfo_pubsub') == \
            ['xmpp:pubsub.example.org?;node=rooms/ri-pubsub']
    finally:
        logout(alice, bob)


def test_disco_3_roominfo_maxhistoryfetch_from_the_settings():
    setup()
    R = 'ri-history'
    alice, bob = login('alice'), login('bob')
    try:
        create(alice, R, 'Alice')
        assert roominfo(bob, R).get('muc#maxhistoryfetch') == ['42']
        submit_config(alice, R, {'muc#roomconfig_roomdesc': 'changed'})
        assert roominfo(bob, R).get('muc#maxhistoryfetch') == ['42']
    finally:
        logout(alice, bob)


def test_disco_3_roominfo_follows_one_form_changing_everything_at_once():
    setup()
    R = 'ri-all'
    alice, bob, dave = login('alice'), login('bob'), login('dave')
    try:
        create(alice, R, 'Alice')
        join(bob, R, 'Bob')
        submit_config(alice, R, {'muc#roomconfig_roomname': 'All At Once',
                                 'muc#roomconfig_roomdesc': 'every field',
                                 'muc#roomconfig_lang': 'es',
                                 'muc#roomconfig_changesubject': '1',
                                 'muc#roomconfig_enablelogging': '1',
                                 'muc#roomconfig_roomowners': ['alice@localhost', 'bob@localhost']})
        set_subject(bob, R, 'Bob', 'Hola')
        f = roominfo(dave, R)
        want = {'muc#roomconfig_roomname': ['All At Once'],
                'muc#roominfo_description': ['every field'],
                'muc#roominfo_lang': ['es'],
                'muc#roominfo_subject': ['Hola'],
                'muc#roominfo_subjectmod': ['1'],
                'muc#roominfo_changesubject': ['1'],
                'muc#roominfo_occupants': ['2'],
                'muc#roominfo_logs': ['https://logs.example.org/ri-all/'],
                'muc#roominfo_pubsub': ['xmpp:pubsub.example.org?;node=rooms/ri-all'],
                'muc#maxhistoryfetch': ['42']}
        got = {k: f.get(k) for k in want}
        assert got == want, (got, want)
        assert sorted(f.get('muc#roominfo_contactjid')) == ['alice@localhost', 'bob@localhost'], f
    finally:
        logout(alice, bob, dave)


def test_disco_3_palaver_stops_cleanly_after_the_suite():
    SUITE.check_clean_stop()


if __name__ == '__main__':
    SUITE.main(globals())
