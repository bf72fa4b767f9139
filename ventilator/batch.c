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
