/*  vent_run: the state of the run, and its announcement to every peer.

      WAITING   until --wait-workers workers said hello
      RUNNING   dispatching; the total is not known yet
      DRAINING  the total is final (the input ended, or a drain stopped
                the reading): waiting for the sink's COMPLETE
      DONE      the sink has every outcome: announced until the sink and
                every worker that said hello confirmed it (BYE), for
                --linger at most
      ABORTED   stop now: announced until confirmed likewise, for half
                a second at most

    The state goes out on the control socket (XPUB) at once on every
    change, and at once to every subscriber that connects (vent_run_welcome:
    PUB drops what it publishes before a subscriber is there, and a sink
    that has not heard the run yet must hold every result it gets), then
    again as a heartbeat: every 100 ms once the run drains or ended, every
    200 ms while it runs. Each is a message per subscriber, so with
    thousands they are spaced: repeats at most 5000 messages a second (a
    second apart from 5000 subscribers, never more; DONE and ABORTED,
    short and for everyone, keep their pace), and a storm of joins
    welcomed by one STATE per subscribers / 20,000 seconds (50 ms at
    1000) rather than one per join, which cost W^2 / 2 messages for W
    workers.

    It reads the window and the feed (what was numbered, whether the total
    is final) and stops the feed on a drain; the loop (main.c) tells it
    what happened.                                                         */

#ifndef VENT_RUN_H_INCLUDED
#define VENT_RUN_H_INCLUDED

#include "feed.h"
#include "options.h"
#include "pp_wire.h"
#include "window.h"

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum {
    VENT_WAITING = PP_STATE_WAITING,
    VENT_RUNNING = PP_STATE_RUNNING,
    VENT_DRAINING = PP_STATE_DRAINING,
    VENT_DONE = PP_STATE_DONE,
    VENT_ABORTED = PP_STATE_ABORTED
} vent_state_t;

typedef struct _vent_run_t vent_run_t;

/*  Run run_id as opt says, announced on control (a PUB socket, the
    caller's), over window and feed, its sockets bound at now_ms. Starts
    WAITING and announces it. NULL on OOM.                                 */
vent_run_t *vent_run_new (const vent_options_t *opt, uint64_t run_id,
                          zsock_t *control, vent_window_t *window,
                          vent_feed_t *feed, int64_t now_ms);

/*  Frees the run (not what it was given); NULL-safe, nulls *self_p.      */
void vent_run_destroy (vent_run_t **self_p);

/*  The state now.                                                         */
vent_state_t vent_run_state (const vent_run_t *self);

/*  True while items are dispatched: RUNNING or DRAINING.                  */
bool vent_run_active (const vent_run_t *self);

/*  A worker said hello (counted once per worker id, for --wait-workers). */
void vent_run_hello (vent_run_t *self, uint32_t worker_id);

/*  The run-wide settings every STATE carries (flow, --max-item-size,
    --heartbeat): workers and the sink adopt them.                         */
void vent_run_settings (const vent_run_t *self, pp_settings_t *settings);

/*  A worker's HELLO on acks (payload, size bytes): true when it runs the
    run's settings and its id is its own (vent_run_hello_claim); else
    false, and the worker is not counted: it refused the run and leaves
    (logged once per worker: who, and why), or it takes another id.      */
bool vent_run_hello_fits (vent_run_t *self, uint32_t worker_id,
                          const uint8_t *payload, size_t size);

/*  A worker's HELLO (on acks, or on tasks in credit flow): true when its
    id is its own (vent_ids). Else another worker said HELLO under that
    id first: this one is told to take another id (a RENAME on control,
    which it obeys, and says HELLO again under its new id), logged, and
    false: it is not counted, nor taken for the first one reconnected.  */
bool vent_run_hello_claim (vent_run_t *self, uint32_t worker_id,
                           const uint8_t *payload, size_t size);

/*  In push flow, how many workers' task connections are up now: the run
    starts when --wait-workers hellos and as many connections are in.    */
void vent_run_task_peers (vent_run_t *self, uint32_t peers);

/*  A BYE on acks: the peer saw the run end (or leaves it) and needs
    nothing more from us. worker_id 0 is the sink; it names the count
    workers it heard from (ids: 4 bytes each, big-endian), every one of
    them awaited as if it had said hello.                                 */
void vent_run_bye (vent_run_t *self, uint32_t worker_id, const uint8_t *ids,
                   uint32_t count);

/*  The sink's COMPLETE: every item has an outcome. Ends the run (DONE)
    when it drains and the counts are for the total numbered; else it is
    early or stale, and ignored (the sink repeats it).                    */
void vent_run_complete (vent_run_t *self, const pp_state_t *outcome);

/*  Drain or abort (PP_REQUEST_*), asked by a signal or over acks (by
    says which, for the notice that says what it does), with sends TASK
    messages sent so far. A drain with nothing sent ends the run at once,
    as aborted: no record was processed, so the input resumes where this
    run began.                                                             */
void vent_run_request (vent_run_t *self, uint16_t what, uint64_t sends,
                       const char *by);

/*  After a dispatch: once the feed's total is final, the run drains.     */
void vent_run_dispatched (vent_run_t *self);

/*  Timers at now_ms: --drain-timeout, the start once enough workers said
    hello, the announcement's cadence.                                     */
void vent_run_tick (vent_run_t *self, int64_t now_ms);

/*  joined subscribers connected (or reconnected) to control at now_ms:
    the state goes out at once (or, in a storm of joins, within the welcome
    gap), so they need not wait for the next heartbeat. The
    end also waits (for --linger at most) while more are subscribed than
    the sink and the workers that said hello.                              */
void vent_run_welcome (vent_run_t *self, uint32_t joined, int64_t now_ms);

/*  left subscribers disconnected from control (or unsubscribed): counted
    off before the run's end (DONE, ABORTED), not after.                   */
void vent_run_left (vent_run_t *self, uint32_t left);

/*  STATEs published so far (the tests count welcomes with it).           */
uint64_t vent_run_published (const vent_run_t *self);

/*  The longest the loop may wait at now_ms and still announce on time.  */
int64_t vent_run_wait_ms (const vent_run_t *self, int64_t now_ms);

/*  True once the run ended and everyone known confirmed it, or it was
    announced for --linger (DONE; half a second after ABORTED): exit.     */
bool vent_run_finished (const vent_run_t *self, int64_t now_ms);

/*  The sink's counts, from its COMPLETE (zero before DONE).               */
const pp_state_t *vent_run_outcome (const vent_run_t *self);

#endif
