"""tests/core/test_daemon.py: the daemon's component stream, seen from the server side.

Drives the real palaver binary through the fake XEP-0114 server
(tests/fakerouter.py) with no plugin loaded: handshake, reconnects and
backoff, hostile input, the core's own IQ answers (errors, disco#info,
version), keepalive, signals, jabberd2 quirks and --check-config.
"""

import hashlib
import os
import shutil
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

from fakerouter import NS, SLOW, Router, error_condition, local, q, text_of, tostring  # noqa: E402
from taptest import run  # noqa: E402

DOMAIN = 'muc.localhost'
STANZA_LIMIT = 16384
USER = 'alice@localhost/res'
LIMITS = '<limits><stanza-size>%d</stanza-size></limits>' % STANZA_LIMIT

_shared = None


def router():
    """A running daemon shared by the tests that leave it healthy; a new one
    if an earlier test broke it."""
    global _shared
    if _shared is not None and _shared.proc.poll() is not None:
        try:
            _shared.stop()
        finally:
            _shared = None
    if _shared is None:
        _shared = Router(domain=DOMAIN, plugins=[], extra_config=LIMITS)
    elif _shared.conn.closed or _shared.conn.eof:
        # an earlier test left it reconnecting: take the new connection
        _shared.wait_connection(15)
    return _shared


def disco_info(r, frm=USER, to=DOMAIN, timeout=3.0):
    return r.iq('get', to=to, frm=frm,
                payload="<query xmlns='%s'/>" % NS['disco_info'], timeout=timeout)


def assert_service_answers(r):
    """The service answers a plain disco#info on the current stream."""
    res = disco_info(r)
    assert res.get('type') == 'result', 'disco#info not answered: %s' % tostring(res)
    assert res.get('to') == USER, tostring(res)
    assert res.get('from') == DOMAIN, tostring(res)


# ---------------------------------------------------------------- handshake

def test_handshake_is_lowercase_sha1_of_id_and_secret():
    r = router()
    conn = r.conn
    want = hashlib.sha1((r.stream_id + r.secret).encode()).hexdigest()
    assert conn.handshake == want, (conn.handshake, want)
    assert re.fullmatch('[0-9a-f]{40}', conn.handshake), conn.handshake
    assert conn.stream_attrs.get('to') == DOMAIN
    raw = conn.raw_bytes()
    assert b"xmlns='jabber:component:accept'" in raw or b'xmlns="jabber:component:accept"' in raw, raw[:300]
    assert_service_answers(r)


def test_refused_handshake_logs_and_backs_off_exponentially():
    r = Router(domain=DOMAIN, plugins=[], start=False)
    try:
        r.start(accept=False)
        c1 = r.wait_connection(10, refuse='not-authorized')
        c2 = r.wait_connection(10, refuse='not-authorized')
        c3 = r.wait_connection(15, refuse='not-authorized')
        gap1 = c2.accepted_at - c1.refused_at
        gap2 = c3.accepted_at - c2.refused_at
        assert gap2 > gap1, 'backoff did not grow: %.3fs then %.3fs' % (gap1, gap2)
        assert gap1 > 0.1, 'reconnected at once after a refusal (%.3fs)' % gap1
        log = r.stderr()
        assert 'not-authorized' in log, 'the refusal reason was not logged:\n' + log
        # once accepted, the stream is usable
        r.wait_connection(20)
        assert_service_answers(r)
    finally:
        assert r.stop() == 0


def test_jabberd2_handshake_reply_with_namespace():
    with Router(domain=DOMAIN, plugins=[],
                handshake_reply="<handshake xmlns='jabber:component:accept'></handshake>") as r:
        assert_service_answers(r)


# ---------------------------------------------------------------- reconnects

def test_server_closing_tcp_makes_it_reconnect():
    r = router()
    r.close_connection()
    r.wait_connection(10)
    assert_service_answers(r)
    assert 'server closed the connection' in r.stderr() or 'reconnect' in r.stderr()


def test_server_stream_error_makes_it_reconnect():
    r = router()
    old = r.conn
    r.send("<stream:error><system-shutdown xmlns='%s'/></stream:error>" % NS['streams'])
    assert old.wait_eof(5), 'the daemon kept the stream after a stream error'
    r.wait_connection(10)
    assert_service_answers(r)
    assert 'system-shutdown' in r.stderr(), 'the stream error was not logged'


