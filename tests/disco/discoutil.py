"""tests/disco/discoutil.py: helpers for disco-extended's tests.

Starts the daemon with muc-core and disco-extended (or without it) through
the fake router, reusing muc-core's test helpers (tests/muc/mucutil.py), and
reads XEP-0128 data forms out of disco#info answers. Also builds a C plugin
out of tree with plain cc and the SDK headers, as a site author would.
"""

import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'muc'))
sys.path.insert(0, os.path.join(HERE, '..'))

from mucutil import MUC, NS, DOMAIN, Router, room_jid, tostring  # noqa: E402,F401

INFO = "<query xmlns='%s'/>" % NS['disco_info']
ITEMS = "<query xmlns='%s'/>" % NS['disco_items']
ROOMINFO = NS['muc_roominfo']
SERVERINFO = 'http://jabber.org/network/serverinfo'
X = '{%s}x' % NS['data']
FIELD = '{%s}field' % NS['data']
VALUE = '{%s}value' % NS['data']


class DX(MUC):
    """The daemon with muc-core and (unless plugins says otherwise) disco-extended."""

    def __init__(self, dx_config='', muc_config='', plugins=('muc-core', 'disco-extended'),
                 extra_plugin_config=None):
        pc = {'muc-core': muc_config, 'disco-extended': dx_config}
        pc.update(extra_plugin_config or {})
        self.r = Router(domain=DOMAIN, plugins=list(plugins), plugin_config=pc,
                        reply_close=False)

    def info(self, frm, to, id_='di'):
        res = self.iq(frm, to, 'get', INFO, id_=id_)
        assert res.get('type') == 'result', tostring(res)
        return res


def forms(res):
    """{FORM_TYPE: form element} of every data form in a disco#info answer;
    asserts each is a result form and no FORM_TYPE appears twice."""
    q = res.find('{%s}query' % NS['disco_info'])
    assert q is not None, tostring(res)
    out = {}
    for x in q.findall(X):
        assert x.get('type') == 'result', tostring(x)
        ft = [f for f in x.findall(FIELD) if f.get('var') == 'FORM_TYPE']
        assert len(ft) == 1, 'a form without exactly one FORM_TYPE: ' + tostring(x)
        assert ft[0].get('type') == 'hidden', tostring(x)
        name = ft[0].findtext(VALUE)
        assert name not in out, 'two forms with FORM_TYPE %s: %s' % (name, tostring(res))
        out[name] = x
    return out


def fields(form):
    """{var: [values]} of a form (FORM_TYPE left out); asserts no var repeats."""
    out = {}
    for f in form.findall(FIELD):
        var = f.get('var')
        if var == 'FORM_TYPE':
            continue
        assert var not in out, 'field %s appears twice: %s' % (var, tostring(form))
        out[var] = [v.text or '' for v in f.findall(VALUE)]
    return out


def field_el(form, var):
    for f in form.findall(FIELD):
        if f.get('var') == var:
            return f
    return None


def roominfo(m, frm, room, id_='ri'):
    """The roominfo fields of a room's disco#info ({var: [values]})."""
    res = m.info(frm, room_jid(room), id_=id_)
    fs = forms(res)
    assert ROOMINFO in fs, 'no muc#roominfo form: ' + tostring(res)
    return fields(fs[ROOMINFO])


class OutOfTree:
    """A plugin built out of tree with plain cc into a temporary directory that
    is put first in PALAVER_MODULE_DIR (the Router reads it at construction)."""

    def __init__(self, source, name):
        self.dir = tempfile.mkdtemp(prefix='pv-plugin-')
        self.so = os.path.join(self.dir, name + '.so')
        cflags = sdk_cflags()
        cc = os.environ.get('CC_FOR_SDK_TEST', 'cc')
        cmd = [cc, '-shared', '-fPIC', '-Wall', '-Wextra', '-Werror'] + cflags + \
            ['-o', self.so, source]
        p = subprocess.run(cmd, capture_output=True, text=True)
        assert p.returncode == 0 and os.path.exists(self.so), \
            '%s failed:\n%s%s' % (' '.join(cmd), p.stdout, p.stderr)
        self.saved = os.environ.get('PALAVER_MODULE_DIR', '')

    def __enter__(self):
        os.environ['PALAVER_MODULE_DIR'] = self.dir + (':' + self.saved if self.saved else '')
        return self

    def __exit__(self, *exc):
        os.environ['PALAVER_MODULE_DIR'] = self.saved
        shutil.rmtree(self.dir, ignore_errors=True)
        return False


def sdk_cflags():
    """`pkg-config --cflags palaver` against the build tree's palaver-uninstalled.pc."""
    env = dict(os.environ)
    env['PKG_CONFIG_PATH'] = os.environ['PALAVER_BUILDDIR']
    p = subprocess.run(['pkg-config', '--cflags', 'palaver'], capture_output=True, text=True,
                       env=env)
    assert p.returncode == 0, 'pkg-config --cflags palaver: ' + p.stderr
    return p.stdout.split()
