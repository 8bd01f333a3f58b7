#!/usr/bin/python3
"""bench/e2e-prosody.py: end-to-end MUC throughput, Prosody's own mod_muc vs Palaver.

One private Prosody (tests/integration/prosody.py) serves both its own
mod_muc (conference.localhost, room locking off) and Palaver as an external
component (muc.localhost, tests/integration/daemon.py). N raw c2s clients
(plain sockets, in-band registration, SASL PLAIN without TLS) join one room
on each service; occupant 0 sends M groupchat messages with at most W in
flight, and every client counts the <body/>s that come back. For each
service it prints delivered messages/s, latency p50/p99 (send to the last
delivery of a message) and the CPU seconds of the server-side processes
(Prosody alone, or Prosody plus palaver) per 1,000 deliveries.

    PALAVER_BIN=.../palaver PALAVER_MODULE_DIR=... \
        /usr/bin/python3 bench/e2e-prosody.py [-n 50] [-m 2000] [-w 20]
"""

import argparse
import base64
import os
import re
import selectors
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'integration'))

from prosody import Prosody  # noqa: E402
from daemon import Palaver   # noqa: E402

VHOST = 'localhost'
PROSODY_MUC = 'conference.localhost'
PALAVER_MUC = 'muc.localhost'
SECRET = 'benchsecret'
BODY = re.compile(rb'<body>b(\d+)</body>')


class BenchProsody(Prosody):
    """The test Prosody with mod_muc's room locking off (instant rooms)."""

    def config(self):
        text = super().config()
        return text.replace('  muc_tombstones = false\n',
                            '  muc_tombstones = false\n  muc_room_locking = false\n'
                            '  max_history_messages = 0\n')


def cpu_seconds(pid):
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


