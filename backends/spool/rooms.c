/*
 * backends/spool/rooms.c: rooms, affiliations and registrations as room
 * files. Each change reads the one room file, changes it in memory and
 * writes it back atomically, so a failed write leaves the previous version
 * and affs_set is all-or-nothing. No operation but room_list and rooms_list
 * looks at other rooms' files: rooms_list reads the directory for each page
 * (names come from file names), then only the files of the rooms it
 * returns, or, for public rooms only, of the rooms it passes over.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <palaver/log.h>
#include <palaver/xml.h>

#include "listing.h"
#include "spool.h"

const char *spool_error(spool_t *s, const char *room, int err_no, const char *fmt, ...)
{
    char what[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    snprintf(s->err, sizeof(s->err), "%s%s%s%s%s", room ? "room " : "", room ? room : "",
             room ? ": " : "", what, err_no ? ": " : "");
    if (err_no) {
        size_t used = strlen(s->err);
        snprintf(s->err + used, sizeof(s->err) - used, "%s", strerror(err_no));
    }
    pv_log(PV_LOG_ERROR, "spool", "%s", s->err);
    return s->err;
}

/* ---- room_list ---- */

typedef struct names {
    char **v;
    size_t n, cap;
} names_t;

static int names_add(names_t *nm, char *name)
{
    if (nm->n == nm->cap) {
        size_t cap = nm->cap ? nm->cap * 2 : 32;
        char **v = realloc(nm->v, cap * sizeof(*v));
        if (!v)
            return -1;
        nm->v = v;
        nm->cap = cap;
    }
    nm->v[nm->n++] = name;
    return 0;
}

/* The room name stored in a hashed file's <name> line (malloc'd) or NULL. */
static char *name_from_file(spool_t *s, const char *file)
{
    char *path = spool_path(s, file), *name = NULL;
    size_t len;
    char *buf = path ? spool_read_all(path, &len) : NULL;
    char *line = buf ? strchr(buf, '\n') : NULL;
    if (line) {
        line++;
        char *nl = strchr(line, '\n');
        pv_el_t *el = nl ? pv_el_parse(line, (size_t)(nl - line), NULL, 0) : NULL;
        const char *v = el && strcmp(el->name, "name") == 0 ? pv_el_attr(el, "value") : NULL;
        if (v)
            name = strdup(v);
        pv_el_free(el);
    }
    if (!name)
        pv_log(PV_LOG_WARN, "spool", "%s: cannot read the room name from it; not listed",
               path ? path : file);
    free(buf);
    free(path);
    return name;
}

/* The room a directory entry NAME.room stands for (malloc'd), or NULL. */
static char *entry_room(spool_t *s, const char *file)
{
    size_t len = strlen(file);
    if (len <= 5 || strcmp(file + len - 5, ".room") != 0)
        return NULL;
    if (file[0] == '~')
        return name_from_file(s, file);
    char *name = spool_decode_name(file, len - 5);
    char check[300];
    if (!name || spool_file_name(name, ".room", check, sizeof(check)) < 0 ||
        strcmp(check, file) != 0) {
        pv_log(PV_LOG_WARN, "spool", "%s/%s: not a room file name; ignored", s->dir, file);
        free(name);
        return NULL;
    }
    return name;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every room name in the directory, unsorted (caller frees each and the
 * array). 0, or a status with s->err set. */
static int read_names(spool_t *s, names_t *nm)
{
    DIR *d = opendir(s->dir);
    if (!d) {
        spool_error(s, NULL, errno, "cannot list %s", s->dir);
        return PV_STORE_EIO;
    }
    int status = 0;
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d))) {
        char *name = entry_room(s, e->d_name);
        if (name && names_add(nm, name) < 0) {
            free(name);
            status = PV_STORE_ENOMEM;
            break;
        }
        errno = 0;
    }
    if (!status && errno) {
        spool_error(s, NULL, errno, "cannot list %s", s->dir);
        status = PV_STORE_EIO;
    }
    closedir(d);
    if (status == PV_STORE_ENOMEM)
        spool_error(s, NULL, 0, "out of memory listing rooms");
    return status;
}

