/*  test_feed: unit tests of vent_feed, the ventilator's items in order
    (ventilator/feed.h): its states, --rate pacing on a made-up clock, the
    inbox under each --overflow policy, a drain's stop, and when the total
    becomes final.

    Input is --generate N (the numbers 1..N) unless a test needs an fd:
    then a pipe written by the test. The window is the test: "full" means
    calling vent_feed_read_ahead instead of vent_feed_next.               */

#include "../ventilator/feed.h"
#include "pp_error.h"
#include "pp_wire.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define S_T0 1000 /* dispatch starts (ms)                              */

typedef struct {
    vent_input_t *input;
    vent_pool_t *pool;
    vent_feed_t *feed;
    int fds[2]; /* a pipe for fd input, else -1                      */
} fixture_t;

static fixture_t *
s_open_bytes (vent_input_t *input, size_t ahead, size_t ahead_bytes,
              double rate)
{
    fixture_t *fx = calloc (1, sizeof (fixture_t));
    assert_non_null (fx);
    fx->fds[0] = fx->fds[1] = -1;
    fx->input = input;
    assert_non_null (fx->input);
    fx->pool = vent_pool_new (16);
    assert_non_null (fx->pool);
    vent_feed_config_t config = {.run_id = 42,
                                 .ahead = ahead,
                                 .ahead_bytes = ahead_bytes,
                                 .rate = rate,
                                 .max_item = 4};
    fx->feed = vent_feed_new (fx->input, fx->pool, &config);
    assert_non_null (fx->feed);
    vent_feed_start (fx->feed, S_T0);
    return fx;
}

static fixture_t *
s_open_with (vent_input_t *input, size_t ahead, double rate)
{
    return s_open_bytes (input, ahead, 0, rate);
}

/*  A feed of the numbers 1..n, its inbox ahead deep, paced at rate.      */
static fixture_t *
s_open (uint64_t n, size_t ahead, double rate)
{
    return s_open_with (vent_input_new_generate (1, n), ahead, rate);
}

/*  A feed of lines from a pipe (records over 4 bytes are oversized).     */
static fixture_t *
s_open_pipe (void)
{
    int fds[2];
    assert_int_equal (pipe (fds), 0);
    fixture_t *fx = s_open_with (vent_input_new_fd (fds[0], '\n', 4), 8, 0);
    fx->fds[0] = fds[0];
    fx->fds[1] = fds[1];
    return fx;
}

static void
s_close (fixture_t *fx)
{
    vent_feed_destroy (&fx->feed);
    assert_null (fx->feed);
    vent_feed_destroy (&fx->feed); /* twice: NULL-safe               */
    vent_input_destroy (&fx->input);
    vent_pool_destroy (&fx->pool);
    for (int i = 0; i < 2; i++)
        if (fx->fds[i] >= 0)
            close (fx->fds[i]);
    free (fx);
}

/*  Asserts the next item at now_ms is text (and frees it).                */
static void
s_expect (fixture_t *fx, int64_t now_ms, const char *text)
{
    pp_item_t *item = NULL;
    assert_int_equal (vent_feed_next (fx->feed, now_ms, 7, &item), 1);
    assert_non_null (item);
    assert_int_equal (item->len, strlen (text));
    assert_string_equal (item->data, text);
    assert_int_equal (item->run_id, 42);
    assert_int_equal (item->t_enq_us, 7);
    vent_pool_free (fx->pool, item);
}

/*  Asserts there is no item at now_ms.                                    */
static void
s_expect_none (fixture_t *fx, int64_t now_ms)
{
    pp_item_t *item = NULL;
    assert_int_equal (vent_feed_next (fx->feed, now_ms, 7, &item), 0);
    assert_null (item);
}

/*  Asserts the numbers from..to come next.                                */
static void
s_expect_range (fixture_t *fx, int64_t now_ms, int from, int to)
{
    for (int i = from; i <= to; i++) {
        char text[16];
        snprintf (text, sizeof (text), "%d", i);
        s_expect (fx, now_ms, text);
    }
}

/*  Every record in order; the end of input makes the total final at
    once, as nothing waits in the inbox.                                   */
