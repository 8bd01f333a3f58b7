"""tests/integration/test_cluster_routing.py: how each server routes one component domain to several connections.

Several palaver instances serving one MUC domain rely on the XMPP server to
route: which connection gets the stanzas of a room, what happens when one
goes away, whether a second connection is allowed at all. These are the
facts the cluster design builds on; the tests check them with real servers
(Debian 12 packages, private instances on loopback: ejabberd.py, prosody.py,
jabberd2.py) and small XEP-0114 test components (Component below: a socket,
the handshake, a reader thread recording every stanza), not palaver, and
real clients (mucclient.py, slixmpp) sending plain messages to room JIDs and
occupant JIDs. Each server's tests skip when it is not installed.

Several instances on one domain: what the servers do
----------------------------------------------------
ejabberd 23.01
  - No domain_balancing: every stanza goes to a random connection of the
    domain, so one room's traffic splits between instances.
  - domain_balancing: {"muc.localhost": {type: bare_destination,
    component_number: N}} (top level of ejabberd.yml): N fixed slots. The
    first N connections take slots 1..N in connection order (a new
    connection takes a free slot). A stanza to room@muc.localhost or to
    room@muc.localhost/nick goes to slot
        erlang:phash2({<<"room">>, <<"muc.localhost">>, <<>>}, N) + 1
    (the bare destination: occupant JIDs go with their room),
    always the same one while it lives; rooms never move between live
    slots. A connection beyond N handshakes fine and gets nothing, and does
    not take a slot that frees later. When a slot's connection goes, the
    stanzas for its rooms are dropped with no error to the sender until a
    new connection takes the slot, which then gets exactly those rooms.
    ejabberd tells the components nothing when others come and go.
  - domain_balancing with type but without component_number: every
    component connection of that domain crashes when its handshake is
    checked, before any answer: the component sees only the end of the
    stream (ejabberd logs {badkey,component_number}); clients get
    remote-server-not-found. Other domains are not affected.
  - One ejabberd_service listener with several hosts: a connection for
    one of them registers every host of the listener (so give each
    balanced domain its own listener).
  => on ejabberd: N active instances, one per slot, plus standby instances
    that connect only when an active one is gone (they take its slot and
    receive exactly its rooms); an instance can compute its own rooms.
Prosody 0.12
  - A second connection for a component domain is refused with the stream
    error <conflict/> while the first is up (the first keeps working); once
    the first is gone, a new connection is accepted and gets everything.
  => on Prosody: one active instance, the others hot standbys retrying.
jabberd2 2.7
  - A second (third, ...) connection for the same domain is accepted: the
    router logs "[muc.localhost]:2 online". A XEP-0114 component is bound
    as a "multi-from" route: with several connections, a stanza goes to the
    connection chosen by a hash of the SENDER's bare JID (the inner
    stanza's from), not of the room:
        w = SHA-1(sender bare JID) as five little-endian 32-bit words;
        index = ((w[1] ^ w[2] ^ w[3]) >> 2) % (number of connections)
    (its router.c XORs the first word with itself: w[0] and w[4] drop out).
    A sender without a node (the sm's disco#info from "sm") goes to a
    random connection. The index is into the router's list of
    connections: appended in connection order; when one goes, the last
    one takes its place. So one room's stanzas from different users reach
    different instances, and every arrival or departure reshuffles the
    senders. The components are told nothing when others come or go:
    besides the clients' stanzas they get only the sm's disco#info
    queries sent at each bind (from "sm", so to a random connection) and
    the sm's item-not-found replies to their answers. With all gone,
    clients get item-not-found.
  => on jabberd2 several instances cannot share a domain by room: run one
    connection per domain (standbys must stay disconnected until the
    active one is gone).

Run alone: make check TESTS=tests/integration/test_cluster_routing.py
(TAP_ONLY=substring runs some tests; PALAVER_KEEP_TMP=1 keeps the
servers' directories.)
"""

import hashlib
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..'))

