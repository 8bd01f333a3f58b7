"""tests/install/test_run_local.py: the parts of tools/run-local that can be
checked without starting it.

Its free-port check treats a port left in TIME_WAIT by a quick restart as
free (SO_REUSEADDR, as Prosody binds) and a port with a listener as taken;
the private Prosody enables the login-time modules clients ask for, each one
this Prosody has; the palaver config it writes carries the site's own
settings from run/palaver-local.xml and PALAVER_EXTRA_CONFIG, and passes
palaver --check-config.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'integration'))

from taptest import run, skip  # noqa: E402

SRC = os.environ.get('PALAVER_SRCDIR', os.path.join(os.path.dirname(__file__), '..', '..'))
RUN_LOCAL = os.path.join(SRC, 'tools', 'run-local')
PROSODY_MODULES = '/usr/lib/prosody/modules'


def run_local(*args, env=None):
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run(['bash', RUN_LOCAL] + list(args), stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e, timeout=60)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def time_wait_port():
    """A port whose only socket is in TIME_WAIT: a server that binds with
    SO_REUSEADDR, as Prosody does, closed a connection first and stopped."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(('127.0.0.1', 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    cli = socket.create_connection(('127.0.0.1', port))
    conn, _ = srv.accept()
    srv.close()
    conn.close()            # active close on the server side: TIME_WAIT there
    cli.recv(1)
    cli.close()
    time.sleep(0.05)
    return port


def test_port_in_time_wait_is_free():
    port = time_wait_port()
    plain = socket.socket()
    try:
        plain.bind(('127.0.0.1', port))
        in_time_wait = False
    except OSError:
        in_time_wait = True
    finally:
        plain.close()
    code, out, err = run_local('--port-free', str(port))
    assert code == 0, 'port %d (TIME_WAIT: %s) called taken: %s' % (port, in_time_wait, err)


def test_port_with_a_listener_is_taken():
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(('127.0.0.1', 0))
    srv.listen(1)
    try:
        code, out, err = run_local('--port-free', str(srv.getsockname()[1]))
        assert code != 0, 'a port with a listener was called free'
    finally:
        srv.close()


def test_prosody_enables_the_login_modules_it_has():
    if not os.path.isdir(PROSODY_MODULES):
        skip('prosody is not installed')
    code, out, err = run_local('--prosody-modules')
    assert code == 0, err
    mods = out.split()
    for want in ('carbons', 'pep', 'bookmarks', 'vcard_legacy'):
        assert want in mods, '%s not enabled: %s' % (want, mods)
    for m in mods:
        assert (os.path.exists(os.path.join(PROSODY_MODULES, 'mod_%s.lua' % m)) or
                os.path.isdir(os.path.join(PROSODY_MODULES, 'mod_%s' % m))), m
    from prosody import Prosody
    tmp = tempfile.mkdtemp(prefix='pv-runlocal-')
    try:
        cfg = Prosody(components={'conference.localhost': 's'}, directory=tmp,
                      extra_modules=mods).config()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    line = [l for l in cfg.splitlines() if l.startswith('modules_enabled')][0]
    for m in mods:
        assert '"%s";' % m in line, line


def test_site_settings_survive_and_pass_check_config():
    tmp = tempfile.mkdtemp(prefix='pv-runlocal-')
    try:
        os.makedirs(os.path.join(tmp, 'data'))
        with open(os.path.join(tmp, 'palaver-local.xml'), 'w') as f:
            f.write('<statistics interval="60"/>\n')
        code, out, err = run_local('--palaver-config', 'conference.localhost', '127.0.0.1',
                                   '5347', 'secret', '<muc-core/>',
                                   env={'PALAVER_RUNDIR': tmp,
                                        'PALAVER_EXTRA_CONFIG': '<loglevel>1</loglevel>'})
        assert code == 0, err
        assert '<statistics interval="60"/>' in out, out
        assert '<loglevel>1</loglevel>' in out, out
        conf = os.path.join(tmp, 'palaver.xml')
        with open(conf, 'w') as f:
            f.write(out)
        cmd = [os.environ.get('PALAVER_BIN', 'palaver'), '--check-config', '-c', conf]
        if os.environ.get('PALAVER_MODULE_DIR'):
            cmd += ['--moduledir', os.environ['PALAVER_MODULE_DIR']]
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=60)
        text = p.stdout.decode('utf-8', 'replace')
        assert p.returncode == 0 and 'configuration OK' in text, text
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    run(globals())
