/*  pp_wire: header, batch, state, hello and ack codecs.

    Layout of frame 1 (all integers big-endian):
      0 magic u16 | 2 version u8 | 3 type u8 | 4 flags u16 | 6 zero u16
      8 run_id u64 | 16 seq u64 | 24 worker_id u32 | 28 count u32
    Layout of a batch record:
      0 seq u64 | 8 t_enq_us u64 | 16 record u64 | 24 start_us u64
      32 runtime_us u64 | 40 len u32 | 44 input_len u32 | 48 outcome u8
      49 attempt u8 | 50 status i16 | 52 flags u8 | 53 zero u8[3]
      56 data[len] | input[input_len]
    flags bit 0: the input is the data (input_len is then 0 on the wire). */

#include "pp_wire.h"
#include "pp_error.h"

#include <string.h>

void
pp_put_u16 (uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t) (v >> 8);
    p[1] = (uint8_t) v;
}

void
pp_put_u32 (uint8_t *p, uint32_t v)
{
    pp_put_u16 (p, (uint16_t) (v >> 16));
    pp_put_u16 (p + 2, (uint16_t) v);
}

void
pp_put_u64 (uint8_t *p, uint64_t v)
{
    pp_put_u32 (p, (uint32_t) (v >> 32));
    pp_put_u32 (p + 4, (uint32_t) v);
}

uint16_t
pp_get_u16 (const uint8_t *p)
{
    return (uint16_t) ((p[0] << 8) | p[1]);
}

uint32_t
pp_get_u32 (const uint8_t *p)
{
    return ((uint32_t) pp_get_u16 (p) << 16) | pp_get_u16 (p + 2);
}

uint64_t
pp_get_u64 (const uint8_t *p)
{
    return ((uint64_t) pp_get_u32 (p) << 32) | pp_get_u32 (p + 4);
}

const char *
pp_reject_name (pp_reject_t reason)
{
    static const char *names[PP_REJECT_COUNT] = {
        "short",     "bad_version",     "unknown_type",
        "oversized", "malformed_batch", "foreign_run"};
    return reason < PP_REJECT_COUNT ? names[reason] : "unknown";
}

void
pp_wire_encode_header (const pp_header_t *hdr, uint8_t *out)
{
    pp_put_u16 (out, PP_WIRE_MAGIC);
    out[2] = PP_WIRE_VERSION;
    out[3] = hdr->type;
    pp_put_u16 (out + 4, hdr->flags);
    pp_put_u16 (out + 6, 0);
    pp_put_u64 (out + 8, hdr->run_id);
    pp_put_u64 (out + 16, hdr->seq);
    pp_put_u32 (out + 24, hdr->worker_id);
    pp_put_u32 (out + 28, hdr->count);
}

int
pp_wire_decode_header (const void *data, size_t size, pp_header_t *hdr,
                       pp_reject_t *reason)
{
    const uint8_t *p = data;
    if (size != PP_WIRE_HEADER_SIZE) {
        *reason =
            size < PP_WIRE_HEADER_SIZE ? PP_REJECT_SHORT : PP_REJECT_VERSION;
        return PP_EPROTO;
    }
    if (pp_get_u16 (p) != PP_WIRE_MAGIC || p[2] != PP_WIRE_VERSION) {
        *reason = PP_REJECT_VERSION;
        return PP_EPROTO;
    }
    if (p[3] < 1 || p[3] > PP_MSG_TYPE_MAX) {
        *reason = PP_REJECT_TYPE;
        return PP_EPROTO;
    }
    hdr->version = p[2];
    hdr->type = p[3];
    hdr->flags = pp_get_u16 (p + 4);
    hdr->run_id = pp_get_u64 (p + 8);
    hdr->seq = pp_get_u64 (p + 16);
    hdr->worker_id = pp_get_u32 (p + 24);
    hdr->count = pp_get_u32 (p + 28);
    return 0;
}

enum { S_INPUT_IS_DATA = 1 };

/*  True when rec's input is its data byte for byte (sent once).           */
static bool
s_input_is_data (const pp_record_t *rec)
{
    return rec->input_len == rec->len && rec->len > 0 &&
           (rec->input == rec->data ||
            memcmp (rec->input, rec->data, rec->len) == 0);
}

size_t
pp_wire_record_size (const pp_record_t *rec)
{
    size_t input = s_input_is_data (rec) ? 0 : rec->input_len;
    return PP_WIRE_RECORD_SIZE + rec->len + input;
}

