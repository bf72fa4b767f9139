/*  test_waitlog: unit tests of pp_waitlog (pp_waitlog.h), when a wait for
    a peer is said: first after 3 s, then at doubling gaps up to 30 s.     */

#include "pp_waitlog.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static void
test_not_started (void **state)
{
    (void) state;
    pp_waitlog_t wait = {0};
    assert_false (pp_waitlog_due (&wait, 1000000));
    assert_int_equal (pp_waitlog_waited (&wait, 1000000), 0);
}

/*  The notices come at 3, 9, 21, 45 s, then every 30 s.                   */
static void
test_schedule (void **state)
{
    (void) state;
    pp_waitlog_t wait = {0};
    pp_waitlog_start (&wait, 10000);
    assert_false (pp_waitlog_due (&wait, 10000));
    assert_false (pp_waitlog_due (&wait, 12999));
    assert_true (pp_waitlog_due (&wait, 13000));
    assert_false (pp_waitlog_due (&wait, 13000)); /* once             */
    assert_false (pp_waitlog_due (&wait, 18999));
    assert_true (pp_waitlog_due (&wait, 19000));
    assert_false (pp_waitlog_due (&wait, 30999));
    assert_true (pp_waitlog_due (&wait, 31000));
    assert_false (pp_waitlog_due (&wait, 54999));
    assert_true (pp_waitlog_due (&wait, 55000));
    assert_false (pp_waitlog_due (&wait, 84999));
    assert_true (pp_waitlog_due (&wait, 85000));
    assert_false (pp_waitlog_due (&wait, 114999));
    assert_true (pp_waitlog_due (&wait, 115000));
    assert_int_equal (pp_waitlog_waited (&wait, 115000), 105000);
}

/*  A late check says it once and schedules from then, not a burst.       */
static void
test_late_check (void **state)
{
    (void) state;
    pp_waitlog_t wait = {0};
    pp_waitlog_start (&wait, 1000);
    assert_true (pp_waitlog_due (&wait, 100000));
    assert_false (pp_waitlog_due (&wait, 100001));
    assert_true (pp_waitlog_due (&wait, 106000));
}

/*  Stopped, it is silent; started again, from the beginning.             */
static void
test_stop_and_restart (void **state)
{
    (void) state;
    pp_waitlog_t wait = {0};
    pp_waitlog_start (&wait, 1000);
    assert_true (pp_waitlog_due (&wait, 4000));
    pp_waitlog_stop (&wait);
    assert_false (pp_waitlog_due (&wait, 100000));
    assert_int_equal (pp_waitlog_waited (&wait, 100000), 0);
    pp_waitlog_start (&wait, 200000);
    assert_false (pp_waitlog_due (&wait, 202999));
    assert_true (pp_waitlog_due (&wait, 203000));
}

/*  A start at clock 0 is still a wait.                                    */
static void
test_start_at_zero (void **state)
{
    (void) state;
    pp_waitlog_t wait = {0};
    pp_waitlog_start (&wait, 0);
    assert_true (pp_waitlog_due (&wait, 3000));
}

static void
test_clock_format (void **state)
{
    (void) state;
    char out[16];
    pp_waitlog_clock (0, out, sizeof (out));
    assert_int_equal (strlen (out), 8);
    assert_true (out[2] == ':' && out[5] == ':');
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_not_started),
        cmocka_unit_test (test_schedule),
        cmocka_unit_test (test_late_check),
        cmocka_unit_test (test_stop_and_restart),
        cmocka_unit_test (test_start_at_zero),
        cmocka_unit_test (test_clock_format),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
