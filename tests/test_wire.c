/*  test_wire: unit tests of pp_wire, the wire codecs (pp_wire.h).

    Every decoder is fed buffers allocated to the exact size under test, so
    that AddressSanitizer reports any read past the end of a frame.         */

#include "pp_error.h"
#include "pp_wire.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/*  A reason no decoder sets: shows whether *reason was written.           */
#define NO_REASON PP_REJECT_COUNT

/*  Returns a heap copy of size bytes of data, exactly size bytes long.    */
static uint8_t *
s_copy (const void *data, size_t size)
{
    uint8_t *copy = malloc (size > 0 ? size : 1);
    assert_non_null (copy);
    if (size > 0)
        memcpy (copy, data, size);
    return copy;
}

/*  Decodes size bytes of data as a header from an exact-size copy.        */
static int
s_decode_header (const void *data, size_t size, pp_header_t *hdr,
                 pp_reject_t *reason)
{
    uint8_t *copy = s_copy (data, size);
    *reason = NO_REASON;
    int rc = pp_wire_decode_header (copy, size, hdr, reason);
    free (copy);
    return rc;
}

/*  Checks size bytes of data as a batch from an exact-size copy.          */
static int
s_check_batch (const void *data, size_t size, uint32_t count, size_t max_item,
               pp_reject_t *reason)
{
    uint8_t *copy = s_copy (data, size);
    *reason = NO_REASON;
    int rc = pp_wire_check_batch (copy, size, count, max_item, reason);
    free (copy);
    return rc;
}

static int
s_decode_hello (const void *data, size_t size, pp_hello_t *hello)
{
    uint8_t *copy = s_copy (data, size);
    int rc = pp_wire_decode_hello (copy, size, hello);
    free (copy);
    return rc;
}

static int
s_decode_state (const void *data, size_t size, pp_state_t *state)
{
    uint8_t *copy = s_copy (data, size);
    int rc = pp_wire_decode_state (copy, size, state);
    free (copy);
    return rc;
}

static int
s_decode_range (const void *data, size_t size, uint32_t index, uint64_t *first,
                uint64_t *n)
{
    uint8_t *copy = s_copy (data, size);
    int rc = pp_wire_decode_range (copy, size, index, first, n);
    free (copy);
    return rc;
}

/*  ---------------------------------------------------------------------
    Big-endian helpers and reject names                                     */

