/*  exec_run: one item's exchange with a running child.                   */

#include "exec_run.h"
#include "pp_error.h"
#include "pp_net.h"

#include <czmq.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

#define S_ABORT_CHECK_MS 100 /* pp_job_aborted at least this often */
#define S_EXIT_POLL_MS 10    /* without a pidfd, waitid this often */
#define S_RETRY_MAX_MS 1000  /* the longest wait, doubling up to it */

/*  "2s", "1m" or "500ms", the way a user would write ms back.            */
static void
s_duration (int64_t ms, char *text, size_t size)
{
    if (ms >= 60000 && ms % 60000 == 0)
        snprintf (text, size, "%lldm", (long long) (ms / 60000));
    else if (ms >= 1000 && ms % 1000 == 0)
        snprintf (text, size, "%llds", (long long) (ms / 1000));
    else
        snprintf (text, size, "%lldms", (long long) ms);
}

/*  --- the clock ---------------------------------------------------------- */

void
exec_run_clock (exec_run_t *run)
{
    int64_t now = pp_now_ms ();
    int64_t timeout = run->conf->timeout_ms;
    run->deadline = timeout > 0 ? now + timeout : INT64_MAX;
    run->next_check = now + S_ABORT_CHECK_MS;
}

void
exec_run_init (exec_run_t *run, const exec_conf_t *conf, pp_job_ctx_t *ctx,
               pp_buf_t *out)
{
    memset (run, 0, sizeof (*run));
    run->conf = conf;
    run->ctx = ctx;
    run->out = out;
    exec_run_clock (run);
}

exec_end_t
exec_run_check (exec_run_t *run, int *wait_ms)
{
    int64_t now = pp_now_ms ();
    if (now >= run->deadline)
        return EXEC_TIMED_OUT;
    if (now >= run->next_check) {
        if (pp_job_aborted (run->ctx))
            return EXEC_ABORTED;
        run->next_check = now + S_ABORT_CHECK_MS;
    }
    int64_t until =
        run->deadline < run->next_check ? run->deadline : run->next_check;
    *wait_ms = (int) (until - now);
    return EXEC_RUNNING;
}

/*  --- talking to a child ------------------------------------------------- */

bool
exec_run_writing (const exec_child_t *child, const exec_input_t *input)
{
    return child->in >= 0 && input->sent <= input->len;
}

void
exec_run_send (exec_child_t *child, exec_input_t *input, bool close_after)
{
    static char newline[] = "\n";
    while (exec_run_writing (child, input)) {
        struct iovec iov[2];
        int n = 0;
        if (input->sent < input->len)
            iov[n++] = (struct iovec){(char *) input->data + input->sent,
                                      input->len - input->sent};
        iov[n++] = (struct iovec){newline, 1};
        ssize_t rc = writev (child->in, iov, n);
        if (rc > 0)
            input->sent += (size_t) rc;
        else if (rc < 0 && errno == EAGAIN)
            return;
        else if (!(rc < 0 && errno == EINTR)) {
            input->refused = true;
            exec_child_close (&child->in);
        }
    }
    if (close_after)
        exec_child_close (&child->in);
}

/*  Reads once, at most *left bytes, of the child's stderr; closes it at
    EOF.                                                                   */
static void
s_read_stderr (exec_child_t *child, exec_errlog_t *errlog, size_t *left)
{
    char data[4096];
    ssize_t n = exec_child_read (&child->err, data, sizeof (data), left);
    if (n > 0)
        exec_errlog_feed (errlog, data, (size_t) n);
    else if (n < 0)
        exec_errlog_flush (errlog);
}

void
exec_run_drain_stderr (exec_child_t *child, exec_errlog_t *errlog)
{
    for (size_t left = exec_child_pending (child->err); left > 0;)
        s_read_stderr (child, errlog, &left);
}

int
exec_run_pump (exec_run_t *run, bool close_after, int ms)
{
    exec_child_t *child = run->child;
    struct pollfd fds[4] = {
        {child->out, POLLIN, 0},
        {child->err, POLLIN, 0},
        {exec_run_writing (child, &run->input) ? child->in : -1, POLLOUT, 0},
        {child->pidfd, POLLIN, 0}};
    if (child->pidfd < 0 && ms > S_EXIT_POLL_MS)
        ms = S_EXIT_POLL_MS;
    if (poll (fds, 4, ms) < 0) {
        run->err = errno;
        return errno == EINTR ? 0 : PP_EIO;
    }
    if (fds[2].revents)
        exec_run_send (child, &run->input, close_after);
    size_t any = SIZE_MAX;
    if (fds[1].revents)
        s_read_stderr (child, run->errlog, &any);
    run->exited =
        child->pidfd >= 0 ? fds[3].revents != 0 : exec_child_exited (child, 0);
    return fds[0].revents ? 1 : 0;
}

/*  --- outcomes ----------------------------------------------------------- */

void
exec_run_status (exec_run_t *run, int wait_status)
{
    pp_job_set_status (run->ctx, WIFSIGNALED (wait_status)
                                     ? -WTERMSIG (wait_status)
                                     : WEXITSTATUS (wait_status));
}

