"""History RETAIN-1: each room's own history retention. The owner's form
has x-history#retention-days: 0 keeps no history at all (no MAM result, no
join history, nothing after a restart), N days keeps N days (older messages
are trimmed from the archive when the room loads and leave the join
history), empty keeps as long as the service does; a longer value than the
service's <max-age> is capped by it."""

import os
import shutil
import sqlite3
import tempfile

from histutil import (Hist, ALICE, BOB, OWNER, to, describe, logged_room, mam_query,
                      result_body, history_bodies)
from mucutil import NS, room_jid
from taptest import run

FIELD = 'x-history#retention-days'
DAY_US = 86400 * 1000000


def say(h, room, bodies):
    for b in bodies:
        h.groupchat(OWNER, room, b, id_=b)


def form_has_field(h, room):
    res = h.iq(OWNER, room_jid(room), 'get', "<query xmlns='%s'/>" % NS['muc_owner'])
    return FIELD in {f.get('var') for f in res.iter('{jabber:x:data}field')}


def test_retain_1_zero_keeps_no_history():
    d = tempfile.mkdtemp(prefix='pv-retain-')
    try:
        with Hist(backend='sqlite', tmpdir=d) as h:
            logged_room(h, 'nothing', extra={FIELD: '0'})
            assert form_has_field(h, 'nothing')
            say(h, 'nothing', ['gone-1', 'gone-2'])
            got = h.join(ALICE, 'nothing', 'alice')
            assert history_bodies(got, ALICE) == [], describe(got)
            res, _ = mam_query(h, ALICE, 'nothing', {})
            assert res == [], describe(res)
        with Hist(backend='sqlite', tmpdir=d) as h:
            got = h.join(BOB, 'nothing', 'bob')
            assert history_bodies(got, BOB) == [], describe(got)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_retain_1_setting_zero_later_drops_what_was_kept():
    with Hist(backend='sqlite') as h:
        logged_room(h, 'later')
        say(h, 'later', ['old-1', 'old-2'])
        res = h.configure(OWNER, 'later', {FIELD: '0'})
        assert res.get('type') == 'result', describe([res])
        h.collect()
        res, _ = mam_query(h, ALICE, 'later', {})
        assert res == [], [result_body(m) for m in res]
        got = h.join(ALICE, 'later', 'alice')
        assert history_bodies(got, ALICE) == [], describe(got)


def test_retain_1_days_trim_older_messages_at_load():
    d = tempfile.mkdtemp(prefix='pv-retain-')
    try:
        with Hist(backend='sqlite', tmpdir=d) as h:
            logged_room(h, 'week', extra={FIELD: '7'})
            say(h, 'week', ['ancient', 'recent'])
        # make 'ancient' ten days old, as if the room had been idle since
        dbs = [os.path.join(root, f) for root, _, files in os.walk(d) for f in files
               if f.endswith('.db') or f.endswith('.sqlite')]
        assert dbs, os.listdir(d)
        con = sqlite3.connect(dbs[0])
        n = con.execute("UPDATE archive SET stamp_us = stamp_us - ? WHERE xml LIKE '%>ancient<%'",
                        (10 * DAY_US,)).rowcount
        con.commit()
        con.close()
        assert n == 1, n
        with Hist(backend='sqlite', tmpdir=d) as h:
            got = h.join(ALICE, 'week', 'alice')
            assert history_bodies(got, ALICE) == ['recent'], describe(got)
            res, _ = mam_query(h, ALICE, 'week', {})
            assert [result_body(m) for m in res] == ['recent'], [result_body(m) for m in res]
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_retain_1_empty_keeps_as_the_service_and_max_age_caps():
    with Hist(backend='sqlite') as h:
        logged_room(h, 'plain')
        say(h, 'plain', ['a', 'b'])
        res, _ = mam_query(h, ALICE, 'plain', {})
        assert [result_body(m) for m in res] == ['a', 'b']
    # the service keeps 1 day: a room asking for 30 keeps 1
    d = tempfile.mkdtemp(prefix='pv-retain-')
    try:
        cfg = '<max-age>86400</max-age><retention-interval>3600</retention-interval>'
        with Hist(backend='sqlite', tmpdir=d, history_config=cfg) as h:
            logged_room(h, 'capped', extra={FIELD: '30'})
            say(h, 'capped', ['two-days-old', 'fresh'])
        dbs = [os.path.join(root, f) for root, _, files in os.walk(d) for f in files
               if f.endswith('.db') or f.endswith('.sqlite')]
        con = sqlite3.connect(dbs[0])
        con.execute("UPDATE archive SET stamp_us = stamp_us - ? WHERE xml LIKE '%>two-days-old<%'",
                    (2 * DAY_US,))
        con.commit()
        con.close()
        with Hist(backend='sqlite', tmpdir=d, history_config=cfg) as h:
            got = h.join(ALICE, 'capped', 'alice')
            assert history_bodies(got, ALICE) == ['fresh'], describe(got)
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == '__main__':
    run(globals())
