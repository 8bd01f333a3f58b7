/*
 * config_fields.c: muc-core's own room configuration fields as rows
 * (XEP-0045 §15.5.3). Each row names the form var, the storage key, the type,
 * the label, the default, the offered values and the check of a value; other
 * plugins' fields are rows of the same kind (palaver/muc.h's
 * register_config_row, converted in extensions.c), and extensions.c keeps
 * them all in one registry, muc-core's first, at their CF_* index. The form
 * builder, the submit walk, <room-defaults>, the persistence code and the
 * getters walk that registry, so a new option of muc-core is one new row
 * (and its enum entry in muc_internal.h). A muc#roomconfig field has the
 * type XEP-0045's registry (Registrar Considerations) gives it; x-palaver#
 * fields are Palaver's own. tests/muc/test_form_registry.py compares the
 * form with the registry.
 */
#include "muc_internal.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const whois_opts[] = {"moderators", "anyone", NULL};
static const char *const allowpm_opts[] = {"anyone", "participants", "moderators", "none", NULL};
static const char *const roles_opts[] = {"moderator", "participant", "visitor", NULL};
static const char *const maxusers_opts[] = {"0", "5", "10", "20", "30", "50", "100", "200", NULL};

static const char *check_pubsub(const char *v)
{
    if (*v && strncmp(v, "xmpp:", 5) != 0)
        return "must be empty or an xmpp: URI";
    return NULL;
}

/* The kinds most rows are: a boolean with its default, a text without one. */
#define ROW(t, v, k, l, d)                                                                         \
    {                                                                                              \
        .var = v, .key = k, .type = t, .label = l, .def = d                                        \
    }
#define BOOL_ROW(v, k, l, d) ROW(FT_BOOL, v, k, l, d)
#define TEXT_ROW(v, k, l) ROW(FT_TEXT, v, k, l, "")

