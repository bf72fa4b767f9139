/*  test_stall: unit tests of pp_stall (pp_stall.h), the time a loop lost:
    what counts as a stall, and what is the loop's own waiting.            */

#include "pp_stall.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

static void
test_first_call_is_no_stall (void **state)
{
    (void) state;
    pp_stall_t stall = {0};
    assert_int_equal (pp_stall_check (&stall, 1000000, 50, 300), 0);
}

/*  A turn on time, or late by less than min_ms, is no stall.             */
static void
test_on_time (void **state)
{
    (void) state;
    pp_stall_t stall = {0};
    pp_stall_check (&stall, 1000, 50, 300);
    assert_int_equal (pp_stall_check (&stall, 1050, 50, 300), 0);
    assert_int_equal (pp_stall_check (&stall, 1399, 50, 300), 0);
    assert_int_equal (pp_stall_check (&stall, 1400, 0, 300), 0);
}

/*  Late by min_ms or more: the lateness beyond the wait is returned.     */
static void
test_stalled (void **state)
{
    (void) state;
    pp_stall_t stall = {0};
    pp_stall_check (&stall, 1000, 50, 300);
    assert_int_equal (pp_stall_check (&stall, 1350, 50, 300), 300);
    assert_int_equal (pp_stall_check (&stall, 6350, 0, 300), 5000);
    /*  Each call measures from the one before, not from the first.      */
    assert_int_equal (pp_stall_check (&stall, 6400, 50, 300), 0);
}

/*  A tiny min_ms (a short --ventilator-timeout, or 0 for "never") is
    raised to PP_STALL_MIN_MS: a busy turn is not a stall.               */
static void
test_least_min (void **state)
{
    (void) state;
    pp_stall_t stall = {0};
    pp_stall_check (&stall, 1000, 0, 0);
    assert_int_equal (pp_stall_check (&stall, 1000 + PP_STALL_MIN_MS - 1, 0, 0),
                      0);
    assert_int_equal (pp_stall_check (&stall, 2000 + PP_STALL_MIN_MS, 0, 0),
                      1001);
}

/*  A negative wait (never passed on purpose) counts as none.              */
static void
test_negative_wait (void **state)
{
    (void) state;
    pp_stall_t stall = {0};
    pp_stall_check (&stall, 1000, 0, 100);
    assert_int_equal (pp_stall_check (&stall, 1200, -1, 100), 200);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_first_call_is_no_stall),
        cmocka_unit_test (test_on_time),
        cmocka_unit_test (test_stalled),
        cmocka_unit_test (test_least_min),
        cmocka_unit_test (test_negative_wait),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
