/*  pp_worker: the worker runtime, usable from any C program.

    pp_worker_run connects to a pushpull pipeline, pulls work items, runs
    handler on --threads job threads fed through a bounded channel, and
    pushes every outcome to the sink, until the run is DONE (or ABORTED).
    pp-worker is this function plus flag parsing and the built-in jobs.    */

#ifndef PP_WORKER_H_INCLUDED
#define PP_WORKER_H_INCLUDED

#include "pp_chan.h"
#include "pp_cli.h"
#include "pp_job.h"

#include <stdbool.h>

typedef struct {
    pp_common_t common;     /* endpoints, hwm, max item size, flow           */
    int threads;            /* job threads (>= 1)                            */
    int capacity;           /* items held between receiver and jobs (0: auto) */
    bool serve;             /* stay up for the next run after DONE           */
    pp_overflow_t overflow; /* when the channel is full: block (default),
                               drop (report the item dropped), spill     */
    const char *spill_dir;  /* spill files go here (default /tmp)        */
    pp_batch_fn *batch;     /* optional: runs cheap items n at a time    */
    int64_t ventilator_timeout_ms; /* leave a run whose ventilator is
                                      silent this long (0: never)          */
} pp_worker_config_t;

/*  Fills config with the defaults (threads = cores, capacity automatic:
    see pp-worker --help); endpoints left NULL are taken from PP_* or the
   standard ports when the worker runs. Also sets up logging on stderr. */
void pp_worker_config_init (pp_worker_config_t *config);

/*  Runs a worker until its run ends; handler is called on job threads
    with user_data. Returns a pushpull exit code: 0 (run completed, all
    ok), 4 (completed, some failed or dropped), 3 (aborted or stopped by a
    second signal), 1 (runtime error, or left with results the sink did
    not take). SIGINT/SIGTERM: the first makes the worker leave gracefully
    (giving up a sink that takes nothing for 3 s), the second stops it at
    once. Results not delivered are counted in the log.                     */
int pp_worker_run (const pp_worker_config_t *config, pp_handler_fn *handler,
                   void *user_data);

#endif
