/*  test_ledger: unit tests of sink_ledger (sink/ledger.h), the sink's
    dedup and reorder ring: new, duplicate and out-of-window seqs, base
    moving over recorded seqs and stopping at holes, --ordered release in
    seq order, and what it lists for acks and for the incomplete report.  */

#include "../sink/ledger.h"
#include "pp_error.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

/*  Advances, asserting that no result is released (not ordered, or only
    failed outcomes passed).                                               */
static void
s_advance_quiet (sink_ledger_t *ledger)
{
    const char *data = NULL;
    size_t len = 0;
    assert_false (sink_ledger_advance (ledger, &data, &len));
}

/*  Records seq as an ok result held for --ordered.                        */
static void
s_record_held (sink_ledger_t *ledger, uint64_t seq, const char *text)
{
    assert_int_equal (sink_ledger_record (ledger, seq), SINK_LEDGER_NEW);
    assert_int_equal (sink_ledger_hold (ledger, seq, text, strlen (text)), 0);
}

static void
test_new_destroy (void **state)
{
    (void) state;
    assert_null (sink_ledger_new (0, false));
    sink_ledger_t *ledger = sink_ledger_new (4, false);
    assert_non_null (ledger);
    assert_int_equal (sink_ledger_base (ledger), 0);
    assert_int_equal (sink_ledger_window (ledger), 4);
    assert_int_equal (sink_ledger_end (ledger), 0);
    sink_ledger_destroy (&ledger);
    assert_null (ledger);
    sink_ledger_destroy (&ledger); /* safe twice, and on NULL          */
    sink_ledger_destroy (NULL);
}

/*  A seq is new once; again, it is a duplicate, before and after base
    moves past it. check says the same and records nothing.              */
static void
test_duplicates (void **state)
{
    (void) state;
    sink_ledger_t *ledger = sink_ledger_new (8, false);
    assert_int_equal (sink_ledger_check (ledger, 3), SINK_LEDGER_NEW);
    assert_int_equal (sink_ledger_check (ledger, 3), SINK_LEDGER_NEW);
    assert_int_equal (sink_ledger_record (ledger, 3), SINK_LEDGER_NEW);
    assert_int_equal (sink_ledger_check (ledger, 3), SINK_LEDGER_DUPLICATE);
    assert_int_equal (sink_ledger_record (ledger, 3), SINK_LEDGER_DUPLICATE);
    assert_int_equal (sink_ledger_record (ledger, 0), SINK_LEDGER_NEW);
    assert_int_equal (sink_ledger_base (ledger), 0); /* not advanced yet  */
    s_advance_quiet (ledger);
    assert_int_equal (sink_ledger_base (ledger), 1);
    assert_int_equal (sink_ledger_record (ledger, 0), SINK_LEDGER_DUPLICATE);
    assert_int_equal (sink_ledger_record (ledger, 3), SINK_LEDGER_DUPLICATE);
    sink_ledger_destroy (&ledger);
}

/*  Below base: recorded long ago, a duplicate. At or past base + window:
    out of window, not recorded; it comes into the window as base moves.  */
static void
test_out_of_window (void **state)
{
    (void) state;
    sink_ledger_t *ledger = sink_ledger_new (4, false);
    assert_int_equal (sink_ledger_record (ledger, 4),
                      SINK_LEDGER_OUT_OF_WINDOW);
    assert_int_equal (sink_ledger_record (ledger, UINT64_MAX),
                      SINK_LEDGER_OUT_OF_WINDOW);
    assert_int_equal (sink_ledger_record (ledger, 3), SINK_LEDGER_NEW);
    assert_int_equal (sink_ledger_record (ledger, 0), SINK_LEDGER_NEW);
    assert_int_equal (sink_ledger_record (ledger, 1), SINK_LEDGER_NEW);
    s_advance_quiet (ledger);
    assert_int_equal (sink_ledger_base (ledger), 2);
    assert_int_equal (sink_ledger_check (ledger, 1), SINK_LEDGER_DUPLICATE);
    assert_int_equal (sink_ledger_check (ledger, 5), SINK_LEDGER_NEW);
    assert_int_equal (sink_ledger_record (ledger, 6),
                      SINK_LEDGER_OUT_OF_WINDOW);
    /*  The refused seq was not recorded: once in the window it is new.   */
    assert_int_equal (sink_ledger_record (ledger, 4), SINK_LEDGER_NEW);
    assert_int_equal (sink_ledger_record (ledger, 2), SINK_LEDGER_NEW);
    s_advance_quiet (ledger);
    assert_int_equal (sink_ledger_base (ledger), 5);
    sink_ledger_destroy (&ledger);
}

