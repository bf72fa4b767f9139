/*  pp_slice: a TASK message cut into slices, what a job thread takes at
    once.

    A slice is count records back to back, read in place inside the TASK
    message they came in, never copied one by one: the message is shared
    by the slices cut from it, and the last one to let go frees it. The
    reference count is the one piece of state threads share outside a
    channel -- an atomic, as libzmq keeps for its own messages. A spilled
    slice (pp_slice_codec) is its count and records; read back, it holds
    its own copy of the bytes.                                             */

#ifndef PP_SLICE_H_INCLUDED
#define PP_SLICE_H_INCLUDED

#include "pp_chan.h"

#include <czmq.h>
#include <stddef.h>
#include <stdint.h>

/*  Most bytes a slice grows to, unless one record alone is bigger.       */
#define PP_SLICE_BYTES (64 * 1024)

/*  A TASK message that slices are cut from: shared, reference counted.   */
typedef struct _pp_slice_msg_t pp_slice_msg_t;

/*  count records at data, held by msg: what a job thread runs at once.   */
typedef struct {
    pp_slice_msg_t *msg; /* one reference per slice                    */
    const uint8_t *data; /* the records, inside msg                    */
    size_t size;         /* bytes at data                              */
    uint32_t count;      /* records at data (>= 1)                     */
    uint32_t weight;     /* of the task channel's capacity             */
} pp_slice_t;

/*  Takes a TASK message whose checked batch payload (data, size) lies in
    *msg_p: on success it owns the message (*msg_p is NULL) and the caller
    holds its one reference. NULL on OOM: the caller keeps the message.   */
pp_slice_msg_t *pp_slice_msg_new (zmsg_t **msg_p, const uint8_t *data,
                                  size_t size);

/*  Drops the caller's reference; the last one frees the message. NULL-safe;
    nulls *self_p.                                                         */
void pp_slice_msg_release (pp_slice_msg_t **self_p);

/*  One more reference, for whoever keeps the message's bytes past its
    slices (a RESULT batch that borrows them); returns self.              */
pp_slice_msg_t *pp_slice_msg_hold (pp_slice_msg_t *self);

/*  Drops the reference taken by pp_slice_msg_hold: a zmq_free_fn (data
    is unused, hint the message), so libzmq may call it, from any thread,
    once it has sent the bytes.                                            */
void pp_slice_msg_unhold (void *data, void *hint);

/*  The batch payload of the message (size bytes of records).             */
const uint8_t *pp_slice_msg_data (const pp_slice_msg_t *self, size_t *size);

/*  References held now: a snapshot, for tests.                            */
int pp_slice_msg_refs (const pp_slice_msg_t *self);

/*  Cuts the records from *offset on into a slice: at most max (>= 1), and
    no more than PP_SLICE_BYTES unless the first record is bigger. A slice
    cut one record at a time (max 1: the job is slow) weighs slow_weight,
    any other its count. Returns 0 with *slice_p (the caller owns it; it
    holds a reference to msg) and *offset past it; PP_ECLOSED when no
    record is left at *offset; PP_ENOMEM.                                  */
int pp_slice_cut (pp_slice_msg_t *msg, size_t *offset, uint32_t max,
                  uint32_t slow_weight, pp_slice_t **slice_p);

/*  Frees a slice and drops its reference (a pp_chan_free_fn). NULL-safe. */
void pp_slice_free (void *slice);

/*  A slice's weight (a pp_chan_weight_fn).                                */
size_t pp_slice_weight (const void *slice);

/*  Spills slices and reads them back (pp_chan_set_spill). A slice read
    back weighs its count.                                                  */
extern const pp_chan_codec_t pp_slice_codec;

#endif
