/*  test_window: unit tests of vent_window, the ventilator's unacked items
    (ventilator/window.h): numbering, acks in any order and out of range,
    the resend scan and its timing, retries that avoid the worker an item
    failed on, requeues, and the recycling of item memory (vent_pool).

    Times are made up (the window has no clock): an item put at T with an
    ack timeout of S_TIMEOUT is due at T + S_TIMEOUT. Batches are read
    back with the wire decoder, so what a test sees is what a worker gets. */

#include "../ventilator/pool.h"
#include "../ventilator/window.h"
#include "pp_error.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define S_TIMEOUT 500 /* --ack-timeout of every test window, ms       */
#define S_T0 10000    /* the first put                                 */

typedef struct {
    vent_pool_t *pool;
    vent_window_t *window;
    pp_batch_t batch;
} fixture_t;

static fixture_t *
s_open (uint32_t size)
{
    fixture_t *fx = calloc (1, sizeof (fixture_t));
    assert_non_null (fx);
    fx->pool = vent_pool_new (size);
    assert_non_null (fx->pool);
    fx->window = vent_window_new (size, S_TIMEOUT, fx->pool);
    assert_non_null (fx->window);
    return fx;
}

static void
s_close (fixture_t *fx)
{
    vent_window_destroy (&fx->window);
    assert_null (fx->window);
    vent_window_destroy (&fx->window); /* twice: NULL-safe          */
    vent_pool_destroy (&fx->pool);
    pp_batch_free (&fx->batch);
    free (fx);
}

/*  A new item of text, from the pool as the feed makes them.              */
static pp_item_t *
s_item (fixture_t *fx, const char *text)
{
    size_t len = strlen (text);
    pp_item_t *item = vent_pool_alloc (fx->pool, sizeof (pp_item_t) + len + 1);
    assert_non_null (item);
    *item = (pp_item_t){.len = (uint32_t) len};
    memcpy (item->data, text, len + 1);
    return item;
}

/*  Puts n items (text = their index) for owner at now_ms, in one batch. */
static void
s_put (fixture_t *fx, int n, uint32_t owner, int64_t now_ms)
{
    pp_batch_reset (&fx->batch);
    for (int i = 0; i < n; i++) {
        char text[16];
        snprintf (text, sizeof (text), "%d", i);
        assert_false (vent_window_full (fx->window));
        assert_int_equal (vent_window_put (fx->window, s_item (fx, text),
                                           &fx->batch, owner, now_ms),
                          0);
    }
}

/*  The seqs of the batch, in order, into seqs; returns how many. Checks
    the batch as a worker would first.                                     */
static int
s_seqs (const pp_batch_t *batch, uint64_t *seqs, int max)
{
    if (batch->count == 0)
        return 0;
    pp_reject_t reason;
    assert_int_equal (pp_wire_check_batch (batch->data, batch->size,
                                           batch->count, 1 << 20, &reason),
                      0);
    size_t offset = 0;
    pp_record_t rec;
    int n = 0;
    while (pp_wire_next_record (batch->data, batch->size, &offset, &rec)) {
        assert_true (n < max);
        seqs[n++] = rec.seq;
    }
    return n;
}

/*  Resends for owner at now_ms into a fresh batch of at most max items;
    returns how many, their seqs in seqs.                                  */
static int
s_resend (fixture_t *fx, uint32_t owner, int64_t now_ms, uint32_t max,
          vent_window_other_fn *other, uint64_t *seqs)
{
    pp_batch_reset (&fx->batch);
    assert_int_equal (vent_window_resend (fx->window, &fx->batch, max, owner,
                                          now_ms, other, NULL),
                      0);
    return s_seqs (&fx->batch, seqs, 64);
}

static vent_window_other_t
s_other_yes (void *ctx, const uint32_t *avoid, size_t n)
{
    (void) ctx;
    (void) avoid;
    (void) n;
    return VENT_OTHER_NOW;
}

static vent_window_other_t
s_other_no (void *ctx, const uint32_t *avoid, size_t n)
{
    (void) ctx;
    (void) avoid;
    (void) n;
    return VENT_OTHER_NONE;
}

static vent_window_other_t
s_other_later (void *ctx, const uint32_t *avoid, size_t n)
{
    (void) ctx;
    (void) avoid;
    (void) n;
    return VENT_OTHER_LATER;
}

/*  put numbers from 0 and fills the window; the batch holds what was put,
    with its bytes.                                                         */
