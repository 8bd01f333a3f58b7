"""Allocation-failure injection, as SQLite tests it: through a join, a
groupchat, an admin (role and affiliation changes) and a configuration
scenario, the Nth allocation the daemon makes fails, for N = 1, 2, ... up
to a few hundred and then with a stride up to the scenario's whole count.
Whatever the failure costs (a stanza answered with an error or not at all,
the stream reconnected), the daemon must not crash, must still serve a
fresh room once the failures stop, and must exit 0 on SIGTERM with no
AddressSanitizer or LeakSanitizer report (in a sanitizer build; a plain
build checks the rest).

tests/alloc/failmalloc.c (preloaded) does the failing: it counts nothing
until the test arms it with a signal, after the daemon is up and the
scenario's rooms are set up, so every run exercises the scenario itself and
not the start-up. One daemon serves a batch of runs (a fresh room each,
after the scenario ran once unarmed); each batch ends with SIGTERM, so a
leak is reported for its batch. The cold join gives each N a fresh daemon:
its first room, form and broadcast allocate what later ones reuse.

PALAVER_ALLOC_DENSE (default 250) and PALAVER_ALLOC_RUNS (default 60) set
how many N are tried one by one, then how many more spread over the rest.
"""

import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'muc'))

from fakerouter import Router, NS, SLOW, escape, local, tostring  # noqa: E402
from mucutil import DOMAIN, room_jid, occ, owner_submit, codes, body_of  # noqa: E402
from taptest import run, skip_all, diag  # noqa: E402

ARM = signal.SIGRTMIN + 3
DISARM = signal.SIGRTMIN + 4
BUILDDIR = os.environ.get('PALAVER_BUILDDIR', '.')
SHIM = os.path.join(BUILDDIR, 'tests', 'alloc', '.libs', 'failmalloc.so')
DENSE = int(os.environ.get('PALAVER_ALLOC_DENSE') or 250)
SPREAD = int(os.environ.get('PALAVER_ALLOC_RUNS') or 60)
LATE = 5.0                      # how long an answer may follow the barrier
# The same while failing, when it may never come: the memory backend
# answers before the barrier, sqlite's writes finish a little later.
LATE_FAILING = {'memory': 0.0, 'sqlite': 0.2}
BATCH = 40                      # runs per daemon: each batch ends with a leak check
A, B, C, Z = 'alice@localhost/pc', 'bob@localhost/phone', 'carol@example.net/x', 'zed@localhost/z'


def sanitizer_build():
    """The daemon links AddressSanitizer (its runtime must come after the shim)."""
    try:
        with open(os.environ.get('PALAVER_BIN') or os.path.join(BUILDDIR, 'palaver'), 'rb') as f:
            return b'libasan.so' in f.read()
    except OSError:
        return False


