/*  pp_job_internal: the job context, shared by pp_job and pp_worker only.  */

#ifndef PP_JOB_INTERNAL_H_INCLUDED
#define PP_JOB_INTERNAL_H_INCLUDED

#include "pp_chan.h"
#include "pp_job.h"

struct _pp_job_ctx_t {
    uint64_t run_id;
    uint64_t seq;
    uint32_t worker_id;
    int status;        /* the item's exit status (pp_job_set_status)   */
    pp_chan_t *cancel; /* aborted when the run is: wakes pp_job_sleep   */
};

#endif
