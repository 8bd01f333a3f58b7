"""ENTER-13: discussion history on join (XEP-0045 §7.2.14-7.2.15), through
the fake router: order (after the joiner's own presence, before the
subject), the XEP-0203 delay, and every <history/> limit alone and combined."""

import datetime
import time

from histutil import (Hist, ALICE, BOB, OWNER, room_jid, occ, to, is_presence, is_message,
                      codes, body_of, subject_of, delay_of, is_history, history_bodies,
                      describe, logged_room, room_stanza_id, tostring)
from taptest import run


def setup(h, room='r', n=4, prefix='m'):
    logged_room(h, room)
    for i in range(n):
        h.send("<message type='groupchat' id='%s%d' from='%s' to='%s'><body>%s%d</body></message>"
               % (prefix, i, OWNER, room_jid(room), prefix, i))
    h.collect()


def test_enter13_history_order_after_own_presence_before_subject():
    with Hist() as h:
        logged_room(h, 'r')
        h.send("<message type='groupchat' from='%s' to='%s'><subject>Topic</subject></message>"
               % (OWNER, room_jid('r')))
        h.collect()
        for i in range(4):
            h.send("<message type='groupchat' id='m%d' from='%s' to='%s'><body>m%d</body>"
                   "<thread>t</thread><x xmlns='urn:example:payload'>p%d</x></message>"
                   % (i, OWNER, room_jid('r'), i, i))
        h.collect()
        got = to(h.join(ALICE, 'r', 'alice'), ALICE)
        kinds = []
        for s in got:
            if is_presence(s) and 110 in codes(s):
                kinds.append('self')
            elif is_presence(s):
                kinds.append('presence')
            elif is_message(s) and subject_of(s) is not None:
                kinds.append('subject')
            elif is_history(s):
                kinds.append('history')
            else:
                kinds.append('other')
        assert kinds == ['presence', 'self', 'history', 'history', 'history', 'history',
                         'subject'], kinds
        hist = [s for s in got if is_history(s)]
        assert [body_of(s) for s in hist] == ['m0', 'm1', 'm2', 'm3']
        for i, s in enumerate(hist):
            assert s.get('from') == occ('r', 'owner'), tostring(s)
            assert s.get('type') == 'groupchat' and s.get('id') == 'm%d' % i, tostring(s)
            d = delay_of(s)
            assert d.get('from') == room_jid('r'), tostring(s)
            stamp = datetime.datetime.strptime(d.get('stamp'), '%Y-%m-%dT%H:%M:%S.%fZ')
            age = datetime.datetime.utcnow() - stamp
            assert datetime.timedelta(0) <= age < datetime.timedelta(seconds=30), d.get('stamp')
            assert s.find('{urn:example:payload}x').text == 'p%d' % i, tostring(s)
            room_stanza_id(s, 'r')
        assert subject_of(got[-1]) == 'Topic'


def test_enter13_maxstanzas():
    with Hist() as h:
        setup(h, n=5)
        got = h.join(ALICE, 'r', 'alice', history="<history maxstanzas='2'/>")
        assert history_bodies(got, ALICE) == ['m3', 'm4'], describe(got)
        got = h.join(BOB, 'r', 'bob', history="<history maxstanzas='0'/>")
        assert history_bodies(got, BOB) == [], describe(got)
        assert any(subject_of(s) is not None for s in to(got, BOB))


def test_enter13_maxchars():
    with Hist() as h:
        logged_room(h, 'r')
        bodies = ['x' * 2000, 'small1', 'small2']
        for i, b in enumerate(bodies):
            h.send("<message type='groupchat' id='c%d' from='%s' to='%s'><body>%s</body></message>"
                   % (i, OWNER, room_jid('r'), b))
        h.collect()
        # a small stanza is a few hundred characters: two fit in 1500, the big one never
        got = h.join(ALICE, 'r', 'alice', history="<history maxchars='1500'/>")
        assert history_bodies(got, ALICE) == ['small1', 'small2'], describe(got)
        got = h.join(BOB, 'r', 'bob', history="<history maxchars='0'/>")
        assert history_bodies(got, BOB) == [], describe(got)
        got = h.join('carol@localhost/pc', 'r', 'carol', history="<history maxchars='100000'/>")
        assert history_bodies(got, 'carol@localhost/pc') == bodies
        got = h.join('dave@localhost/pc', 'r', 'dave', history="<history maxchars='20'/>")
        assert history_bodies(got, 'dave@localhost/pc') == []


def test_enter13_seconds():
    with Hist() as h:
        setup(h, n=2, prefix='old')
        time.sleep(2.2)
        for i in range(2):
            h.send("<message type='groupchat' from='%s' to='%s'><body>new%d</body></message>"
                   % (OWNER, room_jid('r'), i))
        h.collect()
        got = h.join(ALICE, 'r', 'alice', history="<history seconds='1'/>")
        assert history_bodies(got, ALICE) == ['new0', 'new1'], describe(got)
        got = h.join(BOB, 'r', 'bob', history="<history seconds='60'/>")
        assert history_bodies(got, BOB) == ['old0', 'old1', 'new0', 'new1']


def stamps(h, jid, nick):
    got = h.join(jid, 'r', nick)
    return [(body_of(s), delay_of(s).get('stamp')) for s in to(got, jid) if is_history(s)]


