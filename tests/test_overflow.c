/*  Overflow policies of pp_chan: drop fails at once, spill keeps FIFO
    order across the memory/disk boundary with memory bounded.             */

#include "pp_chan.h"
#include "pp_error.h"
#include "pp_item.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

static char s_dir[] = "/tmp/pp-test-spill.XXXXXX";

static int
s_setup (void **state)
{
    (void) state;
    strcpy (s_dir, "/tmp/pp-test-spill.XXXXXX");
    return mkdtemp (s_dir) ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void) state;
    return rmdir (s_dir); /* fails if a spill file was left behind     */
}

static pp_item_t *
s_item (uint64_t seq)
{
    char text[32];
    int len =
        snprintf (text, sizeof (text), "item-%llu", (unsigned long long) seq);
    pp_item_t *item = pp_item_new (7, seq, text, (size_t) len);
    assert_non_null (item);
    item->t_enq_us = seq * 10;
    item->attempt = (uint8_t) (seq % 3);
    return item;
}

/*  Drop: a full channel refuses at once, even with a long timeout, and
    exactly capacity items get through out of 100.                          */
static void
test_drop_counts (void **state)
{
    (void) state;
    pp_chan_t *chan = pp_chan_new (8, pp_item_free);
    pp_chan_set_drop (chan);
    int accepted = 0, refused = 0;
    for (uint64_t seq = 0; seq < 100; seq++) {
        pp_item_t *item = s_item (seq);
        int rc = pp_chan_send (chan, item, 5000);
        if (rc == 0)
            accepted++;
        else {
            assert_int_equal (rc, PP_EAGAIN);
            pp_item_free (item);
            refused++;
        }
    }
    assert_int_equal (accepted, 8);
    assert_int_equal (refused, 92);
    void *out;
    assert_int_equal (pp_chan_recv (chan, &out, 0), 0);
    assert_int_equal (((pp_item_t *) out)->seq, 0);
    pp_item_free (out);
    pp_item_t *again = s_item (100); /* one slot free: accepted again   */
    assert_int_equal (pp_chan_send (chan, again, 0), 0);
    assert_int_equal (pp_chan_size (chan), 8);
    pp_chan_destroy (&chan);
}

/*  Spill: 10000 items through a channel of 16; every item comes back, in
    order, with every field intact; at most 16 ever sit in memory.         */
static void
test_spill_fifo (void **state)
{
    (void) state;
    pp_chan_t *chan = pp_chan_new (16, pp_item_free);
    assert_int_equal (pp_chan_set_spill (chan, s_dir, &pp_item_codec), 0);
    const uint64_t total = 10000;
    uint64_t next_out = 0;
    for (uint64_t seq = 0; seq < total; seq++) {
        assert_int_equal (pp_chan_send (chan, s_item (seq), -1), 0);
        assert_true (pp_chan_size (chan) - pp_chan_spilled (chan) <= 16);
        if (seq % 7 == 0) { /* drain a little, interleaved            */
            void *out;
            assert_int_equal (pp_chan_recv (chan, &out, 0), 0);
            assert_int_equal (((pp_item_t *) out)->seq, next_out++);
            pp_item_free (out);
        }
    }
    assert_true (pp_chan_spilled (chan) > 0);
    assert_int_equal (pp_chan_size (chan), total - next_out);
    pp_chan_close (chan);
    void *out;
    while (pp_chan_recv (chan, &out, 0) == 0) {
        pp_item_t *item = out;
        char text[32];
        snprintf (text, sizeof (text), "item-%llu",
                  (unsigned long long) next_out);
        assert_int_equal (item->seq, next_out);
        assert_int_equal (item->run_id, 7);
        assert_int_equal (item->t_enq_us, next_out * 10);
        assert_int_equal (item->attempt, next_out % 3);
        assert_string_equal (item->data, text);
        pp_item_free (out);
        next_out++;
    }
    assert_int_equal (next_out, total);
    assert_int_equal (pp_chan_spilled (chan), 0);
    assert_int_equal (pp_chan_recv (chan, &out, 0), PP_ECLOSED);
    pp_chan_destroy (&chan);
}

/*  Abort discards what is on disk too; destroy frees what is in memory.   */
static void
test_spill_abort (void **state)
{
    (void) state;
    pp_chan_t *chan = pp_chan_new (4, pp_item_free);
    assert_int_equal (pp_chan_set_spill (chan, s_dir, &pp_item_codec), 0);
    for (uint64_t seq = 0; seq < 100; seq++)
        assert_int_equal (pp_chan_send (chan, s_item (seq), 0), 0);
    assert_int_equal (pp_chan_spilled (chan), 96);
    pp_chan_abort (chan);
    assert_int_equal (pp_chan_size (chan), 0);
    void *out;
    assert_int_equal (pp_chan_recv (chan, &out, 0), PP_EABORTED);
    pp_item_t *late = s_item (1);
    assert_int_equal (pp_chan_send (chan, late, 0), PP_EABORTED);
    pp_item_free (late);
    pp_chan_destroy (&chan);
    assert_null (chan);
}

/*  A spill directory that does not exist is an error, not a crash.        */
static void
test_spill_bad_dir (void **state)
{
    (void) state;
    pp_chan_t *chan = pp_chan_new (4, pp_item_free);
    assert_int_equal (
        pp_chan_set_spill (chan, "/nonexistent/pushpull", &pp_item_codec),
        PP_EIO);
    pp_chan_destroy (&chan);
}

/*  A full disk (simulated with RLIMIT_FSIZE): the send fails with PP_EIO,
    the caller keeps the item, and everything accepted before comes back. */
static void
test_spill_disk_full (void **state)
{
    (void) state;
    struct rlimit old, small;
    assert_int_equal (getrlimit (RLIMIT_FSIZE, &old), 0);
    signal (SIGXFSZ, SIG_IGN); /* else the kernel kills us at the limit  */
    small = old;
    small.rlim_cur = 4096;
    assert_int_equal (setrlimit (RLIMIT_FSIZE, &small), 0);
    pp_chan_t *chan = pp_chan_new (2, pp_item_free);
    assert_int_equal (pp_chan_set_spill (chan, s_dir, &pp_item_codec), 0);
    uint64_t accepted = 0;
    int rc = 0;
    while (accepted < 100000) {
        pp_item_t *item = s_item (accepted);
        rc = pp_chan_send (chan, item, 0);
        if (rc != 0) {
            pp_item_free (item); /* the caller still owns it           */
            break;
        }
        accepted++;
    }
    assert_int_equal (rc, PP_EIO);
    assert_true (accepted > 2); /* some went to disk before it filled  */
    assert_int_equal (setrlimit (RLIMIT_FSIZE, &old), 0);
    void *out;
    for (uint64_t seq = 0; seq < accepted; seq++) {
        assert_int_equal (pp_chan_recv (chan, &out, 0), 0);
        assert_int_equal (((pp_item_t *) out)->seq, seq);
        pp_item_free (out);
    }
    assert_int_equal (pp_chan_recv (chan, &out, 0), PP_EAGAIN);
    pp_chan_destroy (&chan);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_drop_counts),
        cmocka_unit_test_setup_teardown (test_spill_fifo, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_spill_abort, s_setup, s_teardown),
        cmocka_unit_test (test_spill_bad_dir),
        cmocka_unit_test_setup_teardown (test_spill_disk_full, s_setup,
                                         s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
