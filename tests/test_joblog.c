/*  test_joblog: unit tests of sink_joblog (sink/joblog.h), the lines of
    pp-sink's --joblog: the columns and their number format, the exit
    column for statuses and signals, and text fields that stay one valid
    UTF-8 column whatever their bytes.                                     */

#include "../sink/joblog.h"
#include "pp_text.h"
#include "pp_wire.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static void
s_assert_line (const sink_joblog_line_t *line, const char *expected)
{
    char out[SINK_JOBLOG_LINE];
    size_t len = sink_joblog_format (out, sizeof (out), line);
    assert_string_equal (out, expected);
    assert_int_equal (len, strlen (expected));
}

/*  Counts the tabs of a line: a column count less one.                    */
static size_t
s_tabs (const char *line)
{
    size_t n = 0;
    for (; *line; line++)
        n += *line == '\t';
    return n;
}

static void
test_header (void **state)
{
    (void) state;
    assert_string_equal (SINK_JOBLOG_HEADER,
                         "seq\trecord\tworker\thost\tstart\truntime\tattempt\t"
                         "outcome\texit\treason\n");
    assert_int_equal (s_tabs (SINK_JOBLOG_HEADER), 9);
}

static void
test_ok_line (void **state)
{
    (void) state;
    sink_joblog_line_t line = {.seq = 0,
                               .record = 1,
                               .worker_id = 0xab,
                               .host = "node-1",
                               .start_us = 1700000000123456ULL,
                               .runtime_us = 2500999,
                               .attempt = 0,
                               .outcome = PP_OUTCOME_OK};
    s_assert_line (&line, "0\t1\t000000ab\tnode-1\t1700000000.123\t2.500\t1\t"
                          "ok\t0\t\n");
}

static void
test_failed_line (void **state)
{
    (void) state;
    const char reason[] = "exit 3: no such file";
    sink_joblog_line_t line = {.seq = 41,
                               .record = 45,
                               .worker_id = 0xdeadbeef,
                               .host = NULL,
                               .start_us = 5,
                               .runtime_us = 0,
                               .attempt = 2,
                               .outcome = PP_OUTCOME_FAILED,
                               .status = 3,
                               .reason = reason,
                               .reason_len = sizeof (reason) - 1};
    s_assert_line (&line, "41\t45\tdeadbeef\t?\t0.000\t0.000\t3\tfailed\t3\t"
                          "exit 3: no such file\n");
    line.outcome = PP_OUTCOME_DROPPED;
    line.status = -9;
    line.attempt = 255; /* the wire's u8 does not wrap to 0             */
    s_assert_line (&line, "41\t45\tdeadbeef\t?\t0.000\t0.000\t256\tdropped\t"
                          "SIGKILL\texit 3: no such file\n");
}

static void
test_exit_column (void **state)
{
    (void) state;
    char buf[16];
    assert_string_equal (sink_joblog_exit (0, buf), "0");
    assert_string_equal (sink_joblog_exit (1, buf), "1");
    assert_string_equal (sink_joblog_exit (255, buf), "255");
    assert_string_equal (sink_joblog_exit (-SIGKILL, buf), "SIGKILL");
    assert_string_equal (sink_joblog_exit (-SIGTERM, buf), "SIGTERM");
    assert_string_equal (sink_joblog_exit (-SIGSEGV, buf), "SIGSEGV");
    assert_string_equal (sink_joblog_exit (-77, buf), "SIG77");
    assert_string_equal (sink_joblog_exit (INT16_MIN, buf), "SIG32768");
}

/*  Tabs, newlines, control and invalid bytes, a cut multibyte character:
    one line of ten columns, valid UTF-8.                                  */
static void
test_text_escaped (void **state)
{
    (void) state;
    const char reason[] = "a\tb\nc\r\x01\xe9 \xc3\xa9 \xe2\x82";
    sink_joblog_line_t line = {.record = 1,
                               .host = "h\tost\xff",
                               .outcome = PP_OUTCOME_FAILED,
                               .reason = reason,
                               .reason_len = sizeof (reason) - 1};
    s_assert_line (&line, "0\t1\t00000000\th\\tost\\xff\t0.000\t0.000\t1\t"
                          "failed\t0\ta\\tb\\nc\\r\\x01\\xe9 \xc3\xa9 "
                          "\\xe2\\x82\n");
}

