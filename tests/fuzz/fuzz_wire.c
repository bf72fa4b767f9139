/*  fuzz_wire: libFuzzer harness for the pp_wire decoders (pp_wire.h).

    One input is cut into the two frames of a message, and every decoder is
    fed both (tests/fuzz/README.md has the layout):
      data[0]       selector: bits 0-5 max_item (0..63), bit 6 no item
                    limit (SIZE_MAX), bit 7 both frames are data[1..]
      data[1..33)   frame 1, the header (shorter if the input is)
      data[33..)    frame 2, the payload
    Each frame is copied to a malloc'd buffer of exactly its size, so that
    ASan reports a read one byte past a frame. A broken invariant aborts.   */

#include "pp_error.h"
#include "pp_wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEL_MAX_ITEM 0x3f  /* max_item in the low six bits              */
#define SEL_UNLIMITED 0x40 /* max_item = SIZE_MAX                       */
#define SEL_OVERLAP 0x80   /* frame 1 and frame 2 are both data[1..]     */
#define HOST_MAX 63        /* host bytes a hello can carry              */

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            s_fail (#cond, __LINE__);                                          \
    } while (0)

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
s_fail (const char *what, int line)
{
    fprintf (stderr, "fuzz_wire.c:%d: invariant broken: %s\n", line, what);
    abort ();
}

/*  Returns a heap copy of exactly size bytes (NULL only when size is 0 and
    malloc (0) returns NULL, which every decoder accepts with size 0).     */
static uint8_t *
s_copy (const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc (size);
    if (!copy && size > 0)
        abort ();
    if (size > 0)
        memcpy (copy, data, size);
    return copy;
}

/*  Decodes frame 1; on success re-encodes and decodes it again. Returns
    true when the frame is a valid header, filling *hdr.                   */
static bool
s_header (const uint8_t *frame, size_t size, pp_header_t *hdr)
{
    pp_reject_t reason = PP_REJECT_COUNT;
    int rc = pp_wire_decode_header (frame, size, hdr, &reason);
    if (rc != 0) {
        CHECK (rc == PP_EPROTO);
        CHECK (reason == PP_REJECT_SHORT || reason == PP_REJECT_VERSION ||
               reason == PP_REJECT_TYPE);
        CHECK ((reason == PP_REJECT_SHORT) == (size < PP_WIRE_HEADER_SIZE));
        CHECK (strcmp (pp_reject_name (reason), "unknown") != 0);
        CHECK (pp_strerror (rc) != NULL);
        return false;
    }
    CHECK (size == PP_WIRE_HEADER_SIZE);
    CHECK (hdr->version == PP_WIRE_VERSION);
    CHECK (hdr->type >= 1 && hdr->type <= PP_MSG_TYPE_MAX);

    uint8_t *out = malloc (PP_WIRE_HEADER_SIZE);
    if (!out)
        abort ();
    pp_wire_encode_header (hdr, out);
    /*  Every byte but the reserved 6..7 (ignored by decode) comes back.   */
    CHECK (memcmp (out, frame, 6) == 0);
    CHECK (out[6] == 0 && out[7] == 0);
    CHECK (memcmp (out + 8, frame + 8, PP_WIRE_HEADER_SIZE - 8) == 0);
    pp_header_t again;
    CHECK (pp_wire_decode_header (out, PP_WIRE_HEADER_SIZE, &again, &reason) ==
           0);
    CHECK (again.version == hdr->version && again.type == hdr->type &&
           again.flags == hdr->flags && again.run_id == hdr->run_id &&
           again.seq == hdr->seq && again.worker_id == hdr->worker_id &&
           again.count == hdr->count);
    free (out);
    return true;
}

/*  The longest data a record may hold: max_item, or for a failed or
    dropped record whose data is a reason (not its input too) at least
    PP_WIRE_REASON_MAX.                                                    */
static size_t
s_ref_data_max (unsigned outcome, bool input_is_data, size_t max_item)
{
    bool why = outcome != PP_OUTCOME_OK && !input_is_data;
    return why && max_item < PP_WIRE_REASON_MAX ? PP_WIRE_REASON_MAX : max_item;
}

