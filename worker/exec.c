/*  exec: "run any command" jobs, per item or --pipe.

    A child runs in its own process group and sees only fds 0, 1 and 2. We
    talk to it through O_CLOEXEC pipes and poll, never blocking longer than
    S_ABORT_CHECK_MS, so --timeout and an abort are noticed in time. A
    child's exit is seen through a pidfd in the same poll (else by waitid
    every S_EXIT_POLL_MS), not through the EOF of its stdout: something it
    left running in its group may hold that open for ever. Once it has
    exited, all it wrote is in the pipes; we take that much and no more.
    Exited, it stays a zombie (waitid with WNOWAIT), so its pid and process
    group cannot be reused, until we have ended whatever else is left in
    its group; then it is reaped.                                          */

#include "exec.h"
#include "pp_error.h"
#include "pp_job_internal.h"
#include "pp_net.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#if defined(__GLIBC__) &&                                                      \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
#define S_HAVE_CLOSEFROM 1 /* the child closes every fd from 3 up */
#endif

#define S_ABORT_CHECK_MS 100 /* pp_job_aborted at least this often */
#define S_ABORT_GRACE_MS 200 /* SIGTERM -> SIGKILL when aborted */
#define S_EOF_GRACE_MS 100   /* a pipe child may leave on EOF this long */
#define S_EXIT_POLL_MS 10    /* without a pidfd, waitid this often */
#define S_RETRY_MS 10        /* first wait when a child cannot start */
#define S_RETRY_MAX_MS 1000  /* the longest, doubling up to it */
#define S_REASON_MAX 199     /* a whole reason, as pp_stats keeps it */
#define S_LINE_MAX 1024      /* a longer --tag line is cut in pieces */
#define S_CHUNK 16384        /* one read of a per-item child's stdout */
#define S_PIPE_BUF 65536     /* read-ahead of a --pipe child's stdout */
#define S_BATCH_BYTES 16384  /* a --pipe batch written at once, at most */

extern char **environ;

/*  A running child and our ends of its pipes (-1 when closed).           */
typedef struct {
    pid_t pid; /* 0: none */
    int in;    /* write end of its stdin (non-blocking) */
    int out;   /* read end of its stdout */
    int err;   /* read end of its stderr (--tag, --stderr-reason) */
    int pidfd; /* readable once it has exited; -1: none, use waitid */
} s_child_t;

/*  Where a child's stderr goes once we read it.                          */
typedef struct {
    bool tag;                      /* to our stderr, "[SEQ] " first */
    bool capture;                  /* kept for the failure reason */
    uint64_t seq;                  /* the tag */
    size_t line_len;               /* of the partial line */
    size_t kept;                   /* of reason */
    char line[S_LINE_MAX];         /* a line being assembled */
    char reason[S_REASON_MAX + 1]; /* stderr, on one line */
} s_errlog_t;

/*  The item on its way to the child's stdin: data, then a newline.       */
typedef struct {
    const char *data;
    size_t len;   /* of data */
    size_t sent;  /* of len + 1 */
    bool refused; /* the child closed its stdin before reading it all */
    bool unread;  /* --pipe: the child left before reading any of it */
} s_input_t;

/*  How waiting for a child ended.                                        */
typedef enum {
    S_RUNNING,    /* not yet: wait on */
    S_DONE,       /* --pipe: a whole line of result arrived */
    S_EXITED,     /* the child exited (--pipe: or closed its output) */
    S_TIMED_OUT,  /* --timeout ran out */
    S_ABORTED,    /* the run was aborted */
    S_TOO_BIG,    /* the result went past out->max */
    S_IO_ERROR,   /* poll, read or memory failed (errno in err) */
    S_NOT_STARTED /* --pipe: the command could not start (errno in err) */
} s_end_t;

/*  A --pipe child of one job thread.                                     */
typedef struct {
    atomic_bool claimed; /* a live job thread owns this slot */
    s_child_t child;
    uint64_t run_id; /* the run it was started for (its PP_RUN) */
    char *buf;       /* read-ahead of its stdout, S_PIPE_BUF bytes */
    size_t pos, len; /* unconsumed bytes are buf[pos..len) */
    s_errlog_t errlog;
} s_pipe_t;

struct _exec_t {
    char **argv;  /* CMD ARGS, NULL-terminated */
    bool *braces; /* argv[i] holds "{}" */
    int argc;
    bool substitute; /* some argv[i] holds "{}": no stdin */
    exec_options_t opts;
    char **env;      /* environment snapshot + 4 free slots */
    size_t nenv;     /* entries before the free slots */
    s_pipe_t *pipes; /* opts.threads slots (--pipe) */
    int npipes;
    pthread_key_t key; /* a job thread's s_pipe_t */
    bool has_key;
    atomic_uint told; /* the shortages logged, a bit each (s_short_tell) */
};

/*  One item being run: what every wait loop needs.                       */
typedef struct {
    const exec_t *exec;
    pp_job_ctx_t *ctx;
    s_child_t *child;
    s_errlog_t *errlog;
    s_input_t input;
    pp_buf_t *out;
    int64_t deadline;   /* INT64_MAX without --timeout */
    int64_t next_check; /* when to ask pp_job_aborted next */
    int err;            /* errno of an S_IO_ERROR */
    bool exited;        /* the child has exited (seen by s_pump) */
} s_run_t;

/*  --- small helpers ---------------------------------------------------- */

static void
s_close (int *fd)
{
    if (*fd >= 0)
        close (*fd);
    *fd = -1;
}

static void
s_close_fds (s_child_t *child)
{
    s_close (&child->in);
    s_close (&child->out);
    s_close (&child->err);
    s_close (&child->pidfd);
}

/*  Bytes waiting in the pipe fd; 0 when closed or unknown.              */
static size_t
s_pending (int fd)
{
    int count = 0;
    if (fd < 0 || ioctl (fd, FIONREAD, &count) != 0 || count < 0)
        return 0;
    return (size_t) count;
}

/*  One read of at most *left bytes (non-blocking), counted off *left.
    Returns the count; 0 when nothing is there now (*left = 0 but after
    EINTR); -1 at EOF (errno 0) or on an error, *fd closed, *left = 0.    */
