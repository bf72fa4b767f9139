/*  pp_worker: receiver (this thread) -> task channel -> job threads ->
    result channel -> sender thread -> sink.

    The main thread owns the tasks and control sockets and feeds the task
    channel; when the channel is full it stops reading tasks, the HWM fills
    and the ventilator's load balancer skips this worker: backpressure.
    Only the sender thread touches the results socket.

    Stopping wakes every thread before joining it: the task channel is
    aborted (job threads end, running jobs are cancelled), the result
    channel closed (job threads waiting for room wake up) and the sender,
    seeing the abort, gives up what it could not send. Each thread returns
    how many results it gave up; that count is logged and, when the run
    goes on without us, makes the exit status say results were withheld. */

#include "pp_worker.h"
#include "pp_chan.h"
#include "pp_ctl.h"
#include "pp_error.h"
#include "pp_job_internal.h"
#include "pp_net.h"
#include "pp_signal.h"
#include "pp_stall.h"

#include <czmq.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/random.h>
#include <unistd.h>

#define S_POLL_MS 50
#define S_SEND_RETRY_MS 100
#define S_RESULT_BATCH 256
#define S_RESULT_SLOTS 8          /* result batches queued, besides 2/thread */
#define S_SLICE_BYTES (64 * 1024) /* a slice stops growing past this     */
#define S_HOLD_NS 2000000         /* results wait at most this for more  */
#define S_HELLO_EVERY_MS 1000
#define S_CREDIT_MAX 16384       /* most items a credit worker holds     */
#define S_INPUT_SHOWN 120        /* input bytes sent with a failure      */
#define S_JOB_BATCH 32           /* items per call of a batch handler    */
#define S_CHEAP_NS 20000         /* jobs under this gather their results */
#define S_SLICE_MAX 256          /* most records in a slice ...          */
#define S_SLICE_NS 200000        /* ... which holds about this much work */
#define S_PUSH_CAPACITY 512      /* least channel items in push flow     */
#define S_CREDIT_AHEAD_MS 25     /* credit covers this much work ...     */
#define S_CREDIT_BYTES (8 << 20) /* ... and at most this many bytes */
#define S_RATE_EVERY_MS 100      /* completion rate sampling period      */
#define S_STUCK_NOTICE_MS 1000   /* a sink taking nothing so long: logged */
#define S_LEAVE_STALL_MS 3000    /* ... and given up when leaving        */

typedef enum {
    S_IDLE,    /* no run yet (or --serve between runs)                 */
    S_RUNNING, /* a run adopted, pipeline running                      */
    S_LEAVING, /* first signal: no new tasks, finish the buffer        */
    S_EXIT     /* leave the loop with self->code                       */
} s_phase_t;

typedef struct {
    const pp_worker_config_t *cfg;
    pp_handler_fn *handler;
    void *user;
    uint32_t worker_id;
    char host[64];
    zsock_t *tasks, *control, *acks;
    pp_netmon_t *netmon; /* refused handshakes on the three above     */
    s_phase_t phase;
    uint64_t run_id;
    uint64_t ended_run; /* the last run that ended: never re-joined      */
    int code;
    /*  The pipeline of the current run.                                   */
    pp_chan_t *task_chan;
    pp_chan_t *result_chan;
    pthread_t *jobs;
    int njobs;
    pthread_t sender;
    bool sender_started;
    /*  A TASK message being cut into slices, and where we are.           */
    struct _s_tasks_t *pending; /* our reference, or NULL            */
    const uint8_t *pending_payload;
    size_t pending_size, pending_offset;
    void *pending_slice;      /* cut, waiting for room (s_slice_t)   */
    pp_batch_t *pending_drop; /* dropped outcomes waiting for room   */
    uint32_t slice_max;       /* most records in a slice             */
    uint32_t slow_weight;     /* what a slow job's record weighs     */
    atomic_llong job_ns;      /* a job's cost, measured (0: not yet):
                                 a hint the job threads leave for the
                                 receiver, so a relaxed atomic, no lock */
    atomic_llong stuck_ms;    /* since when the sender waits for the
                                 sink to take a batch (0: it does not): a
                                 hint for the leaving receiver, as job_ns */
    uint64_t withheld;        /* results of this run given up unsent    */
    bool sink_told;           /* a sink taking nothing was logged       */
    int64_t hello_ms;
    int64_t heard_ms; /* last STATE of our run                         */
    pp_stall_t stall; /* time our loop lost (stopped)                  */
    int signals_seen;
    /*  Credit flow: we hold received - completed items and have granted
        granted - received more; together never above capacity.           */
    zsock_t *done; /* PULL: the sender reports completions here     */
    char done_endpoint[64];
    uint64_t granted, received, completed;
    int64_t beat_ms;       /* last heartbeat sent                           */
    int64_t beat_every_ms; /* from the ventilator's STATE               */
    uint64_t rate;         /* completions per second, smoothed              */
    uint64_t item_bytes;   /* bytes a task takes on the wire, smoothed     */
    uint64_t rate_mark;    /* completed at the last sample                  */
    int64_t rate_ms;       /* time of the last sample                       */
    uint64_t rejects[PP_REJECT_COUNT];
} s_worker_t;

void
pp_worker_config_init (pp_worker_config_t *config)
{
    memset (config, 0, sizeof (*config));
    pp_cli_init (&config->common, "pp-worker");
    config->ventilator_timeout_ms = 10000;
    long cores = sysconf (_SC_NPROCESSORS_ONLN);
    config->threads = cores > 0 ? (int) cores : 1;
    config->capacity = 0; /* 0: twice the threads                        */
}

static bool
s_credit_flow (const s_worker_t *self)
{
    return self->cfg->common.flow == PP_FLOW_CREDIT;
}

/*  Channel capacity in items: --capacity, else in push flow 2 x threads
    but at least S_PUSH_CAPACITY (two slices of 256 cheap items: a receiver
    that waits for a job thread between slices stalls the pipeline), in
    credit flow room for the adaptive credit target (see s_credit_target). */
static int
s_capacity (const s_worker_t *self)
{
    if (self->cfg->capacity > 0)
        return self->cfg->capacity;
    if (s_credit_flow (self))
        return S_CREDIT_MAX;
    int twice = 2 * self->cfg->threads;
    return twice > S_PUSH_CAPACITY ? twice : S_PUSH_CAPACITY;
}

/*  How many items to hold (queued + running + owed). A fixed --capacity
    is taken as given; else enough for S_CREDIT_AHEAD_MS of work at the
    measured rate, and never under 2 x threads: slow jobs keep the
    fairness of small credit, tiny items get the throughput of large.      */
