/*  exec: "run any command" jobs (pp-worker -- CMD ARGS...), the handler
    pp-worker's main.c hands to pp_worker_run.

    Per item (the default, exec_item), CMD runs once per item with
    posix_spawnp, no shell: "{}" and the other placeholders (exec_argv) in
    any argument are filled in, else the item and a newline go to the
    child's stdin. The child's stdout, less one trailing newline, is the
    result; a non-zero exit, a signal, --timeout or an abort make the item
    failed. With --pipe
    (exec_pipe), CMD starts once per job thread and trades one line of
    result for each line of item.

    The files below this one, each with its header as its contract:
    exec_item and exec_pipe (the two modes) use exec_run (one item's
    exchange with a child), which uses exec_child (spawn, watch, end,
    reap) and exec_errlog (the child's stderr); exec_argv builds argv and
    environment. None calls back up.

    What the process must provide, set by main.c and not here: fds 0, 1
    and 2 open (children get them by number), SIGCHLD not ignored (else
    exit statuses are lost), SIGPIPE ignored (a child that does not read
    its input must not kill us).                                           */

#ifndef WORKER_EXEC_H_INCLUDED
#define WORKER_EXEC_H_INCLUDED

#include "pp_job.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    int64_t timeout_ms;    /* per item; 0 = none */
    int64_t kill_grace_ms; /* SIGTERM -> SIGKILL after a timeout (1 s) */
    bool stderr_tag;       /* child's stderr lines get "[RECORD] " first */
    bool stderr_reason;    /* child's stderr goes into the failure reason */
    bool pipe;             /* one long-running CMD per job thread */
    int threads;           /* job threads that call the handler (slots) */
    int max_children;      /* per item: commands at once (fds); 0: threads */
} exec_options_t;

typedef struct _exec_t exec_t;

/*  Fills opts with the defaults: no timeout, 1 s grace, per-item mode,
    stderr passed through untouched, one thread.                           */
void exec_options_init (exec_options_t *opts);

/*  Creates a command job for argv (CMD ARGS..., NULL-terminated; copied).
    Takes a snapshot of the environment for the children. Changes nothing
    process-wide; asserts what the process must provide (above). Returns
    NULL on OOM or no argv.                                                */
exec_t *exec_new (char **argv, const exec_options_t *opts);

/*  Ends every pipe child (exec_shutdown), then frees self. NULL-safe,
    nulls the caller's pointer. Call only when no job thread runs.        */
void exec_destroy (exec_t **self_p);

/*  Ends every --pipe child: closes its stdin, gives it 100 ms to leave on
    its own, then SIGTERM to its group, SIGKILL 200 ms later, and reaps it.
    For after pp_worker_run returned (job threads joined). Safe twice.     */
void exec_shutdown (exec_t *self);

/*  True when cmd can run: it names an executable file (it holds a '/') or
    one is found in PATH. Arguments with "{}" are not checked: true.       */
bool exec_found (const char *cmd);

/*  The handler: user is the exec_t. Returns 0 with the child's output
    in out, or -1 with a one-line reason ("exit status 3", "killed by
    signal 9", "timed out after 2s", "aborted", "result too large"). A
    command that cannot start for want of fds, processes or memory (EMFILE,
    ENFILE, EAGAIN, ENOMEM) does not fail the item: the handler waits, 10
    ms doubling to 1 s, until it starts or the run is aborted, and logs
    each kind of shortage once. With max_children below threads, a job
    thread waits for one of the others' commands to end before it starts
    its own. --timeout counts from the start.                             */
pp_handler_fn exec_handler;

/*  The batch form (pp_batch_fn) for --pipe: every line of the batch goes
    out in one write and the results are read back in order; anything
    unusual falls back to exec_handler from the item where it happened.
    Without --pipe it runs exec_handler on each item.                      */
pp_batch_fn exec_batch_handler;

#endif