static ssize_t
s_read_fd (int *fd, char *data, size_t size, size_t *left)
{
    ssize_t n = read (*fd, data, size < *left ? size : *left);
    if (n > 0) {
        *left -= (size_t) n;
        return n;
    }
    if (n < 0 && errno == EINTR)
        return 0;
    *left = 0;
    if (n < 0 && errno == EAGAIN)
        return 0;
    int err = n == 0 ? 0 : errno;
    s_close (fd);
    errno = err;
    return -1;
}

static void
s_nap_us (long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep (&ts, NULL);
}

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

/*  --- the child's stderr ------------------------------------------------ */

/*  Writes the assembled line with its tag, as one write (whole lines from
    several threads do not mix).                                           */
static void
s_errlog_emit (s_errlog_t *self)
{
    if (self->line[self->line_len - 1] != '\n')
        self->line[self->line_len++] = '\n';
    char tag[32];
    int size =
        snprintf (tag, sizeof (tag), "[%llu] ", (unsigned long long) self->seq);
    struct iovec iov[2] = {{tag, (size_t) size}, {self->line, self->line_len}};
    ssize_t rc = writev (STDERR_FILENO, iov, 2);
    (void) rc; /* nowhere to report that stderr failed */
    self->line_len = 0;
}

/*  Keeps the first S_REASON_MAX bytes, on one line.                      */
static void
s_errlog_keep (s_errlog_t *self, const char *data, size_t len)
{
    for (size_t i = 0; i < len && self->kept < S_REASON_MAX; i++) {
        char c = data[i];
        self->reason[self->kept++] =
            c == '\n' || c == '\r' || c == '\t' ? ' ' : c;
    }
}

static void
s_errlog_feed (s_errlog_t *self, const char *data, size_t len)
{
    if (self->capture)
        s_errlog_keep (self, data, len);
    if (!self->tag)
        return;
    for (size_t i = 0; i < len; i++) {
        self->line[self->line_len++] = data[i];
        if (data[i] == '\n' || self->line_len == S_LINE_MAX - 1)
            s_errlog_emit (self);
    }
}

/*  Writes out a last line that had no newline.                           */
static void
s_errlog_flush (s_errlog_t *self)
{
    if (self->tag && self->line_len > 0)
        s_errlog_emit (self);
}

/*  The captured stderr, trimmed; "" when none.                          */
static const char *
s_errlog_text (s_errlog_t *self)
{
    size_t len = self->kept;
    while (len > 0 && self->reason[len - 1] == ' ')
        len--;
    size_t start = 0;
    while (start < len && self->reason[start] == ' ')
        start++;
    self->reason[len] = '\0';
    return self->reason + start;
}

/*  --- starting and ending a child --------------------------------------- */

static int
s_spawn_fds (char **argv, char **envp, int in, int out, int err, pid_t *pid)
{
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    sigset_t mask, deflt;
    sigemptyset (&mask);
    sigemptyset (&deflt);
    sigaddset (&deflt, SIGPIPE); /* we ignore it; the child must not */
    int rc = posix_spawn_file_actions_init (&actions);
    if (rc != 0)
        return rc;
    if ((rc = posix_spawnattr_init (&attr)) != 0) {
        posix_spawn_file_actions_destroy (&actions);
        return rc;
    }
    rc = in >= 0 ? posix_spawn_file_actions_adddup2 (&actions, in, 0)
                 : posix_spawn_file_actions_addopen (&actions, 0, "/dev/null",
                                                     O_RDONLY, 0);
    rc = rc ? rc : posix_spawn_file_actions_adddup2 (&actions, out, 1);
    if (err >= 0)
        rc = rc ? rc : posix_spawn_file_actions_adddup2 (&actions, err, 2);
#ifdef S_HAVE_CLOSEFROM
    rc = rc ? rc : posix_spawn_file_actions_addclosefrom_np (&actions, 3);
#endif
    rc = rc ? rc : posix_spawnattr_setsigmask (&attr, &mask);
    rc = rc ? rc : posix_spawnattr_setsigdefault (&attr, &deflt);
    rc = rc ? rc : posix_spawnattr_setpgroup (&attr, 0);
    rc = rc ? rc
            : posix_spawnattr_setflags (&attr, POSIX_SPAWN_SETPGROUP |
                                                   POSIX_SPAWN_SETSIGMASK |
                                                   POSIX_SPAWN_SETSIGDEF);
    rc = rc ? rc : posix_spawnp (pid, argv[0], &actions, &attr, argv, envp);
    posix_spawnattr_destroy (&attr);
    posix_spawn_file_actions_destroy (&actions);
    return rc;
}

/*  A pidfd for our child pid (close-on-exec), else -1: no such system
    call, or no fd free -- then its exit is looked for with waitid.       */
static int
s_pidfd (pid_t pid)
{
#ifdef SYS_pidfd_open
    return (int) syscall (SYS_pidfd_open, pid, 0);
#else
    (void) pid;
    return -1;
#endif
}

/*  Starts argv with pipes to its stdin (else /dev/null), stdout and, when
    we tag or capture it, stderr. Returns 0, or PP_EIO with errno set.    */
static int
s_spawn (const exec_t *self, char **argv, char **envp, bool with_stdin,
         s_child_t *child)
{
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
    bool errpipe = self->opts.tag || self->opts.stderr_reason;
    int rc = 0;
    pid_t pid = 0;
    if ((with_stdin && pipe2 (in, O_CLOEXEC) != 0) ||
        pipe2 (out, O_CLOEXEC) != 0 || (errpipe && pipe2 (err, O_CLOEXEC) != 0))
        rc = errno;
    else
        rc = s_spawn_fds (argv, envp, in[0], out[1], err[1], &pid);
    s_close (&in[0]);
    s_close (&out[1]);
    s_close (&err[1]);
    *child = (s_child_t){rc == 0 ? pid : 0, in[1], out[0], err[0], -1};
    if (rc != 0) {
        s_close_fds (child);
        errno = rc;
        return PP_EIO;
    }
    int ends[] = {child->in, child->out, child->err};
    for (int i = 0; i < 3; i++)
        if (ends[i] >= 0)
            fcntl (ends[i], F_SETFL, O_NONBLOCK); /* our ends only */
    child->pidfd = s_pidfd (child->pid);
    return 0;
}

/*  Waits up to ms for the child to exit, leaving it unreaped. True once
    it has exited (or there is nothing to wait for).                       */
