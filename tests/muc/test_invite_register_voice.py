"""muc-core: invitations, registration and voice requests (XEP-0045 §7.8, 7.10-7.13): INV-*, REG-*, VOICE-1."""

import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mucutil import (MUC, NS, DOMAIN, occ, room_jid, to, is_presence, is_message, item, codes,  # noqa: E402
                     describe, assert_error, tostring, cond, body_of)
from fakerouter import Router  # noqa: E402
from taptest import run  # noqa: E402

A, B, C = 'alice@localhost/pc', 'bob@localhost/phone', 'carol@example.net/x'
U = '{%s}' % NS['muc_user']
DATA = '{jabber:x:data}'


def invite(m, frm, invites, room='r'):
    m.send("<message from='%s' to='%s'><x xmlns='%s'>%s</x></message>"
           % (frm, room_jid(room), NS['muc_user'], invites))
    return m.collect()


def test_inv_1_mediated_invitation_all_invites_honoured():
    with MUC() as m:
        m.create(A, 'r', 'alice', {'allowinvites': 1, 'passwordprotectedroom': 1, 'roomsecret': 'pw'})
        got = invite(m, A, "<invite to='bob@localhost'><reason>Come!</reason><continue thread='t1'/></invite>"
                           "<invite to='%s'/>" % C)
        assert sorted(s.get('to') for s in got) == sorted(['bob@localhost', C]), describe(got)
        for s in got:
            assert s.get('from') == room_jid('r') and is_message(s)
            inv = s.find(U + 'x/' + U + 'invite')
            assert inv is not None and inv.get('from') == A, describe(got)
            assert s.find(U + 'x/' + U + 'password').text == 'pw'
            assert body_of(s)
        first = to(got, 'bob@localhost')[0].find(U + 'x/' + U + 'invite')
        assert first.find(U + 'reason').text == 'Come!'
        assert first.find(U + 'continue').get('thread') == 't1'


def test_inv_1_allowinvites_enforced():
    with MUC() as m:
        m.create(A, 'r', 'alice')     # allowinvites off by default: moderators only
        m.join(B, 'r', 'bob')
        got = invite(m, B, "<invite to='%s'/>" % C)
        assert_error(got, B, 'auth', 'forbidden', frm=room_jid('r'))
        got = invite(m, 'eve@localhost/e', "<invite to='%s'/>" % C)
        assert_error(got, 'eve@localhost/e', 'modify', 'not-acceptable', frm=room_jid('r'))
        got = invite(m, A, "<invite to='%s'/>" % C)
        assert [s.get('to') for s in got] == [C], describe(got)


def test_inv_1_bad_invitee_jid():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        got = invite(m, A, "<invite to='@bad@jid@'/>")
        assert_error(got, A, 'modify', 'jid-malformed', frm=room_jid('r'))


def test_inv_1_members_only_invitee_becomes_member():
    with MUC() as m:
        m.create(A, 'r', 'alice', {'membersonly': 1})
        assert_error(m.join(C, 'r', 'carol'), C, 'auth', 'registration-required')
        invite(m, A, "<invite to='carol@example.net'/>")
        got = m.join(C, 'r', 'carol')
        own = [s for s in to(got, C) if is_presence(s)][-1]
        assert 110 in codes(own) and item(own).get('affiliation') == 'member', describe(got)


def test_inv_2_decline_forwarded_to_inviter():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        m.send("<message from='%s' to='%s'><x xmlns='%s'><decline to='%s'><reason>Busy</reason></decline></x></message>"
               % (C, room_jid('r'), NS['muc_user'], A))
        got = m.collect()
        assert len(got) == 1 and got[0].get('to') == A and got[0].get('from') == room_jid('r'), describe(got)
        d = got[0].find(U + 'x/' + U + 'decline')
        assert d.get('from') == 'carol@example.net' and d.find(U + 'reason').text == 'Busy'


def reg_get(m, who):
    return m.iq(who, room_jid('r'), 'get', "<query xmlns='jabber:iq:register'/>", id_='rg')


def reg_set(m, who, nick):
    return m.iq(who, room_jid('r'), 'set',
                "<query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'>"
                "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field>"
                "<field var='muc#register_roomnick'><value>%s</value></field></x></query>" % nick, id_='rs')


