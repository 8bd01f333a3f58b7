"""tests/integration/ejabberd.py: a private ejabberd for integration tests.

Starts the Debian `ejabberd` package's code with `erl` directly (not
ejabberdctl, which switches to the ejabberd user and starts Erlang
distribution on every interface): no node name, `-start_epmd false`, its own
config, Mnesia directory, log and HOME in a private directory, c2s and an
ejabberd_service listener for our domain on loopback ports (free ones unless
given). A system ejabberd or epmd that the package's postinst may have
started is neither used nor touched. Accounts are created by in-band
registration (mod_register) over c2s. Stopped by its pid (SIGTERM makes the
Erlang VM run init:stop; SIGKILL after a timeout).

    e = Ejabberd(components={'muc.localhost': 'secret'})
    e.start()
    e.register('alice', 'pw')
    ... e.c2s_port, e.component_port, e.log() ...
    e.cleanup()

The interface is prosody.Prosody's (all three are server.Server), so the
suites (suite.py) take either.
"""

import os
import re
import shutil
import signal
import socket

from server import OneProcessServer, read_text

ERL = shutil.which('erl') or '/usr/bin/erl'
ERL_LIBS = '/usr/lib/x86_64-linux-gnu'


def ebin_dir():
    """The installed ejabberd's code directory, or None."""
    try:
        names = sorted(n for n in os.listdir(ERL_LIBS) if re.match(r'ejabberd-\d', n))
    except OSError:
        return None
    for n in names:
        if os.path.exists(os.path.join(ERL_LIBS, n, 'ebin', 'ejabberd.app')):
            return os.path.join(ERL_LIBS, n, 'ebin')
    return None


def available():
    """True when erl and the ejabberd package's code are installed."""
    return os.path.exists(ERL) and ebin_dir() is not None


def version():
    """The installed ejabberd's version (from ejabberd.app), or ''."""
    d = ebin_dir()
    if not d:
        return ''
    try:
        with open(os.path.join(d, 'ejabberd.app'), encoding='utf-8') as f:
            m = re.search(r'\{vsn,\s*"([^"]+)"', f.read())
            return m.group(1) if m else ''
    except OSError:
        return ''


def yaml_str(s):
    return '"%s"' % str(s).replace('\\', '\\\\').replace('"', '\\"')


def register_inband(port, vhost, user, password, timeout=10.0):
    """XEP-0077 registration over a fresh c2s stream (no TLS). Raises
    RuntimeError with the server's answer unless it is an IQ result."""
    with socket.create_connection(('127.0.0.1', port), timeout=timeout) as s:
        s.sendall(("<?xml version='1.0'?><stream:stream to='%s' xmlns='jabber:client' "
                   "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
                   % vhost).encode())
        buf = b''
        while b'</stream:features>' not in buf:
            data = s.recv(4096)
            if not data:
                raise RuntimeError('stream closed before features: %r' % buf)
            buf += data
        s.sendall(("<iq type='set' id='reg1'><query xmlns='jabber:iq:register'>"
                   "<username>%s</username><password>%s</password></query></iq>"
                   % (user, password)).encode())
        buf = b''
        while not re.search(rb"<iq[^>]*id=.reg1.(?:[^>]*/>|.*?</iq>)", buf, re.S):
            data = s.recv(4096)
            if not data:
                break
            buf += data
        m = re.search(rb"<iq[^>]*id=.reg1.[^>]*>", buf)
        if not m or b"type='result'" not in m.group(0) and b'type="result"' not in m.group(0):
            raise RuntimeError('in-band registration of %s failed: %r' % (user, buf))
        s.sendall(b'</stream:stream>')


class Ejabberd(OneProcessServer):
    """One private ejabberd instance. See the module docstring."""

    NAME = 'ejabberd'
    START_TIMEOUT = 40.0
    STOP_TIMEOUT = 15.0

    def __init__(self, components=None, vhost='localhost', c2s_port=None,
                 component_port=None, directory=None, debug=False):
        super().__init__(components=components, vhost=vhost, c2s_port=c2s_port,
                         component_port=component_port, directory=directory)
        self.debug = debug
        self.config_path = os.path.join(self.dir, 'ejabberd.yml')

    def config(self):
        comps = ''.join('      %s:\n        password: %s\n' % (yaml_str(d), yaml_str(s))
                        for d, s in self.components.items())
        return ('# private test instance written by tests/integration/ejabberd.py;'
                ' loopback only, INSECURE\n'
                'hosts:\n  - %(vhost)s\n'
                'loglevel: %(level)s\n'
                'log_rotate_count: 0\n'
                'certfiles: []\n'
                'auth_method: internal\n'
                'auth_password_format: plain\n'
                'registration_timeout: infinity\n'
                'listen:\n'
                '  -\n    port: %(c2s)d\n    ip: "127.0.0.1"\n    module: ejabberd_c2s\n'
                '    backlog: 1024\n    starttls: false\n    starttls_required: false\n'
                '    max_stanza_size: 262144\n'
                '  -\n    port: %(comp)d\n    ip: "127.0.0.1"\n    module: ejabberd_service\n'
                '    backlog: 1024\n    check_from: true\n    hosts:\n%(comps)s'
                'acl:\n  local:\n    user_regexp: ""\n'
                'access_rules:\n  local:\n    allow: local\n  c2s:\n    allow: all\n'
                '  register:\n    allow: all\n'
                'shaper_rules:\n  max_user_sessions: 1000\n  c2s_shaper: none\n'
                'modules:\n  mod_disco: {}\n  mod_ping: {}\n  mod_roster: {}\n'
                '  mod_register:\n    ip_access: all\n    access: register\n'
                % {'vhost': yaml_str(self.vhost), 'level': 'debug' if self.debug else 'info',
                   'c2s': self.c2s_port, 'comp': self.component_port,
                   'comps': comps or '      {}\n'})

    def write_config(self):
        os.makedirs(os.path.join(self.dir, 'db'), exist_ok=True)
        with open(self.config_path, 'w', encoding='utf-8') as f:
            f.write(self.config())

    def environment(self):
        env = dict(os.environ)
        env.update({
            'EJABBERD_CONFIG_PATH': self.config_path,
            'EJABBERD_LOG_PATH': self.log_path,
            'ERL_LIBS': ERL_LIBS,
            'ERL_CRASH_DUMP': os.path.join(self.dir, 'erl_crash.dump'),
            'HOME': self.dir,             # nothing (a cookie, a history) lands in ~
            'ERL_EPMD_ADDRESS': '127.0.0.1',
        })
        env.pop('ERL_FLAGS', None)
        env.pop('ERL_AFLAGS', None)
        env.pop('ERL_ZFLAGS', None)
        return env

    def command(self):
        # erl execs erlexec, which execs beam.smp: the pid stays the VM's
        return [ERL, '-noinput', '-start_epmd', 'false',
                '-mnesia', 'dir', '"%s"' % os.path.join(self.dir, 'db'),
                '-s', 'ejabberd']

    def kill(self, proc):
        """SIGKILL to the VM and its helpers (erl_child_setup, inet_gethost),
        in the session it leads: its pid is not reaped yet, so the group is
        still ours. SIGTERM before made the VM run init:stop; its helper
        processes exit with it."""
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            proc.kill()

    def register(self, user, password, host=None):
        """Creates an account by in-band registration over c2s."""
        register_inband(self.c2s_port, host or self.vhost, user, password)

    def output(self):
        return '%s\n--- error log ---\n%s\n--- log (tail) ---\n%s' % (
            read_text(self.out_path)[-3000:], read_text(os.path.join(self.dir, 'error.log')),
            self.log()[-4000:])
