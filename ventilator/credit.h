/*  vent_credit: dispatch in credit flow (--flow credit).

    Workers connect DEALER sockets to our ROUTER, say HELLO, then grant
    credit: one unit per item they can take. We send a worker no more than
    it granted, remember which worker holds which item (the window slot's
    owner), and when a worker's heartbeats (CREDIT messages, even of zero)
    stop for --liveness beats, everything it held is sent to others.

    It works on the window and the feed it is given and on its ROUTER
    socket; the caller (main.c) calls it, never the other way round.       */

#ifndef VENT_CREDIT_H_INCLUDED
#define VENT_CREDIT_H_INCLUDED

#include "feed.h"
#include "pp_wire.h"
#include "window.h"

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

/*  How long a credit-flow worker may be silent before it is written off:
    --liveness beats, and half a beat more for one that beats a little
    late (a worker beats once nothing else went out for a whole beat).    */
int64_t vent_credit_silence_ms (int64_t heartbeat_ms, int liveness);

typedef struct {
    uint64_t run_id;
    uint32_t batch;       /* --batch: items per TASK at most           */
    int64_t heartbeat_ms; /* --heartbeat: workers beat this often      */
    int liveness;         /* --liveness: beats missed = dead           */
    /*  Asked of each HELLO (its payload) before anything else: false when
        its id is another worker's, which it must give up first: no peer
        is made or remapped for it (vent_run_hello_claim). NULL: none.    */
    bool (*claim) (void *ctx, uint32_t worker_id, const uint8_t *payload,
                   size_t size);
    void *claim_ctx;
} vent_credit_config_t;

typedef struct _vent_credit_t vent_credit_t;

/*  Credit-flow dispatch on tasks (a ROUTER with ROUTER_MANDATORY, the
    caller's) of items from window and feed. NULL on OOM.                 */
vent_credit_t *vent_credit_new (zsock_t *tasks, vent_window_t *window,
                                vent_feed_t *feed,
                                const vent_credit_config_t *config);

/*  Frees the worker table (not the socket); NULL-safe, nulls *self_p.    */
void vent_credit_destroy (vent_credit_t **self_p);

/*  Handles one message on tasks (HELLO, CREDIT, BYE; the socket must be
    readable). Returns true with *hello_id set when a worker said HELLO.  */
bool vent_credit_on_message (vent_credit_t *self, uint32_t *hello_id);

/*  Sends batches to workers with credit. Returns 0 or PP_ENOMEM.         */
int vent_credit_dispatch (vent_credit_t *self);

/*  From now on, batches of at most batch items.                          */
void vent_credit_set_batch (vent_credit_t *self, uint32_t batch);

/*  True when some worker has credit left.                                 */
bool vent_credit_can_send (vent_credit_t *self);

/*  Declares silent workers dead and requeues what they held.              */
void vent_credit_tick (vent_credit_t *self);

/*  We did not run for lost ms (pp_stall): what workers sent meanwhile is
    unread, so each counts as heard now and gets a full --liveness again;
    after a stall long enough to lose connections, each rejoins first.    */
void vent_credit_rearm (vent_credit_t *self, int64_t lost);

/*  TASK messages sent so far.                                             */
uint64_t vent_credit_sends (const vent_credit_t *self);

/*  Adds the messages it rejected, by reason, to rejects.                  */
void vent_credit_rejects (const vent_credit_t *self,
                          uint64_t rejects[PP_REJECT_COUNT]);

#endif
