"""muc-core DISCO-2 from storage: the service's disco#items lists the stored
public rooms from the backend's rooms_list (an index range per page, no
room loaded) merged, in byte order of names, with the public rooms in
memory that are not stored (temporary rooms), paged by XEP-0059.

Against 100,000 rooms in SQLite (bench/make-sqlite-rooms.sh) the whole list
is paged through with max=1000 (every name once, in order, the right count),
<index>, <before> and an empty <before/> (the last page) are checked, a
private stored room is never listed, a temporary public room appears at its
place among the stored ones, and get-statistics' `rooms` (rooms in memory)
stays 0 throughout: listing loads nothing. A smaller list on the memory
backend checks the merge, titles, locked and hidden rooms and every RSM
form; a failing store answers internal-server-error (wait). PostgreSQL
(when its server binaries are here) answers rooms_list later, from the
event loop: 2,500 rooms there are paged through the same way, each answer
built over several asynchronous pages.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'backends'))
sys.path.insert(0, os.path.join(HERE, '..', 'integration'))

from mucutil import MUC, NS, DOMAIN, escape, room_jid, describe, tostring, cond  # noqa: E402
from backendutil import BackendRouter  # noqa: E402
from fakerouter import Router, SLOW  # noqa: E402
from taptest import run, skip  # noqa: E402
from pgserver import PgServer, Unavailable  # noqa: E402

A, B = 'alice@localhost/pc', 'bob@localhost/phone'
ROOT = 'root@localhost/console'
SADMIN = '<sadmin><user>root@localhost</user></sadmin>'
NO_KEEP = '<keep-occupants>no</keep-occupants>'
STATS = 'http://jabber.org/protocol/admin#get-statistics'
DATA = '{jabber:x:data}'
RSM = NS['rsm']
SRCDIR = os.environ.get('PALAVER_SRCDIR') or os.path.normpath(os.path.join(HERE, '..', '..'))
N = 100000
BIG_WAIT = 30.0 * SLOW  # a page that walks the whole list (index, before)


class Daemon(MUC):
    """muc-core through the fake router, root a service admin, occupants not
    kept across restarts (a restored occupant would load its room);
    backend_xml gives a whole <backend> element."""

    def __init__(self, backend='memory', backend_xml=None, tmpdir=None, start_timeout=15.0):
        kw = dict(domain=DOMAIN, backend=backend, plugins=['muc-core'],
                  plugin_config={'muc-core': NO_KEEP}, extra_config=SADMIN, tmpdir=tmpdir,
                  start_timeout=start_timeout)
        self.r = BackendRouter(backend_xml, **kw) if backend_xml else Router(**kw)


def sqlite_xml(path):
    return '<backend><type>sqlite</type><path>%s</path></backend>' % escape(path)


def items_query(rsm=None):
    inner = "<set xmlns='%s'>%s</set>" % (RSM, rsm) if rsm is not None else ''
    return "<query xmlns='%s'>%s</query>" % (NS['disco_items'], inner)


def list_items(m, rsm=None, timeout=5.0 * SLOW):
    """([(jid, name)], {first, index, last, count}) of one disco#items page."""
    res = m.r.iq('get', DOMAIN, B, items_query(rsm), id_='d' + uuid.uuid4().hex[:8],
                 timeout=timeout)
    assert res.get('type') == 'result', tostring(res)
    got = [(i.get('jid'), i.get('name')) for i in res.iter('{%s}item' % NS['disco_items'])]
    page = {}
    s = res.find('.//{%s}set' % RSM)
    if s is not None:
        f = s.find('{%s}first' % RSM)
        if f is not None:
            page['first'], page['index'] = f.text, f.get('index')
        page['last'] = s.findtext('{%s}last' % RSM)
        page['count'] = s.findtext('{%s}count' % RSM)
    return got, page


def jids(got):
    return [j for j, _ in got]


def rooms_loaded(m):
    """get-statistics' `rooms`: the rooms in memory."""
    res = m.r.iq('set', DOMAIN, ROOT, "<command xmlns='%s' node='%s' action='execute'/>"
                 % (NS['commands'], STATS), id_='st' + uuid.uuid4().hex[:6])
    assert res.get('type') == 'result', tostring(res)
    for f in res.iter(DATA + 'field'):
        if f.get('var') == 'rooms':
            return int(f.findtext(DATA + 'value'))
    raise AssertionError('get-statistics has no rooms: ' + tostring(res))


def destroy(m, room):
    m.send("<iq type='set' id='x' from='%s' to='%s'><query xmlns='%s'><destroy/></query></iq>"
           % (A, room_jid(room), NS['muc_owner']))
    got = m.collect()
    assert got and got[-1].get('type') == 'result', describe(got)


# ---- 100,000 rooms in SQLite ------------------------------------------------

_big = {}


