/*
 * backends/spool/names.c: room names as file names.
 *
 * A room name is any UTF-8 string; a file name must not contain '/', must not
 * be "." or "..", and should survive case-insensitive file systems. So every
 * byte outside [a-z0-9_-] is written as %XX (upper-case hex): "Caf\xc3\xa9.x"
 * becomes "%43af%C3%A9%2Ex". Decoding is exact, so room_list recovers names
 * from file names without opening the files.
 *
 * A name whose encoding would not fit in a file name (NAME_MAX) is stored as
 * "~" + the SHA-1 of the name instead; the room file itself records the name,
 * which is where room_list reads it from for those.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <palaver/util.h>

#include "spool.h"

/* Longest encoded stem used as is; leaves room for suffixes within 255. */
#define MAX_STEM 200

static int plain(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

int spool_file_name(const char *room, const char *suffix, char *out, size_t outlen)
{
    static const char hex[] = "0123456789ABCDEF";
    char stem[MAX_STEM + 1];
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)room;
    for (; *p && n <= MAX_STEM; p++) {
        if (plain(*p)) {
            if (n + 1 > MAX_STEM)
                break;
            stem[n++] = (char)*p;
        } else {
            if (n + 3 > MAX_STEM)
                break;
            stem[n++] = '%';
            stem[n++] = hex[*p >> 4];
            stem[n++] = hex[*p & 15];
        }
    }
    if (*p) { /* too long: hash it */
        char sha[41];
        if (pv_sha1_hex(room, strlen(room), sha) < 0)
            return -1;
        n = (size_t)snprintf(stem, sizeof(stem), "~%s", sha);
    }
    stem[n] = '\0';
    int w = snprintf(out, outlen, "%s%s", stem, suffix);
    return w < 0 || (size_t)w >= outlen ? -1 : 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *spool_decode_name(const char *stem, size_t len)
{
    if (len == 0 || stem[0] == '~')
        return NULL;
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)stem[i];
        if (plain(c)) {
            out[n++] = (char)c;
            continue;
        }
        int hi, lo;
        if (c != '%' || i + 2 >= len || (hi = hexval(stem[i + 1])) < 0 ||
            (lo = hexval(stem[i + 2])) < 0 || (hi == 0 && lo == 0)) {
            free(out);
            return NULL;
        }
        out[n++] = (char)(hi << 4 | lo);
        i += 2;
    }
    out[n] = '\0';
    return out;
}