class Daemon:
    """One daemon with the shim preloaded; runs are armed, driven and
    disarmed through it, each followed by a barrier: a ping whose answer
    says every stanza sent before it was handled."""

    def __init__(self, backend, tmp):
        self.ctl = os.path.join(tmp, 'failmalloc.ctl')
        with open(self.ctl, 'w') as f:
            f.write('0\n')
        env = {'LD_PRELOAD': SHIM, 'PALAVER_FAILMALLOC': self.ctl}
        if sanitizer_build():
            env['ASAN_OPTIONS'] = (os.environ.get('ASAN_OPTIONS', 'detect_leaks=1') +
                                   ':verify_asan_link_order=0')
        self.r = Router(domain=DOMAIN, backend=backend, plugins=['muc-core'], env=env,
                        verbose=False, extra_config='<reconnect-max>1</reconnect-max>')
        self.seq = 0
        self.reconnects = 0
        self.late = LATE

    # ---- the stream --------------------------------------------------------

    def send(self, xml):
        try:
            self.r.send(xml)
        except OSError:
            pass                # the daemon dropped the stream: the barrier reconnects

    def _down(self):
        c = self.r.conn
        return c is None or c.eof or c.stream_ended

    def _reconnect(self):
        self.reconnects += 1
        self.r.wait_connection(15.0)

    def barrier(self):
        """Every stanza the daemon sent until it answered a ping sent now
        (sent again when the failure was the ping's: not answered soon)."""
        got = []
        for timeout in (1.0 * SLOW, 5.0 * SLOW, 10.0 * SLOW):
            self.seq += 1
            bid = 'barrier-%d' % self.seq
            self.send("<iq type='get' id='%s' from='ping@localhost/b' to='%s'><ping xmlns='%s'/>"
                      "</iq>" % (bid, DOMAIN, NS['ping']))
            deadline = time.monotonic() + timeout
            while True:
                left = deadline - time.monotonic()
                try:
                    el = self.r._next_stanza(left) if left > 0 else None
                except AssertionError:
                    if self.alive() and self._down():
                        self._reconnect()
                        break
                    raise
                if el is None:
                    break       # the ping itself may have been the failure: again
                if local(el.tag) == 'iq' and el.get('id') == bid:
                    return got
                got.append(el)
            if not self.alive():
                break
        raise AssertionError('the daemon stopped answering (exit status %r)' % self.r.proc.poll())

    def step(self, *stanzas, until=None):
        """Sends, then returns what came back once the daemon handled it all
        and, with `until`, once until(stanzas) holds or a while passed (a
        backend that writes in the background answers after the barrier;
        a failed allocation may leave a request unanswered)."""
        for s in stanzas:
            self.send(s)
        got = self.barrier()
        deadline = time.monotonic() + self.late * SLOW
        while until is not None and not until(got) and self.alive():
            left = deadline - time.monotonic()
            try:
                el = self.r._next_stanza(left) if left > 0 else None
            except AssertionError:
                if self._down():
                    return got + self.barrier()   # reconnects
                raise
            if el is None:
                break
            got.append(el)
        return got

    def alive(self):
        return self.r.proc.poll() is None

    # ---- the shim ----------------------------------------------------------

    def arm(self, n):
        with open(self.ctl, 'w') as f:
            f.write('%d\n' % n)
        self.r.signal(ARM)

    def disarm(self):
        """(allocations since arming, how many failed)."""
        self.r.signal(DISARM)
        self.barrier()          # answered after the handler ran
        with open(self.ctl) as f:
            m = re.match(r'(\d+) (\d+)', f.read())
        assert m, 'the shim did not report (is it loaded?)'
        return int(m.group(1)), int(m.group(2))

    def stop(self):
        rc = self.r.stop()      # raises on a sanitizer report
        assert rc == 0, 'the daemon exited with %r' % rc


# ---- stanzas ---------------------------------------------------------------

def join(frm, room, nick, extra=''):
    return "<presence from='%s' to='%s'><x xmlns='%s'>%s</x></presence>" % (
        escape(frm), occ(room, nick), NS['muc'], extra)


def leave(frm, room, nick):
    return "<presence type='unavailable' from='%s' to='%s'/>" % (escape(frm), occ(room, nick))


def groupchat(frm, room, body, extra=''):
    return "<message type='groupchat' id='g' from='%s' to='%s'><body>%s</body>%s</message>" % (
        escape(frm), room_jid(room), escape(body), extra)


def iq(frm, room, type_, payload, id_):
    return "<iq type='%s' id='%s' from='%s' to='%s'>%s</iq>" % (
        type_, id_, escape(frm), room_jid(room), payload)


def configure(frm, room, fields, id_='cfg'):
    return iq(frm, room, 'set', owner_submit(fields), id_)


def admin(frm, room, items, id_, type_='set'):
    return iq(frm, room, type_, "<query xmlns='%s'>%s</query>" % (NS['muc_admin'], items), id_)


def answer(got, id_):
    for s in got:
        if local(s.tag) == 'iq' and s.get('id') == id_:
            return s.get('type')
    return None


def check(cond, what, got):
    if not cond:
        raise AssertionError('%s:\n%s' % (what, '\n'.join(tostring(s)[:300] for s in got)))


