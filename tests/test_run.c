/*  test_run: unit tests of vent_run, the state of the ventilator's run
    (ventilator/run.h): the start once enough workers said hello, drain
    and abort requests, the sink's COMPLETE, --drain-timeout, and how long
    the loop may wait. The announcements go to a PUB socket nobody reads.

    The feed reads --generate N; a test takes items from it and puts them
    in the window itself, as a dispatch would.                            */

#include "../ventilator/run.h"
#include "pp_error.h"
#include "pp_net.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/*  When the sockets were bound (ms): the real clock at s_open, since the
    run stamps some events with it (a constant, 1000 s, was ahead of the
    clock on a machine up for less, and test_welcome_storm failed).       */
static int64_t s_t0;
#define S_T0 s_t0

typedef struct {
    vent_options_t opt;
    zsock_t *control;
    vent_input_t *input;
    vent_pool_t *pool;
    vent_feed_t *feed;
    vent_window_t *window;
    vent_run_t *run;
    pp_batch_t batch;
} fixture_t;

/*  A run over the numbers 1..n, waiting for wait_workers.                */
static fixture_t *
s_open (uint64_t n, uint32_t wait_workers, int64_t drain_timeout_ms)
{
    fixture_t *fx = calloc (1, sizeof (fixture_t));
    assert_non_null (fx);
    fx->opt.window = 16;
    fx->opt.wait_workers = wait_workers;
    fx->opt.linger_ms = 1000;
    fx->opt.drain_timeout_ms = drain_timeout_ms;
    fx->opt.drain_timeout_given = drain_timeout_ms > 0;
    fx->opt.heartbeat_ms = 1000;
    s_t0 = pp_now_ms ();
    fx->control = zsock_new (ZMQ_PUB);
    assert_non_null (fx->control);
    fx->input = vent_input_new_generate (1, n);
    fx->pool = vent_pool_new (16);
    vent_feed_config_t config = {.ahead = 4};
    fx->feed = vent_feed_new (fx->input, fx->pool, &config);
    fx->window = vent_window_new (16, 10000, fx->pool);
    assert_non_null (fx->feed);
    assert_non_null (fx->window);
    fx->run =
        vent_run_new (&fx->opt, 7, fx->control, fx->window, fx->feed, S_T0);
    assert_non_null (fx->run);
    assert_int_equal (vent_run_state (fx->run), VENT_WAITING);
    return fx;
}

static void
s_close (fixture_t *fx)
{
    vent_run_destroy (&fx->run);
    assert_null (fx->run);
    vent_run_destroy (&fx->run); /* twice: NULL-safe                  */
    vent_window_destroy (&fx->window);
    vent_feed_destroy (&fx->feed);
    vent_input_destroy (&fx->input);
    vent_pool_destroy (&fx->pool);
    zsock_destroy (&fx->control);
    pp_batch_free (&fx->batch);
    free (fx);
}

/*  Moves every item the feed has into the window, as a dispatch would,
    and tells the run.                                                      */
static void
s_dispatch_all (fixture_t *fx)
{
    pp_item_t *item;
    while (vent_feed_next (fx->feed, S_T0, 0, &item) == 1)
        assert_int_equal (
            vent_window_put (fx->window, item, &fx->batch, 0, S_T0), 0);
    vent_run_dispatched (fx->run);
}

/*  The run starts once --wait-workers distinct workers said hello.       */
static void
test_waits_for_workers (void **state)
{
    (void) state;
    fixture_t *fx = s_open (5, 2, 0);
    vent_run_tick (fx->run, S_T0 + 1);
    assert_int_equal (vent_run_state (fx->run), VENT_WAITING);
    assert_false (vent_run_active (fx->run));
    vent_run_hello (fx->run, 11);
    vent_run_hello (fx->run, 11); /* the same worker again            */
    vent_run_tick (fx->run, S_T0 + 2);
    assert_int_equal (vent_run_state (fx->run), VENT_WAITING);
    vent_run_hello (fx->run, 12);
    vent_run_task_peers (fx->run, 2);
    vent_run_tick (fx->run, S_T0 + 3);
    assert_int_equal (vent_run_state (fx->run), VENT_RUNNING);
    assert_true (vent_run_active (fx->run));
    s_close (fx);
}

