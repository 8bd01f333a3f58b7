"""AVATAR-1: room avatars (XEP-0486 with vcard-temp and the XEP-0153 update
element). Owners set the room's vCard photo; whoever may see the room gets
it back; its SHA-1 is muc#roominfo_avatarhash in the room's disco#info
(with and without disco-extended) beside the vcard-temp feature; occupants
and joiners get the update presence from the room JID (and a status 104
message); the avatar survives a restart (sqlite); non-owners, oversized
images and malformed vCards are refused. The feature is muc-core's
companion plugin room-avatars: turned off, it is absent, and a room's
avatar stays stored."""

import base64
import hashlib
import os
import shutil
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mucutil import (MUC, NS, room_jid, to, is_presence, is_message, codes, describe,  # noqa: E402
                     cond, tostring, local, DOMAIN, Router, error_condition, error_text)
from taptest import run  # noqa: E402

OWNER, ALICE, BOB, CAROL = ('owner@localhost/pc', 'alice@localhost/pc', 'bob@localhost/pc',
                            'carol@example.net/x')
NS_VC = NS['vcard']
NS_UPD = NS['vcard_update']
INFO = "<query xmlns='%s'/>" % NS['disco_info']
PNG = b'\x89PNG\r\n\x1a\n' + bytes(range(256)) * 3


def q(name, ns):
    return '{%s}%s' % (ns, name)


def vcard(data=None, type_='image/png', fold=True):
    if data is None:
        return "<vCard xmlns='%s'/>" % NS_VC
    b64 = base64.b64encode(data).decode()
    if fold:  # vCard BINVAL is often folded into lines
        b64 = '\n'.join(b64[i:i + 76] for i in range(0, len(b64), 76))
    t = '<TYPE>%s</TYPE>' % type_ if type_ is not None else ''
    return "<vCard xmlns='%s'><FN>ignored</FN><PHOTO>%s<BINVAL>%s</BINVAL></PHOTO></vCard>" % (
        NS_VC, t, b64)


def set_vcard(m, frm, room, payload, id_='vc'):
    """Sends the set; returns (answer, everything else that followed)."""
    m.send("<iq type='set' id='%s' from='%s' to='%s'>%s</iq>" % (id_, frm, room_jid(room), payload))
    got = m.collect()
    ans = [s for s in got if local(s.tag) == 'iq' and s.get('id') == id_]
    assert len(ans) == 1, describe(got)
    return ans[0], [s for s in got if s is not ans[0]]


def get_photo(m, frm, room, id_='get'):
    """(type, bytes) of the room's vCard photo, (None, None) without one; the
    answer when it is an error."""
    res = m.iq(frm, room_jid(room), 'get', "<vCard xmlns='%s'/>" % NS_VC, id_=id_)
    if res.get('type') != 'result':
        return res
    v = res.find(q('vCard', NS_VC))
    assert v is not None, tostring(res)
    ph = v.find(q('PHOTO', NS_VC))
    if ph is None:
        return None, None
    return ph.find(q('TYPE', NS_VC)).text, base64.b64decode(ph.find(q('BINVAL', NS_VC)).text)


def disco(m, frm, room, id_='d'):
    res = m.iq(frm, room_jid(room), 'get', INFO, id_=id_)
    assert res.get('type') == 'result', tostring(res)
    feats = {f.get('var') for f in res.iter(q('feature', NS['disco_info']))}
    forms = []
    for x in res.iter(q('x', NS['data'])):
        fields = {}
        for f in x.findall(q('field', NS['data'])):
            fields.setdefault(f.get('var'), []).extend(
                v.text or '' for v in f.findall(q('value', NS['data'])))
        if fields.get('FORM_TYPE') == [NS['muc_roominfo']]:
            forms.append(fields)
    return feats, forms


def update_hash(el):
    """The photo hash of a vcard-temp:x:update presence ('' when empty)."""
    x = el.find(q('x', NS_UPD))
    ph = x.find(q('photo', NS_UPD)) if x is not None else None
    return None if ph is None else (ph.text or '')


def updates(stanzas, jid, room):
    return [update_hash(s) for s in to(stanzas, jid)
            if is_presence(s) and s.get('from') == room_jid(room) and update_hash(s) is not None]


