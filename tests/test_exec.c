/*  test_exec: the worker's exec handler (worker/exec) when this process is
    short of file descriptors. A command that cannot start for want of fds
    is the worker's problem, not the item's: the handler waits and runs the
    item once fds are free, an abort ends the wait, and no start, failed or
    not, leaves an fd behind.

    The shortage is exact: RLIMIT_NOFILE is lowered to the fds in use and
    every free one below it is taken, so pipe2 fails with EMFILE until the
    test gives them back. Where a test sleeps it is only to let the handler
    meet the shortage first; the assertions hold whether or not it has.

    With fewer fds than a command per job thread needs (worker/fds.h),
    max_children commands run at once and the other threads wait their
    turn; an abort ends that wait too.                                     */

#include "../worker/exec.h"
#include "pp_chan.h"
#include "pp_error.h"
#include "pp_job_internal.h"

#include <czmq.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define S_FILLERS 1024 /* fds taken at most to make the shortage */

typedef struct {
    pp_chan_t *cancel; /* the run's abort, as the worker's task channel */
    pp_job_ctx_t ctx;
    exec_t *exec;
    const char *item;
    pp_buf_t out;
    int rc;           /* what the handler returned */
    atomic_bool done; /* the handler has returned */
    int fillers[S_FILLERS];
    int nfill;
    bool starved;        /* saved holds the limit to give back */
    struct rlimit saved; /* RLIMIT_NOFILE before the shortage */
} fixture_t;

static void
s_nap_ms (long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep (&ts, NULL);
}

static int64_t
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*  The fds open in this process, and the highest of them.               */
static int
s_fds_open (int *highest)
{
    DIR *dir = opendir ("/proc/self/fd");
    assert_non_null (dir);
    int count = 0, top = -1;
    for (struct dirent *entry; (entry = readdir (dir));) {
        int fd = atoi (entry->d_name);
        if (entry->d_name[0] == '.' || fd == dirfd (dir))
            continue;
        count++;
        top = fd > top ? fd : top;
    }
    closedir (dir);
    if (highest)
        *highest = top;
    return count;
}

/*  No fd free from now on: the limit just above the highest in use, every
    hole below it filled.                                                  */
