"""The owner's configuration form, whole, against a recorded copy (OWNER-3).

Every field of the form is compared as the daemon serialises it: var, type,
label, <desc>, values, options and their order. The copies below were
recorded from the form as muc-core built it from its own field table and the
history and game-rooms plugins' fields; the form is now built from one
registry of rows (muc-core's and other plugins'), and must not have moved a
byte. Four rooms: a new room of muc-core alone, the same room configured with
a value other than the default in each kind of field, a new room with
<room-defaults> and <admin-only-fields>, and a configured room with the
history and game-rooms plugins' fields placed among muc-core's.

Run with RECORD=1 to print the forms (to record them again after a change
that is meant to change the form).
"""

import os
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mucutil import MUC, NS, room_jid, tostring  # noqa: E402
from taptest import run  # noqa: E402

A = 'alice@localhost/pc'
DATA = '{jabber:x:data}'

SUBMITTED = {
    'roomname': 'The Lounge',
    'roomdesc': 'About things',
    'lang': 'en',
    'persistentroom': 0,
    'publicroom': 0,
    'membersonly': 1,
    'moderatedroom': 1,
    'passwordprotectedroom': 1,
    'roomsecret': 'hunter2',
    'whois': 'anyone',
    'maxusers': 42,
    'changesubject': 1,
    'allowinvites': 1,
    'allowpm': 'moderators',
    'presencebroadcast': ['moderator', 'participant'],
    'enablelogging': 1,
    'getmemberlist': ['moderator'],
    'x-palaver#changenick': 0,
    'allowvoicerequests': 0,
    'registration': 0,
    'x-palaver#message_size': 4096,
    'pubsub': 'xmpp:pubsub.localhost?;node=lounge',
    'x-palaver#privacy': 0,
    'x-palaver#join': 'Hello',
    'x-palaver#leave': 'Bye',
    'x-palaver#rename': 'Renamed',
    'x-palaver#registration_approval': 1,
    'x-palaver#offlinedelivery': 0,
}

DEFAULTS = ("<room-defaults>"
            "<field var='muc#roomconfig_roomname'><value>Default Name</value></field>"
            "<field var='muc#roomconfig_maxusers'><value>30</value></field>"
            "<field var='muc#roomconfig_presencebroadcast'><value>moderator</value></field>"
            "</room-defaults>"
            "<admin-only-fields><field var='muc#roomconfig_persistentroom'/>"
            "<field var='x-palaver#message_size'/></admin-only-fields>")


def form_fields(m, room):
    """The fields of the room's form, each as the daemon serialised it."""
    res = m.iq(A, room_jid(room), 'get', "<query xmlns='%s'/>" % NS['muc_owner'], id_='get')
    assert res.get('type') == 'result', tostring(res)
    x = res.find('{%s}query/%sx' % (NS['muc_owner'], DATA))
    assert x is not None, tostring(res)
    head = [x.get('type'), x.findtext(DATA + 'title'), x.findtext(DATA + 'instructions')]
    return head + [ET.tostring(f, encoding='unicode').replace(' xmlns:ns0="jabber:x:data"', '')
                   .replace('ns0:', '') for f in x.findall(DATA + 'field')]


def check(name, got):
    if os.environ.get('RECORD'):
        print('%s = [' % name)
        for line in got:
            print('    %r,' % (line,))
        print(']\n')
        return
    want = GOLDEN[name]
    for i, (g, w) in enumerate(zip(got, want)):
        assert g == w, '%s: line %d differs:\n got  %s\n want %s' % (name, i, g, w)
    assert len(got) == len(want), '%s: %d lines, not %d' % (name, len(got), len(want))


def test_form_1_new_and_configured_room():
    with MUC() as m:
        m.join(A, 'lounge', 'alice')
        check('NEW', form_fields(m, 'lounge'))
        res = m.configure(A, 'lounge', SUBMITTED)
        assert res.get('type') == 'result', tostring(res)
        check('CONFIGURED', form_fields(m, 'lounge'))


def test_form_1_defaults_and_admin_only_fields():
    with MUC(muc_config=DEFAULTS) as m:
        m.join(A, 'made', 'alice')
        check('DEFAULTS', form_fields(m, 'made'))


