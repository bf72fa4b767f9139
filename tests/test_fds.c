/*  test_fds: how many commands fit beside the worker (worker/fds).      */

#include "../worker/fds.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>

#include <cmocka.h>

static void
test_fit (void **state)
{
    (void) state;
    /* 48 - 4 - 24 = 20: two commands of 7 */
    assert_int_equal (fds_fit (48, 4, 16), 2);
    assert_int_equal (fds_fit (48, 4, 1), 1);   /* never past --threads */
    assert_int_equal (fds_fit (35, 4, 16), 1);  /* 7 left: exactly one */
    assert_int_equal (fds_fit (34, 4, 16), 0);  /* 6 left: none */
    assert_int_equal (fds_fit (20, 4, 16), 0);  /* not even the worker */
    assert_int_equal (fds_fit (1024, 4, 0), 0); /* no commands */
    assert_int_equal (fds_fit (1 << 20, 4, 1024), 1024);
}

/*  The plan counts what is open (at least 0, 1, 2) and, with a hard limit
    above the soft one, raises the soft one for --threads commands.       */
static void
test_plan_raises_the_soft_limit (void **state)
{
    (void) state;
    struct rlimit saved;
    assert_int_equal (getrlimit (RLIMIT_NOFILE, &saved), 0);
    if (saved.rlim_max != RLIM_INFINITY && saved.rlim_max < 200)
        skip ();
    struct rlimit low = {40, saved.rlim_max};
    assert_int_equal (setrlimit (RLIMIT_NOFILE, &low), 0);
    fds_plan_t plan;
    fds_plan (&plan, 16);
    assert_true (plan.open >= 3 && plan.open < 40);
    assert_true (plan.raised);
    assert_int_equal (plan.limit, plan.open + FDS_OWN + 16 * FDS_PER_CHILD);
    assert_int_equal (plan.children, 16);
    struct rlimit now;
    assert_int_equal (getrlimit (RLIMIT_NOFILE, &now), 0);
    assert_int_equal ((long) now.rlim_cur, plan.limit);
    /* builtin jobs: no commands, nothing raised past what is there */
    fds_plan (&plan, 0);
    assert_false (plan.raised);
    assert_int_equal (plan.children, 0);
    assert_true (fds_worker_fits (&plan));
    assert_int_equal (setrlimit (RLIMIT_NOFILE, &saved), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_fit),
        cmocka_unit_test (test_plan_raises_the_soft_limit),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
