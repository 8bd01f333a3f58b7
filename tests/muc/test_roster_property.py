"""muc-core: property test of the occupant roster (ENTER-*, EXIT-*, NICK-1,
MOD-1 kicks, ADMIN-1 bans).

Random sequences of joins, leaves, nick changes, kicks and bans (by a service
admin) from several users (some with two sessions, nicks that differ only in
case) must never leave a ghost
occupant, a duplicate nick, or an occupant some client was not told about:
each client's view is rebuilt from exactly the presences it received and
compared with a model of the room after every step, and with the room's
disco#items at the end of each run.
"""

import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mucutil import (MUC, NS, occ, room_jid, is_presence, codes, item, describe, tostring,  # noqa: E402
                     cond, escape, DOMAIN)
from taptest import run, diag  # noqa: E402

SESSIONS = ['u1@localhost/a', 'u1@localhost/b', 'u2@localhost/a', 'u3@example.org/a',
            'u3@example.org/b', 'u4@localhost/a']
NICKS = ['ann', 'Ann', 'bo', 'cy', 'dee', 'eve']
ROOM = 'prop'
ROOT = 'root@localhost/console'   # a service admin: owner of every room (OWNER-7)


def bare(s):
    return s.split('/')[0]


class Model:
    """What the room should contain: occupant nick -> (bare jid, set of sessions)."""

    def __init__(self):
        self.occ = {}
        self.owner = None     # bare JID of the room's creator while the room exists
        self.banned = set()   # bare JIDs banned while the room exists

    def emptied(self):
        if not self.occ:      # a temporary room is gone with its lists
            self.owner = None
            self.banned = set()

    def find(self, nick):
        for n in self.occ:
            if n.lower() == nick.lower():
                return n
        return None

    def session_nick(self, s):
        for n, (_, ss) in self.occ.items():
            if s in ss:
                return n
        return None


class View:
    """What one session has been told: the set of nicks present."""

    def __init__(self):
        self.nicks = set()

    def apply(self, st, me):
        frm = st.get('from') or ''
        if not frm.startswith(room_jid(ROOM) + '/'):
            return
        nick = frm.split('/', 1)[1]
        c = codes(st)
        if st.get('type') == 'unavailable':
            assert nick in self.nicks or 110 in c, '%s told that unknown %s left: %s' % (me, nick, tostring(st))
            self.nicks.discard(nick)
            if 303 in c:
                new = item(st).get('nick')
                assert new, tostring(st)
                # the new presence follows; nothing to add yet
            elif 110 in c:
                self.nicks.clear()
        elif st.get('type') is None:
            assert nick not in self.nicks, '%s told twice that %s is here: %s' % (me, nick, tostring(st))
            self.nicks.add(nick)


def settle(m):
    """Everything the daemon sent for the stanzas so far: the daemon answers
    in order, so all of it precedes the answer to a disco#info query sent
    now (no timing guess, however loaded the machine)."""
    m.send("<iq type='get' id='sync' from='sync@localhost/s' to='%s'><query xmlns='%s'/></iq>"
           % (DOMAIN, NS['disco_info']))
    out = []
    while True:
        el = m.r.expect(timeout=10)
        if el.get('id') == 'sync' and el.get('to') == 'sync@localhost/s':
            return out
        out.append(el)