static uint64_t
s_credit_target (const s_worker_t *self)
{
    if (self->cfg->capacity > 0)
        return (uint64_t) self->cfg->capacity;
    uint64_t threads = (uint64_t) self->cfg->threads;
    uint64_t floor = 2 * threads;
    uint64_t want = self->rate * S_CREDIT_AHEAD_MS / 1000;
    /*  The job threads' measured cost per item gives the same figure at
        once: the completion rate is sampled every S_RATE_EVERY_MS, and
        while credit is small it measures the credit, not the job -- a
        slow start of a few hundred ms for cheap items.                    */
    int64_t job_ns = atomic_load_explicit (&self->job_ns, memory_order_relaxed);
    if (job_ns > 0) {
        uint64_t by_cost =
            threads * S_CREDIT_AHEAD_MS * 1000000 / (uint64_t) job_ns;
        if (by_cost > want)
            want = by_cost;
    }
    /*  ... and never more than S_CREDIT_BYTES of items held.            */
    uint64_t by_bytes =
        S_CREDIT_BYTES / (self->item_bytes ? self->item_bytes : 1);
    if (want > by_bytes)
        want = by_bytes;
    if (want < floor)
        want = floor;
    return want > S_CREDIT_MAX ? S_CREDIT_MAX : want;
}

/*  --- what travels between the threads --------------------------------- */

/*  A TASK message, shared by the slices cut from it: the last slice to let
    go frees it. Records are read in place, never copied one by one. The
    count is the one piece of state threads share outside a channel: an
    atomic reference count, as libzmq keeps for its own messages.          */
typedef struct _s_tasks_t {
    atomic_int refs;
    zmsg_t *msg;     /* owns the bytes, or NULL: they follow (spilled)  */
    uint8_t bytes[]; /* a slice read back from the spill file          */
} s_tasks_t;

/*  count records back to back at data: what a job thread takes at once.
    About S_SLICE_NS of work as measured: one record for slow jobs, up to
    S_SLICE_MAX for cheap ones, where a malloc, a copy and a channel round
    trip per item were most of the worker's cost.                        */
typedef struct {
    s_tasks_t *tasks;
    const uint8_t *data;
    size_t size;
    uint32_t count;
    uint32_t weight; /* of the channel's capacity                      */
} s_slice_t;

static void
s_tasks_unref (s_tasks_t *tasks)
{
    if (tasks && atomic_fetch_sub_explicit (&tasks->refs, 1,
                                            memory_order_acq_rel) == 1) {
        zmsg_destroy (&tasks->msg);
        free (tasks);
    }
}

static void
s_slice_free (void *arg)
{
    s_slice_t *slice = arg;
    if (slice) {
        s_tasks_unref (slice->tasks);
        free (slice);
    }
}

/*  A slice weighs its records (--capacity counts items), or more: see
    slow_weight in s_pipeline_start.                                       */
static size_t
s_slice_weight (const void *arg)
{
    return ((const s_slice_t *) arg)->weight;
}

/*  Spilled slice: count (4 bytes), then the records as on the wire.       */
static size_t
s_slice_spill_size (const void *arg)
{
    return 4 + ((const s_slice_t *) arg)->size;
}

static void
s_slice_encode (const void *arg, unsigned char *out)
{
    const s_slice_t *slice = arg;
    pp_put_u32 (out, slice->count);
    memcpy (out + 4, slice->data, slice->size);
}

static void *
s_slice_decode (const unsigned char *data, size_t size)
{
    pp_reject_t reason;
    if (size < 4 || pp_get_u32 (data) == 0 ||
        pp_wire_check_batch (data + 4, size - 4, pp_get_u32 (data), SIZE_MAX,
                             &reason) != 0)
        return NULL;
    s_tasks_t *tasks = malloc (sizeof (s_tasks_t) + size - 4);
    s_slice_t *slice = malloc (sizeof (s_slice_t));
    if (!tasks || !slice) {
        free (tasks);
        free (slice);
        return NULL;
    }
    atomic_init (&tasks->refs, 1);
    tasks->msg = NULL;
    memcpy (tasks->bytes, data + 4, size - 4);
    *slice = (s_slice_t){.tasks = tasks,
                         .data = tasks->bytes,
                         .size = size - 4,
                         .count = pp_get_u32 (data),
                         .weight = pp_get_u32 (data)};
    return slice;
}

static const pp_chan_codec_t s_slice_codec = {s_slice_spill_size,
                                              s_slice_encode, s_slice_decode};

/*  Results go from job threads to the sender as encoded RESULT batches.  */
static void
s_results_free (void *arg)
{
    pp_batch_t *results = arg;
    if (results) {
        pp_batch_free (results);
        free (results);
    }
}

/*  --- job threads ------------------------------------------------------ */

/*  Hands results to the sender (waits for room). Returns 0, or the
    channel's error when the run was stopped under us: *results is kept,
    for the job thread to count as given up.                              */
static int
s_flush (s_worker_t *self, pp_batch_t **results)
{
    if (!*results || (*results)->count == 0)
        return 0;
    int rc = pp_chan_send (self->result_chan, *results, -1);
    if (rc == 0)
        *results = NULL;
    return rc;
}

/*  Adds task's outcome to *results (flushing a full batch first): out
    holds the result (ok) or the reason. A failure also carries a NUL and
    the start of the input, so the sink shows which record failed, not
    only why. Returns 0 or an error (the outcome is lost: redelivered).  */
static int
s_emit (s_worker_t *self, pp_batch_t **results, const pp_record_t *task,
        pp_buf_t *out, uint8_t outcome)
{
    if (*results && pp_batch_full (*results, S_RESULT_BATCH)) {
        int rc = s_flush (self, results);
        if (rc != 0)
            return rc;
    }
    if (!*results && !(*results = calloc (1, sizeof (pp_batch_t))))
        return PP_ENOMEM;
    size_t input = outcome == PP_OUTCOME_OK    ? 0
                   : task->len < S_INPUT_SHOWN ? task->len
                                               : S_INPUT_SHOWN;
    if (input && out->len + 1 + input <= out->max) {
        size_t reason = out->len;
        if (pp_buf_append (out, "", 1) != 0 ||
            pp_buf_append (out, task->data, input) != 0)
            out->len = reason; /* the reason alone, then              */
    }
    pp_record_t rec = *task;
    rec.data = out->data ? out->data : "";
    rec.len = (uint32_t) out->len;
    rec.outcome = outcome;
    return pp_batch_add (*results, &rec);
}

/*  Runs the handler on one record; the handler gets its own NUL-terminated
    copy (the record lies inside the message).                             */
static int
s_run_one (s_worker_t *self, pp_job_ctx_t *ctx, const pp_record_t *task,
           pp_buf_t *copy, pp_buf_t *out, pp_batch_t **results)
{
    ctx->seq = task->seq;
    out->len = 0;
    copy->len = 0;
    if (pp_buf_append (copy, task->data, task->len) != 0 ||
        pp_buf_append (copy, "", 1) != 0)
        return PP_ENOMEM;
    int rc = self->handler (ctx, copy->data, task->len, out, self->user);
    return s_emit (self, results, task, out,
                   rc == 0 ? PP_OUTCOME_OK : PP_OUTCOME_FAILED);
}

