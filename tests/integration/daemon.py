"""tests/integration/daemon.py: runs the palaver binary against a real XMPP server.

The integration counterpart of fakerouter.Router: writes a config for the
given server port, domain and secret, spawns $PALAVER_BIN with the build
tree's modules, and stops it with SIGTERM. Output goes to a file (output());
stop() raises AssertionError when a sanitizer reported an error there.
"""

import os
import shutil
import subprocess
import tempfile
import time
from xml.sax.saxutils import escape as _escape

from server import read_text, terminate, track

SANITIZER_MARKS = ('ERROR: AddressSanitizer', 'ERROR: LeakSanitizer', 'runtime error:')


def escape(text):
    return _escape(str(text), {"'": '&apos;', '"': '&quot;'})


class Palaver:
    def __init__(self, domain, secret, port, host='127.0.0.1', backend='memory', plugins=(),
                 plugin_config=None, extra_config='', directory=None, verbose=True,
                 backend_options=''):
        self.domain, self.secret, self.port, self.host = domain, secret, port, host
        self.backend = backend
        self.backend_options = backend_options   # raw XML inside <backend>
        self.plugins = list(plugins)
        self.plugin_config = dict(plugin_config or {})
        self.extra_config = extra_config
        self._own_dir = directory is None
        self.dir = directory or tempfile.mkdtemp(prefix='palaver-daemon-')
        self.config_path = os.path.join(self.dir, 'palaver.xml')
        self.log_path = os.path.join(self.dir, 'palaver.log')
        self.spool = os.path.join(self.dir, 'spool')
        self.verbose = verbose
        self.bin = os.environ.get('PALAVER_BIN') or os.path.join(
            os.environ.get('PALAVER_BUILDDIR', '.'), 'palaver')
        self.proc = None
        self._out = None
        self._saved_output = None       # the output, once the directory is gone

    def config(self):
        plugins = ''.join('<%s>%s</%s>' % (n, self.plugin_config.get(n, ''), n)
                          for n in self.plugins)
        return ("<?xml version='1.0'?>\n<palaver>\n  <name>%s</name>\n  <ip>%s</ip>\n"
                "  <port>%d</port>\n  <secret>%s</secret>\n"
                "  <backend><type>%s</type>%s</backend>\n  <spool>%s</spool>\n"
                "  <plugins>%s</plugins>\n%s\n</palaver>\n") % (
                    escape(self.domain), escape(self.host), self.port, escape(self.secret),
                    escape(self.backend), self.backend_options, escape(self.spool), plugins, self.extra_config)

    def start(self):
        os.makedirs(self.spool, exist_ok=True)
        with open(self.config_path, 'w', encoding='utf-8') as f:
            f.write(self.config())
        cmd = [self.bin, '-c', self.config_path]
        if os.environ.get('PALAVER_MODULE_DIR'):
            cmd += ['--moduledir', os.environ['PALAVER_MODULE_DIR']]
        if self.verbose:
            cmd.append('-v')
        self._out = open(self.log_path, 'ab')
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._out,
                                     stderr=subprocess.STDOUT, cwd=self.dir)
        track(self)
        return self

    def output(self):
        if self._saved_output is not None:
            return self._saved_output
        return read_text(self.log_path)

    def processes(self):
        return [self.proc] if self.proc is not None else []

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=15.0):
        """SIGTERM, wait, return the exit code; AssertionError on sanitizer
        errors or if it had to be killed."""
        if self.proc is None:
            return None
        killed = terminate(self.proc, timeout)
        if self._out is not None:
            self._out.close()
            self._out = None
        out = self.output()
        bad = [line for line in out.splitlines() if any(m in line for m in SANITIZER_MARKS)]
        if self._own_dir and not os.environ.get('PALAVER_KEEP_TMP'):
            self._saved_output = out
            shutil.rmtree(self.dir, ignore_errors=True)
        if killed:
            raise AssertionError('palaver ignored SIGTERM and was killed:\n' + out[-3000:])
        if bad:
            raise AssertionError('sanitizer errors in palaver: %s\n%s' % ('; '.join(bad[:5]),
                                                                         out[-3000:]))
        return self.proc.returncode

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    def wait_output(self, text, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output():
                return True
            time.sleep(0.1)
        raise AssertionError('%r not in palaver output within %.0fs:\n%s' % (
            text, timeout, self.output()[-3000:]))
