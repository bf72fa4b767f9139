/*  sink_acks: ack and retry ranges, their flush policy, and the resync
    of acks the socket did not take (acks.h).                             */

#include "acks.h"
#include "pp_wire.h"

#include <stdlib.h>

#define S_NO_RESYNC UINT64_MAX

/*  A list of ranges of seqs, in the order gathered.                       */
typedef struct {
    uint64_t first[SINK_ACKS_RANGES];
    uint64_t n[SINK_ACKS_RANGES];
    uint32_t count;
} s_ranges_t;

struct _sink_acks_t {
    const sink_ledger_t *ledger; /* what resync acks again              */
    sink_acks_io_t io;           /* the caller's checkpoint and socket   */
    s_ranges_t acks;             /* recorded seqs to ack                 */
    s_ranges_t retries;          /* failed seqs to be sent again         */
    uint32_t retries_on;         /* the worker they failed on            */
    uint64_t items;              /* seqs in acks                         */
    uint64_t quarter;            /* a quarter of the window, in seqs     */
    int64_t since_ms;            /* when the oldest of acks was gathered */
    uint64_t resync_from;        /* acks from here on did not all go:
                                    sent again from the ledger           */
    bool halted;                 /* nothing is acked any more            */
};

sink_acks_t *
sink_acks_new (const sink_ledger_t *ledger, const sink_acks_io_t *io)
{
    sink_acks_t *self = calloc (1, sizeof (sink_acks_t));
    if (!self)
        return NULL;
    self->ledger = ledger;
    self->io = *io;
    self->quarter = sink_ledger_window (ledger) / 4;
    self->resync_from = S_NO_RESYNC;
    return self;
}

void
sink_acks_destroy (sink_acks_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free (*self_p);
    *self_p = NULL;
}

/*  Appends seq, growing the last range when seq follows it. Returns
    false, appending nothing, when the list is full.                       */
static bool
s_add (s_ranges_t *ranges, uint64_t seq)
{
    uint32_t count = ranges->count;
    if (count > 0 && ranges->first[count - 1] + ranges->n[count - 1] == seq) {
        ranges->n[count - 1]++;
        return true;
    }
    if (count == SINK_ACKS_RANGES)
        return false;
    ranges->first[count] = seq;
    ranges->n[count] = 1;
    ranges->count++;
    return true;
}

/*  Asks for the retries gathered; they stay while the socket is full.    */
static void
s_flush_retries (sink_acks_t *self)
{
    s_ranges_t *retries = &self->retries;
    if (retries->count > 0 &&
        self->io.send (self->io.arg, PP_ACK_RETRY, self->retries_on,
                       retries->first, retries->n, retries->count) == 0)
        retries->count = 0;
}

/*  Acks again, from resync_from on, every seq the ledger vouches for:
    a superset of every ack that could not be sent, so none is lost
    however long the socket stays full. Moves resync_from past what went. */
static void
s_resync (sink_acks_t *self)
{
    while (self->resync_from != S_NO_RESYNC &&
           self->io.writable (self->io.arg)) {
        uint64_t first[SINK_ACKS_RANGES], n[SINK_ACKS_RANGES], next;
        uint32_t count = sink_ledger_ranges (self->ledger, self->resync_from,
                                             first, n, SINK_ACKS_RANGES, &next);
        if (count > 0 &&
            self->io.send (self->io.arg, 0, 0, first, n, count) != 0)
            return;
        self->resync_from = next == SINK_LEDGER_ALL ? S_NO_RESYNC : next;
    }
}

/*  Sends the acks gathered, once the checkpoint made them safe; those the
    socket does not take are resynced, from the lowest of them on.        */
static void
s_flush_acks (sink_acks_t *self)
{
    s_ranges_t *acks = &self->acks;
    if (self->halted || self->io.checkpoint (self->io.arg, acks->first, acks->n,
                                             acks->count) != 0)
        self->halted = true; /* not safe: never acked                  */
    else if (self->resync_from != S_NO_RESYNC ||
             self->io.send (self->io.arg, 0, 0, acks->first, acks->n,
                            acks->count) != 0) {
        uint64_t low = acks->first[0];
        for (uint32_t i = 1; i < acks->count; i++)
            low = acks->first[i] < low ? acks->first[i] : low;
        if (low < self->resync_from)
            self->resync_from = low;
    }
    acks->count = 0;
    self->items = 0;
}

void
sink_acks_flush (sink_acks_t *self)
{
    s_flush_retries (self);
    if (self->acks.count > 0)
        s_flush_acks (self);
    if (self->halted)
        self->resync_from = S_NO_RESYNC;
    s_resync (self);
}

void
sink_acks_add (sink_acks_t *self, uint64_t seq, int64_t now_ms)
{
    if (self->acks.count == 0)
        self->since_ms = now_ms;
    /*  Never full here: a list is flushed once it fills, seq with it. A
        flush that left seq out would checkpoint an output holding seq's
        result without seq, and a --resume would write it twice.           */
    s_add (&self->acks, seq);
    self->items++;
    if (self->acks.count == SINK_ACKS_RANGES || self->items >= self->quarter)
        sink_acks_flush (self);
}

void
sink_acks_retry (sink_acks_t *self, uint64_t seq, uint32_t worker_id)
{
    if (self->retries.count > 0 && self->retries_on != worker_id)
        s_flush_retries (self);
    if (self->retries.count == 0)
        self->retries_on = worker_id;
    else if (self->retries_on != worker_id)
        return; /* the socket is full: --ack-timeout sends it again     */
    if (!s_add (&self->retries, seq)) {
        s_flush_retries (self);
        if (self->retries.count == 0)
            self->retries_on = worker_id;
        s_add (&self->retries, seq);
    }
}

bool
sink_acks_due (const sink_acks_t *self, int64_t now_ms)
{
    return (self->acks.count > 0 &&
            now_ms - self->since_ms >= SINK_ACKS_DELAY_MS) ||
           self->retries.count > 0 || self->resync_from != S_NO_RESYNC;
}

bool
sink_acks_pending (const sink_acks_t *self)
{
    return self->acks.count + self->retries.count > 0 ||
           self->resync_from != S_NO_RESYNC;
}

void
sink_acks_halt (sink_acks_t *self)
{
    self->halted = true;
    self->acks.count = 0;
    self->items = 0;
    self->resync_from = S_NO_RESYNC;
}