def test_reg_1_form_and_submit_makes_member():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        res = reg_get(m, B)
        form = res.find('{jabber:iq:register}query/' + DATA + 'x')
        assert form is not None and form.get('type') == 'form', tostring(res)
        vars_ = [f.get('var') for f in form.findall(DATA + 'field')]
        assert 'muc#register_roomnick' in vars_ and 'FORM_TYPE' in vars_
        res = reg_set(m, B, 'bobby')
        assert res.get('type') == 'result', tostring(res)
        res = reg_get(m, B)
        q = res.find('{jabber:iq:register}query')
        assert q.find('{jabber:iq:register}registered') is not None
        assert q.find('{jabber:iq:register}username').text == 'bobby'
        got = m.join(B, 'r', 'bobby')
        own = [s for s in to(got, B) if is_presence(s)][-1]
        assert item(own).get('affiliation') == 'member', describe(got)


def test_reg_1_occupant_registering_is_announced_as_member():
    with MUC() as m:
        m.create(A, 'r', 'alice', {'moderatedroom': 1})
        m.join(B, 'r', 'bob')
        m.send("<iq type='set' id='rs' from='%s' to='%s'><query xmlns='jabber:iq:register'>"
               "<x xmlns='jabber:x:data' type='submit'><field var='muc#register_roomnick'>"
               "<value>bob</value></field></x></query></iq>" % (B, room_jid('r')))
        got = m.collect()
        res = [s for s in got if s.get('id') == 'rs']
        assert len(res) == 1 and res[0].get('type') == 'result', describe(got)
        pres = [s for s in got if is_presence(s)]
        assert sorted(s.get('to') for s in pres) == sorted([A, B]), describe(got)
        for s in pres:
            assert s.get('from') == occ('r', 'bob')
            assert (item(s).get('affiliation'), item(s).get('role')) == ('member', 'participant'), describe(got)
        assert 110 in codes(to(pres, B)[0]) and 110 not in codes(to(pres, A)[0])


def test_reg_2_reserved_nick_and_roomuser_item():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        reg_set(m, B, 'bobby')
        res = reg_set(m, C, 'Bobby')
        assert cond(res) == ('cancel', 'conflict'), tostring(res)
        assert_error(m.join(C, 'r', 'bobby'), C, 'cancel', 'conflict')
        res = m.iq(B, room_jid('r'), 'get', "<query xmlns='%s' node='x-roomuser-item'/>" % NS['disco_info'])
        ident = res.find('.//{%s}identity' % NS['disco_info'])
        assert ident is not None and ident.get('name') == 'bobby', tostring(res)
        res = m.iq(C, room_jid('r'), 'get', "<query xmlns='%s' node='x-roomuser-item'/>" % NS['disco_info'], id_='x2')
        assert res.get('type') == 'result' and res.find('.//{%s}identity' % NS['disco_info']) is None


def test_reg_3_unregister_removes_nick_and_membership():
    with MUC() as m:
        m.create(A, 'r', 'alice', {'membersonly': 1})
        reg_set(m, B, 'bobby')
        res = m.iq(B, room_jid('r'), 'set', "<query xmlns='jabber:iq:register'><remove/></query>", id_='rm')
        assert res.get('type') == 'result', tostring(res)
        assert_error(m.join(B, 'r', 'bobby'), B, 'auth', 'registration-required')
        got = m.join(A, 'r', 'bobby')   # the nick is free again (alice's second nick)
        assert 110 in codes([s for s in to(got, A) if is_presence(s)][-1]), describe(got)


def unregister(m, who):
    m.send("<iq type='set' id='rm' from='%s' to='%s'><query xmlns='jabber:iq:register'><remove/></query></iq>"
           % (who, room_jid('r')))
    return m.collect()


