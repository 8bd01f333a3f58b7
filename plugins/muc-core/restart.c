/*
 * restart.c: a clean restart kicks nobody (RESTART-1). At a clean shutdown
 * (after the stream closed, before the backend closes) the live occupants
 * of every room are written to one state file: for each occupant its room,
 * nick, real bare JID, every session's full JID, role, affiliation, kept
 * presence and occupant-id; for each room not known to the backend
 * (temporary rooms; every room with the memory backend) also its
 * configuration, subject, lock, affiliations and registrations. The file is written to PATH.tmp,
 * synced and renamed. At the next start, after the stored rooms are loaded and before the component
 * connects, it is read once and removed at once, so that a crash later
 * (kill -9) never brings back stale occupants: clients then learn through
 * XEP-0410 self-ping that they must rejoin. A restored session whose client
 * went away meanwhile is removed when the host bounces a stanza to it (333,
 * exit.c), or when it fails the check that follows the connection
 * (restart_check.c: an XEP-0199 ping to each restored session). The file is a sequence of records,
 * each "LENGTH\n" + one XML element + "\n", from a header to an end record: a file without its end
 * record (truncated), with a bad record, or from another service is logged
 * with its path and ignored.
 */
#include "muc_internal.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NS_RESTART "urn:palaver:muc-restart:1"
#define DEFAULT_FILE "muc-occupants.state"
#define DEFAULT_DIR "/var/lib/palaver"
#define MAX_FILE ((off_t)1 << 30)

static struct {
    bool keep;  /* <keep-occupants> */
    char *path; /* <restart-state> or the default (owned) */
    bool armed; /* start-up completed: the shutdown saves */
} rs;

/* ---- configuration ---- */

/* The data directory: the top-level <spool>, else the backend's own. */
static const char *data_dir(void)
{
    const pv_config_t *root = pv_config_root();
    const char *spool = root ? pv_config_str(root, "spool", NULL) : NULL;
    if (!spool && root) {
        const pv_config_t *b = pv_el_child(root, NULL, "backend");
        spool = b ? pv_config_str(b, "spool", NULL) : NULL;
    }
    return spool && *spool ? spool : DEFAULT_DIR;
}

int restart_configure(const pv_config_t *cfg)
{
    bool keep = pv_key_bool(muc_handle, cfg, "keep-occupants");
    const char *p = pv_key_str(muc_handle, cfg, "restart-state");
    char *path;
    if (p && *p) {
        path = xstrdup(p);
    } else {
        const char *dir = data_dir();
        size_t n = strlen(dir) + sizeof DEFAULT_FILE + 1;
        path = malloc(n);
        if (path)
            snprintf(path, n, "%s/%s", dir, DEFAULT_FILE);
    }
    if (!path) {
        pv_log(PV_LOG_ERROR, MUC, "out of memory reading <restart-state>");
        return -1;
    }
    if (restart_check_configure(cfg) < 0) { /* restart_check.c */
        free(path);
        return -1;
    }
    free(rs.path);
    rs.path = path;
    rs.keep = keep;
    return 0;
}

/* ---- saving ---- */

static int put_record(FILE *f, const pv_el_t *el)
{
    size_t len = 0;
    char *s = el ? pv_el_serialize(el, &len) : NULL;
    if (!s)
        return -1;
    int rc = fprintf(f, "%zu\n", len) < 0 || fwrite(s, 1, len, f) != len || fputc('\n', f) == EOF
                 ? -1
                 : 0;
    free(s);
    return rc;
}

/* Whether the backend keeps rooms across a restart (memory does not). */
static bool store_durable(void)
{
    void *h;
    const pv_store_t *st = pv_store(&h);
    return st && st->name && strcmp(st->name, "memory") != 0;
}

/* A room: its name; and for a room the backend does not know (or will not
 * have after the restart), everything needed to recreate it. */
