"""game-rooms: the player affiliation and role, message, subject and history
filtering, and the game options (PALAVER.md §2.17): GAME-1."""

import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from gameutil import (game_muc, admin_set, admin_list, list_jids, config_form,  # noqa: E402
                      form_fields, submit, game_room, OWNER, PLAYER, PLAYER2, KIBITZ, GAME_NS,
                      NS, occ, room_jid, to, item, is_presence, is_message, body_of,
                      subject_of, describe, tostring, cond)
from taptest import run  # noqa: E402


def presences_of(got, nick, room='g'):
    return [s for s in got if is_presence(s) and s.get('from') == occ(room, nick)]


def messages(got, jid):
    return [s for s in to(got, jid) if is_message(s) and body_of(s) is not None]


# ---- granting, revoking, listing ------------------------------------------------

def test_game_1_grant_player_by_nick_broadcasts_role_player():
    with game_muc() as m:
        m.create(OWNER, 'g', 'owner')
        m.join(PLAYER, 'g', 'white')
        m.join(KIBITZ, 'g', 'kibitz')
        res = admin_set(m, OWNER, 'g', [{'nick': 'white', 'affiliation': 'player'}])
        assert res.get('type') == 'result', tostring(res)
        got = m.collect()
        pres = presences_of(got, 'white')
        assert sorted(p.get('to') for p in pres) == sorted([OWNER, PLAYER, KIBITZ]), describe(got)
        for p in pres:
            it = item(p)
            assert it.get('affiliation') == 'player' and it.get('role') == 'player', tostring(p)


def test_game_1_player_granted_by_jid_gets_role_player_on_join():
    with game_muc() as m:
        m.create(OWNER, 'g', 'owner')
        res = admin_set(m, OWNER, 'g', [{'jid': 'white@localhost', 'affiliation': 'player'}])
        assert res.get('type') == 'result', tostring(res)
        assert m.collect() == [], 'nobody to tell: white is not in the room'
        got = m.join(PLAYER, 'g', 'white')
        own = [p for p in presences_of(got, 'white') if p.get('to') == PLAYER]
        assert own and item(own[0]).get('role') == 'player', describe(got)
        assert item(own[0]).get('affiliation') == 'player', describe(got)
        seen = [p for p in presences_of(got, 'white') if p.get('to') == OWNER]
        assert seen and item(seen[0]).get('role') == 'player', describe(got)


def test_game_1_only_owners_grant_player():
    with game_muc() as m:
        m.create(OWNER, 'g', 'owner')
        m.join(PLAYER, 'g', 'white')
        m.join(KIBITZ, 'g', 'kibitz')
        res = admin_set(m, KIBITZ, 'g', [{'nick': 'white', 'affiliation': 'player'}])
        assert cond(res) == ('auth', 'forbidden'), tostring(res)
        got = m.collect()
        assert presences_of(got, 'white') == [], 'no change was broadcast: ' + describe(got)


def test_game_1_service_admin_grants_player():
    sadmin = 'arbiter@localhost/a'
    with game_muc(extra_config='<sadmin><user>arbiter@localhost</user></sadmin>') as m:
        m.create(OWNER, 'g', 'owner')
        m.join(PLAYER, 'g', 'white')
        res = admin_set(m, sadmin, 'g', [{'nick': 'white', 'affiliation': 'player'}])
        assert res.get('type') == 'result', tostring(res)
        got = m.collect()
        assert any(item(p).get('role') == 'player' for p in presences_of(got, 'white')), \
            describe(got)


def test_game_1_list_players():
    with game_muc() as m:
        game_room(m)
        res = admin_set(m, OWNER, 'g', [{'jid': 'black@localhost', 'affiliation': 'player'}])
        assert res.get('type') == 'result', tostring(res)
        res = admin_list(m, OWNER, 'g', 'player')
        assert res.get('type') == 'result', tostring(res)
        assert list_jids(res) == ['black@localhost', 'white@localhost'], tostring(res)
        for i in res.iter('{%s}item' % NS['muc_admin']):
            assert i.get('affiliation') == 'player', tostring(res)
        res = admin_list(m, KIBITZ, 'g', 'player', id_='lst2')
        assert cond(res) == ('auth', 'forbidden'), tostring(res)


