/*
 * tests/muc/unit_memory.c: what keeps rooms and occupants small, checked
 * piece by piece: a clone lives in an arena of its exact size (and still
 * grows when changed), the hash table's keys live in their entries, a room
 * keeps no copy of a default configuration value, and an occupant keeps only
 * the part of its presence that the room repeats (no attributes, no MUC
 * payload such as a room password) in a small arena.
 *
 * Links room.c, occupant.c, map.c and config_fields.c; the few functions of
 * other muc-core files that occupant.c and room.c call are defined here
 * (they record nothing the tests rely on).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "muc_internal.h"

/* ---- the rest of muc-core, as far as room.c and occupant.c reach ---- */
pv_event_t *ev_role_changed;
void ext_aff_cleared(room_t *r, const char *bare)
{
    (void)r;
    (void)bare;
}
void ext_room_free(room_t *r)
{
    (void)r;
}
void occupant_id_compute(const room_t *r, const char *bare, char out[45])
{
    (void)r;
    snprintf(out, 45, "id-of-%s", bare);
}
void presence_broadcast(occupant_t *o, const pres_opts_t *opt)
{
    (void)o;
    (void)opt;
}
void cluster_mark(const char *name)
{
    (void)name;
}
void left_ids_note(room_t *r, const occupant_t *o)
{
    (void)r;
    (void)o;
}
void left_ids_free(room_t *r)
{
    (void)r;
}

/* ---- helpers ---- */

static pv_el_t *parse(const char *xml)
{
    char err[256];
    pv_el_t *el = pv_el_parse(xml, strlen(xml), err, sizeof err);
    if (!el)
        fail_msg("cannot parse %s: %s", xml, err);
    return el;
}

static char *text_of(const pv_el_t *el)
{
    char *s = pv_el_serialize(el, NULL);
    assert_non_null(s);
    return s;
}

#define JOIN                                                                                \
    "<presence xmlns='jabber:client' from='alice@example.org/phone'"                        \
    " to='lounge@muc.example.org/Alice' id='join-1'>"                                       \
    "<x xmlns='http://jabber.org/protocol/muc'><password>s3cret</password>"                 \
    "<history maxstanzas='5'/></x>"                                                         \
    "<show>away</show><status>back soon</status>"                                           \
    "<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='n' ver='v'/>"            \
    "<occupant-id xmlns='urn:xmpp:occupant-id:0' id='forged'/>"                             \
    "<x xmlns='http://jabber.org/protocol/muc#user'><item role='moderator'/></x>"           \
    "<error type='cancel'/></presence>"

/* ---- arenas and clones ---- */

static void test_sized_arena_holds_exactly_then_grows_small(void **state)
{
    (void)state;
    size_t need = arena_need(10) + arena_need(100) + arena_need(1);
    pv_arena_t *a = arena_new_sized(need);
    assert_non_null(a);
    size_t before = arena_size(a);
    unsigned char *p1 = arena_alloc(a, 10);
    unsigned char *p2 = arena_alloc(a, 100);
    char *p3 = arena_strdup(a, "");
    assert_non_null(p1);
    assert_non_null(p2);
    assert_non_null(p3);
    assert_int_equal(arena_size(a), before); /* all three fitted in the first chunk */
    assert_int_equal((uintptr_t)p2 % _Alignof(max_align_t), 0);
    for (size_t i = 0; i < 100; i++)
        assert_int_equal(p2[i], 0);
    char *more = arena_strdup(a, "one more");
    assert_non_null(more);
    assert_string_equal(more, "one more");
    size_t grown = arena_size(a) - before;
    assert_true(grown >= ARENA_SMALL_CHUNK);
    assert_true(grown < 2 * ARENA_SMALL_CHUNK); /* a small chunk, not another 2 KiB */
    arena_free(a);

    /* An ordinary arena starts with 2 KiB: the sized one is far smaller. */
    pv_arena_t *ordinary = arena_new();
    assert_non_null(ordinary);
    assert_true(arena_size(ordinary) >= 2048);
    assert_true(before < 512);
    arena_free(ordinary);
}

