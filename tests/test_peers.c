/*  test_peers: unit tests of vent_peers, the credit-flow worker table
    (ventilator/peers.h): which worker gets the next batch (the credit
    target), who else can take a retried item, reconnects, and silence;
    and the whole table against a naive reference (a plain array walked
    for every question) on long random sequences of operations.          */

#include "../ventilator/peers.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <stdio.h>

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
    vent_peers_set_credit (peers, peer, credit);
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
    vent_peers_tried (peers, peer, 1);
    peer = vent_peers_pick (peers, 1);
    assert_int_equal (peer->worker_id, 1);
    vent_peers_tried (peers, peer, 1);
    peer = vent_peers_pick (peers, 1);
    assert_int_equal (peer->worker_id, 3);
    vent_peers_tried (peers, peer, 1);
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
    vent_peers_set_leaving (peers, vent_peers_at (peers, 1)); /* 2      */
    vent_peers_set_rejoining (peers, vent_peers_at (peers, 0), true); /* 1 */
    assert_int_equal (vent_peers_pick (peers, 1)->worker_id, 3);
    vent_peers_set_credit (peers, vent_peers_at (peers, 2), 0);
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
    vent_peers_set_credit (peers, vent_peers_at (peers, 0), 0); /* 1 */
    vent_peers_set_leaving (peers, vent_peers_at (peers, 2));
    assert_true (vent_peers_other (peers, avoid2, 3, &now)); /* 1: later */
    assert_false (now);
    assert_false (vent_peers_other (peers, avoid12, 3, &now)); /* 3 leaves */
    assert_true (vent_peers_other (peers, avoid99, 1, &now));  /* 2 can    */
    assert_true (now);
    vent_peers_set_rejoining (peers, vent_peers_at (peers, 1), true); /* 2 */
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

/*  The worker heard longest ago is the one found silent; removing it
    keeps the others.                                                      */
static void
test_silent_and_remove (void **state)
{
    (void) state;
    vent_peers_t *peers = s_three (); /* all heard at 0               */
    vent_peers_heard (peers, vent_peers_at (peers, 0), 1000); /* 1     */
    vent_peers_heard (peers, vent_peers_at (peers, 2), 1000); /* 3     */
    assert_null (vent_peers_silent (peers, 3000, 3000));
    vent_peer_t *peer = vent_peers_silent (peers, 3001, 3000);
    assert_non_null (peer);
    assert_int_equal (peer->worker_id, 2);
    vent_peers_remove (peers, peer);
    assert_int_equal (vent_peers_size (peers), 2);
    assert_null (vent_peers_silent (peers, 3001, 3000));
    assert_int_equal (vent_peers_silent (peers, 4001, 3000)->worker_id, 1);
    assert_null (vent_peers_at (peers, 2));
    zframe_t *gone = s_identity ("b");
    assert_null (vent_peers_find (peers, gone));
    zframe_destroy (&gone);
    zframe_t *a = s_identity ("a");
    assert_int_equal (vent_peers_find (peers, a)->worker_id, 1);
    zframe_destroy (&a);
    vent_peers_destroy (&peers);
}

/*  --- against a naive reference ----------------------------------------- */

#define S_IDS 40 /* worker ids 1..S_IDS; identities "w<id>.<n>"           */

typedef struct {
    bool present;
    unsigned generation; /* identity "w<id>.<generation>"              */
    uint64_t credit;
    int64_t seen_ms;
    uint64_t seen_order; /* ties in seen_ms: the order heard            */
    bool leaving, rejoining;
    uint64_t tried;
} s_ref_t;

static uint64_t s_rng = 0x2545f4914f6cdd1dULL;

static uint64_t
s_next (void)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return s_rng;
}

static zframe_t *
s_identity_of (uint32_t id, unsigned generation)
{
    char name[32];
    snprintf (name, sizeof (name), "w%u.%u", id, generation);
    return s_identity (name);
}

static vent_peer_t *
s_find_id (vent_peers_t *peers, const s_ref_t *ref, uint32_t id)
{
    zframe_t *identity = s_identity_of (id, ref[id].generation);
    vent_peer_t *peer = vent_peers_find (peers, identity);
    zframe_destroy (&identity);
    return peer;
}

