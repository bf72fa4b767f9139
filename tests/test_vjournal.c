/*  test_vjournal: unit tests of vent_journal (ventilator/journal.h): a
    run written and read back (head, count, acked ranges); the same input
    passes the check, a changed one is found and placed; a torn last
    record is left out; compaction keeps what the journal vouches for; a
    sink journal, a newer format and garbage are refused.

    Each test works in a fresh directory under /tmp.                       */

#include "../ventilator/journal.h"
#include "pp_error.h"
#include "pp_wire.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

typedef struct {
    char dir[64];
    char path[96];  /* dir/vent.journal                             */
    uint64_t base;  /* the fake window: [0, base) acked, or        */
    uint64_t evens; /* ... the first evens even seqs                */
} fixture_t;

static const vent_journal_head_t s_head = {.run_id = 0x1234,
                                           .kind = VENT_JOURNAL_RECORDS,
                                           .delim = '\n',
                                           .window = 64,
                                           .batch = 8,
                                           .skip = 3,
                                           .max_item = 1024};

static int
s_setup (void **state)
{
    fixture_t *fx = calloc (1, sizeof (fixture_t));
    assert_non_null (fx);
    strcpy (fx->dir, "/tmp/test_vjournal.XXXXXX");
    assert_non_null (mkdtemp (fx->dir));
    snprintf (fx->path, sizeof (fx->path), "%s/vent.journal", fx->dir);
    *state = fx;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *fx = *state;
    unlink (fx->path);
    rmdir (fx->dir);
    free (fx);
    return 0;
}

/*  The snapshot of the fake window: [0, base) acked.                      */
static void
s_snapshot (void *ctx, vent_journal_range_fn *emit, void *arg)
{
    fixture_t *fx = ctx;
    if (fx->base > 0)
        emit (arg, 0, fx->base);
    for (uint64_t i = 0; fx->base == 0 && i < fx->evens; i++)
        emit (arg, 2 * i, 1);
}

/*  Numbers records "r<from>".."r<to>" (from 1), the i-th changed when i
    == changed. Returns the first error of vent_journal_numbered.         */
static int
s_number (vent_journal_t *journal, uint64_t from, uint64_t to, uint64_t changed)
{
    int rc = 0;
    for (uint64_t i = from; i <= to && rc == 0; i++) {
        char record[32];
        int len = snprintf (record, sizeof (record), "r%llu%s",
                            (unsigned long long) i, i == changed ? "x" : "");
        rc = vent_journal_numbered (journal, 0, record, (size_t) len);
    }
    return rc;
}

static vent_journal_t *
s_load (fixture_t *fx)
{
    vent_journal_t *journal = NULL;
    char why[256];
    assert_int_equal (vent_journal_load (fx->path, &journal, why, sizeof (why)),
                      0);
    return journal;
}

/*  A run of 100 items, some acked, is read back whole: the head, the
    count, exactly the acked seqs.                                        */
static void
test_replay (void **state)
{
    fixture_t *fx = *state;
    vent_journal_t *journal = vent_journal_new (fx->path, &s_head);
    assert_non_null (journal);
    assert_int_equal (vent_journal_begin (journal, s_snapshot, fx), 0);
    assert_int_equal (s_number (journal, 1, 60, 0), 0);
    vent_journal_acked (journal, 0, 10);
    vent_journal_acked (journal, 10, 5); /* adjacent: one range         */
    vent_journal_acked (journal, 20, 3);
    assert_int_equal (vent_journal_flush (journal, 1000, false), 0);
    assert_int_equal (s_number (journal, 61, 100, 0), 0);
    vent_journal_acked (journal, 50, 2);
    vent_journal_acked (journal, 99, 5); /* past what was numbered: cut */
    assert_int_equal (vent_journal_flush (journal, 1010, false), 0); /* early */
    assert_int_equal (
        vent_journal_flush (journal, 1000 + VENT_JOURNAL_FLUSH_MS, false), 0);
    vent_journal_destroy (&journal, false);

    journal = s_load (fx);
    const vent_journal_head_t *head = vent_journal_head (journal);
    assert_int_equal (head->run_id, 0x1234);
    assert_int_equal (head->skip, 3);
    assert_int_equal (head->window, 64);
    assert_int_equal (head->delim, '\n');
    assert_int_equal (vent_journal_resumed (journal), 100);
    uint64_t acked = 0;
    for (uint64_t seq = 0; seq < 100; seq++) {
        bool want = seq < 15 || (seq >= 20 && seq < 23) ||
                    (seq >= 50 && seq < 52) || seq == 99;
        assert_int_equal (vent_journal_was_acked (journal, seq), want);
        acked += want;
    }
    assert_int_equal (acked, 21);
    assert_int_equal (s_number (journal, 1, 100, 0), 0); /* same input */
    vent_journal_destroy (&journal, false);
}

