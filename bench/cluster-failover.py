#!/usr/bin/python3
"""bench/cluster-failover.py: several Palaver instances serving one MUC
domain (CLUSTER-1): how long a room is out of service after kill -9 of its
instance, and what several active instances behind ejabberd do to fan-out.

Both parts run muc-core on the pgsql backend with <cluster>, against a
private PostgreSQL (tests/integration/pgserver.py) and the private servers
of the integration suite, with raw c2s clients (bench/e2e_common.py) that
answer the XEP-0199 pings a restored occupant gets.

failover (Prosody 0.12): instances a and b, <reconnect-max>1</reconnect-max>;
Prosody refuses the second connection (`conflict`), so one is active and the
other a hot standby retrying every second. 5 persistent rooms with 3
occupants; occupant 0 sends one message to each room every 50 ms. A round:
kill -9 the active instance, then time from the kill to the first message
sent after it that reaches another occupant, in any room ("first") and in
the last of the 5 rooms ("all rooms"); restart the killed instance, wait
until Prosody refused it (it is the new standby); the next round kills the
other one. Printed: min, p50, p99, max over the rounds, for each
--leases LEASE/HEARTBEAT pair (a fresh rig each).

fanout (ejabberd 23.01): domain_balancing bare_destination with
component_number N and N active instances (<slots>N</slots>), for N in
--instances (default 1,3; for 1, no domain_balancing, which wants 2 to
1000, and no <slots>: the one connection gets the domain): R rooms x C occupants (every client in every
room, temporary instant rooms), occupant 0 sends M messages round-robin over
the rooms with at most W in flight (e2e_common.measure_rooms). Printed:
deliveries/s, latency, CPU seconds of the palaver processes, of ejabberd's
beam, of PostgreSQL and of this load generator, and the ratios of N=3
against N=1.

    cd BUILD && sh SRC/bench/run.sh cluster
    PALAVER_BIN=.../palaver PALAVER_MODULE_DIR=... /usr/bin/python3 \\
        bench/cluster-failover.py [failover|fanout|all] [--kills 20] [--leases 3/1,2/1]
        [--instances 1,3] [--rooms 30] [--occupants 20] [-m 3000] [-w 60] [--rounds 2]
"""

import argparse
import os
import re
import selectors
import signal
import subprocess
import sys
import time

import e2e_common as E
from daemon import Palaver, escape  # noqa: E402  (path set by e2e_common)
import ejabberd  # noqa: E402
import pgserver  # noqa: E402
import prosody  # noqa: E402

DOMAIN = 'muc.localhost'
SECRET = 'cluster-bench-secret'
TICK = 0.05           # seconds between two messages to each room (failover)
KILL_TIMEOUT = 30.0   # a round without a delivery for this long fails
KBODY = re.compile(rb'<body>k(\d+)_(\d+)</body>')
GONE = re.compile(rb'''<presence\b[^>]*type=['"]unavailable''')
IQ_GET = re.compile(rb'<iq\b[^>]*>')
ATTR = re.compile(rb'''\b(type|id|from)=(?:'([^']*)'|"([^"]*)")''')


def room(name):
    return '%s@%s' % (name, DOMAIN)


def instance(pg, port, name, lease, beat, slots=0):
    """Starts one clustered palaver (muc-core, pgsql) towards port."""
    cluster = ('<cluster><instance>%s</instance><lease-time>%d</lease-time>'
               '<heartbeat>%d</heartbeat>%s</cluster>'
               % (name, lease, beat, '<slots>%d</slots>' % slots if slots else ''))
    d = Palaver(DOMAIN, SECRET, port, backend='pgsql',
                backend_options='<conninfo>%s</conninfo>' % escape(pg.conninfo),
                plugins=['muc-core'],
                plugin_config={'muc-core': '<flood-burst>0</flood-burst>' + cluster},
                extra_config='<reconnect-max>1</reconnect-max>')
    return d.start()


def stop_quietly(d):
    try:
        d.stop()
    except AssertionError as e:
        print('palaver %s: %s' % (d.dir, str(e)[:500]))


def kill9(d):
    d.proc.send_signal(signal.SIGKILL)
    d.proc.wait()
    stop_quietly(d)   # closes its log and removes its directory


def postmaster_pid(pg):
    with open(os.path.join(pg.dir, 'data', 'postmaster.pid')) as f:
        return int(f.readline())


def psql(pg, sql):
    p = subprocess.run([os.path.join(pgserver.PGBIN, 'psql'), '-X', '-q', '-t', '-A', '-F', ' ',
                        '-d', pg.conninfo, '-c', sql], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=30)
    out = p.stdout.decode()
    if p.returncode != 0:
        raise RuntimeError('psql: ' + out)
    return [line.split(' ') for line in out.splitlines() if line]