static void
test_put_numbers (void **state)
{
    (void) state;
    fixture_t *fx = s_open (4);
    assert_int_equal (vent_window_next (fx->window), 0);
    s_put (fx, 4, 0, S_T0);
    assert_true (vent_window_full (fx->window));
    assert_int_equal (vent_window_base (fx->window), 0);
    assert_int_equal (vent_window_next (fx->window), 4);
    assert_int_equal (vent_window_unacked (fx->window), 4);
    size_t offset = 0;
    pp_record_t rec;
    for (uint64_t seq = 0; seq < 4; seq++) {
        assert_true (pp_wire_next_record (fx->batch.data, fx->batch.size,
                                          &offset, &rec));
        assert_int_equal (rec.seq, seq);
        assert_int_equal (rec.attempt, 0);
        char want[16];
        snprintf (want, sizeof (want), "%d", (int) seq);
        assert_int_equal (rec.len, strlen (want));
        assert_memory_equal (rec.data, want, rec.len);
    }
    s_close (fx);
}

/*  Acks in any order: base moves only past the lowest unacked seq, and
    the window has room again only then.                                   */
static void
test_ack_out_of_order (void **state)
{
    (void) state;
    fixture_t *fx = s_open (4);
    s_put (fx, 4, 0, S_T0);
    vent_window_ack (fx->window, 2, 1);
    assert_int_equal (vent_window_base (fx->window), 0);
    assert_int_equal (vent_window_unacked (fx->window), 3);
    vent_window_ack (fx->window, 2, 2); /* 2 again, with 3: counted once */
    assert_int_equal (vent_window_unacked (fx->window), 2);
    vent_window_ack (fx->window, 3, 1);
    assert_int_equal (vent_window_unacked (fx->window), 2);
    assert_true (vent_window_full (fx->window));
    vent_window_ack (fx->window, 0, 1);
    assert_int_equal (vent_window_base (fx->window), 1);
    assert_false (vent_window_full (fx->window));
    vent_window_ack (fx->window, 1, 1);
    assert_int_equal (vent_window_base (fx->window), 4);
    assert_int_equal (vent_window_unacked (fx->window), 0);
    vent_window_ack (fx->window, 1, 1); /* again: nothing happens       */
    assert_int_equal (vent_window_base (fx->window), 4);
    assert_int_equal (vent_window_unacked (fx->window), 0);
    s_close (fx);
}

/*  A range reaching past next acks up to next only; one below base acks
    nothing twice; one wholly outside changes nothing; the largest range
    does not wrap around.                                                  */
static void
test_ack_out_of_range (void **state)
{
    (void) state;
    fixture_t *fx = s_open (8);
    s_put (fx, 4, 0, S_T0);
    vent_window_ack (fx->window, 2, 100); /* 2..3, not 4..101          */
    assert_int_equal (vent_window_unacked (fx->window), 2);
    assert_int_equal (vent_window_next (fx->window), 4);
    vent_window_ack (fx->window, 1000, 5); /* wholly past next         */
    assert_int_equal (vent_window_unacked (fx->window), 2);
    vent_window_ack (fx->window, 0, 1);
    assert_int_equal (vent_window_base (fx->window), 1);
    vent_window_ack (fx->window, 0, 1); /* below base now               */
    assert_int_equal (vent_window_base (fx->window), 1);
    vent_window_ack (fx->window, 1, UINT64_MAX); /* no wrap: 1..3       */
    assert_int_equal (vent_window_base (fx->window), 4);
    assert_int_equal (vent_window_unacked (fx->window), 0);
    s_put (fx, 2, 0, S_T0); /* the ring goes on: seqs 4 and 5        */
    assert_int_equal (vent_window_next (fx->window), 6);
    assert_int_equal (vent_window_unacked (fx->window), 2);
    s_close (fx);
}

/*  An unacked item is due again after the ack timeout, and only then; the
    scan that found nothing due sleeps until the oldest send falls due,
    and scans start at most every VENT_WINDOW_SCAN_MS.                     */
