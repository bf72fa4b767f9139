/*  test_parse: the value parsers (pp_parse.h) -- exact values, and every
    way a value is refused, with the code it is refused with.              */

#include "pp_error.h"
#include "pp_parse.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static int64_t
s_ms (const char *text)
{
    int64_t ms = -12345;
    assert_int_equal (pp_parse_duration_ms (text, &ms), 0);
    return ms;
}

static void
s_bad_duration (const char *text)
{
    int64_t ms = -12345;
    if (pp_parse_duration_ms (text, &ms) != PP_EINVAL)
        fail_msg ("duration '%s' was not refused", text);
    assert_int_equal (ms, -12345); /* left as it was                  */
}

static void
test_duration (void **state)
{
    (void) state;
    assert_int_equal (s_ms ("250ms"), 250);
    assert_int_equal (s_ms ("2s"), 2000);
    assert_int_equal (s_ms ("1m"), 60000);
    assert_int_equal (s_ms ("1h"), 3600000);
    assert_int_equal (s_ms ("1.5s"), 1500);
    assert_int_equal (s_ms ("0.5ms"), 1); /* rounded                   */
    assert_int_equal (s_ms ("0.4ms"), 0);
    assert_int_equal (s_ms ("0ms"), 0);
    assert_int_equal (s_ms ("0s"), 0);
    assert_int_equal (s_ms ("0"), 0); /* "0: never" needs no unit     */
    assert_int_equal (s_ms ("277777h"), 999997200000);
    assert_int_equal (s_ms ("1000000000000ms"), 1000000000000);
}

static void
test_duration_refused (void **state)
{
    (void) state;
    s_bad_duration ("");
    s_bad_duration ("5");   /* a unit is required ...                 */
    s_bad_duration ("250"); /* ... for anything but 0                 */
    s_bad_duration ("00");
    s_bad_duration ("0.0");
    s_bad_duration ("ms");  /* no number                              */
    s_bad_duration ("5x");  /* no such unit                           */
    s_bad_duration ("5 s"); /* nothing between                        */
    s_bad_duration ("5sec");
    s_bad_duration ("5S");
    s_bad_duration ("5ms ");
    s_bad_duration ("-1s"); /* negative                               */
    s_bad_duration ("1000000000001ms"); /* over 10^12 ms               */
    s_bad_duration ("277778h");
    s_bad_duration ("1e400s"); /* out of double's range              */
    s_bad_duration ("nans");
}

static uint64_t
s_bytes (const char *text)
{
    uint64_t bytes = 12345;
    assert_int_equal (pp_parse_size (text, &bytes), 0);
    return bytes;
}

static void
s_refused_size (const char *text, int why)
{
    uint64_t bytes = 12345;
    if (pp_parse_size (text, &bytes) != why)
        fail_msg ("size '%s' was not refused with %d", text, why);
    assert_int_equal (bytes, 12345);
}

static void
s_bad_size (const char *text)
{
    s_refused_size (text, PP_EINVAL);
}

/*  A size, but 0 or too large: said as out of range, not as no size.   */
static void
s_size_out_of_range (const char *text)
{
    s_refused_size (text, PP_ERANGE);
}

static void
test_size (void **state)
{
    (void) state;
    assert_int_equal (s_bytes ("1"), 1);
    assert_int_equal (s_bytes ("4096"), 4096);
    assert_int_equal (s_bytes ("4096B"), 4096);
    assert_int_equal (s_bytes ("64K"), 65536);
    assert_int_equal (s_bytes ("64KiB"), 65536);
    assert_int_equal (s_bytes ("1M"), 1048576);
    assert_int_equal (s_bytes ("1MiB"), 1048576);
    assert_int_equal (s_bytes ("2G"), 2147483648ULL);
    assert_int_equal (s_bytes ("2GiB"), 2147483648ULL);
    assert_int_equal (s_bytes ("4294967295G"), 4294967295ULL << 30);
}

static void
test_size_refused (void **state)
{
    (void) state;
    s_bad_size ("");
    s_size_out_of_range ("0"); /* nothing                               */
    s_size_out_of_range ("0K");
    s_bad_size ("-1");
    s_bad_size ("K");
    s_bad_size ("12Q");
    s_bad_size ("1k"); /* units are upper case                          */
    s_bad_size ("1KB");
    s_bad_size ("1T");
    s_bad_size ("1.5M");
    s_bad_size ("1 M");
    s_size_out_of_range ("4294967296G");          /* over 2^62 bytes  */
    s_size_out_of_range ("4611686018427387904");  /* 2^62 + 1 - 1      */
    s_size_out_of_range ("99999999999999999999"); /* over 2^64         */
    s_bad_size ("99999999999999999999Q");
    assert_int_equal (s_bytes ("4611686018427387903"), 4611686018427387903ULL);
}

