/*  test_journal: unit tests of sink_journal (sink/journal.h) and its
    replay (sink/replay.h): checkpoints written, read back exactly; a torn
    last record left out; a write that fails (the file size limit stands
    in for a full disk) leaves the journal as it was and takes no more.

    Each test works in a fresh directory under /tmp.                       */

#include "../sink/journal.h"
#include "../sink/replay.h"
#include "pp_error.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

typedef struct {
    char dir[64];
    char path[96]; /* dir/out.journal                              */
} fixture_t;

static int
s_setup (void **state)
{
    fixture_t *fx = calloc (1, sizeof (fixture_t));
    assert_non_null (fx);
    strcpy (fx->dir, "/tmp/test_journal.XXXXXX");
    assert_non_null (mkdtemp (fx->dir));
    snprintf (fx->path, sizeof (fx->path), "%s/out.journal", fx->dir);
    *state = fx;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *fx = *state;
    char other[128];
    unlink (fx->path);
    snprintf (other, sizeof (other), "%s.new", fx->path);
    unlink (other);
    rmdir (fx->dir);
    free (fx);
    return 0;
}

/*  The checkpoint of step i: every field different, so a mix-up shows.   */
static sink_checkpoint_t
s_cp (int i)
{
    return (sink_checkpoint_t){.run_id = 0xfeedf00d12345678ull,
                               .window = 16,
                               .offset = 100u * (uint64_t) i,
                               .ok = 10u * (uint64_t) i,
                               .failed = (uint64_t) i,
                               .dropped = 2u * (uint64_t) i,
                               .duplicates = 3u * (uint64_t) i,
                               .not_summed = 4u * (uint64_t) i,
                               .int_sum = -1000 * i,
                               .joblog_offset = 50u * (uint64_t) i,
                               .failed_offset = 7u * (uint64_t) i};
}

static void
s_assert_cp (const sink_checkpoint_t *got, int i)
{
    sink_checkpoint_t want = s_cp (i);
    assert_int_equal (got->run_id, want.run_id);
    assert_int_equal (got->window, want.window);
    assert_int_equal (got->offset, want.offset);
    assert_int_equal (got->ok, want.ok);
    assert_int_equal (got->failed, want.failed);
    assert_int_equal (got->dropped, want.dropped);
    assert_int_equal (got->duplicates, want.duplicates);
    assert_int_equal (got->not_summed, want.not_summed);
    assert_int_equal (got->int_sum, want.int_sum);
    assert_int_equal (got->joblog_offset, want.joblog_offset);
    assert_int_equal (got->failed_offset, want.failed_offset);
}

/*  The three checkpoints the tests write, and the ranges each carries.    */
static const uint64_t s_first[3][2] = {{0, 5}, {2, 9}, {7, 12}};
static const uint64_t s_n[3][2] = {{2, 1}, {3, 2}, {2, 1}};

/*  Writes checkpoint i (0..2) with its ranges; asserts it went.           */
static void
s_write (sink_journal_t *journal, int i)
{
    sink_checkpoint_t cp = s_cp (i);
    assert_int_equal (sink_journal_write (journal, &cp, s_first[i], s_n[i], 2),
                      0);
}

static off_t
s_size (const char *path)
{
    struct stat st;
    assert_int_equal (stat (path, &st), 0);
    return st.st_size;
}

/*  Asserts the ledger holds exactly the seqs of the first k checkpoints
    (after 2: 0-5, 9, 10; after 3: also 7, 8, 12), base past the first.   */
static void
s_assert_ledger (const sink_ledger_t *ledger, int k)
{
    bool want[16] = {false};
    for (int i = 0; i < k; i++)
        for (int r = 0; r < 2; r++)
            for (uint64_t seq = s_first[i][r]; seq < s_first[i][r] + s_n[i][r];
                 seq++)
                want[seq] = true;
    uint64_t base = 0;
    while (base < 16 && want[base])
        base++;
    assert_int_equal (sink_ledger_base (ledger), base);
    for (uint64_t seq = 0; seq < 16; seq++)
        assert_int_equal (sink_ledger_check (ledger, seq) ==
                              SINK_LEDGER_DUPLICATE,
                          want[seq]);
}

/*  Three checkpoints read back: the last one's fields exactly, and every
    range of all three in the ledger.                                      */
static void
test_replay_exact (void **state)
{
    fixture_t *fx = *state;
    sink_journal_t *journal = sink_journal_create (fx->path);
    assert_non_null (journal);
    for (int i = 0; i < 3; i++)
        s_write (journal, i);
    sink_journal_destroy (&journal, false);
    assert_null (journal);
    sink_checkpoint_t cp;
    sink_ledger_t *ledger = NULL;
    assert_int_equal (sink_replay_load (fx->path, &cp, &ledger), 0);
    s_assert_cp (&cp, 2);
    assert_int_equal (sink_ledger_window (ledger), 16);
    s_assert_ledger (ledger, 3);
    assert_int_equal (sink_ledger_base (ledger), 6); /* 0-5; 6 missing  */
    assert_int_equal (sink_ledger_end (ledger), 13);
    sink_ledger_destroy (&ledger);
}