static void
test_resend_after_timeout (void **state)
{
    (void) state;
    fixture_t *fx = s_open (8);
    uint64_t seqs[64];
    s_put (fx, 3, 0, S_T0);
    assert_int_equal (s_resend (fx, 0, S_T0, 64, NULL, seqs), 0);
    vent_window_tick (fx->window, S_T0 + 100); /* a scan starts        */
    assert_int_equal (s_resend (fx, 0, S_T0 + 100, 64, NULL, seqs), 0);
    /*  Due at S_T0 + 500: no scan before, whatever the ticks.             */
    vent_window_tick (fx->window, S_T0 + S_TIMEOUT - 1);
    assert_int_equal (s_resend (fx, 0, S_T0 + S_TIMEOUT, 64, NULL, seqs), 0);
    vent_window_tick (fx->window, S_T0 + S_TIMEOUT);
    assert_int_equal (s_resend (fx, 0, S_T0 + S_TIMEOUT, 64, NULL, seqs), 3);
    assert_int_equal (seqs[0], 0);
    assert_int_equal (seqs[2], 2);
    assert_int_equal (vent_window_redelivered (fx->window), 3);
    size_t offset = 0;
    pp_record_t rec;
    assert_true (
        pp_wire_next_record (fx->batch.data, fx->batch.size, &offset, &rec));
    assert_int_equal (rec.attempt, 1);
    /*  Sent again at S_T0 + 500: due at S_T0 + 1000, not before.         */
    vent_window_tick (fx->window, S_T0 + 900);
    assert_int_equal (s_resend (fx, 0, S_T0 + 900, 64, NULL, seqs), 0);
    vent_window_tick (fx->window, S_T0 + 2 * S_TIMEOUT);
    assert_int_equal (s_resend (fx, 0, S_T0 + 2 * S_TIMEOUT, 64, NULL, seqs),
                      3);
    assert_int_equal (vent_window_redelivered (fx->window), 6);
    s_close (fx);
}

/*  A resend batch stops at max items; the scan goes on where it stopped,
    and skips acked items.                                                 */
static void
test_resend_in_batches (void **state)
{
    (void) state;
    fixture_t *fx = s_open (8);
    uint64_t seqs[64];
    s_put (fx, 6, 0, S_T0);
    vent_window_ack (fx->window, 1, 1);
    int64_t later = S_T0 + S_TIMEOUT;
    vent_window_tick (fx->window, later);
    assert_int_equal (s_resend (fx, 0, later, 2, NULL, seqs), 2);
    assert_int_equal (seqs[0], 0);
    assert_int_equal (seqs[1], 2);
    assert_int_equal (s_resend (fx, 0, later, 2, NULL, seqs), 2);
    assert_int_equal (seqs[0], 3);
    assert_int_equal (seqs[1], 4);
    assert_int_equal (s_resend (fx, 0, later, 2, NULL, seqs), 1);
    assert_int_equal (seqs[0], 5);
    assert_int_equal (s_resend (fx, 0, later, 2, NULL, seqs), 0);
    s_close (fx);
}

/*  A retried item is due at once, not for the worker it failed on while
    another can take it -- the scan keeps its place for the other -- and
    for that worker too when no other can.                                 */
static void
test_retry_avoids_owner (void **state)
{
    (void) state;
    fixture_t *fx = s_open (8);
    uint64_t seqs[64];
    s_put (fx, 2, 7, S_T0); /* worker 7 holds 0 and 1                   */
    s_put (fx, 1, 8, S_T0); /* worker 8 holds 2                         */
    vent_window_retry (fx->window, 0, 3, 0);
    assert_int_equal (s_resend (fx, 7, S_T0 + 1, 64, s_other_yes, seqs), 1);
    assert_int_equal (seqs[0], 2); /* 8's item: 7 may take it          */
    assert_int_equal (s_resend (fx, 8, S_T0 + 1, 64, s_other_yes, seqs), 2);
    assert_int_equal (seqs[0], 0);
    assert_int_equal (seqs[1], 1);
    assert_int_equal (vent_window_redelivered (fx->window), 3);

    vent_window_retry (fx->window, 0, 2, 0); /* failed on 8 this time   */
    assert_int_equal (s_resend (fx, 8, S_T0 + 2, 64, s_other_no, seqs), 2);
    assert_int_equal (vent_window_redelivered (fx->window), 5);
    s_close (fx);
}

/*  requeue_owner: what a gone worker held is due at once (no tick
    needed), and only that.                                                */
