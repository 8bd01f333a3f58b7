"""bench/test_smoke.py: the benchmarks still run (make check's quick mode).

Runs palaver-bench at tiny sizes (fan-out, many rooms, start-up from an
SQLite file made by make-sqlite-rooms.sh, the first join to stored rooms and
their hibernation) and the null component against a scripted host, and checks
that each prints its figures in the format bench/run.sh and the README rely
on. No speed is asserted: under the sanitizer build the numbers mean nothing.
It also checks that make-sqlite-rooms.sh writes the schema the sqlite backend
creates and the config keys muc-core stores.
"""

import hashlib
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile

SRC = os.environ.get('PALAVER_SRCDIR', '.')
BUILD = os.environ.get('PALAVER_BUILDDIR', '.')
sys.path.insert(0, os.path.join(SRC, 'tests'))
from taptest import run, skip  # noqa: E402

BENCH = os.path.join(BUILD, 'bench', 'palaver-bench')
NULL = os.path.join(BUILD, 'bench', 'null-component')
NUM = r'[0-9]+(?:\.[0-9]+)?'


def bench(*args, timeout=60):
    p = subprocess.run([BENCH] + list(args), capture_output=True, text=True, timeout=timeout)
    assert p.returncode == 0, 'palaver-bench %s: exit %d\n%s%s' % (
        ' '.join(args), p.returncode, p.stdout, p.stderr)
    return p.stdout


def line(out, prefix):
    got = [ln for ln in out.splitlines() if ln.startswith(prefix)]
    assert got, 'no "%s" line in:\n%s' % (prefix, out)
    return got[0]


def test_fanout_prints_figures():
    out = bench('-r', '1', '-n', '10', '-m', '200', '-w', '10')
    j = line(out, 'join:')
    assert re.match(r'join: 10 joins \(1 rooms x 10\) in %s s = %s joins/s; \d+ stanzas back' %
                    (NUM, NUM), j), j
    m = line(out, 'messages:')
    mt = re.match(r'messages: 200 sent, (\d+)/(\d+) delivered in %s s = (\d+) deliveries/s; '
                  r'latency p50 (%s) ms p99 (%s) ms .*palaver CPU %s s = %s s per 1000 '
                  r'deliveries \((%s) us/delivery\); errors (\d+)' % (NUM, NUM, NUM, NUM, NUM, NUM),
                  m)
    assert mt, m
    assert mt.group(1) == mt.group(2) == '2000', m   # 200 messages x 10 occupants
    assert float(mt.group(4)) <= float(mt.group(5)), 'p50 above p99: ' + m
    assert mt.group(7) == '0', m
    assert re.search(r'memory .*: VmRSS \d+ kB, VmHWM \d+ kB', out), out


def test_many_rooms_prints_figures():
    out = bench('-r', '50', '-n', '2', '-m', '100')
    line(out, 'join: 100 joins (50 rooms x 2)')
    assert line(out, 'messages: 100 sent, 200/200 delivered'), out


