"""tests/integration/jabberd2.py: a private jabberd2 (router, sm, c2s) for integration tests.

Starts the Debian `jabberd2` package's router, session manager and c2s in the
foreground (the binaries directly, never the system service or its
/etc/jabberd2 configs), each with its own config, pid file and log in a
private directory, on loopback ports (free ones unless given). The router's
<local><secret> lets a component bind any domain on the router port, which
is what palaver connects to (jabberd2 has no per-domain component entry; the
domains given are only what the suites use). Authentication and storage use
one SQLite file created from /usr/share/doc/jabberd2/db-setup.sqlite.gz;
accounts are inserted into its authreg table (sm.xml has
<user><auto-create/> so their first login creates them in the sm). c2s is
unthrottled (<io><limits><stanzas>0). Stopped by pid, c2s and sm first.

    j = Jabberd2(components={'muc.localhost': 'secret'})
    j.start()
    j.register('alice', 'pw')
    ... j.c2s_port, j.component_port, j.log() ...
    j.cleanup()

The interface is prosody.Prosody's, so suites and mucclient.teardown take
either. All components must share one secret (the router has one).
"""

import atexit
import gzip
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
import weakref
from xml.sax.saxutils import escape

from prosody import free_port, port_open

SBIN = '/usr/sbin'
LIBDIR = '/usr/lib/x86_64-linux-gnu/jabberd2'
SCHEMA = '/usr/share/doc/jabberd2/db-setup.sqlite.gz'
PROGRAMS = ('router', 'sm', 'c2s')
INTERNAL_USER, INTERNAL_PASS = 'jabberd', 'internal-test-pass'


def binary(name):
    return os.path.join(SBIN, 'jabberd2-' + name)


def available():
    """True when the jabberd2 binaries, modules and SQLite schema are installed."""
    return (all(os.path.exists(binary(p)) for p in PROGRAMS)
            and os.path.exists(os.path.join(LIBDIR, 'authreg_sqlite.so'))
            and os.path.exists(SCHEMA))


