/*
 * tools/migrate/keys.h: the room config keys palaver-migrate writes, and how
 * each legacy field maps to them (the tables themselves, documented key by
 * key, are in keys.c).
 */
#ifndef PV_MIGRATE_KEYS_H
#define PV_MIGRATE_KEYS_H

#include <stddef.h>

/* How a legacy value becomes a Palaver value. */
typedef enum mig_conv {
    CONV_TEXT,          /* copied as is */
    CONV_BOOL,          /* any boolean spelling -> "1" / "0" */
    CONV_NOT,           /* boolean, inverted */
    CONV_UINT,          /* a whole number >= 0, as decimal text */
    CONV_WHOIS_VISIBLE, /* mu-conference visible: 1 -> "anyone", 0 -> "moderators" */
    CONV_WHOIS_PRIVATE, /* Palaver 0.6 private: true -> "moderators", false -> "anyone" */
    CONV_PM_BLOCKED,    /* mu-conference privmsg (1 = blocked): 1 -> "moderators", 0 -> "anyone" */
    CONV_PM_ALLOWED,    /* Palaver 0.6 privmsg (1 = allowed): 1 -> "anyone", 0 -> "none" */
    CONV_DROP           /* no Palaver equivalent: reported when it carries information */
} mig_conv_t;

typedef struct mig_map {
    const char *from; /* legacy element / column / attribute name */
    const char *key;  /* Palaver key, NULL for CONV_DROP */
    mig_conv_t conv;
    const char *why; /* CONV_DROP: why it is not converted */
} mig_map_t;

/* NULL-terminated (from == NULL) tables. */
extern const mig_map_t keys_mucconf[];   /* <room xdbns='muc:room:config'> children */
extern const mig_map_t keys_palaver06[]; /* muc_rooms columns and muc_roomattributess keys */

/* The table row for `from`, or NULL. */
const mig_map_t *keys_find(const mig_map_t *table, const char *from);

/* Converts in by conv into out. Returns 0, or -1 with *why set (static text)
 * when in is not a valid value for it. */
int keys_convert(mig_conv_t conv, const char *in, char *out, size_t outlen, const char **why);

/* Parses a boolean spelling (1/0, t/f, true/false, yes/no, on/off; empty is
 * false). Returns 1, 0, or -1 when it is none of these. */
int keys_bool(const char *s);

#endif
