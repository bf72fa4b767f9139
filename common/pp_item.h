/*  pp_item: one work item or outcome as it travels inside a process (the
    ventilator's window and inbox, the sink's reorder buffer), and its
    spill codec.                                                           */

#ifndef PP_ITEM_H_INCLUDED
#define PP_ITEM_H_INCLUDED

#include "pp_chan.h"

#include <stddef.h>
#include <stdint.h>

/*  One work item or outcome as it travels inside a process.               */
typedef struct {
    uint64_t run_id;
    uint64_t seq;
    uint64_t t_enq_us; /* when the ventilator first queued it           */
    uint64_t record;   /* 1-based input record number (0: none)         */
    uint32_t len;
    uint8_t outcome; /* PP_OUTCOME_* (results only)                   */
    uint8_t attempt; /* delivery attempt, 0 = first                   */
    char data[];     /* len bytes, then a NUL for convenience         */
} pp_item_t;

/*  Allocates an item holding a copy of len bytes of data. NULL on OOM.    */
pp_item_t *pp_item_new (uint64_t run_id, uint64_t seq, const void *data,
                        size_t len);

/*  Frees an item (a pp_chan_free_fn). NULL-safe.                          */
void pp_item_free (void *item);

/*  Spills items to disk and reads them back (pp_chan_set_spill).         */
extern const pp_chan_codec_t pp_item_codec;

#endif
