"""tests/fakerouter.py: the server side of XEP-0114, to drive the daemon in tests.

A Router listens on a free loopback port, writes a config for the daemon,
spawns $PALAVER_BIN on it, checks the component handshake and then lets a test
send stanzas to the daemon and read what it answers, one top-level element at
a time. Pure standard library; run with /usr/bin/python3.

    with Router(domain='muc.localhost', plugins=['muc-core']) as r:
        r.send("<iq type='get' id='1' from='a@localhost/r' to='muc.localhost'>...</iq>")
        el = r.expect()

The daemon's stdout and stderr go to a file in the Router's temporary
directory (r.stderr() reads it). stop() raises AssertionError when a
sanitizer reported an error there.

Beyond the contract in FAKEROUTER.md: Router(keepalive=N) writes
<keepalive>; reply_close=False leaves the daemon's </stream:stream>
unanswered; handshake_reply= replaces our <handshake/> (jabberd2 sends one
with a namespace); config= gives a whole config file. r.iq() sends an IQ and
returns the answer with its id; r.expect_match(pred) finds a stanza and keeps
the others; r.stanzas() yields stanzas as they come; r.open_stream(prolog=)
takes a connection and sends raw bytes before our stream header;
r.wait_connection(refuse='not-authorized') refuses a handshake;
r.wait_stream_end(), r.wait_exit(), r.signal(), r.wait_log(text);
r.conn.raw_bytes() is every byte the daemon sent on the current connection.
"""

import atexit
import hashlib
import os
import queue
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
import weakref
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape as _escape

NS = {
    'stream': 'http://etherx.jabber.org/streams',
    'streams': 'urn:ietf:params:xml:ns:xmpp-streams',
    'component': 'jabber:component:accept',
    'client': 'jabber:client',
    'stanzas': 'urn:ietf:params:xml:ns:xmpp-stanzas',
    'muc': 'http://jabber.org/protocol/muc',
    'muc_user': 'http://jabber.org/protocol/muc#user',
    'muc_admin': 'http://jabber.org/protocol/muc#admin',
    'muc_owner': 'http://jabber.org/protocol/muc#owner',
    'muc_unique': 'http://jabber.org/protocol/muc#unique',
    'muc_request': 'http://jabber.org/protocol/muc#request',
    'muc_roomconfig': 'http://jabber.org/protocol/muc#roomconfig',
    'muc_roominfo': 'http://jabber.org/protocol/muc#roominfo',
    'disco_info': 'http://jabber.org/protocol/disco#info',
    'disco_items': 'http://jabber.org/protocol/disco#items',
    'data': 'jabber:x:data',
    'version': 'jabber:iq:version',
    'register': 'jabber:iq:register',
    'last': 'jabber:iq:last',
    'time': 'urn:xmpp:time',
    'ping': 'urn:xmpp:ping',
    'delay': 'urn:xmpp:delay',
    'sid': 'urn:xmpp:sid:0',
    'mam': 'urn:xmpp:mam:2',
    'rsm': 'http://jabber.org/protocol/rsm',
    'caps': 'http://jabber.org/protocol/caps',
    'vcard': 'vcard-temp',
    'vcard_update': 'vcard-temp:x:update',
    'xhtml_im': 'http://jabber.org/protocol/xhtml-im',
    'conference': 'jabber:x:conference',
    'chatstates': 'http://jabber.org/protocol/chatstates',
    'commands': 'http://jabber.org/protocol/commands',
    'oob': 'jabber:x:oob',
}

STREAM_ERROR = '{%s}error' % NS['stream']
SANITIZER_MARKS = ('ERROR: AddressSanitizer', 'ERROR: LeakSanitizer', 'runtime error:')


def escape(text):
    """XML-escapes text for element content and for attributes in either quote."""
    return _escape(str(text), {"'": '&apos;', '"': '&quot;'})


def q(name, ns):
    """The ElementTree tag string '{ns}name'."""
    return '{%s}%s' % (ns, name)


def local(tag):
    """The local part of an ElementTree tag ('{ns}name' -> 'name')."""
    return tag.rsplit('}', 1)[-1]


def ns_of(tag):
    """The namespace of an ElementTree tag, or ''."""
    return tag[1:].split('}', 1)[0] if tag.startswith('{') else ''


def text_of(el, path, default=None):
    """Text of the first element matching path (ElementTree path; '.' for el
    itself), '' when it has no text, `default` when nothing matches."""
    if el is None:
        return default
    found = el if path in ('', '.') else el.find(path)
    if found is None:
        return default
    return found.text or ''


