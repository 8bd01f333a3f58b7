/*
 * backends/spool/archive.c: the append-only archive file of each room.
 *
 * NAME.archive holds one XML element per line, never rewritten in place:
 *   <m id='...' t='STAMP_US' nick='...' jid='...' xml='...'/>   a message
 *   <r id='...' xml='...'/>                                      a replacement
 * (nick and jid are left out when NULL). An append is one write() with
 * O_APPEND; a write that fails half-way is cut off again with ftruncate, so
 * the file only ever holds whole lines.
 *
 * archive_trim (retention) is the one rewrite: the kept messages go to a new
 * file that replaces the old one atomically, like a room file.
 *
 * Queries need random access by id, so the first use of a room's archive
 * reads its file into a msglist_t (common/msglist.c) that later appends keep
 * up to date: an append costs one hash lookup and one write, whatever the
 * number of rooms or messages. A damaged line is reported with its number
 * and skipped; a last line cut short by a crash is dropped from the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <palaver/log.h>
#include <palaver/xml.h>

#include "msglist.h"
#include "spool.h"

static char *archive_path(spool_t *s, const char *room)
{
    char file[300];
    if (spool_file_name(room, ".archive", file, sizeof(file)) < 0)
        return NULL;
    return spool_path(s, file);
}

/* Applies one parsed line to l. NULL, or why the line is damaged. */
static const char *apply_line(msglist_t *l, const pv_el_t *el)
{
    const char *id = pv_el_attr(el, "id"), *xml = pv_el_attr(el, "xml");
    if (!id || !*id || !xml)
        return "no id or xml attribute";
    if (strcmp(el->name, "r") == 0) {
        int rc = msglist_replace(l, id, xml);
        return rc == PV_STORE_ENOTFOUND ? "replaces an unknown message"
               : rc                     ? "out of memory"
                                        : NULL;
    }
    if (strcmp(el->name, "m") != 0)
        return "unknown element";
    const char *t = pv_el_attr(el, "t");
    char *end = NULL;
    errno = 0;
    long long stamp = t ? strtoll(t, &end, 10) : 0;
    if (!t || !*t || *end || errno)
        return "bad time stamp";
    if (msglist_has(l, id))
        return "duplicate message id";
    pv_store_msg_t m = {id, (int64_t)stamp, pv_el_attr(el, "nick"), pv_el_attr(el, "jid"), xml};
    return msglist_append(l, &m) < 0 ? "out of memory" : NULL;
}

/* Drops a last line cut short by a crash, so appends start on a new line. */
static void cut_torn_tail(spool_t *s, const char *room, const char *path, size_t keep)
{
    pv_log(PV_LOG_WARN, "spool", "room %s: %s ends in a partial line; dropping it", room, path);
    if (truncate(path, (off_t)keep) < 0)
        spool_error(s, room, errno, "cannot truncate %s", path);
}

/* Reads room's archive file into a new list. 0, or a status (s->err set). */
static int load(spool_t *s, const char *room, msglist_t **out)
{
    char *path = archive_path(s, room);
    msglist_t *l = msglist_new();
    if (!path || !l) {
        free(path);
        msglist_free(l);
        spool_error(s, room, 0, "out of memory loading the archive");
        return PV_STORE_ENOMEM;
    }
    size_t len = 0;
    char *buf = spool_read_all(path, &len);
    if (!buf && errno != ENOENT) {
        spool_error(s, room, errno, "cannot read %s", path);
        free(path);
        msglist_free(l);
        return PV_STORE_EIO;
    }
    unsigned lineno = 0;
    for (char *p = buf, *end = buf + len; p && p < end;) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) {
            cut_torn_tail(s, room, path, (size_t)(p - buf));
            break;
        }
        lineno++;
        char err[128];
        pv_el_t *el = pv_el_parse(p, (size_t)(nl - p), err, sizeof(err));
        const char *why = el ? apply_line(l, el) : err;
        if (why)
            pv_log(PV_LOG_ERROR, "spool", "room %s: %s:%u: damaged archive line skipped: %s", room,
                   path, lineno, why);
        pv_el_free(el);
        p = nl + 1;
    }
    free(buf);
    free(path);
    *out = l;
    return 0;
}

