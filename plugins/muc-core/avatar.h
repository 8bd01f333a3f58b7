/*
 * avatar.h: room avatars (XEP-0486, avatar.c), started and stopped by
 * muc-core's descriptor (plugin.c).
 */
#ifndef MUC_AVATAR_H
#define MUC_AVATAR_H

#include <palaver/config.h>

/* Reads <avatar-max-bytes> from muc-core's element (cfg may be NULL),
 * registers the vcard-temp IQ hook and the disco#info and join
 * subscribers. 0, or -1 after logging why. */
int avatar_init(const pv_config_t *cfg);
/* Removes them (safe to call twice or after a failed init). */
void avatar_shutdown(void);

#endif