static bool
s_wait_exit (pid_t pid, int64_t ms)
{
    int64_t deadline = pp_now_ms () + ms;
    long nap_us = 50;
    for (;;) {
        siginfo_t info;
        memset (&info, 0, sizeof (info));
        if (waitid (P_PID, (id_t) pid, &info, WEXITED | WNOHANG | WNOWAIT) !=
            0) {
            if (errno == EINTR)
                continue;
            return true;
        }
        if (info.si_pid == pid)
            return true;
        int64_t left = deadline - pp_now_ms ();
        if (left <= 0)
            return false;
        s_nap_us (nap_us < left * 1000 ? nap_us : (long) left * 1000);
        nap_us = nap_us < 10000 ? nap_us * 2 : 20000;
    }
}

/*  Reads and drops what the child's pipes carry until they close, at most
    ms: whatever holds them has been told to leave.                       */
static void
s_wait_eof (s_child_t *child, int64_t ms)
{
    int64_t deadline = pp_now_ms () + ms;
    char data[4096];
    while (child->out >= 0 || child->err >= 0) {
        int64_t left = deadline - pp_now_ms ();
        struct pollfd fds[2] = {{child->out, POLLIN, 0},
                                {child->err, POLLIN, 0}};
        if (left <= 0 || (poll (fds, 2, (int) left) < 0 && errno != EINTR))
            return;
        for (int i = 0; i < 2; i++) {
            size_t any = SIZE_MAX;
            if (fds[i].revents)
                s_read_fd (i ? &child->err : &child->out, data, sizeof (data),
                           &any);
        }
    }
}

/*  Kills whatever is left in the child's group, reaps the child, closes
    our pipe ends. Returns its wait status.                                */
static int
s_reap (s_child_t *child)
{
    s_close_fds (child);
    kill (-child->pid, SIGKILL);
    int status = 0;
    while (waitpid (child->pid, &status, 0) == -1 && errno == EINTR)
        ;
    child->pid = 0;
    return status;
}

/*  Ends what an exited child left in its group and reaps the child: while
    its stdout or stderr is open, the group gets SIGTERM and up to grace_ms
    for them to close (at once when nothing else holds them), then the
    group gets SIGKILL. Returns the child's wait status.                   */
static int
s_reap_exited (s_child_t *child, int64_t grace_ms)
{
    s_close (&child->in);
    if (child->out >= 0 || child->err >= 0) {
        kill (-child->pid, SIGTERM);
        s_wait_eof (child, grace_ms);
    }
    return s_reap (child);
}

/*  Stops a child: pipes closed, SIGTERM to its group, SIGKILL when it has
    left or grace_ms passed, reaped. Returns its wait status.              */
static int
s_child_end (s_child_t *child, int64_t grace_ms)
{
    s_close_fds (child);
    kill (-child->pid, SIGTERM);
    s_wait_exit (child->pid, grace_ms);
    return s_reap (child);
}

/*  --- talking to a child ------------------------------------------------ */

static bool
s_writing (const s_child_t *child, const s_input_t *input)
{
    return child->in >= 0 && input->sent <= input->len;
}

/*  Writes what it can of the input without blocking; close_after closes
    the child's stdin once all is sent. EPIPE: the child refused the rest. */
static void
s_send (s_child_t *child, s_input_t *input, bool close_after)
{
    static char newline[] = "\n";
    while (s_writing (child, input)) {
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
            s_close (&child->in);
        }
    }
    if (close_after)
        s_close (&child->in);
}

/*  Reads once, at most *left bytes, of the child's stderr; closes it at
    EOF.                                                                   */
static void
s_read_stderr (s_child_t *child, s_errlog_t *errlog, size_t *left)
{
    char data[4096];
    ssize_t n = s_read_fd (&child->err, data, sizeof (data), left);
    if (n > 0)
        s_errlog_feed (errlog, data, (size_t) n);
    else if (n < 0)
        s_errlog_flush (errlog);
}

/*  Takes what an exited child's stderr holds now, without waiting.      */
static void
s_drain_stderr (s_child_t *child, s_errlog_t *errlog)
{
    for (size_t left = s_pending (child->err); left > 0;)
        s_read_stderr (child, errlog, &left);
}

/*  Waits up to ms for the child: sends input, reads stderr, sees whether
    it has exited (run->exited). Returns 1 when its stdout is readable (or
    at EOF), 0 when not, PP_EIO on failure.                                */
static int
s_pump (s_run_t *run, bool close_after, int ms)
{
    s_child_t *child = run->child;
    struct pollfd fds[4] = {
        {child->out, POLLIN, 0},
        {child->err, POLLIN, 0},
        {s_writing (child, &run->input) ? child->in : -1, POLLOUT, 0},
        {child->pidfd, POLLIN, 0}};
    if (child->pidfd < 0 && ms > S_EXIT_POLL_MS)
        ms = S_EXIT_POLL_MS;
    if (poll (fds, 4, ms) < 0) {
        run->err = errno;
        return errno == EINTR ? 0 : PP_EIO;
    }
    if (fds[2].revents)
        s_send (child, &run->input, close_after);
    size_t any = SIZE_MAX;
    if (fds[1].revents)
        s_read_stderr (child, run->errlog, &any);
    run->exited =
        child->pidfd >= 0 ? fds[3].revents != 0 : s_wait_exit (child->pid, 0);
    return fds[0].revents ? 1 : 0;
}

/*  S_TIMED_OUT, S_ABORTED, or S_RUNNING with how long the next wait may
    last. Asks pp_job_aborted only every S_ABORT_CHECK_MS: fast items never
    touch the channel's lock.                                              */
static s_end_t
s_check (s_run_t *run, int *wait_ms)
{
    int64_t now = pp_now_ms ();
    if (now >= run->deadline)
        return S_TIMED_OUT;
    if (now >= run->next_check) {
        if (pp_job_aborted (run->ctx))
            return S_ABORTED;
        run->next_check = now + S_ABORT_CHECK_MS;
    }
    int64_t until =
        run->deadline < run->next_check ? run->deadline : run->next_check;
    *wait_ms = (int) (until - now);
    return S_RUNNING;
}

/*  Starts the clock of --timeout: when the child has started.           */
static void
s_run_clock (s_run_t *run)
{
    int64_t now = pp_now_ms ();
    int64_t timeout = run->exec->opts.timeout_ms;
    run->deadline = timeout > 0 ? now + timeout : INT64_MAX;
    run->next_check = now + S_ABORT_CHECK_MS;
}

