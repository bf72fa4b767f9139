/*  test_exec_errlog: where a command's stderr goes (worker/exec_errlog):
    --stderr-tag lines with "[RECORD] " in front, one write each, long lines
   cut;
    --stderr-reason text on one line, trimmed and bounded.                 */

#include "../worker/exec_errlog.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

typedef struct {
    exec_errlog_t log;
    int fds[2]; /* tagged lines are written to fds[1], read from fds[0] */
} fixture_t;

static int
s_setup (void **state)
{
    fixture_t *self = calloc (1, sizeof (fixture_t));
    assert_non_null (self);
    assert_int_equal (pipe2 (self->fds, O_NONBLOCK), 0);
    *state = self;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *self = *state;
    close (self->fds[0]);
    close (self->fds[1]);
    free (self);
    return 0;
}

static void
s_init (fixture_t *self, bool tag, bool capture, uint64_t seq)
{
    exec_errlog_init (&self->log, tag, capture, seq);
    self->log.fd = self->fds[1];
}

static void
s_feed (fixture_t *self, const char *text)
{
    exec_errlog_feed (&self->log, text, strlen (text));
}

/*  Everything written to the fd so far, exactly.                        */
static void
s_assert_written (fixture_t *self, const char *want)
{
    static char got[65536];
    ssize_t n = read (self->fds[0], got, sizeof (got) - 1);
    got[n > 0 ? n : 0] = '\0';
    assert_string_equal (got, want);
}

static void
test_tag_whole_lines (void **state)
{
    fixture_t *self = *state;
    s_init (self, true, false, 7);
    s_feed (self, "one\ntw");
    s_assert_written (self, "[7] one\n");
    s_feed (self, "o\nthree");
    s_assert_written (self, "[7] two\n");
    exec_errlog_flush (&self->log); /* the stream ended without newline */
    s_assert_written (self, "[7] three\n");
    exec_errlog_flush (&self->log); /* nothing left: nothing written */
    s_assert_written (self, "");
    assert_string_equal (exec_errlog_text (&self->log), "");
}

/*  --pipe: the next item's seq tags what follows; a new child drops the
    partial line of the last one.                                          */
static void
test_tag_next_item_and_restart (void **state)
{
    fixture_t *self = *state;
    s_init (self, true, false, 1);
    s_feed (self, "a");
    exec_errlog_next (&self->log, 2);
    s_feed (self, "b\n");
    s_assert_written (self, "[2] ab\n");
    s_feed (self, "lost");
    exec_errlog_restart (&self->log);
    s_feed (self, "c\n");
    s_assert_written (self, "[2] c\n");
}

/*  A line longer than the buffer goes out in pieces, each tagged.       */
static void
test_tag_long_line_cut (void **state)
{
    fixture_t *self = *state;
    s_init (self, true, false, 3);
    char line[EXEC_LINE_MAX + 11];
    memset (line, 'x', sizeof (line) - 2);
    line[sizeof (line) - 2] = '\n';
    line[sizeof (line) - 1] = '\0';
    s_feed (self, line);
    char want[2 * EXEC_LINE_MAX + 32];
    int first = EXEC_LINE_MAX - 1, rest = (int) sizeof (line) - 2 - first;
    snprintf (want, sizeof (want), "[3] %.*s\n[3] %.*s\n", first, line, rest,
              line);
    s_assert_written (self, want);
}

/*  Newlines, CRs and tabs as spaces, trimmed; nothing on the fd.        */
static void
test_reason_on_one_line (void **state)
{
    fixture_t *self = *state;
    s_init (self, false, true, 5);
    s_feed (self, "  \tno such\r\nfile\n\n");
    assert_string_equal (exec_errlog_text (&self->log), "no such  file");
    exec_errlog_flush (&self->log);
    s_assert_written (self, "");
    exec_errlog_next (&self->log, 6); /* the next item starts empty */
    assert_string_equal (exec_errlog_text (&self->log), "");
}

static void
test_reason_bounded (void **state)
{
    fixture_t *self = *state;
    s_init (self, true, true, 9);
    char text[EXEC_REASON_MAX + 50];
    memset (text, 'r', sizeof (text) - 1);
    text[sizeof (text) - 1] = '\0';
    s_feed (self, text);
    s_feed (self, "\n");
    assert_int_equal (strlen (exec_errlog_text (&self->log)), EXEC_REASON_MAX);
    assert_memory_equal (exec_errlog_text (&self->log), text, EXEC_REASON_MAX);
    char want[EXEC_REASON_MAX + 64];
    snprintf (want, sizeof (want), "[9] %s\n", text);
    s_assert_written (self, want); /* tagging keeps all of it */
}

/*  A cut never splits a UTF-8 character: the reason ends before it, a
    long --stderr-tag line carries it to its next piece.                  */
static void
test_cuts_between_characters (void **state)
{
    fixture_t *self = *state;
    s_init (self, true, true, 3);
    char text[EXEC_LINE_MAX + 8];
    memset (text, 'r', sizeof (text));
    memcpy (text + EXEC_REASON_MAX - 1, "\xc3\xa9", 2); /* é across the cut */
    memcpy (text + EXEC_LINE_MAX - 3, "\xe2\x82\xac", 3); /* € likewise */
    text[EXEC_LINE_MAX + 6] = '\n';
    text[EXEC_LINE_MAX + 7] = '\0';
    s_feed (self, text);
    assert_int_equal (strlen (exec_errlog_text (&self->log)),
                      EXEC_REASON_MAX - 1);
    assert_memory_equal (exec_errlog_text (&self->log), text,
                         EXEC_REASON_MAX - 1);
    static char want[2 * EXEC_LINE_MAX];
    int n = snprintf (want, sizeof (want), "[3] %.*s\n[3] %s",
                      EXEC_LINE_MAX - 3, text, text + EXEC_LINE_MAX - 3);
    assert_true (n > 0);
    s_assert_written (self, want);
    assert_int_equal (exec_errlog_whole ("ab\xc3", 3), 2);
    assert_int_equal (exec_errlog_whole ("ab\xc3\xa9", 4), 4);
    assert_int_equal (exec_errlog_whole ("a\xf0\x9f\x98", 4), 1);
    assert_int_equal (exec_errlog_whole ("a\xa9\xa9", 3), 3); /* no lead */
    assert_int_equal (exec_errlog_whole ("\xff", 1), 1);
    assert_int_equal (exec_errlog_whole ("", 0), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_tag_whole_lines, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_tag_next_item_and_restart,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_tag_long_line_cut, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_cuts_between_characters, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_reason_on_one_line, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_reason_bounded, s_setup,
                                         s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
