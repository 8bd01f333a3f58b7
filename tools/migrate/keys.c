/*
 * tools/migrate/keys.c: the one table of room config keys that palaver-migrate
 * writes, and the mapping from each legacy format to them. muc-core reads the
 * same keys; change both together.
 *
 * Keys (values are strings; booleans are "1"/"0"):
 *   XEP-0045 muc#roomconfig_* fields, under the names muc-core stores them by
 *   (plugins/muc-core/config_fields.c):
 *     roomname, roomdesc, subject, persistent, public, membersonly,
 *     moderated, passwordprotected, roomsecret,
 *     whois ("anyone" | "moderators"), maxusers (decimal, 0 = no limit),
 *     changesubject, allowinvites,
 *     allowpm ("anyone" | "participants" | "moderators" | "none"),
 *     enablelogging
 *   Palaver's own names (PALAVER.md 2.11, 4.1):
 *     leave, join, rename (legacy notices), privacy (occupants may send IQs
 *     to each other), history (backlog length), game, message_size,
 *     logroom, ignore_player, changenick
 *
 * mu-conference (<room xdbns='muc:room:config'>), corrected mapping
 * (PALAVER.md 4.6):
 *   name -> roomname            description -> roomdesc     subject -> subject
 *   secret -> roomsecret (and passwordprotected = 1 when not empty)
 *   private -> privacy          visible -> whois (1: anyone, 0: moderators)
 *   public -> public        subjectlock -> changesubject
 *   maxusers -> maxusers (a number)                 persistent -> persistent
 *   (persistent defaults to 1: every room in the spool was persistent)
 *   moderated -> moderated  invitation -> membersonly   invites -> allowinvites
 *   privmsg -> allowpm (mu-conference's 1 blocks private messages for all but
 *              admins: 1 -> moderators, 0 -> anyone)
 *   logging -> enablelogging    notice/leave|join|rename -> leave|join|rename
 *   creator, defaulttype, legacy, logformat: no equivalent (reported).
 *   Lists muc:list:owner|admin|member|outcast -> affiliations (outcast
 *   reasons kept); registration.xml (muc:data) nicks are service-wide in
 *   mu-conference, so each becomes a registered nick in every converted room.
 *
 * Palaver 0.6 (muc_rooms columns, muc_roomattributess keys):
 *   roomname -> roomname        description -> roomdesc     subject -> subject
 *   subject_change -> changesubject (NULL read as 0)        persistent -> persistent
 *   moderated -> moderated  private -> whois (true: moderators, false: anyone)
 *   history -> history (NULL read as 30)                    game -> game
 *   invitation -> membersonly   invites -> allowinvites     hidden -> public (inverted)
 *   maxusers -> maxusers        privmsg -> allowpm (1: anyone, 0: none)
 *   change_nick -> changenick  leave/join/rename -> leave/join/rename
 *   attributes privacy, logroom, ignore_player, message_size, history, game
 *   keep their names; locked, subjectlocked, query_occupants, FORM_TYPE:
 *   reported when they carry information. Lists owners/admins/members/
 *   outcasts (reasons kept)/players -> affiliations owner/admin/member/
 *   outcast/player.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "keys.h"

const mig_map_t keys_mucconf[] = {
    {"name", "roomname", CONV_TEXT, NULL},
    {"description", "roomdesc", CONV_TEXT, NULL},
    {"subject", "subject", CONV_TEXT, NULL},
    {"secret", "roomsecret", CONV_TEXT, NULL},
    {"private", "privacy", CONV_BOOL, NULL},
    {"visible", "whois", CONV_WHOIS_VISIBLE, NULL},
    {"public", "public", CONV_BOOL, NULL},
    {"subjectlock", "changesubject", CONV_BOOL, NULL},
    {"maxusers", "maxusers", CONV_UINT, NULL},
    {"persistent", "persistent", CONV_BOOL, NULL},
    {"moderated", "moderated", CONV_BOOL, NULL},
    {"invitation", "membersonly", CONV_BOOL, NULL},
    {"invites", "allowinvites", CONV_BOOL, NULL},
    {"privmsg", "allowpm", CONV_PM_BLOCKED, NULL},
    {"logging", "enablelogging", CONV_BOOL, NULL},
    {"leave", "leave", CONV_TEXT, NULL}, /* inside <notice> */
    {"join", "join", CONV_TEXT, NULL},
    {"rename", "rename", CONV_TEXT, NULL},
    {"creator", NULL, CONV_DROP, "Palaver keeps no creator; owners come from the owner list"},
    {"defaulttype", NULL, CONV_DROP, "Palaver derives the default role from moderatedroom"},
    {"legacy", NULL, CONV_DROP, "no per-room legacy (groupchat 1.0) switch in Palaver"},
    {"logformat", NULL, CONV_DROP, "Palaver archives messages itself; no log file format"},
    {NULL, NULL, CONV_DROP, NULL},
};

