/*  test_chan: unit tests of pp_chan, the bounded channel (pp_chan.h).

    Threads synchronise with the channel itself or a pthread barrier. Where a
    test sleeps briefly it is only to make it likely that a thread is already
    blocked; every such test is correct whether or not it is. Assertions run
    on the main thread only: helper threads record what happened and the
    main thread checks it after joining them.                             */

#include "pp_chan.h"
#include "pp_error.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#define MS_NS 1000000LL

/*  Items freed through s_item_free: lets tests count the channel's frees. */
static atomic_int s_frees;

typedef struct {
    pp_chan_t *chan; /* the channel under test, free_fn s_item_free */
} fixture_t;

/*  One blocking call made by a helper thread after a barrier.             */
typedef struct {
    pp_chan_t *chan;
    pthread_barrier_t *barrier;
    void *item; /* sender: item to send; receiver: item received */
    int timeout_ms;
    int rc; /* what the call returned */
} op_t;

static int *
s_item_new (int value)
{
    int *item = malloc (sizeof (int));
    assert_non_null (item);
    *item = value;
    return item;
}

static void
s_item_free (void *item)
{
    free (item);
    atomic_fetch_add (&s_frees, 1);
}

static long long
s_now_ns (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*  Makes it likely, not certain, that a helper thread is blocked by now.  */
static void
s_settle (void)
{
    struct timespec ts = {0, 20 * MS_NS};
    nanosleep (&ts, NULL);
}

/*  Joins a helper thread. One still blocked after 10 s missed a wakeup:
    the channel cannot be torn down under it, so fail the whole binary
    loudly rather than hang.                                               */
static void
s_join (pthread_t thread)
{
    struct timespec deadline;
    clock_gettime (CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 10;
    if (pthread_timedjoin_np (thread, NULL, &deadline) != 0) {
        fprintf (stderr, "test_chan: thread still blocked after 10 s "
                         "(lost wakeup?)\n");
        abort ();
    }
}

static void *
s_sender (void *args)
{
    op_t *op = args;
    pthread_barrier_wait (op->barrier);
    op->rc = pp_chan_send (op->chan, op->item, op->timeout_ms);
    return NULL;
}

static void *
s_receiver (void *args)
{
    op_t *op = args;
    pthread_barrier_wait (op->barrier);
    op->rc = pp_chan_recv (op->chan, &op->item, op->timeout_ms);
    return NULL;
}

static int
s_setup (void **state, size_t capacity)
{
    fixture_t *fx = calloc (1, sizeof (fixture_t));
    if (!fx)
        return -1;
    fx->chan = pp_chan_new (capacity, s_item_free);
    if (!fx->chan) {
        free (fx);
        return -1;
    }
    atomic_store (&s_frees, 0);
    *state = fx;
    return 0;
}

static int
s_setup_cap1 (void **state)
{
    return s_setup (state, 1);
}

static int
s_setup_cap2 (void **state)
{
    return s_setup (state, 2);
}

static int
s_setup_cap4 (void **state)
{
    return s_setup (state, 4);
}

static int
s_teardown (void **state)
{
    fixture_t *fx = *state;
    pp_chan_destroy (&fx->chan);
    free (fx);
    return 0;
}

/*  Sends value as a fresh item; asserts the channel took it.              */
static void
s_send_int (pp_chan_t *chan, int value, int timeout_ms)
{
    int *item = s_item_new (value);
    assert_int_equal (pp_chan_send (chan, item, timeout_ms), 0);
}

/*  Receives one item, asserts its value and frees it.                     */
static void
s_recv_int (pp_chan_t *chan, int expected, int timeout_ms)
{
    void *item = NULL;
    assert_int_equal (pp_chan_recv (chan, &item, timeout_ms), 0);
    assert_non_null (item);
    assert_int_equal (*(int *) item, expected);
    free (item);
}

static void
test_new_capacity_zero_is_null (void **state)
{
    (void) state;
    assert_null (pp_chan_new (0, NULL));
    assert_null (pp_chan_new (0, s_item_free));
}

static void
test_capacity_and_size (void **state)
{
    fixture_t *fx = *state;
    assert_int_equal (pp_chan_capacity (fx->chan), 4);
    assert_int_equal (pp_chan_size (fx->chan), 0);
    s_send_int (fx->chan, 1, 0);
    s_send_int (fx->chan, 2, 0);
    assert_int_equal (pp_chan_size (fx->chan), 2);
    s_recv_int (fx->chan, 1, 0);
    assert_int_equal (pp_chan_size (fx->chan), 1);
    assert_int_equal (pp_chan_capacity (fx->chan), 4);
}

/*  FIFO order, also across many wraps of the ring.                        */
static void
test_fifo_order (void **state)
{
    fixture_t *fx = *state;
    for (int i = 0; i < 4; i++)
        s_send_int (fx->chan, i, 0);
    for (int i = 0; i < 4; i++)
        s_recv_int (fx->chan, i, 0);

    int next_in = 100, next_out = 100;
    for (int round = 0; round < 50; round++) {
        int burst = 1 + round % 4;
        for (int i = 0; i < burst; i++)
            s_send_int (fx->chan, next_in++, 0);
        for (int i = 0; i < burst; i++)
            s_recv_int (fx->chan, next_out++, 0);
    }
    assert_int_equal (next_in, next_out);
    assert_int_equal (pp_chan_size (fx->chan), 0);
    assert_int_equal (atomic_load (&s_frees), 0);
}

static void
test_send_full_timeout_zero_is_eagain (void **state)
{
    fixture_t *fx = *state;
    for (int i = 0; i < 4; i++)
        s_send_int (fx->chan, i, 0);
    assert_int_equal (pp_chan_size (fx->chan), 4);

    int *extra = s_item_new (99);
    assert_int_equal (pp_chan_send (fx->chan, extra, 0), PP_EAGAIN);
    assert_int_equal (pp_chan_size (fx->chan), 4);
    assert_int_equal (*extra, 99); /* the caller still owns it */
    free (extra);

    s_recv_int (fx->chan, 0, 0);
    s_send_int (fx->chan, 4, 0);
    for (int i = 1; i <= 4; i++)
        s_recv_int (fx->chan, i, 0);
    assert_int_equal (atomic_load (&s_frees), 0);
}

static void
test_send_full_timeout_is_etimedout (void **state)
{
    fixture_t *fx = *state;
    for (int i = 0; i < 4; i++)
        s_send_int (fx->chan, i, 0);

    int *extra = s_item_new (99);
    long long start = s_now_ns ();
    assert_int_equal (pp_chan_send (fx->chan, extra, 50), PP_ETIMEDOUT);
    long long elapsed = s_now_ns () - start;
    assert_true (elapsed >= 50 * MS_NS);
    assert_true (elapsed < 2000 * MS_NS);
    assert_int_equal (pp_chan_size (fx->chan), 4);
    free (extra);
    for (int i = 0; i < 4; i++)
        s_recv_int (fx->chan, i, 0);
}

static void
test_recv_empty_eagain_and_etimedout (void **state)
{
    fixture_t *fx = *state;
    void *item = &item; /* must be left untouched */
    assert_int_equal (pp_chan_recv (fx->chan, &item, 0), PP_EAGAIN);
    assert_ptr_equal (item, &item);

    long long start = s_now_ns ();
    assert_int_equal (pp_chan_recv (fx->chan, &item, 50), PP_ETIMEDOUT);
    long long elapsed = s_now_ns () - start;
    assert_true (elapsed >= 50 * MS_NS);
    assert_true (elapsed < 2000 * MS_NS);
    assert_ptr_equal (item, &item);
}

/*  A timeout over a second: the deadline carries whole seconds too.       */
static void
test_timeout_over_one_second (void **state)
{
    fixture_t *fx = *state;
    void *item = NULL;
    long long start = s_now_ns ();
    assert_int_equal (pp_chan_recv (fx->chan, &item, 1100), PP_ETIMEDOUT);
    long long elapsed = s_now_ns () - start;
    assert_true (elapsed >= 1100 * MS_NS);
    assert_true (elapsed < 3000 * MS_NS);
    assert_null (item);
}

/*  A sender blocked on a full channel gets in once a receiver takes.      */
static void
test_send_blocks_until_recv (void **state)
{
    fixture_t *fx = *state;
    s_send_int (fx->chan, 1, 0);

    pthread_barrier_t barrier;
    pthread_barrier_init (&barrier, NULL, 2);
    op_t op = {fx->chan, &barrier, s_item_new (2), -1, 1};
    pthread_t thread;
    assert_int_equal (pthread_create (&thread, NULL, s_sender, &op), 0);
    pthread_barrier_wait (&barrier);
    s_settle ();
    /* Still full: the sender cannot have got in, blocked yet or not. */
    assert_int_equal (pp_chan_size (fx->chan), 1);
    s_recv_int (fx->chan, 1, -1);
    s_join (thread);
    pthread_barrier_destroy (&barrier);

    assert_int_equal (op.rc, 0);
    assert_int_equal (pp_chan_size (fx->chan), 1);
    s_recv_int (fx->chan, 2, 0);
    assert_int_equal (atomic_load (&s_frees), 0);
}

/*  Same with a finite timeout: the timed wait also wakes on a free slot.  */
static void
test_send_timed_wait_resumes (void **state)
{
    fixture_t *fx = *state;
    s_send_int (fx->chan, 1, 0);

    pthread_barrier_t barrier;
    pthread_barrier_init (&barrier, NULL, 2);
    op_t op = {fx->chan, &barrier, s_item_new (2), 10000, 1};
    pthread_t thread;
    assert_int_equal (pthread_create (&thread, NULL, s_sender, &op), 0);
    pthread_barrier_wait (&barrier);
    s_settle ();
    long long start = s_now_ns ();
    s_recv_int (fx->chan, 1, -1);
    s_join (thread);
    pthread_barrier_destroy (&barrier);

    assert_int_equal (op.rc, 0);
    assert_true (s_now_ns () - start < 5000 * MS_NS);
    s_recv_int (fx->chan, 2, 0);
}

/*  A receiver blocked on an empty channel wakes with the item sent.       */
static void
test_recv_blocks_until_send (void **state)
{
    fixture_t *fx = *state;
    int timeouts[] = {-1, 10000};
    for (int t = 0; t < 2; t++) {
        pthread_barrier_t barrier;
        pthread_barrier_init (&barrier, NULL, 2);
        op_t op = {fx->chan, &barrier, NULL, timeouts[t], 1};
        pthread_t thread;
        assert_int_equal (pthread_create (&thread, NULL, s_receiver, &op), 0);
        pthread_barrier_wait (&barrier);
        s_settle ();
        s_send_int (fx->chan, 7 + t, 0);
        s_join (thread);
        pthread_barrier_destroy (&barrier);

        assert_int_equal (op.rc, 0);
        assert_non_null (op.item);
        assert_int_equal (*(int *) op.item, 7 + t);
        free (op.item);
        assert_int_equal (pp_chan_size (fx->chan), 0);
    }
}

static void
test_close_then_drain (void **state)
{
    fixture_t *fx = *state;
    for (int i = 0; i < 3; i++)
        s_send_int (fx->chan, i, 0);
    pp_chan_close (fx->chan);
    pp_chan_close (fx->chan); /* idempotent */

    int *late = s_item_new (42);
    assert_int_equal (pp_chan_send (fx->chan, late, 0), PP_ECLOSED);
    assert_int_equal (pp_chan_send (fx->chan, late, 50), PP_ECLOSED);
    assert_int_equal (pp_chan_send (fx->chan, late, -1), PP_ECLOSED);
    free (late);
    assert_int_equal (pp_chan_size (fx->chan), 3);

    for (int i = 0; i < 3; i++)
        s_recv_int (fx->chan, i, -1);
    void *item = NULL;
    assert_int_equal (pp_chan_recv (fx->chan, &item, 0), PP_ECLOSED);
    assert_int_equal (pp_chan_recv (fx->chan, &item, 50), PP_ECLOSED);
    assert_int_equal (pp_chan_recv (fx->chan, &item, -1), PP_ECLOSED);
    void *items[4];
    assert_int_equal (pp_chan_recv_many (fx->chan, items, 4, -1), PP_ECLOSED);
    assert_null (item);
    assert_int_equal (atomic_load (&s_frees), 0);
}

/*  Close while a receiver waits on an empty channel: it wakes, ECLOSED.   */
static void
test_close_wakes_blocked_receiver (void **state)
{
    fixture_t *fx = *state;
    enum { N = 3 };
    pthread_barrier_t barrier;
    pthread_barrier_init (&barrier, NULL, N + 1);
    op_t ops[N];
    pthread_t threads[N];
    for (int i = 0; i < N; i++) {
        ops[i] = (op_t){fx->chan, &barrier, NULL, i == 0 ? 10000 : -1, 1};
        assert_int_equal (
            pthread_create (&threads[i], NULL, s_receiver, &ops[i]), 0);
    }
    pthread_barrier_wait (&barrier);
    s_settle ();
    pp_chan_close (fx->chan);
    for (int i = 0; i < N; i++)
        s_join (threads[i]);
    pthread_barrier_destroy (&barrier);

    for (int i = 0; i < N; i++) {
        assert_int_equal (ops[i].rc, PP_ECLOSED);
        assert_null (ops[i].item);
    }
}

/*  Close while senders wait on a full channel: they wake with ECLOSED and
    keep their items; the buffered items are still delivered.              */
static void
test_close_wakes_blocked_sender (void **state)
{
    fixture_t *fx = *state;
    s_send_int (fx->chan, 1, 0);
    enum { N = 3 };
    pthread_barrier_t barrier;
    pthread_barrier_init (&barrier, NULL, N + 1);
    op_t ops[N];
    pthread_t threads[N];
    for (int i = 0; i < N; i++) {
        ops[i] = (op_t){fx->chan, &barrier, s_item_new (10 + i),
                        i == 0 ? 10000 : -1, 1};
        assert_int_equal (pthread_create (&threads[i], NULL, s_sender, &ops[i]),
                          0);
    }
    pthread_barrier_wait (&barrier);
    s_settle ();
    pp_chan_close (fx->chan);
    for (int i = 0; i < N; i++)
        s_join (threads[i]);
    pthread_barrier_destroy (&barrier);

    for (int i = 0; i < N; i++) {
        assert_int_equal (ops[i].rc, PP_ECLOSED);
        assert_int_equal (*(int *) ops[i].item, 10 + i);
        free (ops[i].item);
    }
    s_recv_int (fx->chan, 1, 0);
    void *item = NULL;
    assert_int_equal (pp_chan_recv (fx->chan, &item, -1), PP_ECLOSED);
    assert_int_equal (atomic_load (&s_frees), 0);
}

static void
test_abort_frees_buffered_items (void **state)
{
    fixture_t *fx = *state;
    for (int i = 0; i < 3; i++)
        s_send_int (fx->chan, i, 0);
    pp_chan_abort (fx->chan);
    assert_int_equal (atomic_load (&s_frees), 3);
    assert_int_equal (pp_chan_size (fx->chan), 0);

    pp_chan_abort (fx->chan); /* idempotent: nothing more to free */
    pp_chan_close (fx->chan); /* does nothing after abort */
    assert_int_equal (atomic_load (&s_frees), 3);

    int *late = s_item_new (42);
    assert_int_equal (pp_chan_send (fx->chan, late, 0), PP_EABORTED);
    assert_int_equal (pp_chan_send (fx->chan, late, -1), PP_EABORTED);
    free (late);
    void *item = NULL;
    assert_int_equal (pp_chan_recv (fx->chan, &item, 0), PP_EABORTED);
    assert_int_equal (pp_chan_recv (fx->chan, &item, -1), PP_EABORTED);
    void *items[2];
    assert_int_equal (pp_chan_recv_many (fx->chan, items, 2, 50), PP_EABORTED);
    assert_null (item);
    assert_int_equal (atomic_load (&s_frees), 3);
}

/*  Abort after close: buffered items are freed, not delivered.            */
static void
test_abort_after_close (void **state)
{
    fixture_t *fx = *state;
    s_send_int (fx->chan, 1, 0);
    s_send_int (fx->chan, 2, 0);
    pp_chan_close (fx->chan);
    pp_chan_abort (fx->chan);
    assert_int_equal (atomic_load (&s_frees), 2);
    void *item = NULL;
    assert_int_equal (pp_chan_recv (fx->chan, &item, 0), PP_EABORTED);
    int *late = s_item_new (3);
    assert_int_equal (pp_chan_send (fx->chan, late, 0), PP_EABORTED);
    free (late);
}

static void
test_abort_wakes_blocked_receivers (void **state)
{
    fixture_t *fx = *state;
    enum { N = 3 };
    pthread_barrier_t barrier;
    pthread_barrier_init (&barrier, NULL, N + 1);
    op_t ops[N];
    pthread_t threads[N];
    for (int i = 0; i < N; i++) {
        ops[i] = (op_t){fx->chan, &barrier, NULL, i == 0 ? 10000 : -1, 1};
        assert_int_equal (
            pthread_create (&threads[i], NULL, s_receiver, &ops[i]), 0);
    }
    pthread_barrier_wait (&barrier);
    s_settle ();
    pp_chan_abort (fx->chan);
    for (int i = 0; i < N; i++)
        s_join (threads[i]);
    pthread_barrier_destroy (&barrier);

    for (int i = 0; i < N; i++) {
        assert_int_equal (ops[i].rc, PP_EABORTED);
        assert_null (ops[i].item);
    }
    assert_int_equal (atomic_load (&s_frees), 0);
}

/*  Abort while senders wait on a full channel (capacity 2): they wake
    with EABORTED and keep their items; exactly the 2 buffered items are
    freed.                                                                 */
static void
test_abort_wakes_blocked_senders (void **state)
{
    fixture_t *fx = *state;
    s_send_int (fx->chan, 1, 0);
    s_send_int (fx->chan, 2, 0);
    enum { N = 3 };
    pthread_barrier_t barrier;
    pthread_barrier_init (&barrier, NULL, N + 1);
    op_t ops[N];
    pthread_t threads[N];
    for (int i = 0; i < N; i++) {
        ops[i] = (op_t){fx->chan, &barrier, s_item_new (10 + i),
                        i == 0 ? 10000 : -1, 1};
        assert_int_equal (pthread_create (&threads[i], NULL, s_sender, &ops[i]),
                          0);
    }
    pthread_barrier_wait (&barrier);
    s_settle ();
    pp_chan_abort (fx->chan);
    for (int i = 0; i < N; i++)
        s_join (threads[i]);
    pthread_barrier_destroy (&barrier);

    assert_int_equal (atomic_load (&s_frees), 2);
    for (int i = 0; i < N; i++) {
        assert_int_equal (ops[i].rc, PP_EABORTED);
        assert_int_equal (*(int *) ops[i].item, 10 + i);
        free (ops[i].item);
    }
    assert_int_equal (pp_chan_size (fx->chan), 0);
}

static void
test_destroy_frees_remaining (void **state)
{
    fixture_t *fx = *state;
    for (int i = 0; i < 4; i++)
        s_send_int (fx->chan, i, 0);
    s_recv_int (fx->chan, 0, 0);
    s_send_int (fx->chan, 4, 0); /* the ring has wrapped */
    pp_chan_destroy (&fx->chan);
    assert_null (fx->chan);
    assert_int_equal (atomic_load (&s_frees), 4);

    pp_chan_destroy (&fx->chan); /* safe twice */
    pp_chan_destroy (NULL);
    assert_null (fx->chan);
    assert_int_equal (atomic_load (&s_frees), 4);
}

/*  Without a free function destroy and abort leave items alone.           */
static void
test_null_free_fn (void **state)
{
    (void) state;
    int values[3] = {1, 2, 3};
    pp_chan_t *chan = pp_chan_new (3, NULL);
    assert_non_null (chan);
    for (int i = 0; i < 3; i++)
        assert_int_equal (pp_chan_send (chan, &values[i], 0), 0);
    pp_chan_abort (chan);
    assert_int_equal (pp_chan_size (chan), 0);
    pp_chan_destroy (&chan);
    assert_null (chan);

    chan = pp_chan_new (3, NULL);
    assert_non_null (chan);
    assert_int_equal (pp_chan_send (chan, &values[0], 0), 0);
    assert_int_equal (pp_chan_send (chan, NULL, 0), 0); /* NULL is an item */
    void *item = &item;
    assert_int_equal (pp_chan_recv (chan, &item, 0), 0);
    assert_ptr_equal (item, &values[0]);
    assert_int_equal (pp_chan_recv (chan, &item, 0), 0);
    assert_null (item);
    pp_chan_destroy (&chan);
}

static void
test_recv_many (void **state)
{
    fixture_t *fx = *state;
    void *items[8] = {NULL};
    assert_int_equal (pp_chan_recv_many (fx->chan, items, 8, 0), PP_EAGAIN);

    for (int i = 0; i < 4; i++)
        s_send_int (fx->chan, i, 0);
    assert_int_equal (pp_chan_recv_many (fx->chan, items, 3, 0), 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal (*(int *) items[i], i);
        free (items[i]);
    }
    assert_int_equal (pp_chan_size (fx->chan), 1);

    s_send_int (fx->chan, 4, 0);
    s_send_int (fx->chan, 5, 0); /* wraps the ring */
    memset (items, 0, sizeof (items));
    assert_int_equal (pp_chan_recv_many (fx->chan, items, 8, -1), 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal (*(int *) items[i], 3 + i);
        free (items[i]);
    }
    assert_null (items[3]); /* nothing written past what was taken */
    assert_int_equal (pp_chan_size (fx->chan), 0);
    assert_int_equal (pp_chan_recv_many (fx->chan, items, 8, 50), PP_ETIMEDOUT);
    assert_int_equal (atomic_load (&s_frees), 0);
}

/*  recv_many frees several slots at once: every blocked sender gets in.   */
static void
test_recv_many_wakes_senders (void **state)
{
    fixture_t *fx = *state;
    for (int i = 0; i < 4; i++)
        s_send_int (fx->chan, i, 0);
    enum { N = 3 };
    pthread_barrier_t barrier;
    pthread_barrier_init (&barrier, NULL, N + 1);
    op_t ops[N];
    pthread_t threads[N];
    for (int i = 0; i < N; i++) {
        ops[i] = (op_t){fx->chan, &barrier, s_item_new (10 + i), -1, 1};
        assert_int_equal (pthread_create (&threads[i], NULL, s_sender, &ops[i]),
                          0);
    }
    pthread_barrier_wait (&barrier);
    s_settle ();
    void *items[4];
    assert_int_equal (pp_chan_recv_many (fx->chan, items, 4, 0), 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal (*(int *) items[i], i);
        free (items[i]);
    }
    for (int i = 0; i < N; i++)
        s_join (threads[i]);
    pthread_barrier_destroy (&barrier);

    int seen = 0;
    for (int i = 0; i < N; i++)
        assert_int_equal (ops[i].rc, 0);
    assert_int_equal (pp_chan_size (fx->chan), N);
    for (int i = 0; i < N; i++) {
        void *item = NULL;
        assert_int_equal (pp_chan_recv (fx->chan, &item, 0), 0);
        int value = *(int *) item;
        assert_in_range (value, 10, 10 + N - 1);
        seen |= 1 << (value - 10);
        free (item);
    }
    assert_int_equal (seen, (1 << N) - 1);
}

static void *
s_aborter (void *args)
{
    op_t *op = args;
    pthread_barrier_wait (op->barrier);
    pp_chan_abort (op->chan);
    return NULL;
}

static void
test_wait_aborted (void **state)
{
    fixture_t *fx = *state;
    assert_int_equal (pp_chan_wait_aborted (fx->chan, 0), PP_ETIMEDOUT);
    long long start = s_now_ns ();
    assert_int_equal (pp_chan_wait_aborted (fx->chan, 50), PP_ETIMEDOUT);
    long long elapsed = s_now_ns () - start;
    assert_true (elapsed >= 50 * MS_NS);
    assert_true (elapsed < 2000 * MS_NS);

    s_send_int (fx->chan, 1, 0);
    pthread_barrier_t barrier;
    pthread_barrier_init (&barrier, NULL, 2);
    op_t op = {fx->chan, &barrier, NULL, 0, 0};
    pthread_t thread;
    assert_int_equal (pthread_create (&thread, NULL, s_aborter, &op), 0);
    pthread_barrier_wait (&barrier);
    start = s_now_ns ();
    int rc = pp_chan_wait_aborted (fx->chan, 10000);
    elapsed = s_now_ns () - start;
    s_join (thread);
    pthread_barrier_destroy (&barrier);
    assert_int_equal (rc, PP_EABORTED);
    assert_true (elapsed < 5000 * MS_NS);
    assert_int_equal (atomic_load (&s_frees), 1);

    /* Was aborted: every later wait says so at once. */
    assert_int_equal (pp_chan_wait_aborted (fx->chan, 0), PP_EABORTED);
    assert_int_equal (pp_chan_wait_aborted (fx->chan, 50), PP_EABORTED);
    assert_int_equal (pp_chan_wait_aborted (fx->chan, -1), PP_EABORTED);
}

static void
test_wait_aborted_forever (void **state)
{
    fixture_t *fx = *state;
    pthread_barrier_t barrier;
    pthread_barrier_init (&barrier, NULL, 2);
    op_t op = {fx->chan, &barrier, NULL, 0, 0};
    pthread_t thread;
    assert_int_equal (pthread_create (&thread, NULL, s_aborter, &op), 0);
    pthread_barrier_wait (&barrier);
    int rc = pp_chan_wait_aborted (fx->chan, -1);
    s_join (thread);
    pthread_barrier_destroy (&barrier);
    assert_int_equal (rc, PP_EABORTED);
}

/*  Close is not abort: it does not end wait_aborted.                      */
static void
test_wait_aborted_ignores_close (void **state)
{
    fixture_t *fx = *state;
    pp_chan_close (fx->chan);
    assert_int_equal (pp_chan_wait_aborted (fx->chan, 0), PP_ETIMEDOUT);
    assert_int_equal (pp_chan_wait_aborted (fx->chan, 20), PP_ETIMEDOUT);
}

/*  Stress: 4 producers x 4 consumers through a 64-slot channel. Every
    item arrives exactly once, and each consumer sees each producer's
    items in the order they were sent. Two consumers use recv, two
    recv_many.                                                             */

enum {
    STRESS_PRODUCERS = 4,
    STRESS_CONSUMERS = 4,
    STRESS_PER_PRODUCER = 50000,
    STRESS_ITEMS = STRESS_PRODUCERS * STRESS_PER_PRODUCER,
    STRESS_CAPACITY = 64
};

typedef struct {
    pp_chan_t *chan;
    int producer;
    int failures; /* sends that did not return 0 */
} producer_t;

typedef struct {
    pp_chan_t *chan;
    int batch;                   /* 1: recv, more: recv_many */
    uint8_t *seen;               /* STRESS_ITEMS counters */
    long last[STRESS_PRODUCERS]; /* last index seen per producer */
    long received;
    long out_of_order;
    long bad_items; /* values no producer sent */
    int end_rc;     /* the error that ended the loop */
} consumer_t;

static void *
s_producer (void *args)
{
    producer_t *self = args;
    for (int i = 0; i < STRESS_PER_PRODUCER; i++) {
        uintptr_t value =
            (uintptr_t) self->producer * STRESS_PER_PRODUCER + i + 1;
        if (pp_chan_send (self->chan, (void *) value, -1) != 0)
            self->failures++;
    }
    return NULL;
}

static void
s_consume (consumer_t *self, void *item)
{
    uintptr_t value = (uintptr_t) item;
    if (value < 1 || value > STRESS_ITEMS) {
        self->bad_items++;
        return;
    }
    long id = (long) value - 1;
    int producer = (int) (id / STRESS_PER_PRODUCER);
    long index = id % STRESS_PER_PRODUCER;
    if (index <= self->last[producer])
        self->out_of_order++;
    self->last[producer] = index;
    if (self->seen[id] < 255)
        self->seen[id]++;
    self->received++;
}

static void *
s_consumer (void *args)
{
    consumer_t *self = args;
    void *items[16];
    while (true) {
        int rc = pp_chan_recv_many (self->chan, items, self->batch, -1);
        if (rc < 0) {
            self->end_rc = rc;
            break;
        }
        for (int i = 0; i < rc; i++)
            s_consume (self, items[i]);
    }
    return NULL;
}

typedef struct {
    pp_chan_t *chan;
    producer_t producers[STRESS_PRODUCERS];
    consumer_t consumers[STRESS_CONSUMERS];
} stress_t;

static int
s_teardown_stress (void **state)
{
    stress_t *self = *state;
    for (int c = 0; c < STRESS_CONSUMERS; c++)
        free (self->consumers[c].seen);
    pp_chan_destroy (&self->chan);
    free (self);
    return 0;
}

static int
s_setup_stress (void **state)
{
    stress_t *self = calloc (1, sizeof (stress_t));
    if (!self)
        return -1;
    *state = self;
    self->chan = pp_chan_new (STRESS_CAPACITY, NULL);
    if (!self->chan)
        goto err;
    for (int p = 0; p < STRESS_PRODUCERS; p++)
        self->producers[p] = (producer_t){self->chan, p, 0};
    for (int c = 0; c < STRESS_CONSUMERS; c++) {
        consumer_t *consumer = &self->consumers[c];
        consumer->chan = self->chan;
        consumer->batch = c % 2 ? 16 : 1;
        consumer->seen = calloc (STRESS_ITEMS, 1);
        if (!consumer->seen)
            goto err;
        for (int p = 0; p < STRESS_PRODUCERS; p++)
            consumer->last[p] = -1;
    }
    return 0;
err:
    s_teardown_stress (state);
    return -1;
}

static void
test_stress_mpmc (void **state)
{
    stress_t *self = *state;
    pthread_t producer_threads[STRESS_PRODUCERS];
    pthread_t consumer_threads[STRESS_CONSUMERS];
    for (int c = 0; c < STRESS_CONSUMERS; c++)
        assert_int_equal (pthread_create (&consumer_threads[c], NULL,
                                          s_consumer, &self->consumers[c]),
                          0);
    for (int p = 0; p < STRESS_PRODUCERS; p++)
        assert_int_equal (pthread_create (&producer_threads[p], NULL,
                                          s_producer, &self->producers[p]),
                          0);
    for (int p = 0; p < STRESS_PRODUCERS; p++)
        s_join (producer_threads[p]);
    pp_chan_close (self->chan);
    for (int c = 0; c < STRESS_CONSUMERS; c++)
        s_join (consumer_threads[c]);

    for (int p = 0; p < STRESS_PRODUCERS; p++)
        assert_int_equal (self->producers[p].failures, 0);
    long received = 0;
    for (int c = 0; c < STRESS_CONSUMERS; c++) {
        assert_int_equal (self->consumers[c].end_rc, PP_ECLOSED);
        assert_int_equal (self->consumers[c].out_of_order, 0);
        assert_int_equal (self->consumers[c].bad_items, 0);
        received += self->consumers[c].received;
    }
    assert_int_equal (received, STRESS_ITEMS);
    long not_once = 0;
    for (long id = 0; id < STRESS_ITEMS; id++) {
        int times = 0;
        for (int c = 0; c < STRESS_CONSUMERS; c++)
            times += self->consumers[c].seen[id];
        if (times != 1)
            not_once++;
    }
    assert_int_equal (not_once, 0);
    assert_int_equal (pp_chan_size (self->chan), 0);
}

/*  --- weighted capacity (pp_chan_set_weight) -------------------------- */

/*  An item's weight is its value (0 counts as 1).                         */
static size_t
s_int_weight (const void *item)
{
    return (size_t) * (const int *) item;
}

static void
test_weight_bounds_the_sum (void **state)
{
    (void) state;
    pp_chan_t *chan = pp_chan_new (10, s_item_free);
    assert_int_equal (pp_chan_set_weight (chan, s_int_weight), 0);
    assert_int_equal (pp_chan_send (chan, s_item_new (4), 0), 0);
    assert_int_equal (pp_chan_send (chan, s_item_new (4), 0), 0);
    int *three = s_item_new (3);
    assert_int_equal (pp_chan_send (chan, three, 0), PP_EAGAIN); /* 11 */
    int *two = s_item_new (2);
    assert_int_equal (pp_chan_send (chan, two, 0), 0); /* exactly 10 */
    void *out = NULL;
    assert_int_equal (pp_chan_recv (chan, &out, 0), 0);
    assert_int_equal (*(int *) out, 4);
    free (out);
    assert_int_equal (pp_chan_send (chan, three, 0), 0); /* 4 + 2 + 3 */
    int *zero = s_item_new (0);
    assert_int_equal (pp_chan_send (chan, zero, 0), 0); /* counts 1: 10 */
    int *one = s_item_new (1);
    assert_int_equal (pp_chan_send (chan, one, 0), PP_EAGAIN);
    free (one);
    void *many[8];
    assert_int_equal (pp_chan_recv_many (chan, many, 8, 0), 4);
    for (int i = 0; i < 4; i++)
        free (many[i]);
    pp_chan_destroy (&chan);
}

static void
test_weight_heavy_item_enters_empty (void **state)
{
    (void) state;
    pp_chan_t *chan = pp_chan_new (10, s_item_free);
    assert_int_equal (pp_chan_set_weight (chan, s_int_weight), 0);
    assert_int_equal (pp_chan_send (chan, s_item_new (25), 0), 0);
    int *one = s_item_new (1);
    assert_int_equal (pp_chan_send (chan, one, 0), PP_EAGAIN);
    void *out = NULL;
    assert_int_equal (pp_chan_recv (chan, &out, 0), 0);
    free (out);
    assert_int_equal (pp_chan_send (chan, one, 0), 0);
    pp_chan_destroy (&chan); /* frees the one left                    */
}

static void
test_weight_send_many_stops_at_the_bound (void **state)
{
    (void) state;
    pp_chan_t *chan = pp_chan_new (10, s_item_free);
    assert_int_equal (pp_chan_set_weight (chan, s_int_weight), 0);
    void *items[4] = {s_item_new (3), s_item_new (3), s_item_new (3),
                      s_item_new (3)};
    assert_int_equal (pp_chan_send_many (chan, items, 4, 0), 3);
    free (items[3]);
    pp_chan_destroy (&chan);
}

/*  A sender blocked on weight wakes when enough weight is taken.         */
static void
test_weight_blocked_sender_wakes (void **state)
{
    (void) state;
    pp_chan_t *chan = pp_chan_new (10, s_item_free);
    assert_int_equal (pp_chan_set_weight (chan, s_int_weight), 0);
    assert_int_equal (pp_chan_send (chan, s_item_new (8), 0), 0);
    pthread_barrier_t barrier;
    pthread_barrier_init (&barrier, NULL, 2);
    op_t op = {chan, &barrier, s_item_new (5), 5000, -100};
    pthread_t thread;
    assert_int_equal (pthread_create (&thread, NULL, s_sender, &op), 0);
    pthread_barrier_wait (&barrier);
    s_settle ();
    void *out = NULL;
    assert_int_equal (pp_chan_recv (chan, &out, 0), 0); /* frees 8     */
    free (out);
    s_join (thread);
    assert_int_equal (op.rc, 0);
    assert_int_equal (pp_chan_recv (chan, &out, 0), 0);
    assert_int_equal (*(int *) out, 5);
    free (out);
    pthread_barrier_destroy (&barrier);
    pp_chan_destroy (&chan);
}

/*  Two senders wait: the heavy one still does not fit once 5 is taken, the
    light one does. Both must be woken to look (a single signal may wake
    only the heavy one, and the light one sleeps to its timeout).         */
static void
test_weight_wakes_the_sender_that_fits (void **state)
{
    (void) state;
    pp_chan_t *chan = pp_chan_new (10, s_item_free);
    assert_int_equal (pp_chan_set_weight (chan, s_int_weight), 0);
    assert_int_equal (pp_chan_send (chan, s_item_new (5), 0), 0);
    assert_int_equal (pp_chan_send (chan, s_item_new (5), 0), 0);
    /*  The heavy one waits first: a single signal goes to the oldest.   */
    pthread_barrier_t barrier;
    pthread_barrier_init (&barrier, NULL, 2);
    op_t heavy = {chan, &barrier, s_item_new (8), 1500, -100};
    op_t light = {chan, &barrier, s_item_new (3), 5000, -100};
    pthread_t threads[2];
    assert_int_equal (pthread_create (&threads[0], NULL, s_sender, &heavy), 0);
    pthread_barrier_wait (&barrier);
    s_settle ();
    assert_int_equal (pthread_create (&threads[1], NULL, s_sender, &light), 0);
    pthread_barrier_wait (&barrier);
    s_settle ();
    void *out = NULL;
    long long start = s_now_ns ();
    assert_int_equal (pp_chan_recv (chan, &out, 0), 0); /* 5 free       */
    free (out);
    s_join (threads[1]);
    assert_int_equal (light.rc, 0);
    assert_true (s_now_ns () - start < 1000 * MS_NS); /* not its timeout */
    s_join (threads[0]);
    assert_int_equal (heavy.rc, PP_ETIMEDOUT); /* 5 + 3 + 8 > 10      */
    free (heavy.item);
    pthread_barrier_destroy (&barrier);
    pp_chan_destroy (&chan);
}

static void
test_weight_and_spill_exclude (void **state)
{
    (void) state;
    static const pp_chan_codec_t codec = {NULL, NULL, NULL};
    pp_chan_t *chan = pp_chan_new (4, s_item_free);
    assert_int_equal (pp_chan_set_weight (chan, s_int_weight), 0);
    assert_int_equal (pp_chan_set_spill (chan, "/tmp", &codec), PP_EINVAL);
    pp_chan_destroy (&chan);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_new_capacity_zero_is_null),
        cmocka_unit_test (test_weight_bounds_the_sum),
        cmocka_unit_test (test_weight_heavy_item_enters_empty),
        cmocka_unit_test (test_weight_send_many_stops_at_the_bound),
        cmocka_unit_test (test_weight_blocked_sender_wakes),
        cmocka_unit_test (test_weight_wakes_the_sender_that_fits),
        cmocka_unit_test (test_weight_and_spill_exclude),
        cmocka_unit_test_setup_teardown (test_capacity_and_size, s_setup_cap4,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_fifo_order, s_setup_cap4,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_send_full_timeout_zero_is_eagain,
                                         s_setup_cap4, s_teardown),
        cmocka_unit_test_setup_teardown (test_send_full_timeout_is_etimedout,
                                         s_setup_cap4, s_teardown),
        cmocka_unit_test_setup_teardown (test_recv_empty_eagain_and_etimedout,
                                         s_setup_cap4, s_teardown),
        cmocka_unit_test_setup_teardown (test_timeout_over_one_second,
                                         s_setup_cap4, s_teardown),
        cmocka_unit_test_setup_teardown (test_send_blocks_until_recv,
                                         s_setup_cap1, s_teardown),
        cmocka_unit_test_setup_teardown (test_send_timed_wait_resumes,
                                         s_setup_cap1, s_teardown),
        cmocka_unit_test_setup_teardown (test_recv_blocks_until_send,
                                         s_setup_cap1, s_teardown),
        cmocka_unit_test_setup_teardown (test_close_then_drain, s_setup_cap4,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_close_wakes_blocked_receiver,
                                         s_setup_cap1, s_teardown),
        cmocka_unit_test_setup_teardown (test_close_wakes_blocked_sender,
                                         s_setup_cap1, s_teardown),
        cmocka_unit_test_setup_teardown (test_abort_frees_buffered_items,
                                         s_setup_cap4, s_teardown),
        cmocka_unit_test_setup_teardown (test_abort_after_close, s_setup_cap4,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_abort_wakes_blocked_receivers,
                                         s_setup_cap2, s_teardown),
        cmocka_unit_test_setup_teardown (test_abort_wakes_blocked_senders,
                                         s_setup_cap2, s_teardown),
        cmocka_unit_test_setup_teardown (test_destroy_frees_remaining,
                                         s_setup_cap4, s_teardown),
        cmocka_unit_test (test_null_free_fn),
        cmocka_unit_test_setup_teardown (test_recv_many, s_setup_cap4,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_recv_many_wakes_senders,
                                         s_setup_cap4, s_teardown),
        cmocka_unit_test_setup_teardown (test_wait_aborted, s_setup_cap4,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_wait_aborted_forever,
                                         s_setup_cap4, s_teardown),
        cmocka_unit_test_setup_teardown (test_wait_aborted_ignores_close,
                                         s_setup_cap4, s_teardown),
        cmocka_unit_test_setup_teardown (test_stress_mpmc, s_setup_stress,
                                         s_teardown_stress),
    };
    return cmocka_run_group_tests_name ("pp_chan", tests, NULL, NULL);
}