def test_server_closing_stream_makes_it_reconnect():
    r = router()
    old = r.conn
    r.send('</stream:stream>')
    assert r.wait_stream_end(5) in ('end', 'eof')
    assert old.wait_eof(5), 'the daemon kept the TCP connection after </stream:stream>'
    r.wait_connection(10)
    assert_service_answers(r)


# ---------------------------------------------------------------- hostile input

BILLION_LAUGHS_DTD = (
    "<!DOCTYPE stream:stream [<!ENTITY lol 'lol'>"
    + ''.join("<!ENTITY lol%d '%s'>" % (i, ('&lol%s;' % (i - 1 if i > 1 else '')) * 10)
              for i in range(1, 10))
    + ']>')


def hostile_prolog(prolog, body, want):
    """The server's stream starts with `prolog` before its header, then sends
    `body`: the daemon must answer with the stream error `want`, close, come
    back and work."""
    r = router()
    r.close_connection()
    conn = r.open_stream(10, prolog=prolog)
    if body:
        try:
            conn.send(body)
        except OSError:
            pass
    cond = r.stream_error(5)
    assert cond == want, 'stream error %r, expected %r' % (cond, want)
    assert conn.wait_eof(5), 'the daemon did not close the connection after the error'
    r.wait_connection(10)
    assert_service_answers(r)
    assert r.proc.poll() is None


def hostile_stanza(data, want):
    """`data` arrives on an authenticated stream: the daemon must answer with
    the stream error `want`, close, reconnect and work."""
    r = router()
    assert_service_answers(r)
    conn = r.conn
    conn.send(data)
    cond = r.stream_error(5)
    assert cond == want, 'stream error %r, expected %r' % (cond, want)
    assert conn.wait_eof(5), 'the daemon did not close the connection after the error'
    r.wait_connection(10)
    assert_service_answers(r)
    assert r.proc.poll() is None


def test_hostile_doctype_is_restricted_xml():
    hostile_prolog(b"<?xml version='1.0'?><!DOCTYPE stream:stream>", b'', 'restricted-xml')


def test_hostile_entity_declaration_is_restricted_xml():
    hostile_prolog(b"<!DOCTYPE stream:stream [<!ENTITY ent 'boo'>]>",
                   b"<message to='%s' from='%s'><body>&ent;</body></message>" % (
                       DOMAIN.encode(), USER.encode()),
                   'restricted-xml')


def test_hostile_billion_laughs_is_restricted_xml():
    hostile_prolog(BILLION_LAUGHS_DTD.encode(),
                   b"<message to='%s' from='%s'><body>&lol9;</body></message>" % (
                       DOMAIN.encode(), USER.encode()),
                   'restricted-xml')


def test_hostile_external_entity_is_restricted_xml():
    hostile_prolog(b"<!DOCTYPE stream:stream [<!ENTITY xxe SYSTEM 'file:///etc/passwd'>]>",
                   b"<message to='%s' from='%s'><body>&xxe;</body></message>" % (
                       DOMAIN.encode(), USER.encode()),
                   'restricted-xml')


def test_hostile_doctype_mid_stream_is_refused():
    r = router()
    conn = r.conn
    conn.send(b"<!DOCTYPE x [<!ENTITY a 'b'>]><message/>")
    cond = r.stream_error(5)
    assert cond in ('restricted-xml', 'not-well-formed'), cond
    r.wait_connection(10)
    assert_service_answers(r)


def test_hostile_processing_instruction_is_restricted_xml():
    # RFC 6120 11.1: processing instructions are not allowed on a stream
    hostile_stanza(b"<message to='%s' from='%s'><?evil data?><body>x</body></message>" % (
        DOMAIN.encode(), USER.encode()), 'restricted-xml')


def test_hostile_comment_is_restricted_xml():
    # RFC 6120 11.1: comments are not allowed on a stream either
    hostile_stanza(b"<message to='%s' from='%s'><!-- hi --><body>x</body></message>" % (
        DOMAIN.encode(), USER.encode()), 'restricted-xml')


