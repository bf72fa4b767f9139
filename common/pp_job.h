/*  pp_job: items, result buffers, and the handlers that turn one into the
    other. A handler runs on a job thread of a worker; the built-in ones are
    square, sleep and echo (pp-worker --job NAME).                          */

#ifndef PP_JOB_H_INCLUDED
#define PP_JOB_H_INCLUDED

#include "pp_chan.h"
#include "pp_wire.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*  One work item or outcome as it travels inside a process.               */
typedef struct {
    uint64_t run_id;
    uint64_t seq;
    uint64_t t_enq_us; /* when the ventilator first queued it           */
    uint32_t len;
    uint8_t outcome; /* PP_OUTCOME_* (results only)                   */
    uint8_t attempt; /* delivery attempt, 0 = first                   */
    char data[];     /* len bytes, then a NUL for convenience         */
} pp_item_t;

/*  Allocates an item holding a copy of len bytes of data. NULL on OOM.    */
pp_item_t *pp_item_new (uint64_t run_id, uint64_t seq, const void *data,
                        size_t len);

/*  Frees an item (a pp_chan_free_fn). NULL-safe.                          */
void pp_item_free (void *item);

/*  Spills items to disk and reads them back (pp_chan_set_spill).         */
extern const pp_chan_codec_t pp_item_codec;

/*  A growable byte buffer with a hard limit, for results and reasons.     */
typedef struct {
    char *data;
    size_t len;
    size_t cap;
    size_t max; /* appends past this fail with PP_ETOOBIG         */
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

/*  A batch job (optional): runs n cheap items at once -- one pipe write
    for all of them, say -- with each outcome as the single-item handler
    would give it: rcs[i] (0 ok) and the result or reason in outs[i].
    items[i].data/len/seq describe item i as received: its bytes lie in
    the message and are NOT NUL-terminated. The worker calls it only for
    jobs measured to take microseconds.                                    */
typedef void (pp_batch_fn) (pp_job_ctx_t *ctx, const pp_record_t *items, int n,
                            pp_buf_t *outs, int *rcs, void *user);

/*  The built-in job called name ("square", "sleep", "echo"), else NULL.   */
pp_handler_fn *pp_job_builtin (const char *name);

/*  Parses a whole int64 (optional sign, surrounding blanks allowed).
    Returns 0 or PP_EINVAL. Shared by the square job and the sink's --sum.  */
int pp_parse_int64 (const char *text, size_t len, int64_t *value);

#endif