static void
test_in_order_then_ended (void **state)
{
    (void) state;
    fixture_t *fx = s_open (5, 8, 0);
    assert_int_equal (vent_feed_state (fx->feed), VENT_FEED_READING);
    s_expect_range (fx, S_T0, 1, 5);
    assert_false (vent_feed_ended (fx->feed));
    s_expect_none (fx, S_T0);
    assert_int_equal (vent_feed_state (fx->feed), VENT_FEED_ENDED);
    assert_true (vent_feed_ended (fx->feed));
    assert_false (vent_feed_ready (fx->feed, true, S_T0));
    s_expect_none (fx, S_T0);
    s_close (fx);
}

/*  --rate 10: record k + 1 may go once k - 1 tenths of a second passed
    (one ahead of the pace, so a batch can start at once); a stall does
    not let it catch up.                                                   */
static void
test_rate_paces (void **state)
{
    (void) state;
    fixture_t *fx = s_open (100, 8, 10);
    s_expect (fx, S_T0, "1");
    s_expect_none (fx, S_T0);
    s_expect (fx, S_T0 + 1, "2");
    assert_false (vent_feed_ready (fx->feed, true, S_T0 + 100));
    s_expect_none (fx, S_T0 + 100);
    assert_true (vent_feed_ready (fx->feed, true, S_T0 + 101));
    s_expect (fx, S_T0 + 101, "3");
    s_expect_none (fx, S_T0 + 101);
    s_expect_range (fx, S_T0 + 1000, 4, 11); /* 1 + 10 per second      */
    s_expect_none (fx, S_T0 + 1000);
    vent_feed_stall (fx->feed, 5000); /* stopped 5 s: not 50 more        */
    s_expect_none (fx, S_T0 + 6000);
    s_expect (fx, S_T0 + 6001, "12");
    s_expect_none (fx, S_T0 + 6001);
    assert_int_equal (vent_feed_state (fx->feed), VENT_FEED_READING);
    s_close (fx);
}

/*  --skip is not paced: the first record sent is record 6, at once, and
    the pace counts from it.                                               */
static void
test_rate_skips_unpaced (void **state)
{
    (void) state;
    vent_input_t *input = vent_input_new_generate (1, 10);
    assert_non_null (input);
    vent_input_skip (input, 5);
    fixture_t *fx = s_open_with (input, 8, 1);
    s_expect (fx, S_T0, "6");
    s_expect (fx, S_T0 + 1, "7");
    s_expect_none (fx, S_T0 + 1000);
    s_expect (fx, S_T0 + 1001, "8");
    s_close (fx);
}

/*  --overflow block: the inbox fills, one record waits for room, reading
    stops; then everything comes out in order, nothing dropped.           */
static void
test_overflow_block (void **state)
{
    (void) state;
    fixture_t *fx = s_open (10, 4, 0);
    assert_int_equal (vent_feed_read_ahead (fx->feed, S_T0, 7), 0);
    assert_false (vent_feed_ready (fx->feed, false, S_T0)); /* blocked */
    assert_true (vent_feed_ready (fx->feed, true, S_T0));
    s_expect_range (fx, S_T0, 1, 10);
    s_expect_none (fx, S_T0);
    assert_true (vent_feed_ended (fx->feed));
    assert_int_equal (vent_feed_dropped (fx->feed), 0);
    s_close (fx);
}

/*  --overflow block: the time reading stood still for a full window is
    counted from the read that found the inbox full to the moment the
    waiting record got room; under drop, reading never pauses.            */
static void
test_paused_time (void **state)
{
    (void) state;
    fixture_t *fx = s_open (10, 4, 0);
    assert_int_equal (vent_feed_paused_ms (fx->feed, S_T0), 0);
    assert_int_equal (vent_feed_read_ahead (fx->feed, S_T0, 7), 0);
    assert_int_equal (vent_feed_paused_ms (fx->feed, S_T0 + 300), 300);
    s_expect (fx, S_T0 + 500, "1"); /* room, but the record still waits */
    assert_int_equal (vent_feed_read_ahead (fx->feed, S_T0 + 500, 7), 0);
    assert_int_equal (vent_feed_paused_ms (fx->feed, S_T0 + 500), 500);
    s_expect_range (fx, S_T0 + 700, 2, 6); /* "6", the last to wait     */
    assert_int_equal (vent_feed_paused_ms (fx->feed, S_T0 + 900), 700);
    s_expect_range (fx, S_T0 + 900, 7, 10);
    assert_int_equal (vent_feed_paused_ms (fx->feed, S_T0 + 5000), 700);
    s_close (fx);

    fx = s_open (10, 4, 0);
    assert_int_equal (vent_feed_set_overflow (fx->feed, PP_OVERFLOW_DROP, NULL),
                      0);
    assert_int_equal (vent_feed_read_ahead (fx->feed, S_T0, 7), 0);
    assert_int_equal (vent_feed_paused_ms (fx->feed, S_T0 + 300), 0);
    s_close (fx);
}

