/*  test_exec_status: what the exec handler (worker/exec) tells the job
    log about each item -- its exit status, or -N when signal N ended it
    (pp_job_set_status), per item and with --pipe, and after a --timeout
    kill -- and that {#} and PP_RECORD are the item's 1-based input record
    (the task record's record field), PP_SEQ its 0-based seq in the run,
    in a batch too. Real commands (sh), bounded by a timeout each.        */

#include "../worker/exec.h"
#include "pp_chan.h"
#include "pp_job_internal.h"

#include <czmq.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

typedef struct {
    pp_chan_t *cancel;
    pp_job_ctx_t ctx;
    exec_t *exec;
    pp_buf_t out;
} fixture_t;

static int
s_setup (void **state)
{
    fixture_t *self = calloc (1, sizeof (fixture_t));
    assert_non_null (self);
    self->cancel = pp_chan_new (1, NULL);
    assert_non_null (self->cancel);
    self->ctx = (pp_job_ctx_t){
        .run_id = 1, .seq = 7, .record = 12, .cancel = self->cancel};
    self->out.max = 1024;
    *state = self;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *self = *state;
    exec_destroy (&self->exec);
    pp_chan_destroy (&self->cancel);
    pp_buf_free (&self->out);
    free (self);
    return 0;
}

static void
s_exec_new (fixture_t *self, char **argv, bool pipe, int64_t timeout_ms)
{
    exec_options_t opts;
    exec_options_init (&opts);
    opts.pipe = pipe;
    opts.timeout_ms = timeout_ms;
    opts.kill_grace_ms = 200;
    self->exec = exec_new (argv, &opts);
    assert_non_null (self->exec);
}

/*  Runs item; checks the handler's return and the status it set. The
    job thread starts each item at 0 ("0 unless set"); a non-zero status
    is looked for from -999, so a handler that sets none fails here.      */
static void
s_run (fixture_t *self, const char *item, int want_rc, int want_status)
{
    self->ctx.status = want_status == 0 ? 0 : -999;
    self->out.len = 0;
    int rc =
        exec_handler (&self->ctx, item, strlen (item), &self->out, self->exec);
    assert_int_equal (rc, want_rc);
    assert_int_equal (self->ctx.status, want_status);
}

static void
test_exit_status_per_item (void **state)
{
    fixture_t *self = *state;
    char *argv[] = {"sh", "-c", "echo out; exit {}", NULL};
    s_exec_new (self, argv, false, 5000);
    s_run (self, "0", 0, 0);
    assert_string_equal (self->out.data, "out");
    s_run (self, "3", -1, 3);
    assert_string_equal (self->out.data, "exit status 3");
    s_run (self, "255", -1, 255);
}

static void
test_signal_status_per_item (void **state)
{
    fixture_t *self = *state;
    char *argv[] = {"sh", "-c", "kill -{} $$", NULL};
    s_exec_new (self, argv, false, 5000);
    s_run (self, "9", -1, -9);
    assert_string_equal (self->out.data, "killed by signal 9");
    s_run (self, "15", -1, -15);
}

/*  --timeout kills: the status says by which signal (SIGTERM here).      */
static void
test_timeout_status (void **state)
{
    fixture_t *self = *state;
    char *argv[] = {"sleep", "{}", NULL};
    s_exec_new (self, argv, false, 200);
    s_run (self, "10", -1, -SIGTERM);
    assert_string_equal (self->out.data, "timed out after 200ms");
}

/*  --pipe: a child that dies holding an item gives that item its end.   */
static void
test_pipe_status (void **state)
{
    fixture_t *self = *state;
    char *argv[] = {"sh", "-c",
                    "while read x; do case $x in k*) kill -9 $$;; "
                    "e*) exit 5;; esac; echo \"<$x>\"; done",
                    NULL};
    s_exec_new (self, argv, true, 5000);
    s_run (self, "a", 0, 0);
    assert_string_equal (self->out.data, "<a>");
    s_run (self, "e", -1, 5);
    assert_string_equal (self->out.data, "pipe command exited with status 5");
    s_run (self, "k", -1, -9);
    assert_string_equal (self->out.data, "pipe command killed by signal 9");
    s_run (self, "b", 0, 0); /* a new child */
    assert_string_equal (self->out.data, "<b>");
    exec_shutdown (self->exec);
}

/*  {#} and PP_RECORD: the input record (1-based); PP_SEQ: the seq.       */
static void
test_record_placeholder_and_env (void **state)
{
    fixture_t *self = *state;
    char *argv[] = {"sh", "-c", "echo {#} {} $PP_RECORD $PP_SEQ", NULL};
    s_exec_new (self, argv, false, 5000);
    s_run (self, "x", 0, 0);
    assert_string_equal (self->out.data, "12 x 12 7");
}

/*  A batch run item by item: each its own record, {#} and status.        */
static void
test_batch_records_and_statuses (void **state)
{
    fixture_t *self = *state;
    char *argv[] = {"sh", "-c", "echo {#}.$PP_SEQ; exit {}", NULL};
    s_exec_new (self, argv, false, 5000);
    pp_record_t records[3] = {{.seq = 4, .record = 5},
                              {.seq = 5, .record = 9},
                              {.seq = 6, .record = 10}};
    pp_job_item_t items[3] = {{.seq = 4, .data = "0", .len = 1},
                              {.seq = 5, .data = "2", .len = 1},
                              {.seq = 6, .data = "0", .len = 1}};
    pp_buf_t outs[3] = {{.max = 64}, {.max = 64}, {.max = 64}};
    int rcs[3] = {-1, -1, -1}, statuses[3] = {-999, -999, -999};
    self->ctx.batch = records;
    self->ctx.batch_status = statuses;
    exec_batch_handler (&self->ctx, items, 3, outs, rcs, self->exec);
    assert_int_equal (rcs[0], 0);
    assert_string_equal (outs[0].data, "5.4");
    assert_int_equal (rcs[1], -1);
    assert_string_equal (outs[1].data, "exit status 2");
    assert_int_equal (rcs[2], 0);
    assert_string_equal (outs[2].data, "10.6");
    assert_int_equal (statuses[0], 0);
    assert_int_equal (statuses[1], 2);
    assert_int_equal (statuses[2], 0);
    for (int i = 0; i < 3; i++)
        pp_buf_free (&outs[i]);
}

int
main (void)
{
    signal (SIGPIPE, SIG_IGN); /* what exec.h asks of the process */
    signal (SIGCHLD, SIG_DFL);
    zsys_handler_set (NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_exit_status_per_item, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_signal_status_per_item, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_timeout_status, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_pipe_status, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_record_placeholder_and_env,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_batch_records_and_statuses,
                                         s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