/*  Bytes the record at p takes after its header, or UINT64_MAX when it
    breaks a rule: outcome <= 2, len <= s_ref_data_max, input_len <=
    max_item, no input of its own when flagged "input is the data".       */
static uint64_t
s_ref_body (const uint8_t *p, size_t max_item)
{
    uint64_t len = pp_get_u32 (p + 40), input = pp_get_u32 (p + 44);
    if (p[48] > PP_OUTCOME_DROPPED ||
        len > s_ref_data_max (p[48], p[52] & 1, max_item) || input > max_item ||
        ((p[52] & 1) && input > 0))
        return UINT64_MAX;
    return len + input;
}

/*  An independent model of pp_wire_check_batch: 0 when size bytes hold
    exactly count well-formed records (count > 0), else PP_EPROTO. Uses
    64-bit ends, so it cannot wrap.                                       */
static int
s_ref_check_batch (const uint8_t *p, size_t size, uint32_t count,
                   size_t max_item)
{
    uint64_t offset = 0;
    for (uint64_t i = 0; i < count; i++) {
        if (offset + PP_WIRE_RECORD_SIZE > size)
            return PP_EPROTO;
        uint64_t body = s_ref_body (p + offset, max_item);
        if (body == UINT64_MAX)
            return PP_EPROTO;
        offset += PP_WIRE_RECORD_SIZE + body;
        if (offset > size)
            return PP_EPROTO;
    }
    return count > 0 && offset == size ? 0 : PP_EPROTO;
}

/*  Number of records that chain exactly to size under max_item, or 0: the
    count that makes a payload valid, so deep walks need no lucky header.  */
static uint32_t
s_ref_count (const uint8_t *p, size_t size, size_t max_item)
{
    uint64_t offset = 0;
    uint32_t count = 0;
    while (offset + PP_WIRE_RECORD_SIZE <= size) {
        uint64_t body = s_ref_body (p + offset, max_item);
        if (body == UINT64_MAX)
            return 0;
        offset += PP_WIRE_RECORD_SIZE + body;
        count++;
    }
    return offset == size ? count : 0;
}

/*  Walks a checked batch and re-encodes it record by record into a fresh
    buffer of exactly size bytes, which must check and walk the same.      */
static void
s_walk_batch (const uint8_t *p, size_t size, uint32_t count, size_t max_item)
{
    uint8_t *out = malloc (size);
    if (!out)
        abort ();
    size_t offset = 0, written = 0;
    uint32_t walked = 0;
    pp_record_t rec;
    while (pp_wire_next_record (p, size, &offset, &rec)) {
        size_t start = written;
        CHECK (walked < count);
        CHECK (rec.len <= s_ref_data_max (rec.outcome,
                                          rec.len > 0 && rec.input == rec.data,
                                          max_item));
        CHECK (rec.input_len <= max_item);
        CHECK (rec.outcome <= PP_OUTCOME_DROPPED);
        CHECK (rec.len <= size);
        /*  An input equal to the data is sent once whatever the flag said,
            so the re-encoded record may be shorter than the one read.    */
        size_t again = pp_wire_record_size (&rec);
        CHECK (written + again <= size);
        CHECK (pp_wire_encode_record (&rec, out + start) == again);
        CHECK (memcmp (out + start + PP_WIRE_RECORD_SIZE, rec.data, rec.len) ==
               0);
        written += again;
        walked++;
    }
    CHECK (walked == count);
    CHECK (offset == size && written <= size);

    pp_reject_t reason;
    CHECK (pp_wire_check_batch (out, written, count, max_item, &reason) == 0);
    size_t a = 0, b = 0;
    pp_record_t ra, rb;
    while (pp_wire_next_record (p, size, &a, &ra)) {
        CHECK (pp_wire_next_record (out, written, &b, &rb));
        CHECK (ra.seq == rb.seq && ra.t_enq_us == rb.t_enq_us &&
               ra.record == rb.record && ra.start_us == rb.start_us &&
               ra.runtime_us == rb.runtime_us && ra.len == rb.len &&
               ra.input_len == rb.input_len && ra.outcome == rb.outcome &&
               ra.attempt == rb.attempt && ra.status == rb.status);
        CHECK (memcmp (ra.data, rb.data, ra.len) == 0);
        CHECK (ra.input_len == 0 ||
               memcmp (ra.input, rb.input, ra.input_len) == 0);
    }
    CHECK (!pp_wire_next_record (out, written, &b, &rb));
    CHECK (a == size && b == written);
    free (out);
}

