/*  pp_jobthread: slices in, RESULT batches out.                           */

#include "pp_jobthread.h"
#include "pp_error.h"
#include "pp_job_internal.h"
#include "pp_net.h"
#include "pp_results.h"
#include "pp_slice.h"

#include <stdlib.h>

#define S_JOB_BATCH 32    /* items per call of a batch handler          */
#define S_CHEAP_NS 20000  /* jobs under this gather their results       */
#define S_HOLD_NS 2000000 /* results wait at most this for more         */
/*  Echoed records this large (on average) go back where they lie, a
    RESULT of their own: a RESULT batch would hold two of them at most
    (PP_BATCH_BYTES), so no message is added, and copying them costs more.
    Smaller ones are gathered: at 64 KiB, a message each cost the sink
    more than the copies saved the worker.                                */
#define S_IN_PLACE_BYTES (PP_BATCH_BYTES / 2)

/*  A job thread's own buffers.                                            */
typedef struct {
    pp_buf_t copy;                    /* the item, NUL-terminated          */
    pp_buf_t out;                     /* its result or reason              */
    pp_buf_t outs[S_JOB_BATCH];       /* the same, for a batch             */
    pp_record_t tasks[S_JOB_BATCH];   /* the records of a batch            */
    pp_job_item_t items[S_JOB_BATCH]; /* ... as the batch handler sees them */
    int rcs[S_JOB_BATCH];             /* their outcomes                    */
    int statuses[S_JOB_BATCH];        /* their exit statuses               */
} s_scratch_t;

/*  Hands results to the sender (waits for room). Returns 0, or the
    channel's error when the run was stopped under us: *results is kept,
    for the job thread to count as given up.                              */
static int
s_flush (pp_jobthread_t *self, pp_batch_t **results)
{
    if (!*results || (*results)->count == 0)
        return 0;
    int rc = pp_chan_send (self->results, *results, -1);
    if (rc == 0)
        *results = NULL;
    return rc;
}

/*  Adds task's outcome to *results, flushing a full batch first. Returns
    0 or an error (the outcome is lost: redelivered).                      */
static int
s_emit (pp_jobthread_t *self, pp_batch_t **results, const pp_record_t *task,
        pp_buf_t *out, uint8_t outcome, const pp_ran_t *ran)
{
    if (*results && pp_batch_full (*results, PP_RESULTS_MAX)) {
        int rc = s_flush (self, results);
        if (rc != 0)
            return rc;
    }
    if (!*results && !(*results = pp_results_new ()))
        return PP_ENOMEM;
    return pp_results_add (*results, task, out, outcome, ran);
}

/*  Runs the handler on one record; the handler gets its own NUL-terminated
    copy (the record lies inside the message).                             */
static int
s_run_one (pp_jobthread_t *self, pp_job_ctx_t *ctx, const pp_record_t *task,
           s_scratch_t *scratch, pp_batch_t **results)
{
    if (self->echo) {
        /*  The result is the item, where it lies: one pointer for both
            (the encoder then writes the bytes once, without comparing).  */
        pp_buf_t same = {
            .data = (char *) task->data, .len = task->len, .max = task->len};
        pp_ran_t ran = {.start_us = pp_wall_us ()};
        return s_emit (self, results, task, &same, PP_OUTCOME_OK, &ran);
    }
    pp_buf_t *copy = &scratch->copy, *out = &scratch->out;
    ctx->seq = task->seq;
    ctx->record = task->record;
    out->len = 0;
    copy->len = 0;
    int rc = pp_buf_append (copy, task->data, task->len);
    if (rc == 0)
        rc = pp_buf_append (copy, "", 1);
    if (rc != 0)
        return rc;
    ctx->status = 0;
    pp_ran_t ran = {.start_us = pp_wall_us ()};
    rc = self->handler (ctx, copy->data, task->len, out, self->user);
    uint64_t end_us = pp_wall_us ();
    ran.runtime_us = end_us > ran.start_us ? end_us - ran.start_us : 0;
    ran.status = (int16_t) ctx->status;
    return s_emit (self, results, task, out,
                   rc == 0 ? PP_OUTCOME_OK : PP_OUTCOME_FAILED, &ran);
}