def test_hostile_broken_xml_is_not_well_formed():
    hostile_stanza(b"<message to='%s' from='%s'><body>hi</message>" % (
        DOMAIN.encode(), USER.encode()), 'not-well-formed')


def test_hostile_undefined_entity_is_refused():
    r = router()
    r.conn.send(b"<message to='%s' from='%s'><body>&nope;</body></message>" % (
        DOMAIN.encode(), USER.encode()))
    cond = r.stream_error(5)
    assert cond in ('not-well-formed', 'restricted-xml'), cond
    r.wait_connection(10)
    assert_service_answers(r)


def test_hostile_invalid_utf8_is_not_well_formed():
    hostile_stanza(b"<message to='%s' from='%s'><body>\xff\xfe\xc3\x28</body></message>" % (
        DOMAIN.encode(), USER.encode()), 'not-well-formed')


def test_hostile_oversized_stanza_is_policy_violation():
    body = b'x' * (STANZA_LIMIT + 1024)
    hostile_stanza(b"<message to='%s' from='%s'><body>%s</body></message>" % (
        DOMAIN.encode(), USER.encode(), body), 'policy-violation')


def test_hostile_oversized_stanza_without_end_is_policy_violation():
    # the stanza never ends: the limit must hold on bytes buffered so far
    body = b'y' * (STANZA_LIMIT * 4)
    hostile_stanza(b"<message to='%s' from='%s'><body>%s" % (
        DOMAIN.encode(), USER.encode(), body), 'policy-violation')


