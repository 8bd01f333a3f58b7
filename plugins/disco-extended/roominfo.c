/*
 * roominfo.c: the muc#roominfo form (XEP-0045 §15.5.4) in a room's
 * disco#info, as XEP-0128 extended information. Every value is read from
 * muc-core at the moment of the request (pv_muc_api()), so the answer
 * follows the room's configuration, subject and occupancy live; the values
 * muc-core does not know (log and pubsub URLs, LDAP group, history limit)
 * come from this plugin's settings; the avatar hash (XEP-0486) is muc-core's
 * PV_MUC_CONFIG_AVATAR_HASH. Other plugins then add their own
 * fields through PV_DISCO_EXT_EVENT_ROOMINFO (palaver/disco_extended.h).
 *
 * If a plugin ahead of us already put a roominfo form into the answer, we
 * complete that form instead of adding a second one (XEP-0128 allows one
 * form per FORM_TYPE), never overwriting its fields.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disco_ext.h"

/* Adds the field unless the form already has it. Returns the field (new or
 * existing; NULL on allocation failure) and sets *added. */
static pv_el_t *put(pv_el_t *form, const char *var, const char *type, const char *label,
                    const char *value, bool *added)
{
    pv_el_t *f = pv_form_field(form, var);
    *added = f == NULL;
    return f ? f : pv_form_add_field(form, var, type, label, value);
}

static int put_value(pv_el_t *form, const char *var, const char *type, const char *label,
                     const char *value)
{
    bool added;
    return put(form, var, type, label, value, &added) ? 0 : -1;
}

/* A URL field from a {room} template, when configured. */
static int put_template(pv_el_t *form, const char *var, const char *label, const char *tmpl,
                        const char *room)
{
    if (!tmpl)
        return 0;
    char *url = dx_expand_room(tmpl, room);
    int rc = url ? put_value(form, var, "text-single", label, url) : -1;
    free(url);
    return rc;
}

#ifdef PV_MUC_API_ROOM_AFFILIATIONS
static bool add_contact(const char *bare_jid, void *ud)
{
    return pv_form_add_value(ud, bare_jid) == 0;
}

/* muc#roominfo_contactjid: the room's owners, when muc-core can list them. */
static int put_contacts(pv_el_t *form, const pv_muc_api_t *api, pv_muc_room_t *room)
{
    if (api->size <= offsetof(pv_muc_api_t, room_affiliations) || !api->room_affiliations)
        return 0;
    bool added;
    pv_el_t *f = put(form, "muc#roominfo_contactjid", "jid-multi",
                     "Contact Addresses (normally, room owner or owners)", NULL, &added);
    if (!f)
        return -1;
    if (added)
        api->room_affiliations(room, PV_MUC_AFF_OWNER, add_contact, f);
    return 0;
}
#else
static int put_contacts(pv_el_t *form, const pv_muc_api_t *api, pv_muc_room_t *room)
{
    (void)form, (void)api, (void)room;
    return 0; /* muc-core offers no affiliation list yet (see palaver/muc.h) */
}
#endif

#ifdef PV_MUC_CONFIG_AVATAR_HASH
/* muc#roominfo_avatarhash (XEP-0486): the SHA-1 of the room's avatar, when it has one. */
static int put_avatar(pv_el_t *form, const pv_muc_api_t *api, pv_muc_room_t *room)
{
    const char *hash = api->room_config(room, PV_MUC_CONFIG_AVATAR_HASH);
    if (!hash || !*hash)
        return 0;
    return put_value(form, "muc#roominfo_avatarhash", "text-multi", "Avatar Hash", hash);
}
#else
static int put_avatar(pv_el_t *form, const pv_muc_api_t *api, pv_muc_room_t *room)
{
    (void)form, (void)api, (void)room;
    return 0; /* muc-core keeps no room avatars (see palaver/muc.h) */
}
#endif

