"""A failing storage backend never crashes the daemon and never loses a
change silently: the request that needed the store gets
internal-server-error (or resource-constraint), the log says what failed,
and once the store works again the state is what it was before.

Uses tests/backends/failstore (the memory backend, whose writes fail while
a marker file exists).
"""

import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from backendutil import (StoreMUC, BackendRouter, DOMAIN, OWNER, OWNER_OTHER, room_jid,  # noqa: E402
                         config_values, aff_list, registered_nick, register_payload,
                         admin_payload, room_name, error_condition, tostring, run)

STORE_ERRORS = {('wait', 'internal-server-error'), ('wait', 'resource-constraint')}


class Failing:
    """The daemon on failstore, with a persistent room 'r' owned by alice,
    bob a member registered as 'bobby', eve banned."""

    def __init__(self, plugins=None):
        self.tmp = tempfile.mkdtemp(prefix='palaver-failstore-')
        self.marker = os.path.join(self.tmp, 'fail-now')
        xml = ('<backend><type>failstore</type><failfile>%s</failfile></backend>'
               % self.marker)
        self.m = StoreMUC('failstore', backend_xml=xml, tmpdir=self.tmp, start=not plugins)
        if plugins:  # another plugin set (StoreMUC loads muc-core only)
            self.m.r = BackendRouter(xml, domain=DOMAIN, backend='failstore', plugins=plugins,
                                     tmpdir=self.tmp)
        m = self.m
        m.create(OWNER, 'r', 'alice', {'persistentroom': 1, 'roomname': 'Before',
                                       'membersonly': 0})
        res = m.iq(OWNER, room_jid('r'), 'set', admin_payload(
            "<item affiliation='outcast' jid='eve@localhost'><reason>spam</reason></item>"),
            id_='ban')
        assert res.get('type') == 'result', tostring(res)
        m.collect()
        res = m.iq('bob@localhost/b', room_jid('r'), 'set', register_payload('bobby'), id_='reg')
        assert res.get('type') == 'result', tostring(res)
        m.collect()

    def fail(self, on):
        if on:
            open(self.marker, 'w').close()
        elif os.path.exists(self.marker):
            os.unlink(self.marker)

    def alive(self):
        """The daemon still runs and answers."""
        assert self.m.r.proc.poll() is None, 'the daemon died:\n' + self.m.r.stderr()[-4000:]
        assert room_name(self.m, 'r') is not None, 'the daemon no longer answers'

    def intact(self):
        """Everything set up in __init__ is still there, unchanged."""
        cfg = config_values(self.m, 'r')
        assert cfg['muc#roomconfig_roomname'] == ['Before'], cfg['muc#roomconfig_roomname']
        assert cfg['muc#roomconfig_membersonly'] == ['0'], cfg['muc#roomconfig_membersonly']
        assert aff_list(self.m, 'r', 'outcast') == {'eve@localhost': 'spam'}
        assert aff_list(self.m, 'r', 'member') == {'bob@localhost': None}
        assert registered_nick(self.m, 'r', 'bob@localhost/b') == 'bobby'

    def logged(self, what):
        log = self.m.r.stderr()
        assert 'failstore' in log and what in log, \
            'the log does not say that %s failed:\n%s' % (what, log[-3000:])

    def close(self):
        self.fail(False)
        try:
            self.m.stop()
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)


def expect_store_error(res, what):
    assert res.get('type') == 'error', '%s was acknowledged although the store failed:\n%s' % (
        what, tostring(res))
    assert error_condition(res) in STORE_ERRORS, tostring(res)


def test_failstore_works_when_not_failing():
    f = Failing()
    try:
        f.intact()
    finally:
        f.close()


