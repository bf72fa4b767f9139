/*  sink_acks: the acks the sink owes the ventilator, and the retries it
    asks for, gathered as ranges of seqs and sent in few messages.

    Flush policy: gathered acks go once SINK_ACKS_RANGES ranges pile up,
    when a quarter of the window is gathered (a fast pipeline must not
    fill the ventilator's window waiting), or once the oldest has waited
    SINK_ACKS_DELAY_MS (sink_acks_due, from the caller's timer).

    Safety: before acks go, the caller's checkpoint makes what they cover
    safe (the output flushed, the journal written). If it fails, or the
    caller halts the acks, nothing is acked ever after: what is not safely
    written stays with the ventilator.

    Nothing is lost when the acks socket is full: the ranges it does not
    take are not kept but resynced -- every seq the ledger vouches for
    from the lowest unsent one on is acked again, message by message while
    the socket takes them. An ack sent twice is harmless. Retries the
    socket does not take stay gathered.

    Retries are gathered per failing worker: one message names one worker
    (the header's worker_id), so the ventilator sends each item to another
    worker. A retry on another worker than those gathered flushes them.

    No socket here: the caller sends through sink_acks_io_t. One thread.   */

#ifndef SINK_ACKS_H_INCLUDED
#define SINK_ACKS_H_INCLUDED

#include "ledger.h"

#include <stdbool.h>
#include <stdint.h>

#define SINK_ACKS_RANGES 256  /* ranges in one message, at most       */
#define SINK_ACKS_DELAY_MS 20 /* the longest an ack waits to be sent  */

/*  What the caller does for the acks.                                     */
typedef struct {
    /*  Makes what the count ranges cover safe before they are acked.
        Returns 0, or an error: then they are not acked, nor anything
        after.                                                             */
    int (*checkpoint) (void *arg, const uint64_t *first, const uint64_t *n,
                       uint32_t count);
    /*  Sends count ranges as one ACK with flags (0, or PP_ACK_RETRY: they
        failed on worker_id; 0 with acks), never blocking. Returns 0, or
        an error when it did not go.                                       */
    int (*send) (void *arg, uint16_t flags, uint32_t worker_id,
                 const uint64_t *first, const uint64_t *n, uint32_t count);
    /*  True when a message would go now.                                  */
    bool (*writable) (void *arg);
    void *arg; /* passed to each                                    */
} sink_acks_io_t;

typedef struct _sink_acks_t sink_acks_t;

/*  Acks for the seqs of ledger (which it reads to resync; it must outlive
    the acks), sent through io (copied). NULL when out of memory.          */
sink_acks_t *sink_acks_new (const sink_ledger_t *ledger,
                            const sink_acks_io_t *io);

/*  Frees the acks (what is gathered is not sent); NULL-safe, nulls the
    pointer.                                                               */
void sink_acks_destroy (sink_acks_t **self_p);

/*  Gathers an ack of seq (recorded, or a duplicate whose ack was lost) at
    now_ms (pp_now_ms, read once per message); flushes by the policy.      */
void sink_acks_add (sink_acks_t *self, uint64_t seq, int64_t now_ms);

/*  Gathers a retry of seq (failed on worker_id; the ventilator sends it
    again, to another worker). If neither the list nor the socket has
    room, it is not asked: the ventilator sends it again at its
    --ack-timeout.                                                         */
void sink_acks_retry (sink_acks_t *self, uint64_t seq, uint32_t worker_id);

/*  Sends the retries, then the acks gathered (checkpoint first), then
    resyncs what earlier flushes could not send.                           */
void sink_acks_flush (sink_acks_t *self);

/*  True when a flush is due at now_ms: an ack gathered has waited
    SINK_ACKS_DELAY_MS, or retries or a resync wait for the socket.       */
bool sink_acks_due (const sink_acks_t *self, int64_t now_ms);

/*  True when anything is gathered or owed: the caller's loop should come
    back within SINK_ACKS_DELAY_MS.                                        */
bool sink_acks_pending (const sink_acks_t *self);

/*  Stops acking for good (a write failed: the ledger now holds seqs the
    output does not): what is gathered or owed is dropped. Retries still
    go.                                                                    */
void sink_acks_halt (sink_acks_t *self);

#endif