def test_stanza_under_the_limit_is_fine():
    r = router()
    body = 'z' * (STANZA_LIMIT // 2)
    r.send("<message to='nobody@%s' from='%s'><body>%s</body></message>" % (DOMAIN, USER, body))
    assert_service_answers(r)


def test_hostile_depth_bomb_is_policy_violation():
    hostile_stanza(b"<message to='%s' from='%s'>" % (DOMAIN.encode(), USER.encode())
                   + b'<a>' * 5000, 'policy-violation')


def test_stanza_split_byte_by_byte_is_handled():
    r = router()
    data = ("<iq type='get' id='split1' from='%s' to='%s'><query xmlns='%s'/></iq>"
            % (USER, DOMAIN, NS['disco_info'])).encode()
    for i in range(len(data)):
        r.send_raw(data[i:i + 1])
        if i % 16 == 0:
            time.sleep(0.002)
    el = r.expect(3)
    assert el.get('id') == 'split1' and el.get('type') == 'result', tostring(el)


def test_many_stanzas_in_one_write_are_all_answered():
    r = router()
    data = ''.join("<iq type='get' id='many%d' from='%s' to='%s'><query xmlns='%s'/></iq>"
                   % (i, USER, DOMAIN, NS['version']) for i in range(50))
    r.send(data)
    ids = [el.get('id') for el in r.collect(0.5)]
    assert ids == ['many%d' % i for i in range(50)], ids


# ---------------------------------------------------------------- IQ handling

def test_iq_get_unknown_namespace_gets_service_unavailable_once():
    r = router()
    r.send("<iq type='get' id='u1' from='%s' to='%s'><query xmlns='urn:example:nothing'/></iq>"
           % (USER, DOMAIN))
    el = r.expect(3)
    assert local(el.tag) == 'iq' and el.get('id') == 'u1', tostring(el)
    assert el.get('type') == 'error', tostring(el)
    assert el.get('to') == USER and el.get('from') == DOMAIN, tostring(el)
    etype, cond = error_condition(el)
    assert cond == 'service-unavailable', tostring(el)
    assert etype == 'cancel', tostring(el)
    r.expect_nothing(0.7)


def test_iq_set_unknown_namespace_gets_service_unavailable_once():
    r = router()
    r.send("<iq type='set' id='u2' from='%s' to='%s'><query xmlns='urn:example:nothing'/></iq>"
           % (USER, DOMAIN))
    el = r.expect(3)
    assert el.get('id') == 'u2' and el.get('type') == 'error', tostring(el)
    assert error_condition(el)[1] == 'service-unavailable', tostring(el)
    r.expect_nothing(0.7)


def test_iq_result_and_error_get_no_answer():
    r = router()
    r.send("<iq type='result' id='r1' from='%s' to='%s'/>" % (USER, DOMAIN))
    r.send("<iq type='error' id='r2' from='%s' to='%s'><error type='cancel'>"
           "<item-not-found xmlns='%s'/></error></iq>" % (USER, DOMAIN, NS['stanzas']))
    r.send("<iq type='result' id='r3' from='%s' to='room@%s/nick'/>" % (USER, DOMAIN))
    r.expect_nothing(0.8)
    assert_service_answers(r)


def test_service_disco_info():
    r = router()
    res = disco_info(r)
    assert res.get('type') == 'result', tostring(res)
    query = res.find(q('query', NS['disco_info']))
    assert query is not None, tostring(res)
    idents = query.findall(q('identity', NS['disco_info']))
    assert idents, 'no identity: ' + tostring(res)
    assert all(i.get('category') and i.get('type') for i in idents), tostring(res)
    features = {f.get('var') for f in query.findall(q('feature', NS['disco_info']))}
    assert NS['disco_info'] in features, features
    assert NS['version'] in features, features


def test_version_xep0092():
    r = router()
    res = r.iq('get', frm=USER, payload="<query xmlns='%s'/>" % NS['version'])
    assert res.get('type') == 'result', tostring(res)
    name = text_of(res, q('query', NS['version']) + '/' + q('name', NS['version']))
    version = text_of(res, q('query', NS['version']) + '/' + q('version', NS['version']))
    assert name and 'palaver' in name.lower(), tostring(res)
    assert version and re.search(r'\d', version), tostring(res)


def test_message_to_nonexistent_thing_is_dropped_silently():
    r = router()
    r.send("<message type='chat' id='m1' from='%s' to='nobody@%s'><body>hi</body></message>"
           % (USER, DOMAIN))
    r.send("<message id='m2' from='%s' to='%s/x'><body>hi</body></message>" % (USER, DOMAIN))
    r.expect_nothing(0.8)
    assert_service_answers(r)


# ---------------------------------------------------------------- jabberd2 compatibility

def test_jabberd2_jabber_client_namespace_is_handled():
    r = router()
    r.send("<iq xmlns='jabber:client' type='get' id='jc1' from='%s' to='%s'>"
           "<query xmlns='%s'/></iq>" % (USER, DOMAIN, NS['disco_info']))
    el = r.expect(3)
    assert el.get('id') == 'jc1' and el.get('type') == 'result', tostring(el)
    assert el.find(q('query', NS['disco_info'])) is not None, tostring(el)


def test_jabberd2_from_sm_is_handled():
    r = router()
    r.send("<iq xmlns='jabber:client' type='get' id='sm1' from='sm' to='%s'>"
           "<query xmlns='%s'/></iq>" % (DOMAIN, NS['disco_info']))
    el = r.expect(3)
    assert el.get('id') == 'sm1' and el.get('type') == 'result', tostring(el)
    assert el.get('to') == 'sm', tostring(el)
    assert r.proc.poll() is None


# ---------------------------------------------------------------- keepalive and signals

def test_whitespace_keepalive_on_idle_stream():
    with Router(domain=DOMAIN, plugins=[], keepalive=1) as r:
        start = len(r.conn.raw_bytes())
        time.sleep(2.6)
        after = r.conn.raw_bytes()[start:]
        assert after, 'nothing sent on an idle stream in 2.6 s with <keepalive>1</keepalive>'
        assert after.strip(b' \t\r\n') == b'', 'keepalive is not whitespace: %r' % after[:200]
        assert_service_answers(r)


def test_keepalive_does_not_disturb_stanzas():
    with Router(domain=DOMAIN, plugins=[], keepalive=1) as r:
        start = len(r.conn.raw_bytes())
        for _ in range(3):
            assert_service_answers(r)
            time.sleep(1.5)
        assert_service_answers(r)
        between = r.conn.raw_bytes()[start:]
        assert re.search(rb'>\s+<', between), 'no keepalive between stanzas: %r' % between[-300:]


def vm_kib(pid, field):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    return 0


def test_slow_server_hits_the_high_water_mark_and_recovers():
    # A server that stops reading: the daemon must stop reading too, refuse
    # to queue past <output-buffer>, say so in the log, and carry on once
    # the server reads again.
    limits = '<limits><stanza-size>65536</stanza-size><output-buffer>65536</output-buffer></limits>'
    with Router(domain=DOMAIN, plugins=[], extra_config=limits) as r:
        r.pause_reading()
        # Each request carries 2 KB of padding, so that 40 MB of input is
        # far more than the kernel's socket buffers can hold.
        ping = ("<iq type='get' id='p%d' from='tester@localhost/t' to='" + DOMAIN +
                "'><query xmlns='" + NS['disco_info'] + "' pad='" + 'x' * 2048 + "'/></iq>")
        sent = [0]

        def flood():
            try:
                for i in range(20000):
                    r.conn.send((ping % i).encode())
                    sent[0] += 1
            except OSError:
                pass
        import threading
        t = threading.Thread(target=flood, daemon=True)
        t.start()
        r.wait_log('pausing input', timeout=20)
        time.sleep(1.0)
        rss_paused = vm_kib(r.proc.pid, 'VmRSS')
        assert r.proc.poll() is None, 'daemon died:\n' + r.stderr()
        assert sent[0] < 20000, 'the daemon kept reading although the server did not'
        r.resume_reading()
        t.join(60)
        assert not t.is_alive(), 'the daemon never read the rest of the input'
        r.wait_log('reading again', timeout=20)
        # The stream works normally afterwards, and memory stayed bounded
        # (far less than the 20,000 answers was ever held).
        r.collect(quiet=1.0, timeout=60)
        assert_service_answers(r)
        assert rss_paused < 200 * 1024, 'RSS %d KiB while paused' % rss_paused


def test_traffic_log_redacts_secrets():
    # -vv logs every stanza, but never a room password, a form secret or the
    # handshake digest: such logs get mailed around.
    with Router(domain=DOMAIN, plugins=[], args=['-v', '-v']) as r:
        r.send("<presence from='tester@localhost/t' to='room@" + DOMAIN + "/nick'>"
               "<x xmlns='" + NS['muc'] + "'><password>hunter2</password></x></presence>")
        form = ("<iq type='set' id='cfg1' from='tester@localhost/t' to='room@" + DOMAIN + "'>"
                "<query xmlns='" + NS['muc_owner'] + "'><x xmlns='jabber:x:data' type='submit'>"
                "<field var='muc#roomconfig_roomsecret'><value>swordfish</value></field>"
                "<field var='muc#roomconfig_roomname'><value>Visible Name</value></field>"
                "</x></query></iq>")
        r.send(form)
        answer = r.expect()      # service-unavailable, nothing of the payload sent back
        assert answer.get('type') == 'error', tostring(answer)
        assert [c.tag.split('}')[-1] for c in answer] == ['error'], tostring(answer)
        out = r.wait_log('SEND <iq', timeout=5)
        digest = r.conn.handshake
        assert 'RECV <presence' in out and 'RECV <iq' in out, out[-2000:]
        assert 'Visible Name' in out, 'the log lost what is not secret:\n' + out[-2000:]
        for secret in ('hunter2', 'swordfish', digest):
            assert secret not in out, '%r in the traffic log:\n%s' % (secret, out[-3000:])
        # the handshake digest, the password and the secret field as received
        assert out.count('(redacted)') >= 3, out[-3000:]


def test_sighup_keeps_it_running():
    r = router()
    conn = r.conn
    r.signal(signal.SIGHUP)
    time.sleep(0.5)
    assert r.proc.poll() is None, 'SIGHUP killed the daemon:\n' + r.stderr()
    assert r.conn is conn
    assert_service_answers(r)


def test_sigterm_closes_stream_and_exits_0():
    r = Router(domain=DOMAIN, plugins=[])
    try:
        assert_service_answers(r)
        r.signal(signal.SIGTERM)
        how = r.wait_stream_end(5)
        assert how == 'end', 'the daemon dropped the connection without </stream:stream>'
        code = r.wait_exit(10)      # the router answered with its own </stream:stream>
        assert code == 0, 'exit code %s:\n%s' % (code, r.stderr())
    finally:
        r.stop()


def test_sigterm_exits_0_even_if_server_does_not_answer():
    r = Router(domain=DOMAIN, plugins=[], reply_close=False)
    try:
        r.signal(signal.SIGTERM)
        assert r.wait_stream_end(5) == 'end'
        started = time.monotonic()
        code = r.wait_exit(10)
        assert time.monotonic() - started < 8, 'waited too long for the server to close'
        assert code == 0, 'exit code %s:\n%s' % (code, r.stderr())
    finally:
        r.stop()


def test_sigterm_while_disconnected_exits_0():
    r = Router(domain=DOMAIN, plugins=[])
    try:
        r.close_connection()
        time.sleep(0.2)
        r.signal(signal.SIGTERM)
        code = r.wait_exit(10)
        assert code == 0, 'exit code %s:\n%s' % (code, r.stderr())
    finally:
        r.stop()


def last_line(out):
    lines = [line for line in out.splitlines() if line.strip()]
    return lines[-1] if lines else ''


def test_second_signal_during_shutdown_keeps_the_saved_state():
    """A second SIGTERM/SIGINT while the daemon waits for the server's
    </stream:stream> (an impatient Ctrl-C) must not kill it: it stops waiting,
    the occupants are saved for the next start (RESTART-1), the backend
    closes, and 'core: stopped' is the last line."""
    r = Router(domain=DOMAIN, plugins=['muc-core'], backend='sqlite', reply_close=False)
    try:
        r.send("<presence from='%s' to='room@%s/alice'><x xmlns='%s'/></presence>"
               % (USER, DOMAIN, 'http://jabber.org/protocol/muc'))
        got = r.collect(quiet=0.5)
        assert any(local(s.tag) == 'presence' for s in got), [tostring(s) for s in got]
        r.signal(signal.SIGTERM)
        r.wait_log('closing the stream')
        started = time.monotonic()
        r.signal(signal.SIGINT)
        time.sleep(0.05)
        r.signal(signal.SIGTERM)
        code = r.wait_exit(10)
        took = time.monotonic() - started
        out = r.stderr()
        assert code == 0, 'exit code %s:\n%s' % (code, out)
        # the wait for the server alone is 3 s; the save and the exit take little
        assert took < 2.5 * SLOW, 'the second signal did not end the wait (%.1f s):\n%s' % (
            took, out)
        assert 'received again: already shutting down' in out, out
        assert last_line(out).endswith('core: stopped'), 'last line: %r\n%s' % (
            last_line(out), out)
        with open(os.path.join(r.spool, 'muc-occupants.state'), 'rb') as f:
            saved = f.read()
        assert USER.encode() in saved, 'the occupant was not saved: %r' % saved[:400]
    finally:
        r.stop()


def test_server_not_answering_close_ends_the_wait_within_bound():
    """Without a second signal the wait for </stream:stream> is bounded too, and
    'core: stopped' is still the last line."""
    r = Router(domain=DOMAIN, plugins=[], reply_close=False)
    try:
        r.signal(signal.SIGTERM)
        started = time.monotonic()
        code = r.wait_exit(10)
        assert time.monotonic() - started < 6, 'waited too long for the server to close'
        out = r.stderr()
        assert code == 0, 'exit code %s:\n%s' % (code, out)
        assert 'did not close the stream in time' in out, out
        assert last_line(out).endswith('core: stopped'), 'last line: %r' % last_line(out)
    finally:
        r.stop()


def test_shared_daemon_stops_cleanly():
    global _shared
    r = router()
    _shared = None
    assert r.stop() == 0, r.stderr()
    assert r.conn.stream_ended, 'no </stream:stream> on SIGTERM'


# ---------------------------------------------------------------- --check-config

def check_config(path, extra=()):
    cmd = [os.environ.get('PALAVER_BIN', 'palaver'), '--check-config', '-c', path] + list(extra)
    if os.environ.get('PALAVER_MODULE_DIR'):
        cmd += ['--moduledir', os.environ['PALAVER_MODULE_DIR']]
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=30)
    out = p.stdout.decode('utf-8', 'replace')
    for mark in ('ERROR: AddressSanitizer', 'ERROR: LeakSanitizer', 'runtime error:'):
        assert mark not in out, out
    return p.returncode, out