static void
test_byte_order (void **state)
{
    (void) state;
    uint8_t buf[8];
    pp_put_u16 (buf, 0x0102);
    assert_memory_equal (buf, "\x01\x02", 2);
    assert_int_equal (pp_get_u16 (buf), 0x0102);
    pp_put_u32 (buf, 0x01020304);
    assert_memory_equal (buf, "\x01\x02\x03\x04", 4);
    assert_int_equal (pp_get_u32 (buf), 0x01020304);
    pp_put_u64 (buf, 0x0102030405060708ULL);
    assert_memory_equal (buf, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    assert_true (pp_get_u64 (buf) == 0x0102030405060708ULL);
    pp_put_u64 (buf, UINT64_MAX);
    assert_true (pp_get_u64 (buf) == UINT64_MAX);
    pp_put_u32 (buf, 0xfedcba98);
    assert_true (pp_get_u32 (buf) == 0xfedcba98);
    pp_put_u16 (buf, 0xff80);
    assert_int_equal (pp_get_u16 (buf), 0xff80);
}

static void
test_reject_names (void **state)
{
    (void) state;
    assert_string_equal (pp_reject_name (PP_REJECT_SHORT), "short");
    assert_string_equal (pp_reject_name (PP_REJECT_VERSION), "bad_version");
    assert_string_equal (pp_reject_name (PP_REJECT_TYPE), "unknown_type");
    assert_string_equal (pp_reject_name (PP_REJECT_OVERSIZE), "oversized");
    assert_string_equal (pp_reject_name (PP_REJECT_BATCH), "malformed_batch");
    assert_string_equal (pp_reject_name (PP_REJECT_RUN), "foreign_run");
    assert_string_equal (pp_reject_name (PP_REJECT_COUNT), "unknown");
}

/*  ---------------------------------------------------------------------
    Header                                                                  */

static pp_header_t
s_sample_header (uint8_t type)
{
    pp_header_t hdr = {
        .version = PP_WIRE_VERSION,
        .type = type,
        .flags = (uint16_t) (0xbe00 | type),
        .run_id = 0x0123456789abcdefULL,
        .seq = UINT64_MAX - type,
        .worker_id = 0xdeadbeef - type,
        .count = 1000u * type,
    };
    return hdr;
}

static void
test_header_round_trip_every_type (void **state)
{
    (void) state;
    for (uint8_t type = PP_MSG_TASK; type <= PP_MSG_BYE; type++) {
        pp_header_t in = s_sample_header (type);
        uint8_t frame[PP_WIRE_HEADER_SIZE];
        pp_wire_encode_header (&in, frame);
        assert_int_equal (pp_get_u16 (frame), PP_WIRE_MAGIC);
        assert_int_equal (frame[2], PP_WIRE_VERSION);
        assert_int_equal (frame[3], type);
        assert_int_equal (frame[6], 0);
        assert_int_equal (frame[7], 0);

        pp_header_t out;
        memset (&out, 0x5a, sizeof (out));
        pp_reject_t reason;
        assert_int_equal (
            s_decode_header (frame, sizeof (frame), &out, &reason), 0);
        assert_int_equal (reason, NO_REASON);
        assert_int_equal (out.version, PP_WIRE_VERSION);
        assert_int_equal (out.type, type);
        assert_int_equal (out.flags, in.flags);
        assert_true (out.run_id == in.run_id);
        assert_true (out.seq == in.seq);
        assert_int_equal (out.worker_id, in.worker_id);
        assert_int_equal (out.count, in.count);
    }
    assert_int_equal (PP_MSG_RENAME, PP_MSG_TYPE_MAX);
}

/*  The exact bytes of one header, as docs/PROTOCOL.md lays them out.      */
static void
test_header_layout (void **state)
{
    (void) state;
    pp_header_t hdr = {.type = PP_MSG_STATE,
                       .flags = 0x0102,
                       .run_id = 0x1112131415161718ULL,
                       .seq = 0x2122232425262728ULL,
                       .worker_id = 0x31323334,
                       .count = 0x41424344};
    uint8_t frame[PP_WIRE_HEADER_SIZE + 4];
    memset (frame, 0xaa, sizeof (frame));
    pp_wire_encode_header (&hdr, frame);
    const uint8_t expected[PP_WIRE_HEADER_SIZE + 4] = {
        0x70, 0x70, 0x03, 0x06, 0x01, 0x02, 0x00, 0x00, 0x11, 0x12, 0x13, 0x14,
        0x15, 0x16, 0x17, 0x18, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28,
        0x31, 0x32, 0x33, 0x34, 0x41, 0x42, 0x43, 0x44, 0xaa, 0xaa, 0xaa, 0xaa};
    assert_memory_equal (frame, expected, sizeof (expected));
}

static void
test_header_too_short (void **state)
{
    (void) state;
    uint8_t frame[PP_WIRE_HEADER_SIZE];
    pp_header_t hdr = s_sample_header (PP_MSG_TASK);
    pp_wire_encode_header (&hdr, frame);
    for (size_t size = 0; size < PP_WIRE_HEADER_SIZE; size++) {
        pp_reject_t reason;
        assert_int_equal (s_decode_header (frame, size, &hdr, &reason),
                          PP_EPROTO);
        assert_int_equal (reason, PP_REJECT_SHORT);
    }
}

/*  A longer frame 1 is some other protocol (version), not a short one.    */
static void
test_header_too_long (void **state)
{
    (void) state;
    uint8_t frame[PP_WIRE_HEADER_SIZE * 2] = {0};
    pp_header_t hdr = s_sample_header (PP_MSG_TASK);
    pp_wire_encode_header (&hdr, frame);
    size_t sizes[] = {PP_WIRE_HEADER_SIZE + 1, PP_WIRE_HEADER_SIZE + 8,
                      sizeof (frame)};
    for (size_t i = 0; i < sizeof (sizes) / sizeof (sizes[0]); i++) {
        pp_reject_t reason;
        assert_int_equal (s_decode_header (frame, sizes[i], &hdr, &reason),
                          PP_EPROTO);
        assert_int_equal (reason, PP_REJECT_VERSION);
    }
}

static void
test_header_bad_magic (void **state)
{
    (void) state;
    pp_header_t hdr = s_sample_header (PP_MSG_RESULT);
    for (int byte = 0; byte < 2; byte++) {
        uint8_t values[] = {0x00, 0x71, 0x07, 0xff};
        for (size_t v = 0; v < sizeof (values); v++) {
            uint8_t frame[PP_WIRE_HEADER_SIZE];
            pp_wire_encode_header (&hdr, frame);
            frame[byte] = values[v];
            pp_reject_t reason;
            pp_header_t out;
            assert_int_equal (
                s_decode_header (frame, sizeof (frame), &out, &reason),
                PP_EPROTO);
            assert_int_equal (reason, PP_REJECT_VERSION);
        }
    }
}

static void
test_header_bad_version (void **state)
{
    (void) state;
    pp_header_t hdr = s_sample_header (PP_MSG_HELLO);
    uint8_t versions[] = {0, PP_WIRE_VERSION + 1, 0x80, 0xff};
    for (size_t v = 0; v < sizeof (versions); v++) {
        uint8_t frame[PP_WIRE_HEADER_SIZE];
        pp_wire_encode_header (&hdr, frame);
        frame[2] = versions[v];
        pp_reject_t reason;
        pp_header_t out;
        assert_int_equal (
            s_decode_header (frame, sizeof (frame), &out, &reason), PP_EPROTO);
        assert_int_equal (reason, PP_REJECT_VERSION);
    }
}

static void
test_header_bad_type (void **state)
{
    (void) state;
    pp_header_t hdr = s_sample_header (PP_MSG_TASK);
    uint8_t types[] = {0, PP_MSG_TYPE_MAX + 1, 0x80, 0xff};
    for (size_t t = 0; t < sizeof (types); t++) {
        uint8_t frame[PP_WIRE_HEADER_SIZE];
        pp_wire_encode_header (&hdr, frame);
        frame[3] = types[t];
        pp_reject_t reason;
        pp_header_t out;
        assert_int_equal (
            s_decode_header (frame, sizeof (frame), &out, &reason), PP_EPROTO);
        assert_int_equal (reason, PP_REJECT_TYPE);
    }
}

/*  ---------------------------------------------------------------------
    Batches. The fixture is a valid batch of three records: five bytes of
    text, an empty record, and seven bytes with NUL and 0xff inside.        */

#define BATCH_RECORDS 3

typedef struct {
    pp_record_t records[BATCH_RECORDS];
    uint8_t *payload; /* the encoded batch, exactly size bytes */
    size_t size;
    size_t offsets[BATCH_RECORDS]; /* where each record starts */
} batch_t;

static const char s_data0[] = "hello";
static const char s_data2[] = {'a', '\0', 'b', '\0', '\0', 'c', '\xff'};

static int
s_teardown_batch (void **state)
{
    batch_t *self = *state;
    free (self->payload);
    free (self);
    return 0;
}

static int
s_setup_batch (void **state)
{
    batch_t *self = calloc (1, sizeof (batch_t));
    if (!self)
        return -1;
    self->records[0] = (pp_record_t){.seq = 1,
                                     .t_enq_us = 0x0102030405060708ULL,
                                     .record = 2,
                                     .start_us = 0x1112131415161718ULL,
                                     .runtime_us = 0x2122232425262728ULL,
                                     .len = 5,
                                     .input_len = 2,
                                     .outcome = PP_OUTCOME_OK,
                                     .attempt = 0,
                                     .status = -9,
                                     .data = s_data0,
                                     .input = "in"};
    self->records[1] = (pp_record_t){.seq = UINT64_MAX - 1,
                                     .t_enq_us = 0,
                                     .len = 0,
                                     .outcome = PP_OUTCOME_FAILED,
                                     .attempt = 3,
                                     .data = NULL};
    self->records[2] = (pp_record_t){.seq = 42,
                                     .t_enq_us = UINT64_MAX,
                                     .len = sizeof (s_data2),
                                     .outcome = PP_OUTCOME_DROPPED,
                                     .attempt = 255,
                                     .data = s_data2,
                                     .input_len = sizeof (s_data2),
                                     .input = s_data2}; /* sent once */
    for (int i = 0; i < BATCH_RECORDS; i++)
        self->size += pp_wire_record_size (&self->records[i]);
    self->payload = malloc (self->size);
    if (!self->payload) {
        free (self);
        return -1;
    }
    size_t offset = 0;
    for (int i = 0; i < BATCH_RECORDS; i++) {
        self->offsets[i] = offset;
        offset +=
            pp_wire_encode_record (&self->records[i], self->payload + offset);
    }
    *state = self;
    if (offset != self->size) {
        s_teardown_batch (state);
        return -1;
    }
    return 0;
}

static void
s_assert_record_equal (const pp_record_t *got, const pp_record_t *want)
{
    assert_true (got->seq == want->seq);
    assert_true (got->t_enq_us == want->t_enq_us);
    assert_true (got->record == want->record);
    assert_true (got->start_us == want->start_us);
    assert_true (got->runtime_us == want->runtime_us);
    assert_int_equal (got->len, want->len);
    assert_int_equal (got->input_len, want->input_len);
    assert_int_equal (got->outcome, want->outcome);
    assert_int_equal (got->attempt, want->attempt);
    assert_int_equal (got->status, want->status);
    if (want->len > 0)
        assert_memory_equal (got->data, want->data, want->len);
    if (want->input_len > 0)
        assert_memory_equal (got->input, want->input, want->input_len);
}

static void
test_record_size_and_layout (void **state)
{
    batch_t *self = *state;
    pp_record_t empty = {.len = 0}, seven = {.len = 7, .data = "1234567"};
    assert_int_equal (pp_wire_record_size (&empty), PP_WIRE_RECORD_SIZE);
    assert_int_equal (pp_wire_record_size (&seven), PP_WIRE_RECORD_SIZE + 7);
    /*  record 2's input is its data: sent once                            */
    assert_int_equal (self->size, 3 * PP_WIRE_RECORD_SIZE + 5 + 2 + 0 + 7);

    const uint8_t expected[PP_WIRE_RECORD_SIZE + 5 + 2] = {
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, /* seq */
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, /* t_enq_us */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, /* record */
        0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, /* start_us */
        0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, /* runtime_us */
        0x00, 0x00, 0x00, 0x05,                         /* len */
        0x00, 0x00, 0x00, 0x02,                         /* input_len */
        0x00, 0x00, 0xff, 0xf7,                         /* outcome .. */
        0x00, 0x00, 0x00, 0x00,                         /* flags, zero */
        'h',  'e',  'l',  'l',  'o',  'i',  'n'};
    assert_memory_equal (self->payload, expected, sizeof (expected));
    const uint8_t *rec2 = self->payload + self->offsets[2];
    assert_int_equal (rec2[48], PP_OUTCOME_DROPPED);
    assert_int_equal (rec2[49], 255);
    assert_int_equal (pp_get_u32 (rec2 + 44), 0); /* input: the data    */
    assert_int_equal (rec2[52], 1);
    assert_int_equal (rec2[53], 0);
}

static void
test_batch_round_trip (void **state)
{
    batch_t *self = *state;
    pp_reject_t reason;
    assert_int_equal (
        s_check_batch (self->payload, self->size, 3, 1024, &reason), 0);
    assert_int_equal (reason, NO_REASON);

    size_t offset = 0;
    pp_record_t rec;
    for (int i = 0; i < BATCH_RECORDS; i++) {
        assert_int_equal (offset, self->offsets[i]);
        memset (&rec, 0x5a, sizeof (rec));
        assert_true (
            pp_wire_next_record (self->payload, self->size, &offset, &rec));
        s_assert_record_equal (&rec, &self->records[i]);
        /* data points into the payload, not at a copy */
        assert_ptr_equal (rec.data, self->payload + self->offsets[i] +
                                        PP_WIRE_RECORD_SIZE);
    }
    assert_int_equal (offset, self->size);
    assert_false (
        pp_wire_next_record (self->payload, self->size, &offset, &rec));
    assert_int_equal (offset, self->size);
}

/*  A single record passes with len == max_item and fails one past it.     */
static void
test_batch_max_item_boundary (void **state)
{
    batch_t *self = *state;
    const uint8_t *rec2 = self->payload + self->offsets[2];
    size_t size2 = self->size - self->offsets[2];
    pp_reject_t reason;
    assert_int_equal (s_check_batch (rec2, size2, 1, 7, &reason), 0);
    assert_int_equal (s_check_batch (rec2, size2, 1, 6, &reason), PP_EPROTO);
    assert_int_equal (reason, PP_REJECT_OVERSIZE);

    /* the empty record alone, with max_item 0 */
    const uint8_t *rec1 = self->payload + self->offsets[1];
    assert_int_equal (s_check_batch (rec1, PP_WIRE_RECORD_SIZE, 1, 0, &reason),
                      0);
}

static void
test_batch_oversize (void **state)
{
    batch_t *self = *state;
    pp_reject_t reason;
    /* record 0 (5 bytes) passes, record 2 (7 bytes) is over */
    assert_int_equal (s_check_batch (self->payload, self->size, 3, 6, &reason),
                      PP_EPROTO);
    assert_int_equal (reason, PP_REJECT_OVERSIZE);
    assert_int_equal (s_check_batch (self->payload, self->size, 3, 0, &reason),
                      PP_EPROTO);
    assert_int_equal (reason, PP_REJECT_OVERSIZE);
}

/*  An input over max_item is oversize too; the input-is-data flag with an
    input of its own is malformed.                                         */
static void
test_batch_input_checked (void **state)
{
    batch_t *self = *state;
    size_t size0 = self->offsets[1];
    pp_reject_t reason;
    assert_int_equal (s_check_batch (self->payload, size0, 1, 5, &reason), 0);
    pp_record_t rec = self->records[0];
    rec.input = "123456";
    rec.input_len = 6;
    uint8_t buf[PP_WIRE_RECORD_SIZE + 11];
    size_t size = pp_wire_encode_record (&rec, buf);
    assert_int_equal (size, sizeof (buf));
    assert_int_equal (s_check_batch (buf, size, 1, 6, &reason), 0);
    assert_int_equal (s_check_batch (buf, size, 1, 5, &reason), PP_EPROTO);
    assert_int_equal (reason, PP_REJECT_OVERSIZE);
    buf[52] = 1; /* input is the data, yet input_len is 6            */
    assert_int_equal (s_check_batch (buf, size, 1, 6, &reason), PP_EPROTO);
    assert_int_equal (reason, PP_REJECT_BATCH);
}

/*  A failed record's data is a reason: up to PP_WIRE_REASON_MAX bytes
    whatever max_item (a run of 16-byte items still says why one failed);
    its input is an item, held to max_item.                                */
static void
test_batch_reason_bound (void **state)
{
    (void) state;
    char text[PP_WIRE_REASON_MAX + 1];
    memset (text, 'r', sizeof (text));
    pp_record_t rec = {.seq = 3,
                       .len = PP_WIRE_REASON_MAX,
                       .outcome = PP_OUTCOME_FAILED,
                       .data = text,
                       .input = "0123456789abcdef",
                       .input_len = 16};
    uint8_t buf[PP_WIRE_RECORD_SIZE + sizeof (text) + 17];
    pp_reject_t reason;
    size_t size = pp_wire_encode_record (&rec, buf);
    assert_int_equal (s_check_batch (buf, size, 1, 16, &reason), 0);
    assert_int_equal (s_check_batch (buf, size, 1, 15, &reason), PP_EPROTO);
    assert_int_equal (reason, PP_REJECT_OVERSIZE); /* the input          */
    rec.len = PP_WIRE_REASON_MAX + 1;
    size = pp_wire_encode_record (&rec, buf);
    assert_int_equal (s_check_batch (buf, size, 1, 16, &reason), PP_EPROTO);
    assert_int_equal (reason, PP_REJECT_OVERSIZE);
    assert_int_equal (
        s_check_batch (buf, size, 1, PP_WIRE_REASON_MAX + 1, &reason), 0);
    rec.len = 17; /* an ok record's data is the result: max_item       */
    rec.outcome = PP_OUTCOME_OK;
    size = pp_wire_encode_record (&rec, buf);
    assert_int_equal (s_check_batch (buf, size, 1, 16, &reason), PP_EPROTO);
    assert_int_equal (reason, PP_REJECT_OVERSIZE);
}

static void
test_batch_count_mismatch (void **state)
{
    batch_t *self = *state;
    pp_reject_t reason;
    uint32_t counts[] = {0, 1, 2, 4, 1000, UINT32_MAX};
    for (size_t i = 0; i < sizeof (counts) / sizeof (counts[0]); i++) {
        assert_int_equal (
            s_check_batch (self->payload, self->size, counts[i], 1024, &reason),
            PP_EPROTO);
        assert_int_equal (reason, PP_REJECT_BATCH);
    }
    /* an empty payload holds no records: count 0 is still malformed */
    assert_int_equal (s_check_batch (self->payload, 0, 0, 1024, &reason),
                      PP_EPROTO);
    assert_int_equal (reason, PP_REJECT_BATCH);
    assert_int_equal (s_check_batch (self->payload, 0, 1, 1024, &reason),
                      PP_EPROTO);
    assert_int_equal (reason, PP_REJECT_BATCH);
}

static void
test_batch_len_past_end (void **state)
{
    batch_t *self = *state;
    uint8_t *len2 = self->payload + self->offsets[2] + 40;
    uint32_t lens[] = {sizeof (s_data2) + 1, 1000, UINT32_MAX};
    for (size_t i = 0; i < sizeof (lens) / sizeof (lens[0]); i++) {
        pp_put_u32 (len2, lens[i]);
        pp_reject_t reason;
        assert_int_equal (
            s_check_batch (self->payload, self->size, 3, SIZE_MAX, &reason),
            PP_EPROTO);
        assert_int_equal (reason, PP_REJECT_BATCH);
    }
    /* A shorter len leaves trailing bytes that are no record. */
    pp_put_u32 (len2, sizeof (s_data2) - 1);
    pp_reject_t reason;
    assert_int_equal (
        s_check_batch (self->payload, self->size, 3, SIZE_MAX, &reason),
        PP_EPROTO);
    assert_int_equal (reason, PP_REJECT_BATCH);
}

static void
test_batch_bad_outcome (void **state)
{
    batch_t *self = *state;
    for (int i = 0; i < BATCH_RECORDS; i++) {
        uint8_t *outcome = self->payload + self->offsets[i] + 48;
        uint8_t saved = *outcome;
        uint8_t bad[] = {PP_OUTCOME_DROPPED + 1, 0x80, 0xff};
        for (size_t b = 0; b < sizeof (bad); b++) {
            *outcome = bad[b];
            pp_reject_t reason;
            assert_int_equal (
                s_check_batch (self->payload, self->size, 3, 1024, &reason),
                PP_EPROTO);
            assert_int_equal (reason, PP_REJECT_BATCH);
        }
        *outcome = saved;
    }
    pp_reject_t reason;
    assert_int_equal (
        s_check_batch (self->payload, self->size, 3, 1024, &reason), 0);
}

/*  Every prefix of the batch is rejected with count 3; a prefix holding
    k whole records passes with count k only if it ends where record k
    ends. Each prefix is an exact-size copy, so ASan sees any over-read.    */
static void
test_batch_every_truncation (void **state)
{
    batch_t *self = *state;
    size_t ends[BATCH_RECORDS];
    for (int i = 0; i < BATCH_RECORDS; i++)
        ends[i] = self->offsets[i] + pp_wire_record_size (&self->records[i]);
    assert_int_equal (ends[BATCH_RECORDS - 1], self->size);

    int passed = 0;
    for (size_t size = 0; size < self->size; size++) {
        pp_reject_t reason;
        assert_int_equal (s_check_batch (self->payload, size, 3, 1024, &reason),
                          PP_EPROTO);
        assert_int_equal (reason, PP_REJECT_BATCH);

        uint32_t whole = 0;
        while (whole < BATCH_RECORDS && ends[whole] <= size)
            whole++;
        if (whole == 0)
            continue;
        int rc = s_check_batch (self->payload, size, whole, 1024, &reason);
        if (size == ends[whole - 1]) {
            assert_int_equal (rc, 0);
            passed++;
        } else {
            assert_int_equal (rc, PP_EPROTO);
            assert_int_equal (reason, PP_REJECT_BATCH);
        }
    }
    assert_int_equal (passed, 2); /* the prefixes of 1 and 2 records */
    pp_reject_t reason;
    assert_int_equal (
        s_check_batch (self->payload, self->size, 3, 1024, &reason), 0);
}

/*  ---------------------------------------------------------------------
    STATE / COMPLETE payload                                                */

static void
test_state_round_trip (void **state)
{
    (void) state;
    pp_state_t cases[] = {
        {.sent = 1,
         .total = 2,
         .window = 3,
         .ok = 4,
         .failed = 5,
         .dropped = 6},
        {.sent = 0x0102030405060708ULL,
         .total = PP_TOTAL_UNKNOWN,
         .window = UINT32_MAX,
         .ok = UINT64_MAX - 1,
         .failed = 0,
         .dropped = 0x8000000000000000ULL,
         .retries = 7,
         .expected = 0x1122334455667788ULL,
         .expected_exact = true},
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        uint8_t buf[PP_STATE_PAYLOAD_SIZE + 8];
        memset (buf, 0xaa, sizeof (buf));
        pp_wire_encode_state (&cases[i], buf);
        for (size_t b = PP_STATE_PAYLOAD_SIZE; b < sizeof (buf); b++)
            assert_int_equal (buf[b], 0xaa); /* wrote exactly the payload */

        pp_state_t out;
        memset (&out, 0x5a, sizeof (out));
        assert_int_equal (s_decode_state (buf, PP_STATE_PAYLOAD_SIZE, &out), 0);
        assert_true (out.sent == cases[i].sent);
        assert_true (out.total == cases[i].total);
        assert_int_equal (out.window, cases[i].window);
        assert_true (out.ok == cases[i].ok);
        assert_true (out.failed == cases[i].failed);
        assert_true (out.dropped == cases[i].dropped);
        assert_int_equal (out.retries, cases[i].retries);
        assert_true (out.expected == cases[i].expected);
        assert_int_equal (out.expected_exact, cases[i].expected_exact);
    }
}

static void
test_state_malformed (void **state)
{
    (void) state;
    pp_state_t in = {.sent = 1, .total = 2, .window = 3};
    uint8_t buf[PP_STATE_PAYLOAD_SIZE + 1] = {0};
    pp_wire_encode_state (&in, buf);
    pp_state_t out;
    size_t sizes[] = {0, 1, PP_STATE_PAYLOAD_SIZE - 1,
                      PP_STATE_PAYLOAD_SIZE + 1};
    for (size_t i = 0; i < sizeof (sizes) / sizeof (sizes[0]); i++)
        assert_int_equal (s_decode_state (buf, sizes[i], &out), PP_EPROTO);

    in.window = 0;
    pp_wire_encode_state (&in, buf);
    assert_int_equal (s_decode_state (buf, PP_STATE_PAYLOAD_SIZE, &out),
                      PP_EPROTO);

    in.window = 3; /* "expected is exact" is 0 or 1, nothing else       */
    pp_wire_encode_state (&in, buf);
    buf[PP_STATE_PAYLOAD_SIZE - 1] = 2;
    assert_int_equal (s_decode_state (buf, PP_STATE_PAYLOAD_SIZE, &out),
                      PP_EPROTO);
}

/*  ---------------------------------------------------------------------
    Run settings (the tail of STATE)                                        */

static int
s_decode_settings (const void *data, size_t size, pp_settings_t *settings)
{
    uint8_t *copy = s_copy (data, size);
    int rc = pp_wire_decode_settings (copy, size, settings);
    free (copy);
    return rc;
}

static void
test_settings_round_trip (void **state)
{
    (void) state;
    pp_settings_t cases[] = {
        {.max_item = 1, .heartbeat_ms = 0, .flow = 0},
        {.max_item = 1 << 20, .heartbeat_ms = 1000, .flow = 1},
        {.max_item = PP_SETTINGS_MAX_ITEM,
         .heartbeat_ms = UINT32_MAX,
         .flow = 1},
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        uint8_t buf[PP_SETTINGS_SIZE + 4];
        memset (buf, 0xaa, sizeof (buf));
        pp_wire_encode_settings (&cases[i], buf);
        for (size_t b = PP_SETTINGS_SIZE; b < sizeof (buf); b++)
            assert_int_equal (buf[b], 0xaa); /* wrote exactly the block  */
        pp_settings_t out;
        memset (&out, 0x5a, sizeof (out));
        assert_int_equal (s_decode_settings (buf, PP_SETTINGS_SIZE, &out), 0);
        assert_true (out.max_item == cases[i].max_item);
        assert_int_equal (out.heartbeat_ms, cases[i].heartbeat_ms);
        assert_int_equal (out.flow, cases[i].flow);
    }
}

/*  The exact bytes, as docs/PROTOCOL.md lays them out.                    */
static void
test_settings_layout (void **state)
{
    (void) state;
    pp_settings_t in = {.max_item = 0x0000000000400000ULL,
                        .heartbeat_ms = 0x01020304,
                        .flow = 1};
    uint8_t buf[PP_SETTINGS_SIZE];
    pp_wire_encode_settings (&in, buf);
    const uint8_t expected[PP_SETTINGS_SIZE] = {
        0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00,
        0x01, 0x02, 0x03, 0x04, 0x01, 0x00, 0x00, 0x00};
    assert_memory_equal (buf, expected, sizeof (buf));
}

static void
test_settings_malformed (void **state)
{
    (void) state;
    pp_settings_t good = {.max_item = 4096, .heartbeat_ms = 1000, .flow = 0};
    uint8_t buf[PP_SETTINGS_SIZE + 1];
    pp_wire_encode_settings (&good, buf);
    buf[PP_SETTINGS_SIZE] = 0;
    pp_settings_t out;
    for (size_t size = 0; size <= PP_SETTINGS_SIZE + 1; size++)
        assert_int_equal (s_decode_settings (buf, size, &out),
                          size == PP_SETTINGS_SIZE ? 0 : PP_EPROTO);
    pp_settings_t bad[] = {
        {.max_item = 0, .flow = 0},
        {.max_item = PP_SETTINGS_MAX_ITEM + 1, .flow = 0},
        {.max_item = UINT64_MAX, .flow = 0},
        {.max_item = 4096, .flow = 2},
    };
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        pp_wire_encode_settings (&bad[i], buf);
        assert_int_equal (s_decode_settings (buf, PP_SETTINGS_SIZE, &out),
                          PP_EPROTO);
    }
    for (size_t b = 13; b < PP_SETTINGS_SIZE; b++) { /* reserved: 0     */
        pp_wire_encode_settings (&good, buf);
        buf[b] = 1;
        assert_int_equal (s_decode_settings (buf, PP_SETTINGS_SIZE, &out),
                          PP_EPROTO);
    }
}

