/*
 * backends/sqlite/walbuf.c: one write system call per commit for the WAL.
 *
 * SQLite appends every WAL frame with two pwrite calls (its 24-byte header,
 * then the page), and a group of archived messages writes a few dozen
 * frames: on Linux those small calls cost more than copying the bytes
 * (measured: 1.7 us a frame as two calls, 0.4 us as part of one call). This
 * VFS wraps the default one and, for WAL files only, gathers the frames
 * appended in a row in a buffer that goes to the file in one call when the
 * commit frame's page is written (its header carries the database size; the
 * others carry 0), so that a commit is in the kernel before sqlite3_step
 * returns, exactly as without the buffer: a process killed after a COMMIT
 * loses nothing, and a failed write fails that COMMIT. Anything else on the
 * file (a write that does not append, a read, a sync, a truncate, the size,
 * a file control, the close) writes the buffer first, so SQLite sees the
 * file as if every write had gone through at once. Other files (the
 * database, the shared memory index) are the default VFS's own, untouched.
 *
 * Frames are only buffered while they follow the pattern header-then-page
 * at the end of the file; any other write goes through as it comes, so a
 * SQLite that wrote frames differently would lose the gain, not data.
 */
#include <stdlib.h>
#include <string.h>

#include "sqlite.h"

#define WAL_FRAME_HDR 24
#define WALBUF_MAX (1 << 20) /* written out when it would grow past this */
/* The default VFS writes at most 128 KB - 1 in one call (its seekAndWrite
 * keeps the low 17 bits of the length: 128 KB exactly would write nothing
 * and report a full disk), so longer buffers go out in pieces. */
#define WRITE_MAX (124 * 1024)

typedef struct walbuf_file {
    sqlite3_file base;  /* pMethods: walbuf_io */
    sqlite3_file *real; /* the default VFS's file, in the same allocation */
    unsigned char *buf; /* frames not yet written, owned */
    size_t len, cap;    /* bytes in buf, its size */
    sqlite3_int64 off;  /* file offset of buf[0] */
    sqlite3_int64 end;  /* where the next appended write starts (0: unknown) */
    bool header;        /* buf ends with a frame header whose page comes next */
    bool header_commit; /* that header is a commit frame's */
} walbuf_file_t;

static sqlite3_vfs walbuf_vfs;

/* Writes the buffer to the file. */
static int flush(walbuf_file_t *f)
{
    int rc = SQLITE_OK;
    for (size_t done = 0; done < f->len && rc == SQLITE_OK;) {
        size_t n = f->len - done < WRITE_MAX ? f->len - done : WRITE_MAX;
        rc =
            f->real->pMethods->xWrite(f->real, f->buf + done, (int)n, f->off + (sqlite3_int64)done);
        done += n;
    }
    f->len = 0;
    f->header = f->header_commit = false;
    return rc;
}

static bool reserve(walbuf_file_t *f, size_t need)
{
    if (need <= f->cap)
        return true;
    size_t cap = f->cap ? f->cap : 64 * 1024;
    while (cap < need)
        cap *= 2;
    unsigned char *b = realloc(f->buf, cap);
    if (!b)
        return false;
    f->buf = b;
    f->cap = cap;
    return true;
}

/* Appends a write to the buffer: 1 done, 0 not buffered (write it through),
 * or an SQLite error code from writing out what was buffered. */
static int buffer_write(walbuf_file_t *f, const void *data, int n, sqlite3_int64 off)
{
    bool is_header = n == WAL_FRAME_HDR && !f->header;
    bool is_page = f->header && n > WAL_FRAME_HDR;
    if (!f->end || off != f->end || !(is_header || is_page))
        return 0;
    if (f->len && f->len + (size_t)n > WALBUF_MAX && !f->header) {
        int rc = flush(f);
        if (rc != SQLITE_OK)
            return rc;
    }
    if (!reserve(f, f->len + (size_t)n))
        return 0;
    if (!f->len)
        f->off = off;
    memcpy(f->buf + f->len, data, (size_t)n);
    f->len += (size_t)n;
    f->end = off + n;
    if (is_header) {
        const unsigned char *h = data; /* bytes 4-7: the database size in pages, or 0 */
        f->header = true;
        f->header_commit = (h[4] | h[5] | h[6] | h[7]) != 0;
        return 1;
    }
    bool commit = f->header_commit;
    f->header = f->header_commit = false;
    if (commit) {
        int rc = flush(f);
        if (rc != SQLITE_OK)
            return rc;
    }
    return 1;
}

static int wb_write(sqlite3_file *file, const void *data, int n, sqlite3_int64 off)
{
    walbuf_file_t *f = (walbuf_file_t *)file;
    int rc = buffer_write(f, data, n, off);
    if (rc == 1)
        return SQLITE_OK;
    if (rc != 0)
        return rc;
    if ((rc = flush(f)) != SQLITE_OK)
        return rc;
    rc = f->real->pMethods->xWrite(f->real, data, n, off);
    if (rc != SQLITE_OK) {
        f->end = 0; /* not known any more: nothing is buffered until the next header */
        return rc;
    }
    if (off == 0 || off + n > f->end)
        f->end = off + n; /* the WAL's header (it starts over) or a write past the end */
    return rc;
}