/*  A worker's HELLO as main.c passes it on: counted when it fits.       */
static bool
s_hello (fixture_t *fx, uint32_t id, uint32_t pid, const char *host)
{
    pp_hello_t hello = {.pid = pid, .threads = 2, .capacity = 4};
    snprintf (hello.host, sizeof (hello.host), "%s", host);
    uint8_t payload[96];
    size_t size = pp_wire_encode_hello (&hello, payload);
    bool fits = vent_run_hello_fits (fx->run, id, payload, size);
    if (fits)
        vent_run_hello (fx->run, id);
    return fits;
}

/*  Two workers drew one id: the second (another pid or host) is not
    counted until it says HELLO under another id (it was told to); the
    first saying HELLO again (a reconnect) is no clash. --wait-workers 2
    starts with the two.                                                   */
static void
test_id_clash (void **state)
{
    (void) state;
    fixture_t *fx = s_open (5, 2, 0);
    vent_run_task_peers (fx->run, 2);
    assert_true (s_hello (fx, 0xabcd, 100, "node1"));
    assert_false (s_hello (fx, 0xabcd, 101, "node1"));
    assert_false (s_hello (fx, 0xabcd, 100, "node2"));
    assert_true (s_hello (fx, 0xabcd, 100, "node1"));
    vent_run_tick (fx->run, S_T0 + 1);
    assert_int_equal (vent_run_state (fx->run), VENT_WAITING);
    /*  Credit flow asks on tasks too: the same answer.                    */
    pp_hello_t other = {.pid = 101, .host = "node1"};
    uint8_t payload[96];
    size_t size = pp_wire_encode_hello (&other, payload);
    assert_false (vent_run_hello_claim (fx->run, 0xabcd, payload, size));
    assert_true (vent_run_hello_claim (fx->run, 0x1234, payload, size));
    /*  A HELLO we cannot read is taken at its word, as before.            */
    assert_true (vent_run_hello_claim (fx->run, 0xabcd, payload, 3));
    assert_true (s_hello (fx, 0x1234, 101, "node1")); /* renamed         */
    vent_run_welcome (fx->run, 1, pp_now_ms ());      /* repeats RENAMEs */
    vent_run_tick (fx->run, S_T0 + 2);
    assert_int_equal (vent_run_state (fx->run), VENT_RUNNING);
    s_close (fx);
}

/*  Push flow: the hellos are in, but one worker's tasks connection is
    not: PUSH would deal the start of the run to the other alone. The run
    starts once both connections are up.                                  */
static void
test_push_waits_for_task_connections (void **state)
{
    (void) state;
    fixture_t *fx = s_open (5, 2, 0);
    vent_run_hello (fx->run, 11);
    vent_run_hello (fx->run, 12);
    vent_run_task_peers (fx->run, 1);
    vent_run_tick (fx->run, S_T0 + 1);
    assert_int_equal (vent_run_state (fx->run), VENT_WAITING);
    vent_run_tick (fx->run, S_T0 + 1000);
    assert_int_equal (vent_run_state (fx->run), VENT_WAITING);
    vent_run_task_peers (fx->run, 2);
    vent_run_tick (fx->run, S_T0 + 1001);
    assert_int_equal (vent_run_state (fx->run), VENT_RUNNING);
    s_close (fx);
}

/*  The count of connections can err low: the run starts anyway, once a
    worker's backed-off reconnect could have come and a second more.     */
static void
test_push_task_connections_grace (void **state)
{
    (void) state;
    fixture_t *fx = s_open (5, 2, 0);
    vent_run_hello (fx->run, 11);
    vent_run_hello (fx->run, 12);
    vent_run_task_peers (fx->run, 1);
    vent_run_tick (fx->run, S_T0 + 10);
    vent_run_tick (fx->run, S_T0 + 10 + PP_NET_RECONNECT_MAX_MS + 999);
    assert_int_equal (vent_run_state (fx->run), VENT_WAITING);
    vent_run_tick (fx->run, S_T0 + 10 + PP_NET_RECONNECT_MAX_MS + 1000);
    assert_int_equal (vent_run_state (fx->run), VENT_RUNNING);
    s_close (fx);
}

