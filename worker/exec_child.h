/*  exec_child: one process of a command, and nothing about items.

    A child is started with posix_spawnp, no shell, as the leader of its own
    process group, and sees only fds 0, 1 and 2: pipes to its stdin (else
    /dev/null), its stdout and, when asked, its stderr. Our ends are
    O_CLOEXEC and non-blocking. Its exit is seen through a pidfd (else by
    waitid), never through the EOF of its stdout: something it left running
    in its group may hold that open for ever. Exited, it stays a zombie
    (waitid with WNOWAIT), so its pid and process group cannot be reused,
    until whatever else is left in its group has been ended; then it is
    reaped. Needs SIGCHLD not ignored (else its exit status is lost).      */

#ifndef WORKER_EXEC_CHILD_H_INCLUDED
#define WORKER_EXEC_CHILD_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*  A running child and our ends of its pipes (-1 when closed).           */
typedef struct {
    pid_t pid; /* 0: none */
    int in;    /* write end of its stdin (non-blocking) */
    int out;   /* read end of its stdout */
    int err;   /* read end of its stderr (--tag, --stderr-reason) */
    int pidfd; /* readable once it has exited; -1: none, use waitid */
} exec_child_t;

/*  No child: pid 0, every fd closed.                                     */
#define EXEC_CHILD_NONE ((exec_child_t){0, -1, -1, -1, -1})

/*  Starts argv (PATH searched) with envp, in its own process group, with
    pipes to its stdin (else /dev/null), stdout and, with_stderr, stderr
    (else it shares ours). Returns 0, or PP_EIO with errno set and *child
    holding no process and no fd.                                          */
int exec_child_spawn (exec_child_t *child, char **argv, char **envp,
                      bool with_stdin, bool with_stderr);

/*  Waits up to ms for the child to exit, leaving it unreaped. True once
    it has exited (or there is nothing to wait for).                       */
bool exec_child_exited (const exec_child_t *child, int64_t ms);

/*  Sends sig to the child's whole process group.                         */
void exec_child_kill (const exec_child_t *child, int sig);

/*  Kills whatever is left in the child's group, reaps the child, closes
    our pipe ends. Returns its wait status; child->pid is 0 after.        */
int exec_child_reap (exec_child_t *child);

/*  Ends what an exited child left in its group and reaps the child: while
    its stdout or stderr is open, the group gets SIGTERM and up to grace_ms
    for them to close (at once when nothing else holds them), then the
    group gets SIGKILL. Returns the child's wait status.                   */
int exec_child_reap_exited (exec_child_t *child, int64_t grace_ms);

/*  Stops a child: pipes closed, SIGTERM to its group, SIGKILL when it has
    left or grace_ms passed, reaped. Returns its wait status.              */
int exec_child_end (exec_child_t *child, int64_t grace_ms);

/*  Closes *fd if open and sets it to -1.                                  */
void exec_child_close (int *fd);

/*  Bytes waiting in the pipe fd; 0 when closed or unknown.              */
size_t exec_child_pending (int fd);

/*  One read of at most *left bytes (non-blocking), counted off *left.
    Returns the count; 0 when nothing is there now (*left = 0 but after
    EINTR); -1 at EOF (errno 0) or on an error, *fd closed, *left = 0.    */
ssize_t exec_child_read (int *fd, char *data, size_t size, size_t *left);

#endif
