/*  test_progress: unit tests of the sink's progress line (sink/progress.h):
    h:mm:ss, the ETA, the recent rate (a window, not the run's average),
    the percent, and the line as a user reads it, stall included.          */

#include "../sink/progress.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static void
s_assert_hms (double seconds, const char *want)
{
    char out[32];
    sink_progress_hms (seconds, out, sizeof (out));
    assert_string_equal (out, want);
}

static void
test_hms (void **state)
{
    (void) state;
    s_assert_hms (0, "0:00:00");
    s_assert_hms (9.4, "0:00:09");
    s_assert_hms (59.6, "0:01:00");
    s_assert_hms (65, "0:01:05");
    s_assert_hms (3599, "0:59:59");
    s_assert_hms (3600, "1:00:00");
    s_assert_hms (100000, "27:46:40");
    s_assert_hms (-1, "-:--:--");
    s_assert_hms (NAN, "-:--:--");
    s_assert_hms (INFINITY, "-:--:--");
    s_assert_hms (1e12, "-:--:--"); /* 31 000 years: no ETA           */
}

static void
test_eta (void **state)
{
    (void) state;
    assert_true (sink_progress_eta (0, 100, 10) == 10);
    assert_true (sink_progress_eta (40, 100, 20) == 3);
    assert_true (sink_progress_eta (100, 100, 0) == 0);  /* done       */
    assert_true (sink_progress_eta (150, 100, 5) == 0);  /* past it    */
    assert_true (sink_progress_eta (50, 100, 0) == -1);  /* stalled    */
    assert_true (sink_progress_eta (50, 100, -1) == -1); /* no rate yet */
    assert_true (sink_progress_eta (50, 100, NAN) == -1);
}

/*  Samples are taken at most once a second.                               */
static void
test_rate_samples (void **state)
{
    (void) state;
    sink_rate_t r = {.count = 0};
    sink_rate_sample (&r, 1000, 0);
    sink_rate_sample (&r, 1500, 5);
    sink_rate_sample (&r, 1999, 9);
    assert_int_equal (r.count, 1);
    sink_rate_sample (&r, 2000, 10);
    assert_int_equal (r.count, 2);
    for (int i = 3; i < 100; i++)
        sink_rate_sample (&r, 1000 * i, 10 * (uint64_t) i);
    assert_int_equal (r.count, SINK_RATE_SAMPLES); /* bounded             */
}

/*  Under a second of samples there is no rate yet.                        */
static void
test_rate_too_early (void **state)
{
    (void) state;
    sink_rate_t r = {.count = 0};
    assert_true (sink_rate_get (&r, 5000, 10) < 0);
    sink_rate_sample (&r, 5000, 0);
    assert_true (sink_rate_get (&r, 5400, 40) < 0);
    assert_true (fabs (sink_rate_get (&r, 6000, 100) - 100) < 1e-9);
}

/*  The rate is the last ten seconds', not the run's average: 100/s for a
    minute, then 10/s for twenty seconds, reads 10/s.                      */
static void
test_rate_recent (void **state)
{
    (void) state;
    sink_rate_t r = {.count = 0};
    uint64_t done = 0;
    int64_t t = 0;
    for (; t <= 60000; t += 250, done += 25) /* 100/s                    */
        sink_rate_sample (&r, t, done);
    assert_true (fabs (sink_rate_get (&r, t, done) - 100) < 1);
    for (; t <= 80000; t += 250, done += (t % 1000 == 0) ? 10 : 0)
        sink_rate_sample (&r, t, done); /* 10/s                          */
    assert_true (fabs (sink_rate_get (&r, t, done) - 10) < 1);
}

/*  Nothing for twelve seconds: the rate is 0 (so no ETA).                 */
static void
test_rate_stalled (void **state)
{
    (void) state;
    sink_rate_t r = {.count = 0};
    for (int64_t t = 0; t <= 10000; t += 1000)
        sink_rate_sample (&r, t, (uint64_t) t / 10);
    for (int64_t t = 11000; t <= 22000; t += 1000)
        sink_rate_sample (&r, t, 1000);
    assert_true (sink_rate_get (&r, 22000, 1000) == 0);
}

static sink_progress_view_t
s_running (void)
{
    return (sink_progress_view_t){.running = true,
                                  .workers = 3,
                                  .done = 1234,
                                  .total = 10000,
                                  .total_kind = SINK_TOTAL_EXACT,
                                  .rate = 850.4,
                                  .elapsed_s = 12.2,
                                  .silent_s = 0.1};
}

static void
s_assert_line (const sink_progress_view_t *v, const char *want)
{
    char out[256];
    sink_progress_format (v, out, sizeof (out));
    assert_string_equal (out, want);
}

static void
test_format_waiting (void **state)
{
    (void) state;
    sink_progress_view_t v = {.running = false, .workers = 2};
    s_assert_line (&v, "waiting for a run (no ventilator heard yet)");
}

