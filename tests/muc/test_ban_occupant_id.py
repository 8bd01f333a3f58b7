"""muc-core BAN-OID-1: a ban by XEP-0421 occupant-id. A muc#admin item may
name its target by <occupant-id xmlns='urn:xmpp:occupant-id:0' id='...'/>
instead of a jid or a nick: the room finds the occupant who has it now, or
who had it and left less than <remember-left-occupants> seconds ago, and
bans that user's bare JID. An owner bans someone who already left (their
rejoin is refused); a moderator who is not an admin may ban, that way, an
unaffiliated user who already left, and nothing more; an unknown id, or one
remembered too long ago, gets item-not-found; a present occupant banned by
id is removed with 301."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mucutil import (MUC, NS, occ, to, is_presence, codes, describe, cond,  # noqa: E402
                     occupant_id, admin_set, admin_get, iq_answers)
from fakerouter import Router  # noqa: E402
from taptest import run  # noqa: E402

A, B, C, D = ('alice@localhost/pc', 'bob@localhost/phone', 'carol@localhost/x',
              'dave@localhost/d')
OID = 'urn:xmpp:occupant-id:0'


def ban_by_id(m, frm, oid):
    return admin_set(m, frm, "<item affiliation='outcast'><occupant-id xmlns='%s' id='%s'/>"
                     "<reason>spam</reason></item>" % (OID, oid))


def id_of(got, frm, nick):
    own = [s for s in to(got, frm) if is_presence(s) and s.get('from') == occ('r', nick)]
    return occupant_id(own[-1])


def outcasts(m):
    res = admin_get(m, A, "affiliation='outcast'")
    return sorted(i.get('jid') for i in res.iter('{%s}item' % NS['muc_admin']))


def test_ban_oid_1_owner_bans_someone_who_left():
    with MUC() as m:
        m.create(A, 'r', 'alice', {'whois': 'moderators'})
        bob_id = id_of(m.join(B, 'r', 'bob'), B, 'bob')
        m.leave(B, 'r', 'bob')
        got = ban_by_id(m, A, bob_id)
        res = iq_answers(got)
        assert res and res[0].get('type') == 'result', describe(got)
        assert outcasts(m) == ['bob@localhost'], outcasts(m)
        got = m.join(B, 'r', 'bob')
        err = [s for s in to(got, B) if is_presence(s) and s.get('type') == 'error']
        assert err and cond(err[0])[1] == 'forbidden', describe(got)


def test_ban_oid_2_present_occupant_removed_with_301():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        bob_id = id_of(m.join(B, 'r', 'bob'), B, 'bob')
        got = ban_by_id(m, A, bob_id)
        gone = [s for s in to(got, B) if is_presence(s) and s.get('type') == 'unavailable']
        assert gone and 301 in codes(gone[0]), describe(got)


def test_ban_oid_3_moderator_may_ban_a_departed_user_by_id_only():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        m.join(C, 'r', 'carol')
        got = admin_set(m, A, "<item nick='carol' role='moderator'/>")
        assert iq_answers(got)[0].get('type') == 'result', describe(got)
        bob_id = id_of(m.join(B, 'r', 'bob'), B, 'bob')
        dave_id = id_of(m.join(D, 'r', 'dave'), D, 'dave')
        m.leave(B, 'r', 'bob')
        # by jid, as XEP-0045 says, a moderator may not ban
        got = admin_set(m, C, "<item affiliation='outcast' jid='bob@localhost'/>")
        assert cond(iq_answers(got)[0])[1] == 'forbidden', describe(got)
        # by the id of someone who left: yes
        got = ban_by_id(m, C, bob_id)
        assert iq_answers(got)[0].get('type') == 'result', describe(got)
        assert outcasts(m) == ['bob@localhost'], outcasts(m)
        # someone still here: no (that is a kick, or an admin's ban)
        got = ban_by_id(m, C, dave_id)
        assert cond(iq_answers(got)[0])[1] == 'forbidden', describe(got)


def test_ban_oid_4_unknown_or_forgotten_id():
    with MUC(muc_config='<remember-left-occupants>1</remember-left-occupants>') as m:
        m.create(A, 'r', 'alice')
        got = ban_by_id(m, A, 'no-such-id')
        assert cond(iq_answers(got)[0])[1] == 'item-not-found', describe(got)
        bob_id = id_of(m.join(B, 'r', 'bob'), B, 'bob')
        m.leave(B, 'r', 'bob')
        time.sleep(1.5)
        got = ban_by_id(m, A, bob_id)
        assert cond(iq_answers(got)[0])[1] == 'item-not-found', describe(got)
        assert outcasts(m) == [], outcasts(m)


def test_ban_oid_5_bad_config():
    r = Router(domain='muc.localhost', plugins=['muc-core'],
               plugin_config={'muc-core': '<remember-left-occupants>-3</remember-left-occupants>'},
               start=False)
    try:
        r.start(accept=False)
        rc = r.proc.wait(timeout=20)
        assert rc != 0 and 'remember-left-occupants' in r.stderr() and 'palaver.xml:' in r.stderr(), \
            r.stderr()
    finally:
        r._cleanup()


if __name__ == '__main__':
    run(globals())
