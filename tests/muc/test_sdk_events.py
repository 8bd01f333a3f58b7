"""muc-core's SDK for other plugins (palaver/muc.h), driven by the muc-probe
test plugin: the history slot of a join (ENTER-13), the pre-join veto, and
the message event (veto, recipient filter, modification, a message taken
and sent later by the plugin), all read through the pv_muc_api() table."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mucutil import (MUC, occ, room_jid, to, kind, is_presence, is_message, codes, describe,  # noqa: E402
                     assert_error, subject_of, body_of)
from taptest import run, skip_all  # noqa: E402

A, B, C = 'alice@localhost/pc', 'bob@localhost/phone', 'carol@example.net/x'
PROBE = '{urn:palaver:test:probe}probe'

_builddir = os.environ.get('PALAVER_BUILDDIR', '.')
_probe_dir = os.path.join(_builddir, 'tests', 'muc')
if not os.path.exists(os.path.join(_probe_dir, 'muc-probe.la')):
    skip_all('the muc-probe test plugin is not built (make check builds it)')
os.environ['PALAVER_MODULE_DIR'] = os.environ.get('PALAVER_MODULE_DIR', '') + ':' + _probe_dir


def probe():
    return MUC(plugins=('muc-core', 'muc-probe'))


def test_enter_13_history_sent_between_own_presence_and_subject():
    with probe() as m:
        m.create(A, 'r', 'alice')
        got = to(m.join(B, 'r', 'bob', history="<history maxstanzas='3'/>"), B)
        assert [kind(s) for s in got] == ['presence', 'presence', 'message', 'message'], describe(got)
        assert 110 in codes(got[1])
        assert body_of(got[2]) == 'history for bob (asked, 2 here)', describe(got)
        assert got[2].get('from') == occ('r', 'probe')
        assert subject_of(got[3]) == '' and body_of(got[3]) is None, describe(got)


def test_enter_pre_join_veto_gives_the_plugins_error():
    with probe() as m:
        m.create(A, 'r', 'alice')
        got = m.join(B, 'r', 'vetoed')
        e = assert_error(got, B, 'cancel', 'not-allowed', frm=occ('r', 'vetoed'))
        assert 'vetoed by the probe' in (e.find('.//{urn:ietf:params:xml:ns:xmpp-stanzas}text').text or '')
        got = m.groupchat(A, 'r', 'still alone')
        assert [s.get('to') for s in got] == [A], 'the vetoed user never entered: ' + describe(got)


def test_msg_1_message_event_modifies_filters_and_vetoes():
    with probe() as m:
        m.create(A, 'r', 'alice', {'roomname': 'Probe Room'})
        m.join(B, 'r', 'bob')
        m.join(C, 'r', 'carol')
        got = m.groupchat(B, 'r', 'hello')
        assert len(got) == 3, describe(got)
        for s in got:
            p = s.find(PROBE)
            assert p is not None and p.get('sender') == 'bob', describe(got)
            assert (p.get('role'), p.get('aff'), p.get('name')) == ('participant', 'none', 'Probe Room')
        got = m.groupchat(B, 'r', 'only first')
        assert [s.get('to') for s in got] == [A], describe(got)
        got = m.groupchat(B, 'r', 'veto')
        assert_error(got, B, 'modify', 'not-acceptable', frm=room_jid('r'))


def test_msg_2_taken_message_is_sent_by_the_plugin_once():
    with probe() as m:
        m.create(A, 'r', 'alice')
        m.join(B, 'r', 'bob')
        m.join(C, 'r', 'carol')
        got = m.groupchat(B, 'r', 'take', id_='t1')
        assert got == [], 'a taken message is not reflected: ' + describe(got)
        # the probe sends the taken message before the room's next one
        got = m.groupchat(A, 'r', 'next', id_='m2')
        for who in (A, B, C):
            mine = [s for s in to(got, who) if is_message(s)]
            taken = [s for s in mine if body_of(s) == 'take']
            assert len(taken) == 1, describe(got)
            assert taken[0].get('id') == 't1' and taken[0].get('type') == 'groupchat', describe(got)
            assert taken[0].get('from') == occ('r', 'bob'), describe(got)
            p = taken[0].find(PROBE)
            assert p is not None and p.get('taken-again') == 'null', describe(got)
            # a message not taken is reflected at once, as before
            nxt = [s for s in mine if body_of(s) == 'next']
            assert len(nxt) == 1 and nxt[0].get('id') == 'm2', describe(got)
            assert nxt[0].find(PROBE).get('taken-again') is None, describe(got)
        assert len(got) == 6, describe(got)
        got = m.groupchat(C, 'r', 'after', id_='m3')
        assert sorted(s.get('to') for s in got) == sorted([A, B, C]), describe(got)
        assert all(body_of(s) == 'after' for s in got), describe(got)


run(globals())