def step(m, model, views, rnd):
    s = rnd.choice(SESSIONS)
    current = model.session_nick(s)
    op = rnd.choice(['join', 'join', 'join', 'leave', 'nick', 'kick', 'ban'])
    expect_error = None
    err_to = s
    if op in ('kick', 'ban') and model.occ:
        err_to = ROOT
        target = rnd.choice(sorted(model.occ))
        tbare = model.occ[target][0]
        if op == 'kick':
            item_xml = "<item nick='%s' role='none'><reason>r</reason></item>" % escape(target)
            if tbare == model.owner:
                expect_error = 'not-allowed'     # owners cannot be kicked
        else:
            item_xml = "<item jid='%s' affiliation='outcast'/>" % tbare
            if tbare == model.owner:
                expect_error = 'conflict'        # the last owner stays
        m.send("<iq type='set' id='k' from='%s' to='%s'><query xmlns='%s'>%s</query></iq>"
               % (ROOT, room_jid(ROOM), NS['muc_admin'], item_xml))
        if not expect_error:
            if op == 'kick':
                del model.occ[target]
            else:
                model.banned.add(tbare)
                for n in [n for n, (b, _) in model.occ.items() if b == tbare]:
                    del model.occ[n]
            model.emptied()
    elif op == 'join' and current is None:
        nick = rnd.choice(NICKS)
        holder = model.find(nick)
        if bare(s) in model.banned:
            expect_error = 'forbidden'
        elif holder and model.occ[holder][0] != bare(s):
            expect_error = 'conflict'
        if not model.occ:
            model.owner = bare(s)                # this join creates the room
        m.join(s, ROOM, nick, muc=False, collect=False)
        if not expect_error:
            if holder:
                model.occ[holder][1].add(s)
            else:
                model.occ[nick] = (bare(s), {s})
    elif op == 'leave' and current is not None:
        m.leave_nowait = True
        m.presence(s, occ(ROOM, current), 'unavailable')
        model.occ[current][1].discard(s)
        if not model.occ[current][1]:
            del model.occ[current]
        model.emptied()
    elif op == 'nick' and current is not None:
        nick = rnd.choice(NICKS)
        holder = model.find(nick)
        if nick == current:
            return 'noop'
        if holder and holder != current:
            expect_error = 'conflict'
        m.presence(s, occ(ROOM, nick))
        if not expect_error:
            model.occ[nick] = model.occ.pop(current)
    else:
        return 'noop'
    got = settle(m)
    for st in got:
        if st.get('type') == 'error':
            assert expect_error and st.get('to') == err_to and cond(st)[1] == expect_error, \
                '%s %s: unexpected %s' % (op, s, tostring(st))
            expect_error = 'seen'
            continue
        if not is_presence(st):
            continue   # subject messages
        views.setdefault(st.get('to'), View()).apply(st, st.get('to'))
    assert expect_error in (None, 'seen'), '%s by %s: no %s error\n%s' % (op, s, expect_error, describe(got))
    return '%s %s' % (op, target if op in ('kick', 'ban') else s)


def check(model, views, history):
    truth = set(model.occ)
    low = [n.lower() for n in truth]
    assert len(low) == len(set(low)), 'duplicate nicks in the model?'
    for s in SESSIONS:
        inside = model.session_nick(s) is not None
        seen = views.get(s, View()).nicks
        want = truth if inside else set()
        assert seen == want, 'after %s: %s knows %s, the room has %s' % (
            history[-3:], s, sorted(seen), sorted(want))


def run_seed(seed, steps):
    rnd = random.Random(seed)
    model, views, history = Model(), {}, []
    with MUC(muc_config='<flood-burst>0</flood-burst>',
             extra_config='<sadmin><user>root@localhost</user></sadmin>') as m:
        for _ in range(steps):
            h = step(m, model, views, rnd)
            if h == 'noop':
                continue
            history.append(h)
            check(model, views, history)
        # the room's own list agrees with the model
        inside = [s for s in SESSIONS if model.session_nick(s)]
        if inside:
            res = m.iq(inside[0], room_jid(ROOM), 'get', "<query xmlns='%s'/>" % NS['disco_items'])
            listed = {i.get('jid').split('/', 1)[1] for i in res.iter('{%s}item' % NS['disco_items'])}
            assert listed == set(model.occ), 'disco#items %s, model %s' % (sorted(listed), sorted(model.occ))
        # everyone leaves: nothing remains (no ghost keeps the room alive)
        for s in inside:
            m.presence(s, occ(ROOM, model.session_nick(s)), 'unavailable')
            n = model.session_nick(s)
            model.occ[n][1].discard(s)
            if not model.occ[n][1]:
                del model.occ[n]
            settle(m)
        res = m.iq(SESSIONS[0], room_jid(ROOM), 'get', "<query xmlns='%s'/>" % NS['disco_info'], id_='end')
        assert cond(res) == ('cancel', 'item-not-found'), 'the empty room is gone: ' + tostring(res)
    kicks = sum(1 for h in history if h.startswith('kick'))
    bans = sum(1 for h in history if h.startswith('ban'))
    diag('seed %d: %d operations, %d kicks, %d bans' % (seed, len(history), kicks, bans))
    assert kicks and bans, 'the run exercised kicks and bans'


def test_property_roster_consistent_seed_1():
    run_seed(1, 160)


def test_property_roster_consistent_seed_2():
    run_seed(2, 160)


def test_property_roster_consistent_seed_3():
    run_seed(int(os.environ.get('PALAVER_SEED', '3')), 160)


run(globals())
