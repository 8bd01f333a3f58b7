"""tests/rig/test_fakerouter.py: the test rig itself, against a scripted component.

Every other Python test trusts tests/fakerouter.py to report what the daemon
did; these tests make sure it fails when it should (timeouts, unexpected
stanzas, bad handshakes, sanitizer reports, a daemon that dies) and parses a
stream correctly. tests/rig/fakecomponent.py plays the daemon.
"""

import os
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..'))

from fakerouter import NS, Router, q, text_of  # noqa: E402
from taptest import run  # noqa: E402

FAKE = os.path.join(HERE, 'fakecomponent.py')
U = 'u@localhost/r'


def router(**kw):
    kw.setdefault('plugins', [])
    return Router(bin=FAKE, **kw)


def msg(r, body):
    r.send("<message from='%s' to='%s'><body>%s</body></message>" % (U, r.domain, body))


def raises(fn, *args, **kw):
    try:
        fn(*args, **kw)
    except AssertionError as e:
        return str(e)
    raise AssertionError('%s did not raise AssertionError' % fn.__name__)


def test_handshake_and_expect():
    with router() as r:
        msg(r, 'echo')
        el = r.expect()
        assert el.tag == q('message', NS['component']), el.tag
        assert el.get('to') == U
        assert text_of(el, q('body', NS['component'])) == 'echo'


def test_expect_times_out():
    with router() as r:
        started = time.monotonic()
        assert 'no stanza' in raises(r.expect, 0.3)
        assert time.monotonic() - started >= 0.3


def test_expect_nothing_sees_a_stanza():
    with router() as r:
        msg(r, 'echo')
        assert 'unexpected stanza' in raises(r.expect_nothing, 1.0)


def test_collect_gets_all():
    with router() as r:
        msg(r, 'twice')
        msg(r, 'echo')
        els = r.collect(0.3)
        assert len(els) == 3, len(els)


def test_iq_and_expect_match_keep_other_stanzas():
    with router() as r:
        msg(r, 'echo')
        res = r.iq('get', payload="<query xmlns='%s'/>" % NS['version'])
        assert res.get('type') == 'result'
        el = r.expect()
        assert el.tag.endswith('}message'), el.tag


def test_stream_error_condition_and_reconnect():
    with router() as r:
        msg(r, 'error')
        assert r.stream_error(2) == 'conflict'
        assert r.wait_stream_end(2) in ('end', 'eof')
        first = r.conn
        r.close_connection()
        r.wait_connection(5)
        assert r.conn is not first
        msg(r, 'echo')
        r.expect()


def test_daemon_closing_connection_is_reported():
    with router() as r:
        msg(r, 'close')
        assert 'closed the TCP connection' in raises(r.expect, 2)
        r.wait_connection(5)
        msg(r, 'echo')
        r.expect()


def test_bad_handshake_fails_start():
    r = router(secret='wrong-on-purpose', start=False)
    err = raises(r.start)
    assert 'bad handshake' in err, err
    assert r.proc.poll() is not None


def test_daemon_dying_before_connecting_fails_start_with_output():
    r = router(extra_config='<exit-at-once/>', start=False)
    err = raises(r.start)
    assert 'exited with code 3' in err and 'told to exit' in err, err


def test_sanitizer_report_fails_stop():
    r = router()
    msg(r, 'asan')
    r.wait_log('AddressSanitizer')
    assert 'sanitizer errors' in raises(r.stop)


def test_stop_returns_exit_code_and_sees_stream_end():
    r = router()
    assert r.stop() == 0
    assert r.conn.stream_ended


def test_refused_handshake_closes_and_reconnects():
    r = router(start=False)
    r.start(accept=False)
    c = r.wait_connection(5, refuse='not-authorized')
    assert c.refused_at is not None and c.closed
    r.wait_connection(5)
    msg(r, 'echo')
    r.expect()
    r.signal(signal.SIGTERM)
    assert r.wait_exit(5) == 0
    r.stop()


def test_config_has_the_contract_elements():
    r = router(start=False, keepalive=7, plugin_config={'muc-core': '<create>anyone</create>'},
               plugins=['muc-core'], extra_config='<extra-thing/>')
    r.port = 4242
    cfg = r.config_xml()
    for piece in ('<name>muc.localhost</name>', '<ip>127.0.0.1</ip>', '<port>4242</port>',
                  '<secret>s3cret</secret>', '<backend><type>memory</type></backend>',
                  '<muc-core><create>anyone</create></muc-core>', '<keepalive>7</keepalive>',
                  '<extra-thing/>'):
        assert piece in cfg, (piece, cfg)


if __name__ == '__main__':
    run(globals())
