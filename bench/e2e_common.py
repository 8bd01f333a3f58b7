"""bench/e2e_common.py: what the end-to-end benchmarks share.

Raw c2s clients (plain sockets, in-band registration, SASL PLAIN without
TLS), the measuring loop (one sender, at most W messages in flight, every
client counts the <body/>s that come back), the null component
(bench/null-component, built by `make bench`) as a process, CPU seconds of
the server-side processes from /proc, and the printing of results and
ratios. Used by bench/e2e-prosody.py, bench/e2e-ejabberd.py and
bench/cluster-failover.py (measure_rooms: the same loop over several rooms).
"""

import base64
import os
import re
import selectors
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'integration'))

BODY = re.compile(rb'<body>b(\d+)</body>')


def cpu_seconds(pid):
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def tree_pids(pid):
    """pid and its descendants (ejabberd's erl runs beam.smp and helpers)."""
    out = [pid]
    try:
        kids = subprocess.run(['pgrep', '-P', str(pid)], capture_output=True,
                              text=True).stdout.split()
    except OSError:
        kids = []
    for k in kids:
        out += tree_pids(int(k))
    return out


def cpu_tree(pid):
    total = 0.0
    for p in tree_pids(pid):
        try:
            total += cpu_seconds(p)
        except OSError:
            pass
    return total


def build_dir():
    return os.environ.get('PALAVER_BUILDDIR') or os.path.dirname(
        os.environ.get('PALAVER_BIN', './palaver')) or '.'


class NullComponent:
    """bench/null-component connected to a host's component port."""

    def __init__(self, domain, secret, port, occupant_id=False):
        self.args = [os.path.join(build_dir(), 'bench', 'null-component'),
                     '-p', str(port), '-d', domain, '-s', secret] + (['-o'] if occupant_id else [])
        self.proc = None

    def start(self, timeout=10.0):
        if not os.path.exists(self.args[0]):
            raise RuntimeError('%s missing: run make bench' % self.args[0])
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        line = self.proc.stdout.readline()
        if 'connected' not in line:
            self.proc.wait(timeout)
            raise RuntimeError('null-component: %s %s' % (line, self.proc.stderr.read()))

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Client:
    """A minimal blocking-then-nonblocking c2s client."""

    def __init__(self, user, port, vhost):
        self.user = user
        self.vhost = vhost
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
                continue
            if not data:
                raise RuntimeError('%s: connection closed; got %r' % (self.user, self.buf[-500:]))
            self.buf += data
        i = self.buf.index(marker) + len(marker)
        head, self.buf = self.buf[:i], self.buf[i:]
        return head

    def header(self):
        self.send("<?xml version='1.0'?><stream:stream to='%s' xmlns='jabber:client' "
                  "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>" % self.vhost)
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
        self.send("<iq type='set' id='sess'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'"
                  "/></iq>")
        self.until(b"id='sess'")
        self.send('<presence/>')

    def join(self, room_jid, nick, muc_x=True):
        # Prosody and ejabberd create rooms on a muc <x/> join; Palaver makes a
        # GroupChat 1.0 join (no <x/>) an instant room, and takes <x/> too.
        x = "<x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='0'/></x>" \
            if muc_x else ''
        self.send("<presence to='%s/%s'>%s</presence>" % (room_jid, nick, x))
        self.until(b"code='110'")
        self.until(b'</presence>')


def login_all(n, port, vhost, prefix='bench'):
    clients = []
    t = time.monotonic()
    for i in range(n):
        c = Client('%s%d' % (prefix, i), port, vhost)
        c.login()
        clients.append(c)
    print('%d clients registered and logged in in %.1f s' % (n, time.monotonic() - t))
    sys.stdout.flush()
    return clients


def measure(service, room, clients, messages, window, pids, seq0):
    """Sends `messages` groupchat messages to `room` from clients[0] (every
    client is an occupant); returns the figures. pids: name -> pid whose
    process tree's CPU is counted as the server side."""
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
    cpu0 = {k: cpu_tree(p) for k, p in pids.items()}
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
    cpu = {k: cpu_tree(p) - cpu0[k] for k, p in pids.items()}
    for c in clients:
        sel.unregister(c.sock)
        c.sock.setblocking(True)
    lat.sort()
    total_cpu = sum(cpu.values())
    return {
        'service': service, 'occupants': n, 'messages': messages, 'deliveries': deliveries,
        'seconds': dt, 'rate': deliveries / dt, 'p50': lat[len(lat) // 2] * 1e3,
        'p99': lat[min(len(lat) - 1, len(lat) * 99 // 100)] * 1e3,
        'cpu': cpu, 'cpu_total': total_cpu, 'cpu_per_1000': total_cpu * 1000 / deliveries,
    }


def report(r):
    parts = ', '.join('%s %.2f s' % kv for kv in r['cpu'].items())
    print('%-30s n=%d: %d msgs, %d deliveries in %.2f s = %.0f deliveries/s; latency p50 '
          '%.2f ms p99 %.2f ms; CPU %s = %.3f s per 1000 deliveries (%.1f us/delivery)' % (
              r['service'], r['occupants'], r['messages'], r['deliveries'], r['seconds'],
              r['rate'], r['p50'], r['p99'], parts, r['cpu_per_1000'], r['cpu_per_1000'] * 1000))
    sys.stdout.flush()


def best(runs):
    """The round with the highest rate (the least disturbed by other load)."""
    return max(runs, key=lambda r: r['rate'])


def ratio_line(label, r, base):
    print('ratio %s: deliveries/s %.2f, server CPU per delivery %.2f' % (
        label, r['rate'] / base['rate'], r['cpu_per_1000'] / base['cpu_per_1000']))
    sys.stdout.flush()


def measure_rooms(service, rooms, clients, messages, window, pids, seq0):
    """measure() over several rooms: message k goes to rooms[k % len(rooms)]
    (every client is an occupant of every room, so each message makes
    len(clients) deliveries). The result also has 'client_cpu', the CPU
    seconds of this (load generating) process over the run."""
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
    cpu0 = {k: cpu_tree(p) for k, p in pids.items()}
    own0 = time.process_time()
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
                       % (rooms[seq % len(rooms)], seq, seq))
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
    cpu = {k: cpu_tree(p) - cpu0[k] for k, p in pids.items()}
    own = time.process_time() - own0
    for c in clients:
        sel.unregister(c.sock)
        c.sock.setblocking(True)
    lat.sort()
    total_cpu = sum(cpu.values())
    return {
        'service': service, 'occupants': n, 'messages': messages, 'deliveries': deliveries,
        'seconds': dt, 'rate': deliveries / dt, 'p50': lat[len(lat) // 2] * 1e3,
        'p99': lat[min(len(lat) - 1, len(lat) * 99 // 100)] * 1e3,
        'cpu': cpu, 'cpu_total': total_cpu, 'cpu_per_1000': total_cpu * 1000 / deliveries,
        'client_cpu': own,
    }
