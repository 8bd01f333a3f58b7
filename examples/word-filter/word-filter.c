/*
 * examples/word-filter/word-filter.c: a site plugin, built out of tree
 * against the installed SDK, that refuses groupchat messages containing
 * words the operator listed. It shows the usual shape of a site plugin: a
 * descriptor, its own config element, and a subscription to one of
 * muc-core's events (palaver/muc.h) whose veto becomes an error to the sender.
 *
 *   cc -shared -fPIC $(pkg-config --cflags palaver) -o word-filter.so word-filter.c
 *
 *   <plugins>
 *     <muc-core/>
 *     <word-filter>
 *       <word>spam</word>
 *       <word>buy now</word>
 *     </word-filter>
 *   </plugins>
 *
 * A word matches case-insensitively (ASCII letters) and only as a whole
 * word: "spam" refuses "Spam!" but not "spamming". The message bodies (every
 * <body>, whatever its xml:lang) and any XHTML-IM <html> alternative are
 * checked. The sender gets <not-acceptable/> (type modify) naming the word;
 * nobody else sees the message. See README.
 */
#define _POSIX_C_SOURCE 200809L /* strndup, strncasecmp */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <palaver/muc.h>
#include <palaver/palaver.h>

#define WHO "word-filter"
#define NS_XHTML_IM "http://jabber.org/protocol/xhtml-im"

typedef struct filter {
    char **words; /* lowercased, owned */
    size_t nwords;
    pv_subscription_t *sub;
} filter_t;

static void words_free(char **words, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(words[i]);
    free(words);
}

/* Reads the <word> list into a new array (caller frees with words_free).
 * Returns 0, or -1 after logging FILE:LINE. */
