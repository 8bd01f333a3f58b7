"""tests/integration/test_prosody_history.py: discussion history on join (FEATURES.md ENTER-13) with real clients through a real Prosody.

Palaver (muc-core, history; sqlite backend) runs as the component of a
private Prosody; real accounts log in over c2s (slixmpp) and join with the
<history/> element a person's client sends. One named test per limit of
XEP-0045 §7.2.15: maxstanzas, maxchars (with maxchars='0' = none), seconds,
since (several XEP-0082 forms), a combination where the strictest wins, and
the room's configured length (muc#maxhistoryfetch) capping a larger request.
Every check compares the exact history a joiner got: the bodies in order,
each from the sender's occupant JID with its original id, and the XEP-0203
delay (from the room, stamped within the time the message was sent), all
between the joiner's self-presence and the subject. One Prosody and one
palaver for the file, a room per test. The stanza helpers are
test_prosody_muc.py's. TAP_ONLY=substring runs some tests;
PALAVER_KEEP_TMP=1 keeps the directories.
"""

import calendar
import datetime
import math
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..'))

import test_prosody_muc as M  # noqa: E402  (helpers only; its tests do not run here)
from mucclient import q  # noqa: E402
from suite import Suite, prosody_server  # noqa: E402
from test_prosody_muc import (room, codes, text, show, from_room, join, leave,  # noqa: E402
                              message_from, groupchat, create)

DOMAIN = M.DOMAIN
SECRET = 'history-integration-secret'
PLUGINS = ['muc-core', 'history']
ACCOUNTS = ('alice', 'bob', 'carol', 'dave')

P = D = U = None  # prosody.Prosody, daemon.Palaver, mucclient.Users: see suite.py
SUITE = Suite(globals(), prosody_server(DOMAIN, SECRET), DOMAIN, SECRET, PLUGINS, ACCOUNTS,
              name='history', resource='hist')
setup, login, logout = SUITE.setup, SUITE.login, SUITE.logout


# ---- sending, probing, checking ---------------------------------------------

def stamp_of(st):
    """The XEP-0203 stamp as seconds since the epoch (float)."""
    s = st.find(q('delay:delay')).get('stamp')
    dt = datetime.datetime.strptime(s, '%Y-%m-%dT%H:%M:%S.%fZ' if '.' in s else '%Y-%m-%dT%H:%M:%SZ')
    return calendar.timegm(dt.timetuple()) + dt.microsecond / 1e6


def say(u, rname, nick, bodies, sent):
    """u (occupant `nick`) sends each body, waiting for its reflection;
    sent[body] = (id, sent after, reflected before) in client time."""
    for body in bodies:
        id_ = 'h%d' % len(sent)
        m = u.mark()
        t0 = time.time()
        groupchat(u, rname, body, id_)
        message_from(u, '%s/%s' % (room(rname), nick), m,
                     lambda st, b=body: text(st, 'body') == b, what='reflection of ' + body[:20])
        sent[body] = (id_, t0, time.time())


def probe(u, rname, nick, history):
    """u joins with `history` (the <history/> element, or '' for none),
    waits for the subject, leaves, and returns the history messages it got
    (messages with a delay, in order). Asserts they all came between its
    self-presence and the subject."""
    m = u.mark()
    pres = join(u, rname, nick, history=history)
    assert pres.get('type') != 'error', show([pres])
    subj = message_from(u, room(rname), m, lambda st: st.find('{jabber:client}subject') is not None,
                        what='the subject')
    got = from_room(u, rname, m)
    leave(u, rname, nick)
    own = [i for i, st in enumerate(got) if st.tag.endswith('presence') and 110 in codes(st)]
    assert own, show(got)
    start, end = own[0], got.index(subj)
    hist = [st for st in got if st.tag.endswith('message') and st.find(q('delay:delay')) is not None]
    for st in hist:
        assert start < got.index(st) < end, 'history outside self-presence..subject:\n' + show(got)
    assert not [st for st in got[:end] if st.tag.endswith('message') and text(st, 'body')
                and st not in hist], 'a message without delay before the subject:\n' + show(got)
    return hist


def check(hist, want, sent, rname, sender='Alice'):
    """hist holds exactly the bodies `want`, in order, each with the
    sender's occupant JID, its original id and a delay from the room stamped
    within the time it was sent; stamps never go backwards."""
    assert [text(st, 'body') for st in hist] == want, \
        'got %s, want %s' % ([(text(st, 'body') or '')[:12] for st in hist], [w[:12] for w in want])
    last = 0.0
    for st in hist:
        body = text(st, 'body')
        id_, t0, t1 = sent[body]
        assert st.get('from') == '%s/%s' % (room(rname), sender), show([st])
        assert st.get('type') == 'groupchat' and st.get('id') == id_, show([st])
        d = st.find(q('delay:delay'))
        assert d.get('from') == room(rname), show([st])
        ts = stamp_of(st)
        assert t0 - 0.01 <= ts <= t1 + 0.01, 'stamp %s not within [%f, %f]: %s' % (
            d.get('stamp'), t0, t1, show([st]))
        assert ts >= last, 'stamps go backwards: ' + show(hist)
        last = ts


