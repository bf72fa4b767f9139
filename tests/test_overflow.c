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
#include <errno.h>
#include <fcntl.h>

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

/*  pp_item_codec, but item 20 does not decode (EBADMSG).                 */
static void *
s_decode_not_20 (const unsigned char *data, size_t size)
{
    pp_item_t *item = pp_item_codec.decode (data, size);
    if (item && item->seq == 20) {
        pp_item_free (item);
        errno = EBADMSG;
        return NULL;
    }
    return item;
}

/*  Sends seq 0..n-1 into a spill channel of 16 (16.. go to disk).      */
static pp_chan_t *
s_spilled_chan (const pp_chan_codec_t *codec, uint64_t n)
{
    pp_chan_t *chan = pp_chan_new (16, pp_item_free);
    assert_int_equal (pp_chan_set_spill (chan, s_dir, codec), 0);
    for (uint64_t seq = 0; seq < n; seq++)
        assert_int_equal (pp_chan_send (chan, s_item (seq), -1), 0);
    assert_int_equal (pp_chan_spilled (chan), n - 16);
    pp_chan_close (chan);
    return chan;
}

/*  Receives until closed: how many came, each in order but skip.         */
static uint64_t
s_drain (pp_chan_t *chan, uint64_t skip)
{
    void *out;
    uint64_t next = 0, got = 0;
    while (pp_chan_recv (chan, &out, 0) == 0) {
        if (next == skip)
            next++;
        assert_int_equal (((pp_item_t *) out)->seq, next++);
        pp_item_free (out);
        got++;
    }
    return got;
}

/*  A spilled record that does not decode is counted lost with its reason
    and the next ones still come: no abort (it used to abort).            */
static void
test_spill_undecodable (void **state)
{
    (void) state;
    pp_chan_codec_t codec = pp_item_codec;
    codec.decode = s_decode_not_20;
    pp_chan_t *chan = s_spilled_chan (&codec, 40);
    assert_int_equal (s_drain (chan, 20), 39);
    int err = 0;
    assert_int_equal (pp_chan_spill_lost (chan, &err), 1);
    assert_int_equal (err, EBADMSG);
    assert_int_equal (pp_chan_spilled (chan), 0);
    pp_chan_destroy (&chan);
}

/*  The fd of this process's spill file in s_dir, or -1.                  */
static int
s_spill_fd (void)
{
    for (int fd = 3; fd < 1024; fd++) {
        char link[64], path[512];
        snprintf (link, sizeof (link), "/proc/self/fd/%d", fd);
        ssize_t n = readlink (link, path, sizeof (path) - 1);
        if (n > 0 && (path[n] = '\0', strstr (path, s_dir)))
            return fd;
    }
    return -1;
}

/*  A spill file that cannot be read back (here: its fd swapped for a
    write-only one, EBADF) loses what is on disk, counted with the reason;
    what is in memory still comes, and the channel ends: no abort.        */
static void
test_spill_read_error (void **state)
{
    (void) state;
    pp_chan_t *chan = s_spilled_chan (&pp_item_codec, 40);
    int fd = s_spill_fd ();
    assert_true (fd >= 0);
    char path[600];
    snprintf (path, sizeof (path), "%s/write-only", s_dir);
    int wo = open (path, O_WRONLY | O_CREAT, 0600);
    assert_true (wo >= 0);
    assert_int_equal (dup2 (wo, fd), fd);
    close (wo);
    unlink (path);
    assert_int_equal (s_drain (chan, UINT64_MAX), 16);
    int err = 0;
    assert_int_equal (pp_chan_spill_lost (chan, &err), 24);
    assert_int_equal (err, EBADF);
    assert_int_equal (pp_chan_spilled (chan), 0);
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
        cmocka_unit_test_setup_teardown (test_spill_undecodable, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_spill_read_error, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_spill_disk_full, s_setup,
                                         s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