def test_check_config_accepts_the_shipped_config():
    # conf/palaver.xml is made from conf/palaver.xml.in in the build tree.
    path = os.path.join(os.environ.get('PALAVER_BUILDDIR', '.'), 'conf', 'palaver.xml')
    # The example's data directory is the installed one; point it at a
    # scratch directory so the sqlite store it selects can be created.
    spool = tempfile.mkdtemp(prefix='palaver-spool-')
    try:
        code, out = check_config(path, ['--spool', spool])
        assert code == 0, 'exit %d on %s:\n%s' % (code, path, out)
        assert 'configuration OK' in out, out
        assert os.path.exists(os.path.join(spool, 'palaver.db')), os.listdir(spool)
    finally:
        shutil.rmtree(spool, ignore_errors=True)


def write_config(text):
    fd, path = tempfile.mkstemp(prefix='palaver-bad-', suffix='.xml')
    with os.fdopen(fd, 'w') as f:
        f.write(text)
    return path


def test_check_config_reports_file_and_line_of_broken_xml():
    path = write_config("<?xml version='1.0'?>\n<palaver>\n  <name>muc.localhost</name>\n"
                        "  <port>5347</prot>\n  <secret>x</secret>\n</palaver>\n")
    try:
        code, out = check_config(path)
        assert code != 0, 'accepted a broken config:\n' + out
        assert re.search(re.escape(path) + r':4\b', out), 'no %s:4 in:\n%s' % (path, out)
    finally:
        os.unlink(path)


