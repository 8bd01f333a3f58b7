"""muc-core: the service's room defaults and admin-only fields (<room-defaults>,
<admin-only-fields>): DEFAULTS-1.

New rooms (instant, configured, GroupChat 1.0) take the configured defaults
and show them in the owner's form; an owner's submit that changes an
admin-only field is refused (auth/forbidden, naming it) and changes nothing,
a service admin's is applied; a bad default stops start-up with FILE:LINE; a
SIGHUP changes the defaults of rooms created later only; stored rooms keep
what they had across a restart whatever the defaults became.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mucutil import MUC, NS, room_jid, codes, describe, tostring, cond  # noqa: E402
from taptest import run  # noqa: E402
from fakerouter import Router  # noqa: E402

A, B = 'alice@localhost/pc', 'bob@localhost/phone'
ROOT = 'root@localhost/desk'
SADMIN = '<sadmin><user>root@localhost</user></sadmin>'
NO_KEEP = '<keep-occupants>no</keep-occupants>'
DATA = '{jabber:x:data}'
RC = 'muc#roomconfig_'
GAME_VARS = ('game', 'ignore_player')  # game-rooms' own fields (no prefix)


def full_var(var):
    return var if '#' in var or var in GAME_VARS else RC + var


def defaults(**vals):
    """<room-defaults> with muc#roomconfig_KEY (or a full var) = value(s)."""
    out = ['<room-defaults>']
    for var, val in vals.items():
        var = full_var(var.replace('__', '#'))
        vs = val if isinstance(val, (list, tuple)) else [val]
        out.append("<field var='%s'>%s</field>" % (var, ''.join('<value>%s</value>' % v for v in vs)))
    out.append('</room-defaults>')
    return ''.join(out)


def admin_only(*vars_):
    return '<admin-only-fields>%s</admin-only-fields>' % ''.join(
        "<field var='%s'/>" % full_var(v) for v in vars_)


def form_of(m, who, room):
    res = m.iq(who, room_jid(room), 'get', "<query xmlns='%s'/>" % NS['muc_owner'], id_='get')
    assert res.get('type') == 'result', tostring(res)
    out = {}
    for f in res.iter(DATA + 'field'):
        out[f.get('var')] = [v.text or '' for v in f.findall(DATA + 'value')]
        desc = f.find(DATA + 'desc')
        if desc is not None:
            out[f.get('var') + '/desc'] = desc.text
    return out


def value(form, var):
    return form[var if '#' in var else RC + var]


def expect_set(form):
    assert value(form, 'roomname') == ['Default Name'], form
    assert value(form, 'publicroom') == ['0'], form
    assert value(form, 'maxusers') == ['30'], form
    assert value(form, 'whois') == ['anyone'], form
    assert value(form, 'presencebroadcast') == ['moderator', 'participant'], form
    assert value(form, 'x-palaver#changenick') == ['0'], form


def cfg_set():
    return defaults(roomname='Default Name', publicroom=0, maxusers=30, whois='anyone',
                    presencebroadcast=['moderator', 'participant'],
                    **{'x-palaver__changenick': 0})


def test_defaults_1_instant_configured_and_gc10_rooms_take_the_defaults():
    with MUC(muc_config=cfg_set()) as m:
        m.create(A, 'inst', 'alice')                       # instant room (empty submit)
        expect_set(form_of(m, A, 'inst'))
        m.create(A, 'conf', 'alice', {'roomname': 'Mine'})  # configured: other fields stay
        f = form_of(m, A, 'conf')
        assert value(f, 'roomname') == ['Mine'], f
        assert value(f, 'maxusers') == ['30'] and value(f, 'publicroom') == ['0'], f
        got = m.join(A, 'gc1', 'alice', muc=False)          # GroupChat 1.0: instant
        assert 201 not in codes(got[0]), describe(got)
        expect_set(form_of(m, A, 'gc1'))
        # the defaults act: whois anyone is a non-anonymous room (172 on entry)
        assert any(100 in codes(s) for s in m.join(B, 'inst', 'bob')), 'whois anyone'
        # no admin-only fields configured: no desc anywhere
        assert not [k for k in f if k.endswith('/desc')], f