/* The room's cached archive, loading it on first use. 0, or a status. */
static int get_list(spool_t *s, const char *room, msglist_t **out)
{
    msglist_t *l = pv_map_get(s->archives, room);
    if (l) {
        *out = l;
        return 0;
    }
    int rc = load(s, room, &l);
    if (rc)
        return rc;
    if (pv_map_put(s->archives, room, l) < 0) {
        msglist_free(l);
        spool_error(s, room, 0, "out of memory caching the archive");
        return PV_STORE_ENOMEM;
    }
    *out = l;
    return 0;
}

void spool_archive_forget(spool_t *s, const char *room)
{
    msglist_free(pv_map_del(s->archives, room));
}

/* A record <name/> with attributes (name, value pairs up to NULL; a NULL
 * value is left out). NULL: out of memory. */
static pv_el_t *record(const char *name, const char *const *attrs)
{
    pv_el_t *el = pv_el_new(NULL, name);
    for (size_t i = 0; el && attrs[i]; i += 2)
        if (attrs[i + 1] && pv_el_set_attr(el, attrs[i], attrs[i + 1]) < 0) {
            pv_el_free(el);
            return NULL;
        }
    return el;
}

/* Message m as an <m/> record (its current xml). NULL: out of memory. */
static pv_el_t *message_record(const pv_store_msg_t *m)
{
    char stamp[24];
    snprintf(stamp, sizeof(stamp), "%" PRId64, m->stamp_us);
    return record("m", (const char *const[]){"id", m->id, "t", stamp, "nick", m->nick, "jid",
                                             m->jid, "xml", m->xml, NULL});
}

/* Appends record el (taken; NULL: out of memory) as one line to the room's
 * archive file. 0 or a status (s->err says why). */
static int append_line(spool_t *s, const char *room, pv_el_t *el)
{
    if (!el) {
        spool_error(s, room, 0, "out of memory");
        return PV_STORE_ENOMEM;
    }
    size_t len;
    char *line = pv_el_serialize(el, &len);
    pv_el_free(el);
    if (!line) {
        snprintf(s->err, sizeof(s->err),
                 "room %s: the message is not valid XML 1.0 UTF-8 text and cannot be stored", room);
        return PV_STORE_EINVAL;
    }
    line[len] = '\n'; /* replaces the NUL; written with its length */
    char *path = archive_path(s, room);
    int rc = PV_STORE_EIO;
    int fd = path ? open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640) : -1;
    struct stat sb;
    if (!path) {
        spool_error(s, room, 0, "out of memory");
        rc = PV_STORE_ENOMEM;
    } else if (fd < 0 || fstat(fd, &sb) < 0) {
        spool_error(s, room, errno, "cannot open %s", path);
    } else if (spool_write_all(fd, line, len + 1) < 0) {
        spool_error(s, room, errno, "cannot append to %s", path);
        if (ftruncate(fd, sb.st_size) < 0)
            pv_log(PV_LOG_ERROR, "spool", "room %s: cannot cut %s back to %lld bytes: %s", room,
                   path, (long long)sb.st_size, strerror(errno));
    } else {
        rc = 0;
    }
    if (fd >= 0 && close(fd) < 0 && rc == 0) {
        spool_error(s, room, errno, "cannot write %s", path);
        rc = PV_STORE_EIO;
    }
    free(path);
    free(line);
    return rc;
}

/* The room's message list; NULL after cb was given the error. */
static msglist_t *list_or_fail(spool_t *s, const char *room, pv_store_done_fn cb, void *ud)
{
    msglist_t *l;
    int rc = get_list(s, room, &l);
    if (rc) {
        cb(rc, s->err, ud);
        return NULL;
    }
    return l;
}

void spool_archive_append(void *h, const char *room, const pv_store_msg_t *msg, pv_store_done_fn cb,
                          void *ud)
{
    spool_t *s = h;
    msglist_t *l = list_or_fail(s, room, cb, ud);
    if (!l)
        return;
    if (msglist_has(l, msg->id)) {
        cb(PV_STORE_EINVAL, "a message with this id is already archived in this room", ud);
        return;
    }
    int rc = append_line(s, room, message_record(msg));
    if (!rc && msglist_append(l, msg) < 0) {
        /* On disk but not in the cache: reload from the file next time. */
        spool_archive_forget(s, room);
        pv_log(PV_LOG_WARN, "spool", "room %s: out of memory caching message %s", room, msg->id);
    }
    cb(rc, rc ? s->err : NULL, ud);
}

