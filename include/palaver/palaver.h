/*
 * palaver/palaver.h: the whole plugin SDK in one include.
 *
 * Build a site plugin out of tree with
 *   cc -shared -fPIC $(pkg-config --cflags palaver) -o NAME.so NAME.c
 * and list NAME in <plugins>. See README, "Writing a plugin".
 */
#ifndef PALAVER_PALAVER_H
#define PALAVER_PALAVER_H

#include <palaver/config.h>
#include <palaver/disco.h>
#include <palaver/event.h>
#include <palaver/form.h>
#include <palaver/jid.h>
#include <palaver/log.h>
#include <palaver/map.h>
#include <palaver/plugin.h>
#include <palaver/router.h>
#include <palaver/stats.h>
#include <palaver/store.h>
#include <palaver/util.h>
#include <palaver/xml.h>

#endif
