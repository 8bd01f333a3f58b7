"""tests/integration/prosody.py: a private Prosody for integration tests and tools/run-local.

Starts the Debian `prosody` package in the foreground with its own config,
data directory and log in a private directory, on loopback ports (free ones
unless given), with a Component for our domain. Users are registered with
prosodyctl against that config. Stopped by its pid. Test settings only: no
TLS, PLAIN allowed, Nagle off, run_as_root.

    p = Prosody(components={'muc.localhost': 'secret'})
    p.start()
    p.register('alice', 'pw')
    ... p.c2s_port, p.component_port, p.log() ...
    p.stop()

Command line (used by tools/run-local):
    prosody.py --dir DIR [--c2s-port N] [--component DOMAIN=SECRET ...]
starts it, prints "c2s=PORT component=PORT pid=PID" and stays in the
foreground until SIGTERM/SIGINT, then stops Prosody.
"""

import argparse
import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import weakref

PROSODY = shutil.which('prosody') or '/usr/bin/prosody'
PROSODYCTL = shutil.which('prosodyctl') or '/usr/bin/prosodyctl'


def available():
    """True when the prosody package is installed."""
    return os.path.exists(PROSODY) and os.path.exists(PROSODYCTL)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def port_open(port, host='127.0.0.1'):
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


def lua_str(s):
    return '"%s"' % s.replace('\\', '\\\\').replace('"', '\\"')


_live = weakref.WeakSet()


@atexit.register
def _kill_leftovers():
    # a test that forgot stop() must not leave a process running
    for inst in list(_live):
        if inst.proc is not None and inst.proc.poll() is None:
            inst.proc.kill()
            inst.proc.wait()