class Client:
    """A minimal blocking-then-nonblocking c2s client."""

    def __init__(self, user, port):
        self.user = user
        self.sock = socket.create_connection(('127.0.0.1', port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b''
        self.tail = b''

    def send(self, text):
        self.sock.sendall(text.encode())

    def until(self, marker, timeout=20.0):
        """Reads until `marker` (bytes) is in the buffer; returns and drops
        everything up to and including it."""
        deadline = time.monotonic() + timeout
        while marker not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError('%s: %r not received; got %r' % (self.user, marker,
                                                                      self.buf[-500:]))
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                data = None
                left = 0
            if data is None:
                continue
            if not data:
                raise RuntimeError('%s: connection closed; got %r' % (self.user, self.buf[-500:]))
            self.buf += data
        i = self.buf.index(marker) + len(marker)
        head, self.buf = self.buf[:i], self.buf[i:]
        return head

    def header(self):
        self.send("<?xml version='1.0'?><stream:stream to='%s' xmlns='jabber:client' "
                  "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>" % VHOST)
        self.until(b'</stream:features>')

    def login(self, password='pw'):
        self.header()
        self.send("<iq type='set' id='reg'><query xmlns='jabber:iq:register'><username>%s"
                  "</username><password>%s</password></query></iq>" % (self.user, password))
        self.until(b"id='reg'")
        token = base64.b64encode(('\0%s\0%s' % (self.user, password)).encode()).decode()
        self.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>%s</auth>"
                  % token)
        got = self.until(b'>', 10)
        got += self.until(b'>', 10) if b'success' not in got and b'failure' not in got else b''
        if b'success' not in got:
            raise RuntimeError('%s: authentication failed: %r' % (self.user, got + self.buf))
        self.buf = b''
        self.header()
        self.send("<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                  "<resource>r</resource></bind></iq>")
        self.until(b'</iq>')
        self.send('<presence/>')

    def join(self, room_jid, nick, muc_x):
        # Prosody creates rooms only on a muc <x/> join (instant here: locking is
        # off); Palaver makes a GroupChat 1.0 join (no <x/>) an instant room.
        x = "<x xmlns='http://jabber.org/protocol/muc'/>" if muc_x else ''
        self.send("<presence to='%s/%s'>%s</presence>" % (room_jid, nick, x))
        self.until(b"code='110'")


def run(service, room, clients, messages, window, pids, seq0):
    """Sends `messages` groupchat messages from clients[0]; returns the figures."""
    n = len(clients)
    sel = selectors.DefaultSelector()
    for c in clients:
        c.sock.setblocking(False)
        sel.register(c.sock, selectors.EVENT_READ, c)
        c.tail = c.buf[-32:]
        c.buf = b''
    left = {}
    sent_at = {}
    lat = []
    deliveries = 0
    sender = clients[0]
    cpu0 = {k: cpu_seconds(p) for k, p in pids.items()}
    t0 = time.monotonic()
    sent = 0
    last_progress = t0
    while len(lat) < messages:
        out = []
        while sent < messages and sent - len(lat) < window:
            seq = seq0 + sent
            left[seq] = n
            sent_at[seq] = time.monotonic()
            out.append("<message to='%s' type='groupchat' id='m%d'><body>b%d</body></message>"
                       % (room, seq, seq))
            sent += 1
        if out:
            sender.sock.setblocking(True)
            sender.sock.sendall(''.join(out).encode())
            sender.sock.setblocking(False)
        for key, _ in sel.select(1.0):
            c = key.data
            try:
                data = c.sock.recv(262144)
            except BlockingIOError:
                continue
            if not data:
                raise RuntimeError('%s: connection closed' % c.user)
            buf = c.tail + data
            end = 0
            now = time.monotonic()
            for mt in BODY.finditer(buf):
                end = mt.end()
                seq = int(mt.group(1))
                if seq in left:
                    deliveries += 1
                    left[seq] -= 1
                    if left[seq] == 0:
                        del left[seq]
                        lat.append(now - sent_at[seq])
                        last_progress = now
            c.tail = buf[max(end, len(buf) - 32):]
        if time.monotonic() - last_progress > 15:
            raise RuntimeError('%s: stalled at %d/%d messages complete' % (service, len(lat),
                                                                          messages))
    dt = time.monotonic() - t0
    cpu = {k: cpu_seconds(p) - cpu0[k] for k, p in pids.items()}
    for c in clients:
        sel.unregister(c.sock)
        c.sock.setblocking(True)
    lat.sort()
    total_cpu = sum(cpu.values())
    return {
        'service': service, 'messages': messages, 'deliveries': deliveries, 'seconds': dt,
        'rate': deliveries / dt, 'p50': lat[len(lat) // 2] * 1e3,
        'p99': lat[min(len(lat) - 1, len(lat) * 99 // 100)] * 1e3,
        'cpu': cpu, 'cpu_total': total_cpu, 'cpu_per_1000': total_cpu * 1000 / deliveries,
    }


def report(r):
    parts = ', '.join('%s %.2f s' % kv for kv in r['cpu'].items())
    print('%-22s %d msgs, %d deliveries in %.2f s = %.0f deliveries/s; latency p50 %.2f ms '
          'p99 %.2f ms; CPU %s = %.3f s per 1000 deliveries (%.1f us/delivery)' % (
              r['service'], r['messages'], r['deliveries'], r['seconds'], r['rate'], r['p50'],
              r['p99'], parts, r['cpu_per_1000'], r['cpu_per_1000'] * 1000))
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('-n', type=int, default=50, help='occupants per room')
    ap.add_argument('-m', type=int, default=2000, help='messages per service')
    ap.add_argument('-w', type=int, default=20, help='messages in flight at most')
    ap.add_argument('--rounds', type=int, default=1, help='alternate the services this often')
    args = ap.parse_args()

    pros = BenchProsody(components={PALAVER_MUC: SECRET}, muc_component=PROSODY_MUC)
    pal = None
    clients = []
    try:
        pros.start()
        pal = Palaver(PALAVER_MUC, SECRET, pros.component_port, plugins=['muc-core'],
                      plugin_config={'muc-core': '<flood-burst>0</flood-burst>'},
                      verbose=False)
        pal.start()
        if not pal.wait_output('connected to', 20):
            raise RuntimeError('palaver did not connect:\n' + pal.output())
        t = time.monotonic()
        for i in range(args.n):
            c = Client('bench%d' % i, pros.c2s_port)
            c.login()
            clients.append(c)
        print('%d clients registered and logged in in %.1f s' % (args.n, time.monotonic() - t))
        for i, c in enumerate(clients):
            c.join('bench@' + PROSODY_MUC, 'nick%d' % i, True)
            c.join('bench@' + PALAVER_MUC, 'nick%d' % i, False)
        time.sleep(0.5)
        print('joined: %d occupants in bench@%s and bench@%s' % (args.n, PROSODY_MUC,
                                                                 PALAVER_MUC))
        seq = 0
        results = {'prosody': [], 'palaver': []}
        for _ in range(args.rounds):
            r = run('Prosody mod_muc', 'bench@' + PROSODY_MUC, clients, args.m, args.w,
                    {'prosody': pros.proc.pid}, seq)
            seq += args.m
            report(r)
            results['prosody'].append(r)
            time.sleep(0.3)
            r = run('Palaver via Prosody', 'bench@' + PALAVER_MUC, clients, args.m, args.w,
                    {'prosody': pros.proc.pid, 'palaver': pal.proc.pid}, seq)
            seq += args.m
            report(r)
            results['palaver'].append(r)
            time.sleep(0.3)
        best = {k: min(v, key=lambda r: r['cpu_per_1000']) for k, v in results.items()}
        print('ratio (Palaver via Prosody / Prosody mod_muc): deliveries/s %.2f, '
              'server CPU per delivery %.2f; palaver alone %.1f us/delivery' % (
                  best['palaver']['rate'] / best['prosody']['rate'],
                  best['palaver']['cpu_per_1000'] / best['prosody']['cpu_per_1000'],
                  best['palaver']['cpu']['palaver'] * 1e6 / best['palaver']['deliveries']))
    finally:
        for c in clients:
            try:
                c.sock.close()
            except OSError:
                pass
        if pal is not None:
            pal.stop()
        pros.cleanup()


if __name__ == '__main__':
    main()