def test_defaults_1_form_without_defaults_unchanged():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        f = form_of(m, A, 'r')
        assert value(f, 'publicroom') == ['1'] and value(f, 'maxusers') == ['0'], f


def test_defaults_1_admin_only_refused_for_owner_accepted_for_sadmin():
    conf = defaults(publicroom=0) + admin_only('publicroom', 'persistentroom')
    with MUC(muc_config=conf, extra_config=SADMIN) as m:
        m.create(A, 'r', 'alice')
        f = form_of(m, A, 'r')
        assert value(f, 'publicroom') == ['0'], 'kept in the form with its value'
        assert 'Only a service administrator' in f[RC + 'publicroom/desc'], f
        assert RC + 'roomname/desc' not in f, f
        res = m.configure(A, 'r', {'publicroom': 1, 'roomname': 'Changed'})
        assert cond(res) == ('auth', 'forbidden'), tostring(res)
        assert RC + 'publicroom' in tostring(res), 'the error names the field'
        assert m.collect() == [], 'nothing announced'
        f = form_of(m, A, 'r')
        assert value(f, 'publicroom') == ['0'] and value(f, 'roomname') == [''], 'nothing changed'
        # true is the same value as 1 and a whole-form submit keeps it: fine
        res = m.configure(A, 'r', {'publicroom': 'false', 'persistentroom': 0, 'roomname': 'Ok'})
        assert res.get('type') == 'result', tostring(res)
        assert value(form_of(m, A, 'r'), 'roomname') == ['Ok']
        # an invalid value of an admin-only field is a change too
        res = m.configure(A, 'r', {'publicroom': 'maybe'})
        assert cond(res) == ('auth', 'forbidden'), tostring(res)
        # a service admin may
        res = m.configure(ROOT, 'r', {'publicroom': 1})
        assert res.get('type') == 'result', tostring(res)
        assert value(form_of(m, A, 'r'), 'publicroom') == ['1']
        # the creator of a new locked room cannot either
        m.join(B, 'locked', 'bob')
        res = m.configure(B, 'locked', {'persistentroom': 1})
        assert cond(res) == ('auth', 'forbidden'), tostring(res)
        assert value(form_of(m, B, 'locked'), 'persistentroom') == ['0']


def check_config(muc_core_xml, other=''):
    d = tempfile.mkdtemp(prefix='palaver-rd-')
    cfg = os.path.join(d, 'palaver.xml')
    try:
        with open(cfg, 'w') as f:
            f.write("<palaver>\n<name>muc.localhost</name><ip>127.0.0.1</ip>\n"
                    "<port>5347</port><secret>s</secret><backend><type>memory</type>\n"
                    "</backend><spool>%s</spool>\n<plugins>\n<muc-core>\n%s\n</muc-core>%s\n</plugins>\n"
                    "</palaver>\n" % (d, muc_core_xml, other))
        p = subprocess.run([os.environ['PALAVER_BIN'], '-c', cfg, '--check-config'],
                           capture_output=True, text=True, timeout=30)
        return p.returncode, p.stdout + p.stderr, cfg
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_defaults_1_bad_defaults_stop_start_up_with_file_and_line():
    rc, out, cfg = check_config(defaults(publicroom=0))
    assert rc == 0, out
    cases = [
        ("<room-defaults>\n<field var='muc#roomconfig_maxusers'><value>abc</value></field>"
         "</room-defaults>", 'maxusers must be a whole number'),
        ("<room-defaults>\n<field var='muc#roomconfig_bogus'><value>1</value></field>"
         "</room-defaults>", 'no such room configuration field'),
        ("<room-defaults>\n<field var='muc#roomconfig_publicroom'><value>maybe</value></field>"
         "</room-defaults>", 'must be a boolean'),
        ("<room-defaults>\n<field var='muc#roomconfig_whois'><value>everyone</value></field>"
         "</room-defaults>", 'not one of the offered options'),
        ("<room-defaults>\n<field var='muc#roomconfig_presencebroadcast'><value>moderator</value>"
         "<value>king</value></field></room-defaults>", 'not one of the offered options'),
        ("<room-defaults>\n<field var='muc#roomconfig_publicroom'><value>0</value></field>"
         "<field var='muc#roomconfig_publicroom'><value>1</value></field></room-defaults>",
         'given twice'),
        ("<room-defaults>\n<field><value>0</value></field></room-defaults>", 'needs a var'),
        ("<room-defaults>\n<fieldd var='muc#roomconfig_publicroom'/></room-defaults>",
         'unknown element <fieldd>'),
        ("<admin-only-fields>\n<field var='x-palaver#nosuch'/></admin-only-fields>",
         'no such room configuration field'),
    ]
    for xml, what in cases:
        rc, out, cfg = check_config(xml)
        assert rc != 0, (xml, out)
        # the <field> is on line 8 of the file written above
        assert re.search(re.escape(cfg) + r':8: muc-core: .*' + re.escape(what), out), (xml, out)
    # the daemon itself does not start either
    r = Router(domain='muc.localhost', plugins=['muc-core'], start=False,
               plugin_config={'muc-core': defaults(maxusers='abc')})
    try:
        r.start(accept=False)
        assert r.proc.wait(timeout=30) != 0, 'start-up stopped'
        assert 'maxusers must be a whole number' in r.stderr(), r.stderr()
    finally:
        r.stop()  # checks the failed start-up for sanitizer reports too