from taptest import run, skip, diag  # noqa: E402
import ejabberd  # noqa: E402
import jabberd2  # noqa: E402
import prosody  # noqa: E402
from server import free_port, read_text  # noqa: E402

DOMAIN = 'muc.localhost'
PLAIN = 'plain.localhost'     # ejabberd: no domain_balancing
BROKEN = 'broken.localhost'   # ejabberd: domain_balancing without component_number
SECRET = 'cluster-routing-secret'
SLOTS = 3
SLOW = float(os.environ.get('PALAVER_TEST_SLOW', '1'))   # scales the settling pauses
ROOMS = ['room%02d' % i for i in range(30)]
STREAMS_NS = 'urn:ietf:params:xml:ns:xmpp-streams'


# ---- a XEP-0114 test component -------------------------------------------

class Component:
    """One component connection: connects, handshakes with the secret,
    records every top-level stanza it receives (IQ gets and sets are also
    answered with an empty result, as jabberd2's sm expects), and notes a
    stream error and the end of the stream."""

    def __init__(self, port, domain, name, secret=SECRET):
        self.domain, self.name, self.secret = domain, name, secret
        self.cond = threading.Condition()
        self.stanzas = []          # ElementTree elements, in order
        self.ready = False         # handshake accepted
        self.stream_error = None   # the condition's local name
        self.closed = False        # the server ended the stream or the socket
        self.sock = socket.create_connection(('127.0.0.1', port), timeout=10)
        self.sock.settimeout(None)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._send("<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' "
                   "xmlns:stream='http://etherx.jabber.org/streams' to='%s'>" % domain)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def __repr__(self):
        return 'Component(%s)' % self.name

    def _send(self, text):
        try:
            self.sock.sendall(text.encode())
        except OSError:
            pass

    def _read(self):
        parser = ET.XMLPullParser(events=('start', 'end'))
        depth = 0
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    break
                parser.feed(data)
                for ev, el in parser.read_events():
                    if ev == 'start':
                        depth += 1
                        if depth == 1:
                            digest = hashlib.sha1((el.get('id', '') + self.secret).encode())
                            self._send('<handshake>%s</handshake>' % digest.hexdigest())
                        continue
                    depth -= 1
                    if depth == 1:
                        self._top(el)
        except (OSError, ET.ParseError):
            pass
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def _top(self, el):
        local = el.tag.split('}')[-1]
        with self.cond:
            if local == 'handshake':
                self.ready = True
            elif local == 'error' and el.tag.startswith('{http://etherx.jabber.org/streams}'):
                conds = [c.tag.split('}')[-1] for c in el if c.tag.startswith('{%s}' % STREAMS_NS)
                         and not c.tag.endswith('}text')]
                self.stream_error = conds[0] if conds else 'unknown'
            else:
                self.stanzas.append(el)
                if local == 'iq' and el.get('type') in ('get', 'set'):
                    self._send("<iq type='result' id='%s' from='%s' to='%s'/>" % (
                        el.get('id', ''), el.get('to', self.domain), el.get('from', '')))
            self.cond.notify_all()

    def wait(self, pred, timeout=10.0):
        """Waits until pred(self) (under the lock); returns its value."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                value = pred(self)
                if value or time.monotonic() > deadline:
                    return value
                self.cond.wait(0.1)

    def wait_ready(self, timeout=10.0):
        """Until the handshake is answered; raises if refused or closed."""
        self.wait(lambda c: c.ready or c.closed or c.stream_error, timeout)
        assert self.ready, '%s: no handshake (stream error %s, closed %s)' % (
            self.name, self.stream_error, self.closed)
        return self

    def messages(self, tag):
        """(to, from) of the messages received whose body starts with tag."""
        with self.cond:
            return [(m.get('to'), m.get('from')) for m in self.stanzas
                    if m.tag.endswith('}message') and _body(m).startswith(tag)]

    def close(self):
        """Ends the stream and the connection (a clean disconnect)."""
        self._send('</stream:stream>')
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.thread.join(5)


def _body(el):
    for c in el:
        if c.tag.endswith('}body'):
            return c.text or ''
    return ''


def connect(port, domain, name):
    return Component(port, domain, name).wait_ready()


def close_all(comps):
    for c in comps:
        if c is not None:
            c.close()


# ---- clients ---------------------------------------------------------------

class Clients:
    """Logged-in accounts on one slixmpp loop (mucclient.Users), created on
    first use."""

    def __init__(self, server):
        from mucclient import Users
        self.users = Users(server.c2s_port)
        self.by_name = {}

    def get(self, name):
        if name not in self.by_name:
            self.by_name[name] = self.users.login('%s@localhost/cr' % name, name + 'pw',
                                                  presence=False)
        return self.by_name[name]

    def close(self):
        self.users.close()


_round = [0]


def send_round(user, targets):
    """Sends one message to each target JID, all with a new tag; returns the tag."""
    _round[0] += 1
    tag = 'r%d:' % _round[0]
    for t in targets:
        user.send("<message to='%s' id='%s%s'><body>%s%s</body></message>" % (t, tag, t, tag, t))
    return tag


def collect(users, comps, tag, expected, quiet=1.0, timeout=10.0):
    """Runs the clients' loop until `expected` messages with `tag` arrived at
    the components (all of them, then `quiet` more seconds for strays), or
    the timeout. Returns {component: [to, ...]}."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sum(len(c.messages(tag)) for c in comps) >= expected:
            break
        users.sleep(0.05)
    users.sleep(quiet)
    return {c: [to for to, _ in c.messages(tag)] for c in comps}


