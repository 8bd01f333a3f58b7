/*
 * backends/sqlite/idle.c: SQLite keeps the pages it read in its page cache
 * (2 MB per connection by default) for as long as the connection lives.
 * Rooms loaded on demand read many pages once each; after muc-core unloaded
 * those rooms, the cache would hold their pages for ever, and the process
 * would not shrink back to what it serves. So every IDLE_CHECK seconds a
 * connection that ran no statement since the previous check, and caches more
 * than IDLE_KEEP bytes, gives its cache back (sqlite3_db_release_memory) and
 * the freed pages go back to the system (malloc_trim). A busy store never
 * pays for it; an idle one reads its next pages from the OS's cache.
 */
#include "sqlite.h"
#ifdef __GLIBC__
#include <malloc.h> /* malloc_trim */
#endif

#include <palaver/log.h>
#include <palaver/util.h>

#define IDLE_CHECK 2.0         /* seconds between checks */
#define IDLE_KEEP (256 * 1024) /* cache bytes an idle connection may keep */

static void idle_check(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    sq_store_t *s = w->data;
    if (s->ops != s->ops_seen) { /* busy since the last check */
        s->ops_seen = s->ops;
        return;
    }
    int used = 0, high = 0;
    if (sqlite3_db_status(s->db, SQLITE_DBSTATUS_CACHE_USED, &used, &high, 0) != SQLITE_OK ||
        used <= IDLE_KEEP)
        return;
    sqlite3_db_release_memory(s->db);
    pv_log(PV_LOG_DEBUG, "sqlite", "%s: idle, page cache of %d bytes given back", s->path, used);
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

void sq_idle_start(sq_store_t *s)
{
    struct ev_loop *loop = pv_loop();
    if (!loop)
        return; /* no event loop (a tool or a unit test): nothing runs long */
    ev_timer_init(&s->idle, idle_check, IDLE_CHECK, IDLE_CHECK);
    s->idle.data = s;
    ev_timer_start(loop, &s->idle);
    s->idle_on = true;
}

void sq_idle_stop(sq_store_t *s)
{
    struct ev_loop *loop = pv_loop();
    if (s->idle_on && loop)
        ev_timer_stop(loop, &s->idle);
    s->idle_on = false;
}