void spool_archive_query(void *h, const char *room, const pv_store_query_t *q, pv_store_msgs_fn cb,
                         void *ud)
{
    spool_t *s = h;
    msglist_t *l;
    int rc = get_list(s, room, &l);
    if (rc) {
        cb(rc, s->err, NULL, 0, 0, ud);
        return;
    }
    msglist_query(l, q, cb, ud);
}

void spool_archive_replace(void *h, const char *room, const char *id, const char *xml,
                           pv_store_done_fn cb, void *ud)
{
    spool_t *s = h;
    msglist_t *l = list_or_fail(s, room, cb, ud);
    if (!l)
        return;
    if (!msglist_has(l, id)) {
        cb(PV_STORE_ENOTFOUND, "no such message", ud);
        return;
    }
    int rc = append_line(s, room, record("r", (const char *const[]){"id", id, "xml", xml, NULL}));
    if (!rc && msglist_replace(l, id, xml) < 0) {
        spool_archive_forget(s, room);
        pv_log(PV_LOG_WARN, "spool", "room %s: out of memory caching a replacement", room);
    }
    cb(rc, rc ? s->err : NULL, ud);
}

void spool_archive_delete(void *h, const char *room, pv_store_done_fn cb, void *ud)
{
    spool_t *s = h;
    char *path = archive_path(s, room);
    if (!path) {
        cb(PV_STORE_ENOMEM, spool_error(s, room, 0, "out of memory"), ud);
        return;
    }
    int rc = 0;
    if (unlink(path) < 0 && errno != ENOENT) {
        spool_error(s, room, errno, "cannot delete %s", path);
        rc = PV_STORE_EIO;
    } else {
        spool_archive_forget(s, room);
    }
    free(path);
    cb(rc, rc ? s->err : NULL, ud);
}

typedef struct linebuf {
    char *p;
    size_t len, cap;
    size_t lines;
} linebuf_t;

/* Adds message m as an <m/> line (its current xml) to the buffer. */
static int add_kept(const pv_store_msg_t *m, void *ud)
{
    linebuf_t *b = ud;
    pv_el_t *el = message_record(m);
    size_t len = 0;
    char *line = el ? pv_el_serialize(el, &len) : NULL;
    pv_el_free(el);
    if (!line)
        return -1;
    if (b->len + len + 1 > b->cap) {
        size_t cap = (b->len + len + 1) * 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            free(line);
            return -1;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, line, len);
    b->p[b->len + len] = '\n';
    b->len += len + 1;
    b->lines++;
    free(line);
    return 0;
}

void spool_archive_trim(void *h, const char *room, int64_t before_us, size_t keep_newest,
                        pv_store_done_fn cb, void *ud)
{
    spool_t *s = h;
    msglist_t *l = list_or_fail(s, room, cb, ud);
    if (!l)
        return;
    linebuf_t b = {0};
    char file[300];
    if (msglist_each_kept(l, before_us, keep_newest, add_kept, &b) != 0) {
        free(b.p);
        cb(PV_STORE_ENOMEM, spool_error(s, room, 0, "out of memory trimming the archive"), ud);
        return;
    }
    if (b.lines == l->n) { /* nothing to remove: leave the file alone */
        free(b.p);
        cb(PV_STORE_OK, NULL, ud);
        return;
    }
    if (spool_file_name(room, ".archive", file, sizeof(file)) < 0) {
        free(b.p);
        cb(PV_STORE_EIO, spool_error(s, room, 0, "cannot make a file name for the room"), ud);
        return;
    }
    int rc = spool_write_atomic(s, room, file, b.p ? b.p : "", b.len);
    free(b.p);
    if (!rc)
        msglist_trim(l, before_us, keep_newest);
    cb(rc, rc ? s->err : NULL, ud);
}
