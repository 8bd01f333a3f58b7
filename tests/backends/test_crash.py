"""A crash loses nothing acknowledged: the daemon on spool or sqlite gets a
stream of room changes (persistent rooms created through the owner form,
configuration changes, affiliations, bans, registered nicks), is killed with
SIGKILL while the stream is still being worked through, and restarted on the
same data. Every change whose IQ result the daemon sent before it died must
be there; changes without a result may or may not be.
"""

import os
import shutil
import signal
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from backendutil import (StoreMUC, OWNER, room_jid, owner_submit, admin_payload,  # noqa: E402
                         register_payload, config_values, aff_list, registered_nick,
                         room_name, escape, local, tostring, run)
from taptest import diag  # noqa: E402

NROOMS = 300     # far more than is worked through before the kill
NO_JOIN_THROTTLE = "<throttle><join burst='0'/><room-join burst='0'/></throttle>"
KILL_AFTER = 120  # acknowledged changes


def stream_for(i):
    """(IQ id, stanza) of every change to room i, in the order sent.
    The presence that creates the room has no IQ id."""
    room = 'crash%02d' % i
    rj = room_jid(room)
    bob = 'bob%02d@localhost/b' % i

    def iq(id_, frm, payload):
        return (id_, "<iq type='set' id='%s' from='%s' to='%s'>%s</iq>"
                % (id_, escape(frm), rj, payload))
    return [
        (None, "<presence from='%s' to='%s/alice'><x xmlns='http://jabber.org/protocol/muc'/>"
               "</presence>" % (OWNER, rj)),
        iq('create-%d' % i, OWNER, owner_submit({'persistentroom': 1, 'roomname': 'v0 %d' % i})),
        iq('member-%d' % i, OWNER, admin_payload(
            "<item affiliation='member' jid='carol%02d@localhost'/>" % i)),
        iq('config-%d' % i, OWNER, owner_submit({'persistentroom': 1, 'roomname': 'v1 %d' % i,
                                                 'roomdesc': 'changed'})),
        iq('ban-%d' % i, OWNER, admin_payload(
            "<item affiliation='outcast' jid='eve%02d@localhost'><reason>spam %d</reason></item>"
            % (i, i))),
        iq('reg-%d' % i, bob, register_payload('bobby%d' % i)),
    ]


def crash_and_check(backend):
    tmp = tempfile.mkdtemp(prefix='palaver-crash-%s-' % backend)
    try:
        # one owner creates NROOMS rooms at once: a script, which the join
        # throttle (LIMIT-1) would hold back; this test is about the kill
        m = StoreMUC(backend, tmpdir=tmp, muc_config=NO_JOIN_THROTTLE)
        stream = [s for i in range(NROOMS) for s in stream_for(i)]
        nids = sum(1 for id_, _ in stream if id_)
        data = ''.join(xml for _, xml in stream).encode('utf-8')

        def feed():   # blocks while the daemon reads slower than we write
            try:
                m.r.send_raw(data)
            except OSError:
                pass   # the daemon was killed
        sender = threading.Thread(target=feed, daemon=True)
        sender.start()
        acked, refused = set(), []
        deadline = time.monotonic() + 60
        # kill once KILL_AFTER changes are acknowledged: the rest of the
        # stream is still being worked through
        while len(acked) < KILL_AFTER and time.monotonic() < deadline:
            for el in m.r.collect(quiet=0.001, timeout=0.05):
                if local(el.tag) != 'iq':
                    continue
                if el.get('type') == 'result':
                    acked.add(el.get('id'))
                else:
                    refused.append(el)
        m.r.proc.send_signal(signal.SIGKILL)
        m.r.proc.wait()
        # what the daemon wrote before it died was acknowledged too
        while True:
            try:
                el = m.r._next_stanza(0.5)
            except AssertionError:   # the connection closed: everything is read
                break
            if el is None:
                break
            if local(el.tag) == 'iq' and el.get('type') == 'result':
                acked.add(el.get('id'))
        sender.join(5)
        m.r.stop(check_sanitizers=False)
        assert not refused, 'changes refused:\n' + '\n'.join(tostring(e) for e in refused)
        assert KILL_AFTER <= len(acked) < nids, \
            'the kill did not land mid-stream: %d of %d acknowledged' % (len(acked), nids)

        m = StoreMUC(backend, tmpdir=tmp)
        try:
            checked = 0
            for i in range(NROOMS):
                room = 'crash%02d' % i
                name = room_name(m, room)
                if 'create-%d' % i not in acked:
                    continue
                assert name is not None, '%s was acknowledged as created but is gone' % room
                cfg = config_values(m, room)
                assert cfg['muc#roomconfig_persistentroom'] == ['1'], cfg
                if 'config-%d' % i in acked:
                    assert cfg['muc#roomconfig_roomname'] == ['v1 %d' % i], (room, cfg)
                    assert cfg['muc#roomconfig_roomdesc'] == ['changed'], (room, cfg)
                else:
                    assert cfg['muc#roomconfig_roomname'] in (['v0 %d' % i], ['v1 %d' % i])
                assert cfg['muc#roomconfig_roomowners'] == ['alice@localhost'], (room, cfg)
                members = aff_list(m, room, 'member')
                if 'member-%d' % i in acked:
                    assert members.get('carol%02d@localhost' % i, 'absent') is None, \
                        (room, members)
                if 'ban-%d' % i in acked:
                    outcasts = aff_list(m, room, 'outcast')
                    assert outcasts.get('eve%02d@localhost' % i) == 'spam %d' % i, \
                        (room, outcasts)
                if 'reg-%d' % i in acked:
                    assert registered_nick(m, room, 'bob%02d@localhost/b' % i) == 'bobby%d' % i
                    assert 'bob%02d@localhost' % i in members, (room, members)
                checked += 1
            assert checked > 0
            diag('%s: killed with %d of %d changes acknowledged; %d rooms checked'
                 % (backend, len(acked), nids, checked))
        finally:
            m.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_sqlite_keeps_every_acknowledged_change_after_sigkill():
    crash_and_check('sqlite')


def test_spool_keeps_every_acknowledged_change_after_sigkill():
    crash_and_check('spool')


run(globals())