/*  A changed record is found, placed between two samples; a record
    changed past the journal's count is not its business.                */
static void
test_changed_input (void **state)
{
    fixture_t *fx = *state;
    vent_journal_t *journal = vent_journal_new (fx->path, &s_head);
    assert_int_equal (vent_journal_begin (journal, s_snapshot, fx), 0);
    for (uint64_t i = 0; i < 10; i++) { /* samples at 10, 20, ... 100   */
        assert_int_equal (s_number (journal, i * 10 + 1, i * 10 + 10, 0), 0);
        assert_int_equal (vent_journal_flush (journal, 0, true), 0);
    }
    vent_journal_destroy (&journal, false);

    journal = s_load (fx);
    assert_int_equal (s_number (journal, 1, 100, 37), PP_EPROTO);
    uint64_t from, to;
    vent_journal_differs (journal, &from, &to);
    assert_int_equal (from, 37); /* early in a run: the record itself */
    assert_int_equal (to, 37);
    vent_journal_destroy (&journal, false);

    journal = s_load (fx);
    assert_int_equal (s_number (journal, 1, 120, 110), 0);
    vent_journal_destroy (&journal, false);
}

/*  Later in a long run the samples thin out, the journal stays small,
    and a changed record is placed within a 1/256th of the run.          */
static void
test_changed_far (void **state)
{
    fixture_t *fx = *state;
    vent_journal_t *journal = vent_journal_new (fx->path, &s_head);
    assert_int_equal (vent_journal_begin (journal, s_snapshot, fx), 0);
    for (uint64_t i = 0; i < 100; i++) {
        assert_int_equal (s_number (journal, i * 3000 + 1, i * 3000 + 3000, 0),
                          0);
        assert_int_equal (vent_journal_flush (journal, 0, true), 0);
    }
    assert_true (vent_journal_size (journal) < 64 * 1024);
    vent_journal_destroy (&journal, false);

    journal = s_load (fx);
    assert_int_equal (s_number (journal, 1, 300000, 250001), PP_EPROTO);
    uint64_t from, to;
    vent_journal_differs (journal, &from, &to);
    assert_true (from <= 250001 && to >= 250001);
    assert_true (to - from < 300000 / 256);
    vent_journal_destroy (&journal, false);
}

/*  A crash mid-write tears the last record: it is left out, the records
    before count.                                                          */
static void
test_torn_last_record (void **state)
{
    fixture_t *fx = *state;
    vent_journal_t *journal = vent_journal_new (fx->path, &s_head);
    assert_int_equal (vent_journal_begin (journal, s_snapshot, fx), 0);
    assert_int_equal (s_number (journal, 1, 40, 0), 0);
    vent_journal_acked (journal, 0, 20);
    assert_int_equal (vent_journal_flush (journal, 0, true), 0);
    uint64_t whole = vent_journal_size (journal);
    assert_int_equal (s_number (journal, 41, 50, 0), 0);
    vent_journal_acked (journal, 20, 10);
    assert_int_equal (vent_journal_flush (journal, 0, true), 0);
    vent_journal_destroy (&journal, false);
    struct stat st;
    assert_int_equal (stat (fx->path, &st), 0);
    assert_true ((uint64_t) st.st_size > whole + 8);
    assert_int_equal (truncate (fx->path, st.st_size - 7), 0);

    journal = s_load (fx);
    assert_int_equal (vent_journal_resumed (journal), 40);
    assert_true (vent_journal_was_acked (journal, 19));
    assert_false (vent_journal_was_acked (journal, 20));
    vent_journal_destroy (&journal, false);
}

/*  Past its bound the file is compacted: smaller, and it still vouches
    for the count, the hash and every acked seq.                         */
