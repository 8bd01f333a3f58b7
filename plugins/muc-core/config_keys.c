/*
 * config_keys.c: muc-core's configuration elements, in one table.
 *
 * The core checks the plugin's element against this table before start, at
 * --check-config and at SIGHUP (unknown elements, repeats, types, bounds),
 * and `palaver --list-options` prints it; the files that use a setting read
 * it with pv_key_int/pv_key_bool/pv_key_str(muc_handle, cfg, name), so the
 * default and the bounds are written here only. Structured elements
 * (PV_KEY_ELEMENT) are read and checked by their own files: room_defaults.c,
 * throttle.c, cluster.c, rtbl.c.
 */
#include "muc_internal.h"

pv_plugin_handle_t *muc_handle;

const pv_config_key_t muc_config_keys[] = {
    {"create", PV_KEY_CHOICE, "anyone", 0, 0, "anyone|local|list|admins", "who may create rooms",
     0},
    {"allow", PV_KEY_STR, NULL, 0, 0, NULL, "a JID or domain that may create rooms (create: list)",
     PV_KEY_REPEAT},
    {"occupant-id-secret", PV_KEY_STR, NULL, 0, 0, NULL,
     "the secret occupant ids are derived from (default: the service domain)", PV_KEY_RESTART},
    {"flood-burst", PV_KEY_INT, "10", 0, 100000, NULL,
     "messages an occupant may send at once (0: no limit)", 0},
    {"flood-per-minute", PV_KEY_INT, "120", 0, 6000000, NULL,
     "messages an occupant may send per minute after the burst", 0},
    {"load-timeout", PV_KEY_INT, "30", 1, 3600, NULL,
     "seconds start-up waits for the restored occupants' rooms to load", 0},
    {"multicast", PV_KEY_STR, "off", 0, 0, NULL,
     "XEP-0033 multicast: off, auto, or the multicast service's JID", PV_KEY_RESTART},
    {"multicast-limit", PV_KEY_INT, "20", 2, 100000, NULL,
     "addresses per multicast stanza (default: what the service announces, else 20)",
     PV_KEY_RESTART},
    {"avatar-max-bytes", PV_KEY_INT, "65536", 0, 16L * 1024 * 1024, NULL,
     "largest room avatar an owner may set (0: none)", PV_KEY_RESTART},
    {"keep-occupants", PV_KEY_BOOL, "true", 0, 0, NULL,
     "save the occupants at shutdown and restore them at start", 0},
    {"restart-state", PV_KEY_STR, NULL, 0, 0, NULL,
     "file the occupants are saved to (default: in the spool)", 0},
    {"tombstone-expiry", PV_KEY_INT, "2592000", 0, 3153600000L, NULL,
     "seconds a destroyed room's name stays reserved (0: not at all)", 0},
    {"restart-check-timeout", PV_KEY_INT, "30", 0, 3600, NULL,
     "seconds a restored occupant has to answer its check (0: no check)", 0},
    {"restart-check-parallel", PV_KEY_INT, "32", 1, 1024, NULL,
     "restored occupants checked at the same time", 0},
    {"hibernate-after", PV_KEY_INT, "300", 0, 31536000L, NULL,
     "seconds an empty stored room stays in memory (0: until shutdown)", 0},
    {"max-loaded-rooms", PV_KEY_INT, "0", 0, 1000000000L, NULL,
     "most rooms kept in memory (0: no limit)", 0},
    {"room-defaults", PV_KEY_ELEMENT, NULL, 0, 0, NULL,
     "the service's defaults for new rooms' configuration fields", 0},
    {"admin-only-fields", PV_KEY_ELEMENT, NULL, 0, 0, NULL,
     "configuration fields only service admins may change", 0},
    {"throttle", PV_KEY_ELEMENT, NULL, 0, 0, NULL, "limits on joins, creations and IQs", 0},
    {"cluster", PV_KEY_ELEMENT, NULL, 0, 0, NULL,
     "several instances sharing one domain through PostgreSQL", 0},
    {"rtbl", PV_KEY_ELEMENT, NULL, 0, 0, NULL, "a real-time block list to follow", PV_KEY_REPEAT},
    {"remember-left-occupants", PV_KEY_INT, "86400", 0, 31536000, NULL,
     "seconds a departed occupant's id stays bannable", 0},
    {NULL, PV_KEY_END, NULL, 0, 0, NULL, NULL, 0},
};
