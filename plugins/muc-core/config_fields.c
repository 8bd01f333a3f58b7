/*
 * config_fields.c: the room configuration form as data (XEP-0045 §15.5.3).
 * Each row names the form var, the storage key, the type, the label, the
 * default and an optional validator; the form builder, the submit parser, the
 * persistence code and the getters all walk this table, so a new option is
 * one new row (and its enum entry in muc_internal.h). A muc#roomconfig field
 * has the type XEP-0045's registry (Registrar Considerations) gives it; x-palaver# fields are
 * Palaver's own. tests/muc/test_form_registry.py compares the form with the
 * registry.
 */
#include "muc_internal.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const whois_opts[] = {"moderators", "anyone", NULL};
static const char *const allowpm_opts[] = {"anyone", "participants", "moderators", "none", NULL};
static const char *const roles_opts[] = {"moderator", "participant", "visitor", NULL};
static const char *const maxusers_opts[] = {"0", "5", "10", "20", "30", "50", "100", "200", NULL};

static const char *check_uint(const char *v)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (!*v || *end || errno || n < 0 || n > 1000000)
        return "must be a whole number between 0 and 1000000";
    return NULL;
}

static const char *check_pubsub(const char *v)
{
    if (*v && strncmp(v, "xmpp:", 5) != 0)
        return "must be empty or an xmpp: URI";
    return NULL;
}

const config_field_t config_fields[CF_COUNT] = {
    [CF_ROOMNAME] = {"muc#roomconfig_roomname", "roomname", FT_TEXT, "Natural-Language Room Name",
                     "", NULL, NULL},
    /* text-single, as XEP-0045's muc#roomconfig registry gives it (strict
     * clients such as aioxmpp refuse a form where it is text-multi) */
    [CF_ROOMDESC] = {"muc#roomconfig_roomdesc", "roomdesc", FT_TEXT, "Short Description of Room",
                     "", NULL, NULL},
    [CF_LANG] = {"muc#roomconfig_lang", "lang", FT_TEXT, "Natural Language for Room Discussions",
                 "", NULL, NULL},
    [CF_PERSISTENT] = {"muc#roomconfig_persistentroom", "persistent", FT_BOOL,
                       "Make Room Persistent?", "0", NULL, NULL},
    [CF_PUBLIC] = {"muc#roomconfig_publicroom", "public", FT_BOOL,
                   "Allow Public Searching for Room?", "1", NULL, NULL},
    [CF_MEMBERSONLY] = {"muc#roomconfig_membersonly", "membersonly", FT_BOOL,
                        "Make Room Members-Only?", "0", NULL, NULL},
    [CF_MODERATED] = {"muc#roomconfig_moderatedroom", "moderated", FT_BOOL, "Make Room Moderated?",
                      "0", NULL, NULL},
    [CF_PASSWORDPROTECTED] = {"muc#roomconfig_passwordprotectedroom", "passwordprotected", FT_BOOL,
                              "Password Required to Enter?", "0", NULL, NULL},
    [CF_ROOMSECRET] = {"muc#roomconfig_roomsecret", "roomsecret", FT_SECRET, "Password", "", NULL,
                       NULL},
    [CF_WHOIS] = {"muc#roomconfig_whois", "whois", FT_LIST, "Who May Discover Real JIDs?",
                  "moderators", whois_opts, NULL},
    [CF_MAXUSERS] = {"muc#roomconfig_maxusers", "maxusers", FT_LIST,
                     "Maximum Number of Occupants (0: no limit)", "0", maxusers_opts, check_uint},
    [CF_CHANGESUBJECT] = {"muc#roomconfig_changesubject", "changesubject", FT_BOOL,
                          "Allow Occupants to Change Subject?", "0", NULL, NULL},
    [CF_ALLOWINVITES] = {"muc#roomconfig_allowinvites", "allowinvites", FT_BOOL,
                         "Allow Occupants to Invite Others?", "0", NULL, NULL},
    [CF_ALLOWPM] = {"muc#roomconfig_allowpm", "allowpm", FT_LIST, "Who May Send Private Messages?",
                    "anyone", allowpm_opts, NULL},
    [CF_PRESENCEBROADCAST] = {"muc#roomconfig_presencebroadcast", "presencebroadcast",
                              FT_LIST_MULTI, "Roles for which Presence is Broadcasted",
                              "moderator participant visitor", roles_opts, NULL},
    [CF_ENABLELOGGING] = {"muc#roomconfig_enablelogging", "enablelogging", FT_BOOL,
                          "Enable Public Logging?", "0", NULL, NULL},
    [CF_GETMEMBERLIST] = {"muc#roomconfig_getmemberlist", "getmemberlist", FT_LIST_MULTI,
                          "Roles and Affiliations that May Retrieve Member List",
                          "moderator participant visitor", roles_opts, NULL},
    [CF_CHANGENICK] = {"x-palaver#changenick", "changenick", FT_BOOL,
                       "Allow Occupants to Change Nicknames?", "1", NULL, NULL},
    [CF_VOICEREQUESTS] = {"muc#roomconfig_allowvoicerequests", "voicerequests", FT_BOOL,
                          "Allow Visitors to Request Voice?", "1", NULL, NULL},
    [CF_REGISTRATION] = {"muc#roomconfig_registration", "registration", FT_BOOL,
                         "Allow Users to Register with the Room?", "1", NULL, NULL},
    [CF_MESSAGE_SIZE] = {"x-palaver#message_size", "message_size", FT_INT,
                         "Maximum Message Length in Bytes (0: no limit)", "0", NULL, check_uint},
    [CF_PUBSUB] = {"muc#roomconfig_pubsub", "pubsub", FT_TEXT,
                   "XMPP URI of Associated Publish-Subscribe Node", "", NULL, check_pubsub},
    /* muc#maxhistoryfetch follows here: the history plugin's field (plugin.c there) */
    /* Palaver's own fields (Palaver 0.6 privacy, join, leave, rename) */
    /* privacy: Palaver 0.6's "Allow users to query others?" (its IQ proxy;
     * stored 1 when allowed, as palaver-migrate copies it). On by default:
     * vCard, version and ping queries between occupants work as in other
     * services; rooms brought over from 0.6 keep what they had (0 there). */
    [CF_PRIVACY] = {"x-palaver#privacy", "privacy", FT_BOOL,
                    "Allow Occupants to Send IQs (vCard, Version, Ping) to Each Other?", "1", NULL,
                    NULL},
    [CF_JOIN_TEXT] = {"x-palaver#join", "join", FT_TEXT, "Message for Users Joining the Room", "",
                      NULL, NULL},
    [CF_LEAVE_TEXT] = {"x-palaver#leave", "leave", FT_TEXT, "Message for Users Leaving the Room",
                       "", NULL, NULL},
    [CF_RENAME_TEXT] = {"x-palaver#rename", "rename", FT_TEXT,
                        "Message for Users Changing Nickname", "", NULL, NULL},
    /* XEP-0045 §9.9: registrations wait for an admin's approval */
    [CF_REGAPPROVAL] = {"x-palaver#registration_approval", "registration_approval", FT_BOOL,
                        "Require an Admin's Approval of Registrations?", "0", NULL, NULL},
    /* registered members may ask for messages while absent (offline_delivery.c) */
    [CF_OFFLINEDELIVERY] = {"x-palaver#offlinedelivery", "offlinedelivery", FT_BOOL,
                            "Send Messages to Absent Members Who Ask for Them?", "1", NULL, NULL},
};

