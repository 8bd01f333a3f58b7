"""muc-core: admin use cases (XEP-0045 §9): ADMIN-1 to ADMIN-6, and the
storage rule of every admin IQ (stored before the result; a failing backend
gives internal-server-error and no broadcast)."""

import os
import shutil
import sqlite3
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mucutil import (MUC, NS, occ, room_jid, to, is_presence, is_message, item, codes,  # noqa: E402
                     describe, assert_error, tostring, cond, admin_set, admin_get, iq_answers,
                     actor_reason)
from taptest import run  # noqa: E402

A, B, C, D = 'alice@localhost/pc', 'bob@localhost/phone', 'carol@example.net/x', 'dave@localhost/d'
ADMIN_NS = NS['muc_admin']


def room4(m, config=None):
    m.create(A, 'r', 'alice', config)
    m.join(B, 'r', 'bob')
    m.join(C, 'r', 'carol')
    m.join(D, 'r', 'dave')


def listed(res):
    return {(i.get('jid'), i.get('affiliation')) for i in res.iter('{%s}item' % ADMIN_NS)}


def test_admin_1_ban_301_with_reason_banned_removed():
    with MUC() as m:
        room4(m)
        admin_set(m, A, "<item jid='bob@localhost' affiliation='admin'/>", id_='a1')
        got = admin_set(m, B, "<item jid='carol@example.net' affiliation='outcast'><reason>troll</reason></item>")
        assert got[0].get('to') == C and got[0].get('type') == 'unavailable', describe(got)
        assert codes(got[0]) == {301, 110}
        assert item(got[0]).get('affiliation') == 'outcast' and item(got[0]).get('role') == 'none'
        assert actor_reason(got[0]) == ('bob', 'troll')
        assert got[1].get('type') == 'result' and got[1].get('to') == B, describe(got)
        rest = got[2:]
        assert sorted(s.get('to') for s in rest) == sorted([A, B, D]), describe(got)
        assert all(codes(s) == {301} and s.get('from') == occ('r', 'carol') for s in rest)
        # no message to the banned user beyond the presence (she was present: no 101)
        assert not [s for s in got if is_message(s)], describe(got)
        assert_error(m.join(C, 'r', 'carol'), C, 'auth', 'forbidden')


def test_admin_1_participant_cannot_ban_forbidden():
    with MUC() as m:
        room4(m)
        assert_error(admin_set(m, B, "<item jid='carol@example.net' affiliation='outcast'/>"),
                     B, 'auth', 'forbidden')


def test_admin_1_ban_by_nick_stores_the_bare_jid():
    with MUC() as m:
        room4(m)
        admin_set(m, A, "<item nick='dave' affiliation='outcast'/>")
        res = admin_get(m, A, "affiliation='outcast'")
        assert listed(res) == {('dave@localhost', 'outcast')}, tostring(res)


def test_admin_2_ban_list_with_reasons_and_modify_in_one_iq():
    with MUC() as m:
        room4(m)
        got = admin_set(m, A, "<item jid='eve@localhost' affiliation='outcast'><reason>spam</reason></item>"
                              "<item jid='evil.example' affiliation='outcast'/>"
                              "<item jid='dave@localhost' affiliation='outcast'><reason>x</reason></item>")
        assert len(iq_answers(got)) == 1 and iq_answers(got)[0].get('type') == 'result'
        res = admin_get(m, A, "affiliation='outcast'")
        assert listed(res) == {('eve@localhost', 'outcast'), ('evil.example', 'outcast'),
                               ('dave@localhost', 'outcast')}, tostring(res)
        reasons = {i.get('jid'): i.findtext('{%s}reason' % ADMIN_NS) for i in res.iter('{%s}item' % ADMIN_NS)}
        assert reasons == {'eve@localhost': 'spam', 'evil.example': None, 'dave@localhost': 'x'}
        assert_error(m.join('z@evil.example/q', 'r', 'z'), 'z@evil.example/q', 'auth', 'forbidden')
        # unban two at once
        admin_set(m, A, "<item jid='eve@localhost' affiliation='none'/><item jid='evil.example' affiliation='none'/>")
        assert listed(admin_get(m, A, "affiliation='outcast'")) == {('dave@localhost', 'outcast')}
        assert cond(admin_get(m, B, "affiliation='outcast'")) == ('auth', 'forbidden')