static void
test_requeue_owner (void **state)
{
    (void) state;
    fixture_t *fx = s_open (8);
    uint64_t seqs[64];
    s_put (fx, 1, 1, S_T0); /* 0 */
    s_put (fx, 1, 2, S_T0); /* 1 */
    s_put (fx, 1, 1, S_T0); /* 2 */
    s_put (fx, 1, 2, S_T0); /* 3 */
    vent_window_ack (fx->window, 2, 1);
    vent_window_requeue_owner (fx->window, 1);
    assert_int_equal (s_resend (fx, 3, S_T0 + 1, 64, NULL, seqs), 1);
    assert_int_equal (seqs[0], 0);
    vent_window_requeue_owner (fx->window, 1); /* 0 is 3's now        */
    assert_int_equal (s_resend (fx, 3, S_T0 + 1, 64, NULL, seqs), 0);
    vent_window_requeue (fx->window, 3);
    vent_window_requeue (fx->window, 2);  /* acked: ignored            */
    vent_window_requeue (fx->window, 99); /* never numbered: ignored   */
    assert_int_equal (s_resend (fx, 3, S_T0 + 1, 64, NULL, seqs), 1);
    assert_int_equal (seqs[0], 3);
    assert_int_equal (vent_window_redelivered (fx->window), 2);
    s_close (fx);
}

/*  A requeued item marked unsent (its batch never left) goes out again as
    a first delivery: not counted, attempt unchanged.                      */
static void
test_unsent_is_no_redelivery (void **state)
{
    (void) state;
    fixture_t *fx = s_open (8);
    uint64_t seqs[64];
    s_put (fx, 2, 5, S_T0);
    vent_window_requeue (fx->window, 0);
    vent_window_unsent (fx->window, 0);
    vent_window_requeue (fx->window, 1);
    assert_int_equal (s_resend (fx, 6, S_T0 + 1, 64, NULL, seqs), 2);
    assert_int_equal (vent_window_redelivered (fx->window), 1);
    size_t offset = 0;
    pp_record_t rec;
    assert_true (
        pp_wire_next_record (fx->batch.data, fx->batch.size, &offset, &rec));
    assert_int_equal (rec.seq, 0);
    assert_int_equal (rec.attempt, 0);
    assert_true (
        pp_wire_next_record (fx->batch.data, fx->batch.size, &offset, &rec));
    assert_int_equal (rec.attempt, 1);
    s_close (fx);
}

/*  A scan started by a requeue, from the requeued seq, sees none of the
    items below it: when it ends, the next scan must still come when the
    oldest of those falls due, not an ack timeout after the requeue.      */
static void
test_requeue_keeps_scan_due (void **state)
{
    (void) state;
    fixture_t *fx = s_open (8);
    uint64_t seqs[64];
    s_put (fx, 1, 0, S_T0);       /* 0: due at S_T0 + 500            */
    s_put (fx, 1, 0, S_T0 + 100); /* 1: due at S_T0 + 600            */
    vent_window_tick (fx->window, S_T0 + 200);
    assert_int_equal (s_resend (fx, 0, S_T0 + 200, 64, NULL, seqs), 0);
    vent_window_requeue (fx->window, 1);
    assert_int_equal (s_resend (fx, 0, S_T0 + 450, 64, NULL, seqs), 1);
    assert_int_equal (seqs[0], 1);
    int64_t due = S_T0 + S_TIMEOUT;
    vent_window_tick (fx->window, due);
    assert_int_equal (s_resend (fx, 0, due, 64, NULL, seqs), 1);
    assert_int_equal (seqs[0], 0);
    s_close (fx);
}

/*  A slot keeps nothing of its last item: an item that was marked unsent
    or failed on a worker, then acked, leaves no mark on the next item in
    its slot -- that one's resend is a redelivery, to whichever worker.   */
static void
test_reused_slot_is_clean (void **state)
{
    (void) state;
    fixture_t *fx = s_open (2);
    uint64_t seqs[64];
    s_put (fx, 2, 7, S_T0);
    vent_window_requeue (fx->window, 0); /* its resend never left      */
    vent_window_unsent (fx->window, 0);
    vent_window_retry (fx->window, 1, 1, 0); /* failed on 7            */
    vent_window_ack (fx->window, 0, 2);      /* both recorded after all   */
    s_put (fx, 2, 7, S_T0 + 1);              /* seqs 2, 3 in the same slots */
    int64_t later = S_T0 + 1 + S_TIMEOUT;
    vent_window_tick (fx->window, later);
    assert_int_equal (s_resend (fx, 7, later, 64, s_other_yes, seqs), 2);
    assert_int_equal (seqs[0], 2);
    assert_int_equal (seqs[1], 3);
    assert_int_equal (vent_window_redelivered (fx->window), 2);
    size_t offset = 0;
    pp_record_t rec;
    assert_true (
        pp_wire_next_record (fx->batch.data, fx->batch.size, &offset, &rec));
    assert_int_equal (rec.attempt, 1);
    s_close (fx);
}

