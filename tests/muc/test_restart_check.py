"""muc-core RESTART-1: restored occupants are checked once the stream is up
(restart_check.c). After a clean restart every restored session gets an
XEP-0199 ping from its occupant JID: a result or feature-not-implemented
keeps it; service-unavailable (a client without ping, or its server saying
there is no such session) is settled by a disco#info; any other error, a
second service-unavailable, or no answer within <restart-check-timeout>
removes the session as a bounce does (333 to the others). At most
<restart-check-parallel> pings are in flight; a reconnection re-sends them;
a timeout of 0 turns the check off (also by SIGHUP while it runs)."""

import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mucutil import (MUC, NS, ANSWERED, occ, room_jid, to, is_presence, is_message,  # noqa: E402
                     codes, describe, tostring, cond, local)
from fakerouter import SLOW  # noqa: E402
from taptest import run  # noqa: E402

A, B, B2, C, D, E, F = ('alice@localhost/pc', 'bob@localhost/phone', 'bob@localhost/laptop',
                        'carol@example.net/x', 'dave@localhost/d', 'erin@localhost/e',
                        'frank@example.org/f')
PING = "<ping xmlns='urn:xmpp:ping'/>"
NICKS = {A: 'alice', B: 'bob', B2: 'bob', C: 'carol', D: 'dave', E: 'erin', F: 'frank'}
TIMEOUT = int(3 * SLOW)   # seconds: long enough for the exchanges before it


def tmpdir():
    return tempfile.mkdtemp(prefix='palaver-muc-check-')


def check_config(timeout=TIMEOUT, parallel=None):
    c = '<restart-check-timeout>%d</restart-check-timeout>' % timeout
    if parallel is not None:
        c += '<restart-check-parallel>%d</restart-check-parallel>' % parallel
    return c


def populate(tmp, jids):
    """Room `r` (persistent, owned by alice) with every session of `jids`,
    then a clean stop: the state file holds them all."""
    with MUC(backend='sqlite', tmpdir=tmp) as m:
        m.create(A, 'r', 'alice', {'persistentroom': 1, 'whois': 'anyone'})
        for j in jids:
            if j != A:
                m.join(j, 'r', NICKS[j])


def is_probe(el, ns='urn:xmpp:ping', name='ping'):
    return (local(el.tag) == 'iq' and el.get('type') == 'get'
            and el.find('{%s}%s' % (ns, name)) is not None)


def is_info(el):
    return is_probe(el, NS['disco_info'], 'query')


def pings(got):
    return [s for s in got if is_probe(s)]


def answer(m, iq, error=None):
    """The client's answer to the daemon's IQ: a result, or an error with
    that condition (sent by the client or by its server)."""
    if error is None:
        m.send("<iq type='result' id='%s' from='%s' to='%s'/>"
               % (iq.get('id'), iq.get('to'), iq.get('from')))
    else:
        m.send("<iq type='error' id='%s' from='%s' to='%s'><error type='cancel'><%s xmlns='%s'/>"
               "</error></iq>" % (iq.get('id'), iq.get('to'), iq.get('from'), error,
                                  NS['stanzas']))


def left_333(got, nick):
    """The other occupants told that nick left with 333 (the removed
    occupant's own copy, with 110, is not counted)."""
    return {s.get('to') for s in got if is_presence(s) and s.get('type') == 'unavailable'
            and s.get('from') == occ('r', nick) and 333 in codes(s) and 110 not in codes(s)}


def self_ping(m, frm, nick, id_):
    return m.iq(frm, occ('r', nick), 'get', PING, id_=id_)