/*  ---------------------------------------------------------------------
    HELLO payload                                                           */

static void
test_hello_round_trip (void **state)
{
    (void) state;
    for (uint8_t flow = 0; flow <= 1; flow++) {
        pp_hello_t in = {.pid = 0x01020304,
                         .threads = 16,
                         .capacity = UINT32_MAX,
                         .flow = flow,
                         .max_item = 0x40000000};
        strcpy (in.host, "worker-7.example!~");
        uint8_t buf[96];
        memset (buf, 0xaa, sizeof (buf));
        size_t size = pp_wire_encode_hello (&in, buf);
        assert_int_equal (size, PP_HELLO_PAYLOAD_MIN + strlen (in.host));
        assert_int_equal (buf[size], 0xaa);

        pp_hello_t out;
        memset (&out, 0x5a, sizeof (out));
        assert_int_equal (s_decode_hello (buf, size, &out), 0);
        assert_int_equal (out.pid, in.pid);
        assert_int_equal (out.threads, in.threads);
        assert_int_equal (out.capacity, in.capacity);
        assert_int_equal (out.flow, flow);
        assert_int_equal (out.max_item, in.max_item);
        assert_string_equal (out.host, in.host);
    }
}

/*  The exact bytes of a hello, as docs/PROTOCOL.md lays them out.        */
static void
test_hello_layout (void **state)
{
    (void) state;
    pp_hello_t in = {.pid = 0x01020304,
                     .threads = 0x11121314,
                     .capacity = 0x21222324,
                     .flow = 1,
                     .max_item = 0x31323334};
    strcpy (in.host, "h");
    uint8_t buf[PP_HELLO_PAYLOAD_MIN + 1];
    assert_int_equal (pp_wire_encode_hello (&in, buf), sizeof (buf));
    const uint8_t expected[] = {0x01, 0x02, 0x03, 0x04, 0x11, 0x12,
                                0x13, 0x14, 0x21, 0x22, 0x23, 0x24,
                                0x01, 0x31, 0x32, 0x33, 0x34, 'h'};
    assert_int_equal (sizeof (expected), sizeof (buf));
    assert_memory_equal (buf, expected, sizeof (buf));
}

