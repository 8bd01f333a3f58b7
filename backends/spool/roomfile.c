/*
 * backends/spool/roomfile.c: reading and writing one room file.
 *
 * Format: an XML document with one element per line, so that a file of any
 * size is read one small element at a time with the core's hostile-input
 * parser (pv_el_parse) and a damaged line is reported with its number:
 *
 *   <room xmlns='urn:palaver:spool:1'>
 *   <name value='the room name'/>
 *   <config key='title' value='...'/>
 *   <aff jid='...' affiliation='member' reason='...'/>   (reason optional)
 *   <reg jid='...' nick='...'/>
 *   </room>
 *
 * Values live in attributes, where the serializer escapes newlines and tabs
 * as references, so no value can break a line. A file without the closing
 * line was cut short and counts as damaged.
 *
 * Writes are atomic: the new contents go to NAME.room.tmp, which is fsynced,
 * renamed over NAME.room, and the directory is fsynced; a failure at any step
 * leaves the old file in place.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <palaver/log.h>
#include <palaver/xml.h>

#include "spool.h"

#define HEADER "<room xmlns='" SPOOL_NS "'>"
#define FOOTER "</room>"

char *spool_path(const spool_t *s, const char *file)
{
    size_t len = strlen(s->dir) + strlen(file) + 2;
    char *p = malloc(len);
    if (p)
        snprintf(p, len, "%s/%s", s->dir, file);
    return p;
}

int spool_write_all(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t w = write(fd, buf, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += w;
        len -= (size_t)w;
    }
    return 0;
}

char *spool_read_all(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat sb;
    char *buf = NULL;
    if (fstat(fd, &sb) == 0 && (buf = malloc((size_t)sb.st_size + 1))) {
        size_t got = 0;
        while (got < (size_t)sb.st_size) {
            ssize_t r = read(fd, buf + got, (size_t)sb.st_size - got);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            got += (size_t)r;
        }
        buf[got] = '\0';
        *len = got;
    }
    int saved = errno;
    close(fd);
    errno = saved;
    return buf;
}

/* ---- Writing ---- */

typedef struct sbuf {
    char *p;
    size_t len, cap;
    int failed; /* allocation failed or a value was not valid XML */
} sbuf_t;

