/*
 * backends/spool/backend.c: the spool backend's descriptor, open and close.
 *
 * Plain files in one directory (see spool.h for the layout): easy to back
 * up, inspect and repair by hand. Options in <backend>:
 *   <spool>  the directory (created if missing; its parent must exist).
 * A directory still holding Palaver 0.6's pickle spool is refused with the
 * way to convert it (legacy_spool()).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <palaver/config.h>
#include <palaver/log.h>

#include "msglist.h"
#include "occlist.h"
#include "spool.h"

static void free_list(void *l)
{
    msglist_free(l);
}

static void free_occupants(void *l)
{
    occlist_free(l);
}

static void spool_close(void *handle)
{
    spool_t *s = handle;
    if (!s)
        return;
    if (s->dirfd >= 0)
        close(s->dirfd);
    pv_map_free(s->archives, free_list);
    pv_map_free(s->occupants, free_occupants);
    free(s->dir);
    free(s);
}

/* Palaver 0.6 kept every room in one Twisted DirDBM entry, key "rooms":
 * base64 with '\n' written as '_' names it cm9vbXM=_ (".rpl" while being
 * replaced). Returns 1 (after logging how to convert) when dirfd holds it. */
static int legacy_spool(int dirfd, const char *dir)
{
    static const char *const files[] = {"cm9vbXM=_", "cm9vbXM=_.rpl"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        if (faccessat(dirfd, files[i], F_OK, 0) < 0) {
            if (errno != ENOENT)
                pv_log(PV_LOG_WARN, "spool", "cannot check %s/%s: %s", dir, files[i],
                       strerror(errno));
            continue;
        }
        pv_log(PV_LOG_ERROR, "spool",
               "%s/%s is a Palaver 0.6 room spool (a Python pickle of every room), which "
               "this version cannot read. Convert the rooms with palaver-migrate --from SOURCE "
               "--to-config palaver.xml, then point <spool> at a directory without that file (or "
               "move the file away, which starts with no stored rooms). palaver-migrate reads no "
               "pickle: its sources are the mu-conference spool the rooms were imported from "
               "(mu-conference:DIR) and Palaver 0.6's databases (palaver06-sqlite:FILE, "
               "palaver06-pgsql:CONNINFO); see palaver-migrate --help",
               dir, files[i]);
        return 1;
    }
    return 0;
}

static int spool_open(const pv_config_t *cfg, void **handle)
{
    static const char *const known[] = {"type", "spool", NULL};
    if (pv_config_check_known(cfg, known, "spool") > 0)
        return -1;
    const char *dir = pv_config_str(cfg, "spool", NULL);
    if (!dir || !*dir)
        return pv_config_error(cfg, "spool", "<spool> (the directory for room files) is required");
    if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
        pv_log(PV_LOG_ERROR, "spool", "cannot create the spool directory %s: %s", dir,
               strerror(errno));
        return -1;
    }
    spool_t *s = calloc(1, sizeof(*s));
    if (!s) {
        pv_log(PV_LOG_ERROR, "spool", "out of memory opening %s", dir);
        return -1;
    }
    s->dirfd = -1;
    if (!(s->dir = strdup(dir)) || !(s->archives = pv_map_new(0)) ||
        !(s->occupants = pv_map_new(0))) {
        pv_log(PV_LOG_ERROR, "spool", "out of memory opening %s", dir);
        spool_close(s);
        return -1;
    }
    s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->dirfd < 0) {
        pv_log(PV_LOG_ERROR, "spool", "cannot open the spool directory %s: %s", dir,
               strerror(errno));
        spool_close(s);
        return -1;
    }
    if (legacy_spool(s->dirfd, dir)) {
        spool_close(s);
        return -1;
    }
    pv_log(PV_LOG_DEBUG, "spool", "using %s", dir);
    *handle = s;
    return 0;
}

PV_STORE_DEFINE(spool) = {
    .size = sizeof(pv_store_t),
    .abi_major = PV_STORE_ABI_MAJOR,
    .abi_minor = PV_STORE_ABI_MINOR,
    .name = "spool",
    .version = "1.0",
    .open = spool_open,
    .close = spool_close,
    .room_list = spool_room_list,
    .room_load = spool_room_load,
    .room_put = spool_room_put,
    .room_delete = spool_room_delete,
    .affs_set = spool_affs_set,
    .reg_set = spool_reg_set,
    .archive_append = spool_archive_append,
    .archive_query = spool_archive_query,
    .archive_replace = spool_archive_replace,
    .archive_delete = spool_archive_delete,
    .archive_trim = spool_archive_trim,
    .rooms_list = spool_rooms_list,
    .occupant_put = spool_occupant_put,
    .occupants_load = spool_occupants_load,
};