/*  A stall moves every deadline by the time lost: nothing falls due for
    it, and a requeued item stays due at once.                             */
static void
test_stall_moves_deadlines (void **state)
{
    (void) state;
    fixture_t *fx = s_open (8);
    uint64_t seqs[64];
    s_put (fx, 2, 0, S_T0);
    vent_window_requeue (fx->window, 0);
    vent_window_stall (fx->window, 5000);
    /*  Without the stall, 1 (sent at S_T0) would be due from S_T0 + 500.  */
    int64_t now = S_T0 + 5000 + 300;
    vent_window_tick (fx->window, now);
    assert_int_equal (s_resend (fx, 0, now, 64, NULL, seqs), 1);
    assert_int_equal (seqs[0], 0);
    now = S_T0 + 5000 + S_TIMEOUT; /* 1 is due now, and a scan runs    */
    vent_window_tick (fx->window, now);
    assert_int_equal (s_resend (fx, 0, now, 64, NULL, seqs), 1);
    assert_int_equal (seqs[0], 1);
    s_close (fx);
}

/*  Acked items go back to the pool and come out again for the next small
    item; the pool never keeps more than the window holds, however many
    rounds go by.                                                           */
static void
test_recycling_bounded (void **state)
{
    (void) state;
    fixture_t *fx = s_open (4);
    s_put (fx, 4, 0, S_T0);
    vent_window_ack (fx->window, 0, 4);
    assert_int_equal (vent_pool_spare (fx->pool), 4);
    void *spare = vent_pool_alloc (fx->pool, 16);
    assert_int_equal (vent_pool_spare (fx->pool), 3);
    vent_pool_free (fx->pool, spare);
    for (int round = 0; round < 100; round++) {
        s_put (fx, 1 + round % 4, 0, S_T0);
        assert_true (vent_pool_spare (fx->pool) <= 4);
        vent_window_ack (fx->window, vent_window_base (fx->window), 4);
        assert_int_equal (vent_window_unacked (fx->window), 0);
        assert_true (vent_pool_spare (fx->pool) <= 4);
    }
    /*  Extra blocks beyond the bound are freed, not kept.                */
    void *blocks[6];
    for (int i = 0; i < 6; i++)
        blocks[i] = vent_pool_alloc (fx->pool, 16);
    for (int i = 0; i < 6; i++)
        vent_pool_free (fx->pool, blocks[i]);
    assert_int_equal (vent_pool_spare (fx->pool), 4);
    /*  A large item is not recycled into a small slot's memory.          */
    void *big = vent_pool_alloc (fx->pool, 4096);
    assert_non_null (big);
    assert_int_equal (vent_pool_spare (fx->pool), 4);
    free (big);
    s_close (fx);
}

/*  A big block taken back is freed, never kept: a spare serves only a
    small item, so big ones kept held the whole input (issue 21).         */
static void
test_pool_frees_big_blocks (void **state)
{
    (void) state;
    vent_pool_t *pool = vent_pool_new (8);
    assert_non_null (pool);
    for (int i = 0; i < 4; i++) {
        void *big = vent_pool_alloc (pool, 256 * 1024);
        assert_non_null (big);
        vent_pool_free (pool, big);
        assert_int_equal (vent_pool_spare (pool), 0);
    }
    vent_pool_free (pool, vent_pool_alloc (pool, VENT_POOL_KEEP));
    assert_int_equal (vent_pool_spare (pool), 0);
    vent_pool_free (pool, vent_pool_alloc (pool, VENT_POOL_SMALL));
    assert_int_equal (vent_pool_spare (pool), 1);
    vent_pool_destroy (&pool);
}

/*  --window-bytes: the window is full once the unacked items hold the
    byte bound, whatever their count; an item bigger than the bound goes
    alone into an empty window; acks make room again.                     */
