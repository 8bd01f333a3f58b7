"""muc-core: throttles per sender, room and occupant (LIMIT-1): joins, presence
updates, nick changes, invitations and voice requests answered with
resource-constraint (wait) beyond <throttle>'s limits; service admins are
exempt; bad settings stop start-up with FILE:LINE and the fix."""

import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mucutil import (MUC, NS, occ, room_jid, is_presence, is_message, describe,  # noqa: E402
                     assert_error, cond)
from taptest import run  # noqa: E402

A, B, C = 'alice@localhost/pc', 'bob@localhost/phone', 'carol@example.net/x'
SADMIN = '<sadmin><user>root@localhost</user></sadmin>'
U = '{%s}' % NS['muc_user']


def limits(**kinds):
    """<throttle> with burst 2 and a refill of 1 a minute for each kind named."""
    return '<throttle>%s</throttle>' % ''.join(
        "<%s burst='%d' per-minute='1'/>" % (k.replace('_', '-'), v) for k, v in kinds.items())


def joined(got, frm):
    return [s for s in got if is_presence(s) and s.get('to') == frm and s.get('type') is None]


def test_limit_1_joins_per_sender_over_every_room():
    with MUC(muc_config=limits(join=2), extra_config=SADMIN) as m:
        assert joined(m.join(A, 'r1', 'alice'), A)
        assert joined(m.join(A, 'r2', 'alice'), A)
        got = m.join(A, 'r3', 'alice')
        assert_error(got, A, 'wait', 'resource-constraint', frm=occ('r3', 'alice'))
        # nothing was created for the refused join; others still join
        assert joined(m.join(B, 'r3', 'bob'), B)
        # service admins are never throttled
        for i in range(4):
            assert joined(m.join('root@localhost/x', 'a%d' % i, 'root'), 'root@localhost/x')


def test_limit_1_joins_per_room():
    with MUC(muc_config=limits(room_join=2)) as m:
        m.create(A, 'r', 'alice')
        assert joined(m.join(B, 'r', 'bob'), B)
        got = m.join(C, 'r', 'carol')
        assert_error(got, C, 'wait', 'resource-constraint', frm=occ('r', 'carol'))
        assert joined(m.join(C, 'other', 'carol'), C), 'other rooms have their own count'


def test_limit_1_presence_updates_per_occupant():
    with MUC(muc_config=limits(presence=2)) as m:
        m.create(A, 'r', 'alice')
        m.join(B, 'r', 'bob')
        for i in range(2):
            m.presence(B, occ('r', 'bob'), body='<status>s%d</status>' % i)
            got = m.collect()
            assert len([s for s in got if is_presence(s)]) == 2, describe(got)
        m.presence(B, occ('r', 'bob'), body='<status>too fast</status>')
        got = m.collect()
        assert_error(got, B, 'wait', 'resource-constraint', frm=occ('r', 'bob'))
        # bob is still there; alice's own updates are counted apart
        m.presence(A, occ('r', 'alice'), body='<show>away</show>')
        got = m.collect()
        assert sorted(s.get('to') for s in got) == sorted([A, B]), describe(got)


def test_limit_1_nick_changes_per_occupant():
    with MUC(muc_config=limits(nick=2)) as m:
        m.create(A, 'r', 'alice')
        m.join(B, 'r', 'bob')
        for nick in ('bob1', 'bob2'):
            m.presence(B, occ('r', nick))
            got = m.collect()
            assert any(303 in [int(s.get('code')) for s in p.findall(U + 'x/' + U + 'status')]
                       for p in got if is_presence(p)), describe(got)
        m.presence(B, occ('r', 'bob3'))
        got = m.collect()
        assert_error(got, B, 'wait', 'resource-constraint', frm=occ('r', 'bob3'))
        # leaving and joining again does not refill the bucket
        m.leave(B, 'r', 'bob2')
        m.join(B, 'r', 'bob')
        m.presence(B, occ('r', 'bobby'))
        assert_error(m.collect(), B, 'wait', 'resource-constraint', frm=occ('r', 'bobby'))


def invite(m, frm, invites):
    m.send("<message from='%s' to='%s'><x xmlns='%s'>%s</x></message>"
           % (frm, room_jid('r'), NS['muc_user'], invites))
    return m.collect()


