/*  sink_store: the results as they are made safe -- the output, and for
    a regular --output FILE its journal FILE.journal (journal.h), which
    together make the sink restartable with --resume.

    A checkpoint flushes the output, checking that no write was lost, and
    then appends to the journal the output's length, the counts and the
    ranges about to be acked: only after it may they be acked. A completed
    run removes the journal; any other end keeps it, to be resumed.

    stdout, a file that is not regular (/dev/null, a FIFO) and --ordered
    (results held in memory) have no journal: such a run cannot be resumed.
    Every failure is logged here, once, with its reason.                  */

#ifndef SINK_STORE_H_INCLUDED
#define SINK_STORE_H_INCLUDED

#include "journal.h"
#include "ledger.h"
#include "options.h"
#include "output.h"
#include "pp_stats.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct _sink_store_t sink_store_t;

/*  Opens the output opt names, afresh, and its journal if it has one.
    --resume: rebuilds the run from the journal instead (counts get its
    last checkpoint's, run_id among them, and *ledger_p its ledger, which
    the caller owns), cuts the output back to what the journal vouches
    for and compacts the journal. Refuses with exit 2, touching nothing, to
   resume without a journal, or to start afresh over the journal of an
   unfinished run. Returns NULL after logging why (*ledger_p is then NULL). */
sink_store_t *sink_store_new (const sink_options_t *opt, pp_counts_t *counts,
                              sink_ledger_t **ledger_p);

/*  Closes the output and the journal, removing the journal when the run
    completed. NULL-safe, nulls the pointer.                               */
void sink_store_destroy (sink_store_t **self_p, bool completed);

/*  The output, to write results to (the store keeps it).                  */
sink_output_t *sink_store_output (sink_store_t *self);

/*  --resume: how long the last checkpoint found --joblog (which 0) and
    --failed (which 1) to be; SINK_OFFSET_NONE when it did not say (no
    such file then, a journal of the first format, or not resumed).       */
uint64_t sink_store_side_keep (const sink_store_t *self, int which);

/*  After a checkpoint of cp: when the journal has grown big (256 KiB, and
    four times what its last compaction left), starts it afresh with one
    checkpoint of cp and every seq ledger holds (all written: a journaled
    run is unordered). Returns 0 (compacted, or not due), or PP_EIO when
    it could not be: the old journal goes on, whole (logged).             */
int sink_store_compact (sink_store_t *self, const sink_checkpoint_t *cp,
                        const sink_ledger_t *ledger);

/*  True when the output has a journal.                                    */
bool sink_store_journaled (const sink_store_t *self);

/*  Makes what was written safe before the count ranges first/n are acked:
    flushes the output, then journals a checkpoint of cp (run_id, window
    and counts; the store fills in the output's length and the sum) and
    the ranges. Returns 0, or PP_EIO after logging what failed: nothing
    it covers may be acked, and the journal takes no more.                 */
int sink_store_checkpoint (sink_store_t *self, const sink_checkpoint_t *cp,
                           const uint64_t *first, const uint64_t *n,
                           uint32_t count);

/*  Flushes the output, checking that no write was lost. Returns 0, or
    PP_EIO after logging why.                                              */
int sink_store_flush (sink_store_t *self);

/*  After a failure: logs how the run can go on -- resumed from what the
    journal vouches for, or started again. Returns false when it cannot
    be resumed at all (no journal): the ventilator should abort it.        */
bool sink_store_explain_stop (const sink_store_t *self);

#endif