static void
test_hello_empty_host (void **state)
{
    (void) state;
    pp_hello_t in = {.pid = 1, .threads = 2, .capacity = 3, .flow = 0};
    uint8_t buf[96];
    size_t size = pp_wire_encode_hello (&in, buf);
    assert_int_equal (size, PP_HELLO_PAYLOAD_MIN);
    pp_hello_t out;
    memset (&out, 0x5a, sizeof (out));
    assert_int_equal (s_decode_hello (buf, size, &out), 0);
    assert_string_equal (out.host, "");
}

/*  A host filling all 64 bytes, unterminated, is cut to 63 characters.    */
static void
test_hello_host_truncated (void **state)
{
    (void) state;
    pp_hello_t in = {.pid = 7, .threads = 1, .capacity = 8, .flow = 1};
    memset (in.host, 'h', sizeof (in.host));
    uint8_t buf[96];
    memset (buf, 0xaa, sizeof (buf));
    size_t size = pp_wire_encode_hello (&in, buf);
    assert_int_equal (size, PP_HELLO_PAYLOAD_MIN + 63);
    assert_true (size <= 80);
    for (size_t b = size; b < sizeof (buf); b++)
        assert_int_equal (buf[b], 0xaa);

    pp_hello_t out;
    assert_int_equal (s_decode_hello (buf, size, &out), 0);
    char expected[64];
    memset (expected, 'h', 63);
    expected[63] = '\0';
    assert_string_equal (out.host, expected);
}

