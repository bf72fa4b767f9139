/*  test_idmap: the 64-bit key map (pp_idmap.h) against a naive reference
    on long random sequences of put, get and remove, with keys drawn from
    a small range so that collisions, long probe runs, removals inside
    them and growth all happen.                                           */

#include "pp_error.h"
#include "pp_idmap.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define S_KEYS 3000

static uint64_t s_rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
s_next (void)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return s_rng;
}

static void
test_random_against_reference (void **state)
{
    (void) state;
    static int64_t ref[S_KEYS]; /* -1: absent                          */
    for (int k = 0; k < S_KEYS; k++)
        ref[k] = -1;
    pp_idmap_t *map = pp_idmap_new ();
    assert_non_null (map);
    size_t size = 0;
    for (int op = 0; op < 400000; op++) {
        int k = (int) (s_next () % S_KEYS);
        /*  Keys 1..S_KEYS, some spread over 64 bits, some clustered.      */
        uint64_t key = k % 2 ? (uint64_t) k + 1 : ((uint64_t) k << 40) + 7;
        uint32_t value = 0;
        switch (s_next () % 3) {
            case 0:
                assert_int_equal (pp_idmap_put (map, key, (uint32_t) op), 0);
                size += ref[k] < 0;
                ref[k] = op;
                break;
            case 1:
                assert_int_equal (pp_idmap_remove (map, key), ref[k] >= 0);
                size -= ref[k] >= 0;
                ref[k] = -1;
                break;
            default:
                assert_int_equal (pp_idmap_get (map, key, &value), ref[k] >= 0);
                if (ref[k] >= 0)
                    assert_int_equal (value, (uint32_t) ref[k]);
        }
        assert_int_equal (pp_idmap_size (map), size);
    }
    for (int k = 0; k < S_KEYS; k++) { /* every key, once more         */
        uint64_t key = k % 2 ? (uint64_t) k + 1 : ((uint64_t) k << 40) + 7;
        uint32_t value;
        assert_int_equal (pp_idmap_get (map, key, &value), ref[k] >= 0);
    }
    pp_idmap_destroy (&map);
    assert_null (map);
    pp_idmap_destroy (&map);
}

static void
test_key_zero_and_hash (void **state)
{
    (void) state;
    pp_idmap_t *map = pp_idmap_new ();
    uint32_t value;
    assert_int_equal (pp_idmap_put (map, 0, 1), PP_EINVAL);
    assert_false (pp_idmap_get (map, 0, &value));
    assert_false (pp_idmap_remove (map, 0));
    assert_int_equal (pp_idmap_size (map), 0);
    assert_true (pp_idmap_hash ("", 0) != 0);
    assert_true (pp_idmap_hash ("ab", 2) != pp_idmap_hash ("ba", 2));
    pp_idmap_destroy (&map);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_random_against_reference),
        cmocka_unit_test (test_key_zero_and_hash),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