def hist_el(**attrs):
    return '<history %s/>' % ' '.join("%s='%s'" % (k, v) for k, v in sorted(attrs.items()))


def seconds_since(t):
    """A `seconds` value whose window starts between t-1.5 s and t-0.5 s
    (by the daemon's clock, which is ours), for a join sent right now."""
    return int(math.ceil(time.time() - t + 0.5))


LOGGED = {'muc#roomconfig_enablelogging': '1'}
LONG = 'x' * 600     # history stanzas of about 1,000 characters each


# ---- ENTER-13: each limit --------------------------------------------------------

def test_enter_13_maxstanzas_newest_n_in_order():
    setup()
    R = 'hist-stanzas'
    alice, bob = login('alice'), login('bob')
    try:
        create(alice, R, 'Alice', LOGGED)
        sent = {}
        bodies = ['s%d' % i for i in range(5)]
        say(alice, R, 'Alice', bodies, sent)
        check(probe(bob, R, 'Bob', hist_el(maxstanzas=2)), bodies[3:], sent, R)
        check(probe(bob, R, 'Bob', hist_el(maxstanzas=1)), bodies[4:], sent, R)
        check(probe(bob, R, 'Bob', hist_el(maxstanzas=5)), bodies, sent, R)
        check(probe(bob, R, 'Bob', hist_el(maxstanzas=100)), bodies, sent, R)
        check(probe(bob, R, 'Bob', hist_el(maxstanzas=0)), [], sent, R)
        check(probe(bob, R, 'Bob', ''), bodies, sent, R)      # no <history/>: the room's default
    finally:
        logout(alice, bob)


def test_enter_13_maxchars_whole_stanzas_and_zero_means_none():
    setup()
    R = 'hist-chars'
    alice, bob = login('alice'), login('bob')
    try:
        create(alice, R, 'Alice', LOGGED)
        sent = {}
        bodies = ['c%d %s' % (i, LONG) for i in range(4)]
        say(alice, R, 'Alice', bodies, sent)
        # each stanza as palaver sends it is 600 characters of body plus
        # 250-600 of markup: 2,500 holds the newest two and not three
        check(probe(bob, R, 'Bob', hist_el(maxchars=2500)), bodies[2:], sent, R)
        check(probe(bob, R, 'Bob', hist_el(maxchars=1400)), bodies[3:], sent, R)
        check(probe(bob, R, 'Bob', hist_el(maxchars=100000)), bodies, sent, R)
        # less than one stanza, and zero: none
        check(probe(bob, R, 'Bob', hist_el(maxchars=500)), [], sent, R)
        check(probe(bob, R, 'Bob', hist_el(maxchars=0)), [], sent, R)
    finally:
        logout(alice, bob)


def test_enter_13_seconds_only_recent_messages():
    setup()
    R = 'hist-seconds'
    alice, bob = login('alice'), login('bob')
    try:
        create(alice, R, 'Alice', LOGGED)
        sent = {}
        say(alice, R, 'Alice', ['old 0', 'old 1'], sent)
        time.sleep(2.5)
        say(alice, R, 'Alice', ['new 0', 'new 1'], sent)
        check(probe(bob, R, 'Bob', hist_el(seconds=seconds_since(sent['new 0'][1]))),
              ['new 0', 'new 1'], sent, R)
        check(probe(bob, R, 'Bob', hist_el(seconds=3600)), ['old 0', 'old 1', 'new 0', 'new 1'],
              sent, R)
        check(probe(bob, R, 'Bob', hist_el(seconds=0)), [], sent, R)
    finally:
        logout(alice, bob)


