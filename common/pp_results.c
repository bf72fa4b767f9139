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

/*  The record of task's outcome: out holds the result or the reason.     */
static pp_record_t
s_outcome (const pp_record_t *task, const pp_buf_t *out, uint8_t outcome,
           const pp_ran_t *ran)
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
    return rec;
}

int
pp_results_add (pp_batch_t *results, const pp_record_t *task, pp_buf_t *out,
                uint8_t outcome, const pp_ran_t *ran)
{
    pp_record_t rec = s_outcome (task, out, outcome, ran);
    return pp_batch_add (results, &rec);
}

/*  The echo outcome of task, and whether it takes task's place exactly:
    the same bytes at the same place, its header where task's is.         */
static bool
s_echo_fits (const pp_record_t *task, size_t task_size, const pp_ran_t *ran,
             pp_record_t *rec)
{
    if (task->outcome != PP_OUTCOME_OK)
        return false; /* decided by the ventilator: it passes as it is  */
    pp_buf_t same = {
        .data = (char *) task->data, .len = task->len, .max = task->len};
    *rec = s_outcome (task, &same, PP_OUTCOME_OK, ran);
    return rec->data == task->data && pp_wire_record_size (rec) == task_size;
}

/*  Rewrites (write) or only checks the records of slice as their echo
    outcomes. Returns true when every one fits.                          */
static bool
s_echo_all (const pp_slice_t *slice, const pp_ran_t *ran, bool write)
{
    uint8_t *bytes = (uint8_t *) slice->data; /* the message is ours    */
    size_t offset = 0, at = 0;
    pp_record_t task, rec;
    while (pp_wire_next_record (bytes, slice->size, &offset, &task)) {
        if (!s_echo_fits (&task, offset - at, ran, &rec))
            return false;
        if (write)
            pp_wire_encode_record_head (&rec, bytes + at);
        at = offset;
    }
    return true;
}

pp_batch_t *
pp_results_echo_in_place (const pp_slice_t *slice, const pp_ran_t *ran)
{
    if (!s_echo_all (slice, ran, false))
        return NULL;
    pp_batch_t *results = pp_results_new ();
    if (!results)
        return NULL;
    s_echo_all (slice, ran, true);
    *results = (pp_batch_t){.data = (uint8_t *) slice->data,
                            .size = slice->size,
                            .count = slice->count,
                            .release = pp_slice_msg_unhold,
                            .hint = pp_slice_msg_hold (slice->msg)};
    return results;
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
