"""Joining a room with 1,000 archived messages and default history after a
restart costs an indexed backend query, not a scan of the archive. On
sqlite: the daemon archives 1,000 messages, restarts, a join gets the 20
newest; then EXPLAIN QUERY PLAN runs, against that database file, the exact
SQL backends/sqlite/stmt.c prepares for archive_query (the room lookup and
the newest-first page, last=1) and must name an index or the primary key and
never "SCAN archive". (The history README states that the first join issues
one archive query per room; there is no log line to count it by.)"""

import os
import re
import shutil
import sqlite3
import tempfile

from histutil import (Hist, ALICE, OWNER, room_jid, to, is_history, body_of, describe,
                      logged_room)
from taptest import run

SRCDIR = os.environ.get('PALAVER_SRCDIR',
                        os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
N = 1000


def stmt_sql(name):
    """The SQL text of [name] = "..." "..." in backends/sqlite/stmt.c."""
    with open(os.path.join(SRCDIR, 'backends', 'sqlite', 'stmt.c'), encoding='utf-8') as f:
        src = f.read()
    m = re.search(r'\[%s\]\s*=\s*((?:"(?:[^"\\]|\\.)*"\s*)+)[,}]' % re.escape(name), src)
    assert m, '%s not found in backends/sqlite/stmt.c' % name
    return ''.join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1)))


def plan(db, sql, params):
    con = sqlite3.connect(db)
    try:
        return [row[-1] for row in con.execute('EXPLAIN QUERY PLAN ' + sql, params)]
    finally:
        con.close()


def populate_and_join(d):
    with Hist(backend='sqlite', tmpdir=d) as h:
        logged_room(h, 'big')
        for i in range(N):
            h.send("<message type='groupchat' id='b%d' from='%s' to='%s'><body>b%d</body>"
                   "</message>" % (i, OWNER, room_jid('big'), i))
        h.collect()
    with Hist(backend='sqlite', tmpdir=d) as h:
        got = h.join(ALICE, 'big', 'alice')
        hist = [body_of(s) for s in to(got, ALICE) if is_history(s)]
        assert hist == ['b%d' % i for i in range(N - 20, N)], describe(got)
    return os.path.join(d, 'spool', 'palaver.db')


def test_join_1000_archived_uses_index_sqlite():
    d = tempfile.mkdtemp(prefix='pv-hist-plan-')
    try:
        db = populate_and_join(d)
        con = sqlite3.connect(db)
        try:
            count = con.execute('SELECT count(*) FROM archive').fetchone()[0]
            room_id = con.execute("SELECT id FROM rooms WHERE name = 'big'").fetchone()[0]
        finally:
            con.close()
        assert count == N, count
        back = stmt_sql('ST_MSG_BACKWARD')
        assert 'ORDER BY seq DESC' in back and 'LIMIT' in back, back
        # bound as sq_archive_query binds them for {.max = 20, .last = 1}
        i64 = 2 ** 63 - 1
        steps = plan(db, back, (room_id, 0, i64, -i64 - 1, i64, None, 21))
        text = ' | '.join(steps)
        assert any(re.search(r'\bUSING (COVERING )?INDEX\b|USING INTEGER PRIMARY KEY'
                             r'|USING PRIMARY KEY', s) for s in steps), text
        assert not any(re.match(r'SCAN archive\b(?!.*USING)', s) for s in steps), text
        assert 'TEMP B-TREE' not in text, 'the page is sorted, not read in index order: ' + text
        steps = plan(db, stmt_sql('ST_ROOM_ID'), ('big',))
        text = ' | '.join(steps)
        assert any('USING' in s and 'INDEX' in s for s in steps), text
        assert not any(s.startswith('SCAN rooms') for s in steps), text
    finally:
        shutil.rmtree(d, ignore_errors=True)


run(globals())
