/*  test_results: outcomes into RESULT batches (pp_results.h): an ok
    result as it is with its input and how it ran, a failure with its
    reason and its whole input, an echo not sent twice, a task decided by
    the ventilator passed on without an input, and a dropped slice naming
    the worker.                                                            */

#include "pp_error.h"
#include "pp_results.h"
#include "pp_wire.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/*  Record i of a checked batch.                                           */
static pp_record_t
s_record (const pp_batch_t *batch, uint32_t i)
{
    size_t offset = 0;
    pp_record_t rec = {0};
    pp_reject_t reason;
    assert_int_equal (pp_wire_check_batch (batch->data, batch->size,
                                           batch->count, 1 << 20, &reason),
                      0);
    for (uint32_t n = 0; n <= i; n++)
        assert_true (
            pp_wire_next_record (batch->data, batch->size, &offset, &rec));
    return rec;
}

static void
test_ok_as_it_is (void **state)
{
    (void) state;
    pp_batch_t *results = pp_results_new ();
    pp_record_t task = {
        .seq = 7, .record = 8, .attempt = 2, .len = 5, .data = "input"};
    pp_buf_t out = {.max = 100};
    pp_buf_append (&out, "81", 2);
    pp_ran_t ran = {.start_us = 1000, .runtime_us = 250, .status = -9};
    assert_int_equal (
        pp_results_add (results, &task, &out, PP_OUTCOME_OK, &ran), 0);
    assert_int_equal (results->count, 1);
    pp_record_t rec = s_record (results, 0);
    assert_int_equal (rec.seq, 7);
    assert_int_equal (rec.record, 8);
    assert_int_equal (rec.attempt, 2);
    assert_int_equal (rec.outcome, PP_OUTCOME_OK);
    assert_int_equal (rec.len, 2);
    assert_memory_equal (rec.data, "81", 2);
    assert_int_equal (rec.input_len, 5);
    assert_memory_equal (rec.input, "input", 5);
    assert_int_equal (rec.start_us, 1000);
    assert_int_equal (rec.runtime_us, 250);
    assert_int_equal (rec.status, -9);
    pp_buf_free (&out);
    pp_results_free (results);
    pp_results_free (NULL);
}

/*  A failure: its reason, and its whole input however long.             */
static void
test_failure_has_input (void **state)
{
    (void) state;
    char input[3000];
    memset (input, 'x', sizeof (input));
    pp_batch_t *results = pp_results_new ();
    pp_record_t task = {.seq = 2, .len = sizeof (input), .data = input};
    pp_buf_t out = {.max = 1000};
    pp_buf_append (&out, "long", 4);
    pp_results_add (results, &task, &out, PP_OUTCOME_FAILED, NULL);
    pp_record_t rec = s_record (results, 0);
    assert_int_equal (rec.outcome, PP_OUTCOME_FAILED);
    assert_int_equal (rec.len, 4);
    assert_memory_equal (rec.data, "long", 4);
    assert_int_equal (rec.input_len, sizeof (input));
    assert_memory_equal (rec.input, input, sizeof (input));
    assert_int_equal (rec.start_us, 0); /* NULL: it did not run        */
    pp_buf_free (&out);
    pp_results_free (results);
}

/*  A result equal to its input (an echo) travels once.                   */
static void
test_echo_sent_once (void **state)
{
    (void) state;
    pp_batch_t *results = pp_results_new ();
    pp_record_t task = {.seq = 1, .len = 10, .data = "0123456789"};
    pp_buf_t out = {.max = 100};
    pp_buf_append (&out, "0123456789", 10);
    pp_results_add (results, &task, &out, PP_OUTCOME_OK, NULL);
    assert_int_equal (results->size, PP_WIRE_RECORD_SIZE + 10);
    pp_record_t rec = s_record (results, 0);
    assert_int_equal (rec.len, 10);
    assert_int_equal (rec.input_len, 10);
    assert_ptr_equal (rec.input, rec.data);
    pp_buf_free (&out);
    pp_results_free (results);
}

/*  A task the ventilator failed already: its bytes are the reason, and
    there is no input to send.                                             */
