/*  pp_ctl: the control plane. The ventilator publishes its run state on
    a PUB socket several times a second, and at once on every change, so a
    subscriber that joins late or reconnects learns it within one period
    (PUB drops what is published before a subscriber is connected). Drain
    and abort requests go the other way, over the acks endpoint.           */

#ifndef PP_CTL_H_INCLUDED
#define PP_CTL_H_INCLUDED

#include "pp_wire.h"

#include <czmq.h>

/*  Publishes run_id's state (PP_STATE_*), the ventilator's flow (0 push,
    1 credit: in the header's count, so a worker with the other flow can
    say so instead of hanging), the heartbeat interval credit-flow workers
    must keep (in the header's worker_id) and counts. Never blocks.        */
void pp_ctl_publish (zsock_t *pub, uint64_t run_id, pp_run_state_t state,
                     uint32_t flow, uint32_t heartbeat_ms,
                     const pp_state_t *counts);

/*  Receives one control message (the socket must be readable). Returns 0
    with *hdr (flags = state, count = flow, worker_id = heartbeat ms) and
    *counts filled, or PP_EPROTO when it was
    malformed (counted in rejects), or PP_EAGAIN.                           */
int pp_ctl_recv (zsock_t *sub, pp_header_t *hdr, pp_state_t *counts,
                 uint64_t rejects[PP_REJECT_COUNT]);

/*  Asks the ventilator of run_id (0: whichever runs) to drain or abort
    (PP_REQUEST_DRAIN / PP_REQUEST_ABORT). Never blocks: returns 0, or
    PP_EAGAIN (the queue is full: ask again later) or PP_EIO.              */
int pp_ctl_request (zsock_t *push, uint64_t run_id, uint16_t what);

/*  Tells the ventilator of run_id, on the acks push socket, that we saw
    its run end (or leave it) and need nothing more: it leaves once the
    sink (worker_id 0) and every worker it knows of did. The sink names
    the count workers it heard from in ids (a worker whose HELLO to the
    ventilator is still on its way is known all the same); a worker gives
    none. Sets the socket's linger to linger_ms, so the BYE goes before
    the socket is closed. Never blocks: 0, PP_EAGAIN, PP_ENOMEM or PP_EIO. */
int pp_ctl_bye (zsock_t *push, uint64_t run_id, uint32_t worker_id,
                const uint32_t *ids, uint32_t count, int linger_ms);

/*  True for DONE and ABORTED: the run is over.                            */
bool pp_ctl_ended (uint16_t state);

/*  Name of a state ("running", ...).                                       */
const char *pp_ctl_state_name (uint16_t state);

#endif
