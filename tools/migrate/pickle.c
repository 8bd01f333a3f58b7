/*
 * tools/migrate/pickle.c: reads the simple Python 2 pickles (protocol 0)
 * that Palaver 0.6 stored in muc_roomattributess.value: unicode and byte
 * strings, integers, booleans, floats and None. Anything else is refused
 * (the caller reports the attribute as not converted).
 */
#include <stdlib.h>
#include <string.h>

#include "pickle.h"

static void put_utf8(char **o, unsigned long cp)
{
    unsigned char *p = (unsigned char *)*o;
    if (cp < 0x80) {
        *p++ = (unsigned char)cp;
    } else if (cp < 0x800) {
        *p++ = (unsigned char)(0xC0 | (cp >> 6));
        *p++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *p++ = (unsigned char)(0xE0 | (cp >> 12));
        *p++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        *p++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else {
        *p++ = (unsigned char)(0xF0 | (cp >> 18));
        *p++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        *p++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        *p++ = (unsigned char)(0x80 | (cp & 0x3F));
    }
    *o = (char *)p;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static long hexn(const char *s, int n)
{
    long v = 0;
    for (int i = 0; i < n; i++) {
        int h = hexval(s[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* V: raw-unicode-escape up to the newline. */
static char *unicode(const char *s, const char *end)
{
    char *out = malloc((size_t)(end - s) * 4 + 1), *o = out;
    if (!out)
        return NULL;
    while (s < end) {
        if (*s == '\\' && s + 1 < end && (s[1] == 'u' || s[1] == 'U')) {
            int n = s[1] == 'u' ? 4 : 8;
            long cp = s + 2 + n <= end ? hexn(s + 2, n) : -1;
            if (cp >= 0) {
                put_utf8(&o, (unsigned long)cp);
                s += 2 + n;
                continue;
            }
        }
        if ((unsigned char)*s >= 0x80) /* a raw latin-1 byte */
            put_utf8(&o, (unsigned char)*s);
        else
            *o++ = *s;
        s++;
    }
    *o = '\0';
    return out;
}

/* S: a Python repr string, quoted with ' or ". */
static char *bytes(const char *s, const char *end)
{
    if (end - s < 2 || (*s != '\'' && *s != '"') || end[-1] != *s)
        return NULL;
    s++, end--;
    char *out = malloc((size_t)(end - s) + 1), *o = out;
    if (!out)
        return NULL;
    while (s < end) {
        if (*s != '\\' || s + 1 >= end) {
            *o++ = *s++;
            continue;
        }
        char c = s[1];
        s += 2;
        switch (c) {
        case 'n':
            *o++ = '\n';
            break;
        case 't':
            *o++ = '\t';
            break;
        case 'r':
            *o++ = '\r';
            break;
        case 'x': {
            long v = s + 2 <= end ? hexn(s, 2) : -1;
            if (v < 0) {
                free(out);
                return NULL;
            }
            *o++ = (char)v;
            s += 2;
            break;
        }
        default:
            *o++ = c;
            break;
        }
    }
    *o = '\0';
    return out;
}

char *pickle_value(const char *p, const char **why)
{
    *why = NULL;
    if (!p || !*p) {
        *why = "empty pickle";
        return NULL;
    }
    const char *nl = strchr(p, '\n');
    const char *end = nl ? nl : p + strlen(p);
    char op = *p++;
    char *out = NULL;
    switch (op) {
    case 'V':
        out = unicode(p, end);
        break;
    case 'S':
        out = bytes(p, end);
        break;
    case 'I':
        if (end - p == 2 && p[0] == '0' && (p[1] == '0' || p[1] == '1'))
            out = strdup(p[1] == '1' ? "1" : "0"); /* I01 / I00: True / False */
        else
            out = strndup(p, (size_t)(end - p));
        break;
    case 'L':
        if (end > p && end[-1] == 'L')
            end--;
        out = strndup(p, (size_t)(end - p));
        break;
    case 'F':
        out = strndup(p, (size_t)(end - p));
        break;
    case 'N':
        *why = "the value is None";
        return NULL;
    default:
        *why = "not a simple protocol 0 pickle (string, number or boolean)";
        return NULL;
    }
    if (!out && !*why)
        *why = "malformed pickle";
    return out;
}