def test_avatar_1_set_get_notify_and_disco():
    sha = hashlib.sha1(PNG).hexdigest()
    with MUC() as m:
        m.create(OWNER, 'r', 'owner', {'publicroom': 1})
        m.join(ALICE, 'r', 'alice')
        feats, forms = disco(m, CAROL, 'r', 'd0')
        assert 'vcard-temp' in feats and forms == [], (feats, forms)
        assert get_photo(m, ALICE, 'r', 'g0') == (None, None)
        ans, got = set_vcard(m, OWNER, 'r', vcard(PNG))
        assert ans.get('type') == 'result' and ans.get('to') == OWNER, tostring(ans)
        for who in (OWNER, ALICE):
            assert updates(got, who, 'r') == [sha], describe(got)
            notes = [s for s in to(got, who) if is_message(s)]
            assert len(notes) == 1 and 104 in codes(notes[0]), describe(got)
            assert notes[0].get('from') == room_jid('r'), describe(got)
        # anyone who may see the room reads it back
        assert get_photo(m, ALICE, 'r', 'g1') == ('image/png', PNG)
        assert get_photo(m, CAROL, 'r', 'g2') == ('image/png', PNG)
        # muc-core's own roominfo form carries the hash when disco-extended is absent
        feats, forms = disco(m, CAROL, 'r', 'd1')
        assert 'vcard-temp' in feats, feats
        assert len(forms) == 1 and forms[0]['muc#roominfo_avatarhash'] == [sha], forms
        # joiners learn the hash from the room's presence
        got = m.join(BOB, 'r', 'bob')
        assert updates(got, BOB, 'r') == [sha], describe(got)
        # a new image: new hash for everyone
        other = b'GIF89a' + bytes(100)
        ans, got = set_vcard(m, OWNER, 'r', vcard(other, 'image/gif', fold=False), id_='vc2')
        assert ans.get('type') == 'result', tostring(ans)
        sha2 = hashlib.sha1(other).hexdigest()
        assert updates(got, BOB, 'r') == [sha2] and updates(got, ALICE, 'r') == [sha2]
        assert get_photo(m, BOB, 'r', 'g3') == ('image/gif', other)
        # removal: an empty vCard; an empty <photo/> tells the occupants
        ans, got = set_vcard(m, OWNER, 'r', vcard(None), id_='vc3')
        assert ans.get('type') == 'result', tostring(ans)
        assert updates(got, ALICE, 'r') == [''], describe(got)
        assert get_photo(m, ALICE, 'r', 'g4') == (None, None)
        feats, forms = disco(m, CAROL, 'r', 'd2')
        assert 'vcard-temp' in feats and forms == [], forms
        got = m.join('dave@localhost/x', 'r', 'dave')
        assert updates(got, 'dave@localhost/x', 'r') == [], describe(got)


def test_avatar_1_errors():
    with MUC(muc_config='<avatar-max-bytes>100</avatar-max-bytes>') as m:
        m.create(OWNER, 'r', 'owner', {'publicroom': 1})
        m.join(ALICE, 'r', 'alice')
        # non-owners: forbidden, nothing changes, nobody is told
        ans, got = set_vcard(m, ALICE, 'r', vcard(bytes(10)), id_='e1')
        assert cond(ans) == ('auth', 'forbidden'), tostring(ans)
        assert got == [], describe(got)
        res = m.iq(OWNER, room_jid('r'), 'set', owner_admin('alice@localhost', 'admin'), 'adm')
        assert res.get('type') == 'result', tostring(res)
        m.collect()
        ans, _ = set_vcard(m, ALICE, 'r', vcard(bytes(10)), id_='e2')
        assert cond(ans) == ('auth', 'forbidden'), 'admins are not owners: ' + tostring(ans)
        # the configured limit (decoded bytes)
        ans, got = set_vcard(m, OWNER, 'r', vcard(bytes(101)), id_='e3')
        assert cond(ans) == ('modify', 'not-acceptable'), tostring(ans)
        assert error_text(ans) == ('The avatar is too large: this service accepts at most '
                                   '100 bytes'), tostring(ans)
        assert got == [], describe(got)
        ans, _ = set_vcard(m, OWNER, 'r', vcard(bytes(100)), id_='e4')
        assert ans.get('type') == 'result', tostring(ans)
        # malformed
        ans, _ = set_vcard(m, OWNER, 'r', vcard(bytes(5), type_=None), id_='e5')
        assert cond(ans) == ('modify', 'bad-request'), tostring(ans)
        ans, _ = set_vcard(m, OWNER, 'r', "<vCard xmlns='%s'><PHOTO><TYPE>image/png</TYPE>"
                           "<BINVAL>not*base64!</BINVAL></PHOTO></vCard>" % NS_VC, id_='e6')
        assert cond(ans) == ('modify', 'bad-request'), tostring(ans)
        ans, _ = set_vcard(m, OWNER, 'r', "<vCard xmlns='%s'><PHOTO><EXTVAL>https://example.org/"
                           "a.png</EXTVAL></PHOTO></vCard>" % NS_VC, id_='e8')
        assert cond(ans) == ('modify', 'not-acceptable'), tostring(ans)
        assert get_photo(m, CAROL, 'r', 'g1') == ('image/png', bytes(100))
        # rooms that do not exist, or that the asker may not see
        res = get_photo(m, CAROL, 'nowhere', 'g2')
        assert cond(res) == ('cancel', 'item-not-found'), tostring(res)
        m.create(OWNER, 'hidden', 'owner', {'publicroom': 0, 'membersonly': 1})
        res = get_photo(m, CAROL, 'hidden', 'g3')
        assert cond(res) == ('cancel', 'item-not-found'), tostring(res)
        ans, _ = set_vcard(m, CAROL, 'hidden', vcard(bytes(3)), id_='e7')
        assert cond(ans) == ('cancel', 'item-not-found'), tostring(ans)
    with MUC() as m:  # the default limit is 64 KiB
        m.create(OWNER, 'r', 'owner')
        ans, _ = set_vcard(m, OWNER, 'r', vcard(bytes(65537)), id_='big')
        assert cond(ans) == ('modify', 'not-acceptable'), tostring(ans)
        ans, _ = set_vcard(m, OWNER, 'r', vcard(bytes(65536)), id_='max')
        assert ans.get('type') == 'result', tostring(ans)