/*  The per-thread buffers of s_run_slice.                                */
typedef struct {
    pp_buf_t copy;
    pp_buf_t out;
    pp_buf_t outs[S_JOB_BATCH];
    pp_record_t tasks[S_JOB_BATCH];
    int rcs[S_JOB_BATCH];
} s_scratch_t;

/*  Runs the batch handler on the n records gathered in scratch.          */
static int
s_run_batch (s_worker_t *self, pp_job_ctx_t *ctx, s_scratch_t *scratch, int n,
             pp_batch_t **results)
{
    ctx->seq = scratch->tasks[0].seq;
    for (int i = 0; i < n; i++)
        scratch->outs[i].len = 0;
    self->cfg->batch (ctx, scratch->tasks, n, scratch->outs, scratch->rcs,
                      self->user);
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++)
        rc = s_emit (self, results, &scratch->tasks[i], &scratch->outs[i],
                     scratch->rcs[i] == 0 ? PP_OUTCOME_OK : PP_OUTCOME_FAILED);
    return rc;
}

/*  Runs every record of slice, adding the outcomes to *results. A record
    the ventilator failed already passes through as it is.                 */
static int
s_run_slice (s_worker_t *self, pp_job_ctx_t *ctx, const s_slice_t *slice,
             s_scratch_t *scratch, pp_batch_t **results)
{
    int n = 0, rc = 0;
    size_t offset = 0;
    pp_record_t rec;
    while (rc == 0 &&
           pp_wire_next_record (slice->data, slice->size, &offset, &rec)) {
        if (rec.outcome != PP_OUTCOME_OK) {
            pp_buf_t as_is = {
                .data = (char *) rec.data, .len = rec.len, .max = rec.len};
            rc = s_emit (self, results, &rec, &as_is, rec.outcome);
        } else if (self->cfg->batch && slice->count > 1) {
            scratch->tasks[n++] = rec; /* run S_JOB_BATCH at once       */
            if (n == S_JOB_BATCH) {
                rc = s_run_batch (self, ctx, scratch, n, results);
                n = 0;
            }
        } else
            rc = s_run_one (self, ctx, &rec, &scratch->copy, &scratch->out,
                            results);
    }
    if (n > 0 && rc == 0)
        rc = s_run_batch (self, ctx, scratch, n, results);
    return rc;
}

/*  A job thread. It takes one slice at a time and gathers the outcomes
    into a RESULT batch, handed on when it is full, when the jobs are slow
    (each result goes at once), when it is S_HOLD_NS old, or when no slice
    is waiting -- never held while the thread sleeps. The measured cost
    per item tells the receiver how big to cut slices. Returns how many
    results it gave up when stopped (a uintptr_t).                        */
static void *
s_job_thread (void *arg)
{
    s_worker_t *self = arg;
    pp_job_ctx_t ctx = {.run_id = self->run_id,
                        .worker_id = self->worker_id,
                        .cancel = self->task_chan};
    s_scratch_t *scratch = calloc (1, sizeof (s_scratch_t));
    if (!scratch) {
        pp_chan_abort (self->task_chan);
        return NULL;
    }
    size_t max = self->cfg->common.max_item;
    scratch->copy.max = max + 1;
    scratch->out.max = max;
    for (int i = 0; i < S_JOB_BATCH; i++)
        scratch->outs[i].max = max;
    pp_batch_t *results = NULL;
    int64_t avg_ns = 0; /* not measured yet                             */
    int64_t held_since = 0;
    int rc;
    while (true) {
        void *got = NULL;
        bool holding = results && results->count > 0;
        rc = pp_chan_recv (self->task_chan, &got, holding ? 0 : -1);
        if (rc == PP_EAGAIN) {
            rc = s_flush (self, &results);
            if (rc != 0)
                break;
            continue;
        }
        if (rc != 0)
            break;
        s_slice_t *slice = got;
        int64_t start = pp_now_ns ();
        if (!holding)
            held_since = start;
        /*  A failure here (out of memory) loses the slice's outcomes:
            the ventilator sends them again after --ack-timeout.           */
        int run = s_run_slice (self, &ctx, slice, scratch, &results);
        int64_t now = pp_now_ns ();
        int64_t each = (now - start) / slice->count;
        avg_ns = avg_ns ? (avg_ns * 7 + each) / 8 : each > 0 ? each : 1;
        atomic_store_explicit (&self->job_ns, avg_ns, memory_order_relaxed);
        s_slice_free (slice);
        if (run == PP_EABORTED || run == PP_ECLOSED) {
            rc = run;
            break;
        }
        if (avg_ns >= S_CHEAP_NS || now - held_since >= S_HOLD_NS ||
            (results && pp_batch_full (results, S_RESULT_BATCH))) {
            rc = s_flush (self, &results);
            if (rc != 0)
                break;
        }
    }
    if (rc == PP_ECLOSED)
        s_flush (self, &results); /* leaving: what we did still goes    */
    uintptr_t lost = results ? results->count : 0;
    s_results_free (results);
    pp_buf_free (&scratch->copy);
    pp_buf_free (&scratch->out);
    for (int i = 0; i < S_JOB_BATCH; i++)
        pp_buf_free (&scratch->outs[i]);
    free (scratch);
    return (void *) lost;
}

/*  --- sender thread ----------------------------------------------------- */

static void
s_send_hello (s_worker_t *self, zsock_t *sock)
{
    pp_hello_t hello = {.pid = (uint32_t) getpid (),
                        .threads = (uint32_t) self->cfg->threads,
                        .capacity = (uint32_t) self->cfg->capacity,
                        .flow = (uint8_t) self->cfg->common.flow};
    snprintf (hello.host, sizeof (hello.host), "%s", self->host);
    uint8_t payload[128];
    size_t size = pp_wire_encode_hello (&hello, payload);
    pp_header_t hdr = {.type = PP_MSG_HELLO,
                       .run_id = self->run_id,
                       .worker_id = self->worker_id};
    pp_net_send (sock, NULL, &hdr, payload, size, true);
}

/*  The sender thread's own: its sockets and what it knows of the sink.   */
typedef struct {
    zsock_t *sock;       /* PUSH to the sink (--results)                      */
    zsock_t *done;       /* credit flow: completions, to the receiver         */
    pp_netmon_t *netmon; /* sock's handshakes and connection, or NULL    */
    bool up;             /* the sink is connected, as far as we know          */
    uint64_t queued;     /* results queued since the sink went away           */
    uintptr_t lost;      /* results given up                                  */
} s_sender_t;

/*  True once the pipeline is being stopped (the task channel aborted):
    what the sender still holds is given up, not sent.                     */
static bool
s_stopping (s_worker_t *self)
{
    return pp_chan_wait_aborted (self->task_chan, 0) == PP_EABORTED;
}

/*  Watches the results socket: libzmq queues results for a sink that
    went away, and a worker leaving must not count those as delivered; a
    sink refusing our handshake says so. Unwatched, the sink is taken to
    be there.                                                              */
