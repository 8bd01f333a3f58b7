/*
 * plugins/history/retention.c: archive retention (<max-age> seconds and
 * <max-count> messages per room, service-wide, from the plugin's config).
 *
 * Never stalls the loop: a periodic timer trims at most <retention-batch>
 * rooms per tick through the backend's archive_trim (one bounded call per
 * room), walking a list of room names that is refilled from the backend's
 * room_list plus the rooms archived into since start, once per cycle.
 */
#include "history.h"
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static struct {
    retention_cfg_t cfg;
    pv_timer_t *timer; /* the plugin's (made through its handle); NULL: off */
    char **names;      /* the current cycle's rooms; owned */
    size_t n, pos;
    char **noted; /* rooms archived into since the last refill; owned */
    size_t nnoted;
    bool warned;
} ret;

static void free_names(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void retention_note_room(const char *room_name)
{
    if (!ret.timer)
        return;
    for (size_t i = 0; i < ret.nnoted; i++)
        if (!strcmp(ret.noted[i], room_name))
            return;
    char **v = realloc(ret.noted, (ret.nnoted + 1) * sizeof *v);
    if (!v)
        return;
    ret.noted = v;
    if ((v[ret.nnoted] = strdup(room_name)))
        ret.nnoted++;
}

void retention_forget_room(const char *room_name)
{
    for (size_t i = 0; i < ret.nnoted; i++) {
        if (!strcmp(ret.noted[i], room_name)) {
            free(ret.noted[i]);
            ret.noted[i] = ret.noted[--ret.nnoted];
            return;
        }
    }
}

static void listed(int status, const char *error, const char *const *names, size_t n, void *ud)
{
    (void)ud;
    if (status != PV_STORE_OK) {
        pv_log(PV_LOG_WARN, HIST, "retention: listing rooms failed: %s",
               error ? error : "unknown error");
        n = 0;
    }
    free_names(ret.names, ret.n);
    ret.names = calloc(n + ret.nnoted + 1, sizeof *ret.names);
    ret.n = ret.pos = 0;
    if (!ret.names)
        return;
    for (size_t i = 0; i < n; i++)
        if ((ret.names[ret.n] = strdup(names[i])))
            ret.n++;
    for (size_t i = 0; i < ret.nnoted; i++) {
        bool dup = false;
        for (size_t k = 0; k < ret.n && !dup; k++)
            dup = !strcmp(ret.names[k], ret.noted[i]);
        if (!dup) {
            ret.names[ret.n++] = ret.noted[i];
            ret.noted[i] = NULL;
        }
    }
    free_names(ret.noted, ret.nnoted);
    ret.noted = NULL;
    ret.nnoted = 0;
}

static void trimmed(int status, const char *error, void *ud)
{
    char *room = ud;
    if (status != PV_STORE_OK && status != PV_STORE_ENOTFOUND)
        pv_log(PV_LOG_WARN, HIST, "retention: trimming the archive of %s failed: %s", room,
               error ? error : "unknown error");
    free(room);
}

static bool backend_can_trim(const pv_store_t *st)
{
    return st && st->size >= offsetof(pv_store_t, archive_trim) + sizeof st->archive_trim &&
           st->archive_trim;
}

static void tick(pv_timer_t *t, void *arg)
{
    (void)t;
    (void)arg;
    void *h;
    const pv_store_t *st = pv_store(&h);
    if (!backend_can_trim(st)) {
        if (!ret.warned)
            pv_log(PV_LOG_WARN, HIST,
                   "the %s backend cannot trim archives: <max-age> and "
                   "<max-count> have no effect",
                   pv_store_name());
        ret.warned = true;
        return;
    }
    if (ret.pos >= ret.n) {
        st->room_list(h, listed, NULL);
        return; /* start the new cycle at the next tick */
    }
    int64_t before = ret.cfg.max_age_s ? pv_now_us() - (int64_t)ret.cfg.max_age_s * 1000000 : 0;
    for (long k = 0; k < ret.cfg.batch && ret.pos < ret.n; k++) {
        char *room = ret.names[ret.pos++];
        char *ud = strdup(room);
        if (!ud)
            return;
        st->archive_trim(h, room, before, (size_t)ret.cfg.max_count, trimmed, ud);
    }
}

int retention_start(pv_plugin_handle_t *h, const retention_cfg_t *cfg)
{
    ret.cfg = *cfg;
    if (!cfg->max_age_s && !cfg->max_count)
        return 0;
    ret.timer = pv_plugin_timer(h, 1.0, (double)cfg->interval_s, tick, NULL);
    if (!ret.timer)
        return -1; /* out of memory (logged) */
    pv_log(PV_LOG_DEBUG, HIST, "archive retention: max-age %lds, max-count %ld, every %lds",
           cfg->max_age_s, cfg->max_count, cfg->interval_s);
    return 0;
}

void retention_stop(void)
{
    pv_timer_cancel(ret.timer);
    free_names(ret.names, ret.n);
    free_names(ret.noted, ret.nnoted);
    memset(&ret, 0, sizeof ret);
}
