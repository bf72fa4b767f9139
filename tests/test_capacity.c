/*  test_capacity: how a worker sizes its task channel and the slices cut
    for it (pp_wsize_channel, pp_wsize_slice), with exact figures.        */

#include "pp_wsize.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

static void
s_expect (pp_wsize_t size, int capacity, uint32_t slice_max,
          uint32_t slow_weight)
{
    assert_int_equal (size.capacity, capacity);
    assert_int_equal (size.slice_max, slice_max);
    assert_int_equal (size.slow_weight, slow_weight);
}

/*  Push flow, automatic: 2 x threads, at least 512; a slow record weighs
    so that 2 x threads of them fill it.                                   */
static void
test_push_automatic (void **state)
{
    (void) state;
    s_expect (pp_wsize_channel (0, 4, false, false), 512, 256, 64);
    s_expect (pp_wsize_channel (0, 1, false, false), 512, 256, 256);
    s_expect (pp_wsize_channel (0, 100, false, false), 512, 256, 2);
    s_expect (pp_wsize_channel (0, 256, false, false), 512, 256, 1);
    s_expect (pp_wsize_channel (0, 1000, false, false), 2000, 256, 1);
}

/*  Credit flow, automatic: room for any credit target, records weigh 1. */
static void
test_credit_automatic (void **state)
{
    (void) state;
    s_expect (pp_wsize_channel (0, 4, true, false), PP_WSIZE_CREDIT_MAX, 256,
              1);
}

/*  --capacity given: counted in items, slices of at most half of it.    */
static void
test_given (void **state)
{
    (void) state;
    s_expect (pp_wsize_channel (8, 4, false, false), 8, 4, 1);
    s_expect (pp_wsize_channel (1, 4, false, false), 1, 1, 1);
    s_expect (pp_wsize_channel (3, 1, true, false), 3, 1, 1);
    s_expect (pp_wsize_channel (100000, 2, false, false), 100000, 256, 1);
}

/*  Spilling: one record per slice.                                        */
static void
test_spill (void **state)
{
    (void) state;
    s_expect (pp_wsize_channel (0, 4, false, true), 512, 1, 64);
    s_expect (pp_wsize_channel (16, 4, false, true), 16, 1, 1);
}

/*  Slices hold about 200 us of work: 1 record until measured.          */
static void
test_slice (void **state)
{
    (void) state;
    assert_int_equal (pp_wsize_slice (0, 256), 1);
    assert_int_equal (pp_wsize_slice (1000, 256), 200);
    assert_int_equal (pp_wsize_slice (100, 256), 256);
    assert_int_equal (pp_wsize_slice (100, 4), 4);
    assert_int_equal (pp_wsize_slice (200000, 256), 1);
    assert_int_equal (pp_wsize_slice (300000, 256), 1);
    assert_int_equal (pp_wsize_slice (199999, 256), 1);
    assert_int_equal (pp_wsize_slice (99999, 256), 2);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_push_automatic),
        cmocka_unit_test (test_credit_automatic),
        cmocka_unit_test (test_given),
        cmocka_unit_test (test_spill),
        cmocka_unit_test (test_slice),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
