#!/usr/bin/python3
"""bench/e2e-ejabberd.py: end-to-end MUC throughput behind one ejabberd 23.01:
its own mod_muc, the routing ceiling (a null component), Palaver sending one
copy per recipient and Palaver sending one XEP-0033 stanza per message
through ejabberd's mod_multicast.

A private ejabberd on loopback: `erl` run directly with no node name and
-start_epmd false (no Erlang distribution, nothing but the c2s and component
listeners, both on 127.0.0.1 and free ports), its own spool, config and log
in a temporary directory. Services:
  conference.localhost  ejabberd's mod_muc (no history, no MAM)
  null.localhost        bench/null-component (no MUC logic: the ceiling of
                        copies through ejabberd_service)
  muc.localhost         Palaver, muc-core, one copy per recipient
  mucm.localhost        Palaver, muc-core, <multicast>auto</multicast>: it
                        finds multicast.localhost (mod_multicast, limits for
                        remote senders raised to infinite) through disco
N raw c2s clients join one room on each (--sizes: one room per size); occupant 0 sends M messages with at
most W in flight; every client counts what comes back. Reported per service:
deliveries/s, p50/p99, server-side CPU (ejabberd's beam, plus the component)
per 1,000 deliveries, and the ratios against ejabberd's mod_muc.

    PALAVER_BIN=.../palaver PALAVER_MODULE_DIR=... \\
        /usr/bin/python3 bench/e2e-ejabberd.py [-n 50] [-m 2000] [-w 20] [--rounds 1]
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import e2e_common as E
from prosody import free_port, port_open  # noqa: E402  (path set by e2e_common)
from daemon import Palaver                # noqa: E402

SECRET = 'benchsecret'
ERL = shutil.which('erl') or '/usr/bin/erl'
EJABBERD_LIBS = '/usr/lib/x86_64-linux-gnu'


def ejabberd_available():
    return os.path.exists(ERL) and any(d.startswith('ejabberd-')
                                       for d in os.listdir(EJABBERD_LIBS))


class Ejabberd:
    """One private ejabberd instance (see the module docstring)."""

    def __init__(self, components, default_limits=False):
        self.default_limits = default_limits
        # one listener per component: ejabberd binds every host of a
        # listener's `hosts` to each connection made to it
        self.components = components
        self.c2s_port = free_port()
        self.ports = {d: free_port() for d in components}
        self.dir = tempfile.mkdtemp(prefix='palaver-ejabberd-')
        self.proc = None

    def config(self):
        services = ''.join('''  -
    port: %d
    ip: "127.0.0.1"
    module: ejabberd_service
    backlog: 1024
    check_from: true
    hosts:
      "%s":
        password: "%s"
''' % (self.ports[d], d, s) for d, s in self.components.items())
        return '''# private benchmark instance written by bench/e2e-ejabberd.py; loopback only
hosts:
  - localhost
loglevel: warning
log_rotate_count: 0
certfiles: []
auth_method: internal
auth_password_format: plain
registration_timeout: infinity
listen:
  -
    port: %d
    ip: "127.0.0.1"
    module: ejabberd_c2s
    backlog: 1024
    starttls: false
    starttls_required: false
    max_stanza_size: 262144
%sacl:
  local:
    user_regexp: ""
access_rules:
  local:
    allow: local
  c2s:
    allow: all
  register:
    allow: all
  muc_create:
    allow: all
shaper_rules:
  max_user_sessions: 1000
  max_user_offline_messages: 100
  c2s_shaper: none
  s2s_shaper: none
modules:
  mod_disco: {}
  mod_ping: {}
  mod_roster: {}
  mod_register:
    ip_access: all
    access: register
  mod_muc:
    host: "conference.localhost"
    access: all
    access_create: muc_create
    access_persistent: all
    access_admin: none
    history_size: 0
    max_users: 100000
    max_user_conferences: 1000
    max_users_admin_threshold: 1000
    max_users_presence: 100000
    default_room_options:
      mam: false
  mod_multicast:
    host: "multicast.localhost"
    access: all
''' % (self.c2s_port, services) + ('' if self.default_limits else '''    limits:
      remote:
        message: infinite
        presence: infinite
''')

    def start(self, timeout=60):
        cfg = os.path.join(self.dir, 'ejabberd.yml')
        with open(cfg, 'w') as f:
            f.write(self.config())
        os.makedirs(os.path.join(self.dir, 'spool'))
        env = dict(os.environ, ERL_LIBS=EJABBERD_LIBS, EJABBERD_CONFIG_PATH=cfg,
                   EJABBERD_LOG_PATH=os.path.join(self.dir, 'ejabberd.log'), HOME=self.dir)
        self.out = open(os.path.join(self.dir, 'erl.out'), 'wb')
        self.proc = subprocess.Popen(
            [ERL, '-noshell', '-noinput', '-start_epmd', 'false', '+K', 'true',
             '+P', '250000', '-mnesia', 'dir', '"%s"' % os.path.join(self.dir, 'spool'),
             '-s', 'ejabberd'], env=env, cwd=self.dir, stdin=subprocess.DEVNULL,
            stdout=self.out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError('ejabberd exited:\n' + self.output())
            if port_open(self.c2s_port) and all(port_open(p) for p in self.ports.values()):
                return
            time.sleep(0.2)
        raise RuntimeError('ejabberd did not open its ports:\n' + self.output())

    def output(self):
        try:
            with open(os.path.join(self.dir, 'erl.out'), errors='replace') as f:
                return f.read()[-3000:]
        except OSError:
            return ''

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.out.close()
        if not os.environ.get('PALAVER_KEEP_TMP'):
            shutil.rmtree(self.dir, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('-n', type=int, default=50, help='occupants per room')
    ap.add_argument('--sizes', help='comma-separated room sizes (instead of -n)')
    ap.add_argument('-m', type=int, default=2000,
                    help='messages per service (with --sizes: scaled to m*50/size)')
    ap.add_argument('-w', type=int, default=20, help='messages in flight at most')
    ap.add_argument('--rounds', type=int, default=1, help='alternate the services this often')
    ap.add_argument('--data', help='write per-size results here (for bench/plot.sh)')
    ap.add_argument('--occupant-id', action='store_true',
                    help='also run a null component whose copies carry an XEP-0421 '
                    '<occupant-id/> like Palaver\'s (nullo.localhost)')
    ap.add_argument('--default-limits', action='store_true',
                    help="keep mod_multicast's default limits (20 addresses per stanza from "
                    "a component): Palaver splits")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(',')] if args.sizes else [args.n]
    if not ejabberd_available():
        print('ejabberd (Debian package) or erl not installed: skipped')
        return 0

    comps = {'muc.localhost': SECRET, 'mucm.localhost': SECRET, 'null.localhost': SECRET}
    if args.occupant_id:
        comps['nullo.localhost'] = SECRET
    ej = Ejabberd(comps, default_limits=args.default_limits)
    pals = []
    null = nullo = None
    clients = []
    try:
        ej.start()
        for dom, extra in (('muc.localhost', ''),
                           ('mucm.localhost', '<multicast>auto</multicast>')):
            p = Palaver(dom, SECRET, ej.ports[dom], plugins=['muc-core'],
                        plugin_config={'muc-core': '<flood-burst>0</flood-burst>' + extra},
                        verbose=bool(os.environ.get('BENCH_VERBOSE')))
            p.start()
            if not p.wait_output('connected to', 20):
                raise RuntimeError('palaver did not connect:\n' + p.output())
            pals.append(p)
        if not pals[1].wait_output('multicast: using', 10):
            raise RuntimeError('palaver found no multicast service:\n' + pals[1].output())
        print([ln for ln in pals[1].output().splitlines() if 'multicast: using' in ln][0])
        null = E.NullComponent('null.localhost', SECRET, ej.ports['null.localhost'])
        null.start()
        if args.occupant_id:
            nullo = E.NullComponent('nullo.localhost', SECRET, ej.ports['nullo.localhost'],
                                    occupant_id=True)
            nullo.start()
        clients = E.login_all(max(sizes), ej.c2s_port, 'localhost')
        beam = ej.proc.pid
        services = [('ejabberd mod_muc', 'conference.localhost', True, {'ejabberd': beam}),
                    ('null component via ejabberd', 'null.localhost', True,
                     {'ejabberd': beam, 'null': null.proc.pid}),
                    ('Palaver via ejabberd, copies', 'muc.localhost', False,
                     {'ejabberd': beam, 'palaver': pals[0].proc.pid}),
                    ('Palaver via ejabberd, multicast', 'mucm.localhost', False,
                     {'ejabberd': beam, 'palaver': pals[1].proc.pid})]
        if nullo:
            services.append(('null + occupant-id via ejabberd', 'nullo.localhost', True,
                             {'ejabberd': beam, 'null': nullo.proc.pid}))
        seq = 0
        rows = []
        names = [s[0] for s in services]
        for n in sizes:
            room = 'bench%d' % n
            members = clients[:n]
            for i, c in enumerate(members):
                for _, dom, muc_x, _ in services:
                    c.join('%s@%s' % (room, dom), 'nick%d' % i, muc_x)
            time.sleep(0.5)
            print('joined: %d occupants in %s on each service' % (n, room))
            m = max(50, args.m * 50 // n) if args.sizes else args.m
            results = {name: [] for name in names}
            for _ in range(args.rounds):
                for name, dom, _, pids in services:
                    r = E.measure(name, '%s@%s' % (room, dom), members, m, args.w, pids, seq)
                    seq += m
                    E.report(r)
                    results[name].append(r)
                    time.sleep(0.3)
            b = {k: E.best(v) for k, v in results.items()}
            base = b['ejabberd mod_muc']
            for name in names[1:]:
                E.ratio_line('n=%d %s / ejabberd mod_muc' % (n, name), b[name], base)
            E.ratio_line('n=%d Palaver multicast / Palaver copies' % n,
                         b['Palaver via ejabberd, multicast'], b['Palaver via ejabberd, copies'])
            E.ratio_line('n=%d Palaver multicast / ceiling of copies (null component)' % n,
                         b['Palaver via ejabberd, multicast'], b['null component via ejabberd'])
            if nullo:
                for name in ('Palaver via ejabberd, copies', 'Palaver via ejabberd, multicast'):
                    E.ratio_line('n=%d %s / null component with occupant-id' % (n, name),
                                 b[name], b['null + occupant-id via ejabberd'])
            for name in ('Palaver via ejabberd, copies', 'Palaver via ejabberd, multicast'):
                r = b[name]
                print('n=%d %s: palaver alone %.1f us/delivery = %.1f%% of the server-side CPU'
                      % (n, name, r['cpu']['palaver'] * 1e6 / r['deliveries'],
                         100 * r['cpu']['palaver'] / r['cpu_total']))
            rows.append((n, [b[k] for k in names]))
        if args.data:
            with open(args.data, 'w') as f:
                f.write('# occupants  deliveries/s: ejabberd null palaver-copies '
                        'palaver-multicast  server CPU us per delivery: same order  '
                        'p99 ms: same order\n')
                for n, rs in rows:
                    rs = rs[:4]
                    f.write('%d %s %s %s\n' % (
                        n, ' '.join('%.0f' % r['rate'] for r in rs),
                        ' '.join('%.1f' % (r['cpu_per_1000'] * 1000) for r in rs),
                        ' '.join('%.1f' % r['p99'] for r in rs)))
            print('wrote %s' % args.data)
    finally:
        for c in clients:
            try:
                c.sock.close()
            except OSError:
                pass
        for nc in (null, nullo):
            if nc is not None:
                nc.stop()
        for p in pals:
            p.stop()
        ej.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
