/*  pp_worker: the worker runtime, usable from any C program.

    pp_worker_run connects to a pushpull pipeline, pulls work items, runs
    a handler on job threads fed through a bounded buffer, and pushes
    every outcome to the sink, until the run is DONE (or ABORTED).
    pp-worker is this function plus flag parsing and the built-in jobs.

    The library leaves the process alone: it never exits, never installs a
    signal handler and never changes a process-wide setting on its own.
    What a program may ask for is at the end (signals, logging). czmq,
    which the library uses, catches SIGINT and SIGTERM itself when first
    used unless the program turned that off (zsys_handler_set (NULL), or
    ZSYS_SIGHANDLER=false; pp_worker_handle_signals does): its flag,
    zsys_interrupted, then asks the worker to leave.                      */

#ifndef PP_WORKER_H_INCLUDED
#define PP_WORKER_H_INCLUDED

#include "pp_job.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*  How work reaches the workers; the same on every process of a pipeline. */
typedef enum {
    PP_FLOW_PUSH = 0,   /* the ventilator pushes, load-balanced         */
    PP_FLOW_CREDIT = 1, /* each worker asks for what it has room for    */
    PP_FLOW_RUN = 2     /* a worker: the ventilator's, from its STATE   */
} pp_flow_t;

/*  What the worker does when its buffer of items is full.                 */
typedef enum {
    PP_OVERFLOW_BLOCK = 0, /* stop pulling: backpressure (default)        */
    PP_OVERFLOW_DROP,      /* report the item to the sink as dropped      */
    PP_OVERFLOW_SPILL      /* queue it on disk in spill_dir               */
} pp_overflow_t;

/*  A worker's configuration: pp_worker_config_init, then set fields. The
    comments name the pp-worker flag of each field.                        */
typedef struct {
    /*  Endpoints (tcp://HOST:PORT, ipc://PATH). NULL: from PP_TASKS,
        PP_RESULTS, PP_CONTROL, PP_ACKS, else tcp://127.0.0.1:5557..5560. */
    const char *tasks;        /* --tasks: work items come from here       */
    const char *results;      /* --results: outcomes go to the sink here  */
    const char *control;      /* --control: the ventilator's run state    */
    const char *acks;         /* --acks: hellos to the ventilator         */
    int hwm;                  /* --hwm: ZeroMQ high-water mark (100)      */
    uint64_t max_item_size;   /* --max-item-size: bytes (<= 1 GiB; 0, the
                                 default: the ventilator's)               */
    pp_flow_t flow;           /* --flow (PP_FLOW_RUN: the ventilator's)   */
    const char *curve_secret; /* --curve-secret: our key pair, or NULL    */
    const char *curve_server; /* --curve-server: the servers' public key,
                                 needed with curve_secret                 */
    int threads;              /* --threads: job threads (cores; 1..1024)  */
    int capacity;             /* --capacity: items held between receiver
                                 and job threads (0: automatic)           */
    bool serve;               /* --serve: stay up for the next run        */
    pp_overflow_t overflow;   /* --overflow (PP_OVERFLOW_BLOCK)           */
    const char *spill_dir;    /* --spill-dir (NULL: /tmp)                 */
    pp_batch_fn *batch;       /* runs cheap items n at a time, or NULL    */
    int64_t ventilator_timeout_ms; /* --ventilator-timeout: leave a run
                                      whose ventilator is silent this
                                      long (90000; 0: never)              */
    /*  Logging: 2 (-v) logs more, as each run joined; 1 (default) and 0
        (-q) log notices, warnings and errors.                             */
    int verbosity;
    /*  --buffer-bytes: bytes of items each of the worker's buffers holds
        (the task channel, the results waiting to be sent, each socket's
        queue: its HWM is lowered to fit): 8 MiB, at least 64 KiB.        */
    uint64_t buffer_bytes;
} pp_worker_config_t;

/*  Fills config with the defaults given above. Touches nothing else.     */
void pp_worker_config_init (pp_worker_config_t *config);

/*  Checks config as pp_worker_run would: the ranges above, the endpoints'
    form (after PP_* and defaults), the CURVE key files. Returns 0, or
    PP_EINVAL with a one-line reason in why (size bytes, may be NULL)
    naming the field's flag and the value.                                 */
int pp_worker_config_check (const pp_worker_config_t *config, char *why,
                            size_t size);

/*  Runs a worker until its run ends; handler (and config->batch) is
    called on job threads with user_data. Returns a pushpull exit status:
    PP_EXIT_OK (run completed, all ok, or left gracefully), PP_EXIT_FAILED
    (completed, some failed or dropped), PP_EXIT_ABORTED (aborted, or
    stopped at once by a second stop request), PP_EXIT_RUNTIME (an error,
    or left with results the sink did not take: counted in the log). Or
    PP_EINVAL: config or handler refused before anything started (the
    reason is logged; pp_worker_config_check gives it as text), or a flow
    or max_item_size set to another value than the ventilator's (logged
    with both values; the ventilator logs it too).
    Stop requests (pp_worker_stop): the first makes the worker leave
    gracefully (giving up a sink that takes nothing for 3 s), the second
    stops it at once.                                                     */
int pp_worker_run (const pp_worker_config_t *config, pp_handler_fn *handler,
                   void *user_data);

/*  --- what the program may ask of the process ------------------------ */

/*  Asks the worker to stop, as a signal would: the first request makes it
    leave gracefully, the second stops it at once. Requests count for the
    run going on or the next one. Async-signal-safe; any thread.          */
void pp_worker_stop (void);

/*  Installs handlers so that SIGINT and SIGTERM call pp_worker_stop (no
    SA_RESTART: blocking calls return EINTR), and SIGHUP (a closed
    terminal) too unless it is ignored (nohup), turns czmq's own handling
    off, and ignores SIGPIPE (a write to a closed pipe fails with EPIPE
    instead of killing the process). Call once, from the main thread,
    before pp_worker_run.                                                  */
void pp_worker_handle_signals (void);

/*  Sends the log (czmq's zsys log, which the library writes to) to
    stderr, each line headed by name. Without it czmq's defaults hold:
    stdout, no name (or ZSYS_LOGSTREAM, ZSYS_LOGIDENT). Call once, from
    the main thread, before pp_worker_run.                                 */
void pp_worker_log_setup (const char *name);

#endif