def self_presence(got, jid):
    return [s for s in got if local(s.tag) == 'presence' and s.get('to') == jid and
            s.get('type') is None and 110 in codes(s)]


def entered(jid):
    return lambda got: self_presence(got, jid)


def answered(id_):
    return lambda got: answer(got, id_)


def create(d, room):
    d.step(join(A, room, 'alice'), until=entered(A))
    d.step(configure(A, room, {'persistentroom': 1}), until=answered('cfg'))


# ---- scenarios: setup (not armed), then the armed part ---------------------
# `strict` (the counting run, nothing failed) checks that the scenario does
# what it is meant to; under injection only the daemon's survival counts.

def join_setup(d, room):
    pass


def join_run(d, room, strict):
    got = d.step(join(A, room, 'alice'), until=entered(A))
    check(not strict or 201 in set().union(*map(codes, self_presence(got, A))),
          'the room was not created', got)
    got = d.step(configure(A, room, {'roomname': 'Join', 'whois': 'anyone',
                                     'persistentroom': 1}, 'cfg'), until=answered('cfg'))
    check(not strict or answer(got, 'cfg') == 'result', 'the room was not configured', got)
    got = d.step(join(B, room, 'bob', "<history maxstanzas='5'/>"), until=entered(B))
    check(not strict or self_presence(got, B), 'bob did not enter', got)
    got = d.step(join(C, room, 'carol', '<password>x</password>'), until=entered(C))
    check(not strict or self_presence(got, C), 'carol did not enter', got)
    got = d.step(join(B, room, 'bobby'))       # a nick change
    check(not strict or any(303 in codes(s) for s in got), 'no nick change', got)
    d.step(leave(C, room, 'carol'))


def groupchat_setup(d, room):
    create(d, room)
    d.step(join(B, room, 'bob'), until=entered(B))
    d.step(join(C, room, 'carol'), until=entered(C))


def groupchat_run(d, room, strict):
    got = d.step(groupchat(A, room, 'hello, all'))
    check(not strict or len([s for s in got if body_of(s) == 'hello, all']) == 3,
          'the message did not reach the three occupants', got)
    got = d.step(groupchat(B, room, 'with a thread', '<thread>t1</thread>'
                           "<active xmlns='%s'/>" % NS['chatstates']))
    check(not strict or len(got) == 3, 'the second message was not broadcast', got)
    got = d.step("<message type='groupchat' from='%s' to='%s'><subject>Today</subject></message>"
                 % (A, room_jid(room)))
    check(not strict or len(got) == 3, 'the subject did not change', got)
    got = d.step("<message type='chat' from='%s' to='%s'><body>psst</body></message>"
                 % (A, occ(room, 'bob')))
    check(not strict or [s for s in got if s.get('to') == B and body_of(s) == 'psst'],
          'the private message did not arrive', got)
    d.step(leave(C, room, 'carol'))


def admin_setup(d, room):
    create(d, room)
    d.step(join(B, room, 'bob'), until=entered(B))
    d.step(join(C, room, 'carol'), until=entered(C))


def admin_run(d, room, strict):
    steps = [
        ("<item nick='bob' role='visitor'><reason>quiet</reason></item>", 'a1'),
        ("<item nick='bob' role='participant'/>", 'a2'),
        ("<item jid='carol@example.net' affiliation='member'/>", 'a3'),
        ("<item jid='carol@example.net' affiliation='admin'/>", 'a4'),
        ("<item jid='spam@example.org' affiliation='outcast'><reason>no</reason></item>", 'a5'),
        ("<item jid='dave@localhost' affiliation='member'/>"
         "<item jid='eve@localhost' affiliation='member'/>", 'a6'),
        ("<item nick='bob' role='none'><reason>out</reason></item>", 'a7'),
    ]
    for items, id_ in steps:
        got = d.step(admin(A, room, items, id_), until=answered(id_))
        check(not strict or answer(got, id_) == 'result', 'admin set %s failed' % id_, got)
    got = d.step(admin(A, room, "<item affiliation='member'/>", 'l1', 'get'), until=answered('l1'))
    check(not strict or answer(got, 'l1') == 'result', 'the member list was refused', got)
    got = d.step(admin(A, room, "<item affiliation='outcast'/>", 'l2', 'get'), until=answered('l2'))
    check(not strict or answer(got, 'l2') == 'result', 'the ban list was refused', got)


