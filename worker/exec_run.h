/*  exec_run: one item's exchange with a running child, the part that per
    item mode (exec_item) and --pipe (exec_pipe) share.

    We talk to a child through its non-blocking pipes and poll, never
    blocking longer than 100 ms, so --timeout and an abort are noticed in
    time: feed its stdin, pass its stderr to an exec_errlog, see it exit
    (a pidfd in the same poll, else waitid every 10 ms).
    Reading its stdout is the caller's: a whole output or one line. Every
    way a run can end is an exec_end_t, and each becomes a one-line reason
    in the item's out. Starting a child that fails for want of fds,
    processes or memory is the worker's problem, not the item's: the
    caller waits (exec_run_backoff) and tries again.                      */

#ifndef WORKER_EXEC_RUN_H_INCLUDED
#define WORKER_EXEC_RUN_H_INCLUDED

#include "exec_child.h"
#include "exec_errlog.h"
#include "pp_job.h"

#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define EXEC_ABORT_GRACE_MS 200 /* SIGTERM -> SIGKILL when aborted */
#define EXEC_RETRY_MS 10        /* first wait when a child cannot start */

/*  What every run of one command shares. Set up before any job thread
    starts; read-only from then on but for told (atomic).                  */
typedef struct {
    const char *name;      /* CMD, for reasons and logs */
    int64_t timeout_ms;    /* per item; 0 = none */
    int64_t kill_grace_ms; /* SIGTERM -> SIGKILL after a timeout */
    bool stderr_tag;       /* child's stderr lines get "[RECORD] " first */
    bool stderr_reason;    /* child's stderr goes into the failure reason */
    atomic_uint told;      /* the shortages logged, a bit each */
    bool gated;            /* per item, fewer commands at once than threads */
    sem_t room;            /* gated: commands that may start now */
} exec_conf_t;

/*  The item on its way to the child's stdin: data, then a newline.       */
typedef struct {
    const char *data;
    size_t len;   /* of data */
    size_t sent;  /* of len + 1 */
    bool refused; /* the child closed its stdin before reading it all */
    bool unread;  /* --pipe: the child left before reading any of it */
} exec_input_t;

/*  How waiting for a child ended.                                        */
typedef enum {
    EXEC_RUNNING,    /* not yet: wait on */
    EXEC_DONE,       /* --pipe: a whole line of result arrived */
    EXEC_EXITED,     /* the child exited (--pipe: or closed its output) */
    EXEC_TIMED_OUT,  /* --timeout ran out */
    EXEC_ABORTED,    /* the run was aborted */
    EXEC_TOO_BIG,    /* the result went past out->max */
    EXEC_IO_ERROR,   /* poll, read or memory failed (errno in err) */
    EXEC_NOT_STARTED /* --pipe: the command could not start (errno in err) */
} exec_end_t;

/*  One item being run: what every wait loop needs.                       */
typedef struct {
    const exec_conf_t *conf;
    pp_job_ctx_t *ctx;
    exec_child_t *child;
    exec_errlog_t *errlog;
    exec_input_t input;
    pp_buf_t *out;
    int64_t deadline;   /* INT64_MAX without --timeout */
    int64_t next_check; /* when to ask pp_job_aborted next */
    int err;            /* errno of an EXEC_IO_ERROR */
    bool exited;        /* the child has exited (seen by exec_run_pump) */
} exec_run_t;

/*  A run of the item of ctx into out: no child, no input, clock started. */
void exec_run_init (exec_run_t *run, const exec_conf_t *conf, pp_job_ctx_t *ctx,
                    pp_buf_t *out);

/*  Starts the clock of --timeout again: call when the child has started. */
void exec_run_clock (exec_run_t *run);

/*  EXEC_TIMED_OUT, EXEC_ABORTED, or EXEC_RUNNING with how long the next
    wait may last. Asks pp_job_aborted only every 100 ms: fast
    items never touch the channel's lock.                                  */
exec_end_t exec_run_check (exec_run_t *run, int *wait_ms);

/*  True while some of the input is still to be written.                  */
bool exec_run_writing (const exec_child_t *child, const exec_input_t *input);

/*  Writes what it can of the input without blocking; close_after closes
    the child's stdin once all is sent. EPIPE: the child refused the rest. */
void exec_run_send (exec_child_t *child, exec_input_t *input, bool close_after);

/*  Waits up to ms for the child: sends input, reads stderr, sees whether
    it has exited (run->exited). Returns 1 when its stdout is readable (or
    at EOF), 0 when not, PP_EIO on failure (errno in run->err).           */
int exec_run_pump (exec_run_t *run, bool close_after, int ms);

/*  Takes what an exited child's stderr holds now, without waiting.      */
void exec_run_drain_stderr (exec_child_t *child, exec_errlog_t *errlog);

/*  Gives the item how its child ended, from its wait status: the exit
    status, or -N when signal N ended it (a --timeout or abort kill too),
    for the job log (pp_job_set_status).                                   */
void exec_run_status (exec_run_t *run, int wait_status);

/*  Puts the reason in out, then the child's stderr (--stderr-reason) and a
    note when it did not read its input. Returns -1: the item failed.     */
int exec_run_fail (exec_run_t *run, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/*  The reason for how the child ended, from its wait status (prefix: ""
    or "pipe command "). Returns -1.                                       */
int exec_run_fail_status (exec_run_t *run, const char *prefix, int status);

/*  The reason for every end but EXEC_EXITED and EXEC_DONE. Returns -1.   */
int exec_run_fail_end (exec_run_t *run, exec_end_t end);

/*  How long a child ended for end gets between SIGTERM and SIGKILL:
    --kill-grace, at most EXEC_ABORT_GRACE_MS when aborted.                */
int64_t exec_run_grace (const exec_run_t *run, exec_end_t end);

/*  The grace of what an exited child left running, and of a --pipe child
    we end: --kill-grace, at most EXEC_ABORT_GRACE_MS.                     */
int64_t exec_run_short_grace (const exec_conf_t *conf);

/*  Gated (fds.h: too few fds for a command per job thread), waits for
    room for one more command. Returns 0, or PP_EABORTED: the run was
    aborted meanwhile. Give the room back with exec_run_leave.             */
int exec_run_enter (exec_conf_t *conf, pp_job_ctx_t *ctx);

/*  Gives back what exec_run_enter took, once the child's fds are closed. */
void exec_run_leave (exec_conf_t *conf);

/*  True when err (from pipe2, posix_spawn or malloc) says this process or
    the system is short of what a child needs: fds, processes, memory.
    That is the worker's problem, not the item's: the item waits.         */
bool exec_run_short_of (int err);

/*  After a child could not start for want of err: says so (once per kind
    of shortage, with how to get more), waits *delay_ms and doubles it for
    the next time, up to 1 s. Returns 0 to try again, or PP_EABORTED: the
    run was aborted meanwhile.                                             */
int exec_run_backoff (exec_conf_t *conf, pp_job_ctx_t *ctx, int err,
                      int64_t *delay_ms);

#endif
