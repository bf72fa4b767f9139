/*  pp_jobthread: a job thread of the worker's pipeline.

    It takes one slice at a time from the task channel, runs the handler
    on each record (or the batch handler on cheap ones, n at a time) and
    gathers the outcomes into RESULT batches for the result channel. It
    owns no socket and shares nothing with other threads but the two
    channels and one measured figure (job_ns), a hint the receiver reads
    to cut slices: a relaxed atomic, no lock.                              */

#ifndef PP_JOBTHREAD_H_INCLUDED
#define PP_JOBTHREAD_H_INCLUDED

#include "pp_chan.h"
#include "pp_job.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*  What the job threads of a pipeline share; set up before they start,
    read only after, but for job_ns.                                       */
typedef struct {
    pp_chan_t *tasks;       /* slices in; aborted: stop, cancel jobs      */
    pp_chan_t *results;     /* RESULT batches out, to the sender          */
    pp_handler_fn *handler; /* runs one item                              */
    pp_batch_fn *batch;     /* runs cheap items n at a time, or NULL      */
    void *user;             /* for handler and batch                      */
    uint64_t run_id;        /* for the job context                        */
    uint32_t worker_id;     /* for the job context                        */
    size_t max_item;        /* largest result or reason, bytes            */
    bool echo;              /* handler is the built-in echo (pp_job_is_echo) */
    atomic_llong job_ns;    /* cost per item measured (0: not yet)        */
} pp_jobthread_t;

/*  The thread (pthread_create with a pp_jobthread_t). Runs until the task
    channel is closed and drained (then hands on what it holds) or aborted
    (then gives it up). Returns how many results it gave up, as a
    uintptr_t in the void *.                                               */
void *pp_jobthread_main (void *shared);

#endif