def test_admin_3_grant_revoke_membership_and_member_list():
    with MUC() as m:
        room4(m)
        got = admin_set(m, A, "<item jid='bob@localhost' affiliation='member'/>")
        pres = [s for s in got if is_presence(s)]
        assert sorted(s.get('to') for s in pres) == sorted([A, B, C, D]), describe(got)
        assert all(item(s).get('affiliation') == 'member' and item(s).get('role') == 'participant' for s in pres)
        assert listed(admin_get(m, A, "affiliation='member'")) == {('bob@localhost', 'member')}
        got = admin_set(m, A, "<item jid='bob@localhost' affiliation='none'/>")
        pres = [s for s in got if is_presence(s)]
        assert len(pres) == 4 and all(item(s).get('affiliation') == 'none' for s in pres), describe(got)
        assert listed(admin_get(m, A, "affiliation='member'")) == set()


def test_admin_3_members_only_revoking_membership_removes_with_321():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        admin_set(m, A, "<item jid='bob@localhost' affiliation='member'/><item jid='carol@example.net' affiliation='member'/>")
        m.configure(A, 'r', {'membersonly': 1})
        m.collect()
        m.join(B, 'r', 'bob')
        m.join(C, 'r', 'carol')
        got = admin_set(m, A, "<item jid='bob@localhost' affiliation='none'><reason>bye</reason></item>")
        assert got[0].get('to') == B and codes(got[0]) == {321, 110}, describe(got)
        assert item(got[0]).get('affiliation') == 'none' and item(got[0]).get('role') == 'none'
        assert got[1].get('type') == 'result'
        rest = got[2:]
        assert sorted(s.get('to') for s in rest) == sorted([A, C]) and all(codes(s) == {321} for s in rest), describe(got)
        assert_error(m.join(B, 'r', 'bob'), B, 'auth', 'registration-required')


def test_admin_4_grant_revoke_moderator_and_moderator_list():
    with MUC() as m:
        room4(m)
        got = admin_set(m, A, "<item nick='bob' role='moderator'/>")
        pres = [s for s in got if is_presence(s)]
        assert len(pres) == 4 and all(item(s).get('role') == 'moderator' for s in pres)
        res = admin_get(m, A, "role='moderator'")
        assert {i.get('nick') for i in res.iter('{%s}item' % ADMIN_NS)} == {'alice', 'bob'}
        # a moderator who is not an admin may neither list nor name moderators
        assert cond(admin_get(m, B, "role='moderator'")) == ('auth', 'forbidden')
        assert_error(admin_set(m, B, "<item nick='carol' role='moderator'/>"), B, 'auth', 'forbidden')
        got = admin_set(m, A, "<item nick='bob' role='participant'/>")
        assert all(item(s).get('role') == 'participant' for s in got if is_presence(s))
        assert len([s for s in got if is_presence(s)]) == 4


def test_admin_5_absent_user_stored_announced_and_told_101():
    with MUC() as m:
        room4(m, {'whois': 'anyone'})
        got = admin_set(m, A, "<item jid='zoe@localhost' affiliation='member'><reason>welcome</reason></item>")
        assert got[0].get('type') == 'result', describe(got)
        msgs = got[1:]
        room_notes = [s for s in msgs if s.get('to') != 'zoe@localhost']
        assert sorted(s.get('to') for s in room_notes) == sorted([A, B, C, D]), describe(got)
        for s in room_notes:
            assert is_message(s) and s.get('from') == room_jid('r')
            assert item(s).get('jid') == 'zoe@localhost' and item(s).get('affiliation') == 'member'
            assert 101 not in codes(s)
        told = [s for s in msgs if s.get('to') == 'zoe@localhost']
        assert len(told) == 1 and is_message(told[0]) and codes(told[0]) == {101}, describe(got)
        assert item(told[0]).get('affiliation') == 'member'
        assert listed(admin_get(m, A, "affiliation='member'")) == {('zoe@localhost', 'member')}


def test_admin_5_semianonymous_room_announces_to_moderators_only():
    with MUC() as m:
        room4(m)
        got = admin_set(m, A, "<item jid='zoe@localhost' affiliation='outcast'/>")
        notes = [s for s in got if is_message(s) and s.get('to') != 'zoe@localhost']
        assert [s.get('to') for s in notes] == [A], describe(got)


