/*  test_peers: unit tests of vent_peers, the credit-flow worker table
    (ventilator/peers.h): which worker gets the next batch (the credit
    target), who else can take a retried item, reconnects, and silence.  */

#include "../ventilator/peers.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/*  A ROUTER identity frame for name.                                      */
static zframe_t *
s_identity (const char *name)
{
    zframe_t *frame = zframe_new (name, strlen (name));
    assert_non_null (frame);
    return frame;
}

/*  Adds worker_id with identity name and credit, heard at now_ms.        */
static vent_peer_t *
s_add (vent_peers_t *peers, const char *name, uint32_t worker_id,
       uint64_t credit, int64_t now_ms)
{
    zframe_t *identity = s_identity (name);
    vent_peer_t *peer = vent_peers_hello (peers, identity, worker_id, now_ms);
    zframe_destroy (&identity);
    assert_non_null (peer);
    peer->credit = credit;
    return peer;
}

static vent_peers_t *
s_three (void)
{
    vent_peers_t *peers = vent_peers_new ();
    assert_non_null (peers);
    s_add (peers, "a", 1, 5, 0);
    s_add (peers, "b", 2, 9, 0);
    s_add (peers, "c", 3, 2, 0);
    assert_int_equal (vent_peers_size (peers), 3);
    return peers;
}

/*  The worker with the most credit is the target; within a round, one
    found empty-handed is passed over; a new round tries it again.       */
static void
test_pick_most_credit (void **state)
{
    (void) state;
    vent_peers_t *peers = s_three ();
    vent_peer_t *peer = vent_peers_pick (peers, 1);
    assert_non_null (peer);
    assert_int_equal (peer->worker_id, 2);
    peer->tried = 1;
    peer = vent_peers_pick (peers, 1);
    assert_int_equal (peer->worker_id, 1);
    peer->tried = 1;
    peer = vent_peers_pick (peers, 1);
    assert_int_equal (peer->worker_id, 3);
    peer->tried = 1;
    assert_null (vent_peers_pick (peers, 1));
    assert_int_equal (vent_peers_pick (peers, 2)->worker_id, 2);
    vent_peers_destroy (&peers);
    assert_null (peers);
    vent_peers_destroy (&peers); /* twice: NULL-safe                    */
}

/*  No batch for a worker that is leaving, rejoining or out of credit.    */
static void
test_pick_skips_unable (void **state)
{
    (void) state;
    vent_peers_t *peers = s_three ();
    vent_peers_at (peers, 1)->leaving = true;   /* 2, most credit       */
    vent_peers_at (peers, 0)->rejoining = true; /* 1                    */
    assert_int_equal (vent_peers_pick (peers, 1)->worker_id, 3);
    vent_peers_at (peers, 2)->credit = 0;
    assert_null (vent_peers_pick (peers, 1));
    vent_peers_destroy (&peers);
}

/*  Another worker is there for a retried item when one not among those
    it failed on is not leaving; it can take it now with credit left (and
    not rejoining). Without credit it is there all the same: the item
    waits for it rather than go back to a worker it failed on.            */
static void
test_other (void **state)
{
    (void) state;
    vent_peers_t *peers = s_three ();
    bool now;
    uint32_t avoid2[] = {2, 0, 0}, avoid12[] = {1, 2, 0}, avoid99[] = {99};
    assert_true (vent_peers_other (peers, avoid2, 3, &now));
    assert_true (now);
    vent_peers_at (peers, 0)->credit = 0; /* 1 */
    vent_peers_at (peers, 2)->leaving = true;
    assert_true (vent_peers_other (peers, avoid2, 3, &now)); /* 1: later */
    assert_false (now);
    assert_false (vent_peers_other (peers, avoid12, 3, &now)); /* 3 leaves */
    assert_true (vent_peers_other (peers, avoid99, 1, &now));  /* 2 can    */
    assert_true (now);
    vent_peers_at (peers, 1)->rejoining = true; /* 2 */
    assert_true (vent_peers_other (peers, avoid99, 1, &now));
    assert_false (now);
    vent_peers_destroy (&peers);
}

/*  A known worker id on a new identity is the same worker, reconnected:
    it keeps its place and what it has; the old identity is forgotten.   */
static void
test_hello_reconnect (void **state)
{
    (void) state;
    vent_peers_t *peers = s_three ();
    zframe_t *fresh = s_identity ("b2");
    vent_peer_t *peer = vent_peers_hello (peers, fresh, 2, 50);
    assert_non_null (peer);
    assert_int_equal (vent_peers_size (peers), 3);
    assert_int_equal (peer->credit, 9);
    assert_ptr_equal (vent_peers_find (peers, fresh), peer);
    zframe_t *old = s_identity ("b");
    assert_null (vent_peers_find (peers, old));
    zframe_destroy (&old);
    zframe_destroy (&fresh);
    vent_peers_destroy (&peers);
}

/*  A worker silent for more than the limit is found (in table order);
    removing it keeps the others.                                          */
static void
test_silent_and_remove (void **state)
{
    (void) state;
    vent_peers_t *peers = s_three ();
    vent_peers_at (peers, 0)->seen_ms = 1000; /* 1 */
    vent_peers_at (peers, 2)->seen_ms = 1000; /* 3 */
    assert_null (vent_peers_silent (peers, 3000, 3000));
    vent_peer_t *peer = vent_peers_silent (peers, 3001, 3000);
    assert_non_null (peer);
    assert_int_equal (peer->worker_id, 2);
    vent_peers_remove (peers, peer);
    assert_int_equal (vent_peers_size (peers), 2);
    assert_null (vent_peers_silent (peers, 3001, 3000));
    assert_int_equal (vent_peers_at (peers, 0)->worker_id, 1);
    assert_int_equal (vent_peers_at (peers, 1)->worker_id, 3);
    assert_null (vent_peers_at (peers, 2));
    zframe_t *gone = s_identity ("b");
    assert_null (vent_peers_find (peers, gone));
    zframe_destroy (&gone);
    vent_peers_destroy (&peers);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_pick_most_credit),
        cmocka_unit_test (test_pick_skips_unable),
        cmocka_unit_test (test_other),
        cmocka_unit_test (test_hello_reconnect),
        cmocka_unit_test (test_silent_and_remove),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
