/*
 * core/suggest.c: edit distance for friendly config errors.
 *
 * A config file is written by hand; "<prot>" is almost always "<port>". The
 * names compared are short (element names), so the classic two-row
 * Levenshtein table on the stack is plenty; names longer than 63 bytes simply
 * get no suggestion.
 */
#include <string.h>

#include "suggest.h"

#define MAXLEN 64

unsigned suggest_distance(const char *a, const char *b, unsigned cap)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la >= MAXLEN || lb >= MAXLEN)
        return cap + 1;
    if ((la > lb ? la - lb : lb - la) > cap)
        return cap + 1;
    unsigned prev[MAXLEN], cur[MAXLEN];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = (unsigned)j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = (unsigned)i;
        unsigned rowmin = cur[0];
        for (size_t j = 1; j <= lb; j++) {
            unsigned sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            unsigned del = prev[j] + 1, ins = cur[j - 1] + 1;
            unsigned m = sub < del ? sub : del;
            cur[j] = m < ins ? m : ins;
            if (cur[j] < rowmin)
                rowmin = cur[j];
        }
        if (rowmin > cap)
            return cap + 1;
        memcpy(prev, cur, (lb + 1) * sizeof prev[0]);
    }
    return prev[lb] > cap ? cap + 1 : prev[lb];
}

const char *suggest_name(const char *given, const char *const *known)
{
    const char *best = NULL;
    unsigned best_d = 3;
    for (size_t i = 0; known && known[i]; i++) {
        unsigned d = suggest_distance(given, known[i], 2);
        if (d < best_d) {
            best_d = d;
            best = known[i];
        }
    }
    return best;
}

void suggest_list(const char *const *known, char *buf, size_t len)
{
    size_t used = 0;
    if (len < 6) {
        if (len)
            buf[0] = '\0';
        return;
    }
    buf[0] = '\0';
    for (size_t i = 0; known && known[i]; i++) {
        const char *sep = i ? ", " : "";
        size_t ls = strlen(sep), ln = strlen(known[i]);
        if (used + ls + ln + 6 > len) { /* keep room for ", ..." and the NUL */
            memcpy(buf + used, i ? ", ..." : "...", i ? 6 : 4);
            return;
        }
        memcpy(buf + used, sep, ls);
        memcpy(buf + used + ls, known[i], ln + 1);
        used += ls + ln;
    }
}
