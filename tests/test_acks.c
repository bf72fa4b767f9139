/*  test_acks: unit tests of sink_acks (sink/acks.h): ranges merged as
    seqs come, the three flush triggers (ranges, a quarter window, age on
    an injected clock), the checkpoint before every ack, the resync that
    acks again everything the socket did not take, and the halt.

    The socket is a fake: it takes every message, or none while full, and
    counts per seq what went.                                              */

#include "../sink/acks.h"
#include "pp_error.h"
#include "pp_wire.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define S_SEQS 4096

typedef struct {
    bool full;            /* the socket takes nothing              */
    bool fail_checkpoint; /* the checkpoint fails                  */
    int checkpoints;      /* checkpoints made                      */
    uint64_t vouched;     /* seqs the checkpoints covered          */
    int messages;         /* messages that went                    */
    uint32_t last_count;  /* ranges in the last one                */
    uint64_t last_first[SINK_ACKS_RANGES], last_n[SINK_ACKS_RANGES];
    uint16_t last_flags;     /* its flags                             */
    uint32_t last_worker;    /* its worker id                         */
    uint8_t acked[S_SEQS];   /* per seq: acks that went               */
    uint8_t retried[S_SEQS]; /* per seq: retries that went           */
    uint8_t written[S_SEQS]; /* per seq: in the output               */
    uint8_t safe[S_SEQS];    /* per seq: covered by a checkpoint     */
} s_io_t;

static int
s_checkpoint (void *arg, const uint64_t *first, const uint64_t *n,
              uint32_t count)
{
    s_io_t *io = arg;
    if (io->fail_checkpoint)
        return PP_EIO;
    io->checkpoints++;
    for (uint32_t i = 0; i < count; i++) {
        io->vouched += n[i];
        for (uint64_t seq = first[i]; seq < first[i] + n[i]; seq++)
            io->safe[seq] = 1;
    }
    /*  The checkpoint vouches for the output as flushed now: every seq
        written so far must be among the seqs it (or one before) names,
        or a --resume would keep its bytes and write it again.             */
    for (uint64_t seq = 0; seq < S_SEQS; seq++)
        if (io->written[seq] && !io->safe[seq])
            fail_msg ("seq %llu written but not in the checkpoint",
                      (unsigned long long) seq);
    return 0;
}

static int
s_send (void *arg, uint16_t flags, uint32_t worker_id, const uint64_t *first,
        const uint64_t *n, uint32_t count)
{
    s_io_t *io = arg;
    if (io->full)
        return PP_EAGAIN;
    io->messages++;
    io->last_flags = flags;
    io->last_worker = worker_id;
    if (flags != PP_ACK_RETRY)
        assert_int_equal (worker_id, 0);
    io->last_count = count;
    assert_true (count > 0 && count <= SINK_ACKS_RANGES);
    for (uint32_t i = 0; i < count; i++) {
        io->last_first[i] = first[i];
        io->last_n[i] = n[i];
        for (uint64_t seq = first[i]; seq < first[i] + n[i]; seq++) {
            assert_true (seq < S_SEQS);
            if (flags != PP_ACK_RETRY && !io->safe[seq])
                fail_msg ("seq %llu acked before a checkpoint covered it",
                          (unsigned long long) seq);
            if (flags == PP_ACK_RETRY)
                io->retried[seq]++;
            else
                io->acked[seq]++;
        }
    }
    return 0;
}

static bool
s_writable (void *arg)
{
    return !((s_io_t *) arg)->full;
}

typedef struct {
    s_io_t io;
    sink_ledger_t *ledger;
    sink_acks_t *acks;
} fixture_t;

static fixture_t *
s_open (uint32_t window)
{
    fixture_t *fx = calloc (1, sizeof (fixture_t));
    assert_non_null (fx);
    fx->ledger = sink_ledger_new (window, false);
    assert_non_null (fx->ledger);
    sink_acks_io_t io = {s_checkpoint, s_send, s_writable, &fx->io};
    fx->acks = sink_acks_new (fx->ledger, &io);
    assert_non_null (fx->acks);
    return fx;
}

static void
s_close (fixture_t *fx)
{
    sink_acks_destroy (&fx->acks);
    assert_null (fx->acks);
    sink_acks_destroy (&fx->acks);
    sink_ledger_destroy (&fx->ledger);
    free (fx);
}