def since_forms(ts):
    """The instant ts (a stamp, whole milliseconds) in several XEP-0082 forms,
    each at or before it and less than 1 s before it."""
    whole = int(ts)
    ms = int(round((ts - whole) * 1000))
    utc = datetime.datetime.fromtimestamp(whole, datetime.timezone.utc).replace(tzinfo=None)

    def fmt(offset_min, frac):
        t = utc + datetime.timedelta(minutes=offset_min)
        if offset_min == 0:
            zone = 'Z'
        else:
            sign = '+' if offset_min > 0 else '-'
            zone = '%s%02d:%02d' % (sign, abs(offset_min) // 60, abs(offset_min) % 60)
        return t.strftime('%Y-%m-%dT%H:%M:%S') + frac + zone

    return [
        fmt(0, '.%03d' % ms),                  # Z with milliseconds
        fmt(0, ''),                            # Z, whole seconds
        fmt(0, '.%03d000' % ms),               # Z with microseconds
        fmt(0, '.%d' % (ms // 100)),           # Z with tenths
        fmt(330, '.%03d' % ms),                # +05:30 with milliseconds
        fmt(-480, ''),                         # -08:00, whole seconds
        fmt(0, '.%03d' % ms).replace('Z', '+00:00'),
    ]


def test_enter_13_since_xep_0082_forms():
    setup()
    R = 'hist-since'
    alice, bob = login('alice'), login('bob')
    try:
        create(alice, R, 'Alice', LOGGED)
        sent = {}
        say(alice, R, 'Alice', ['a0'], sent)
        time.sleep(1.2)
        say(alice, R, 'Alice', ['b0', 'b1'], sent)
        every = probe(bob, R, 'Bob', '')
        check(every, ['a0', 'b0', 'b1'], sent, R)
        cut = stamp_of(every[1])                 # b0's stamp
        for since in since_forms(cut):
            check(probe(bob, R, 'Bob', hist_el(since=since)), ['b0', 'b1'], sent, R)
        check(probe(bob, R, 'Bob', hist_el(since='1970-01-01T00:00:00Z')), ['a0', 'b0', 'b1'],
              sent, R)
        check(probe(bob, R, 'Bob', hist_el(since='2999-01-01T00:00:00Z')), [], sent, R)
    finally:
        logout(alice, bob)


def test_enter_13_combination_strictest_wins():
    setup()
    R = 'hist-combo'
    alice, bob = login('alice'), login('bob')
    try:
        create(alice, R, 'Alice', LOGGED)
        sent = {}
        old = ['a%d' % i for i in range(3)]
        new = ['b%d %s' % (i, LONG) for i in range(5)]
        say(alice, R, 'Alice', old, sent)
        time.sleep(2.5)
        say(alice, R, 'Alice', new, sent)
        past = '2000-01-01T00:00:00Z'
        t = sent[new[0]][1]
        # seconds stricter than maxstanzas and since
        check(probe(bob, R, 'Bob', hist_el(maxstanzas=7, seconds=seconds_since(t), since=past)),
              new, sent, R)
        # maxstanzas stricter than seconds
        check(probe(bob, R, 'Bob', hist_el(maxstanzas=2, seconds=seconds_since(t))),
              new[3:], sent, R)
        # since stricter than seconds and maxstanzas
        every = probe(bob, R, 'Bob', hist_el(maxstanzas=20))
        check(every, old + new, sent, R)
        since = since_forms(stamp_of(every[5]))[0]     # new[2]'s stamp, Z, milliseconds
        check(probe(bob, R, 'Bob', hist_el(maxstanzas=6, seconds=3600, since=since)),
              new[2:], sent, R)
        # maxchars stricter than the rest (two long stanzas fit in 2,500)
        check(probe(bob, R, 'Bob', hist_el(maxchars=2500, maxstanzas=4, seconds=3600, since=past)),
              new[3:], sent, R)
        # maxstanzas stricter than maxchars
        check(probe(bob, R, 'Bob', hist_el(maxchars=2500, maxstanzas=1)), new[4:], sent, R)
        # maxchars='0' wins over everything
        check(probe(bob, R, 'Bob', hist_el(maxchars=0, maxstanzas=8, seconds=3600)), [], sent, R)
    finally:
        logout(alice, bob)


def test_enter_13_owner_3_room_maxhistoryfetch_caps_larger_request():
    setup()
    R = 'hist-cap'
    alice, bob = login('alice'), login('bob')
    try:
        create(alice, R, 'Alice', dict(LOGGED, **{'muc#maxhistoryfetch': '3'}))
        assert M.get_config(alice, R).get('muc#maxhistoryfetch') == ['3']
        sent = {}
        bodies = ['k%d' % i for i in range(6)]
        say(alice, R, 'Alice', bodies, sent)
        check(probe(bob, R, 'Bob', hist_el(maxstanzas=5)), bodies[3:], sent, R)
        check(probe(bob, R, 'Bob', ''), bodies[3:], sent, R)
        check(probe(bob, R, 'Bob', hist_el(seconds=3600, maxchars=100000)), bodies[3:], sent, R)
        # a stricter request still wins
        check(probe(bob, R, 'Bob', hist_el(maxstanzas=2)), bodies[4:], sent, R)
    finally:
        logout(alice, bob)


def test_palaver_stops_cleanly_after_the_suite():
    """Exit 0 on SIGTERM and no sanitizer report in its output (ASan builds)."""
    SUITE.check_clean_stop()


if __name__ == '__main__':
    SUITE.main(globals())
