/*  pp_ctl: control messages over the wire codec.                          */

#include "pp_ctl.h"
#include "pp_error.h"
#include "pp_net.h"

void
pp_ctl_publish (zsock_t *pub, uint64_t run_id, pp_run_state_t state,
                uint32_t flow, uint32_t heartbeat_ms, const pp_state_t *counts)
{
    uint8_t payload[PP_STATE_PAYLOAD_SIZE];
    pp_wire_encode_state (counts, payload);
    pp_header_t hdr = {.type = PP_MSG_STATE,
                       .flags = (uint16_t) state,
                       .run_id = run_id,
                       .seq = counts->sent,
                       .worker_id = heartbeat_ms,
                       .count = flow};
    pp_net_send (pub, NULL, &hdr, payload, sizeof (payload), true);
}

int
pp_ctl_recv (zsock_t *sub, pp_header_t *hdr, pp_state_t *counts,
             uint64_t rejects[PP_REJECT_COUNT])
{
    pp_inmsg_t in;
    int rc = pp_net_recv (sub, false, &in, rejects);
    if (rc != 0)
        return rc;
    if (in.hdr.type != PP_MSG_STATE) {
        rejects[PP_REJECT_TYPE]++;
        rc = PP_EPROTO;
    } else if (in.hdr.flags < PP_STATE_WAITING ||
               in.hdr.flags > PP_STATE_ABORTED ||
               pp_wire_decode_state (in.payload, in.size, counts) != 0) {
        rejects[PP_REJECT_SHORT]++;
        rc = PP_EPROTO;
    } else
        *hdr = in.hdr;
    pp_inmsg_free (&in);
    return rc;
}

int
pp_ctl_request (zsock_t *push, uint64_t run_id, uint16_t what)
{
    pp_header_t hdr = {.type = PP_MSG_REQUEST, .flags = what, .run_id = run_id};
    return pp_net_send (push, NULL, &hdr, "", 0, true);
}

int
pp_ctl_bye (zsock_t *push, uint64_t run_id, uint32_t worker_id,
            const uint32_t *ids, uint32_t count, int linger_ms)
{
    pp_header_t hdr = {.type = PP_MSG_BYE,
                       .run_id = run_id,
                       .worker_id = worker_id,
                       .count = count};
    uint8_t *payload = count ? malloc ((size_t) count * 4) : NULL;
    if (count && !payload)
        return PP_ENOMEM;
    for (uint32_t i = 0; i < count; i++)
        pp_put_u32 (payload + i * 4, ids[i]);
    zsock_set_linger (push, linger_ms);
    int rc = pp_net_send (push, NULL, &hdr, payload ? (void *) payload : "",
                          (size_t) count * 4, true);
    free (payload);
    return rc;
}

bool
pp_ctl_ended (uint16_t state)
{
    return state == PP_STATE_DONE || state == PP_STATE_ABORTED;
}

const char *
pp_ctl_state_name (uint16_t state)
{
    switch (state) {
        case PP_STATE_WAITING: return "waiting";
        case PP_STATE_RUNNING: return "running";
        case PP_STATE_DRAINING: return "draining";
        case PP_STATE_DONE: return "done";
        case PP_STATE_ABORTED: return "aborted";
        default: return "unknown";
    }
}