def test_game_1_granting_member_turns_player_into_participant():
    with game_muc() as m:
        game_room(m)
        res = admin_set(m, OWNER, 'g', [{'nick': 'white', 'affiliation': 'member'}])
        assert res.get('type') == 'result', tostring(res)
        got = m.collect()
        pres = presences_of(got, 'white')
        assert len(pres) == 3, describe(got)
        for p in pres:
            assert item(p).get('affiliation') == 'member', tostring(p)
            assert item(p).get('role') == 'participant', tostring(p)
        assert list_jids(admin_list(m, OWNER, 'g', 'player')) == []
        # no longer a player: a participant's message reaches white again
        got = m.groupchat(KIBITZ, 'g', 'hello again')
        assert PLAYER in [s.get('to') for s in got], describe(got)


def test_game_1_revoking_to_none():
    with game_muc() as m:
        game_room(m)
        res = admin_set(m, OWNER, 'g', [{'jid': 'white@localhost', 'affiliation': 'none'}])
        assert res.get('type') == 'result', tostring(res)
        got = m.collect()
        pres = presences_of(got, 'white')
        assert pres and all(item(p).get('affiliation') == 'none' and
                            item(p).get('role') == 'participant' for p in pres), describe(got)
        assert list_jids(admin_list(m, OWNER, 'g', 'player')) == []


def test_game_1_player_and_standard_affiliations_in_one_request():
    """An extra affiliation is one more affiliation of muc#admin: granted,
    taken back and mixed with standard ones in a single request."""
    with game_muc() as m:
        game_room(m)
        res = admin_set(m, OWNER, 'g', [{'nick': 'kibitz', 'affiliation': 'player'},
                                         {'nick': 'white', 'affiliation': 'member'},
                                         {'jid': 'black@localhost', 'affiliation': 'admin'}])
        assert res.get('type') == 'result', tostring(res)
        got = m.collect()
        for nick, aff, role in (('kibitz', 'player', 'player'),
                                ('white', 'member', 'participant')):
            pres = presences_of(got, nick)
            assert len(pres) == 3, describe(got)
            assert all(item(p).get('affiliation') == aff and item(p).get('role') == role
                       for p in pres), describe(got)
        res = admin_list(m, OWNER, 'g', 'player')
        assert list_jids(res) == ['kibitz@example.net'], tostring(res)
        assert list_jids(admin_list(m, OWNER, 'g', 'member', id_='m')) == ['white@localhost']
        assert list_jids(admin_list(m, OWNER, 'g', 'admin', id_='a')) == ['black@localhost']
        # one refused item refuses the request: nothing changes
        res = admin_set(m, KIBITZ, 'g', [{'nick': 'white', 'affiliation': 'player'},
                                          {'jid': 'black@localhost', 'affiliation': 'none'}],
                        id_='adm2')
        assert cond(res) == ('auth', 'forbidden'), tostring(res)
        assert presences_of(m.collect(), 'white') == []
        assert list_jids(admin_list(m, OWNER, 'g', 'player', id_='p2')) == ['kibitz@example.net']


# ---- message, subject and payload delivery ---------------------------------------

def test_game_1_participant_message_withheld_from_players():
    with game_muc() as m:
        game_room(m)
        got = m.groupchat(KIBITZ, 'g', 'Nf3 is better', id_='k1')
        assert sorted(s.get('to') for s in got) == sorted([OWNER, KIBITZ]), describe(got)


def test_game_1_player_and_moderator_messages_reach_everyone():
    with game_muc() as m:
        game_room(m)
        got = m.groupchat(PLAYER, 'g', 'e4', id_='p1')
        assert sorted(s.get('to') for s in got) == sorted([OWNER, PLAYER, KIBITZ]), describe(got)
        got = m.groupchat(OWNER, 'g', 'quiet please', id_='o1')
        assert sorted(s.get('to') for s in got) == sorted([OWNER, PLAYER, KIBITZ]), describe(got)