static void test_clone_is_exact_and_still_grows(void **state)
{
    (void)state;
    pv_el_t *src = parse(JOIN);
    pv_el_add_text_child(src, NULL, "priority", "5"); /* a node added after parsing */
    pv_el_t *copy = pv_el_clone(src);
    assert_non_null(copy);
    char *a = text_of(src), *b = text_of(copy);
    assert_string_equal(a, b);
    free(b);

    /* The clone's arena is one chunk of exactly its size: even one more
     * byte needs a new chunk. */
    size_t size = arena_size(copy->arena);
    assert_true(size > strlen(a)); /* nodes cost more than their text */
    assert_non_null(arena_alloc(copy->arena, 1));
    assert_true(arena_size(copy->arena) > size);
    assert_true(arena_size(copy->arena) < size + 2 * ARENA_SMALL_CHUNK);
    /* and the changed clone serialises with its additions */
    pv_el_t *extra = pv_el_add(copy, "urn:example:extra", "extra");
    assert_non_null(extra);
    assert_int_equal(pv_el_set_attr(extra, "k", "a value long enough to need space"), 0);
    for (int i = 0; i < 50; i++) /* several small chunks' worth */
        assert_non_null(pv_el_add_text_child(copy, NULL, "status", "filler text"));
    b = text_of(copy);
    assert_non_null(strstr(b, "<extra xmlns='urn:example:extra' k='a value long enough"));
    free(b);

    /* A small stanza costs a few hundred bytes, not a 2 KiB chunk. */
    pv_el_t *small = parse("<presence xmlns='jabber:client'><show>away</show></presence>");
    pv_el_t *sc = pv_el_clone(small);
    assert_non_null(sc);
    assert_true(arena_size(sc->arena) < 512);
    pv_el_free(sc);
    pv_el_free(small);

    /* A text node of zero length and an attribute in a namespace. */
    pv_el_t *odd = parse("<m xmlns='urn:a' xml:lang='en'><b/>x<c xmlns='urn:b'>y</c></m>");
    pv_el_add_text(odd, "", 0);
    pv_el_t *oc = pv_el_clone(odd);
    assert_non_null(oc);
    char *o1 = text_of(odd), *o2 = text_of(oc);
    assert_string_equal(o1, o2);
    free(o1);
    free(o2);
    pv_el_free(oc);
    pv_el_free(odd);
    free(a);
    pv_el_free(copy);
    pv_el_free(src);
}

/* ---- the hash table ---- */

static void test_map_keys_live_in_entries(void **state)
{
    (void)state;
    assert_int_equal(sizeof(map_t), 16);
    map_t m;
    map_init(&m, true);
    assert_null(m.buckets); /* nothing allocated until the first put */
    char key[16] = "Alice";
    int v1 = 1, v2 = 2, v3 = 3;
    assert_int_equal(map_put(&m, key, &v1), 0);
    assert_int_equal(m.nbuckets, 2);
    strcpy(key, "Zed"); /* the map kept its own copy */
    assert_ptr_equal(map_get(&m, "alice"), &v1);
    assert_null(map_get(&m, "Zed"));
    assert_int_equal(map_put(&m, "bob", &v2), 0);
    assert_int_equal(map_put(&m, "carol", &v3), 0);
    assert_int_equal(m.count, 3);
    assert_int_equal(m.nbuckets, 4);
    size_t i, seen = 0;
    for (map_entry_t *e = map_first(&m, &i); e; e = map_next(&m, e, &i)) {
        assert_ptr_equal(map_get(&m, e->key), e->val);
        seen++;
    }
    assert_int_equal(seen, 3);
    assert_ptr_equal(map_del(&m, "BOB"), &v2);
    assert_null(map_get(&m, "bob"));
    assert_int_equal(m.count, 2);
    map_clear(&m);
    assert_int_equal(m.count, 0);
    assert_int_equal(m.nbuckets, 0);
    assert_null(map_get(&m, "alice"));
    assert_int_equal(map_put(&m, "again", &v1), 0); /* usable after clearing */
    assert_ptr_equal(map_get(&m, "AGAIN"), &v1);
    map_clear(&m);
}

/* ---- rooms ---- */

static void test_room_keeps_no_default_values(void **state)
{
    (void)state;
    room_t *r = room_new("lounge");
    assert_non_null(r);
    for (int f = 0; f < CF_COUNT; f++) {
        assert_null(r->cfg[f]);
        assert_string_equal(room_cfg(r, f), config_fields[f].def);
    }
    assert_string_equal(room_cfg(r, CF_WHOIS), "moderators");
    assert_true(room_is_public(r));
    assert_false(room_cfg_bool(r, CF_PERSISTENT));
    assert_int_equal(room_cfg_int(r, CF_MAXUSERS), 0);

    assert_int_equal(room_cfg_set(r, CF_PUBLIC, "1"), 0); /* the default */
    assert_null(r->cfg[CF_PUBLIC]);
    assert_int_equal(room_cfg_set(r, CF_PUBLIC, "0"), 0);
    assert_non_null(r->cfg[CF_PUBLIC]);
    assert_false(room_is_public(r));
    assert_int_equal(room_cfg_set(r, CF_PUBLIC, "1"), 0); /* back to the default: freed */
    assert_null(r->cfg[CF_PUBLIC]);
    assert_true(room_is_public(r));

    assert_int_equal(room_cfg_set(r, CF_ROOMNAME, "The Lounge"), 0);
    assert_string_equal(room_cfg(r, CF_ROOMNAME), "The Lounge");
    assert_int_equal(room_cfg_set(r, CF_ROOMNAME, NULL), 0); /* NULL: empty = default */
    assert_null(r->cfg[CF_ROOMNAME]);
    assert_string_equal(room_cfg(r, CF_ROOMNAME), "");

    /* Setting a field from its own current value (a copy is made first). */
    assert_int_equal(room_cfg_set(r, CF_WHOIS, "anyone"), 0);
    assert_int_equal(room_cfg_set(r, CF_WHOIS, room_cfg(r, CF_WHOIS)), 0);
    assert_true(room_whois_anyone(r));
    assert_int_equal(room_cfg_set(r, CF_MAXUSERS, "20"), 0);
    assert_int_equal(room_cfg_int(r, CF_MAXUSERS), 20);
    room_free(r); /* frees what was set (ASan: no leak) */
}

