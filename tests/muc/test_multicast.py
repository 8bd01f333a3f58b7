"""muc-core: fan-out through the host's XEP-0033 multicast service (<multicast>).

Groupchat messages and the shared presence variants go to the service as one
stanza with bcc addresses, split at the limit; a single recipient, the
self-presence (status codes) and everything while the service is unknown or
after it bounced a stanza go out as one copy per recipient. Off by default.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mucutil import (MUC, NS, occ, to, is_presence, is_message, describe, tostring,  # noqa: E402
                     body_of, occupant_id, codes, item)
from taptest import run  # noqa: E402

NS_ADDR = 'http://jabber.org/protocol/address'
SERVICE = 'multicast.localhost'
A, B, C = 'alice@localhost/pc', 'bob@localhost/phone', 'carol@example.net/x'
D, E = 'dave@localhost/d', 'eve@localhost/e'


def addresses(el):
    a = el.find('{%s}addresses' % NS_ADDR)
    if a is None:
        return None
    out = []
    for ad in a.findall('{%s}address' % NS_ADDR):
        assert ad.get('type') == 'bcc', tostring(el)
        out.append(ad.get('jid'))
    return out


def to_service(got):
    return [s for s in got if s.get('to') == SERVICE]


def recipients(got):
    """Every recipient a groupchat reached, directly or through the service."""
    out = []
    for s in got:
        if s.get('to') == SERVICE:
            out += addresses(s)
        else:
            out.append(s.get('to'))
    return sorted(out)


def room_of(m, *users):
    m.create(users[0], 'r', 'n0')
    for i, u in enumerate(users[1:], 1):
        m.join(u, 'r', 'n%d' % i)


def test_multicast_off_by_default():
    with MUC() as m:
        room_of(m, A, B, C)
        got = m.groupchat(B, 'r', 'hi')
        assert sorted(s.get('to') for s in got) == sorted([A, B, C]), describe(got)
        assert all(s.find('{%s}addresses' % NS_ADDR) is None for s in got), describe(got)


def test_multicast_groupchat_one_stanza():
    with MUC('<multicast>%s</multicast>' % SERVICE) as m:
        room_of(m, A, B, C)
        got = m.groupchat(B, 'r', 'hello <all>', id_='abc')
        assert len(got) == 1 and got[0].get('to') == SERVICE, describe(got)
        s = got[0]
        assert is_message(s) and s.get('type') == 'groupchat', tostring(s)
        assert s.get('from') == occ('r', 'n1') and s.get('id') == 'abc', tostring(s)
        assert body_of(s) == 'hello <all>' and occupant_id(s), tostring(s)
        assert sorted(addresses(s)) == sorted([A, B, C]), tostring(s)


def test_multicast_split_at_limit():
    with MUC('<multicast>%s</multicast><multicast-limit>2</multicast-limit>' % SERVICE) as m:
        room_of(m, A, B, C, D, E)
        got = m.groupchat(A, 'r', 'split')
        batches = to_service(got)
        assert [len(addresses(s)) for s in batches] == [2, 2], describe(got)
        direct = [s for s in got if s.get('to') != SERVICE]
        assert len(direct) == 1 and direct[0].find('{%s}addresses' % NS_ADDR) is None, \
            describe(got)
        assert recipients(got) == sorted([A, B, C, D, E]), describe(got)


def test_multicast_presence_shared_variants_only():
    with MUC('<multicast>%s</multicast>' % SERVICE) as m:
        room_of(m, A, B, C)
        got = m.join(D, 'r', 'dave')
        # the broadcast of dave's presence: bob and carol share the variant
        # without jid (semi-anonymous room), alice (owner, moderator) alone
        # gets the one with jid, and dave his own with status 110
        mc = [s for s in to_service(got) if is_presence(s)]
        assert len(mc) == 1 and sorted(addresses(mc[0])) == sorted([B, C]), describe(got)
        assert mc[0].get('from') == occ('r', 'dave'), tostring(mc[0])
        assert item(mc[0]).get('jid') is None and 110 not in codes(mc[0]), tostring(mc[0])
        to_a = [s for s in to(got, A) if is_presence(s)]
        assert len(to_a) == 1 and item(to_a[0]).get('jid') == D, describe(got)
        self_p = [s for s in to(got, D) if is_presence(s) and s.get('from') == occ('r', 'dave')]
        assert len(self_p) == 1 and 110 in codes(self_p[0]), describe(got)
        assert self_p[0].find('{%s}addresses' % NS_ADDR) is None


def test_multicast_bounce_falls_back_to_copies():
    with MUC('<multicast>%s</multicast>' % SERVICE) as m:
        room_of(m, A, B, C)
        got = m.groupchat(B, 'r', 'first')
        assert len(got) == 1 and got[0].get('to') == SERVICE, describe(got)
        addrs = ''.join("<address type='bcc' jid='%s'/>" % j for j in addresses(got[0]))
        m.send("<message from='%s' to='%s' type='error' id='m1'><body>first</body>"
               "<addresses xmlns='%s'>%s</addresses><error type='auth'>"
               "<forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>"
               % (SERVICE, occ('r', 'n1'), NS_ADDR, addrs))
        back = m.collect()
        assert sorted(s.get('to') for s in back) == sorted([A, B, C]), describe(back)
        for s in back:
            assert s.get('type') == 'groupchat' and body_of(s) == 'first', tostring(s)
            assert s.get('from') == occ('r', 'n1') and s.find('{%s}error' % NS['stanzas']) is None
            assert s.find('{%s}addresses' % NS_ADDR) is None, tostring(s)
        got = m.groupchat(B, 'r', 'second')
        assert sorted(s.get('to') for s in got) == sorted([A, B, C]), describe(got)
        assert 'refused' in m.r.stderr()


def disco_answer(m, iq, features=(), items=(), form=''):
    q = iq[0]
    ns = q.tag.split('}')[0][1:]
    inner = ''.join("<feature var='%s'/>" % f for f in features) + form
    inner += ''.join("<item jid='%s'/>" % j for j in items)
    m.send("<iq type='result' id='%s' from='%s' to='%s'><query xmlns='%s'>%s</query></iq>"
           % (iq.get('id'), iq.get('to'), iq.get('from'), ns, inner))


def test_multicast_auto_discovers_item_and_limit():
    with MUC('<multicast>auto</multicast>') as m:
        iq = m.r.expect()
        assert iq.get('to') == 'localhost' and iq.get('type') == 'get', tostring(iq)
        assert iq[0].tag == '{%s}query' % NS['disco_info'], tostring(iq)
        disco_answer(m, iq, features=[NS['disco_info']])
        iq = m.r.expect()
        assert iq.get('to') == 'localhost' and iq[0].tag == '{%s}query' % NS['disco_items']
        disco_answer(m, iq, items=['muc.localhost', 'pubsub.localhost', SERVICE])
        asked = m.collect()
        assert sorted(i.get('to') for i in asked) == sorted(['pubsub.localhost', SERVICE]), \
            describe(asked)
        for i in asked:
            if i.get('to') == SERVICE:
                form = ("<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' "
                        "type='hidden'><value>%s</value></field><field var='message'>"
                        "<value>3</value></field></x>" % NS_ADDR)
                disco_answer(m, i, features=[NS_ADDR], form=form)
            else:
                disco_answer(m, i, features=[NS['disco_info']])
        assert m.collect() == []
        room_of(m, A, B, C, D, E)
        got = m.groupchat(A, 'r', 'auto')
        assert [len(addresses(s)) for s in to_service(got)] == [3, 2], describe(got)
        assert recipients(got) == sorted([A, B, C, D, E]), describe(got)


def test_multicast_auto_host_itself():
    with MUC('<multicast>auto</multicast>') as m:
        iq = m.r.expect()
        disco_answer(m, iq, features=[NS_ADDR])
        room_of(m, A, B, C)
        got = m.groupchat(C, 'r', 'via host')
        assert len(got) == 1 and got[0].get('to') == 'localhost', describe(got)
        # without a form the limit is XEP-0033's 20 for a remote sender
        assert sorted(addresses(got[0])) == sorted([A, B, C])


def test_multicast_auto_none_found_copies():
    with MUC('<multicast>auto</multicast>') as m:
        iq = m.r.expect()
        disco_answer(m, iq)
        iq = m.r.expect()
        disco_answer(m, iq, items=[])
        room_of(m, A, B, C)
        got = m.groupchat(C, 'r', 'plain')
        assert sorted(s.get('to') for s in got) == sorted([A, B, C]), describe(got)
        assert 'offers no XEP-0033' in m.r.stderr()


def test_multicast_bad_value_refused():
    import subprocess
    import tempfile
    d = tempfile.mkdtemp(prefix='palaver-mc-')
    cfg = os.path.join(d, 'palaver.xml')
    with open(cfg, 'w') as f:
        f.write("<palaver><name>muc.localhost</name><ip>127.0.0.1</ip>"
                "<port>5347</port><secret>s</secret><backend><type>memory</type>"
                "</backend><plugins><muc-core><multicast>a@@b</multicast></muc-core></plugins>"
                "</palaver>")
    p = subprocess.run([os.environ['PALAVER_BIN'], '-c', cfg, '--check-config'],
                       capture_output=True, text=True, timeout=30)
    os.unlink(cfg)
    os.rmdir(d)
    assert p.returncode != 0 and '<multicast> must be' in p.stderr, (p.returncode, p.stderr)


if __name__ == '__main__':
    run(globals())