def test_reg_3_unregister_in_members_only_room_removes_the_occupant():
    # as when an admin revokes membership (XEP-0045 §9.4): 321, with 110 to itself
    with MUC() as m:
        m.create(A, 'r', 'alice', {'membersonly': 1})
        reg_set(m, B, 'bob')
        reg_set(m, C, 'carol')
        m.join(B, 'r', 'bob')
        m.join(C, 'r', 'carol')
        got = unregister(m, B)
        res = [s for s in got if s.get('id') == 'rm']
        assert len(res) == 1 and res[0].get('type') == 'result' and res[0].get('to') == B, describe(got)
        pres = [s for s in got if is_presence(s)]
        assert sorted(s.get('to') for s in pres) == sorted([A, B, C]), describe(got)
        for s in pres:
            assert s.get('from') == occ('r', 'bob') and s.get('type') == 'unavailable', describe(got)
            assert (item(s).get('affiliation'), item(s).get('role')) == ('none', 'none'), describe(got)
        assert codes(to(pres, B)[0]) == {110, 321}, describe(got)
        assert codes(to(pres, A)[0]) == {321} and codes(to(pres, C)[0]) == {321}, describe(got)
        assert got.index(to(pres, B)[0]) < got.index(res[0]), 'told before the result: ' + describe(got)
        # bob is gone: nothing reaches him, and he may not come back
        got = m.groupchat(A, 'r', 'still here?')
        assert sorted(s.get('to') for s in got) == sorted([A, C]), describe(got)
        assert_error(m.join(B, 'r', 'bob'), B, 'auth', 'registration-required')


def test_reg_3_unregister_in_open_room_keeps_the_occupant():
    with MUC() as m:
        m.create(A, 'r', 'alice', {'moderatedroom': 1})
        reg_set(m, B, 'bob')
        got = m.join(B, 'r', 'bob')
        own = [s for s in to(got, B) if is_presence(s)][-1]
        assert (item(own).get('affiliation'), item(own).get('role')) == ('member', 'participant'), describe(got)
        got = unregister(m, B)
        res = [s for s in got if s.get('id') == 'rm']
        assert len(res) == 1 and res[0].get('type') == 'result', describe(got)
        pres = [s for s in got if is_presence(s)]
        assert sorted(s.get('to') for s in pres) == sorted([A, B]), describe(got)
        for s in pres:
            assert s.get('from') == occ('r', 'bob') and s.get('type') is None, describe(got)
            # no longer a member: the role a moderated room gives non-members
            assert (item(s).get('affiliation'), item(s).get('role')) == ('none', 'visitor'), describe(got)
            assert 321 not in codes(s)
        assert 110 in codes(to(pres, B)[0]) and 110 not in codes(to(pres, A)[0])
        got = m.groupchat(A, 'r', 'still here?')
        assert sorted(s.get('to') for s in got) == sorted([A, B]), describe(got)


APPROVAL = 'x-palaver#registration_approval'


def approval_submit(m, frm, jid, allow, quiet=None):
    m.send("<message from='%s' to='%s'><x xmlns='jabber:x:data' type='submit'>"
           "<field var='FORM_TYPE'><value>%s</value></field>"
           "<field var='muc#jid'><value>%s</value></field>"
           "<field var='muc#register_allow'><value>%s</value></field></x></message>"
           % (frm, room_jid('r'), 'http://jabber.org/protocol/muc#register', jid, allow))
    return m.collect(quiet) if quiet else m.collect()


def test_reg_1_approval_request_reaches_admins_and_approval_registers():
    with MUC() as m:
        m.create(A, 'r', 'alice', {APPROVAL: 1})
        ok = m.iq(A, room_jid('r'), 'set', "<query xmlns='%s'><item affiliation='admin' "
                  "jid='dora@localhost'/></query>" % NS['muc_admin'], id_='adm')
        assert ok.get('type') == 'result', tostring(ok)
        m.collect()
        m.send("<iq type='set' id='rs' from='%s' to='%s'><query xmlns='jabber:iq:register'>"
               "<x xmlns='jabber:x:data' type='submit'><field var='muc#register_roomnick'>"
               "<value>bobby</value></field></x></query></iq>" % (B, room_jid('r')))
        got = m.collect()
        res = [s for s in got if s.get('id') == 'rs']
        assert len(res) == 1 and res[0].get('type') == 'result', describe(got)
        asked = [s for s in got if is_message(s)]
        assert sorted(s.get('to') for s in asked) == ['alice@localhost', 'dora@localhost'], \
            describe(got)
        form = asked[0].find(DATA + 'x')
        assert form is not None and form.get('type') == 'form', describe(asked)
        f = {x.get('var'): (x.find(DATA + 'value').text if x.find(DATA + 'value') is not None
                            else None) for x in form.findall(DATA + 'field')}
        assert f['FORM_TYPE'] == 'http://jabber.org/protocol/muc#register', f
        assert f['muc#register_roomnick'] == 'bobby' and f['muc#jid'] == 'bob@localhost', f
        assert 'muc#register_allow' in f, f
        # not registered yet: the nick is free, bob is no member
        q = reg_get(m, B).find('{jabber:iq:register}query')
        assert q.find('{jabber:iq:register}registered') is None
        # a non-admin cannot approve
        got = approval_submit(m, C, 'bob@localhost', 'true')
        assert_error(got, C, 'auth', 'forbidden')
        got = approval_submit(m, A, 'bob@localhost', 'true')
        told = [s for s in got if s.get('to') == 'bob@localhost']
        assert told and 'approved' in body_of(told[0]), describe(got)
        q = reg_get(m, B).find('{jabber:iq:register}query')
        assert q.find('{jabber:iq:register}username').text == 'bobby'
        got = m.join(B, 'r', 'bobby')
        own = [s for s in to(got, B) if is_presence(s)][-1]
        assert item(own).get('affiliation') == 'member', describe(got)
        # the request is settled: approving again finds nothing pending
        got = approval_submit(m, A, 'bob@localhost', 'true')
        assert_error(got, A, 'cancel', 'item-not-found')