static void
s_sender_watch (s_worker_t *self, s_sender_t *sender)
{
    sender->up = true; /* its first event may have passed unseen       */
    sender->netmon = pp_netmon_new (&self->cfg->common);
    pp_netmon_watch (sender->netmon, sender->sock, "--results", false);
}

/*  Takes in the connection events that arrived (never waits).            */
static void
s_sender_events (s_sender_t *sender)
{
    pp_netmon_check (sender->netmon);
    bool up = pp_netmon_connected (sender->netmon, sender->sock);
    if (up && !sender->up)
        sender->queued = 0; /* what was queued goes to it now           */
    sender->up = up;
}

/*  Sends one batch, waiting while the sink's queue is full, until the
    pipeline is stopped; while it waits, stuck_ms tells the receiver since
    when (it logs: this thread does not). Returns 0, or the count given
    up.                                                                    */
static uint32_t
s_send_results (s_worker_t *self, s_sender_t *sender, const pp_batch_t *batch)
{
    pp_header_t hdr = {.type = PP_MSG_RESULT,
                       .run_id = self->run_id,
                       .worker_id = self->worker_id,
                       .count = batch->count};
    int64_t since = 0;
    int rc;
    while ((rc = pp_net_send (sender->sock, NULL, &hdr, batch->data,
                              batch->size, false)) == PP_EAGAIN &&
           !s_stopping (self)) {
        pp_netmon_check (sender->netmon); /* a sink refusing us says so */
        if (!since) {
            since = pp_now_ms ();
            atomic_store_explicit (&self->stuck_ms, since,
                                   memory_order_relaxed);
        }
    }
    if (since)
        atomic_store_explicit (&self->stuck_ms, 0, memory_order_relaxed);
    return rc == 0 ? 0 : batch->count;
}

/*  Sends a batch, or gives it up when stopping; then frees it.           */
static void
s_sender_batch (s_worker_t *self, s_sender_t *sender, pp_batch_t *batch)
{
    s_sender_events (sender);
    uint32_t lost =
        s_stopping (self) ? batch->count : s_send_results (self, sender, batch);
    sender->lost += lost;
    if (lost == 0 && !sender->up)
        sender->queued += batch->count;
    if (lost == 0 && sender->done) { /* credit flow: slots free again */
        uint8_t count[4];
        pp_put_u32 (count, batch->count);
        zmq_send (zsock_resolve (sender->done), count, sizeof (count), 0);
    }
    s_results_free (batch);
}

/*  Closes the sender's sockets. Leaving gracefully, queued results get a
    moment to go to a connected sink; queued for a sink that is gone, they
    never will: given up.                                                  */
static void
s_sender_close (s_sender_t *sender, bool graceful)
{
    s_sender_events (sender);
    if (graceful && sender->up)
        zsock_set_linger (sender->sock, 1000);
    else if (graceful)
        sender->lost += sender->queued;
    pp_netmon_destroy (&sender->netmon); /* before the socket it watches */
    zsock_destroy (&sender->done);
    zsock_destroy (&sender->sock);
}

/*  The sender thread. Returns how many results it gave up (uintptr_t).   */
static void *
s_sender_thread (void *arg)
{
    s_worker_t *self = arg;
    s_sender_t sender = {.up = true};
    sender.sock = pp_net_socket (ZMQ_PUSH, &self->cfg->common,
                                 self->cfg->common.results, false, "--results");
    if (!sender.sock) {
        pp_chan_abort (self->result_chan);
        return NULL;
    }
    zsock_set_sndtimeo (sender.sock, S_SEND_RETRY_MS);
    s_sender_watch (self, &sender);
    if (s_credit_flow (self))
        sender.done = zsock_new_push (self->done_endpoint);
    s_send_hello (self, sender.sock);
    void *batches[16];
    int n;
    while ((n = pp_chan_recv_many (self->result_chan, batches, 16,
                                   S_SEND_RETRY_MS)) > 0 ||
           n == PP_ETIMEDOUT) {
        s_sender_events (&sender); /* idle too: a refused handshake    */
        for (int i = 0; i < n; i++)
            s_sender_batch (self, &sender, batches[i]);
    }
    s_sender_close (&sender, n == PP_ECLOSED && !s_stopping (self));
    return (void *) sender.lost;
}

/*  --- the pipeline of one run ----------------------------------------- */

static int
s_pipeline_start (s_worker_t *self)
{
    int capacity = s_capacity (self);
    self->task_chan = pp_chan_new ((size_t) capacity, s_slice_free);
    self->result_chan = pp_chan_new (
        (size_t) (2 * self->cfg->threads + S_RESULT_SLOTS), s_results_free);
    self->jobs = calloc ((size_t) self->cfg->threads, sizeof (pthread_t));
    if (!self->task_chan || !self->result_chan || !self->jobs)
        return PP_ENOMEM;
    /*  Slices of up to S_SLICE_MAX records, at most half the capacity
        (two in flight); spilled slices are single records (pp_chan spills
        unweighted).                                                       */
    int half = capacity / 2 > 1 ? capacity / 2 : 1;
    self->slice_max = half < S_SLICE_MAX ? (uint32_t) half : S_SLICE_MAX;
    /*  The default push capacity is sized for cheap items; a slow job's
        record (a slice of one) weighs so that 2 x threads of them fill it,
        as before slices: a worker does not hoard slow items that idle
        workers could run. A --capacity given is counted in items.        */
    int twice = 2 * self->cfg->threads;
    self->slow_weight =
        self->cfg->capacity == 0 && !s_credit_flow (self) && capacity > twice
            ? (uint32_t) (capacity / twice)
            : 1;
    atomic_store (&self->job_ns, 0); /* slow until measured           */
    atomic_store (&self->stuck_ms, 0);
    self->withheld = 0;
    self->sink_told = false;
    if (self->cfg->overflow == PP_OVERFLOW_DROP)
        pp_chan_set_drop (self->task_chan);
    const char *dir = self->cfg->spill_dir ? self->cfg->spill_dir : "/tmp";
    if (self->cfg->overflow == PP_OVERFLOW_SPILL) {
        self->slice_max = 1;
        if (pp_chan_set_spill (self->task_chan, dir, &s_slice_codec) != 0) {
            zsys_error ("--spill-dir: cannot create a file in %s: %s", dir,
                        strerror (errno));
            return PP_EIO;
        }
    } else
        pp_chan_set_weight (self->task_chan, s_slice_weight);
    if (pthread_create (&self->sender, NULL, s_sender_thread, self) != 0)
        return PP_ENOMEM;
    self->sender_started = true;
    for (; self->njobs < self->cfg->threads; self->njobs++)
        if (pthread_create (&self->jobs[self->njobs], NULL, s_job_thread,
                            self) != 0)
            return PP_ENOMEM;
    return 0;
}

/*  Forgets the TASK message being cut and what waits for room (dropped
    outcomes not reported: given up).                                      */
