"""Every data form Palaver sends, field by field, against the registry of its
FORM_TYPE (OWNER-3, REG-1, DISCO-3, VOICE-1, ADHOC-1, MAM-1, DISCO-1).

Strict client libraries check a field's type against the registry (aioxmpp's
ConfigurationForm refuses the whole owner form when one type differs), so a
form whose field types drift from the XEP breaks those clients entirely. The
tables below are copied from the registry submissions of the XEPs that define
each FORM_TYPE (their XMPP Registrar Considerations): XEP-0045 (muc#register,
muc#request, muc#roomconfig, muc#roominfo), XEP-0486 (muc#roominfo_avatarhash),
XEP-0133 (the admin commands' FORM_TYPE), XEP-0313 (urn:xmpp:mam:2) and
XEP-0157 (serverinfo).
A field whose var is in its FORM_TYPE's table must have that type (a missing
type attribute means text-single, XEP-0004 §3.2); every field's type must be
one of XEP-0004's; fields outside the table (x-palaver#..., other plugins')
are Palaver's own and only need a valid type.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mucutil import (MUC, NS, DOMAIN, Router, room_jid, is_message, describe,  # noqa: E402
                     tostring)
from taptest import run  # noqa: E402

A, B, C = 'alice@localhost/pc', 'bob@localhost/phone', 'carol@example.net/x'
ROOT = 'root@localhost/console'
DATA = '{jabber:x:data}'

# XEP-0004 §3.3
XEP_0004_TYPES = {'boolean', 'fixed', 'hidden', 'jid-multi', 'jid-single', 'list-multi',
                  'list-single', 'text-multi', 'text-private', 'text-single'}

# XEP-0045, muc#register FORM_TYPE
MUC_REGISTER = {
    'muc#register_allow': 'boolean',
    'muc#register_email': 'text-single',
    'muc#register_faqentry': 'text-multi',
    'muc#register_first': 'text-single',
    'muc#register_last': 'text-single',
    'muc#register_roomnick': 'text-single',
    'muc#register_url': 'text-single',
}

# XEP-0045, muc#request FORM_TYPE
MUC_REQUEST = {
    'muc#role': 'list-single',
    'muc#jid': 'jid-single',
    'muc#roomnick': 'text-single',
    'muc#request_allow': 'boolean',
}

# XEP-0045, muc#roomconfig FORM_TYPE
MUC_ROOMCONFIG = {
    'muc#maxhistoryfetch': 'text-single',
    'muc#roomconfig_allowpm': 'list-single',
    'muc#roomconfig_allowinvites': 'boolean',
    'muc#roomconfig_changesubject': 'boolean',
    'muc#roomconfig_enablelogging': 'boolean',
    'muc#roomconfig_getmemberlist': 'list-multi',
    'muc#roomconfig_lang': 'text-single',
    'muc#roomconfig_pubsub': 'text-single',
    'muc#roomconfig_maxusers': 'list-single',
    'muc#roomconfig_membersonly': 'boolean',
    'muc#roomconfig_moderatedroom': 'boolean',
    'muc#roomconfig_passwordprotectedroom': 'boolean',
    'muc#roomconfig_persistentroom': 'boolean',
    'muc#roomconfig_presencebroadcast': 'list-multi',
    'muc#roomconfig_publicroom': 'boolean',
    'muc#roomconfig_roomadmins': 'jid-multi',
    'muc#roomconfig_roomdesc': 'text-single',
    'muc#roomconfig_roomname': 'text-single',
    'muc#roomconfig_roomowners': 'jid-multi',
    'muc#roomconfig_roomsecret': 'text-private',
    'muc#roomconfig_whois': 'list-single',
}

# XEP-0045, muc#roominfo FORM_TYPE; any muc#roomconfig field may appear in it
# too (XEP-0045 §6.4); XEP-0486's muc#roominfo_avatarhash.
MUC_ROOMINFO = dict(MUC_ROOMCONFIG, **{
    'muc#maxhistoryfetch': 'text-single',
    'muc#roominfo_contactjid': 'jid-multi',
    'muc#roominfo_description': 'text-single',
    'muc#roominfo_lang': 'text-single',
    'muc#roominfo_ldapgroup': 'text-single',
    'muc#roominfo_logs': 'text-single',
    'muc#roominfo_occupants': 'text-single',
    'muc#roominfo_subject': 'text-single',
    'muc#roominfo_subjectmod': 'boolean',
    'muc#roominfo_avatarhash': 'text-multi',
})

# XEP-0133, http://jabber.org/protocol/admin FORM_TYPE
ADMIN = {
    'accountjid': 'jid-single', 'accountjids': 'jid-multi', 'activeuserjids': 'jid-multi',
    'activeusersnum': 'text-single', 'adminjids': 'jid-multi', 'announcement': 'text-multi',
    'blacklistjids': 'jid-multi', 'delay': 'list-multi', 'disableduserjids': 'jid-multi',
    'disabledusersnum': 'text-single', 'email': 'text-single', 'given_name': 'text-single',
    'idleusersnum': 'text-single', 'ipaddresses': 'list-multi', 'lastlogin': 'text-single',
    'loginsperminute': 'text-single', 'max_items': 'list-single', 'motd': 'text-multi',
    'onlineresources': 'text-single', 'onlineuserjids': 'jid-multi',
    'onlineusersnum': 'text-single', 'password': 'text-private',
    'password-verify': 'text-private', 'registereduserjids': 'jid-multi',
    'registeredusersnum': 'text-single', 'rostersize': 'text-single',
    'stanzaspersecond': 'text-single', 'surname': 'text-single', 'welcome': 'text-multi',
    'whitelistjids': 'jid-multi',
}

# XEP-0313, urn:xmpp:mam:2 FORM_TYPE
MAM = {
    'with': 'jid-single', 'start': 'text-single', 'end': 'text-single',
    'before-id': 'text-single', 'after-id': 'text-single', 'ids': 'text-multi',
}

# XEP-0157, http://jabber.org/network/serverinfo FORM_TYPE
SERVERINFO = {v + '-addresses': 'list-multi'
              for v in ('abuse', 'admin', 'feedback', 'sales', 'security', 'status', 'support')}

REGISTRIES = {
    NS['muc_roomconfig']: MUC_ROOMCONFIG,
    'http://jabber.org/protocol/muc#register': MUC_REGISTER,
    NS['muc_request']: MUC_REQUEST,
    NS['muc_roominfo']: MUC_ROOMINFO,
    'http://jabber.org/protocol/admin': ADMIN,
    NS['mam']: MAM,
    'http://jabber.org/network/serverinfo': SERVERINFO,
}


def check_form(x, form_type, must_have=()):
    """Asserts x is a form of form_type whose fields have their registry's
    types; returns the vars compared with the registry."""
    ft = [f for f in x.findall(DATA + 'field') if f.get('var') == 'FORM_TYPE']
    assert len(ft) == 1 and ft[0].get('type') == 'hidden', 'FORM_TYPE: ' + tostring(x)
    assert ft[0].findtext(DATA + 'value') == form_type, tostring(x)
    table = REGISTRIES[form_type]
    compared, wrong = set(), []
    for f in x.findall(DATA + 'field'):
        var, type_ = f.get('var'), f.get('type') or 'text-single'
        assert type_ in XEP_0004_TYPES, '%s: %r is no XEP-0004 type' % (var, type_)
        if var in table:
            compared.add(var)
            if type_ != table[var]:
                wrong.append('%s is %s, the registry says %s' % (var, type_, table[var]))
    assert not wrong, '%s form:\n  %s\n%s' % (form_type, '\n  '.join(wrong), tostring(x))
    missing = set(must_have) - compared
    assert not missing, 'not in the %s form: %s' % (form_type, sorted(missing))
    return compared


def only_form(el):
    xs = list(el.iter(DATA + 'x'))
    assert len(xs) == 1, tostring(el)
    return xs[0]


class Daemon(MUC):
    """muc-core with disco-extended and history, a service admin (root)."""

    def __init__(self, dx_config=''):
        self.r = Router(domain=DOMAIN, plugins=['muc-core', 'disco-extended', 'history'],
                        plugin_config={'muc-core': '', 'disco-extended': dx_config,
                                       'history': ''},
                        extra_config='<sadmin><user>root@localhost</user></sadmin>',
                        reply_close=False)


def test_owner_3_config_form_matches_muc_roomconfig_registry():
    with Daemon() as m:
        m.create(A, 'r', 'alice')
        res = m.iq(A, room_jid('r'), 'get', "<query xmlns='%s'/>" % NS['muc_owner'], id_='f')
        assert res.get('type') == 'result', tostring(res)
        x = only_form(res)
        assert x.get('type') == 'form'
        check_form(x, NS['muc_roomconfig'], must_have=set(MUC_ROOMCONFIG))


def test_reg_1_register_form_matches_muc_register_registry():
    with Daemon() as m:
        m.create(A, 'r', 'alice')
        res = m.iq(B, room_jid('r'), 'get', "<query xmlns='%s'/>" % NS['register'], id_='rg')
        assert res.get('type') == 'result', tostring(res)
        check_form(only_form(res), 'http://jabber.org/protocol/muc#register',
                   must_have={'muc#register_roomnick'})


def test_reg_1_approval_form_matches_muc_register_registry():
    with Daemon() as m:
        m.create(A, 'r', 'alice', {'x-palaver#registration_approval': 1})
        m.send("<iq type='set' id='rs' from='%s' to='%s'><query xmlns='%s'>"
               "<x xmlns='jabber:x:data' type='submit'>"
               "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field>"
               "<field var='muc#register_roomnick'><value>bobby</value></field></x></query></iq>"
               % (B, room_jid('r'), NS['register']))
        got = m.collect()
        forms = [s for s in got if is_message(s) and s.get('to') == 'alice@localhost']
        assert len(forms) == 1, describe(got)
        check_form(only_form(forms[0]), 'http://jabber.org/protocol/muc#register',
                   must_have={'muc#register_roomnick', 'muc#register_allow'})


def test_voice_1_approval_form_matches_muc_request_registry():
    with Daemon() as m:
        m.create(A, 'r', 'alice', {'moderatedroom': 1})
        m.join(B, 'r', 'bob')
        m.send("<message from='%s' to='%s'><x xmlns='jabber:x:data' type='submit'>"
               "<field var='FORM_TYPE'><value>%s</value></field>"
               "<field var='muc#role'><value>participant</value></field></x></message>"
               % (B, room_jid('r'), NS['muc_request']))
        got = m.collect()
        assert [s.get('to') for s in got] == [A], describe(got)
        x = only_form(got[0])
        check_form(x, NS['muc_request'], must_have=set(MUC_REQUEST))
        role = [f for f in x.findall(DATA + 'field') if f.get('var') == 'muc#role'][0]
        assert [o.findtext(DATA + 'value') for o in role.findall(DATA + 'option')] == \
            ['participant'], tostring(role)


def test_disco_3_roominfo_matches_muc_roominfo_registry():
    site = ('<logs-url>https://logs.example.org/{room}/</logs-url>'
            '<pubsub>xmpp:pubsub.example.org?;node=rooms/{room}</pubsub>'
            '<max-history-fetch>50</max-history-fetch>'
            '<ldapgroup room="r">cn=dev,ou=groups,dc=example,dc=org</ldapgroup>')
    with Daemon(site) as m:
        m.create(A, 'r', 'alice', {'roomdesc': 'About r', 'lang': 'en', 'enablelogging': 1})
        res = m.iq(B, room_jid('r'), 'get', "<query xmlns='%s'/>" % NS['disco_info'], id_='di')
        assert res.get('type') == 'result', tostring(res)
        check_form(only_form(res), NS['muc_roominfo'], must_have={
            'muc#maxhistoryfetch', 'muc#roominfo_contactjid', 'muc#roominfo_description',
            'muc#roominfo_lang', 'muc#roominfo_ldapgroup', 'muc#roominfo_logs',
            'muc#roominfo_occupants', 'muc#roominfo_subject', 'muc#roominfo_subjectmod',
            'muc#roomconfig_roomname'})


def test_disco_1_serverinfo_matches_xep_0157_registry():
    contacts = ('<contact type="abuse">xmpp:abuse@example.org</contact>'
                '<contact type="admin">xmpp:admin@example.org</contact>')
    with Daemon(contacts) as m:
        res = m.iq(B, DOMAIN, 'get', "<query xmlns='%s'/>" % NS['disco_info'], id_='di')
        assert res.get('type') == 'result', tostring(res)
        check_form(only_form(res), 'http://jabber.org/network/serverinfo',
                   must_have={'abuse-addresses', 'admin-addresses'})


def test_mam_1_query_form_matches_xep_0313_registry():
    with Daemon() as m:
        m.create(A, 'r', 'alice')
        res = m.iq(A, room_jid('r'), 'get', "<query xmlns='%s'/>" % NS['mam'], id_='mf')
        assert res.get('type') == 'result', tostring(res)
        check_form(only_form(res), NS['mam'], must_have=set(MAM))


def command(m, node, form=''):
    m.send("<iq type='set' id='c' from='%s' to='%s'><command xmlns='%s' node='%s' "
           "action='execute'>%s</command></iq>" % (ROOT, DOMAIN, NS['commands'], node, form))
    got = m.collect()
    assert len(got) >= 1 and got[-1].get('type') == 'result', describe(got)
    return got


def test_adhoc_1_forms_match_xep_0133_registry():
    with Daemon() as m:
        m.create(A, 'r', 'alice')
        admin = 'http://jabber.org/protocol/admin'
        x = only_form(command(m, admin + '#announce')[-1])
        check_form(x, admin, must_have={'announcement'})
        check_form(only_form(command(m, admin + '#destroy-room')[-1]), admin)
        check_form(only_form(command(m, admin + '#get-statistics')[-1]), admin)
        x = only_form(command(m, admin + '#list-rooms')[-1])
        assert all(f.get('type') in XEP_0004_TYPES for f in x.findall(DATA + 'field')), tostring(x)


def test_adhoc_1_announcement_keeps_every_line():
    with Daemon() as m:
        m.create(A, 'r', 'alice')
        got = command(m, 'http://jabber.org/protocol/admin#announce',
                      "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'>"
                      "<value>http://jabber.org/protocol/admin</value></field>"
                      "<field var='announcement'><value>Going down</value>"
                      "<value>in 2 minutes.</value></field></x>")
        msgs = [s for s in got if is_message(s)]
        assert [s.get('to') for s in msgs] == [A], describe(got)
        assert msgs[0].findtext('{%s}body' % NS['component']) == 'Going down\nin 2 minutes.'


run(globals())
