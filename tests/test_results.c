/*  test_results: outcomes into RESULT batches (pp_results.h): an ok
    result as it is, a failure with its reason, a NUL and the start of its
    input (when it fits), and a dropped slice naming the worker.           */

#include "pp_error.h"
#include "pp_results.h"
#include "pp_wire.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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
    pp_record_t task = {.seq = 7, .attempt = 2, .len = 5, .data = "input"};
    pp_buf_t out = {.max = 100};
    pp_buf_append (&out, "81", 2);
    assert_int_equal (pp_results_add (results, &task, &out, PP_OUTCOME_OK), 0);
    assert_int_equal (results->count, 1);
    pp_record_t rec = s_record (results, 0);
    assert_int_equal (rec.seq, 7);
    assert_int_equal (rec.attempt, 2);
    assert_int_equal (rec.outcome, PP_OUTCOME_OK);
    assert_int_equal (rec.len, 2);
    assert_memory_equal (rec.data, "81", 2);
    pp_buf_free (&out);
    pp_results_free (results);
    pp_results_free (NULL);
}

/*  reason, NUL, the first PP_RESULTS_INPUT_SHOWN bytes of the input.      */
static void
test_failure_shows_input (void **state)
{
    (void) state;
    char input[300];
    memset (input, 'x', sizeof (input));
    pp_batch_t *results = pp_results_new ();
    pp_record_t task = {.seq = 1, .len = 3, .data = "abc"};
    pp_buf_t out = {.max = 1000};
    pp_buf_append (&out, "bad", 3);
    pp_results_add (results, &task, &out, PP_OUTCOME_FAILED);
    task = (pp_record_t){.seq = 2, .len = sizeof (input), .data = input};
    out.len = 0;
    pp_buf_append (&out, "long", 4);
    pp_results_add (results, &task, &out, PP_OUTCOME_FAILED);
    pp_record_t rec = s_record (results, 0);
    assert_int_equal (rec.outcome, PP_OUTCOME_FAILED);
    assert_int_equal (rec.len, 3 + 1 + 3);
    assert_memory_equal (rec.data, "bad\0abc", 7);
    rec = s_record (results, 1);
    assert_int_equal (rec.len, 4 + 1 + PP_RESULTS_INPUT_SHOWN);
    assert_memory_equal (rec.data, "long\0xxx", 8);
    pp_buf_free (&out);
    pp_results_free (results);
}

/*  No room under out->max for the input: the reason alone.               */
static void
test_failure_no_room (void **state)
{
    (void) state;
    pp_batch_t *results = pp_results_new ();
    pp_record_t task = {.seq = 1, .len = 10, .data = "0123456789"};
    pp_buf_t out = {.max = 14};
    pp_buf_append (&out, "why", 3); /* 3 + 1 + 10 = 14: fits           */
    pp_results_add (results, &task, &out, PP_OUTCOME_FAILED);
    out.max = 13;
    out.len = 0;
    pp_buf_append (&out, "why", 3); /* 15 > 13: the reason alone       */
    pp_results_add (results, &task, &out, PP_OUTCOME_FAILED);
    assert_int_equal (s_record (results, 0).len, 14);
    pp_record_t rec = s_record (results, 1);
    assert_int_equal (rec.len, 3);
    assert_memory_equal (rec.data, "why", 3);
    pp_buf_free (&out);
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
    const char reason[] = "dropped: worker 0000002a channel full\0hi";
    for (uint32_t i = 0; i < 3; i++) {
        pp_record_t rec = s_record (results, i);
        assert_int_equal (rec.seq, 40 + i);
        assert_int_equal (rec.outcome, PP_OUTCOME_DROPPED);
        assert_int_equal (rec.len, sizeof (reason) - 1);
        assert_memory_equal (rec.data, reason, sizeof (reason) - 1);
    }
    pp_results_free (results);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_ok_as_it_is),
        cmocka_unit_test (test_failure_shows_input),
        cmocka_unit_test (test_failure_no_room),
        cmocka_unit_test (test_dropped),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