static void
test_compaction (void **state)
{
    fixture_t *fx = *state;
    vent_journal_t *journal = vent_journal_new (fx->path, &s_head);
    assert_int_equal (vent_journal_begin (journal, s_snapshot, fx), 0);
    assert_int_equal (s_number (journal, 1, 200000, 0), 0);
    uint64_t peak = 0, compactions = 0;
    for (uint64_t seq = 0; seq < 200000; seq += 2) { /* no two adjacent */
        vent_journal_acked (journal, seq, 1);
        fx->evens = seq / 2 + 1;
        uint64_t before = vent_journal_size (journal);
        if (seq % 512 == 0)
            assert_int_equal (vent_journal_flush (journal, 0, true), 0);
        compactions += vent_journal_size (journal) < before;
        if (vent_journal_size (journal) > peak)
            peak = vent_journal_size (journal);
    }
    fx->base = 200000; /* then every odd one: the window is empty      */
    for (uint64_t seq = 1; seq < 200000; seq += 2)
        vent_journal_acked (journal, seq, 1);
    assert_int_equal (vent_journal_flush (journal, 0, true), 0);
    assert_true (compactions > 0); /* past 1 MiB: compacted           */
    assert_true (peak > (1 << 20) && peak < (16 << 20)); /* bounded */
    vent_journal_destroy (&journal, false);

    journal = s_load (fx);
    assert_int_equal (vent_journal_resumed (journal), 200000);
    for (uint64_t seq = 0; seq < 200000; seq += 997)
        assert_true (vent_journal_was_acked (journal, seq));
    assert_int_equal (s_number (journal, 1, 200000, 0), 0);
    vent_journal_destroy (&journal, false);
    journal = s_load (fx);
    assert_int_equal (s_number (journal, 1, 200000, 150001), PP_EPROTO);
    vent_journal_destroy (&journal, false);
}

/*  Writes size bytes of data as the journal file.                       */
static void
s_write_file (const char *path, const uint8_t *data, size_t size)
{
    FILE *file = fopen (path, "wb");
    assert_non_null (file);
    assert_int_equal (fwrite (data, 1, size, file), size);
    fclose (file);
}

/*  A sink journal, a newer format, garbage, an empty file and no file
    are refused, each saying what it is.                                  */
static void
test_refused (void **state)
{
    fixture_t *fx = *state;
    vent_journal_t *journal = NULL;
    char why[256];
    assert_int_equal (vent_journal_load (fx->path, &journal, why, sizeof (why)),
                      PP_EIO); /* no file                             */
    assert_null (journal);

    uint8_t data[76 + 64] = {0};
    pp_put_u32 (data, 0x50504a31u); /* "PPJ1"                          */
    s_write_file (fx->path, data, sizeof (data));
    assert_int_equal (vent_journal_load (fx->path, &journal, why, sizeof (why)),
                      PP_EPROTO);
    assert_non_null (strstr (why, "pp-sink journal"));

    journal = vent_journal_new (fx->path, &s_head); /* then made newer  */
    assert_int_equal (vent_journal_begin (journal, s_snapshot, fx), 0);
    vent_journal_destroy (&journal, false);
    FILE *file = fopen (fx->path, "r+b");
    assert_non_null (file);
    uint8_t version[4];
    pp_put_u32 (version, VENT_JOURNAL_VERSION + 1);
    assert_int_equal (fseek (file, 12, SEEK_SET), 0);
    assert_int_equal (fwrite (version, 1, 4, file), 4);
    fclose (file);
    assert_int_equal (vent_journal_load (fx->path, &journal, why, sizeof (why)),
                      PP_EPROTO);
    assert_non_null (strstr (why, "newer pushpull"));

    s_write_file (fx->path, (const uint8_t *) "hello, world\n", 13);
    assert_int_equal (vent_journal_load (fx->path, &journal, why, sizeof (why)),
                      PP_EPROTO);
    assert_non_null (strstr (why, "not a pp-ventilator journal"));

    s_write_file (fx->path, data, 0);
    assert_int_equal (vent_journal_load (fx->path, &journal, why, sizeof (why)),
                      PP_EPROTO);
    assert_non_null (strstr (why, "holds no run"));
    assert_null (journal);
}

