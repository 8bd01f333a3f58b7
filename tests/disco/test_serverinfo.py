"""disco-extended: the service's extended information (XEP-0128 in DISCO-1's
answer: XEP-0157 contact addresses and site forms), the plugin's config
checks and reload, and Palaver's form in disco#items entries (DISCO-2)."""

import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from discoutil import (DX, DOMAIN, NS, ITEMS, ROOMINFO, SERVERINFO, room_jid, forms,  # noqa: E402
                       fields, field_el, tostring)
from taptest import run, skip  # noqa: E402

A, B = 'alice@localhost/pc', 'bob@localhost/phone'

CONTACTS = ('<contact type="abuse">xmpp:abuse@example.org</contact>'
            '<contact type="abuse">mailto:abuse@example.org</contact>'
            '<contact type="admin">xmpp:admin@example.org</contact>'
            '<contact type="security">mailto:security@example.org</contact>'
            '<contact type="support">https://example.org/support</contact>')
SITE = ('<form type="urn:example:info">'
        '<field var="x">value</field><field var="motd">  Welcome &amp; enjoy  </field>'
        '<field var="y">one</field><field var="y">two</field></form>')


def test_disco_1_no_extended_information_unless_configured():
    with DX() as m:
        res = m.info(B, DOMAIN)
        assert not forms(res), tostring(res)
        ident = [(i.get('category'), i.get('type'))
                 for i in res.iter('{%s}identity' % NS['disco_info'])]
        assert ('conference', 'text') in ident, tostring(res)


def test_disco_1_contact_addresses_xep_0157():
    with DX(CONTACTS) as m:
        fs = forms(m.info(B, DOMAIN))
        assert list(fs) == [SERVERINFO], fs
        x = fs[SERVERINFO]
        assert fields(x) == {
            'abuse-addresses': ['xmpp:abuse@example.org', 'mailto:abuse@example.org'],
            'admin-addresses': ['xmpp:admin@example.org'],
            'security-addresses': ['mailto:security@example.org'],
            'support-addresses': ['https://example.org/support'],
        }, fields(x)
        assert field_el(x, 'abuse-addresses').get('type') == 'list-multi'


def test_disco_1_site_form():
    with DX(CONTACTS + SITE) as m:
        fs = forms(m.info(B, DOMAIN))
        assert list(fs) == [SERVERINFO, 'urn:example:info'], list(fs)
        f = fields(fs['urn:example:info'])
        assert f == {'x': ['value'], 'motd': ['Welcome & enjoy'], 'y': ['one', 'two']}, f
        assert field_el(fs['urn:example:info'], 'y').get('type') == 'text-multi'


def test_disco_1_service_forms_stay_on_the_service():
    with DX(CONTACTS + SITE) as m:
        m.create(A, 'tea', 'alice')
        assert list(forms(m.info(B, room_jid('tea')))) == [ROOMINFO]


def write_config(r, dx_config):
    r.plugin_config['disco-extended'] = dx_config
    with open(r.config_path, 'w', encoding='utf-8') as f:
        f.write(r.config_xml())


def test_disco_1_sighup_reloads_the_forms_and_keeps_them_on_a_bad_config():
    with DX('<contact type="abuse">xmpp:old@example.org</contact>') as m:
        write_config(m.r, '<contact type="abuse">xmpp:new@example.org</contact>')
        m.r.signal(signal.SIGHUP)
        m.r.wait_log('reloading')
        time.sleep(0.3)
        f = fields(forms(m.info(B, DOMAIN, id_='d2'))[SERVERINFO])
        assert f == {'abuse-addresses': ['xmpp:new@example.org']}, f
        write_config(m.r, '<contact type="abusive">xmpp:bad@example.org</contact>')
        m.r.signal(signal.SIGHUP)
        m.r.wait_log('keeping the previous settings')
        f = fields(forms(m.info(B, DOMAIN, id_='d3'))[SERVERINFO])
        assert f == {'abuse-addresses': ['xmpp:new@example.org']}, f


