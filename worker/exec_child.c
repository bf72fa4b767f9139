/*  exec_child: spawn, watch, end and reap one process of a command.      */

#include "exec_child.h"
#include "pp_error.h"
#include "pp_net.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__GLIBC__) &&                                                      \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
#define S_HAVE_CLOSEFROM 1 /* the child closes every fd from 3 up */
#endif

void
exec_child_close (int *fd)
{
    if (*fd >= 0)
        close (*fd);
    *fd = -1;
}

static void
s_close_fds (exec_child_t *child)
{
    exec_child_close (&child->in);
    exec_child_close (&child->out);
    exec_child_close (&child->err);
    exec_child_close (&child->pidfd);
}

size_t
exec_child_pending (int fd)
{
    int count = 0;
    if (fd < 0 || ioctl (fd, FIONREAD, &count) != 0 || count < 0)
        return 0;
    return (size_t) count;
}

ssize_t
exec_child_read (int *fd, char *data, size_t size, size_t *left)
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
    exec_child_close (fd);
    errno = err;
    return -1;
}

static void
s_nap_us (long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep (&ts, NULL);
}

/*  --- starting ----------------------------------------------------------- */

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

int
exec_child_spawn (exec_child_t *child, char **argv, char **envp,
                  bool with_stdin, bool with_stderr)
{
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
    int rc = 0;
    pid_t pid = 0;
    if ((with_stdin && pipe2 (in, O_CLOEXEC) != 0) ||
        pipe2 (out, O_CLOEXEC) != 0 ||
        (with_stderr && pipe2 (err, O_CLOEXEC) != 0))
        rc = errno;
    else
        rc = s_spawn_fds (argv, envp, in[0], out[1], err[1], &pid);
    exec_child_close (&in[0]);
    exec_child_close (&out[1]);
    exec_child_close (&err[1]);
    *child = (exec_child_t){rc == 0 ? pid : 0, in[1], out[0], err[0], -1};
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

/*  --- ending ------------------------------------------------------------- */

bool
exec_child_exited (const exec_child_t *child, int64_t ms)
{
    pid_t pid = child->pid;
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
s_wait_eof (exec_child_t *child, int64_t ms)
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
                exec_child_read (i ? &child->err : &child->out, data,
                                 sizeof (data), &any);
        }
    }
}

void
exec_child_kill (const exec_child_t *child, int sig)
{
    kill (-child->pid, sig);
}

int
exec_child_reap (exec_child_t *child)
{
    s_close_fds (child);
    exec_child_kill (child, SIGKILL);
    int status = 0;
    while (waitpid (child->pid, &status, 0) == -1 && errno == EINTR)
        ;
    child->pid = 0;
    return status;
}

int
exec_child_reap_exited (exec_child_t *child, int64_t grace_ms)
{
    exec_child_close (&child->in);
    if (child->out >= 0 || child->err >= 0) {
        exec_child_kill (child, SIGTERM);
        s_wait_eof (child, grace_ms);
    }
    return exec_child_reap (child);
}

int
exec_child_end (exec_child_t *child, int64_t grace_ms)
{
    s_close_fds (child);
    exec_child_kill (child, SIGTERM);
    exec_child_exited (child, grace_ms);
    return exec_child_reap (child);
}
