/*  test_exec_child: one process of a command (worker/exec_child) -- its
    exit seen while it stays unreaped, its wait status, what it left in its
    process group ended, a child deaf to SIGTERM killed after the grace,
    and no fd left behind. Waits are bounded; none is a sleep.            */

#include "../worker/exec_child.h"
#include "pp_error.h"
#include "pp_net.h"

#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

extern char **environ;

/*  The fds open in this process.                                         */
static int
s_fds_open (void)
{
    DIR *dir = opendir ("/proc/self/fd");
    assert_non_null (dir);
    int count = 0;
    for (struct dirent *entry; (entry = readdir (dir));)
        if (entry->d_name[0] != '.' && atoi (entry->d_name) != dirfd (dir))
            count++;
    closedir (dir);
    return count;
}

/*  True when some process of group is alive (zombies do not count: the
    job killed was our grandchild, reaped by init whenever it gets to it). */
static bool
s_group_alive (pid_t group)
{
    DIR *dir = opendir ("/proc");
    assert_non_null (dir);
    bool alive = false;
    for (struct dirent *entry; !alive && (entry = readdir (dir));) {
        char path[300], line[512];
        snprintf (path, sizeof (path), "/proc/%s/stat", entry->d_name);
        FILE *file = fopen (path, "r");
        if (!file)
            continue;
        size_t n = fread (line, 1, sizeof (line) - 1, file);
        fclose (file);
        line[n] = '\0';
        char state;
        int pgrp;
        const char *rest = strrchr (line, ')');
        if (rest && sscanf (rest, ") %c %*d %d", &state, &pgrp) == 2)
            alive = pgrp == group && state != 'Z';
    }
    closedir (dir);
    return alive;
}

/*  True once no process of group is alive, waiting at most ms.          */
static bool
s_group_gone (pid_t group, int64_t ms)
{
    int64_t deadline = pp_now_ms () + ms;
    while (s_group_alive (group) && pp_now_ms () < deadline)
        sched_yield ();
    return !s_group_alive (group);
}

static void
s_spawn (exec_child_t *child, const char *script)
{
    char *argv[] = {"sh", "-c", (char *) script, NULL};
    assert_int_equal (exec_child_spawn (child, argv, environ, true, true), 0);
    assert_true (child->pid > 0);
}

/*  The child's stdout up to the first newline (until_eof: to its end),
    waiting at most 5 s.                                                   */
static void
s_assert_output (exec_child_t *child, const char *want, bool until_eof)
{
    char got[256];
    size_t len = 0;
    int64_t deadline = pp_now_ms () + 5000;
    while (child->out >= 0 && pp_now_ms () < deadline &&
           (until_eof || !memchr (got, '\n', len))) {
        size_t left = sizeof (got) - 1 - len;
        ssize_t n = exec_child_read (&child->out, got + len, left, &left);
        len += n > 0 ? (size_t) n : 0;
    }
    got[len] = '\0';
    assert_string_equal (got, want);
}

static void
test_exit_status_and_output (void **state)
{
    (void) state;
    int before = s_fds_open ();
    exec_child_t child = EXEC_CHILD_NONE;
    s_spawn (&child, "read x; echo \"got $x\"; exit 3");
    assert_int_equal (write (child.in, "it\n", 3), 3);
    s_assert_output (&child, "got it\n", true);
    assert_true (exec_child_exited (&child, 5000));
    assert_true (exec_child_exited (&child, 0)); /* not reaped: seen again */
    int status = exec_child_reap_exited (&child, 1000);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 3);
    assert_int_equal (child.pid, 0);
    assert_int_equal (s_fds_open (), before);
}

/*  The child exits but leaves a job holding its stdout: reaping it ends
    that job too, within the grace.                                        */
static void
test_reap_ends_the_group (void **state)
{
    (void) state;
    exec_child_t child = EXEC_CHILD_NONE;
    s_spawn (&child, "sleep 1000 & exit 0");
    pid_t group = child.pid;
    assert_true (exec_child_exited (&child, 5000));
    assert_true (s_group_alive (group)); /* the sleep is still there */
    int64_t start = pp_now_ms ();
    int status = exec_child_reap_exited (&child, 2000);
    assert_true (pp_now_ms () - start < 2000); /* SIGTERM was enough */
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    assert_true (s_group_gone (group, 2000));
}

/*  A child deaf to SIGTERM is killed when the grace is over.            */
static void
test_end_kills_after_grace (void **state)
{
    (void) state;
    exec_child_t child = EXEC_CHILD_NONE;
    s_spawn (&child, "trap '' TERM; echo ready; exec sleep 1000");
    s_assert_output (&child, "ready\n", false);
    int64_t start = pp_now_ms ();
    int status = exec_child_end (&child, 300);
    int64_t took = pp_now_ms () - start;
    assert_true (took >= 300 && took < 3000);
    assert_true (WIFSIGNALED (status));
    assert_int_equal (WTERMSIG (status), SIGKILL);
    assert_int_equal (child.pid, 0);
    assert_int_equal (child.out, -1);
}

static void
test_cannot_start (void **state)
{
    (void) state;
    int before = s_fds_open ();
    exec_child_t child = EXEC_CHILD_NONE;
    char *argv[] = {"/nonexistent/pp-test-cmd", NULL};
    assert_int_equal (exec_child_spawn (&child, argv, environ, true, true),
                      PP_EIO);
    assert_int_equal (errno, ENOENT);
    assert_int_equal (child.pid, 0);
    assert_int_equal (child.in, -1);
    assert_int_equal (child.out, -1);
    assert_int_equal (child.err, -1);
    assert_int_equal (child.pidfd, -1);
    assert_int_equal (s_fds_open (), before);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_exit_status_and_output),
        cmocka_unit_test (test_reap_ends_the_group),
        cmocka_unit_test (test_end_kills_after_grace),
        cmocka_unit_test (test_cannot_start),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
