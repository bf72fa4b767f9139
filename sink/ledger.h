/*  sink_ledger: which sequence numbers of the run have an outcome -- the
    sink's dedup and reorder state.

    A ring of window slots over [base, base + window): base is the lowest
    seq without an outcome, every seq below it has one. The ventilator
    never has more than window items unacknowledged and only moves past
    what was acked, so no honest seq is at or past base + window: such a
    seq is OUT_OF_WINDOW, and is not recorded. With --ordered, ok results
    that must wait for a lower seq are held in the ring (at most window
    of them) until base reaches them, and are released in seq order:
    in memory up to a bound in bytes, past it in an unlinked spill file
    (one result at a time comes back from it), so memory stays bounded
    whatever the size of the results.

    Recording and moving base are separate steps: the caller records,
    writes, acks, then advances. No I/O here; one thread owns a ledger.   */

#ifndef SINK_LEDGER_H_INCLUDED
#define SINK_LEDGER_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _sink_ledger_t sink_ledger_t;

/*  What the ledger says of a seq.                                         */
typedef enum {
    SINK_LEDGER_NEW,          /* no outcome yet                          */
    SINK_LEDGER_DUPLICATE,    /* has one: below base, or recorded        */
    SINK_LEDGER_OUT_OF_WINDOW /* at or past base + window                */
} sink_ledger_verdict_t;

/*  sink_ledger_ranges has listed everything.                              */
#define SINK_LEDGER_ALL UINT64_MAX

/*  An empty ledger of window (> 0) slots, base 0; ordered: it holds ok
    results for release in order. NULL when out of memory.                 */
sink_ledger_t *sink_ledger_new (uint32_t window, bool ordered);

/*  Frees the ledger and the results it holds; NULL-safe, nulls the
    pointer.                                                               */
void sink_ledger_destroy (sink_ledger_t **self_p);

/*  What sink_ledger_record would say of seq, recording nothing.           */
sink_ledger_verdict_t sink_ledger_check (const sink_ledger_t *self,
                                         uint64_t seq);

/*  Records that seq has an outcome. Returns NEW when it was recorded now;
    DUPLICATE or OUT_OF_WINDOW change nothing. Base stays where it is until
    sink_ledger_advance.                                                   */
sink_ledger_verdict_t sink_ledger_record (sink_ledger_t *self, uint64_t seq);

/*  --ordered: keeps a copy of the ok result of seq, just recorded NEW and
    not yet passed by base, until base reaches it; once per seq. Returns
    0, or PP_ENOMEM (nothing kept), PP_EIO (the spill file could not be
    made or written: errno says why; nothing kept), or PP_EINVAL (not an
    ordered ledger, or seq not recorded in the window).                    */
int sink_ledger_hold (sink_ledger_t *self, uint64_t seq, const void *data,
                      size_t len);

/*  --ordered: results held in memory take at most max_bytes (0: no
    bound); the rest wait in an unlinked file made in dir (NULL: /tmp)
    at first need. Call before the first hold.                            */
void sink_ledger_set_max_held (sink_ledger_t *self, size_t max_bytes,
                               const char *dir);

/*  Moves base over the recorded seqs. Stops past the first one whose
    result is held and returns true with it in *data, *len (valid until
    the next call); returns false once base is at a seq without an
    outcome. Call until it returns false.                                  */
bool sink_ledger_advance (sink_ledger_t *self, const char **data, size_t *len);

/*  The errno of a held result that could not be read back from the
    spill file (base stops before it: sink_ledger_advance returns false),
    or 0.                                                                  */
int sink_ledger_spill_error (const sink_ledger_t *self);

/*  Bytes of results held in memory now, and results ever spilled.        */
size_t sink_ledger_held_bytes (const sink_ledger_t *self);
uint64_t sink_ledger_spilled (const sink_ledger_t *self);

/*  The lowest seq without an outcome.                                     */
uint64_t sink_ledger_base (const sink_ledger_t *self);

/*  The number of slots.                                                   */
uint32_t sink_ledger_window (const sink_ledger_t *self);

/*  One past the highest seq recorded, or base when none is above it.      */
uint64_t sink_ledger_end (const sink_ledger_t *self);

/*  Lists the seqs with an outcome from seq from on, as ranges in order:
    [from, base) first, then the recorded seqs above base. Fills at most
    max ranges into first[], n[] and returns how many; *next is where a
    further call goes on, or SINK_LEDGER_ALL when nothing is left.         */
uint32_t sink_ledger_ranges (const sink_ledger_t *self, uint64_t from,
                             uint64_t *first, uint64_t *n, uint32_t max,
                             uint64_t *next);

/*  Called with each run of n seqs from first that have no outcome.        */
typedef void (sink_ledger_hole_fn) (void *arg, uint64_t first, uint64_t n);

/*  Calls on_hole, in order, for every run of seqs without an outcome in
    [base, end): those of the ring not recorded, and all of those past
    it (nothing past the ring can have arrived).                           */
void sink_ledger_missing (const sink_ledger_t *self, uint64_t end,
                          sink_ledger_hole_fn *on_hole, void *arg);

#endif
