"""muc-core: the log says who did what (MOD-1, MOD-2, ADMIN-1, ADMIN-3, OWNER-4, OWNER-5, OWNER-6).

Kicks, bans, role and affiliation changes, configuration changes and room
destruction each write one INFO line naming the room, the actor (bare JID and
nick when in the room) and what changed, with the reason when one was given;
a configuration line names the fields that changed, never their values.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mucutil import MUC, NS, DOMAIN, room_jid, admin_set, tostring  # noqa: E402
from taptest import run  # noqa: E402

A, B, C = 'alice@localhost/pc', 'bob@localhost/phone', 'carol@example.net/x'
ROOM = 'r@' + DOMAIN
ALICE = "alice@localhost (nick 'alice')"


def info_line(m, text, count=1):
    """The last of the `count` daemon log lines holding text; it must be at INFO level."""
    out = m.r.wait_log(text)
    lines = [ln for ln in out.splitlines() if text in ln]
    assert len(lines) == count, 'expected %d line(s) with %r:\n%s' % (count, text,
                                                                     '\n'.join(lines))
    assert ' INFO muc-core: ' in lines[-1], 'not an INFO line: ' + lines[-1]
    return lines[-1]


def room3(m, config=None):
    m.create(A, 'r', 'alice', config)
    m.join(B, 'r', 'bob')
    m.join(C, 'r', 'carol')


def test_mod_1_kick_is_logged_with_actor_target_and_reason():
    with MUC() as m:
        room3(m)
        admin_set(m, A, "<item nick='bob' role='none'><reason>Spamming</reason></item>")
        info_line(m, "room %s: %s kicked 'bob' (role participant -> none), reason: 'Spamming'"
                  % (ROOM, ALICE))


def test_mod_2_role_change_is_logged_old_and_new():
    with MUC() as m:
        room3(m)
        admin_set(m, A, "<item nick='carol' role='visitor'/>")
        info_line(m, "room %s: %s changed the role of 'carol': participant -> visitor"
                  % (ROOM, ALICE))


def test_admin_1_ban_of_an_absent_user_is_logged():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        admin_set(m, A, "<item jid='mallory@evil.example' affiliation='outcast'>"
                        "<reason>troll</reason></item>")
        info_line(m, "room %s: %s banned mallory@evil.example (affiliation none -> outcast), "
                     "reason: 'troll'" % (ROOM, ALICE))


def test_admin_3_affiliation_change_by_an_actor_outside_the_room():
    with MUC() as m:
        room3(m)
        m.leave(A, 'r', 'alice')
        admin_set(m, A, "<item jid='bob@localhost' affiliation='member'/>")
        line = info_line(m, "room %s: alice@localhost changed the affiliation of bob@localhost: "
                            "none -> member" % ROOM)
        assert 'nick' not in line, line       # alice is no longer in the room


def test_owner_4_configuration_change_names_the_fields_not_the_values():
    with MUC() as m:
        room3(m)
        res = m.configure(A, 'r', {'roomname': 'Renamed', 'passwordprotectedroom': 1,
                                   'roomsecret': 'Xyzzy-s3cret', 'maxusers': 30})
        assert res.get('type') == 'result', tostring(res)
        # the first line is the instant room's configuration (room3)
        info_line(m, "room %s: %s configured the room: nothing changed" % (ROOM, ALICE))
        line = info_line(m, "room %s: %s configured the room: changed " % (ROOM, ALICE))
        for f in ('roomname', 'passwordprotectedroom', 'roomsecret', 'maxusers'):
            assert 'muc#roomconfig_' + f in line, line
        assert 'muc#roomconfig_moderatedroom' not in line, line     # unchanged
        assert 'Xyzzy-s3cret' not in m.r.stderr(), 'the room secret was logged'
        assert 'Renamed' not in line, line


def test_owner_5_owner_list_in_the_form_logs_the_affiliation_change():
    with MUC() as m:
        room3(m)
        res = m.configure(A, 'r', {'roomowners': ['alice@localhost', 'bob@localhost']})
        assert res.get('type') == 'result', tostring(res)
        info_line(m, "room %s: %s changed the affiliation of bob@localhost: none -> owner"
                  % (ROOM, ALICE))
        line = info_line(m, "room %s: %s configured the room: changed " % (ROOM, ALICE))
        assert line.endswith('changed muc#roomconfig_roomowners'), line


def test_owner_6_destroy_is_logged_with_actor_reason_and_venue():
    with MUC() as m:
        room3(m)
        m.send("<iq type='set' id='d' from='%s' to='%s'><query xmlns='%s'>"
               "<destroy jid='new@%s'><password>Venue-s3cret</password>"
               "<reason>Moving on</reason></destroy></query></iq>"
               % (A, room_jid('r'), NS['muc_owner'], DOMAIN))
        m.collect()
        info_line(m, "room %s destroyed by %s (3 occupants), reason: 'Moving on', "
                     "alternate venue: new@%s" % (ROOM, ALICE, DOMAIN))
        assert 'Venue-s3cret' not in m.r.stderr(), 'the venue password was logged'


if __name__ == '__main__':
    run(globals())