/*  The record header of rec, same: its input is its data (not sent).    */
static void
s_encode_head (const pp_record_t *rec, bool same, uint8_t *out)
{
    uint32_t input = same ? 0 : rec->input_len;
    pp_put_u64 (out, rec->seq);
    pp_put_u64 (out + 8, rec->t_enq_us);
    pp_put_u64 (out + 16, rec->record);
    pp_put_u64 (out + 24, rec->start_us);
    pp_put_u64 (out + 32, rec->runtime_us);
    pp_put_u32 (out + 40, rec->len);
    pp_put_u32 (out + 44, input);
    out[48] = rec->outcome;
    out[49] = rec->attempt;
    pp_put_u16 (out + 50, (uint16_t) rec->status);
    out[52] = same ? S_INPUT_IS_DATA : 0;
    memset (out + 53, 0, 3);
}

void
pp_wire_encode_record_head (const pp_record_t *rec, uint8_t *out)
{
    s_encode_head (rec, s_input_is_data (rec), out);
}

size_t
pp_wire_encode_record (const pp_record_t *rec, uint8_t *out)
{
    bool same = s_input_is_data (rec);
    uint32_t input = same ? 0 : rec->input_len;
    s_encode_head (rec, same, out);
    uint8_t *at = out + PP_WIRE_RECORD_SIZE;
    if (rec->len > 0)
        memcpy (at, rec->data, rec->len);
    if (input > 0)
        memcpy (at + rec->len, rec->input, input);
    return PP_WIRE_RECORD_SIZE + rec->len + input;
}

/*  Checks the record at p (left bytes to the end of the payload); returns
    its size, or 0 with *reason set.                                       */
static size_t
s_check_record (const uint8_t *p, size_t left, size_t max_item,
                pp_reject_t *reason)
{
    if (left < PP_WIRE_RECORD_SIZE) {
        *reason = PP_REJECT_BATCH;
        return 0;
    }
    uint32_t len = pp_get_u32 (p + 40);
    uint32_t input = pp_get_u32 (p + 44);
    bool bad = p[48] > PP_OUTCOME_DROPPED ||
               ((p[52] & S_INPUT_IS_DATA) && input > 0) ||
               left - PP_WIRE_RECORD_SIZE < (size_t) len + input;
    /*  A failed or dropped record's data is its reason, not an item
        (unless it is its input too).                                     */
    bool why = p[48] != PP_OUTCOME_OK && !(p[52] & S_INPUT_IS_DATA);
    size_t data_max =
        why && max_item < PP_WIRE_REASON_MAX ? PP_WIRE_REASON_MAX : max_item;
    if (len > data_max || input > max_item)
        *reason = PP_REJECT_OVERSIZE;
    else if (bad)
        *reason = PP_REJECT_BATCH;
    else
        return PP_WIRE_RECORD_SIZE + (size_t) len + input;
    return 0;
}

int
pp_wire_check_batch (const void *data, size_t size, uint32_t count,
                     size_t max_item, pp_reject_t *reason)
{
    const uint8_t *p = data;
    size_t offset = 0;
    for (uint32_t i = 0; i < count; i++) {
        size_t used =
            s_check_record (p + offset, size - offset, max_item, reason);
        if (used == 0)
            return PP_EPROTO;
        offset += used;
    }
    if (offset != size || count == 0) {
        *reason = PP_REJECT_BATCH;
        return PP_EPROTO;
    }
    return 0;
}

bool
pp_wire_next_record (const void *data, size_t size, size_t *offset,
                     pp_record_t *rec)
{
    const uint8_t *p = (const uint8_t *) data + *offset;
    if (*offset + PP_WIRE_RECORD_SIZE > size)
        return false;
    rec->seq = pp_get_u64 (p);
    rec->t_enq_us = pp_get_u64 (p + 8);
    rec->record = pp_get_u64 (p + 16);
    rec->start_us = pp_get_u64 (p + 24);
    rec->runtime_us = pp_get_u64 (p + 32);
    rec->len = pp_get_u32 (p + 40);
    rec->input_len = pp_get_u32 (p + 44);
    rec->outcome = p[48];
    rec->attempt = p[49];
    rec->status = (int16_t) pp_get_u16 (p + 50);
    rec->data = (const char *) p + PP_WIRE_RECORD_SIZE;
    rec->input = rec->data + rec->len;
    if (p[52] & S_INPUT_IS_DATA) {
        rec->input = rec->data;
        rec->input_len = rec->len;
    }
    *offset += PP_WIRE_RECORD_SIZE + rec->len +
               (p[52] & S_INPUT_IS_DATA ? 0 : pp_get_u32 (p + 44));
    return true;
}

