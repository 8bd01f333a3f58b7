"""tests/core/test_syslog.py: <log>syslog</log>, seen from the system logger.

How the logger is played: Palaver talks to the logger's socket itself
(core/log_syslog.c), by default /dev/log, or the path given as
<log socket="...">. Most tests bind a unix datagram socket in a temporary
directory, name it in socket=, and read exactly the datagrams the daemon
sends, as rsyslogd or journald would receive them: no privileges, no
interference with a real logger or with tests running in parallel. One
test checks the default path /dev/log itself: as root, it runs the daemon
in a private mount namespace (unshare -m) whose /dev is a fresh tmpfs
holding null, zero, random and urandom and a /dev/log that leads to the
test's socket; the real /dev and any real logger are never touched. It is
skipped, saying why, where mount namespaces are not allowed.

The daemon runs against the fake XEP-0114 server (tests/fakerouter.py).
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

from fakerouter import Router  # noqa: E402
from taptest import run, skip  # noqa: E402

DOMAIN = 'muc.localhost'
SECRET = 'Sw0rdfish-never-logged'
# <PRI>Mmm dd hh:mm:ss palaver[PID]: LEVEL who: text
MSG = re.compile(r'^<(\d+)>([A-Z][a-z]{2} [ 1-3]\d \d\d:\d\d:\d\d) palaver\[(\d+)\]: '
                 r'(ERROR|WARN|INFO|DEBUG|TRAFFIC) ([^:]+): (.*)$', re.S)
LOCAL3, DAEMON = 19 << 3, 3 << 3
ERR, WARNING, INFO, DEBUG = 3, 4, 6, 7


class Logger:
    """A unix datagram socket playing the system logger."""

    def __init__(self, path, delay=0.0):
        self.path = path
        self.delay = delay              # seconds before it starts reading (a busy logger)
        self.msgs = []
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.2)
        self.running = True
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        time.sleep(self.delay)
        while self.running:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.msgs.append(data.decode('utf-8', 'replace'))

    def close(self):
        self.running = False
        self.thread.join(2)
        self.sock.close()
        try:
            os.unlink(self.path)
        except OSError:
            pass

    def parsed(self):
        with self.lock:
            msgs = list(self.msgs)
        out = []
        for m in msgs:
            p = MSG.match(m)
            assert p, 'not a syslog message from palaver: %r' % m
            out.append((int(p.group(1)), int(p.group(3)), p.group(4), p.group(5), p.group(6)))
        return out

    def wait(self, text, timeout=10.0):
        """The first message whose text contains `text`, as parsed()."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for m in self.parsed():
                if text in m[4]:
                    return m
            time.sleep(0.05)
        raise AssertionError('%r never reached the logger; it got:\n%s'
                             % (text, '\n'.join(self.msgs[-30:])))

    def raw(self):
        with self.lock:
            return '\n'.join(self.msgs)


def logged(log_attrs, args=(), **kw):
    """A Router whose config says <log ATTRS>syslog</log>."""
    return Router(domain=DOMAIN, secret=SECRET, plugins=['muc-core'], args=list(args),
                  extra_config='<log %s>syslog</log>' % log_attrs, **kw)


def tmpdir():
    return tempfile.mkdtemp(prefix='pv-syslog-')


def test_lines_reach_the_logger_with_facility_levels_and_ident():
    d = tmpdir()
    lg = Logger(os.path.join(d, 'log'))
    try:
        r = logged("facility='local3' socket='%s'" % lg.path, start=False)
        r.start()
        pid = r.proc.pid
        start = lg.wait('starting: component ' + DOMAIN)
        assert start[0] == LOCAL3 | INFO and start[1] == pid, start
        assert start[2] == 'INFO' and start[3] == 'core', start
        debug = lg.wait("plugin 'muc-core'")           # -v: module loading
        assert debug[0] == LOCAL3 | DEBUG or debug[0] == LOCAL3 | INFO, debug
        assert any(m[0] == LOCAL3 | DEBUG and m[2] == 'DEBUG' for m in lg.parsed()), lg.raw()
        # A lost connection is a warning.
        r.close_connection()
        warn = lg.wait('reconnecting to')
        assert warn[0] == LOCAL3 | WARNING and warn[2] == 'WARN', warn
        r.wait_connection(15)
        # A refused reload is an error.
        with open(r.config_path, 'a') as f:
            f.write('<broken')
        r.signal(signal.SIGHUP)
        err = lg.wait('config reload failed')
        assert err[0] == LOCAL3 | ERR and err[2] == 'ERROR', err
        assert r.stop() == 0
        # Nothing went to standard error: the log is in syslog only.
        out = r.stderr()
        assert ' INFO core: ' not in out and 'starting: component' not in out, out
        assert SECRET not in lg.raw()
    finally:
        lg.close()
        shutil.rmtree(d, ignore_errors=True)