static pv_el_t *room_record(const room_t *r, bool stored)
{
    pv_el_t *e = pv_el_new(NS_RESTART, "room");
    if (!e)
        return NULL;
    pv_el_set_attr(e, "name", r->name);
    pv_el_set_attr(e, "stored", stored ? "1" : "0");
    if (stored)
        return e;
    pv_el_set_attr(e, "locked", r->locked ? "1" : "0");
    for (int i = 0; i < CF_COUNT; i++) {
        if (!r->cfg[i])
            continue;
        pv_el_t *c = pv_el_add(e, NS_RESTART, "config");
        if (!c)
            goto oom;
        pv_el_set_attr(c, "key", config_fields[i].key);
        pv_el_set_attr(c, "value", r->cfg[i]);
    }
    pv_kv_t kv[EXT_MAX_FIELDS];
    size_t n = ext_config_kv(r, kv, EXT_MAX_FIELDS);
    for (size_t i = 0; i < n; i++) {
        pv_el_t *c = pv_el_add(e, NS_RESTART, "config");
        if (!c)
            goto oom;
        pv_el_set_attr(c, "key", kv[i].key);
        pv_el_set_attr(c, "value", kv[i].value ? kv[i].value : "");
    }
    if (r->subject) {
        pv_el_t *s = pv_el_add_text_child(e, NS_RESTART, "subject", r->subject);
        if (!s)
            goto oom;
        if (r->subject_from)
            pv_el_set_attr(s, "from", r->subject_from);
    }
    return e;
oom:
    pv_el_free(e);
    return NULL;
}

static int put_aff(FILE *f, const room_t *r, const char *jid, const char *aff, const char *why)
{
    pv_el_t *e = pv_el_new(NS_RESTART, "aff");
    if (!e)
        return -1;
    pv_el_set_attr(e, "room", r->name);
    pv_el_set_attr(e, "jid", jid);
    pv_el_set_attr(e, "affiliation", aff);
    if (why)
        pv_el_set_attr(e, "reason", why);
    int rc = put_record(f, e);
    pv_el_free(e);
    return rc;
}

/* Affiliations (standard and other plugins') and registrations of a room
 * the backend does not know. */
static int put_room_lists(FILE *f, const room_t *r)
{
    size_t i;
    for (map_entry_t *e = map_first(&r->affs, &i); e; e = map_next(&r->affs, e, &i))
        if (put_aff(f, r, e->key, aff_name((pv_muc_aff_t)((intptr_t)e->val - 1)),
                    room_aff_reason(r, e->key)) < 0)
            return -1;
    pv_store_aff_t *x;
    size_t nx = ext_affs_list(r, NULL, 0, &x);
    if (nx == SIZE_MAX)
        return -1;
    int rc = 0;
    for (size_t k = 0; k < nx && rc == 0; k++)
        rc = put_aff(f, r, x[k].jid, x[k].affiliation, NULL);
    free(x);
    for (map_entry_t *e = map_first(&r->regs, &i); rc == 0 && e; e = map_next(&r->regs, e, &i)) {
        pv_el_t *g = pv_el_new(NS_RESTART, "reg");
        if (!g)
            return -1;
        pv_el_set_attr(g, "room", r->name);
        pv_el_set_attr(g, "jid", e->key);
        pv_el_set_attr(g, "nick", e->val);
        rc = put_record(f, g);
        pv_el_free(g);
    }
    return rc;
}

pv_el_t *restart_occupant_record(const occupant_t *o)
{
    pv_el_t *e = pv_el_new(NS_RESTART, "occupant");
    if (!e)
        return NULL;
    pv_el_set_attr(e, "room", o->room->name);
    pv_el_set_attr(e, "nick", o->nick);
    pv_el_set_attr(e, "bare", o->bare);
    pv_el_set_attr(e, "role", role_name(o->role));
    pv_el_set_attr(e, "affiliation", aff_name(occupant_aff(o)));
    pv_el_set_attr(e, "id", o->occupant_id);
    for (const session_t *s = o->sessions; s; s = s->next) { /* newest first */
        pv_el_t *se = pv_el_add(e, NS_RESTART, "session");
        if (!se) {
            pv_el_free(e);
            return NULL;
        }
        pv_el_set_attr(se, "jid", s->jid->full);
    }
    if (o->presence && !pv_el_copy_into(e, o->presence)) {
        pv_el_free(e);
        return NULL;
    }
    return e;
}

