"""The spool backend refuses a directory that still holds Palaver 0.6's
pickle spool (the DirDBM file cm9vbXM=_ holding every room): start-up stops
with a message naming the file and how to convert the rooms
(palaver-migrate), and the old file is left exactly as it was.
"""

import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from backendutil import StoreMUC, room_name, run  # noqa: E402

# A Python 2 protocol-0 pickle of {'lounge': {'name': 'Lounge', 'persistent': True}},
# as Palaver 0.6's dir backend wrote it.
PICKLE = (b"(dp0\nS'lounge'\np1\n(dp2\nS'name'\np3\nS'Lounge'\np4\n"
          b"sS'persistent'\np5\nI01\nss.")


def start_fails(tmp):
    """Starts the daemon on tmp/spool; returns its output, which it must
    have ended with a non-zero exit."""
    try:
        m = StoreMUC('spool', tmpdir=tmp)
    except AssertionError as e:
        return str(e)
    m.stop()
    raise AssertionError('the daemon started on a Palaver 0.6 spool')


def legacy_refused(fname):
    tmp = tempfile.mkdtemp(prefix='palaver-legacy-spool-')
    try:
        spool = os.path.join(tmp, 'spool')
        os.makedirs(spool)
        legacy = os.path.join(spool, fname)
        with open(legacy, 'wb') as f:
            f.write(PICKLE)
        out = start_fails(tmp)
        assert 'exited with code 1' in out, out[-3000:]
        for needed in (legacy, 'Palaver 0.6', 'palaver-migrate --from',
                       'mu-conference:DIR', 'palaver06-sqlite:FILE', '<spool>'):
            assert needed in out, 'the message lacks %r:\n%s' % (needed, out[-3000:])
        with open(legacy, 'rb') as f:
            assert f.read() == PICKLE, 'the old spool file was changed'
        assert sorted(os.listdir(spool)) == [fname], os.listdir(spool)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_palaver06_pickle_spool_stops_start_up_with_conversion_advice():
    legacy_refused('cm9vbXM=_')


def test_palaver06_pickle_spool_being_replaced_is_refused_too():
    legacy_refused('cm9vbXM=_.rpl')


def test_spool_without_the_pickle_starts():
    # the same directory minus that file, with a room file of ours: starts
    tmp = tempfile.mkdtemp(prefix='palaver-legacy-spool-')
    try:
        os.makedirs(os.path.join(tmp, 'spool'))
        with open(os.path.join(tmp, 'spool', 'cm9vbXM=_.txt'), 'wb') as f:
            f.write(b'notes about the old spool')
        with StoreMUC('spool', tmpdir=tmp) as m:
            m.create('alice@localhost/pc', 'lounge', 'alice', {'persistentroom': 1,
                                                               'roomname': 'Lounge'})
        with StoreMUC('spool', tmpdir=tmp) as m:
            assert room_name(m, 'lounge') == 'Lounge'
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


run(globals())
