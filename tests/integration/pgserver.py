"""tests/integration/pgserver.py: a private, throw-away PostgreSQL for the pgsql runs of the integration suite.

The same recipe as tests/unit/test_store_pgsql.sh: initdb in a fresh
temporary directory (trust auth, user `palaver`, no fsync), pg_ctl start on a
free port of 127.0.0.1 and a unix socket in that directory, one database.
PostgreSQL refuses to run as root, so as root it runs as `postgres` (runuser).

    pg = PgServer(); pg.start()        # raises Unavailable when it cannot run here
    pg.conninfo                        # "host=127.0.0.1 port=N dbname=palaver_test user=palaver"
    pg.stop()                          # stops it by its data directory and removes it
"""

import os
import random
import shutil
import subprocess
import tempfile

PGBIN = os.environ.get('PGBIN', '/usr/lib/postgresql/15/bin')


class Unavailable(Exception):
    """PostgreSQL's binaries (or a user to run them as root) are missing."""


class PgServer:
    def __init__(self):
        for b in ('initdb', 'pg_ctl', 'createdb'):
            if not os.access(os.path.join(PGBIN, b), os.X_OK):
                raise Unavailable('PostgreSQL server binaries not found (%s/%s)' % (PGBIN, b))
        self.as_root = os.getuid() == 0
        if self.as_root:
            try:
                import pwd
                self.pg_uid = pwd.getpwnam('postgres').pw_uid
            except KeyError:
                raise Unavailable('running as root and there is no postgres user') from None
        self.dir = None
        self.port = None
        self.conninfo = None

    def _cmd(self, args, log):
        cmd = [os.path.join(PGBIN, args[0])] + args[1:]
        if self.as_root:
            cmd = ['runuser', '-u', 'postgres', '--'] + cmd
        with open(os.path.join(self.dir, log), 'ab') as f:
            return subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=f,
                                  stderr=subprocess.STDOUT, timeout=120).returncode

    def _logs(self):
        out = []
        for name in sorted(os.listdir(self.dir)):
            if name.endswith('.log'):
                with open(os.path.join(self.dir, name), errors='replace') as f:
                    out.append('--- %s ---\n%s' % (name, f.read()[-2000:]))
        return '\n'.join(out)

    def start(self):
        self.dir = tempfile.mkdtemp(prefix='pv-integ-pgsql-')
        if self.as_root:
            os.chown(self.dir, self.pg_uid, -1)
        os.chmod(self.dir, 0o700)
        data = os.path.join(self.dir, 'data')
        if self._cmd(['initdb', '-D', data, '-A', 'trust', '-U', 'palaver', '-E', 'UTF8',
                      '--locale=C.UTF-8', '--no-sync'], 'initdb.log') != 0:
            raise RuntimeError('initdb failed:\n' + self._logs())
        for _attempt in range(5):
            port = random.randint(20000, 49999)
            opts = ('-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off '
                    '-c full_page_writes=off' % (port, self.dir))
            if self._cmd(['pg_ctl', '-D', data, '-l', os.path.join(self.dir, 'server.log'),
                          '-w', '-t', '60', '-o', opts, 'start'], 'pg_ctl.log') == 0:
                self.port = port
                break
        if self.port is None:
            raise RuntimeError('PostgreSQL did not start:\n' + self._logs())
        if self._cmd(['createdb', '-h', self.dir, '-p', str(self.port), '-U', 'palaver',
                      'palaver_test'], 'createdb.log') != 0:
            raise RuntimeError('createdb failed:\n' + self._logs())
        self.conninfo = 'host=127.0.0.1 port=%d dbname=palaver_test user=palaver' % self.port
        return self

    def stop(self):
        if self.dir is None:
            return
        data = os.path.join(self.dir, 'data')
        if os.path.exists(os.path.join(data, 'postmaster.pid')):
            self._cmd(['pg_ctl', '-D', data, '-m', 'immediate', '-w', 'stop'], 'pg_ctl.log')
        if not os.environ.get('PALAVER_KEEP_TMP'):
            shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None
