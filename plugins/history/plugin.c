/*
 * plugins/history/plugin.c: the history plugin's descriptor. Reads its
 * config (<max-age>, <max-count>, <retention-interval>, <retention-batch>,
 * <disk-logs format>), subscribes to muc-core's MESSAGE, SEND_HISTORY and
 * ROOM_DESTROYED events and to disco#info, hooks XEP-0313 IQs to rooms,
 * starts XEP-0425 moderation (moderate.c), follows the rooms muc-core loads
 * and unloads (loading.c: a loaded room's history is filled from the
 * archive then, there is nothing to preload at start-up), and frees
 * everything at shutdown. It registers the room configuration field
 * muc#maxhistoryfetch (fetch_row). Its elements are declared (hist_keys) and its
 * hooks and subscriptions made through its handle: the core checks the
 * first and removes the others.
 */
#include "history.h"
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

const pv_muc_api_t *muc_api;

typedef struct hist_state {
    pv_plugin_handle_t *h; /* its subscriptions and hook end after hist_shutdown */
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

/* The plugin's configuration elements: the core checks them against this
 * table before start. */
static const pv_config_key_t hist_keys[] = {
    {"max-age", PV_KEY_INT, "0", 0, 100L * 365 * 86400, NULL,
     "seconds after which archived messages are deleted (0: kept)", 0},
    {"max-count", PV_KEY_INT, "0", 0, 1000000000L, NULL,
     "archived messages each room keeps, the newest (0: no limit)", 0},
    {"retention-interval", PV_KEY_INT, "60", 1, 86400, NULL, "seconds between retention passes", 0},
    {"retention-batch", PV_KEY_INT, "20", 1, 100000, NULL, "rooms one retention pass trims", 0},
    {"disk-logs", PV_KEY_ELEMENT, NULL, 0, 0, NULL,
     "directory where logging rooms' messages are also written (format: text or html)", 0},
    {NULL, PV_KEY_END, NULL, 0, 0, NULL, NULL, 0},
};

static int read_config(pv_plugin_handle_t *h, const pv_config_t *cfg, retention_cfg_t *rc)
{
    rc->max_age_s = pv_key_int(h, cfg, "max-age");
    rc->max_count = pv_key_int(h, cfg, "max-count");
    rc->interval_s = pv_key_int(h, cfg, "retention-interval");
    rc->batch = pv_key_int(h, cfg, "retention-batch");
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

/* muc#maxhistoryfetch, the room's history length (history_request.c reads
 * it): this plugin's field, in the owner's form after muc#roomconfig_pubsub
 * and stored under "history" (as Palaver 0.6 and palaver-migrate do). */
static const pv_muc_config_row_t fetch_row = {
    .field = {.var = "muc#maxhistoryfetch",
              .type = "text-single",
              .label = "Maximum Number of History Messages Returned by Room",
              .def = "20"},
    .key = "history",
    .after = "muc#roomconfig_pubsub",
    .integer = true,
    .min = 0,
    .max = 1000000,
};
static bool fetch_registered;

static void hist_shutdown(void *state);

static int subscribe(hist_state_t *s, const char *name, int prio, pv_event_fn fn)
{
    pv_event_t *ev = pv_event(name);
    if (!ev || !pv_plugin_subscribe(s->h, ev, prio, fn, NULL)) {
        pv_log(PV_LOG_ERROR, HIST, "cannot subscribe to %s (out of memory)", name);
        return -1;
    }
    return 0;
}

static int hist_start(pv_plugin_handle_t *h, const pv_config_t *cfg, void **state)
{
    hist_state_t *s = calloc(1, sizeof *s);
    if (!s) {
        pv_log(PV_LOG_ERROR, HIST, "out of memory at start");
        return -1;
    }
    *state = s;
    s->h = h;
    muc_api = pv_muc_api();
    /* the entries used here are those up to aff_name (the first table) */
    if (!muc_api || muc_api->size < offsetof(pv_muc_api_t, aff_name) + sizeof muc_api->aff_name) {
        pv_log(PV_LOG_ERROR, HIST, "muc-core is not loaded (or too old): list it before history");
        goto fail;
    }
    retention_cfg_t rc = {0};
    if (read_config(h, cfg, &rc) < 0)
        goto fail;
    if (muc_api->size <
            offsetof(pv_muc_api_t, register_config_row) + sizeof muc_api->register_config_row ||
        muc_api->register_config_row(&fetch_row, sizeof fetch_row) < 0) {
        pv_log(PV_LOG_ERROR, HIST, "cannot register muc#maxhistoryfetch (muc-core too old?)");
        goto fail;
    }
    fetch_registered = true;
    /* Low priority on MESSAGE: vetoes by other plugins run first, so a
     * refused message is neither stamped nor archived. */
    if (subscribe(s, PV_MUC_EVENT_MESSAGE, -100, archive_on_message) < 0 ||
        subscribe(s, PV_MUC_EVENT_SEND_HISTORY, 0, history_send) < 0 ||
        subscribe(s, PV_MUC_EVENT_ROOM_DESTROYED, 0, on_room_destroyed) < 0 ||
        subscribe(s, PV_EVENT_DISCO_INFO, 0, mam_disco) < 0)
        goto fail;
    if (!pv_plugin_hook_stanza(h, PV_KIND_IQ, PV_TO_BARE, NS_MAM, 0, mam_iq, NULL)) {
        pv_log(PV_LOG_ERROR, HIST, "cannot register the MAM hook (out of memory)");
        goto fail;
    }
    pv_disco_add_feature(NS_MAM);
    if (moderate_start() < 0) /* XEP-0425 (moderate.c) */
        goto fail;
    if (retention_start(h, &rc) < 0)
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
    loading_stop();
    moderate_stop();
    retention_stop();
    room_retention_stop();
    recent_free_all();
    disklog_close();
    if (fetch_registered)
        muc_api->unregister_config_field(&fetch_row.field);
    fetch_registered = false;
    free(s);
}

static const char *const requires_[] = {"muc-core", NULL};

PV_PLUGIN_DEFINE(history) = {
    .abi_major = PV_ABI_MAJOR,
    .abi_minor = PV_ABI_MINOR,
    .name = "history",
    .version = "1.0",
    .requires = requires_,
    .reconfigure = NULL,
    .connected = NULL,
    .shutdown = hist_shutdown,
    .config_keys = hist_keys,
    .start = hist_start,
};
