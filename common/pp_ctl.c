/*  pp_ctl: control messages over the wire codec.                          */

#include "pp_ctl.h"
#include "pp_error.h"
#include "pp_net.h"

#include <stdio.h>
#include <string.h>

void
pp_ctl_publish (zsock_t *pub, uint64_t run_id, pp_run_state_t state,
                const pp_settings_t *settings, const pp_state_t *counts)
{
    uint8_t payload[PP_STATE_PAYLOAD_SIZE + PP_SETTINGS_SIZE];
    pp_wire_encode_state (counts, payload);
    pp_wire_encode_settings (settings, payload + PP_STATE_PAYLOAD_SIZE);
    pp_header_t hdr = {.type = PP_MSG_STATE,
                       .flags = (uint16_t) state,
                       .run_id = run_id,
                       .seq = counts->sent};
    pp_net_send (pub, NULL, &hdr, payload, sizeof (payload), true);
}

/*  pp_net_recv; a header that is ours (magic) but of another wire
    version sets *version to it.                                           */
static int
s_recv (zsock_t *sub, pp_inmsg_t *in, uint8_t *version,
        uint64_t rejects[PP_REJECT_COUNT])
{
    zmsg_t *msg = zmsg_recv (sub);
    if (!msg)
        return zmq_errno () == EAGAIN || zmq_errno () == EINTR ? PP_EAGAIN
                                                               : PP_EIO;
    zframe_t *head = zmsg_first (msg);
    const uint8_t *p = head ? zframe_data (head) : NULL;
    if (p && zframe_size (head) == PP_WIRE_HEADER_SIZE &&
        pp_get_u16 (p) == PP_WIRE_MAGIC && p[2] != PP_WIRE_VERSION &&
        p[3] == PP_MSG_STATE)
        *version = p[2];
    return pp_net_take (&msg, false, in, rejects);
}

/*  The STATE of in into counts and settings: 0, or PP_EPROTO (counted). */
static int
s_state (const pp_inmsg_t *in, pp_state_t *counts, pp_settings_t *settings,
         uint64_t rejects[PP_REJECT_COUNT])
{
    if (in->hdr.flags < PP_STATE_WAITING || in->hdr.flags > PP_STATE_ABORTED ||
        in->size != PP_STATE_PAYLOAD_SIZE + PP_SETTINGS_SIZE ||
        pp_wire_decode_state (in->payload, PP_STATE_PAYLOAD_SIZE, counts) !=
            0 ||
        pp_wire_decode_settings (in->payload + PP_STATE_PAYLOAD_SIZE,
                                 PP_SETTINGS_SIZE, settings) != 0) {
        rejects[PP_REJECT_SHORT]++;
        return PP_EPROTO;
    }
    return 0;
}

/*  A HELLO of the RENAME payload at p (PP_RENAME_HALF bytes, the host
    NUL-padded) into hello: 0 or PP_EPROTO.                                */
static int
s_hello (const uint8_t *p, pp_hello_t *hello)
{
    size_t host = strnlen ((const char *) p + PP_HELLO_PAYLOAD_MIN,
                           PP_RENAME_HALF - PP_HELLO_PAYLOAD_MIN);
    return pp_wire_decode_hello (p, PP_HELLO_PAYLOAD_MIN + host, hello);
}

/*  The RENAME of in into rename: 0, or PP_EPROTO (counted).              */
static int
s_rename (const pp_inmsg_t *in, pp_rename_t *rename,
          uint64_t rejects[PP_REJECT_COUNT])
{
    if (in->size != PP_RENAME_SIZE ||
        s_hello (in->payload, &rename->worker) != 0 ||
        s_hello (in->payload + PP_RENAME_HALF, &rename->owner) != 0) {
        rejects[PP_REJECT_SHORT]++;
        return PP_EPROTO;
    }
    rename->worker_id = in->hdr.worker_id;
    return 0;
}

int
pp_ctl_recv_any (zsock_t *sub, pp_header_t *hdr, pp_state_t *counts,
                 pp_settings_t *settings, pp_rename_t *rename, uint8_t *version,
                 uint64_t rejects[PP_REJECT_COUNT])
{
    pp_inmsg_t in;
    int rc = s_recv (sub, &in, version, rejects);
    if (rc != 0)
        return rc;
    if (in.hdr.type == PP_MSG_STATE)
        rc = s_state (&in, counts, settings, rejects);
    else if (in.hdr.type == PP_MSG_RENAME)
        rc = s_rename (&in, rename, rejects);
    else {
        rejects[PP_REJECT_TYPE]++;
        rc = PP_EPROTO;
    }
    if (rc == 0)
        *hdr = in.hdr;
    pp_inmsg_free (&in);
    return rc;
}