/*  What the sink does with a new outcome: records it, acks it, advances. */
static void
s_outcome (fixture_t *fx, uint64_t seq, int64_t now_ms)
{
    assert_int_equal (sink_ledger_record (fx->ledger, seq), SINK_LEDGER_NEW);
    fx->io.written[seq] = 1; /* written before it is acked (s_record)  */
    sink_acks_add (fx->acks, seq, now_ms);
    const char *data;
    size_t len;
    while (sink_ledger_advance (fx->ledger, &data, &len))
        ;
}

/*  Seqs that follow each other share a range; one message, after one
    checkpoint that covers them all.                                       */
static void
test_ranges_merge (void **state)
{
    (void) state;
    fixture_t *fx = s_open (1024);
    uint64_t seqs[] = {0, 1, 2, 5, 6, 9, 3};
    for (size_t i = 0; i < 7; i++)
        s_outcome (fx, seqs[i], 1000);
    assert_int_equal (fx->io.messages, 0);
    assert_true (sink_acks_pending (fx->acks));
    sink_acks_flush (fx->acks);
    assert_int_equal (fx->io.checkpoints, 1);
    assert_int_equal (fx->io.vouched, 7);
    assert_int_equal (fx->io.messages, 1);
    assert_int_equal (fx->io.last_flags, 0);
    assert_int_equal (fx->io.last_count, 4);
    uint64_t first[] = {0, 5, 9, 3}, n[] = {3, 2, 1, 1};
    for (int i = 0; i < 4; i++) {
        assert_int_equal (fx->io.last_first[i], first[i]);
        assert_int_equal (fx->io.last_n[i], n[i]);
    }
    assert_false (sink_acks_pending (fx->acks));
    sink_acks_flush (fx->acks); /* nothing gathered: nothing goes        */
    assert_int_equal (fx->io.messages, 1);
    assert_int_equal (fx->io.checkpoints, 1);
    s_close (fx);
}

/*  SINK_ACKS_RANGES ranges fill a message: it goes at once, with the
    seq that filled it.                                                    */
static void
test_flush_on_ranges (void **state)
{
    (void) state;
    fixture_t *fx = s_open (4096); /* a quarter is 1024 seqs           */
    for (uint64_t i = 0; i < SINK_ACKS_RANGES - 1; i++)
        s_outcome (fx, 2 * i + 1, 1000);
    s_outcome (fx, 2 * SINK_ACKS_RANGES - 2, 1000); /* joins a range   */
    assert_int_equal (fx->io.messages, 0);
    s_outcome (fx, 2 * SINK_ACKS_RANGES + 1, 1000); /* the 256th        */
    assert_int_equal (fx->io.messages, 1);
    assert_int_equal (fx->io.last_count, SINK_ACKS_RANGES);
    assert_int_equal (fx->io.last_first[SINK_ACKS_RANGES - 1],
                      2 * SINK_ACKS_RANGES + 1);
    assert_false (sink_acks_pending (fx->acks));
    s_close (fx);
}

/*  Whatever triggers a flush, its checkpoint covers every result written
    before it, the one whose ack triggered it included; and no ack goes
    before a checkpoint covered it (the fake io checks both). The bug: a
    full list was flushed before the seq that did not fit was added, so
    that checkpoint vouched for an output holding a result it did not
    name, and a --resume after a crash right then wrote that result twice. */
static void
test_checkpoint_covers_written (void **state)
{
    (void) state;
    fixture_t *fx = s_open (4096);
    for (uint64_t i = 0; i < 3 * SINK_ACKS_RANGES; i++)
        s_outcome (fx, 2 * i + 1, 1000); /* ranges only: full lists      */
    assert_int_equal (fx->io.checkpoints, 3);
    assert_false (sink_acks_pending (fx->acks));
    assert_int_equal (fx->io.vouched, 3 * SINK_ACKS_RANGES);
    s_close (fx);
}

/*  A quarter of the window gathered goes at once.                         */
static void
test_flush_on_quarter (void **state)
{
    (void) state;
    fixture_t *fx = s_open (16);
    for (uint64_t seq = 0; seq < 3; seq++)
        s_outcome (fx, seq, 1000);
    assert_int_equal (fx->io.messages, 0);
    s_outcome (fx, 3, 1000);
    assert_int_equal (fx->io.messages, 1);
    assert_int_equal (fx->io.last_first[0], 0);
    assert_int_equal (fx->io.last_n[0], 4);
    assert_false (sink_acks_pending (fx->acks));
    s_close (fx);
}

/*  Gathered acks are due once the oldest waited SINK_ACKS_DELAY_MS; the
    clock starts at the first ack gathered, not the later ones.            */