def config_setup(d, room):
    create(d, room)
    d.step(join(B, room, 'bob'), until=entered(B))


def config_run(d, room, strict):
    got = d.step(iq(A, room, 'get', "<query xmlns='%s'/>" % NS['muc_owner'], 'f1'), until=answered('f1'))
    check(not strict or answer(got, 'f1') == 'result', 'no configuration form', got)
    got = d.step(configure(A, room, {
        'roomname': 'Configured', 'roomdesc': 'a description', 'whois': 'anyone',
        'enablelogging': 1, 'moderatedroom': 1, 'maxusers': 30, 'changesubject': 0,
        'passwordprotectedroom': 1, 'roomsecret': 'pw', 'roomadmins': ['carol@example.net'],
        'roomowners': ['alice@localhost', 'dave@localhost'], 'getmemberlist': ['moderator'],
        'x-palaver#message_size': 2000}, 'c1'),
        until=lambda got: answer(got, 'c1') and any(170 in codes(s) for s in got))
    check(not strict or answer(got, 'c1') == 'result', 'the form was refused', got)
    check(not strict or any(170 in codes(s) for s in got), 'no status change broadcast', got)
    got = d.step(configure(A, room, {'enablelogging': 0, 'membersonly': 1, 'whois': 'moderators',
                                     'maxusers': 'lots'}, 'c2'), until=answered('c2'))
    check(not strict or answer(got, 'c2') == 'error', 'a bad value was accepted', got)
    got = d.step(configure(A, room, {'membersonly': 1, 'passwordprotectedroom': 0}, 'c3'),
                 until=answered('c3'))
    check(not strict or answer(got, 'c3') == 'result', 'the second form was refused', got)
    got = d.step(iq(A, room, 'get', "<query xmlns='%s'/>" % NS['muc_owner'], 'f2'), until=answered('f2'))
    check(not strict or answer(got, 'f2') == 'result', 'no configuration form after', got)


# ---- the loop ----------------------------------------------------------------

def still_serves(d, tag):
    """Nothing failing any more, a fresh room takes a join and a message."""
    room = 'alive-%s' % tag
    got = d.step(join(Z, room, 'zed'), until=entered(Z))
    check(self_presence(got, Z), 'the daemon no longer lets anyone enter a room', got)
    got = d.step(groupchat(Z, room, 'still here'),
                 until=lambda got: [s for s in got if s.get('to') == Z and body_of(s)])
    check([s for s in got if s.get('to') == Z and body_of(s) == 'still here'],
          'the daemon no longer reflects a message', got)
    d.step(leave(Z, room, 'zed'))


