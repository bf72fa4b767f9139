/*  exec_pipe: one long-running child per job thread (--pipe).            */

#include "exec_pipe.h"
#include "pp_cli.h"
#include "pp_error.h"
#include "pp_net.h"

#include <czmq.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define S_EOF_GRACE_MS 100  /* a child may leave on EOF this long */
#define S_PIPE_BUF 65536    /* read-ahead of a child's stdout */
#define S_BATCH_BYTES 16384 /* a batch written at once, at most */

/*  The child of one job thread.                                          */
typedef struct {
    atomic_bool claimed; /* a live job thread owns this slot */
    exec_child_t child;
    uint64_t run_id; /* the run it was started for (its PP_RUN) */
    char *buf;       /* read-ahead of its stdout, S_PIPE_BUF bytes */
    size_t pos, len; /* unconsumed bytes are buf[pos..len) */
    exec_errlog_t errlog;
} s_slot_t;

struct _exec_pipe_t {
    exec_conf_t *conf;
    const exec_argv_t *cmd;
    s_slot_t *slots; /* one per job thread */
    int nslots;
    pthread_key_t key; /* a job thread's slot */
    bool has_key;
};

/*  --- slots -------------------------------------------------------------- */

/*  Releases a slot when its job thread exits (a pthread key destructor);
    its child stays up for the next thread.                               */
static void
s_release (void *slot)
{
    atomic_store (&((s_slot_t *) slot)->claimed, false);
}

/*  This thread's slot, claimed on its first item. NULL if none is free. */
static s_slot_t *
s_mine (exec_pipe_t *self)
{
    s_slot_t *slot = pthread_getspecific (self->key);
    for (int i = 0; !slot && i < self->nslots; i++) {
        bool unclaimed = false;
        if (atomic_compare_exchange_strong (&self->slots[i].claimed, &unclaimed,
                                            true)) {
            slot = &self->slots[i];
            if (pthread_setspecific (self->key, slot) != 0) {
                s_release (slot);
                return NULL;
            }
        }
    }
    return slot;
}

/*  Ends the slot's child: EOF first, then SIGTERM, then SIGKILL.         */
static void
s_stop (exec_pipe_t *self, s_slot_t *slot)
{
    exec_child_close (&slot->child.in);
    if (exec_child_exited (&slot->child, S_EOF_GRACE_MS))
        exec_run_drain_stderr (&slot->child, &slot->errlog);
    exec_child_end (&slot->child, exec_run_short_grace (self->conf));
    exec_errlog_flush (&slot->errlog);
}

static int
s_start (exec_pipe_t *self, s_slot_t *slot, pp_job_ctx_t *ctx)
{
    errno = ENOMEM;
    if (!slot->buf && !(slot->buf = malloc (S_PIPE_BUF)))
        return PP_ENOMEM;
    char vars[4][48];
    char **envp = exec_argv_env (self->cmd, ctx, false, vars);
    errno = ENOMEM;
    if (!envp)
        return PP_ENOMEM;
    int rc =
        exec_child_spawn (&slot->child, exec_argv_given (self->cmd), envp, true,
                          self->conf->stderr_tag || self->conf->stderr_reason);
    free (envp);
    slot->pos = slot->len = 0;
    slot->run_id = pp_job_run_id (ctx);
    exec_errlog_restart (&slot->errlog);
    return rc;
}

/*  Makes sure the slot has a live child for ctx's run: one that exited
    since its last answer, or of another run (its PP_RUN is wrong), is
    ended, a missing one started, waiting while we are short of fds,
    processes or memory. Returns 0, PP_EABORTED, or an error with errno.  */
static int
s_ready (exec_pipe_t *self, s_slot_t *slot, pp_job_ctx_t *ctx)
{
    if (slot->child.pid > 0 && (slot->run_id != pp_job_run_id (ctx) ||
                                exec_child_exited (&slot->child, 0)))
        s_stop (self, slot);
    int64_t delay = EXEC_RETRY_MS;
    while (slot->child.pid <= 0) {
        int rc = s_start (self, slot, ctx);
        int err = errno;
        if (rc != 0 && !exec_run_short_of (err)) {
            errno = err;
            return rc;
        }
        if (rc != 0 && exec_run_backoff (self->conf, ctx, err, &delay) != 0)
            return PP_EABORTED;
    }
    return 0;
}

/*  --- reading lines ------------------------------------------------------ */

/*  Moves buffered output into out up to a newline: EXEC_DONE when the line
    is complete, EXEC_TOO_BIG past out->max, else EXEC_RUNNING.           */
static exec_end_t
s_take_line (exec_run_t *run, s_slot_t *slot)
{
    char *start = slot->buf + slot->pos;
    size_t avail = slot->len - slot->pos;
    char *newline = avail ? memchr (start, '\n', avail) : NULL;
    size_t take = newline ? (size_t) (newline - start) : avail;
    int rc = pp_buf_append (run->out, start, take);
    if (rc != 0) {
        run->err = ENOMEM;
        return rc == PP_ETOOBIG ? EXEC_TOO_BIG : EXEC_IO_ERROR;
    }
    slot->pos += newline ? take + 1 : take;
    if (slot->pos == slot->len)
        slot->pos = slot->len = 0;
    return newline ? EXEC_DONE : EXEC_RUNNING;
}