/*  Host bytes outside '!'..'~' (space, controls, DEL, high bytes, NUL)
    reach a terminal: each becomes '?'.                                     */
static void
test_hello_host_sanitised (void **state)
{
    (void) state;
    const uint8_t host[] = {'a',  ' ',  'b',  0x01, 'c', 0x7f,
                            0xff, 0x00, 0x80, '!',  '~', '\n'};
    uint8_t buf[PP_HELLO_PAYLOAD_MIN + sizeof (host)];
    pp_hello_t in = {.pid = 1, .threads = 1, .capacity = 1, .flow = 0};
    pp_wire_encode_hello (&in, buf);
    memcpy (buf + PP_HELLO_PAYLOAD_MIN, host, sizeof (host));

    pp_hello_t out;
    assert_int_equal (s_decode_hello (buf, sizeof (buf), &out), 0);
    assert_string_equal (out.host, "a?b?c?\?\?\?!~?");
    assert_int_equal (strlen (out.host), sizeof (host));
}

static void
test_hello_malformed (void **state)
{
    (void) state;
    uint8_t buf[PP_HELLO_PAYLOAD_MIN + 64];
    memset (buf, 'x', sizeof (buf));
    pp_hello_t in = {.pid = 1, .threads = 1, .capacity = 1, .flow = 1};
    pp_wire_encode_hello (&in, buf);
    pp_hello_t out;

    for (size_t size = 0; size < PP_HELLO_PAYLOAD_MIN; size++)
        assert_int_equal (s_decode_hello (buf, size, &out), PP_EPROTO);
    /* 63 host bytes is the most; 64 would leave no room for the NUL */
    assert_int_equal (s_decode_hello (buf, PP_HELLO_PAYLOAD_MIN + 63, &out), 0);
    assert_int_equal (s_decode_hello (buf, PP_HELLO_PAYLOAD_MIN + 64, &out),
                      PP_EPROTO);

    uint8_t flows[] = {2, 0x80, 0xff};
    for (size_t f = 0; f < sizeof (flows); f++) {
        buf[12] = flows[f];
        assert_int_equal (s_decode_hello (buf, PP_HELLO_PAYLOAD_MIN + 4, &out),
                          PP_EPROTO);
    }
}