def test_default_facility_is_daemon_and_secrets_never_reach_it():
    d = tmpdir()
    lg = Logger(os.path.join(d, 'log'))
    try:
        # -vv: every stanza is logged, the handshake and passwords redacted.
        with logged("socket='%s'" % lg.path, args=['-v']) as r:
            lg.wait('connected to')
            r.send("<presence from='a@localhost/x' to='room@%s/nick'><x xmlns="
                   "'http://jabber.org/protocol/muc'><password>hunter2-secret</password></x>"
                   "</presence>" % DOMAIN)
            r.collect(quiet=0.5)
            lg.wait('RECV <presence')
            digest = r.conn.handshake
        msgs = lg.parsed()
        assert all(m[0] >> 3 == DAEMON >> 3 for m in msgs), msgs[:3]
        assert any(m[0] == DAEMON | INFO for m in msgs), msgs[:3]
        assert any(m[2] == 'TRAFFIC' and m[0] == DAEMON | DEBUG for m in msgs), lg.raw()[:2000]
        raw = lg.raw()
        assert SECRET not in raw, 'the component secret reached syslog'
        assert 'hunter2-secret' not in raw, 'a room password reached syslog'
        assert digest and digest not in raw, 'the handshake digest reached syslog'
    finally:
        lg.close()
        shutil.rmtree(d, ignore_errors=True)


def test_a_slow_logger_loses_nothing_and_never_stalls_the_daemon():
    # The kernel queues only a few datagrams (net.unix.max_dgram_qlen, often
    # 10); start-up with -v logs more than that at once. The daemon keeps
    # the rest in order and sends it when the logger reads, while serving.
    d = tmpdir()
    lg = Logger(os.path.join(d, 'log'), delay=2.0)
    try:
        with logged("socket='%s'" % lg.path) as r:
            t0 = time.monotonic()
            res = r.iq('get', to=DOMAIN, frm='a@localhost/x',
                       payload="<query xmlns='http://jabber.org/protocol/disco#info'/>")
            assert res.get('type') == 'result' and time.monotonic() - t0 < 1.5, res
            lg.wait('connected to')
        msgs = lg.parsed()
        texts = [m[4] for m in msgs]
        assert len(msgs) > 12, texts                 # more than the kernel queue holds
        assert not any('log lines were dropped' in t for t in texts), texts
        order = ['module search path', "backend 'memory'", 'plugin(s) loaded',
                 'starting: component', 'connected to', 'shutting down', 'stopped']
        at = [next((i for i, t in enumerate(texts) if o in t), -1) for o in order]
        assert -1 not in at and at == sorted(at), list(zip(order, at))
    finally:
        lg.close()
        shutil.rmtree(d, ignore_errors=True)


def test_a_restarted_logger_is_found_again_and_sighup_reconnects():
    d = tmpdir()
    path = os.path.join(d, 'log')
    lg = Logger(path)
    try:
        with logged("socket='%s'" % path) as r:
            lg.wait('connected to')
            # The logger restarts: a new socket at the same path.
            lg.close()
            lg = Logger(path)
            r.close_connection()
            lg.wait('reconnecting to')
            r.wait_connection(15)
            lg.wait('connected to')
            # And again, then SIGHUP: reconnected, and it says so there.
            lg.close()
            lg = Logger(path)
            r.signal(signal.SIGHUP)
            m = lg.wait('SIGHUP: log reopened')
            assert m[0] == DAEMON | INFO, m
            assert r.proc.poll() is None
    finally:
        lg.close()
        shutil.rmtree(d, ignore_errors=True)


def test_an_unreachable_logger_falls_back_to_stderr_then_is_used():
    d = tmpdir()
    path = os.path.join(d, 'log')
    lg = None
    try:
        with logged("socket='%s'" % path) as r:
            out = r.wait_log('starting: component')
            assert 'cannot reach the system logger at %s' % path in out, out
            assert 'INFO core: Palaver' in out, out     # the line itself is not lost
            lg = Logger(path)
            time.sleep(1.2)                             # it retries at most once a second
            r.close_connection()
            lg.wait('reconnecting to')
            r.wait_connection(15)
    finally:
        if lg:
            lg.close()
        shutil.rmtree(d, ignore_errors=True)


