/*  test_halt: unit tests of sink_halt (sink/halt.h), pp-sink's --halt:
    the specs GNU parallel takes (now|soon, fail|success|done, N or P%),
    what is refused, and when a limit is reached.                          */

#include "../sink/halt.h"
#include "pp_error.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static void
test_parse_good (void **state)
{
    (void) state;
    sink_halt_t h;
    assert_int_equal (sink_halt_parse ("now,fail=1", &h), 0);
    assert_int_equal (h.when, SINK_HALT_NOW);
    assert_int_equal (h.what, SINK_HALT_FAIL);
    assert_false (h.percent);
    assert_int_equal (h.limit, 1);
    assert_int_equal (sink_halt_parse ("soon,fail=20%", &h), 0);
    assert_int_equal (h.when, SINK_HALT_SOON);
    assert_true (h.percent);
    assert_int_equal (h.limit, 20);
    assert_int_equal (sink_halt_parse ("soon,success=3", &h), 0);
    assert_int_equal (h.what, SINK_HALT_SUCCESS);
    assert_int_equal (h.limit, 3);
    assert_int_equal (sink_halt_parse ("now,done=100%", &h), 0);
    assert_int_equal (h.what, SINK_HALT_DONE);
    assert_int_equal (h.limit, 100);
    assert_int_equal (sink_halt_parse ("never", &h), 0);
    assert_int_equal (h.when, SINK_HALT_NEVER);
}

static void
test_parse_bad (void **state)
{
    (void) state;
    const char *bad[] = {"",
                         "now",
                         "now,",
                         "later,fail=1",
                         "now,fail",
                         "now,fail=",
                         "now,fail=0",
                         "now,fail=0%",
                         "now,fail=101%",
                         "now,fail=-1",
                         "now,fail=+1",
                         "now,fail=1x",
                         "now,fail=1%%",
                         "now,fail= 1",
                         "now,failed=1",
                         "NOW,fail=1",
                         "now,fail=99999999999999999999999",
                         "soon,success=1,fail=2",
                         "1",
                         "nevermore"};
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        sink_halt_t h = {.when = SINK_HALT_NOW, .limit = 7};
        assert_int_equal (sink_halt_parse (bad[i], &h), PP_EINVAL);
        assert_int_equal (h.when, SINK_HALT_NEVER); /* never half-set   */
        assert_int_equal (h.limit, 0);
    }
}

static void
test_reached_count (void **state)
{
    (void) state;
    sink_halt_t h;
    assert_int_equal (sink_halt_parse ("now,fail=2", &h), 0);
    assert_false (sink_halt_reached (&h, 100, 1, 5)); /* drops: not fail */
    assert_true (sink_halt_reached (&h, 0, 2, 0));
    assert_int_equal (sink_halt_parse ("soon,success=3", &h), 0);
    assert_false (sink_halt_reached (&h, 2, 50, 0));
    assert_true (sink_halt_reached (&h, 3, 0, 0));
    assert_int_equal (sink_halt_parse ("soon,done=3", &h), 0);
    assert_false (sink_halt_reached (&h, 1, 1, 0));
    assert_true (sink_halt_reached (&h, 1, 1, 1));
    assert_int_equal (sink_halt_parse ("never", &h), 0);
    assert_false (sink_halt_reached (&h, 9, 9, 9));
}

static void
test_reached_share (void **state)
{
    (void) state;
    sink_halt_t h;
    assert_int_equal (sink_halt_parse ("now,fail=50%", &h), 0);
    /*  Judged from the 3rd outcome on: one early failure does not halt.  */
    assert_false (sink_halt_reached (&h, 0, 1, 0));
    assert_false (sink_halt_reached (&h, 0, 2, 0));
    assert_false (sink_halt_reached (&h, 2, 1, 0)); /* 33%              */
    assert_true (sink_halt_reached (&h, 2, 2, 0));  /* 50% of 4           */
    assert_false (sink_halt_reached (&h, 51, 49, 0));
    assert_true (sink_halt_reached (&h, 50, 50, 0));
    assert_int_equal (sink_halt_parse ("now,fail=100%", &h), 0);
    assert_false (sink_halt_reached (&h, 1, 99, 0));
    assert_true (sink_halt_reached (&h, 0, 3, 0));
    /*  No overflow on huge counts.                                         */
    assert_int_equal (sink_halt_parse ("now,fail=1%", &h), 0);
    assert_false (sink_halt_reached (&h, UINT64_MAX / 200, 0, 0));
    assert_true (sink_halt_reached (&h, 0, UINT64_MAX / 2, 0));
    assert_false (sink_halt_reached (&h, UINT64_MAX / 2, UINT64_MAX / 1000, 0));
}

static void
test_name (void **state)
{
    (void) state;
    sink_halt_t h;
    char name[32];
    assert_int_equal (sink_halt_parse ("now,fail=1", &h), 0);
    sink_halt_name (&h, name, sizeof (name));
    assert_string_equal (name, "fail=1");
    assert_int_equal (sink_halt_parse ("soon,success=25%", &h), 0);
    sink_halt_name (&h, name, sizeof (name));
    assert_string_equal (name, "success=25%");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_parse_good),
        cmocka_unit_test (test_parse_bad),
        cmocka_unit_test (test_reached_count),
        cmocka_unit_test (test_reached_share),
        cmocka_unit_test (test_name),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
