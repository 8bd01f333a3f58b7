"""tests/integration/suite.py: the setup and teardown every real-client suite shares.

Each suite (test_prosody_*.py with mucclient, test_ejabberd_muc.py and,
through it, test_jabberd2_muc.py) runs its tests against one private XMPP
server, one palaver daemon and one set of logged-in clients, started on
first use and torn down at the end. The suites differ only in what a Suite
is given: the server, the accounts, palaver's plugins, backend and secret,
and the clients' resource.

The server, palaver and the clients are the test module's globals, which
its tests use by name: the server under `P` (or the name given as
server_global), palaver under `D`, the clients under `U`. A test that stops
palaver sets D = None; the next setup() then starts it again on the same
directory (and so the same database).

    SUITE = Suite(globals(), prosody_server(DOMAIN, SECRET), DOMAIN, SECRET, PLUGINS,
                  ACCOUNTS, name='history', resource='hist')
    setup, login, logout = SUITE.setup, SUITE.login, SUITE.logout

    def test_...():
        setup()
        alice = login('alice')
        ...

    if __name__ == '__main__':
        SUITE.main(globals())
"""

import os
import shutil
import signal
import sys
import tempfile
import time

from daemon import Palaver
from mucclient import Users, XmppError, NS
import prosody
from taptest import run, skip_all


def prosody_server(domain, secret):
    """The description of a private Prosody serving `domain` to palaver.
    A description is a dict: name, available() (is it installed), make()
    (a new, unstarted server), auth_line (the server's log line once
    palaver's handshake is accepted) and palaver_port(server) (the port
    palaver connects to)."""
    return {
        'name': 'prosody',
        'available': prosody.available,
        'make': lambda: prosody.Prosody(components={domain: secret}),
        'auth_line': 'External component successfully authenticated',
        'palaver_port': lambda server: server.component_port,
    }


def _module_global(what):
    """A Suite attribute that lives in the test module's globals, under
    the name suite.globals[what]."""
    return property(lambda suite: suite.ns[suite.globals[what]],
                    lambda suite, value: suite.ns.__setitem__(suite.globals[what], value))


def _interrupted(*_):
    raise KeyboardInterrupt('SIGTERM')