def test_sighup_moves_the_log_between_syslog_and_a_file():
    d = tmpdir()
    lg = Logger(os.path.join(d, 'log'))
    logfile = os.path.join(d, 'palaver.log')
    try:
        with logged("socket='%s'" % lg.path) as r:
            lg.wait('connected to')
            with open(r.config_path) as f:
                cfg = f.read()
            syslog_el = "<log socket='%s'>syslog</log>" % lg.path
            assert syslog_el in cfg
            with open(r.config_path, 'w') as f:
                f.write(cfg.replace(syslog_el, '<log>%s</log>' % logfile))
            r.signal(signal.SIGHUP)
            lg.wait('the log now goes to %s' % logfile)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if os.path.exists(logfile) and 'log reopened after a configuration reload' \
                        in open(logfile).read():
                    break
                time.sleep(0.05)
            text = open(logfile).read()
            assert re.search(r'^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d INFO core: log reopened after a '
                             r'configuration reload \(was syslog\)$', text, re.M), text
            n = len(lg.msgs)
            # And back to syslog.
            with open(r.config_path, 'w') as f:
                f.write(cfg)
            r.signal(signal.SIGHUP)
            lg.wait('log reopened after a configuration reload (was %s)' % logfile)
            assert len(lg.msgs) > n
    finally:
        lg.close()
        shutil.rmtree(d, ignore_errors=True)


def test_command_line_log_syslog_uses_the_file_facility():
    d = tmpdir()
    lg = Logger(os.path.join(d, 'log'))
    try:
        r = Router(domain=DOMAIN, secret=SECRET, plugins=['muc-core'], args=['-l', 'syslog'],
                   extra_config="<log facility='local3' socket='%s'>%s</log>"
                   % (lg.path, os.path.join(d, 'unused.log')))
        with r:
            m = lg.wait('starting: component')
            assert m[0] == LOCAL3 | INFO, m
        assert not os.path.exists(os.path.join(d, 'unused.log'))
    finally:
        lg.close()
        shutil.rmtree(d, ignore_errors=True)


def check_config(extra):
    r = Router(domain=DOMAIN, plugins=['muc-core'], extra_config=extra, start=False)
    try:
        r.port = 5347
        with open(r.config_path, 'w') as f:
            f.write(r.config_xml())
        return subprocess.run(r.command() + ['--check-config'], capture_output=True, text=True,
                              timeout=30)
    finally:
        r._cleanup()
        shutil.rmtree(r.tmp, ignore_errors=True)


def test_config_errors_name_the_line_and_the_choices():
    p = check_config("<log facility='local9'>syslog</log>")
    assert p.returncode == 1, p.stderr
    assert re.search(r"palaver\.xml:\d+: <log facility='local9'> is not a syslog facility; "
                     r"write one of .*daemon.*local0", p.stderr), p.stderr
    p = check_config("<log socket='dev/log'>syslog</log>")
    assert p.returncode == 1 and 'must be an absolute path' in p.stderr, p.stderr
    p = check_config("<log facilty='local3'>syslog</log>")
    assert p.returncode == 1 and "did you mean 'facility'" in p.stderr, p.stderr
    p = check_config("<log facility='local3'>syslog</log>")
    assert p.returncode == 0, p.stderr


def test_default_socket_is_dev_log():
    if os.geteuid() != 0 or not shutil.which('unshare'):
        skip('needs root and unshare(1) for a private mount namespace')
    probe = subprocess.run(['unshare', '-m', '--propagation', 'private', 'true'],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        skip('mount namespaces are not allowed here: %s' % probe.stderr.strip())
    d = tmpdir()
    lg = Logger(os.path.join(d, 'log'))
    os.mkdir(os.path.join(d, 'realdev'))
    wrapper = os.path.join(d, 'in-namespace')
    with open(wrapper, 'w') as f:
        f.write('''#!/bin/sh
# palaver in a private mount namespace whose /dev/log leads to the test's socket
exec unshare -m --propagation private sh -c '
  set -e
  mount --rbind /dev "$PV_DIR/realdev"
  mount -t tmpfs -o mode=755 tmpfs /dev
  for n in null zero random urandom; do
    touch /dev/$n && mount --bind "$PV_DIR/realdev/$n" /dev/$n
  done
  ln -s "$PV_DIR/log" /dev/log
  exec "$PV_REAL_BIN" "$@"' sh "$@"
''')
    os.chmod(wrapper, 0o755)
    real = os.environ.get('PALAVER_BIN') or os.path.join(
        os.environ.get('PALAVER_BUILDDIR', '.'), 'palaver')
    try:
        with Router(domain=DOMAIN, secret=SECRET, plugins=['muc-core'],
                    extra_config="<log>syslog</log>", bin=wrapper,
                    env={'PV_DIR': d, 'PV_REAL_BIN': real}) as r:
            m = lg.wait('starting: component')
            assert m[0] == DAEMON | INFO and m[1] == r.proc.pid, m
        assert not os.path.lexists('/dev/log') or os.path.realpath('/dev/log') != lg.path
    finally:
        lg.close()
        shutil.rmtree(d, ignore_errors=True)


run(globals())