def rewrite(m, conf):
    m.r.plugin_config['muc-core'] = conf
    with open(m.r.config_path, 'w', encoding='utf-8') as f:
        f.write(m.r.config_xml())
    m.r.signal(signal.SIGHUP)


def test_defaults_1_sighup_changes_defaults_of_new_rooms_only():
    with MUC(muc_config=defaults(roomname='Old', maxusers=20)) as m:
        m.create(A, 'before', 'alice')
        rewrite(m, defaults(roomname='New'))
        deadline = time.monotonic() + 5
        n = 0
        while True:
            n += 1
            m.create(A, 'after%d' % n, 'alice')
            f = form_of(m, A, 'after%d' % n)
            if value(f, 'roomname') == ['New']:
                break
            assert time.monotonic() < deadline, 'the new defaults never applied'
            time.sleep(0.1)
        assert value(f, 'maxusers') == ['0'], 'a default no longer configured is the built-in one'
        f = form_of(m, A, 'before')
        assert value(f, 'roomname') == ['Old'] and value(f, 'maxusers') == ['20'], f
        # a bad new default is refused: the old ones stay
        rewrite(m, defaults(roomname='Bad', maxusers='abc'))
        deadline = time.monotonic() + 5
        while 'new configuration refused' not in m.r.stderr():
            assert time.monotonic() < deadline, m.r.stderr()
            time.sleep(0.1)
        assert 'maxusers must be a whole number' in m.r.stderr()
        m.create(A, 'later', 'alice')
        assert value(form_of(m, A, 'later'), 'roomname') == ['New']


