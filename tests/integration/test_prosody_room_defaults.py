"""tests/integration/test_prosody_room_defaults.py: the service's room defaults and admin-only fields (FEATURES.md DEFAULTS-1) with real clients through a real Prosody.

Palaver (muc-core, sqlite) runs as the component of a private Prosody with
<room-defaults> (persistent, hidden, 20 occupants at most, a name) and
<admin-only-fields> (persistent, public). Real accounts (slixmpp, over c2s)
create rooms and read them: the rooms have the defaults (owner's form and
disco#info), an owner's change of an admin-only field is refused with
forbidden, dave (a service admin) changes it. One Prosody and one palaver
for the file, a distinct room per test.
TAP_ONLY=substring runs some tests; PALAVER_KEEP_TMP=1 keeps directories.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..'))

import test_prosody_muc as M  # noqa: E402  (helpers only; its tests do not run here)
from mucclient import NS, q, XmppError  # noqa: E402
from suite import Suite, prosody_server  # noqa: E402
from test_prosody_muc import room, get_config, submit_config, create  # noqa: E402

DOMAIN = M.DOMAIN
SECRET = 'defaults-integration-secret'
PLUGINS = ['muc-core']
RC = 'muc#roomconfig_'
MUC_CORE = (
    "<room-defaults>"
    "<field var='muc#roomconfig_persistentroom'><value>1</value></field>"
    "<field var='muc#roomconfig_publicroom'><value>0</value></field>"
    "<field var='muc#roomconfig_maxusers'><value>20</value></field>"
    "<field var='muc#roomconfig_roomname'><value>Team Room</value></field>"
    "</room-defaults>"
    "<admin-only-fields>"
    "<field var='muc#roomconfig_persistentroom'/><field var='muc#roomconfig_publicroom'/>"
    "</admin-only-fields>")
ACCOUNTS = ('alice', 'bob', 'dave')

P = D = U = None  # prosody.Prosody, daemon.Palaver, mucclient.Users: see suite.py
SUITE = Suite(globals(), prosody_server(DOMAIN, SECRET), DOMAIN, SECRET, PLUGINS, ACCOUNTS,
              name='defaults', resource='def', plugin_config={'muc-core': MUC_CORE},
              extra_config='<sadmin><user>dave@localhost</user></sadmin>')
setup, login, logout = SUITE.setup, SUITE.login, SUITE.logout


def features(u, rname):
    res = u.iq(room(rname), 'get', "<query xmlns='%s'/>" % NS['info'])
    return {f.get('var') for f in res.find(q('info:query')).findall(q('info:feature'))}


def test_defaults_1_room_created_by_a_real_client_has_the_defaults():
    setup()
    R = 'def-new'
    alice, bob = login('alice'), login('bob')
    try:
        create(alice, R, 'Alice')
        f = get_config(alice, R)
        assert f[RC + 'persistentroom'] == ['1'] and f[RC + 'publicroom'] == ['0'], f
        assert f[RC + 'maxusers'] == ['20'] and f[RC + 'roomname'] == ['Team Room'], f
        assert {'muc_persistent', 'muc_hidden'} <= features(alice, R), features(alice, R)
        try:  # hidden: item-not-found to someone not in it
            features(bob, R)
            raise AssertionError('a hidden room answered a stranger')
        except XmppError as e:
            assert e.condition == 'item-not-found', e
        # a configured room keeps the defaults it was not given
        R2 = 'def-configured'
        create(alice, R2, 'Alice', {RC + 'roomname': 'Own Name'})
        f = get_config(alice, R2)
        assert f[RC + 'roomname'] == ['Own Name'] and f[RC + 'maxusers'] == ['20'], f
    finally:
        logout(alice, bob)


def test_defaults_1_admin_only_field_refused_for_owner_changed_by_service_admin():
    setup()
    R = 'def-admin'
    alice, dave = login('alice'), login('dave')
    try:
        create(alice, R, 'Alice')
        try:
            submit_config(alice, R, {RC + 'publicroom': '1'})
            raise AssertionError('an owner changed an admin-only field')
        except XmppError as e:
            assert e.condition == 'forbidden', e
            assert RC + 'publicroom' in e.stanza, e.stanza
        assert get_config(alice, R)[RC + 'publicroom'] == ['0']
        # the whole form sent back, admin-only values unchanged: fine
        whole = get_config(alice, R)
        whole.pop('FORM_TYPE', None)
        whole[RC + 'roomdesc'] = 'kept values'
        submit_config(alice, R, whole)
        assert get_config(alice, R)[RC + 'roomdesc'] == ['kept values']
        submit_config(dave, R, {RC + 'publicroom': '1'})
        assert get_config(alice, R)[RC + 'publicroom'] == ['1']
        assert 'muc_public' in features(alice, R)
    finally:
        logout(alice, dave)


def test_zz_clean_stop():
    SUITE.check_clean_stop()


if __name__ == '__main__':
    SUITE.main(globals())
