/*  test_ids: unit tests of vent_ids (ventilator/ids.h), who has which
    worker id: the first HELLO under an id has it, the same process again
    is no clash, another process (pid or host) under it is one.          */

#include "../ventilator/ids.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static pp_hello_t
s_hello (uint32_t pid, const char *host)
{
    pp_hello_t hello = {.pid = pid, .threads = 4, .capacity = 8};
    snprintf (hello.host, sizeof (hello.host), "%s", host);
    return hello;
}

/*  The first to say HELLO under an id has it; it may say HELLO again.    */
static void
test_first_has_it (void **state)
{
    (void) state;
    vent_ids_t *ids = vent_ids_new ();
    assert_non_null (ids);
    pp_hello_t a = s_hello (100, "node1"), owner;
    assert_true (vent_ids_claim (ids, 0xabcd, &a, &owner));
    a.threads = 8; /* what else it says does not matter: pid and host  */
    assert_true (vent_ids_claim (ids, 0xabcd, &a, &owner));
    vent_ids_destroy (&ids);
    assert_null (ids);
}

/*  Another pid on the same host, or the same pid on another host, under
    a taken id: a clash, with who has it.                                 */
static void
test_clash (void **state)
{
    (void) state;
    vent_ids_t *ids = vent_ids_new ();
    pp_hello_t a = s_hello (100, "node1"), owner;
    pp_hello_t b = s_hello (101, "node1"), c = s_hello (100, "node2");
    assert_true (vent_ids_claim (ids, 0xabcd, &a, &owner));
    memset (&owner, 0, sizeof (owner));
    assert_false (vent_ids_claim (ids, 0xabcd, &b, &owner));
    assert_int_equal (owner.pid, 100);
    assert_string_equal (owner.host, "node1");
    assert_false (vent_ids_claim (ids, 0xabcd, &c, &owner));
    /*  The newcomer under another id is its own; the first keeps its.    */
    assert_true (vent_ids_claim (ids, 0x1234, &b, &owner));
    assert_true (vent_ids_claim (ids, 0xabcd, &a, &owner));
    vent_ids_destroy (&ids);
}

/*  Ids 0 and UINT32_MAX are ids like any other (keys are id + 1).       */
static void
test_edge_ids (void **state)
{
    (void) state;
    vent_ids_t *ids = vent_ids_new ();
    pp_hello_t a = s_hello (1, "h"), b = s_hello (2, "h"), owner;
    assert_true (vent_ids_claim (ids, 0, &a, &owner));
    assert_true (vent_ids_claim (ids, UINT32_MAX, &b, &owner));
    assert_false (vent_ids_claim (ids, 0, &b, &owner));
    assert_false (vent_ids_claim (ids, UINT32_MAX, &a, &owner));
    vent_ids_destroy (&ids);
}

/*  10^4 workers of distinct ids: none clashes, each finds itself again
    (the table grows without losing who has what).                        */
static void
test_many (void **state)
{
    (void) state;
    vent_ids_t *ids = vent_ids_new ();
    pp_hello_t owner;
    for (uint32_t i = 0; i < 10000; i++) {
        pp_hello_t w = s_hello (1000 + i, i % 2 ? "odd" : "even");
        assert_true (vent_ids_claim (ids, i * 7919u, &w, &owner));
    }
    for (uint32_t i = 0; i < 10000; i++) {
        pp_hello_t w = s_hello (1000 + i, i % 2 ? "odd" : "even");
        pp_hello_t other = s_hello (1000 + i, i % 2 ? "even" : "odd");
        assert_true (vent_ids_claim (ids, i * 7919u, &w, &owner));
        assert_false (vent_ids_claim (ids, i * 7919u, &other, &owner));
        assert_int_equal (owner.pid, 1000 + i);
    }
    vent_ids_destroy (&ids);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_first_has_it),
        cmocka_unit_test (test_clash),
        cmocka_unit_test (test_edge_ids),
        cmocka_unit_test (test_many),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
