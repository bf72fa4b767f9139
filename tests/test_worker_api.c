/*  test_worker_api: the public worker API (pushpull.h) leaves the process
    alone. A bad configuration comes back as PP_EINVAL with its reason --
    pp_worker_run never exits; a run changes no signal disposition; stop
    requests (pp_worker_stop, czmq's flag, the signals of
    pp_worker_handle_signals) end runs, each counted for one run.

    czmq would install its own SIGINT handler when first used: main turns
    that off with ZSYS_SIGHANDLER=false, so what is checked is ours.      */

#include <pushpull.h>

#include <czmq.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static char s_dir[] = "/tmp/pp-test-api.XXXXXX";
static char s_endpoints[4][64];

#define S_RUN_BOUND_S 20 /* a run stopped at once takes milliseconds */

/*  A run that outlives S_RUN_BOUND_S is stuck: the test fails, naming it,
    instead of hanging (a deadlock in pp_worker_run did, once).           */
static void
s_on_alarm (int signum)
{
    (void) signum;
    static const char msg[] = "test_worker_api: a pp_worker_run call did "
                              "not return within its bound: stuck\n";
    if (write (STDERR_FILENO, msg, sizeof (msg) - 1) < 0)
        _exit (1);
    _exit (1);
}

/*  pp_worker_run, bounded by S_RUN_BOUND_S (see s_on_alarm).             */
static int
s_run (const pp_worker_config_t *config, pp_handler_fn *handler)
{
    alarm (S_RUN_BOUND_S);
    int code = pp_worker_run (config, handler, NULL);
    alarm (0);
    return code;
}

static int
s_echo (pp_job_ctx_t *ctx, const char *item, size_t len, pp_buf_t *out,
        void *user)
{
    (void) ctx;
    (void) user;
    return pp_buf_append (out, item, len);
}

/*  A configuration on ipc endpoints no one binds: a run waits, idle.     */
static pp_worker_config_t
s_config (void)
{
    pp_worker_config_t config;
    pp_worker_config_init (&config);
    config.tasks = s_endpoints[0];
    config.results = s_endpoints[1];
    config.control = s_endpoints[2];
    config.acks = s_endpoints[3];
    config.threads = 2;
    config.verbosity = 0;
    return config;
}

static void
test_config_defaults (void **state)
{
    (void) state;
    pp_worker_config_t config;
    memset (&config, 0xff, sizeof (config));
    pp_worker_config_init (&config);
    long cores = sysconf (_SC_NPROCESSORS_ONLN);
    assert_null (config.tasks);
    assert_null (config.results);
    assert_null (config.control);
    assert_null (config.acks);
    assert_int_equal (config.hwm, 100);
    assert_int_equal (config.max_item_size, 0); /* the ventilator's     */
    assert_int_equal (config.flow, PP_FLOW_RUN);
    assert_null (config.curve_secret);
    assert_null (config.curve_server);
    assert_int_equal (config.threads, cores > 0 ? cores : 1);
    assert_int_equal (config.capacity, 0);
    assert_false (config.serve);
    assert_int_equal (config.overflow, PP_OVERFLOW_BLOCK);
    assert_null (config.spill_dir);
    assert_null (config.batch);
    assert_int_equal (config.ventilator_timeout_ms, 90000);
    assert_int_equal (config.verbosity, 1);
    char why[256] = "";
    unsetenv ("PP_TASKS");
    assert_int_equal (pp_worker_config_check (&config, why, sizeof (why)), 0);
    assert_string_equal (why, "");
}

/*  config_check refuses it with PP_EINVAL and a reason holding text.     */
static void
s_refused (const pp_worker_config_t *config, const char *text)
{
    char why[256] = "";
    assert_int_equal (pp_worker_config_check (config, why, sizeof (why)),
                      PP_EINVAL);
    if (!strstr (why, text))
        fail_msg ("reason '%s' lacks '%s'", why, text);
    assert_int_equal (pp_worker_config_check (config, NULL, 0), PP_EINVAL);
}

static void
test_config_refused (void **state)
{
    (void) state;
    pp_worker_config_t config = s_config ();
    config.tasks = "foo://bar";
    s_refused (&config, "--tasks: 'foo://bar' is not an endpoint");
    config = s_config ();
    config.results = NULL;
    setenv ("PP_RESULTS", "nowhere", 1);
    s_refused (&config,
               "--results (from PP_RESULTS): 'nowhere' is not an endpoint");
    unsetenv ("PP_RESULTS");
    config = s_config ();
    config.threads = 0;
    s_refused (&config, "--threads: 0 is out of range (1..1024)");
    config.threads = 1025;
    s_refused (&config, "--threads: 1025 is out of range (1..1024)");
    config = s_config ();
    config.capacity = -1;
    s_refused (&config, "--capacity: -1 is out of range (0..1000000)");
    config = s_config ();
    config.hwm = 0;
    s_refused (&config, "--hwm: 0 is out of range (1..1000000)");
    config = s_config ();
    config.max_item_size = (1ULL << 30) + 1;
    s_refused (&config, "--max-item-size: 1073741825 is not 1..1G bytes");
    config = s_config ();
    config.flow = (pp_flow_t) 7;
    s_refused (&config, "--flow: 7 is not push or credit");
    config = s_config ();
    config.overflow = (pp_overflow_t) 9;
    s_refused (&config, "--overflow: 9 is not block, drop or spill");
    config = s_config ();
    config.ventilator_timeout_ms = -1;
    s_refused (&config, "--ventilator-timeout: -1 ms is negative");
    config = s_config ();
    config.curve_server = "/nonexistent/server.key";
    s_refused (&config, "--curve-secret is needed");
    config.curve_secret = "/nonexistent/worker.key_secret";
    s_refused (&config, "--curve-secret: cannot read /nonexistent/worker");
}

