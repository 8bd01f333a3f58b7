"""tests/integration/test_prosody_aioxmpp.py: XEP-0045 through a second client library, aioxmpp.

The other real-client suites drive slixmpp with stanzas written here, so
they accept what our own idea of the protocol accepts. This one uses
aioxmpp (aioclient.py) the way an application does: MUCClient.join() and
its Room (leave, set_nick, kick, ban, muc_request_voice, invite), the owner
form through muc.ConfigurationForm, the moderator's side of a voice request
through on_muc_role_request and VoiceRequestForm, XEP-0410 self-ping through
aioxmpp.ping and the Room's own aliveness monitor, aioxmpp.DiscoClient for
what the room advertises. Each test asserts what aioxmpp observed: its join
futures and errors, its signals, roles, affiliations and status codes.

Palaver (muc-core, disco-extended, sqlite) is the component of a private
Prosody (suite.py); accounts are registered as in the other suites.
Skipped when Prosody or aioxmpp is not installed.
"""

import asyncio
import os
import sys
from datetime import timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..'))

from suite import Suite, prosody_server  # noqa: E402
from taptest import skip_all  # noqa: E402

try:
    import aioxmpp
    import aioxmpp.disco
    import aioxmpp.forms
    import aioxmpp.im
    import aioxmpp.muc
    import aioxmpp.ping
    from aioclient import AioUsers, WAIT
except ImportError:     # checked in main: the whole suite is skipped
    aioxmpp = None
    WAIT = 0

DOMAIN = 'muc.localhost'
SECRET = 'aioxmpp-integration-secret'
PLUGINS = ['muc-core', 'disco-extended']
ACCOUNTS = ('alice', 'bob', 'carol')
RESOURCE = 'aio'
SELF_PING_FEATURE = 'http://jabber.org/protocol/muc#self-ping-optimization'


class AioSuite(Suite):
    """The suite's server and palaver (suite.py), plus the aioxmpp users
    (global A), which teardown() stops first."""

    def teardown(self):
        global A
        if A is not None:
            try:
                A.close()
            finally:
                A = None
        super().teardown()


P = D = U = A = None  # prosody.Prosody, daemon.Palaver, mucclient.Users (probe), AioUsers
SUITE = AioSuite(globals(), prosody_server(DOMAIN, SECRET), DOMAIN, SECRET, PLUGINS, ACCOUNTS,
                 name='aioxmpp', resource=RESOURCE, probe='carol')


def setup():
    """Server and palaver as in every suite; the aioxmpp users' loop."""
    global A
    SUITE.setup()
    if A is None:
        A = AioUsers(P.c2s_port)
    return A


def run(coro):
    return A.run(coro)


# ---- helpers (coroutines run inside A's loop) ------------------------------

def jid(text):
    return aioxmpp.JID.fromstr(text)


def room_jid(name):
    return jid('%s@%s' % (name, DOMAIN))


async def login(name):
    return await A.login('%s@localhost/%s' % (name, RESOURCE), name + 'pw')


async def bounded(awaitable, timeout=WAIT, what=None):
    return await A.bounded(awaitable, timeout, what)


async def failure(awaitable):
    """The aioxmpp.errors.XMPPError an awaitable raises (AssertionError if
    it succeeds)."""
    try:
        await bounded(awaitable)
    except aioxmpp.errors.XMPPError as e:
        return e
    raise AssertionError('no error from %r' % (awaitable,))


def condition(exc):
    """'item-not-found' for an XMPPError with that condition."""
    return exc.condition.value[1] if hasattr(exc.condition, 'value') else str(exc.condition)


def codes(event, key='muc_status_codes'):
    return {int(c) for c in event.kwargs.get(key) or ()}


async def join(user, name, nick, **kwargs):
    """Joins with aioxmpp's MUCClient; returns (Room, the on_muc_enter event)."""
    start = user.mark()
    kwargs.setdefault('autorejoin', False)
    room, fut = user.muc.join(room_jid(name), nick, **kwargs)
    user.track(room)
    await bounded(fut)
    enter = await user.wait_for('on_muc_enter', start, where=lambda e: e.room == str(room.jid))
    return room, enter