static void
s_pending_free (s_worker_t *self)
{
    s_slice_free (self->pending_slice);
    self->pending_slice = NULL;
    if (self->pending_drop)
        self->withheld += self->pending_drop->count;
    s_results_free (self->pending_drop);
    self->pending_drop = NULL;
    s_tasks_unref (self->pending);
    self->pending = NULL;
}

/*  Joins thread; returns the count of results it gave up.                */
static uint64_t
s_join (pthread_t thread)
{
    void *lost = NULL;
    pthread_join (thread, &lost);
    return (uintptr_t) lost;
}

/*  Stops the pipeline now, discarding what it holds. Wakes every thread
    before joining it: whatever a thread waits on (the task channel, room
    in the result channel, the sink) ends with the abort, so this returns
    within a job's cancel time. Adds what was given up to self->withheld. */
static void
s_pipeline_stop (s_worker_t *self)
{
    if (self->task_chan)
        pp_chan_abort (self->task_chan);
    if (self->result_chan)
        pp_chan_close (self->result_chan);
    for (int i = 0; i < self->njobs; i++)
        self->withheld += s_join (self->jobs[i]);
    if (self->sender_started)
        self->withheld += s_join (self->sender);
    s_pending_free (self);
    pp_chan_destroy (&self->task_chan);
    pp_chan_destroy (&self->result_chan);
    free (self->jobs);
    self->jobs = NULL;
    self->njobs = 0;
    self->sender_started = false;
}

/*  --- receiving tasks --------------------------------------------------- */

/*  Cuts the next slice off the pending TASK message: about S_SLICE_NS of
    work at the measured cost per item (1 .. slice_max records), and at most
    S_SLICE_BYTES unless one record is bigger. Releases the message when
    it is used up. Returns the slice, or NULL (used up, or out of memory
    when self->pending is still set).                                     */
static s_slice_t *
s_cut (s_worker_t *self)
{
    int64_t job_ns = atomic_load_explicit (&self->job_ns, memory_order_relaxed);
    int64_t fit = job_ns > 0 ? S_SLICE_NS / job_ns : 1;
    uint32_t max = fit < 1                           ? 1
                   : fit < (int64_t) self->slice_max ? (uint32_t) fit
                                                     : self->slice_max;
    size_t start = self->pending_offset, offset = start;
    uint32_t count = 0;
    pp_record_t rec;
    while (count < max && (count == 0 || offset - start < S_SLICE_BYTES) &&
           pp_wire_next_record (self->pending_payload, self->pending_size,
                                &offset, &rec))
        count++;
    if (count == 0) {
        s_tasks_unref (self->pending);
        self->pending = NULL;
        return NULL;
    }
    s_slice_t *slice = malloc (sizeof (s_slice_t));
    if (!slice)
        return NULL;
    atomic_fetch_add_explicit (&self->pending->refs, 1, memory_order_relaxed);
    *slice = (s_slice_t){.tasks = self->pending,
                         .data = self->pending_payload + start,
                         .size = offset - start,
                         .count = count,
                         .weight = max == 1 ? self->slow_weight : count};
    self->pending_offset = offset;
    return slice;
}

/*  --overflow drop: the slice's records become dropped outcomes naming
    this worker, bound for the sink. NULL on OOM.                          */
static pp_batch_t *
s_dropped (s_worker_t *self, const s_slice_t *slice)
{
    pp_batch_t *results = calloc (1, sizeof (pp_batch_t));
    char reason[96];
    int len = snprintf (reason, sizeof (reason),
                        "dropped: worker %08x channel full", self->worker_id);
    pp_buf_t out = {.max = self->cfg->common.max_item};
    size_t offset = 0;
    pp_record_t rec;
    int rc = results ? 0 : PP_ENOMEM;
    while (rc == 0 &&
           pp_wire_next_record (slice->data, slice->size, &offset, &rec)) {
        out.len = 0;
        rc = pp_buf_append (&out, reason, (size_t) len);
        if (rc == 0) /* s_emit adds no batch here: one is made above   */
            rc = s_emit (self, &results, &rec, &out, PP_OUTCOME_DROPPED);
    }
    pp_buf_free (&out);
    if (rc != 0) {
        s_results_free (results);
        return NULL;
    }
    return results;
}

/*  Sends item to chan, waiting for room until deadline (block policy;
    the others fail at once). Returns pp_chan_send's code.                 */
static int
s_send_until (pp_chan_t *chan, void *item, int64_t deadline)
{
    int rc = pp_chan_send (chan, item, 0); /* room?                     */
    if (rc == PP_EAGAIN) {
        int64_t left = deadline - pp_now_ms ();
        if (left > 0)
            rc = pp_chan_send (chan, item, (int) left);
    }
    return rc;
}

/*  Moves the pending TASK's records into the channel, a slice at a time,
    waiting at most S_POLL_MS for room. Returns 0 (all moved or still
    pending) or an error.                                                  */
static int
s_feed (s_worker_t *self)
{
    int64_t deadline = pp_now_ms () + S_POLL_MS; /* then watch control */
    while (true) {
        if (self->pending_drop) {
            int rc =
                s_send_until (self->result_chan, self->pending_drop, deadline);
            if (rc == PP_ETIMEDOUT || rc == PP_EAGAIN)
                return 0;
            if (rc != 0)
                return rc;
            self->pending_drop = NULL;
        }
        if (!self->pending_slice) {
            if (!self->pending)
                return 0;
            self->pending_slice = s_cut (self);
            if (!self->pending_slice)
                return self->pending ? PP_ENOMEM : 0;
        }
        int rc = s_send_until (self->task_chan, self->pending_slice, deadline);
        if (rc == PP_EAGAIN && self->cfg->overflow == PP_OVERFLOW_DROP) {
            self->pending_drop = s_dropped (self, self->pending_slice);
            if (!self->pending_drop)
                return PP_ENOMEM;
            s_slice_free (self->pending_slice);
            self->pending_slice = NULL;
            continue;
        }
        if (rc == PP_ETIMEDOUT || rc == PP_EAGAIN)
            return 0;
        if (rc == PP_EIO) {
            zsys_error ("--spill-dir: cannot write (disk full?); waiting");
            return 0;
        }
        if (rc != 0)
            return rc;
        self->pending_slice = NULL;
    }
}

/*  Takes a checked TASK message to cut into slices (in is consumed).     */
static void
s_on_task (s_worker_t *self, pp_inmsg_t *in)
{
    pp_reject_t reason;
    if (in->hdr.run_id != self->run_id) {
        self->rejects[PP_REJECT_RUN]++;
        pp_inmsg_free (in);
        return;
    }
    if (pp_wire_check_batch (in->payload, in->size, in->hdr.count,
                             self->cfg->common.max_item, &reason) != 0) {
        self->rejects[reason]++;
        pp_inmsg_free (in);
        return;
    }
    s_tasks_t *tasks = malloc (sizeof (s_tasks_t));
    if (!tasks) {
        pp_inmsg_free (in); /* sent again after --ack-timeout           */
        return;
    }
    atomic_init (&tasks->refs, 1); /* ours, while we cut                */
    tasks->msg = in->msg;
    in->msg = NULL;
    self->pending = tasks;
    self->pending_payload = in->payload;
    self->pending_size = in->size;
    self->pending_offset = 0;
    self->received += in->hdr.count;
    if (pp_verbosity > 1 && self->received == in->hdr.count)
        zsys_info ("run %016llx: the first tasks arrived (%u items)",
                   (unsigned long long) self->run_id, in->hdr.count);
    uint64_t each = in->size / (in->hdr.count ? in->hdr.count : 1) + 1;
    self->item_bytes =
        self->item_bytes ? (self->item_bytes * 7 + each) / 8 : each;
}