def owner_admin(jid, aff):
    return ("<query xmlns='%s'><item affiliation='%s' jid='%s'/></query>"
            % (NS['muc_admin'], aff, jid))


def check_survives_restart(make):
    """make(tmpdir) -> a started MUC on the backend under test; each call
    must reach the same stored data."""
    sha = hashlib.sha1(PNG).hexdigest()
    tmp = tempfile.mkdtemp(prefix='palaver-avatar-')
    try:
        with make(tmp) as m:
            m.create(OWNER, 'keep', 'owner', {'persistentroom': 1, 'publicroom': 1})
            ans, _ = set_vcard(m, OWNER, 'keep', vcard(PNG))
            assert ans.get('type') == 'result', tostring(ans)
            # a later configuration change keeps it
            res = m.configure(OWNER, 'keep', {'persistentroom': 1, 'roomname': 'Renamed'})
            assert res.get('type') == 'result', tostring(res)
            m.collect()
            # temporary rooms keep theirs in memory only
            m.create(OWNER, 'temp', 'owner')
            ans, _ = set_vcard(m, OWNER, 'temp', vcard(b'x' * 10), id_='t')
            assert ans.get('type') == 'result', tostring(ans)
        with make(tmp) as m:
            assert get_photo(m, CAROL, 'keep', 'g1') == ('image/png', PNG)
            feats, forms = disco(m, CAROL, 'keep')
            assert 'vcard-temp' in feats and forms[0]['muc#roominfo_avatarhash'] == [sha], forms
            res = m.iq(CAROL, room_jid('keep'), 'get', INFO, id_='n')
            assert res.find('.//{%s}identity' % NS['disco_info']).get('name') == 'Renamed'
            got = m.join(ALICE, 'keep', 'alice')
            assert updates(got, ALICE, 'keep') == [sha], describe(got)
            # removal is stored too
            ans, _ = set_vcard(m, OWNER, 'keep', vcard(None), id_='rm')
            assert ans.get('type') == 'result', tostring(ans)
        with make(tmp) as m:
            assert get_photo(m, CAROL, 'keep', 'g2') == (None, None)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_avatar_1_survives_restart_sqlite():
    check_survives_restart(lambda d: MUC(backend='sqlite', tmpdir=d))


def test_avatar_1_survives_restart_spool():
    check_survives_restart(lambda d: MUC(backend='spool', tmpdir=d))


def test_avatar_1_roominfo_with_disco_extended():
    sha = hashlib.sha1(PNG).hexdigest()
    with MUC(plugins=('muc-core', 'disco-extended')) as m:
        m.create(OWNER, 'r', 'owner', {'publicroom': 1, 'roomdesc': 'About r'})
        feats, forms = disco(m, CAROL, 'r', 'd0')
        assert len(forms) == 1 and 'muc#roominfo_avatarhash' not in forms[0], forms
        ans, _ = set_vcard(m, OWNER, 'r', vcard(PNG))
        assert ans.get('type') == 'result', tostring(ans)
        feats, forms = disco(m, CAROL, 'r', 'd1')
        # one form: disco-extended's, with the hash once beside its fields
        assert 'vcard-temp' in feats, feats
        assert len(forms) == 1, forms
        assert forms[0]['muc#roominfo_avatarhash'] == [sha], forms
        assert forms[0]['muc#roominfo_description'] == ['About r'], forms