static int wb_close(sqlite3_file *file)
{
    walbuf_file_t *f = (walbuf_file_t *)file;
    int rc = flush(f);
    int rc2 = f->real->pMethods->xClose(f->real);
    free(f->buf);
    f->buf = NULL;
    f->cap = 0;
    return rc != SQLITE_OK ? rc : rc2;
}

static int wb_read(sqlite3_file *file, void *data, int n, sqlite3_int64 off)
{
    walbuf_file_t *f = (walbuf_file_t *)file;
    int rc = flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xRead(f->real, data, n, off);
}

static int wb_truncate(sqlite3_file *file, sqlite3_int64 size)
{
    walbuf_file_t *f = (walbuf_file_t *)file;
    int rc = flush(f);
    if (rc != SQLITE_OK)
        return rc;
    if (f->end > size)
        f->end = size;
    return f->real->pMethods->xTruncate(f->real, size);
}

static int wb_sync(sqlite3_file *file, int flags)
{
    walbuf_file_t *f = (walbuf_file_t *)file;
    int rc = flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xSync(f->real, flags);
}

static int wb_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
    walbuf_file_t *f = (walbuf_file_t *)file;
    int rc = flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xFileSize(f->real, size);
}

static int wb_lock(sqlite3_file *file, int level)
{
    walbuf_file_t *f = (walbuf_file_t *)file;
    return f->real->pMethods->xLock(f->real, level);
}

static int wb_unlock(sqlite3_file *file, int level)
{
    walbuf_file_t *f = (walbuf_file_t *)file;
    return f->real->pMethods->xUnlock(f->real, level);
}

static int wb_check_reserved(sqlite3_file *file, int *out)
{
    walbuf_file_t *f = (walbuf_file_t *)file;
    return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int wb_file_control(sqlite3_file *file, int op, void *arg)
{
    walbuf_file_t *f = (walbuf_file_t *)file;
    int rc = flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xFileControl(f->real, op, arg);
}

static int wb_sector_size(sqlite3_file *file)
{
    walbuf_file_t *f = (walbuf_file_t *)file;
    return f->real->pMethods->xSectorSize(f->real);
}

static int wb_device(sqlite3_file *file)
{
    walbuf_file_t *f = (walbuf_file_t *)file;
    return f->real->pMethods->xDeviceCharacteristics(f->real);
}

/* Version 1: a WAL file is never mapped nor used for shared memory. */
static const sqlite3_io_methods walbuf_io = {
    .iVersion = 1,
    .xClose = wb_close,
    .xRead = wb_read,
    .xWrite = wb_write,
    .xTruncate = wb_truncate,
    .xSync = wb_sync,
    .xFileSize = wb_file_size,
    .xLock = wb_lock,
    .xUnlock = wb_unlock,
    .xCheckReservedLock = wb_check_reserved,
    .xFileControl = wb_file_control,
    .xSectorSize = wb_sector_size,
    .xDeviceCharacteristics = wb_device,
};

/* The real file's place in the allocation SQLite makes (szOsFile). */
#define REAL_OFFSET ((sizeof(walbuf_file_t) + 15) & ~(size_t)15)

static int wb_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out)
{
    sqlite3_vfs *real = vfs->pAppData;
    if (!(flags & SQLITE_OPEN_WAL)) /* everything else is the default VFS's file as it is */
        return real->xOpen(real, name, file, flags, out);
    walbuf_file_t *f = (walbuf_file_t *)file;
    memset(f, 0, sizeof *f);
    f->real = (sqlite3_file *)((char *)file + REAL_OFFSET);
    int rc = real->xOpen(real, name, f->real, flags, out);
    if (rc != SQLITE_OK || !f->real->pMethods) {
        f->base.pMethods = NULL; /* SQLite does not close a file that failed to open */
        return rc != SQLITE_OK ? rc : SQLITE_CANTOPEN;
    }
    f->base.pMethods = &walbuf_io;
    sqlite3_int64 size = 0;
    if (f->real->pMethods->xFileSize(f->real, &size) == SQLITE_OK)
        f->end = size; /* frames are appended here, or from 32 once the WAL starts over */
    return SQLITE_OK;
}

/* Connections opened with the VFS: it leaves SQLite's list with the last,
 * so that no pointer into this module stays there once it is unloaded. */
static int users;

const char *sq_walbuf_vfs(void)
{
    if (walbuf_vfs.zName) {
        users++;
        return walbuf_vfs.zName;
    }
    sqlite3_vfs *real = sqlite3_vfs_find(NULL);
    if (!real)
        return NULL;
    sqlite3_vfs v = *real; /* every other method is the default VFS's */
    v.szOsFile = (int)(REAL_OFFSET + (size_t)real->szOsFile);
    v.zName = "palaver-walbuf";
    v.pAppData = real;
    v.xOpen = wb_open;
    v.pNext = NULL;
    walbuf_vfs = v;
    if (sqlite3_vfs_register(&walbuf_vfs, 0) != SQLITE_OK) {
        walbuf_vfs.zName = NULL;
        return NULL;
    }
    users = 1;
    return walbuf_vfs.zName;
}

void sq_walbuf_release(const char *vfs)
{
    if (!vfs || !walbuf_vfs.zName || --users > 0)
        return;
    sqlite3_vfs_unregister(&walbuf_vfs);
    walbuf_vfs.zName = NULL;
}