def test_reg_1_denied_registration_tells_the_requester():
    with MUC() as m:
        m.create(A, 'r', 'alice', {APPROVAL: 1})
        res = reg_set(m, B, 'bobby')
        assert res.get('type') == 'result', tostring(res)
        m.collect()
        got = approval_submit(m, A, 'bob@localhost', 'false')
        told = [s for s in got if s.get('to') == 'bob@localhost']
        assert told and 'denied' in body_of(told[0]), describe(got)
        q = reg_get(m, B).find('{jabber:iq:register}query')
        assert q.find('{jabber:iq:register}registered') is None
        got = m.iq(A, room_jid('r'), 'get', "<query xmlns='%s'><item affiliation='member'/></query>"
                   % NS['muc_admin'], id_='ml')
        assert 'bob@localhost' not in tostring(got), tostring(got)


# Answers that wait for several stored writes (sqlite syncs each) come later
# than collect()'s usual quiet time on a slow or busy machine.
STORED = 1.5


def pending_survives_restart(backend):
    """A request waiting for approval is stored: after a restart the admin
    can still approve it; an answered request is gone from storage too."""
    tmp = tempfile.mkdtemp(prefix='palaver-reg-pending-')
    keep = '<keep-occupants>no</keep-occupants>'
    try:
        with MUC(backend=backend, tmpdir=tmp, muc_config=keep) as m:
            m.create(A, 'r', 'alice', {APPROVAL: 1, 'persistentroom': 1})
            for who, nick in ((B, 'bobby'), (C, 'caro')):
                res = reg_set(m, who, nick)
                assert res.get('type') == 'result', tostring(res)
                m.collect()
        with MUC(backend=backend, tmpdir=tmp, muc_config=keep) as m:
            # the key that stores requests is no room option anyone sees
            form = m.iq(A, room_jid('r'), 'get', "<query xmlns='%s'/>" % NS['muc_owner'],
                        id_='f')
            assert 'registration_pending' not in tostring(form), tostring(form)
            got = approval_submit(m, A, 'bob@localhost', 'true', quiet=STORED)
            told = [s for s in got if s.get('to') == 'bob@localhost']
            assert told and 'approved' in body_of(told[0]), describe(got)
            got = approval_submit(m, A, 'carol@example.net', 'false', quiet=STORED)
            told = [s for s in got if s.get('to') == 'carol@example.net']
            assert told and 'denied' in body_of(told[0]), describe(got)
        with MUC(backend=backend, tmpdir=tmp, muc_config=keep) as m:
            for jid in ('bob@localhost', 'carol@example.net'):
                got = approval_submit(m, A, jid, 'true', quiet=STORED)
                assert_error(got, A, 'cancel', 'item-not-found')
            q = reg_get(m, B).find('{jabber:iq:register}query')
            assert q.find('{jabber:iq:register}username').text == 'bobby', tostring(q)
            q = reg_get(m, C).find('{jabber:iq:register}query')
            assert q.find('{jabber:iq:register}registered') is None, tostring(q)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_reg_1_pending_request_survives_restart_sqlite():
    pending_survives_restart('sqlite')


