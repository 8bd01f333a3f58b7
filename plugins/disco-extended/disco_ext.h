/*
 * disco_ext.h: what disco-extended's files share: the plugin's settings as
 * read from its config element, and the two answer builders (the service's
 * extended information, a room's muc#roominfo form).
 *
 * Ownership: a settings_t and everything in it are owned by the plugin
 * state; dx_settings_free() frees them. A reload parses into a fresh settings_t
 * and swaps it in only when the whole element was valid.
 */
#ifndef DISCO_EXT_H
#define DISCO_EXT_H

#include <palaver/disco_extended.h>
#include <palaver/muc.h>
#include <palaver/palaver.h>
#include <stdbool.h>
#include <stddef.h>

#define DX "disco-extended"
#define NS_SERVERINFO "http://jabber.org/network/serverinfo"

/* One field of an operator-defined form: a var and its values (in config order). */
typedef struct site_field {
    char *var;
    char **values; /* nvalues strings */
    size_t nvalues;
} site_field_t;

/* One form for the service's disco#info: XEP-0157 addresses or a site form. */
typedef struct site_form {
    char *form_type;
    site_field_t *fields;
    size_t nfields;
} site_form_t;

/* A <ldapgroup room="node">group</ldapgroup> entry. */
typedef struct room_value {
    char *room; /* normalised node */
    char *value;
} room_value_t;

typedef struct settings {
    site_form_t *forms; /* serverinfo first (when any contact), then site forms */
    size_t nforms;
    bool items_form;        /* Palaver's form inside each disco#items entry */
    char *logs_url;         /* template with {room}, or NULL */
    char *pubsub;           /* template with {room}, or NULL */
    long max_history_fetch; /* -1: not advertised */
    room_value_t *ldapgroups;
    size_t nldapgroups;
} settings_t;

/* settings.c: parses the plugin's element (NULL: defaults). Returns a new
 * settings_t (free with dx_settings_free) or NULL after logging FILE:LINE. */
settings_t *dx_settings_parse(const pv_plugin_handle_t *h, const pv_config_t *cfg);

/* The plugin's declared configuration elements (settings.c). */
extern const pv_config_key_t dx_config_keys[];
void dx_settings_free(settings_t *s);
/* The ldapgroup configured for a room node, or NULL. */
const char *dx_settings_ldapgroup(const settings_t *s, const char *room);

/* serverinfo.c: appends the configured forms to the service's disco#info query. */
int dx_serverinfo_add(const settings_t *s, pv_el_t *query);

/* roominfo.c: appends (or completes) the muc#roominfo form of a room, then
 * fires PV_DISCO_EXT_EVENT_ROOMINFO. Returns 0, or -1 on allocation failure. */
int dx_roominfo_add(const settings_t *s, const pv_muc_api_t *api, pv_muc_room_t *room,
                    const pv_jid_t *requester, pv_el_t *query);
/* Palaver's non-standard form inside a disco#items entry (description and,
 * when set, subject; no FORM_TYPE). */
int dx_roominfo_item_form(const pv_muc_api_t *api, pv_muc_room_t *room, pv_el_t *item);

/* Expands {room} in a template into a malloc'd string (caller frees), or NULL. */
char *dx_expand_room(const char *tmpl, const char *room);

#endif