static void
s_run_init (s_run_t *run, const exec_t *exec, pp_job_ctx_t *ctx, pp_buf_t *out)
{
    memset (run, 0, sizeof (*run));
    run->exec = exec;
    run->ctx = ctx;
    run->out = out;
    s_run_clock (run);
}

/*  --- outcomes ------------------------------------------------------------ */

/*  Puts the reason in out, then the child's stderr (--stderr-reason) and a
    note when it did not read its input. Returns -1: the item failed.     */
static int s_fail (s_run_t *run, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

static int
s_fail (s_run_t *run, const char *fmt, ...)
{
    char text[S_REASON_MAX + 128];
    va_list args;
    va_start (args, fmt);
    vsnprintf (text, 128, fmt, args);
    va_end (args);
    size_t len = strlen (text);
    const char *said = run->errlog ? s_errlog_text (run->errlog) : "";
    snprintf (text + len, sizeof (text) - len, "%s%s%s",
              run->input.refused ? " (it did not read all its input)" : "",
              *said ? ": " : "", said);
    if (strlen (text) > S_REASON_MAX)
        memcpy (text + S_REASON_MAX - 3, "...", 4);
    pp_buf_printf (run->out, "%s", text);
    return -1;
}

/*  The reason for how the child ended (prefix: "" or "pipe command ").   */
static int
s_fail_status (s_run_t *run, const char *prefix, int status)
{
    if (WIFSIGNALED (status))
        return s_fail (run, "%skilled by signal %d", prefix, WTERMSIG (status));
    return s_fail (run, "%sexit%s status %d", prefix, *prefix ? "ed with" : "",
                   WEXITSTATUS (status));
}

/*  Every end but S_EXITED and S_DONE.                                    */
static int
s_fail_end (s_run_t *run, s_end_t end)
{
    char text[32];
    switch (end) {
        case S_TIMED_OUT:
            s_duration (run->exec->opts.timeout_ms, text, sizeof (text));
            return s_fail (run, "timed out after %s", text);
        case S_ABORTED: return s_fail (run, "aborted");
        case S_NOT_STARTED:
            return s_fail (run, "cannot run %s: %s", run->exec->argv[0],
                           strerror (run->err));
        case S_TOO_BIG:
            return s_fail (run, "result too large (over %zu bytes)",
                           run->out->max);
        default:
            return s_fail (run, "cannot talk to the command: %s",
                           strerror (run->err));
    }
}

/*  The grace of what an exited child left running, and of a --pipe child
    we end: --kill-grace, at most S_ABORT_GRACE_MS.                        */
static int64_t
s_short_grace (const exec_t *self)
{
    return self->opts.kill_grace_ms < S_ABORT_GRACE_MS
               ? self->opts.kill_grace_ms
               : S_ABORT_GRACE_MS;
}

static int64_t
s_grace (const s_run_t *run, s_end_t end)
{
    int64_t grace = run->exec->opts.kill_grace_ms;
    if (end == S_ABORTED && grace > S_ABORT_GRACE_MS)
        grace = S_ABORT_GRACE_MS;
    return grace;
}

/*  --- short of resources ---------------------------------------------------
 */

/*  True when err (from pipe2, posix_spawn or malloc) says this process or
    the system is short of what a child needs: fds, processes, memory.
    That is the worker's problem, not the item's: the item waits.         */
static bool
s_short_of (int err)
{
    return err == EMFILE || err == ENFILE || err == EAGAIN || err == ENOMEM;
}

/*  Says, once per kind of shortage, what is short and how to get more.  */
static void
s_short_tell (exec_t *self, int err)
{
    static const char *const cures[] = {"raise ulimit -n",
                                        "raise the system's fs.file-max",
                                        "raise ulimit -u", "free some memory"};
    int kind = err == EMFILE ? 0 : err == ENFILE ? 1 : err == EAGAIN ? 2 : 3;
    if (atomic_fetch_or (&self->told, 1u << kind) & (1u << kind))
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
                  self->argv[0], strerror (err), limit, cures[kind]);
}

/*  After a child could not start for want of err: says so (once), waits
    *delay_ms and doubles it for the next time, up to S_RETRY_MAX_MS.
    Returns 0 to try again, or PP_EABORTED: the run was aborted meanwhile. */
static int
s_backoff (exec_t *self, pp_job_ctx_t *ctx, int err, int64_t *delay_ms)
{
    s_short_tell (self, err);
    int rc = pp_job_sleep (ctx, *delay_ms);
    *delay_ms *= 2;
    if (*delay_ms > S_RETRY_MAX_MS)
        *delay_ms = S_RETRY_MAX_MS;
    return rc;
}

/*  --- one child per item ------------------------------------------------- */

/*  Copies arg with every "{}" replaced by item. NULL on OOM.            */
static char *
s_substitute (const char *arg, const char *item, size_t len)
{
    size_t count = 0;
    for (const char *at = strstr (arg, "{}"); at; at = strstr (at + 2, "{}"))
        count++;
    char *copy = malloc (strlen (arg) - 2 * count + count * len + 1);
    if (!copy)
        return NULL;
    char *to = copy;
    for (const char *at; (at = strstr (arg, "{}")); arg = at + 2) {
        memcpy (to, arg, (size_t) (at - arg));
        to += at - arg;
        memcpy (to, item, len);
        to += len;
    }
    strcpy (to, arg);
    return copy;
}

static void
s_argv_free (const exec_t *self, char **argv)
{
    if (!argv)
        return;
    for (int i = 0; i < self->argc; i++)
        if (self->braces[i])
            free (argv[i]);
    free (argv);
}

/*  The command line for item: "{}" replaced. NULL on OOM.               */
static char **
s_argv (const exec_t *self, const char *item, size_t len)
{
    char **argv = calloc ((size_t) self->argc + 1, sizeof (char *));
    if (!argv)
        return NULL;
    for (int i = 0; i < self->argc; i++) {
        argv[i] = self->braces[i] ? s_substitute (self->argv[i], item, len)
                                  : self->argv[i];
        if (!argv[i]) {
            s_argv_free (self, argv);
            return NULL;
        }
    }
    return argv;
}