int config_field_index(const char *var)
{
    for (int i = 0; i < CF_COUNT; i++)
        if (strcmp(config_fields[i].var, var) == 0)
            return i;
    return -1;
}

static bool in_options(const config_field_t *f, const char *v)
{
    for (const char *const *o = f->options; o && *o; o++)
        if (strcmp(*o, v) == 0)
            return true;
    return false;
}

/* Booleans accept 1/0/true/false (XML Schema boolean). */
char *config_field_normalise(const config_field_t *f, pv_el_t *fel, const char **why)
{
    pv_el_t *v = pv_el_child(fel, PV_NS_DATA, "value");
    const char *text = v ? pv_el_text(v) : "";
    *why = NULL;
    switch (f->type) {
    case FT_BOOL:
        if (!strcmp(text, "1") || !strcasecmp(text, "true"))
            return xstrdup("1");
        if (!strcmp(text, "0") || !strcasecmp(text, "false") || !*text)
            return xstrdup("0");
        *why = "must be a boolean (1, 0, true or false)";
        return NULL;
    case FT_LIST:
        if (f->check) {
            if ((*why = f->check(text)))
                return NULL;
        } else if (!in_options(f, text)) {
            *why = "is not one of the offered options";
            return NULL;
        }
        return xstrdup(text);
    case FT_LIST_MULTI: {
        size_t len = 1;
        for (pv_el_t *c = v; c; c = pv_el_next(c, PV_NS_DATA, "value")) {
            if (!in_options(f, pv_el_text(c))) {
                *why = "is not one of the offered options";
                return NULL;
            }
            len += strlen(pv_el_text(c)) + 1;
        }
        char *out = calloc(1, len);
        if (!out)
            return NULL;
        for (pv_el_t *c = v; c; c = pv_el_next(c, PV_NS_DATA, "value")) {
            if (*out)
                strcat(out, " ");
            strcat(out, pv_el_text(c));
        }
        return out;
    }
    case FT_INT:
        if ((*why = f->check ? f->check(text) : check_uint(text)))
            return NULL;
        return xstrdup(text);
    case FT_TEXT_MULTI: {
        size_t len = 1;
        for (pv_el_t *c = v; c; c = pv_el_next(c, PV_NS_DATA, "value"))
            len += strlen(pv_el_text(c)) + 1;
        char *out = calloc(1, len);
        if (!out)
            return NULL;
        for (pv_el_t *c = v; c; c = pv_el_next(c, PV_NS_DATA, "value")) {
            if (c != v)
                strcat(out, "\n");
            strcat(out, pv_el_text(c));
        }
        return out;
    }
    default:
        if (f->check && (*why = f->check(text)))
            return NULL;
        return xstrdup(text);
    }
}