def error_condition(el):
    """The defined condition of a stanza error (<error><item-not-found/>...)
    as (type, condition name), or (None, None) when el has no <error>."""
    for child in el:
        if local(child.tag) == 'error':
            for cond in child:
                if ns_of(cond.tag) == NS['stanzas'] and local(cond.tag) != 'text':
                    return child.get('type'), local(cond.tag)
            return child.get('type'), None
    return None, None


def tostring(el):
    """An element as a str, for diagnostics."""
    return ET.tostring(el, encoding='unicode')


_live = weakref.WeakSet()


@atexit.register
def _kill_leftovers():
    # a test that forgot stop() must not leave a daemon reconnecting forever
    for r in list(_live):
        if r.proc is not None and r.proc.poll() is None:
            r.proc.kill()
            r.proc.wait()


def free_port():
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _split_dirs(value):
    return [d for d in (value or '').split(':') if d]


# PALAVER_TEST_SLOW: a factor for the quiet times after which a test takes
# the daemon's silence for an answer (`make check-valgrind` sets it: a daemon
# under valgrind is many times slower, most of all on first-time code paths).
SLOW = max(1.0, float(os.environ.get('PALAVER_TEST_SLOW') or 1))


class Connection:
    """One accepted TCP connection from the daemon, with a reader thread that
    parses the daemon's stream incrementally and queues its events:
    ('start', attrs), ('stanza', Element), ('end', None), ('eof', None),
    ('error', message)."""

    def __init__(self, sock, reply_close=True):
        self.sock = sock
        self.reply_close = reply_close  # answer </stream:stream> with ours
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.events = queue.Queue()
        self.raw = bytearray()          # every byte the daemon sent on this connection
        self.raw_lock = threading.Lock()
        self.accepted_at = time.monotonic()
        self.stream_attrs = None
        self.closed = False             # we closed it
        self.eof = False                # the daemon closed it
        self.stream_ended = False       # the daemon sent </stream:stream>
        self.handshake = None           # the digest the daemon sent
        self.refused_at = None          # when we refused its handshake
        self.up_at = 0                  # len(raw) when the handshake was accepted
        self.reading = threading.Event()  # cleared: stop reading (a slow server)
        self.reading.set()
        self.thread = threading.Thread(target=self._reader, daemon=True)
        self.thread.start()

    def _reader(self):
        parser = ET.XMLPullParser(events=('start', 'end'))
        depth = 0
        root = None
        try:
            while True:
                self.reading.wait()
                try:
                    data = self.sock.recv(65536)
                except OSError:
                    data = b''
                if not data:
                    self.eof = True
                    self.events.put(('eof', None))
                    return
                with self.raw_lock:
                    self.raw.extend(data)
                parser.feed(data)
                for ev, el in parser.read_events():
                    if ev == 'start':
                        depth += 1
                        if depth == 1:
                            root = el
                            self.stream_attrs = dict(el.attrib)
                            self.events.put(('start', dict(el.attrib)))
                    else:
                        depth -= 1
                        if depth == 1:
                            self.events.put(('stanza', el))
                            root.remove(el)     # a stream never ends: keep memory flat
                        elif depth == 0:
                            self.stream_ended = True
                            if self.reply_close and not self.closed:
                                try:        # as a server does: close our side too
                                    self.sock.sendall(b'</stream:stream>')
                                except OSError:
                                    pass
                            self.events.put(('end', None))
        except ET.ParseError as e:
            self.events.put(('error', 'the daemon sent malformed XML: %s' % e))
        except Exception as e:   # noqa: BLE001 - reported to the test
            self.events.put(('error', 'reader failed: %r' % e))

    def wait_eof(self, timeout):
        """Waits until the daemon closes the TCP connection; True if it did."""
        self.thread.join(timeout)
        return self.eof

    def raw_bytes(self):
        with self.raw_lock:
            return bytes(self.raw)

    def send(self, data):
        self.sock.sendall(data)

    def close(self):
        if self.closed:
            return
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