/*  The environment snapshot plus PP_SEQ (when with_seq), PP_RUN and
    PP_WORKER, written in vars. The caller frees the array; NULL on OOM.  */
static char **
s_env (const exec_t *self, pp_job_ctx_t *ctx, bool with_seq, char vars[3][48])
{
    char **envp = malloc ((self->nenv + 4) * sizeof (char *));
    if (!envp)
        return NULL;
    memcpy (envp, self->env, self->nenv * sizeof (char *));
    size_t n = self->nenv;
    snprintf (vars[0], 48, "PP_RUN=%016llx",
              (unsigned long long) pp_job_run_id (ctx));
    snprintf (vars[1], 48, "PP_WORKER=%08x", pp_job_worker_id (ctx));
    snprintf (vars[2], 48, "PP_SEQ=%llu",
              (unsigned long long) pp_job_seq (ctx));
    envp[n++] = vars[0];
    envp[n++] = vars[1];
    if (with_seq)
        envp[n++] = vars[2];
    envp[n] = NULL;
    return envp;
}

/*  Reads once, at most *left bytes, of the child's stdout into out;
    closes it at EOF.                                                      */
static s_end_t
s_read_result (s_run_t *run, size_t *left)
{
    char chunk[S_CHUNK];
    ssize_t n = s_read_fd (&run->child->out, chunk, sizeof (chunk), left);
    if (n <= 0) {
        run->err = errno;
        return n == 0 || errno == 0 ? S_RUNNING : S_IO_ERROR;
    }
    int rc = pp_buf_append (run->out, chunk, (size_t) n);
    run->err = ENOMEM;
    return rc == 0 ? S_RUNNING : rc == PP_ETOOBIG ? S_TOO_BIG : S_IO_ERROR;
}

/*  The child has exited, so all it wrote is in its pipes: takes that much
    without waiting. What it left running in its group may write on; that
    is not the item's. S_EXITED, or how taking it failed.                  */
static s_end_t
s_take_rest (s_run_t *run)
{
    s_child_t *child = run->child;
    if (s_writing (child, &run->input))
        run->input.refused = true;
    s_close (&child->in);
    s_drain_stderr (child, run->errlog);
    s_end_t end = S_RUNNING;
    for (size_t left = s_pending (child->out); left > 0 && end == S_RUNNING;)
        end = s_read_result (run, &left);
    return end == S_RUNNING ? S_EXITED : end;
}

/*  Feeds the child and reads its output until it exits -- not until its
    output ends: a process it left in the background may hold that open. */
static s_end_t
s_collect (s_run_t *run)
{
    s_send (run->child, &run->input, true);
    for (;;) {
        int wait_ms;
        s_end_t end = s_check (run, &wait_ms);
        if (end != S_RUNNING)
            return end;
        int rc = s_pump (run, true, wait_ms);
        if (rc < 0)
            return S_IO_ERROR;
        size_t any = SIZE_MAX;
        if (rc > 0 && (end = s_read_result (run, &any)) != S_RUNNING)
            return end;
        if (run->exited)
            return s_take_rest (run);
    }
}

/*  Runs the started child to its end and turns that into the outcome.   */
static int
s_run_child (s_run_t *run)
{
    pp_buf_t *out = run->out;
    size_t max = out->max;
    if (max < SIZE_MAX)
        out->max = max + 1; /* room for the newline that is stripped */
    s_end_t end = s_collect (run);
    out->max = max;
    int status = end == S_EXITED
                     ? s_reap_exited (run->child, s_short_grace (run->exec))
                     : s_child_end (run->child, s_grace (run, end));
    s_errlog_flush (run->errlog);
    if (end != S_EXITED)
        return s_fail_end (run, end);
    if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
        return s_fail_status (run, "", status);
    if (out->len > 0 && out->data[out->len - 1] == '\n')
        out->data[--out->len] = '\0';
    return out->len > max ? s_fail_end (run, S_TOO_BIG) : 0;
}

/*  Starts the command for item once. Returns 0, or an error with errno.  */
static int
s_item_spawn (const exec_t *self, pp_job_ctx_t *ctx, const char *item,
              size_t len, s_child_t *child)
{
    char vars[3][48];
    char **argv = s_argv (self, item, len);
    char **envp = s_env (self, ctx, true, vars);
    errno = ENOMEM;
    int rc = argv && envp ? s_spawn (self, argv, envp, !self->substitute, child)
                          : PP_ENOMEM;
    int err = errno;
    s_argv_free (self, argv);
    free (envp);
    errno = err;
    return rc;
}

/*  Starts the command for item, waiting while we are short of fds,
    processes or memory. Returns 0, PP_EABORTED, or an error with errno:
    it cannot run (ENOENT, E2BIG, ...).                                    */
static int
s_item_start (exec_t *self, pp_job_ctx_t *ctx, const char *item, size_t len,
              s_child_t *child)
{
    int64_t delay = S_RETRY_MS;
    for (;;) {
        int rc = s_item_spawn (self, ctx, item, len, child);
        int err = errno;
        if (rc == 0 || !s_short_of (err)) {
            errno = err;
            return rc;
        }
        if (s_backoff (self, ctx, err, &delay) != 0)
            return PP_EABORTED;
    }
}

static int
s_run_once (exec_t *self, pp_job_ctx_t *ctx, const char *item, size_t len,
            pp_buf_t *out)
{
    s_run_t run;
    s_run_init (&run, self, ctx, out);
    if (self->substitute && memchr (item, '\0', len))
        return s_fail (&run, "item holds a NUL byte: it cannot be an "
                             "argument");
    s_child_t child = {0, -1, -1, -1, -1};
    int rc = s_item_start (self, ctx, item, len, &child);
    if (rc == PP_EABORTED)
        return s_fail (&run, "aborted");
    if (rc != 0)
        return s_fail (&run, "cannot run %s: %s", self->argv[0],
                       strerror (errno));
    s_run_clock (&run);
    s_errlog_t errlog = {.tag = self->opts.tag,
                         .capture = self->opts.stderr_reason,
                         .seq = pp_job_seq (ctx)};
    run.child = &child;
    run.errlog = &errlog;
    if (!self->substitute)
        run.input = (s_input_t){.data = item, .len = len};
    return s_run_child (&run);
}

/*  --- one child per job thread (--pipe) -------------------------------- */

