"""tests/game/gameutil.py: helpers for the game-rooms tests (GAME-1).

Starts the daemon with muc-core and game-rooms (and history or
disco-extended when asked) through the fake router, and builds the
muc#admin and muc#owner requests the tests send.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'muc'))
sys.path.insert(0, os.path.join(HERE, '..'))

from mucutil import (MUC, NS, escape, occ, room_jid, to, item, is_presence,  # noqa: E402,F401
                     is_message, body_of, subject_of, describe, tostring, cond, assert_error)

OWNER = 'owner@localhost/pc'      # creates the rooms (owner, moderator)
PLAYER = 'white@localhost/board'  # made a player
PLAYER2 = 'black@localhost/board'
KIBITZ = 'kibitz@example.net/x'   # a plain participant
ADMIN_NS = NS['muc_admin']
GAME_NS = 'http://onlinegamegroup.com/xml/chesspark-01'


def game_muc(extra_plugins=(), game=True, **kw):
    plugins = ['muc-core'] + list(extra_plugins) + (['game-rooms'] if game else [])
    return MUC(plugins=tuple(plugins), **kw)


def admin_set(m, frm, room, items, id_='adm'):
    """items: list of dicts of item attributes. Returns the IQ answer."""
    body = ''.join('<item %s/>' % ' '.join("%s='%s'" % (k, escape(v)) for k, v in it.items())
                   for it in items)
    return m.iq(frm, room_jid(room), 'set', "<query xmlns='%s'>%s</query>" % (ADMIN_NS, body),
                id_=id_)


def admin_list(m, frm, room, affiliation, id_='lst'):
    return m.iq(frm, room_jid(room), 'get',
                "<query xmlns='%s'><item affiliation='%s'/></query>" % (ADMIN_NS, affiliation),
                id_=id_)


def list_jids(res):
    return sorted(i.get('jid') for i in res.iter('{%s}item' % ADMIN_NS))


def config_form(m, frm, room, id_='cfgget'):
    res = m.iq(frm, room_jid(room), 'get', "<query xmlns='%s'/>" % NS['muc_owner'], id_=id_)
    assert res.get('type') == 'result', tostring(res)
    return res


def form_fields(res):
    """{var: [values]} of the data form in an answer."""
    out = {}
    for f in res.iter('{%s}field' % NS['data']):
        out[f.get('var')] = [v.text or '' for v in f.findall('{%s}value' % NS['data'])]
    return out


def submit(m, frm, room, fields, id_='cfgset'):
    """Submits a configuration form with these vars as given (no prefixing)."""
    body = ["<query xmlns='%s'><x xmlns='jabber:x:data' type='submit'>" % NS['muc_owner'],
            "<field var='FORM_TYPE'><value>%s</value></field>" % NS['muc_roomconfig']]
    for var, val in fields.items():
        body.append("<field var='%s'><value>%s</value></field>" % (var, escape(str(val))))
    body.append('</x></query>')
    return m.iq(frm, room_jid(room), 'set', ''.join(body), id_=id_)


def game_room(m, room='g', config=None, options=None):
    """owner creates the room, white joins and is made a player, kibitz
    joins as a participant. Returns nothing; the queue is drained."""
    m.create(OWNER, room, 'owner', config)
    if options:
        res = submit(m, OWNER, room, options)
        assert res.get('type') == 'result', tostring(res)
        m.collect()
    m.join(PLAYER, room, 'white')
    m.join(KIBITZ, room, 'kibitz')
    res = admin_set(m, OWNER, room, [{'nick': 'white', 'affiliation': 'player'}])
    assert res.get('type') == 'result', tostring(res)
    m.collect()