/*  Credit flow deals only to a worker that asked: no connection count.  */
static void
test_credit_needs_no_task_count (void **state)
{
    (void) state;
    fixture_t *fx = s_open (5, 2, 0);
    fx->opt.common.flow = PP_FLOW_CREDIT;
    vent_run_hello (fx->run, 11);
    vent_run_hello (fx->run, 12);
    vent_run_tick (fx->run, S_T0 + 1);
    assert_int_equal (vent_run_state (fx->run), VENT_RUNNING);
    s_close (fx);
}

/*  The input ends: the run drains; a COMPLETE for another total is
    stale; the right one ends it, and it exits after --linger.            */
static void
test_drain_then_done (void **state)
{
    (void) state;
    fixture_t *fx = s_open (5, 0, 0);
    vent_run_tick (fx->run, S_T0 + 1);
    assert_int_equal (vent_run_state (fx->run), VENT_RUNNING);
    pp_state_t outcome = {.total = 5, .ok = 5};
    vent_run_complete (fx->run, &outcome); /* early: not draining yet */
    assert_int_equal (vent_run_state (fx->run), VENT_RUNNING);
    s_dispatch_all (fx);
    assert_int_equal (vent_run_state (fx->run), VENT_DRAINING);
    assert_true (vent_run_active (fx->run));
    pp_state_t stale = {.total = 4, .ok = 4};
    vent_run_complete (fx->run, &stale);
    assert_int_equal (vent_run_state (fx->run), VENT_DRAINING);
    vent_run_complete (fx->run, &outcome);
    assert_int_equal (vent_run_state (fx->run), VENT_DONE);
    assert_int_equal (vent_run_outcome (fx->run)->ok, 5);
    int64_t now = pp_now_ms (); /* the end is stamped on the clock     */
    assert_false (vent_run_finished (fx->run, now));
    assert_true (vent_run_finished (fx->run, now + 1000 + 100));
    s_close (fx);
}

/*  A drain asked after items were sent stops the reading: what was read
    still goes out, then the run drains. An abort then ends it.           */
static void
test_drain_request (void **state)
{
    (void) state;
    fixture_t *fx = s_open (100, 0, 0);
    vent_run_tick (fx->run, S_T0 + 1);
    pp_item_t *item;
    assert_int_equal (vent_feed_next (fx->feed, S_T0, 0, &item), 1);
    assert_int_equal (vent_window_put (fx->window, item, &fx->batch, 0, S_T0),
                      0);
    vent_run_request (fx->run, PP_REQUEST_DRAIN, 1, "by a test");
    assert_int_equal (vent_feed_state (fx->feed), VENT_FEED_STOPPED);
    assert_int_equal (vent_run_state (fx->run), VENT_RUNNING);
    s_dispatch_all (fx);
    assert_int_equal (vent_run_state (fx->run), VENT_DRAINING);
    assert_int_equal (vent_window_next (fx->window), 1);
    vent_run_request (fx->run, PP_REQUEST_ABORT, 1, "by a test");
    assert_int_equal (vent_run_state (fx->run), VENT_ABORTED);
    vent_run_request (fx->run, PP_REQUEST_DRAIN, 1,
                      "by a test"); /* over: nothing  */
    assert_int_equal (vent_run_state (fx->run), VENT_ABORTED);
    int64_t now = pp_now_ms ();
    assert_false (vent_run_finished (fx->run, now));
    assert_true (vent_run_finished (fx->run, now + 600));
    s_close (fx);
}

/*  A drain before anything was sent has nothing to wait for: it ends the
    run at once, as aborted.                                               */
static void
test_drain_nothing_sent (void **state)
{
    (void) state;
    fixture_t *fx = s_open (100, 3, 0);
    vent_run_request (fx->run, PP_REQUEST_DRAIN, 0, "by a test");
    assert_int_equal (vent_run_state (fx->run), VENT_ABORTED);
    s_close (fx);
}

/*  --drain-timeout: a drain not complete in time becomes an abort; it
    counts from the first tick of the drain.                               */
