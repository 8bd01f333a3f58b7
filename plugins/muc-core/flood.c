/*
 * flood.c: the token bucket behind every rate limit of muc-core, and its
 * first user, per-occupant message flood control (MSG-7).
 *
 * A bucket holds up to `burst` tokens and refills at `per_minute` tokens a
 * minute; each limited action takes one, and an action without a token is
 * refused (resource-constraint, type wait). A bucket that was never used is
 * full. Message flood control keeps its bucket in the occupant
 * (`flood-burst` messages at once, refilled at `flood-per-minute`; burst 0
 * disables it): groupchat and private messages each take a token. The
 * throttles of joins, presence, nick changes, invitations and voice
 * requests (throttle.c, LIMIT-1) keep theirs in a table of their own.
 */
#include "muc_internal.h"

void bucket_refill(bucket_t *b, long burst, long per_minute, int64_t now_us)
{
    if (b->last_us == 0 || now_us < b->last_us) {
        b->tokens = (double)burst;
    } else {
        b->tokens += (double)(now_us - b->last_us) / 60e6 * (double)per_minute;
        if (b->tokens > (double)burst)
            b->tokens = (double)burst;
    }
    b->last_us = now_us;
}

bool bucket_take(bucket_t *b, long burst, long per_minute, int64_t now_us)
{
    if (burst <= 0)
        return true;
    bucket_refill(b, burst, per_minute, now_us);
    if (b->tokens < 1.0)
        return false;
    b->tokens -= 1.0;
    return true;
}

bool flood_allow(occupant_t *o)
{
    bucket_t b = {o->flood_tokens, o->flood_last_us};
    bool ok = bucket_take(&b, muc->flood_burst, muc->flood_per_minute, pv_now_us());
    o->flood_tokens = b.tokens;
    o->flood_last_us = b.last_us;
    return ok;
}