/* The standard fields, from muc-core's view of the room and our settings. */
static int fill(pv_el_t *form, const settings_t *s, const pv_muc_api_t *api, pv_muc_room_t *room)
{
    const char *node = api->room_name(room);
    const char *name = api->room_config(room, "muc#roomconfig_roomname");
    const char *desc = api->room_config(room, "muc#roomconfig_roomdesc");
    const char *lang = api->room_config(room, "muc#roomconfig_lang");
    const char *subject = api->room_subject(room);
    const char *subjmod = api->room_config_bool(room, "muc#roomconfig_changesubject") ? "1" : "0";
    const char *ldap = dx_settings_ldapgroup(s, node);
    char num[32];

    if (s->max_history_fetch >= 0) {
        snprintf(num, sizeof num, "%ld", s->max_history_fetch);
        if (put_value(form, "muc#maxhistoryfetch", "text-single",
                      "Maximum Number of History Messages Returned by Room", num) < 0)
            return -1;
    }
    if (put_contacts(form, api, room) < 0 ||
        put_value(form, "muc#roominfo_description", "text-single", "Short Description of Room",
                  desc ? desc : "") < 0 ||
        (lang && *lang &&
         put_value(form, "muc#roominfo_lang", "text-single",
                   "Natural Language for Room Discussions", lang) < 0) ||
        (ldap && put_value(form, "muc#roominfo_ldapgroup", "text-single",
                           "An associated LDAP group that defines room membership", ldap) < 0))
        return -1;
    /* Logs are advertised only while the owner allows public logging. */
    if (api->room_config_bool(room, "muc#roomconfig_enablelogging") &&
        put_template(form, "muc#roominfo_logs", "URL for Archived Discussion Logs", s->logs_url,
                     node) < 0)
        return -1;
    snprintf(num, sizeof num, "%zu", api->room_occupant_count(room));
    if (put_value(form, "muc#roominfo_occupants", "text-single",
                  "Current Number of Occupants in Room", num) < 0 ||
        put_value(form, "muc#roominfo_subject", "text-single", "Current Discussion Topic",
                  subject ? subject : "") < 0 ||
        put_value(form, "muc#roominfo_subjectmod", "boolean",
                  "The room subject can be modified by participants", subjmod) < 0 ||
        /* the same answer under the name some clients read */
        put_value(form, "muc#roominfo_changesubject", "boolean", "Occupants May Change the Subject",
                  subjmod) < 0 ||
        put_value(form, "muc#roomconfig_roomname", "text-single", "Natural-Language Room Name",
                  name && *name ? name : node) < 0 ||
        put_template(form, "muc#roominfo_pubsub", "XMPP URI of Associated Publish-Subscribe Node",
                     s->pubsub, node) < 0)
        return -1;
    return put_avatar(form, api, room);
}

int dx_roominfo_add(const settings_t *s, const pv_muc_api_t *api, pv_muc_room_t *room,
                    const pv_jid_t *requester, pv_el_t *query)
{
    pv_el_t *form = pv_form_find(query, PV_NS_MUC_ROOMINFO);
    if (!form && !(form = pv_form_new(query, "result", PV_NS_MUC_ROOMINFO, NULL, NULL)))
        return -1;
    if (fill(form, s, api, room) < 0)
        return -1;
    pv_event_t *ev = pv_event(PV_DISCO_EXT_EVENT_ROOMINFO);
    if (!ev)
        return -1;
    pv_roominfo_event_t ri = {.room = room, .form = form, .requester = requester};
    pv_event_fire(ev, &ri);
    return 0;
}

int dx_roominfo_item_form(const pv_muc_api_t *api, pv_muc_room_t *room, pv_el_t *item)
{
    pv_el_t *x = pv_form_new(item, "result", NULL, NULL, NULL);
    const char *desc = api->room_config(room, "muc#roomconfig_roomdesc");
    const char *subject = api->room_subject(room);
    if (!pv_form_add_field(x, "muc#roominfo_description", NULL, NULL, desc ? desc : ""))
        return -1;
    if (subject && *subject && !pv_form_add_field(x, "muc#roominfo_subject", NULL, NULL, subject))
        return -1;
    return 0;
}