def version():
    """'2.7.0' from `jabberd2-router -h` ("router - jabberd router (2.7.0)"), or ''."""
    try:
        p = subprocess.run([binary('router'), '-h'], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return ''
    out = p.stdout.decode('utf-8', 'replace')
    start, end = out.find('('), out.find(')')
    return out[start + 1:end] if 0 <= start < end else ''


_live = weakref.WeakSet()


@atexit.register
def _kill_leftovers():
    # a test that forgot stop() must not leave a process running
    for inst in list(_live):
        for proc in inst.procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def _log(dir_, ident):
    return ('<log type="file"><ident>jabberd/%s</ident><file>%s/%s.log</file></log>'
            % (ident, escape(dir_), ident))


def _router_client(port):
    return ('<router><ip>127.0.0.1</ip><port>%d</port><user>%s</user><pass>%s</pass>'
            '<retry><init>3</init><lost>3</lost><sleep>2</sleep></retry></router>'
            % (port, INTERNAL_USER, INTERNAL_PASS))


class Jabberd2:
    """One private jabberd2 (three processes). See the module docstring."""

    def __init__(self, components=None, vhost='localhost', c2s_port=None,
                 component_port=None, directory=None):
        self.components = dict(components or {})
        secrets = set(self.components.values())
        if len(secrets) > 1:
            raise ValueError('jabberd2 has one component secret for all domains')
        self.secret = secrets.pop() if secrets else 'unused-secret'
        self.vhost = vhost
        self.c2s_port = c2s_port or free_port()
        self.component_port = component_port or free_port()   # the router's port
        self._own_dir = directory is None
        self.dir = os.path.abspath(directory or tempfile.mkdtemp(prefix='palaver-jabberd2-'))
        self.db_path = os.path.join(self.dir, 'sqlite.db')
        self.log_path = os.path.join(self.dir, 'router.log')
        self.procs = {}
        self._outs = []

    # ---- configuration ----------------------------------------------------

    def router_config(self):
        d = escape(self.dir)
        return ('<router><id>router</id><pidfile>%s/router.pid</pidfile>%s'
                '<local><ip>127.0.0.1</ip><port>%d</port><users>%s/router-users.xml</users>'
                '<secret>%s</secret></local>'
                '<check><interval>60</interval><keepalive>0</keepalive></check>'
                '<io><max_fds>1024</max_fds><limits><bytes>0</bytes><connects>0</connects>'
                '</limits><access><order>allow,deny</order></access></io>'
                '<aliases/><aci><acl type="all"><user>%s</user></acl></aci></router>\n'
                % (d, _log(self.dir, 'router'), self.component_port, d, escape(self.secret),
                   INTERNAL_USER))

    def sm_config(self):
        d = escape(self.dir)
        chains = {
            'sess-start': 'status',
            'sess-end': 'status iq-last',
            'in-sess': 'validate status privacy roster vacation iq-vcard iq-ping iq-private'
                       ' disco amp offline announce presence deliver',
            'out-sess': '',
            'in-router': 'session validate presence privacy',
            'out-router': 'privacy',
            'pkt-sm': 'iq-last iq-ping iq-time iq-version amp disco announce help echo status'
                      ' presence',
            'pkt-user': 'roster presence disco iq-vcard amp deliver vacation offline iq-last',
            'pkt-router': 'session disco',
            'user-load': 'active roster roster-publish privacy vacation',
            'user-unload': '',
            'user-create': 'active template-roster',
            'user-delete': 'active announce offline privacy roster vacation status iq-last'
                           ' iq-private iq-vcard',
            'disco-extend': 'iq-version help',
        }
        mods = ''.join('<chain id="%s">%s</chain>' % (c, ''.join(
            '<module>%s</module>' % m for m in ms.split())) for c, ms in chains.items())
        return ('<sm><id>sm</id><pidfile>%s/sm.pid</pidfile>%s%s'
                '<local><id>%s</id></local>'
                '<storage><path>%s</path><driver>sqlite</driver>'
                '<sqlite><dbname>%s</dbname><busy-timeout>2000</busy-timeout></sqlite>'
                '</storage>'
                '<aci><acl type="all"><jid>admin@%s</jid></acl></aci>'
                '<modules><path>%s</path>%s</modules>'
                '<discovery><identity><category>server</category><type>im</type>'
                '<name>Jabber IM server</name></identity><agents/><items/></discovery>'
                '<user><template/><auto-create/></user></sm>\n'
                % (d, _router_client(self.component_port), _log(self.dir, 'sm'),
                   escape(self.vhost), LIBDIR, escape(self.db_path), escape(self.vhost),
                   LIBDIR, mods))

    def c2s_config(self):
        d = escape(self.dir)
        return ('<c2s><id>c2s</id><pidfile>%s/c2s.pid</pidfile>%s%s'
                '<local><id register-enable="true">%s</id><ip>127.0.0.1</ip><port>%d</port>'
                '</local>'
                '<io><max_fds>1024</max_fds><limits><bytes>0</bytes><stanzas>0</stanzas>'
                '<connects>0</connects><stanzasize>262144</stanzasize></limits>'
                '<access><order>allow,deny</order></access>'
                '<check><interval>0</interval><idle>0</idle><keepalive>0</keepalive></check>'
                '</io>'
                '<authreg><path>%s</path><module>sqlite</module>'
                '<mechanisms><traditional><plain/><digest/></traditional>'
                '<sasl><plain/><digest-md5/></sasl></mechanisms>'
                '<sqlite><dbname>%s</dbname><busy-timeout>2000</busy-timeout>'
                '<password_type><plaintext/></password_type></sqlite></authreg></c2s>\n'
                % (d, _router_client(self.component_port), _log(self.dir, 'c2s'),
                   escape(self.vhost), self.c2s_port, LIBDIR, escape(self.db_path)))

    def write_config(self):
        os.makedirs(self.dir, exist_ok=True)
        files = {
            'router.xml': self.router_config(),
            'sm.xml': self.sm_config(),
            'c2s.xml': self.c2s_config(),
            'router-users.xml': '<users><user><name>%s</name><secret>%s</secret></user></users>\n'
                                % (INTERNAL_USER, INTERNAL_PASS),
        }
        for name, text in files.items():
            with open(os.path.join(self.dir, name), 'w', encoding='utf-8') as f:
                f.write(text)
        if not os.path.exists(self.db_path):
            with gzip.open(SCHEMA, 'rt', encoding='utf-8') as f:
                schema = f.read()
            db = sqlite3.connect(self.db_path)
            try:
                db.executescript(schema)
                db.commit()
            finally:
                db.close()

    # ---- processes ---------------------------------------------------------

    def _spawn(self, name):
        out = open(os.path.join(self.dir, name + '.out'), 'ab')
        self._outs.append(out)
        self.procs[name] = subprocess.Popen(
            [binary(name), '-c', os.path.join(self.dir, name + '.xml')],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, cwd=self.dir,
            start_new_session=True)

    def _dead(self):
        return [n for n, p in self.procs.items() if p.poll() is not None]

    def running(self):
        return bool(self.procs) and not self._dead()

    def start(self, timeout=20.0):
        """Starts router, then sm and c2s, and waits until the router and
        c2s ports accept connections and sm and c2s are bound to the router.
        Raises RuntimeError with their output otherwise."""
        if self.running():
            return
        self.write_config()
        _live.add(self)
        since = {n: self.log_size(n) for n in PROGRAMS}
        deadline = time.monotonic() + timeout
        self._spawn('router')
        while not port_open(self.component_port):
            self._check_alive(deadline, 'the router port %d' % self.component_port)
            time.sleep(0.05)
        self._spawn('sm')
        self._spawn('c2s')
        # sm says "ready for sessions", c2s "ready for connections", once
        # connected to the router
        for name in ('sm', 'c2s'):
            while 'ready for' not in self.log(name)[since[name]:]:
                self._check_alive(deadline, '%s ready' % name)
                time.sleep(0.05)
        while not port_open(self.c2s_port):
            self._check_alive(deadline, 'the c2s port %d' % self.c2s_port)
            time.sleep(0.05)

    def _check_alive(self, deadline, what):
        dead = self._dead()
        if dead or time.monotonic() > deadline:
            out = self.output()
            self.stop()
            if dead:
                raise RuntimeError('jabberd2 %s exited (waiting for %s):\n%s' % (
                    ', '.join(dead), what, out))
            raise RuntimeError('jabberd2: no %s in time:\n%s' % (what, out))

    def stop(self, timeout=10.0):
        """Stops c2s, sm, then the router, each by its pid (SIGTERM, then
        SIGKILL). Returns the router's exit code."""
        code = None
        for name in ('c2s', 'sm', 'router'):
            proc = self.procs.get(name)
            if proc is None:
                continue
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            if name == 'router':
                code = proc.returncode
        self.procs = {}
        for out in self._outs:
            out.close()
        self._outs = []
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and (port_open(self.c2s_port)
                                               or port_open(self.component_port)):
            time.sleep(0.05)
        return code

    def restart(self, timeout=20.0):
        self.stop()
        self.start(timeout)

    def cleanup(self):
        """Stops it and removes its directory (if it made it)."""
        self.stop()
        if self._own_dir and not os.environ.get('PALAVER_KEEP_TMP'):
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.cleanup()
        return False

    # ---- accounts and logs -------------------------------------------------

    def register(self, user, password, host=None):
        """Creates an account in the authreg table (plaintext password)."""
        db = sqlite3.connect(self.db_path, timeout=5)
        try:
            db.execute('DELETE FROM authreg WHERE username = ? AND realm = ?',
                       (user, host or self.vhost))
            db.execute('INSERT INTO authreg (username, realm, password) VALUES (?, ?, ?)',
                       (user, host or self.vhost, password))
            db.commit()
        finally:
            db.close()

    def _read(self, path):
        try:
            with open(path, 'rb') as f:
                return f.read().decode('utf-8', 'replace')
        except OSError:
            return ''

    def log(self, name='router'):
        """One program's log so far (the router's by default: it logs
        component binds)."""
        return self._read(os.path.join(self.dir, name + '.log'))

    def output(self):
        parts = []
        for name in PROGRAMS:
            parts.append('--- %s output ---\n%s\n--- %s log (tail) ---\n%s' % (
                name, self._read(os.path.join(self.dir, name + '.out'))[-2000:],
                name, self.log(name)[-2500:]))
        return '\n'.join(parts)

    def log_size(self, name='router'):
        try:
            return os.path.getsize(os.path.join(self.dir, name + '.log'))
        except OSError:
            return 0

    def wait_log(self, text, timeout=10.0, since=0, name='router'):
        """Waits until `text` appears in a program's log after byte offset
        `since`; returns the matching line. Raises AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            data = self.log(name)[since:] if since else self.log(name)
            for line in data.splitlines():
                if text in line:
                    return line
            if time.monotonic() > deadline:
                raise AssertionError('%r not in jabberd2 %s log within %.0fs:\n%s' % (
                    text, name, timeout, data[-3000:]))
            time.sleep(0.1)