/*  Runs the batch handler on the n records gathered in scratch.          */
static int
s_run_batch (pp_jobthread_t *self, pp_job_ctx_t *ctx, s_scratch_t *scratch,
             int n, pp_batch_t **results)
{
    ctx->seq = scratch->tasks[0].seq;
    ctx->record = scratch->tasks[0].record;
    ctx->batch = scratch->tasks;
    ctx->batch_status = scratch->statuses;
    ctx->status = 0;
    for (int i = 0; i < n; i++) {
        scratch->outs[i].len = 0;
        scratch->statuses[i] = 0;
    }
    /*  The items ran together: each is given an equal share of the time.  */
    pp_ran_t ran = {.start_us = pp_wall_us ()};
    self->batch (ctx, scratch->items, n, scratch->outs, scratch->rcs,
                 self->user);
    uint64_t end_us = pp_wall_us ();
    uint64_t share = end_us > ran.start_us ? (end_us - ran.start_us) / n : 0;
    ctx->batch = NULL;
    ctx->batch_status = NULL;
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        ran.runtime_us = share;
        ran.status = (int16_t) scratch->statuses[i];
        rc = s_emit (self, results, &scratch->tasks[i], &scratch->outs[i],
                     scratch->rcs[i] == 0 ? PP_OUTCOME_OK : PP_OUTCOME_FAILED,
                     &ran);
        ran.start_us += share;
    }
    return rc;
}

/*  Runs every record of slice, adding the outcomes to *results. A record
    the ventilator failed already passes through as it is.                 */
static int
s_run_slice (pp_jobthread_t *self, pp_job_ctx_t *ctx, const pp_slice_t *slice,
             s_scratch_t *scratch, pp_batch_t **results)
{
    int n = 0, rc = 0;
    size_t offset = 0;
    pp_record_t rec;
    while (rc == 0 &&
           pp_wire_next_record (slice->data, slice->size, &offset, &rec)) {
        if (rec.outcome != PP_OUTCOME_OK) {
            pp_buf_t as_is = {
                .data = (char *) rec.data, .len = rec.len, .max = rec.len};
            rc = s_emit (self, results, &rec, &as_is, rec.outcome, NULL);
        } else if (self->batch && slice->count > 1) {
            scratch->tasks[n] = rec; /* run S_JOB_BATCH at once         */
            scratch->items[n++] = (pp_job_item_t){
                .seq = rec.seq, .data = rec.data, .len = rec.len};
            if (n == S_JOB_BATCH) {
                rc = s_run_batch (self, ctx, scratch, n, results);
                n = 0;
            }
        } else
            rc = s_run_one (self, ctx, &rec, scratch, results);
    }
    if (n > 0 && rc == 0)
        rc = s_run_batch (self, ctx, scratch, n, results);
    return rc;
}

static s_scratch_t *
s_scratch_new (size_t max)
{
    s_scratch_t *scratch = calloc (1, sizeof (s_scratch_t));
    if (scratch) {
        scratch->copy.max = max + 1;
        scratch->out.max = max;
        for (int i = 0; i < S_JOB_BATCH; i++)
            scratch->outs[i].max = max;
    }
    return scratch;
}

static void
s_scratch_destroy (s_scratch_t **scratch_p)
{
    s_scratch_t *scratch = *scratch_p;
    if (scratch) {
        pp_buf_free (&scratch->copy);
        pp_buf_free (&scratch->out);
        for (int i = 0; i < S_JOB_BATCH; i++)
            pp_buf_free (&scratch->outs[i]);
        free (scratch);
        *scratch_p = NULL;
    }
}