const mig_map_t keys_palaver06[] = {
    {"roomname", "roomname", CONV_TEXT, NULL},
    {"description", "roomdesc", CONV_TEXT, NULL},
    {"subject", "subject", CONV_TEXT, NULL},
    {"subject_change", "changesubject", CONV_BOOL, NULL},
    {"persistent", "persistent", CONV_BOOL, NULL},
    {"moderated", "moderated", CONV_BOOL, NULL},
    {"private", "whois", CONV_WHOIS_PRIVATE, NULL},
    {"history", "history", CONV_UINT, NULL},
    {"game", "game", CONV_BOOL, NULL},
    {"invitation", "membersonly", CONV_BOOL, NULL},
    {"invites", "allowinvites", CONV_BOOL, NULL},
    {"hidden", "public", CONV_NOT, NULL},
    {"maxusers", "maxusers", CONV_UINT, NULL},
    {"privmsg", "allowpm", CONV_PM_ALLOWED, NULL},
    {"change_nick", "changenick", CONV_BOOL, NULL},
    {"leave", "leave", CONV_TEXT, NULL},
    {"join", "join", CONV_TEXT, NULL},
    {"rename", "rename", CONV_TEXT, NULL},
    {"privacy", "privacy", CONV_BOOL, NULL},
    {"logroom", "logroom", CONV_BOOL, NULL},
    {"ignore_player", "ignore_player", CONV_BOOL, NULL},
    {"message_size", "message_size", CONV_UINT, NULL},
    {"locked", NULL, CONV_DROP, "converted rooms are unlocked (their owners configured them)"},
    {"subjectlocked", NULL, CONV_DROP, "unused by Palaver 0.6; changesubject holds the setting"},
    {"query_occupants", NULL, CONV_DROP, "unused by Palaver 0.6"},
    {"FORM_TYPE", NULL, CONV_DROP, "form bookkeeping, not a setting"},
    {NULL, NULL, CONV_DROP, NULL},
};

const mig_map_t *keys_find(const mig_map_t *table, const char *from)
{
    for (const mig_map_t *m = table; m->from; m++)
        if (strcmp(m->from, from) == 0)
            return m;
    return NULL;
}

int keys_bool(const char *s)
{
    static const char *const yes[] = {"1", "t", "true", "y", "yes", "on", NULL};
    static const char *const no[] = {"0", "f", "false", "n", "no", "off", "", NULL};
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    size_t len = strlen(s);
    while (len &&
           (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' || s[len - 1] == '\r'))
        len--;
    for (int i = 0; yes[i]; i++)
        if (strlen(yes[i]) == len && strncasecmp(s, yes[i], len) == 0)
            return 1;
    for (int i = 0; no[i]; i++)
        if (strlen(no[i]) == len && strncasecmp(s, no[i], len) == 0)
            return 0;
    return -1;
}

static int put(char *out, size_t outlen, const char *s)
{
    int n = snprintf(out, outlen, "%s", s);
    return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

int keys_convert(mig_conv_t conv, const char *in, char *out, size_t outlen, const char **why)
{
    *why = NULL;
    if (conv == CONV_TEXT) {
        if (put(out, outlen, in) < 0) {
            *why = "value too long";
            return -1;
        }
        return 0;
    }
    if (conv == CONV_UINT) {
        char *end;
        errno = 0;
        while (*in == ' ' || *in == '\n' || *in == '\t')
            in++;
        long n = strtol(in, &end, 10);
        while (*end == ' ' || *end == '\n' || *end == '\t')
            end++;
        if (!*in || *end || errno || n < 0 || n > 1000000000) {
            *why = "not a whole number >= 0";
            return -1;
        }
        snprintf(out, outlen, "%ld", n);
        return 0;
    }
    if (conv == CONV_DROP) {
        *why = "no equivalent";
        return -1;
    }
    int b = keys_bool(in);
    if (b < 0) {
        *why = "not a boolean (expected 0 or 1)";
        return -1;
    }
    const char *v;
    switch (conv) {
    case CONV_BOOL:
        v = b ? "1" : "0";
        break;
    case CONV_NOT:
        v = b ? "0" : "1";
        break;
    case CONV_WHOIS_VISIBLE:
        v = b ? "anyone" : "moderators";
        break;
    case CONV_WHOIS_PRIVATE:
        v = b ? "moderators" : "anyone";
        break;
    case CONV_PM_BLOCKED:
        v = b ? "moderators" : "anyone";
        break;
    case CONV_PM_ALLOWED:
        v = b ? "anyone" : "none";
        break;
    default:
        *why = "unknown conversion";
        return -1;
    }
    return put(out, outlen, v);
}