async def config_form(user, name):
    """The owner form as aioxmpp's ConfigurationForm (which refuses a form
    whose standard fields have the wrong types)."""
    xso = await bounded(user.muc.get_room_config(room_jid(name)))
    return aioxmpp.muc.ConfigurationForm.from_xso(xso)


async def configure(user, name, **changes):
    """Fetches the owner form and submits it with the fields named by their
    muc#roomconfig_ suffix changed (moderatedroom=True), through aioxmpp's
    generic forms.Data: only the configuration test depends on
    ConfigurationForm accepting the whole form, so that a wrong field type
    fails that test alone."""
    form = await bounded(user.muc.get_room_config(room_jid(name)))
    wanted = {'muc#roomconfig_' + k: v for k, v in changes.items()}
    reply = aioxmpp.forms.Data(aioxmpp.forms.DataType.SUBMIT)
    for field in form.fields:
        if field.var == 'FORM_TYPE' or field.var in wanted:
            value = wanted.get(field.var, field.values[0] if field.values else '')
            if isinstance(value, bool):
                value = '1' if value else '0'
            reply.fields.append(aioxmpp.forms.Field(var=field.var, type_=field.type_,
                                                    values=[value]))
    missing = set(wanted) - {f.var for f in reply.fields}
    assert not missing, 'not in the owner form: %s' % sorted(missing)
    await bounded(user.muc.set_room_config(room_jid(name), reply))


async def create(user, name, nick, **changes):
    """A new room: joined (201), configured through the owner form; returns the Room."""
    room, enter = await join(user, name, nick)
    assert {110, 201} <= codes(enter), user.show()
    await configure(user, name, **changes)
    return room


def member(room, nick):
    found = [m for m in room.members if m.nick == nick]
    assert found, '%s not among %r' % (nick, [m.nick for m in room.members])
    return found[0]


def about(nick):
    """An event's filter: its first occupant argument has this nick."""
    def pred(e):
        occ = [a for a in e.args if isinstance(a, aioxmpp.muc.Occupant)]
        return bool(occ) and occ[0].nick == nick
    return pred


# ---- owner: configuration through aioxmpp's form -----------------------------

def test_owner_2_owner_3_configuration_form_fetched_changed_submitted():
    setup()

    async def scenario():
        alice, bob = await login('alice'), await login('bob')
        try:
            room, enter = await join(alice, 'aioconf', 'Alice')
            assert {110, 201} <= codes(enter), alice.show()
            assert room.me.role == 'moderator' and room.me.affiliation == 'owner', room.me
            # locked until configured (ENTER-11): aioxmpp's join fails
            e = await failure(bob.muc.join(room_jid('aioconf'), 'Bob', autorejoin=False)[1])
            assert condition(e) == 'item-not-found', e
            # the whole form parses with its standard field types (OWNER-3)
            form = await config_form(alice, 'aioconf')
            assert list(form.roomowners.value) == [jid('alice@localhost')], form.roomowners.value
            assert form.roomdesc.value == '' and form.whois.value == 'moderators'
            form.roomname.value = 'Aio lounge'
            form.roomdesc.value = 'configured through aioxmpp'
            form.persistentroom.value = True
            form.publicroom.value = False
            form.whois.value = 'anyone'
            form.maxusers.value = '20'
            form.allowinvites.value = True
            await bounded(alice.muc.set_room_config(room_jid('aioconf'), form.render_reply()))
            again = await config_form(alice, 'aioconf')
            got = (again.roomname.value, again.roomdesc.value, again.persistentroom.value,
                   again.publicroom.value, again.whois.value, again.maxusers.value,
                   again.allowinvites.value)
            assert got == ('Aio lounge', 'configured through aioxmpp', True, False, 'anyone',
                           '20', True), got
            # unlocked: bob enters a non-anonymous room (100) and sees real JIDs
            broom, benter = await join(bob, 'aioconf', 'Bob')
            assert {100, 110} <= codes(benter) and 201 not in codes(benter), bob.show()
            assert member(broom, 'Alice').direct_jid.bare() == jid('alice@localhost')
            # what the room advertises, through aioxmpp's DiscoClient
            disco = bob.client.summon(aioxmpp.DiscoClient)
            info = await bounded(disco.query_info(room_jid('aioconf'), require_fresh=True))
            for feature in ('muc_persistent', 'muc_hidden', 'muc_nonanonymous', 'muc_open'):
                assert feature in info.features, (feature, sorted(info.features))
            assert [i.name for i in info.identities if i.category == 'conference'] == \
                ['Aio lounge'], info.identities
            # only owners get the form
            e = await failure(bob.muc.get_room_config(room_jid('aioconf')))
            assert condition(e) == 'forbidden', e
        finally:
            await A.logout(alice, bob)
    run(scenario())