static void names_free(names_t *nm)
{
    for (size_t i = 0; i < nm->n; i++)
        free(nm->v[i]);
    free(nm->v);
}

void spool_room_list(void *h, pv_store_names_fn cb, void *ud)
{
    spool_t *s = h;
    names_t nm = {0};
    int status = read_names(s, &nm);
    if (status) {
        cb(status, s->err, NULL, 0, ud);
    } else {
        if (nm.n)
            qsort(nm.v, nm.n, sizeof(char *), cmp_names);
        cb(PV_STORE_OK, NULL, (const char *const *)nm.v, nm.n, ud);
    }
    names_free(&nm);
}

/* ---- rooms_list ---- */

/* The page: entries borrow names from the name list and titles from the
 * room files read (rooms[], owned). */
typedef struct page {
    pv_store_room_entry_t *v;
    roomdata_t **rooms;
    size_t n;
} page_t;

/* Reads the rooms of v[from..nv) in order into pg until max are taken
 * (only public ones with PV_STORE_LIST_PUBLIC). A room deleted since the
 * directory was read is skipped; a damaged file fails the page (EIO, as
 * room_load would). 0 or a status. */
static int fill_page(spool_t *s, pv_store_room_entry_t *v, size_t nv, size_t from, size_t max,
                     unsigned flags, page_t *pg)
{
    for (size_t i = from; i < nv && pg->n < max; i++) {
        roomdata_t *r = NULL;
        int rc = spool_room_read(s, v[i].name, &r);
        if (rc == PV_STORE_ENOTFOUND)
            continue;
        if (rc)
            return rc;
        int pub = config_public(r->config, r->nconfig);
        if ((flags & PV_STORE_LIST_PUBLIC) && !pub) {
            roomdata_free(r);
            continue;
        }
        pg->rooms[pg->n] = r;
        pg->v[pg->n++] =
            (pv_store_room_entry_t){v[i].name, config_title(r->config, r->nconfig), pub};
    }
    return 0;
}

void spool_rooms_list(void *h, const char *after, size_t max, unsigned flags,
                      pv_store_entries_fn cb, void *ud)
{
    spool_t *s = h;
    max = list_max(max);
    names_t nm = {0};
    int status = read_names(s, &nm);
    pv_store_room_entry_t *all = NULL;
    page_t pg = {0};
    if (!status && nm.n) {
        all = calloc(nm.n, sizeof(*all));
        size_t cap = nm.n < max ? nm.n : max;
        pg.v = calloc(cap, sizeof(*pg.v));
        pg.rooms = calloc(cap, sizeof(*pg.rooms));
        if (!all || !pg.v || !pg.rooms) {
            spool_error(s, NULL, 0, "out of memory listing rooms");
            status = PV_STORE_ENOMEM;
        }
    }
    if (!status && nm.n) {
        for (size_t i = 0; i < nm.n; i++)
            all[i].name = nm.v[i];
        size_t from = list_sort_after(all, nm.n, after);
        status = fill_page(s, all, nm.n, from, max, flags, &pg);
    }
    if (status)
        cb(status, s->err, NULL, 0, -1, ud);
    else /* the directory gives the count of all rooms for free, not of public ones */
        cb(PV_STORE_OK, NULL, pg.v, pg.n, (flags & PV_STORE_LIST_PUBLIC) ? -1 : (long long)nm.n,
           ud);
    for (size_t i = 0; i < pg.n; i++)
        roomdata_free(pg.rooms[i]);
    free(pg.rooms);
    free(pg.v);
    free(all);
    names_free(&nm);
}

/* ---- one room ---- */

void spool_room_load(void *h, const char *name, pv_store_room_fn cb, void *ud)
{
    spool_t *s = h;
    roomdata_t *r = NULL;
    int rc = spool_room_read(s, name, &r);
    if (rc) {
        cb(rc, s->err, NULL, ud);
        return;
    }
    pv_store_room_t view;
    roomdata_view(r, &view);
    cb(PV_STORE_OK, NULL, &view, ud);
    roomdata_free(r);
}

