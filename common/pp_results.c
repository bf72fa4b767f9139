/*  pp_results: outcomes into RESULT batches.                              */

#include "pp_results.h"
#include "pp_error.h"

#include <stdio.h>
#include <stdlib.h>

pp_batch_t *
pp_results_new (void)
{
    return calloc (1, sizeof (pp_batch_t));
}

void
pp_results_free (void *arg)
{
    pp_batch_t *results = arg;
    if (results) {
        pp_batch_free (results);
        free (results);
    }
}

int
pp_results_add (pp_batch_t *results, const pp_record_t *task, pp_buf_t *out,
                uint8_t outcome, const pp_ran_t *ran)
{
    bool decided = task->outcome != PP_OUTCOME_OK;
    pp_record_t rec = *task;
    rec.data = out->data ? out->data : "";
    rec.len = (uint32_t) out->len;
    rec.input = decided ? task->input : task->data; /* decided: as sent  */
    rec.input_len = decided ? task->input_len : task->len;
    rec.outcome = outcome;
    if (ran) {
        rec.start_us = ran->start_us;
        rec.runtime_us = ran->runtime_us;
        rec.status = ran->status;
    }
    return pp_batch_add (results, &rec);
}

pp_batch_t *
pp_results_dropped (const pp_slice_t *slice, uint32_t worker_id,
                    size_t max_item)
{
    pp_batch_t *results = pp_results_new ();
    char reason[96];
    int len = snprintf (reason, sizeof (reason),
                        "dropped: worker %08x channel full", worker_id);
    pp_buf_t out = {.max = max_item};
    size_t offset = 0;
    pp_record_t rec;
    int rc = results ? 0 : PP_ENOMEM;
    while (rc == 0 &&
           pp_wire_next_record (slice->data, slice->size, &offset, &rec)) {
        out.len = 0;
        rc = pp_buf_append (&out, reason, (size_t) len);
        if (rc == 0)
            rc = pp_results_add (results, &rec, &out, PP_OUTCOME_DROPPED, NULL);
    }
    pp_buf_free (&out);
    if (rc != 0) {
        pp_results_free (results);
        return NULL;
    }
    return results;
}
