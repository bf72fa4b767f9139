/*  test_capacity: how a worker sizes its task channel and the slices cut
    for it (pp_wsize_channel, pp_wsize_slice), with exact figures.        */

#include "pp_net.h"
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

/*  --buffer-bytes: a slice weighs at least its bytes in units of bytes /
    capacity; without a bound in bytes, its weight is as given.           */
static void
test_bytes (void **state)
{
    (void) state;
    pp_wsize_t size = pp_wsize_channel (0, 2, false, false);
    assert_int_equal (pp_wsize_weight (&size, 1, 1 << 20), 1);
    pp_wsize_bytes (&size, 8 << 20);
    assert_int_equal (size.unit_bytes, 16384);
    assert_int_equal (pp_wsize_weight (&size, 1, 1 << 20), 64);
    assert_int_equal (pp_wsize_weight (&size, 128, 1 << 20), 128);
    assert_int_equal (pp_wsize_weight (&size, 3, 100), 3);
    assert_int_equal (pp_wsize_weight (&size, 1, 16385), 2);
    assert_int_equal (pp_wsize_weight (&size, 1, 0), 1);
    pp_wsize_t credit = pp_wsize_channel (0, 2, true, false);
    pp_wsize_bytes (&credit, 8 << 20);
    assert_int_equal (credit.unit_bytes, 512);
    assert_int_equal (pp_wsize_weight (&credit, 1, 1 << 20), 2048);
    pp_wsize_t tiny = pp_wsize_channel (4, 1, false, false);
    pp_wsize_bytes (&tiny, 3);
    assert_int_equal (tiny.unit_bytes, 1);
}

/*  The data sockets' HWM: --hwm, lowered to what fits in the bytes given
    (messages of a batch and an item), never under 2.                      */
static void
test_hwm (void **state)
{
    (void) state;
    assert_int_equal (pp_net_hwm_within (100, 8 << 20, 1 << 20), 6);
    assert_int_equal (pp_net_hwm_within (100, 8 << 20, 2 << 20), 3);
    assert_int_equal (pp_net_hwm_within (100, 8 << 20, 1024), 31);
    assert_int_equal (pp_net_hwm_within (5, 8 << 20, 1024), 5);
    assert_int_equal (pp_net_hwm_within (100, 64 << 10, 1ULL << 30), 2);
    assert_int_equal (pp_net_hwm_within (1, 64 << 10, 1ULL << 30), 1);
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
        cmocka_unit_test (test_bytes),
        cmocka_unit_test (test_hwm),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
