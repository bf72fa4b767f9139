/*  vent: the ventilator's state, shared by its main loop (main.c) and its
    credit-flow dispatcher (credit.c). Private to pp-ventilator.           */

#ifndef VENT_H_INCLUDED
#define VENT_H_INCLUDED

#include "input.h"
#include "pp_chan.h"
#include "pp_cli.h"
#include "pp_job.h"
#include "pp_net.h"
#include "pp_stall.h"

#include <czmq.h>

#define VENT_MAX_HELLOS 4096

typedef enum {
    VENT_WAITING = PP_STATE_WAITING,
    VENT_RUNNING = PP_STATE_RUNNING,
    VENT_DRAINING = PP_STATE_DRAINING,
    VENT_DONE = PP_STATE_DONE,
    VENT_ABORTED = PP_STATE_ABORTED
} vent_state_t;

typedef struct {
    pp_common_t common;
    const char *path; /* FILE, or NULL / "-" for stdin           */
    char delim;
    uint64_t generate; /* --generate N                            */
    uint64_t workload; /* --workload N                            */
    uint64_t seed;
    uint64_t skip; /* --skip N                                */
    double rate;   /* --rate R items/s, 0 = unpaced           */
    uint32_t window;
    int64_t ack_timeout_ms;
    int64_t drain_timeout_ms;
    uint32_t batch;
    uint32_t wait_workers;
    int64_t linger_ms;      /* keep publishing DONE this long          */
    pp_overflow_t overflow; /* --overflow                              */
    const char *spill_dir;  /* --spill-dir                             */
    int64_t heartbeat_ms;   /* --heartbeat: credit flow liveness tick  */
    int liveness;           /* --liveness: ticks missed = dead         */
    uint32_t retries;       /* --retries: failed items sent again      */
} vent_options_t;

typedef struct {
    pp_item_t *item; /* NULL once acked                         */
    int64_t sent_ms; /* last (re)send                           */
    uint32_t owner;  /* credit flow: worker that holds it       */
    uint32_t avoid;  /* --retries: the worker it failed on      */
    bool unsent;     /* requeued before it ever left            */
} vent_slot_t;

typedef struct {
    vent_options_t *opt;
    zsock_t *tasks, *control, *acks;
    pp_netmon_t *netmon; /* refused handshakes on the three above     */
    vent_input_t *input;
    vent_state_t state;
    uint64_t run_id;
    vent_slot_t *slots;
    uint64_t base;       /* lowest unacked seq                      */
    uint64_t next;       /* next seq to read                        */
    pp_chan_t *inbox;    /* read, not yet numbered (--overflow)     */
    pp_item_t *unqueued; /* read, waiting for room in the inbox     */
    int64_t batch_ms;    /* clock when the batch was built          */
    size_t inboxed;      /* items in the inbox (memory and disk)    */
    pp_item_t *spare;    /* freed small items, for reuse            */
    uint32_t nspare;
    bool input_eof;       /* the input has no more records           */
    bool need_fill;       /* the input fd must be read first         */
    bool reading_stopped; /* drain asked: read no more               */
    bool input_ended;     /* total final: all read items numbered    */
    uint64_t dropped;     /* --overflow drop: never numbered         */
    pp_batch_t batch;
    bool batch_ready;   /* built, waiting for the socket           */
    uint64_t resend_at; /* resend scan position, or UINT64_MAX     */
    int64_t resend_scan_ms;
    int64_t next_scan_ms; /* no resend scan before: nothing is due   */
    int64_t scan_oldest;  /* oldest send seen by the running scan    */
    int64_t state_sent_ms;
    int64_t start_ms;  /* dispatch began (for --rate)             */
    int64_t opened_ms; /* the sockets were bound                  */
    int64_t end_ms;    /* DONE or ABORTED since                   */
    uint64_t redelivered;
    uint64_t sends;         /* TASK messages that left: 0 = no worker
                               ever held an item of this run           */
    int64_t drain_since_ms; /* the drain began (0: not yet)            */
    uint32_t hellos[VENT_MAX_HELLOS];
    uint32_t nhellos;
    pp_state_t outcome; /* counts from the sink's COMPLETE         */
    uint64_t rejects[PP_REJECT_COUNT];
    int signals_seen;
    pp_stall_t stall;              /* time the loop itself lost (stopped)     */
    struct _vent_credit_t *credit; /* --flow credit: the worker table  */
} vent_t;

/*  Builds the next batch of at most max_items for worker owner (0 in
    push flow): overdue resends first, then new records. Sets batch_ready
    when the batch holds anything. Returns 0 or an error.                  */
int vent_build_batch (vent_t *self, uint32_t max_items, uint32_t owner);

/*  A worker said hello (on acks in push flow, on tasks in credit flow).   */
void vent_on_hello (vent_t *self, uint32_t worker_id);

/*  Makes every unacked item held by owner due for resending now.          */
void vent_requeue_owner (vent_t *self, uint32_t owner);

/*  Makes item seq due for resending now, if it is still unacked.          */
void vent_requeue (vent_t *self, uint64_t seq);

/*  Marks a requeued item as never sent: its next send is no redelivery.  */
void vent_unsent (vent_t *self, uint64_t seq);

/*  --- credit.c --------------------------------------------------------- */

typedef struct _vent_credit_t vent_credit_t;

/*  The worker table of credit flow; NULL on OOM.                          */
vent_credit_t *vent_credit_new (vent_t *vent);
void vent_credit_destroy (vent_credit_t **self_p);

/*  Handles one message on the ROUTER tasks socket (HELLO, CREDIT, BYE).   */
void vent_credit_on_message (vent_credit_t *self);

/*  Sends batches to workers with credit. Returns 0 or an error.           */
int vent_credit_dispatch (vent_credit_t *self);

/*  True when some worker has credit left.                                 */
bool vent_credit_can_send (vent_credit_t *self);

/*  True when a worker other than worker_id has credit left.               */
bool vent_credit_other_can_take (vent_credit_t *self, uint32_t worker_id);

/*  Declares silent workers dead and requeues what they held.              */
void vent_credit_tick (vent_credit_t *self);

/*  We did not run for lost ms (pp_stall): what workers sent meanwhile is
    unread, so each counts as heard now and gets a full --liveness again;
    after a stall long enough to lose connections, each rejoins first.    */
void vent_credit_rearm (vent_credit_t *self, int64_t lost);

#endif