/* Writes every room with occupants to f; counts them. 0 or -1. */
static int write_state(FILE *f, size_t *nrooms, size_t *nocc)
{
    pv_el_t *h = pv_el_new(NS_RESTART, "restart");
    if (!h)
        return -1;
    pv_el_set_attr(h, "service", pv_service_domain());
    pv_el_set_attrf(h, "saved", "%" PRId64, (int64_t)time(NULL));
    int rc = put_record(f, h);
    pv_el_free(h);
    size_t i;
    bool durable = store_durable();
    for (map_entry_t *e = map_first(&muc->rooms, &i); rc == 0 && e;
         e = map_next(&muc->rooms, e, &i)) {
        room_t *r = e->val;
        if (!r->first)
            continue;
        bool stored = r->stored && durable;
        pv_el_t *re = room_record(r, stored);
        rc = put_record(f, re);
        pv_el_free(re);
        if (rc == 0 && !stored)
            rc = put_room_lists(f, r);
        for (occupant_t *o = r->first; rc == 0 && o; o = o->next) {
            pv_el_t *oe = restart_occupant_record(o);
            rc = put_record(f, oe);
            pv_el_free(oe);
            (*nocc)++;
        }
        (*nrooms)++;
    }
    pv_el_t *end = rc == 0 ? pv_el_new(NS_RESTART, "end") : NULL;
    if (end) {
        pv_el_set_attrf(end, "rooms", "%zu", *nrooms);
        pv_el_set_attrf(end, "occupants", "%zu", *nocc);
        rc = put_record(f, end);
        pv_el_free(end);
    } else {
        rc = -1;
    }
    return rc;
}

/* The rename reaches the disk with the directory's entry (best effort). */
static void sync_dir(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0;
    if (n >= sizeof dir)
        return;
    memcpy(dir, n ? path : ".", n ? n : 1);
    dir[n ? n : 1] = '\0';
    if (slash == path)
        strcpy(dir, "/");
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0)
        pv_log(PV_LOG_DEBUG, MUC, "cannot sync directory %s: %s", dir, strerror(errno));
    if (fd >= 0)
        close(fd);
}

static void restart_save(void)
{
    bool armed = rs.armed;
    rs.armed = false;
    if (!armed || !muc)
        return;
    if (cluster_on())
        return; /* the live occupants are in the database already (cluster.c) */
    if (!rs.keep) {
        pv_log(PV_LOG_INFO, MUC,
               "<keep-occupants> is off: occupants must rejoin after the restart");
        return;
    }
    size_t i, occupied = 0;
    for (map_entry_t *e = map_first(&muc->rooms, &i); e; e = map_next(&muc->rooms, e, &i))
        occupied += ((room_t *)e->val)->first != NULL;
    if (!occupied) { /* nothing to keep: and no older file may come back */
        if (unlink(rs.path) != 0 && errno != ENOENT)
            pv_log(PV_LOG_ERROR, MUC, "cannot remove %s: %s", rs.path, strerror(errno));
        pv_log(PV_LOG_DEBUG, MUC, "no occupants to save");
        return;
    }
    size_t n = strlen(rs.path) + 5;
    char *tmp = malloc(n);
    if (!tmp) {
        pv_log(PV_LOG_ERROR, MUC, "out of memory saving the occupants: they must rejoin");
        return;
    }
    snprintf(tmp, n, "%s.tmp", rs.path);
    size_t nrooms = 0, nocc = 0;
    const char *what = "writing";
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        int e = errno;
        what = "creating";
        if (fd >= 0)
            close(fd);
        errno = e;
        goto fail;
    }
    errno = 0;
    if (write_state(f, &nrooms, &nocc) < 0 || fflush(f) != 0 || fsync(fileno(f)) != 0) {
        int e = errno;
        fclose(f);
        errno = e;
        goto fail;
    }
    if (fclose(f) != 0)
        goto fail;
    what = "renaming";
    if (rename(tmp, rs.path) != 0)
        goto fail;
    sync_dir(rs.path);
    pv_log(PV_LOG_INFO, MUC,
           "saved %zu occupants of %zu rooms to %s: they stay in their rooms across the restart",
           nocc, nrooms, rs.path);
    free(tmp);
    return;
fail:
    pv_log(PV_LOG_ERROR, MUC,
           "cannot save the occupants (%s %s: %s): they are not restored at the next start and "
           "must rejoin (XEP-0410 self-ping tells them)",
           what, tmp, errno ? strerror(errno) : "out of memory or invalid text");
    unlink(tmp);
    unlink(rs.path); /* an older file must not come back either */
    free(tmp);
}

