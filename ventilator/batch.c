/*  vent_batch: resends, then new items, then read ahead.                  */

#include "batch.h"

int
vent_batch_build (pp_batch_t *batch, vent_window_t *window, vent_feed_t *feed,
                  uint32_t max_items, uint32_t owner,
                  vent_window_other_fn *other, void *ctx)
{
    pp_batch_reset (batch);
    int64_t now_ms = pp_now_ms (); /* one clock read per batch, not item */
    int rc = vent_window_resend (window, batch, max_items, owner, now_ms, other,
                                 ctx);
    uint64_t now_us = pp_wall_us ();
    while (rc == 0 && !pp_batch_full (batch, max_items) &&
           !vent_window_full (window)) {
        pp_item_t *item;
        rc = vent_feed_next (feed, now_ms, now_us, &item);
        if (rc <= 0)
            break;
        rc = vent_window_put (window, item, batch, owner, now_ms);
    }
    /*  The window is full: what can be read waits in the feed's inbox,
        under --overflow.                                                  */
    if (rc == 0 && vent_window_full (window))
        rc = vent_feed_read_ahead (feed, now_ms, now_us);
    return rc;
}

void
vent_autobatch_init (vent_autobatch_t *self, int64_t now_ms)
{
    *self = (vent_autobatch_t){.size = VENT_AUTOBATCH_MIN, .since_ms = now_ms};
}

uint32_t
vent_autobatch_update (vent_autobatch_t *self, uint64_t acked, int64_t now_ms)
{
    int64_t span = now_ms - self->since_ms;
    if (span < VENT_AUTOBATCH_EVERY_MS)
        return self->size;
    uint64_t per_ms = (acked - self->acked) / (uint64_t) span;
    self->size = per_ms < VENT_AUTOBATCH_MIN   ? VENT_AUTOBATCH_MIN
                 : per_ms > VENT_AUTOBATCH_MAX ? VENT_AUTOBATCH_MAX
                                               : (uint32_t) per_ms;
    self->since_ms = now_ms;
    self->acked = acked;
    return self->size;
}