def test_game_1_ignore_player_delivers_to_players():
    with game_muc() as m:
        game_room(m, options={'ignore_player': '1'})
        got = m.groupchat(KIBITZ, 'g', 'hint: Qh5', id_='k1')
        assert sorted(s.get('to') for s in got) == sorted([OWNER, PLAYER, KIBITZ]), describe(got)


def test_game_1_subject_from_participant_withheld_from_players():
    with game_muc() as m:
        game_room(m, config={'changesubject': 1})
        m.send("<message type='groupchat' from='%s' to='%s'><subject>Spectators</subject>"
               "</message>" % (KIBITZ, room_jid('g')))
        got = m.collect()
        assert sorted(s.get('to') for s in got) == sorted([OWNER, KIBITZ]), describe(got)
        assert all(subject_of(s) == 'Spectators' for s in got), describe(got)
        m.send("<message type='groupchat' from='%s' to='%s'><subject>Game on</subject>"
               "</message>" % (OWNER, room_jid('g')))
        got = m.collect()
        assert sorted(s.get('to') for s in got) == sorted([OWNER, PLAYER, KIBITZ]), describe(got)


def test_game_1_game_payload_relayed_untouched():
    with game_muc() as m:
        game_room(m)
        payload = ("<game xmlns='%s'><move from='e2' to='e4'/><clock side='white'>300</clock>"
                   "</game>" % GAME_NS)
        got = m.groupchat(PLAYER, 'g', 'e4', id_='mv', extra=payload)
        assert len(got) == 3, describe(got)
        for s in got:
            g = s.find('{%s}game' % GAME_NS)
            assert g is not None, tostring(s)
            mv = g.find('{%s}move' % GAME_NS)
            assert mv is not None and mv.get('from') == 'e2' and mv.get('to') == 'e4'
            assert g.find('{%s}clock' % GAME_NS).text == '300'


# ---- history ---------------------------------------------------------------------

def history_room(m, options=None):
    game_room(m, options=options)
    m.groupchat(PLAYER, 'g', 'from white', id_='h1')
    m.groupchat(KIBITZ, 'g', 'from kibitz', id_='h2')
    m.groupchat(OWNER, 'g', 'from owner', id_='h3')


def history_bodies(got, jid):
    return [body_of(s) for s in messages(got, jid)
            if s.find('{urn:xmpp:delay}delay') is not None]


def test_game_1_history_player_gets_only_players_messages():
    with game_muc(extra_plugins=['history']) as m:
        history_room(m)
        admin_set(m, OWNER, 'g', [{'jid': 'black@localhost', 'affiliation': 'player'}])
        m.collect()
        got = m.join(PLAYER2, 'g', 'black')
        assert history_bodies(got, PLAYER2) == ['from white'], describe(got)


def test_game_1_history_others_get_no_players_messages():
    with game_muc(extra_plugins=['history']) as m:
        history_room(m)
        got = m.join('late@localhost/l', 'g', 'late')
        assert history_bodies(got, 'late@localhost/l') == ['from kibitz', 'from owner'], \
            describe(got)


def test_game_1_history_ignore_player_gives_everything():
    with game_muc(extra_plugins=['history']) as m:
        history_room(m, options={'ignore_player': '1'})
        admin_set(m, OWNER, 'g', [{'jid': 'black@localhost', 'affiliation': 'player'}])
        m.collect()
        want = ['from white', 'from kibitz', 'from owner']
        got = m.join(PLAYER2, 'g', 'black')
        assert history_bodies(got, PLAYER2) == want, describe(got)
        got = m.join('late@localhost/l', 'g', 'late')
        assert history_bodies(got, 'late@localhost/l') == want, describe(got)


# ---- configuration form ----------------------------------------------------------

