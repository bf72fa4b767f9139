/*  test_wcredit: a credit-flow worker's account (pp_wcredit.h): what it
    grants as items come and go, the rate it samples, the item size it
    smooths, and when it beats -- exact figures on a clock the test runs.  */

#include "pp_wcredit.h"
#include "pp_wsize.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/*  A run starts with nothing granted: the floor (2 x threads) is due.
    Granted, nothing more is due until results go out.                    */
static void
test_grant_and_complete (void **state)
{
    (void) state;
    pp_wcredit_t credit = {0};
    pp_wcredit_reset (&credit, 5000);
    assert_int_equal (pp_wcredit_due (&credit, 5000, 0, 2, 0), 4);
    pp_wcredit_granted (&credit, 4, 5000);
    assert_int_equal (pp_wcredit_due (&credit, 5050, 0, 2, 0), 0);
    pp_wcredit_received (&credit, 4, 400);
    assert_int_equal (pp_wcredit_due (&credit, 5060, 0, 2, 0), 0);
    pp_wcredit_completed (&credit, 3); /* 1 held: 3 due                */
    assert_int_equal (pp_wcredit_due (&credit, 5070, 0, 2, 0), 3);
    /*  A fixed --capacity is the target.                                 */
    assert_int_equal (pp_wcredit_due (&credit, 5080, 10, 2, 0), 9);
}

/*  While items are held, credit goes out a quarter of the target at a
    time (8 of 32), not an item at a time (the old code granted 1 here:
    a CREDIT and a TASK per item); held nothing, all that is free.       */
static void
test_grant_in_quarters (void **state)
{
    (void) state;
    pp_wcredit_t credit = {0};
    pp_wcredit_reset (&credit, 0);
    assert_int_equal (pp_wcredit_due (&credit, 0, 32, 1, 0), 32);
    pp_wcredit_granted (&credit, 32, 0);
    pp_wcredit_received (&credit, 32, 320);
    pp_wcredit_completed (&credit, 1);
    assert_int_equal (pp_wcredit_due (&credit, 10, 32, 1, 0), 0);
    pp_wcredit_completed (&credit, 6);
    assert_int_equal (pp_wcredit_due (&credit, 20, 32, 1, 0), 0);
    pp_wcredit_completed (&credit, 1); /* 8 free: a quarter             */
    assert_int_equal (pp_wcredit_due (&credit, 30, 32, 1, 0), 8);
    pp_wcredit_granted (&credit, 8, 30);
    pp_wcredit_completed (&credit, 24); /* nothing held: all free        */
    assert_int_equal (pp_wcredit_due (&credit, 40, 32, 1, 0), 24);
    /*  A target under 4 grants each item, as before.                      */
    pp_wcredit_reset (&credit, 0);
    pp_wcredit_granted (&credit, 2, 0);
    pp_wcredit_received (&credit, 2, 20);
    pp_wcredit_completed (&credit, 1);
    assert_int_equal (pp_wcredit_due (&credit, 0, 2, 1, 0), 1);
}

/*  The rate is sampled once 100 ms passed, and halved into the old one. */
static void
test_rate (void **state)
{
    (void) state;
    pp_wcredit_t credit = {0};
    pp_wcredit_reset (&credit, 0);
    pp_wcredit_completed (&credit, 10000);
    pp_wcredit_due (&credit, 99, 0, 1, 0); /* not yet                   */
    assert_int_equal (credit.rate, 0);
    pp_wcredit_due (&credit, 100, 0, 1, 0); /* 100000/s, halved        */
    assert_int_equal (credit.rate, 50000);
    pp_wcredit_completed (&credit, 10000);
    pp_wcredit_due (&credit, 200, 0, 1, 0);
    assert_int_equal (credit.rate, 75000);
    /*  granted 0, completed 20000: nothing held, 25 ms at 75000/s.      */
    credit.granted = credit.completed;
    assert_int_equal (pp_wcredit_due (&credit, 250, 0, 1, 0), 1875);
}

/*  An item's size on the wire: the first as it is, then smoothed 1/8.   */
static void
test_item_bytes (void **state)
{
    (void) state;
    pp_wcredit_t credit = {0};
    pp_wcredit_reset (&credit, 0);
    pp_wcredit_received (&credit, 10, 990); /* 99 + 1 each             */
    assert_int_equal (credit.item_bytes, 100);
    pp_wcredit_received (&credit, 1, 899); /* 900: (700 + 900) / 8     */
    assert_int_equal (credit.item_bytes, 200);
    pp_wcredit_received (&credit, 0, 7); /* count 0 counts as 1         */
    assert_int_equal (credit.item_bytes, (200 * 7 + 8) / 8);
    assert_int_equal (credit.received, 11);
    /*  4 KiB items cap the credit at 8 MiB: 2048.                        */
    credit = (pp_wcredit_t){.item_bytes = 4096};
    assert_int_equal (pp_wcredit_due (&credit, 0, 0, 2, 10000), 2048);
}

/*  Rejoining forgets what the ventilator owed us, not what we hold.     */
static void
test_rejoin (void **state)
{
    (void) state;
    pp_wcredit_t credit = {0};
    pp_wcredit_reset (&credit, 0);
    pp_wcredit_granted (&credit, 8, 0);
    pp_wcredit_received (&credit, 5, 50);
    pp_wcredit_rejoin (&credit);
    assert_int_equal (credit.granted, 5);
    assert_int_equal (pp_wcredit_due (&credit, 10, 0, 4, 0), 3);
}

/*  A beat is due a heartbeat after the last CREDIT, not sooner; a reset
    keeps the heartbeat the ventilator asked for (1000 ms if none).        */
static void
test_beat (void **state)
{
    (void) state;
    pp_wcredit_t credit = {0};
    pp_wcredit_reset (&credit, 0);
    assert_int_equal (credit.beat_every_ms, 1000);
    pp_wcredit_granted (&credit, 0, 2000);
    assert_false (pp_wcredit_beat_due (&credit, 2999));
    assert_true (pp_wcredit_beat_due (&credit, 3000));
    credit.beat_every_ms = 300;
    pp_wcredit_reset (&credit, 9000);
    assert_int_equal (credit.beat_every_ms, 300);
    assert_false (pp_wcredit_beat_due (&credit, 2299));
    assert_true (pp_wcredit_beat_due (&credit, 2300));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_grant_and_complete),
        cmocka_unit_test (test_grant_in_quarters),
        cmocka_unit_test (test_rate),
        cmocka_unit_test (test_item_bytes),
        cmocka_unit_test (test_rejoin),
        cmocka_unit_test (test_beat),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
