/*  exec_argv: a command's argument vector and environment, per item.    */

#include "exec_argv.h"
#include "pp_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _exec_argv_t {
    char **argv;  /* CMD ARGS, NULL-terminated */
    bool *braces; /* argv[i] holds "{}" */
    int argc;
    bool substitute; /* some argv[i] holds "{}": no stdin */
    char **env;      /* environment snapshot + 4 free slots */
    size_t nenv;     /* entries before the free slots */
};

bool
exec_argv_has_item (const char *arg)
{
    return strstr (arg, "{}") != NULL;
}

static int
s_copy_argv (exec_argv_t *self, char **argv, bool expand)
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
        self->braces[i] = expand && exec_argv_has_item (argv[i]);
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

/*  Snapshots envp, less the variables we set per child.                 */
static int
s_copy_env (exec_argv_t *self, char **envp)
{
    size_t count = 0;
    while (envp && envp[count])
        count++;
    self->env = calloc (count + 4, sizeof (char *));
    if (!self->env)
        return PP_ENOMEM;
    for (size_t i = 0; i < count; i++) {
        if (s_is_ours (envp[i]))
            continue;
        if (!(self->env[self->nenv] = strdup (envp[i])))
            return PP_ENOMEM;
        self->nenv++;
    }
    return 0;
}

exec_argv_t *
exec_argv_new (char **argv, char **envp, bool expand)
{
    if (!argv || !argv[0])
        return NULL;
    exec_argv_t *self = calloc (1, sizeof (exec_argv_t));
    if (self &&
        (s_copy_argv (self, argv, expand) != 0 || s_copy_env (self, envp) != 0))
        exec_argv_destroy (&self);
    return self;
}

void
exec_argv_destroy (exec_argv_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    exec_argv_t *self = *self_p;
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

char **
exec_argv_given (const exec_argv_t *self)
{
    return self->argv;
}

bool
exec_argv_takes_item (const exec_argv_t *self)
{
    return self->substitute;
}

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

void
exec_argv_free (const exec_argv_t *self, char **argv)
{
    if (!argv)
        return;
    for (int i = 0; i < self->argc; i++)
        if (self->braces[i])
            free (argv[i]);
    free (argv);
}

char **
exec_argv_build (const exec_argv_t *self, const char *item, size_t len)
{
    char **argv = calloc ((size_t) self->argc + 1, sizeof (char *));
    if (!argv)
        return NULL;
    for (int i = 0; i < self->argc; i++) {
        argv[i] = self->braces[i] ? s_substitute (self->argv[i], item, len)
                                  : self->argv[i];
        if (!argv[i]) {
            exec_argv_free (self, argv);
            return NULL;
        }
    }
    return argv;
}

char **
exec_argv_env (const exec_argv_t *self, pp_job_ctx_t *ctx, bool with_seq,
               char vars[3][48])
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
