/*  exec_item: one child per item.                                        */

#include "exec_item.h"
#include "pp_error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define S_CHUNK 16384 /* one read of the child's stdout */

/*  Reads once, at most *left bytes, of the child's stdout into out;
    closes it at EOF.                                                      */
static exec_end_t
s_read_result (exec_run_t *run, size_t *left)
{
    char chunk[S_CHUNK];
    ssize_t n = exec_child_read (&run->child->out, chunk, sizeof (chunk), left);
    if (n <= 0) {
        run->err = errno;
        return n == 0 || errno == 0 ? EXEC_RUNNING : EXEC_IO_ERROR;
    }
    int rc = pp_buf_append (run->out, chunk, (size_t) n);
    run->err = ENOMEM;
    return rc == 0            ? EXEC_RUNNING
           : rc == PP_ETOOBIG ? EXEC_TOO_BIG
                              : EXEC_IO_ERROR;
}

/*  The child has exited, so all it wrote is in its pipes: takes that much
    without waiting. What it left running in its group may write on; that
    is not the item's. EXEC_EXITED, or how taking it failed.               */
static exec_end_t
s_take_rest (exec_run_t *run)
{
    exec_child_t *child = run->child;
    if (exec_run_writing (child, &run->input))
        run->input.refused = true;
    exec_child_close (&child->in);
    exec_run_drain_stderr (child, run->errlog);
    exec_end_t end = EXEC_RUNNING;
    for (size_t left = exec_child_pending (child->out);
         left > 0 && end == EXEC_RUNNING;)
        end = s_read_result (run, &left);
    return end == EXEC_RUNNING ? EXEC_EXITED : end;
}

/*  Feeds the child and reads its output until it exits -- not until its
    output ends: a process it left in the background may hold that open. */
static exec_end_t
s_collect (exec_run_t *run)
{
    exec_run_send (run->child, &run->input, true);
    for (;;) {
        int wait_ms;
        exec_end_t end = exec_run_check (run, &wait_ms);
        if (end != EXEC_RUNNING)
            return end;
        int rc = exec_run_pump (run, true, wait_ms);
        if (rc < 0)
            return EXEC_IO_ERROR;
        size_t any = SIZE_MAX;
        if (rc > 0 && (end = s_read_result (run, &any)) != EXEC_RUNNING)
            return end;
        if (run->exited)
            return s_take_rest (run);
    }
}

/*  Runs the started child to its end and turns that into the outcome.   */
static int
s_run_child (exec_run_t *run)
{
    pp_buf_t *out = run->out;
    size_t max = out->max;
    if (max < SIZE_MAX)
        out->max = max + 1; /* room for the newline that is stripped */
    exec_end_t end = s_collect (run);
    out->max = max;
    int status = end == EXEC_EXITED
                     ? exec_child_reap_exited (run->child,
                                               exec_run_short_grace (run->conf))
                     : exec_child_end (run->child, exec_run_grace (run, end));
    exec_errlog_flush (run->errlog);
    exec_run_status (run, status);
    if (end != EXEC_EXITED)
        return exec_run_fail_end (run, end);
    if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
        return exec_run_fail_status (run, "", status);
    if (out->len > 0 && out->data[out->len - 1] == '\n')
        out->data[--out->len] = '\0';
    return out->len > max ? exec_run_fail_end (run, EXEC_TOO_BIG) : 0;
}

/*  Starts the command for item once. Returns 0, or an error with errno.  */
static int
s_spawn (const exec_conf_t *conf, const exec_argv_t *cmd, pp_job_ctx_t *ctx,
         const char *item, size_t len, exec_child_t *child)
{
    char vars[4][48];
    char **argv = exec_argv_build (cmd, item, len, pp_job_record (ctx));
    char **envp = exec_argv_env (cmd, ctx, true, vars);
    errno = ENOMEM;
    int rc =
        argv && envp
            ? exec_child_spawn (child, argv, envp, !exec_argv_takes_item (cmd),
                                conf->stderr_tag || conf->stderr_reason)
            : PP_ENOMEM;
    int err = errno;
    exec_argv_free (cmd, argv);
    free (envp);
    errno = err;
    return rc;
}

/*  Starts the command for item, waiting while we are short of fds,
    processes or memory. Returns 0, PP_EABORTED, or an error with errno:
    it cannot run (ENOENT, E2BIG, ...).                                    */
static int
s_start (exec_conf_t *conf, const exec_argv_t *cmd, pp_job_ctx_t *ctx,
         const char *item, size_t len, exec_child_t *child)
{
    int64_t delay = EXEC_RETRY_MS;
    for (;;) {
        int rc = s_spawn (conf, cmd, ctx, item, len, child);
        int err = errno;
        if (rc == 0 || !exec_run_short_of (err)) {
            errno = err;
            return rc;
        }
        if (exec_run_backoff (conf, ctx, err, &delay) != 0)
            return PP_EABORTED;
    }
}

int
exec_item_run (exec_conf_t *conf, const exec_argv_t *cmd, pp_job_ctx_t *ctx,
               const char *item, size_t len, pp_buf_t *out)
{
    exec_run_t run;
    exec_run_init (&run, conf, ctx, out);
    const char *why;
    if (exec_argv_check (cmd, item, len, &why) != 0)
        return exec_run_fail (&run, "%s", why);
    if (exec_run_enter (conf, ctx) != 0)
        return exec_run_fail (&run, "aborted");
    exec_child_t child = EXEC_CHILD_NONE;
    int rc = s_start (conf, cmd, ctx, item, len, &child);
    if (rc != 0) {
        int err = errno;
        exec_run_leave (conf);
        return rc == PP_EABORTED ? exec_run_fail (&run, "aborted")
                                 : exec_run_fail (&run, "cannot run %s: %s",
                                                  conf->name, strerror (err));
    }
    exec_run_clock (&run);
    exec_errlog_t errlog;
    exec_errlog_init (&errlog, conf->stderr_tag, conf->stderr_reason,
                      pp_job_record (ctx));
    run.child = &child;
    run.errlog = &errlog;
    if (!exec_argv_takes_item (cmd))
        run.input = (exec_input_t){.data = item, .len = len};
    rc = s_run_child (&run); /* reaped: its fds are closed */
    exec_run_leave (conf);
    return rc;
}