void restart_shutdown(void)
{
    restart_check_shutdown(); /* sessions not checked yet are saved as they are */
    restart_save();
    free(rs.path);
    rs.path = NULL;
}

/* ---- restoring ---- */

typedef struct loader {
    room_t *room;  /* the room of the records being read, or NULL: skip them */
    bool created;  /* recreated here (not stored): its lists are in the file */
    room_t **made; /* recreated rooms, for the empty check at the end */
    size_t nmade;
    size_t rooms, occupants, skipped;
} loader_t;

static int field_of(const char *key)
{
    for (int f = 0; f < CF_COUNT; f++)
        if (!strcmp(config_fields[f].key, key))
            return f;
    return -1;
}

static void load_room(loader_t *L, const pv_el_t *e)
{
    const char *name = pv_el_attr(e, "name");
    const char *stored = pv_el_attr(e, "stored");
    L->room = name ? rooms_get(name) : NULL;
    L->created = false;
    if (L->room || !name)
        return;
    if (stored && !strcmp(stored, "1")) {
        pv_log(PV_LOG_WARN, MUC,
               "room %s is no longer stored: its saved occupants are not restored", name);
        return;
    }
    room_t *r = room_new(name);
    if (!r)
        return;
    const char *locked = pv_el_attr(e, "locked");
    r->locked = locked && !strcmp(locked, "1");
    for (pv_el_t *c = pv_el_child(e, NS_RESTART, "config"); c;
         c = pv_el_next(c, NS_RESTART, "config")) {
        const char *k = pv_el_attr(c, "key"), *v = pv_el_attr(c, "value");
        int f = k ? field_of(k) : -1;
        if (f >= 0)
            room_cfg_set(r, f, v ? v : "");
        else if (k)
            ext_config_load(r, k, v);
    }
    pv_el_t *s = pv_el_child(e, NS_RESTART, "subject");
    if (s) {
        r->subject = xstrdup(pv_el_text(s));
        const char *from = pv_el_attr(s, "from");
        r->subject_from = from ? xstrdup(from) : NULL;
    }
    room_t **made = realloc(L->made, (L->nmade + 1) * sizeof *made);
    if (!made || rooms_add(r) < 0) {
        if (made)
            L->made = made;
        pv_log(PV_LOG_ERROR, MUC, "out of memory restoring room %s", name);
        room_free(r);
        return;
    }
    L->made = made;
    L->made[L->nmade++] = r;
    L->room = r;
    L->created = true;
    pv_muc_room_event_t ev = {.room = r};
    pv_event_fire(ev_room_created, &ev);
}

static void load_aff(loader_t *L, const pv_el_t *e)
{
    const char *jid = pv_el_attr(e, "jid"), *aff = pv_el_attr(e, "affiliation");
    pv_muc_aff_t a;
    const char *in = pv_el_attr(e, "room");
    if (!L->room || !L->created || !jid || !aff || !in || strcmp(in, L->room->name) != 0)
        return;
    if (aff_parse(aff, &a)) {
        room_aff_set(L->room, jid, a);
        room_aff_reason_set(L->room, jid, pv_el_attr(e, "reason"));
    } else {
        ext_aff_load(L->room, jid, aff);
    }
}

static void load_reg(loader_t *L, const pv_el_t *e)
{
    const char *jid = pv_el_attr(e, "jid"), *nick = pv_el_attr(e, "nick");
    const char *in = pv_el_attr(e, "room");
    if (L->room && L->created && jid && nick && in && !strcmp(in, L->room->name))
        room_reg_set(L->room, jid, nick);
}