class _AvatarsOff(Router):
    """The daemon's config with <room-avatars enabled='false'/> in <plugins>."""

    def config_xml(self):
        xml = super().config_xml()
        assert '<room-avatars></room-avatars>' in xml, xml
        return xml.replace('<room-avatars></room-avatars>', "<room-avatars enabled='false'/>")


def muc_without_avatars(backend='memory', tmpdir=None):
    """MUC with muc-core's companion room-avatars turned off."""
    m = MUC.__new__(MUC)
    m.r = _AvatarsOff(domain=DOMAIN, backend=backend, plugins=['muc-core', 'room-avatars'],
                      tmpdir=tmpdir)
    return m


def error_of(res):
    return res.get('type'), error_condition(res)


def test_avatar_1_absent_when_turned_off():
    """room-avatars is muc-core's companion: <room-avatars enabled='false'/>
    takes the feature away (no vcard-temp feature or hash in disco#info; a
    room vCard get or set is answered as an IQ nobody handles is), and the
    avatar a room has stays stored for when it is turned on again."""
    sha = hashlib.sha1(PNG).hexdigest()
    tmp = tempfile.mkdtemp(prefix='palaver-avatar-off-')
    try:
        with MUC(backend='sqlite', tmpdir=tmp) as m:
            m.create(OWNER, 'keep', 'owner', {'persistentroom': 1, 'publicroom': 1})
            ans, _ = set_vcard(m, OWNER, 'keep', vcard(PNG))
            assert ans.get('type') == 'result', tostring(ans)
        with muc_without_avatars(backend='sqlite', tmpdir=tmp) as m:
            feats, forms = disco(m, CAROL, 'keep')
            assert 'vcard-temp' not in feats, feats
            assert forms == [], forms
            unknown = m.iq(OWNER, room_jid('keep'), 'get', "<query xmlns='urn:example:none'/>",
                           id_='u')
            assert unknown.get('type') == 'error', tostring(unknown)
            for type_, payload in (('get', "<vCard xmlns='%s'/>" % NS_VC),
                                   ('set', vcard(PNG))):
                res = m.iq(OWNER, room_jid('keep'), type_, payload, id_='v' + type_)
                assert error_of(res) == error_of(unknown), (tostring(res), tostring(unknown))
            got = m.join(ALICE, 'keep', 'alice')
            assert updates(got, ALICE, 'keep') == [], describe(got)
        with MUC(backend='sqlite', tmpdir=tmp) as m:
            assert get_photo(m, CAROL, 'keep') == ('image/png', PNG)
            feats, forms = disco(m, CAROL, 'keep')
            assert 'vcard-temp' in feats and forms[0]['muc#roominfo_avatarhash'] == [sha], forms
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_avatar_1_sighup_changes_the_limit():
    """A reload with another <avatar-max-bytes> (muc-core's element) counts for
    avatars set afterwards."""
    with MUC(muc_config='<avatar-max-bytes>100</avatar-max-bytes>') as m:
        m.create(OWNER, 'r', 'owner')
        ans, _ = set_vcard(m, OWNER, 'r', vcard(bytes(150)), id_='before')
        assert cond(ans) == ('modify', 'not-acceptable'), tostring(ans)
        m.r.plugin_config['muc-core'] = '<avatar-max-bytes>200</avatar-max-bytes>'
        with open(m.r.config_path, 'w', encoding='utf-8') as f:
            f.write(m.r.config_xml())
        m.r.signal(signal.SIGHUP)
        deadline, n = time.monotonic() + 10, 0
        while True:
            n += 1
            ans, _ = set_vcard(m, OWNER, 'r', vcard(bytes(150)), id_='after%d' % n)
            if ans.get('type') == 'result':
                break
            assert error_text(ans).endswith('at most 100 bytes'), tostring(ans)
            assert time.monotonic() < deadline, 'the reload did not count: ' + tostring(ans)
            time.sleep(0.2)
        ans, _ = set_vcard(m, OWNER, 'r', vcard(bytes(201)), id_='big')
        assert error_text(ans) == ('The avatar is too large: this service accepts at most '
                                   '200 bytes'), tostring(ans)


if __name__ == '__main__':
    run(globals())