def test_form_1_other_plugins_rows_in_place():
    with MUC(plugins=('muc-core', 'history', 'game-rooms')) as m:
        m.join(A, 'g', 'alice')
        fields = dict(SUBMITTED, **{'muc#maxhistoryfetch': 7, 'game': 1, 'ignore_player': 1})
        res = m.configure(A, 'g', fields)
        assert res.get('type') == 'result', tostring(res)
        check('PLUGINS', form_fields(m, 'g'))


# Recorded from the form as built before the registry (RECORD=1 prints them).
NEW = [
    'form',
    'Room configuration',
    'Complete this form to configure the room.',
    '<field var="FORM_TYPE" type="hidden"><value>http://jabber.org/protocol/muc#roomconfig</value></field>',
    '<field var="muc#roomconfig_roomname" type="text-single" label="Natural-Language Room Name"><value /></field>',
    '<field var="muc#roomconfig_roomdesc" type="text-single" label="Short Description of Room"><value /></field>',
    '<field var="muc#roomconfig_lang" type="text-single" label="Natural Language for Room Discussions"><value /></field>',
    '<field var="muc#roomconfig_persistentroom" type="boolean" label="Make Room Persistent?"><value>0</value></field>',
    '<field var="muc#roomconfig_publicroom" type="boolean" label="Allow Public Searching for Room?"><value>1</value></field>',
    '<field var="muc#roomconfig_membersonly" type="boolean" label="Make Room Members-Only?"><value>0</value></field>',
    '<field var="muc#roomconfig_moderatedroom" type="boolean" label="Make Room Moderated?"><value>0</value></field>',
    '<field var="muc#roomconfig_passwordprotectedroom" type="boolean" label="Password Required to Enter?"><value>0</value></field>',
    '<field var="muc#roomconfig_roomsecret" type="text-private" label="Password"><value /></field>',
    '<field var="muc#roomconfig_whois" type="list-single" label="Who May Discover Real JIDs?"><value>moderators</value><option label="moderators"><value>moderators</value></option><option label="anyone"><value>anyone</value></option></field>',
    '<field var="muc#roomconfig_maxusers" type="list-single" label="Maximum Number of Occupants (0: no limit)"><value>0</value><option label="0"><value>0</value></option><option label="5"><value>5</value></option><option label="10"><value>10</value></option><option label="20"><value>20</value></option><option label="30"><value>30</value></option><option label="50"><value>50</value></option><option label="100"><value>100</value></option><option label="200"><value>200</value></option></field>',
    '<field var="muc#roomconfig_changesubject" type="boolean" label="Allow Occupants to Change Subject?"><value>0</value></field>',
    '<field var="muc#roomconfig_allowinvites" type="boolean" label="Allow Occupants to Invite Others?"><value>0</value></field>',
    '<field var="muc#roomconfig_allowpm" type="list-single" label="Who May Send Private Messages?"><value>anyone</value><option label="anyone"><value>anyone</value></option><option label="participants"><value>participants</value></option><option label="moderators"><value>moderators</value></option><option label="none"><value>none</value></option></field>',
    '<field var="muc#roomconfig_presencebroadcast" type="list-multi" label="Roles for which Presence is Broadcasted"><value>moderator</value><value>participant</value><value>visitor</value><option label="moderator"><value>moderator</value></option><option label="participant"><value>participant</value></option><option label="visitor"><value>visitor</value></option></field>',
    '<field var="muc#roomconfig_enablelogging" type="boolean" label="Enable Public Logging?"><value>0</value></field>',
    '<field var="muc#roomconfig_getmemberlist" type="list-multi" label="Roles and Affiliations that May Retrieve Member List"><value>moderator</value><value>participant</value><value>visitor</value><option label="moderator"><value>moderator</value></option><option label="participant"><value>participant</value></option><option label="visitor"><value>visitor</value></option></field>',
    '<field var="x-palaver#changenick" type="boolean" label="Allow Occupants to Change Nicknames?"><value>1</value></field>',
    '<field var="muc#roomconfig_allowvoicerequests" type="boolean" label="Allow Visitors to Request Voice?"><value>1</value></field>',
    '<field var="muc#roomconfig_registration" type="boolean" label="Allow Users to Register with the Room?"><value>1</value></field>',
    '<field var="x-palaver#message_size" type="text-single" label="Maximum Message Length in Bytes (0: no limit)"><value>0</value></field>',
    '<field var="muc#roomconfig_pubsub" type="text-single" label="XMPP URI of Associated Publish-Subscribe Node"><value /></field>',
    '<field var="x-palaver#privacy" type="boolean" label="Allow Occupants to Send IQs (vCard, Version, Ping) to Each Other?"><value>1</value></field>',
    '<field var="x-palaver#join" type="text-single" label="Message for Users Joining the Room"><value /></field>',
    '<field var="x-palaver#leave" type="text-single" label="Message for Users Leaving the Room"><value /></field>',
    '<field var="x-palaver#rename" type="text-single" label="Message for Users Changing Nickname"><value /></field>',
    '<field var="x-palaver#registration_approval" type="boolean" label="Require an Admin\'s Approval of Registrations?"><value>0</value></field>',
    '<field var="x-palaver#offlinedelivery" type="boolean" label="Send Messages to Absent Members Who Ask for Them?"><value>1</value></field>',
    '<field var="muc#roomconfig_roomadmins" type="jid-multi" label="Full List of Room Admins" />',
    '<field var="muc#roomconfig_roomowners" type="jid-multi" label="Full List of Room Owners"><value>alice@localhost</value></field>',
]