static void
test_window_bytes_bound (void **state)
{
    (void) state;
    fixture_t *fx = s_open (64);
    size_t big = 1000;
    uint64_t each = sizeof (pp_item_t) + big + 1;
    vent_window_set_max_bytes (fx->window, 3 * each, NULL);
    char *text = malloc (big + 1);
    assert_non_null (text);
    memset (text, 'x', big);
    text[big] = '\0';
    pp_batch_reset (&fx->batch);
    for (int i = 0; i < 3; i++) {
        assert_false (vent_window_full (fx->window));
        assert_int_equal (vent_window_put (fx->window, s_item (fx, text),
                                           &fx->batch, 0, S_T0),
                          0);
    }
    assert_true (vent_window_full (fx->window));
    assert_int_equal (vent_window_bytes (fx->window), 3 * each);
    vent_window_ack (fx->window, 1, 1); /* out of order: room again     */
    assert_false (vent_window_full (fx->window));
    assert_int_equal (vent_window_bytes (fx->window), 2 * each);
    vent_window_ack (fx->window, 0, 3);
    assert_int_equal (vent_window_bytes (fx->window), 0);
    /*  A bound under one item: each item goes alone, never a deadlock.   */
    vent_window_set_max_bytes (fx->window, each / 2, NULL);
    for (int i = 0; i < 3; i++) {
        assert_false (vent_window_full (fx->window));
        assert_int_equal (vent_window_put (fx->window, s_item (fx, text),
                                           &fx->batch, 0, S_T0),
                          0);
        assert_true (vent_window_full (fx->window));
        vent_window_ack (fx->window, vent_window_base (fx->window), 1);
    }
    assert_int_equal (vent_window_next (fx->window), 6);
    free (text);
    s_close (fx);
}

static uint64_t s_extra; /* bytes the sockets hold, for the window     */

static uint64_t
s_extra_bytes (void)
{
    return s_extra;
}

/*  Copies of sent items the sockets still hold count against the byte
    bound; with no item held, the window is never full by bytes (what the
    sockets hold goes by itself: no deadlock).                             */
static void
test_window_bytes_extra (void **state)
{
    (void) state;
    fixture_t *fx = s_open (64);
    uint64_t each = sizeof (pp_item_t) + 1 + 1;
    vent_window_set_max_bytes (fx->window, 4 * each, s_extra_bytes);
    s_extra = 100 * each;
    assert_false (vent_window_full (fx->window));
    s_put (fx, 1, 0, S_T0);
    assert_true (vent_window_full (fx->window));
    s_extra = 2 * each;
    assert_false (vent_window_full (fx->window));
    s_extra = 3 * each;
    assert_true (vent_window_full (fx->window));
    vent_window_ack (fx->window, 0, 1);
    assert_false (vent_window_full (fx->window));
    s_extra = 0;
    s_close (fx);
}

/*  The one record of the batch.                                           */
static pp_record_t
s_only_record (fixture_t *fx)
{
    assert_int_equal (fx->batch.count, 1);
    size_t offset = 0;
    pp_record_t rec;
    assert_true (
        pp_wire_next_record (fx->batch.data, fx->batch.size, &offset, &rec));
    return rec;
}

/*  --max-deliver 3: an item whose workers die holding it is delivered 3
    times, then goes once more decided (failed, "gave up after 3
    deliveries: why", its input after the reason), which a worker passes
    on unrun; it is given up once however often it is sent again.       */
static void
test_max_deliver_gives_up (void **state)
{
    (void) state;
    fixture_t *fx = s_open (4);
    vent_window_set_max_deliver (fx->window, 3);
    uint64_t seqs[64];
    s_put (fx, 1, 7, S_T0); /* "0", delivery 1                         */
    vent_window_requeue_owner (fx->window, 7);
    assert_int_equal (s_resend (fx, 8, S_T0 + 1, 64, NULL, seqs), 1);
    assert_int_equal (s_only_record (fx).outcome, PP_OUTCOME_OK);
    vent_window_requeue_owner (fx->window, 8);
    assert_int_equal (s_resend (fx, 9, S_T0 + 2, 64, NULL, seqs), 1);
    pp_record_t rec = s_only_record (fx);
    assert_int_equal (rec.outcome, PP_OUTCOME_OK); /* delivery 3       */
    assert_int_equal (rec.attempt, 2);
    assert_int_equal (vent_window_given_up (fx->window), 0);
    vent_window_requeue_owner (fx->window, 9);
    assert_int_equal (s_resend (fx, 10, S_T0 + 3, 64, NULL, seqs), 1);
    rec = s_only_record (fx);
    const char *why =
        "gave up after 3 deliveries: worker 00000009 was lost holding it";
    assert_int_equal (rec.outcome, PP_OUTCOME_FAILED);
    assert_int_equal (rec.len, strlen (why));
    assert_memory_equal (rec.data, why, rec.len);
    assert_int_equal (rec.input_len, 1);
    assert_memory_equal (rec.input, "0", 1);
    assert_int_equal (vent_window_given_up (fx->window), 1);
    vent_window_requeue_owner (fx->window, 10); /* lost again: as it was */
    assert_int_equal (s_resend (fx, 11, S_T0 + 4, 64, NULL, seqs), 1);
    rec = s_only_record (fx);
    assert_int_equal (rec.outcome, PP_OUTCOME_FAILED);
    assert_memory_equal (rec.data, why, rec.len);
    assert_int_equal (vent_window_given_up (fx->window), 1);
    vent_window_ack (fx->window, 0, 1);
    assert_int_equal (vent_window_unacked (fx->window), 0);
    s_close (fx);
}

