/*  test_credit_target: the credit a credit-flow worker asks for
    (pp_wsize_credit): 25 ms of work at the measured rate or cost, bounded
    by 8 MiB of items, 2 x threads and PP_WSIZE_CREDIT_MAX -- exact
    figures for each bound.                                                */

#include "pp_wsize.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/*  --capacity given: taken as it is, whatever was measured.              */
static void
test_fixed_capacity (void **state)
{
    (void) state;
    assert_int_equal (pp_wsize_credit (100, 4, 0, 0, 0), 100);
    assert_int_equal (pp_wsize_credit (1, 64, 1000000, 1000, 10), 1);
    assert_int_equal (pp_wsize_credit (50000, 1, 0, 0, 0), 50000);
}

/*  Nothing measured yet: 2 x threads.                                     */
static void
test_nothing_measured (void **state)
{
    (void) state;
    assert_int_equal (pp_wsize_credit (0, 4, 0, 0, 0), 8);
    assert_int_equal (pp_wsize_credit (0, 1, 0, 0, 0), 2);
}

/*  25 ms at the completion rate (items per second).                       */
static void
test_by_rate (void **state)
{
    (void) state;
    assert_int_equal (pp_wsize_credit (0, 1, 100000, 0, 0), 2500);
    assert_int_equal (pp_wsize_credit (0, 2, 1000, 0, 0), 25);
    assert_int_equal (pp_wsize_credit (0, 2, 120, 0, 0), 4); /* 3 < floor */
}

/*  25 ms of work on every thread at the measured cost, when larger.     */
static void
test_by_cost (void **state)
{
    (void) state;
    /*  2 threads x 25 ms / 10 us = 5000.                                 */
    assert_int_equal (pp_wsize_credit (0, 2, 0, 10000, 0), 5000);
    /*  The rate's figure wins when it is larger.                        */
    assert_int_equal (pp_wsize_credit (0, 2, 400000, 10000, 0), 10000);
    /*  4 threads x 25 ms / 1 ms = 100.                                   */
    assert_int_equal (pp_wsize_credit (0, 4, 0, 1000000, 0), 100);
    /*  A job of a second: under the floor.                               */
    assert_int_equal (pp_wsize_credit (0, 4, 0, 1000000000, 0), 8);
}

/*  Never more than 8 MiB of items, but never under the floor.           */
static void
test_by_bytes (void **state)
{
    (void) state;
    assert_int_equal (pp_wsize_credit (0, 2, 0, 10000, 4096), 2048);
    assert_int_equal (pp_wsize_credit (0, 2, 0, 10000, 3000), 2796);
    assert_int_equal (pp_wsize_credit (0, 16, 0, 10000, 1 << 20), 32);
}

/*  Never over PP_WSIZE_CREDIT_MAX.                                        */
static void
test_ceiling (void **state)
{
    (void) state;
    assert_int_equal (pp_wsize_credit (0, 2, 0, 1000, 0), PP_WSIZE_CREDIT_MAX);
    assert_int_equal (pp_wsize_credit (0, 1, 10000000, 0, 16), 16384);
    assert_int_equal (pp_wsize_credit (0, 10000, 0, 0, 0), 16384);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_fixed_capacity),
        cmocka_unit_test (test_nothing_measured),
        cmocka_unit_test (test_by_rate),
        cmocka_unit_test (test_by_cost),
        cmocka_unit_test (test_by_bytes),
        cmocka_unit_test (test_ceiling),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
