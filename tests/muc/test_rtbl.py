"""muc-core: real-time block lists (RTBL-1), as mod_muc_rtbl: once connected,
the service subscribes to each <rtbl> node (XEP-0060) and fetches its items
(paged with XEP-0059 when the service pages); an item id is the hex SHA-256
of a bare JID; a listed JID's join is refused (forbidden) and a listed
occupant is removed (307) from every room, at once when a notification lists
it; a retraction lets it back; a reconnect fetches the lists anew; bad
<rtbl> elements stop start-up with FILE:LINE and the fix."""

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mucutil import (MUC, NS, DOMAIN, occ, is_presence, describe, assert_error,  # noqa: E402
                     codes, item, actor_reason, error_text, local)
from fakerouter import SLOW  # noqa: E402
from taptest import run  # noqa: E402

SVC, NODE = 'pubsub.localhost', 'muc_bans_sha256'
PS, PSE, RSM = ('http://jabber.org/protocol/pubsub', 'http://jabber.org/protocol/pubsub#event',
                NS['rsm'])
RTBL = "<rtbl service='%s' node='%s'/>" % (SVC, NODE)
A, B, C = 'alice@localhost/pc', 'bob@localhost/phone', 'carol@example.net/x'


def h(bare):
    return hashlib.sha256(bare.encode()).hexdigest()


def requests(got, svc=SVC):
    """The pubsub requests in got: {what: iq}."""
    out = {}
    for s in got:
        if local(s.tag) != 'iq' or s.get('to') != svc:
            continue
        ps = s.find('{%s}pubsub' % PS)
        assert ps is not None and len(ps), describe([s])
        out.setdefault(local(ps[0].tag), []).append(s)
    return out


def answer_items(m, iq, ids, rsm_set=''):
    m.send("<iq type='result' from='%s' to='%s' id='%s'><pubsub xmlns='%s'>"
           "<items node='%s'>%s</items>%s</pubsub></iq>" % (
               iq.get('to'), DOMAIN, iq.get('id'), PS, NODE,
               ''.join("<item id='%s'/>" % i for i in ids), rsm_set))


def answer_result(m, iq):
    m.send("<iq type='result' from='%s' to='%s' id='%s'/>" % (iq.get('to'), DOMAIN, iq.get('id')))


def connect_fetch(m, ids=()):
    """The requests after connecting: subscribe and items, both answered."""
    got = m.r.collect(quiet=0.5, first=5.0 * SLOW)
    req = requests(got)
    assert set(req) == {'subscribe', 'items'}, describe(got)
    sub = req['subscribe'][0]
    assert sub.get('type') == 'set' and sub.get('from') == DOMAIN, describe([sub])
    s = sub.find('{%s}pubsub/{%s}subscribe' % (PS, PS))
    assert s.get('node') == NODE and s.get('jid') == DOMAIN, describe([sub])
    it = req['items'][0]
    assert it.get('type') == 'get' and it.find('{%s}pubsub/{%s}items' % (PS, PS)).get(
        'node') == NODE, describe([it])
    answer_result(m, sub)
    answer_items(m, it, ids)
    return got


def event(m, inner, frm=SVC):
    m.send("<message from='%s' to='%s'><event xmlns='%s'><items node='%s'>%s</items></event>"
           "</message>" % (frm, DOMAIN, PSE, NODE, inner))


def joined(got, frm):
    return [s for s in got if is_presence(s) and s.get('to') == frm and s.get('type') is None]


def assert_blocked(got, jid, room, nick):
    e = assert_error(got, jid, 'auth', 'forbidden', frm=occ(room, nick))
    assert 'block list' in error_text(e), describe(got)


def test_rtbl_1_subscribe_and_fetch_after_connect():
    with MUC(muc_config=RTBL) as m:
        connect_fetch(m, [h('bob@localhost')])
        m.nothing()
        m.r.wait_log('rtbl: 1 entries in muc_bans_sha256 on pubsub.localhost', timeout=5 * SLOW)


