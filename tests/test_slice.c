/*  test_slice: slices of a shared TASK message (pp_slice.h): the message
    lives while any slice holds it and is freed on the last release (run
    under ASan, a leak or a use after free fails too); cuts by count and
    bytes; the spill codec's round trip and what it refuses; a job thread
    echoing big records sends them back where they lie, small ones copied.  */

#include "pp_error.h"
#include "pp_job_internal.h"
#include "pp_jobthread.h"
#include "pp_results.h"
#include "pp_slice.h"
#include "pp_wire.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/*  A TASK message of n records: seq i holds len[i % 2] bytes of 'a' + i. */
static zmsg_t *
s_message (int n, const size_t len[2], const uint8_t **data, size_t *size)
{
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += (PP_WIRE_RECORD_SIZE + len[i % 2]);
    uint8_t *payload = malloc (total);
    char *bytes = malloc (len[0] > len[1] ? len[0] : len[1]);
    assert_non_null (payload);
    assert_non_null (bytes);
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        memset (bytes, 'a' + i % 26, len[i % 2]);
        pp_record_t rec = {.seq = 100 + (uint64_t) i,
                           .len = (uint32_t) len[i % 2],
                           .data = bytes};
        at += pp_wire_encode_record (&rec, payload + at);
    }
    zmsg_t *msg = zmsg_new ();
    zmsg_addmem (msg, "header", 6);
    zmsg_addmem (msg, payload, total);
    free (payload);
    free (bytes);
    *data = zframe_data (zmsg_last (msg));
    *size = total;
    return msg;
}

static pp_slice_msg_t *
s_slice_msg (int n, size_t len_even, size_t len_odd)
{
    const size_t len[2] = {len_even, len_odd};
    const uint8_t *data;
    size_t size;
    zmsg_t *msg = s_message (n, len, &data, &size);
    pp_slice_msg_t *self = pp_slice_msg_new (&msg, data, size);
    assert_non_null (self);
    assert_null (msg);
    return self;
}

/*  The seqs of a slice's records, in order, must be first, first + 1 ...  */
static void
s_expect_seqs (const pp_slice_t *slice, uint64_t first)
{
    size_t offset = 0;
    pp_record_t rec;
    uint32_t count = 0;
    while (pp_wire_next_record (slice->data, slice->size, &offset, &rec))
        assert_int_equal (rec.seq, first + count++);
    assert_int_equal (count, slice->count);
    assert_int_equal (offset, slice->size);
}

/*  Each slice holds a reference; the message goes with the last one.    */
static void
test_refcount (void **state)
{
    (void) state;
    pp_slice_msg_t *msg = s_slice_msg (10, 8, 8);
    assert_int_equal (pp_slice_msg_refs (msg), 1);
    size_t offset = 0;
    pp_slice_t *a = NULL, *b = NULL;
    assert_int_equal (pp_slice_cut (msg, &offset, 4, 9, &a), 0);
    assert_int_equal (pp_slice_cut (msg, &offset, 4, 9, &b), 0);
    assert_int_equal (pp_slice_msg_refs (msg), 3);
    pp_slice_msg_t *ours = msg;
    pp_slice_msg_release (&ours);
    assert_null (ours);
    assert_int_equal (pp_slice_msg_refs (msg), 2);
    pp_slice_free (a);
    assert_int_equal (pp_slice_msg_refs (msg), 1);
    s_expect_seqs (b, 104); /* the bytes are still there                */
    pp_slice_free (b);      /* the last: frees the message (ASan: leak) */
    pp_slice_free (NULL);
    pp_slice_msg_release (&ours);
}