CONFIGURED = [
    'form',
    'Room configuration',
    'Complete this form to configure the room.',
    '<field var="FORM_TYPE" type="hidden"><value>http://jabber.org/protocol/muc#roomconfig</value></field>',
    '<field var="muc#roomconfig_roomname" type="text-single" label="Natural-Language Room Name"><value>The Lounge</value></field>',
    '<field var="muc#roomconfig_roomdesc" type="text-single" label="Short Description of Room"><value>About things</value></field>',
    '<field var="muc#roomconfig_lang" type="text-single" label="Natural Language for Room Discussions"><value>en</value></field>',
    '<field var="muc#roomconfig_persistentroom" type="boolean" label="Make Room Persistent?"><value>0</value></field>',
    '<field var="muc#roomconfig_publicroom" type="boolean" label="Allow Public Searching for Room?"><value>0</value></field>',
    '<field var="muc#roomconfig_membersonly" type="boolean" label="Make Room Members-Only?"><value>1</value></field>',
    '<field var="muc#roomconfig_moderatedroom" type="boolean" label="Make Room Moderated?"><value>1</value></field>',
    '<field var="muc#roomconfig_passwordprotectedroom" type="boolean" label="Password Required to Enter?"><value>1</value></field>',
    '<field var="muc#roomconfig_roomsecret" type="text-private" label="Password"><value>hunter2</value></field>',
    '<field var="muc#roomconfig_whois" type="list-single" label="Who May Discover Real JIDs?"><value>anyone</value><option label="moderators"><value>moderators</value></option><option label="anyone"><value>anyone</value></option></field>',
    '<field var="muc#roomconfig_maxusers" type="list-single" label="Maximum Number of Occupants (0: no limit)"><value>42</value><option label="0"><value>0</value></option><option label="5"><value>5</value></option><option label="10"><value>10</value></option><option label="20"><value>20</value></option><option label="30"><value>30</value></option><option label="50"><value>50</value></option><option label="100"><value>100</value></option><option label="200"><value>200</value></option></field>',
    '<field var="muc#roomconfig_changesubject" type="boolean" label="Allow Occupants to Change Subject?"><value>1</value></field>',
    '<field var="muc#roomconfig_allowinvites" type="boolean" label="Allow Occupants to Invite Others?"><value>1</value></field>',
    '<field var="muc#roomconfig_allowpm" type="list-single" label="Who May Send Private Messages?"><value>moderators</value><option label="anyone"><value>anyone</value></option><option label="participants"><value>participants</value></option><option label="moderators"><value>moderators</value></option><option label="none"><value>none</value></option></field>',
    '<field var="muc#roomconfig_presencebroadcast" type="list-multi" label="Roles for which Presence is Broadcasted"><value>moderator</value><value>participant</value><option label="moderator"><value>moderator</value></option><option label="participant"><value>participant</value></option><option label="visitor"><value>visitor</value></option></field>',
    '<field var="muc#roomconfig_enablelogging" type="boolean" label="Enable Public Logging?"><value>1</value></field>',
    '<field var="muc#roomconfig_getmemberlist" type="list-multi" label="Roles and Affiliations that May Retrieve Member List"><value>moderator</value><option label="moderator"><value>moderator</value></option><option label="participant"><value>participant</value></option><option label="visitor"><value>visitor</value></option></field>',
    '<field var="x-palaver#changenick" type="boolean" label="Allow Occupants to Change Nicknames?"><value>0</value></field>',
    '<field var="muc#roomconfig_allowvoicerequests" type="boolean" label="Allow Visitors to Request Voice?"><value>0</value></field>',
    '<field var="muc#roomconfig_registration" type="boolean" label="Allow Users to Register with the Room?"><value>0</value></field>',
    '<field var="x-palaver#message_size" type="text-single" label="Maximum Message Length in Bytes (0: no limit)"><value>4096</value></field>',
    '<field var="muc#roomconfig_pubsub" type="text-single" label="XMPP URI of Associated Publish-Subscribe Node"><value>xmpp:pubsub.localhost?;node=lounge</value></field>',
    '<field var="x-palaver#privacy" type="boolean" label="Allow Occupants to Send IQs (vCard, Version, Ping) to Each Other?"><value>0</value></field>',
    '<field var="x-palaver#join" type="text-single" label="Message for Users Joining the Room"><value>Hello</value></field>',
    '<field var="x-palaver#leave" type="text-single" label="Message for Users Leaving the Room"><value>Bye</value></field>',
    '<field var="x-palaver#rename" type="text-single" label="Message for Users Changing Nickname"><value>Renamed</value></field>',
    '<field var="x-palaver#registration_approval" type="boolean" label="Require an Admin\'s Approval of Registrations?"><value>1</value></field>',
    '<field var="x-palaver#offlinedelivery" type="boolean" label="Send Messages to Absent Members Who Ask for Them?"><value>0</value></field>',
    '<field var="muc#roomconfig_roomadmins" type="jid-multi" label="Full List of Room Admins" />',
    '<field var="muc#roomconfig_roomowners" type="jid-multi" label="Full List of Room Owners"><value>alice@localhost</value></field>',
]