static void
test_format_running (void **state)
{
    (void) state;
    sink_progress_view_t v = s_running ();
    /*  (10000 - 1234) / 850.4 = 10.3 s                                    */
    s_assert_line (&v, "3 workers  1234/10000 items 12.3%  850/s  "
                       "elapsed 0:00:12  ETA 0:00:10");
    v.workers = 1;
    v.rate = 2.5;
    v.done = 9999;
    v.elapsed_s = 3725;
    s_assert_line (&v, "1 worker  9999/10000 items 99.9%  2.5/s  "
                       "elapsed 1:02:05  ETA 0:00:00");
    v.rate = -1; /* under a second of the run                          */
    v.workers = 0;
    v.done = 0;
    s_assert_line (&v, "0 workers  0/10000 items 0.0%  --/s  "
                       "elapsed 1:02:05  ETA -:--:--");
}

/*  What a user reads at a glance fits a terminal of 80 columns.           */
static void
test_format_fits_80 (void **state)
{
    (void) state;
    char out[256];
    sink_progress_view_t v = {.running = true,
                              .workers = 12,
                              .done = 412000,
                              .total = 1000000,
                              .total_kind = SINK_TOTAL_ESTIMATE,
                              .rate = 25100,
                              .elapsed_s = 36000,
                              .silent_s = 0};
    sink_progress_format (&v, out, sizeof (out));
    assert_string_equal (out, "12 workers  412000/~1000000 items 41.2%  "
                              "25100/s  elapsed 10:00:00  ETA 0:00:23");
    assert_true (strlen (out) < 80);
    v.silent_s = 125;
    v.workers = 0;
    sink_progress_format (&v, out, sizeof (out));
    assert_string_equal (out, "0 workers  412000/~1000000 items 41.2%  "
                              "elapsed 10:00:00  no result for 125 s");
    assert_true (strlen (out) < 80);
}

/*  99.96% is not shown as 100% while items remain, nor is an estimate's. */
static void
test_format_percent (void **state)
{
    (void) state;
    sink_progress_view_t v = s_running ();
    v.done = 99996;
    v.total = 100000;
    v.rate = 100;
    s_assert_line (&v, "3 workers  99996/100000 items 99.9%  100/s  "
                       "elapsed 0:00:12  ETA 0:00:00");
    v.total_kind = SINK_TOTAL_ESTIMATE;
    v.done = 100500; /* past the estimate: the total says when          */
    s_assert_line (&v, "3 workers  100500/~100000 items 99.9%  100/s  "
                       "elapsed 0:00:12  ETA 0:00:00");
    v = s_running ();
    v.done = v.total = 0; /* an empty run                               */
    v.last = true;
    s_assert_line (&v, "0/0 items 100.0%  850/s  elapsed 0:00:12");
}

static void
test_format_estimate_and_unknown (void **state)
{
    (void) state;
    sink_progress_view_t v = s_running ();
    v.total_kind = SINK_TOTAL_ESTIMATE;
    v.total = 20000;
    s_assert_line (&v, "3 workers  1234/~20000 items 6.2%  850/s  "
                       "elapsed 0:00:12  ETA 0:00:22");
    v.total_kind = SINK_TOTAL_NONE; /* a pipe: no ETA                    */
    v.total = 0;
    s_assert_line (&v, "3 workers  1234 items (total not known yet)  850/s  "
                       "elapsed 0:00:12");
}

/*  Five seconds without an outcome: said, in place of the rate and the
    ETA; failures and drops when there are some.                          */
static void
test_format_stall (void **state)
{
    (void) state;
    sink_progress_view_t v = s_running ();
    v.silent_s = 4.9;
    s_assert_line (&v, "3 workers  1234/10000 items 12.3%  850/s  "
                       "elapsed 0:00:12  ETA 0:00:10");
    v.silent_s = 12.7;
    v.rate = 0;
    v.workers = 0;
    v.failed = 2;
    v.dropped = 1;
    s_assert_line (&v, "0 workers  1234/10000 items 12.3%  elapsed 0:00:12  "
                       "no result for 12 s  failed 2  dropped 1");
    v.total_kind = SINK_TOTAL_NONE;
    s_assert_line (&v, "0 workers  1234 items (total not known yet)  elapsed "
                       "0:00:12  no result for 12 s  failed 2  dropped 1");
    v = s_running ();
    v.done = v.total; /* all in: waiting for DONE is no stall            */
    v.silent_s = 30;
    s_assert_line (&v, "3 workers  10000/10000 items 100.0%  850/s  "
                       "elapsed 0:00:12  ETA 0:00:00");
    v.last = true; /* the final line: no workers, ETA or stall         */
    v.done = 5;
    s_assert_line (&v, "5/10000 items 0.1%  850/s  elapsed 0:00:12");
}

/*  A line that does not fit is cut, NUL-terminated.                       */
static void
test_format_truncated (void **state)
{
    (void) state;
    sink_progress_view_t v = s_running ();
    char out[12];
    memset (out, 'x', sizeof (out));
    sink_progress_format (&v, out, sizeof (out));
    assert_string_equal (out, "3 workers  ");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_hms),
        cmocka_unit_test (test_eta),
        cmocka_unit_test (test_rate_samples),
        cmocka_unit_test (test_rate_too_early),
        cmocka_unit_test (test_rate_recent),
        cmocka_unit_test (test_rate_stalled),
        cmocka_unit_test (test_format_waiting),
        cmocka_unit_test (test_format_running),
        cmocka_unit_test (test_format_fits_80),
        cmocka_unit_test (test_format_percent),
        cmocka_unit_test (test_format_estimate_and_unknown),
        cmocka_unit_test (test_format_stall),
        cmocka_unit_test (test_format_truncated),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