# ---- entering and leaving with the Room API ------------------------------------

def test_enter_1_exit_1_join_and_leave_with_room_api():
    setup()

    async def scenario():
        alice, bob = await login('alice'), await login('bob')
        try:
            aroom = await create(alice, 'aiojoin', 'Alice')
            m = alice.mark()
            broom, benter = await join(bob, 'aiojoin', 'Bob')
            assert codes(benter) == {110}, bob.show()
            assert broom.muc_joined and broom.me.nick == 'Bob'
            assert broom.me.role == 'participant' and broom.me.affiliation == 'none', broom.me
            assert sorted(o.nick for o in broom.members) == ['Alice', 'Bob']
            assert member(broom, 'Alice').affiliation == 'owner'
            ev = await alice.wait_for('on_join', m, where=about('Bob'))
            assert ev.args[0].role == 'participant', ev
            assert sorted(o.nick for o in aroom.members) == ['Alice', 'Bob']
            # Room.leave(): unavailable presence to the bare room JID; it
            # returns once aioxmpp has seen its own unavailable presence
            m, mb = alice.mark(), bob.mark()
            await bounded(broom.leave(), what='Room.leave() (unavailable presence to the bare '
                          'room JID) never saw its own unavailable presence')
            ex = await bob.wait_for('on_exit', mb)
            assert ex.kwargs.get('muc_leave_mode') == aioxmpp.muc.LeaveMode.NORMAL, ex
            assert 110 in codes(ex), ex
            assert not broom.muc_joined
            ev = await alice.wait_for('on_leave', m, where=about('Bob'))
            assert ev.kwargs.get('muc_leave_mode') == aioxmpp.muc.LeaveMode.NORMAL, ev
            assert [o.nick for o in aroom.members] == ['Alice']
            # and enters again with a new Room
            broom, benter = await join(bob, 'aiojoin', 'Bob')
            assert broom.muc_joined and codes(benter) == {110}, bob.show()
        finally:
            await A.logout(alice, bob)
    run(scenario())


# ---- nick change ---------------------------------------------------------------

def test_nick_1_nick_change_seen_by_both_clients():
    setup()

    async def scenario():
        alice, bob = await login('alice'), await login('bob')
        try:
            aroom = await create(alice, 'aionick', 'Alice')
            broom, _ = await join(bob, 'aionick', 'Bob')
            m, mb = alice.mark(), bob.mark()
            await bounded(broom.set_nick('Robert'))
            mine = await bob.wait_for('on_nick_changed', mb)
            assert mine.args[1:3] == ('Bob', 'Robert'), mine
            assert broom.me.nick == 'Robert' and broom.me.conversation_jid.resource == 'Robert'
            theirs = await alice.wait_for('on_nick_changed', m)
            assert theirs.args[1:3] == ('Bob', 'Robert'), theirs
            assert sorted(o.nick for o in aroom.members) == ['Alice', 'Robert']
            # nobody saw Bob leave or Robert join: a rename, not an exit
            assert not alice.seen('on_leave', m) and not alice.seen('on_join', m), alice.show(m)
            # a nick in use is refused: aioxmpp keeps the old one
            mb = bob.mark()
            await bounded(broom.set_nick('Alice'))
            # (the refusal is an error presence aioxmpp does not report; a
            # self-ping afterwards shows the room answered in between)
            assert await bounded(aioxmpp.ping.ping(bob.client, broom.me.conversation_jid)) is None
            assert broom.me.nick == 'Robert' and not bob.seen('on_nick_changed', mb), bob.show(mb)
        finally:
            await A.logout(alice, bob)
    run(scenario())


