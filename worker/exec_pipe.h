/*  exec_pipe: --pipe mode -- CMD starts once per job thread, on its first
    item, and is fed one line per item and answers one line per item
    (Hadoop-streaming style). A child that dies fails the item in flight
    and is started again for the next one; one that left after its last
    answer, before reading the next item, is started again for that item.
    Every child sits in a fixed slot table, one slot per job thread, so
    exec_pipe_shutdown can end them all from any thread.                  */

#ifndef WORKER_EXEC_PIPE_H_INCLUDED
#define WORKER_EXEC_PIPE_H_INCLUDED

#include "exec_argv.h"
#include "exec_run.h"
#include "pp_job.h"

typedef struct _exec_pipe_t exec_pipe_t;

/*  Slots for threads job threads running cmd (its arguments taken as
    they are) with conf; both must outlive the table. NULL on OOM.        */
exec_pipe_t *exec_pipe_new (exec_conf_t *conf, const exec_argv_t *cmd,
                            int threads);

/*  Ends every child (exec_pipe_shutdown), then frees self. NULL-safe,
    nulls the caller's pointer. Call only when no job thread runs.        */
void exec_pipe_destroy (exec_pipe_t **self_p);

/*  Ends every child: closes its stdin, gives it 100 ms to leave on its
    own, then SIGTERM to its group, SIGKILL 200 ms later, and reaps it.
    For after the job threads are joined. Safe twice.                     */
void exec_pipe_shutdown (exec_pipe_t *self);

/*  Trades the item of ctx (len bytes, no newline) for a line of result
    with this thread's child, started (or started again) as needed; waits
    while short of fds, processes or memory. Returns 0 with the line in
    out, or -1 with a one-line reason.                                     */
int exec_pipe_run (exec_pipe_t *self, pp_job_ctx_t *ctx, const char *item,
                   size_t len, pp_buf_t *out);

/*  n items in one write, their result lines read back in order into outs.
    Returns how many got their line: when that is fewer than n (an item
    too big or holding a newline, a child that died, a timeout...), the
    child is ended and the caller runs the rest one at a time.            */
int exec_pipe_batch (exec_pipe_t *self, pp_job_ctx_t *ctx,
                     const pp_job_item_t *items, int n, pp_buf_t *outs);

#endif
