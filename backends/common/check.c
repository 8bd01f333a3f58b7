/*
 * backends/common/check.c: the shared argument rules (see check.h).
 */
#include "check.h"

#include <string.h>

const char *check_room_name(const char *name)
{
    if (!name || !*name)
        return "room name is NULL or empty";
    return NULL;
}

const char *check_config(const pv_kv_t *config, size_t n)
{
    if (n && !config)
        return "config array is NULL";
    for (size_t i = 0; i < n; i++)
        if (!config[i].key || !*config[i].key || !config[i].value)
            return "config item with a NULL or empty key or a NULL value";
    return NULL;
}

const char *check_affs(const pv_store_aff_t *items, size_t n)
{
    if (n && !items)
        return "affiliation array is NULL";
    for (size_t i = 0; i < n; i++) {
        if (!items[i].jid || !*items[i].jid)
            return "affiliation item with a NULL or empty jid";
        if (!items[i].affiliation || !*items[i].affiliation)
            return "affiliation item with a NULL or empty affiliation";
    }
    return NULL;
}

const char *check_reg(const char *jid)
{
    if (!jid || !*jid)
        return "registration with a NULL or empty jid";
    return NULL;
}

const char *check_msg(const pv_store_msg_t *msg)
{
    if (!msg)
        return "message is NULL";
    if (!msg->id || !*msg->id)
        return "message id is NULL or empty";
    if (!msg->xml)
        return "message xml is NULL";
    return NULL;
}

const char *check_id(const char *id)
{
    if (!id || !*id)
        return "message id is NULL or empty";
    return NULL;
}

const char *check_nick(const char *nick)
{
    if (!nick || !*nick)
        return "occupant nick is NULL or empty";
    return NULL;
}

size_t query_max(const pv_store_query_t *q)
{
    return q && q->max ? q->max : STORE_DEFAULT_MAX;
}

int query_backwards(const pv_store_query_t *q)
{
    return q && (q->last || q->before_id);
}