# ---- moderation: kick, ban, voice ------------------------------------------------

def test_mod_1_kick_through_room_kick():
    setup()

    async def scenario():
        alice, bob = await login('alice'), await login('bob')
        try:
            aroom = await create(alice, 'aiokick', 'Alice')
            broom, _ = await join(bob, 'aiokick', 'Bob')
            # a participant may not kick
            e = await failure(broom.kick(member(broom, 'Alice'), 'no'))
            assert condition(e) in ('forbidden', 'not-allowed'), e
            m, mb = alice.mark(), bob.mark()
            await bounded(aroom.kick(member(aroom, 'Bob'), 'too loud'))
            ex = await bob.wait_for('on_exit', mb)
            assert ex.kwargs.get('muc_leave_mode') == aioxmpp.muc.LeaveMode.KICKED, ex
            assert {110, 307} <= codes(ex), ex
            assert ex.kwargs.get('muc_reason') == 'too loud', ex
            actor = ex.kwargs.get('muc_actor')
            assert actor is not None and actor.nick == 'Alice', ex
            assert not broom.muc_joined
            ev = await alice.wait_for('on_leave', m, where=about('Bob'))
            assert ev.kwargs.get('muc_leave_mode') == aioxmpp.muc.LeaveMode.KICKED, ev
            assert 307 in codes(ev) and 110 not in codes(ev), ev
            assert ev.args[0].role == 'none', ev.args[0]
            assert [o.nick for o in aroom.members] == ['Alice']
            # a kick is not a ban: bob comes back
            broom, _ = await join(bob, 'aiokick', 'Bob')
            assert broom.muc_joined
        finally:
            await A.logout(alice, bob)
    run(scenario())


def test_admin_1_ban_through_room_ban():
    setup()

    async def scenario():
        alice, bob = await login('alice'), await login('bob')
        try:
            aroom = await create(alice, 'aioban', 'Alice')
            broom, _ = await join(bob, 'aioban', 'Bob')
            m, mb = alice.mark(), bob.mark()
            await bounded(aroom.ban(member(aroom, 'Bob'), 'spam'))
            ex = await bob.wait_for('on_exit', mb)
            assert ex.kwargs.get('muc_leave_mode') == aioxmpp.muc.LeaveMode.BANNED, ex
            assert {110, 301} <= codes(ex) and ex.kwargs.get('muc_reason') == 'spam', ex
            ev = await alice.wait_for('on_leave', m, where=about('Bob'))
            assert ev.kwargs.get('muc_leave_mode') == aioxmpp.muc.LeaveMode.BANNED, ev
            assert ev.args[0].affiliation == 'outcast', ev.args[0]
            outcasts = await bounded(alice.muc.get_affiliated(room_jid('aioban'), 'outcast'))
            assert jid('bob@localhost') in outcasts, outcasts
            # ENTER-8: the join future fails with forbidden
            e = await failure(bob.muc.join(room_jid('aioban'), 'Bob', autorejoin=False)[1])
            assert condition(e) == 'forbidden', e
            # lifted, bob enters again
            await bounded(aroom.muc_set_affiliation(jid('bob@localhost'), 'none'))
            broom, _ = await join(bob, 'aioban', 'Bob')
            assert broom.muc_joined and broom.me.affiliation == 'none'
        finally:
            await A.logout(alice, bob)
    run(scenario())


