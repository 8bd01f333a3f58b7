/*
 * multicast_config.c: muc-core's <multicast> and <multicast-limit>, where
 * existing configurations have them, handed to the core. XEP-0033 multicast
 * itself (discovery, limits, bounces) is a strategy of the core's fan-out
 * (pv_multicast_configure, pv_fanout_send), which broadcast.c's batches
 * use.
 */
#include "muc_internal.h"
#include <string.h>

int multicast_init(const pv_config_t *cfg)
{
    const char *v = pv_key_str(muc_handle, cfg, "multicast");
    /* Without <multicast-limit>, the service's announced limit (else 20). */
    long limit = cfg && pv_el_child(cfg, NULL, "multicast-limit")
                     ? pv_key_int(muc_handle, cfg, "multicast-limit")
                     : 0;
    if (v && *v && strcmp(v, "off") && strcmp(v, "auto")) {
        pv_jid_t *j = pv_jid_parse(v);
        if (!j)
            return pv_config_error(pv_el_child(cfg, NULL, "multicast"), MUC,
                                   "<multicast> must be auto, off or the JID of the host's "
                                   "XEP-0033 service, not '%s'",
                                   v);
        pv_jid_free(j);
    }
    return pv_multicast_configure(v, limit); /* -1: logged by the core */
}

void multicast_shutdown(void)
{
    pv_multicast_configure(NULL, 0);
}
