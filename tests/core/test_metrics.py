"""tests/core/test_metrics.py: the metrics endpoint Prometheus scrapes (METRICS-1).

Drives the real daemon with muc-core through the fake XEP-0114 server
(tests/fakerouter.py) with <metrics listen='127.0.0.1:0'/> (port 0: the
daemon picks a free port and logs it), and scrapes /metrics with urllib:
the Prometheus text format by default, OpenMetrics when the Accept header
asks for it; the counters follow the traffic the test sends; unknown paths,
other methods, oversized headers and a crowd of idle connections are
answered without harm to the XMPP side. Config errors name the line.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

from fakerouter import NS, SLOW, Router, error_condition, local, tostring  # noqa: E402
from taptest import run  # noqa: E402

DOMAIN = 'muc.localhost'
ALICE = 'alice@localhost/home'
BOB = 'bob@localhost/desk'
METRICS = "<metrics listen='127.0.0.1:0'/>"
OM_ACCEPT = ('application/openmetrics-text;version=1.0.0,application/openmetrics-text;'
             'version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1')
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def started(extra=METRICS, **kw):
    r = Router(domain=DOMAIN, plugins=['muc-core'], extra_config=extra, **kw)
    out = r.wait_log('/metrics (port ', timeout=10)
    m = re.search(r'metrics on http://(\S+)/metrics \(port (\d+)\)', out)
    assert m, out
    r.metrics_url = 'http://127.0.0.1:%s/metrics' % m.group(2)
    r.metrics_port = int(m.group(2))
    return r


def get(url, accept=None, method='GET', timeout=10):
    """(status, content type, body) of one request."""
    req = urllib.request.Request(url, method=method)
    if accept:
        req.add_header('Accept', accept)
    try:
        with urllib.request.urlopen(req, timeout=timeout * SLOW) as resp:
            return resp.status, resp.headers.get('Content-Type'), resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get('Content-Type'), e.read().decode()


def parse(text, openmetrics=False):
    """{(name, frozenset(labels)): value} and {family: type}, checking the
    syntax of every line and that every sample belongs to a declared family."""
    samples, types, helps = {}, {}, set()
    lines = text.split('\n')
    assert lines[-1] == '', 'no final newline'
    lines = lines[:-1]
    if openmetrics:
        assert lines[-1] == '# EOF', lines[-3:]
        lines = lines[:-1]
    else:
        assert '# EOF' not in lines
    for line in lines:
        if line.startswith('# HELP '):
            helps.add(line.split(' ')[2])
            continue
        if line.startswith('# TYPE '):
            _, _, fam, typ = line.split(' ')
            assert fam not in types, 'family %s declared twice' % fam
            assert fam in helps, 'no HELP before TYPE %s' % fam
            types[fam] = typ
            continue
        m = SAMPLE.match(line)
        assert m, 'bad sample line %r' % line
        name, labels, value = m.group(1), m.group(2) or '', m.group(3)
        float(value.replace('+Inf', 'inf'))
        fam = family_of(name, types, openmetrics)
        assert fam, 'sample %s has no TYPE' % name
        key = (name, frozenset(LABEL.findall(labels)))
        assert key not in samples, 'sample %s given twice' % line
        samples[key] = float(value)
    return samples, types


def family_of(name, types, om):
    for suffix in ('', '_total', '_bucket', '_sum', '_count', '_info'):
        if suffix and not name.endswith(suffix):
            continue
        fam = name[:len(name) - len(suffix)] if suffix else name
        if fam in types:
            t = types[fam]
            if suffix == '' and t in ('gauge', 'untyped'):
                return fam
            if suffix == '' and not om and t == 'counter' and name.endswith('_total'):
                return fam
            if suffix == '_total' and om and t == 'counter':
                return fam
            if suffix in ('_bucket', '_sum', '_count') and t == 'histogram':
                return fam
            if suffix == '_info' and om and t == 'info':
                return fam
    return None


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


def scrape(r, om=False):
    status, ctype, body = get(r.metrics_url, OM_ACCEPT if om else None)
    assert status == 200, (status, body)
    samples, types = parse(body, om)
    return samples, types, ctype, body


def join(r, frm, room, nick):
    r.send("<presence from='%s' to='%s@%s/%s'><x xmlns='%s'/></presence>"
           % (frm, room, DOMAIN, nick, NS['muc']))
    return r.collect(quiet=0.4)


def test_metrics_1_text_format_by_default():
    with started() as r:
        samples, types, ctype, body = scrape(r)
        assert ctype == 'text/plain; version=0.0.4; charset=utf-8', ctype
        assert value(samples, 'palaver_build_info', version=version_of(r)) == 1, body
        assert types['palaver_build_info'] == 'gauge', types
        # Counters keep _total in their family's name in this format.
        assert types['palaver_stanzas_received_total'] == 'counter', types
        assert types['palaver_backend_call_duration_seconds'] == 'histogram', types
        for k in ('message', 'presence', 'iq', 'other'):
            assert value(samples, 'palaver_stanzas_sent_total', kind=k) is not None, k
        assert value(samples, 'palaver_stanza_errors_sent_total',
                     condition='item-not-found') == 0, body
        assert value(samples, 'palaver_server_connected') == 1, body
        assert value(samples, 'palaver_occupants') == 0, body
        assert value(samples, 'palaver_rooms_loaded') == 0, body
        assert value(samples, 'palaver_output_queue_bytes') == 0, body
        # Figures of the log's interval are not exported (a scraper rates).
        assert 'per_second' not in body and 'interval' not in body, body
        # HEAD gives the headers only.
        status, ctype, head = get(r.metrics_url, method='HEAD')
        assert status == 200 and head == '' and ctype.startswith('text/plain'), (status, head)


def version_of(r):
    out = subprocess.run([r.bin, '--version'], capture_output=True, text=True, timeout=30)
    return out.stdout.split()[-1]


def test_metrics_1_openmetrics_when_asked():
    with started() as r:
        samples, types, ctype, body = scrape(r, om=True)
        assert ctype == 'application/openmetrics-text; version=1.0.0; charset=utf-8', ctype
        assert body.endswith('\n# EOF\n'), body[-200:]
        assert types['palaver_stanzas_received'] == 'counter', types
        assert 'palaver_stanzas_received_total' not in types, types
        assert types['palaver_build'] == 'info', types
        assert value(samples, 'palaver_build_info', version=version_of(r)) == 1, body
        assert value(samples, 'palaver_stanzas_received_total', kind='iq') is not None, body
        # A scraper that refuses OpenMetrics (q=0) gets the text format.
        status, ctype, body = get(r.metrics_url, 'application/openmetrics-text;q=0,text/plain')
        assert status == 200 and ctype.startswith('text/plain') and '# EOF' not in body, ctype


def test_metrics_1_counters_follow_the_traffic():
    with started() as r:
        before, _, _, _ = scrape(r)
        join(r, ALICE, 'lobby', 'alice')
        res = r.iq('set', to='lobby@' + DOMAIN, frm=ALICE, timeout=5 * SLOW,
                   payload="<query xmlns='%s'><x xmlns='jabber:x:data' type='submit'/></query>"
                   % NS['muc_owner'])               # an instant room
        assert res.get('type') == 'result', tostring(res)
        join(r, BOB, 'lobby', 'bob')
        r.send("<message type='groupchat' id='m1' from='%s' to='lobby@%s'><body>hi</body>"
               "</message>" % (BOB, DOMAIN))
        msgs = r.collect(quiet=0.4)
        assert len([m for m in msgs if local(m.tag) == 'message']) == 2, msgs
        # A message to a room that does not exist: an error back.
        r.send("<message type='groupchat' id='m2' from='%s' to='nowhere@%s'><body>x</body>"
               "</message>" % (BOB, DOMAIN))
        err = r.expect()
        _, cond = error_condition(err)
        assert cond, tostring(err)
        after, _, _, body = scrape(r)

        def delta(name, **labels):
            return value(after, name, **labels) - (value(before, name, **labels) or 0)
        assert delta('palaver_stanzas_received_total', kind='presence') == 2, body
        assert delta('palaver_stanzas_received_total', kind='message') == 2, body
        assert delta('palaver_stanzas_received_total', kind='iq') == 1, body
        assert delta('palaver_stanzas_sent_total', kind='iq') == 1, body
        assert delta('palaver_stanzas_sent_total', kind='message') >= 3, body
        assert delta('palaver_stanzas_sent_total', kind='presence') >= 3, body
        assert delta('palaver_stanza_errors_sent_total', condition=cond) == 1, (cond, body)
        assert value(after, 'palaver_occupants') == 2, body
        assert value(after, 'palaver_occupant_sessions') == 2, body
        assert value(after, 'palaver_rooms_loaded') == 1, body
        assert value(after, 'palaver_rooms_occupied') == 1, body
        # The storage was asked about the unknown rooms: a histogram per operation.
        ops = {dict(k[1])['operation'] for k in after if k[0].endswith('_seconds_count')}
        assert ops, body
        for op in ops:
            n = value(after, 'palaver_backend_call_duration_seconds_count', operation=op)
            inf = value(after, 'palaver_backend_call_duration_seconds_bucket', operation=op,
                        le='+Inf')
            assert n >= 1 and inf == n, (op, body)
            buckets = sorted((float(dict(k[1])['le'].replace('+Inf', 'inf')), v)
                             for k, v in after.items()
                             if k[0].endswith('_bucket') and dict(k[1])['operation'] == op)
            counts = [v for _, v in buckets]
            assert counts == sorted(counts), (op, buckets)    # cumulative
        assert value(after, 'palaver_uptime_seconds') >= 0, body
        # Prometheus' own linter (Debian's prometheus package) finds nothing
        # to say about the names, types and help texts.
        promtool = shutil.which('promtool')
        if promtool:
            p = subprocess.run([promtool, 'check', 'metrics'], input=body, capture_output=True,
                               text=True, timeout=60)
            assert p.returncode == 0 and not p.stdout.strip(), (p.stdout, p.stderr)


def test_metrics_1_rooms_stored_loaded_and_hibernated():
    muc = '<hibernate-after>1</hibernate-after><keep-occupants>no</keep-occupants>'
    with started(plugin_config={'muc-core': muc}) as r:
        join(r, ALICE, 'keep', 'alice')
        form = ("<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>%s"
                "</value></field><field var='muc#roomconfig_persistentroom'><value>1</value>"
                "</field></x>" % NS['muc_roomconfig'])
        res = r.iq('set', to='keep@' + DOMAIN, frm=ALICE, timeout=5 * SLOW,
                   payload="<query xmlns='%s'>%s</query>" % (NS['muc_owner'], form))
        assert res.get('type') == 'result', tostring(res)
        samples, _, _, body = scrape(r)
        assert value(samples, 'palaver_rooms_loaded') == 1, body
        assert value(samples, 'palaver_rooms_persistent_loaded') == 1, body
        assert value(samples, 'palaver_rooms_stored') == 1, body
        assert value(samples, 'palaver_room_hibernations_total') == 0, body
        r.send("<presence type='unavailable' from='%s' to='keep@%s/alice'/>" % (ALICE, DOMAIN))
        r.collect(quiet=0.4)
        deadline = time.monotonic() + 15 * SLOW
        while True:
            samples, _, _, body = scrape(r)
            if value(samples, 'palaver_room_hibernations_total') == 1:
                break
            assert time.monotonic() < deadline, body
            time.sleep(0.3)
        assert value(samples, 'palaver_rooms_loaded') == 0, body
        assert value(samples, 'palaver_rooms_stored') == 1, body    # hibernated, not gone
        # The next stanza for it loads it again.
        join(r, BOB, 'keep', 'bob')
        samples, _, _, body = scrape(r)
        assert value(samples, 'palaver_room_loads_total') >= 1, body
        assert value(samples, 'palaver_rooms_loaded') == 1, body
        ops = {dict(k[1])['operation'] for k in samples if k[0].endswith('_seconds_count')}
        assert {'room_put', 'room_load'} <= ops, ops


def test_metrics_1_bad_requests_answered():
    with started() as r:
        for path in ('/', '/metricsx', '/metrics/', '/../etc/passwd'):
            status, _, _ = get('http://127.0.0.1:%d%s' % (r.metrics_port, path))
            assert status == 404, (path, status)
        for method in ('POST', 'PUT', 'DELETE', 'OPTIONS'):
            req = urllib.request.Request(r.metrics_url, data=b'x=1', method=method)
            try:
                urllib.request.urlopen(req, timeout=10 * SLOW)
                raise AssertionError('%s answered 2xx' % method)
            except urllib.error.HTTPError as e:
                assert e.code == 405 and e.headers.get('Allow') == 'GET, HEAD', (method, e.code)
        # Headers beyond the per-connection memory: refused, not buffered.
        s = socket.create_connection(('127.0.0.1', r.metrics_port), timeout=10 * SLOW)
        s.sendall(b'GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ' + b'a' * 65536 + b'\r\n\r\n')
        got = b''
        try:
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                got += chunk
        except (ConnectionResetError, socket.timeout):
            pass
        s.close()
        assert not got or re.match(rb'HTTP/1\.1 4\d\d ', got), got[:200]
        assert b'palaver_build_info' not in got
        # Garbage instead of HTTP.
        s = socket.create_connection(('127.0.0.1', r.metrics_port), timeout=10 * SLOW)
        s.sendall(b'\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03' + b'\0' * 64 + b'\r\n\r\n')
        try:
            s.recv(4096)
        except (ConnectionResetError, socket.timeout):
            pass
        s.close()
        # The XMPP side did not notice; the endpoint still answers.
        res = r.iq(payload="<query xmlns='%s'/>" % NS['disco_info'], timeout=5 * SLOW)
        assert res.get('type') == 'result', tostring(res)
        scrape(r)


def test_metrics_1_idle_connections_do_not_stop_stanzas():
    with started() as r:
        idle = []
        try:
            for _ in range(200):
                idle.append(socket.create_connection(('127.0.0.1', r.metrics_port),
                                                     timeout=10 * SLOW))
            # A half-sent request on some of them.
            for s in idle[:20]:
                s.sendall(b'GET /metrics HTTP/1.1\r\nHost: x\r\n')
            t0 = time.monotonic()
            for i in range(20):
                res = r.iq(id_='d%d' % i, payload="<query xmlns='%s'/>" % NS['disco_info'],
                           timeout=5 * SLOW)
                assert res.get('type') == 'result', tostring(res)
            join(r, ALICE, 'crowd', 'alice')
            r.send("<message type='groupchat' id='m' from='%s' to='crowd@%s'><body>still here"
                   "</body></message>" % (ALICE, DOMAIN))
            got = r.expect(timeout=5 * SLOW)
            assert local(got.tag) == 'message' and got.get('type') == 'groupchat', tostring(got)
            assert time.monotonic() - t0 < 10 * SLOW, time.monotonic() - t0
        finally:
            for s in idle:
                s.close()
        # Once they are gone, a scrape is answered again.
        deadline = time.monotonic() + 20 * SLOW
        while True:
            try:
                samples, _, _, body = scrape(r)
                break
            except (OSError, AssertionError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert value(samples, 'palaver_occupants') == 1, body
        assert r.proc.poll() is None


def test_metrics_1_off_by_default():
    with Router(domain=DOMAIN, plugins=['muc-core']) as r:
        res = r.iq(payload="<query xmlns='%s'/>" % NS['disco_info'])
        assert res.get('type') == 'result'
        assert 'metrics on http' not in r.stderr(), r.stderr()


def test_metrics_1_config_errors_name_the_line():
    for bad, what in (("<metrics/>", 'address to listen on'),
                      ("<metrics listen='localhost'/>", 'not an IP address and a port'),
                      ("<metrics listen='127.0.0.1:99999'/>", 'not an IP address and a port'),
                      ("<metrics listen='::1:9470'/>", 'not an IP address and a port'),
                      ("<metrics listen='example.org:9470'/>", 'not an IP address and a port'),
                      ("<metrics port='9470'/>", "unknown attribute 'port'")):
        r = Router(domain=DOMAIN, plugins=['muc-core'], extra_config=bad, start=False)
        try:
            r.port = 5347
            with open(r.config_path, 'w') as f:
                f.write(r.config_xml())
            p = subprocess.run(r.command() + ['--check-config'], capture_output=True, text=True,
                               timeout=30)
            assert p.returncode == 1, (bad, p.returncode, p.stderr)
            assert re.search(r'palaver\.xml:\d+: .*metrics', p.stderr), (bad, p.stderr)
            assert what in p.stderr and "listen='127.0.0.1:9470'" in p.stderr, (bad, p.stderr)
        finally:
            r._cleanup()
            shutil.rmtree(r.tmp, ignore_errors=True)


def test_metrics_1_address_in_use_refuses_to_start():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(('127.0.0.1', 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        r = Router(domain=DOMAIN, plugins=['muc-core'],
                   extra_config="<metrics listen='127.0.0.1:%d'/>" % port, start=False)
        try:
            r.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            r.listener.bind(('127.0.0.1', 0))
            r.listener.listen(1)
            r.port = r.listener.getsockname()[1]
            with open(r.config_path, 'w') as f:
                f.write(r.config_xml())
            r.spawn()
            assert r.wait_exit(30) == 1, r.stderr()
            assert 'cannot serve the metrics on 127.0.0.1:%d' % port in r.stderr(), r.stderr()
        finally:
            r.stop()


def test_metrics_1_sighup_turns_it_on():
    import signal
    with Router(domain=DOMAIN, plugins=['muc-core']) as r:
        cfg = r.config_xml().replace('</palaver>', METRICS + '</palaver>')
        with open(r.config_path, 'w') as f:
            f.write(cfg)
        r.signal(signal.SIGHUP)
        out = r.wait_log('/metrics (port ', timeout=10 * SLOW)
        port = re.search(r'/metrics \(port (\d+)\)', out).group(1)
        r.metrics_url = 'http://127.0.0.1:%s/metrics' % port
        samples, _, _, _ = scrape(r)
        assert value(samples, 'palaver_server_connected') == 1
        res = r.iq(payload="<query xmlns='%s'/>" % NS['disco_info'])
        assert res.get('type') == 'result'


run(globals())