static void
test_due_by_age (void **state)
{
    (void) state;
    fixture_t *fx = s_open (1024);
    assert_false (sink_acks_due (fx->acks, 5000));
    s_outcome (fx, 0, 1000);
    s_outcome (fx, 1, 1015);
    assert_false (sink_acks_due (fx->acks, 1000 + SINK_ACKS_DELAY_MS - 1));
    assert_true (sink_acks_due (fx->acks, 1000 + SINK_ACKS_DELAY_MS));
    sink_acks_flush (fx->acks);
    assert_int_equal (fx->io.messages, 1);
    assert_false (sink_acks_due (fx->acks, 9999));
    s_outcome (fx, 2, 2000); /* a new gathering: a new clock             */
    assert_false (sink_acks_due (fx->acks, 2000 + SINK_ACKS_DELAY_MS - 1));
    assert_true (sink_acks_due (fx->acks, 2000 + SINK_ACKS_DELAY_MS));
    s_close (fx);
}

/*  Retries go as RETRY messages, without a checkpoint; they are due at
    once and stay gathered while the socket is full.                       */
static void
test_retries (void **state)
{
    (void) state;
    fixture_t *fx = s_open (1024);
    fx->io.full = true;
    sink_acks_retry (fx->acks, 7, 0x77);
    sink_acks_retry (fx->acks, 8, 0x77);
    assert_true (sink_acks_due (fx->acks, 0));
    sink_acks_flush (fx->acks);
    assert_int_equal (fx->io.messages, 0);
    assert_true (sink_acks_pending (fx->acks));
    fx->io.full = false;
    sink_acks_flush (fx->acks);
    assert_int_equal (fx->io.messages, 1);
    assert_int_equal (fx->io.last_flags, PP_ACK_RETRY);
    assert_int_equal (fx->io.last_worker, 0x77);
    assert_int_equal (fx->io.last_first[0], 7);
    assert_int_equal (fx->io.last_n[0], 2);
    assert_int_equal (fx->io.checkpoints, 0);
    assert_false (sink_acks_pending (fx->acks));
    /*  A full list with a full socket: the next is not asked (the
        ventilator's --ack-timeout sends it again).                        */
    fx->io.full = true;
    for (uint64_t i = 0; i <= SINK_ACKS_RANGES; i++)
        sink_acks_retry (fx->acks, 2 * i, 0x77);
    fx->io.full = false;
    sink_acks_flush (fx->acks);
    assert_int_equal (fx->io.last_count, SINK_ACKS_RANGES);
    assert_int_equal (fx->io.retried[2 * SINK_ACKS_RANGES], 0);
    s_close (fx);
}

/*  Retries name the worker they failed on: one message per worker, the
    retries of one worker gathered, a retry on another worker flushing
    them first. With the socket full, a retry on another worker than those
    gathered is not asked (the ventilator's --ack-timeout sends it).      */
static void
test_retries_per_worker (void **state)
{
    (void) state;
    fixture_t *fx = s_open (1024);
    sink_acks_retry (fx->acks, 1, 0xa);
    sink_acks_retry (fx->acks, 2, 0xa);
    assert_int_equal (fx->io.messages, 0);
    sink_acks_retry (fx->acks, 3, 0xb); /* flushes 0xa's               */
    assert_int_equal (fx->io.messages, 1);
    assert_int_equal (fx->io.last_worker, 0xa);
    assert_int_equal (fx->io.last_first[0], 1);
    assert_int_equal (fx->io.last_n[0], 2);
    sink_acks_flush (fx->acks);
    assert_int_equal (fx->io.messages, 2);
    assert_int_equal (fx->io.last_worker, 0xb);
    assert_int_equal (fx->io.last_first[0], 3);
    assert_int_equal (fx->io.last_count, 1);

    fx->io.full = true;
    sink_acks_retry (fx->acks, 4, 0xa);
    sink_acks_retry (fx->acks, 5, 0xb); /* not asked                    */
    fx->io.full = false;
    sink_acks_flush (fx->acks);
    assert_int_equal (fx->io.messages, 3);
    assert_int_equal (fx->io.last_worker, 0xa);
    assert_int_equal (fx->io.retried[4], 1);
    assert_int_equal (fx->io.retried[5], 0);
    assert_false (sink_acks_pending (fx->acks));
    s_close (fx);
}

/*  Acks the socket did not take are resynced from the ledger once it
    takes messages again: every seq recorded is acked, including those of
    flushes that failed while the ledger's base moved on, in as many
    messages as it takes.                                                  */