/*  --overflow drop: what the inbox cannot hold is counted, never handed
    out; the total is final once the inbox is empty.                      */
static void
test_overflow_drop (void **state)
{
    (void) state;
    fixture_t *fx = s_open (10, 4, 0);
    assert_int_equal (vent_feed_set_overflow (fx->feed, PP_OVERFLOW_DROP, NULL),
                      0);
    assert_true (vent_feed_ready (fx->feed, false, S_T0)); /* may drop */
    assert_int_equal (vent_feed_read_ahead (fx->feed, S_T0, 7), 0);
    assert_int_equal (vent_feed_dropped (fx->feed), 6);
    assert_int_equal (vent_feed_state (fx->feed), VENT_FEED_EOF);
    s_expect_range (fx, S_T0, 1, 3);
    assert_false (vent_feed_ended (fx->feed));
    s_expect (fx, S_T0, "4");
    assert_true (vent_feed_ended (fx->feed));
    s_expect_none (fx, S_T0);
    assert_int_equal (vent_feed_dropped (fx->feed), 6);
    s_close (fx);
}

/*  The inbox is full by bytes long before its count: block holds the
    reading there, drop drops past it (issue 21: big items).              */
static void
test_inbox_bytes_bound (void **state)
{
    (void) state;
    size_t one = sizeof (pp_item_t) + 2; /* "1".."9"                   */
    fixture_t *fx =
        s_open_bytes (vent_input_new_generate (1, 10), 100, 3 * one, 0);
    assert_int_equal (vent_feed_read_ahead (fx->feed, S_T0, 7), 0);
    assert_false (vent_feed_ready (fx->feed, false, S_T0)); /* blocked */
    assert_int_equal (vent_input_returned (fx->input), 4);  /* 3 + 1 held */
    s_expect (fx, S_T0, "1");
    assert_int_equal (vent_feed_read_ahead (fx->feed, S_T0, 7), 0);
    assert_int_equal (vent_input_returned (fx->input), 5);
    s_expect_range (fx, S_T0, 2, 10);
    s_expect_none (fx, S_T0);
    assert_true (vent_feed_ended (fx->feed));
    s_close (fx);

    fx = s_open_bytes (vent_input_new_generate (1, 10), 100, 3 * one, 0);
    assert_int_equal (vent_feed_set_overflow (fx->feed, PP_OVERFLOW_DROP, NULL),
                      0);
    assert_int_equal (vent_feed_read_ahead (fx->feed, S_T0, 7), 0);
    assert_int_equal (vent_feed_dropped (fx->feed), 7);
    s_expect_range (fx, S_T0, 1, 3);
    assert_true (vent_feed_ended (fx->feed));
    s_close (fx);
}

static int s_fd_under (const char *dir);

/*  --overflow spill with a byte bound: the ring in memory holds what the
    bound holds of the largest items (here one), the rest goes to disk
    and comes back in order.                                               */
static void
test_spill_ring_by_bytes (void **state)
{
    (void) state;
    char dir[] = "/tmp/pp-test-feed.XXXXXX";
    assert_non_null (mkdtemp (dir));
    size_t largest = sizeof (pp_item_t) + 4 + 1; /* max_item 4          */
    fixture_t *fx =
        s_open_bytes (vent_input_new_generate (1, 10), 100, largest + 1, 0);
    assert_int_equal (vent_feed_set_overflow (fx->feed, PP_OVERFLOW_SPILL, dir),
                      0);
    assert_int_equal (vent_feed_read_ahead (fx->feed, S_T0, 7), 0);
    assert_int_equal (vent_input_returned (fx->input), 10);
    int fd = s_fd_under (dir);
    assert_true (fd >= 0);
    struct stat st;
    assert_int_equal (fstat (fd, &st), 0);
    assert_true (st.st_size > 0); /* 9 of the 10 on disk               */
    s_expect_range (fx, S_T0, 1, 10);
    assert_true (vent_feed_ended (fx->feed));
    assert_int_equal (vent_feed_dropped (fx->feed), 0);
    s_close (fx);
    assert_int_equal (rmdir (dir), 0);
}