DEFAULTS_FORM = [
    'form',
    'Room configuration',
    'Complete this form to configure the room.',
    '<field var="FORM_TYPE" type="hidden"><value>http://jabber.org/protocol/muc#roomconfig</value></field>',
    '<field var="muc#roomconfig_roomname" type="text-single" label="Natural-Language Room Name"><value>Default Name</value></field>',
    '<field var="muc#roomconfig_roomdesc" type="text-single" label="Short Description of Room"><value /></field>',
    '<field var="muc#roomconfig_lang" type="text-single" label="Natural Language for Room Discussions"><value /></field>',
    '<field var="muc#roomconfig_persistentroom" type="boolean" label="Make Room Persistent?"><desc>Only a service administrator may change this value</desc><value>0</value></field>',
    '<field var="muc#roomconfig_publicroom" type="boolean" label="Allow Public Searching for Room?"><value>1</value></field>',
    '<field var="muc#roomconfig_membersonly" type="boolean" label="Make Room Members-Only?"><value>0</value></field>',
    '<field var="muc#roomconfig_moderatedroom" type="boolean" label="Make Room Moderated?"><value>0</value></field>',
    '<field var="muc#roomconfig_passwordprotectedroom" type="boolean" label="Password Required to Enter?"><value>0</value></field>',
    '<field var="muc#roomconfig_roomsecret" type="text-private" label="Password"><value /></field>',
    '<field var="muc#roomconfig_whois" type="list-single" label="Who May Discover Real JIDs?"><value>moderators</value><option label="moderators"><value>moderators</value></option><option label="anyone"><value>anyone</value></option></field>',
    '<field var="muc#roomconfig_maxusers" type="list-single" label="Maximum Number of Occupants (0: no limit)"><value>30</value><option label="0"><value>0</value></option><option label="5"><value>5</value></option><option label="10"><value>10</value></option><option label="20"><value>20</value></option><option label="30"><value>30</value></option><option label="50"><value>50</value></option><option label="100"><value>100</value></option><option label="200"><value>200</value></option></field>',
    '<field var="muc#roomconfig_changesubject" type="boolean" label="Allow Occupants to Change Subject?"><value>0</value></field>',
    '<field var="muc#roomconfig_allowinvites" type="boolean" label="Allow Occupants to Invite Others?"><value>0</value></field>',
    '<field var="muc#roomconfig_allowpm" type="list-single" label="Who May Send Private Messages?"><value>anyone</value><option label="anyone"><value>anyone</value></option><option label="participants"><value>participants</value></option><option label="moderators"><value>moderators</value></option><option label="none"><value>none</value></option></field>',
    '<field var="muc#roomconfig_presencebroadcast" type="list-multi" label="Roles for which Presence is Broadcasted"><value>moderator</value><option label="moderator"><value>moderator</value></option><option label="participant"><value>participant</value></option><option label="visitor"><value>visitor</value></option></field>',
    '<field var="muc#roomconfig_enablelogging" type="boolean" label="Enable Public Logging?"><value>0</value></field>',
    '<field var="muc#roomconfig_getmemberlist" type="list-multi" label="Roles and Affiliations that May Retrieve Member List"><value>moderator</value><value>participant</value><value>visitor</value><option label="moderator"><value>moderator</value></option><option label="participant"><value>participant</value></option><option label="visitor"><value>visitor</value></option></field>',
    '<field var="x-palaver#changenick" type="boolean" label="Allow Occupants to Change Nicknames?"><value>1</value></field>',
    '<field var="muc#roomconfig_allowvoicerequests" type="boolean" label="Allow Visitors to Request Voice?"><value>1</value></field>',
    '<field var="muc#roomconfig_registration" type="boolean" label="Allow Users to Register with the Room?"><value>1</value></field>',
    '<field var="x-palaver#message_size" type="text-single" label="Maximum Message Length in Bytes (0: no limit)"><desc>Only a service administrator may change this value</desc><value>0</value></field>',
    '<field var="muc#roomconfig_pubsub" type="text-single" label="XMPP URI of Associated Publish-Subscribe Node"><value /></field>',
    '<field var="x-palaver#privacy" type="boolean" label="Allow Occupants to Send IQs (vCard, Version, Ping) to Each Other?"><value>1</value></field>',
    '<field var="x-palaver#join" type="text-single" label="Message for Users Joining the Room"><value /></field>',
    '<field var="x-palaver#leave" type="text-single" label="Message for Users Leaving the Room"><value /></field>',
    '<field var="x-palaver#rename" type="text-single" label="Message for Users Changing Nickname"><value /></field>',
    '<field var="x-palaver#registration_approval" type="boolean" label="Require an Admin\'s Approval of Registrations?"><value>0</value></field>',
    '<field var="x-palaver#offlinedelivery" type="boolean" label="Send Messages to Absent Members Who Ask for Them?"><value>1</value></field>',
    '<field var="muc#roomconfig_roomadmins" type="jid-multi" label="Full List of Room Admins" />',
    '<field var="muc#roomconfig_roomowners" type="jid-multi" label="Full List of Room Owners"><value>alice@localhost</value></field>',
]

