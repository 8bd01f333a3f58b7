/*
 * tests/unit/router_capture.h: captures what the core sends, for the router
 * and services tests.
 *
 * Installs itself as the output sink (core/output.h) and keeps each write as
 * one stanza; cap_parse() reads one back as a tree with pv_el_parse so tests
 * assert on structure, not on serialization details.
 */
#ifndef PV_TEST_ROUTER_CAPTURE_H
#define PV_TEST_ROUTER_CAPTURE_H

#include <stdlib.h>
#include <string.h>

#include "output.h"
#include <palaver/xml.h>

#define CAP_MAX 32

static char *cap_out[CAP_MAX];
static int cap_n;

static int cap_sink(const char *buf, size_t len, void *ud)
{
    (void)ud;
    if (cap_n >= CAP_MAX)
        return -1;
    char *s = malloc(len + 1);
    if (!s)
        return -1;
    memcpy(s, buf, len);
    s[len] = '\0';
    cap_out[cap_n++] = s;
    return 0;
}

static void cap_reset(void)
{
    for (int i = 0; i < cap_n; i++)
        free(cap_out[i]);
    cap_n = 0;
}

static void cap_start(void)
{
    cap_reset();
    output_set_sink(cap_sink, NULL);
}

static void cap_stop(void)
{
    output_set_sink(NULL, NULL);
    cap_reset();
}

/* The i-th captured stanza as a tree (caller frees), or NULL. */
static pv_el_t *cap_parse(int i)
{
    if (i >= cap_n)
        return NULL;
    char err[256] = "";
    pv_el_t *el = pv_el_parse(cap_out[i], strlen(cap_out[i]), err, sizeof err);
    return el;
}

/* Parses a literal stanza for dispatch (caller or router frees). */
static pv_el_t *stanza(const char *xml)
{
    char err[256] = "";
    return pv_el_parse(xml, strlen(xml), err, sizeof err);
}

#endif