/*  Releases a slot when its job thread exits (a pthread key destructor);
    its child stays up for the next thread.                               */
static void
s_pipe_release (void *slot)
{
    atomic_store (&((s_pipe_t *) slot)->claimed, false);
}

/*  This thread's slot, claimed on its first item. NULL if none is free. */
static s_pipe_t *
s_pipe_mine (exec_t *self)
{
    s_pipe_t *slot = pthread_getspecific (self->key);
    for (int i = 0; !slot && i < self->npipes; i++) {
        bool unclaimed = false;
        if (atomic_compare_exchange_strong (&self->pipes[i].claimed, &unclaimed,
                                            true)) {
            slot = &self->pipes[i];
            if (pthread_setspecific (self->key, slot) != 0) {
                s_pipe_release (slot);
                return NULL;
            }
        }
    }
    return slot;
}

/*  Ends the slot's child: EOF first, then SIGTERM, then SIGKILL.         */
static void
s_pipe_stop (exec_t *self, s_pipe_t *slot)
{
    s_close (&slot->child.in);
    if (s_wait_exit (slot->child.pid, S_EOF_GRACE_MS))
        s_drain_stderr (&slot->child, &slot->errlog);
    s_child_end (&slot->child, s_short_grace (self));
    s_errlog_flush (&slot->errlog);
}

static int
s_pipe_start (exec_t *self, s_pipe_t *slot, pp_job_ctx_t *ctx)
{
    errno = ENOMEM;
    if (!slot->buf && !(slot->buf = malloc (S_PIPE_BUF)))
        return PP_ENOMEM;
    char vars[3][48];
    char **envp = s_env (self, ctx, false, vars);
    errno = ENOMEM;
    if (!envp)
        return PP_ENOMEM;
    int rc = s_spawn (self, self->argv, envp, true, &slot->child);
    free (envp);
    slot->pos = slot->len = 0;
    slot->run_id = pp_job_run_id (ctx);
    slot->errlog.line_len = 0;
    slot->errlog.tag = self->opts.tag;
    slot->errlog.capture = self->opts.stderr_reason;
    return rc;
}

/*  Moves buffered output into out up to a newline: S_DONE when the line
    is complete, S_TOO_BIG past out->max, else S_RUNNING.                */
static s_end_t
s_take_line (s_run_t *run, s_pipe_t *slot)
{
    char *start = slot->buf + slot->pos;
    size_t avail = slot->len - slot->pos;
    char *newline = avail ? memchr (start, '\n', avail) : NULL;
    size_t take = newline ? (size_t) (newline - start) : avail;
    int rc = pp_buf_append (run->out, start, take);
    if (rc != 0) {
        run->err = ENOMEM;
        return rc == PP_ETOOBIG ? S_TOO_BIG : S_IO_ERROR;
    }
    slot->pos += newline ? take + 1 : take;
    if (slot->pos == slot->len)
        slot->pos = slot->len = 0;
    return newline ? S_DONE : S_RUNNING;
}

/*  Reads once, at most *left bytes, into the (empty) read-ahead buffer.
    S_EXITED at EOF.                                                       */
static s_end_t
s_fill (s_run_t *run, s_pipe_t *slot, size_t *left)
{
    ssize_t n = s_read_fd (&run->child->out, slot->buf + slot->len,
                           S_PIPE_BUF - slot->len, left);
    if (n > 0) {
        slot->len += (size_t) n;
        return S_RUNNING;
    }
    run->err = errno;
    if (n == 0)
        return S_RUNNING;
    return errno == 0 ? S_EXITED : S_IO_ERROR;
}

/*  The pipe child has exited: the rest of the line if the pipe holds it
    already (S_DONE), else S_EXITED. What it left running in its group
    may write on; that is no answer.                                       */
static s_end_t
s_pipe_take_rest (s_run_t *run, s_pipe_t *slot)
{
    size_t left = s_pending (run->child->out);
    for (;;) {
        s_end_t end = s_take_line (run, slot);
        if (end != S_RUNNING)
            return end;
        if (left == 0)
            return S_EXITED;
        if ((end = s_fill (run, slot, &left)) != S_RUNNING)
            return end;
    }
}

/*  Reads one line of result into run->out, sending what is left of the
    input meanwhile.                                                       */
static s_end_t
s_pipe_read_line (s_run_t *run, s_pipe_t *slot)
{
    for (;;) {
        s_end_t end = s_take_line (run, slot);
        if (end != S_RUNNING)
            return end;
        int wait_ms;
        if ((end = s_check (run, &wait_ms)) != S_RUNNING)
            return end;
        int rc = s_pump (run, false, wait_ms);
        if (rc < 0)
            return S_IO_ERROR;
        size_t any = SIZE_MAX;
        if (rc > 0 && (end = s_fill (run, slot, &any)) != S_RUNNING)
            return end;
        if (run->exited)
            return s_pipe_take_rest (run, slot);
    }
}

/*  Sends the item as one line and reads one line of result into out.
    S_EXITED with input.unread: the child left without reading any of the
    item (after its last answer), which is not the item's doing.          */
static s_end_t
s_pipe_exchange (s_run_t *run, s_pipe_t *slot)
{
    s_input_t *input = &run->input;
    s_send (run->child, input, false);
    s_end_t end = input->refused ? S_EXITED : s_pipe_read_line (run, slot);
    input->unread =
        end == S_EXITED &&
        (input->sent == 0 || s_pending (run->child->in) >= input->sent);
    return end;
}

/*  The child exited or closed its output: read what it says on stderr,
    see how it ended, fail the item. The next item starts a new child.   */
static int
s_pipe_died (s_run_t *run)
{
    s_child_t *child = run->child;
    s_close (&child->in);
    s_close (&child->out);
    s_end_t end = S_RUNNING;
    int wait_ms;
    while (child->err >= 0 && !run->exited &&
           (end = s_check (run, &wait_ms)) == S_RUNNING)
        if (s_pump (run, false, wait_ms) < 0)
            break;
    if (end == S_RUNNING &&
        (run->exited || s_wait_exit (child->pid, S_EOF_GRACE_MS))) {
        s_drain_stderr (child, run->errlog);
        int status = s_reap_exited (child, s_short_grace (run->exec));
        return s_fail_status (run, "pipe command ", status);
    }
    s_child_end (child, s_grace (run, end));
    return end == S_RUNNING ? s_fail (run, "pipe command closed its output")
                            : s_fail_end (run, end);
}