def close_clients(clients):
    for c in clients:
        try:
            c.sock.close()
        except OSError:
            pass


def configure_persistent(owner, jid):
    """The owner makes a new room persistent (and unlocks it)."""
    owner.send("<iq type='set' to='%s' id='cfg-%s'><query xmlns='http://jabber.org/protocol/"
               "muc#owner'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'>"
               "<value>http://jabber.org/protocol/muc#roomconfig</value></field>"
               "<field var='muc#roomconfig_persistentroom'><value>1</value></field>"
               "</x></query></iq>" % (jid, jid))
    got = owner.until(("id='cfg-%s'" % jid).encode())
    got += owner.until(b'>')
    if b'error' in got[-300:]:
        raise RuntimeError('configuring %s: %r' % (jid, got[-300:] + owner.buf[:300]))


def percentile(values, p):
    """Nearest rank: p99 of 20 values is the largest."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, -(-len(s) * p // 100) - 1))
    return s[k]


def summary(label, values):
    print('%s over %d kills: min %.2f s, p50 %.2f s, p99 %.2f s, max %.2f s, mean %.2f s' % (
        label, len(values), min(values), percentile(values, 50), percentile(values, 99),
        max(values), sum(values) / len(values)))
    sys.stdout.flush()


# ---- failover behind Prosody -------------------------------------------

class Talk:
    """The failover load: clients[0] sends one message to each room every
    TICK; every client's stream is read (pings answered); the first arrival
    at another occupant of each room's messages from a sequence number on is
    recorded."""

    def __init__(self, clients, rooms):
        self.clients, self.rooms = clients, rooms
        self.sel = selectors.DefaultSelector()
        for c in clients:
            c.sock.setblocking(False)
            self.sel.register(c.sock, selectors.EVENT_READ, c)
            c.tail = c.buf
            c.buf = b''
        self.seq = 0
        self.next_send = time.monotonic()
        self.since = 0          # sequence number the arrivals are recorded from
        self.first = {}         # room index -> monotonic time of the first arrival
        self.gone = 0           # unavailable presences seen (kicks, 333): none expected

    def watch(self):
        """Records the arrivals of messages sent from now on."""
        self.since = self.seq
        self.first = {}

    def send_tick(self):
        out = ''.join("<message to='%s' type='groupchat' id='k%d_%d'><body>k%d_%d</body>"
                      "</message>" % (room(r), i, self.seq, i, self.seq)
                      for i, r in enumerate(self.rooms))
        self.seq += 1
        s = self.clients[0].sock
        s.setblocking(True)
        s.sendall(out.encode())
        s.setblocking(False)

    def answer_pings(self, c, buf):
        end = 0
        for mt in IQ_GET.finditer(buf):
            end = mt.end()
            attrs = {}
            for a in ATTR.finditer(mt.group(0)):
                attrs[a.group(1)] = (a.group(2) if a.group(2) is not None else a.group(3))
            if attrs.get(b'type') == b'get' and b'from' in attrs:
                c.sock.setblocking(True)
                c.sock.sendall(b"<iq type='result' to='" + attrs[b'from'] + b"' id='" +
                               attrs.get(b'id', b'') + b"'/>")
                c.sock.setblocking(False)
        return end

    def read(self, c, observer):
        try:
            data = c.sock.recv(262144)
        except BlockingIOError:
            return
        if not data:
            raise RuntimeError('%s: connection closed' % c.user)
        buf = c.tail + data
        now = time.monotonic()
        end = self.answer_pings(c, buf)
        self.gone += len(GONE.findall(buf[len(c.tail):]))
        for mt in KBODY.finditer(buf):
            end = max(end, mt.end())
            i, seq = int(mt.group(1)), int(mt.group(2))
            if observer and seq >= self.since and i not in self.first:
                self.first[i] = now
        c.tail = buf[max(end, len(buf) - 512):]

    def run(self, until, timeout):
        """Talks until until() is true; False after timeout seconds."""
        deadline = time.monotonic() + timeout
        while not until():
            now = time.monotonic()
            if now > deadline:
                return False
            if now >= self.next_send:
                self.send_tick()
                self.next_send = max(self.next_send + TICK, now - TICK)
            wait = max(0.0, min(self.next_send, deadline) - time.monotonic())
            for key, _ in self.sel.select(wait):
                self.read(key.data, key.data is not self.clients[0])
        return True

    def all_back(self):
        return len(self.first) == len(self.rooms)


def failover_rig(lease, beat, kills, rooms):
    print('== failover behind Prosody: lease-time %d s, heartbeat %d s, %d kills' % (
        lease, beat, kills))
    sys.stdout.flush()
    pg = pgserver.PgServer().start()
    server = prosody.Prosody(components={DOMAIN: SECRET})
    daemons = []
    clients = []
    try:
        server.start()
        active = instance(pg, server.component_port, 'a', lease, beat)
        daemons.append(active)
        active.wait_output('connected to', 20)
        standby = instance(pg, server.component_port, 'b', lease, beat)
        daemons.append(standby)
        standby.wait_output('conflict', 20)
        clients = E.login_all(3, server.c2s_port, 'localhost', prefix='fo')
        for r in rooms:
            clients[0].join(room(r), 'nick0')
            configure_persistent(clients[0], room(r))
            for i, c in enumerate(clients[1:], 1):
                c.join(room(r), 'nick%d' % i)
        talk = Talk(clients, rooms)
        first, every = [], []
        for k in range(kills):
            talk.watch()
            if not talk.run(talk.all_back, 10):
                raise RuntimeError('round %d: the rooms are not served before the kill' % k)
            talk.run(lambda: False, 1.0)       # steady traffic for a second
            talk.watch()
            t0 = time.monotonic()
            kill9(active)
            if not talk.run(talk.all_back, KILL_TIMEOUT):
                raise RuntimeError('round %d: rooms %s not back %.0f s after the kill:\n%s' % (
                    k, sorted(set(range(len(rooms))) - set(talk.first)), KILL_TIMEOUT,
                    standby.output()[-3000:]))
            f = min(talk.first.values()) - t0
            a = max(talk.first.values()) - t0
            first.append(f)
            every.append(a)
            name = ('a', 'b')[k % 2]      # the instance just killed
            print('kill %2d (%s): first delivery %.2f s, all %d rooms %.2f s' % (
                k + 1, name, f, len(rooms), a))
            sys.stdout.flush()
            daemons.remove(active)
            fresh = instance(pg, server.component_port, name, lease, beat)
            daemons.append(fresh)
            if not talk.run(lambda: 'conflict' in fresh.output(), 20):
                raise RuntimeError('the restarted instance was not refused:\n'
                                   + fresh.output()[-3000:])
            active, standby = standby, fresh
        print('unavailable presences seen by the occupants: %d (kicked or lost occupants)'
              % talk.gone)
        summary('lease %d s / heartbeat %d s: kill -> first delivery' % (lease, beat), first)
        summary('lease %d s / heartbeat %d s: kill -> all %d rooms' % (lease, beat, len(rooms)),
                every)
        return first, every
    finally:
        close_clients(clients)
        for d in daemons:
            if d.running():
                stop_quietly(d)
        server.cleanup()
        pg.stop()


# ---- fan-out behind ejabberd ---------------------------------------------

class SlottedEjabberd(ejabberd.Ejabberd):
    """ejabberd.py's instance with DOMAIN routed to n fixed connections by
    the room's bare JID."""

    def __init__(self, n):
        super().__init__(components={DOMAIN: SECRET})
        self.n = n

    def config(self):
        text = super().config().replace('loglevel: info', 'loglevel: warning')
        if self.n < 2:    # component_number must be 2 to 1000: one connection needs none
            return text
        return text + ('domain_balancing:\n  %s:\n    type: bare_destination\n'
                       '    component_number: %d\n' % (ejabberd.yaml_str(DOMAIN), self.n))