static void
test_drain_timeout (void **state)
{
    (void) state;
    fixture_t *fx = s_open (3, 0, 2000);
    vent_run_tick (fx->run, S_T0 + 1);
    s_dispatch_all (fx);
    assert_int_equal (vent_run_state (fx->run), VENT_DRAINING);
    vent_run_tick (fx->run, S_T0 + 10);
    vent_run_tick (fx->run, S_T0 + 2009);
    assert_int_equal (vent_run_state (fx->run), VENT_DRAINING);
    vent_run_tick (fx->run, S_T0 + 2010);
    assert_int_equal (vent_run_state (fx->run), VENT_ABORTED);
    s_close (fx);
}

/*  The default --drain-timeout (not given) bounds an asked drain only:
    a long tail after the input's end is no reason to abort.              */
static void
test_drain_timeout_default (void **state)
{
    (void) state;
    fixture_t *fx = s_open (3, 0, 2000);
    fx->opt.drain_timeout_given = false;
    vent_run_tick (fx->run, S_T0 + 1);
    s_dispatch_all (fx);
    assert_int_equal (vent_run_state (fx->run), VENT_DRAINING);
    vent_run_tick (fx->run, S_T0 + 10);
    vent_run_tick (fx->run, S_T0 + 5000);
    assert_int_equal (vent_run_state (fx->run), VENT_DRAINING);
    vent_run_request (fx->run, PP_REQUEST_DRAIN, 1, "by a test");
    vent_run_tick (fx->run, S_T0 + 5001);
    vent_run_tick (fx->run, S_T0 + 7000);
    assert_int_equal (vent_run_state (fx->run), VENT_DRAINING);
    vent_run_tick (fx->run, S_T0 + 7001);
    assert_int_equal (vent_run_state (fx->run), VENT_ABORTED);
    s_close (fx);
}

/*  The loop waits at most 50 ms, from the start: newcomers are welcomed
    at once (vent_run_welcome), not by a faster cadence.                   */
static void
test_wait_ms (void **state)
{
    (void) state;
    fixture_t *fx = s_open (3, 0, 0);
    assert_int_equal (vent_run_wait_ms (fx->run, S_T0 + 1), 50);
    assert_int_equal (vent_run_wait_ms (fx->run, S_T0 + 1000), 50);
    s_close (fx);
}

/*  A storm of joins is welcomed by a STATE per gap, not one each: under
    20 subscribers each join is welcomed at once; 4981 more joining in the
    same millisecond wait for one STATE, 250 ms after the last (the loop
    is told to wake by then), and the repeats are then a second apart
    (5000 messages a second). The old code published once a join: W^2 / 2
    messages for W workers.                                               */
static void
test_welcome_storm (void **state)
{
    (void) state;
    fixture_t *fx = s_open (3, 0, 0);
    vent_run_tick (fx->run, S_T0 + 1);
    assert_int_equal (vent_run_state (fx->run), VENT_RUNNING);
    int64_t t = pp_now_ms () + 10000; /* after every real-clock STATE */
    uint64_t n0 = vent_run_published (fx->run);
    for (int i = 0; i < 19; i++)
        vent_run_welcome (fx->run, 1, t);
    assert_int_equal (vent_run_published (fx->run), n0 + 19);
    vent_run_welcome (fx->run, 1, t);
    for (int i = 0; i < 498; i++)
        vent_run_welcome (fx->run, 10, t);
    assert_int_equal (vent_run_published (fx->run), n0 + 19);
    assert_int_equal (vent_run_wait_ms (fx->run, t), 50);
    assert_int_equal (vent_run_wait_ms (fx->run, t + 220), 30);
    vent_run_tick (fx->run, t + 249);
    assert_int_equal (vent_run_published (fx->run), n0 + 19);
    vent_run_tick (fx->run, t + 250);
    assert_int_equal (vent_run_published (fx->run), n0 + 20);
    vent_run_tick (fx->run, t + 251);
    assert_int_equal (vent_run_published (fx->run), n0 + 20);
    assert_int_equal (vent_run_wait_ms (fx->run, t + 251), 50);
    vent_run_tick (fx->run, t + 250 + 999);
    assert_int_equal (vent_run_published (fx->run), n0 + 20);
    vent_run_tick (fx->run, t + 250 + 1000);
    assert_int_equal (vent_run_published (fx->run), n0 + 21);
    /*  However many joined (reconnections count too), a welcome waits a
        second at most, as the heartbeats do.                              */
    for (int i = 0; i < 100; i++)
        vent_run_welcome (fx->run, 1000, t + 1251);
    assert_int_equal (vent_run_published (fx->run), n0 + 21);
    assert_int_equal (vent_run_wait_ms (fx->run, t + 1250 + 980), 20);
    vent_run_tick (fx->run, t + 1250 + 1000);
    assert_int_equal (vent_run_published (fx->run), n0 + 22);
    s_close (fx);
}