/*  Makes sure the slot has a live child for ctx's run: one that exited
    since its last answer, or of another run (its PP_RUN is wrong), is
    ended, a missing one started, waiting while we are short of fds,
    processes or memory. Returns 0, PP_EABORTED, or an error with errno.  */
static int
s_pipe_ready (exec_t *self, s_pipe_t *slot, pp_job_ctx_t *ctx)
{
    if (slot->child.pid > 0 && (slot->run_id != pp_job_run_id (ctx) ||
                                s_wait_exit (slot->child.pid, 0)))
        s_pipe_stop (self, slot);
    int64_t delay = S_RETRY_MS;
    while (slot->child.pid <= 0) {
        int rc = s_pipe_start (self, slot, ctx);
        int err = errno;
        if (rc != 0 && !s_short_of (err)) {
            errno = err;
            return rc;
        }
        if (rc != 0 && s_backoff (self, ctx, err, &delay) != 0)
            return PP_EABORTED;
    }
    return 0;
}

/*  Starts the slot's child if it has none (or one of another run), then
    trades the item for a line of result.                                  */
static s_end_t
s_pipe_try (exec_t *self, s_pipe_t *slot, s_run_t *run)
{
    int rc = s_pipe_ready (self, slot, run->ctx);
    if (rc != 0) {
        run->err = errno;
        return rc == PP_EABORTED ? S_ABORTED : S_NOT_STARTED;
    }
    s_run_clock (run);
    run->input.sent = 0;
    run->input.refused = run->input.unread = false;
    run->exited = false;
    return s_pipe_exchange (run, slot);
}

static int
s_run_piped (exec_t *self, pp_job_ctx_t *ctx, const char *item, size_t len,
             pp_buf_t *out)
{
    s_run_t run;
    s_run_init (&run, self, ctx, out);
    if (memchr (item, '\n', len))
        return s_fail (&run, "item holds a newline: --pipe sends one line "
                             "per item");
    s_pipe_t *slot = s_pipe_mine (self);
    if (!slot)
        return s_fail (&run, "no free --pipe slot (more job threads than "
                             "--threads?)");
    slot->errlog.seq = pp_job_seq (ctx);
    slot->errlog.kept = 0;
    run.child = &slot->child;
    run.errlog = &slot->errlog;
    run.input = (s_input_t){.data = item, .len = len};
    s_end_t end = s_pipe_try (self, slot, &run);
    if (end == S_EXITED && run.input.unread) {
        /*  It left after its last item, before this one: not this item's
            fault. Reap it and try once more on a new child.              */
        if (pp_verbosity > 1)
            zsys_info ("pipe command %s left between items; restarting",
                       self->argv[0]);
        s_pipe_stop (self, slot);
        end = s_pipe_try (self, slot, &run);
    }
    if (end == S_DONE)
        return 0;
    if (end == S_EXITED)
        return s_pipe_died (&run);
    if (slot->child.pid > 0)
        s_child_end (&slot->child, s_grace (&run, end));
    return s_fail_end (&run, end);
}

/*  --- construction ------------------------------------------------------ */

/*  Spawned children get 0, 1, 2 by number: make sure they are open, so
    none of our pipes lands there.                                         */
static void
s_std_fds_open (void)
{
    for (int fd = 0; fd <= 2; fd++)
        if (fcntl (fd, F_GETFD) == -1 && errno == EBADF)
            if (open ("/dev/null", O_RDWR) == -1)
                return;
}

/*  An ignored SIGCHLD (inherited through exec) reaps children for us and
    loses their exit status; a default SIGPIPE kills us when a child does
    not read its input (pp_worker_run ignores it already).                */
static void
s_signals_fix (void)
{
    struct sigaction action;
    if (sigaction (SIGCHLD, NULL, &action) == 0 && action.sa_handler == SIG_IGN)
        signal (SIGCHLD, SIG_DFL);
    if (sigaction (SIGPIPE, NULL, &action) == 0 && action.sa_handler == SIG_DFL)
        signal (SIGPIPE, SIG_IGN);
}

static int
s_copy_argv (exec_t *self, char **argv)
{
    while (argv[self->argc])
        self->argc++;
    self->argv = calloc ((size_t) self->argc + 1, sizeof (char *));
    self->braces = calloc ((size_t) self->argc, sizeof (bool));
    if (!self->argv || !self->braces)
        return PP_ENOMEM;
    for (int i = 0; i < self->argc; i++) {
        if (!(self->argv[i] = strdup (argv[i])))
            return PP_ENOMEM;
        self->braces[i] = !self->opts.pipe && strstr (argv[i], "{}");
        self->substitute |= self->braces[i];
    }
    return 0;
}

static bool
s_is_ours (const char *var)
{
    return strncmp (var, "PP_SEQ=", 7) == 0 ||
           strncmp (var, "PP_RUN=", 7) == 0 ||
           strncmp (var, "PP_WORKER=", 10) == 0;
}

/*  Snapshots environ, less the variables we set per child.              */
static int
s_copy_env (exec_t *self)
{
    size_t count = 0;
    while (environ && environ[count])
        count++;
    self->env = calloc (count + 4, sizeof (char *));
    if (!self->env)
        return PP_ENOMEM;
    for (size_t i = 0; i < count; i++) {
        if (s_is_ours (environ[i]))
            continue;
        if (!(self->env[self->nenv] = strdup (environ[i])))
            return PP_ENOMEM;
        self->nenv++;
    }
    return 0;
}

static int
s_pipes_new (exec_t *self)
{
    if (!self->opts.pipe)
        return 0;
    self->pipes = calloc ((size_t) self->opts.threads, sizeof (s_pipe_t));
    if (!self->pipes)
        return PP_ENOMEM;
    self->npipes = self->opts.threads;
    for (int i = 0; i < self->npipes; i++) {
        atomic_init (&self->pipes[i].claimed, false);
        self->pipes[i].child = (s_child_t){0, -1, -1, -1, -1};
    }
    if (pthread_key_create (&self->key, s_pipe_release) != 0)
        return PP_ENOMEM;
    self->has_key = true;
    return 0;
}

/*  --- public API --------------------------------------------------------- */