def test_check_config_reports_file_and_line_of_misspelled_element():
    path = write_config("<?xml version='1.0'?>\n<palaver>\n  <name>muc.localhost</name>\n"
                        "  <port>5347</port>\n  <secert>x</secert>\n"
                        "  <backend><type>memory</type></backend>\n</palaver>\n")
    try:
        code, out = check_config(path)
        assert code != 0, 'accepted a config with <secert>:\n' + out
        assert re.search(re.escape(path) + r':5\b', out), 'no %s:5 in:\n%s' % (path, out)
    finally:
        os.unlink(path)



def test_check_config_misspelt_plugins_and_backend_all_reported():
    """A misspelt backend and two misspelt plugins: each named with FILE:LINE
    and a "did you mean", all in one run."""
    path = write_config("<?xml version='1.0'?>\n<palaver>\n  <name>muc.localhost</name>\n"
                        "  <secret>x</secret>\n  <backend><type>sqllite</type></backend>\n"
                        "  <plugins>\n    <muc-core/>\n    <histroy/>\n"
                        "    <disco-extendd/>\n  </plugins>\n</palaver>\n")
    try:
        code, out = check_config(path)
        assert code == 1, 'exit %d:\n%s' % (code, out)
        for line, what, hint in ((5, "backend 'sqllite'", 'did you mean <type>sqlite</type>?'),
                                 (8, "plugin 'histroy'", 'did you mean <history/>?'),
                                 (9, "plugin 'disco-extendd'", 'did you mean <disco-extended/>?')):
            pat = re.escape('%s:%d: %s' % (path, line, what)) + r'[^\n]*' + re.escape(hint)
            assert re.search(pat, out), 'no %s:%d %s with %r in:\n%s' % (path, line, what, hint, out)
    finally:
        os.unlink(path)


def test_check_config_core_and_plugin_errors_in_one_run():
    """An error in a core element does not hide a misspelt plugin."""
    path = write_config("<?xml version='1.0'?>\n<palaver>\n  <name>muc.localhost</name>\n"
                        "  <secert>x</secert>\n  <backend><type>memory</type></backend>\n"
                        "  <plugins><muc-core/><histroy/></plugins>\n</palaver>\n")
    try:
        code, out = check_config(path)
        assert code != 0, out
        assert re.search(re.escape(path) + r':4: .*did you mean <secret>', out), out
        assert re.search(re.escape(path) + r":6: plugin 'histroy'.*did you mean <history/>",
                         out), out
    finally:
        os.unlink(path)

if __name__ == '__main__':
    try:
        run(globals())
    finally:
        if _shared is not None:
            try:
                _shared.stop()
            except AssertionError as e:
                print('# ' + str(e).replace('\n', '\n# '))