def errors_since(user, mark):
    return [ET.tostring(s, 'unicode') for s in user.since(mark) if s.get('type') == 'error']


def error_condition(st):
    for e in st:
        if e.tag.endswith('}error'):
            for c in e:
                if c.tag.startswith('{urn:ietf:params:xml:ns:xmpp-stanzas}') \
                        and not c.tag.endswith('}text'):
                    return c.tag.split('}')[-1]
    return None


def wait_error(users, user, mark, to, timeout=10.0):
    """The condition of the first error stanza from `to` after mark."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for st in user.since(mark):
            if st.get('type') == 'error' and st.get('from', '').startswith(to):
                return error_condition(st)
        users.sleep(0.05)
    return None


def others(comp):
    """What a component received besides the tests' tagged messages."""
    with comp.cond:
        return [ET.tostring(st, 'unicode') for st in comp.stanzas
                if not (st.tag.endswith('}message') and _body(st).startswith('r'))]


def owners(got):
    """{to: [components that got it]} from collect()'s answer."""
    where = {}
    for comp, tos in got.items():
        for to in tos:
            where.setdefault(to, []).append(comp)
    return where


# ---- ejabberd --------------------------------------------------------------

class BalancedEjabberd(ejabberd.Ejabberd):
    """ejabberd.py's instance serving three component domains, each on its
    own listener (a connection authenticated on a listener registers every
    host of that listener): DOMAIN with bare_destination balancing over
    SLOTS slots (component_port), PLAIN without balancing, BROKEN with
    balancing but no component_number (ports[PLAIN], ports[BROKEN])."""

    def __init__(self):
        super().__init__(components={DOMAIN: SECRET})
        self.ports = {PLAIN: free_port(), BROKEN: free_port()}

    def config(self):
        base = super().config()
        listeners = ''.join(
            '  -\n    port: %d\n    ip: "127.0.0.1"\n    module: ejabberd_service\n'
            '    check_from: true\n    hosts:\n      %s:\n        password: %s\n'
            % (port, ejabberd.yaml_str(d), ejabberd.yaml_str(SECRET))
            for d, port in self.ports.items())
        at = base.index('\nacl:') + 1
        return base[:at] + listeners + base[at:] + (
            'domain_balancing:\n'
            '  %s:\n    type: bare_destination\n    component_number: %d\n'
            '  %s:\n    type: bare_destination\n' % (ejabberd.yaml_str(DOMAIN), SLOTS,
                                                     ejabberd.yaml_str(BROKEN)))