def test_reg_1_pending_request_survives_restart_spool():
    pending_survives_restart('spool')


class _ApprovalOff(Router):
    """The daemon's config with <registration-approval enabled='false'/> in <plugins>."""

    def config_xml(self):
        xml = super().config_xml()
        assert '<registration-approval></registration-approval>' in xml, xml
        return xml.replace('<registration-approval></registration-approval>',
                           "<registration-approval enabled='false'/>")


def owner_form_values(m):
    res = m.iq(A, room_jid('r'), 'get', "<query xmlns='%s'/>" % NS['muc_owner'], id_='f')
    assert res.get('type') == 'result', tostring(res)
    return {f.get('var'): f.findtext(DATA + 'value') for f in res.iter(DATA + 'field')}


def test_reg_1_approval_refused_when_turned_off():
    """registration-approval is muc-core's companion: with
    <registration-approval enabled='false'/> a registration in a room that
    requires approval is refused (service-unavailable) rather than made
    without approval or kept where nobody sees it, and so is an admin's
    approval form. The room's setting and the
    requests stored before stay, also through a store of the room
    meanwhile, and are answered once it is turned on again."""
    tmp = tempfile.mkdtemp(prefix='palaver-reg-off-')
    keep = '<keep-occupants>no</keep-occupants>'
    try:
        with MUC(backend='sqlite', tmpdir=tmp, muc_config=keep) as m:
            m.create(A, 'r', 'alice', {APPROVAL: 1, 'persistentroom': 1})
            res = reg_set(m, B, 'bobby')
            assert res.get('type') == 'result', tostring(res)
            m.collect(STORED)
        m = MUC.__new__(MUC)
        m.r = _ApprovalOff(domain=DOMAIN, backend='sqlite', tmpdir=tmp,
                           plugins=['muc-core', 'registration-approval'],
                           plugin_config={'muc-core': keep})
        with m:
            assert owner_form_values(m)[APPROVAL] == '1'
            res = reg_set(m, C, 'caro')
            got = m.collect()
            assert (res.get('type'), cond(res)) == ('error', ('cancel', 'service-unavailable')), \
                tostring(res)
            assert not [s for s in got if is_message(s)], 'nobody is asked: ' + describe(got)
            q = reg_get(m, C).find('{jabber:iq:register}query')
            assert q.find('{jabber:iq:register}registered') is None, tostring(q)
            got = approval_submit(m, A, 'bob@localhost', 'true')
            assert_error(got, A, 'cancel', 'service-unavailable')
            # the room is stored again while nobody takes approvals
            res = m.configure(A, 'r', {'roomname': 'Still waiting'})
            assert res.get('type') == 'result', tostring(res)
            m.collect(STORED)
            q = reg_get(m, B).find('{jabber:iq:register}query')
            assert q.find('{jabber:iq:register}registered') is None, tostring(q)
        with MUC(backend='sqlite', tmpdir=tmp, muc_config=keep) as m:
            got = approval_submit(m, A, 'carol@example.net', 'true', quiet=STORED)
            assert_error(got, A, 'cancel', 'item-not-found')
            got = approval_submit(m, A, 'bob@localhost', 'true', quiet=STORED)
            told = [s for s in got if s.get('to') == 'bob@localhost']
            assert told and 'approved' in body_of(told[0]), describe(got)
            q = reg_get(m, B).find('{jabber:iq:register}query')
            assert q.find('{jabber:iq:register}username').text == 'bobby', tostring(q)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_reg_1_without_approval_members_are_admitted_at_once():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        res = reg_set(m, B, 'bobby')
        assert res.get('type') == 'result', tostring(res)
        got = m.collect()
        assert not [s for s in got if is_message(s)], describe(got)
        q = reg_get(m, B).find('{jabber:iq:register}query')
        assert q.find('{jabber:iq:register}username').text == 'bobby'


def voice_form(extra_fields='', type_='submit'):
    return ("<x xmlns='jabber:x:data' type='%s'><field var='FORM_TYPE'><value>%s</value></field>"
            "<field var='muc#role'><value>participant</value></field>%s</x>" % (type_, NS['muc_request'], extra_fields))