int
pp_ctl_recv (zsock_t *sub, pp_header_t *hdr, pp_state_t *counts,
             pp_settings_t *settings, uint8_t *version,
             uint64_t rejects[PP_REJECT_COUNT])
{
    pp_rename_t rename;
    int rc =
        pp_ctl_recv_any (sub, hdr, counts, settings, &rename, version, rejects);
    return rc == 0 && hdr->type == PP_MSG_RENAME ? PP_EAGAIN : rc;
}

void
pp_ctl_rename (zsock_t *pub, uint64_t run_id, uint32_t worker_id,
               const pp_hello_t *worker, const pp_hello_t *owner)
{
    uint8_t payload[PP_RENAME_SIZE] = {0};
    pp_wire_encode_hello (worker, payload);
    pp_wire_encode_hello (owner, payload + PP_RENAME_HALF);
    pp_header_t hdr = {
        .type = PP_MSG_RENAME, .run_id = run_id, .worker_id = worker_id};
    pp_net_send (pub, NULL, &hdr, payload, sizeof (payload), true);
}

/*  A host name byte as a decoded HELLO has it (pp_wire_decode_hello).   */
static char
s_printable (char c)
{
    return c < 0x21 || c > 0x7e ? '?' : c;
}

bool
pp_ctl_same_worker (const pp_hello_t *a, const pp_hello_t *b)
{
    if (a->pid != b->pid)
        return false;
    size_t n = strnlen (a->host, sizeof (a->host) - 1);
    if (n != strnlen (b->host, sizeof (b->host) - 1))
        return false;
    for (size_t i = 0; i < n; i++) /* ours, raw, may meet it decoded   */
        if (s_printable (a->host[i]) != s_printable (b->host[i]))
            return false;
    return true;
}

bool
pp_ctl_rename_is_me (const pp_rename_t *rename, uint32_t worker_id,
                     const pp_hello_t *hello)
{
    return rename->worker_id == worker_id &&
           pp_ctl_same_worker (&rename->worker, hello);
}

void
pp_ctl_size_text (uint64_t bytes, char *out, size_t size)
{
    static const char units[] = "GMK";
    for (int i = 0; i < 3; i++) {
        uint64_t unit = 1ULL << (10 * (3 - i));
        if (bytes >= unit && bytes % unit == 0) {
            snprintf (out, size, "%llu%c", (unsigned long long) (bytes / unit),
                      units[i]);
            return;
        }
    }
    snprintf (out, size, "%llu", (unsigned long long) bytes);
}

static const char *
s_flow_name (unsigned flow)
{
    return flow == PP_FLOW_CREDIT ? "credit" : "push";
}

int
pp_ctl_adopt (pp_common_t *common, const pp_settings_t *run, char *why,
              size_t size)
{
    pp_flow_t flow = common->flow;
    uint64_t max_item = common->max_item;
    if (!(common->given & PP_GIVEN_FLOW))
        common->flow = (pp_flow_t) run->flow;
    if (!(common->given & PP_GIVEN_MAX_ITEM))
        common->max_item = run->max_item;
    char ours[32], theirs[32];
    pp_ctl_size_text (max_item, ours, sizeof (ours));
    pp_ctl_size_text (run->max_item, theirs, sizeof (theirs));
    if (common->flow != run->flow)
        return pp_config_why (
            why, size,
            "--flow %s: the ventilator runs --flow %s; give every process "
            "the same --flow, or leave it out to take the ventilator's",
            s_flow_name (flow), s_flow_name (run->flow));
    if (common->max_item != run->max_item)
        return pp_config_why (
            why, size,
            "--max-item-size %s: the ventilator runs --max-item-size %s; "
            "give every process the same size, or leave it out to take the "
            "ventilator's",
            ours, theirs);
    return 0;
}

int
pp_ctl_hello_check (const pp_settings_t *run, const pp_hello_t *hello,
                    char *why, size_t size)
{
    char ours[32], theirs[32];
    if (hello->flow != run->flow)
        return pp_config_why (
            why, size, "it runs --flow %s, this run --flow %s",
            s_flow_name (hello->flow), s_flow_name (run->flow));
    pp_ctl_size_text (hello->max_item, theirs, sizeof (theirs));
    pp_ctl_size_text (run->max_item, ours, sizeof (ours));
    if (hello->max_item != 0 && hello->max_item != run->max_item)
        return pp_config_why (
            why, size,
            "it runs --max-item-size %s, this run --max-item-size %s", theirs,
            ours);
    return 0;
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
