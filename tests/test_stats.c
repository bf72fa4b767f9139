/*  test_stats: unit tests of pp_stats' latency histogram (common/
    pp_stats.h): exact percentiles for known inputs, the bucket error
    above 16 us, and the counters the owner writes itself (outcomes the
    histogram never saw) kept out of the percentiles and the clock.

    Percentiles are nearest-rank, the rank rounded: rank = p/100 * n + 0.5
    (at least 1), and the value is that of the rank's bucket -- exact
    under 16 us, the middle of a sixteenth of a power of two above,
    never more than the largest latency seen.                              */

#include "pp_stats.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static int
s_setup (void **state)
{
    *state = pp_stats_new ();
    return *state ? 0 : -1;
}

static int
s_teardown (void **state)
{
    pp_stats_t *stats = *state;
    pp_stats_destroy (&stats);
    assert_null (stats);
    pp_stats_destroy (&stats); /* NULL-safe                             */
    return 0;
}

/*  Records an ok outcome of latency_us at now_ms.                         */
static void
s_outcome (pp_stats_t *stats, uint64_t latency_us, int64_t now_ms)
{
    pp_record_t rec = {.seq = 0, .outcome = PP_OUTCOME_OK, .data = ""};
    pp_stats_outcome (stats, 1, &rec, latency_us, now_ms);
}

static void
test_empty (void **state)
{
    pp_stats_t *stats = *state;
    assert_int_equal (pp_stats_latency (stats, 50), 0);
    assert_int_equal (pp_stats_latency (stats, 100), 0);
    assert_int_equal (pp_stats_done (stats), 0);
}

/*  Under 16 us every value has its own bucket: exact percentiles.        */
static void
test_small_values_exact (void **state)
{
    pp_stats_t *stats = *state;
    for (uint64_t us = 10; us >= 1; us--) /* order does not matter      */
        s_outcome (stats, us, 1000);
    assert_int_equal (pp_stats_latency (stats, 0), 1);   /* rank 1      */
    assert_int_equal (pp_stats_latency (stats, 10), 1);  /* rank 1      */
    assert_int_equal (pp_stats_latency (stats, 25), 3);  /* 2.5 + .5    */
    assert_int_equal (pp_stats_latency (stats, 50), 5);  /* rank 5      */
    assert_int_equal (pp_stats_latency (stats, 90), 9);  /* rank 9      */
    assert_int_equal (pp_stats_latency (stats, 99), 10); /* 9.9 + .5    */
    assert_int_equal (pp_stats_latency (stats, 100), 10);
    assert_int_equal (pp_stats_done (stats), 10);
}

/*  16..31 us are still exact; from 32 us a bucket is 1/16 of a power of
    two wide and reports its middle, clamped to the largest value seen.  */
static void
test_buckets (void **state)
{
    pp_stats_t *stats = *state;
    s_outcome (stats, 0, 1000);
    s_outcome (stats, 17, 1000);
    s_outcome (stats, 31, 1000);
    s_outcome (stats, 32, 1000);
    s_outcome (stats, 100, 1000);
    s_outcome (stats, 5000, 1000);
    /*  ranks: 0 -> 1, 17 -> 2, 31 -> 3, 32 -> 4, 100 -> 5, 5000 -> 6.     */
    assert_int_equal (pp_stats_latency (stats, 1), 0);
    assert_int_equal (pp_stats_latency (stats, 30), 17);    /* 1.8 + .5  */
    assert_int_equal (pp_stats_latency (stats, 50), 31);    /* rank 3    */
    assert_int_equal (pp_stats_latency (stats, 60), 33);    /* [32, 34)  */
    assert_int_equal (pp_stats_latency (stats, 80), 102);   /* [100, 104) */
    assert_int_equal (pp_stats_latency (stats, 100), 4992); /* [4864, 5120) */
}

/*  The middle of the top bucket is never above the largest value seen.  */
static void
test_clamped_to_max (void **state)
{
    pp_stats_t *stats = *state;
    for (int i = 0; i < 100; i++)
        s_outcome (stats, 1000, 1000); /* bucket [992, 1024): 1008       */
    assert_int_equal (pp_stats_latency (stats, 50), 1000);
    assert_int_equal (pp_stats_latency (stats, 99), 1000);
}

/*  A known mix: 90 at 100 us, 10 at 5 ms.                                 */
static void
test_mix (void **state)
{
    pp_stats_t *stats = *state;
    for (int i = 0; i < 90; i++)
        s_outcome (stats, 100, 1000);
    for (int i = 0; i < 10; i++)
        s_outcome (stats, 5000, 1000);
    assert_int_equal (pp_stats_latency (stats, 50), 102);
    assert_int_equal (pp_stats_latency (stats, 90), 102);  /* rank 90   */
    assert_int_equal (pp_stats_latency (stats, 91), 4992); /* rank 91   */
    assert_int_equal (pp_stats_latency (stats, 99), 4992);
}

/*  The largest latencies a uint64 holds stay in range: the top bucket
    of 2^63 (2^59 wide) reports its middle.                               */
