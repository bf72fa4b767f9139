/*  pp_job: what a job handler works with -- the item, a buffer for its
    result, the job context -- and the built-in jobs. A handler runs on a
    job thread of a worker; the built-in ones are square, sleep and echo
    (pp-worker --job NAME).                                                 */

#ifndef PP_JOB_H_INCLUDED
#define PP_JOB_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*  A growable byte buffer with a hard limit, for results and reasons.     */
typedef struct {
    char *data; /* len bytes, then a NUL (NULL while empty)            */
    size_t len;
    size_t cap;
    size_t max; /* appends past this fail with PP_ETOOBIG            */
} pp_buf_t;

/*  Appends len bytes; returns 0, PP_ETOOBIG (nothing appended) or
    PP_ENOMEM.                                                              */
int pp_buf_append (pp_buf_t *buf, const void *data, size_t len);

/*  Replaces the contents with formatted text (truncated to max).          */
void pp_buf_printf (pp_buf_t *buf, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/*  Frees the buffer's memory and empties it.                              */
void pp_buf_free (pp_buf_t *buf);

/*  What a handler knows about the item it runs and its run.               */
typedef struct _pp_job_ctx_t pp_job_ctx_t;

/*  The item's sequence number, run id and this worker's id.               */
uint64_t pp_job_seq (const pp_job_ctx_t *ctx);
uint64_t pp_job_run_id (const pp_job_ctx_t *ctx);
uint32_t pp_job_worker_id (const pp_job_ctx_t *ctx);

/*  The item's 1-based input record number (its line in the input file;
    0 when the ventilator gave none). In a batch handler: of the first
    item of the batch.                                                     */
uint64_t pp_job_record (const pp_job_ctx_t *ctx);

/*  Sets the exit status the job log shows for this item: a command's exit
    status, or -N when signal N ended it. 0 unless set; set per item.      */
void pp_job_set_status (pp_job_ctx_t *ctx, int status);

/*  Sleeps ms milliseconds unless the run is aborted first. Returns 0, or
    PP_EABORTED when the handler should give up at once.                    */
int pp_job_sleep (pp_job_ctx_t *ctx, int64_t ms);

/*  True once the run is aborted: a long-running handler checks it between
    waits (at least every 100 ms) and gives up.                             */
bool pp_job_aborted (pp_job_ctx_t *ctx);

/*  A job: turns item (len bytes, NUL-terminated) into a result in out and
    returns 0, or returns non-zero with a one-line reason in out: the item
    is then *failed*. Runs on a job thread: must be thread-safe.           */
typedef int (pp_handler_fn) (pp_job_ctx_t *ctx, const char *item, size_t len,
                             pp_buf_t *out, void *user);

/*  An item as a batch handler sees it.                                    */
typedef struct {
    uint64_t seq;     /* its sequence number                           */
    const char *data; /* len bytes, NOT NUL-terminated                 */
    size_t len;
} pp_job_item_t;

/*  A batch job (optional): runs n cheap items at once -- one pipe write
    for all of them, say -- with each outcome as the single-item handler
    would give it: rcs[i] (0 ok) and the result or reason in outs[i]. The
    bytes of items[i] lie in the message they came in, valid during the
    call. The worker calls it only for jobs measured to take
    microseconds.                                                          */
typedef void (pp_batch_fn) (pp_job_ctx_t *ctx, const pp_job_item_t *items,
                            int n, pp_buf_t *outs, int *rcs, void *user);

/*  The built-in job called name ("square", "sleep", "echo"), else NULL.   */
pp_handler_fn *pp_job_builtin (const char *name);

#endif
