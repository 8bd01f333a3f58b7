"""game-rooms with history across restarts (GAME-1, ENTER-13, MAM-1), through
the fake router on sqlite: which stored messages players sent is kept as a
history tag inside the archived stanza (palaver/history.h), so after a
restart a joining player still gets only players' messages and a joining
spectator none of them; the private tags element never reaches a client
(join history, MAM, broadcast, disk logs), with or without game-rooms loaded, and a
client cannot forge it; messages archived without tags (older builds) still
replay, and a tags element a client slipped into an older archive is not
taken for the daemon's."""

import os
import re
import shutil
import sqlite3
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'history'))

from gameutil import (game_muc, admin_set, game_room, OWNER, PLAYER, PLAYER2,  # noqa: E402
                      KIBITZ, to, is_message, body_of, describe, tostring)
from histutil import mam_query, result_body, fin_of, Router, mucutil, DOMAIN  # noqa: E402
from taptest import run  # noqa: E402

NS_TAGS = 'urn:x-palaver:history-tags:0'
TAG = 'game-rooms:player'
LATE = 'late@localhost/l'
LATE2 = 'late2@localhost/l'
STORED = {'enablelogging': '1', 'persistentroom': '1'}


def hist_bodies(got, jid):
    return [body_of(s) for s in to(got, jid) if is_message(s) and body_of(s) is not None
            and s.find('{urn:xmpp:delay}delay') is not None]


def no_private_element(stanzas):
    for s in stanzas:
        text = tostring(s)
        assert NS_TAGS not in text and TAG not in text, 'private element leaked: ' + text


def rows(tmp, room, with_id=False):
    """(body, xml) (or (body, xml, stanza-id)) of every archived message of
    the room, in order."""
    db = sqlite3.connect(os.path.join(tmp, 'spool', 'palaver.db'))
    try:
        got = db.execute('SELECT a.xml, a.msg_id FROM archive a JOIN rooms r ON r.id = a.room_id '
                         'WHERE r.name = ? ORDER BY a.seq', (room,)).fetchall()
    finally:
        db.close()
    out = []
    for xml, msg_id in got:
        m = re.search(r'<body>(.*?)</body>', xml)
        out.append((m.group(1) if m else None, xml) + ((msg_id,) if with_id else ()))
    return out


def edit_archive(tmp, fn):
    """Rewrites every archived stanza with fn(body, xml) -> xml; returns how
    many changed."""
    db = sqlite3.connect(os.path.join(tmp, 'spool', 'palaver.db'))
    try:
        n = 0
        for seq, xml in db.execute('SELECT seq, xml FROM archive').fetchall():
            m = re.search(r'<body>(.*?)</body>', xml)
            new = fn(m.group(1) if m else None, xml)
            n += new != xml
            db.execute('UPDATE archive SET xml = ? WHERE seq = ?', (new, seq))
        db.commit()
    finally:
        db.close()
    return n


TAGS_RE = r"<tags xmlns='%s'[^>]*>.*?</tags>" % re.escape(NS_TAGS)


def talk(m, room='g'):
    """white (player) and kibitz (participant) and owner (moderator) talk;
    every broadcast copy is checked for the private element."""
    got = m.groupchat(PLAYER, room, 'e4', id_='p1')
    got += m.groupchat(KIBITZ, room, 'nice opening', id_='k1')
    got += m.groupchat(PLAYER, room, 'Nf3', id_='p2')
    got += m.groupchat(OWNER, room, 'quiet please', id_='o1')
    no_private_element(got)
    assert len([s for s in got if body_of(s) == 'e4']) == 3, describe(got)


