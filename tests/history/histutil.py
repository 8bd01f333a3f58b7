"""tests/history/histutil.py: helpers for the history plugin's protocol tests.

Starts the daemon with muc-core and history through the fake router (on the
memory or sqlite backend), and reads history messages, stanza-ids, delays and
MAM results out of what the daemon sent.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..'))
sys.path.insert(0, os.path.join(HERE, '..', 'muc'))

from fakerouter import Router, NS, escape, local, tostring  # noqa: E402,F401
import mucutil  # noqa: E402
from mucutil import (DOMAIN, room_jid, occ, to, is_message, is_presence, codes,  # noqa: E402,F401
                     body_of, subject_of, cond, describe)

NS_SID = 'urn:xmpp:sid:0'
NS_DELAY = 'urn:xmpp:delay'
NS_MAM = 'urn:xmpp:mam:2'
NS_RSM = 'http://jabber.org/protocol/rsm'
NS_FWD = 'urn:xmpp:forward:0'
NS_DATA = 'jabber:x:data'
NS_CLIENT = 'jabber:client'

OWNER = 'owner@localhost/pc'
ALICE = 'alice@localhost/pc'
BOB = 'bob@localhost/pc'
CAROL = 'carol@localhost/pc'


class Hist(mucutil.MUC):
    """The daemon with muc-core and history (a context manager)."""

    def __init__(self, backend='memory', history_config='', tmpdir=None, extra_config=''):
        self.r = Router(domain=DOMAIN, backend=backend, plugins=['muc-core', 'history'],
                        plugin_config={'muc-core': '<flood-burst>0</flood-burst>',
                                       'history': history_config},
                        extra_config=extra_config, reply_close=False, tmpdir=tmpdir)


def q(name, ns):
    return '{%s}%s' % (ns, name)


def stanza_ids(el):
    return [(s.get('by'), s.get('id')) for s in el.findall(q('stanza-id', NS_SID))]


def room_stanza_id(el, room):
    ids = [i for b, i in stanza_ids(el) if b == room_jid(room)]
    assert len(ids) == 1, 'expected one stanza-id by the room: ' + tostring(el)
    return ids[0]


def delay_of(el):
    return el.find(q('delay', NS_DELAY))


def is_history(el):
    return is_message(el) and delay_of(el) is not None and body_of(el) is not None


def history_bodies(stanzas, jid):
    return [body_of(s) for s in to(stanzas, jid) if is_history(s)]


def mam_query(h, frm, room, fields=None, rsm='', queryid='q1', flip=False, id_='mam1'):
    """Sends a MAM query; returns (results, iq answer): results are the
    <message/>s carrying <result queryid>, in arrival order."""
    form = ''
    if fields is not None:
        parts = ["<field var='FORM_TYPE' type='hidden'><value>%s</value></field>" % NS_MAM]
        for var, val in fields.items():
            vals = val if isinstance(val, (list, tuple)) else [val]
            parts.append("<field var='%s'>%s</field>" % (
                var, ''.join('<value>%s</value>' % escape(v) for v in vals)))
        form = "<x xmlns='%s' type='submit'>%s</x>" % (NS_DATA, ''.join(parts))
    body = "<query xmlns='%s' queryid='%s'>%s%s%s</query>" % (
        NS_MAM, queryid, form, rsm, '<flip-page/>' if flip else '')
    h.send("<iq type='set' id='%s' from='%s' to='%s'>%s</iq>" % (id_, escape(frm),
                                                                   room_jid(room), body))
    got = h.collect()
    answer = [s for s in got if local(s.tag) == 'iq' and s.get('id') == id_]
    assert len(answer) == 1, 'no single answer to the MAM query:\n' + describe(got)
    results = [s for s in got if is_message(s) and s.find(q('result', NS_MAM)) is not None]
    for s in results:
        assert s.get('to') == frm, tostring(s)
        assert s.find(q('result', NS_MAM)).get('queryid') == queryid, tostring(s)
    return results, answer[0]


def result_id(el):
    return el.find(q('result', NS_MAM)).get('id')


def result_body(el):
    m = el.find('%s/%s/%s' % (q('result', NS_MAM), q('forwarded', NS_FWD), q('message', NS_CLIENT)))
    assert m is not None, 'no forwarded jabber:client message: ' + tostring(el)
    b = m.find(q('body', NS_CLIENT))
    return b.text if b is not None else None


def fin_of(answer):
    assert answer.get('type') == 'result', tostring(answer)
    fin = answer.find(q('fin', NS_MAM))
    assert fin is not None, tostring(answer)
    return fin


def rsm_of(fin):
    s = fin.find(q('set', NS_RSM))
    if s is None:
        return {}
    out = {}
    for name in ('first', 'last', 'count'):
        e = s.find(q(name, NS_RSM))
        if e is not None:
            out[name] = e.text
            if name == 'first' and e.get('index') is not None:
                out['index'] = int(e.get('index'))
    return out


def logged_room(h, room, owner=OWNER, nick='owner', extra=None):
    """Creates a persistent, logged room."""
    cfg = {'enablelogging': '1', 'persistentroom': '1'}
    cfg.update(extra or {})
    return h.create(owner, room, nick, cfg)