def check_config(dx_config):
    """Runs palaver --check-config on a config with this disco-extended element;
    returns (exit code, output, the line of the <disco-extended> element)."""
    text = ("<?xml version='1.0'?>\n<palaver>\n  <name>%s</name>\n  <secret>s</secret>\n"
            "  <backend><type>memory</type></backend>\n  <plugins>\n    <muc-core/>\n"
            "    <disco-extended>\n%s\n    </disco-extended>\n  </plugins>\n</palaver>\n"
            % (DOMAIN, dx_config))
    with tempfile.TemporaryDirectory(prefix='pv-dx-') as tmp:
        path = os.path.join(tmp, 'palaver.xml')
        with open(path, 'w', encoding='utf-8') as f:
            f.write(text)
        cmd = [os.environ['PALAVER_BIN'], '--check-config', '-c', path,
               '--moduledir', os.environ['PALAVER_MODULE_DIR']]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        return p.returncode, p.stdout + p.stderr, path


def test_disco_1_config_mistakes_are_refused_with_file_and_line():
    code, out, _ = check_config(CONTACTS + SITE +
                                '<items-form>true</items-form><max-history-fetch>20'
                                '</max-history-fetch><logs-url>https://l.example/{room}'
                                '</logs-url>')
    assert code == 0, out
    cases = [
        ('<contact type="abusive">xmpp:a@example.org</contact>', 'type="abuse"'),
        ('<contact type="abuse">not a uri</contact>', 'must hold one URI'),
        ('<form><field var="x">v</field></form>', 'needs a type'),
        ('<form type="urn:x"><field>v</field></form>', 'needs a var'),
        ('<form type="urn:x"><field var="a">1</field></form>'
         '<form type="urn:x"><field var="b">1</field></form>', 'appears twice'),
        ('<contacts/>', 'unknown element <contacts>'),
        ('<items-form>maybe</items-form>', 'items-form'),
        ('<max-history-fetch>-3</max-history-fetch>', 'max-history-fetch'),
        ('<ldapgroup>cn=x</ldapgroup>', 'needs room='),
    ]
    for cfg, why in cases:
        code, out, path = check_config(cfg)
        assert code != 0, 'accepted: %s\n%s' % (cfg, out)
        assert why in out, '%r not in the output for %s:\n%s' % (why, cfg, out)
        assert '%s:9' % path in out, 'no file:line for %s:\n%s' % (cfg, out)
        assert 'disco-extended' in out, out


def item_forms(res):
    return [i.find('{%s}x' % NS['data']) for i in res.iter('{%s}item' % NS['disco_items'])]


def test_disco_2_no_form_in_items_by_default():
    with DX() as m:
        m.create(A, 'tea', 'alice', {'roomdesc': 'All about tea'})
        res = m.iq(B, DOMAIN, 'get', ITEMS)
        xs = item_forms(res)
        assert len(xs) == 1 and xs[0] is None, tostring(res)


def test_disco_2_items_form_when_enabled():
    with DX('<items-form>true</items-form>') as m:
        m.create(A, 'tea', 'alice', {'roomdesc': 'All about tea'})
        res = m.iq(B, DOMAIN, 'get', ITEMS)
        xs = item_forms(res)
        assert len(xs) == 1, tostring(res)
        if xs[0] is None and 'has no effect: this muc-core' in m.r.stderr():
            skip('muc-core has no disco#items extension point yet (the plugin warned)')
        x = xs[0]
        assert x is not None and x.get('type') == 'result', tostring(res)
        f = {fl.get('var'): [v.text or '' for v in fl.findall('{%s}value' % NS['data'])]
             for fl in x.findall('{%s}field' % NS['data'])}
        assert f == {'muc#roominfo_description': ['All about tea']}, f


run(globals())