/*  Cuts of at most max records; the last one short; then PP_ECLOSED.     */
static void
test_cut_by_count (void **state)
{
    (void) state;
    pp_slice_msg_t *msg = s_slice_msg (10, 8, 8);
    size_t offset = 0;
    uint32_t counts[] = {4, 4, 2};
    for (int i = 0; i < 3; i++) {
        pp_slice_t *slice = NULL;
        assert_int_equal (pp_slice_cut (msg, &offset, 4, 9, &slice), 0);
        assert_int_equal (slice->count, counts[i]);
        assert_int_equal (slice->weight, counts[i]);
        assert_int_equal (slice->size, counts[i] * (PP_WIRE_RECORD_SIZE + 8));
        s_expect_seqs (slice, 100 + 4 * (uint64_t) i);
        pp_slice_free (slice);
    }
    size_t size;
    pp_slice_msg_data (msg, &size);
    assert_int_equal (offset, size);
    pp_slice_t *none = NULL;
    assert_int_equal (pp_slice_cut (msg, &offset, 4, 9, &none), PP_ECLOSED);
    assert_null (none);
    pp_slice_msg_release (&msg);
}

/*  One record at a time (a slow job): each weighs slow_weight.          */
static void
test_cut_slow (void **state)
{
    (void) state;
    pp_slice_msg_t *msg = s_slice_msg (3, 8, 8);
    size_t offset = 0;
    for (int i = 0; i < 3; i++) {
        pp_slice_t *slice = NULL;
        assert_int_equal (pp_slice_cut (msg, &offset, 1, 64, &slice), 0);
        assert_int_equal (slice->count, 1);
        assert_int_equal (slice->weight, 64);
        s_expect_seqs (slice, 100 + (uint64_t) i);
        pp_slice_free (slice);
    }
    pp_slice_msg_release (&msg);
}

/*  A slice stops growing once PP_SLICE_BYTES are in; a record bigger
    than that goes alone.                                                  */
static void
test_cut_by_bytes (void **state)
{
    (void) state;
    /*  20 KiB records: three reach 60 KiB + headers (< 64 KiB), a fourth
        passes the mark and ends the slice.                                */
    pp_slice_msg_t *msg = s_slice_msg (6, 20 * 1024, 20 * 1024);
    size_t offset = 0;
    pp_slice_t *slice = NULL;
    assert_int_equal (pp_slice_cut (msg, &offset, 256, 1, &slice), 0);
    assert_int_equal (slice->count, 4);
    pp_slice_free (slice);
    assert_int_equal (pp_slice_cut (msg, &offset, 256, 1, &slice), 0);
    assert_int_equal (slice->count, 2);
    pp_slice_free (slice);
    pp_slice_msg_release (&msg);
    /*  100 KiB records alternate with small ones: each big one alone.    */
    msg = s_slice_msg (3, 100 * 1024, 10);
    offset = 0;
    assert_int_equal (pp_slice_cut (msg, &offset, 256, 1, &slice), 0);
    assert_int_equal (slice->count, 1);
    s_expect_seqs (slice, 100);
    pp_slice_free (slice);
    assert_int_equal (pp_slice_cut (msg, &offset, 256, 1, &slice), 0);
    assert_int_equal (slice->count, 2); /* 10 bytes, then 100 KiB      */
    pp_slice_free (slice);
    pp_slice_msg_release (&msg);
}

/*  Spilled and read back: the same records, its own copy of the bytes,
    weighing its count; the original may go first.                        */
static void
test_spill_round_trip (void **state)
{
    (void) state;
    pp_slice_msg_t *msg = s_slice_msg (5, 3, 300);
    size_t offset = 0;
    pp_slice_t *slice = NULL;
    pp_slice_cut (msg, &offset, 1, 1, &slice); /* seq 100 stays behind */
    pp_slice_free (slice);
    assert_int_equal (pp_slice_cut (msg, &offset, 3, 7, &slice), 0);
    size_t size = pp_slice_codec.size (slice);
    assert_int_equal (size, 4 + slice->size);
    unsigned char *spilled = malloc (size);
    pp_slice_codec.encode (slice, spilled);
    pp_slice_t *back = pp_slice_codec.decode (spilled, size);
    free (spilled);
    assert_non_null (back);
    assert_int_equal (back->count, 3);
    assert_int_equal (back->weight, 3);
    assert_int_equal (back->size, slice->size);
    assert_memory_equal (back->data, slice->data, slice->size);
    assert_ptr_not_equal (back->data, slice->data);
    pp_slice_free (slice);
    pp_slice_msg_release (&msg); /* the original message is gone       */
    s_expect_seqs (back, 101);
    assert_int_equal (pp_slice_msg_refs (back->msg), 1);
    pp_slice_free (back);
}