PLUGINS = [
    'form',
    'Room configuration',
    'Complete this form to configure the room.',
    '<field var="FORM_TYPE" type="hidden"><value>http://jabber.org/protocol/muc#roomconfig</value></field>',
    '<field var="muc#roomconfig_roomname" type="text-single" label="Natural-Language Room Name"><value>The Lounge</value></field>',
    '<field var="muc#roomconfig_roomdesc" type="text-single" label="Short Description of Room"><value>About things</value></field>',
    '<field var="muc#roomconfig_lang" type="text-single" label="Natural Language for Room Discussions"><value>en</value></field>',
    '<field var="muc#roomconfig_persistentroom" type="boolean" label="Make Room Persistent?"><value>0</value></field>',
    '<field var="muc#roomconfig_publicroom" type="boolean" label="Allow Public Searching for Room?"><value>0</value></field>',
    '<field var="muc#roomconfig_membersonly" type="boolean" label="Make Room Members-Only?"><value>1</value></field>',
    '<field var="muc#roomconfig_moderatedroom" type="boolean" label="Make Room Moderated?"><value>1</value></field>',
    '<field var="muc#roomconfig_passwordprotectedroom" type="boolean" label="Password Required to Enter?"><value>1</value></field>',
    '<field var="muc#roomconfig_roomsecret" type="text-private" label="Password"><value>hunter2</value></field>',
    '<field var="muc#roomconfig_whois" type="list-single" label="Who May Discover Real JIDs?"><value>anyone</value><option label="moderators"><value>moderators</value></option><option label="anyone"><value>anyone</value></option></field>',
    '<field var="muc#roomconfig_maxusers" type="list-single" label="Maximum Number of Occupants (0: no limit)"><value>42</value><option label="0"><value>0</value></option><option label="5"><value>5</value></option><option label="10"><value>10</value></option><option label="20"><value>20</value></option><option label="30"><value>30</value></option><option label="50"><value>50</value></option><option label="100"><value>100</value></option><option label="200"><value>200</value></option></field>',
    '<field var="muc#roomconfig_changesubject" type="boolean" label="Allow Occupants to Change Subject?"><value>1</value></field>',
    '<field var="muc#roomconfig_allowinvites" type="boolean" label="Allow Occupants to Invite Others?"><value>1</value></field>',
    '<field var="muc#roomconfig_allowpm" type="list-single" label="Who May Send Private Messages?"><value>moderators</value><option label="anyone"><value>anyone</value></option><option label="participants"><value>participants</value></option><option label="moderators"><value>moderators</value></option><option label="none"><value>none</value></option></field>',
    '<field var="muc#roomconfig_presencebroadcast" type="list-multi" label="Roles for which Presence is Broadcasted"><value>moderator</value><value>participant</value><option label="moderator"><value>moderator</value></option><option label="participant"><value>participant</value></option><option label="visitor"><value>visitor</value></option></field>',
    '<field var="muc#roomconfig_enablelogging" type="boolean" label="Enable Public Logging?"><value>1</value></field>',
    '<field var="muc#roomconfig_getmemberlist" type="list-multi" label="Roles and Affiliations that May Retrieve Member List"><value>moderator</value><option label="moderator"><value>moderator</value></option><option label="participant"><value>participant</value></option><option label="visitor"><value>visitor</value></option></field>',
    '<field var="x-palaver#changenick" type="boolean" label="Allow Occupants to Change Nicknames?"><value>0</value></field>',
    '<field var="muc#roomconfig_allowvoicerequests" type="boolean" label="Allow Visitors to Request Voice?"><value>0</value></field>',
    '<field var="muc#roomconfig_registration" type="boolean" label="Allow Users to Register with the Room?"><value>0</value></field>',
    '<field var="x-palaver#message_size" type="text-single" label="Maximum Message Length in Bytes (0: no limit)"><value>4096</value></field>',
    '<field var="muc#roomconfig_pubsub" type="text-single" label="XMPP URI of Associated Publish-Subscribe Node"><value>xmpp:pubsub.localhost?;node=lounge</value></field>',
    '<field var="muc#maxhistoryfetch" type="text-single" label="Maximum Number of History Messages Returned by Room"><value>7</value></field>',
    '<field var="x-palaver#privacy" type="boolean" label="Allow Occupants to Send IQs (vCard, Version, Ping) to Each Other?"><value>0</value></field>',
    '<field var="x-palaver#join" type="text-single" label="Message for Users Joining the Room"><value>Hello</value></field>',
    '<field var="x-palaver#leave" type="text-single" label="Message for Users Leaving the Room"><value>Bye</value></field>',
    '<field var="x-palaver#rename" type="text-single" label="Message for Users Changing Nickname"><value>Renamed</value></field>',
    '<field var="x-palaver#registration_approval" type="boolean" label="Require an Admin\'s Approval of Registrations?"><value>1</value></field>',
    '<field var="x-palaver#offlinedelivery" type="boolean" label="Send Messages to Absent Members Who Ask for Them?"><value>0</value></field>',
    '<field var="muc#roomconfig_roomadmins" type="jid-multi" label="Full List of Room Admins" />',
    '<field var="muc#roomconfig_roomowners" type="jid-multi" label="Full List of Room Owners"><value>alice@localhost</value></field>',
    '<field var="x-history#retention-days" type="text-single" label="Days the room\'s history is kept (0: none; empty: as long as the service keeps it)"><value /></field>',
    '<field var="game" type="boolean" label="Make Room a Game Room?"><value>0</value></field>',
    '<field var="ignore_player" type="boolean" label="Ignore Player Checks for Games?"><value>0</value></field>',
]

GOLDEN = {'NEW': NEW, 'CONFIGURED': CONFIGURED, 'DEFAULTS': DEFAULTS_FORM, 'PLUGINS': PLUGINS}

if __name__ == '__main__':
    run(globals())
