/*  vent_send: a TASK batch onto the tasks socket without copying it.

    zmq_send copies a frame into a message of its own; a batch of big
    items is hundreds of KiB, copied for nothing. So the batch's buffer
    itself is handed to libzmq (zmq_msg_init_data), which frees it once
    sent, and the next batch gets a new one, its own size, when built.

    What libzmq holds so is counted (vent_send_inflight): a copy of items
    the window holds too, piling up while workers read slower than we
    send. The window counts it against --window-bytes, so a slow worker
    cannot double what the ventilator holds. The count is process-wide
    (libzmq frees from its I/O thread, at any time until the context
    ends), hence atomic.

    Header first: once libzmq took the first frame of a message it takes
    the rest, so a full queue (PP_EAGAIN) leaves the batch untouched.     */

#ifndef VENT_SEND_H_INCLUDED
#define VENT_SEND_H_INCLUDED

#include "pp_net.h"

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

/*  Sends hdr + the batch as one message (identity first when not NULL,
    for ROUTER), as pp_net_send. Returns 0 (the batch is empty now, its
    buffer libzmq's), or PP_EAGAIN (dontwait and HWM reached) or PP_EIO,
    the batch as it was.                                                   */
int vent_send_batch (zsock_t *sock, zframe_t *identity, const pp_header_t *hdr,
                     pp_batch_t *batch, bool dontwait);

/*  Bytes of batches handed to libzmq and not freed by it yet.            */
uint64_t vent_send_inflight (void);

#endif