/*  A feed of 1..10 read ahead with --overflow spill into a new dir (a
    mkdtemp template): 2 in memory, the rest on disk.                     */
static fixture_t *
s_open_spilled (char *dir)
{
    assert_non_null (mkdtemp (dir));
    fixture_t *fx = s_open (10, 2, 0);
    assert_int_equal (vent_feed_set_overflow (fx->feed, PP_OVERFLOW_SPILL, dir),
                      0);
    assert_int_equal (vent_feed_read_ahead (fx->feed, S_T0, 7), 0);
    return fx;
}

/*  --overflow spill: the inbox holds 2 in memory, the rest on disk; all
    come back in order and nothing is dropped.                             */
static void
test_overflow_spill (void **state)
{
    (void) state;
    char dir[] = "/tmp/pp-test-feed.XXXXXX";
    fixture_t *fx = s_open_spilled (dir);
    assert_int_equal (vent_feed_state (fx->feed), VENT_FEED_EOF);
    s_expect_range (fx, S_T0, 1, 10);
    assert_true (vent_feed_ended (fx->feed));
    assert_int_equal (vent_feed_dropped (fx->feed), 0);
    s_close (fx);
    assert_int_equal (rmdir (dir), 0); /* the spill file was unlinked */
}

/*  The fd of this process's open file under dir, or -1.                 */
static int
s_fd_under (const char *dir)
{
    for (int fd = 3; fd < 1024; fd++) {
        char link[64], path[512];
        snprintf (link, sizeof (link), "/proc/self/fd/%d", fd);
        ssize_t n = readlink (link, path, sizeof (path) - 1);
        if (n > 0 && (path[n] = '\0', strstr (path, dir)))
            return fd;
    }
    return -1;
}

/*  --overflow spill, and the spill file cannot be read back (its fd
    swapped for a write-only one): the items in memory come, then the feed
    says PP_EIO -- records were lost, the run cannot be whole -- instead
    of ending as if the input had been shorter.                            */
static void
test_overflow_spill_lost (void **state)
{
    (void) state;
    char dir[] = "/tmp/pp-test-feed.XXXXXX";
    fixture_t *fx = s_open_spilled (dir);
    int fd = s_fd_under (dir);
    assert_true (fd >= 0);
    char path[600];
    snprintf (path, sizeof (path), "%s/write-only", dir);
    int wo = open (path, O_WRONLY | O_CREAT, 0600);
    assert_true (wo >= 0);
    assert_int_equal (dup2 (wo, fd), fd);
    close (wo);
    unlink (path);
    int rc = 1, got = 0;
    for (int n = 0; rc == 1 && n < 20; n++) {
        pp_item_t *item = NULL;
        rc = vent_feed_next (fx->feed, S_T0, 7, &item);
        if (rc == 1) {
            got++;
            vent_pool_free (fx->pool, item);
        }
    }
    assert_int_equal (rc, PP_EIO);
    assert_true (got < 10);
    assert_false (vent_feed_ended (fx->feed));
    s_close (fx);
    assert_int_equal (rmdir (dir), 0);
}

/*  A drain stops at what was numbered: what waits in the inbox (read
    ahead, never handed out) is let go, and the total is final on the next
    call for an item. A second stop, or one after the end, is nothing.    */
static void
test_stop_drains_inbox (void **state)
{
    (void) state;
    fixture_t *fx = s_open (100, 4, 0);
    s_expect_range (fx, S_T0, 1, 2);
    assert_int_equal (vent_feed_read_ahead (fx->feed, S_T0, 7), 0);
    vent_feed_stop (fx->feed);
    assert_int_equal (vent_feed_state (fx->feed), VENT_FEED_STOPPED);
    assert_false (vent_feed_ended (fx->feed));
    vent_feed_stop (fx->feed);
    assert_int_equal (vent_feed_state (fx->feed), VENT_FEED_STOPPED);
    s_expect_none (fx, S_T0); /* 4 inboxed, 1 waiting for room: let go */
    assert_true (vent_feed_ended (fx->feed));
    vent_feed_stop (fx->feed);
    assert_int_equal (vent_feed_state (fx->feed), VENT_FEED_ENDED);
    s_close (fx);
}