class Prosody:
    """One private Prosody instance. See the module docstring."""

    def __init__(self, components=None, vhost='localhost', muc_component=None,
                 registration=True, c2s_port=None, component_port=None, directory=None,
                 extra_global='', debug=False):
        self.components = dict(components or {})
        self.vhost = vhost
        self.muc_component = muc_component
        self.registration = registration
        self.c2s_port = c2s_port or free_port()
        self.component_port = component_port or free_port()
        self._own_dir = directory is None
        self.dir = os.path.abspath(directory or tempfile.mkdtemp(prefix='palaver-prosody-'))
        self.extra_global = extra_global
        self.debug = debug
        self.config_path = os.path.join(self.dir, 'prosody.cfg.lua')
        self.log_path = os.path.join(self.dir, 'prosody.log')
        self.err_path = os.path.join(self.dir, 'prosody.err')
        self.out_path = os.path.join(self.dir, 'prosody.out')
        self.proc = None
        self._out = None

    def config(self):
        d = self.dir
        lines = [
            '-- private test instance written by tests/integration/prosody.py; loopback only, INSECURE',
            'run_as_root = true',
            'pidfile = %s' % lua_str(d + '/prosody.pid'),
            'data_path = %s' % lua_str(d + '/data'),
            'certificates = %s' % lua_str(d + '/certs'),
            'log = { %s = %s; error = %s; }' % (
                'debug' if self.debug else 'info', lua_str(self.log_path), lua_str(self.err_path)),
            'interfaces = { "127.0.0.1" }',
            'local_interfaces = { "127.0.0.1" }',
            'c2s_ports = { %d }' % self.c2s_port,
            'c2s_interfaces = { "127.0.0.1" }',
            'legacy_ssl_ports = { }',
            's2s_ports = { }',
            'component_ports = { %d }' % self.component_port,
            'component_interfaces = { "127.0.0.1" }',
            'http_ports = { }',
            'https_ports = { }',
            'network_settings = { nagle = false }',
            'authentication = "internal_plain"',
            'storage = "internal"',
            'c2s_require_encryption = false',
            's2s_require_encryption = false',
            'allow_unencrypted_plain_auth = true',
            'allow_registration = %s' % ('true' if self.registration else 'false'),
            'min_seconds_between_registrations = 0',
            'registration_throttle_max = 100000',
            'modules_enabled = { "roster"; "saslauth"; "disco"; "ping"; "register"; "version";'
            ' "time"; "uptime"; "posix"; }',
            'modules_disabled = { "s2s"; "offline"; "tls"; }',
            self.extra_global,
            '',
            'VirtualHost %s' % lua_str(self.vhost),
            '',
        ]
        if self.muc_component:
            lines += ['Component %s "muc"' % lua_str(self.muc_component),
                      '  restrict_room_creation = false', '  muc_tombstones = false', '']
        for domain, secret in self.components.items():
            lines += ['Component %s' % lua_str(domain),
                      '  component_secret = %s' % lua_str(secret), '']
        return '\n'.join(lines) + '\n'

    def write_config(self):
        for sub in ('data', 'certs'):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        with open(self.config_path, 'w', encoding='utf-8') as f:
            f.write(self.config())

    def start(self, timeout=20.0):
        """Starts Prosody in the foreground and waits until its c2s and
        component ports accept connections. Raises RuntimeError with its
        output otherwise."""
        if self.proc is not None and self.proc.poll() is None:
            return
        self.write_config()
        self._out = open(self.out_path, 'ab')
        self.proc = subprocess.Popen([PROSODY, '--config', self.config_path, '-F'],
                                     stdin=subprocess.DEVNULL, stdout=self._out,
                                     stderr=subprocess.STDOUT, cwd=self.dir,
                                     start_new_session=True)
        _live.add(self)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError('prosody exited with %s:\n%s' % (self.proc.returncode,
                                                                     self.output()))
            if port_open(self.c2s_port) and port_open(self.component_port):
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError('prosody did not open ports %d/%d within %.0fs:\n%s' % (
            self.c2s_port, self.component_port, timeout, self.output()))

    def stop(self, timeout=10.0):
        """Stops Prosody by its pid (SIGTERM, then SIGKILL). Returns its exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._out is not None:
            self._out.close()
            self._out = None
        code = self.proc.returncode
        # wait until the ports are released, so that a restart can bind them
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

    def register(self, user, password, host=None):
        """Creates an account with prosodyctl on this instance's config."""
        p = subprocess.run([PROSODYCTL, '--config', self.config_path, 'register', user,
                            host or self.vhost, password],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=60)
        if p.returncode != 0:
            raise RuntimeError('prosodyctl register %s failed (%d): %s' % (
                user, p.returncode, p.stdout.decode('utf-8', 'replace')))

    def _read(self, path):
        try:
            with open(path, 'rb') as f:
                return f.read().decode('utf-8', 'replace')
        except OSError:
            return ''

    def log(self):
        """Prosody's log so far."""
        return self._read(self.log_path)

    def output(self):
        return '%s\n--- error log ---\n%s\n--- log (tail) ---\n%s' % (
            self._read(self.out_path), self._read(self.err_path), self.log()[-4000:])

    def log_size(self):
        try:
            return os.path.getsize(self.log_path)
        except OSError:
            return 0

    def wait_log(self, text, timeout=10.0, since=0):
        """Waits until `text` appears in the log after byte offset `since`;
        returns the matching line. Raises AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            data = self.log()[since:] if since else self.log()
            for line in data.splitlines():
                if text in line:
                    return line
            if time.monotonic() > deadline:
                raise AssertionError('%r not in prosody log within %.0fs:\n%s' % (
                    text, timeout, data[-3000:]))
            time.sleep(0.1)


def main():
    ap = argparse.ArgumentParser(description='Run a private Prosody in the foreground.')
    ap.add_argument('--dir', required=True, help='private directory (config, data, log)')
    ap.add_argument('--vhost', default='localhost')
    ap.add_argument('--c2s-port', type=int, default=0)
    ap.add_argument('--component-port', type=int, default=0)
    ap.add_argument('--component', action='append', default=[], metavar='DOMAIN=SECRET')
    args = ap.parse_args()
    comps = dict(c.split('=', 1) for c in args.component)
    os.makedirs(args.dir, exist_ok=True)
    p = Prosody(components=comps, vhost=args.vhost, c2s_port=args.c2s_port or None,
                component_port=args.component_port or None, directory=args.dir)
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    signal.signal(signal.SIGINT, lambda *a: stop.append(1))
    try:
        p.start()
    except RuntimeError as e:
        print(e, file=sys.stderr)
        return 1
    print('c2s=%d component=%d pid=%d' % (p.c2s_port, p.component_port, p.proc.pid), flush=True)
    while not stop and p.proc.poll() is None:
        time.sleep(0.2)
    dead = p.proc.poll() is not None
    p.stop()
    if dead and not stop:
        print('prosody exited:\n' + p.output(), file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