/*  Checks the payload as a batch of count records; walks it if it passes. */
static void
s_batch (const uint8_t *p, size_t size, uint32_t count, size_t max_item)
{
    pp_reject_t reason = PP_REJECT_COUNT;
    int rc = pp_wire_check_batch (p, size, count, max_item, &reason);
    CHECK (rc == s_ref_check_batch (p, size, count, max_item));
    if (rc != 0) {
        CHECK (rc == PP_EPROTO);
        CHECK (reason == PP_REJECT_BATCH || reason == PP_REJECT_OVERSIZE);
        return;
    }
    s_walk_batch (p, size, count, max_item);
}

/*  Decodes the payload as STATE / COMPLETE and round-trips a success.     */
static void
s_state (const uint8_t *p, size_t size)
{
    pp_state_t st;
    if (pp_wire_decode_state (p, size, &st) != 0)
        return;
    CHECK (size == PP_STATE_PAYLOAD_SIZE);
    CHECK (st.window > 0);
    uint8_t *out = malloc (PP_STATE_PAYLOAD_SIZE);
    if (!out)
        abort ();
    pp_wire_encode_state (&st, out);
    CHECK (memcmp (out, p, PP_STATE_PAYLOAD_SIZE) == 0);
    pp_state_t again;
    CHECK (pp_wire_decode_state (out, PP_STATE_PAYLOAD_SIZE, &again) == 0);
    CHECK (again.sent == st.sent && again.total == st.total &&
           again.window == st.window && again.ok == st.ok &&
           again.failed == st.failed && again.dropped == st.dropped &&
           again.retries == st.retries && again.expected == st.expected &&
           again.expected_exact == st.expected_exact);
    free (out);
}

/*  Decodes the payload as run settings (STATE's tail, after its counts)
    and round-trips a success.                                             */
static void
s_settings (const uint8_t *p, size_t size)
{
    pp_settings_t st;
    if (pp_wire_decode_settings (p, size, &st) != 0)
        return;
    CHECK (size == PP_SETTINGS_SIZE);
    CHECK (st.max_item >= 1 && st.max_item <= PP_SETTINGS_MAX_ITEM);
    CHECK (st.flow <= 1);
    uint8_t *out = malloc (PP_SETTINGS_SIZE);
    if (!out)
        abort ();
    pp_wire_encode_settings (&st, out);
    CHECK (memcmp (out, p, PP_SETTINGS_SIZE) == 0);
    free (out);
}

/*  Decodes the payload as HELLO: the host must come out NUL-terminated and
    printable, and re-encode to the input with '?' for what was not.      */
static void
s_hello (const uint8_t *p, size_t size)
{
    pp_hello_t hello;
    if (pp_wire_decode_hello (p, size, &hello) != 0)
        return;
    CHECK (size >= PP_HELLO_PAYLOAD_MIN);
    CHECK (size - PP_HELLO_PAYLOAD_MIN <= HOST_MAX);
    CHECK (hello.flow <= 1);
    size_t host_len = strnlen (hello.host, sizeof (hello.host));
    CHECK (host_len < sizeof (hello.host));
    CHECK (host_len == size - PP_HELLO_PAYLOAD_MIN);
    for (size_t i = 0; i < host_len; i++)
        CHECK (hello.host[i] >= 0x21 && hello.host[i] <= 0x7e);

    uint8_t *out = malloc (80); /* the documented bound of encode      */
    if (!out)
        abort ();
    size_t n = pp_wire_encode_hello (&hello, out);
    CHECK (n == size);
    CHECK (memcmp (out, p, PP_HELLO_PAYLOAD_MIN) == 0);
    for (size_t i = PP_HELLO_PAYLOAD_MIN; i < size; i++)
        CHECK (out[i] == (p[i] >= 0x21 && p[i] <= 0x7e ? p[i] : '?'));
    pp_hello_t again;
    CHECK (pp_wire_decode_hello (out, n, &again) == 0);
    CHECK (again.pid == hello.pid && again.threads == hello.threads &&
           again.capacity == hello.capacity && again.flow == hello.flow &&
           again.max_item == hello.max_item &&
           strcmp (again.host, hello.host) == 0);
    free (out);
}