/*  Runs fx to DONE: every item dispatched, the sink's COMPLETE.          */
static void
s_run_to_done (fixture_t *fx)
{
    vent_run_tick (fx->run, S_T0 + 1);
    s_dispatch_all (fx);
    pp_state_t outcome = {.total = 5, .ok = 5};
    vent_run_complete (fx->run, &outcome);
    assert_int_equal (vent_run_state (fx->run), VENT_DONE);
}

/*  DONE keeps its 100 ms however many listen (heartbeats are spaced to a
    second at 5000 subscribers): the end is short, and every worker must
    hear it to say BYE and leave.                                          */
static void
test_end_keeps_pace (void **state)
{
    (void) state;
    fixture_t *fx = s_open (5, 0, 0);
    vent_run_welcome (fx->run, 5000, pp_now_ms ());
    s_run_to_done (fx);
    int64_t now = pp_now_ms (); /* DONE was published by now            */
    uint64_t n = vent_run_published (fx->run);
    vent_run_tick (fx->run, now + 100);
    assert_int_equal (vent_run_published (fx->run), n + 1);
    s_close (fx);
}

/*  DONE ends the run once the sink and every worker that said hello said
    BYE, long before --linger; a sink's BYE before the end does not count
    (a failed sink may be restarted), a worker's does (it left).          */
static void
test_end_by_confirmation (void **state)
{
    (void) state;
    fixture_t *fx = s_open (5, 0, 0);
    vent_run_hello (fx->run, 11);
    vent_run_hello (fx->run, 12);
    vent_run_bye (fx->run, 0, NULL, 0);  /* the sink, too early  */
    vent_run_bye (fx->run, 12, NULL, 0); /* left during the run */
    s_run_to_done (fx);
    int64_t now = pp_now_ms ();
    assert_false (vent_run_finished (fx->run, now));
    vent_run_bye (fx->run, 11, NULL, 0);
    vent_run_bye (fx->run, 11, NULL, 0); /* twice: counted once          */
    assert_false (vent_run_finished (fx->run, now)); /* no sink yet    */
    vent_run_bye (fx->run, 0, NULL, 0);
    assert_true (vent_run_finished (fx->run, now));
    s_close (fx);
}

/*  A worker that said hello and then nothing holds the end until
    --linger; a BYE from a worker never heard of is one more that left.   */
static void
test_end_waits_for_hello (void **state)
{
    (void) state;
    fixture_t *fx = s_open (5, 0, 0);
    vent_run_hello (fx->run, 11);
    vent_run_bye (fx->run, 13, NULL, 0); /* its hello never came */
    s_run_to_done (fx);
    vent_run_bye (fx->run, 0, NULL, 0);
    int64_t now = pp_now_ms ();
    assert_false (vent_run_finished (fx->run, now));
    assert_true (vent_run_finished (fx->run, now + 1000 + 100));
    vent_run_bye (fx->run, 11, NULL, 0);
    assert_true (vent_run_finished (fx->run, now));
    s_close (fx);
}

/*  The sink names the workers it heard from: each is awaited, even one
    whose HELLO to the ventilator never came.                             */
static void
test_end_waits_for_sink_workers (void **state)
{
    (void) state;
    fixture_t *fx = s_open (5, 0, 0);
    vent_run_hello (fx->run, 11);
    s_run_to_done (fx);
    vent_run_bye (fx->run, 11, NULL, 0);
    uint8_t ids[8];
    pp_put_u32 (ids, 11);
    pp_put_u32 (ids + 4, 14); /* did work, its HELLO still on its way  */
    vent_run_bye (fx->run, 0, ids, 2);
    int64_t now = pp_now_ms ();
    assert_false (vent_run_finished (fx->run, now));
    vent_run_bye (fx->run, 14, NULL, 0);
    assert_true (vent_run_finished (fx->run, now));
    s_close (fx);
}