static void sb_add(sbuf_t *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (b->len + n + 1 > cap)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* Appends one line: <name a0='v0' a1='v1' .../> for the NULL-terminated
 * name/value pairs (a NULL value omits the attribute). */
static void sb_line(sbuf_t *b, const char *name, const char *const *attrs)
{
    pv_el_t *el = pv_el_new(NULL, name);
    if (!el) {
        b->failed = 1;
        return;
    }
    for (size_t i = 0; attrs[i]; i += 2)
        if (attrs[i + 1] && pv_el_set_attr(el, attrs[i], attrs[i + 1]) < 0)
            b->failed = 1;
    size_t len;
    char *x = pv_el_serialize(el, &len);
    pv_el_free(el);
    if (!x) {
        b->failed = 2; /* not valid XML text (or no memory) */
        return;
    }
    sb_add(b, x, len);
    sb_add(b, "\n", 1);
    free(x);
}

int spool_write_atomic(spool_t *s, const char *room, const char *file, const char *buf, size_t len)
{
    char tmpname[310];
    snprintf(tmpname, sizeof(tmpname), "%s.tmp", file);
    char *path = spool_path(s, file), *tmp = spool_path(s, tmpname);
    int rc = PV_STORE_EIO;
    if (!path || !tmp) {
        spool_error(s, room, 0, "out of memory writing %s", file);
        rc = PV_STORE_ENOMEM;
        goto out;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) {
        spool_error(s, room, errno, "cannot create %s", tmp);
        goto out;
    }
    if (spool_write_all(fd, buf, len) < 0 || fsync(fd) < 0) {
        spool_error(s, room, errno, "cannot write %s", tmp);
        close(fd);
        unlink(tmp);
        goto out;
    }
    if (close(fd) < 0) {
        spool_error(s, room, errno, "cannot write %s", tmp);
        unlink(tmp);
        goto out;
    }
    if (rename(tmp, path) < 0) {
        spool_error(s, room, errno, "cannot rename %s to %s", tmp, path);
        unlink(tmp);
        goto out;
    }
    if (fsync(s->dirfd) < 0) {
        /* The new file is in place; only its durability is in doubt. */
        spool_error(s, room, errno, "cannot fsync the directory %s", s->dir);
        goto out;
    }
    rc = 0;
out:
    free(path);
    free(tmp);
    return rc;
}

int spool_room_write(spool_t *s, const roomdata_t *r)
{
    char file[300];
    if (spool_file_name(r->name, ".room", file, sizeof(file)) < 0) {
        spool_error(s, r->name, 0, "cannot make a file name for the room");
        return PV_STORE_EIO;
    }
    sbuf_t b = {0};
    sb_add(&b, HEADER "\n", sizeof(HEADER));
    sb_line(&b, "name", (const char *const[]){"value", r->name, NULL});
    for (size_t i = 0; i < r->nconfig; i++)
        sb_line(&b, "config",
                (const char *const[]){"key", r->config[i].key, "value", r->config[i].value, NULL});
    for (size_t i = 0; i < r->naffs; i++)
        sb_line(&b, "aff",
                (const char *const[]){"jid", r->affs[i].jid, "affiliation", r->affs[i].affiliation,
                                      "reason", r->affs[i].reason, NULL});
    for (size_t i = 0; i < r->nregs; i++)
        sb_line(&b, "reg",
                (const char *const[]){"jid", r->regs[i].jid, "nick", r->regs[i].nick, NULL});
    sb_add(&b, FOOTER "\n", sizeof(FOOTER));
    if (b.failed) {
        free(b.p);
        if (b.failed == 2) {
            snprintf(s->err, sizeof(s->err),
                     "room %s: a value is not valid XML 1.0 UTF-8 text and cannot be stored",
                     r->name);
            return PV_STORE_EINVAL;
        }
        spool_error(s, r->name, 0, "out of memory writing the room file");
        return PV_STORE_ENOMEM;
    }
    int rc = spool_write_atomic(s, r->name, file, b.p, b.len);
    free(b.p);
    return rc;
}

/* ---- Reading ---- */

/* Parses one middle line into r. 0, or -1 with *why set (static text). */
static int parse_line(roomdata_t *r, const char *line, size_t len, int *named, const char **why)
{
    char perr[128];
    pv_el_t *el = pv_el_parse(line, len, perr, sizeof(perr));
    if (!el) {
        *why = "not a well-formed element";
        return -1;
    }
    int rc = 0;
    const char *name = el->name;
    if (strcmp(name, "name") == 0) {
        const char *v = pv_el_attr(el, "value");
        if (!v || strcmp(v, r->name) != 0) {
            *why = "the name recorded in the file is not this room's";
            rc = -1;
        }
        *named = 1;
    } else if (strcmp(name, "config") == 0) {
        const char *k = pv_el_attr(el, "key"), *v = pv_el_attr(el, "value");
        if (!k || !v) {
            *why = "<config> without key or value";
            rc = -1;
        } else if (roomdata_add_config(r, k, v) < 0) {
            *why = "out of memory";
            rc = -1;
        }
    } else if (strcmp(name, "aff") == 0) {
        const char *j = pv_el_attr(el, "jid"), *a = pv_el_attr(el, "affiliation");
        if (!j || !a) {
            *why = "<aff> without jid or affiliation";
            rc = -1;
        } else if (roomdata_add_aff(r, j, a, pv_el_attr(el, "reason")) < 0) {
            *why = "out of memory";
            rc = -1;
        }
    } else if (strcmp(name, "reg") == 0) {
        const char *j = pv_el_attr(el, "jid"), *n = pv_el_attr(el, "nick");
        if (!j || !n) {
            *why = "<reg> without jid or nick";
            rc = -1;
        } else if (roomdata_add_reg(r, j, n) < 0) {
            *why = "out of memory";
            rc = -1;
        }
    } else {
        *why = "unknown element";
        rc = -1;
    }
    pv_el_free(el);
    return rc;
}

/* Parses a whole room file. 0 and *out, or PV_STORE_EIO with s->err set. */
static int parse_file(spool_t *s, const char *room, const char *path, char *buf, size_t len,
                      roomdata_t **out)
{
    roomdata_t *r = roomdata_new(room);
    if (!r) {
        spool_error(s, room, 0, "out of memory reading %s", path);
        return PV_STORE_ENOMEM;
    }
    const char *why = NULL;
    unsigned lineno = 0;
    int named = 0, ended = 0;
    char *p = buf, *end = buf + len;
    while (p < end && !why) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) {
            why = "the last line is cut short";
            lineno++;
            break;
        }
        *nl = '\0';
        size_t n = (size_t)(nl - p);
        lineno++;
        if (ended)
            why = "text after the closing </room>";
        else if (lineno == 1)
            why = strcmp(p, HEADER) == 0 ? NULL : "not a Palaver spool room file";
        else if (strcmp(p, FOOTER) == 0)
            ended = 1;
        else
            parse_line(r, p, n, &named, &why);
        p = nl + 1;
    }
    if (!why && !ended) {
        why = "the file is cut short (no closing </room>)";
        lineno++;
    }
    if (!why && !named)
        why = "no <name> line";
    if (why) {
        spool_error(s, room, 0, "%s:%u: damaged room file (%s); repair or delete it", path, lineno,
                    why);
        roomdata_free(r);
        return PV_STORE_EIO;
    }
    *out = r;
    return 0;
}

int spool_room_read(spool_t *s, const char *room, roomdata_t **out)
{
    char file[300];
    if (spool_file_name(room, ".room", file, sizeof(file)) < 0) {
        spool_error(s, room, 0, "cannot make a file name for the room");
        return PV_STORE_EIO;
    }
    char *path = spool_path(s, file);
    if (!path) {
        spool_error(s, room, 0, "out of memory");
        return PV_STORE_ENOMEM;
    }
    size_t len = 0;
    char *buf = spool_read_all(path, &len);
    int rc;
    if (!buf) {
        if (errno == ENOENT) {
            snprintf(s->err, sizeof(s->err), "no such room");
            rc = PV_STORE_ENOTFOUND;
        } else {
            spool_error(s, room, errno, "cannot read %s", path);
            rc = PV_STORE_EIO;
        }
    } else {
        rc = parse_file(s, room, path, buf, len, out);
    }
    free(buf);
    free(path);
    return rc;
}