/*  What the codec refuses to read back: too short, no records, records
    that do not add up to the count or the bytes.                          */
static void
test_spill_refused (void **state)
{
    (void) state;
    pp_slice_msg_t *msg = s_slice_msg (2, 5, 5);
    size_t offset = 0;
    pp_slice_t *slice = NULL;
    assert_int_equal (pp_slice_cut (msg, &offset, 2, 1, &slice), 0);
    size_t size = pp_slice_codec.size (slice);
    unsigned char *good = malloc (size);
    unsigned char *bad = malloc (size);
    pp_slice_codec.encode (slice, good);
    assert_null (pp_slice_codec.decode (good, 3));
    memcpy (bad, good, size);
    pp_put_u32 (bad, 0); /* count 0                                   */
    assert_null (pp_slice_codec.decode (bad, size));
    pp_put_u32 (bad, 3); /* more records than there are              */
    assert_null (pp_slice_codec.decode (bad, size));
    pp_put_u32 (bad, 1); /* fewer: bytes left over                    */
    assert_null (pp_slice_codec.decode (bad, size));
    assert_null (pp_slice_codec.decode (good, size - 1)); /* cut short  */
    pp_slice_t *back = pp_slice_codec.decode (good, size);
    assert_non_null (back);
    pp_slice_free (back);
    free (good);
    free (bad);
    pp_slice_free (slice);
    pp_slice_msg_release (&msg);
}

/*  Runs the built-in echo on a job thread over the slices of msg cut max
    records at a time; fills batches[] with the RESULT batches it hands
    on (how many it gathers before handing them on is its own timing) and
    returns how many.                                                     */
static int
s_echo_thread (pp_slice_msg_t *msg, uint32_t max, pp_batch_t **batches,
               int room)
{
    pp_jobthread_t jt = {.tasks = pp_chan_new (64, pp_slice_free),
                         .results = pp_chan_new (64, pp_results_free),
                         .handler = pp_job_builtin ("echo"),
                         .max_item = 1 << 20};
    jt.echo = pp_job_is_echo (jt.handler);
    assert_true (jt.echo);
    size_t offset = 0;
    pp_slice_t *slice;
    while (pp_slice_cut (msg, &offset, max, 1, &slice) == 0)
        assert_int_equal (pp_chan_send (jt.tasks, slice, 0), 0);
    pp_chan_close (jt.tasks);
    assert_null (pp_jobthread_main (&jt)); /* none given up            */
    int n = 0;
    void *got = NULL;
    while (pp_chan_recv (jt.results, &got, 0) == 0) {
        assert_true (n < room);
        batches[n++] = got;
    }
    pp_chan_destroy (&jt.tasks);
    pp_chan_destroy (&jt.results);
    return n;
}

/*  The outcomes of a RESULT batch: ok, each its item (seq 100 + first + i
    holds len bytes of 'a' + first + i), its input the same bytes.        */
static void
s_expect_echoed (const pp_batch_t *batch, uint32_t first, size_t len)
{
    pp_reject_t reason;
    assert_int_equal (pp_wire_check_batch (batch->data, batch->size,
                                           batch->count, len, &reason),
                      0);
    size_t offset = 0;
    pp_record_t rec;
    char *expect = malloc (len);
    for (uint32_t i = first; i < first + batch->count; i++) {
        assert_true (
            pp_wire_next_record (batch->data, batch->size, &offset, &rec));
        memset (expect, 'a' + (int) i % 26, len);
        assert_int_equal (rec.seq, 100 + i);
        assert_int_equal (rec.outcome, PP_OUTCOME_OK);
        assert_int_equal (rec.len, len);
        assert_memory_equal (rec.data, expect, len);
        assert_ptr_equal (rec.input, rec.data);
        assert_int_equal (rec.input_len, len);
        assert_true (rec.start_us > 0);
    }
    free (expect);
}