class Router:
    """The fake XMPP server. See the module docstring and FAKEROUTER.md."""

    def __init__(self, domain='muc.localhost', secret='s3cret', backend='memory',
                 plugins=('muc-core',), extra_config='', plugin_config=None, args=(),
                 start=True, keepalive=None, handshake_reply='<handshake/>',
                 config=None, env=None, verbose=True, start_timeout=15.0,
                 tmpdir=None, reply_close=True, bin=None):
        self.domain = domain
        self.secret = secret
        self.backend = backend
        self.plugins = list(plugins or [])
        self.extra_config = extra_config or ''
        self.plugin_config = dict(plugin_config or {})
        self.args = list(args or [])
        self.keepalive = keepalive
        self.handshake_reply = handshake_reply
        self.config_text = config           # a complete config overriding the generated one
        self.env = env
        self.reply_close = reply_close      # answer the daemon's </stream:stream>
        self.verbose = verbose
        self.start_timeout = start_timeout
        self.bin = bin or os.environ.get('PALAVER_BIN') or os.path.join(
            os.environ.get('PALAVER_BUILDDIR', '.'), 'palaver')
        self.moddir = os.environ.get('PALAVER_MODULE_DIR', '')
        self._own_tmp = tmpdir is None
        self.tmp = tmpdir or tempfile.mkdtemp(prefix='palaver-test-')
        self.config_path = os.path.join(self.tmp, 'palaver.xml')
        self.log_path = os.path.join(self.tmp, 'daemon.log')
        self.spool = os.path.join(self.tmp, 'spool')
        self.proc = None
        self.listener = None
        self.port = None
        self.conn = None
        self.connections = []           # every Connection, in accept order
        self.connect_times = []         # monotonic time of each accept
        self.stream_id = None
        self.returncode = None
        self._logf = None
        self._pending = []              # stanzas read ahead (collect / expect_nothing)
        self._saved_output = None       # the output, once the temp dir is gone
        if start:
            self.start()

    # ---- lifecycle -------------------------------------------------------

    def config_xml(self):
        """The config file the daemon is given."""
        if self.config_text is not None:
            return self.config_text
        plugins = []
        for name in self.plugins:
            plugins.append('    <%s>%s</%s>' % (name, self.plugin_config.get(name, ''), name))
        keepalive = ''
        if self.keepalive is not None:
            keepalive = '  <keepalive>%d</keepalive>\n' % self.keepalive
        return ("<?xml version='1.0'?>\n<palaver>\n"
                "  <name>%s</name>\n  <ip>127.0.0.1</ip>\n  <port>%d</port>\n"
                "  <secret>%s</secret>\n"
                "  <backend><type>%s</type></backend>\n"
                "  <spool>%s</spool>\n"
                "  <plugins>\n%s\n  </plugins>\n%s%s\n</palaver>\n") % (
                    escape(self.domain), self.port, escape(self.secret), escape(self.backend),
                    escape(self.spool), '\n'.join(plugins), keepalive, self.extra_config)

    def command(self):
        cmd = [self.bin, '-c', self.config_path]
        if self.moddir:
            cmd += ['--moduledir', self.moddir]
        if self.verbose:
            cmd.append('-v')
        return cmd + self.args

    def start(self, accept=True):
        """Listen, write the config, spawn the daemon and (when `accept`)
        accept its connection and handshake it."""
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(('127.0.0.1', 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        os.makedirs(self.spool, exist_ok=True)
        with open(self.config_path, 'w', encoding='utf-8') as f:
            f.write(self.config_xml())
        self.spawn()
        if not accept:
            return
        try:
            self.wait_connection(self.start_timeout)
        except BaseException:
            self._kill()
            raise

    def spawn(self):
        """Start the daemon process (start() does this)."""
        env = dict(os.environ)
        if self.env:
            env.update(self.env)
        self._logf = open(self.log_path, 'ab')
        self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL,
                                     stdout=self._logf, stderr=subprocess.STDOUT,
                                     env=env, cwd=self.tmp)
        _live.add(self)

    def _fail(self, msg):
        out = self.stderr()
        if len(out) > 12000:
            out = out[:4000] + '\n[...]\n' + out[-8000:]
        raise AssertionError('%s\n--- daemon output ---\n%s' % (msg, out))

    def accept(self, timeout=10.0):
        """Accept a new TCP connection from the daemon (no handshake)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self._fail('no connection from the daemon within %.1fs' % timeout)
            if self.proc is not None and self.proc.poll() is not None:
                self.returncode = self.proc.returncode
                self._fail('the daemon exited with code %s before connecting' % self.returncode)
            self.listener.settimeout(min(left, 0.2))
            try:
                sock, _ = self.listener.accept()
            except socket.timeout:
                continue
            sock.settimeout(None)
            conn = Connection(sock, self.reply_close)
            self.connections.append(conn)
            self.connect_times.append(conn.accepted_at)
            self.conn = conn
            self._pending = []
            return conn

    def _next_event(self, timeout):
        if self.conn is None:
            raise AssertionError('no connection')
        try:
            return self.conn.events.get(timeout=max(timeout, 0))
        except queue.Empty:
            return None

    def open_stream(self, timeout=10.0, prolog=b'', header=None):
        """Accept a NEW connection, read the daemon's stream header and send
        ours (preceded by the raw bytes `prolog`; `header` replaces our
        header). Returns the Connection; the handshake is next."""
        conn = self.accept(timeout)
        deadline = time.monotonic() + timeout
        ev = self._next_event(deadline - time.monotonic())
        if ev is None or ev[0] != 'start':
            self._fail('expected a stream header from the daemon, got %r' % (ev,))
        attrs = ev[1]
        if attrs.get('to') != self.domain:
            self._fail('stream header to=%r, expected %r' % (attrs.get('to'), self.domain))
        self.stream_id = uuid.uuid4().hex
        if header is None:
            header = ("<?xml version='1.0'?><stream:stream xmlns:stream='%s' "
                      "xmlns='jabber:component:accept' from='%s' id='%s'>") % (
                          NS['stream'], escape(self.domain), self.stream_id)
        conn.send(prolog + header.encode())
        return conn

    def wait_connection(self, timeout=10.0, refuse=None):
        """Accept a NEW connection and handshake it. `refuse`: a stream error
        condition (e.g. 'not-authorized') to answer the handshake with
        instead of accepting it; the connection is then closed and its
        `refused_at` set. Returns the Connection."""
        conn = self.open_stream(timeout)
        el = self._next_stanza(timeout)
        if el is None or local(el.tag) != 'handshake':
            self._fail('expected <handshake/> from the daemon, got %s' % (
                'nothing' if el is None else tostring(el)))
        conn.handshake = (el.text or '').strip()
        if refuse:
            conn.send(("<stream:error><%s xmlns='%s'/></stream:error></stream:stream>" % (
                refuse, NS['streams'])).encode())
            conn.refused_at = time.monotonic()
            conn.wait_eof(5.0)
            conn.close()
            return conn
        want = hashlib.sha1((self.stream_id + self.secret).encode()).hexdigest()
        if conn.handshake != want:
            conn.send(("<stream:error><not-authorized xmlns='%s'/></stream:error>"
                       "</stream:stream>" % NS['streams']).encode())
            conn.close()
            self._fail('bad handshake %r, expected %r' % (conn.handshake, want))
        conn.send(self.handshake_reply.encode())
        conn.up_at = len(conn.raw_bytes())
        return conn

    def close_connection(self):
        """The server side drops the TCP connection."""
        if self.conn is not None:
            self.conn.close()

    def _kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._cleanup()

    def _cleanup(self):
        for c in self.connections:
            c.close()
        if self.listener is not None:
            self.listener.close()
            self.listener = None
        if self._logf is not None:
            self._logf.close()
            self._logf = None

    def sanitizer_errors(self):
        """The lines of the daemon's output where a sanitizer reported an error."""
        return [line for line in self.stderr().splitlines()
                if any(m in line for m in SANITIZER_MARKS)]

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait_exit(self, timeout=15.0):
        """Waits for the daemon to exit; returns its exit code (AssertionError if it does not)."""
        try:
            self.returncode = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._fail('the daemon did not exit within %.1fs' % timeout)
        return self.returncode

    def stop(self, timeout=15.0, check_sanitizers=True):
        """SIGTERM the daemon, wait for it, return its exit code. Raises
        AssertionError (after cleaning up) if a sanitizer reported an error,
        or if it had to be killed."""
        if self.proc is None:
            return None
        killed = False
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                killed = True
        self.returncode = self.proc.returncode
        self._cleanup()
        errors = self.sanitizer_errors() if check_sanitizers else []
        try:
            if killed:
                self._fail('the daemon ignored SIGTERM for %.1fs and was killed' % timeout)
            if errors:
                self._fail('sanitizer errors in the daemon: %s' % '; '.join(errors[:5]))
        finally:
            # the output is in the exception; PALAVER_KEEP_TMP=1 keeps the files
            if self._own_tmp and not os.environ.get('PALAVER_KEEP_TMP'):
                self._saved_output = self.stderr()
                shutil.rmtree(self.tmp, ignore_errors=True)
        return self.returncode

    def __enter__(self):
        if self.proc is None:
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def stderr(self):
        """What the daemon wrote (stdout and stderr) so far."""
        if self._saved_output is not None:
            return self._saved_output
        try:
            with open(self.log_path, 'rb') as f:
                return f.read().decode('utf-8', 'replace')
        except OSError:
            return ''

    def wait_log(self, text, timeout=5.0):
        """Waits until `text` appears in the daemon's output; returns the output."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = self.stderr()
            if text in out:
                return out
            time.sleep(0.05)
        self._fail('%r never appeared in the daemon output within %.1fs' % (text, timeout))

    # ---- stream I/O ------------------------------------------------------

    def send(self, xml):
        """Send a stanza (str) on the current stream."""
        self.send_raw(xml.encode('utf-8'))

    def pause_reading(self):
        """Plays a server that stops reading: the daemon's output piles up."""
        self.conn.reading.clear()

    def resume_reading(self):
        self.conn.reading.set()

    def send_raw(self, data):
        """Raw bytes on the current stream."""
        if self.conn is None:
            raise AssertionError('no connection')
        self.conn.send(data)

    def _next_stanza(self, timeout):
        """The next top-level element, or None on timeout. Raises
        AssertionError when the stream ended or broke."""
        if self._pending:
            return self._pending.pop(0)
        ev = self._next_event(timeout)
        if ev is None:
            return None
        kind, val = ev
        if kind == 'stanza':
            return val
        if kind == 'start':
            return self._next_stanza(timeout)
        # put it back so that later calls see the end too
        self.conn.events.put(ev)
        if kind == 'error':
            self._fail(val)
        if kind == 'end':
            self._fail('the daemon closed the stream (</stream:stream>)')
        self._fail('the daemon closed the TCP connection')

    def expect(self, timeout=2.0):
        """The next stanza as an Element; AssertionError on timeout."""
        el = self._next_stanza(timeout)
        if el is None:
            raise AssertionError('no stanza from the daemon within %.1fs' % timeout)
        return el

    def expect_match(self, pred, timeout=2.0):
        """The first stanza for which pred(el) is true within timeout, others
        are kept for later expect() calls."""
        deadline = time.monotonic() + timeout
        skipped = []
        try:
            while True:
                left = deadline - time.monotonic()
                el = self._next_stanza(left) if left > 0 else None
                if el is None:
                    raise AssertionError('no matching stanza within %.1fs (got: %s)' % (
                        timeout, ', '.join(tostring(s)[:200] for s in skipped) or 'nothing'))
                if pred(el):
                    return el
                skipped.append(el)
        finally:
            self._pending = skipped + self._pending

    def collect(self, quiet=0.3, timeout=10.0, first=None):
        """Every stanza until none arrived for `quiet` seconds. With `first`,
        the first one is waited for up to that long (for requests that are
        always answered: a slow daemon, under valgrind say, is not taken
        for a silent one). Both are multiplied by SLOW."""
        quiet, first = quiet * SLOW, first and first * SLOW
        out = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            el = self._next_stanza(first if first and not out else quiet)
            if el is None:
                return out
            out.append(el)
        return out

    def stanzas(self, quiet=0.3):
        """Yields each stanza as it arrives, until none arrived for `quiet`
        seconds (times SLOW)."""
        quiet *= SLOW
        while True:
            el = self._next_stanza(quiet)
            if el is None:
                return
            yield el

    def expect_nothing(self, quiet=0.3):
        """AssertionError if any stanza arrives within `quiet` seconds (times SLOW)."""
        quiet *= SLOW
        el = self._next_stanza(quiet)
        if el is not None:
            raise AssertionError('unexpected stanza: %s' % tostring(el))

    def stream_error(self, timeout=5.0):
        """Waits for <stream:error> from the daemon; returns the condition's
        local name. Other stanzas before it are dropped."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError('no stream error within %.1fs' % timeout)
            el = self._next_stanza(left)
            if el is None:
                continue
            if el.tag == STREAM_ERROR:
                for child in el:
                    if ns_of(child.tag) == NS['streams'] and local(child.tag) != 'text':
                        return local(child.tag)
                return ''

    def wait_stream_end(self, timeout=5.0):
        """Waits until the daemon sends </stream:stream> or closes the
        connection; returns 'end' or 'eof'. Stanzas before it are dropped."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError('the stream did not end within %.1fs' % timeout)
            ev = self._next_event(left)
            if ev is None:
                continue
            if ev[0] in ('end', 'eof'):
                self.conn.events.put(ev)
                return ev[0]
            if ev[0] == 'error':
                self._fail(ev[1])

    def iq(self, type_='get', to=None, frm='tester@localhost/test', payload='', id_=None,
           timeout=2.0):
        """Sends an IQ and returns the answer with the same id."""
        id_ = id_ or uuid.uuid4().hex[:8]
        self.send("<iq type='%s' id='%s' from='%s' to='%s'>%s</iq>" % (
            type_, id_, escape(frm), escape(to or self.domain), payload))
        return self.expect_match(lambda el: local(el.tag) == 'iq' and el.get('id') == id_,
                                 timeout)