def test_affiliation_change_fails_with_internal_server_error():
    f = Failing()
    try:
        f.fail(True)
        res = f.m.iq(OWNER, room_jid('r'), 'set', admin_payload(
            "<item affiliation='member' jid='carol@localhost'/>"
            "<item affiliation='none' jid='eve@localhost'/>"), id_='aff')
        expect_store_error(res, 'the affiliation change')
        # nobody was told of a change that did not happen
        told = [s for s in f.m.collect() if s.get('to', '').startswith(('carol@', 'eve@'))]
        assert not told, '\n'.join(tostring(s) for s in told)
        f.logged('affs_set')
        f.alive()
        f.fail(False)
        f.intact()
        # and the store works again
        res = f.m.iq(OWNER_OTHER, room_jid('r'), 'set', admin_payload(
            "<item affiliation='member' jid='carol@localhost'/>"), id_='aff2')
        assert res.get('type') == 'result', tostring(res)
        assert 'carol@localhost' in aff_list(f.m, 'r', 'member')
    finally:
        f.close()


def test_config_change_fails_with_internal_server_error():
    f = Failing()
    try:
        f.fail(True)
        res = f.m.configure(OWNER, 'r', {'roomname': 'After', 'membersonly': 1})
        f.m.collect()
        expect_store_error(res, 'the configuration change')
        f.logged('room_put')
        f.alive()
        f.fail(False)
        f.intact()
    finally:
        f.close()


def test_registration_fails_with_internal_server_error():
    f = Failing()
    try:
        f.fail(True)
        res = f.m.iq('dave@localhost/d', room_jid('r'), 'set', register_payload('dave'),
                     id_='reg2')
        f.m.collect()
        expect_store_error(res, 'the registration')
        f.logged('reg_set')
        f.alive()
        f.fail(False)
        f.intact()
        assert registered_nick(f.m, 'r', 'dave@localhost/d') is None
        assert 'dave@localhost' not in aff_list(f.m, 'r', 'member')
    finally:
        f.close()


def test_registration_request_not_stored_is_refused_and_forgotten():
    f = Failing()
    try:
        res = f.m.configure(OWNER, 'r', {'x-palaver#registration_approval': 1})
        f.m.collect()
        assert res.get('type') == 'result', tostring(res)
        f.fail(True)
        res = f.m.iq('dave@localhost/d', room_jid('r'), 'set', register_payload('dave'),
                     id_='reg2')
        got = f.m.collect()
        expect_store_error(res, 'the registration request')
        asked = [s for s in got if s.tag.endswith('message')]
        assert not asked, 'admins were asked about a request that was not stored:\n' + \
            '\n'.join(tostring(s) for s in asked)
        f.logged('room_put')
        f.alive()
        f.fail(False)
        # nothing is pending: the admin's approval finds no request
        f.m.send("<message from='%s' to='%s'><x xmlns='jabber:x:data' type='submit'>"
                 "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value>"
                 "</field><field var='muc#jid'><value>dave@localhost</value></field>"
                 "<field var='muc#register_allow'><value>1</value></field></x></message>"
                 % (OWNER, room_jid('r')))
        got = f.m.collect()
        errors = [s for s in got if s.get('type') == 'error']
        assert errors and error_condition(errors[0]) == ('cancel', 'item-not-found'), \
            '\n'.join(tostring(s) for s in got)
        assert registered_nick(f.m, 'r', 'dave@localhost/d') is None
    finally:
        f.close()


def test_room_destruction_fails_and_keeps_the_room():
    f = Failing()
    try:
        f.fail(True)
        res = f.m.iq(OWNER, room_jid('r'), 'set',
                     "<query xmlns='http://jabber.org/protocol/muc#owner'><destroy/></query>",
                     id_='destroy')
        f.m.collect()
        expect_store_error(res, 'the destruction')
        f.logged('room_delete')
        f.alive()
        f.fail(False)
        f.intact()
    finally:
        f.close()


