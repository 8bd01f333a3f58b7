"""examples/word-filter: the SDK's example site plugin, built out of tree with
plain cc and `pkg-config --cflags palaver` (the build tree's
palaver-uninstalled.pc), loaded from its own directory through the module
path, refusing groupchat messages that contain configured words (MSG-1's
veto path: the MESSAGE event of palaver/muc.h)."""

import os
import signal
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'disco'))

from discoutil import DX, OutOfTree, room_jid, tostring, sdk_cflags  # noqa: E402
from mucutil import assert_error, to, body_of, describe  # noqa: E402
from taptest import run  # noqa: E402

SRC = os.path.join(os.environ.get('PALAVER_SRCDIR', os.path.join(HERE, '..', '..')),
                   'examples', 'word-filter', 'word-filter.c')
A, B = 'alice@localhost/pc', 'bob@localhost/phone'
WORDS = '<word>spam</word><word> Buy Now </word>'


def filtered(words=WORDS):
    return DX(plugins=('muc-core', 'word-filter'), extra_plugin_config={'word-filter': words})


def room(m):
    m.create(A, 'r', 'alice')
    m.join(B, 'r', 'bob')


def say(m, frm, body, id_='m1'):
    return m.groupchat(frm, 'r', body, id_=id_)


def test_builds_out_of_tree_with_pkg_config_and_no_warning():
    cflags = sdk_cflags()
    assert any(f.startswith('-I') for f in cflags), cflags
    with OutOfTree(SRC, 'word-filter') as p:
        assert os.path.getsize(p.so) > 0
        nm = subprocess.run(['nm', '-D', '--defined-only', p.so], capture_output=True, text=True)
        assert 'word_filter_LTX_pv_plugin' in nm.stdout, nm.stdout


def test_msg_1_refused_with_not_acceptable_naming_the_word():
    with OutOfTree(SRC, 'word-filter'):
        with filtered() as m:
            room(m)
            got = say(m, B, 'this is SPAM!')
            e = assert_error(got, B, 'modify', 'not-acceptable', frm=room_jid('r'))
            text = e.find('{jabber:component:accept}error/'
                          '{urn:ietf:params:xml:ns:xmpp-stanzas}text').text
            assert '"spam"' in text and 'not allowed' in text, text
            # nobody else saw it, alice included
            assert not to(got, A), describe(got)
            got = say(m, A, 'want to buy   now? no: buy now!', id_='m2')
            assert_error(got, A, 'modify', 'not-acceptable')
            assert 'refused a message from %s' % B in m.r.stderr()


def test_msg_1_clean_messages_pass():
    with OutOfTree(SRC, 'word-filter'):
        with filtered() as m:
            room(m)
            for i, text in enumerate(('hello', 'spamming is a different word', 'spa m',
                                      'buy nowhere', 'caf\u00e9spam')):
                got = say(m, B, text, id_='c%d' % i)
                assert sorted(s.get('to') for s in got) == [A, B], describe(got)
                assert all(s.get('type') == 'groupchat' and body_of(s) == text
                           for s in got), describe(got)


def test_msg_1_other_language_bodies_and_xhtml_are_checked():
    with OutOfTree(SRC, 'word-filter'):
        with filtered() as m:
            room(m)
            m.send("<message type='groupchat' id='l1' from='%s' to='%s'><body>fine</body>"
                   "<body xml:lang='fr'>du spam</body></message>" % (B, room_jid('r')))
            assert_error(m.collect(), B, 'modify', 'not-acceptable')
            m.send("<message type='groupchat' id='h1' from='%s' to='%s'><body>fine</body>"
                   "<html xmlns='http://jabber.org/protocol/xhtml-im'><body xmlns="
                   "'http://www.w3.org/1999/xhtml'><p>pure <b>spam</b></p></body></html>"
                   "</message>" % (B, room_jid('r')))
            assert_error(m.collect(), B, 'modify', 'not-acceptable')


def test_sighup_replaces_the_word_list():
    with OutOfTree(SRC, 'word-filter'):
        with filtered() as m:
            room(m)
            m.r.plugin_config['word-filter'] = '<word>eggs</word>'
            with open(m.r.config_path, 'w', encoding='utf-8') as f:
                f.write(m.r.config_xml())
            m.r.signal(signal.SIGHUP)
            m.r.wait_log('reloading')
            m.collect()
            got = say(m, B, 'spam is fine now')
            assert sorted(s.get('to') for s in got) == [A, B], describe(got)
            assert_error(say(m, B, 'but not eggs', id_='m2'), B, 'modify', 'not-acceptable')


def test_bad_config_is_refused_with_file_and_line():
    with OutOfTree(SRC, 'word-filter'):
        for cfg, why in (('<words>spam</words>', 'unknown element <words>'),
                         ('<word>  </word>', '<word> is empty')):
            try:
                m = filtered(cfg)
            except AssertionError as e:
                msg = str(e)
            else:
                m.stop()
                raise AssertionError('the daemon started with ' + cfg)
            assert why in msg and 'word-filter' in msg and 'palaver.xml:' in msg, msg


run(globals())