/*  Base moves over recorded seqs and stops at the first hole; filling
    the hole lets it go on to the next one.                               */
static void
test_advance_over_holes (void **state)
{
    (void) state;
    sink_ledger_t *ledger = sink_ledger_new (8, false);
    uint64_t seqs[] = {0, 1, 3, 4, 6};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal (sink_ledger_record (ledger, seqs[i]),
                          SINK_LEDGER_NEW);
    s_advance_quiet (ledger);
    assert_int_equal (sink_ledger_base (ledger), 2);
    assert_int_equal (sink_ledger_end (ledger), 7);
    s_advance_quiet (ledger); /* nothing more: stays                     */
    assert_int_equal (sink_ledger_base (ledger), 2);
    sink_ledger_record (ledger, 2);
    s_advance_quiet (ledger);
    assert_int_equal (sink_ledger_base (ledger), 5);
    sink_ledger_record (ledger, 5);
    s_advance_quiet (ledger);
    assert_int_equal (sink_ledger_base (ledger), 7);
    assert_int_equal (sink_ledger_end (ledger), 7);
    sink_ledger_destroy (&ledger);
}

/*  The ring wraps: many times the window, in an order that keeps every
    seq in the window, every seq new once and base exact.                 */
static void
test_wraps (void **state)
{
    (void) state;
    const uint32_t window = 5;
    sink_ledger_t *ledger = sink_ledger_new (window, false);
    for (uint64_t start = 0; start < 100 * window; start += window) {
        for (uint64_t i = window; i > 0; i--) /* backwards: holes first   */
            assert_int_equal (sink_ledger_record (ledger, start + i - 1),
                              SINK_LEDGER_NEW);
        assert_int_equal (sink_ledger_record (ledger, start + window),
                          SINK_LEDGER_OUT_OF_WINDOW);
        s_advance_quiet (ledger);
        assert_int_equal (sink_ledger_base (ledger), start + window);
    }
    sink_ledger_t *one = sink_ledger_new (1, false);
    for (uint64_t seq = 0; seq < 10; seq++) {
        assert_int_equal (sink_ledger_record (one, seq + 1),
                          SINK_LEDGER_OUT_OF_WINDOW);
        assert_int_equal (sink_ledger_record (one, seq), SINK_LEDGER_NEW);
        s_advance_quiet (one);
    }
    assert_int_equal (sink_ledger_base (one), 10);
    sink_ledger_destroy (&one);
    sink_ledger_destroy (&ledger);
}

/*  --ordered: results held out of order come out in seq order, each once,
    when base reaches them; a seq without a result (failed) is passed.    */
