"""tests/core/test_stats.py: the statistics, seen by an operator.

Drives the real daemon with muc-core through the fake XEP-0114 server
(tests/fakerouter.py). Every stanza the test sends and every stanza the
daemon sends back is counted here, so the daemon's totals can be checked
exactly: the periodic statistics line in the log (<statistics interval>)
and the service administrators' ad-hoc command get-statistics (XEP-0050,
answered with a data form). Rooms, persistent rooms, occupants and their
sessions come from muc-core through the statistics SDK (palaver/stats.h);
stanzas, the output queue and the storage latency from the core.
"""

import os
import re
import shutil
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

from fakerouter import NS, Router, error_condition, escape, local, tostring  # noqa: E402
from taptest import run  # noqa: E402

DOMAIN = 'muc.localhost'
ADMIN = 'root@localhost/console'
ALICE = 'alice@localhost/home'
ALICE2 = 'alice@localhost/phone'
BOB = 'bob@localhost/desk'
SADMIN = '<sadmin><user>root@localhost</user></sadmin>'
CMD = 'http://jabber.org/protocol/commands'
NODE = 'http://jabber.org/protocol/admin#get-statistics'
DATA = '{jabber:x:data}'
LINE = re.compile(r'INFO stats: statistics: (.*)$', re.M)


class Counted:
    """A Router whose traffic is counted: what we send, what we receive."""

    def __init__(self, **kw):
        self.r = Router(domain=DOMAIN, plugins=['muc-core'], **kw)
        self.sent = 0
        self.got = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        rc = self.r.stop()
        assert rc == 0, 'the daemon exited with %r' % rc
        return False

    def send(self, xml):
        self.r.send(xml)
        self.sent += 1

    def drain(self, quiet=0.4):
        got = self.r.collect(quiet=quiet)
        self.got += got
        return got

    def join(self, frm, room, nick):
        self.send("<presence from='%s' to='%s@%s/%s'><x xmlns='%s'/></presence>"
                  % (frm, room, DOMAIN, nick, NS['muc']))
        return self.drain()

    def configure(self, owner, room, fields):
        x = ["<x xmlns='jabber:x:data' type='submit'>",
             "<field var='FORM_TYPE'><value>%s</value></field>" % NS['muc_roomconfig']]
        for var, val in fields.items():
            x.append("<field var='muc#roomconfig_%s'><value>%s</value></field>" % (var, val))
        x.append('</x>')
        self.send("<iq type='set' id='cfg' from='%s' to='%s@%s'><query xmlns='%s'>%s</query></iq>"
                  % (owner, room, DOMAIN, NS['muc_owner'], ''.join(x)))
        got = self.drain()
        assert any(local(g.tag) == 'iq' and g.get('type') == 'result' for g in got), \
            [tostring(g) for g in got]

    def groupchat(self, frm, room, body):
        self.send("<message type='groupchat' id='m' from='%s' to='%s@%s'><body>%s</body></message>"
                  % (frm, room, DOMAIN, escape(body)))
        return self.drain()

    def disco(self, frm=ALICE):
        self.send("<iq type='get' id='d' from='%s' to='%s'><query xmlns='%s'/></iq>"
                  % (frm, DOMAIN, NS['disco_info']))
        return self.drain(quiet=0.2)

    def statistics(self, frm=ADMIN):
        """Runs get-statistics; returns (the answer, the numbers we had counted
        just before it: stanzas we sent including this one, stanzas received)."""
        self.send("<iq type='set' id='st' from='%s' to='%s'><command xmlns='%s' node='%s' "
                  "action='execute'/></iq>" % (frm, DOMAIN, CMD, NODE))
        before = (self.sent, len(self.got))
        got = self.drain()
        assert len(got) == 1, 'expected one answer: %s' % [tostring(g) for g in got]
        return got[0], before