E = {'server': None, 'clients': None}


def ejabberd_rig():
    if not ejabberd.available():
        skip('ejabberd is not installed')
    if E['server'] is None:
        s = BalancedEjabberd()
        E['server'] = s
        s.start()
        s.register('alice', 'alicepw')
        E['clients'] = Clients(s)
    return E['server'], E['clients']


def phash2_slots(rooms, domain, n):
    """{room: erlang:phash2({Room, Domain, <<>>}, n) + 1}, computed by erl;
    None when erl cannot run."""
    expr = ('io:format("~w~n", [[erlang:phash2({list_to_binary(R), <<"%s">>, <<>>}, %d) + 1'
            ' || R <- [%s]]]), halt().' % (domain, n, ','.join('"%s"' % r for r in rooms)))
    try:
        p = subprocess.run([ejabberd.ERL, '-noshell', '-start_epmd', 'false', '-eval', expr],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=30,
                           env=dict(os.environ, HOME=E['server'].dir))
        slots = [int(x) for x in p.stdout.decode().strip().strip('[]').split(',')]
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    return dict(zip(rooms, slots)) if len(slots) == len(rooms) else None


EJ = {}   # the components of the balanced domain, shared by the ejabberd tests


def room_targets():
    bare = ['%s@%s' % (r, DOMAIN) for r in ROOMS]
    return bare + ['%s/Nick%d' % (b, i) for i, b in enumerate(bare)]


def test_ejabberd_bare_destination_rooms_stay_on_their_phash2_slot():
    server, clients = ejabberd_rig()
    comps = []
    for i in range(SLOTS + 1):
        comps.append(connect(server.component_port, DOMAIN, 'ej%d' % (i + 1)))
        time.sleep(0.2 * SLOW)     # connection order is slot order
    EJ['comps'] = comps
    alice = clients.get('alice')
    mark = alice.mark()
    targets = room_targets()
    seen = []
    for _ in range(2):      # the same rooms twice: the same connections
        got = collect(clients.users, comps, send_round(alice, targets), len(targets))
        where = owners(got)
        missing = [t for t in targets if len(where.get(t, [])) != 1]
        assert not missing, 'not delivered exactly once: %s\n%s' % (
            missing[:5], {c.name: len(v) for c, v in got.items()})
        seen.append({t: where[t][0] for t in targets})
    assert seen[0] == seen[1], 'a room moved between live connections'
    slot_of = {r: comps.index(seen[0]['%s@%s' % (r, DOMAIN)]) + 1 for r in ROOMS}
    for r in ROOMS:         # occupants follow their room
        for t in targets:
            if t.startswith(r + '@') and '/' in t:
                assert seen[0][t] is seen[0]['%s@%s' % (r, DOMAIN)], t
    assert all(s <= SLOTS for s in slot_of.values()), 'the connection beyond N got rooms'
    spread = [list(slot_of.values()).count(s) for s in range(1, SLOTS + 1)]
    diag('rooms per slot: %s' % spread)
    assert min(spread) >= 4, 'uneven spread over the slots: %s' % spread
    EJ['slot_of'] = slot_of
    expected = phash2_slots(ROOMS, DOMAIN, SLOTS)
    if expected is None:
        diag('erl could not compute phash2: only stability and spread checked')
    else:
        assert slot_of == expected, 'slots differ from phash2+1:\n%s\n%s' % (slot_of, expected)
    assert not errors_since(alice, mark), errors_since(alice, mark)