/*  Every kind of delivery counts: an ack timeout (naming the worker), a
    retried failure (naming the worker it failed on); a send that never
    left or was handed back unrun does not.                                */
static void
test_max_deliver_counts (void **state)
{
    (void) state;
    fixture_t *fx = s_open (4);
    vent_window_set_max_deliver (fx->window, 2);
    uint64_t seqs[64];
    s_put (fx, 1, 7, S_T0);
    int64_t later = S_T0 + S_TIMEOUT;
    vent_window_tick (fx->window, later); /* no ack in time: delivery 2 */
    assert_int_equal (s_resend (fx, 8, later, 64, NULL, seqs), 1);
    assert_int_equal (s_only_record (fx).outcome, PP_OUTCOME_OK);
    vent_window_requeue (fx->window, 0); /* handed back unrun          */
    vent_window_unsent (fx->window, 0);
    assert_int_equal (s_resend (fx, 9, later + 1, 64, NULL, seqs), 1);
    assert_int_equal (s_only_record (fx).outcome, PP_OUTCOME_OK);
    vent_window_retry (fx->window, 0, 1, 0x99); /* failed on 0x99       */
    assert_int_equal (s_resend (fx, 9, later + 2, 64, NULL, seqs), 1);
    pp_record_t rec = s_only_record (fx);
    const char *why = "gave up after 2 deliveries: it failed on worker "
                      "00000099";
    assert_int_equal (rec.outcome, PP_OUTCOME_FAILED);
    assert_int_equal (rec.len, strlen (why));
    assert_memory_equal (rec.data, why, rec.len);

    fixture_t *fx2 = s_open (4); /* a timeout, in push flow            */
    vent_window_set_max_deliver (fx2->window, 1);
    s_put (fx2, 1, 0, S_T0);
    vent_window_tick (fx2->window, later);
    assert_int_equal (s_resend (fx2, 0, later, 64, NULL, seqs), 1);
    rec = s_only_record (fx2);
    why = "gave up after 1 deliveries: no result within --ack-timeout "
          "(500 ms)";
    assert_int_equal (rec.len, strlen (why));
    assert_memory_equal (rec.data, why, rec.len);
    s_close (fx2);
    s_close (fx);
}

/*  A retried item waits for a worker it did not fail on while one is
    there, even one without credit yet (LATER): it does not go back to the
    worker that failed it; it remembers the last workers it failed on.   */
static void
test_retry_waits_for_other (void **state)
{
    (void) state;
    fixture_t *fx = s_open (4);
    uint64_t seqs[64];
    s_put (fx, 1, 7, S_T0);
    vent_window_retry (fx->window, 0, 1, 7);
    assert_int_equal (s_resend (fx, 7, S_T0 + 1, 64, s_other_later, seqs), 0);
    vent_window_tick (fx->window, S_T0 + VENT_WINDOW_SCAN_MS);
    assert_int_equal (
        s_resend (fx, 8, S_T0 + VENT_WINDOW_SCAN_MS, 64, s_other_later, seqs),
        1);
    vent_window_retry (fx->window, 0, 1, 8); /* 8 failed it too        */
    assert_int_equal (s_resend (fx, 7, S_T0 + 300, 64, s_other_yes, seqs), 0);
    assert_int_equal (s_resend (fx, 8, S_T0 + 300, 64, s_other_yes, seqs), 0);
    assert_int_equal (s_resend (fx, 9, S_T0 + 300, 64, s_other_yes, seqs), 1);
    vent_window_retry (fx->window, 0, 1, 9); /* all failed it: any      */
    assert_int_equal (s_resend (fx, 7, S_T0 + 301, 64, s_other_no, seqs), 1);
    s_close (fx);
}