def form_values(answer):
    """{var: (label, value)} of the data form in a command result."""
    c = answer.find('{%s}command' % CMD)
    assert c is not None, tostring(answer)
    assert c.get('node') == NODE and c.get('status') == 'completed', tostring(answer)
    x = c.find(DATA + 'x')
    assert x is not None and x.get('type') == 'result', tostring(answer)
    out = {}
    for f in x.iter(DATA + 'field'):
        out[f.get('var')] = (f.get('label'), f.findtext(DATA + 'value'))
    return out


def numbers(form):
    return {k: float(v[1]) for k, v in form.items() if k != 'FORM_TYPE'}


def log_lines(r):
    """Every statistics line so far, each as {name: float}."""
    out = []
    for m in LINE.finditer(r.stderr()):
        out.append({k: float(v) for k, v in (kv.split('=', 1) for kv in m.group(1).split())})
    return out


def wait_lines(r, n, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = log_lines(r)
        if len(lines) >= n:
            return lines
        time.sleep(0.1)
    raise AssertionError('fewer than %d statistics lines in %.0f s:\n%s' % (n, timeout, r.stderr()))


def populated(c):
    """Two rooms: 'lobby' (temporary) with alice on two resources and bob,
    'keep' (persistent) with alice; a few messages. Everything drained."""
    c.join(ALICE, 'lobby', 'alice')
    c.configure(ALICE, 'lobby', {})
    c.join(ALICE2, 'lobby', 'alice')        # the same occupant, a second session
    c.join(BOB, 'lobby', 'bob')
    c.join(ALICE, 'keep', 'alice')
    c.configure(ALICE, 'keep', {'persistentroom': '1'})
    for i in range(3):
        c.groupchat(BOB, 'lobby', 'hello %d' % i)


def test_adhoc_get_statistics_returns_exact_counts_in_a_form():
    with Counted(extra_config=SADMIN) as c:
        populated(c)
        answer, (sent, received) = c.statistics()
        assert answer.get('type') == 'result' and answer.get('to') == ADMIN, tostring(answer)
        form = form_values(answer)
        assert form['FORM_TYPE'][1] == 'http://jabber.org/protocol/admin', form
        n = numbers(form)
        # muc-core's figures.
        assert n['rooms'] == 2, form
        assert n['rooms-persistent'] == 1, form
        assert n['rooms-occupied'] == 2, form
        assert n['occupants'] == 3, form            # alice and bob in lobby, alice in keep
        assert n['occupant-sessions'] == 4, form    # alice twice in lobby
        # The core's: every stanza in (this request included), every one out
        # before this answer, nothing dropped.
        assert n['stanzas-in'] == sent, (n['stanzas-in'], sent)
        assert n['stanzas-out'] == received, (n['stanzas-out'], received)
        assert n['stanzas-dropped'] == 0, form
        # Without a periodic line the interval runs from start-up.
        assert abs(n['interval-seconds'] - n['uptime-seconds']) <= 1.0, form
        window = max(n['interval-seconds'], 0.1)
        assert abs(n['stanzas-in-per-second'] * window - sent) <= 0.05 * sent + 1, form
        assert abs(n['stanzas-out-per-second'] * window - received) <= 0.05 * received + 1, form
        # The persistent room was stored: the backend was used and timed.
        assert n['backend-operations'] >= 2, form   # the start-up room list, the room put
        assert n['backend-latency-max-ms'] >= n['backend-latency-mean-ms'] >= 0, form
        assert n['queue-bytes'] == 0 and n['queue-stanzas'] == 0, form
        # Labels say what each number is.
        assert form['occupants'][0] and form['stanzas-in'][0] != 'stanzas-in', form
        # palaver(8) explains every figure.
        src = os.environ.get('PALAVER_SRCDIR', os.path.join(os.path.dirname(__file__), '..', '..'))
        with open(os.path.join(src, 'man', 'palaver.8.in'), encoding='utf-8') as f:
            page = f.read().replace('\\-', '-')
        missing = [k for k in n if not re.search(r'\b%s\b' % re.escape(k), page)]
        assert not missing, 'palaver(8) does not explain: %s' % missing


def test_adhoc_get_statistics_follows_changes():
    with Counted(extra_config=SADMIN) as c:
        populated(c)
        c.send("<presence type='unavailable' from='%s' to='lobby@%s/bob'/>" % (BOB, DOMAIN))
        c.drain()
        answer, (sent, received) = c.statistics()
        n = numbers(form_values(answer))
        assert n['occupants'] == 2 and n['occupant-sessions'] == 3, n
        assert n['stanzas-in'] == sent and n['stanzas-out'] == received, (n, sent, received)
        # A second query counts the first one and its answer.
        answer, (sent2, received2) = c.statistics()
        n2 = numbers(form_values(answer))
        assert n2['stanzas-in'] == sent2 == sent + 1, (n2, sent2)
        assert n2['stanzas-out'] == received2 == received + 1, (n2, received2)


def test_adhoc_get_statistics_is_for_service_admins_only():
    with Counted(extra_config=SADMIN) as c:
        c.join(ALICE, 'lobby', 'alice')
        for who in (ALICE, BOB):
            answer, _ = c.statistics(frm=who)
            assert answer.get('type') == 'error', tostring(answer)
            assert error_condition(answer) == ('auth', 'forbidden'), tostring(answer)
            assert answer.find('{%s}command/%sx' % (CMD, DATA)) is None, tostring(answer)
        # It is listed for admins with the other commands, not for others.
        q = "<query xmlns='%s' node='%s'/>" % (NS['disco_items'], CMD)
        res = c.r.iq('get', to=DOMAIN, frm=ADMIN, payload=q)
        assert NODE in {i.get('node') for i in res.iter('{%s}item' % NS['disco_items'])}, \
            tostring(res)
        res = c.r.iq('get', to=DOMAIN, frm=ALICE, payload=q)
        assert not list(res.iter('{%s}item' % NS['disco_items'])), tostring(res)


def test_statistics_line_is_off_by_default():
    with Counted(extra_config=SADMIN) as c:
        c.disco()
        time.sleep(1.5)
        assert not log_lines(c.r), c.r.stderr()


def test_statistics_line_has_exact_counts_after_known_traffic():
    # sqlite, so that storing the persistent room takes measurable time.
    with Counted(backend='sqlite', extra_config="<statistics interval='1'/>") as c:
        first = wait_lines(c.r, 1)[0]
        assert first['rooms'] == 0 and first['occupants'] == 0, first
        assert first['interval-seconds'] <= 5, first   # from start-up to the first line
        # muc-core reads no room at start (LAZY-1): nothing asked of the backend yet
        assert first['backend-operations'] == 0, first
        c.join(ALICE, 'keep', 'alice')
        c.configure(ALICE, 'keep', {'persistentroom': '1'})
        c.join(BOB, 'keep', 'bob')
        for i in range(20):
            c.disco()
        c.groupchat(BOB, 'keep', 'hi')
        c.drain(quiet=0.2)
        # Every line printed from now on comes after all the traffic.
        seen = len(log_lines(c.r))
        lines = wait_lines(c.r, seen + 2)
        last = lines[-1]
        assert last['stanzas-in'] == c.sent, (last, c.sent)
        assert last['stanzas-out'] == len(c.got), (last, len(c.got))
        assert last['rooms'] == 1 and last['rooms-persistent'] == 1, last
        assert last['occupants'] == 2 and last['occupant-sessions'] == 2, last
        assert last['stanzas-in-per-second'] == 0 and last['stanzas-out-per-second'] == 0, last
        # The per-interval rates add up to the totals.
        total_in = sum(l['stanzas-in-per-second'] * l['interval-seconds'] for l in lines)
        total_out = sum(l['stanzas-out-per-second'] * l['interval-seconds'] for l in lines)
        assert abs(total_in - c.sent) <= 0.05 * c.sent + 1, (total_in, c.sent, lines)
        assert abs(total_out - len(c.got)) <= 0.05 * len(c.got) + 1, (total_out, len(c.got))
        # Storing the room: operations counted and timed in some interval.
        ops = sum(l['backend-operations'] for l in lines)
        assert ops >= 2, lines
        assert any(l['backend-latency-max-ms'] > 0 and l['backend-operations'] > 0
                   for l in lines), lines
        assert all(l['backend-latency-max-ms'] >= l['backend-latency-mean-ms'] for l in lines)
        assert all(l['backend-operations'] == 0 and l['backend-latency-max-ms'] == 0
                   for l in lines[seen + 1:]), lines[seen:]
        # One line each time, never split.
        for l in lines:
            assert 'uptime-seconds' in l and 'queue-bytes' in l, l


def test_statistics_line_shows_the_output_queue_of_a_slow_server():
    limits = ("<limits><stanza-size>65536</stanza-size><output-buffer>65536</output-buffer>"
              "</limits><statistics interval='1'/>")
    with Counted(extra_config=limits) as c:
        r = c.r
        r.pause_reading()
        ping = ("<iq type='get' id='p%d' from='tester@localhost/t' to='" + DOMAIN +
                "'><query xmlns='" + NS['disco_info'] + "' pad='" + 'x' * 2048 + "'/></iq>")
        stop = threading.Event()

        def flood():
            try:
                for i in range(20000):
                    if stop.is_set():
                        return
                    r.conn.send((ping % i).encode())
            except OSError:
                pass
        t = threading.Thread(target=flood, daemon=True)
        t.start()
        r.wait_log('pausing input', timeout=20)
        seen = len(log_lines(r))
        paused = wait_lines(r, seen + 1)[-1]
        assert paused['queue-bytes'] > 32768, paused
        assert paused['queue-stanzas'] >= 1, paused
        # Stanzas of a few hundred bytes each: the two counts agree.
        assert 100 <= paused['queue-bytes'] / paused['queue-stanzas'] <= 4096, paused
        assert paused['queue-bytes-max'] >= paused['queue-bytes'], paused
        assert paused['queue-stanzas-max'] >= paused['queue-stanzas'], paused
        stop.set()
        r.resume_reading()
        t.join(60)
        r.wait_log('reading again', timeout=20)
        r.collect(quiet=1.0, timeout=60)
        seen = len(log_lines(r))
        after = wait_lines(r, seen + 2)[-1]
        assert after['queue-bytes'] == 0 and after['queue-stanzas'] == 0, after


def test_statistics_interval_applies_on_sighup():
    import signal
    with Counted(extra_config=SADMIN) as c:
        c.disco()
        cfg = c.r.config_xml().replace('</palaver>', "<statistics interval='1'/></palaver>")
        with open(c.r.config_path, 'w') as f:
            f.write(cfg)
        c.r.signal(signal.SIGHUP)
        lines = wait_lines(c.r, 2)
        assert lines[-1]['stanzas-in'] == c.sent, (lines[-1], c.sent)


def test_statistics_config_errors_name_the_line():
    import subprocess
    for bad in ("<statistics/>", "<statistics interval='soon'/>",
                "<statistics interval='-1'/>", "<statistics every='60'/>"):
        r = Router(domain=DOMAIN, plugins=['muc-core'], extra_config=bad, start=False)
        try:
            r.port = 5347
            with open(r.config_path, 'w') as f:
                f.write(r.config_xml())
            p = subprocess.run(r.command() + ['--check-config'], capture_output=True, text=True,
                               timeout=30)
            assert p.returncode == 1, (bad, p.returncode, p.stderr)
            assert re.search(r'palaver\.xml:\d+: .*statistics', p.stderr), (bad, p.stderr)
        finally:
            r._cleanup()
            shutil.rmtree(r.tmp, ignore_errors=True)


run(globals())