/*  A stop with nothing read ahead: the total becomes final on the next
    call for an item, not at the stop itself (the run's state changes
    where it dispatches).                                                  */
static void
test_stop_empty (void **state)
{
    (void) state;
    fixture_t *fx = s_open (100, 4, 0);
    s_expect (fx, S_T0, "1");
    vent_feed_stop (fx->feed);
    assert_false (vent_feed_ended (fx->feed));
    assert_false (vent_feed_ready (fx->feed, true, S_T0));
    s_expect_none (fx, S_T0);
    assert_true (vent_feed_ended (fx->feed));
    s_close (fx);
}

/*  fd input: NEED_FD until the fd is read; a record split across reads
    waits; the end of the pipe is the end of input.                       */
static void
test_need_fd (void **state)
{
    (void) state;
    fixture_t *fx = s_open_pipe ();
    s_expect_none (fx, S_T0);
    assert_int_equal (vent_feed_state (fx->feed), VENT_FEED_NEED_FD);
    assert_true (vent_feed_wants_fd (fx->feed, S_T0));
    assert_false (vent_feed_ready (fx->feed, true, S_T0));
    assert_int_equal (write (fx->fds[1], "a\nb", 3), 3);
    assert_int_equal (vent_feed_fill (fx->feed), 0);
    assert_int_equal (vent_feed_state (fx->feed), VENT_FEED_READING);
    assert_false (vent_feed_wants_fd (fx->feed, S_T0));
    s_expect (fx, S_T0, "a");
    s_expect_none (fx, S_T0); /* "b" is not a whole record yet      */
    assert_int_equal (vent_feed_state (fx->feed), VENT_FEED_NEED_FD);
    assert_int_equal (write (fx->fds[1], "\n", 1), 1);
    close (fx->fds[1]);
    fx->fds[1] = -1;
    assert_int_equal (vent_feed_fill (fx->feed), 0);
    s_expect (fx, S_T0, "b");
    while (vent_feed_state (fx->feed) != VENT_FEED_ENDED) {
        s_expect_none (fx, S_T0);
        if (vent_feed_wants_fd (fx->feed, S_T0))
            assert_int_equal (vent_feed_fill (fx->feed), 0);
    }
    s_close (fx);
}

/*  A record over --max-item-size is an item that failed already, its
    reason in place of its bytes; the next record follows.                */
static void
test_oversized_fails (void **state)
{
    (void) state;
    fixture_t *fx = s_open_pipe ();
    const char *text = "toolong\nok\n";
    assert_int_equal (write (fx->fds[1], text, strlen (text)),
                      (ssize_t) strlen (text));
    assert_int_equal (vent_feed_fill (fx->feed), 0);
    pp_item_t *item = NULL;
    assert_int_equal (vent_feed_next (fx->feed, S_T0, 7, &item), 1);
    assert_int_equal (item->outcome, PP_OUTCOME_FAILED);
    assert_string_equal (item->data,
                         "record 1 is over --max-item-size (4 bytes)");
    vent_pool_free (fx->pool, item);
    assert_int_equal (vent_feed_next (fx->feed, S_T0, 7, &item), 1);
    assert_int_equal (item->outcome, PP_OUTCOME_OK);
    assert_string_equal (item->data, "ok");
    vent_pool_free (fx->pool, item);
    s_close (fx);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_in_order_then_ended),
        cmocka_unit_test (test_rate_paces),
        cmocka_unit_test (test_rate_skips_unpaced),
        cmocka_unit_test (test_overflow_block),
        cmocka_unit_test (test_paused_time),
        cmocka_unit_test (test_overflow_drop),
        cmocka_unit_test (test_inbox_bytes_bound),
        cmocka_unit_test (test_spill_ring_by_bytes),
        cmocka_unit_test (test_overflow_spill),
        cmocka_unit_test (test_overflow_spill_lost),
        cmocka_unit_test (test_stop_drains_inbox),
        cmocka_unit_test (test_stop_empty),
        cmocka_unit_test (test_need_fd),
        cmocka_unit_test (test_oversized_fails),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