/*  Decodes ACK range index of the payload; round-trips a success.        */
static void
s_range (const uint8_t *p, size_t size, uint32_t index)
{
    uint64_t first, n;
    bool fits =
        (uint64_t) index * PP_ACK_RANGE_SIZE + PP_ACK_RANGE_SIZE <= size;
    if (pp_wire_decode_range (p, size, index, &first, &n) != 0)
        return;
    CHECK (fits);
    CHECK (n >= 1 && first + n > first);
    const uint8_t *at = p + (size_t) index * PP_ACK_RANGE_SIZE;
    CHECK (first == pp_get_u64 (at) && n == pp_get_u64 (at + 8));
    uint8_t *out = malloc (PP_ACK_RANGE_SIZE);
    if (!out)
        abort ();
    pp_wire_encode_range (first, n, out);
    CHECK (memcmp (out, at, PP_ACK_RANGE_SIZE) == 0);
    uint64_t first2, n2;
    CHECK (pp_wire_decode_range (out, PP_ACK_RANGE_SIZE, 0, &first2, &n2) == 0);
    CHECK (first2 == first && n2 == n);
    free (out);
}

/*  Every range index up to count (bounded by what fits, plus one past it)
    and a few far-away indices, which must all fail.                       */
static void
s_ranges (const uint8_t *p, size_t size, uint32_t count)
{
    uint64_t fit = size / PP_ACK_RANGE_SIZE;
    uint64_t last = count < fit + 1 ? count : fit + 1;
    for (uint64_t i = 0; i <= last; i++)
        s_range (p, size, (uint32_t) i);
    s_range (p, size, count);
    s_range (p, size, UINT32_MAX);
    s_range (p, size, UINT32_MAX / PP_ACK_RANGE_SIZE + 1); /* 2^32 bytes */
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    uint8_t sel = data[0];
    size_t max_item = sel & SEL_UNLIMITED ? SIZE_MAX : sel & SEL_MAX_ITEM;
    const uint8_t *rest = data + 1;
    size_t rest_size = size - 1;
    size_t head_size =
        rest_size < PP_WIRE_HEADER_SIZE ? rest_size : PP_WIRE_HEADER_SIZE;
    const uint8_t *body = rest + head_size;
    size_t body_size = rest_size - head_size;
    if (sel & SEL_OVERLAP) {
        head_size = rest_size;
        body = rest;
        body_size = rest_size;
    }
    uint8_t *head = s_copy (rest, head_size);
    uint8_t *payload = s_copy (body, body_size);

    pp_header_t hdr;
    bool have_hdr = s_header (head, head_size, &hdr);
    static const uint32_t fixed[] = {0, 1, 2, 3, UINT32_MAX};
    for (size_t i = 0; i < sizeof (fixed) / sizeof (fixed[0]); i++)
        s_batch (payload, body_size, fixed[i], max_item);
    if (have_hdr)
        s_batch (payload, body_size, hdr.count, max_item);
    s_batch (payload, body_size, s_ref_count (payload, body_size, max_item),
             max_item);
    s_state (payload, body_size);
    s_settings (payload, body_size);
    if (body_size >= PP_STATE_PAYLOAD_SIZE) /* STATE: counts, settings  */
        s_settings (payload + PP_STATE_PAYLOAD_SIZE,
                    body_size - PP_STATE_PAYLOAD_SIZE);
    s_hello (payload, body_size);
    s_ranges (payload, body_size,
              have_hdr ? hdr.count
                       : (uint32_t) (body_size / PP_ACK_RANGE_SIZE));

    free (head);
    free (payload);
    return 0;
}