/*  ---------------------------------------------------------------------
    ACK ranges                                                              */

static void
test_range_round_trip (void **state)
{
    (void) state;
    const uint64_t ranges[][2] = {
        {0, 1}, {1000, 250}, {UINT64_MAX - 10, 10}, {0, UINT64_MAX}};
    enum { N = sizeof (ranges) / sizeof (ranges[0]) };
    uint8_t buf[N * PP_ACK_RANGE_SIZE];
    for (int i = 0; i < N; i++)
        pp_wire_encode_range (ranges[i][0], ranges[i][1],
                              buf + i * PP_ACK_RANGE_SIZE);
    assert_memory_equal (buf + PP_ACK_RANGE_SIZE,
                         "\0\0\0\0\0\0\x03\xe8\0\0\0\0\0\0\0\xfa", 16);
    for (uint32_t i = 0; i < N; i++) {
        uint64_t first = 1, n = 0;
        assert_int_equal (s_decode_range (buf, sizeof (buf), i, &first, &n), 0);
        assert_true (first == ranges[i][0]);
        assert_true (n == ranges[i][1]);
    }
}

static void
test_range_malformed (void **state)
{
    (void) state;
    uint64_t first, n;
    uint8_t buf[3 * PP_ACK_RANGE_SIZE];
    pp_wire_encode_range (5, 0, buf);                    /* n == 0 */
    pp_wire_encode_range (UINT64_MAX - 5, 10, buf + 16); /* wraps */
    pp_wire_encode_range (1, UINT64_MAX, buf + 32);      /* wraps to 0 */
    for (uint32_t i = 0; i < 3; i++)
        assert_int_equal (s_decode_range (buf, sizeof (buf), i, &first, &n),
                          PP_EPROTO);

    /* index past the end, and a partial trailing range */
    pp_wire_encode_range (7, 3, buf);
    pp_wire_encode_range (10, 2, buf + 16);
    assert_int_equal (s_decode_range (buf, 32, 1, &first, &n), 0);
    assert_true (first == 10 && n == 2);
    assert_int_equal (s_decode_range (buf, 32, 2, &first, &n), PP_EPROTO);
    assert_int_equal (s_decode_range (buf, 31, 1, &first, &n), PP_EPROTO);
    assert_int_equal (s_decode_range (buf, 15, 0, &first, &n), PP_EPROTO);
    assert_int_equal (s_decode_range (buf, 0, 0, &first, &n), PP_EPROTO);
    assert_int_equal (s_decode_range (buf, 32, UINT32_MAX, &first, &n),
                      PP_EPROTO);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_byte_order),
        cmocka_unit_test (test_reject_names),
        cmocka_unit_test (test_header_round_trip_every_type),
        cmocka_unit_test (test_header_layout),
        cmocka_unit_test (test_header_too_short),
        cmocka_unit_test (test_header_too_long),
        cmocka_unit_test (test_header_bad_magic),
        cmocka_unit_test (test_header_bad_version),
        cmocka_unit_test (test_header_bad_type),
        cmocka_unit_test_setup_teardown (test_record_size_and_layout,
                                         s_setup_batch, s_teardown_batch),
        cmocka_unit_test_setup_teardown (test_batch_round_trip, s_setup_batch,
                                         s_teardown_batch),
        cmocka_unit_test_setup_teardown (test_batch_max_item_boundary,
                                         s_setup_batch, s_teardown_batch),
        cmocka_unit_test_setup_teardown (test_batch_oversize, s_setup_batch,
                                         s_teardown_batch),
        cmocka_unit_test_setup_teardown (test_batch_input_checked,
                                         s_setup_batch, s_teardown_batch),
        cmocka_unit_test (test_batch_reason_bound),
        cmocka_unit_test_setup_teardown (test_batch_count_mismatch,
                                         s_setup_batch, s_teardown_batch),
        cmocka_unit_test_setup_teardown (test_batch_len_past_end, s_setup_batch,
                                         s_teardown_batch),
        cmocka_unit_test_setup_teardown (test_batch_bad_outcome, s_setup_batch,
                                         s_teardown_batch),
        cmocka_unit_test_setup_teardown (test_batch_every_truncation,
                                         s_setup_batch, s_teardown_batch),
        cmocka_unit_test (test_state_round_trip),
        cmocka_unit_test (test_state_malformed),
        cmocka_unit_test (test_settings_round_trip),
        cmocka_unit_test (test_settings_layout),
        cmocka_unit_test (test_settings_malformed),
        cmocka_unit_test (test_hello_round_trip),
        cmocka_unit_test (test_hello_layout),
        cmocka_unit_test (test_hello_empty_host),
        cmocka_unit_test (test_hello_host_truncated),
        cmocka_unit_test (test_hello_host_sanitised),
        cmocka_unit_test (test_hello_malformed),
        cmocka_unit_test (test_range_round_trip),
        cmocka_unit_test (test_range_malformed),
    };
    return cmocka_run_group_tests_name ("pp_wire", tests, NULL, NULL);
}
