/*  vent_send: header, then the batch, handed over and counted.            */

#include "send.h"
#include "pp_error.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_uint_fast64_t s_inflight; /* bytes libzmq holds           */

/*  What the free function needs: a batch's size.                          */
typedef struct {
    size_t size;
} s_sent_t;

/*  zmq_free_fn: libzmq is done with a batch it was handed (any thread).   */
static void
s_free (void *data, void *hint)
{
    s_sent_t *sent = hint;
    atomic_fetch_sub (&s_inflight, sent->size);
    free (sent);
    free (data);
}

/*  A message of the batch's buffer, counted in flight. Returns 0 or
    PP_ENOMEM (nothing done).                                              */
static int
s_hand_over (pp_batch_t *batch, zmq_msg_t *msg)
{
    s_sent_t *sent = malloc (sizeof (s_sent_t));
    if (!sent)
        return PP_ENOMEM;
    sent->size = batch->size;
    if (zmq_msg_init_data (msg, batch->data, batch->size, s_free, sent) != 0) {
        free (sent);
        return PP_ENOMEM;
    }
    atomic_fetch_add (&s_inflight, batch->size);
    return 0;
}

/*  Sends the batch as the last frame, its buffer handed over (copied when
    that cannot be). On failure the batch keeps its records. Returns 0 or
    PP_EIO.                                                                */
static int
s_send_payload (void *handle, pp_batch_t *batch)
{
    zmq_msg_t msg;
    if (s_hand_over (batch, &msg) != 0) {
        while (zmq_send (handle, batch->data, batch->size, 0) == -1)
            if (zmq_errno () != EINTR)
                return PP_EIO;
        return 0;
    }
    int rc;
    while ((rc = zmq_msg_send (&msg, handle, 0)) == -1 && zmq_errno () == EINTR)
        ;
    uint8_t *sent = batch->data; /* libzmq's now, or freed at close   */
    /*  The next batch gets a buffer of its own size when it is built: one
        of the last's capacity would be up to twice what it needs.       */
    batch->data = rc == -1 ? malloc (batch->size) : NULL;
    batch->cap = batch->data ? batch->size : 0;
    if (batch->data)
        memcpy (batch->data, sent, batch->size); /* kept: requeued     */
    else
        batch->size = batch->count = 0;
    if (rc == -1)
        zmq_msg_close (&msg);
    return rc == -1 ? PP_EIO : 0;
}

int
vent_send_batch (zsock_t *sock, zframe_t *identity, const pp_header_t *hdr,
                 pp_batch_t *batch, bool dontwait)
{
    void *handle = zsock_resolve (sock);
    int rc = pp_net_send_head (handle, identity, hdr, dontwait);
    if (rc != 0)
        return rc;
    return s_send_payload (handle, batch);
}

uint64_t
vent_send_inflight (void)
{
    return atomic_load (&s_inflight);
}
