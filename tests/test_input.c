/*  test_input: unit tests of vent_input, the ventilator's record reader
    (ventilator/input.h): splitting, CRLF lines, --skip and the one count
    of records consumed that every message naming a record relies on.

    Input comes through a pipe that holds all of it, closed for writing,
    unless a test feeds it in pieces to split a record across reads.      */

#include "../ventilator/input.h"
#include "pp_error.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

typedef struct {
    vent_input_t *input;
    int fds[2]; /* the pipe: [0] read by the input, [1] written here  */
} fixture_t;

/*  An fd input over a pipe holding bytes; the write end stays open when
    more is to come (see s_feed).                                           */
static fixture_t *
s_open (const char *bytes, size_t size, char delim, size_t max, bool more)
{
    fixture_t *fx = calloc (1, sizeof (fixture_t));
    assert_non_null (fx);
    assert_int_equal (pipe (fx->fds), 0);
    assert_int_equal (write (fx->fds[1], bytes, size), (ssize_t) size);
    if (!more) {
        close (fx->fds[1]);
        fx->fds[1] = -1;
    }
    fx->input = vent_input_new_fd (fx->fds[0], delim, max);
    assert_non_null (fx->input);
    return fx;
}

static void
s_close (fixture_t *fx)
{
    vent_input_destroy (&fx->input);
    assert_null (fx->input);
    close (fx->fds[0]);
    if (fx->fds[1] >= 0)
        close (fx->fds[1]);
    free (fx);
}

/*  Writes more input; last closes the write end (end of input).          */
static void
s_feed (fixture_t *fx, const char *bytes, bool last)
{
    size_t size = strlen (bytes);
    assert_int_equal (write (fx->fds[1], bytes, size), (ssize_t) size);
    if (last) {
        close (fx->fds[1]);
        fx->fds[1] = -1;
    }
}

/*  vent_input_next, reading from the fd while it asks for more (the pipe
    holds what the test wrote: never blocks unless the test is wrong).    */
static int
s_next (vent_input_t *input, const char **data, size_t *len)
{
    int rc;
    while ((rc = vent_input_next (input, data, len)) == 0)
        assert_int_equal (vent_input_fill (input), 0);
    return rc;
}

/*  Asserts the next record is text (NULL: that there is one).           */
static void
s_expect (vent_input_t *input, const char *text)
{
    const char *data = NULL;
    size_t len = 0;
    assert_int_equal (s_next (input, &data, &len), 1);
    if (!text)
        return; /* any record                                          */
    assert_int_equal (len, strlen (text));
    assert_memory_equal (data, text, len);
}

static void
s_expect_end (vent_input_t *input)
{
    const char *data;
    size_t len;
    assert_int_equal (s_next (input, &data, &len), PP_ECLOSED);
}

static void
test_lines (void **state)
{
    (void) state;
    fixture_t *fx = s_open ("a\nbb\n\nc", 7, '\n', 16, false);
    s_expect (fx->input, "a");
    s_expect (fx->input, "bb");
    s_expect (fx->input, "");
    s_expect (fx->input, "c"); /* no final newline: still a record     */
    s_expect_end (fx->input);
    assert_int_equal (vent_input_records (fx->input), 4);
    assert_int_equal (vent_input_returned (fx->input), 4);
    s_close (fx);
}

/*  One '\r' before the '\n' is the line ending; any other '\r' is data. */
static void
test_crlf_lines (void **state)
{
    (void) state;
    const char text[] = "1\r\n2\r\r\n\r\nmid\rdle\nx\r";
    fixture_t *fx = s_open (text, sizeof (text) - 1, '\n', 16, false);
    s_expect (fx->input, "1");
    s_expect (fx->input, "2\r");
    s_expect (fx->input, "");
    s_expect (fx->input, "mid\rdle");
    s_expect (fx->input, "x"); /* the last line, without its '\n'       */
    s_expect_end (fx->input);
    s_close (fx);
}

static void
test_nul_keeps_cr (void **state)
{
    (void) state;
    fixture_t *fx = s_open ("a\r\0b\r\n\0", 7, '\0', 16, false);
    s_expect (fx->input, "a\r");
    s_expect (fx->input, "b\r\n");
    s_expect_end (fx->input);
    s_close (fx);
}