def test_rtbl_2_listed_jid_cannot_join():
    with MUC(muc_config=RTBL) as m:
        connect_fetch(m, [h('bob@localhost'), h('carol@example.net').upper()])
        m.create(A, 'r', 'alice')
        assert_blocked(m.join(B, 'r', 'bob'), B, 'r', 'bob')
        # nor create a room
        assert_blocked(m.join(B, 'new', 'bob'), B, 'new', 'bob')
        # uppercase hex lists too; others join
        assert_blocked(m.join(C, 'r', 'carol'), C, 'r', 'carol')
        assert joined(m.join('dave@localhost/x', 'r', 'dave'), 'dave@localhost/x')


def test_rtbl_3_published_occupant_removed_from_every_room():
    with MUC(muc_config=RTBL) as m:
        connect_fetch(m)
        m.create(A, 'r1', 'alice')
        m.create(A, 'r2', 'alice')
        assert joined(m.join(B, 'r1', 'bob'), B)
        assert joined(m.join(B, 'r2', 'bobby'), B)
        event(m, "<item id='%s'/>" % h('bob@localhost'))
        got = m.collect()
        gone = [s for s in got if is_presence(s) and s.get('type') == 'unavailable']
        to_bob = [s for s in gone if s.get('to') == B]
        to_alice = [s for s in gone if s.get('to') == A]
        assert sorted(s.get('from') for s in to_bob) == [occ('r1', 'bob'), occ('r2', 'bobby')], \
            describe(got)
        assert sorted(s.get('from') for s in to_alice) == [occ('r1', 'bob'), occ('r2', 'bobby')], \
            describe(got)
        for s in gone:
            assert 307 in codes(s), describe([s])
            assert item(s).get('role') == 'none', describe([s])
            assert 'block list' in (actor_reason(s)[1] or ''), describe([s])
        assert {110, 307} <= codes(to_bob[0]), describe(to_bob)
        assert_blocked(m.join(B, 'r1', 'bob'), B, 'r1', 'bob')
        # an event from another JID or about another node changes nothing
        event(m, "<item id='%s'/>" % h('carol@example.net'), frm='evil.localhost')
        assert joined(m.join(C, 'r1', 'carol'), C)


def test_rtbl_4_retract_lets_them_join_again():
    with MUC(muc_config=RTBL) as m:
        connect_fetch(m, [h('bob@localhost')])
        m.create(A, 'r', 'alice')
        assert_blocked(m.join(B, 'r', 'bob'), B, 'r', 'bob')
        event(m, "<retract id='%s'/>" % h('bob@localhost'))
        m.nothing()
        assert joined(m.join(B, 'r', 'bob'), B)


def test_rtbl_5_reconnect_fetches_again():
    with MUC(muc_config=RTBL) as m:
        connect_fetch(m, [h('bob@localhost')])
        m.create(A, 'r', 'alice')
        assert joined(m.join(C, 'r', 'carol'), C)
        m.r.close_connection()
        m.r.wait_connection(timeout=15 * SLOW)
        # the new fetch: bob no longer listed, carol listed (she is removed)
        got = m.r.collect(quiet=0.5, first=5.0 * SLOW)
        req = requests(got)
        assert set(req) >= {'subscribe', 'items'}, describe(got)
        answer_result(m, req['subscribe'][0])
        answer_items(m, req['items'][0], [h('carol@example.net')])
        got = m.collect()
        gone = [s for s in got if is_presence(s) and s.get('type') == 'unavailable'
                and s.get('from') == occ('r', 'carol')]
        assert gone and all(307 in codes(s) for s in gone), describe(got)
        assert joined(m.join(B, 'r', 'bob'), B)


