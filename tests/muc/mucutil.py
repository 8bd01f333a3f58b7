"""tests/muc/mucutil.py: helpers shared by muc-core's protocol tests.

Builds the stanzas a client sends (join, leave, messages, forms), starts the
daemon with muc-core through the fake router, and reads what the daemon sent
to whom: the router sees every stanza for every client, so tests filter by
the `to` attribute.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

from fakerouter import Router, NS, escape, local, ns_of, tostring, error_condition  # noqa: E402,F401

DOMAIN = 'muc.localhost'
QUIET = 0.25
# How long a request that is always answered (a join) may wait for its first
# answer: a daemon under valgrind answers a first-time code path slowly.
ANSWERED = 5.0


def room_jid(room):
    return '%s@%s' % (room, DOMAIN)


def occ(room, nick):
    return '%s@%s/%s' % (room, DOMAIN, nick)


class MUC:
    """The daemon with muc-core, as a context manager."""

    def __init__(self, muc_config='', extra_config='', backend='memory', tmpdir=None,
                 plugins=('muc-core',)):
        self.r = Router(domain=DOMAIN, backend=backend, plugins=list(plugins),
                        plugin_config={'muc-core': muc_config}, extra_config=extra_config,
                        tmpdir=tmpdir)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def stop(self):
        # The daemon must exit 0 with no sanitizer report: muc-core's
        # shutdown frees every room, occupant and session.
        rc = self.r.stop()
        assert rc == 0, 'the daemon exited with %r' % rc

    # ---- sending -------------------------------------------------------

    def send(self, xml):
        self.r.send(xml)

    def collect(self, quiet=QUIET):
        return self.r.collect(quiet=quiet)

    def nothing(self, quiet=QUIET):
        self.r.expect_nothing(quiet)

    def presence(self, frm, to, type_=None, body=''):
        t = " type='%s'" % type_ if type_ else ''
        self.send("<presence from='%s' to='%s'%s>%s</presence>" % (escape(frm), escape(to), t, body))

    def join(self, frm, room, nick, password=None, history=None, extra='', muc=True,
             collect=True):
        x = ''
        if muc:
            inner = ''
            if password is not None:
                inner += '<password>%s</password>' % escape(password)
            if history is not None:
                inner += history
            x = "<x xmlns='%s'>%s</x>" % (NS['muc'], inner)
        self.presence(frm, occ(room, nick), body=x + extra)
        return self.r.collect(quiet=QUIET, first=ANSWERED) if collect else None

    def leave(self, frm, room, nick, status=None):
        body = '<status>%s</status>' % escape(status) if status is not None else ''
        self.presence(frm, occ(room, nick), 'unavailable', body)
        return self.collect()

    def groupchat(self, frm, room, body, id_='m1', extra=''):
        self.send("<message type='groupchat' id='%s' from='%s' to='%s'><body>%s</body>%s</message>"
                  % (id_, escape(frm), room_jid(room), escape(body), extra))
        return self.collect()

    def iq(self, frm, to, type_, payload, id_='iq1'):
        return self.r.iq(type_=type_, to=to, frm=frm, payload=payload, id_=id_)

    def create(self, owner, room, nick, config=None):
        """Creates a room (locked), configures it (instant room when config
        is None) and returns the stanzas the owner got."""
        got = self.join(owner, room, nick)
        res = self.configure(owner, room, config or {})
        assert res.get('type') == 'result', tostring(res)
        got += self.collect()
        return got

    def configure(self, owner, room, fields):
        return self.iq(owner, room_jid(room), 'set', owner_submit(fields), id_='cfg')


def owner_submit(fields):
    out = ["<query xmlns='%s'><x xmlns='jabber:x:data' type='submit'>" % NS['muc_owner'],
           "<field var='FORM_TYPE'><value>%s</value></field>" % NS['muc_roomconfig']]
    for var, val in fields.items():
        if not var.startswith('muc#') and not var.startswith('x-'):
            var = 'muc#roomconfig_' + var
        vals = val if isinstance(val, (list, tuple)) else [val]
        out.append("<field var='%s'>%s</field>" % (
            var, ''.join('<value>%s</value>' % escape(str(v)) for v in vals)))
    out.append('</x></query>')
    return ''.join(out)


# ---- reading ---------------------------------------------------------------

def to(stanzas, jid):
    return [s for s in stanzas if s.get('to') == jid]


def kind(el):
    return local(el.tag)


def is_presence(el):
    return kind(el) == 'presence'


def is_message(el):
    return kind(el) == 'message'


def muc_x(el):
    return el.find('{%s}x' % NS['muc_user'])


def item(el):
    x = muc_x(el)
    return x.find('{%s}item' % NS['muc_user']) if x is not None else None


def codes(el):
    x = muc_x(el)
    if x is None:
        return set()
    return {int(s.get('code')) for s in x.findall('{%s}status' % NS['muc_user'])}


def occupant_id(el):
    o = el.find('{urn:xmpp:occupant-id:0}occupant-id')
    return o.get('id') if o is not None else None


def cond(el):
    return error_condition(el)


def error_text(el):
    e = el.find('{%s}error' % NS['component'])
    if e is None:
        return None
    t = e.find('{%s}text' % NS['stanzas'])
    return t.text if t is not None else None


def subject_of(el):
    s = el.find('{%s}subject' % NS['component'])
    return None if s is None else (s.text or '')


def body_of(el):
    b = el.find('{%s}body' % NS['component'])
    return None if b is None else (b.text or '')


def describe(stanzas):
    return '\n'.join(tostring(s) for s in stanzas)


def assert_error(stanzas, recipient, etype, condition, frm=None):
    """Exactly one stanza went out, an error of that type and condition to
    recipient (from `frm` when given), with a human-readable text."""
    assert len(stanzas) == 1, 'expected one error, got:\n' + describe(stanzas)
    e = stanzas[0]
    assert e.get('type') == 'error', describe(stanzas)
    assert e.get('to') == recipient, describe(stanzas)
    if frm:
        assert e.get('from') == frm, describe(stanzas)
    assert cond(e) == (etype, condition), '%r != %r\n%s' % (cond(e), (etype, condition),
                                                           describe(stanzas))
    assert error_text(e), 'the error has no <text>: ' + describe(stanzas)
    return e


# ---- muc#admin (moderation and administration tests) -----------------------

def admin_set(m, frm, items, room='r', id_='adm'):
    """Sends a muc#admin set and returns every stanza that followed, in order."""
    m.send("<iq type='set' id='%s' from='%s' to='%s'><query xmlns='%s'>%s</query></iq>"
           % (id_, escape(frm), room_jid(room), NS['muc_admin'], items))
    return m.collect()


def admin_get(m, frm, what, room='r'):
    """The answer to a muc#admin get of one list (`what`: "role='visitor'"...)."""
    return m.iq(frm, room_jid(room), 'get', "<query xmlns='%s'><item %s/></query>"
                % (NS['muc_admin'], what), id_='list')


def iq_answers(got, id_='adm'):
    return [s for s in got if local(s.tag) == 'iq' and s.get('id') == id_]


def actor_reason(el):
    """(actor nick, reason text) of a presence's muc#user item."""
    it = item(el)
    a = it.find('{%s}actor' % NS['muc_user'])
    r = it.find('{%s}reason' % NS['muc_user'])
    return (a.get('nick') if a is not None else None, r.text if r is not None else None)