static void
s_starve (fixture_t *self)
{
    int top;
    s_fds_open (&top);
    assert_int_equal (getrlimit (RLIMIT_NOFILE, &self->saved), 0);
    self->starved = true;
    struct rlimit low = {(rlim_t) top + 1, self->saved.rlim_max};
    assert_int_equal (setrlimit (RLIMIT_NOFILE, &low), 0);
    int fd;
    while (self->nfill < S_FILLERS &&
           (fd = open ("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
        self->fillers[self->nfill++] = fd;
    int probe[2];
    assert_int_equal (pipe2 (probe, O_CLOEXEC), -1); /* really short */
}

/*  The fds back.                                                         */
static void
s_feed (fixture_t *self)
{
    while (self->nfill > 0)
        close (self->fillers[--self->nfill]);
    if (self->starved)
        assert_int_equal (setrlimit (RLIMIT_NOFILE, &self->saved), 0);
    self->starved = false;
}

static void *
s_handler_thread (void *arg)
{
    fixture_t *self = arg;
    self->rc = exec_handler (&self->ctx, self->item, strlen (self->item),
                             &self->out, self->exec);
    atomic_store (&self->done, true);
    return NULL;
}

static void
s_exec_new (fixture_t *self, char **argv, bool pipe)
{
    exec_options_t opts;
    exec_options_init (&opts);
    opts.pipe = pipe;
    opts.timeout_ms = 5000; /* no test waits for ever */
    self->exec = exec_new (argv, &opts);
    assert_non_null (self->exec);
}

static int
s_setup (void **state)
{
    fixture_t *self = calloc (1, sizeof (fixture_t));
    assert_non_null (self);
    self->cancel = pp_chan_new (1, NULL);
    assert_non_null (self->cancel);
    self->ctx = (pp_job_ctx_t){.run_id = 1, .seq = 7, .cancel = self->cancel};
    self->out.max = 1024;
    atomic_init (&self->done, false);
    *state = self;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *self = *state;
    s_feed (self);
    exec_destroy (&self->exec);
    pp_chan_destroy (&self->cancel);
    pp_buf_free (&self->out);
    free (self);
    return 0;
}

/*  Starved, the item waits (no failure), then runs once fds are back.  */
static void
s_waits_then_runs (fixture_t *self, const char *want)
{
    int before = s_fds_open (NULL);
    s_starve (self);
    pthread_t thread;
    assert_int_equal (pthread_create (&thread, NULL, s_handler_thread, self),
                      0);
    s_nap_ms (300);
    bool done_while_short = atomic_load (&self->done);
    s_feed (self);
    assert_int_equal (pthread_join (thread, NULL), 0);
    assert_false (done_while_short);
    assert_int_equal (self->rc, 0);
    assert_string_equal (self->out.data, want);
    exec_shutdown (self->exec); /* a --pipe child ends */
    assert_int_equal (s_fds_open (NULL), before);
}

static void
test_item_waits_for_fds (void **state)
{
    fixture_t *self = *state;
    char *argv[] = {"echo", "{}", NULL};
    s_exec_new (self, argv, false);
    self->item = "42";
    s_waits_then_runs (self, "42");
}

static void
test_pipe_waits_for_fds (void **state)
{
    fixture_t *self = *state;
    char *argv[] = {"cat", NULL};
    s_exec_new (self, argv, true);
    self->item = "43";
    s_waits_then_runs (self, "43");
}

/*  Never fed: an abort ends the wait at once; the item fails "aborted". */
static void
test_abort_ends_the_wait (void **state)
{
    fixture_t *self = *state;
    char *argv[] = {"echo", "{}", NULL};
    s_exec_new (self, argv, false);
    self->item = "44";
    s_starve (self);
    pthread_t thread;
    assert_int_equal (pthread_create (&thread, NULL, s_handler_thread, self),
                      0);
    s_nap_ms (1500); /* the wait has grown to its longest, 1 s */
    int64_t start = s_now_ms ();
    pp_chan_abort (self->cancel);
    assert_int_equal (pthread_join (thread, NULL), 0);
    int64_t took = s_now_ms () - start;
    assert_true (took < 500);
    assert_int_equal (self->rc, -1);
    assert_string_equal (self->out.data, "aborted");
}

/*  Commands that cannot run, fail, or die in --pipe mode leave no fd.   */
static void
test_no_fd_left (void **state)
{
    fixture_t *self = *state;
    int before = s_fds_open (NULL);
    char *missing[] = {"/nonexistent/pp-test-cmd", "{}", NULL};
    s_exec_new (self, missing, false);
    self->item = "1";
    s_handler_thread (self);
    assert_int_equal (self->rc, -1);
    assert_non_null (strstr (self->out.data, "cannot run"));
    exec_destroy (&self->exec);
    /* the item as an argument: fed on stdin, a command that exits without
       reading it may or may not refuse it first ("did not read all") */
    char *failing[] = {"sh", "-c", "sleep 1000 & exit 3", "sh", "{}", NULL};
    s_exec_new (self, failing, false);
    s_handler_thread (self);
    assert_int_equal (self->rc, -1);
    assert_string_equal (self->out.data, "exit status 3");
    exec_destroy (&self->exec);
    char *dying[] = {"sh", "-c", "read x; exit 5", NULL};
    s_exec_new (self, dying, true);
    s_handler_thread (self);
    assert_int_equal (self->rc, -1);
    assert_string_equal (self->out.data, "pipe command exited with status 5");
    exec_destroy (&self->exec);
    assert_int_equal (s_fds_open (NULL), before);
}

/*  --- room for fewer commands than threads ------------------------------ */

#define S_GATED 4 /* job threads sharing room for one command */

typedef struct {
    fixture_t *fixture;
    pp_job_ctx_t ctx;
    pp_buf_t out;
    int rc;
} s_thread_t;

static void *
s_gated_thread (void *arg)
{
    s_thread_t *self = arg;
    self->rc = exec_handler (&self->ctx, self->fixture->item,
                             strlen (self->fixture->item), &self->out,
                             self->fixture->exec);
    return NULL;
}

/*  Runs the fixture's item on S_GATED threads at once, gated to one
    command, and returns when all have.                                   */
static void
s_run_gated (fixture_t *self, char **argv, s_thread_t *threads)
{
    exec_options_t opts;
    exec_options_init (&opts);
    opts.threads = S_GATED;
    opts.max_children = 1;
    opts.timeout_ms = 20000;
    self->exec = exec_new (argv, &opts);
    assert_non_null (self->exec);
    pthread_t ids[S_GATED];
    for (int i = 0; i < S_GATED; i++) {
        threads[i] = (s_thread_t){.fixture = self, .ctx = self->ctx};
        threads[i].ctx.seq = (uint64_t) i + 1;
        threads[i].out.max = 1024;
        assert_int_equal (
            pthread_create (&ids[i], NULL, s_gated_thread, &threads[i]), 0);
    }
    for (int i = 0; i < S_GATED; i++)
        assert_int_equal (pthread_join (ids[i], NULL), 0);
}

/*  Each command holds a lock directory for 50 ms: made twice at once,
    mkdir fails and so does the item. All succeed: one at a time.        */
static void
test_gate_one_at_a_time (void **state)
{
    fixture_t *self = *state;
    char dir[] = "/tmp/pp-test-gate.XXXXXX";
    assert_non_null (mkdtemp (dir));
    self->item = dir;
    char *argv[] = {"sh",
                    "-c",
                    "mkdir \"$1/lock\" && sleep 0.05 && "
                    "rmdir \"$1/lock\" && echo ok",
                    "sh",
                    "{}",
                    NULL};
    s_thread_t threads[S_GATED];
    s_run_gated (self, argv, threads);
    for (int i = 0; i < S_GATED; i++) {
        assert_int_equal (threads[i].rc, 0);
        assert_string_equal (threads[i].out.data, "ok");
        pp_buf_free (&threads[i].out);
    }
    assert_int_equal (rmdir (dir), 0);
}

/*  One command runs for ever; an abort ends it and the others' wait for
    room at once: every item fails "aborted".                             */
static void *
s_abort_later (void *arg)
{
    s_nap_ms (300);
    pp_chan_abort (arg);
    return NULL;
}

static void
test_gate_abort_ends_the_wait (void **state)
{
    fixture_t *self = *state;
    self->item = "60";
    char *argv[] = {"sleep", "{}", NULL};
    pthread_t aborter;
    assert_int_equal (
        pthread_create (&aborter, NULL, s_abort_later, self->cancel), 0);
    int64_t start = s_now_ms ();
    s_thread_t threads[S_GATED];
    s_run_gated (self, argv, threads);
    assert_true (s_now_ms () - start < 2000);
    assert_int_equal (pthread_join (aborter, NULL), 0);
    for (int i = 0; i < S_GATED; i++) {
        assert_int_equal (threads[i].rc, -1);
        assert_string_equal (threads[i].out.data, "aborted");
        pp_buf_free (&threads[i].out);
    }
}

int
main (void)
{
    signal (SIGPIPE, SIG_IGN); /* what exec.h asks of the process */
    signal (SIGCHLD, SIG_DFL);
    zsys_handler_set (NULL);
    zsys_init (); /* its fds are taken before any test is short of them */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_item_waits_for_fds, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_pipe_waits_for_fds, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_abort_ends_the_wait, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_no_fd_left, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_gate_one_at_a_time, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_gate_abort_ends_the_wait, s_setup,
                                         s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