def test_defaults_1_stored_rooms_keep_their_values_across_restart_sqlite():
    tmp = tempfile.mkdtemp(prefix='palaver-rd-persist-')
    new = defaults(publicroom=0, maxusers=50, **{'x-palaver__changenick': 0})
    try:
        # built-in defaults: 'plain' is stored with publicroom 1, maxusers 0,
        # changenick 1, the very values a room keeps as "default" in memory
        with MUC(backend='sqlite', tmpdir=tmp, muc_config=NO_KEEP) as m:
            m.create(A, 'plain', 'alice', {'persistentroom': 1})
        # new defaults: 'plain' keeps its values; 'made' takes the defaults
        with MUC(backend='sqlite', tmpdir=tmp, muc_config=NO_KEEP + new) as m:
            f = form_of(m, A, 'plain')
            assert value(f, 'publicroom') == ['1'], f
            assert value(f, 'maxusers') == ['0'], f
            assert value(f, 'x-palaver#changenick') == ['1'], f
            m.create(A, 'made', 'alice', {'persistentroom': 1})
            f = form_of(m, A, 'made')
            assert value(f, 'publicroom') == ['0'] and value(f, 'maxusers') == ['50'], f
        # defaults gone: 'made' keeps what it was created with, 'plain' too
        with MUC(backend='sqlite', tmpdir=tmp, muc_config=NO_KEEP) as m:
            f = form_of(m, A, 'made')
            assert value(f, 'publicroom') == ['0'] and value(f, 'maxusers') == ['50'], f
            assert value(f, 'x-palaver#changenick') == ['0'], f
            f = form_of(m, A, 'plain')
            assert value(f, 'publicroom') == ['1'] and value(f, 'maxusers') == ['0'], f
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def ext_submit(m, who, room, fields):
    x = ''.join("<field var='%s'><value>%s</value></field>" % kv for kv in fields.items())
    return m.iq(who, room_jid(room), 'set',
                "<query xmlns='%s'><x xmlns='jabber:x:data' type='submit'>%s</x></query>"
                % (NS['muc_owner'], x), id_='ext')


def test_defaults_1_other_plugins_fields():
    conf = defaults(game=1) + admin_only('ignore_player')
    with MUC(muc_config=conf, plugins=('muc-core', 'game-rooms'), extra_config=SADMIN) as m:
        m.create(A, 'g', 'alice')
        f = form_of(m, A, 'g')
        assert f['game'] == ['1'] and f['ignore_player'] == ['0'], f
        res = ext_submit(m, A, 'g', {'ignore_player': 'true'})
        assert cond(res) == ('auth', 'forbidden') and 'ignore_player' in tostring(res), tostring(res)
        res = ext_submit(m, A, 'g', {'ignore_player': 'false', 'game': '0'})
        assert res.get('type') == 'result', tostring(res)
        assert form_of(m, A, 'g')['game'] == ['0']
        res = ext_submit(m, ROOT, 'g', {'ignore_player': '1'})
        assert res.get('type') == 'result', tostring(res)
        assert form_of(m, A, 'g')['ignore_player'] == ['1']
        # SIGHUP checks the registered field's default too
        rewrite(m, defaults(game='maybe'))
        deadline = time.monotonic() + 5
        while 'new configuration refused' not in m.r.stderr():
            assert time.monotonic() < deadline, m.r.stderr()
            time.sleep(0.1)
        assert 'the default of game must be a boolean' in m.r.stderr(), m.r.stderr()
        m.create(A, 'g2', 'alice')
        assert form_of(m, A, 'g2')['game'] == ['1'], 'the old defaults stay'
    # a bad default of a registered boolean stops start-up (game-rooms' init fails)
    rc, out, cfg = check_config(defaults(game='maybe'), '<game-rooms/>')
    assert rc != 0 and re.search(re.escape(cfg) + r':7: muc-core: .*must be a boolean', out), out
    # a var no plugin registers is reported at the first connection
    with MUC(muc_config=defaults(**{'x-other__thing': 1})) as m:
        m.create(A, 'r', 'alice')
        assert 'names x-other#thing, which no loaded plugin registered' in m.r.stderr(), m.r.stderr()



def test_defaults_1_maxhistoryfetch_is_the_history_plugins_field():
    conf = defaults(**{'muc__maxhistoryfetch': 7})
    with MUC(muc_config=conf, plugins=('muc-core', 'history')) as m:
        m.create(A, 'r', 'alice')
        assert form_of(m, A, 'r')['muc#maxhistoryfetch'] == ['7']
    # checked as owners' submits are, when the history plugin registers it
    rc, out, cfg = check_config(defaults(**{'muc__maxhistoryfetch': -1}), '<history/>')
    assert rc != 0 and re.search(re.escape(cfg) + r':7: muc-core: .*must be a whole number', out), out


if __name__ == '__main__':
    run(globals())
