/*  pp_stall: notices the time a loop itself lost. A process that was
    stopped (SIGSTOP, a debugger), swapped out or frozen with its VM read
    none of its sockets meanwhile: what its peers sent waits there unread.
    So whatever it judges by silence -- a peer's heartbeats, an ack's
    deadline, the ventilator's state -- must not count that time against
    the peer. A loop calls pp_stall_check right before it judges anyone
    (and after each wait, if it waits in several places), and on a stall
    moves its deadlines: a peer counts as heard now, a deadline moves by
    the time lost.

    Only a stall that could matter counts: one of half the silence the
    loop judges by (the caller's min_ms). A loop that is merely busy
    still reads its sockets every turn and keeps judging on its clock,
    so a dead peer is still found out.

    The clock is CLOCK_MONOTONIC (pp_now_ms): it runs while the process is
    stopped, which is what makes the gap visible.                          */

#ifndef PP_STALL_H_INCLUDED
#define PP_STALL_H_INCLUDED

#include <stdint.h>

/*  The least min_ms: lateness under this is a loop's ordinary work.       */
#define PP_STALL_MIN_MS 100

/*  A loop's clock; zero-initialise before use.                            */
typedef struct {
    int64_t st_last_ms; /* the previous check; 0 before the first     */
} pp_stall_t;

/*  Called with wait_ms, the longest the loop may have waited on purpose
    since the previous call: returns the milliseconds it came later than
    that, when they are min_ms (at least PP_STALL_MIN_MS) or more; else 0,
    and 0 on the first call.                                               */
int64_t pp_stall_check (pp_stall_t *self, int64_t now_ms, int64_t wait_ms,
                        int64_t min_ms);

#endif
