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

The interface is prosody.Prosody's (all three are server.Server), so the
suites (suite.py) take either. All components must share one secret (the
router has one).
"""

import gzip
import os
import sqlite3
import subprocess
import time
from xml.sax.saxutils import escape

from server import Server, port_open, read_text, terminate, track

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


def _log(dir_, ident):
    return ('<log type="file"><ident>jabberd/%s</ident><file>%s/%s.log</file></log>'
            % (ident, escape(dir_), ident))


def _router_client(port):
    return ('<router><ip>127.0.0.1</ip><port>%d</port><user>%s</user><pass>%s</pass>'
            '<retry><init>3</init><lost>3</lost><sleep>2</sleep></retry></router>'
            % (port, INTERNAL_USER, INTERNAL_PASS))


class Jabberd2(Server):
    """One private jabberd2 (three processes). See the module docstring."""

    NAME = 'jabberd2'

    def __init__(self, components=None, vhost='localhost', c2s_port=None,
                 component_port=None, directory=None):
        # component_port: the router's port
        super().__init__(components=components, vhost=vhost, c2s_port=c2s_port,
                         component_port=component_port, directory=directory)
        secrets = set(self.components.values())
        if len(secrets) > 1:
            raise ValueError('jabberd2 has one component secret for all domains')
        self.secret = secrets.pop() if secrets else 'unused-secret'
        self.db_path = os.path.join(self.dir, 'sqlite.db')
        self.log_path = self.log_file()
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

    def processes(self):
        return list(self.procs.values())

    def _dead(self):
        return [n for n, p in self.procs.items() if p.poll() is not None]

    def running(self):
        return bool(self.procs) and not self._dead()

    def start(self, timeout=None):
        """Starts router, then sm and c2s, and waits until the router and
        c2s ports accept connections and sm and c2s are bound to the router.
        Raises RuntimeError with their output otherwise."""
        if self.running():
            return
        self.write_config()
        track(self)
        since = {n: self.log_size(n) for n in PROGRAMS}
        deadline = time.monotonic() + (timeout or self.START_TIMEOUT)
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

    def stop(self, timeout=None):
        """Stops c2s, sm, then the router, each by its pid (SIGTERM, then
        SIGKILL). Returns the router's exit code."""
        code = None
        for name in ('c2s', 'sm', 'router'):
            proc = self.procs.get(name)
            if proc is None:
                continue
            terminate(proc, timeout or self.STOP_TIMEOUT)
            if name == 'router':
                code = proc.returncode
        self.procs = {}
        for out in self._outs:
            out.close()
        self._outs = []
        self._wait_ports_released()
        return code

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

    def log_file(self, name=None):
        """One program's log (the router's by default: it logs component
        binds)."""
        return os.path.join(self.dir, (name or 'router') + '.log')

    def output(self):
        parts = []
        for name in PROGRAMS:
            parts.append('--- %s output ---\n%s\n--- %s log (tail) ---\n%s' % (
                name, read_text(os.path.join(self.dir, name + '.out'))[-2000:],
                name, self.log(name)[-2500:]))
        return '\n'.join(parts)