def test_game_1_form_has_game_fields_with_plugin():
    with game_muc() as m:
        m.create(OWNER, 'g', 'owner')
        f = form_fields(config_form(m, OWNER, 'g'))
        assert f.get('game') == ['0'] and f.get('ignore_player') == ['0'], f
        res = submit(m, OWNER, 'g', {'game': 'true', 'ignore_player': '0'})
        assert res.get('type') == 'result', tostring(res)
        m.collect()
        f = form_fields(config_form(m, OWNER, 'g', id_='again'))
        assert f.get('game') == ['1'] and f.get('ignore_player') == ['0'], f
        res = submit(m, OWNER, 'g', {'game': 'maybe'}, id_='bad')
        assert cond(res) == ('modify', 'not-acceptable'), tostring(res)


def test_game_1_form_has_no_game_fields_without_plugin():
    with game_muc(game=False) as m:
        m.create(OWNER, 'g', 'owner')
        f = form_fields(config_form(m, OWNER, 'g'))
        assert 'muc#roomconfig_roomname' in f, f
        assert 'game' not in f and 'ignore_player' not in f, f


def test_game_1_player_is_bad_request_without_plugin():
    with game_muc(game=False) as m:
        m.create(OWNER, 'g', 'owner')
        m.join(PLAYER, 'g', 'white')
        res = admin_set(m, OWNER, 'g', [{'nick': 'white', 'affiliation': 'player'}])
        assert cond(res) == ('modify', 'bad-request'), tostring(res)


def test_game_1_roominfo_says_game_room():
    with game_muc(extra_plugins=['disco-extended']) as m:
        m.create(OWNER, 'g', 'owner')
        m.create(OWNER, 'plain', 'owner')
        res = submit(m, OWNER, 'g', {'game': '1'})
        assert res.get('type') == 'result', tostring(res)
        m.collect()
        info = "<query xmlns='%s'/>" % NS['disco_info']
        res = m.iq(KIBITZ, room_jid('g'), 'get', info, id_='i1')
        assert form_fields(res).get('x-palaver#game') == ['1'], tostring(res)
        res = m.iq(KIBITZ, room_jid('plain'), 'get', info, id_='i2')
        assert form_fields(res).get('x-palaver#game') == ['0'], tostring(res)


# ---- persistence -----------------------------------------------------------------

def persistent_game_room_survives(backend):
    tmp = tempfile.mkdtemp(prefix='palaver-game-persist-')
    try:
        with game_muc(backend=backend, tmpdir=tmp) as m:
            m.create(OWNER, 'g', 'owner')
            # granted while the room is temporary, then stored with it
            res = admin_set(m, OWNER, 'g', [{'jid': 'white@localhost', 'affiliation': 'player'}])
            assert res.get('type') == 'result', tostring(res)
            res = submit(m, OWNER, 'g', {'game': '1', 'ignore_player': '0',
                                         'muc#roomconfig_persistentroom': '1'})
            assert res.get('type') == 'result', tostring(res)
            # granted to the stored room, then taken back
            res = admin_set(m, OWNER, 'g', [{'jid': 'black@localhost', 'affiliation': 'player'}],
                            id_='b1')
            assert res.get('type') == 'result', tostring(res)
            res = admin_set(m, OWNER, 'g', [{'jid': 'black@localhost', 'affiliation': 'member'}],
                            id_='b2')
            assert res.get('type') == 'result', tostring(res)
            m.collect()
        with game_muc(backend=backend, tmpdir=tmp) as m:
            assert list_jids(admin_list(m, OWNER, 'g', 'player')) == ['white@localhost']
            assert 'black@localhost' in list_jids(admin_list(m, OWNER, 'g', 'member', id_='m'))
            f = form_fields(config_form(m, OWNER, 'g'))
            assert f.get('game') == ['1'] and f.get('ignore_player') == ['0'], f
            got = m.join(PLAYER, 'g', 'white')
            own = [p for p in presences_of(got, 'white') if p.get('to') == PLAYER]
            assert own and item(own[0]).get('role') == 'player', describe(got)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_game_1_persistent_game_room_survives_restart_sqlite():
    persistent_game_room_survives('sqlite')


def test_game_1_persistent_game_room_survives_restart_spool():
    persistent_game_room_survives('spool')


run(globals())