/*  Reads once, at most *left bytes, into the (empty) read-ahead buffer.
    EXEC_EXITED at EOF.                                                    */
static exec_end_t
s_fill (exec_run_t *run, s_slot_t *slot, size_t *left)
{
    ssize_t n = exec_child_read (&run->child->out, slot->buf + slot->len,
                                 S_PIPE_BUF - slot->len, left);
    if (n > 0) {
        slot->len += (size_t) n;
        return EXEC_RUNNING;
    }
    run->err = errno;
    if (n == 0)
        return EXEC_RUNNING;
    return errno == 0 ? EXEC_EXITED : EXEC_IO_ERROR;
}

/*  The child has exited: the rest of the line if the pipe holds it
    already (EXEC_DONE), else EXEC_EXITED. What it left running in its
    group may write on; that is no answer.                                 */
static exec_end_t
s_take_rest (exec_run_t *run, s_slot_t *slot)
{
    size_t left = exec_child_pending (run->child->out);
    for (;;) {
        exec_end_t end = s_take_line (run, slot);
        if (end != EXEC_RUNNING)
            return end;
        if (left == 0)
            return EXEC_EXITED;
        if ((end = s_fill (run, slot, &left)) != EXEC_RUNNING)
            return end;
    }
}

/*  Reads one line of result into run->out, sending what is left of the
    input meanwhile.                                                       */
static exec_end_t
s_read_line (exec_run_t *run, s_slot_t *slot)
{
    for (;;) {
        exec_end_t end = s_take_line (run, slot);
        if (end != EXEC_RUNNING)
            return end;
        int wait_ms;
        if ((end = exec_run_check (run, &wait_ms)) != EXEC_RUNNING)
            return end;
        int rc = exec_run_pump (run, false, wait_ms);
        if (rc < 0)
            return EXEC_IO_ERROR;
        size_t any = SIZE_MAX;
        if (rc > 0 && (end = s_fill (run, slot, &any)) != EXEC_RUNNING)
            return end;
        if (run->exited)
            return s_take_rest (run, slot);
    }
}

/*  --- one item ----------------------------------------------------------- */

/*  Sends the item as one line and reads one line of result into out.
    EXEC_EXITED with input.unread: the child left without reading any of
    the item (after its last answer), which is not the item's doing.      */
static exec_end_t
s_exchange (exec_run_t *run, s_slot_t *slot)
{
    exec_input_t *input = &run->input;
    exec_run_send (run->child, input, false);
    exec_end_t end = input->refused ? EXEC_EXITED : s_read_line (run, slot);
    input->unread = end == EXEC_EXITED &&
                    (input->sent == 0 ||
                     exec_child_pending (run->child->in) >= input->sent);
    return end;
}

/*  The child exited or closed its output: read what it says on stderr,
    see how it ended, fail the item. The next item starts a new child.   */
static int
s_died (exec_run_t *run)
{
    exec_child_t *child = run->child;
    exec_child_close (&child->in);
    exec_child_close (&child->out);
    exec_end_t end = EXEC_RUNNING;
    int wait_ms;
    while (child->err >= 0 && !run->exited &&
           (end = exec_run_check (run, &wait_ms)) == EXEC_RUNNING)
        if (exec_run_pump (run, false, wait_ms) < 0)
            break;
    if (end == EXEC_RUNNING &&
        (run->exited || exec_child_exited (child, S_EOF_GRACE_MS))) {
        exec_run_drain_stderr (child, run->errlog);
        int status =
            exec_child_reap_exited (child, exec_run_short_grace (run->conf));
        exec_run_status (run, status);
        return exec_run_fail_status (run, "pipe command ", status);
    }
    exec_run_status (run, exec_child_end (child, exec_run_grace (run, end)));
    return end == EXEC_RUNNING
               ? exec_run_fail (run, "pipe command closed its output")
               : exec_run_fail_end (run, end);
}

/*  Starts the slot's child if it has none (or one of another run), then
    trades the item for a line of result.                                  */
static exec_end_t
s_try (exec_pipe_t *self, s_slot_t *slot, exec_run_t *run)
{
    int rc = s_ready (self, slot, run->ctx);
    if (rc != 0) {
        run->err = errno;
        return rc == PP_EABORTED ? EXEC_ABORTED : EXEC_NOT_STARTED;
    }
    exec_run_clock (run);
    run->input.sent = 0;
    run->input.refused = run->input.unread = false;
    run->exited = false;
    return s_exchange (run, slot);
}

