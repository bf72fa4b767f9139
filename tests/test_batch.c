/*  test_batch: unit tests of vent_batch_build (ventilator/batch.h), where
    the feed meets the window: resends go before new items, a batch stops
    at its size, and a full window makes the feed read ahead.

    The ack timeout is long (a minute): only requeued items are due.     */

#include "../ventilator/batch.h"
#include "pp_error.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

typedef struct {
    vent_input_t *input;
    vent_pool_t *pool;
    vent_feed_t *feed;
    vent_window_t *window;
    pp_batch_t batch;
} fixture_t;

/*  The numbers 1..n through an inbox of 4 into a window of size.        */
static fixture_t *
s_open (uint64_t n, uint32_t size)
{
    fixture_t *fx = calloc (1, sizeof (fixture_t));
    assert_non_null (fx);
    fx->input = vent_input_new_generate (1, n);
    fx->pool = vent_pool_new (size);
    vent_feed_config_t config = {.ahead = 4};
    fx->feed = vent_feed_new (fx->input, fx->pool, &config);
    fx->window = vent_window_new (size, 60000, fx->pool);
    assert_non_null (fx->feed);
    assert_non_null (fx->window);
    vent_feed_start (fx->feed, pp_now_ms ());
    return fx;
}

static void
s_close (fixture_t *fx)
{
    vent_window_destroy (&fx->window);
    vent_feed_destroy (&fx->feed);
    vent_input_destroy (&fx->input);
    vent_pool_destroy (&fx->pool);
    pp_batch_free (&fx->batch);
    free (fx);
}

/*  Builds a batch of at most max; asserts its records are "seq:text" as
    listed in want (comma-separated, "" for an empty batch).              */
static void
s_build (fixture_t *fx, uint32_t max, const char *want)
{
    assert_int_equal (
        vent_batch_build (&fx->batch, fx->window, fx->feed, max, 0, NULL, NULL),
        0);
    char got[256] = "";
    size_t offset = 0, used = 0;
    pp_record_t rec;
    while (pp_wire_next_record (fx->batch.data, fx->batch.size, &offset, &rec))
        used += (size_t) snprintf (
            got + used, sizeof (got) - used, "%s%llu:%.*s", used ? "," : "",
            (unsigned long long) rec.seq, (int) rec.len, rec.data);
    assert_string_equal (got, want);
}

/*  New items are numbered in input order, max per batch, until the
    window is full; then nothing until an ack makes room, and what was
    read ahead meanwhile comes first, in order.                            */
static void
test_new_items_fill_window (void **state)
{
    (void) state;
    fixture_t *fx = s_open (12, 4);
    s_build (fx, 3, "0:1,1:2,2:3");
    s_build (fx, 3, "3:4");
    assert_true (vent_window_full (fx->window));
    s_build (fx, 3, ""); /* reads 5..8 into the inbox, 9 waits       */
    vent_window_ack (fx->window, 0, 2);
    s_build (fx, 3, "4:5,5:6");
    vent_window_ack (fx->window, 2, 4);
    s_build (fx, 8, "6:7,7:8,8:9,9:10");
    vent_window_ack (fx->window, 6, 4);
    s_build (fx, 8, "10:11,11:12"); /* the last: the total is final  */
    assert_true (vent_feed_ended (fx->feed));
    s_build (fx, 8, "");
    assert_int_equal (vent_window_next (fx->window), 12);
    s_close (fx);
}

/*  A requeued item goes before new ones, as a redelivery.                */
static void
test_resends_first (void **state)
{
    (void) state;
    fixture_t *fx = s_open (10, 8);
    s_build (fx, 3, "0:1,1:2,2:3");
    vent_window_requeue (fx->window, 1);
    s_build (fx, 3, "1:2,3:4,4:5");
    assert_int_equal (vent_window_redelivered (fx->window), 1);
    vent_window_requeue (fx->window, 4);
    vent_window_requeue (fx->window, 0);
    s_build (fx, 2, "0:1,4:5");
    s_build (fx, 2, "5:6,6:7");
    s_close (fx);
}

/*  --batch by default: 64 items at first and while the pipeline is slow;
    about a millisecond of acks once it is fast, 1024 at most; measured
    over VENT_AUTOBATCH_EVERY_MS, not more often.                         */
static void
test_autobatch (void **state)
{
    (void) state;
    vent_autobatch_t ab;
    vent_autobatch_init (&ab, 1000);
    assert_int_equal (vent_autobatch_update (&ab, 0, 1000), 64);
    /*  1000 items a second (a costly job): stays small.                   */
    assert_int_equal (vent_autobatch_update (&ab, 50, 1050), 64);
    /*  300 items/ms: 300 a batch, but only once the period is over.      */
    assert_int_equal (vent_autobatch_update (&ab, 50 + 15000, 1099), 64);
    assert_int_equal (vent_autobatch_update (&ab, 50 + 15000, 1100), 300);
    /*  3 million items a second: capped.                                 */
    assert_int_equal (vent_autobatch_update (&ab, 15050 + 150000, 1150), 1024);
    /*  The pipeline stalls: back to the floor.                            */
    assert_int_equal (vent_autobatch_update (&ab, 165050, 1200), 64);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_new_items_fill_window),
        cmocka_unit_test (test_resends_first),
        cmocka_unit_test (test_autobatch),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