/*  A subscriber to the state that has not said hello (a worker that heard
    RUNNING just before the end, its HELLO on the way) holds the end until
    it says hello and BYE, or --linger; the sink's subscription and each
    worker's own are accounted for.                                       */
static void
test_end_waits_for_subscriber (void **state)
{
    (void) state;
    fixture_t *fx = s_open (5, 0, 0);
    vent_run_welcome (fx->run, 2, pp_now_ms ()); /* the sink, worker 11 */
    vent_run_hello (fx->run, 11);
    s_run_to_done (fx);
    vent_run_bye (fx->run, 11, NULL, 0);
    vent_run_welcome (fx->run, 1, pp_now_ms ()); /* one more, unheard */
    vent_run_bye (fx->run, 0, NULL, 0);
    int64_t now = pp_now_ms ();
    assert_false (vent_run_finished (fx->run, now));
    assert_true (vent_run_finished (fx->run, now + 1000 + 100));
    vent_run_hello (fx->run, 15);
    assert_false (vent_run_finished (fx->run, now));
    vent_run_bye (fx->run, 15, NULL, 0);
    assert_true (vent_run_finished (fx->run, now));
    s_close (fx);
}

/*  Subscribers that left before the end (a reconnecting worker's old
    connection, a watcher) are not waited for; more leaving than joined
    counts as none left. After DONE, those that leave are the workers
    that confirmed: one that subscribed and is not heard of yet is still
    waited for.                                                            */
static void
test_end_after_left (void **state)
{
    (void) state;
    fixture_t *fx = s_open (5, 0, 0);
    vent_run_tick (fx->run, S_T0 + 1);
    assert_int_equal (vent_run_state (fx->run), VENT_RUNNING);
    vent_run_left (fx->run, 3); /* none there yet                      */
    vent_run_welcome (fx->run, 7, pp_now_ms ()); /* sink, 11, 5 rejoins */
    vent_run_hello (fx->run, 11);
    vent_run_left (fx->run, 4);
    s_run_to_done (fx);
    vent_run_bye (fx->run, 11, NULL, 0);
    vent_run_bye (fx->run, 0, NULL, 0);
    int64_t now = pp_now_ms ();
    assert_false (vent_run_finished (fx->run, now)); /* one more there */
    vent_run_left (fx->run, 1); /* after DONE: not counted off         */
    assert_false (vent_run_finished (fx->run, now));
    assert_true (vent_run_finished (fx->run, now + 1000 + 100));
    s_close (fx);

    fx = s_open (5, 0, 0);
    vent_run_tick (fx->run, S_T0 + 1);
    vent_run_welcome (fx->run, 7, pp_now_ms ());
    vent_run_hello (fx->run, 11);
    vent_run_left (fx->run, 5);
    s_run_to_done (fx);
    vent_run_bye (fx->run, 11, NULL, 0);
    vent_run_bye (fx->run, 0, NULL, 0);
    now = pp_now_ms ();
    assert_true (vent_run_finished (fx->run, now));
    vent_run_left (fx->run, 2); /* the sink and worker 11 go           */
    vent_run_welcome (fx->run, 1, now); /* one not heard of           */
    assert_false (vent_run_finished (fx->run, now));
    s_close (fx);

    /*  A worker that left during the run (BYE, then its disconnection)
        does not hide a late subscriber.                                  */
    fx = s_open (5, 0, 0);
    vent_run_tick (fx->run, S_T0 + 1);
    vent_run_welcome (fx->run, 3, pp_now_ms ()); /* sink, 11, 12       */
    vent_run_hello (fx->run, 11);
    vent_run_hello (fx->run, 12);
    vent_run_bye (fx->run, 11, NULL, 0);
    vent_run_left (fx->run, 1);
    vent_run_welcome (fx->run, 1, pp_now_ms ()); /* 13, not heard of   */
    s_run_to_done (fx);
    vent_run_bye (fx->run, 12, NULL, 0);
    vent_run_bye (fx->run, 0, NULL, 0);
    now = pp_now_ms ();
    assert_false (vent_run_finished (fx->run, now));
    vent_run_hello (fx->run, 13);
    vent_run_bye (fx->run, 13, NULL, 0);
    assert_true (vent_run_finished (fx->run, now));
    s_close (fx);
}

