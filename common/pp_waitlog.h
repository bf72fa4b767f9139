/*  pp_waitlog: a wait for a peer, said aloud. A process that waits for
    a peer it has not heard (a worker or a sink before any ventilator, a
    ventilator before any worker) must never be silent: it says what it
    waits for, where, and since when -- first after PP_WAITLOG_FIRST_MS,
    then at doubling intervals of at most PP_WAITLOG_MAX_MS, so a wait of
    hours costs a line a few times a minute at most. The clock is the
    caller's (pp_now_ms); nothing here logs or blocks.                      */

#ifndef PP_WAITLOG_H_INCLUDED
#define PP_WAITLOG_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PP_WAITLOG_FIRST_MS 3000 /* the first notice, after the start    */
#define PP_WAITLOG_MAX_MS 30000  /* the longest gap between two notices  */

/*  One wait; zero-initialised it has not started.                         */
typedef struct {
    int64_t wl_since_ms; /* the wait began (0: not waiting)             */
    int64_t wl_next_ms;  /* the next notice is due                      */
    int64_t wl_gap_ms;   /* the gap before the next notice              */
    int64_t wl_wall_s;   /* the wait began, wall-clock seconds          */
} pp_waitlog_t;

/*  Starts the wait at now_ms (again from the start if one was on).        */
void pp_waitlog_start (pp_waitlog_t *self, int64_t now_ms);

/*  Ends the wait: pp_waitlog_due is false until the next start.           */
void pp_waitlog_stop (pp_waitlog_t *self);

/*  True when a notice is due at now_ms (then the next is scheduled);
    false when none is, or no wait is on.                                   */
bool pp_waitlog_due (pp_waitlog_t *self, int64_t now_ms);

/*  How long the wait has lasted at now_ms, in ms (0 when none is on).     */
int64_t pp_waitlog_waited (const pp_waitlog_t *self, int64_t now_ms);

/*  When the wait began, wall-clock HH:MM:SS, into out.                    */
void pp_waitlog_since (const pp_waitlog_t *self, char *out, size_t size);

/*  The wall-clock time ago_ms before now, as HH:MM:SS, into out.          */
void pp_waitlog_clock (int64_t ago_ms, char *out, size_t size);

/*  Says, at notice level, that the ventilator of run_id has been silent
    for silent_ms: since when, until when we wait for it (timeout_ms, 0 for
    ever) and how a dead one is brought back. The worker and the sink.     */
void pp_waitlog_ventilator_silent (uint64_t run_id, int64_t silent_ms,
                                   int64_t timeout_ms);

#endif
