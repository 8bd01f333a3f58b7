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
import os
import shutil
import signal
import subprocess
import sys
import time

from server import OneProcessServer, free_port, port_open, read_text  # noqa: F401  (re-exported for bench/)

PROSODY = shutil.which('prosody') or '/usr/bin/prosody'
PROSODYCTL = shutil.which('prosodyctl') or '/usr/bin/prosodyctl'


def available():
    """True when the prosody package is installed."""
    return os.path.exists(PROSODY) and os.path.exists(PROSODYCTL)


def lua_str(s):
    return '"%s"' % s.replace('\\', '\\\\').replace('"', '\\"')


class Prosody(OneProcessServer):
    """One private Prosody instance. See the module docstring."""

    NAME = 'prosody'

    def __init__(self, components=None, vhost='localhost', muc_component=None,
                 registration=True, c2s_port=None, component_port=None, directory=None,
                 extra_global='', debug=False, extra_modules=(), extra_hosts=''):
        super().__init__(components=components, vhost=vhost, c2s_port=c2s_port,
                         component_port=component_port, directory=directory)
        self.muc_component = muc_component
        self.registration = registration
        self.extra_global = extra_global
        self.extra_modules = list(extra_modules)   # more modules_enabled (tools/run-local)
        self.extra_hosts = extra_hosts             # raw lines after the hosts (e.g. a pubsub Component)
        self.debug = debug
        self.config_path = os.path.join(self.dir, 'prosody.cfg.lua')
        self.err_path = os.path.join(self.dir, 'prosody.err')

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
            ' "time"; "uptime"; "posix"; %s}' % ''.join('%s; ' % lua_str(m)
                                                      for m in self.extra_modules),
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
        if self.extra_hosts:
            lines += [self.extra_hosts, '']
        return '\n'.join(lines) + '\n'

    def write_config(self):
        for sub in ('data', 'certs'):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        with open(self.config_path, 'w', encoding='utf-8') as f:
            f.write(self.config())

    def command(self):
        return [PROSODY, '--config', self.config_path, '-F']

    def register(self, user, password, host=None):
        """Creates an account with prosodyctl on this instance's config."""
        p = subprocess.run([PROSODYCTL, '--config', self.config_path, 'register', user,
                            host or self.vhost, password],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=60)
        if p.returncode != 0:
            raise RuntimeError('prosodyctl register %s failed (%d): %s' % (
                user, p.returncode, p.stdout.decode('utf-8', 'replace')))

    def output(self):
        return '%s\n--- error log ---\n%s\n--- log (tail) ---\n%s' % (
            read_text(self.out_path), read_text(self.err_path), self.log()[-4000:])


def main():
    ap = argparse.ArgumentParser(description='Run a private Prosody in the foreground.')
    ap.add_argument('--dir', required=True, help='private directory (config, data, log)')
    ap.add_argument('--vhost', default='localhost')
    ap.add_argument('--c2s-port', type=int, default=0)
    ap.add_argument('--component-port', type=int, default=0)
    ap.add_argument('--component', action='append', default=[], metavar='DOMAIN=SECRET')
    ap.add_argument('--module', action='append', default=[], metavar='NAME',
                    help='one more module to enable (repeatable)')
    args = ap.parse_args()
    comps = dict(c.split('=', 1) for c in args.component)
    os.makedirs(args.dir, exist_ok=True)
    p = Prosody(components=comps, vhost=args.vhost, c2s_port=args.c2s_port or None,
                component_port=args.component_port or None, directory=args.dir,
                extra_modules=args.module)
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