def test_failing_store_at_start_up_is_reported():
    # the failstore refuses a missing option: start-up stops with a message,
    # not a crash
    tmp = tempfile.mkdtemp(prefix='palaver-failstore-')
    try:
        try:
            StoreMUC('failstore', tmpdir=tmp)
        except AssertionError as e:
            assert 'failfile' in str(e) and 'exited with code 1' in str(e), str(e)[-2000:]
        else:
            raise AssertionError('the daemon started without <failfile>')
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_lazy_1_start_up_reads_no_room_list():
    # LAZY-1: start-up loads no room, so a backend that never answers
    # room_list does not hold the service back: it serves at once
    tmp = tempfile.mkdtemp(prefix='palaver-failstore-')
    try:
        xml = ('<backend><type>failstore</type><failfile>%s</failfile>'
               '<silent-list>true</silent-list></backend>' % os.path.join(tmp, 'fail-now'))
        m = StoreMUC('failstore', backend_xml=xml, tmpdir=tmp,
                     muc_config='<load-timeout>1</load-timeout>')
        try:
            got = m.join(OWNER, 'fresh', 'alice')
            assert any(s.get('to') == OWNER and s.find(
                './/{http://jabber.org/protocol/muc#user}status[@code="110"]') is not None
                for s in got), '\n'.join(tostring(s) for s in got)
            assert 'did not deliver' not in m.r.stderr()
        finally:
            m.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def subject_of(m, frm, nick):
    """The subject a new occupant is told when joining room 'r' (then leaves)."""
    got = m.join(frm, 'r', nick)
    subj = [s for s in got if s.get('to') == frm and s.find('{jabber:component:accept}subject') is not None]
    assert subj, 'no subject message on joining:\n' + '\n'.join(tostring(s) for s in got)
    m.leave(frm, 'r', nick)
    return subj[-1].find('{jabber:component:accept}subject').text or ''


def test_subject_change_fails_with_an_error_to_the_sender():
    f = Failing()
    try:
        f.m.join(OWNER, 'r', 'alice')
        f.fail(True)
        f.m.send("<message type='groupchat' id='s1' from='%s' to='%s'>"
                 "<subject>Never stored</subject></message>" % (OWNER, room_jid('r')))
        got = f.m.collect()
        errs = [s for s in got if s.get('to') == OWNER and s.get('type') == 'error']
        assert errs, 'the subject change was not refused:\n' + '\n'.join(tostring(s) for s in got)
        assert error_condition(errs[0]) in STORE_ERRORS, tostring(errs[0])
        told = [s for s in got if s.get('type') == 'groupchat']
        assert not told, 'a subject that was not stored was broadcast:\n' + \
            '\n'.join(tostring(s) for s in told)
        f.logged('room_put')
        f.alive()
        f.fail(False)
        assert subject_of(f.m, 'carol@localhost/c', 'carol') == ''
        # and once the store works the change goes through
        f.m.send("<message type='groupchat' id='s2' from='%s' to='%s'>"
                 "<subject>Stored</subject></message>" % (OWNER, room_jid('r')))
        got = f.m.collect()
        assert [s for s in got if s.get('to') == OWNER and s.get('type') == 'groupchat'], \
            '\n'.join(tostring(s) for s in got)
        assert subject_of(f.m, 'carol@localhost/c', 'carol') == 'Stored'
        f.intact()
    finally:
        f.close()