def test_ejabberd_dead_slot_dropped_silently_until_a_new_connection_takes_it():
    server, clients = ejabberd_rig()
    if 'slot_of' not in EJ:
        skip('needs the previous test')
    comps, slot_of = EJ['comps'], EJ['slot_of']
    alice = clients.get('alice')
    mark = alice.mark()
    gone = 2
    comps[gone - 1].close()
    time.sleep(0.5 * SLOW)
    live = [c for i, c in enumerate(comps) if i != gone - 1]
    targets = room_targets()
    dead_rooms = {'%s@%s' % (r, DOMAIN) for r in ROOMS if slot_of[r] == gone}
    kept = [t for t in targets if t.split('/')[0] not in dead_rooms]
    got = collect(clients.users, live, send_round(alice, targets), len(kept), quiet=1.5)
    where = owners(got)
    assert sorted(where) == sorted(kept), 'after closing slot %d: delivered %s, expected %s' % (
        gone, sorted(set(where) - set(kept))[:5], sorted(set(kept) - set(where))[:5])
    for t in kept:
        assert len(where[t]) == 1 and where[t][0] is comps[slot_of[t.split('@')[0]] - 1], t
    assert not got[comps[SLOTS]], 'the connection beyond N took over: %s' % got[comps[SLOTS]][:5]
    assert not errors_since(alice, mark), errors_since(alice, mark)
    # an IQ to one of its rooms is dropped too: no answer at all
    dead, answer = sorted(dead_rooms)[0], None
    try:
        answer = alice.iq(dead, 'get', "<query xmlns='http://jabber.org/protocol/disco#info'/>",
                          timeout=2)
    except AssertionError as e:     # mucclient's "no answer to IQ"
        assert 'no answer' in str(e), e
    assert answer is None, 'an IQ to %s was answered' % dead
    # a new connection takes the free slot, and exactly its rooms
    new = connect(server.component_port, DOMAIN, 'ej-new')
    comps.append(new)
    time.sleep(0.3 * SLOW)
    got = collect(clients.users, live + [new], send_round(alice, targets), len(targets))
    where = owners(got)
    missing = [t for t in targets if len(where.get(t, [])) != 1]
    assert not missing, 'not delivered exactly once: %s' % missing[:5]
    took = {t.split('/')[0] for t in got[new]}
    assert took == dead_rooms, 'the new connection got %s, expected %s' % (
        sorted(took)[:5], sorted(dead_rooms)[:5])
    assert not got[comps[SLOTS]], 'the connection beyond N got %s' % got[comps[SLOTS]][:5]
    assert not errors_since(alice, mark), errors_since(alice, mark)
    # nobody was told about the connections that came and went
    for c in comps:
        assert not others(c), '%s got %s' % (c.name, others(c)[:3])


def test_ejabberd_all_slots_gone_stanzas_vanish_without_error():
    server, clients = ejabberd_rig()
    if 'comps' not in EJ:
        skip('needs the previous tests')
    close_all(EJ.pop('comps'))
    time.sleep(0.5 * SLOW)
    alice = clients.get('alice')
    mark = alice.mark()
    send_round(alice, ['%s@%s' % (r, DOMAIN) for r in ROOMS[:5]])
    clients.users.sleep(1.5)
    assert not errors_since(alice, mark), errors_since(alice, mark)


def test_ejabberd_without_domain_balancing_one_room_splits_at_random():
    server, clients = ejabberd_rig()
    comps = [connect(server.ports[PLAIN], PLAIN, 'plain%d' % i) for i in (1, 2)]
    try:
        alice = clients.get('alice')
        n = 40
        room = 'one@' + PLAIN
        tag = send_round(alice, ['%s/n%d' % (room, i) if i % 2 else room for i in range(n)])
        got = collect(clients.users, comps, tag, n, quiet=0.5)
        counts = [len(got[c]) for c in comps]
        diag('one room, two connections, no balancing: %s' % counts)
        assert sum(counts) == n, counts
        assert min(counts) > 0, 'one connection got the whole room: %s' % counts
    finally:
        close_all(comps)