/*  A crash mid-write tears the last record: whatever part of it is in
    the file, the journal reads as the checkpoint before it.               */
static void
test_torn_last_record (void **state)
{
    fixture_t *fx = *state;
    sink_journal_t *journal = sink_journal_create (fx->path);
    for (int i = 0; i < 3; i++)
        s_write (journal, i);
    sink_journal_destroy (&journal, false);
    off_t whole = s_size (fx->path);
    off_t record = whole / 3; /* all three carry two ranges          */
    off_t cuts[] = {whole - 1, whole - 16, whole - record + 77,
                    whole - record + 8, whole - record + 1};
    for (size_t c = 0; c < sizeof (cuts) / sizeof (cuts[0]); c++) {
        assert_int_equal (truncate (fx->path, cuts[c]), 0);
        sink_checkpoint_t cp;
        sink_ledger_t *ledger = NULL;
        assert_int_equal (sink_replay_load (fx->path, &cp, &ledger), 0);
        s_assert_cp (&cp, 1);
        s_assert_ledger (ledger, 2);
        sink_ledger_destroy (&ledger);
    }
    /*  Reopened to continue, the journal takes a checkpoint again.       */
    assert_int_equal (truncate (fx->path, whole - record), 0);
    sink_checkpoint_t cp;
    sink_ledger_t *ledger = NULL;
    assert_int_equal (sink_replay_load (fx->path, &cp, &ledger), 0);
    s_assert_cp (&cp, 1);
    sink_ledger_destroy (&ledger);
}

/*  No journal, or one without a complete checkpoint: nothing to resume.  */
static void
test_nothing_to_replay (void **state)
{
    fixture_t *fx = *state;
    sink_checkpoint_t cp;
    sink_ledger_t *ledger = (sink_ledger_t *) &cp; /* must be nulled    */
    assert_int_equal (sink_replay_load (fx->path, &cp, &ledger), PP_EPROTO);
    assert_null (ledger);
    FILE *file = fopen (fx->path, "w");
    fputs ("PPJ1 but not a record", file);
    fclose (file);
    assert_int_equal (sink_replay_load (fx->path, &cp, &ledger), PP_EPROTO);
    assert_null (ledger);
}

/*  A journal of the first format (PPJ1: no side-file lengths) written by
    an older sink is still read, its side-file lengths unknown.            */
static void
test_first_format (void **state)
{
    fixture_t *fx = *state;
    uint8_t rec[76 + 16] = {0};
    memcpy (rec, "PPJ1", 4);
    rec[7] = 1;       /* one range                    */
    rec[15] = 9;      /* run_id 9                     */
    rec[19] = 16;     /* window 16                    */
    rec[27] = 200;    /* offset 200                   */
    rec[35] = 3;      /* ok 3                         */
    rec[76 + 15] = 3; /* range [0, 3)                 */
    FILE *file = fopen (fx->path, "wb");
    assert_non_null (file);
    assert_int_equal (fwrite (rec, 1, sizeof (rec), file), sizeof (rec));
    fclose (file);
    sink_checkpoint_t cp;
    sink_ledger_t *ledger = NULL;
    assert_int_equal (sink_replay_load (fx->path, &cp, &ledger), 0);
    assert_int_equal (cp.run_id, 9);
    assert_int_equal (cp.offset, 200);
    assert_int_equal (cp.ok, 3);
    assert_true (cp.joblog_offset == SINK_OFFSET_NONE);
    assert_true (cp.failed_offset == SINK_OFFSET_NONE);
    sink_ledger_destroy (&ledger);
}

static int
s_count_range (void *arg, uint64_t first, uint64_t n)
{
    (void) first, (void) n;
    (*(int *) arg)++;
    return 0;
}

/*  A journal that cannot be read is an error, not an empty journal. The
    bug: a read error ended the read like the end of the file, so the
    checkpoints after it were silently not there -- a --resume from fewer
    seqs than were acked.                                                  */
static void
test_unreadable (void **state)
{
    fixture_t *fx = *state;
    assert_int_equal (mkdir (fx->path, 0700), 0); /* read fails: EISDIR */
    sink_checkpoint_t cp;
    int ranges = 0;
    assert_int_equal (sink_journal_read (fx->path, &cp, s_count_range, &ranges),
                      PP_EIO);
    assert_int_equal (ranges, 0);
    rmdir (fx->path);
}

