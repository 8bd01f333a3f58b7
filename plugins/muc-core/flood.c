/*
 * flood.c: per-occupant flood control (MSG-7). A token bucket per occupant:
 * `flood-burst` messages at once, refilled at `flood-per-minute` (plugin
 * config; burst 0 disables it). Groupchat and private messages each take a
 * token; without one the sender gets resource-constraint.
 */
#include "muc_internal.h"

bool flood_allow(occupant_t *o)
{
    if (muc->flood_burst <= 0)
        return true;
    int64_t now = pv_now_us();
    if (o->flood_last_us == 0) {
        o->flood_tokens = (double)muc->flood_burst;
    } else {
        double refill = (double)(now - o->flood_last_us) / 60e6 * (double)muc->flood_per_minute;
        o->flood_tokens += refill;
        if (o->flood_tokens > (double)muc->flood_burst)
            o->flood_tokens = (double)muc->flood_burst;
    }
    o->flood_last_us = now;
    if (o->flood_tokens < 1.0)
        return false;
    o->flood_tokens -= 1.0;
    return true;
}