def with_tmp(fn):
    tmp = tempfile.mkdtemp(prefix='palaver-game-hist-')
    try:
        fn(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def game_muc_sqlite(tmp, game=True):
    return game_muc(extra_plugins=['history'], backend='sqlite', tmpdir=tmp, game=game)


class GameDiskLogs(mucutil.MUC):
    """muc-core, history writing HTML disk logs into tmp/logs, game-rooms."""

    def __init__(self, tmp):
        self.r = Router(domain=DOMAIN, backend='sqlite', tmpdir=tmp,
                        plugins=['muc-core', 'history', 'game-rooms'],
                        plugin_config={'muc-core': '<flood-burst>0</flood-burst>',
                                       'history': "<disk-logs format='html'>%s</disk-logs>"
                                       % os.path.join(tmp, 'logs')})


def first_run(tmp):
    """Two stored game rooms, g (the rules on) and gi (ignore_player on),
    where players and participants talked; black is granted player too."""
    with game_muc_sqlite(tmp) as m:
        for room, opts in (('g', {'game': '1'}), ('gi', {'game': '1', 'ignore_player': '1'})):
            game_room(m, room, config=STORED, options=opts)
            res = admin_set(m, OWNER, room, [{'jid': 'black@localhost', 'affiliation': 'player'}])
            assert res.get('type') == 'result', tostring(res)
            m.collect()
            talk(m, room)


ALL = ['e4', 'nice opening', 'Nf3', 'quiet please']
PLAYERS = ['e4', 'Nf3']
OTHERS = ['nice opening', 'quiet please']


def test_game_1_enter_13_history_filter_survives_restart_sqlite():
    def go(tmp):
        first_run(tmp)
        # the archive carries the tag on the players' messages only
        stored = rows(tmp, 'g', with_id=True)
        assert [r[0] for r in stored] == ALL, stored
        for body, xml, sid in stored:
            # the element names the message's stanza-id
            tagged = ("<tags xmlns='%s' id='%s'><tag>%s</tag></tags>" % (NS_TAGS, sid, TAG)) in xml
            assert tagged == (body in PLAYERS), (body, sid, xml)
        with game_muc_sqlite(tmp) as m:
            got = m.join(PLAYER2, 'g', 'black')
            assert hist_bodies(got, PLAYER2) == PLAYERS, describe(got)
            no_private_element(got)
            got = m.join(LATE, 'g', 'late')
            assert hist_bodies(got, LATE) == OTHERS, describe(got)
            no_private_element(got)
            # ignore_player: everyone gets everything
            got = m.join(PLAYER2, 'gi', 'black')
            assert hist_bodies(got, PLAYER2) == ALL, describe(got)
            got = m.join(LATE, 'gi', 'late')
            assert hist_bodies(got, LATE) == ALL, describe(got)
            no_private_element(got)
        # a second restart: still right (the tags were not lost on reload)
        with game_muc_sqlite(tmp) as m:
            got = m.join(PLAYER, 'g', 'white')
            assert hist_bodies(got, PLAYER) == PLAYERS, describe(got)
            got = m.join(LATE2, 'g', 'late2')
            assert hist_bodies(got, LATE2) == OTHERS, describe(got)
    with_tmp(go)


def check_mam(m, room, want):
    res, ans = mam_query(m, LATE, room, {}, id_='mam-' + room)
    assert [result_body(r) for r in res] == want, describe(res)
    assert fin_of(ans).get('complete') == 'true', tostring(ans)
    no_private_element(res + [ans])


def test_game_1_mam_1_private_tags_never_reach_clients_with_game_rooms():
    def go(tmp):
        with GameDiskLogs(tmp) as m:
            game_room(m, 'g', config=STORED, options={'game': '1'})
            talk(m)
            # before a restart: history from memory, MAM from the archive
            got = m.join(LATE, 'g', 'late')
            assert hist_bodies(got, LATE) == OTHERS, describe(got)
            no_private_element(got)
            check_mam(m, 'g', ALL)
        # the disk log has every message, and no trace of the element
        logdir = os.path.join(tmp, 'logs', 'g')
        text = ''.join(open(os.path.join(logdir, f), encoding='utf-8').read()
                       for f in os.listdir(logdir))
        for body in ALL:
            assert body in text, text
        assert NS_TAGS not in text and TAG not in text and 'history-tags' not in text, text
        with game_muc_sqlite(tmp) as m:
            got = m.join(LATE2, 'g', 'late2')
            assert hist_bodies(got, LATE2) == OTHERS, describe(got)
            no_private_element(got)
            check_mam(m, 'g', ALL)
    with_tmp(go)


def test_enter_13_mam_1_private_tags_never_reach_clients_without_game_rooms():
    def go(tmp):
        with game_muc_sqlite(tmp) as m:
            game_room(m, 'g', config=STORED, options={'game': '1'})
            talk(m)
        assert any(TAG in xml for _, xml in rows(tmp, 'g')), 'nothing was tagged'
        # the same archive without game-rooms: the tags are still stored
        # but nothing filters on them and nothing shows them
        with game_muc_sqlite(tmp, game=False) as m:
            got = m.join(LATE, 'g', 'late')
            assert hist_bodies(got, LATE) == ALL, describe(got)
            no_private_element(got)
            check_mam(m, 'g', ALL)
            got = m.groupchat(LATE, 'g', 'after', id_='a1')
            no_private_element(got)
        assert [b for b, _ in rows(tmp, 'g')] == ALL + ['after']
        assert TAG not in rows(tmp, 'g')[-1][1]
    with_tmp(go)


def test_game_1_forged_private_element_stripped_and_ignored():
    forged = "<tags xmlns='%s'><tag>%s</tag></tags>" % (NS_TAGS, TAG)
    def go(tmp):
        with game_muc_sqlite(tmp) as m:
            game_room(m, 'g', config=STORED, options={'game': '1'})
            got = m.groupchat(KIBITZ, 'g', 'I am a player, trust me', id_='f1', extra=forged)
            assert sorted(s.get('to') for s in got) == sorted([OWNER, KIBITZ]), describe(got)
            no_private_element(got)
        stored = rows(tmp, 'g')
        assert [b for b, _ in stored] == ['I am a player, trust me'], stored
        assert NS_TAGS not in stored[0][1], stored[0][1]
        with game_muc_sqlite(tmp) as m:
            got = m.join(PLAYER, 'g', 'white')
            assert hist_bodies(got, PLAYER) == [], describe(got)
            got = m.join(LATE, 'g', 'late')
            assert hist_bodies(got, LATE) == ['I am a player, trust me'], describe(got)
        with game_muc_sqlite(tmp, game=False) as m:
            m.join(LATE, 'g', 'late')
            got = m.groupchat(LATE, 'g', 'me too', id_='f2', extra=forged)
            assert got and all(body_of(s) == 'me too' for s in got), describe(got)
            no_private_element(got)
        assert NS_TAGS not in rows(tmp, 'g')[-1][1]
    with_tmp(go)


def test_game_1_enter_13_untagged_archive_of_older_builds_still_replays():
    def go(tmp):
        first_run(tmp)
        # make the archive what a build without tags wrote: the same stanza
        # without the private element
        n = edit_archive(tmp, lambda body, xml: re.sub(TAGS_RE, '', xml))
        assert n == 4, n   # two players' messages in each of g and gi
        assert not any(NS_TAGS in xml for _, xml in rows(tmp, 'g'))
        with game_muc_sqlite(tmp) as m:
            # untagged messages count as others': a spectator gets them all,
            # a player none (nothing says a player sent them)
            got = m.join(LATE, 'g', 'late')
            assert hist_bodies(got, LATE) == ALL, describe(got)
            got = m.join(PLAYER2, 'g', 'black')
            assert hist_bodies(got, PLAYER2) == [], describe(got)
            got = m.join(PLAYER2, 'gi', 'black')
            assert hist_bodies(got, PLAYER2) == ALL, describe(got)
            check_mam(m, 'g', ALL)
            # and new messages are tagged again
            got = m.groupchat(PLAYER2, 'g', 'Nc6', id_='p3')
            got = m.join(PLAYER, 'g', 'white')
            assert hist_bodies(got, PLAYER) == ['Nc6'], describe(got)
    with_tmp(go)


def test_game_1_tags_a_client_slipped_into_an_older_archive_are_ignored():
    """Builds before tags did not strip the element from clients' messages:
    one stored that way (naming no stanza-id, or another) is not ours."""
    def go(tmp):
        first_run(tmp)

        def forge(body, xml):
            if body == 'nice opening':
                xml = xml.replace('</message>', "<tags xmlns='%s'><tag>%s</tag></tags></message>"
                                  % (NS_TAGS, TAG))
            if body == 'quiet please':
                xml = xml.replace('</message>', "<tags xmlns='%s' id='guess'><tag>%s</tag></tags>"
                                  "</message>" % (NS_TAGS, TAG))
            return xml
        assert edit_archive(tmp, forge) == 4
        with game_muc_sqlite(tmp) as m:
            # the players' own tags still count; the slipped ones do not
            got = m.join(LATE, 'g', 'late')
            assert hist_bodies(got, LATE) == OTHERS, describe(got)
            no_private_element(got)
            got = m.join(PLAYER2, 'g', 'black')
            assert hist_bodies(got, PLAYER2) == PLAYERS, describe(got)
            check_mam(m, 'g', ALL)
    with_tmp(go)


run(globals())
