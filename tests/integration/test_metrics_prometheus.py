"""tests/integration/test_metrics_prometheus.py: a real Prometheus scrapes palaver (METRICS-1).

Starts a private Prosody (prosody.py) with palaver (muc-core) as its
component, <metrics listen='127.0.0.1:PORT'/> on, and a private Prometheus
from Debian's `prometheus` package on loopback (its own config, data
directory and port) that scrapes palaver every second. A slixmpp client
sends traffic through Prosody; the values are then read back through
Prometheus' HTTP query API (/api/v1/query): the target is up (Prometheus
parsed the exposition it negotiated, OpenMetrics), build_info is 1, the
stanza counters moved, the component is connected. Skipped only when the
prometheus binary (or Prosody) is not installed.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..'))

from taptest import run, skip_all  # noqa: E402
import prosody  # noqa: E402

PROMETHEUS = shutil.which('prometheus') or '/usr/bin/prometheus'
if not os.path.exists(PROMETHEUS):
    skip_all('prometheus is not installed (apt-get install prometheus)')
if not prosody.available():
    skip_all('prosody is not installed')

from daemon import Palaver  # noqa: E402
from server import free_port, port_open, read_text, terminate, track  # noqa: E402
from xmppclient import Client  # noqa: E402

DOMAIN = 'muc.localhost'
SECRET = 'metrics-test-secret'


class Prometheus:
    """A private Prometheus scraping one target every second."""

    def __init__(self, target):
        self.dir = tempfile.mkdtemp(prefix='palaver-prometheus-')
        self.port = free_port()
        self.target = target
        self.proc = None
        self._out = None

    def processes(self):
        return [self.proc] if self.proc is not None else []

    def start(self, timeout=30.0):
        cfg = os.path.join(self.dir, 'prometheus.yml')
        with open(cfg, 'w') as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "  evaluation_interval: 1s\nscrape_configs:\n"
                    "  - job_name: palaver\n    static_configs:\n"
                    "      - targets: ['%s']\n" % self.target)
        self._out = open(os.path.join(self.dir, 'prometheus.out'), 'ab')
        self.proc = subprocess.Popen(
            [PROMETHEUS, '--config.file=' + cfg,
             '--storage.tsdb.path=' + os.path.join(self.dir, 'data'),
             '--web.listen-address=127.0.0.1:%d' % self.port,
             '--log.level=info'],
            stdin=subprocess.DEVNULL, stdout=self._out, stderr=subprocess.STDOUT,
            cwd=self.dir, start_new_session=True)
        track(self)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError('prometheus exited:\n' + self.output())
            if port_open(self.port):
                try:
                    with urllib.request.urlopen('http://127.0.0.1:%d/-/ready' % self.port,
                                                timeout=2) as r:
                        if r.status == 200:
                            return self
                except OSError:
                    pass
            time.sleep(0.2)
        raise RuntimeError('prometheus not ready in %.0f s:\n%s' % (timeout, self.output()))

    def output(self):
        return read_text(os.path.join(self.dir, 'prometheus.out'))[-4000:]

    def query(self, expr):
        """The instant vector of expr, as [(labels, float value)]."""
        url = 'http://127.0.0.1:%d/api/v1/query?%s' % (
            self.port, urllib.parse.urlencode({'query': expr}))
        with urllib.request.urlopen(url, timeout=5) as r:
            data = json.loads(r.read().decode())
        assert data['status'] == 'success', data
        return [(s['metric'], float(s['value'][1])) for s in data['data']['result']]

    def wait_value(self, expr, pred, timeout=30.0):
        """Waits until expr has a sample whose value satisfies pred; returns it."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = self.query(expr)
            for labels, v in last:
                if pred(v):
                    return labels, v
            time.sleep(0.5)
        raise AssertionError('%s: no value as expected in %.0f s (last %r)\n%s' % (
            expr, timeout, last, self.output()))

    def stop(self):
        if self.proc is not None:
            terminate(self.proc, 10)
            self.proc = None
        if self._out is not None:
            self._out.close()
            self._out = None
        if not os.environ.get('PALAVER_KEEP_TMP'):
            shutil.rmtree(self.dir, ignore_errors=True)


P = D = M = None


def setup():
    global P, D, M
    if P is None:
        P = prosody.Prosody(components={DOMAIN: SECRET})
        P.start()
        P.register('alice', 'alicepw')
    if D is None:
        port = free_port()
        D = Palaver(DOMAIN, SECRET, P.component_port, plugins=['muc-core'],
                    extra_config="<metrics listen='127.0.0.1:%d'/>" % port).start()
        D.metrics_port = port
        D.wait_output('metrics on http://', timeout=15)
        P.wait_log('External component successfully authenticated', timeout=30)
    if M is None:
        M = Prometheus('127.0.0.1:%d' % D.metrics_port).start()
    return P, D, M


def test_metrics_1_prometheus_scrapes_palaver():
    _, d, m = setup()
    _, up = m.wait_value('up{job="palaver"}', lambda v: v == 1)
    assert up == 1
    labels, v = m.wait_value('palaver_build_info', lambda v: v == 1)
    assert labels.get('version'), labels
    m.wait_value('palaver_server_connected', lambda v: v == 1)
    # Prometheus asked for OpenMetrics, and parsed it (the target is up).
    assert 'bytes, OpenMetrics 1.0.0' in d.output(), d.output()[-3000:]
    assert d.running(), d.output()


def test_metrics_1_counters_read_back_through_prometheus():
    _, d, m = setup()
    with Client('alice@localhost', 'alicepw', P.c2s_port) as c:
        for _ in range(5):
            iq = c.call(c.xmpp['xep_0030'].get_info(jid=DOMAIN, timeout=10, cached=False))
            assert iq['type'] == 'result', str(iq)
    _, v = m.wait_value('palaver_stanzas_received_total{kind="iq"}', lambda v: v >= 5)
    assert v >= 5, v
    _, v = m.wait_value('palaver_stanzas_sent_total{kind="iq"}', lambda v: v >= 5)
    # The histogram and the rest of the families are there for queries too.
    got = m.query('sum(palaver_stanza_errors_sent_total)')
    assert got and got[0][1] >= 0, got
    got = m.query('palaver_occupants')
    assert got and got[0][1] == 0, got
    assert d.running(), d.output()


if __name__ == '__main__':
    try:
        run(globals())
    finally:
        for x in (M, D):
            if x is not None:
                try:
                    x.stop()
                except AssertionError as e:
                    print('# ' + str(e).replace('\n', '\n# '))
        if P is not None:
            P.cleanup()