occupant_t *restart_occupant_restore(room_t *r, const pv_el_t *e)
{
    const char *in = pv_el_attr(e, "room");
    if (r && (!in || strcmp(in, r->name) != 0))
        r = NULL; /* records out of order: not this room's */
    const char *nick = pv_el_attr(e, "nick"), *bare = pv_el_attr(e, "bare");
    const char *role_s = pv_el_attr(e, "role"), *id = pv_el_attr(e, "id");
    pv_muc_role_t role;
    if (!r || !nick || !bare || !role_parse(role_s, &role) || role == PV_MUC_ROLE_NONE)
        return NULL;
    if (occupant_by_nick(r, nick) || room_aff(r, bare) == PV_MUC_AFF_OUTCAST) {
        pv_log(PV_LOG_WARN, MUC, "%s/%s is not restored (nick taken or banned meanwhile)", r->jid,
               nick);
        return NULL;
    }
    /* sessions were saved newest first: added oldest first, they keep that order */
    pv_jid_t *jids[64];
    size_t n = 0;
    for (pv_el_t *s = pv_el_child(e, NS_RESTART, "session"); s && n < 64;
         s = pv_el_next(s, NS_RESTART, "session")) {
        pv_jid_t *j = pv_jid_parse(pv_el_attr(s, "jid") ? pv_el_attr(s, "jid") : "");
        if (j && j->resource && !strcmp(j->bare, bare) && !session_by_full(r, j->full))
            jids[n++] = j;
        else
            pv_jid_free(j);
    }
    occupant_t *o = n ? occupant_new(r, nick, jids[n - 1], role) : NULL;
    for (size_t k = n - 1; o && k-- > 0;)
        occupant_add_session(o, jids[k]);
    for (size_t k = 0; k < n; k++)
        pv_jid_free(jids[k]);
    if (!o)
        return NULL;
    for (const session_t *s = o->sessions; s; s = s->next)
        restart_check_add(r, s->jid->full); /* still there? asked once connected */
    if (id && strlen(id) < sizeof o->occupant_id)
        memcpy(o->occupant_id, id, strlen(id) + 1);
    pv_el_t *p = pv_el_child(e, PV_NS_STANZA, "presence");
    if (p)
        occupant_set_presence(o, p);
    return o;
}

static void load_occupant(loader_t *L, const pv_el_t *e)
{
    if (restart_occupant_restore(L->room, e))
        L->occupants++;
    else
        L->skipped++;
}

/* Splits buf into records; every one parsed into recs (owned). NULL and a
 * reason when the file is not a complete state file. */
static const char *parse_records(const char *buf, size_t len, pv_el_t ***recs, size_t *nrecs)
{
    static char why[160];
    size_t pos = 0;
    *recs = NULL;
    *nrecs = 0;
    bool ended = false;
    while (pos < len) {
        if (ended)
            return "data after the end record";
        char *endp;
        errno = 0;
        unsigned long long n = strtoull(buf + pos, &endp, 10);
        if (endp == buf + pos || (*endp != '\n' && *endp != '\0') || errno) {
            snprintf(why, sizeof why, "bad record framing at byte %zu", pos);
            return why;
        }
        size_t start = (size_t)(endp + 1 - buf);
        if (*endp == '\0' || start > len || n >= len - start + 1 || start + n >= len) {
            snprintf(why, sizeof why, "truncated in the record at byte %zu", pos);
            return why;
        }
        if (buf[start + n] != '\n') {
            snprintf(why, sizeof why, "bad record framing at byte %zu", pos);
            return why;
        }
        char err[128];
        pv_el_t *el = pv_el_parse(buf + start, (size_t)n, err, sizeof err);
        if (!el || strcmp(el->ns, NS_RESTART) != 0) {
            pv_el_free(el);
            snprintf(why, sizeof why, "bad record at byte %zu: %s", start,
                     el ? "unknown namespace" : err);
            return why;
        }
        pv_el_t **grown = realloc(*recs, (*nrecs + 1) * sizeof *grown);
        if (!grown) {
            pv_el_free(el);
            return "out of memory";
        }
        *recs = grown;
        (*recs)[(*nrecs)++] = el;
        if (*nrecs == 1 && strcmp(el->name, "restart") != 0)
            return "no header record";
        ended = !strcmp(el->name, "end");
        pos = start + (size_t)n + 1;
    }
    if (!ended)
        return "truncated (no end record)";
    const char *svc = pv_el_attr((*recs)[0], "service");
    if (!svc || strcmp(svc, pv_service_domain()) != 0) {
        snprintf(why, sizeof why, "saved by service %s, not %s", svc ? svc : "(none)",
                 pv_service_domain());
        return why;
    }
    return NULL;
}