static void
s_send_hello_to_ventilator (s_worker_t *self)
{
    s_send_hello (self, self->acks);
    self->hello_ms = pp_now_ms ();
}

/*  Credit flow: sends a CREDIT of count (0 is a heartbeat). One the queue
    does not take was not granted: the next tick grants it again.          */
static void
s_send_credit (s_worker_t *self, uint32_t count)
{
    pp_header_t hdr = {.type = PP_MSG_CREDIT,
                       .run_id = self->run_id,
                       .worker_id = self->worker_id,
                       .count = count};
    if (pp_net_send (self->tasks, NULL, &hdr, "", 0, true) != 0)
        return;
    self->granted += count;
    self->beat_ms = pp_now_ms ();
}

/*  Credit flow: grants what is free, and beats when it is time.           */
static void
s_credit_tick (s_worker_t *self)
{
    if (!s_credit_flow (self) || self->phase != S_RUNNING || !self->tasks)
        return;
    int64_t now = pp_now_ms ();
    if (now - self->rate_ms >= S_RATE_EVERY_MS) {
        uint64_t sample = (self->completed - self->rate_mark) * 1000 /
                          (uint64_t) (now - self->rate_ms);
        self->rate = (self->rate + sample) / 2;
        self->rate_mark = self->completed;
        self->rate_ms = now;
    }
    uint64_t busy = self->granted - self->completed; /* held + owed     */
    uint64_t target = s_credit_target (self);
    if (busy < target)
        s_send_credit (self, (uint32_t) (target - busy));
    else if (pp_now_ms () - self->beat_ms >= self->beat_every_ms / 3)
        s_send_credit (self, 0);
}

/*  Credit flow: introduces this worker on the tasks socket (again after a
    reset: what we were owed is forgotten, what we hold still counts).     */
static void
s_credit_hello (s_worker_t *self)
{
    self->granted = self->received;
    s_send_hello (self, self->tasks);
    s_credit_tick (self);
}

/*  Joins run_id, heard of in state (0: from a task): starts a pipeline
    for it and says hello.                                                  */
static int
s_adopt (s_worker_t *self, uint64_t run_id, uint16_t state)
{
    self->run_id = run_id;
    self->phase = S_RUNNING;
    self->granted = self->received = self->completed = 0;
    self->heard_ms = pp_now_ms ();
    self->rate = self->rate_mark = self->item_bytes = 0;
    self->rate_ms = pp_now_ms ();
    if (pp_verbosity > 1)
        zsys_info ("joined run %016llx (%s)", (unsigned long long) run_id,
                   state ? pp_ctl_state_name (state) : "from a task");
    int rc = s_pipeline_start (self);
    s_send_hello_to_ventilator (self);
    if (rc == 0 && s_credit_flow (self))
        s_credit_hello (self);
    return rc;
}

/*  Logs the results of this run given up unsent, if any, and when the
    run goes on without us, who sends those items again.                  */
static void
s_log_withheld (s_worker_t *self, const char *what, bool run_goes_on)
{
    if (self->withheld == 0)
        return;
    zsys_warning ("%s: %llu results were not delivered to the sink "
                  "(--results %s)%s",
                  what, (unsigned long long) self->withheld,
                  self->cfg->common.results,
                  !run_goes_on ? ""
                  : s_credit_flow (self)
                      ? "; the ventilator sends those items again when "
                        "this worker's heartbeats stop"
                      : "; the ventilator sends those items again after "
                        "its --ack-timeout");
}

/*  The run ended with state (DONE or ABORTED) and these counts.          */
static void
s_run_ended (s_worker_t *self, uint16_t state, const pp_state_t *counts)
{
    s_pipeline_stop (self);
    self->ended_run = self->run_id;
    if (state == PP_STATE_ABORTED) {
        s_log_withheld (self, "the run was aborted", false);
        self->code = PP_EXIT_ABORTED;
    } else
        self->code =
            counts->failed + counts->dropped > 0 ? PP_EXIT_FAILED : PP_EXIT_OK;
    self->phase = self->cfg->serve ? S_IDLE : S_EXIT;
}

static int
s_on_state (s_worker_t *self, const pp_header_t *hdr, const pp_state_t *st)
{
    bool ended = pp_ctl_ended (hdr->flags);
    if (!ended && hdr->count != (uint32_t) self->cfg->common.flow) {
        zsys_error ("the ventilator runs --flow %s but this worker --flow "
                    "%s: give every process the same --flow",
                    hdr->count ? "credit" : "push",
                    s_credit_flow (self) ? "credit" : "push");
        return PP_EINVAL;
    }
    if (hdr->worker_id >= 10)
        self->beat_every_ms = hdr->worker_id;
    if (self->phase == S_IDLE) {
        if (hdr->run_id == self->ended_run)
            return 0; /* the tail of the run we served last             */
        if (!ended)
            return s_adopt (self, hdr->run_id, hdr->flags);
        if (!self->cfg->serve)
            s_run_ended (self, hdr->flags, st); /* came too late: leave */
        return 0;
    }
    if (hdr->run_id != self->run_id) {
        self->rejects[PP_REJECT_RUN]++;
        return 0;
    }
    self->heard_ms = pp_now_ms ();
    if (ended)
        s_run_ended (self, hdr->flags, st);
    else if (hdr->flags == PP_STATE_WAITING &&
             pp_now_ms () - self->hello_ms >= S_HELLO_EVERY_MS)
        s_send_hello_to_ventilator (self);
    return 0;
}

static int
s_on_control (s_worker_t *self)
{
    pp_header_t hdr;
    pp_state_t state;
    if (pp_ctl_recv (self->control, &hdr, &state, self->rejects) != 0)
        return 0;
    return s_on_state (self, &hdr, &state);
}