def schedule(total, dense, spread):
    """N = 1 .. dense one by one, then `spread` more spread over the rest."""
    ns = list(range(1, min(total, dense) + 1))
    if total <= dense:
        return ns
    stride = max(1, -(-(total - dense) // max(1, spread)))
    return ns + list(range(dense + stride, total + 1, stride))[:spread]


def warm_up(d, setup, run_):
    """The scenario once, not armed: a fresh daemon's first room, first
    form and first broadcast allocate what later ones reuse (the cold run,
    a fresh daemon for each N, fails those)."""
    setup(d, 'warm')
    run_(d, 'warm', True)


def count_run(name, setup, run_, backend, tmp, cold):
    """The scenario once, counting: its allocations, and that it works."""
    d = Daemon(backend, tmp)
    try:
        if not cold:
            warm_up(d, setup, run_)
        setup(d, 'count')
        d.arm(0)
        run_(d, 'count', True)
        total, failed = d.disarm()
        assert failed == 0
        still_serves(d, 'count')
    finally:
        d.stop()
    assert total > 10, '%s: only %d allocations counted: the shim is not working' % (name, total)
    return total


def injection_runs(name, setup, run_, backend='memory', scale=1.0, cold=False):
    """The scenario under injection; `scale` shrinks the schedule (the
    sqlite runs wait a little for each unanswered request); `cold`: a fresh
    daemon for each N, its first room."""
    tmp_root = os.environ.get('TMPDIR', '/tmp')
    tmp = os.path.join(tmp_root, 'palaver-alloc-%d-%s' % (os.getpid(), name))
    os.makedirs(tmp, exist_ok=True)
    started = time.monotonic()
    try:
        total = count_run(name, setup, run_, backend, tmp, cold)
        batch_size = 1 if cold else BATCH
        ns = schedule(total, int(DENSE * scale), int(SPREAD * scale))
        problems, hit, reconnects = [], 0, 0
        for i in range(0, len(ns), batch_size):
            batch = ns[i:i + batch_size]
            d = Daemon(backend, tmp)
            current = None
            try:
                if not cold:
                    warm_up(d, setup, run_)
                for n in batch:
                    current = n
                    t0 = time.monotonic()
                    room = '%s-%d' % (name, n)
                    setup(d, room)
                    d.arm(n)
                    d.late = LATE_FAILING[backend]
                    run_(d, room, False)
                    d.late = LATE
                    seen, failed = d.disarm()
                    hit += failed
                    if os.environ.get('PALAVER_ALLOC_VERBOSE'):
                        diag('N=%d: %d allocations, %d failed, %d reconnects, %.2f s' % (
                            n, seen, failed, d.reconnects, time.monotonic() - t0))
                    still_serves(d, n)
                current = None
            except AssertionError as e:
                problems.append('N=%s: %s' % (current, str(e)[:6000]))
            finally:
                reconnects += d.reconnects
                try:
                    d.stop()
                except AssertionError as e:
                    problems.append('batch N=%d..%d, at exit: %s' % (batch[0], batch[-1],
                                                                    str(e)[:6000]))
        diag('%s (%s): %d allocations; %d runs (N up to %d), %d failures injected, '
             '%d reconnects, %.1f s' % (name, backend, total, len(ns), ns[-1], hit, reconnects,
                                        time.monotonic() - started))
        assert not problems, '\n\n'.join(problems[:3])
        # the shim must really have failed (nearly) every N the loop tried
        assert hit >= len(ns) * 9 // 10, 'only %d of %d runs had a failure injected' % (
            hit, len(ns))
    finally:
        for f in os.listdir(tmp):
            os.unlink(os.path.join(tmp, f))
        os.rmdir(tmp)


def test_join_survives_allocation_failures():
    injection_runs('join', join_setup, join_run)


def test_groupchat_survives_allocation_failures():
    injection_runs('groupchat', groupchat_setup, groupchat_run)


def test_admin_survives_allocation_failures():
    injection_runs('admin', admin_setup, admin_run)


def test_configuration_survives_allocation_failures():
    injection_runs('config', config_setup, config_run)


def test_cold_join_survives_allocation_failures():
    injection_runs('cold', join_setup, join_run, 'memory', 0.3, cold=True)


def test_sqlite_join_survives_allocation_failures():
    injection_runs('join', join_setup, join_run, 'sqlite', 0.3)


def test_sqlite_admin_survives_allocation_failures():
    injection_runs('admin', admin_setup, admin_run, 'sqlite', 0.5)


def test_sqlite_configuration_survives_allocation_failures():
    injection_runs('config', config_setup, config_run, 'sqlite', 0.5)


if __name__ == '__main__':
    if not os.path.exists(SHIM):
        skip_all('%s was not built' % SHIM)
    with open(os.environ.get('PALAVER_BIN') or os.path.join(BUILDDIR, 'palaver'), 'rb') as f:
        if f.read(4) != b'\x7fELF':    # tests/valgrind-palaver, say: the shim needs the daemon
            skip_all('the daemon runs under a wrapper script')
    run(globals())