static void
test_ordered_release (void **state)
{
    (void) state;
    sink_ledger_t *ledger = sink_ledger_new (8, true);
    s_record_held (ledger, 3, "three");
    s_record_held (ledger, 1, "one");
    assert_int_equal (sink_ledger_record (ledger, 2), SINK_LEDGER_NEW);
    s_advance_quiet (ledger); /* 0 has no outcome: nothing goes          */
    assert_int_equal (sink_ledger_base (ledger), 0);
    s_record_held (ledger, 0, "zero");
    s_record_held (ledger, 5, "five");
    const char *expect[] = {"zero", "one", "three"};
    const uint64_t base_after[] = {1, 2, 4};
    const char *data;
    size_t len;
    for (size_t i = 0; i < 3; i++) {
        assert_true (sink_ledger_advance (ledger, &data, &len));
        assert_int_equal (len, strlen (expect[i]));
        assert_memory_equal (data, expect[i], len);
        assert_int_equal (sink_ledger_base (ledger), base_after[i]);
    }
    assert_false (sink_ledger_advance (ledger, &data, &len));
    assert_int_equal (sink_ledger_base (ledger), 4); /* 4 is a hole      */
    s_record_held (ledger, 4, "");                   /* an empty result */
    assert_true (sink_ledger_advance (ledger, &data, &len));
    assert_int_equal (len, 0);
    assert_true (sink_ledger_advance (ledger, &data, &len));
    assert_memory_equal (data, "five", 4);
    assert_false (sink_ledger_advance (ledger, &data, &len));
    assert_int_equal (sink_ledger_base (ledger), 6);
    sink_ledger_destroy (&ledger); /* nothing held                       */
}

/*  Held results still in the ring are freed with it (the ASan build
    checks); a hold is refused where it makes no sense.                   */
static void
test_hold_bounds (void **state)
{
    (void) state;
    sink_ledger_t *plain = sink_ledger_new (4, false);
    sink_ledger_record (plain, 0);
    assert_int_equal (sink_ledger_hold (plain, 0, "x", 1), PP_EINVAL);
    sink_ledger_destroy (&plain);
    sink_ledger_t *ledger = sink_ledger_new (4, true);
    assert_int_equal (sink_ledger_hold (ledger, 1, "x", 1), PP_EINVAL);
    assert_int_equal (sink_ledger_hold (ledger, 9, "x", 1), PP_EINVAL);
    s_record_held (ledger, 1, "one");
    s_record_held (ledger, 3, "three");
    s_record_held (ledger, 0, "zero");
    const char *data;
    size_t len;
    assert_true (sink_ledger_advance (ledger, &data, &len)); /* zero      */
    assert_int_equal (sink_ledger_hold (ledger, 0, "x", 1), PP_EINVAL);
    sink_ledger_destroy (&ledger); /* one and three still held           */
}

/*  Past max_held bytes, held results wait in the spill file: memory holds
    no more than the bound, and every result comes back whole, in seq
    order, whether it waited in memory or on disk; the file is reused once
    empty.                                                                 */
static void
test_hold_spills (void **state)
{
    (void) state;
    sink_ledger_t *ledger = sink_ledger_new (16, true);
    sink_ledger_set_max_held (ledger, 10, NULL);
    char big[5000];
    memset (big, 'b', sizeof (big));
    for (int round = 0; round < 2; round++) {
        uint64_t at = (uint64_t) round * 6;
        s_record_held (ledger, at + 1, "one");   /* 3 bytes: memory      */
        s_record_held (ledger, at + 2, "two22"); /* 8: memory            */
        s_record_held (ledger, at + 3, "three"); /* 13: disk             */
        sink_ledger_record (ledger, at + 4);
        assert_int_equal (sink_ledger_hold (ledger, at + 4, big, sizeof (big)),
                          0);
        s_record_held (ledger, at + 5, "ab"); /* 10: memory           */
        assert_int_equal (sink_ledger_held_bytes (ledger), 10);
        assert_int_equal (sink_ledger_spilled (ledger), 2 * (round + 1));
        sink_ledger_record (ledger, at);
        const char *data;
        size_t len;
        const char *want[] = {"one", "two22", "three", NULL, "ab"};
        for (int i = 0; i < 5; i++) {
            assert_true (sink_ledger_advance (ledger, &data, &len));
            if (want[i]) {
                assert_int_equal (len, strlen (want[i]));
                assert_memory_equal (data, want[i], len);
            } else {
                assert_int_equal (len, sizeof (big));
                assert_memory_equal (data, big, len);
            }
        }
        assert_false (sink_ledger_advance (ledger, &data, &len));
        assert_int_equal (sink_ledger_base (ledger), at + 6);
        assert_int_equal (sink_ledger_held_bytes (ledger), 0);
        assert_int_equal (sink_ledger_spill_error (ledger), 0);
    }
    sink_ledger_destroy (&ledger);
}

