"""A persistent room survives restarts of the daemon on the pgsql backend:
its configuration, bans (with reasons), members and registered nicks; later
changes (a new name, a lifted ban, a dropped registration) and the room's
deletion survive too. Run by tests/backends/test_persist_pgsql.sh, which
starts a private PostgreSQL and sets PALAVER_PGSQL_CONNINFO.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from backendutil import (StoreMUC, OWNER, OWNER_OTHER, room_jid, config_values,  # noqa: E402
                         aff_list, registered_nick, register_payload, admin_payload, room_name,
                         escape, tostring, run)
from mucutil import assert_error  # noqa: E402
from taptest import skip_all  # noqa: E402

CONNINFO = os.environ.get('PALAVER_PGSQL_CONNINFO')
if not CONNINFO:
    skip_all('PALAVER_PGSQL_CONNINFO is not set (run test_persist_pgsql.sh)')

BACKEND = ('<backend><type>pgsql</type><conninfo>%s</conninfo></backend>' % escape(CONNINFO))
ROOM = 'inner\\20chamber'       # an XEP-0106 escaped node, as clients send it
BOB, DAVE = 'bob@localhost/b', 'dave@localhost/d'


def daemon(expect_room=True):
    """The daemon on pgsql. No room is loaded at start (LAZY-1): the stored
    room comes from pgsql (which answers from the event loop) when the very
    first request for it arrives, which waits for it."""
    m = StoreMUC('pgsql', backend_xml=BACKEND)
    try:
        m.r.wait_log('stream: connected to ')
        assert 'room %s@' % ROOM not in m.r.stderr().split('stream: connected to ')[0], \
            'a room was loaded at start:\n' + log_of(m)
        if expect_room:
            assert room_name(m, ROOM) is not None, \
                'the stored room was not loaded on first use:\n' + log_of(m)
            assert 'room %s@muc.localhost loaded' % ROOM in m.r.stderr(), log_of(m)
        else:
            assert room_name(m, ROOM) is None, log_of(m)
    except BaseException:
        m.r.stop(check_sanitizers=False)
        raise
    return m


def log_of(m):
    """The daemon's log without the start-up listing, for diagnostics."""
    return '\n'.join(l for l in m.r.stderr().splitlines() if ' DEBUG core: ' not in l)[-6000:]


def ok(res):
    assert res.get('type') == 'result', tostring(res)


def test_set_up_a_persistent_room():
    with daemon(expect_room=False) as m:
        m.create(OWNER, ROOM, 'alice', {'persistentroom': 1, 'roomname': 'Caf\u00e9 "inner"',
                                        'roomdesc': 'kept in PostgreSQL', 'membersonly': 1,
                                        'whois': 'anyone', 'maxusers': 20})
        ok(m.iq(OWNER, room_jid(ROOM), 'set', admin_payload(
            "<item affiliation='outcast' jid='eve@localhost'><reason>spam &amp; abuse</reason></item>"
            "<item affiliation='outcast' jid='evil.example'/>"
            "<item affiliation='member' jid='bob@localhost'/>"
            "<item affiliation='member' jid='dave@localhost'/>"
            "<item affiliation='admin' jid='carol@localhost'/>"), id_='affs'))
        ok(m.iq(BOB, room_jid(ROOM), 'set', register_payload('bobby'), id_='reg1'))
        ok(m.iq(DAVE, room_jid(ROOM), 'set', register_payload('D\u00e4ve'), id_='reg2'))
        m.collect()


def test_room_survives_restart():
    with daemon() as m:
        assert room_name(m, ROOM) == 'Caf\u00e9 "inner"'
        cfg = config_values(m, ROOM)
        assert cfg['muc#roomconfig_roomdesc'] == ['kept in PostgreSQL'], cfg
        assert cfg['muc#roomconfig_membersonly'] == ['1'], cfg
        assert cfg['muc#roomconfig_whois'] == ['anyone'], cfg
        assert cfg['muc#roomconfig_maxusers'] == ['20'], cfg
        assert cfg['muc#roomconfig_persistentroom'] == ['1'], cfg
        assert cfg['muc#roomconfig_roomowners'] == ['alice@localhost'], cfg
        assert aff_list(m, ROOM, 'outcast') == {'eve@localhost': 'spam & abuse',
                                                'evil.example': None}
        assert aff_list(m, ROOM, 'member') == {'bob@localhost': None, 'dave@localhost': None}
        assert set(aff_list(m, ROOM, 'admin')) == {'carol@localhost'}
        assert registered_nick(m, ROOM, BOB) == 'bobby'
        assert registered_nick(m, ROOM, DAVE) == 'D\u00e4ve'
        # the bans and the reserved nick act, not just list
        assert_error(m.join('eve@localhost/e', ROOM, 'eve'), 'eve@localhost/e', 'auth',
                     'forbidden')
        assert_error(m.join('x@evil.example/y', ROOM, 'x'), 'x@evil.example/y', 'auth',
                     'forbidden')
        assert_error(m.join('frank@localhost/f', ROOM, 'frank'), 'frank@localhost/f', 'auth',
                     'registration-required')
        assert_error(m.join(DAVE, ROOM, 'bobby'), DAVE, 'cancel', 'conflict')
        # changes made now must survive the next restart
        ok(m.configure(OWNER_OTHER, ROOM, {'persistentroom': 1, 'roomname': 'Renamed',
                                           'membersonly': 0}))
        ok(m.iq(OWNER_OTHER, room_jid(ROOM), 'set', admin_payload(
            "<item affiliation='none' jid='eve@localhost'/>"), id_='unban'))
        ok(m.iq(DAVE, room_jid(ROOM), 'set',
                "<query xmlns='jabber:iq:register'><remove/></query>", id_='unreg'))
        m.collect()


def test_later_changes_survive_restart():
    with daemon() as m:
        name = room_name(m, ROOM)
        assert name == 'Renamed', (name, log_of(m))
        cfg = config_values(m, ROOM)
        assert cfg['muc#roomconfig_membersonly'] == ['0'], cfg
        assert cfg['muc#roomconfig_roomdesc'] == ['kept in PostgreSQL'], cfg
        assert aff_list(m, ROOM, 'outcast') == {'evil.example': None}
        assert registered_nick(m, ROOM, DAVE) is None
        assert registered_nick(m, ROOM, BOB) == 'bobby'
        ok(m.iq(OWNER_OTHER, room_jid(ROOM), 'set',
                "<query xmlns='http://jabber.org/protocol/muc#owner'><destroy/></query>",
                id_='destroy'))
        m.collect()


def test_destroyed_room_stays_gone():
    with daemon(expect_room=False) as m:
        name = room_name(m, ROOM)
        assert name is None, (name, log_of(m))


run(globals())