static void
test_huge (void **state)
{
    pp_stats_t *stats = *state;
    s_outcome (stats, UINT64_MAX, 1000);
    s_outcome (stats, 1ull << 63, 1000);
    assert_int_equal (pp_stats_latency (stats, 100),
                      (31ull << 59) + (1ull << 58));
    assert_int_equal (pp_stats_latency (stats, 50),
                      (1ull << 63) + (1ull << 58));
}

/*  Outcomes the owner counted itself -- records the ventilator dropped
    before numbering them, or a resumed run's earlier outcomes -- have no
    latency: the percentiles are those of the latencies recorded. The bug:
    ranks were taken of every outcome, so past the recorded ones every
    percentile read as the maximum.                                        */
static void
test_counted_without_latency (void **state)
{
    pp_stats_t *stats = *state;
    pp_counts_t *counts = pp_stats_counts (stats);
    counts->dropped += 90; /* what the sink adds from the STATE        */
    for (uint64_t us = 1; us <= 10; us++)
        s_outcome (stats, us, 1000);
    assert_int_equal (pp_stats_done (stats), 100);
    assert_int_equal (pp_stats_latency (stats, 50), 5);
    assert_int_equal (pp_stats_latency (stats, 90), 9);
}

/*  The clock runs from the first outcome recorded here, even when the
    counters start above 0 (a resumed run). The bug: it never started,
    and elapsed was the time since the machine booted.                     */
static void
test_elapsed_after_preset_counts (void **state)
{
    pp_stats_t *stats = *state;
    pp_stats_counts (stats)->ok = 1000; /* --resume restores the counts */
    assert_true (pp_stats_elapsed (stats) == 0.0);
    s_outcome (stats, 10, 500000);
    s_outcome (stats, 10, 502500);
    assert_true (pp_stats_elapsed (stats) == 2.5);
    assert_int_equal (pp_stats_done (stats), 1002);
}

/*  The peak memory each binary reports is this process's: touching 32 MiB
    more raises it by about that much, never less than 30 MiB.            */
static void
test_peak_rss (void **state)
{
    (void) state;
    uint64_t before = pp_stats_peak_rss_kib ();
    assert_true (before > 0);
    size_t size = (size_t) 32 << 20;
    unsigned char *block = malloc (size);
    assert_non_null (block);
    memset (block, 1, size);
    uint64_t after = pp_stats_peak_rss_kib ();
    free (block);
    assert_true (after >= before + 30 * 1024);
}

/*  The workers heard from, by a hello or an outcome, each once: the
    sink names them in its BYE.                                             */
static void
test_worker_ids (void **state)
{
    pp_stats_t *stats = *state;
    uint32_t ids[4] = {0};
    assert_int_equal (pp_stats_worker_ids (stats, ids, 4), 0);
    pp_hello_t hello = {.threads = 1};
    pp_stats_hello (stats, 7, &hello);
    s_outcome (stats, 10, 1000); /* worker 1                          */
    s_outcome (stats, 10, 1001);
    pp_stats_hello (stats, 7, &hello);
    assert_int_equal (pp_stats_worker_ids (stats, ids, 4), 2);
    assert_int_equal (ids[0], 7);
    assert_int_equal (ids[1], 1);
    ids[0] = 0;
    assert_int_equal (pp_stats_worker_ids (stats, ids, 0), 2); /* none */
    assert_int_equal (ids[0], 0);
}

/*  Two workers said HELLO under one id; the ventilator told one to take
    another (RENAME): the row says the one that keeps it, whichever HELLO
    came last, and the other's HELLO under it, even late, is passed over. */
static void
test_renamed (void **state)
{
    pp_stats_t *stats = *state;
    pp_hello_t a = {.pid = 10, .threads = 1, .host = "a"};
    pp_hello_t n = {.pid = 20, .threads = 1, .host = "n"};
    pp_stats_hello (stats, 7, &a);
    pp_stats_hello (stats, 7, &n); /* the newcomer's came last          */
    assert_string_equal (pp_stats_host (stats, 7), "n");
    pp_stats_renamed (stats, 7, &n, &a);
    assert_string_equal (pp_stats_host (stats, 7), "a");
    pp_stats_hello (stats, 7, &n); /* late                              */
    assert_string_equal (pp_stats_host (stats, 7), "a");
    pp_stats_hello (stats, 8, &n); /* under its new id: its own row     */
    assert_string_equal (pp_stats_host (stats, 8), "n");
    /*  The RENAME first, then the newcomer's HELLO, then the owner's.    */
    pp_stats_renamed (stats, 9, &n, &a);
    assert_null (pp_stats_host (stats, 9)); /* no row made for it       */
    pp_stats_hello (stats, 9, &n);
    assert_null (pp_stats_host (stats, 9));
    pp_stats_hello (stats, 9, &a);
    assert_string_equal (pp_stats_host (stats, 9), "a");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_empty, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_worker_ids, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_renamed, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_small_values_exact, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_buckets, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_clamped_to_max, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_mix, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_huge, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_counted_without_latency, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_elapsed_after_preset_counts,
                                         s_setup, s_teardown),
        cmocka_unit_test (test_peak_rss),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
