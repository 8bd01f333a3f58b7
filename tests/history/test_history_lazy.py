"""LAZY-1 with the history plugin: muc-core loads stored rooms on first use
and unloads idle ones (<hibernate-after>); the discussion history follows.
A logging persistent room that everyone left is unloaded (the service
admins' get-statistics shows rooms-unloads go up), then a new joiner gets
the same history (same stanza-ids), filled from the archive when the room
was loaded again, and MAM still returns every message. A persistent room
that does not log gets its history back from its stored recent messages.
check_history_after_hibernation is shared with restart_pgsql.py (the
archive answers later there: the join waits for it)."""

import shutil
import tempfile
import time

from histutil import (Hist, ALICE, BOB, OWNER, DOMAIN, room_jid, to, is_history, body_of,
                      describe, logged_room, mam_query, result_body, result_id, room_stanza_id,
                      history_bodies, is_message, tostring)
from fakerouter import Router, SLOW
from taptest import run

ADMIN = 'root@localhost/console'
SADMIN = '<sadmin><user>root@localhost</user></sadmin>'
MUC_CONFIG = '<flood-burst>0</flood-burst><hibernate-after>1</hibernate-after>'
CMD = 'http://jabber.org/protocol/commands'
STATS = 'http://jabber.org/protocol/admin#get-statistics'
DATA = '{jabber:x:data}'


class LazyHist(Hist):
    """muc-core with <hibernate-after>1</hibernate-after>, history, a service admin."""

    def __init__(self, backend='sqlite', tmpdir=None, router=Router):
        self.r = router(domain=DOMAIN, backend=backend, plugins=['muc-core', 'history'],
                        plugin_config={'muc-core': MUC_CONFIG, 'history': ''},
                        extra_config=SADMIN, reply_close=False, tmpdir=tmpdir)


def statistics(h, n=[0]):
    """The get-statistics figures, {name: float}."""
    n[0] += 1
    ans = h.iq(ADMIN, DOMAIN, 'set', "<command xmlns='%s' node='%s' action='execute'/>"
               % (CMD, STATS), id_='st%d' % n[0])
    assert ans is not None and ans.get('type') == 'result', ans is not None and tostring(ans)
    x = ans.find('{%s}command/%sx' % (CMD, DATA))
    assert x is not None, tostring(ans)
    out = {}
    for f in x.iter(DATA + 'field'):
        v = f.findtext(DATA + 'value')
        if f.get('var') != 'FORM_TYPE' and v is not None:
            out[f.get('var')] = float(v)
    return out


def wait_unloaded(h, unloads, timeout=8.0):
    """Waits until rooms-unloads exceeds `unloads`; returns the figures."""
    deadline = time.monotonic() + timeout * SLOW
    while True:
        n = statistics(h)
        if n['rooms-unloads'] > unloads:
            return n
        assert time.monotonic() < deadline, 'no room was unloaded: %r\n%s' % (n, h.r.stderr())
        time.sleep(0.5)


def check_history_after_hibernation(make, room='keep'):
    """make() -> a started LazyHist-like daemon on the backend under test;
    `room` must not exist yet."""
    with make() as h:
        logged_room(h, room)
        for i in range(25):
            h.send("<message type='groupchat' id='k%d' from='%s' to='%s'><body>k%d</body>"
                   "</message>" % (i, OWNER, room_jid(room), i))
        sent_ids = [(body_of(s), room_stanza_id(s, room))
                    for s in to(h.collect(), OWNER) if is_message(s) and body_of(s)]
        assert [b for b, _ in sent_ids] == ['k%d' % i for i in range(25)], sent_ids
        before = statistics(h)
        h.leave(OWNER, room, 'owner')
        after = wait_unloaded(h, before['rooms-unloads'])
        assert after['rooms'] == before['rooms'] - 1, (before, after)

        # the next join loads the room again; its history came from the archive
        got = h.join(ALICE, room, 'alice')
        hist = [s for s in to(got, ALICE) if is_history(s)]
        assert [(body_of(s), room_stanza_id(s, room)) for s in hist] == sent_ids[5:], \
            describe(got)
        assert [s.get('id') for s in hist] == ['k%d' % i for i in range(5, 25)]
        n = statistics(h)
        assert n['rooms-loads'] > after['rooms-loads'], (after, n)
        # messages after the reload join it, once, in order
        h.groupchat(ALICE, room, 'after reload')
        got = h.join(BOB, room, 'bob', history="<history maxstanzas='3'/>")
        assert history_bodies(got, BOB) == ['k23', 'k24', 'after reload'], describe(got)
        res, ans = mam_query(h, BOB, room, {})
        assert ans.get('type') == 'result', tostring(ans)
        assert [result_body(m) for m in res] == ['k%d' % i for i in range(25)] + ['after reload']
        assert [result_id(m) for m in res][:25] == [i for _, i in sent_ids]

        # a second unload and load: the same again, MAM without anyone in the room
        h.leave(ALICE, room, 'alice')
        h.leave(BOB, room, 'bob')
        wait_unloaded(h, n['rooms-unloads'])
        res, ans = mam_query(h, OWNER, room, {}, id_='mam2')
        assert [result_body(m) for m in res] == ['k%d' % i for i in range(25)] + ['after reload']
        got = h.join(ALICE, room, 'alice', history="<history maxstanzas='2'/>")
        assert history_bodies(got, ALICE) == ['k24', 'after reload'], describe(got)


def check_quiet_room_forgets(make):
    """A persistent room that does not log: unloading it frees its history in
    memory, and the next load refills it from the room's stored recent
    messages (STORE-1: NAME@recent, never served by MAM)."""
    with make() as h:
        h.create(OWNER, 'quiet', 'owner', {'persistentroom': '1', 'enablelogging': '0'})
        h.groupchat(OWNER, 'quiet', 'volatile')
        got = h.join(BOB, 'quiet', 'bob')
        assert history_bodies(got, BOB) == ['volatile'], describe(got)
        before = statistics(h)
        h.leave(BOB, 'quiet', 'bob')
        h.leave(OWNER, 'quiet', 'owner')
        wait_unloaded(h, before['rooms-unloads'])
        got = h.join(ALICE, 'quiet', 'alice')
        assert any(s.get('from') == '%s/alice' % room_jid('quiet') for s in to(got, ALICE)), \
            describe(got)
        assert history_bodies(got, ALICE) == ['volatile'], describe(got)


def with_tmpdir(fn, backend):
    d = tempfile.mkdtemp(prefix='pv-hist-lazy-')
    try:
        fn(lambda: LazyHist(backend=backend, tmpdir=d))
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_lazy1_history_after_hibernation_sqlite():
    with_tmpdir(check_history_after_hibernation, 'sqlite')


def test_lazy1_history_after_hibernation_memory():
    with_tmpdir(check_history_after_hibernation, 'memory')


def test_lazy1_unloaded_room_history_freed():
    with_tmpdir(check_quiet_room_forgets, 'sqlite')


if __name__ == '__main__':
    run(globals())
