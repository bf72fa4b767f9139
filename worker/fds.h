/*  fds: how many of the process's file descriptors a worker has for the
    commands it runs, worked out before any socket is made.

    A worker short of fds used to take items and then either crash inside
    ZeroMQ (czmq asserts when a socket cannot be made) or wait for ever
    for an fd to start a command with while its own sockets held them all.
    Counted first, a low ulimit -n is instead a clear error before the
    worker joins, or a known limit on how many commands run at once.      */

#ifndef WORKER_FDS_H_INCLUDED
#define WORKER_FDS_H_INCLUDED

#include <stdbool.h>

/*  The worker's own fds: its four sockets' connections and mailboxes,
    ZeroMQ's I/O and reaper threads, the handshake monitors, the signal
    pipe. Measured: 18 beside the three standard ones in a steady run
    over ipc or tcp; 24 leaves room for reconnects and a spill file.      */
#define FDS_OWN 24

/*  What one command holds while it starts: both ends of its stdin, stdout
    and stderr pipes and a pidfd (4 once it runs).                        */
#define FDS_PER_CHILD 7

typedef struct {
    long limit;   /* ulimit -n (the soft limit), after any raise */
    long open;    /* fds open when counted */
    int children; /* commands that fit at once; 0: not one */
    bool raised;  /* the soft limit was raised toward the hard one */
} fds_plan_t;

/*  Commands that fit at once in limit fds with open already open, at most
    threads; 0 when not even one does (or the worker alone does not fit). */
int fds_fit (long limit, long open, int threads);

/*  Counts this process's open fds and its limit, raising the soft limit
    (never past the hard one) when --threads commands at once need more,
    and fills plan. threads 0: builtin jobs, no commands.                 */
void fds_plan (fds_plan_t *plan, int threads);

/*  True when the worker alone fits: plan->limit - plan->open >= FDS_OWN.   */
bool fds_worker_fits (const fds_plan_t *plan);

#endif