def test_startup_from_sqlite():
    if not os.path.exists(os.path.join(BUILD, 'backends', 'sqlite')):
        skip('sqlite backend not built')
        return
    d = tempfile.mkdtemp(prefix='palaver-smoke-')
    try:
        db = os.path.join(d, 'rooms.db')
        p = subprocess.run(['sh', os.path.join(SRC, 'bench', 'make-sqlite-rooms.sh'), db, '50'],
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stdout + p.stderr
        out = bench('--startup', db, '-r', '50')
        assert "  answer: identity name 'Room room49'" in out.splitlines(), out
        s = line(out, 'startup:')
        assert re.match(r'startup: connected %s s after spawn, handshake done %s s, first answer '
                        r'\(disco#info to room49\) %s s after spawn; palaver CPU so far %s s'
                        % (NUM, NUM, NUM, NUM), s), s
    finally:
        shutil.rmtree(d, ignore_errors=True)


def make_rooms(d, n):
    db = os.path.join(d, 'rooms.db')
    p = subprocess.run(['sh', os.path.join(SRC, 'bench', 'make-sqlite-rooms.sh'), db, str(n)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    return db


def schema(db):
    c = sqlite3.connect(db)
    try:
        return sorted(c.execute('SELECT type, name, tbl_name, sql FROM sqlite_master'), key=str)
    finally:
        c.close()


def test_sqlite_rooms_in_the_backends_schema():
    """The file make-sqlite-rooms.sh writes has the schema (same statements,
    same version) the sqlite backend creates in a new file."""
    if not os.path.exists(os.path.join(BUILD, 'backends', 'sqlite')):
        skip('sqlite backend not built')
        return
    d = tempfile.mkdtemp(prefix='palaver-smoke-')
    try:
        made = make_rooms(d, 2)
        fresh = os.path.join(d, 'fresh.db')
        bench('--startup', fresh, '-r', '1')   # the backend creates it
        assert schema(made) == schema(fresh), (schema(made), schema(fresh))
        versions = []
        for db in (made, fresh):
            c = sqlite3.connect(db)
            versions.append(c.execute('SELECT version FROM schema_version').fetchall())
            c.close()
        assert versions[0] == versions[1], versions
        c = sqlite3.connect(made)
        assert c.execute('SELECT stored, public FROM room_counts').fetchall() == [(2, 2)]
        assert c.execute('SELECT name, stored, public, title FROM rooms ORDER BY id').fetchall() \
            == [('room0', 1, 1, 'Room room0'), ('room1', 1, 1, 'Room room1')]
        c.close()
    finally:
        shutil.rmtree(d, ignore_errors=True)


def muc_core_fields():
    """(storage key, default) of each row of muc-core's config_fields.c, in
    field order: what kv_build stores first."""
    with open(os.path.join(SRC, 'plugins', 'muc-core', 'config_fields.c')) as f:
        src = f.read()
    start = src.index('config_fields[CF_COUNT] = {') + len('config_fields[CF_COUNT] = {')
    table = re.sub(r'/\*.*?\*/', '', src[start:src.index('\n};', start)], flags=re.S)
    rows = []
    for row in re.split(r'\[CF_\w+\]\s*=', table)[1:]:
        row = row.strip()
        if row.startswith('{'):  # designated initialisers
            key = re.search(r'\.key\s*=\s*"([^"]*)"', row)
            default = re.search(r'\.def\s*=\s*"([^"]*)"', row)
            if key:
                rows.append((key.group(1), default.group(1) if default else ''))
            continue
        # TEXT_ROW(var, key, label), BOOL_ROW(var, key, label, def),
        # ROW(type, var, key, label, def); adjacent literals are one string
        m = re.match(r'(TEXT_ROW|BOOL_ROW|ROW)\s*\((.*)\)\s*,?\s*$', row, re.S)
        if not m:
            continue
        strs = re.findall(r'"((?:[^"]|"\s*")*)"', m.group(2))
        strs = [re.sub(r'"\s*"', '', t) for t in strs]
        if m.group(1) == 'TEXT_ROW' and len(strs) == 3:
            rows.append((strs[1], ''))
        elif len(strs) == 4:
            rows.append((strs[1], strs[3]))
    assert len(rows) == table.count('[CF_'), 'unparsed rows in config_fields.c'
    return rows


def test_sqlite_rooms_stored_as_muc_core_stores_them():
    d = tempfile.mkdtemp(prefix='palaver-smoke-')
    try:
        c = sqlite3.connect(make_rooms(d, 1))
        got = c.execute('SELECT pos, key, value FROM room_config WHERE room_id = 1 '
                        'ORDER BY pos').fetchall()
        want = {'roomname': 'Room room0', 'persistent': '1', 'public': '1'}
        fields = [(k, want.get(k, v)) for k, v in muc_core_fields()]
        fields.append(('x-palaver#owners', 'owner1@bench.localhost'))
        assert [(k, v) for _, k, v in got] == fields, got
        assert [p for p, _, _ in got] == list(range(len(fields))), got
        assert c.execute('SELECT jid, affiliation FROM affiliations').fetchall() == \
            [('owner1@bench.localhost', 'owner')]
        c.close()
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_first_join_to_stored_rooms():
    """--first-join: each stored room joined once (the join loads it), the
    latency figures, then --idle: every room left and hibernated."""
    if not os.path.exists(os.path.join(BUILD, 'backends', 'sqlite')):
        skip('sqlite backend not built')
        return
    d = tempfile.mkdtemp(prefix='palaver-smoke-')
    try:
        db = make_rooms(d, 40)
        out = bench('--first-join', db, '-r', '20', '--stored', '40', '--idle', '30',
                    '--hibernate-after', '1', timeout=90)
        assert line(out, 'statistics at start-up:') == 'statistics at start-up: rooms 0', out
        j = line(out, 'first-join:')
        mt = re.match(r'first-join: 20 joins, one to each of 20 rooms of 40 stored \(window 1\), '
                      r'in %s s = %s '
                      r'joins/s; latency p50 (%s) ms p99 (%s) ms max (%s) ms; palaver CPU %s s = '
                      r'%s ms/join; errors 0$' % (NUM, NUM, NUM, NUM, NUM, NUM, NUM), j)
        assert mt, j
        p50, p99, mx = (float(mt.group(i)) for i in (1, 2, 3))
        assert p50 <= p99 <= mx, j
        assert line(out, 'statistics after joins:') == \
            'statistics after joins: rooms 20, rooms-loads 20', out
        h = line(out, 'hibernation:')
        assert re.match(r'hibernation: 0 rooms in memory %s s after the last leave '
                        r'\(hibernate-after 1 s\); rooms-loads 20, rooms-unloads 20$' % NUM, h), h
        assert re.match(r'rss: start-up \d+ kB, after joins \d+ kB, after hibernation \d+ kB = '
                        r'[-+]%s%% of start-up$' % NUM, line(out, 'rss:')), out
        assert 'memory after hibernation: VmRSS' in out, out
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_null_component_copies_per_occupant():
    """The null component against a scripted host: handshake, two joins
    answered with status 110, one groupchat copied to both occupants."""
    ls = socket.socket()
    ls.bind(('127.0.0.1', 0))
    ls.listen(1)
    port = ls.getsockname()[1]
    proc = subprocess.Popen([NULL, '-p', str(port), '-d', 'null.localhost', '-s', 'sec'],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ls.settimeout(10)
        c, _ = ls.accept()
        c.settimeout(10)
        buf = b''
        while b'>' not in buf.split(b'stream:stream', 1)[-1]:
            buf += c.recv(4096)
        c.sendall(b"<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' "
                  b"xmlns:stream='http://etherx.jabber.org/streams' id='abc' "
                  b"from='null.localhost'>")
        buf = b''
        while b'</handshake>' not in buf:
            buf += c.recv(4096)
        want = hashlib.sha1(b'abcsec').hexdigest().encode()
        assert want in buf, buf
        c.sendall(b'<handshake/>')
        assert 'connected' in proc.stdout.readline()
        c.sendall(b"<presence from='a@localhost/r' to='room@null.localhost/alice'>"
                  b"<x xmlns='http://jabber.org/protocol/muc'/></presence>"
                  b"<presence from='b@localhost/r' to='room@null.localhost/bob'/>"
                  b"<message from='b@localhost/r' to='room@null.localhost' type='groupchat' "
                  b"id='m1'><body>b7</body></message>")
        buf = b''
        while buf.count(b'</message>') < 2:
            buf += c.recv(65536)
        text = buf.decode()
        assert text.count("code='110'") == 2, text
        copies = re.findall(r"<message type='groupchat' from='room@null.localhost/bob' "
                            r"to='([^']+)' id='m1'><body>b7</body></message>", text)
        assert sorted(copies) == ['a@localhost/r', 'b@localhost/r'], text
        c.sendall(b'</stream:stream>')
        c.close()
        assert proc.wait(10) == 0
        assert '2 joins, 1 messages, 2 copies' in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        ls.close()


if __name__ == '__main__':
    run(globals())