static int
s_on_tasks_socket (s_worker_t *self)
{
    pp_inmsg_t in;
    if (pp_net_recv (self->tasks, false, &in, self->rejects) != 0)
        return 0;
    if (in.hdr.type == PP_MSG_BYE && s_credit_flow (self) &&
        self->phase == S_RUNNING && in.hdr.run_id == self->run_id) {
        zsys_notice ("the ventilator asked us to join again (it had "
                     "written us off, or lost our connection)");
        pp_inmsg_free (&in);
        s_credit_hello (self);
        return 0;
    }
    if (in.hdr.type != PP_MSG_TASK) {
        self->rejects[PP_REJECT_TYPE]++;
        pp_inmsg_free (&in);
        return 0;
    }
    /*  Tasks may beat the first STATE here (slow joiner on SUB).          */
    if (self->phase == S_IDLE && in.hdr.run_id == self->ended_run) {
        self->rejects[PP_REJECT_RUN]++; /* a straggler of the last run   */
        pp_inmsg_free (&in);
        return 0;
    }
    if (self->phase == S_IDLE) {
        int rc = s_adopt (self, in.hdr.run_id, 0);
        if (rc != 0) {
            pp_inmsg_free (&in);
            return rc;
        }
    }
    s_on_task (self, &in);
    return 0;
}

/*  Sequence numbers gathered for a BYE.                                   */
typedef struct {
    uint8_t *data;
    size_t count, cap;
} s_seqs_t;

/*  Adds the seqs of the records in data from offset on. Short of memory,
    the rest are left out: they come back when our heartbeats stop.       */
static void
s_seqs_add (s_seqs_t *seqs, const uint8_t *data, size_t size, size_t offset)
{
    pp_record_t rec;
    while (pp_wire_next_record (data, size, &offset, &rec)) {
        if (seqs->count == seqs->cap) {
            size_t cap = seqs->cap ? seqs->cap * 2 : 256;
            uint8_t *grown = realloc (seqs->data, cap * 8);
            if (!grown)
                return;
            seqs->data = grown;
            seqs->cap = cap;
        }
        pp_put_u64 (seqs->data + 8 * seqs->count++, rec.seq);
    }
}

/*  Credit flow, leaving: every item not started yet goes back to the
    ventilator in a BYE, so others take it at once.                        */
static void
s_hand_back (s_worker_t *self)
{
    s_seqs_t seqs = {0};
    void *slices[64];
    int n;
    while ((n = pp_chan_recv_many (self->task_chan, slices, 64, 0)) > 0)
        for (int i = 0; i < n; i++) {
            s_slice_t *slice = slices[i];
            s_seqs_add (&seqs, slice->data, slice->size, 0);
            s_slice_free (slice);
        }
    s_slice_t *slice = self->pending_slice;
    if (slice)
        s_seqs_add (&seqs, slice->data, slice->size, 0);
    if (self->pending_drop) { /* not reported yet: others may run them */
        s_seqs_add (&seqs, self->pending_drop->data, self->pending_drop->size,
                    0);
        s_results_free (self->pending_drop); /* handed back, not lost  */
        self->pending_drop = NULL;
    }
    if (self->pending)
        s_seqs_add (&seqs, self->pending_payload, self->pending_size,
                    self->pending_offset);
    s_pending_free (self);
    pp_header_t hdr = {.type = PP_MSG_BYE,
                       .run_id = self->run_id,
                       .worker_id = self->worker_id,
                       .count = (uint32_t) seqs.count};
    zsock_set_linger (self->tasks, 1000); /* best effort: else requeued
                                             when our beats stop         */
    pp_net_send (self->tasks, NULL, &hdr, seqs.data ? (void *) seqs.data : "",
                 seqs.count * 8, true);
    free (seqs.data);
}

/*  Credit flow: the sender thread reports results it sent.                */
static void
s_on_done (s_worker_t *self)
{
    uint8_t count[4];
    while (zmq_recv (zsock_resolve (self->done), count, sizeof (count),
                     ZMQ_DONTWAIT) == 4)
        self->completed += pp_get_u32 (count);
    s_credit_tick (self);
}

/*  Logs a sink that takes no results, once per wait, and its return.     */
static void
s_watch_sink (s_worker_t *self)
{
    int64_t stuck =
        atomic_load_explicit (&self->stuck_ms, memory_order_relaxed);
    if (!self->sink_told && stuck && pp_now_ms () - stuck >= S_STUCK_NOTICE_MS)
        zsys_notice ("the sink takes no results (--results %s): holding "
                     "them",
                     self->cfg->common.results);
    else if (self->sink_told && !stuck)
        zsys_notice ("the sink takes results again");
    else
        return;
    self->sink_told = !self->sink_told;
}

/*  Joins thread if it ended, adding what it gave up to self->withheld.   */
static bool
s_tryjoin (s_worker_t *self, pthread_t thread)
{
    void *lost = NULL;
    if (pthread_tryjoin_np (thread, &lost) != 0)
        return false;
    self->withheld += (uintptr_t) lost;
    return true;
}

/*  Leaving: true once every job thread finished what it started and the
    sender sent the results. Never waits: the loop keeps watching signals,
    the control socket and the sink.                                        */
static bool
s_left (s_worker_t *self)
{
    for (int i = 0; i < self->njobs;)
        if (s_tryjoin (self, self->jobs[i]))
            self->jobs[i] = self->jobs[--self->njobs];
        else
            i++;
    if (self->njobs > 0)
        return false;
    pp_chan_close (self->result_chan); /* the sender ends when it is sent */
    if (self->sender_started && !s_tryjoin (self, self->sender))
        return false;
    self->sender_started = false;
    return true;
}

/*  Since the last check we came late (past a wait of wait_ms) by half
    --ventilator-timeout or more -- we were stopped, say: the ventilator's
    STATE waits unread, so it counts as heard now.                          */
static void
s_check_stall (s_worker_t *self, int64_t wait_ms)
{
    int64_t lost = pp_stall_check (&self->stall, pp_now_ms (), wait_ms,
                                   self->cfg->ventilator_timeout_ms / 2);
    if (lost > 0 && self->phase == S_RUNNING &&
        self->cfg->ventilator_timeout_ms > 0) {
        zsys_notice ("this process did not run for %lld ms (was it "
                     "stopped?): the ventilator gets that time back",
                     (long long) lost);
        self->heard_ms = pp_now_ms ();
    }
}

/*  Leaving: ends once left, or when the sink took nothing for
    S_LEAVE_STALL_MS (gone, or stuck): finishing would never end. Results
    given up make the exit status 1: the run goes on without them.         */
static void
s_leave_step (s_worker_t *self)
{
    int64_t stuck =
        atomic_load_explicit (&self->stuck_ms, memory_order_relaxed);
    bool left = s_left (self);
    if (!left && (stuck == 0 || pp_now_ms () - stuck < S_LEAVE_STALL_MS))
        return;
    if (!left)
        zsys_error ("leaving: the sink took no results for %d ms (--results "
                    "%s): giving up",
                    S_LEAVE_STALL_MS, self->cfg->common.results);
    s_pipeline_stop (self);
    s_log_withheld (self, "left", true);
    self->code = self->withheld > 0 ? PP_EXIT_RUNTIME : PP_EXIT_OK;
    self->phase = S_EXIT;
}

/*  A ventilator silent for --ventilator-timeout (it publishes its state
    several times a second) is gone, or we missed its DONE behind a cut
    link: drop the run instead of waiting forever. Exit 1 (we cannot
    know how the run ended), or, with --serve, wait for the next run.     */