def big_database():
    """The database (built once): room0..room99999 public with the title
    'Room roomI' (bench/make-sqlite-rooms.sh), plus `hidden` (persistent,
    private), `untitled` (persistent, public, no title) and the tombstone
    row of a destroyed persistent room `gone`, added through the daemon."""
    if 'path' in _big:
        return _big['path']
    if not shutil.which('sqlite3'):
        skip('no sqlite3 command to build the database')
    tmp = tempfile.mkdtemp(prefix='palaver-disco-')
    path = os.path.join(tmp, 'rooms.db')
    subprocess.run(['sh', os.path.join(SRCDIR, 'bench', 'make-sqlite-rooms.sh'), path, str(N)],
                   check=True, stdout=subprocess.DEVNULL)
    with Daemon('sqlite', sqlite_xml(path), start_timeout=120.0 * SLOW) as m:
        m.create(A, 'hidden', 'alice', {'persistentroom': 1, 'publicroom': 0})
        m.create(A, 'untitled', 'alice', {'persistentroom': 1, 'publicroom': 1})
        m.create(A, 'gone', 'alice', {'persistentroom': 1, 'publicroom': 1})
        destroy(m, 'gone')
    _big['tmp'], _big['path'] = tmp, path
    return path


def big_expected():
    names = sorted(['room%d' % i for i in range(N)] + ['untitled'])
    return [(room_jid(n), n if n == 'untitled' else 'Room ' + n) for n in names]


def page_through(m, expected_count):
    """Every page with max=1000 from the first: [(jid, name)]."""
    out, after, first = [], None, True
    while True:
        rsm = '<max>1000</max>' + ('<after>%s</after>' % after if after else '')
        got, page = list_items(m, rsm)
        assert len(got) <= 1000, len(got)
        if not got:
            assert 'first' not in page and page['count'] == str(expected_count), page
            return out
        assert page['count'] == str(expected_count), page
        assert page['first'] == got[0][0] and page['last'] == got[-1][0], page
        if first:
            assert page['index'] == '0', page
        first = False
        out += got
        after = page['last']


def test_disco_2_stored_rooms_paged_without_loading_sqlite():
    path = big_database()
    with Daemon('sqlite', sqlite_xml(path), start_timeout=120.0 * SLOW) as m:
        assert rooms_loaded(m) == 0
        expected = big_expected()
        got = page_through(m, len(expected))
        assert len(got) == len(set(jids(got))), 'a room listed twice'
        assert room_jid('hidden') not in jids(got), 'a private room is listed'
        assert not [j for j in jids(got) if 'gone' in j or 'tombstone' in j], 'a tombstone listed'
        assert got == expected, 'first difference at %d' % next(
            i for i, (x, y) in enumerate(zip(got + [None], expected + [None])) if x != y)
        assert rooms_loaded(m) == 0, 'listing loaded rooms'


def test_disco_2_stored_rooms_index_and_before_sqlite():
    path = big_database()
    with Daemon('sqlite', sqlite_xml(path), start_timeout=120.0 * SLOW) as m:
        expected = big_expected()
        count = str(len(expected))
        got, page = list_items(m, '<max>10</max><index>50000</index>', timeout=BIG_WAIT)
        assert got == expected[50000:50010], got
        assert (page['index'], page['count']) == ('50000', count), page
        got, page = list_items(m, '<max>5</max><before>%s</before>' % expected[50000][0],
                               timeout=BIG_WAIT)
        assert got == expected[49995:50000], got
        assert (page['index'], page['first'], page['last']) == (
            '49995', expected[49995][0], expected[49999][0]), page
        got, page = list_items(m, '<max>3</max><before/>', timeout=BIG_WAIT)
        assert got == expected[-3:], got
        assert (page['index'], page['count']) == (str(len(expected) - 3), count), page
        got, page = list_items(m, '<max>0</max>')
        assert got == [] and page['count'] == count, page
        assert rooms_loaded(m) == 0, 'listing loaded rooms'


def test_disco_2_temporary_room_among_stored_sqlite():
    path = big_database()
    with Daemon('sqlite', sqlite_xml(path), start_timeout=120.0 * SLOW) as m:
        m.create(B, 'room5a', 'bob', {'roomname': 'Temporary'})
        m.join(A, 'room7x', 'alice')  # locked: never listed
        expected = sorted(big_expected() + [(room_jid('room5a'), 'Temporary')],
                          key=lambda it: it[0].split('@')[0])  # names' order, not JIDs'
        got = page_through(m, len(expected))
        assert got == expected, 'first difference at %d' % next(
            i for i, (x, y) in enumerate(zip(got + [None], expected + [None])) if x != y)
        assert rooms_loaded(m) == 2, 'only the two rooms made in memory are loaded'


# ---- 2,500 rooms in PostgreSQL: pages answered asynchronously --------------

PG_N = 2500


