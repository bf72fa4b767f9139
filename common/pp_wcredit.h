/*  pp_wcredit: a credit-flow worker's account with the ventilator.

    The worker holds received - completed items and has granted
    granted - received more; together (busy) they never pass the credit
    target (pp_wsize_credit), so what it asks for is target - busy. The
    completion rate is sampled every 100 ms and smoothed, as is the size
    of an item on the wire. No sockets and no clock of its own: the
    caller passes the time and sends the CREDIT messages this asks for.   */

#ifndef PP_WCREDIT_H_INCLUDED
#define PP_WCREDIT_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t granted;      /* items granted this run                     */
    uint64_t received;     /* items received this run                    */
    uint64_t completed;    /* results sent this run                      */
    uint64_t rate;         /* completions per second, smoothed           */
    uint64_t rate_mark;    /* completed at the last sample               */
    int64_t rate_ms;       /* time of the last sample                    */
    uint64_t item_bytes;   /* bytes an item takes on the wire, smoothed  */
    int64_t beat_ms;       /* last CREDIT sent                           */
    int64_t beat_every_ms; /* the heartbeat the ventilator asks for      */
} pp_wcredit_t;

/*  A new run at now_ms: nothing granted, received or measured. Keeps the
    heartbeat (beat_every_ms; 1000 in a zeroed account).                   */
void pp_wcredit_reset (pp_wcredit_t *self, int64_t now_ms);

/*  count items arrived in a TASK payload of size bytes.                   */
void pp_wcredit_received (pp_wcredit_t *self, uint32_t count, size_t size);

/*  count results went out (to the sink): their room is free again.       */
void pp_wcredit_completed (pp_wcredit_t *self, uint32_t count);

/*  (Re)introduced to the ventilator: what it owed us is forgotten; what
    we hold still counts.                                                  */
void pp_wcredit_rejoin (pp_wcredit_t *self);

/*  How many items to grant at now_ms (0: none), the target sized from the
    flags (capacity, threads) and the job threads' measured cost per item
    (job_ns, 0: not yet): what is free below the target, once that is a
    quarter of it or more, or we hold nothing. Samples the completion rate
    when it is due.                                                        */
uint64_t pp_wcredit_due (pp_wcredit_t *self, int64_t now_ms, int capacity,
                         int threads, int64_t job_ns);

/*  True when nothing was sent for a whole heartbeat: time for an empty
    CREDIT, so the ventilator knows we are alive. (A third, before: three
    beats a second from every idle worker were most of what a ventilator
    of 10^4 workers read.)                                                 */
bool pp_wcredit_beat_due (const pp_wcredit_t *self, int64_t now_ms);

/*  A CREDIT of count items (0: a heartbeat) went out at now_ms.          */
void pp_wcredit_granted (pp_wcredit_t *self, uint64_t count, int64_t now_ms);

#endif