/*  pp_worker_run refuses what config_check refuses, and a NULL handler,
    by returning PP_EINVAL: the process goes on (it used to exit 2).      */
static void
test_run_refuses (void **state)
{
    (void) state;
    pp_worker_config_t config = s_config ();
    config.tasks = "foo://bar";
    assert_int_equal (s_run (&config, s_echo), PP_EINVAL);
    config = s_config ();
    config.curve_secret = "/nonexistent/worker.key_secret";
    config.curve_server = "/nonexistent/server.key";
    assert_int_equal (s_run (&config, s_echo), PP_EINVAL);
    config = s_config ();
    assert_int_equal (s_run (&config, NULL), PP_EINVAL);
}

static bool
s_same (const struct sigaction *a, const struct sigaction *b)
{
    return a->sa_handler == b->sa_handler && a->sa_flags == b->sa_flags;
}

/*  A run installs no handler and changes no disposition. One request
    made before it stops it, idle, at once: exit status 0.                 */
static void
test_run_leaves_signals_alone (void **state)
{
    (void) state;
    int signums[] = {SIGINT, SIGTERM, SIGPIPE, SIGCHLD, SIGHUP};
    struct sigaction before[5], after[5];
    for (int i = 0; i < 5; i++)
        sigaction (signums[i], NULL, &before[i]);
    pp_worker_config_t config = s_config ();
    pp_worker_stop ();
    assert_int_equal (s_run (&config, s_echo), PP_EXIT_OK);
    for (int i = 0; i < 5; i++) {
        sigaction (signums[i], NULL, &after[i]);
        if (!s_same (&before[i], &after[i]))
            fail_msg ("the disposition of signal %d changed", signums[i]);
    }
}

/*  Each run counts the requests made since the last one ended: two stop
    the next at once (aborted), one leaves; czmq's flag counts as one.    */
static void
test_stop_requests (void **state)
{
    (void) state;
    pp_worker_config_t config = s_config ();
    pp_worker_stop ();
    pp_worker_stop ();
    assert_int_equal (s_run (&config, s_echo), PP_EXIT_ABORTED);
    pp_worker_stop ();
    assert_int_equal (s_run (&config, s_echo), PP_EXIT_OK);
    zsys_interrupted = 1;
    assert_int_equal (s_run (&config, s_echo), PP_EXIT_OK);
    zsys_interrupted = 0;
}

/*  Asked for, SIGINT and SIGTERM become stop requests and SIGPIPE is
    ignored.                                                               */
static void
test_handle_signals (void **state)
{
    (void) state;
    pp_worker_handle_signals ();
    struct sigaction action;
    sigaction (SIGINT, NULL, &action);
    assert_true (action.sa_handler != SIG_DFL && action.sa_handler != SIG_IGN);
    assert_int_equal (action.sa_flags & SA_RESTART, 0);
    sigaction (SIGTERM, NULL, &action);
    assert_true (action.sa_handler != SIG_DFL && action.sa_handler != SIG_IGN);
    sigaction (SIGPIPE, NULL, &action);
    assert_true (action.sa_handler == SIG_IGN);
    pp_worker_config_t config = s_config ();
    raise (SIGTERM);
    assert_int_equal (s_run (&config, s_echo), PP_EXIT_OK);
    raise (SIGINT);
    raise (SIGTERM);
    assert_int_equal (s_run (&config, s_echo), PP_EXIT_ABORTED);
    signal (SIGINT, SIG_DFL);
    signal (SIGTERM, SIG_DFL);
    signal (SIGPIPE, SIG_DFL);
}

/*  Many runs in one process, each stopped at once: every run's sockets
    (and their watches, and credit flow's completions endpoint) are new,
    at addresses the last run freed; none may meet a name of the last
    run's that libzmq has not unbound yet (it hung, or failed PP_EIO).    */
static void
test_many_runs (void **state)
{
    (void) state;
    for (int i = 0; i < 100; i++) {
        pp_worker_config_t config = s_config ();
        config.flow = i % 2 ? PP_FLOW_CREDIT : PP_FLOW_PUSH;
        config.max_item_size = 1 << 20; /* both given: sockets at once  */
        pp_worker_stop ();
        int code = s_run (&config, s_echo);
        if (code != PP_EXIT_OK)
            fail_msg ("run %d (%s flow) ended %d", i, i % 2 ? "credit" : "push",
                      code);
    }
}

int
main (void)
{
    setenv ("ZSYS_SIGHANDLER", "false", 1);
    signal (SIGALRM, s_on_alarm);
    if (!mkdtemp (s_dir))
        return 1;
    const char *names[4] = {"tasks", "results", "control", "acks"};
    for (int i = 0; i < 4; i++)
        snprintf (s_endpoints[i], sizeof (s_endpoints[i]), "ipc://%s/%s", s_dir,
                  names[i]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_config_defaults),
        cmocka_unit_test (test_config_refused),
        cmocka_unit_test (test_run_refuses),
        cmocka_unit_test (test_run_leaves_signals_alone),
        cmocka_unit_test (test_stop_requests),
        cmocka_unit_test (test_handle_signals),
        cmocka_unit_test (test_many_runs),
    };
    int failed = cmocka_run_group_tests (tests, NULL, NULL);
    rmdir (s_dir);
    return failed;
}