/*  Disk blocks the unlinked spill file in dir takes (it is found among
    this process's descriptors by its directory).                         */
static long long
s_spill_blocks (const char *dir)
{
    DIR *fds = opendir ("/proc/self/fd");
    assert_non_null (fds);
    long long blocks = -1;
    struct dirent *entry;
    while ((entry = readdir (fds))) {
        char link[320], target[512];
        snprintf (link, sizeof (link), "/proc/self/fd/%s", entry->d_name);
        ssize_t n = readlink (link, target, sizeof (target) - 1);
        if (n <= 0)
            continue;
        target[n] = '\0';
        struct stat st;
        if (strncmp (target, dir, strlen (dir)) == 0 && stat (link, &st) == 0)
            blocks = (long long) st.st_blocks;
    }
    closedir (fds);
    return blocks;
}

/*  A steady backlog: one result always waits in the spill file (2k+4
    comes before the 2k+3 it waits for), so the file never empties.
    The space of what was read back is freed: the disk holds a few
    results, not all 200 ever spilled (12.8 MB before).                   */
static void
test_spill_space_freed (void **state)
{
    (void) state;
    char dir[] = "/tmp/test_ledger.XXXXXX";
    assert_non_null (mkdtemp (dir));
    sink_ledger_t *ledger = sink_ledger_new (1024, true);
    sink_ledger_set_max_held (ledger, 1, dir);
    static char big[65536];
    const char *data;
    size_t len;
    assert_int_equal (sink_ledger_record (ledger, 0), SINK_LEDGER_NEW);
    assert_int_equal (sink_ledger_hold (ledger, 0, "zero", 4), 0);
    assert_true (sink_ledger_advance (ledger, &data, &len));
    memset (big, 'a', sizeof (big));
    assert_int_equal (sink_ledger_record (ledger, 2), SINK_LEDGER_NEW);
    assert_int_equal (sink_ledger_hold (ledger, 2, big, sizeof (big)), 0);
    for (uint64_t k = 0; k < 200; k++) {
        memset (big, 'a' + (int) (k % 26), sizeof (big));
        uint64_t seqs[] = {2 * k + 4, 2 * k + 1}; /* 2k+4 waits for 2k+3 */
        for (int i = 0; i < 2; i++) {
            assert_int_equal (sink_ledger_record (ledger, seqs[i]),
                              SINK_LEDGER_NEW);
            assert_int_equal (
                sink_ledger_hold (ledger, seqs[i], big, sizeof (big)), 0);
        }
        int out = 0;
        while (sink_ledger_advance (ledger, &data, &len)) {
            assert_int_equal (len, sizeof (big));
            out++;
        }
        assert_int_equal (out, 2);
        assert_int_equal (sink_ledger_base (ledger), 2 * k + 3);
    }
    long long blocks = s_spill_blocks (dir);
    assert_true (blocks >= 0);
    assert_true (blocks * 512 < 1024 * 1024);
    assert_int_equal (sink_ledger_spill_error (ledger), 0);
    sink_ledger_destroy (&ledger);
    rmdir (dir);
}

/*  The seqs with an outcome from a point on: the part below base as one
    range, then the recorded ones, max at a time, going on where the last
    call stopped until all is listed.                                     */
