/*  vent_batch: the next TASK batch for a worker. Both flows build it the
    same way: the window's resends now due first (a lost item goes before
    new ones), then new items from the feed, numbered into the window
    while it has room; once the window is full, the feed reads ahead.     */

#ifndef VENT_BATCH_H_INCLUDED
#define VENT_BATCH_H_INCLUDED

#include "feed.h"
#include "pp_net.h"
#include "window.h"

/*  Empties batch and fills it with at most max_items for owner (0 in
    push flow), as sent at pp_now_ms. other (may be NULL) says whether a
    worker other than owner can take a retried item. Returns 0 (the batch
    may be empty) or PP_ENOMEM.                                            */
int vent_batch_build (pp_batch_t *batch, vent_window_t *window,
                      vent_feed_t *feed, uint32_t max_items, uint32_t owner,
                      vent_window_other_fn *other, void *ctx);

#endif