def test_members_only_invitation_fails_when_membership_is_not_stored():
    f = Failing()
    try:
        res = f.m.configure(OWNER, 'r', {'membersonly': 1})
        assert res.get('type') == 'result', tostring(res)
        f.m.join(OWNER, 'r', 'alice')
        f.fail(True)
        f.m.send("<message id='i1' from='%s' to='%s'><x xmlns='http://jabber.org/protocol/muc#user'>"
                 "<invite to='carol@localhost'/></x></message>" % (OWNER, room_jid('r')))
        got = f.m.collect()
        errs = [s for s in got if s.get('to') == OWNER and s.get('type') == 'error']
        assert errs, 'the invitation was not refused:\n' + '\n'.join(tostring(s) for s in got)
        assert error_condition(errs[0]) in STORE_ERRORS, tostring(errs[0])
        told = [s for s in got if s.get('to', '').startswith('carol@')]
        assert not told, '\n'.join(tostring(s) for s in told)
        f.logged('affs_set')
        f.alive()
        f.fail(False)
        assert 'carol@localhost' not in aff_list(f.m, 'r', 'member')
        # once the store works, the invitee is made a member and invited
        f.m.send("<message id='i2' from='%s' to='%s'><x xmlns='http://jabber.org/protocol/muc#user'>"
                 "<invite to='carol@localhost'/></x></message>" % (OWNER, room_jid('r')))
        got = f.m.collect()
        assert [s for s in got if s.get('to') == 'carol@localhost'], \
            '\n'.join(tostring(s) for s in got)
        assert 'carol@localhost' in aff_list(f.m, 'r', 'member')
    finally:
        f.close()


GAME_PLUGINS = ['muc-core', 'game-rooms']


def game_option(m):
    return config_values(m, 'r').get('game')


def game_submit(m, value, id_):
    """The owner form with only game-rooms' `game` field."""
    return m.iq(OWNER, room_jid('r'), 'set', (
        "<query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' "
        "type='submit'><field var='FORM_TYPE'><value>"
        "http://jabber.org/protocol/muc#roomconfig</value></field>"
        "<field var='game'><value>%s</value></field></x></query>" % value), id_=id_)


def test_player_grant_fails_with_internal_server_error():
    f = Failing(plugins=GAME_PLUGINS)
    try:
        f.m.join(OWNER, 'r', 'alice')
        f.m.join('carol@localhost/c', 'r', 'carol')
        f.m.collect()
        assert aff_list(f.m, 'r', 'player') == {}
        f.fail(True)
        res = f.m.iq(OWNER_OTHER, room_jid('r'), 'set', admin_payload(
            "<item affiliation='player' jid='carol@localhost'/>"), id_='player')
        expect_store_error(res, 'the player grant')
        told = [s for s in f.m.collect() if s.tag.endswith('presence')]
        assert not told, 'a grant that was not stored was broadcast:\n' + \
            '\n'.join(tostring(s) for s in told)
        f.logged('affs_set')
        f.alive()
        f.fail(False)
        assert aff_list(f.m, 'r', 'player') == {}, aff_list(f.m, 'r', 'player')
        f.intact()
        # once the store works the grant goes through and is announced
        res = f.m.iq(OWNER_OTHER, room_jid('r'), 'set', admin_payload(
            "<item affiliation='player' jid='carol@localhost'/>"), id_='player2')
        assert res.get('type') == 'result', tostring(res)
        told = [s for s in f.m.collect() if s.tag.endswith('presence')]
        assert any("affiliation='player'" in tostring(s) or 'affiliation="player"' in tostring(s)
                   for s in told), '\n'.join(tostring(s) for s in told)
        assert list(aff_list(f.m, 'r', 'player')) == ['carol@localhost']
    finally:
        f.close()


def test_game_option_submit_fails_and_keeps_the_option():
    f = Failing(plugins=GAME_PLUGINS)
    try:
        assert game_option(f.m) == ['0'], game_option(f.m)
        f.fail(True)
        res = game_submit(f.m, '1', 'game1')
        f.m.collect()
        expect_store_error(res, 'the game option')
        f.logged('room_put')
        f.alive()
        assert game_option(f.m) == ['0'], game_option(f.m)
        f.fail(False)
        assert game_option(f.m) == ['0'], game_option(f.m)
        f.intact()
        res = game_submit(f.m, '1', 'game2')
        assert res.get('type') == 'result', tostring(res)
        assert game_option(f.m) == ['1'], game_option(f.m)
    finally:
        f.close()


run(globals())