static void
test_ranges (void **state)
{
    (void) state;
    sink_ledger_t *ledger = sink_ledger_new (16, false);
    uint64_t seqs[] = {0, 1, 2, 3, 5, 6, 8, 10, 11, 12};
    for (size_t i = 0; i < 10; i++)
        sink_ledger_record (ledger, seqs[i]);
    s_advance_quiet (ledger); /* base 4                                   */
    uint64_t first[4], n[4], next;
    assert_int_equal (sink_ledger_ranges (ledger, 1, first, n, 4, &next), 4);
    uint64_t want_first[] = {1, 5, 8, 10}, want_n[] = {3, 2, 1, 3};
    for (int i = 0; i < 4; i++) {
        assert_int_equal (first[i], want_first[i]);
        assert_int_equal (n[i], want_n[i]);
    }
    assert_int_equal (next, SINK_LEDGER_ALL);
    /*  Two at a time: each call goes on where the last one stopped.      */
    assert_int_equal (sink_ledger_ranges (ledger, 0, first, n, 2, &next), 2);
    assert_int_equal (first[0], 0);
    assert_int_equal (n[0], 4);
    assert_int_equal (first[1], 5);
    assert_int_equal (n[1], 2);
    assert_int_equal (next, 8);
    assert_int_equal (sink_ledger_ranges (ledger, next, first, n, 2, &next), 2);
    assert_int_equal (first[0], 8);
    assert_int_equal (first[1], 10);
    assert_int_equal (n[1], 3);
    assert_int_equal (next, SINK_LEDGER_ALL);
    /*  From above base: only what is recorded from there.                */
    assert_int_equal (sink_ledger_ranges (ledger, 6, first, n, 4, &next), 3);
    assert_int_equal (first[0], 6);
    assert_int_equal (n[0], 1);
    /*  Nothing at all from past the last recorded seq.                   */
    assert_int_equal (sink_ledger_ranges (ledger, 13, first, n, 4, &next), 0);
    assert_int_equal (next, SINK_LEDGER_ALL);
    sink_ledger_destroy (&ledger);
}

typedef struct {
    uint64_t first[8], n[8];
    int count;
} s_holes_t;

static void
s_on_hole (void *arg, uint64_t first, uint64_t n)
{
    s_holes_t *holes = arg;
    assert_true (holes->count < 8);
    holes->first[holes->count] = first;
    holes->n[holes->count++] = n;
}

/*  What is missing up to an end: the holes of the ring, and everything
    past the ring, joined to a hole that reaches the ring's end.          */
static void
test_missing (void **state)
{
    (void) state;
    sink_ledger_t *ledger = sink_ledger_new (8, false);
    uint64_t seqs[] = {0, 1, 3, 4, 7};
    for (size_t i = 0; i < 5; i++)
        sink_ledger_record (ledger, seqs[i]);
    s_advance_quiet (ledger); /* base 2, ring [2, 10)                    */
    s_holes_t holes = {0};
    sink_ledger_missing (ledger, 8, s_on_hole, &holes);
    assert_int_equal (holes.count, 2);
    assert_int_equal (holes.first[0], 2);
    assert_int_equal (holes.n[0], 1);
    assert_int_equal (holes.first[1], 5);
    assert_int_equal (holes.n[1], 2);
    memset (&holes, 0, sizeof (holes));
    sink_ledger_missing (ledger, 20, s_on_hole, &holes);
    assert_int_equal (holes.count, 3);
    assert_int_equal (holes.first[2], 8); /* 8, 9 and past the ring      */
    assert_int_equal (holes.n[2], 12);
    memset (&holes, 0, sizeof (holes));
    sink_ledger_record (ledger, 8);
    sink_ledger_record (ledger, 9);
    sink_ledger_missing (ledger, 12, s_on_hole, &holes);
    assert_int_equal (holes.count, 3);
    assert_int_equal (holes.first[2], 10); /* past the ring alone         */
    assert_int_equal (holes.n[2], 2);
    memset (&holes, 0, sizeof (holes));
    sink_ledger_missing (ledger, 2, s_on_hole, &holes); /* none         */
    assert_int_equal (holes.count, 0);
    sink_ledger_destroy (&ledger);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_new_destroy),
        cmocka_unit_test (test_duplicates),
        cmocka_unit_test (test_out_of_window),
        cmocka_unit_test (test_advance_over_holes),
        cmocka_unit_test (test_wraps),
        cmocka_unit_test (test_ordered_release),
        cmocka_unit_test (test_hold_bounds),
        cmocka_unit_test (test_hold_spills),
        cmocka_unit_test (test_spill_space_freed),
        cmocka_unit_test (test_ranges),
        cmocka_unit_test (test_missing),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