/*  --max-item-size counts the record, not its line ending.                */
static void
test_crlf_at_max (void **state)
{
    (void) state;
    const char text[] = "abcd\r\nabcde\r\nz\n";
    fixture_t *fx = s_open (text, sizeof (text) - 1, '\n', 4, false);
    s_expect (fx->input, "abcd");
    const char *data;
    size_t len;
    assert_int_equal (s_next (fx->input, &data, &len), PP_ETOOBIG);
    assert_int_equal (len, 5);
    assert_int_equal (vent_input_records (fx->input), 2);
    s_expect (fx->input, "z");
    s_close (fx);
}

/*  A record of max bytes whose '\r' arrived without its '\n' yet waits for
    the next read: it is not too big.                                      */
static void
test_crlf_across_reads (void **state)
{
    (void) state;
    fixture_t *fx = s_open ("abcd\r", 5, '\n', 4, true);
    const char *data;
    size_t len;
    assert_int_equal (vent_input_fill (fx->input), 0);
    assert_int_equal (vent_input_next (fx->input, &data, &len), 0);
    s_feed (fx, "\nxy\n", true);
    s_expect (fx->input, "abcd");
    s_expect (fx->input, "xy");
    s_expect_end (fx->input);
    s_close (fx);
}

/*  Skipped records are consumed and counted, never returned: the count
    goes on from the start of the input.                                   */
static void
test_skip_lines (void **state)
{
    (void) state;
    fixture_t *fx = s_open ("1\n2\n3\n4\n5\n", 10, '\n', 16, false);
    vent_input_skip (fx->input, 3);
    s_expect (fx->input, "4");
    assert_int_equal (vent_input_records (fx->input), 4);
    assert_int_equal (vent_input_returned (fx->input), 1);
    s_expect (fx->input, "5");
    s_expect_end (fx->input);
    assert_int_equal (vent_input_records (fx->input), 5);
    assert_int_equal (vent_input_returned (fx->input), 2);
    s_close (fx);
}

/*  An oversized record among the skipped ones is skipped silently; one
    after them is named by its number from the start.                      */
static void
test_skip_oversized (void **state)
{
    (void) state;
    const char text[] = "1\ntoo-long\n3\n4\ntoo-long\n6\n";
    fixture_t *fx = s_open (text, sizeof (text) - 1, '\n', 4, false);
    vent_input_skip (fx->input, 3);
    s_expect (fx->input, "4");
    const char *data;
    size_t len;
    assert_int_equal (s_next (fx->input, &data, &len), PP_ETOOBIG);
    assert_int_equal (vent_input_records (fx->input), 5);
    s_expect (fx->input, "6");
    s_expect_end (fx->input);
    s_close (fx);
}

static void
test_skip_past_end (void **state)
{
    (void) state;
    fixture_t *fx = s_open ("1\n2\n", 4, '\n', 16, false);
    vent_input_skip (fx->input, 10);
    s_expect_end (fx->input);
    assert_int_equal (vent_input_records (fx->input), 2);
    assert_int_equal (vent_input_returned (fx->input), 0);
    s_close (fx);
}

/*  More skipped records than one read holds: skipping goes on over reads.
 */
static void
test_skip_across_reads (void **state)
{
    (void) state;
    fixture_t *fx = s_open ("1\n2\n3", 5, '\n', 16, true);
    vent_input_skip (fx->input, 4);
    const char *data;
    size_t len;
    assert_int_equal (vent_input_fill (fx->input), 0);
    assert_int_equal (vent_input_next (fx->input, &data, &len), 0);
    assert_int_equal (vent_input_records (fx->input), 2);
    s_feed (fx, "3\n4\n5\n", true);
    s_expect (fx->input, "5");
    assert_int_equal (vent_input_records (fx->input), 5);
    s_close (fx);
}

/*  --generate N --skip K: the numbers K+1..N, counted from 1.             */
static void
test_skip_generate (void **state)
{
    (void) state;
    vent_input_t *input = vent_input_new_generate (1, 10);
    assert_non_null (input);
    vent_input_skip (input, 7);
    s_expect (input, "8");
    assert_int_equal (vent_input_records (input), 8);
    s_expect (input, "9");
    s_expect (input, "10");
    s_expect_end (input);
    assert_int_equal (vent_input_returned (input), 3);
    vent_input_destroy (&input);

    input = vent_input_new_generate (1, 10);
    vent_input_skip (input, 12);
    s_expect_end (input);
    assert_int_equal (vent_input_records (input), 10);
    vent_input_destroy (&input);
}