/*  Checks every question the table answers against the reference.       */
static void
s_check (vent_peers_t *peers, s_ref_t *ref, uint64_t round, int64_t now)
{
    size_t n = 0;
    uint64_t best = 0;
    bool any = false;
    for (uint32_t id = 1; id <= S_IDS; id++) {
        if (!ref[id].present)
            continue;
        n++;
        vent_peer_t *peer = s_find_id (peers, ref, id);
        assert_non_null (peer);
        assert_int_equal (peer->worker_id, id);
        assert_int_equal (peer->credit, ref[id].credit);
        if (ref[id].credit > 0 && !ref[id].leaving && !ref[id].rejoining &&
            ref[id].tried != round && ref[id].credit >= best) {
            best = ref[id].credit;
            any = true;
        }
    }
    assert_int_equal (vent_peers_size (peers), n);
    vent_peer_t *pick = vent_peers_pick (peers, round);
    assert_int_equal (pick != NULL, any);
    if (pick)
        assert_int_equal (pick->credit, best);
    uint32_t avoid[3]; /* ids 0 (unused) to S_IDS + 1 (unknown), repeats */
    for (int i = 0; i < 3; i++)
        avoid[i] = (uint32_t) (s_next () % (S_IDS + 2));
    bool there = false, ready = false, can_now;
    for (uint32_t id = 1; id <= S_IDS; id++) {
        bool avoided = id == avoid[0] || id == avoid[1] || id == avoid[2];
        if (!ref[id].present || avoided || ref[id].leaving)
            continue;
        there = true;
        ready |= ref[id].credit > 0 && !ref[id].rejoining;
    }
    assert_int_equal (vent_peers_other (peers, avoid, 3, &can_now), there);
    assert_int_equal (can_now, ready);
    uint32_t oldest = 0;
    for (uint32_t id = 1; id <= S_IDS; id++)
        if (ref[id].present &&
            (!oldest || ref[id].seen_order < ref[oldest].seen_order))
            oldest = id;
    int64_t limit = (int64_t) (s_next () % 50);
    vent_peer_t *silent = vent_peers_silent (peers, now, limit);
    if (oldest && now - ref[oldest].seen_ms > limit) {
        assert_non_null (silent);
        assert_int_equal (silent->worker_id, oldest);
    } else
        assert_null (silent);
}

static void
test_random_against_reference (void **state)
{
    (void) state;
    static s_ref_t ref[S_IDS + 1];
    memset (ref, 0, sizeof (ref));
    vent_peers_t *peers = vent_peers_new ();
    uint64_t round = 1, order = 0;
    int64_t now = 0;
    for (int op = 0; op < 200000; op++) {
        uint32_t id = 1 + (uint32_t) (s_next () % S_IDS);
        s_ref_t *r = &ref[id];
        vent_peer_t *peer = r->present ? s_find_id (peers, ref, id) : NULL;
        now += (int64_t) (s_next () % 3);
        switch (s_next () % 9) {
            case 0: /* hello: new, or reconnected on a new identity     */
                if (r->present)
                    r->generation++;
                {
                    zframe_t *identity = s_identity_of (id, r->generation);
                    peer = vent_peers_hello (peers, identity, id, now);
                    zframe_destroy (&identity);
                }
                assert_non_null (peer);
                if (!r->present) {
                    *r = (s_ref_t){.present = true,
                                   .generation = r->generation,
                                   .seen_ms = now,
                                   .seen_order = ++order,
                                   .tried = UINT64_MAX};
                }
                break;
            case 1:
                if (peer) {
                    vent_peers_remove (peers, peer);
                    r->present = false;
                }
                break;
            case 2:
            case 3:
                if (peer) {
                    r->credit = s_next () % 8;
                    vent_peers_set_credit (peers, peer, r->credit);
                }
                break;
            case 4:
                if (peer && s_next () % 8 == 0) {
                    r->leaving = true;
                    r->credit = 0;
                    vent_peers_set_leaving (peers, peer);
                }
                break;
            case 5:
                if (peer) {
                    r->rejoining = s_next () % 4 == 0;
                    vent_peers_set_rejoining (peers, peer, r->rejoining);
                }
                break;
            case 6:
                if (peer) {
                    r->seen_ms = now;
                    r->seen_order = ++order;
                    vent_peers_heard (peers, peer, now);
                }
                break;
            case 7:
                if (peer) {
                    r->tried = round;
                    vent_peers_tried (peers, peer, round);
                }
                break;
            default: round += s_next () % 2; break;
        }
        s_check (peers, ref, round, now);
    }
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
        cmocka_unit_test (test_random_against_reference),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
