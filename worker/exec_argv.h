/*  exec_argv: what a command's child is started with -- its argument
    vector, "{}" replaced by the item, and its environment, a snapshot
    plus PP_RUN, PP_WORKER and PP_SEQ. No I/O and no process state: the
    environment to copy is given, so every function here is pure.         */

#ifndef WORKER_EXEC_ARGV_H_INCLUDED
#define WORKER_EXEC_ARGV_H_INCLUDED

#include "pp_job.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct _exec_argv_t exec_argv_t;

/*  A command line from argv (CMD ARGS..., NULL-terminated) and envp (the
    environment to pass on, less any PP_SEQ, PP_RUN, PP_WORKER), both
    copied. expand: "{}" stands for the item (per item mode); else every
    argument is taken as it is (--pipe). NULL on OOM or an empty argv.    */
exec_argv_t *exec_argv_new (char **argv, char **envp, bool expand);

/*  Frees self; NULL-safe, nulls the caller's pointer.                    */
void exec_argv_destroy (exec_argv_t **self_p);

/*  CMD ARGS as given, NULL-terminated, owned by self.                    */
char **exec_argv_given (const exec_argv_t *self);

/*  True when some argument holds "{}": the item goes into the arguments,
    not to the child's stdin.                                              */
bool exec_argv_takes_item (const exec_argv_t *self);

/*  True when arg holds "{}" (it is not a file name to look for).         */
bool exec_argv_has_item (const char *arg);

/*  The command line for item (len bytes): "{}" replaced. The caller frees
    it with exec_argv_free. NULL on OOM.                                   */
char **exec_argv_build (const exec_argv_t *self, const char *item, size_t len);

/*  Frees what exec_argv_build returned; NULL-safe.                       */
void exec_argv_free (const exec_argv_t *self, char **argv);

/*  The environment for a child of ctx's run: the snapshot plus PP_RUN,
    PP_WORKER and, with_seq, PP_SEQ, the last three written in vars (which
    must outlive the array). The caller frees the array; NULL on OOM.     */
char **exec_argv_env (const exec_argv_t *self, pp_job_ctx_t *ctx, bool with_seq,
                      char vars[3][48]);

#endif
