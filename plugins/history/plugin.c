/*
 * plugins/history/plugin.c: the history plugin's descriptor. Reads its
 * config (<max-age>, <max-count>, <retention-interval>, <retention-batch>,
 * <disk-logs format>), subscribes to muc-core's MESSAGE, SEND_HISTORY and
 * ROOM_DESTROYED events and to disco#info, hooks XEP-0313 IQs to rooms,
 * starts XEP-0425 moderation (moderate.c), follows the rooms muc-core loads
 * and unloads (loading.c: a loaded room's history is filled from the
 * archive then, there is nothing to preload at start-up), and frees
 * everything at shutdown.
 */
#include "history.h"
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

const pv_muc_api_t *muc_api;

typedef struct hist_state {
    pv_subscription_t *subs[4];
    pv_hook_t *mam_hook;
} hist_state_t;

/* A destroyed room loses its history; a temporary room that emptied is gone
 * too. A persistent room freed without an actor (unloaded, or at shutdown)
 * keeps it; an unloaded room's ring went at ROOM_UNLOADED (loading.c). */
static pv_verdict_t on_room_destroyed(const pv_event_t *ev, void *payload, void *ud)
{
    (void)ev;
    (void)ud;
    pv_muc_room_event_t *re = payload;
    const char *jid = muc_api->room_jid(re->room);
    bool persistent = muc_api->room_config_bool(re->room, "muc#roomconfig_persistentroom");
    bool gone = re->actor || (!persistent && muc_api->room_occupant_count(re->room) == 0);
    if (!gone)
        return PV_PASS;
    recent_drop(jid);
    archive_delete(muc_api->room_name(re->room));
    return PV_PASS;
}

static const char *const known[] = {"max-age",         "max-count", "retention-interval",
                                    "retention-batch", "disk-logs", NULL};

static int read_config(const pv_config_t *cfg, retention_cfg_t *rc)
{
    if (cfg && pv_config_check_known(cfg, known, HIST) > 0)
        return -1;
    if (pv_config_int(cfg, "max-age", 0, 0, 100L * 365 * 86400, HIST, &rc->max_age_s) < 0 ||
        pv_config_int(cfg, "max-count", 0, 0, 1000000000L, HIST, &rc->max_count) < 0 ||
        pv_config_int(cfg, "retention-interval", 60, 1, 86400, HIST, &rc->interval_s) < 0 ||
        pv_config_int(cfg, "retention-batch", 20, 1, 100000, HIST, &rc->batch) < 0)
        return -1;
    pv_el_t *dl = cfg ? pv_el_child(cfg, NULL, "disk-logs") : NULL;
    if (dl) {
        const char *fmt = pv_el_attr(dl, "format");
        if (!fmt)
            fmt = "text";
        if (strcmp(fmt, "text") && strcmp(fmt, "html"))
            return pv_config_error(dl, HIST, "<disk-logs format> must be text or html, not '%s'",
                                   fmt);
        const char *dir = pv_el_text(dl);
        while (*dir == ' ' || *dir == '\n' || *dir == '\t')
            dir++;
        if (!*dir)
            return pv_config_error(dl, HIST, "<disk-logs> must name a directory");
        if (disklog_configure(dir, fmt) < 0)
            return pv_config_error(dl, HIST, "cannot use '%s' for disk logs", dir);
    }
    return 0;
}

static void hist_shutdown(void *state);

static int subscribe(hist_state_t *s, int i, const char *name, int prio, pv_event_fn fn)
{
    pv_event_t *ev = pv_event(name);
    s->subs[i] = ev ? pv_event_subscribe(ev, prio, fn, NULL, HIST) : NULL;
    if (!s->subs[i]) {
        pv_log(PV_LOG_ERROR, HIST, "cannot subscribe to %s (out of memory)", name);
        return -1;
    }
    return 0;
}

static int hist_init(const pv_config_t *cfg, void **state)
{
    hist_state_t *s = calloc(1, sizeof *s);
    if (!s) {
        pv_log(PV_LOG_ERROR, HIST, "out of memory at start");
        return -1;
    }
    *state = s;
    muc_api = pv_muc_api();
    /* the entries used here are those up to aff_name (the first table) */
    if (!muc_api || muc_api->size < offsetof(pv_muc_api_t, aff_name) + sizeof muc_api->aff_name) {
        pv_log(PV_LOG_ERROR, HIST, "muc-core is not loaded (or too old): list it before history");
        goto fail;
    }
    retention_cfg_t rc = {0};
    if (read_config(cfg, &rc) < 0)
        goto fail;
    /* Low priority on MESSAGE: vetoes by other plugins run first, so a
     * refused message is neither stamped nor archived. */
    if (subscribe(s, 0, PV_MUC_EVENT_MESSAGE, -100, archive_on_message) < 0 ||
        subscribe(s, 1, PV_MUC_EVENT_SEND_HISTORY, 0, history_send) < 0 ||
        subscribe(s, 2, PV_MUC_EVENT_ROOM_DESTROYED, 0, on_room_destroyed) < 0 ||
        subscribe(s, 3, PV_EVENT_DISCO_INFO, 0, mam_disco) < 0)
        goto fail;
    s->mam_hook = pv_hook_stanza(PV_KIND_IQ, PV_TO_BARE, NS_MAM, 0, mam_iq, NULL, HIST);
    if (!s->mam_hook) {
        pv_log(PV_LOG_ERROR, HIST, "cannot register the MAM hook (out of memory)");
        goto fail;
    }
    pv_disco_add_feature(NS_MAM);
    if (moderate_start() < 0) /* XEP-0425 (moderate.c) */
        goto fail;
    if (retention_start(&rc) < 0)
        goto fail;
    if (room_retention_start(rc.max_age_s) < 0) /* RETAIN-1 */
        goto fail;
    if (loading_start() < 0) /* rooms loaded on demand (loading.c) */
        goto fail;
    return 0;
fail:
    hist_shutdown(s);
    *state = NULL;
    return -1;
}

static void hist_shutdown(void *state)
{
    hist_state_t *s = state;
    if (!s)
        return;
    for (size_t i = 0; i < sizeof s->subs / sizeof s->subs[0]; i++)
        if (s->subs[i])
            pv_event_unsubscribe(s->subs[i]);
    pv_hook_remove(s->mam_hook);
    loading_stop();
    moderate_stop();
    retention_stop();
    room_retention_stop();
    recent_free_all();
    disklog_close();
    free(s);
}

static const char *const requires_[] = {"muc-core", NULL};

PV_PLUGIN_DEFINE(history) = {
    .abi_major = PV_ABI_MAJOR,
    .abi_minor = PV_ABI_MINOR,
    .name = "history",
    .version = "1.0",
    .requires = requires_,
    .init = hist_init,
    .reconfigure = NULL,
    .connected = NULL,
    .shutdown = hist_shutdown,
};