/*  What a job thread holds between slices.                               */
typedef struct {
    pp_batch_t *results; /* outcomes not handed on yet, or NULL          */
    int64_t avg_ns;      /* cost per item, smoothed (0: not measured)    */
    int64_t held_since;  /* when the oldest outcome held was made        */
} s_held_t;

/*  The built-in echo of big records: the slice's records become their
    outcomes in place and go on at once as a RESULT batch that borrows the
    TASK message (pp_results_echo_in_place), after the results held.
    Returns 1 when it went, 0 when the slice is to be run as any other, or
    the error of handing results on (what could not go stays in held).    */
static int
s_echo_in_place (pp_jobthread_t *self, const pp_slice_t *slice, s_held_t *held)
{
    if (!self->echo || slice->size < (size_t) S_IN_PLACE_BYTES * slice->count)
        return 0;
    int rc = s_flush (self, &held->results);
    if (rc != 0)
        return rc;
    pp_ran_t ran = {.start_us = pp_wall_us ()};
    pp_batch_t *passed = pp_results_echo_in_place (slice, &ran);
    if (!passed)
        return 0;
    pp_results_free (held->results); /* empty, or none                */
    held->results = passed;
    rc = s_flush (self, &held->results);
    return rc == 0 ? 1 : rc;
}

/*  Runs slice (and frees it), measures it, and hands the outcomes on when
    the batch is full, when the jobs are slow (each result goes at once)
    or when they are S_HOLD_NS old. Returns 0 or the error that ends the
    thread. A failure to run (out of memory) loses the slice's outcomes:
    the ventilator sends them again after --ack-timeout.                   */
static int
s_take (pp_jobthread_t *self, pp_job_ctx_t *ctx, pp_slice_t *slice,
        s_scratch_t *scratch, s_held_t *held)
{
    int64_t start = pp_now_ns ();
    if (!held->results || held->results->count == 0)
        held->held_since = start;
    int run = s_echo_in_place (self, slice, held);
    if (run == 0)
        run = s_run_slice (self, ctx, slice, scratch, &held->results);
    else if (run == 1)
        run = 0;
    int64_t now = pp_now_ns ();
    int64_t each = (now - start) / slice->count;
    held->avg_ns = held->avg_ns ? (held->avg_ns * 7 + each) / 8
                   : each > 0   ? each
                                : 1;
    atomic_store_explicit (&self->job_ns, held->avg_ns, memory_order_relaxed);
    pp_slice_free (slice);
    if (run == PP_EABORTED || run == PP_ECLOSED)
        return run;
    if (held->avg_ns >= S_CHEAP_NS || now - held->held_since >= S_HOLD_NS ||
        (held->results && pp_batch_full (held->results, PP_RESULTS_MAX)))
        return s_flush (self, &held->results);
    return 0;
}

/*  Outcomes are never held while the thread waits for a slice: with none
    waiting, they are handed on first.                                     */
void *
pp_jobthread_main (void *shared)
{
    pp_jobthread_t *self = shared;
    pp_job_ctx_t ctx = {.run_id = self->run_id,
                        .worker_id = self->worker_id,
                        .cancel = self->tasks};
    s_scratch_t *scratch = s_scratch_new (self->max_item);
    if (!scratch) {
        pp_chan_abort (self->tasks);
        return NULL;
    }
    s_held_t held = {0};
    int rc = 0;
    while (rc == 0) {
        void *got = NULL;
        bool holding = held.results && held.results->count > 0;
        rc = pp_chan_recv (self->tasks, &got, holding ? 0 : -1);
        if (rc == PP_EAGAIN)
            rc = s_flush (self, &held.results);
        else if (rc == 0)
            rc = s_take (self, &ctx, got, scratch, &held);
    }
    if (rc == PP_ECLOSED)
        s_flush (self, &held.results); /* leaving: what we did still goes */
    uintptr_t lost = held.results ? held.results->count : 0;
    pp_results_free (held.results);
    s_scratch_destroy (&scratch);
    return (void *) lost;
}