def reformat(stamp, offset_minutes, fraction=True):
    """The same instant as `stamp`, written with another UTC offset."""
    t = datetime.datetime.strptime(stamp, '%Y-%m-%dT%H:%M:%S.%fZ')
    local_t = t + datetime.timedelta(minutes=offset_minutes)
    sign = '+' if offset_minutes >= 0 else '-'
    off = '%s%02d:%02d' % (sign, abs(offset_minutes) // 60, abs(offset_minutes) % 60)
    body = local_t.strftime('%Y-%m-%dT%H:%M:%S')
    if fraction:
        body += '.%06d' % local_t.microsecond
    return body + off


def test_enter13_since_every_datetime_form():
    with Hist() as h:
        setup(h, n=1, prefix='a')
        time.sleep(1.1)
        for i in range(2):
            h.send("<message type='groupchat' from='%s' to='%s'><body>b%d</body></message>"
                   % (OWNER, room_jid('r'), i))
        h.collect()
        st = stamps(h, 'x@localhost/pc', 'x')
        assert [b for b, _ in st] == ['a0', 'b0', 'b1'], st
        cut = st[1][1]              # b0's stamp, milliseconds, Z
        whole = datetime.datetime.strptime(cut, '%Y-%m-%dT%H:%M:%S.%fZ').replace(microsecond=0)
        forms = [cut, reformat(cut, 120), reformat(cut, -330), reformat(cut, 0).replace('+00:00', 'Z'),
                 whole.strftime('%Y-%m-%dT%H:%M:%SZ')]
        for i, since in enumerate(forms):
            jid = 'u%d@localhost/pc' % i
            got = h.join(jid, 'r', 'u%d' % i, history="<history since='%s'/>" % since)
            assert history_bodies(got, jid) == ['b0', 'b1'], (since, describe(got))
        # a bound after the last message sends nothing
        jid = 'late@localhost/pc'
        got = h.join(jid, 'r', 'late', history="<history since='2999-01-01T00:00:00Z'/>")
        assert history_bodies(got, jid) == []


def test_enter13_combination_strictest_wins():
    with Hist() as h:
        setup(h, n=3, prefix='a')
        time.sleep(1.1)
        for i in range(5):
            h.send("<message type='groupchat' from='%s' to='%s'><body>b%d</body></message>"
                   % (OWNER, room_jid('r'), i))
        h.collect()
        past = '2000-01-01T00:00:00Z'
        # seconds stricter than maxstanzas and since
        got = h.join(ALICE, 'r', 'alice',
                     history="<history maxstanzas='7' seconds='1' since='%s'/>" % past)
        assert history_bodies(got, ALICE) == ['b0', 'b1', 'b2', 'b3', 'b4'], describe(got)
        # maxstanzas stricter than seconds
        got = h.join(BOB, 'r', 'bob', history="<history maxstanzas='2' seconds='1'/>")
        assert history_bodies(got, BOB) == ['b3', 'b4'], describe(got)
        # maxchars stricter than everything
        jid = 'c@localhost/pc'
        got = h.join(jid, 'r', 'c', history="<history maxstanzas='8' seconds='100' maxchars='1'/>")
        assert history_bodies(got, jid) == []
        # all four present, maxstanzas the strictest
        jid = 'd@localhost/pc'
        got = h.join(jid, 'r', 'd', history="<history maxstanzas='1' seconds='100' "
                     "maxchars='100000' since='%s'/>" % past)
        assert history_bodies(got, jid) == ['b4']


def test_enter13_room_history_length_caps_default_20():
    with Hist() as h:
        setup(h, n=25)
        got = h.join(ALICE, 'r', 'alice')
        assert history_bodies(got, ALICE) == ['m%d' % i for i in range(5, 25)], describe(got)
        got = h.join(BOB, 'r', 'bob', history="<history maxstanzas='100'/>")
        assert len(history_bodies(got, BOB)) == 20


def test_enter13_room_maxhistoryfetch_caps_what_is_sent():
    with Hist() as h:
        logged_room(h, 'r', extra={'muc#maxhistoryfetch': '3'})
        for i in range(6):
            h.send("<message type='groupchat' from='%s' to='%s'><body>h%d</body></message>"
                   % (OWNER, room_jid('r'), i))
        h.collect()
        got = h.join(ALICE, 'r', 'alice', history="<history maxstanzas='10'/>")
        assert history_bodies(got, ALICE) == ['h3', 'h4', 'h5'], describe(got)
        got = h.join(BOB, 'r', 'bob')
        assert history_bodies(got, BOB) == ['h3', 'h4', 'h5'], describe(got)
        # fetch 0: no history at all
        assert h.configure(OWNER, 'r', {'muc#maxhistoryfetch': '0'}).get('type') == 'result'
        h.collect()
        got = h.join('c@localhost/pc', 'r', 'c')
        assert history_bodies(got, 'c@localhost/pc') == [], describe(got)


def test_enter13_malformed_attributes_ignored():
    with Hist() as h:
        setup(h, n=3)
        got = h.join(ALICE, 'r', 'alice', history="<history maxstanzas='-1' since='yesterday'/>")
        assert history_bodies(got, ALICE) == ['m0', 'm1', 'm2'], describe(got)
        got = h.join(BOB, 'r', 'bob', history="<history maxchars='lots' maxstanzas='1'/>")
        assert history_bodies(got, BOB) == ['m2'], describe(got)


def test_enter13_bodyless_messages_not_in_history():
    with Hist() as h:
        logged_room(h, 'r')
        h.send("<message type='groupchat' from='%s' to='%s'><body>kept</body></message>"
               % (OWNER, room_jid('r')))
        h.send("<message type='groupchat' from='%s' to='%s'>"
               "<composing xmlns='http://jabber.org/protocol/chatstates'/></message>"
               % (OWNER, room_jid('r')))
        h.collect()
        got = to(h.join(ALICE, 'r', 'alice'), ALICE)
        hist = [s for s in got if is_message(s) and delay_of(s) is not None]
        assert [body_of(s) for s in hist] == ['kept'], describe(got)


run(globals())