void
pp_wire_encode_state (const pp_state_t *state, uint8_t *out)
{
    pp_put_u64 (out, state->sent);
    pp_put_u64 (out + 8, state->total);
    pp_put_u32 (out + 16, state->window);
    pp_put_u64 (out + 20, state->ok);
    pp_put_u64 (out + 28, state->failed);
    pp_put_u64 (out + 36, state->dropped);
    pp_put_u32 (out + 44, state->retries);
    pp_put_u64 (out + 48, state->expected);
    out[56] = state->expected_exact ? 1 : 0;
}

int
pp_wire_decode_state (const void *data, size_t size, pp_state_t *state)
{
    const uint8_t *p = data;
    if (size != PP_STATE_PAYLOAD_SIZE)
        return PP_EPROTO;
    state->sent = pp_get_u64 (p);
    state->total = pp_get_u64 (p + 8);
    state->window = pp_get_u32 (p + 16);
    state->ok = pp_get_u64 (p + 20);
    state->failed = pp_get_u64 (p + 28);
    state->dropped = pp_get_u64 (p + 36);
    state->retries = pp_get_u32 (p + 44);
    state->expected = pp_get_u64 (p + 48);
    state->expected_exact = p[56] == 1;
    if (state->window == 0 || p[56] > 1)
        return PP_EPROTO;
    return 0;
}

void
pp_wire_encode_settings (const pp_settings_t *settings, uint8_t *out)
{
    pp_put_u64 (out, settings->max_item);
    pp_put_u32 (out + 8, settings->heartbeat_ms);
    out[12] = settings->flow;
    out[13] = out[14] = out[15] = 0;
}

int
pp_wire_decode_settings (const void *data, size_t size, pp_settings_t *settings)
{
    const uint8_t *p = data;
    if (size != PP_SETTINGS_SIZE)
        return PP_EPROTO;
    settings->max_item = pp_get_u64 (p);
    settings->heartbeat_ms = pp_get_u32 (p + 8);
    settings->flow = p[12];
    if (settings->max_item == 0 || settings->max_item > PP_SETTINGS_MAX_ITEM ||
        settings->flow > 1 || p[13] || p[14] || p[15])
        return PP_EPROTO;
    return 0;
}

size_t
pp_wire_encode_hello (const pp_hello_t *hello, uint8_t *out)
{
    size_t host_len = strnlen (hello->host, sizeof (hello->host) - 1);
    pp_put_u32 (out, hello->pid);
    pp_put_u32 (out + 4, hello->threads);
    pp_put_u32 (out + 8, hello->capacity);
    out[12] = hello->flow;
    pp_put_u32 (out + 13, hello->max_item);
    memcpy (out + PP_HELLO_PAYLOAD_MIN, hello->host, host_len);
    return PP_HELLO_PAYLOAD_MIN + host_len;
}

int
pp_wire_decode_hello (const void *data, size_t size, pp_hello_t *hello)
{
    const uint8_t *p = data;
    if (size < PP_HELLO_PAYLOAD_MIN ||
        size - PP_HELLO_PAYLOAD_MIN >= sizeof (hello->host))
        return PP_EPROTO;
    hello->pid = pp_get_u32 (p);
    hello->threads = pp_get_u32 (p + 4);
    hello->capacity = pp_get_u32 (p + 8);
    hello->flow = p[12];
    hello->max_item = pp_get_u32 (p + 13);
    size_t host_len = size - PP_HELLO_PAYLOAD_MIN;
    memcpy (hello->host, p + PP_HELLO_PAYLOAD_MIN, host_len);
    hello->host[host_len] = '\0';
    for (size_t i = 0; i < host_len; i++)
        if (hello->host[i] < 0x21 || hello->host[i] > 0x7e)
            hello->host[i] = '?'; /* printable only: it reaches a tty   */
    if (hello->flow > 1)
        return PP_EPROTO;
    return 0;
}

void
pp_wire_encode_range (uint64_t first, uint64_t n, uint8_t *out)
{
    pp_put_u64 (out, first);
    pp_put_u64 (out + 8, n);
}

int
pp_wire_decode_range (const void *data, size_t size, uint32_t index,
                      uint64_t *first, uint64_t *n)
{
    size_t offset = (size_t) index * PP_ACK_RANGE_SIZE;
    if (offset + PP_ACK_RANGE_SIZE > size)
        return PP_EPROTO;
    *first = pp_get_u64 ((const uint8_t *) data + offset);
    *n = pp_get_u64 ((const uint8_t *) data + offset + 8);
    if (*n == 0 || *first + *n < *first)
        return PP_EPROTO;
    return 0;
}
