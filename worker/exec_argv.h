/*  exec_argv: what a command's child is started with -- its arguments,
    placeholders filled in from the item, and its environment, a snapshot
    plus PP_RUN, PP_WORKER, PP_SEQ and PP_RECORD. No I/O and no process state:
   the environment to copy is given, so every function here is pure.

    Placeholders (GNU parallel's), anywhere in an argument: {} the item,
    {.} the item less its extension, {/} its basename, {//} its dirname,
    {/.} its basename less its extension, {#} its 1-based input record
    number (as in PP_RECORD; pp_job_record). No shell runs unless CMD is one.
   Inside a shell's -c script (sh, bash, dash, ksh, zsh...: the first argument
   naming one, so after env, nice or timeout too) each placeholder is quoted for
   that shell where it stands -- bare, in "..." or in '...' -- so the script
   sees the exact bytes and never runs them (a bare $(...) counts as bare).
   Where the script nests otherwise (`...`, ${...}, $((...)), "$(...)", $'...',
    <<, a # comment) no quoting is sure: an item is taken there only if it
    is made of letters, digits and _ . + / -, else the item fails; so too
    in the whole -c script of a shell whose quoting is not sh's (csh, tcsh,
    fish, rc, es, nu, elvish, xonsh, pwsh). Other interpreters' code
    (python3 -c, perl -e, an awk program) is no shell's script: it gets
    the item as it is, like any argument -- pass the item as an argument
    of its own there.                                                     */

#ifndef WORKER_EXEC_ARGV_H_INCLUDED
#define WORKER_EXEC_ARGV_H_INCLUDED

#include "pp_job.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _exec_argv_t exec_argv_t;

/*  A command line from argv (CMD ARGS..., NULL-terminated) and envp (the
    environment to pass on, less any PP_SEQ, PP_RECORD, PP_RUN,
    PP_WORKER), both
    copied. expand: placeholders stand for the item (per item mode); else
    every argument is taken as it is (--pipe). NULL on OOM or no argv.    */
exec_argv_t *exec_argv_new (char **argv, char **envp, bool expand);

/*  Frees self; NULL-safe, nulls the caller's pointer.                    */
void exec_argv_destroy (exec_argv_t **self_p);

/*  CMD ARGS as given, NULL-terminated, owned by self.                    */
char **exec_argv_given (const exec_argv_t *self);

/*  True when some argument holds a placeholder of the item ({#} is not
    one): the item goes into the arguments, not to the child's stdin.     */
bool exec_argv_takes_item (const exec_argv_t *self);

/*  True when arg holds any placeholder (it is not a file name to look
    for).                                                                  */
bool exec_argv_has_placeholder (const char *arg);

/*  0 when item (len bytes) can go into the arguments, else PP_EINVAL with
    a static one-line reason in *why: it holds a NUL byte, or bytes a shell
    acts on where the script nests.                                        */
int exec_argv_check (const exec_argv_t *self, const char *item, size_t len,
                     const char **why);

/*  The command line for item (len bytes, checked) and its input record
    number record ({#}), placeholders filled in. The caller frees it with
    exec_argv_free. NULL on OOM.                                           */
char **exec_argv_build (const exec_argv_t *self, const char *item, size_t len,
                        uint64_t record);

/*  Frees what exec_argv_build returned; NULL-safe.                       */
void exec_argv_free (const exec_argv_t *self, char **argv);

/*  arg with every placeholder filled in from item (len bytes) and record,
    quoted for a shell where it stands when script (arg is a -c script).
    Returns 0 with a NUL-terminated copy in *out (the caller frees it),
    PP_EINVAL (a NUL byte in a value, or a value the script cannot take
    where it stands) or PP_ENOMEM.                                         */
int exec_argv_expand (const char *arg, const char *item, size_t len,
                      uint64_t record, bool script, char **out);

/*  The environment for a child of ctx's run: the snapshot plus PP_RUN,
    PP_WORKER and, per_item, PP_SEQ (the item's 0-based sequence number in
    the run, as the sink's seq) and PP_RECORD (its 1-based input record
    number, as {#}), the four written in vars (which must outlive the
    array). The caller frees the array; NULL on OOM.                      */
char **exec_argv_env (const exec_argv_t *self, pp_job_ctx_t *ctx, bool per_item,
                      char vars[4][48]);

#endif
