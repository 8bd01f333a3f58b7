#!/usr/bin/python3
"""bench/e2e-prosody.py: end-to-end MUC throughput behind one Prosody: its own
mod_muc, the routing ceiling (a null component) and Palaver.

One private Prosody (tests/integration/prosody.py) serves its own mod_muc
(conference.localhost, room locking off, no history), the null component
(null.localhost, bench/null-component: a join answered with the joiner's own
presence, each groupchat message copied to every occupant, no MUC logic) and
Palaver (muc.localhost, muc-core only). N raw c2s clients (in-band
registration, SASL PLAIN, no TLS) join one room on each service; occupant 0
sends M messages with at most W in flight and every client counts what comes
back. For each service: delivered messages/s, latency p50/p99 (send to the
last delivery of a message) and the CPU seconds of the server side (Prosody
alone, or Prosody plus the component) per 1,000 deliveries; then Palaver as a
fraction of the ceiling and against mod_muc.

With --sizes 10,50,100 the clients join one room per size (the first N
clients) and each size is measured in turn; --data FILE writes one line per
size for bench/plot.sh.

    PALAVER_BIN=.../palaver PALAVER_MODULE_DIR=... \\
        /usr/bin/python3 bench/e2e-prosody.py [-n 50] [-m 2000] [-w 20] [--rounds 1]
"""

import argparse
import sys
import time

import e2e_common as E
from prosody import Prosody  # noqa: E402  (path set by e2e_common)
from daemon import Palaver   # noqa: E402

VHOST = 'localhost'
PROSODY_MUC = 'conference.localhost'
PALAVER_MUC = 'muc.localhost'
NULL = 'null.localhost'
NULLO = 'nullo.localhost'
SECRET = 'benchsecret'


class BenchProsody(Prosody):
    """The test Prosody with mod_muc's room locking off (instant rooms)."""

    def config(self):
        text = super().config()
        return text.replace('  muc_tombstones = false\n',
                            '  muc_tombstones = false\n  muc_room_locking = false\n'
                            '  max_history_messages = 0\n  muc_max_occupants = 100000\n')


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
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(',')] if args.sizes else [args.n]

    comps = {PALAVER_MUC: SECRET, NULL: SECRET}
    if args.occupant_id:
        comps[NULLO] = SECRET
    pros = BenchProsody(components=comps, muc_component=PROSODY_MUC)
    pal = null = nullo = None
    clients = []
    rows = []
    try:
        pros.start()
        pal = Palaver(PALAVER_MUC, SECRET, pros.component_port, plugins=['muc-core'],
                      plugin_config={'muc-core': '<flood-burst>0</flood-burst>'},
                      verbose=False)
        pal.start()
        if not pal.wait_output('connected to', 20):
            raise RuntimeError('palaver did not connect:\n' + pal.output())
        null = E.NullComponent(NULL, SECRET, pros.component_port)
        null.start()
        if args.occupant_id:
            nullo = E.NullComponent(NULLO, SECRET, pros.component_port, occupant_id=True)
            nullo.start()
        clients = E.login_all(max(sizes), pros.c2s_port, VHOST)
        seq = 0
        services = [('Prosody mod_muc', PROSODY_MUC, True, {'prosody': pros.proc.pid}),
                    ('null component via Prosody', NULL, True,
                     {'prosody': pros.proc.pid, 'null': null.proc.pid}),
                    ('Palaver via Prosody', PALAVER_MUC, False,
                     {'prosody': pros.proc.pid, 'palaver': pal.proc.pid})]
        if nullo:
            services.append(('null + occupant-id via Prosody', NULLO, True,
                             {'prosody': pros.proc.pid, 'null': nullo.proc.pid}))
        for n in sizes:
            room = 'bench%d' % n
            members = clients[:n]
            for i, c in enumerate(members):
                for _, dom, muc_x, _ in services:
                    c.join('%s@%s' % (room, dom), 'nick%d' % i, muc_x)
            time.sleep(0.5)
            print('joined: %d occupants in %s on each service' % (n, room))
            m = max(50, args.m * 50 // n) if args.sizes else args.m
            results = {name: [] for name, _, _, _ in services}
            for _ in range(args.rounds):
                for name, dom, _, pids in services:
                    r = E.measure(name, '%s@%s' % (room, dom), members, m, args.w, pids, seq)
                    seq += m
                    E.report(r)
                    results[name].append(r)
                    time.sleep(0.3)
            b = {k: E.best(v) for k, v in results.items()}
            pm, nc, pv = (b['Prosody mod_muc'], b['null component via Prosody'],
                          b['Palaver via Prosody'])
            E.ratio_line('n=%d Palaver / ceiling (null component)' % n, pv, nc)
            E.ratio_line('n=%d Palaver / Prosody mod_muc' % n, pv, pm)
            E.ratio_line('n=%d ceiling / Prosody mod_muc' % n, nc, pm)
            if nullo:
                E.ratio_line('n=%d Palaver / null component with occupant-id' % n, pv,
                             b['null + occupant-id via Prosody'])
            print('n=%d Palaver alone: %.1f us/delivery = %.1f%% of the server-side CPU' % (
                n, pv['cpu']['palaver'] * 1e6 / pv['deliveries'],
                100 * pv['cpu']['palaver'] / pv['cpu_total']))
            rows.append((n, pm, nc, pv))
        if args.data:
            with open(args.data, 'w') as f:
                f.write('# occupants  deliveries/s: prosody null palaver  server CPU us per '
                        'delivery: prosody null palaver  p99 ms: prosody null palaver\n')
                for n, pm, nc, pv in rows:
                    f.write('%d %.0f %.0f %.0f %.1f %.1f %.1f %.1f %.1f %.1f\n' % (
                        n, pm['rate'], nc['rate'], pv['rate'], pm['cpu_per_1000'] * 1000,
                        nc['cpu_per_1000'] * 1000, pv['cpu_per_1000'] * 1000, pm['p99'],
                        nc['p99'], pv['p99']))
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
        if pal is not None:
            pal.stop()
        pros.cleanup()


if __name__ == '__main__':
    sys.exit(main())