def test_voice_1_visitor_requests_voice_moderator_approves_form():
    setup()

    async def scenario():
        alice, bob = await login('alice'), await login('bob')
        try:
            aroom = await create(alice, 'aiovoice', 'Alice', moderatedroom=True)
            broom, _ = await join(bob, 'aiovoice', 'Bob')
            assert broom.me.role == 'visitor', broom.me
            m, mb = alice.mark(), bob.mark()
            await bounded(broom.muc_request_voice())
            req = await alice.wait_for('on_muc_role_request', m)
            form, answer = req.args
            assert isinstance(form, aioxmpp.muc.VoiceRequestForm), form
            assert form.role.value == 'participant', form.role.value
            assert form.roomnick.value == 'Bob', form.roomnick.value
            assert form.jid.value == bob.jid, form.jid.value
            form.request_allow.value = True
            answer.set_result(form.render_reply())
            mine = await bob.wait_for('on_muc_role_changed', mb)
            assert broom.me.role == 'participant', (broom.me, mine)
            theirs = await alice.wait_for('on_muc_role_changed', m, where=about('Bob'))
            assert member(aroom, 'Bob').role == 'participant', theirs
            # voice: his message reaches the room
            m = alice.mark()
            msg = aioxmpp.Message(type_=aioxmpp.MessageType.GROUPCHAT, to=broom.jid)
            msg.body[None] = 'may I speak'
            broom.send_message(msg)
            said = await alice.wait_for('on_message', m, where=about('Bob'))
            assert said.args[0].body.any() == 'may I speak', said
        finally:
            await A.logout(alice, bob)
    run(scenario())


# ---- invitations -----------------------------------------------------------------

def test_inv_1_mediated_invitation_into_members_only_room():
    setup()

    async def scenario():
        alice, carol = await login('alice'), await login('carol')
        try:
            aroom = await create(alice, 'aioinvite', 'Alice', membersonly=True)
            # not a member yet: registration-required (ENTER-7)
            e = await failure(carol.muc.join(room_jid('aioinvite'), 'Carol', autorejoin=False)[1])
            assert condition(e) == 'registration-required', e
            mc = carol.mark()
            await bounded(aroom.invite(carol.jid, 'join us', mode=aioxmpp.im.InviteMode.MEDIATED))
            ev = await carol.wait_for('on_muc_invitation', mc)
            _msg, address, inviter, mode = ev.args
            assert mode == aioxmpp.im.InviteMode.MEDIATED, ev
            assert address == room_jid('aioinvite'), ev
            assert inviter is not None and inviter.bare() == jid('alice@localhost'), ev
            assert ev.kwargs.get('reason') == 'join us', ev
            # the owner's invitation made carol a member
            members = await bounded(alice.muc.get_affiliated(room_jid('aioinvite'), 'member'))
            assert jid('carol@localhost') in members, members
            croom, _ = await join(carol, 'aioinvite', 'Carol')
            assert croom.muc_joined and croom.me.affiliation == 'member', croom.me
        finally:
            await A.logout(alice, carol)
    run(scenario())


def test_inv_direct_invitation_xep_0249():
    setup()

    async def scenario():
        alice, carol = await login('alice'), await login('carol')
        try:
            aroom = await create(alice, 'aiodirect', 'Alice')
            mc = carol.mark()
            await bounded(aroom.invite(carol.jid, 'over here', mode=aioxmpp.im.InviteMode.DIRECT))
            ev = await carol.wait_for('on_muc_invitation', mc)
            _msg, address, inviter, mode = ev.args
            assert mode == aioxmpp.im.InviteMode.DIRECT, ev
            assert address == room_jid('aiodirect') and inviter.bare() == jid('alice@localhost')
            assert ev.kwargs.get('reason') == 'over here', ev
            m = alice.mark()
            croom, _ = await join(carol, address.localpart, 'Carol')
            assert croom.muc_joined
            await alice.wait_for('on_join', m, where=about('Carol'))
        finally:
            await A.logout(alice, carol)
    run(scenario())


# ---- XEP-0410 self-ping ------------------------------------------------------------

