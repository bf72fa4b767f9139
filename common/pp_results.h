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

/*  Bytes of a failed item's input sent with its reason, at most.        */
#define PP_RESULTS_INPUT_SHOWN 120

/*  A new, empty batch of results; NULL on OOM. Free with pp_results_free. */
pp_batch_t *pp_results_new (void);

/*  Frees a batch of results (a pp_chan_free_fn). NULL-safe.              */
void pp_results_free (void *results);

/*  Adds task's outcome (PP_OUTCOME_*) to results: out holds the result
    (ok) or the reason. A failed or dropped item also carries a NUL and
    the start of its input (appended to out when it fits under out->max),
    so the sink shows which record it was, not only why. Returns 0 or
    PP_ENOMEM.                                                              */
int pp_results_add (pp_batch_t *results, const pp_record_t *task, pp_buf_t *out,
                    uint8_t outcome);

/*  --overflow drop: the records of slice as dropped outcomes, naming
    worker_id, each at most max_item bytes. NULL on OOM.                   */
pp_batch_t *pp_results_dropped (const pp_slice_t *slice, uint32_t worker_id,
                                size_t max_item);

#endif
