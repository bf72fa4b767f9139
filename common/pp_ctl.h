/*  pp_ctl: the control plane. The ventilator publishes its run state on
    a PUB socket several times a second, and at once on every change, so a
    subscriber that joins late or reconnects learns it within one period
    (PUB drops what is published before a subscriber is connected). Drain
    and abort requests go the other way, over the acks endpoint.           */

#ifndef PP_CTL_H_INCLUDED
#define PP_CTL_H_INCLUDED

#include "pp_config.h"
#include "pp_wire.h"

#include <czmq.h>

/*  Publishes run_id's state (PP_STATE_*), its counts and the run-wide
    settings every worker and the sink adopt (flow, --max-item-size, the
    heartbeat credit-flow workers keep). Never blocks.                     */
void pp_ctl_publish (zsock_t *pub, uint64_t run_id, pp_run_state_t state,
                     const pp_settings_t *settings, const pp_state_t *counts);

/*  Receives one control message (the socket must be readable). Returns 0
    with *hdr (flags = state), *counts and *settings filled, or PP_EPROTO
    when it was malformed (counted in rejects), or PP_EAGAIN. A STATE of
    another wire version is counted under bad_version and sets *version to
    the version it carried (else *version is left alone): a peer of
    another pushpull release, worth saying so once. A RENAME (for those
    that act on it: pp_ctl_recv_any) is passed over: PP_EAGAIN, no reject. */
int pp_ctl_recv (zsock_t *sub, pp_header_t *hdr, pp_state_t *counts,
                 pp_settings_t *settings, uint8_t *version,
                 uint64_t rejects[PP_REJECT_COUNT]);

/*  RENAME: the worker worker_id that said HELLO as worker (its pid and
    host tell it) must take another id: owner, which said HELLO first,
    has it. Payload: the two HELLO payloads, each in 80 bytes (its host
    NUL-padded): PP_RENAME_SIZE.                                           */
typedef struct {
    uint32_t worker_id;
    pp_hello_t worker;
    pp_hello_t owner;
} pp_rename_t;
#define PP_RENAME_HALF 80 /* a HELLO payload at its longest            */
#define PP_RENAME_SIZE (2 * PP_RENAME_HALF)

/*  Publishes a RENAME for run_id: worker_id, which said HELLO as worker,
    must take another id, since owner has it. Never blocks.                */
void pp_ctl_rename (zsock_t *pub, uint64_t run_id, uint32_t worker_id,
                    const pp_hello_t *worker, const pp_hello_t *owner);

/*  As pp_ctl_recv, RENAME too: returns 0 with *hdr, and by hdr->type
    either (STATE) *counts and *settings or (RENAME) *rename filled.       */
int pp_ctl_recv_any (zsock_t *sub, pp_header_t *hdr, pp_state_t *counts,
                     pp_settings_t *settings, pp_rename_t *rename,
                     uint8_t *version, uint64_t rejects[PP_REJECT_COUNT]);

/*  True when two HELLOs come from the same worker process: the same pid
    on the same host (a worker says HELLO again when it reconnects, is
    asked to join again, or serves another run). A host byte outside
    '!'..'~' is '?' to either side (as a decoded HELLO has it).            */
bool pp_ctl_same_worker (const pp_hello_t *a, const pp_hello_t *b);

/*  True when rename is for us: our id, pid and host (hello). Only the one
    worker named obeys; the one that keeps the id hears it too.            */
bool pp_ctl_rename_is_me (const pp_rename_t *rename, uint32_t worker_id,
                          const pp_hello_t *hello);

/*  Adopts the run's settings into common: flow and max item size, unless
    given as flags (common->given, PP_GIVEN_*). Returns 0, or PP_EINVAL
    when a flag was given with another value than the run's, with why
    filled (the flag, our value and the ventilator's). Either way common
    then holds what this process runs: its flags, else the run's.          */
int pp_ctl_adopt (pp_common_t *common, const pp_settings_t *run, char *why,
                  size_t size);

/*  Checks a worker's HELLO against the run's settings. Returns 0 when it
    runs them (a max_item of 0 is not said: fine), else PP_EINVAL with why
    filled (what the worker runs and what the run does).                   */
int pp_ctl_hello_check (const pp_settings_t *run, const pp_hello_t *hello,
                        char *why, size_t size);

/*  A size as a user writes it: "4M", "1536K", "1000" (bytes).             */
void pp_ctl_size_text (uint64_t bytes, char *out, size_t size);

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