def fanout_rig(n, args, seq0):
    print('== fan-out behind ejabberd: component_number %d, %d active instances, '
          '%d rooms x %d occupants' % (n, n, args.rooms, args.occupants))
    sys.stdout.flush()
    pg = pgserver.PgServer().start()
    server = SlottedEjabberd(n)
    daemons = []
    clients = []
    try:
        server.start()
        for i in range(n):
            daemons.append(instance(pg, server.component_port, 'e%d' % (i + 1), 3, 1,
                                    slots=n if n > 1 else 0))
        for d in daemons:
            d.wait_output('connected to', 30)
        clients = E.login_all(args.occupants, server.c2s_port, 'localhost', prefix='fan')
        rooms = [room('fan%02d' % r) for r in range(args.rooms)]
        t = time.monotonic()
        for j in rooms:
            for i, c in enumerate(clients):
                c.join(j, 'nick%d' % i, muc_x=False)
        print('joined: %d rooms x %d occupants in %.1f s' % (
            len(rooms), len(clients), time.monotonic() - t))
        time.sleep(1.0)
        print('rooms per instance: %s' % ', '.join('%s %s' % tuple(row) for row in psql(
            pg, "SELECT holder, count(*) FROM leases WHERE room NOT LIKE ':%' "
            "GROUP BY holder ORDER BY holder")))
        pids = {'ejabberd': server.proc.pid, 'postgres': postmaster_pid(pg)}
        for i, d in enumerate(daemons):
            pids['palaver%d' % (i + 1)] = d.proc.pid
        runs = []
        seq = seq0
        for _ in range(args.rounds):
            r = E.measure_rooms('%d instance(s)' % n, rooms, clients, args.m, args.w, pids, seq)
            seq += args.m
            r['palaver_cpu'] = sum(v for k, v in r['cpu'].items() if k.startswith('palaver'))
            E.report(r)
            print('  palaver processes %.2f s (%.1f us/delivery), ejabberd %.2f s (%.1f us/'
                  'delivery), postgres %.2f s, load generator %.2f s, wall %.2f s' % (
                      r['palaver_cpu'], r['palaver_cpu'] * 1e6 / r['deliveries'],
                      r['cpu']['ejabberd'], r['cpu']['ejabberd'] * 1e6 / r['deliveries'],
                      r['cpu']['postgres'], r['client_cpu'], r['seconds']))
            sys.stdout.flush()
            runs.append(r)
            time.sleep(0.5)
        return runs, seq
    finally:
        close_clients(clients)
        for d in daemons:
            stop_quietly(d)
        server.cleanup()
        pg.stop()


