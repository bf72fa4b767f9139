/*  pp_results: the outcomes of a worker's items, gathered into RESULT
    batches (pp_batch_t) ready to send: what the job threads hand the
    sender, and what the receiver reports for items it dropped.           */

#ifndef PP_RESULTS_H_INCLUDED
#define PP_RESULTS_H_INCLUDED

#include "pp_job.h"
#include "pp_net.h"
#include "pp_slice.h"

/*  Most records in a RESULT batch (pp_batch_full says when it is full).  */
#define PP_RESULTS_MAX 256

/*  How a job ran, for the sink's job log.                                */
typedef struct {
    uint64_t start_us;   /* wall clock when it started (0: did not run)   */
    uint64_t runtime_us; /* how long it ran                               */
    int16_t status;      /* exit status, -signal, or 0                    */
} pp_ran_t;

/*  A new, empty batch of results; NULL on OOM. Free with pp_results_free. */
pp_batch_t *pp_results_new (void);

/*  Frees a batch of results (a pp_chan_free_fn). NULL-safe.              */
void pp_results_free (void *results);

/*  Adds task's outcome (PP_OUTCOME_*) to results: out holds the result
    (ok) or the reason, ran how the job ran (NULL: it did not). Every
    outcome carries the task's input, so the sink can tie the result to
    it; a task the ventilator decided already (its outcome set: bytes =
    the reason) carries the input it came with (a given-up item's, or
    none). Returns 0 or PP_ENOMEM.                                         */
int pp_results_add (pp_batch_t *results, const pp_record_t *task, pp_buf_t *out,
                    uint8_t outcome, const pp_ran_t *ran);

/*  The built-in echo without a copy: every record of slice becomes its ok
    outcome (its result its item, ran as ran says) where it lies -- the
    records are rewritten in place, each the same size -- and the batch
    returned borrows their bytes (a reference to the slice's message, let
    go once the batch is sent or freed). The slice's records are outcomes
    now: run them no more. NULL, the slice untouched, when a record is no
    item to run (the ventilator decided it) or its outcome would not take
    its place; NULL on OOM.                                                */
pp_batch_t *pp_results_echo_in_place (const pp_slice_t *slice,
                                      const pp_ran_t *ran);

/*  --overflow drop: the records of slice as dropped outcomes, naming
    worker_id, each at most max_item bytes. NULL on OOM.                   */
pp_batch_t *pp_results_dropped (const pp_slice_t *slice, uint32_t worker_id,
                                size_t max_item);

#endif