/*  A hostile or corrupt journal: a range outside the window is refused.  */
static void
test_foreign_range (void **state)
{
    fixture_t *fx = *state;
    sink_journal_t *journal = sink_journal_create (fx->path);
    sink_checkpoint_t cp = s_cp (1);
    uint64_t first[] = {0, 40}, n[] = {2, 1}; /* 40 >= base + 16        */
    assert_int_equal (sink_journal_write (journal, &cp, first, n, 2), 0);
    uint64_t wrap_first[] = {5}, wrap_n[] = {UINT64_MAX};
    assert_int_equal (sink_journal_write (journal, &cp, wrap_first, wrap_n, 1),
                      0);
    sink_journal_destroy (&journal, false);
    sink_ledger_t *ledger = NULL;
    assert_int_equal (sink_replay_load (fx->path, &cp, &ledger), PP_EPROTO);
    assert_null (ledger);
}

/*  Limits the file size to limit bytes (RLIMIT_FSIZE: a write past it is
    cut short, as on a full disk); RLIM_INFINITY lifts it.                 */
static void
s_limit_size (rlim_t limit)
{
    struct rlimit rl;
    assert_int_equal (getrlimit (RLIMIT_FSIZE, &rl), 0);
    rl.rlim_cur = limit;
    assert_int_equal (setrlimit (RLIMIT_FSIZE, &rl), 0);
}

static char *
s_slurp (const char *path, size_t *size)
{
    FILE *file = fopen (path, "rb");
    assert_non_null (file);
    char *data = malloc (65536);
    *size = fread (data, 1, 65536, file);
    fclose (file);
    return data;
}

/*  A write that gets only part of its record in leaves the journal byte
    for byte as it was, and every later write fails: the caller must not
    ack what it carried.                                                   */
static void
test_failed_write_keeps_journal (void **state)
{
    fixture_t *fx = *state;
    sink_journal_t *journal = sink_journal_create (fx->path);
    s_write (journal, 0);
    s_write (journal, 1);
    size_t before_size;
    char *before = s_slurp (fx->path, &before_size);
    s_limit_size ((rlim_t) before_size + 10);
    sink_checkpoint_t cp = s_cp (2);
    assert_int_equal (sink_journal_write (journal, &cp, s_first[2], s_n[2], 2),
                      PP_EIO);
    assert_int_equal (errno, ENOSPC);
    s_limit_size (RLIM_INFINITY);
    assert_int_equal (sink_journal_write (journal, &cp, s_first[2], s_n[2], 2),
                      PP_EIO);
    size_t after_size;
    char *after = s_slurp (fx->path, &after_size);
    assert_int_equal (after_size, before_size);
    assert_memory_equal (after, before, before_size);
    sink_journal_destroy (&journal, false);
    sink_ledger_t *ledger = NULL;
    assert_int_equal (sink_replay_load (fx->path, &cp, &ledger), 0);
    s_assert_cp (&cp, 1);
    s_assert_ledger (ledger, 2);
    sink_ledger_destroy (&ledger);
    free (before);
    free (after);
}

/*  A fresh journal replaces the old one only with its first record: if
    that write fails, the old journal stays whole (and the fresh file
    goes).                                                                 */
static void
test_failed_first_write_keeps_old (void **state)
{
    fixture_t *fx = *state;
    sink_journal_t *journal = sink_journal_create (fx->path);
    s_write (journal, 0);
    s_write (journal, 1);
    sink_journal_destroy (&journal, false);
    size_t before_size;
    char *before = s_slurp (fx->path, &before_size);
    journal = sink_journal_create (fx->path); /* --resume compacts     */
    assert_non_null (journal);
    s_limit_size (20);
    sink_checkpoint_t cp = s_cp (2);
    assert_int_equal (sink_journal_write (journal, &cp, s_first[2], s_n[2], 2),
                      PP_EIO);
    s_limit_size (RLIM_INFINITY);
    sink_journal_destroy (&journal, false);
    char fresh[128];
    snprintf (fresh, sizeof (fresh), "%s.new", fx->path);
    assert_int_equal (access (fresh, F_OK), -1);
    size_t after_size;
    char *after = s_slurp (fx->path, &after_size);
    assert_int_equal (after_size, before_size);
    assert_memory_equal (after, before, before_size);
    free (before);
    free (after);
}

/*  The journal appears with its first checkpoint (before, a crash leaves
    no journal of this run), and a completed run removes it.              */
static void
test_lifecycle (void **state)
{
    fixture_t *fx = *state;
    sink_journal_t *journal = sink_journal_create (fx->path);
    assert_int_equal (access (fx->path, F_OK), -1);
    s_write (journal, 0);
    assert_int_equal (access (fx->path, F_OK), 0);
    sink_journal_destroy (&journal, true);
    assert_int_equal (access (fx->path, F_OK), -1);
    sink_journal_destroy (&journal, true); /* NULL-safe                   */
    sink_journal_destroy (NULL, true);
}

int
main (void)
{
    signal (SIGXFSZ, SIG_IGN); /* a write past the limit fails instead  */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_replay_exact, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_torn_last_record, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_nothing_to_replay, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_unreadable, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_first_format, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_foreign_range, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_failed_write_keeps_journal,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_failed_first_write_keeps_old,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_lifecycle, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