int
exec_pipe_run (exec_pipe_t *self, pp_job_ctx_t *ctx, const char *item,
               size_t len, pp_buf_t *out)
{
    exec_run_t run;
    exec_run_init (&run, self->conf, ctx, out);
    if (memchr (item, '\n', len))
        return exec_run_fail (&run, "item holds a newline: --pipe sends one "
                                    "line per item");
    s_slot_t *slot = s_mine (self);
    if (!slot)
        return exec_run_fail (&run, "no free --pipe slot (more job threads "
                                    "than --threads?)");
    exec_errlog_next (&slot->errlog, pp_job_record (ctx));
    run.child = &slot->child;
    run.errlog = &slot->errlog;
    run.input = (exec_input_t){.data = item, .len = len};
    exec_end_t end = s_try (self, slot, &run);
    if (end == EXEC_EXITED && run.input.unread) {
        /*  It left after its last item, before this one: not this item's
            fault. Reap it and try once more on a new child.              */
        if (pp_verbosity > 1)
            zsys_info ("pipe command %s left between items; restarting",
                       self->conf->name);
        s_stop (self, slot);
        end = s_try (self, slot, &run);
    }
    if (end == EXEC_DONE)
        return 0;
    if (end == EXEC_EXITED)
        return s_died (&run);
    if (slot->child.pid > 0)
        exec_run_status (
            &run, exec_child_end (&slot->child, exec_run_grace (&run, end)));
    return exec_run_fail_end (&run, end);
}

/*  --- a batch ------------------------------------------------------------ */

/*  Joins a batch into lines in buf; false when it is too big or an item
    holds a newline (those go one at a time, with their own outcome).    */
static bool
s_batch_lines (const pp_job_item_t *items, int n, char *buf, size_t *len)
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

int
exec_pipe_batch (exec_pipe_t *self, pp_job_ctx_t *ctx,
                 const pp_job_item_t *items, int n, pp_buf_t *outs)
{
    char buf[S_BATCH_BYTES];
    size_t len;
    s_slot_t *slot = s_mine (self);
    if (!slot || !s_batch_lines (items, n, buf, &len))
        return 0;
    if (s_ready (self, slot, ctx) != 0)
        return 0;
    exec_errlog_next (&slot->errlog, pp_job_record (ctx)); /* the first's */
    /*  exec_run_send adds the last newline itself.                       */
    exec_input_t input = {.data = buf, .len = len - 1};
    exec_run_send (&slot->child, &input, false);
    for (int i = 0; i < n; i++) {
        exec_run_t run;
        exec_run_init (&run, self->conf, ctx, &outs[i]); /* a timeout each */
        run.child = &slot->child;
        run.errlog = &slot->errlog;
        run.input = input;
        exec_end_t end = input.refused ? EXEC_EXITED : s_read_line (&run, slot);
        input = run.input;
        if (end != EXEC_DONE) {
            exec_child_end (&slot->child, EXEC_ABORT_GRACE_MS);
            return i;
        }
    }
    return n;
}

/*  --- the table ---------------------------------------------------------- */

exec_pipe_t *
exec_pipe_new (exec_conf_t *conf, const exec_argv_t *cmd, int threads)
{
    exec_pipe_t *self = calloc (1, sizeof (exec_pipe_t));
    if (!self)
        return NULL;
    self->conf = conf;
    self->cmd = cmd;
    self->slots = calloc ((size_t) threads, sizeof (s_slot_t));
    if (!self->slots) {
        exec_pipe_destroy (&self);
        return NULL;
    }
    self->nslots = threads;
    for (int i = 0; i < self->nslots; i++) {
        atomic_init (&self->slots[i].claimed, false);
        self->slots[i].child = EXEC_CHILD_NONE;
        exec_errlog_init (&self->slots[i].errlog, conf->stderr_tag,
                          conf->stderr_reason, 0);
    }
    if (pthread_key_create (&self->key, s_release) != 0)
        exec_pipe_destroy (&self);
    else
        self->has_key = true;
    return self;
}

void
exec_pipe_destroy (exec_pipe_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    exec_pipe_t *self = *self_p;
    exec_pipe_shutdown (self);
    if (self->has_key)
        pthread_key_delete (self->key);
    for (int i = 0; i < self->nslots; i++)
        free (self->slots[i].buf);
    free (self->slots);
    free (self);
    *self_p = NULL;
}

/*  Waits up to ms in all for every live child to exit.                  */
static void
s_wait_all (exec_pipe_t *self, int64_t ms)
{
    int64_t deadline = pp_now_ms () + ms;
    for (int i = 0; i < self->nslots; i++) {
        int64_t left = deadline - pp_now_ms ();
        if (self->slots[i].child.pid > 0)
            exec_child_exited (&self->slots[i].child, left > 0 ? left : 0);
    }
}

void
exec_pipe_shutdown (exec_pipe_t *self)
{
    if (!self)
        return;
    for (int i = 0; i < self->nslots; i++)
        exec_child_close (&self->slots[i].child.in); /* EOF: leave */
    s_wait_all (self, S_EOF_GRACE_MS);
    for (int i = 0; i < self->nslots; i++)
        if (self->slots[i].child.pid > 0)
            exec_child_kill (&self->slots[i].child, SIGTERM);
    s_wait_all (self, EXEC_ABORT_GRACE_MS);
    for (int i = 0; i < self->nslots; i++)
        if (self->slots[i].child.pid > 0) {
            exec_child_reap (&self->slots[i].child);
            exec_errlog_flush (&self->slots[i].errlog);
        }
}