def test_admin_6_admin_cannot_change_owner_or_admin():
    with MUC() as m:
        room4(m)
        admin_set(m, A, "<item jid='bob@localhost' affiliation='admin'/><item jid='carol@example.net' affiliation='admin'/>")
        for target, aff in (('alice@localhost', 'member'), ('alice@localhost', 'none'),
                            ('alice@localhost', 'outcast'), ('carol@example.net', 'member'),
                            ('carol@example.net', 'none'), ('carol@example.net', 'outcast')):
            got = admin_set(m, B, "<item jid='%s' affiliation='%s'/>" % (target, aff))
            assert_error(got, B, 'cancel', 'not-allowed')
        # nor grant admin or owner
        assert_error(admin_set(m, B, "<item jid='dave@localhost' affiliation='admin'/>"), B, 'auth', 'forbidden')
        assert_error(admin_set(m, B, "<item jid='dave@localhost' affiliation='owner'/>"), B, 'auth', 'forbidden')
        res = admin_get(m, A, "affiliation='owner'")
        assert listed(res) == {('alice@localhost', 'owner')}


def test_admin_6_last_owner_cannot_be_removed_conflict():
    with MUC() as m:
        room4(m)
        assert_error(admin_set(m, A, "<item jid='alice@localhost' affiliation='admin'/>"), A, 'cancel', 'conflict')
        # with a second owner named in the same request it is fine
        got = admin_set(m, A, "<item jid='bob@localhost' affiliation='owner'/><item jid='alice@localhost' affiliation='admin'/>")
        assert iq_answers(got)[0].get('type') == 'result', describe(got)
        assert listed(admin_get(m, B, "affiliation='owner'")) == {('bob@localhost', 'owner')}
        assert_error(admin_set(m, B, "<item jid='bob@localhost' affiliation='none'/>"), B, 'cancel', 'conflict')


def sqlite_room(tmp):
    db = sqlite3.connect(os.path.join(tmp, 'spool', 'palaver.db'))
    rid = db.execute("SELECT id FROM rooms WHERE name='r'").fetchone()[0]
    return db, rid


def test_admin_stored_before_result_and_backend_failure_changes_nothing():
    tmp = tempfile.mkdtemp(prefix='palaver-muc-admin-')
    try:
        with MUC(backend='sqlite', tmpdir=tmp) as m:
            m.create(A, 'r', 'alice', {'persistentroom': 1})
            m.join(B, 'r', 'bob')
            m.join(C, 'r', 'carol')
            got = admin_set(m, A, "<item jid='dave@localhost' affiliation='outcast'><reason>r1</reason></item>")
            assert got[0].get('type') == 'result'
            db, rid = sqlite_room(tmp)
            rows = db.execute("SELECT jid, affiliation, reason FROM affiliations WHERE room_id=?", (rid,)).fetchall()
            assert ('dave@localhost', 'outcast', 'r1') in rows, rows
            for ev in ('INSERT', 'UPDATE', 'DELETE'):
                db.execute("CREATE TRIGGER fail_%s BEFORE %s ON affiliations BEGIN "
                           "SELECT RAISE(ABORT, 'disk on fire'); END" % (ev.lower(), ev))
            db.commit()
            got = admin_set(m, A, "<item jid='bob@localhost' affiliation='member'/>"
                                  "<item jid='carol@example.net' affiliation='outcast'/>")
            assert_error(got, A, 'wait', 'internal-server-error')
            # nothing changed in memory either
            assert listed(admin_get(m, A, "affiliation='outcast'")) == {('dave@localhost', 'outcast')}
            assert listed(admin_get(m, A, "affiliation='member'")) == set()
            # role changes are not stored: still fine
            got = admin_set(m, A, "<item nick='bob' role='visitor'/>")
            assert iq_answers(got)[0].get('type') == 'result', describe(got)
            for ev in ('insert', 'update', 'delete'):
                db.execute("DROP TRIGGER fail_%s" % ev)
            db.commit()
            db.close()
        with MUC(backend='sqlite', tmpdir=tmp) as m:
            res = admin_get(m, A, "affiliation='outcast'")
            assert listed(res) == {('dave@localhost', 'outcast')}, tostring(res)
            assert res.find('.//{%s}reason' % ADMIN_NS).text == 'r1', 'the reason survives a restart'
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


run(globals())