int
exec_run_fail (exec_run_t *run, const char *fmt, ...)
{
    char text[EXEC_REASON_MAX + 128];
    va_list args;
    va_start (args, fmt);
    vsnprintf (text, 128, fmt, args);
    va_end (args);
    size_t len = strlen (text);
    if (len == 127) /* cut: not inside a character */
        text[len = exec_errlog_whole (text, len)] = '\0';
    const char *said = run->errlog ? exec_errlog_text (run->errlog) : "";
    snprintf (text + len, sizeof (text) - len, "%s%s%s",
              run->input.refused ? " (it did not read all its input)" : "",
              *said ? ": " : "", said);
    if (strlen (text) > EXEC_REASON_MAX) /* cut between characters */
        memcpy (text + exec_errlog_whole (text, EXEC_REASON_MAX - 3), "...", 4);
    pp_buf_printf (run->out, "%s", text);
    return -1;
}

int
exec_run_fail_status (exec_run_t *run, const char *prefix, int status)
{
    if (WIFSIGNALED (status))
        return exec_run_fail (run, "%skilled by signal %d", prefix,
                              WTERMSIG (status));
    return exec_run_fail (run, "%sexit%s status %d", prefix,
                          *prefix ? "ed with" : "", WEXITSTATUS (status));
}

int
exec_run_fail_end (exec_run_t *run, exec_end_t end)
{
    char text[32];
    switch (end) {
        case EXEC_TIMED_OUT:
            s_duration (run->conf->timeout_ms, text, sizeof (text));
            return exec_run_fail (run, "timed out after %s", text);
        case EXEC_ABORTED: return exec_run_fail (run, "aborted");
        case EXEC_NOT_STARTED:
            return exec_run_fail (run, "cannot run %s: %s", run->conf->name,
                                  strerror (run->err));
        case EXEC_TOO_BIG:
            return exec_run_fail (run, "result too large (over %zu bytes)",
                                  run->out->max);
        default:
            return exec_run_fail (run, "cannot talk to the command: %s",
                                  strerror (run->err));
    }
}

int64_t
exec_run_short_grace (const exec_conf_t *conf)
{
    return conf->kill_grace_ms < EXEC_ABORT_GRACE_MS ? conf->kill_grace_ms
                                                     : EXEC_ABORT_GRACE_MS;
}

int64_t
exec_run_grace (const exec_run_t *run, exec_end_t end)
{
    int64_t grace = run->conf->kill_grace_ms;
    if (end == EXEC_ABORTED && grace > EXEC_ABORT_GRACE_MS)
        grace = EXEC_ABORT_GRACE_MS;
    return grace;
}

/*  --- short of resources ------------------------------------------------- */

int
exec_run_enter (exec_conf_t *conf, pp_job_ctx_t *ctx)
{
    if (!conf->gated)
        return 0;
    for (;;) {
        struct timespec until;
        clock_gettime (CLOCK_MONOTONIC, &until);
        until.tv_nsec += 100 * 1000000L; /* an abort is seen in 100 ms */
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        if (sem_clockwait (&conf->room, CLOCK_MONOTONIC, &until) == 0)
            return 0;
        if (pp_job_aborted (ctx))
            return PP_EABORTED;
    }
}

void
exec_run_leave (exec_conf_t *conf)
{
    if (conf->gated)
        sem_post (&conf->room);
}

bool
exec_run_short_of (int err)
{
    return err == EMFILE || err == ENFILE || err == EAGAIN || err == ENOMEM;
}

/*  Says, once per kind of shortage, what is short and how to get more.  */
static void
s_short_tell (exec_conf_t *conf, int err)
{
    static const char *const cures[] = {"raise ulimit -n",
                                        "raise the system's fs.file-max",
                                        "raise ulimit -u", "free some memory"};
    int kind = err == EMFILE ? 0 : err == ENFILE ? 1 : err == EAGAIN ? 2 : 3;
    if (atomic_fetch_or (&conf->told, 1u << kind) & (1u << kind))
        return;
    char limit[64] = "";
    struct rlimit rl;
    if ((kind == 0 || kind == 2) &&
        getrlimit (kind == 0 ? RLIMIT_NOFILE : RLIMIT_NPROC, &rl) == 0 &&
        rl.rlim_cur != RLIM_INFINITY)
        snprintf (limit, sizeof (limit), " (ulimit -%c is %llu)",
                  kind == 0 ? 'n' : 'u', (unsigned long long) rl.rlim_cur);
    zsys_warning ("cannot start %s: %s%s; its items wait and are tried "
                  "again, not failed -- %s, or use fewer --threads",
                  conf->name, strerror (err), limit, cures[kind]);
}

int
exec_run_backoff (exec_conf_t *conf, pp_job_ctx_t *ctx, int err,
                  int64_t *delay_ms)
{
    s_short_tell (conf, err);
    int rc = pp_job_sleep (ctx, *delay_ms);
    *delay_ms *= 2;
    if (*delay_ms > S_RETRY_MAX_MS)
        *delay_ms = S_RETRY_MAX_MS;
    return rc;
}