/* ---- occupants' presence ---- */

static void test_kept_presence_is_filtered_and_small(void **state)
{
    (void)state;
    pv_el_t *join = parse(JOIN);
    pv_el_t *kept = presence_kept_copy(join);
    assert_non_null(kept);
    assert_string_equal(kept->name, "presence");
    assert_null(kept->attrs); /* from, to, id are not kept */
    const char *names[] = {"show", "status", "c"};
    size_t n = 0;
    for (pv_el_t *c = kept->children; c; c = c->next, n++) {
        assert_true(n < 3);
        assert_int_equal(c->kind, PV_EL_ELEMENT);
        assert_string_equal(c->name, names[n]);
    }
    assert_int_equal(n, 3);
    assert_string_equal(pv_el_child_text(kept, NULL, "show"), "away");
    assert_string_equal(pv_el_child_text(kept, NULL, "status"), "back soon");
    char *s = text_of(kept);
    assert_null(strstr(s, "s3cret")); /* the room password is not kept */
    assert_null(strstr(s, "forged"));
    assert_null(strstr(s, "error"));
    assert_non_null(strstr(s, "ver='v'"));
    free(s);
    assert_true(arena_size(kept->arena) < 1024);
    pv_el_free(kept);

    pv_el_t *bare = parse("<presence xmlns='jabber:client' to='r@m/n'>"
                          "<x xmlns='http://jabber.org/protocol/muc'/></presence>");
    kept = presence_kept_copy(bare);
    assert_non_null(kept);
    assert_null(kept->children);
    assert_true(arena_size(kept->arena) < 256);
    pv_el_free(kept);
    pv_el_free(bare);
    pv_el_free(join);
}

static void test_occupant_presence_replaced(void **state)
{
    (void)state;
    room_t *r = room_new("lounge");
    assert_non_null(r);
    pv_jid_t *jid = pv_jid_parse("alice@example.org/phone");
    assert_non_null(jid);
    occupant_t *o = occupant_new(r, "Alice", jid, PV_MUC_ROLE_PARTICIPANT);
    assert_non_null(o);
    assert_ptr_equal(occupant_by_nick(r, "alice"), o);
    assert_ptr_equal(session_by_full(r, "alice@example.org/phone")->occ, o);
    assert_ptr_equal(occupant_by_bare(r, "alice@example.org"), o);

    pv_el_t *join = parse(JOIN);
    occupant_set_presence(o, join);
    assert_non_null(o->presence);
    assert_string_equal(pv_el_child_text(o->presence, NULL, "show"), "away");
    pv_el_t *next = parse("<presence xmlns='jabber:client'><show>dnd</show></presence>");
    occupant_set_presence(o, next); /* the old one is freed (ASan: no leak) */
    assert_string_equal(pv_el_child_text(o->presence, NULL, "show"), "dnd");
    assert_null(pv_el_child(o->presence, NULL, "status"));
    pv_el_free(next);
    /* Nothing worth keeping: no presence kept at all (presence_build copes). */
    pv_el_t *bare = parse("<presence xmlns='jabber:client' id='x'>"
                          "<x xmlns='http://jabber.org/protocol/muc'/>\n</presence>");
    occupant_set_presence(o, bare);
    assert_null(o->presence);
    occupant_set_presence(o, bare);
    assert_null(o->presence);
    pv_el_free(bare);
    pv_el_free(join);

    assert_int_equal(occupant_rename(o, "Alicia"), 0);
    assert_null(occupant_by_nick(r, "Alice"));
    assert_ptr_equal(occupant_by_nick(r, "ALICIA"), o);
    pv_jid_free(jid);
    room_free(r); /* removes the occupant and its indexes */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sized_arena_holds_exactly_then_grows_small),
        cmocka_unit_test(test_clone_is_exact_and_still_grows),
        cmocka_unit_test(test_map_keys_live_in_entries),
        cmocka_unit_test(test_room_keeps_no_default_values),
        cmocka_unit_test(test_kept_presence_is_filtered_and_small),
        cmocka_unit_test(test_occupant_presence_replaced),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