static void
test_resync_covers_unsent (void **state)
{
    (void) state;
    fixture_t *fx = s_open (2048);
    for (uint64_t seq = 0; seq < 100; seq++) /* these go                 */
        s_outcome (fx, seq, 1000);
    sink_acks_flush (fx->acks);
    assert_int_equal (fx->io.messages, 1);
    fx->io.full = true;
    for (uint64_t seq = 100; seq < 1100; seq++) /* 100..1099: a run    */
        s_outcome (fx, seq, 1000);
    for (uint64_t seq = 1101; seq < 2100; seq += 2) /* 500 apart         */
        s_outcome (fx, seq, 1000);
    sink_acks_flush (fx->acks);
    assert_int_equal (fx->io.messages, 1);
    assert_true (sink_acks_due (fx->acks, 1000));
    assert_int_equal (sink_ledger_base (fx->ledger), 1100);
    fx->io.full = false;
    sink_acks_flush (fx->acks);
    assert_false (sink_acks_pending (fx->acks));
    for (uint64_t seq = 0; seq < 2100; seq++)
        assert_int_equal (fx->io.acked[seq] > 0,
                          seq < 1100 || (seq >= 1101 && seq % 2 == 1));
    assert_true (fx->io.messages >= 3); /* 1 + 500 ranges in 2 or more   */
    /*  Everything that went was covered by a checkpoint first.           */
    assert_int_equal (fx->io.vouched, 100 + 1000 + 500);
    s_close (fx);
}

/*  A resync goes message by message while the socket takes them, and goes
    on later from where it stopped; acks gathered meanwhile join it.      */
static void
test_resync_in_steps (void **state)
{
    (void) state;
    fixture_t *fx = s_open (4096);
    fx->io.full = true;
    for (uint64_t seq = 1; seq < 4 * SINK_ACKS_RANGES; seq += 2)
        s_outcome (fx, seq, 1000); /* 512 single-seq ranges             */
    sink_acks_flush (fx->acks);
    int before = fx->io.messages;
    fx->io.full = false;
    s_outcome (fx, 0, 1000);    /* base moves to 2       */
    sink_acks_flush (fx->acks); /* resyncs everything: [0, 2) and above */
    assert_false (sink_acks_pending (fx->acks));
    for (uint64_t seq = 0; seq < 4 * SINK_ACKS_RANGES; seq++)
        assert_int_equal (fx->io.acked[seq] > 0, seq == 0 || seq % 2 == 1);
    assert_true (fx->io.messages - before >= 2);
    s_close (fx);
}

/*  A checkpoint that fails acks nothing, then or ever after; retries
    still go. sink_acks_halt does the same for a failure found elsewhere. */
static void
test_halt (void **state)
{
    (void) state;
    fixture_t *fx = s_open (1024);
    fx->io.fail_checkpoint = true;
    s_outcome (fx, 0, 1000);
    sink_acks_flush (fx->acks);
    assert_int_equal (fx->io.messages, 0);
    fx->io.fail_checkpoint = false;
    s_outcome (fx, 1, 1000);
    sink_acks_retry (fx->acks, 5, 0x77);
    sink_acks_flush (fx->acks);
    assert_int_equal (fx->io.messages, 1);
    assert_int_equal (fx->io.last_flags, PP_ACK_RETRY);
    assert_int_equal (fx->io.acked[0] + fx->io.acked[1], 0);
    assert_false (sink_acks_pending (fx->acks));

    fixture_t *fx2 = s_open (1024);
    fx2->io.full = true;
    s_outcome (fx2, 0, 1000);
    sink_acks_flush (fx2->acks); /* owed: a resync from 0               */
    s_outcome (fx2, 1, 1000);
    sink_acks_halt (fx2->acks);
    assert_false (sink_acks_pending (fx2->acks));
    fx2->io.full = false;
    sink_acks_flush (fx2->acks);
    assert_int_equal (fx2->io.messages, 0);
    s_close (fx2);
    s_close (fx);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_ranges_merge),
        cmocka_unit_test (test_flush_on_ranges),
        cmocka_unit_test (test_checkpoint_covers_written),
        cmocka_unit_test (test_flush_on_quarter),
        cmocka_unit_test (test_due_by_age),
        cmocka_unit_test (test_retries),
        cmocka_unit_test (test_retries_per_worker),
        cmocka_unit_test (test_resync_covers_unsent),
        cmocka_unit_test (test_resync_in_steps),
        cmocka_unit_test (test_halt),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
