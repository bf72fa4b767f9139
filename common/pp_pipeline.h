/*  pp_pipeline: the worker's pipeline for one run.

        receiver -> task channel -> job threads -> result channel -> sender

    The receiver (the caller's thread, which owns the tasks socket) feeds
    slices in; pp_jobthread runs them; pp_sender, the only thread that
    touches the results socket, sends the outcomes to the sink. Threads
    talk through the two channels alone (and read two relaxed hints).

    Two ways to end it. Leaving: pp_pipeline_close, then pp_pipeline_done
    until true -- the job threads finish what is queued, the sender sends
    it all. Stopping: pp_pipeline_stop wakes every thread before joining
    it -- the task channel is aborted (job threads end, running jobs are
    cancelled), the result channel closed (job threads waiting for room
    wake up) and the sender, seeing the abort, gives up what it could not
    send. Each thread says how many results it gave up; stop returns the
    sum: results withheld from the sink.                                   */

#ifndef PP_PIPELINE_H_INCLUDED
#define PP_PIPELINE_H_INCLUDED

#include "pp_job.h"
#include "pp_net.h"
#include "pp_slice.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct _pp_pipeline_t pp_pipeline_t;

/*  What a pipeline is made of.                                            */
typedef struct {
    const pp_common_t *net;    /* socket settings; net->results: the sink */
    uint64_t buffer_bytes;     /* about the most the result channel holds */
    pp_handler_fn *handler;    /* runs one item on a job thread           */
    pp_batch_fn *batch;        /* runs cheap items n at a time, or NULL   */
    void *user;                /* for handler and batch                   */
    int threads;               /* job threads (>= 1)                      */
    int capacity;              /* of the task channel (pp_wsize_channel)  */
    pp_overflow_t overflow;    /* when the task channel is full           */
    const char *spill_dir;     /* PP_OVERFLOW_SPILL: where (NULL: /tmp)   */
    uint64_t run_id;           /* the run                                 */
    uint32_t worker_id;        /* this worker                             */
    const pp_hello_t *hello;   /* said to the sink first                  */
    const char *done_endpoint; /* credit flow: the sender PUSHes the count
                                  of each batch sent here; else NULL      */
} pp_pipeline_args_t;

/*  Starts the pipeline of a run: channels, sender, job threads. Returns 0
    with *self_p, or PP_ENOMEM, or PP_EIO when no spill file can be made in
    spill_dir (logged); then what was started is stopped again.            */
int pp_pipeline_start (const pp_pipeline_args_t *args, pp_pipeline_t **self_p);

/*  Puts slice on the task channel, waiting up to timeout_ms for room.
    Returns 0 (the pipeline owns it), or, the caller keeping it: PP_EAGAIN
    or PP_ETIMEDOUT (full; PP_OVERFLOW_DROP never waits), PP_EIO (spilling
    failed: disk full?), PP_ECLOSED or PP_EABORTED.                         */
int pp_pipeline_feed (pp_pipeline_t *self, pp_slice_t *slice, int timeout_ms);

/*  Puts outcomes the receiver made (dropped items) on the result channel,
    waiting up to timeout_ms for room. Returns as pp_pipeline_feed.        */
int pp_pipeline_report (pp_pipeline_t *self, pp_batch_t *results,
                        int timeout_ms);

/*  Takes back up to max (at most 64) slices no job thread started, never
    waiting. Returns how many (the caller owns them), or 0.                */
int pp_pipeline_take_back (pp_pipeline_t *self, pp_slice_t **slices, int max);

/*  Leaving: no more slices; job threads finish what is queued, then end. */
void pp_pipeline_close (pp_pipeline_t *self);

/*  Leaving: true once every job thread has ended and the sender sent what
    they handed on. Never waits.                                            */
bool pp_pipeline_done (pp_pipeline_t *self);

/*  What a job costs per item, as the job threads last measured it
    (nanoseconds; 0: not yet). 0 for NULL.                                 */
int64_t pp_pipeline_job_ns (pp_pipeline_t *self);

/*  Since when (pp_now_ms) the sender waits for the sink to take a batch;
    0 when it does not. 0 for NULL.                                        */
int64_t pp_pipeline_stuck_ms (pp_pipeline_t *self);

/*  --overflow spill: logs the slices that could not be read back from
    --spill-dir since the last call, with the reason; true when any ever
    were (the items went unrun here). false for NULL.                      */
bool pp_pipeline_spill_check (pp_pipeline_t *self);

/*  Stops the pipeline now, discarding what it holds, and frees it; returns
    within a job's cancel time. Returns how many results were given up
    (since start). NULL-safe; nulls *self_p.                               */
uint64_t pp_pipeline_stop (pp_pipeline_t **self_p);

#endif