/* Reads the whole file (removed at once). NULL: absent or unreadable (logged). */
static char *read_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT)
            pv_log(PV_LOG_ERROR, MUC, "cannot open the saved occupants %s: %s; ignored", path,
                   strerror(errno));
        if (errno != ENOENT && unlink(path) != 0 && errno != ENOENT)
            pv_log(PV_LOG_ERROR, MUC, "cannot remove %s either: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    char *buf = NULL;
    if (fstat(fd, &st) != 0 || st.st_size > MAX_FILE || !(buf = malloc((size_t)st.st_size + 1))) {
        pv_log(PV_LOG_ERROR, MUC, "cannot read the saved occupants %s (%s): ignored", path,
               st.st_size > MAX_FILE ? "too large" : strerror(errno));
        close(fd);
        unlink(path);
        return NULL;
    }
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t k = read(fd, buf + got, (size_t)st.st_size - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            pv_log(PV_LOG_ERROR, MUC, "cannot read the saved occupants %s: %s; ignored", path,
                   k < 0 ? strerror(errno) : "file shrank");
            free(buf);
            close(fd);
            unlink(path);
            return NULL;
        }
        got += (size_t)k;
    }
    close(fd);
    buf[got] = '\0';
    *len = got;
    /* read once: a crash from now on must not bring these occupants back */
    if (unlink(path) != 0)
        pv_log(PV_LOG_ERROR, MUC, "cannot remove the saved occupants %s after reading it: %s", path,
               strerror(errno));
    return buf;
}

/* The stored rooms the file names (stored='1') come into memory now, before
 * their occupants are put back (the event loop runs until they arrived, at
 * most <load-timeout> seconds). */
static void load_stored_rooms(pv_el_t *const *recs, size_t n)
{
    const char **names = calloc(n ? n : 1, sizeof *names);
    size_t k = 0;
    if (!names) {
        pv_log(PV_LOG_ERROR, MUC, "out of memory loading the rooms of the restored occupants");
        return;
    }
    for (size_t i = 1; i + 1 < n; i++) {
        const char *name = pv_el_attr(recs[i], "name"), *stored = pv_el_attr(recs[i], "stored");
        if (!strcmp(recs[i]->name, "room") && name && stored && !strcmp(stored, "1"))
            names[k++] = name;
    }
    rooms_load_wait(names, k, (double)muc->load_timeout);
    free(names);
}

void restart_restore(void)
{
    rs.armed = true;
    if (cluster_on())
        return; /* each room gets its live occupants back when it loads (cluster.c) */
    if (!rs.keep) {
        if (unlink(rs.path) == 0)
            pv_log(PV_LOG_INFO, MUC, "<keep-occupants> is off: removed the saved occupants %s",
                   rs.path);
        return;
    }
    size_t len = 0;
    char *buf = read_file(rs.path, &len);
    if (!buf)
        return;
    pv_el_t **recs;
    size_t n;
    const char *why = parse_records(buf, len, &recs, &n);
    free(buf);
    if (why) {
        pv_log(PV_LOG_ERROR, MUC,
               "the saved occupants %s are unusable (%s): ignored; clients "
               "rejoin after XEP-0410 self-ping",
               rs.path, why);
    } else {
        load_stored_rooms(recs, n); /* rooms load on demand: these are needed now */
        rooms_hold(true);           /* none of them leaves before its occupants are in */
        loader_t L = {0};
        for (size_t i = 1; i + 1 < n; i++) {
            const pv_el_t *e = recs[i];
            if (!strcmp(e->name, "room")) {
                load_room(&L, e);
                L.rooms += L.room != NULL;
            } else if (!strcmp(e->name, "aff")) {
                load_aff(&L, e);
            } else if (!strcmp(e->name, "reg")) {
                load_reg(&L, e);
            } else if (!strcmp(e->name, "occupant")) {
                load_occupant(&L, e);
            }
        }
        for (size_t i = 0; i < L.nmade; i++)
            rooms_maybe_destroy(L.made[i]); /* a recreated room nobody came back to */
        rooms_hold(false);
        free(L.made);
        pv_log(PV_LOG_INFO, MUC, "restored %zu occupants in %zu rooms from %s%s", L.occupants,
               L.rooms, rs.path, L.skipped ? " (some were not: see above)" : "");
    }
    for (size_t i = 0; i < n; i++)
        pv_el_free(recs[i]);
    free(recs);
}
