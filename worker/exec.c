/*  exec: the command job's handler, per item or --pipe.                  */

#include "exec.h"
#include "exec_argv.h"
#include "exec_item.h"
#include "exec_pipe.h"
#include "exec_run.h"
#include "pp_job_internal.h"

#include <assert.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

struct _exec_t {
    exec_conf_t conf;  /* what every run shares */
    exec_argv_t *cmd;  /* CMD ARGS and the environment snapshot */
    exec_pipe_t *pipe; /* --pipe: a child per job thread; else NULL */
};

/*  What the process must provide (exec.h), which main.c sets up.        */
static bool
s_process_ready (void)
{
    struct sigaction chld, sigpipe;
    for (int fd = 0; fd <= 2; fd++)
        if (fcntl (fd, F_GETFD) == -1)
            return false;
    return sigaction (SIGCHLD, NULL, &chld) == 0 &&
           chld.sa_handler != SIG_IGN &&
           sigaction (SIGPIPE, NULL, &sigpipe) == 0 &&
           sigpipe.sa_handler != SIG_DFL;
}

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
    assert (s_process_ready ());
    if (!argv || !argv[0])
        return NULL;
    exec_t *self = calloc (1, sizeof (exec_t));
    if (!self)
        return NULL;
    self->conf = (exec_conf_t){.timeout_ms = opts->timeout_ms,
                               .kill_grace_ms = opts->kill_grace_ms,
                               .stderr_tag = opts->stderr_tag,
                               .stderr_reason = opts->stderr_reason};
    atomic_init (&self->conf.told, 0);
    int threads = opts->threads < 1 ? 1 : opts->threads;
    if (!opts->pipe && opts->max_children > 0 && opts->max_children < threads)
        self->conf.gated =
            sem_init (&self->conf.room, 0, (unsigned) opts->max_children) == 0;
    self->cmd = exec_argv_new (argv, environ, !opts->pipe);
    if (self->cmd)
        self->conf.name = exec_argv_given (self->cmd)[0];
    if (self->cmd && opts->pipe)
        self->pipe = exec_pipe_new (&self->conf, self->cmd, threads);
    if (!self->cmd || (opts->pipe && !self->pipe))
        exec_destroy (&self);
    return self;
}

void
exec_destroy (exec_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    exec_t *self = *self_p;
    exec_pipe_destroy (&self->pipe);
    exec_argv_destroy (&self->cmd);
    if (self->conf.gated)
        sem_destroy (&self->conf.room);
    free (self);
    *self_p = NULL;
}

void
exec_shutdown (exec_t *self)
{
    if (self)
        exec_pipe_shutdown (self->pipe);
}

bool
exec_found (const char *cmd)
{
    struct stat st;
    if (exec_argv_has_placeholder (cmd))
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
    return self->pipe
               ? exec_pipe_run (self->pipe, ctx, item, len, out)
               : exec_item_run (&self->conf, self->cmd, ctx, item, len, out);
}

void
exec_batch_handler (pp_job_ctx_t *ctx, const pp_job_item_t *items, int n,
                    pp_buf_t *outs, int *rcs, void *user)
{
    exec_t *self = user;
    int done =
        self->pipe ? exec_pipe_batch (self->pipe, ctx, items, n, outs) : 0;
    for (int i = 0; i < done; i++)
        rcs[i] = 0;
    for (int i = done; i < n; i++) {
        ctx->seq = items[i].seq; /* the exec handler reads len bytes:  */
        ctx->record = ctx->batch ? ctx->batch[i].record : 0; /* no NUL   */
        ctx->status = 0;
        outs[i].len = 0;
        rcs[i] =
            exec_handler (ctx, items[i].data, items[i].len, &outs[i], user);
        if (ctx->batch_status)
            ctx->batch_status[i] = ctx->status;
    }
}
