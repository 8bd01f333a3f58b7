"""tests/integration/test_prosody_throttle_admin.py: throttles (FEATURES.md LIMIT-1) and the service admin commands beyond ADHOC-1 (ADHOC-2) with real clients through a real Prosody.

Palaver (muc-core and history, sqlite) runs as the component of a private
Prosody with <throttle> limits of 3 joins per user and 2 nick changes per
occupant, and dave as service admin. Real accounts (slixmpp, over c2s):
carol's fourth join in a row is refused with resource-constraint while bob
still joins; bob's third nick change is refused and he stays in the room
under his second nick. dave, through XEP-0050 commands to the component,
makes bob a member of alice's room (the room announces it), lists its
occupants, renames it through the room's own form, and asks for the rooms
unused for a day (none: nothing is that old yet); alice may run none of
them. One Prosody and one palaver for the file.
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
from test_prosody_muc import (room, create, join, err, codes, presence_from,  # noqa: E402
                              get_config, form_fields, show)

DOMAIN = M.DOMAIN
SECRET = 'throttle-integration-secret'
PLUGINS = ['muc-core', 'history']
MUC_CORE = "<throttle><join burst='3' per-minute='1'/><nick burst='2' per-minute='1'/></throttle>"
ACCOUNTS = ('alice', 'bob', 'carol', 'dave')
CMD = 'http://jabber.org/protocol/commands'
ADMIN = 'http://jabber.org/protocol/admin#'

P = D = U = None  # prosody.Prosody, daemon.Palaver, mucclient.Users: see suite.py
SUITE = Suite(globals(), prosody_server(DOMAIN, SECRET), DOMAIN, SECRET, PLUGINS, ACCOUNTS,
              name='throttle', resource='thr', plugin_config={'muc-core': MUC_CORE},
              extra_config='<sadmin><user>dave@localhost</user></sadmin>')
setup, login, logout = SUITE.setup, SUITE.login, SUITE.logout


def test_limit_1_fourth_join_in_a_row_refused_nick_changes_limited():
    setup()
    carol, bob = login('carol'), login('bob')
    try:
        for i in range(3):
            create(carol, 'thr-%d' % i, 'Carol')
        pres = join(carol, 'thr-3', 'Carol')
        assert pres.get('type') == 'error' and err(pres) == 'resource-constraint', show([pres])
        pres = join(bob, 'thr-0', 'Bob')          # others are not held back by carol
        assert pres.get('type') != 'error', show([pres])
        for nick in ('Bob1', 'Bob2'):
            m = bob.mark()
            bob.send("<presence to='%s/%s'/>" % (room('thr-0'), nick))
            presence_from(bob, '%s/%s' % (room('thr-0'), nick), m,
                          lambda st: 110 in codes(st), what='the new nick ' + nick)
        m = bob.mark()
        bob.send("<presence to='%s/Bob3'/>" % room('thr-0'))
        pres = presence_from(bob, '%s/Bob3' % room('thr-0'), m,
                             lambda st: st.get('type') == 'error')
        assert err(pres) == 'resource-constraint', show([pres])
        # still in the room as Bob2: a status update is seen by carol
        m = carol.mark()
        bob.send("<presence to='%s/Bob2'><show>away</show></presence>" % room('thr-0'))
        presence_from(carol, '%s/Bob2' % room('thr-0'), m,
                      lambda st: (st.findtext(q('c:show')) or '') == 'away')
    finally:
        logout(carol, bob)


def command(u, node, fields=None, sid=None):
    """Runs an ad-hoc command on the component; returns its <command/>."""
    form = ''
    if fields is not None:
        form = "<x xmlns='jabber:x:data' type='submit'>%s</x>" % ''.join(
            "<field var='%s'><value>%s</value></field>" % kv for kv in fields.items())
    s = " sessionid='%s'" % sid if sid else ''
    res = u.iq(DOMAIN, 'set', "<command xmlns='%s' node='%s' action='execute'%s>%s</command>"
               % (CMD, ADMIN + node, s, form))
    return res.find('{%s}command' % CMD)


def test_adhoc_2_service_admin_sets_affiliation_lists_occupants_edits_config():
    setup()
    alice, bob, dave = login('alice'), login('bob'), login('dave')
    R = 'adm-room'
    try:
        create(alice, R, 'Alice', {'muc#roomconfig_persistentroom': '1'})
        c = command(dave, 'set-room-affiliation')
        assert c.get('status') == 'executing', c
        m = alice.mark()
        c = command(dave, 'set-room-affiliation', {'room': room(R), 'jid': 'bob@localhost',
                                                   'affiliation': 'member'}, c.get('sessionid'))
        assert c.get('status') == 'completed', c
        # alice, in the room, hears of bob's new affiliation (XEP-0045 §9.3)
        alice.wait(lambda st: any(i.get('affiliation') == 'member'
                                  for i in st.iter(q('user:item'))), start=m,
                   what="bob's membership")
        res = alice.iq(room(R), 'get', "<query xmlns='%s'><item affiliation='member'/></query>"
                       % NS['admin'])
        assert [i.get('jid') for i in res.iter(q('admin:item'))] == ['bob@localhost']
        join(bob, R, 'Bob')
        c = command(dave, 'list-room-occupants', {'room': room(R)})
        rows = [form_fields(i) for i in c.find(q('data:x')).findall(q('data:item'))]
        assert [(r['nick'], r['affiliation']) for r in rows] == [
            (['Alice'], ['owner']), (['Bob'], ['member'])], rows
        c = command(dave, 'edit-room-config', {'room': room(R)})
        f = form_fields(c.find(q('data:x')))
        assert f['FORM_TYPE'] == ['http://jabber.org/protocol/muc#roomconfig'], f
        c = command(dave, 'edit-room-config', {
            'FORM_TYPE': 'http://jabber.org/protocol/muc#roomconfig', 'room': room(R),
            'muc#roomconfig_roomname': 'Renamed by the admin'}, c.get('sessionid'))
        assert c.get('status') == 'completed', c
        assert get_config(alice, R)['muc#roomconfig_roomname'] == ['Renamed by the admin']
        c = command(dave, 'destroy-unused-rooms', {'days': '1', 'dry-run': '1'})
        assert c.get('status') == 'completed' and not list(c.iter(q('data:value'))), c
        for node in ('set-room-affiliation', 'list-room-occupants', 'edit-room-config',
                     'destroy-unused-rooms'):
            try:
                command(alice, node)
                raise AssertionError('alice ran ' + node)
            except XmppError as e:
                assert e.condition == 'forbidden', e
    finally:
        logout(alice, bob, dave)


def test_zz_clean_stop():
    SUITE.check_clean_stop()


if __name__ == '__main__':
    SUITE.main(globals())
