/*  pp_job_internal: the job context, shared by pp_job and pp_worker only.  */

#ifndef PP_JOB_INTERNAL_H_INCLUDED
#define PP_JOB_INTERNAL_H_INCLUDED

#include "pp_chan.h"
#include "pp_job.h"
#include "pp_wire.h"

#include <stdbool.h>

struct _pp_job_ctx_t {
    uint64_t run_id;
    uint64_t seq;
    uint64_t record; /* 1-based input record number (0: none)         */
    uint32_t worker_id;
    int status;        /* the item's exit status (pp_job_set_status)   */
    pp_chan_t *cancel; /* aborted when the run is: wakes pp_job_sleep   */
    /*  In a batch handler, its items' records and statuses, in order (a
        batch handler that runs items one by one sets each); else NULL.  */
    const pp_record_t *batch;
    int *batch_status;
};

/*  True for the built-in echo job: its result is its item, so a job
    thread sends the item's bytes as they lie in the received message
    instead of calling it (no NUL-terminated copy, no result copy).       */
bool pp_job_is_echo (pp_handler_fn *handler);

#endif