def test_voice_1_request_reaches_moderators_and_approval_grants():
    with MUC() as m:
        m.create(A, 'r', 'alice', {'moderatedroom': 1})
        m.join('mod2@localhost/m', 'r', 'alice2')   # not a moderator: a visitor
        m.join(B, 'r', 'bob')
        m.send("<message from='%s' to='%s'>%s</message>" % (B, room_jid('r'), voice_form()))
        got = m.collect()
        assert [s.get('to') for s in got] == [A], 'only moderators: ' + describe(got)
        form = got[0].find(DATA + 'x')
        f = {x.get('var'): (x.find(DATA + 'value').text if x.find(DATA + 'value') is not None else None)
             for x in form.findall(DATA + 'field')}
        assert f['FORM_TYPE'] == NS['muc_request'] and f['muc#roomnick'] == 'bob', f
        assert f['muc#request_allow'] == 'false'
        m.send("<message from='%s' to='%s'>%s</message>" % (A, room_jid('r'), voice_form(
            "<field var='muc#roomnick'><value>bob</value></field>"
            "<field var='muc#request_allow'><value>true</value></field>")))
        got = m.collect()
        bobs = [s for s in got if s.get('from') == occ('r', 'bob')]
        assert sorted(s.get('to') for s in bobs) == sorted([A, 'mod2@localhost/m', B]), describe(got)
        assert all(item(s).get('role') == 'participant' for s in bobs)
        assert 110 in codes(to(bobs, B)[0])
        got = m.groupchat(B, 'r', 'I can speak')
        assert len(got) == 3, describe(got)


class _VoiceRequestsOff(Router):
    """The daemon's config with <voice-requests enabled='false'/> in <plugins>."""

    def config_xml(self):
        xml = super().config_xml()
        assert '<voice-requests></voice-requests>' in xml, xml
        return xml.replace('<voice-requests></voice-requests>', "<voice-requests enabled='false'/>")


def room_features(m):
    res = m.iq(A, room_jid('r'), 'get', "<query xmlns='%s'/>" % NS['disco_info'], id_='info')
    return {f.get('var') for f in res.iter('{%s}feature' % NS['disco_info'])}


def request_voice(m, answer=None):
    """bob (a visitor) asks for voice: the stanzas alice's sessions get
    (bob's go to the list `answer` when one is given)."""
    m.join(A, 'r', 'alice')
    m.join(B, 'r', 'bob')
    m.send("<message from='%s' to='%s'>%s</message>" % (B, room_jid('r'), voice_form()))
    all_got = m.collect()
    got = to(all_got, A)
    if answer is not None:
        answer.extend(to(all_got, B))
    m.leave(B, 'r', 'bob')
    m.leave(A, 'r', 'alice')
    return got


def test_voice_1_absent_when_turned_off():
    """voice-requests is muc-core's companion: with <voice-requests
    enabled='false'/> rooms do not advertise muc#request and a request
    reaches no moderator: the sender gets service-unavailable; the room's
    setting stays and requests work again when it is turned on."""
    tmp = tempfile.mkdtemp(prefix='palaver-voice-off-')
    try:
        with MUC(backend='sqlite', tmpdir=tmp) as m:
            m.create(A, 'r', 'alice', {'moderatedroom': 1, 'persistentroom': 1})
            assert NS['muc_request'] in room_features(m)
            got = request_voice(m)
            assert [s for s in got if is_message(s)], 'the request reaches alice: ' + describe(got)
        m = MUC.__new__(MUC)
        m.r = _VoiceRequestsOff(domain=DOMAIN, backend='sqlite',
                                plugins=['muc-core', 'voice-requests'], tmpdir=tmp)
        with m:
            assert NS['muc_request'] not in room_features(m)
            answer = []
            got = request_voice(m, answer)
            assert not [s for s in got if is_message(s)], 'no request form: ' + describe(got)
            errors = [s for s in answer if is_message(s) and s.get('type') == 'error']
            assert len(errors) == 1, 'the sender is told: ' + describe(answer)
            assert cond(errors[0]) == ('cancel', 'service-unavailable'), describe(answer)
        with MUC(backend='sqlite', tmpdir=tmp) as m:
            assert NS['muc_request'] in room_features(m)
            got = request_voice(m)
            forms = [s.find(DATA + 'x') for s in got if is_message(s)]
            assert forms and forms[0] is not None, describe(got)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


run(globals())
