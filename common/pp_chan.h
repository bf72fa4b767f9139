/*  pp_chan: a bounded, thread-safe FIFO of pointers -- the Go channel in C.

    Capacity is fixed at creation. Send blocks while the channel is full,
    receive blocks while it is empty, both with an optional timeout.
    Close and abort are the two ways to end it, and they differ:

      close   no more sends; receivers still get every buffered item, then
              PP_ECLOSED. Blocked senders wake with PP_ECLOSED.
      abort   buffered items are freed at once (with the free function) and
              every waiter, sender or receiver, wakes with PP_EABORTED.

    Close and abort are separate from destroy: destroy only frees memory and
    must not race with any other call. Timeouts are in milliseconds: -1
    waits forever, 0 never waits (PP_EAGAIN when it would have to).         */

#ifndef PP_CHAN_H_INCLUDED
#define PP_CHAN_H_INCLUDED

#include <stddef.h>

typedef struct _pp_chan_t pp_chan_t;

/*  Frees one item; called for items discarded by abort or destroy.        */
typedef void (pp_chan_free_fn) (void *item);

/*  Creates a channel holding at most capacity items (capacity >= 1).
    free_fn may be NULL when items need no freeing. Returns NULL when
    capacity is 0 or memory is short.                                       */
pp_chan_t *pp_chan_new (size_t capacity, pp_chan_free_fn *free_fn);

/*  Frees buffered items and the channel; NULL-safe, nulls *self_p. No
    thread may still be using the channel.                                  */
void pp_chan_destroy (pp_chan_t **self_p);

/*  Puts item at the tail, waiting up to timeout_ms for a free slot.
    Returns 0 (the channel owns item), or PP_EAGAIN (full, timeout 0),
    PP_ETIMEDOUT, PP_ECLOSED, PP_EABORTED, PP_EIO (spill write failed) --
    then the caller keeps item.                                             */
int pp_chan_send (pp_chan_t *self, void *item, int timeout_ms);

/*  Takes the head item into *item_p (the caller owns it), waiting up to
    timeout_ms. Returns 0, or PP_EAGAIN (empty, timeout 0), PP_ETIMEDOUT,
    PP_ECLOSED (closed and empty), PP_EABORTED.                             */
int pp_chan_recv (pp_chan_t *self, void **item_p, int timeout_ms);

/*  Takes up to max items in FIFO order under one lock, waiting up to
    timeout_ms for the first. Returns how many were taken (>= 1) or an
    error code as pp_chan_recv.                                             */
int pp_chan_recv_many (pp_chan_t *self, void **items, int max, int timeout_ms);

/*  Turns an item into bytes and back, for spilling to disk.               */
typedef struct {
    size_t (*size) (const void *item); /* bytes encode writes */
    void (*encode) (const void *item, unsigned char *out);
    void *(*decode) (const unsigned char *data, size_t size); /* or NULL */
} pp_chan_codec_t;

/*  Sends never wait: a full channel fails the send with PP_EAGAIN at once
    (whatever the timeout), so the caller can count and report the drop.
    Call before the channel is shared.                                      */
void pp_chan_set_drop (pp_chan_t *self);

/*  How much of the capacity an item takes (0 counts as 1).               */
typedef size_t (pp_chan_weight_fn) (const void *item);

/*  Items take weight (item) of the capacity instead of 1 each: a channel
    of batches bounded in the items they hold. An item heavier than the
    whole capacity still enters an empty channel. Not with spill (returns
    PP_EINVAL). Call before the channel is shared; returns 0.              */
int pp_chan_set_weight (pp_chan_t *self, pp_chan_weight_fn *weight);

/*  Sends never wait: when the ring is full, items go to an unlinked file
    in dir (gone when the process ends, however it ends) and come back in
    FIFO order as the ring drains; memory stays at capacity items. A write
    that fails (disk full) fails the send with PP_EIO and the caller keeps
    the item. Returns 0, or PP_EIO when no file can be made in dir, or
    PP_EINVAL after pp_chan_set_weight.                                    */
int pp_chan_set_spill (pp_chan_t *self, const char *dir,
                       const pp_chan_codec_t *codec);

/*  Items waiting on disk now (spill only).                                */
size_t pp_chan_spilled (pp_chan_t *self);

/*  Spilled items that could not be read back (an I/O error, or a record
    the codec did not decode): never received, counted here instead of
    stopping the process; *err (if not NULL) says why the first was lost
    (an errno value).                                                      */
size_t pp_chan_spill_lost (pp_chan_t *self, int *err);

/*  Puts n items at the tail in order under as few lock rounds as room
    allows, waiting up to timeout_ms for room each time. Returns how many
    were sent (the channel owns those; the caller keeps the rest), or an
    error code as pp_chan_send when none was. Block policy only.           */
int pp_chan_send_many (pp_chan_t *self, void **items, int n, int timeout_ms);

/*  No more sends. Idempotent; does nothing after abort.                   */
void pp_chan_close (pp_chan_t *self);

/*  Frees every buffered item and wakes every waiter with PP_EABORTED.
    Idempotent; later sends and receives fail with PP_EABORTED.            */
void pp_chan_abort (pp_chan_t *self);

/*  Waits up to timeout_ms for the channel to be aborted. Returns
    PP_EABORTED if it is (or was), else PP_ETIMEDOUT. An interruptible
    sleep for jobs that must stop when the run is aborted.                  */
int pp_chan_wait_aborted (pp_chan_t *self, int timeout_ms);

/*  Number of items buffered now, in memory and on disk (a snapshot).     */
size_t pp_chan_size (pp_chan_t *self);

/*  The capacity given at creation.                                        */
size_t pp_chan_capacity (pp_chan_t *self);

#endif