/*  A long reason is cut on a character, and the line fits its buffer.   */
static void
test_long_reason (void **state)
{
    (void) state;
    static char reason[10000];
    for (size_t i = 0; i + 1 < sizeof (reason); i += 2)
        memcpy (reason + i, "\xc3\xa9", 2);
    static char host[64];
    memset (host, 0x01, sizeof (host) - 1); /* each byte escaped: 4x    */
    sink_joblog_line_t line = {.seq = UINT64_MAX,
                               .record = UINT64_MAX,
                               .worker_id = UINT32_MAX,
                               .host = host,
                               .start_us = UINT64_MAX,
                               .runtime_us = UINT64_MAX,
                               .attempt = 255,
                               .outcome = PP_OUTCOME_FAILED,
                               .status = INT16_MIN,
                               .reason = reason,
                               .reason_len = sizeof (reason)};
    char out[SINK_JOBLOG_LINE];
    size_t len = sink_joblog_format (out, sizeof (out), &line);
    assert_true (len < sizeof (out));
    assert_int_equal (strlen (out), len);
    assert_int_equal (s_tabs (out), 9);
    assert_int_equal (out[len - 1], '\n');
    const char *reason_at = strrchr (out, '\t') + 1;
    size_t shown = (size_t) (out + len - 1 - reason_at);
    assert_true (shown > SINK_JOBLOG_REASON - 8);
    assert_true (shown < SINK_JOBLOG_REASON);
    assert_int_equal (shown % 2, 0); /* never half a character         */
}

/*  Writes text (len bytes) to a new temporary file; returns its path.    */
static char *
s_temp_file (const char *text, size_t len)
{
    static char path[64];
    snprintf (path, sizeof (path), "/tmp/test_joblog.XXXXXX");
    int fd = mkstemp (path);
    assert_true (fd >= 0);
    assert_int_equal (write (fd, text, len), (ssize_t) len);
    close (fd);
    return path;
}

static size_t
s_read_file (const char *path, char *out, size_t size)
{
    FILE *file = fopen (path, "r");
    assert_non_null (file);
    size_t n = fread (out, 1, size, file);
    fclose (file);
    return n;
}

/*  --resume appends after cutting a torn last line (a crash mid-write):
    the next line starts clean; a file that is all torn starts over with
    its header.                                                            */
static void
test_resume_cuts_torn (void **state)
{
    (void) state;
    char got[256];
    const char *text = SINK_JOBLOG_HEADER "0\t1\tab\n1\t2\tto";
    char *path = s_temp_file (text, strlen (text));
    sink_logfile_t *file = sink_logfile_open ("--joblog", path, true, '\n');
    assert_non_null (file);
    assert_false (sink_logfile_empty (file));
    sink_joblog_start (file); /* no second header                      */
    sink_logfile_write (file, "x\n", 2);
    assert_int_equal (sink_logfile_close (&file), 0);
    size_t n = s_read_file (path, got, sizeof (got));
    const char *want = SINK_JOBLOG_HEADER "0\t1\tab\nx\n";
    assert_int_equal (n, strlen (want));
    assert_memory_equal (got, want, n);
    unlink (path);

    path = s_temp_file ("seq\trec", 8); /* the header itself torn       */
    file = sink_logfile_open ("--joblog", path, true, '\n');
    assert_true (sink_logfile_empty (file));
    sink_joblog_start (file);
    assert_int_equal (sink_logfile_close (&file), 0);
    n = s_read_file (path, got, sizeof (got));
    assert_int_equal (n, strlen (SINK_JOBLOG_HEADER));
    unlink (path);

    path = s_temp_file ("a\0b\nc\0to\nrn", 11); /* -0: NUL-ended       */
    file = sink_logfile_open ("--failed", path, true, '\0');
    sink_logfile_write (file, "d\0", 2);
    assert_int_equal (sink_logfile_close (&file), 0);
    n = s_read_file (path, got, sizeof (got));
    assert_int_equal (n, 8);
    assert_memory_equal (got, "a\0b\nc\0d\0", 8);
    unlink (path);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_header),
        cmocka_unit_test (test_ok_line),
        cmocka_unit_test (test_failed_line),
        cmocka_unit_test (test_exit_column),
        cmocka_unit_test (test_text_escaped),
        cmocka_unit_test (test_long_reason),
        cmocka_unit_test (test_resume_cuts_torn),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