def test_limit_1_invitations_each_counted():
    with MUC(muc_config=limits(invite=2)) as m:
        m.create(A, 'r', 'alice', {'allowinvites': 1})
        m.join(B, 'r', 'bob')
        got = invite(m, B, "<invite to='x@localhost'/><invite to='y@localhost'/>")
        assert sorted(s.get('to') for s in got) == ['x@localhost', 'y@localhost'], describe(got)
        got = invite(m, B, "<invite to='z@localhost'/>")
        assert_error(got, B, 'wait', 'resource-constraint', frm=room_jid('r'))
        got = invite(m, A, "<invite to='z@localhost'/>")
        assert [s.get('to') for s in got] == ['z@localhost'], 'per occupant: ' + describe(got)


def voice_form():
    return ("<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>%s</value>"
            "</field><field var='muc#role'><value>participant</value></field></x>"
            % NS['muc_request'])


def test_limit_1_voice_requests_per_occupant():
    with MUC(muc_config=limits(voice_request=2)) as m:
        m.create(A, 'r', 'alice', {'moderatedroom': 1})
        m.join(B, 'r', 'bob')
        for _ in range(2):
            m.send("<message from='%s' to='%s'>%s</message>" % (B, room_jid('r'), voice_form()))
            got = m.collect()
            assert [s.get('to') for s in got if is_message(s)] == [A], describe(got)
        m.send("<message from='%s' to='%s'>%s</message>" % (B, room_jid('r'), voice_form()))
        assert_error(m.collect(), B, 'wait', 'resource-constraint', frm=room_jid('r'))


def test_limit_1_burst_zero_turns_a_throttle_off():
    with MUC(muc_config="<throttle><join burst='0'/></throttle>") as m:
        for i in range(110):   # beyond the default of 100 at once
            assert joined(m.join(A, 'r%d' % i, 'alice'), A), i


def test_limit_1_defaults_hold_a_script_back():
    with MUC() as m:
        for i in range(110):   # at once: the default refill (two a second) adds little
            m.join(A, 'd%d' % i, 'alice', collect=False)
        got = m.r.collect(quiet=1.0, first=5.0)
        errors = [s for s in got if s.get('type') == 'error']
        assert 6 <= len(errors) <= 10, 'the default join burst is 100: %s' % describe(errors)
        assert {cond(s) for s in errors} == {('wait', 'resource-constraint')}, describe(errors)


def check_config(xml):
    d = tempfile.mkdtemp(prefix='palaver-thr-')
    cfg = os.path.join(d, 'palaver.xml')
    try:
        with open(cfg, 'w') as f:
            f.write("<palaver>\n<name>muc.localhost</name><ip>127.0.0.1</ip>\n"
                    "<port>5347</port><secret>s</secret><backend><type>memory</type>\n"
                    "</backend><spool>%s</spool>\n<plugins>\n<muc-core>\n<throttle>\n%s\n"
                    "</throttle>\n</muc-core>\n</plugins>\n</palaver>\n" % (d, xml))
        p = subprocess.run([os.environ['PALAVER_BIN'], '-c', cfg, '--check-config'],
                           capture_output=True, text=True, timeout=30)
        return p.returncode, p.stdout + p.stderr, cfg
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_limit_1_bad_settings_name_file_line_and_fix():
    rc, out, _ = check_config("<join burst='5' per-minute='10'/><invite burst='0'/>")
    assert rc == 0, out
    cases = [("<join burst='many'/>", "burst must be an integer from 0 to 100000"),
             ("<nick per-minute='-1'/>", "per-minute must be an integer from 0"),
             ("<invite burst='3' per-minute='0'/>", "burst='0' to turn it off"),
             ("<presence rate='3'/>", "unknown attribute 'rate'"),
             ("<joins burst='3'/>", "unknown element <joins>")]
    for xml, what in cases:
        rc, out, cfg = check_config(xml)
        assert rc != 0, (xml, out)
        # the kind's element is on line 8 of the file written above
        assert re.search(re.escape(cfg) + r':8: muc-core: .*' + re.escape(what), out), (xml, out)
    rc, out, cfg = check_config("<join burst='bad'/>")
    assert "for example <join burst='10' per-minute='20'/>" in out, out


run(globals())