/*  --workload N --skip K: the same sleep times as records K+1..N of the
    whole workload.                                                        */
static void
test_skip_workload (void **state)
{
    (void) state;
    vent_input_t *whole = vent_input_new_workload (20, 7);
    vent_input_t *tail = vent_input_new_workload (20, 7);
    assert_non_null (whole);
    assert_non_null (tail);
    vent_input_skip (tail, 15);
    const char *data;
    size_t len;
    for (int i = 0; i < 15; i++)
        assert_int_equal (vent_input_next (whole, &data, &len), 1);
    for (int i = 0; i < 5; i++) {
        char want[24];
        assert_int_equal (vent_input_next (whole, &data, &len), 1);
        snprintf (want, sizeof (want), "%.*s", (int) len, data);
        s_expect (tail, want);
    }
    s_expect_end (tail);
    assert_int_equal (vent_input_records (tail), 20);
    vent_input_destroy (&whole);
    vent_input_destroy (&tail);
}

/*  Generated input knows its count: the total to expect, exactly.      */
static void
test_expected_generated (void **state)
{
    (void) state;
    bool exact = false;
    vent_input_t *in = vent_input_new_generate (1, 500);
    assert_int_equal (vent_input_expected (in, &exact), 500);
    assert_true (exact);
    vent_input_destroy (&in);
    in = vent_input_new_workload (70, 1);
    assert_int_equal (vent_input_expected (in, &exact), 70);
    assert_true (exact);
    vent_input_destroy (&in);
}

/*  A pipe has no size: no estimate.                                      */
static void
test_expected_pipe (void **state)
{
    (void) state;
    fixture_t *fx = s_open ("1\n2\n3\n", 6, '\n', 16, false);
    bool exact = true;
    assert_int_equal (vent_input_expected (fx->input, &exact), 0);
    s_expect (fx->input, "1");
    assert_int_equal (vent_input_expected (fx->input, &exact), 0);
    assert_false (exact);
    s_close (fx);
}

/*  A regular file: its size against the bytes the records read so far
    took, from where the fd stood (stdin may start mid-file).             */
static void
test_expected_file (void **state)
{
    (void) state;
    FILE *file = tmpfile ();
    assert_non_null (file);
    for (int i = 0; i < 1000; i++)
        fprintf (file, "%09d\n", i); /* 10 bytes a line                  */
    fflush (file);
    int fd = fileno (file);
    bool exact = true;
    for (int pass = 0; pass < 2; pass++) {
        off_t from = pass == 0 ? 0 : 6000; /* then 400 lines to go      */
        assert_int_equal (lseek (fd, from, SEEK_SET), from);
        vent_input_t *in = vent_input_new_fd (fd, '\n', 16);
        assert_int_equal (vent_input_expected (in, &exact), 0);
        s_expect (in, pass == 0 ? "000000000" : "000000600");
        assert_int_equal (vent_input_expected (in, &exact),
                          pass == 0 ? 1000 : 400);
        assert_false (exact);
        for (int i = 1; i < (pass == 0 ? 1000 : 400); i++)
            s_expect (in, pass == 0 && i == 1 ? "000000001" : NULL);
        s_expect_end (in);
        assert_int_equal (vent_input_expected (in, &exact),
                          pass == 0 ? 1000 : 400);
        vent_input_destroy (&in);
    }
    fclose (file);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_lines),
        cmocka_unit_test (test_crlf_lines),
        cmocka_unit_test (test_nul_keeps_cr),
        cmocka_unit_test (test_crlf_at_max),
        cmocka_unit_test (test_crlf_across_reads),
        cmocka_unit_test (test_skip_lines),
        cmocka_unit_test (test_skip_oversized),
        cmocka_unit_test (test_skip_past_end),
        cmocka_unit_test (test_skip_across_reads),
        cmocka_unit_test (test_skip_generate),
        cmocka_unit_test (test_skip_workload),
        cmocka_unit_test (test_expected_generated),
        cmocka_unit_test (test_expected_pipe),
        cmocka_unit_test (test_expected_file),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