void
exec_options_init (exec_options_t *opts)
{
    memset (opts, 0, sizeof (*opts));
    opts->kill_grace_ms = 1000;
    opts->threads = 1;
}

exec_t *
exec_new (char **argv, const exec_options_t *opts)
{
    if (!argv || !argv[0])
        return NULL;
    exec_t *self = calloc (1, sizeof (exec_t));
    if (!self)
        return NULL;
    self->opts = *opts;
    atomic_init (&self->told, 0);
    if (self->opts.threads < 1)
        self->opts.threads = 1;
    s_std_fds_open ();
    s_signals_fix ();
    if (s_copy_argv (self, argv) != 0 || s_copy_env (self) != 0 ||
        s_pipes_new (self) != 0)
        exec_destroy (&self);
    return self;
}

void
exec_destroy (exec_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    exec_t *self = *self_p;
    exec_shutdown (self);
    if (self->has_key)
        pthread_key_delete (self->key);
    for (int i = 0; i < self->npipes; i++)
        free (self->pipes[i].buf);
    free (self->pipes);
    for (int i = 0; self->argv && i < self->argc; i++)
        free (self->argv[i]);
    free (self->argv);
    free (self->braces);
    for (size_t i = 0; i < self->nenv; i++)
        free (self->env[i]);
    free (self->env);
    free (self);
    *self_p = NULL;
}

/*  Waits up to ms in all for every live pipe child to exit.             */
static void
s_pipes_wait (exec_t *self, int64_t ms)
{
    int64_t deadline = pp_now_ms () + ms;
    for (int i = 0; i < self->npipes; i++) {
        int64_t left = deadline - pp_now_ms ();
        if (self->pipes[i].child.pid > 0)
            s_wait_exit (self->pipes[i].child.pid, left > 0 ? left : 0);
    }
}

void
exec_shutdown (exec_t *self)
{
    if (!self)
        return;
    for (int i = 0; i < self->npipes; i++)
        s_close (&self->pipes[i].child.in); /* EOF: leave on your own */
    s_pipes_wait (self, S_EOF_GRACE_MS);
    for (int i = 0; i < self->npipes; i++)
        if (self->pipes[i].child.pid > 0)
            kill (-self->pipes[i].child.pid, SIGTERM);
    s_pipes_wait (self, S_ABORT_GRACE_MS);
    for (int i = 0; i < self->npipes; i++)
        if (self->pipes[i].child.pid > 0) {
            s_reap (&self->pipes[i].child);
            s_errlog_flush (&self->pipes[i].errlog);
        }
}

bool
exec_found (const char *cmd)
{
    struct stat st;
    if (strstr (cmd, "{}"))
        return true;
    if (strchr (cmd, '/'))
        return access (cmd, X_OK) == 0 && stat (cmd, &st) == 0 &&
               !S_ISDIR (st.st_mode);
    const char *path = getenv ("PATH");
    for (const char *dir = path && *path ? path : "/bin:/usr/bin"; dir;) {
        const char *end = strchr (dir, ':');
        int len = end ? (int) (end - dir) : (int) strlen (dir);
        char file[4096];
        snprintf (file, sizeof (file), "%.*s/%s", len ? len : 1,
                  len ? dir : ".", cmd);
        if (access (file, X_OK) == 0 && stat (file, &st) == 0 &&
            !S_ISDIR (st.st_mode))
            return true;
        dir = end ? end + 1 : NULL;
    }
    return false;
}

int
exec_handler (pp_job_ctx_t *ctx, const char *item, size_t len, pp_buf_t *out,
              void *user)
{
    exec_t *self = user;
    return self->opts.pipe ? s_run_piped (self, ctx, item, len, out)
                           : s_run_once (self, ctx, item, len, out);
}

/*  Joins a batch into lines in buf; false when it is too big or an item
    holds a newline (those go one at a time, with their own outcome).    */
static bool
s_batch_lines (const pp_record_t *items, int n, char *buf, size_t *len)
{
    size_t used = 0;
    for (int i = 0; i < n; i++) {
        if (used + items[i].len + 1 > S_BATCH_BYTES ||
            memchr (items[i].data, '\n', items[i].len))
            return false;
        memcpy (buf + used, items[i].data, items[i].len);
        used += items[i].len;
        buf[used++] = '\n';
    }
    *len = used;
    return true;
}

/*  --pipe, n items in one exchange. Returns how many got their result
    line; the child is ended when that is fewer than n (its state is
    unknown), so the rest start afresh one at a time.                      */
static int
s_pipe_batch (exec_t *self, pp_job_ctx_t *ctx, const pp_record_t *items, int n,
              pp_buf_t *outs)
{
    char buf[S_BATCH_BYTES];
    size_t len;
    s_pipe_t *slot = s_pipe_mine (self);
    if (!slot || !s_batch_lines (items, n, buf, &len))
        return 0;
    if (s_pipe_ready (self, slot, ctx) != 0)
        return 0;
    slot->errlog.seq = items[0].seq;
    slot->errlog.kept = 0;
    /*  s_send adds the last newline itself.                              */
    s_input_t input = {.data = buf, .len = len - 1};
    s_send (&slot->child, &input, false);
    for (int i = 0; i < n; i++) {
        s_run_t run;
        s_run_init (&run, self, ctx, &outs[i]); /* a timeout per item */
        run.child = &slot->child;
        run.errlog = &slot->errlog;
        run.input = input;
        s_end_t end = input.refused ? S_EXITED : s_pipe_read_line (&run, slot);
        input = run.input;
        if (end != S_DONE) {
            s_child_end (&slot->child, S_ABORT_GRACE_MS);
            return i;
        }
    }
    return n;
}

void
exec_batch_handler (pp_job_ctx_t *ctx, const pp_record_t *items, int n,
                    pp_buf_t *outs, int *rcs, void *user)
{
    exec_t *self = user;
    int done = self->opts.pipe ? s_pipe_batch (self, ctx, items, n, outs) : 0;
    for (int i = 0; i < done; i++)
        rcs[i] = 0;
    for (int i = done; i < n; i++) {
        ctx->seq = items[i].seq; /* the exec handler reads len bytes:  */
        outs[i].len = 0;         /* no NUL needed                      */
        rcs[i] =
            exec_handler (ctx, items[i].data, items[i].len, &outs[i], user);
    }
}