def test_disco_2_stored_rooms_paged_asynchronously_pgsql():
    if not shutil.which('psql'):
        skip('no psql')
    try:
        pg = PgServer().start()
    except Unavailable as e:
        skip(str(e))
    try:
        xml = '<backend><type>pgsql</type><conninfo>%s</conninfo></backend>' % escape(pg.conninfo)
        with Daemon('pgsql', xml) as m:  # the schema is in place once it is up
            subprocess.run(['psql', '-q', '-v', 'ON_ERROR_STOP=1', pg.conninfo, '-c',
                            "SELECT palaver_room_put('room' || i, ARRAY['persistent', 'public', "
                            "'roomname'], ARRAY['1', '1', 'Room room' || i]) "
                            "FROM generate_series(0, %d) AS i" % (PG_N - 1)],
                           check=True, stdout=subprocess.DEVNULL)
            m.create(A, 'hidden', 'alice', {'persistentroom': 1, 'publicroom': 0})
            m.create(B, 'room1500a', 'bob', {'roomname': 'Temporary'})
            names = sorted(['room%d' % i for i in range(PG_N)] + ['room1500a'])
            expected = [(room_jid(n), 'Temporary' if n == 'room1500a' else 'Room ' + n)
                        for n in names]
            count = str(len(expected))
            assert page_through(m, len(expected)) == expected
            got, page = list_items(m)
            assert got == expected and page == {}, 'without <set>: everything'
            got, page = list_items(m, '<max>3</max><index>2000</index>')
            assert got == expected[2000:2003] and page['index'] == '2000', (got, page)
            got, page = list_items(m, '<max>2</max><before/>')
            assert got == expected[-2:] and page['index'] == str(len(expected) - 2), page
            got, page = list_items(m, '<max>2</max><before>%s</before>' % expected[1800][0])
            assert got == expected[1798:1800] and page['count'] == count, (got, page)
            assert rooms_loaded(m) == 2, 'only the two rooms made in memory are loaded'
    finally:
        pg.stop()


# ---- a few rooms on the memory backend ---------------------------------------

def small_service(m):
    m.create(A, 'b', 'alice', {'persistentroom': 1, 'roomname': 'Bee'})
    m.create(A, 'd', 'alice', {'persistentroom': 1})
    m.create(A, 'c', 'alice', {'persistentroom': 1, 'publicroom': 0})
    m.create(A, 'f', 'alice', {'persistentroom': 1})
    destroy(m, 'f')  # leaves f@tombstone in the store
    m.create(B, 'a', 'bob', {'roomname': 'Temp A'})
    m.create(B, 'c2', 'bob')
    m.join(B, 'e', 'bob')  # locked


SMALL = [(room_jid('a'), 'Temp A'), (room_jid('b'), 'Bee'), (room_jid('c2'), 'c2'),
         (room_jid('d'), 'd')]


def test_disco_2_stored_and_temporary_rooms_merged_memory():
    with Daemon() as m:
        small_service(m)
        got, page = list_items(m)
        assert got == SMALL and page == {}, (got, page)
        got, page = list_items(m, '<max>2</max>')
        assert got == SMALL[:2], got
        assert page == {'first': SMALL[0][0], 'index': '0', 'last': SMALL[1][0], 'count': '4'}, page
        got, page = list_items(m, '<max>2</max><after>%s</after>' % page['last'])
        assert got == SMALL[2:] and page['count'] == '4', (got, page)
        got, page = list_items(m, '<max>2</max><after>%s</after>' % page['last'])
        assert got == [] and page == {'last': None, 'count': '4'}, (got, page)


def test_disco_2_before_index_and_count_memory():
    with Daemon() as m:
        small_service(m)
        got, page = list_items(m, '<max>3</max><before/>')
        assert got == SMALL[1:] and page['index'] == '1', (got, page)
        got, page = list_items(m, '<max>2</max><before>%s</before>' % room_jid('d'))
        assert got == SMALL[1:3] and page['index'] == '1', (got, page)
        got, page = list_items(m, '<max>10</max><before>%s</before>' % room_jid('b'))
        assert got == SMALL[:1] and page['index'] == '0', (got, page)
        got, page = list_items(m, '<max>5</max><index>3</index>')
        assert got == SMALL[3:] and page['index'] == '3', (got, page)
        got, page = list_items(m, '<max>5</max><index>9</index>')
        assert got == [] and page['count'] == '4', (got, page)
        got, page = list_items(m, '<max>0</max>')
        assert got == [] and page == {'last': None, 'count': '4'}, (got, page)


def test_disco_2_store_failure_is_internal_server_error():
    tmp = tempfile.mkdtemp(prefix='palaver-disco-')
    try:
        marker = os.path.join(tmp, 'fail-loads')
        xml = '<backend><type>failstore</type><failfile>%s</failfile>' \
              '<load-failfile>%s</load-failfile></backend>' % (
                  escape(os.path.join(tmp, 'writes-never-fail')), escape(marker))
        with Daemon('failstore', xml, tmpdir=tmp) as m:
            m.create(A, 'r', 'alice', {'persistentroom': 1})
            open(marker, 'w').close()
            res = m.r.iq('get', DOMAIN, B, items_query(), id_='fail')
            assert res.get('type') == 'error', tostring(res)
            assert cond(res) == ('wait', 'internal-server-error'), tostring(res)
            os.unlink(marker)
            got, _ = list_items(m)
            assert got == [(room_jid('r'), 'r')], got
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


try:
    run(globals())
finally:
    if 'tmp' in _big:
        shutil.rmtree(_big['tmp'], ignore_errors=True)