static int words_parse(const pv_config_t *cfg, char ***out, size_t *n)
{
    static const char *const known[] = {"word", NULL};
    *out = NULL;
    *n = 0;
    if (!cfg)
        return 0;
    if (pv_config_check_known(cfg, known, WHO) > 0)
        return -1;
    size_t count = 0;
    for (pv_el_t *w = pv_el_child(cfg, NULL, "word"); w; w = pv_el_next(w, NULL, "word"))
        count++;
    char **words = calloc(count + 1, sizeof *words);
    if (!words)
        return pv_config_error(cfg, WHO, "out of memory");
    for (pv_el_t *w = pv_el_child(cfg, NULL, "word"); w; w = pv_el_next(w, NULL, "word")) {
        const char *t = pv_el_text(w);
        while (isspace((unsigned char)*t))
            t++;
        size_t len = strlen(t);
        while (len > 0 && isspace((unsigned char)t[len - 1]))
            len--;
        if (len == 0) {
            words_free(words, *n);
            return pv_config_error(w, WHO, "<word> is empty");
        }
        if (!(words[*n] = strndup(t, len))) {
            words_free(words, *n);
            return pv_config_error(w, WHO, "out of memory");
        }
        for (char *c = words[*n]; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        (*n)++;
    }
    *out = words;
    return 0;
}

/* A byte that continues a word (ASCII letters and digits, and every byte of
 * a multi-byte UTF-8 character, so "café" is one word). */
static bool word_byte(unsigned char c)
{
    return isalnum(c) || c >= 0x80;
}

/* True when `word` (lowercase) occurs in text[0..len) as a whole word. */
static bool contains_word(const char *text, size_t len, const char *word)
{
    size_t wl = strlen(word);
    for (size_t i = 0; i + wl <= len; i++) {
        if (i > 0 && word_byte((unsigned char)text[i - 1]))
            continue;
        if (i + wl < len && word_byte((unsigned char)text[i + wl]))
            continue;
        if (strncasecmp(text + i, word, wl) == 0)
            return true;
    }
    return false;
}

/* The first listed word found in the text nodes under el, or NULL. */
static const char *find_word(const filter_t *f, const pv_el_t *el)
{
    for (const pv_el_t *c = el->children; c; c = c->next) {
        const char *hit = NULL;
        if (c->kind == PV_EL_TEXT) {
            for (size_t i = 0; i < f->nwords && !hit; i++)
                if (contains_word(c->text, c->text_len, f->words[i]))
                    hit = f->words[i];
        } else {
            hit = find_word(f, c);
        }
        if (hit)
            return hit;
    }
    return NULL;
}

/* Each text node is checked on its own: a body is one text node; a word
 * split across XHTML-IM elements (<b>sp</b>am) is not caught. */
static pv_verdict_t on_message(const pv_event_t *ev, void *payload, void *ud)
{
    (void)ev;
    const filter_t *f = ud;
    pv_muc_message_event_t *m = payload;
    if (!m || !m->message || f->nwords == 0)
        return PV_PASS;
    const char *hit = NULL;
    for (pv_el_t *b = pv_el_child(m->message, PV_NS_STANZA, "body"); b && !hit;
         b = pv_el_next(b, PV_NS_STANZA, "body"))
        hit = find_word(f, b);
    pv_el_t *html = pv_el_child(m->message, NS_XHTML_IM, "html");
    if (!hit && html)
        hit = find_word(f, html);
    if (!hit)
        return PV_PASS;
    /* muc-core reads the text right after the event: a static buffer lives
     * long enough (one message at a time). */
    static char text[512];
    snprintf(text, sizeof text,
             "Your message was not sent: it contains \"%s\", which is not allowed here", hit);
    const pv_muc_api_t *api = pv_muc_api();
    pv_log(PV_LOG_INFO, WHO, "refused a message from %s in %s (contains \"%s\")",
           m->real_from ? m->real_from->full : "?", api ? api->room_jid(m->room) : "?", hit);
    m->err_type = "modify";
    m->err_condition = "not-acceptable";
    m->err_text = text;
    return PV_ERROR;
}

static void filter_shutdown(void *state)
{
    filter_t *f = state;
    if (!f)
        return;
    pv_event_unsubscribe(f->sub);
    words_free(f->words, f->nwords);
    free(f);
}

static int filter_init(const pv_config_t *cfg, void **state)
{
    filter_t *f = calloc(1, sizeof *f);
    *state = f;
    if (!f) {
        pv_log(PV_LOG_ERROR, WHO, "out of memory at start-up");
        return -1;
    }
    if (words_parse(cfg, &f->words, &f->nwords) < 0)
        goto fail;
    pv_event_t *ev = pv_event(PV_MUC_EVENT_MESSAGE);
    /* a high priority: refuse before archiving plugins see the message */
    if (!ev || !(f->sub = pv_event_subscribe(ev, 100, on_message, f, WHO))) {
        pv_log(PV_LOG_ERROR, WHO, "cannot subscribe to %s", PV_MUC_EVENT_MESSAGE);
        goto fail;
    }
    if (f->nwords == 0)
        pv_log(PV_LOG_WARN, WHO, "%s: no <word> listed: every message passes", pv_config_file());
    return 0;
fail:
    filter_shutdown(f);
    *state = NULL;
    return -1;
}

/* SIGHUP: the new list replaces the old one only when it is valid. */
static int filter_reconfigure(void *state, const pv_config_t *cfg)
{
    filter_t *f = state;
    char **words;
    size_t n;
    if (words_parse(cfg, &words, &n) < 0)
        return -1;
    words_free(f->words, f->nwords);
    f->words = words;
    f->nwords = n;
    return 0;
}

static const char *const requires[] = {"muc-core", NULL};

PV_PLUGIN_DEFINE(word_filter) = {
    .abi_major = PV_ABI_MAJOR,
    .abi_minor = PV_ABI_MINOR,
    .name = "word-filter",
    .version = "1.0",
    .requires = requires,
    .init = filter_init,
    .reconfigure = filter_reconfigure,
    .shutdown = filter_shutdown,
};