def fanout(args):
    counts = [int(x) for x in args.instances.split(',')]
    results = {n: [] for n in counts}
    seq = 0
    for _ in range(args.repeat):
        for n in counts:
            runs, seq = fanout_rig(n, args, seq)
            results[n] += runs
    best = {n: E.best(rs) for n, rs in results.items()}
    for n, r in best.items():
        print('best with %d instance(s): %.0f deliveries/s, p50 %.1f ms, p99 %.1f ms; CPU per '
              'delivery: palaver %.1f us, ejabberd %.1f us; over the run: palaver %.0f%%, '
              'ejabberd %.0f%%, load generator %.0f%% of one core' % (
                  n, r['rate'], r['p50'], r['p99'], r['palaver_cpu'] * 1e6 / r['deliveries'],
                  r['cpu']['ejabberd'] * 1e6 / r['deliveries'],
                  100 * r['palaver_cpu'] / r['seconds'], 100 * r['cpu']['ejabberd'] / r['seconds'],
                  100 * r['client_cpu'] / r['seconds']))
    if len(counts) > 1:
        base = best[counts[0]]
        for n in counts[1:]:
            E.ratio_line('%d instances / %d' % (n, counts[0]), best[n], base)
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('part', nargs='?', default='all', choices=('failover', 'fanout', 'all'))
    ap.add_argument('--kills', type=int, default=20, help='kill -9 rounds per lease setting')
    ap.add_argument('--leases', default='3/1,2/1',
                    help='LEASE/HEARTBEAT seconds pairs, one failover rig each')
    ap.add_argument('--failover-rooms', type=int, default=5)
    ap.add_argument('--instances', default='1,3', help='active instances behind ejabberd')
    ap.add_argument('--rooms', type=int, default=30, help='fan-out rooms')
    ap.add_argument('--occupants', type=int, default=20, help='fan-out occupants per room')
    ap.add_argument('-m', type=int, default=3000, help='fan-out messages per round')
    ap.add_argument('-w', type=int, default=60, help='fan-out messages in flight at most')
    ap.add_argument('--rounds', type=int, default=2, help='fan-out rounds per rig')
    ap.add_argument('--repeat', type=int, default=1,
                    help='set up the fan-out rigs this often, in alternation')
    args = ap.parse_args()
    try:
        pgserver.PgServer()
    except pgserver.Unavailable as e:
        print('skipped: %s' % e)
        return 0
    if args.part in ('failover', 'all'):
        if not prosody.available():
            print('prosody is not installed: failover skipped')
        else:
            rooms = ['fo%d' % i for i in range(args.failover_rooms)]
            for pair in args.leases.split(','):
                lease, beat = (int(x) for x in pair.split('/'))
                failover_rig(lease, beat, args.kills, rooms)
    if args.part in ('fanout', 'all'):
        if not ejabberd.available():
            print('ejabberd is not installed: fan-out skipped')
        else:
            fanout(args)
    return 0


if __name__ == '__main__':
    sys.exit(main())