/*  A worker that refused the run exits: its departure is counted off
    even when it comes after DONE (it held the end for --linger). Only as
    many departures as refusals are, after DONE.                          */
static void
test_end_after_refusal (void **state)
{
    (void) state;
    fixture_t *fx = s_open (5, 0, 0);
    vent_run_tick (fx->run, S_T0 + 1);
    vent_run_welcome (fx->run, 3, pp_now_ms ()); /* sink, 11, 12       */
    assert_true (s_hello (fx, 11, 100, "a"));
    pp_hello_t hello = {.pid = 101, .threads = 1, .flow = PP_FLOW_CREDIT};
    uint8_t payload[96];
    size_t size = pp_wire_encode_hello (&hello, payload);
    assert_false (vent_run_hello_fits (fx->run, 12, payload, size));
    assert_false (vent_run_hello_fits (fx->run, 12, payload, size));
    s_run_to_done (fx);
    vent_run_bye (fx->run, 11, NULL, 0);
    vent_run_bye (fx->run, 0, NULL, 0);
    int64_t now = pp_now_ms ();
    assert_false (vent_run_finished (fx->run, now)); /* 12 still there */
    vent_run_left (fx->run, 1); /* 12 went (or 11: then 12 is counted) */
    assert_true (vent_run_finished (fx->run, now));
    vent_run_welcome (fx->run, 1, now); /* one not heard of            */
    vent_run_left (fx->run, 2); /* 11 and the sink: not counted off    */
    assert_false (vent_run_finished (fx->run, now));
    s_close (fx);
}

/*  A run no worker said hello to (an empty input, say) announces DONE
    for --linger: a worker started beside it may not have connected yet. */
static void
test_end_without_workers (void **state)
{
    (void) state;
    fixture_t *fx = s_open (5, 0, 0); /* no worker said hello          */
    vent_run_welcome (fx->run, 1, pp_now_ms ()); /* the sink        */
    s_run_to_done (fx);
    vent_run_bye (fx->run, 0, NULL, 0);
    int64_t now = pp_now_ms ();
    assert_false (vent_run_finished (fx->run, now));
    assert_true (vent_run_finished (fx->run, now + 1000 + 100));
    s_close (fx);
}

/*  --linger 0: DONE is announced once, then the ventilator leaves.       */
static void
test_linger_zero (void **state)
{
    (void) state;
    fixture_t *fx = s_open (5, 0, 0);
    fx->opt.linger_ms = 0;
    vent_run_hello (fx->run, 11);
    s_run_to_done (fx);
    assert_true (vent_run_finished (fx->run, pp_now_ms ()));
    s_close (fx);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_waits_for_workers),
        cmocka_unit_test (test_id_clash),
        cmocka_unit_test (test_push_waits_for_task_connections),
        cmocka_unit_test (test_push_task_connections_grace),
        cmocka_unit_test (test_credit_needs_no_task_count),
        cmocka_unit_test (test_drain_then_done),
        cmocka_unit_test (test_drain_request),
        cmocka_unit_test (test_drain_nothing_sent),
        cmocka_unit_test (test_drain_timeout),
        cmocka_unit_test (test_drain_timeout_default),
        cmocka_unit_test (test_wait_ms),
        cmocka_unit_test (test_welcome_storm),
        cmocka_unit_test (test_end_after_left),
        cmocka_unit_test (test_end_after_refusal),
        cmocka_unit_test (test_end_keeps_pace),
        cmocka_unit_test (test_end_by_confirmation),
        cmocka_unit_test (test_end_waits_for_hello),
        cmocka_unit_test (test_end_waits_for_sink_workers),
        cmocka_unit_test (test_end_waits_for_subscriber),
        cmocka_unit_test (test_end_without_workers),
        cmocka_unit_test (test_linger_zero),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