static int64_t
s_number (const char *text, int64_t min, int64_t max)
{
    int64_t n = -12345;
    assert_int_equal (pp_parse_number (text, min, max, &n), 0);
    return n;
}

static void
s_bad_number (const char *text, int64_t min, int64_t max, int code)
{
    int64_t n = -12345;
    if (pp_parse_number (text, min, max, &n) != code)
        fail_msg ("number '%s' in %lld..%lld: not refused with %d", text,
                  (long long) min, (long long) max, code);
    assert_int_equal (n, -12345);
}

static void
test_number (void **state)
{
    (void) state;
    assert_int_equal (s_number ("1", 1, 1024), 1);
    assert_int_equal (s_number ("1024", 1, 1024), 1024);
    assert_int_equal (s_number ("-1", -5, 5), -1);
    assert_int_equal (s_number ("+7", 0, 10), 7);
    assert_int_equal (s_number ("0", 0, 0), 0);
    s_bad_number ("", 0, 10, PP_EINVAL);
    s_bad_number ("abc", 0, 10, PP_EINVAL);
    s_bad_number ("5x", 0, 10, PP_EINVAL);
    s_bad_number ("5 ", 0, 10, PP_EINVAL);
    s_bad_number ("1.0", 0, 10, PP_EINVAL);
    s_bad_number ("99999999999999999999", 0, 10, PP_EINVAL);
    s_bad_number ("0", 1, 1024, PP_ERANGE);
    s_bad_number ("1025", 1, 1024, PP_ERANGE);
    s_bad_number ("-1", 0, 10, PP_ERANGE);
}

static void
test_int64 (void **state)
{
    (void) state;
    int64_t n = 0;
    assert_int_equal (pp_parse_int64 (" -42 \n", 6, &n), 0);
    assert_int_equal (n, -42);
    assert_int_equal (pp_parse_int64 ("9223372036854775807", 19, &n), 0);
    assert_int_equal (n, INT64_MAX);
    assert_int_equal (pp_parse_int64 ("12345", 3, &n), 0); /* len counts */
    assert_int_equal (n, 123);
    n = 7;
    assert_int_equal (pp_parse_int64 ("", 0, &n), PP_EINVAL);
    assert_int_equal (pp_parse_int64 ("  ", 2, &n), PP_EINVAL);
    assert_int_equal (pp_parse_int64 ("1 2", 3, &n), PP_EINVAL);
    assert_int_equal (pp_parse_int64 ("0x10", 4, &n), PP_EINVAL);
    assert_int_equal (pp_parse_int64 ("9223372036854775808", 19, &n),
                      PP_EINVAL);
    assert_int_equal (pp_parse_int64 ("- 1", 3, &n), PP_EINVAL);
    assert_int_equal (n, 7);
}

static void
test_overflow_and_flow (void **state)
{
    (void) state;
    pp_overflow_t overflow = PP_OVERFLOW_SPILL;
    assert_int_equal (pp_parse_overflow ("block", &overflow), 0);
    assert_int_equal (overflow, PP_OVERFLOW_BLOCK);
    assert_int_equal (pp_parse_overflow ("drop", &overflow), 0);
    assert_int_equal (overflow, PP_OVERFLOW_DROP);
    assert_int_equal (pp_parse_overflow ("spill", &overflow), 0);
    assert_int_equal (overflow, PP_OVERFLOW_SPILL);
    assert_int_equal (pp_parse_overflow ("Drop", &overflow), PP_EINVAL);
    assert_int_equal (pp_parse_overflow ("", &overflow), PP_EINVAL);
    assert_int_equal (overflow, PP_OVERFLOW_SPILL);
    pp_flow_t flow = PP_FLOW_CREDIT;
    assert_int_equal (pp_parse_flow ("push", &flow), 0);
    assert_int_equal (flow, PP_FLOW_PUSH);
    assert_int_equal (pp_parse_flow ("credit", &flow), 0);
    assert_int_equal (flow, PP_FLOW_CREDIT);
    assert_int_equal (pp_parse_flow ("sideways", &flow), PP_EINVAL);
    assert_int_equal (pp_parse_flow ("Push", &flow), PP_EINVAL);
    assert_int_equal (flow, PP_FLOW_CREDIT);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_duration),
        cmocka_unit_test (test_duration_refused),
        cmocka_unit_test (test_size),
        cmocka_unit_test (test_size_refused),
        cmocka_unit_test (test_number),
        cmocka_unit_test (test_int64),
        cmocka_unit_test (test_overflow_and_flow),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