def test_ejabberd_balancing_without_component_number_closes_the_connection():
    server, clients = ejabberd_rig()
    c = Component(server.ports[BROKEN], BROKEN, 'broken')
    closed = c.wait(lambda x: x.closed, 10)
    try:
        # the crash comes while ejabberd registers the route, before its
        # answer to the handshake: the stream just ends
        assert closed, 'connection still open 10 s after the handshake'
        assert not c.ready and c.stream_error is None, (c.ready, c.stream_error)
        errors = os.path.join(server.dir, 'error.log')
        deadline = time.monotonic() + 5
        while 'component_number' not in read_text(errors) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert 'badkey' in read_text(errors) and 'component_number' in read_text(errors), \
            server.output()[-2000:]
        alice = clients.get('alice')
        mark = alice.mark()
        send_round(alice, ['x@' + BROKEN])
        cond = wait_error(clients.users, alice, mark, 'x@' + BROKEN)
        assert cond == 'remote-server-not-found', cond
        # the balanced domain is not affected: a new connection there takes
        # one slot and gets exactly that slot's rooms
        comp = connect(server.component_port, DOMAIN, 'after-broken')
        try:
            targets = ['%s@%s' % (r, DOMAIN) for r in ROOMS]
            got = collect(clients.users, [comp], send_round(alice, targets), 1, quiet=1.0)
            rooms = {to.split('@')[0] for to in got[comp]}
            assert rooms, 'the balanced domain got nothing after the broken one'
            if 'slot_of' in EJ:
                slots = {EJ['slot_of'][r] for r in rooms}
                diag('a connection after all were gone took slot %s' % sorted(slots))
                assert len(slots) == 1 and rooms == {
                    r for r in ROOMS if EJ['slot_of'][r] in slots}, sorted(rooms)
        finally:
            comp.close()
    finally:
        c.close()


# ---- Prosody ---------------------------------------------------------------

P = {'server': None, 'clients': None}


def prosody_rig():
    if not prosody.available():
        skip('prosody is not installed')
    if P['server'] is None:
        s = prosody.Prosody(components={DOMAIN: SECRET})
        P['server'] = s
        s.start()
        s.register('alice', 'alicepw')
        P['clients'] = Clients(s)
    return P['server'], P['clients']


def test_prosody_second_connection_refused_with_conflict_until_the_first_is_gone():
    server, clients = prosody_rig()
    first = connect(server.component_port, DOMAIN, 'pr1')
    second = third = None
    try:
        second = Component(server.component_port, DOMAIN, 'pr2')
        second.wait(lambda c: c.closed or c.stream_error or c.ready, 10)
        assert not second.ready and second.stream_error == 'conflict', (
            second.ready, second.stream_error)
        alice = clients.get('alice')
        targets = ['%s@%s' % (r, DOMAIN) for r in ROOMS[:10]]
        got = collect(clients.users, [first], send_round(alice, targets), len(targets), quiet=0.3)
        assert sorted(got[first]) == sorted(targets), 'the first connection lost traffic'
        first.close()
        first = None
        deadline = time.monotonic() + 10
        while True:     # Prosody notices the close asynchronously
            third = Component(server.component_port, DOMAIN, 'pr3')
            third.wait(lambda c: c.closed or c.stream_error or c.ready, 10)
            if third.ready or time.monotonic() > deadline:
                break
            third.close()
            time.sleep(0.2)
        assert third.ready, third.stream_error
        got = collect(clients.users, [third], send_round(alice, targets), len(targets), quiet=0.3)
        assert sorted(got[third]) == sorted(targets), got[third]
    finally:
        close_all([first, second, third])


# ---- jabberd2 --------------------------------------------------------------

J = {'server': None, 'clients': None}
CANDIDATES = ['user%02d' % i for i in range(24)]


def jabberd2_index(bare, n):
    """The connection jabberd2 2.7's router picks for a sender among n
    (router.c, route_MULTI_FROM: the JID hash of jid_user(from))."""
    w = struct.unpack('<5I', hashlib.sha1(bare.encode()).digest())
    return ((w[1] ^ w[2] ^ w[3]) >> 2) % n