/*  Items lost twice are suspects: a worker (push flow: all of them, owner
    0) holds at most 32 of them in flight; one lost three times or more
    only while it holds no other such -- so a poison item (lost with every
    delivery) never again takes one of those with it. Items lost once go
    as they come. In push flow the others wait until a suspect in flight
    settles.                                                               */
static void
test_suspects_in_flight (void **state)
{
    (void) state;
    fixture_t *fx = s_open (64);
    uint64_t seqs[64];
    s_put (fx, 40, 7, S_T0);
    vent_window_requeue_owner (fx->window, 7); /* lost once: together  */
    assert_int_equal (s_resend (fx, 8, S_T0 + 1, 64, NULL, seqs), 40);
    vent_window_requeue_owner (fx->window, 8); /* twice: 32 a worker   */
    assert_int_equal (s_resend (fx, 9, S_T0 + 2, 64, NULL, seqs), 32);
    assert_int_equal (s_resend (fx, 9, S_T0 + 2, 64, NULL, seqs), 0);
    assert_int_equal (s_resend (fx, 10, S_T0 + 2, 64, NULL, seqs), 8);
    assert_int_equal (seqs[0], 32);
    vent_window_requeue_owner (fx->window, 9); /* 0..31: a third time  */
    assert_int_equal (s_resend (fx, 11, S_T0 + 3, 64, NULL, seqs), 1);
    assert_int_equal (seqs[0], 0);
    assert_int_equal (s_resend (fx, 11, S_T0 + 3, 64, NULL, seqs), 0);
    assert_int_equal (s_resend (fx, 10, S_T0 + 3, 64, NULL, seqs), 1);
    assert_int_equal (seqs[0], 1);      /* 10 holds 8 lost twice: no matter */
    vent_window_ack (fx->window, 0, 1); /* 11's suspect settled        */
    assert_int_equal (s_resend (fx, 11, S_T0 + 4, 64, NULL, seqs), 1);
    assert_int_equal (seqs[0], 2);
    s_close (fx);

    fx = s_open (8); /* push flow: timeouts, owner 0 for everyone      */
    s_put (fx, 3, 0, S_T0);
    int64_t t = S_T0;
    for (int lost = 1; lost <= 2; lost++) { /* lost once, twice: all go */
        t += S_TIMEOUT;
        vent_window_tick (fx->window, t);
        assert_int_equal (s_resend (fx, 0, t, 64, NULL, seqs), 3);
    }
    t += S_TIMEOUT; /* a third time: one in flight                     */
    vent_window_tick (fx->window, t);
    assert_int_equal (s_resend (fx, 0, t, 64, NULL, seqs), 1);
    assert_int_equal (seqs[0], 0);
    t += S_TIMEOUT; /* it times out again: it goes again, alone         */
    vent_window_tick (fx->window, t);
    assert_int_equal (s_resend (fx, 0, t, 64, NULL, seqs), 1);
    assert_int_equal (seqs[0], 0);
    vent_window_ack (fx->window, 0, 1); /* settled: the next goes at once */
    assert_int_equal (s_resend (fx, 0, t + 1, 64, NULL, seqs), 1);
    assert_int_equal (seqs[0], 1);
    s_close (fx);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_put_numbers),
        cmocka_unit_test (test_ack_out_of_order),
        cmocka_unit_test (test_ack_out_of_range),
        cmocka_unit_test (test_resend_after_timeout),
        cmocka_unit_test (test_resend_in_batches),
        cmocka_unit_test (test_retry_avoids_owner),
        cmocka_unit_test (test_requeue_owner),
        cmocka_unit_test (test_unsent_is_no_redelivery),
        cmocka_unit_test (test_requeue_keeps_scan_due),
        cmocka_unit_test (test_reused_slot_is_clean),
        cmocka_unit_test (test_stall_moves_deadlines),
        cmocka_unit_test (test_recycling_bounded),
        cmocka_unit_test (test_pool_frees_big_blocks),
        cmocka_unit_test (test_window_bytes_bound),
        cmocka_unit_test (test_window_bytes_extra),
        cmocka_unit_test (test_max_deliver_gives_up),
        cmocka_unit_test (test_max_deliver_counts),
        cmocka_unit_test (test_retry_waits_for_other),
        cmocka_unit_test (test_suspects_in_flight),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
