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

/*  --batch by default: items per batch follow the pipeline's pace, about
    a millisecond of what the sink confirms, between VENT_AUTOBATCH_MIN
    and VENT_AUTOBATCH_MAX (the byte bound of a batch holds for large
    items). A slow pipeline (costly jobs, few items a second) keeps small
    batches, which spread over the workers; a fast one with small items
    sends fewer, larger messages, where the per-message cost is what
    bounds it.                                                             */
#define VENT_AUTOBATCH_MIN 64
#define VENT_AUTOBATCH_MAX 1024
#define VENT_AUTOBATCH_EVERY_MS 50 /* the pace is measured this long     */

typedef struct {
    uint32_t size;    /* items per batch now                          */
    int64_t since_ms; /* the measure began                            */
    uint64_t acked;   /* items acked when it began                    */
} vent_autobatch_t;

/*  Starts at VENT_AUTOBATCH_MIN at now_ms.                                */
void vent_autobatch_init (vent_autobatch_t *self, int64_t now_ms);

/*  Given the items acked so far at now_ms, the batch size to use now.   */
uint32_t vent_autobatch_update (vent_autobatch_t *self, uint64_t acked,
                                int64_t now_ms);

#endif
