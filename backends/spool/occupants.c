/*
 * backends/spool/occupants.c: live occupants (palaver/store.h minor 3), one
 * file per room with occupants, NAME.occupants:
 *   <occupants xmlns='urn:palaver:spool:1'><o nick='...' data='...'/>...</occupants>
 * in the order first put. Every put rewrites the file atomically (temp
 * file, fsync, rename: spool_write_atomic), so a crash leaves the old or
 * the new list, never a torn one; the last occupant's removal deletes it.
 * A room's list is read on first use and cached (common/occlist.c); when a
 * write fails the cache entry is dropped, so the next use reads the file
 * again and memory never claims what the disk does not hold.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <palaver/xml.h>

#include "occlist.h"
#include "spool.h"

/* Reads room's file into a new list: 0 (*out set; empty when no file), or
 * PV_STORE_E* with s->err set. */
static int read_file(spool_t *s, const char *room, const char *file, occlist_t **out)
{
    occlist_t *l = occlist_new();
    char *path = spool_path(s, file);
    if (!l || !path) {
        occlist_free(l);
        free(path);
        spool_error(s, room, 0, "out of memory reading %s", file);
        return PV_STORE_ENOMEM;
    }
    size_t len;
    char *buf = spool_read_all(path, &len);
    int rc = 0;
    if (!buf && errno != ENOENT) {
        spool_error(s, room, errno, "cannot read %s", path);
        rc = PV_STORE_EIO;
    } else if (buf) {
        char perr[128];
        pv_el_t *root = pv_el_parse(buf, len, perr, sizeof(perr));
        if (!root || !pv_el_is(root, SPOOL_NS, "occupants")) {
            spool_error(s, room, 0, "%s is damaged: %s", path, root ? "not <occupants>" : perr);
            rc = PV_STORE_EIO;
        }
        for (pv_el_t *o = root && !rc ? pv_el_child(root, SPOOL_NS, "o") : NULL; o && !rc;
             o = pv_el_next(o, SPOOL_NS, "o")) {
            const char *nick = pv_el_attr(o, "nick"), *data = pv_el_attr(o, "data");
            if (!nick || !*nick || !data) {
                spool_error(s, room, 0, "%s is damaged: <o> without nick or data", path);
                rc = PV_STORE_EIO;
            } else if (occlist_put(l, nick, data) < 0) {
                spool_error(s, room, 0, "out of memory reading %s", path);
                rc = PV_STORE_ENOMEM;
            }
        }
        pv_el_free(root);
    }
    free(buf);
    free(path);
    if (rc) {
        occlist_free(l);
        return rc;
    }
    *out = l;
    return 0;
}

/* The room's cached list, read on first use. 0 or PV_STORE_E*. */
static int get_list(spool_t *s, const char *room, const char *file, occlist_t **out)
{
    if ((*out = pv_map_get(s->occupants, room)))
        return 0;
    int rc = read_file(s, room, file, out);
    if (rc)
        return rc;
    if (pv_map_put(s->occupants, room, *out) < 0) {
        occlist_free(*out);
        spool_error(s, room, 0, "out of memory caching the occupants");
        return PV_STORE_ENOMEM;
    }
    return 0;
}

/* Writes l as the room's file (or removes the file when l is empty). */
static int write_file(spool_t *s, const char *room, const char *file, const occlist_t *l)
{
    if (l->n == 0) {
        char *path = spool_path(s, file);
        if (!path) {
            spool_error(s, room, 0, "out of memory removing %s", file);
            return PV_STORE_ENOMEM;
        }
        int rc = unlink(path) < 0 && errno != ENOENT ? PV_STORE_EIO : 0;
        if (rc)
            spool_error(s, room, errno, "cannot remove %s", path);
        free(path);
        return rc;
    }
    pv_el_t *root = pv_el_new(SPOOL_NS, "occupants");
    int failed = !root;
    for (size_t i = 0; i < l->n && !failed; i++) {
        pv_el_t *o = pv_el_add(root, NULL, "o");
        failed = !o || pv_el_set_attr(o, "nick", l->v[i].key) < 0 ||
                 pv_el_set_attr(o, "data", l->v[i].value) < 0;
    }
    size_t len = 0;
    char *x = failed ? NULL : pv_el_serialize(root, &len);
    pv_el_free(root);
    if (!x) {
        snprintf(s->err, sizeof(s->err),
                 "room %s: an occupant cannot be stored (no memory, or not valid XML 1.0 text)",
                 room);
        return failed ? PV_STORE_ENOMEM : PV_STORE_EINVAL;
    }
    int rc = spool_write_atomic(s, room, file, x, len);
    free(x);
    return rc;
}

void spool_occupant_put(void *h, const char *room, const char *nick, const char *data,
                        pv_store_done_fn cb, void *ud)
{
    spool_t *s = h;
    char file[300];
    if (spool_file_name(room, ".occupants", file, sizeof(file)) < 0) {
        cb(PV_STORE_EIO, spool_error(s, room, 0, "cannot make a file name for the room"), ud);
        return;
    }
    occlist_t *l;
    int rc = get_list(s, room, file, &l);
    if (!rc && occlist_put(l, nick, data) < 0) {
        spool_error(s, room, 0, "out of memory storing an occupant");
        rc = PV_STORE_ENOMEM;
    } else if (!rc && (rc = write_file(s, room, file, l)) != 0) {
        occlist_free(pv_map_del(s->occupants, room)); /* read it again next time */
    }
    cb(rc, rc ? s->err : NULL, ud);
}

void spool_occupants_load(void *h, const char *room,
                          void (*cb)(int status, const char *error, const pv_kv_t *occupants,
                                     size_t n, void *ud),
                          void *ud)
{
    spool_t *s = h;
    char file[300];
    if (spool_file_name(room, ".occupants", file, sizeof(file)) < 0) {
        cb(PV_STORE_EIO, spool_error(s, room, 0, "cannot make a file name for the room"), NULL, 0,
           ud);
        return;
    }
    occlist_t *l;
    int rc = get_list(s, room, file, &l);
    if (rc)
        cb(rc, s->err, NULL, 0, ud);
    else
        cb(PV_STORE_OK, NULL, l->v, l->n, ud);
}