static void
test_decided_has_no_input (void **state)
{
    (void) state;
    pp_batch_t *results = pp_results_new ();
    pp_record_t task = {
        .seq = 3, .outcome = PP_OUTCOME_FAILED, .len = 3, .data = "big"};
    pp_buf_t as_is = {.data = "big", .len = 3, .max = 3};
    pp_results_add (results, &task, &as_is, PP_OUTCOME_FAILED, NULL);
    pp_record_t rec = s_record (results, 0);
    assert_int_equal (rec.len, 3);
    assert_int_equal (rec.input_len, 0);
    pp_results_free (results);
}

/*  A task given up after --max-deliver: its bytes are the reason, and the
    item's input it came with goes on to the sink (the rerun file).       */
static void
test_decided_keeps_its_input (void **state)
{
    (void) state;
    pp_batch_t *results = pp_results_new ();
    pp_record_t task = {.seq = 4,
                        .outcome = PP_OUTCOME_FAILED,
                        .len = 6,
                        .data = "gave u",
                        .input_len = 2,
                        .input = "13"};
    pp_buf_t as_is = {.data = "gave u", .len = 6, .max = 6};
    pp_results_add (results, &task, &as_is, PP_OUTCOME_FAILED, NULL);
    pp_record_t rec = s_record (results, 0);
    assert_int_equal (rec.len, 6);
    assert_memory_equal (rec.data, "gave u", 6);
    assert_int_equal (rec.input_len, 2);
    assert_memory_equal (rec.input, "13", 2);
    pp_results_free (results);
}

/*  A dropped slice: every record, in order, dropped, naming the worker. */
static void
test_dropped (void **state)
{
    (void) state;
    uint8_t payload[256];
    size_t size = 0;
    for (uint64_t seq = 40; seq < 43; seq++) {
        pp_record_t rec = {.seq = seq, .len = 2, .data = "hi"};
        size += pp_wire_encode_record (&rec, payload + size);
    }
    pp_slice_t slice = {.data = payload, .size = size, .count = 3};
    pp_batch_t *results = pp_results_dropped (&slice, 0x2a, 1 << 20);
    assert_non_null (results);
    assert_int_equal (results->count, 3);
    const char reason[] = "dropped: worker 0000002a channel full";
    for (uint32_t i = 0; i < 3; i++) {
        pp_record_t rec = s_record (results, i);
        assert_int_equal (rec.seq, 40 + i);
        assert_int_equal (rec.outcome, PP_OUTCOME_DROPPED);
        assert_int_equal (rec.len, sizeof (reason) - 1);
        assert_memory_equal (rec.data, reason, sizeof (reason) - 1);
        assert_int_equal (rec.input_len, 2);
        assert_memory_equal (rec.input, "hi", 2);
    }
    pp_results_free (results);
}

/*  A batch's first buffer fits its first record to the page, not to the
    next power of two: a big item's batch does not take twice its size
    (every TASK batch of big items gets a new buffer). Then it doubles.   */
static void
test_big_first_record_fits (void **state)
{
    (void) state;
    size_t len = 260 * 1024;
    char *item = calloc (1, len);
    assert_non_null (item);
    pp_batch_t batch = {0};
    pp_record_t rec = {.seq = 1, .len = (uint32_t) len, .data = item};
    assert_int_equal (pp_batch_add (&batch, &rec), 0);
    size_t need = PP_WIRE_RECORD_SIZE + len;
    assert_int_equal (batch.size, need);
    assert_true (batch.cap >= need && batch.cap < need + 4096);
    assert_int_equal (pp_batch_add (&batch, &rec), 0); /* then doubles  */
    assert_int_equal (batch.size, 2 * need);
    assert_true (batch.cap >= 2 * need);
    pp_batch_reset (&batch);
    pp_batch_t small = {0};
    rec.len = 8;
    assert_int_equal (pp_batch_add (&small, &rec), 0);
    assert_int_equal (small.cap, 4096); /* small ones as before          */
    pp_batch_free (&small);
    pp_batch_free (&batch);
    free (item);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_ok_as_it_is),
        cmocka_unit_test (test_failure_has_input),
        cmocka_unit_test (test_echo_sent_once),
        cmocka_unit_test (test_decided_has_no_input),
        cmocka_unit_test (test_decided_keeps_its_input),
        cmocka_unit_test (test_dropped),
        cmocka_unit_test (test_big_first_record_fits),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