static void
s_check_silence (s_worker_t *self)
{
    s_check_stall (self, S_POLL_MS); /* s_feed waits that long at most */
    if (self->phase != S_RUNNING || self->cfg->ventilator_timeout_ms <= 0 ||
        pp_now_ms () - self->heard_ms < self->cfg->ventilator_timeout_ms)
        return;
    zsys_error ("no word from the ventilator for %lld ms: leaving run "
                "%016llx",
                (long long) self->cfg->ventilator_timeout_ms,
                (unsigned long long) self->run_id);
    s_pipeline_stop (self);
    s_log_withheld (self, "left the run", true);
    self->ended_run = self->run_id;
    self->code = PP_EXIT_RUNTIME;
    self->phase = self->cfg->serve ? S_IDLE : S_EXIT;
}

/*  First signal: stop taking tasks (credit flow: hand back what was not
    started), let the job threads finish, flush, exit 0 (1 when results
    could not be sent: see s_leave_step) -- the main loop keeps watching,
    so a second signal still stops at once (exit 3).                      */
static void
s_on_signal (s_worker_t *self, int signals)
{
    if (signals >= 2 || self->phase != S_RUNNING) {
        s_pipeline_stop (self);
        s_log_withheld (self, "stopped at once", true);
        self->code = signals >= 2 ? PP_EXIT_ABORTED : PP_EXIT_OK;
        self->phase = S_EXIT;
        return;
    }
    zsys_notice ("leaving: finishing the items already started");
    if (s_credit_flow (self))
        s_hand_back (self);
    else {
        /*  What was cut still runs if there is room; the rest comes back
            after --ack-timeout. Never wait here: a full channel of slow
            jobs would keep us from the second signal.                     */
        if (self->pending_slice &&
            pp_chan_send (self->task_chan, self->pending_slice, 0) == 0)
            self->pending_slice = NULL;
        if (self->pending_drop &&
            pp_chan_send (self->result_chan, self->pending_drop, 0) == 0)
            self->pending_drop = NULL;
        s_pending_free (self);
    }
    pp_netmon_forget (self->netmon, self->tasks);
    zsock_destroy (&self->tasks); /* what libzmq had queued is redelivered */
    pp_chan_close (self->task_chan);
    self->phase = S_LEAVING;
    self->code = PP_EXIT_OK;
}

static int
s_loop (s_worker_t *self)
{
    while (self->phase != S_EXIT) {
        bool busy = self->pending || self->pending_slice || self->pending_drop;
        bool take = self->tasks && !busy;
        zmq_pollitem_t items[] = {
            {zsock_resolve (self->control), 0, ZMQ_POLLIN, 0},
            {self->tasks ? zsock_resolve (self->tasks) : NULL, 0,
             (short) (take ? ZMQ_POLLIN : 0), 0},
            {self->done ? zsock_resolve (self->done) : NULL, 0, ZMQ_POLLIN, 0}};
        long timeout = busy ? 0 : S_POLL_MS;
        if (zmq_poll (items, self->done ? 3 : 2, timeout) == -1 &&
            zmq_errno () != EINTR)
            return PP_EIO;
        s_check_stall (self, timeout);
        if (self->done)
            s_on_done (self);
        int rc = 0;
        while (rc == 0 && self->phase != S_EXIT &&
               (zsock_events (self->control) & ZMQ_POLLIN))
            rc = s_on_control (self);
        if (rc == 0 && take && self->phase != S_EXIT &&
            (items[1].revents & ZMQ_POLLIN))
            rc = s_on_tasks_socket (self);
        if (rc == 0 && self->phase == S_RUNNING)
            rc = s_feed (self);
        if (rc != 0)
            return rc;
        if (self->sender_started)
            s_watch_sink (self);
        if (self->phase == S_LEAVING)
            s_leave_step (self);
        s_check_silence (self);
        pp_netmon_check (self->netmon);
        int signals = pp_signal_count ();
        if (signals != self->signals_seen) {
            self->signals_seen = signals;
            s_on_signal (self, signals);
        }
    }
    return 0;
}

static int
s_open (s_worker_t *self)
{
    const pp_common_t *common = &self->cfg->common;
    bool credit = s_credit_flow (self);
    /*  Full, we stop reading it: backpressure (see pp_net_socket_paused). */
    self->tasks = pp_net_socket_paused (credit ? ZMQ_DEALER : ZMQ_PULL, common,
                                        common->tasks, false, "--tasks");
    if (credit) {
        snprintf (self->done_endpoint, sizeof (self->done_endpoint),
                  "inproc://pp-worker-done-%p", (void *) self);
        self->done = zsock_new_pull (self->done_endpoint);
        if (!self->done)
            return PP_EIO;
    }
    self->control =
        pp_net_socket (ZMQ_SUB, common, common->control, false, "--control");
    self->acks = pp_net_acks_socket (ZMQ_PUSH, common, false);
    if (!self->tasks || !self->control || !self->acks)
        return PP_EIO;
    self->netmon = pp_netmon_new (common);
    pp_netmon_watch (self->netmon, self->tasks, "--tasks", false);
    pp_netmon_watch (self->netmon, self->control, "--control", false);
    pp_netmon_watch (self->netmon, self->acks, "--acks", false);
    while (self->worker_id == 0)
        if (getrandom (&self->worker_id, sizeof (self->worker_id), 0) == -1)
            self->worker_id = (uint32_t) getpid ();
    if (gethostname (self->host, sizeof (self->host)) != 0)
        snprintf (self->host, sizeof (self->host), "unknown");
    self->host[sizeof (self->host) - 1] = '\0';
    return 0;
}

int
pp_worker_run (const pp_worker_config_t *config, pp_handler_fn *handler,
               void *user_data)
{
    pp_worker_config_t cfg = *config;
    pp_cli_endpoints (&cfg.common); /* unset ones from PP_* or defaults */
    pp_cli_security (&cfg.common, false, true);
    s_worker_t self = {.beat_every_ms = 1000,
                       .cfg = &cfg,
                       .handler = handler,
                       .user = user_data,
                       .phase = S_IDLE,
                       .code = PP_EXIT_RUNTIME};
    pp_signal_install ();
    int rc = s_open (&self);
    if (rc == 0)
        rc = s_loop (&self);
    s_pipeline_stop (&self);
    if (rc != 0) {
        zsys_error ("worker stopped: %s", pp_strerror (rc));
        s_log_withheld (&self, "stopped", true);
        self.code = PP_EXIT_RUNTIME;
    }
    pp_net_log_rejects (self.rejects);
    pp_netmon_destroy (&self.netmon); /* before the sockets it watches  */
    zsock_destroy (&self.tasks);
    zsock_destroy (&self.done);
    zsock_destroy (&self.control);
    zsock_destroy (&self.acks);
    pp_cli_security_end (&cfg.common);
    return self.code;
}