/*  A drain's stop is read back, and survives a compaction.              */
static void
test_stopped (void **state)
{
    fixture_t *fx = *state;
    vent_journal_t *journal = vent_journal_new (fx->path, &s_head);
    assert_int_equal (vent_journal_begin (journal, s_snapshot, fx), 0);
    assert_int_equal (s_number (journal, 1, 30, 0), 0);
    assert_false (vent_journal_stopped (journal));
    assert_int_equal (vent_journal_stop (journal), 0);
    assert_true (vent_journal_stopped (journal));
    vent_journal_destroy (&journal, false);

    journal = s_load (fx);
    assert_true (vent_journal_stopped (journal));
    assert_int_equal (vent_journal_resumed (journal), 30);
    assert_int_equal (s_number (journal, 1, 30, 0), 0);
    assert_int_equal (vent_journal_begin (journal, s_snapshot, fx), 0);
    vent_journal_destroy (&journal, false);
    journal = s_load (fx); /* begin compacted it                        */
    assert_true (vent_journal_stopped (journal));
    assert_int_equal (vent_journal_resumed (journal), 30);
    vent_journal_destroy (&journal, false);
}

/*  A completed run is read back as completed, with its counts.          */
static void
test_done (void **state)
{
    fixture_t *fx = *state;
    vent_journal_t *journal = vent_journal_new (fx->path, &s_head);
    assert_int_equal (vent_journal_begin (journal, s_snapshot, fx), 0);
    assert_int_equal (s_number (journal, 1, 5, 0), 0);
    uint64_t counts[4] = {5, 3, 1, 1}, got[4] = {0};
    assert_false (vent_journal_was_done (journal, got));
    assert_int_equal (vent_journal_done (journal, counts), 0);
    vent_journal_destroy (&journal, false);
    journal = s_load (fx);
    assert_true (vent_journal_was_done (journal, got));
    assert_memory_equal (got, counts, sizeof (counts));
    vent_journal_destroy (&journal, false);
}

/*  A compaction after DONE keeps it: the sink's COMPLETE arrives right
    behind its last acks, whose flush may compact the file; a ventilator
    killed then must still find the run completed.                         */
static void
test_done_survives_compaction (void **state)
{
    fixture_t *fx = *state;
    vent_journal_t *journal = vent_journal_new (fx->path, &s_head);
    assert_int_equal (vent_journal_begin (journal, s_snapshot, fx), 0);
    assert_int_equal (s_number (journal, 1, 200000, 0), 0);
    uint64_t seq = 0;
    for (; vent_journal_size (journal) < (1 << 20) - 4096; seq += 2) {
        vent_journal_acked (journal, seq, 1); /* no two adjacent          */
        fx->evens = seq / 2 + 1;
        if (seq % 512 == 0)
            assert_int_equal (vent_journal_flush (journal, 0, true), 0);
    }
    uint64_t counts[4] = {200000, 200000, 0, 0}, got[4] = {0};
    assert_int_equal (vent_journal_done (journal, counts), 0);
    struct stat before, after;
    assert_int_equal (stat (fx->path, &before), 0);
    for (int i = 0; i < 2000; i++, seq += 2) { /* past the limit         */
        vent_journal_acked (journal, seq, 1);
        fx->evens = seq / 2 + 1;
    }
    assert_int_equal (vent_journal_flush (journal, 0, true), 0);
    assert_int_equal (stat (fx->path, &after), 0);
    assert_true (after.st_ino != before.st_ino); /* a new file: compacted */
    vent_journal_destroy (&journal, false);
    journal = s_load (fx);
    assert_true (vent_journal_was_done (journal, got));
    assert_memory_equal (got, counts, sizeof (counts));
    vent_journal_destroy (&journal, false);
}

/*  destroy (remove) takes the file away: a completed run leaves none.    */
static void
test_remove (void **state)
{
    fixture_t *fx = *state;
    vent_journal_t *journal = vent_journal_new (fx->path, &s_head);
    assert_int_equal (vent_journal_begin (journal, s_snapshot, fx), 0);
    assert_int_equal (access (fx->path, F_OK), 0);
    vent_journal_destroy (&journal, true);
    assert_null (journal);
    assert_int_equal (access (fx->path, F_OK), -1);
    vent_journal_destroy (&journal, true); /* NULL-safe                 */
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_replay, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_changed_input, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_changed_far, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_torn_last_record, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_compaction, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_stopped, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_done, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_done_survives_compaction, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_remove, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