def senders():
    """A few candidate accounts that, for 2 and for 3 connections, cover
    every index."""
    chosen = []
    for n in (2, 3):
        for i in range(n):
            if not any(jabberd2_index(u + '@localhost', n) == i for u in chosen):
                chosen.append(next(u for u in CANDIDATES
                                   if jabberd2_index(u + '@localhost', n) == i))
    return chosen


def jabberd2_rig():
    if not jabberd2.available():
        skip('jabberd2 is not installed')
    if J['server'] is None:
        s = jabberd2.Jabberd2(components={DOMAIN: SECRET})
        J['server'] = s
        s.start()
        for u in CANDIDATES:
            s.register(u, u + 'pw')
        J['clients'] = Clients(s)
    return J['server'], J['clients']


def jabberd2_close(server, comp):
    """Closes a component connection and waits until the router saw it go."""
    since = server.log_size()
    port = comp.sock.getsockname()[1]
    comp.close()
    server.wait_log('port=%d] disconnect' % port, timeout=5, since=since)


def check_jabberd2_split(clients, order, accounts, targets):
    """Each account sends to every target; every message reaches exactly one
    connection: order[jabberd2_index(sender, len(order))], whatever the room."""
    tags = {}
    for u in accounts:
        tags[u] = send_round(clients.get(u), targets)
    for u, tag in tags.items():
        got = collect(clients.users, order, tag, len(targets), quiet=0.2)
        where = owners(got)
        want = order[jabberd2_index(u + '@localhost', len(order))]
        wrong = [t for t in targets if where.get(t) != [want]]
        assert not wrong, '%s to %s: expected only %s, got %s' % (
            u, wrong[:3], want, {c.name: len(v) for c, v in got.items()})


def test_jabberd2_second_connection_accepted_and_split_by_sender_not_room():
    server, clients = jabberd2_rig()
    accounts = senders()
    diag('senders: %s' % ', '.join('%s(%d/2,%d/3)' % (u, jabberd2_index(u + '@localhost', 2),
                                                      jabberd2_index(u + '@localhost', 3))
                                   for u in accounts))
    for u in accounts:
        clients.get(u)
    comps = []
    try:
        since = server.log_size()
        for i in range(3):
            comps.append(connect(server.component_port, DOMAIN, 'j%d' % (i + 1)))
            time.sleep(0.3 * SLOW)
        server.wait_log('[%s]:3 online' % DOMAIN, timeout=5, since=since)
        targets = ['%s@%s' % (r, DOMAIN) for r in ROOMS[:8]]
        targets += ['%s/Nick' % t for t in targets[:4]]
        check_jabberd2_split(clients, comps, accounts, targets)
        # the first goes: the last takes its place in the router's list
        jabberd2_close(server, comps[0])
        check_jabberd2_split(clients, [comps[2], comps[1]], accounts, targets)
        jabberd2_close(server, comps[1])
        check_jabberd2_split(clients, [comps[2]], accounts, targets)
        jabberd2_close(server, comps[2])
        u = clients.get(accounts[0])
        mark = u.mark()
        send_round(u, [targets[0]])
        cond = wait_error(clients.users, u, mark, targets[0])
        assert cond == 'item-not-found', cond
        # besides the test's messages, only the sm's disco#info at each bind
        extra = [x for c in comps for x in others(c)]
        diag('other stanzas: %d IQs from sm' % len(extra))
        assert all(x.startswith('<ns0:iq ') and 'from="sm"' in x for x in extra), extra
    finally:
        close_all(comps)


# ---- running ---------------------------------------------------------------

def teardown():
    for rig in (E, P, J):
        if rig['clients'] is not None:
            rig['clients'].close()
        if rig['server'] is not None:
            rig['server'].cleanup()


def _interrupted(*_):
    raise KeyboardInterrupt('SIGTERM')


if __name__ == '__main__':
    signal.signal(signal.SIGTERM, _interrupted)
    try:
        run(globals())
    finally:
        teardown()
