/*  pp_wfeed: the worker's receiver side -- TASK messages into the
    pipeline's task channel.

    A TASK message is taken whole and cut into slices as room allows:
    each about 200 us of work at the job threads' measured cost
    (pp_wsize_slice). With --overflow drop, a slice that finds no room
    becomes dropped outcomes bound for the sink instead. While anything
    waits here (pp_wfeed_busy), the receiver reads no more tasks: the
    socket's queue fills and the ventilator sends elsewhere. Used by the
    receiving thread alone.                                                */

#ifndef PP_WFEED_H_INCLUDED
#define PP_WFEED_H_INCLUDED

#include "pp_net.h"
#include "pp_pipeline.h"
#include "pp_slice.h"
#include "pp_wsize.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    pp_pipeline_t *pipeline; /* where slices go                          */
    pp_slice_msg_t *msg;     /* the TASK being cut (ours), or NULL       */
    size_t offset;           /* where in it the next slice starts        */
    pp_slice_t *slice;       /* cut, waiting for room, or NULL           */
    pp_batch_t *drop;        /* dropped outcomes waiting for room        */
    pp_wsize_t size;         /* slice_max and slow_weight of the run     */
    bool drops;              /* --overflow drop                          */
    uint32_t worker_id;      /* named in dropped outcomes                */
    size_t max_item;         /* largest dropped outcome                  */
} pp_wfeed_t;

/*  Starts feeding pipeline, a run's, sized by size (pp_wsize_channel).
    The feed must be empty (new, or cleared).                              */
void pp_wfeed_start (pp_wfeed_t *self, pp_pipeline_t *pipeline, pp_wsize_t size,
                     bool drops, uint32_t worker_id, size_t max_item);

/*  Takes a TASK message whose checked batch payload (data, size) lies in
    *msg_p, to be cut: on success it owns the message (*msg_p is NULL).
    Returns 0, or PP_ENOMEM (the caller keeps the message).               */
int pp_wfeed_take (pp_wfeed_t *self, zmsg_t **msg_p, const uint8_t *data,
                   size_t size);

/*  True while records wait here for room: take no more tasks.           */
bool pp_wfeed_busy (const pp_wfeed_t *self);

/*  Moves what waits into the pipeline, a slice at a time, waiting for
    room until deadline_ms (pp_now_ms). Returns 0 (all moved, or the rest
    still waits) or an error (PP_ENOMEM, or the pipeline's).               */
int pp_wfeed_push (pp_wfeed_t *self, int64_t deadline_ms);

/*  Leaving in push flow: what was cut goes in if there is room now (it
    still runs), never waiting; the rest is forgotten (the ventilator
    sends it again after --ack-timeout). Returns what pp_wfeed_clear does. */
uint64_t pp_wfeed_last (pp_wfeed_t *self);

/*  Leaving in credit flow: the seqs of every item not started -- still
    in the task channel, or waiting here -- as 8-byte big-endian numbers in
    *seqs_p (the caller frees it), for a BYE; the feed is cleared and the
    items are not counted as given up. Short of memory, some are left out:
    they come back when our heartbeats stop. Returns how many.            */
size_t pp_wfeed_hand_back (pp_wfeed_t *self, uint8_t **seqs_p);

/*  Forgets everything waiting here, and the pipeline. Returns the dropped
    outcomes given up without being reported.                             */
uint64_t pp_wfeed_clear (pp_wfeed_t *self);

#endif
