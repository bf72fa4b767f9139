/*  exec_item: per item mode -- CMD runs once per item. Placeholders in
    its arguments are filled in (exec_argv), else the item and a newline
    go to its stdin; its stdout, less one trailing newline, is the result. The
    child's exit ends the item (what it wrote by then is the result, even
    if a process it left in its group holds its stdout open), then the
    whole group is killed and the child reaped.                            */

#ifndef WORKER_EXEC_ITEM_H_INCLUDED
#define WORKER_EXEC_ITEM_H_INCLUDED

#include "exec_argv.h"
#include "exec_run.h"
#include "pp_job.h"

/*  Runs cmd for the item of ctx (len bytes). Returns 0 with the result in
    out, or -1 with a one-line reason. A child that cannot start for want
    of fds, processes or memory is waited for (exec_run_backoff) until it
    starts or the run is aborted; --timeout counts from its start.        */
int exec_item_run (exec_conf_t *conf, const exec_argv_t *cmd, pp_job_ctx_t *ctx,
                   const char *item, size_t len, pp_buf_t *out);

#endif