def test_rtbl_6_pages_with_rsm():
    with MUC(muc_config=RTBL) as m:
        got = m.r.collect(quiet=0.5, first=5.0 * SLOW)
        req = requests(got)
        it = req['items'][0]
        assert it.find('{%s}pubsub/{%s}set/{%s}max' % (PS, RSM, RSM)) is not None, describe([it])
        answer_result(m, req['subscribe'][0])
        answer_items(m, it, [h('bob@localhost')],
                     "<set xmlns='%s'><first>x</first><last>%s</last><count>2</count></set>"
                     % (RSM, h('bob@localhost')))
        got = m.r.collect(quiet=0.5, first=5.0 * SLOW)
        nxt = requests(got)['items'][0]
        after = nxt.find('{%s}pubsub/{%s}set/{%s}after' % (PS, RSM, RSM))
        assert after is not None and after.text == h('bob@localhost'), describe([nxt])
        answer_items(m, nxt, [h('carol@example.net')],
                     "<set xmlns='%s'><last>%s</last><count>2</count></set>"
                     % (RSM, h('carol@example.net')))
        m.nothing()
        m.create(A, 'r', 'alice')
        assert_blocked(m.join(B, 'r', 'bob'), B, 'r', 'bob')
        assert_blocked(m.join(C, 'r', 'carol'), C, 'r', 'carol')


def test_rtbl_7_several_lists():
    two = RTBL + "<rtbl service='other.example' node='list2'/>"
    with MUC(muc_config=two) as m:
        got = m.r.collect(quiet=0.5, first=5.0 * SLOW)
        assert set(requests(got)) == {'subscribe', 'items'}, describe(got)
        other = requests(got, 'other.example')
        assert set(other) == {'subscribe', 'items'}, describe(got)
        iq = other['items'][0]
        m.send("<iq type='result' from='other.example' to='%s' id='%s'><pubsub xmlns='%s'>"
               "<items node='list2'><item id='%s'/></items></pubsub></iq>"
               % (DOMAIN, iq.get('id'), PS, h('carol@example.net')))
        m.create(A, 'r', 'alice')
        assert_blocked(m.join(C, 'r', 'carol'), C, 'r', 'carol')
        assert joined(m.join(B, 'r', 'bob'), B)


def test_rtbl_8_purge_empties_the_list():
    with MUC(muc_config=RTBL) as m:
        connect_fetch(m, [h('bob@localhost'), h('carol@example.net')])
        m.create(A, 'r', 'alice')
        assert_blocked(m.join(B, 'r', 'bob'), B, 'r', 'bob')
        m.send("<message from='%s' to='%s'><event xmlns='%s'><purge node='%s'/></event>"
               "</message>" % (SVC, DOMAIN, PSE, NODE))
        m.nothing()
        assert joined(m.join(B, 'r', 'bob'), B)
        assert joined(m.join(C, 'r', 'carol'), C)


def check_config(xml):
    d = tempfile.mkdtemp(prefix='palaver-rtbl-')
    cfg = os.path.join(d, 'palaver.xml')
    try:
        with open(cfg, 'w') as f:
            f.write("<palaver>\n<name>muc.localhost</name><ip>127.0.0.1</ip>\n"
                    "<port>5347</port><secret>s</secret><backend><type>memory</type>\n"
                    "</backend><spool>%s</spool>\n<plugins>\n<muc-core>\n%s\n"
                    "</muc-core>\n</plugins>\n</palaver>\n" % (d, xml))
        p = subprocess.run([os.environ['PALAVER_BIN'], '-c', cfg, '--check-config'],
                           capture_output=True, text=True, timeout=30)
        return p.returncode, p.stdout + p.stderr, cfg
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_rtbl_9_bad_settings_name_file_line_and_fix():
    rc, out, _ = check_config(RTBL + "<rtbl service='xmppbl.org' node='muc_bans_sha256'/>")
    assert rc == 0, out
    cases = [("<rtbl node='n'/>", "needs the pubsub service's JID"),
             ("<rtbl service='a@@b' node='n'/>", "needs the pubsub service's JID"),
             ("<rtbl service='p.example/res' node='n'/>", "needs the pubsub service's JID"),
             ("<rtbl service='p.example'/>", "needs the pubsub node"),
             ("<rtbl service='p.example' node='n' max='3'/>", "unknown attribute 'max'")]
    for xml, what in cases:
        rc, out, cfg = check_config(xml)
        assert rc != 0, (xml, out)
        # the <rtbl> element is on line 7 of the file written above
        assert re.search(re.escape(cfg) + r':7: muc-core: .*' + re.escape(what), out), (xml, out)
        assert "<rtbl service=" in out, out


run(globals())