def test_restart_1_restored_sessions_are_pinged_and_ghosts_removed_with_333():
    tmp = tmpdir()
    jids = (A, B, B2, C, D, E, F)
    try:
        populate(tmp, jids)
        with MUC(backend='sqlite', tmpdir=tmp, muc_config=check_config()) as m:
            got = m.r.collect(quiet=0.25, first=ANSWERED)
            p = {s.get('to'): s for s in pings(got)}
            assert len(pings(got)) == len(jids) and set(p) == set(jids), describe(got)
            assert got == pings(got), 'only pings after a restart:\n' + describe(got)
            for j, s in p.items():    # from the occupant's own room JID
                assert s.get('from') == occ('r', NICKS[j]), tostring(s)
            answer(m, p[A])                                   # alive
            answer(m, p[B], 'recipient-unavailable')          # bob's phone is gone...
            answer(m, p[B2])                                  # ...his laptop is not
            answer(m, p[C], 'service-unavailable')            # no ping support, or gone?
            answer(m, p[D], 'service-unavailable')
            answer(m, p[E], 'feature-not-implemented')        # a client without ping: alive
            got = m.collect()
            # service-unavailable is settled by a disco#info to the same session
            info = {s.get('to'): s for s in got if is_info(s)}
            assert set(info) == {C, D}, describe(got)
            assert info[C].get('from') == occ('r', 'carol'), tostring(info[C])
            # bob keeps his laptop: nobody is told anything about him
            assert not left_333(got, 'bob'), describe(got)
            answer(m, info[C])                                # a live client after all
            answer(m, info[D], 'service-unavailable')         # its server: no such session
            got = m.collect()
            assert left_333(got, 'dave') == {A, B2, C, E, F}, describe(got)
            assert not [s for s in got if is_probe(s) or is_info(s)], describe(got)
            # frank never answers: removed once the timeout passed
            gone = m.r.expect_match(lambda s: is_presence(s) and s.get('to') == A
                                    and s.get('from') == occ('r', 'frank'), TIMEOUT + 10 * SLOW)
            got = [gone] + m.collect()
            assert left_333(got, 'frank') == {A, B2, C, E}, describe(got)
            m.nothing()
            assert 'checked 7 restored sessions: 3 gone' in open(m.r.log_path).read()
            # the gone are gone, the live are there and still talk
            assert cond(self_ping(m, B, 'bob', 'b')) == ('cancel', 'not-acceptable')
            assert cond(self_ping(m, D, 'dave', 'd')) == ('cancel', 'not-acceptable')
            assert cond(self_ping(m, F, 'frank', 'f')) == ('cancel', 'not-acceptable')
            for j in (A, B2, C, E):
                assert self_ping(m, j, NICKS[j], 'ok').get('type') == 'result', j
            got = m.groupchat(C, 'r', 'still here')
            assert {s.get('to') for s in got if is_message(s)} == {A, B2, C, E}, describe(got)
            # late answers to the finished check are not taken for anything
            answer(m, p[F])
            m.nothing()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_restart_1_check_keeps_at_most_n_pings_in_flight():
    tmp = tmpdir()
    jids = (A, B, C, D, E)
    try:
        populate(tmp, jids)
        with MUC(backend='sqlite', tmpdir=tmp, muc_config=check_config(30, 2)) as m:
            outstanding = pings(m.r.collect(quiet=0.25, first=ANSWERED))
            seen = list(outstanding)
            while outstanding:
                assert len(outstanding) <= 2, describe(outstanding)
                # answer one: one more goes out while some are waiting
                answer(m, outstanding.pop(0))
                got = m.collect()
                assert got == pings(got), describe(got)
                assert len(got) == (1 if len(seen) < len(jids) else 0), describe(got)
                outstanding += got
                seen += got
            assert sorted(s.get('to') for s in seen) == sorted(jids), describe(seen)
            assert len(seen) == len(jids)
            m.nothing()
            got = m.groupchat(A, 'r', 'all here')
            assert {s.get('to') for s in got if is_message(s)} == set(jids), describe(got)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_restart_1_check_resent_after_reconnection_off_with_0_freed_at_stop():
    tmp = tmpdir()
    try:
        populate(tmp, (A, B))
        with MUC(backend='sqlite', tmpdir=tmp, muc_config=check_config(30)) as m:
            first = pings(m.r.collect(quiet=0.25, first=ANSWERED))
            assert {s.get('to') for s in first} == {A, B}, describe(first)
            # the server drops the stream before anyone answered: what was
            # in flight went with it, and is asked again on the new stream
            m.r.close_connection()
            m.r.wait_connection(timeout=15 * SLOW)
            again = pings(m.r.collect(quiet=0.5, first=ANSWERED))
            assert {s.get('to') for s in again} == {A, B}, describe(again)
            assert not {s.get('id') for s in again} & {s.get('id') for s in first}
            answer(m, first[0])          # an answer from the old stream: not taken
            for s in again:
                answer(m, s)
            got = m.collect()
            assert not [s for s in got if is_presence(s)], describe(got)
            assert self_ping(m, B, 'bob', 'b').get('type') == 'result'
        # timeout 0: no check at all, everybody stays
        with MUC(backend='sqlite', tmpdir=tmp, muc_config=check_config(0)) as m:
            m.nothing(quiet=1.0)
            assert self_ping(m, B, 'bob', 'b').get('type') == 'result'
        # stopped while the pings wait for answers: freed (the sanitizers
        # would report a leak), and the sessions are saved as they were
        with MUC(backend='sqlite', tmpdir=tmp, muc_config=check_config(30, 1)) as m:
            assert len(pings(m.r.collect(quiet=0.25, first=ANSWERED))) == 1
        with MUC(backend='sqlite', tmpdir=tmp, muc_config=check_config(30)) as m:
            again = pings(m.r.collect(quiet=0.25, first=ANSWERED))
            assert {s.get('to') for s in again} == {A, B}, describe(again)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_restart_1_check_turned_off_by_sighup_keeps_everyone():
    import signal
    tmp = tmpdir()
    try:
        populate(tmp, (A, B))
        with MUC(backend='sqlite', tmpdir=tmp, muc_config=check_config(TIMEOUT)) as m:
            assert len(pings(m.r.collect(quiet=0.25, first=ANSWERED))) == 2
            m.r.plugin_config['muc-core'] = check_config(0)
            with open(m.r.config_path, 'w', encoding='utf-8') as f:
                f.write(m.r.config_xml())
            m.r.signal(signal.SIGHUP)
            m.r.wait_log('stay unchecked', timeout=5 * SLOW)
            m.nothing(quiet=TIMEOUT + 1.0)      # past the old timeout: nobody removed
            assert self_ping(m, B, 'bob', 'b').get('type') == 'result'
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_restart_1_check_options_are_validated():
    tmp = tmpdir()
    try:
        for bad in ('<restart-check-timeout>-1</restart-check-timeout>',
                    '<restart-check-parallel>0</restart-check-parallel>'):
            m = None
            try:
                m = MUC(backend='sqlite', tmpdir=tmp, muc_config=bad)
            except AssertionError as e:
                assert 'restart-check' in str(e), str(e)[-2000:]
            else:
                m.stop()
                raise AssertionError('%s was accepted' % bad)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


run(globals())