def test_msg_5_self_ping_answered_for_occupants_only():
    setup()

    async def scenario():
        alice, bob = await login('alice'), await login('bob')
        try:
            disco = alice.client.summon(aioxmpp.DiscoClient)
            info = await bounded(disco.query_info(jid(DOMAIN), require_fresh=True))
            assert SELF_PING_FEATURE in info.features, sorted(info.features)
            aroom = await create(alice, 'aioping', 'Alice')
            assert await bounded(aioxmpp.ping.ping(alice.client, aroom.me.conversation_jid)) is None
            # bob is not in the room: not-acceptable, aioxmpp's "you are out"
            e = await failure(aioxmpp.ping.ping(bob.client,
                                                room_jid('aioping').replace(resource='Bob')))
            assert condition(e) == 'not-acceptable', e
            # the Room's own aliveness monitor self-pings once the room is
            # quiet for 0.2 s; answered, the room never goes stale (1 s)
            aroom.muc_soft_timeout = timedelta(seconds=0.2)
            aroom.muc_hard_timeout = timedelta(seconds=1)
            aroom.muc_ping_interval = timedelta(seconds=0.2)
            aroom.muc_ping_timeout = timedelta(seconds=0.8)
            m = alice.mark()
            await asyncio.sleep(2.5)
            bad = [e for e in alice.events[m:] if e.name in ('on_muc_stale', 'on_exit',
                                                             'on_muc_resume')]
            assert not bad and aroom.muc_joined, alice.show(m)
            pings = self_pings(alice, aroom.me.conversation_jid, m)
            assert len(pings) >= 2 and {e.args[1] for e in pings} == {'result'}, alice.show(m)
        finally:
            await A.logout(alice, bob)
    run(scenario())


def self_pings(user, occupant_jid, start):
    """The XEP-0410 self-pings a user's aioxmpp sent from `start` on, as
    'iq' events (aioclient.py)."""
    return user.seen('iq', start, where=lambda e: e.args[0].to == occupant_jid
                     and isinstance(e.args[0].payload, aioxmpp.ping.Ping))


def test_restart_1_self_ping_after_crash_rejoins():
    """After palaver is killed (-9) nobody is in the room any more; bob's
    aioxmpp learns it from its self-ping (not-acceptable) and rejoins."""
    setup()
    state = {}

    async def before():
        alice, bob = await login('alice'), await login('bob')
        state.update(alice=alice, bob=bob)
        await create(alice, 'aiocrash', 'Alice', persistentroom=True)
        broom, _ = await join(bob, 'aiocrash', 'Bob', autorejoin=True)
        broom.muc_soft_timeout = timedelta(seconds=0.3)
        broom.muc_hard_timeout = timedelta(seconds=30)
        broom.muc_ping_interval = timedelta(seconds=0.3)
        broom.muc_ping_timeout = timedelta(seconds=2)
        state.update(broom=broom, mark=bob.mark())

    async def after():
        bob, broom = state['bob'], state['broom']
        mark = state['mark']
        await bob.wait_for('on_muc_resume', mark, timeout=10)
        enter = await bob.wait_for('on_muc_enter', mark)
        assert 110 in codes(enter) and broom.muc_joined, bob.show(mark)
        assert broom.me.nick == 'Bob' and not bob.seen('on_exit', mark), bob.show(mark)
        # what told it: a self-ping answered not-acceptable (not joined)
        outcomes = [e.args[1] for e in self_pings(bob, broom.me.conversation_jid, mark)]
        assert 'not-acceptable' in outcomes, bob.show(mark)

    try:
        run(before())
        d = SUITE.daemon
        d.proc.kill()
        d.proc.wait()
        d.stop()
        SUITE.daemon = None
        setup()
        run(after())
    finally:
        run(A.logout(*[u for k, u in state.items() if k in ('alice', 'bob')]))


def test_palaver_stops_cleanly_after_the_suite():
    SUITE.check_clean_stop()


if __name__ == '__main__':
    if aioxmpp is None:
        skip_all('aioxmpp is not installed (Debian python3-aioxmpp)')
    SUITE.main(globals())
