/*  test_wfeed: the worker's feed into a real pipeline (pp_wfeed.h,
    pp_pipeline.h): slices go in as room allows, the rest waits; a
    leaving credit worker hands back exactly the items no job started, in
    order; stopping gives up the one running, counted.                     */

#include "pp_config.h"
#include "pp_error.h"
#include "pp_job.h"
#include "pp_pipeline.h"
#include "pp_wfeed.h"
#include "pp_wire.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static atomic_int s_started;

/*  Says it started, then waits until the run is aborted.                  */
static int
s_wait_for_abort (pp_job_ctx_t *ctx, const char *item, size_t len,
                  pp_buf_t *out, void *user)
{
    (void) item;
    (void) len;
    (void) user;
    atomic_fetch_add (&s_started, 1);
    while (pp_job_sleep (ctx, 60000) == 0)
        ;
    pp_buf_printf (out, "aborted");
    return -1;
}

/*  A TASK message of seqs 0 .. n-1, each "x".                             */
static zmsg_t *
s_task (uint32_t n, const uint8_t **data, size_t *size)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addmem (msg, "header", 6);
    size_t total = n * (PP_WIRE_RECORD_SIZE + 1);
    uint8_t *payload = malloc (total);
    size_t at = 0;
    for (uint32_t i = 0; i < n; i++) {
        pp_record_t rec = {.seq = i, .len = 1, .data = "x"};
        at += pp_wire_encode_record (&rec, payload + at);
    }
    zmsg_addmem (msg, payload, total);
    free (payload);
    *data = zframe_data (zmsg_last (msg));
    *size = total;
    return msg;
}

static void
test_hand_back (void **state)
{
    (void) state;
    char dir[] = "/tmp/pp-test-wfeed.XXXXXX", results[64];
    assert_non_null (mkdtemp (dir));
    snprintf (results, sizeof (results), "ipc://%s/results", dir);
    pp_common_t net;
    pp_config_defaults (&net);
    net.results = results;
    pp_hello_t hello = {.threads = 1, .host = "test"};
    pp_wsize_t size = pp_wsize_channel (4, 1, true, false);
    pp_pipeline_args_t args = {.net = &net,
                               .handler = s_wait_for_abort,
                               .threads = 1,
                               .capacity = size.capacity,
                               .run_id = 1,
                               .worker_id = 2,
                               .hello = &hello};
    pp_pipeline_t *pipeline = NULL;
    assert_int_equal (pp_pipeline_start (&args, &pipeline), 0);
    pp_wfeed_t feed;
    pp_wfeed_start (&feed, pipeline, size, false, 2, net.max_item);
    const uint8_t *data;
    size_t bytes;
    zmsg_t *msg = s_task (20, &data, &bytes);
    assert_int_equal (pp_wfeed_take (&feed, &msg, data, bytes), 0);
    assert_null (msg);
    assert_true (pp_wfeed_busy (&feed));
    /*  Unmeasured, a slice is one record: the job thread takes seq 0 and
        runs it until the abort; 4 more fill the channel.                  */
    while (atomic_load (&s_started) == 0)
        assert_int_equal (pp_wfeed_push (&feed, pp_now_ms () + 10), 0);
    assert_int_equal (pp_wfeed_push (&feed, pp_now_ms () + 10), 0);
    assert_true (pp_wfeed_busy (&feed)); /* no room for the rest       */
    uint8_t *seqs = NULL;
    size_t count = pp_wfeed_hand_back (&feed, &seqs);
    assert_int_equal (count, 19);
    for (size_t i = 0; i < count; i++)
        assert_int_equal (pp_get_u64 (seqs + 8 * i), i + 1);
    free (seqs);
    assert_false (pp_wfeed_busy (&feed));
    assert_int_equal (pp_wfeed_clear (&feed), 0);
    /*  Stopping cancels the running job; its outcome is given up.         */
    assert_int_equal (pp_pipeline_stop (&pipeline), 1);
    assert_null (pipeline);
    assert_int_equal (atomic_load (&s_started), 1);
    rmdir (dir);
}

int
main (void)
{
    setenv ("ZSYS_SIGHANDLER", "false", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_hand_back),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
