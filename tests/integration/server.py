"""tests/integration/server.py: what the private XMPP server rigs have in common.

prosody.py, ejabberd.py and jabberd2.py each run a real server from its
Debian package in a private directory on loopback ports; they differ in
configuration, accounts and how the server is started. This holds the
rest, so it is written once: free ports, stopping a process (SIGTERM, then
SIGKILL), killing at exit whatever a test left running, waiting until the
ports are released, reading and waiting on logs, and removing the private
directory. daemon.py uses the process helpers for palaver itself.

A rig subclasses Server (several processes: jabberd2) or OneProcessServer
(one foreground process: Prosody, ejabberd) and names itself in NAME.
"""

import atexit
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import weakref


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def port_open(port, host='127.0.0.1'):
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


def read_text(path):
    """A file's text ('' when it cannot be read)."""
    try:
        with open(path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')
    except OSError:
        return ''


def terminate(proc, timeout, kill=None):
    """Stops a child: SIGTERM, and if it has not exited after `timeout`
    seconds, kill(proc) (default: SIGKILL to it). Waits for the exit either
    way. Returns True when it had to be killed."""
    if proc.poll() is not None:
        return False
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
        return False
    except subprocess.TimeoutExpired:
        (kill or subprocess.Popen.kill)(proc)
        proc.wait()
        return True


_live = weakref.WeakSet()


def track(owner):
    """Kills owner.processes() at exit if they still run (a test that
    forgot to stop them must not leave them running)."""
    _live.add(owner)


@atexit.register
def _kill_leftovers():
    for inst in list(_live):
        for proc in inst.processes():
            if proc.poll() is None:
                proc.kill()
                proc.wait()


class Server:
    """A private server: its ports, directory, logs and cleanup. A subclass
    provides start(), stop(), processes(), register() and output()."""

    NAME = 'server'
    START_TIMEOUT = 20.0
    STOP_TIMEOUT = 10.0

    def __init__(self, components=None, vhost='localhost', c2s_port=None,
                 component_port=None, directory=None):
        self.components = dict(components or {})
        self.vhost = vhost
        self.c2s_port = c2s_port or free_port()
        self.component_port = component_port or free_port()
        self._own_dir = directory is None
        self.dir = os.path.abspath(directory or tempfile.mkdtemp(prefix='palaver-%s-' % self.NAME))
        self.log_path = os.path.join(self.dir, self.NAME + '.log')

    def log_file(self, name=None):
        """The path of a log (`name`: which program's, where there are several)."""
        return self.log_path

    def _wait_ports_released(self):
        """Until neither port accepts connections (at most 5 s), so that a
        restart can bind them."""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and (port_open(self.c2s_port)
                                               or port_open(self.component_port)):
            time.sleep(0.05)

    def restart(self, timeout=None):
        self.stop()
        self.start(timeout)

    def cleanup(self):
        """Stops it and removes its directory (if it made it)."""
        self.stop()
        if self._own_dir and not os.environ.get('PALAVER_KEEP_TMP'):
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.cleanup()
        return False

    def log(self, name=None):
        """The log so far."""
        return read_text(self.log_file(name))

    def log_size(self, name=None):
        try:
            return os.path.getsize(self.log_file(name))
        except OSError:
            return 0

    def wait_log(self, text, timeout=10.0, since=0, name=None):
        """Waits until `text` appears in the log after byte offset `since`;
        returns the matching line. Raises AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            data = self.log(name)[since:] if since else self.log(name)
            for line in data.splitlines():
                if text in line:
                    return line
            if time.monotonic() > deadline:
                raise AssertionError('%r not in %s within %.0fs:\n%s' % (
                    text, self.log_file(name), timeout, data[-3000:]))
            time.sleep(0.1)


class OneProcessServer(Server):
    """A server that is one foreground process, stopped by its pid. A
    subclass provides write_config() and command(), and may give
    environment() and kill()."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.out_path = os.path.join(self.dir, self.NAME + '.out')
        self.proc = None
        self._out = None

    def environment(self):
        """The process's environment (None: ours)."""
        return None

    def kill(self, proc):
        """How it is killed when SIGTERM was not enough."""
        proc.kill()

    def processes(self):
        return [self.proc] if self.proc is not None else []

    def start(self, timeout=None):
        """Starts the server in the foreground and waits until its c2s and
        component ports accept connections. Raises RuntimeError with its
        output otherwise."""
        timeout = timeout or self.START_TIMEOUT
        if self.proc is not None and self.proc.poll() is None:
            return
        self.write_config()
        self._out = open(self.out_path, 'ab')
        self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=self._out,
                                     stderr=subprocess.STDOUT, cwd=self.dir,
                                     env=self.environment(), start_new_session=True)
        track(self)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError('%s exited with %s:\n%s' % (self.NAME, self.proc.returncode,
                                                                self.output()))
            if port_open(self.c2s_port) and port_open(self.component_port):
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError('%s did not open ports %d/%d within %.0fs:\n%s' % (
            self.NAME, self.c2s_port, self.component_port, timeout, self.output()))

    def stop(self, timeout=None):
        """Stops the server by its pid (SIGTERM, then kill()). Returns its
        exit code."""
        if self.proc is None:
            return None
        terminate(self.proc, timeout or self.STOP_TIMEOUT, self.kill)
        if self._out is not None:
            self._out.close()
            self._out = None
        code = self.proc.returncode
        self._wait_ports_released()
        return code