void spool_room_delete(void *h, const char *name, pv_store_done_fn cb, void *ud)
{
    spool_t *s = h;
    char file[300], afile[300];
    if (spool_file_name(name, ".room", file, sizeof(file)) < 0 ||
        spool_file_name(name, ".archive", afile, sizeof(afile)) < 0) {
        cb(PV_STORE_EIO, spool_error(s, name, 0, "cannot make a file name for the room"), ud);
        return;
    }
    char *path = spool_path(s, file), *apath = spool_path(s, afile);
    int rc = 0;
    if (!path || !apath) {
        spool_error(s, name, 0, "out of memory");
        rc = PV_STORE_ENOMEM;
    } else if (unlink(path) < 0) {
        if (errno == ENOENT) {
            snprintf(s->err, sizeof(s->err), "no such room");
            rc = PV_STORE_ENOTFOUND;
        } else {
            spool_error(s, name, errno, "cannot delete %s", path);
            rc = PV_STORE_EIO;
        }
    } else {
        spool_archive_forget(s, name);
        if (unlink(apath) < 0 && errno != ENOENT) {
            spool_error(s, name, errno, "room deleted, but not its archive %s", apath);
            rc = PV_STORE_EIO;
        } else if (fsync(s->dirfd) < 0) {
            spool_error(s, name, errno, "cannot fsync the directory %s", s->dir);
            rc = PV_STORE_EIO;
        }
    }
    free(path);
    free(apath);
    cb(rc, rc ? s->err : NULL, ud);
}

/* What one change does to a room's data; 0, or -1 when out of memory. */
typedef int (*change_fn)(roomdata_t *r, const void *arg);

/* Reads the room's file (a fresh room's data when there is none and
 * `create`), applies the change, writes it back; then cb. A damaged file
 * is not replaced: it may hold bans that a fresh file would silently lift.
 * It stays as it is until repaired or deleted. */
static void modify(spool_t *s, const char *room, bool create, change_fn change, const void *arg,
                   pv_store_done_fn cb, void *ud)
{
    roomdata_t *r = NULL;
    int rc = spool_room_read(s, room, &r);
    if (rc == PV_STORE_ENOTFOUND && create) {
        r = roomdata_new(room);
        rc = r ? 0 : PV_STORE_ENOMEM;
        if (!r)
            spool_error(s, room, 0, "out of memory");
    }
    if (!rc && change(r, arg) < 0) {
        spool_error(s, room, 0, "out of memory");
        rc = PV_STORE_ENOMEM;
    }
    if (!rc)
        rc = spool_room_write(s, r);
    roomdata_free(r);
    cb(rc, rc ? s->err : NULL, ud);
}

typedef struct {
    const pv_store_aff_t *items;
    size_t n;
} affs_arg_t;

static int apply_affs(roomdata_t *r, const void *arg)
{
    const affs_arg_t *a = arg;
    return roomdata_apply_affs(r, a->items, a->n);
}

void spool_affs_set(void *h, const char *room, const pv_store_aff_t *items, size_t n,
                    pv_store_done_fn cb, void *ud)
{
    modify(h, room, false, apply_affs, &(affs_arg_t){items, n}, cb, ud);
}

typedef struct {
    const char *jid, *nick;
} reg_arg_t;

static int set_reg(roomdata_t *r, const void *arg)
{
    const reg_arg_t *a = arg;
    return roomdata_set_reg(r, a->jid, a->nick);
}

void spool_reg_set(void *h, const char *room, const char *jid, const char *nick,
                   pv_store_done_fn cb, void *ud)
{
    modify(h, room, false, set_reg, &(reg_arg_t){jid, nick}, cb, ud);
}

typedef struct {
    const pv_kv_t *config;
    size_t n;
} config_arg_t;

static int set_config(roomdata_t *r, const void *arg)
{
    const config_arg_t *a = arg;
    return roomdata_set_config(r, a->config, a->n);
}

void spool_room_put(void *h, const char *name, const pv_kv_t *config, size_t n, pv_store_done_fn cb,
                    void *ud)
{
    modify(h, name, true, set_config, &(config_arg_t){config, n}, cb, ud);
}