class Suite:
    """One suite's server, palaver and clients; see the module docstring.
    `description` is read when used, so a suite reusing another's tests may
    change it before they run (test_jabberd2_muc.py does)."""

    def __init__(self, namespace, description, domain, secret, plugins, accounts, name,
                 resource='integ', backend='sqlite', backend_options='', plugin_config=None,
                 server_global='P', probe='dave', extra_config=''):
        self.ns = namespace
        self.description = description
        self.domain, self.secret = domain, secret
        self.plugins = list(plugins)
        self.accounts = tuple(accounts)
        self.name = name                    # in the temporary directory's name
        self.resource = resource            # of every login()
        self.backend, self.backend_options = backend, backend_options
        self.plugin_config = dict(plugin_config or {})
        self.extra_config = extra_config    # raw XML in palaver's <palaver> (e.g. <sadmin>)
        self.globals = {'server': server_global, 'daemon': 'D', 'users': 'U'}
        self.probe = probe                  # the account wait_component() logs in
        self.tmpdir = None                  # palaver's directory, kept across restarts
        for var in self.globals.values():
            namespace.setdefault(var, None)

    # kept in the test module's globals (see the module docstring)
    server = _module_global('server')
    daemon = _module_global('daemon')
    users = _module_global('users')

    def setup(self):
        """Starts whatever is not running: the server (with the accounts,
        password name + 'pw'), the clients' loop, palaver. Returns the
        clients (mucclient.Users)."""
        if self.server is None:
            self.server = self.description['make']()
            self.server.start()
            for a in self.accounts:
                self.server.register(a, a + 'pw')
        if self.users is None:
            self.users = Users(self.server.c2s_port)
        if self.daemon is None:
            self.tmpdir = self.tmpdir or tempfile.mkdtemp(
                prefix='palaver-%s-%s-' % (self.description['name'], self.name))
            self.start_palaver()
            self.wait_component()
        return self.users

    def start_palaver(self):
        """Starts palaver on the suite's directory and waits until it uses
        the backend asked for (not a silent fallback) and the server logs
        the accepted handshake (after this call, not an old one). Returns
        the server's log size before the start."""
        server = self.server
        since = server.log_size()
        self.daemon = Palaver(self.domain, self.secret, self.description['palaver_port'](server),
                              backend=self.backend, backend_options=self.backend_options,
                              plugins=self.plugins, plugin_config=self.plugin_config,
                              extra_config=self.extra_config, directory=self.tmpdir)
        self.daemon.start()
        self.daemon.wait_output("backend '%s'" % self.backend, timeout=10)
        server.wait_log(self.description['auth_line'], timeout=20, since=since)
        self.daemon.wait_output('as component ' + self.domain, timeout=10)
        return since

    def wait_component(self, timeout=30.0):
        """Until a client's disco#info to the service is answered by palaver."""
        users = self.users
        a = users.login('%s@localhost/probe' % self.probe, self.probe + 'pw', presence=False)
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    a.iq(self.domain, 'get', "<query xmlns='%s'/>" % NS['info'], timeout=3)
                    return
                except (XmppError, AssertionError):
                    if time.monotonic() > deadline:
                        raise
                    users.sleep(0.2)
        finally:
            users.logout(a)

    def login(self, name, resource=None):
        """Logs in account `name` (password name + 'pw') with presence."""
        return self.users.login('%s@localhost/%s' % (name, resource or self.resource), name + 'pw')

    def logout(self, *users):
        for u in users:
            self.users.logout(u)

    def check_clean_stop(self):
        """Each suite's last test: palaver exits 0 on SIGTERM, and there is
        no sanitizer report in its output (ASan builds)."""
        self.setup()
        d, self.daemon = self.daemon, None
        code = d.stop()     # raises on sanitizer errors or when it had to be killed
        assert code == 0, 'exit code %s:\n%s' % (code, d.output()[-3000:])

    def teardown(self):
        """Ends the suite, whatever state it stopped in: the clients, then
        palaver (a sanitizer report is printed as TAP diagnostics), then the
        server, then palaver's directory (kept with PALAVER_KEEP_TMP=1)."""
        if self.users is not None:
            self.users.close()
        if self.daemon is not None:
            try:
                self.daemon.stop()
            except AssertionError as e:
                print('# ' + str(e).replace('\n', '\n# '), flush=True)
        if self.server is not None:
            self.server.cleanup()
        if self.tmpdir and not os.environ.get('PALAVER_KEEP_TMP'):
            shutil.rmtree(self.tmpdir, ignore_errors=True)

    def main(self, tests):
        """Runs the test_* functions of `tests` (a module's globals) as TAP
        and tears everything down, also on SIGTERM (make's timeout, CI
        cancelling). Skips all when the server is not installed."""
        if not self.description['available']():
            skip_all('%s is not installed' % self.description['name'])
        signal.signal(signal.SIGTERM, _interrupted)
        try:
            run(tests)
        finally:
            self.teardown()


def main_on_pgsql(module):
    """Runs the tests of a suite module (its SUITE and test_* functions) with
    palaver on the pgsql backend, against a private PostgreSQL started here
    (pgserver.py) and stopped at the end. Skips all when Prosody or the
    PostgreSQL server binaries are absent, or the pgsql backend was not built."""
    from xml.sax.saxutils import escape
    import pgserver
    if not module.SUITE.description['available']():
        skip_all('%s is not installed' % module.SUITE.description['name'])
    build = os.environ.get('PALAVER_BUILDDIR', '.')
    if not os.path.exists(os.path.join(build, 'backends', 'pgsql', 'pgsql.la')):
        skip_all('pgsql backend not built (configure did not find libpq)')
    try:
        pg = pgserver.PgServer()
    except pgserver.Unavailable as e:
        skip_all(str(e))
    try:
        pg.start()
    except RuntimeError as e:
        print('Bail out! private PostgreSQL: %s' % str(e).splitlines()[0], flush=True)
        print('# ' + str(e).replace('\n', '\n# '), flush=True)
        pg.stop()
        sys.exit(0)
    module.SUITE.backend = 'pgsql'
    module.SUITE.backend_options = '<conninfo>%s</conninfo>' % escape(pg.conninfo)
    try:
        module.SUITE.main(vars(module))
    finally:
        pg.stop()
