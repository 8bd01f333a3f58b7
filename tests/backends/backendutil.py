"""tests/backends/backendutil.py: helpers for the storage backend tests that
run the daemon through the fake router: muc-core with a given <backend>
element, reading a room's stored state back over XMPP (owner form,
affiliation lists, registered nick, disco#info), and a TAP runner that
knows expected failures.
"""

import os
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..'))
sys.path.insert(0, os.path.join(HERE, '..', 'muc'))

from fakerouter import Router, NS, escape, local, tostring, error_condition  # noqa: E402,F401
from mucutil import MUC, DOMAIN, room_jid, admin_get, owner_submit  # noqa: E402,F401
import taptest  # noqa: E402

OWNER = 'alice@localhost/pc'
OWNER_OTHER = 'alice@localhost/elsewhere'   # the owner, not in the room


def module_dirs():
    """PALAVER_MODULE_DIR plus the build tree's tests/backends (failstore)."""
    build = os.environ.get('PALAVER_BUILDDIR', '.')
    dirs = os.environ.get('PALAVER_MODULE_DIR', '')
    extra = os.path.join(os.path.abspath(build), 'tests', 'backends')
    return dirs + ':' + extra if dirs else extra


class BackendRouter(Router):
    """A Router whose config carries a whole <backend> element (options
    such as <conninfo> or <failfile> that Router(backend=) cannot give)."""

    def __init__(self, backend_xml, start=True, **kw):
        self.backend_xml = backend_xml
        super().__init__(start=False, **kw)
        self.moddir = module_dirs()
        if start:
            self.start()

    def config_xml(self):
        text = super().config_xml()
        plain = '<backend><type>%s</type></backend>' % escape(self.backend)
        assert plain in text, 'the fake router writes <backend> differently now'
        return text.replace(plain, self.backend_xml)


class StoreMUC(MUC):
    """mucutil.MUC (muc-core through the fake router) on any <backend>."""

    def __init__(self, backend, backend_xml=None, tmpdir=None, muc_config='', start=True):
        # MUC.__init__ would build a plain Router; this one takes the XML.
        xml = backend_xml or '<backend><type>%s</type></backend>' % escape(backend)
        self.r = BackendRouter(xml, domain=DOMAIN, backend=backend, plugins=['muc-core'],
                               plugin_config={'muc-core': muc_config}, tmpdir=tmpdir,
                               start=start)


# ---- Reading a room's state back -------------------------------------------

def room_name(m, room):
    """The room's natural-language name (disco#info identity), or None when
    the room does not exist."""
    res = m.iq('carol@localhost/probe', room_jid(room), 'get',
               "<query xmlns='%s'/>" % NS['disco_info'], id_='info-' + room)
    if res.get('type') != 'result':
        return None
    ident = res.find('.//{%s}identity' % NS['disco_info'])
    return ident.get('name') if ident is not None else ''


def config_values(m, room, frm=OWNER_OTHER):
    """{var: [values]} of the room's owner configuration form."""
    res = m.iq(frm, room_jid(room), 'get', "<query xmlns='%s'/>" % NS['muc_owner'],
               id_='form-' + room)
    assert res.get('type') == 'result', tostring(res)
    out = {}
    for f in res.iter('{%s}field' % NS['data']):
        out[f.get('var')] = [v.text or '' for v in f.findall('{%s}value' % NS['data'])]
    return out


def aff_list(m, room, aff, frm=OWNER_OTHER):
    """{bare JID: reason or None} of one affiliation list."""
    res = admin_get(m, frm, "affiliation='%s'" % aff, room=room)
    assert res.get('type') == 'result', tostring(res)
    out = {}
    for it in res.iter('{%s}item' % NS['muc_admin']):
        reason = it.find('{%s}reason' % NS['muc_admin'])
        out[it.get('jid')] = reason.text if reason is not None else None
    return out


def registered_nick(m, room, frm):
    """The nick frm's bare JID registered in room (XEP-0045 §7.12), or None."""
    res = m.iq(frm, room_jid(room), 'get',
               "<query xmlns='%s' node='x-roomuser-item'/>" % NS['disco_info'],
               id_='nick-' + room)
    if res.get('type') != 'result':
        return None
    ident = res.find('.//{%s}identity' % NS['disco_info'])
    return ident.get('name') if ident is not None else None


def register_payload(nick):
    return ("<query xmlns='%s'><x xmlns='jabber:x:data' type='submit'>"
            "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field>"
            "<field var='muc#register_roomnick'><value>%s</value></field></x></query>"
            % (NS['register'], escape(nick)))


def admin_payload(items):
    return "<query xmlns='%s'>%s</query>" % (NS['muc_admin'], items)


# ---- TAP with expected failures ----------------------------------------------

def run(namespace, todo=None):
    """taptest.run, except that the tests named in `todo` ({name: why})
    are known not to work yet: they print "# TODO why" (a failure is then
    expected, a pass is reported by the driver as unexpected)."""
    todo = todo or {}
    funcs = taptest._tests(namespace)
    print('1..%d' % len(funcs), flush=True)
    for n, func in enumerate(funcs, 1):
        mark = ' # TODO %s' % todo[func.__name__] if func.__name__ in todo else ''
        started = time.monotonic()
        try:
            func()
        except taptest.Skip as e:
            print('ok %d - %s # SKIP %s' % (n, func.__name__, e), flush=True)
            continue
        except BaseException:   # noqa: BLE001 - every failure is reported
            print('not ok %d - %s%s' % (n, func.__name__, mark), flush=True)
            taptest.diag(traceback.format_exc())
            continue
        print('ok %d - %s%s' % (n, func.__name__, mark), flush=True)
        if os.environ.get('TAP_TIMES'):
            taptest.diag('%s took %.2fs' % (func.__name__, time.monotonic() - started))
    sys.exit(0)