/*  A big record echoed is not copied: its RESULT batch is the TASK
    message's bytes, rewritten in place, and holds the message until the
    batch is freed (as libzmq frees it once sent).                        */
static void
test_echo_big_in_place (void **state)
{
    (void) state;
    pp_slice_msg_t *msg = s_slice_msg (1, 300 * 1024, 0);
    size_t size;
    const uint8_t *task = pp_slice_msg_data (msg, &size);
    pp_batch_t *results[1];
    assert_int_equal (s_echo_thread (msg, 1, results, 1), 1);
    assert_ptr_equal (results[0]->data, task); /* no copy              */
    assert_int_equal (results[0]->size, size);
    assert_int_equal (results[0]->count, 1);
    s_expect_echoed (results[0], 0, 300 * 1024);
    assert_int_equal (pp_slice_msg_refs (msg), 2); /* ours, the batch's */
    pp_results_free (results[0]);
    assert_int_equal (pp_slice_msg_refs (msg), 1);
    pp_slice_msg_release (&msg);
}

/*  Small records are gathered into RESULT batches of their own bytes:
    one message for many, the TASK message let go at once.                */
static void
test_echo_small_copied (void **state)
{
    (void) state;
    pp_slice_msg_t *msg = s_slice_msg (10, 8, 8);
    size_t size;
    const uint8_t *task = pp_slice_msg_data (msg, &size);
    pp_batch_t *results[10];
    int n = s_echo_thread (msg, 4, results, 10);
    uint32_t seen = 0;
    for (int i = 0; i < n; i++) {
        assert_true (results[i]->data < task ||
                     results[i]->data >= task + size);
        s_expect_echoed (results[i], seen, 8);
        seen += results[i]->count;
        pp_results_free (results[i]);
    }
    assert_int_equal (seen, 10);
    assert_int_equal (pp_slice_msg_refs (msg), 1);
    pp_slice_msg_release (&msg);
}

/*  A record the ventilator decided (failed already) is passed on as it
    came, not echoed: such a slice is not rewritten in place.            */
static void
test_echo_in_place_refuses_decided (void **state)
{
    (void) state;
    uint8_t payload[PP_WIRE_RECORD_SIZE + 6];
    pp_record_t rec = {
        .seq = 5, .len = 6, .data = "reason", .outcome = PP_OUTCOME_FAILED};
    pp_wire_encode_record (&rec, payload);
    zmsg_t *zmsg = zmsg_new ();
    zmsg_addmem (zmsg, payload, sizeof (payload));
    const uint8_t *data = zframe_data (zmsg_first (zmsg));
    pp_slice_msg_t *msg = pp_slice_msg_new (&zmsg, data, sizeof (payload));
    size_t offset = 0;
    pp_slice_t *slice = NULL;
    assert_int_equal (pp_slice_cut (msg, &offset, 1, 1, &slice), 0);
    pp_ran_t ran = {.start_us = 1};
    assert_null (pp_results_echo_in_place (slice, &ran));
    assert_memory_equal (data, payload, sizeof (payload)); /* untouched */
    pp_slice_free (slice);
    pp_slice_msg_release (&msg);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_refcount),
        cmocka_unit_test (test_cut_by_count),
        cmocka_unit_test (test_cut_slow),
        cmocka_unit_test (test_cut_by_bytes),
        cmocka_unit_test (test_spill_round_trip),
        cmocka_unit_test (test_spill_refused),
        cmocka_unit_test (test_echo_big_in_place),
        cmocka_unit_test (test_echo_small_copied),
        cmocka_unit_test (test_echo_in_place_refuses_decided),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