const config_field_t config_fields[CF_COUNT] = {
    [CF_ROOMNAME] = TEXT_ROW("muc#roomconfig_roomname", "roomname", "Natural-Language Room Name"),
    /* text-single, as XEP-0045's muc#roomconfig registry gives it (strict
     * clients such as aioxmpp refuse a form where it is text-multi) */
    [CF_ROOMDESC] = TEXT_ROW("muc#roomconfig_roomdesc", "roomdesc", "Short Description of Room"),
    [CF_LANG] = TEXT_ROW("muc#roomconfig_lang", "lang", "Natural Language for Room Discussions"),
    [CF_PERSISTENT] =
        BOOL_ROW("muc#roomconfig_persistentroom", "persistent", "Make Room Persistent?", "0"),
    [CF_PUBLIC] =
        BOOL_ROW("muc#roomconfig_publicroom", "public", "Allow Public Searching for Room?", "1"),
    [CF_MEMBERSONLY] =
        BOOL_ROW("muc#roomconfig_membersonly", "membersonly", "Make Room Members-Only?", "0"),
    [CF_MODERATED] =
        BOOL_ROW("muc#roomconfig_moderatedroom", "moderated", "Make Room Moderated?", "0"),
    [CF_PASSWORDPROTECTED] = BOOL_ROW("muc#roomconfig_passwordprotectedroom", "passwordprotected",
                                      "Password Required to Enter?", "0"),
    [CF_ROOMSECRET] = ROW(FT_SECRET, "muc#roomconfig_roomsecret", "roomsecret", "Password", ""),
    [CF_WHOIS] = {.var = "muc#roomconfig_whois",
                  .key = "whois",
                  .type = FT_LIST,
                  .label = "Who May Discover Real JIDs?",
                  .def = "moderators",
                  .options = whois_opts,
                  .on = "anyone",
                  .status_on = 172, /* non-anonymous */
                  .status_off = 173},
    /* any whole number; the options are suggestions */
    [CF_MAXUSERS] = {.var = "muc#roomconfig_maxusers",
                     .key = "maxusers",
                     .type = FT_LIST,
                     .label = "Maximum Number of Occupants (0: no limit)",
                     .def = "0",
                     .options = maxusers_opts,
                     .integer = true,
                     .max = 1000000},
    [CF_CHANGESUBJECT] = BOOL_ROW("muc#roomconfig_changesubject", "changesubject",
                                  "Allow Occupants to Change Subject?", "0"),
    [CF_ALLOWINVITES] = BOOL_ROW("muc#roomconfig_allowinvites", "allowinvites",
                                 "Allow Occupants to Invite Others?", "0"),
    [CF_ALLOWPM] = {.var = "muc#roomconfig_allowpm",
                    .key = "allowpm",
                    .type = FT_LIST,
                    .label = "Who May Send Private Messages?",
                    .def = "anyone",
                    .options = allowpm_opts},
    [CF_PRESENCEBROADCAST] = {.var = "muc#roomconfig_presencebroadcast",
                              .key = "presencebroadcast",
                              .type = FT_LIST_MULTI,
                              .label = "Roles for which Presence is Broadcasted",
                              .def = "moderator participant visitor",
                              .options = roles_opts},
    [CF_ENABLELOGGING] = {.var = "muc#roomconfig_enablelogging",
                          .key = "enablelogging",
                          .type = FT_BOOL,
                          .label = "Enable Public Logging?",
                          .def = "0",
                          .on = "1",
                          .status_on = 170, /* logging on */
                          .status_off = 171},
    [CF_GETMEMBERLIST] = {.var = "muc#roomconfig_getmemberlist",
                          .key = "getmemberlist",
                          .type = FT_LIST_MULTI,
                          .label = "Roles and Affiliations that May Retrieve Member List",
                          .def = "moderator participant visitor",
                          .options = roles_opts,
                          /* participants may read the member list: absent members shown */
                          .on = "participant",
                          .status_on = 102,
                          .status_off = 103},
    [CF_CHANGENICK] =
        BOOL_ROW("x-palaver#changenick", "changenick", "Allow Occupants to Change Nicknames?", "1"),
    [CF_VOICEREQUESTS] = BOOL_ROW("muc#roomconfig_allowvoicerequests", "voicerequests",
                                  "Allow Visitors to Request Voice?", "1"),
    [CF_REGISTRATION] = BOOL_ROW("muc#roomconfig_registration", "registration",
                                 "Allow Users to Register with the Room?", "1"),
    [CF_MESSAGE_SIZE] = {.var = "x-palaver#message_size",
                         .key = "message_size",
                         .type = FT_TEXT,
                         .label = "Maximum Message Length in Bytes (0: no limit)",
                         .def = "0",
                         .integer = true,
                         .max = 1000000},
    [CF_PUBSUB] = {.var = "muc#roomconfig_pubsub",
                   .key = "pubsub",
                   .type = FT_TEXT,
                   .label = "XMPP URI of Associated Publish-Subscribe Node",
                   .def = "",
                   .check = check_pubsub},
    /* muc#maxhistoryfetch follows here: the history plugin's field (plugin.c there) */
    /* Palaver's own fields (Palaver 0.6 privacy) */
    /* privacy: Palaver 0.6's "Allow users to query others?" (its IQ proxy;
     * stored 1 when allowed, as palaver-migrate copies it). On by default:
     * vCard, version and ping queries between occupants work as in other
     * services; rooms brought over from 0.6 keep what they had (0 there). */
    [CF_PRIVACY] =
        BOOL_ROW("x-palaver#privacy", "privacy",
                 "Allow Occupants to Send IQs (vCard, Version, Ping) to Each Other?", "1"),
    /* x-palaver#join, #leave and #rename follow here: the room-notices
     * plugin's fields (muc-core's companion) */
    /* XEP-0045 §9.9: registrations wait for an admin's approval */
    [CF_REGAPPROVAL] = BOOL_ROW("x-palaver#registration_approval", "registration_approval",
                                "Require an Admin's Approval of Registrations?", "0"),
    /* registered members may ask for messages while absent (offline_delivery.c) */
    [CF_OFFLINEDELIVERY] = BOOL_ROW("x-palaver#offlinedelivery", "offlinedelivery",
                                    "Send Messages to Absent Members Who Ask for Them?", "1"),
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

static const char *const type_names[] = {
    [FT_BOOL] = "boolean",     [FT_TEXT] = "text-single",      [FT_TEXT_MULTI] = "text-multi",
    [FT_LIST] = "list-single", [FT_LIST_MULTI] = "list-multi", [FT_SECRET] = "text-private"};

const char *config_field_type_name(field_type_t t)
{
    return t <= FT_SECRET ? type_names[t] : "text-single";
}

int config_field_type_of(const char *name)
{
    for (int t = FT_BOOL; name && t <= FT_SECRET; t++)
        if (!strcmp(type_names[t], name))
            return t;
    return -1;
}

/* An integer row's value: a whole number from f->min to f->max. */
static const char *check_integer(const config_field_t *f, const char *v)
{
    static char why[80];
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (!*v || *end || errno || n < f->min || n > f->max) {
        snprintf(why, sizeof why, "must be a whole number between %ld and %ld", f->min, f->max);
        return why;
    }
    return NULL;
}

/* A single value of a list, text or secret row: its integer bounds, then
 * its own check; a list without either takes only its options. */
static const char *config_field_check(const config_field_t *f, const char *v)
{
    const char *why = f->integer ? check_integer(f, v) : NULL;
    if (!why && f->check)
        why = f->check(v);
    if (!why && f->type == FT_LIST && !f->integer && !f->check && !in_options(f, v))
        why = "is not one of the offered options";
    return why;
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
    case FT_LIST_MULTI:
    case FT_TEXT_MULTI: {
        bool list = f->type == FT_LIST_MULTI;
        size_t len = 1;
        for (pv_el_t *c = v; c; c = pv_el_next(c, PV_NS_DATA, "value")) {
            if (list && !in_options(f, pv_el_text(c))) {
                *why = "is not one of the offered options";
                return NULL;
            }
            len += strlen(pv_el_text(c)) + 1;
        }
        char *out = calloc(1, len);
        if (!out)
            return NULL;
        for (pv_el_t *c = v; c; c = pv_el_next(c, PV_NS_DATA, "value")) {
            if (c != v)
                strcat(out, list ? " " : "\n");
            strcat(out, pv_el_text(c));
        }
        return out;
    }
    default:
        if ((*why = config_field_check(f, text)))
            return NULL;
        return xstrdup(text);
    }
}
