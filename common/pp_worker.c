/*  pp_worker: receiver (this thread) -> task channel -> job threads ->
    result channel -> sender thread -> sink.

    The main thread owns the tasks and control sockets and feeds the task
    channel; when the channel is full it stops reading tasks, the HWM fills
    and the ventilator's load balancer skips this worker: backpressure.
    Only the sender thread touches the results socket.                      */

#include "pp_worker.h"
#include "pp_chan.h"
#include "pp_ctl.h"
#include "pp_error.h"
#include "pp_job_internal.h"
#include "pp_net.h"
#include "pp_signal.h"

#include <czmq.h>
#include <pthread.h>
#include <sys/random.h>
#include <unistd.h>

#define S_POLL_MS 50
#define S_SEND_RETRY_MS 100
#define S_RESULT_BATCH 256
#define S_HELLO_EVERY_MS 1000
#define S_CREDIT_MAX 4096    /* most items a credit worker holds     */
#define S_INPUT_SHOWN 120    /* input bytes sent with a failure      */
#define S_JOB_BATCH 32       /* items a job thread takes at once ... */
#define S_CHEAP_NS 20000     /* ... when its jobs take under this    */
#define S_PUSH_CAPACITY 128  /* least channel slots in push flow     */
#define S_CREDIT_AHEAD_MS 25 /* credit covers this much work         */
#define S_RATE_EVERY_MS 100  /* completion rate sampling period      */

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
    /*  A TASK message not yet fully in the channel, and where we are.     */
    pp_inmsg_t pending;
    size_t pending_offset;
    pp_item_t *pending_item;
    int64_t hello_ms;
    int64_t heard_ms; /* last STATE of our run                         */
    int signals_seen;
    /*  Credit flow: we hold received - completed items and have granted
        granted - received more; together never above capacity.           */
    zsock_t *done; /* PULL: the sender reports completions here     */
    char done_endpoint[64];
    uint64_t granted, received, completed;
    int64_t beat_ms;       /* last heartbeat sent                           */
    int64_t beat_every_ms; /* from the ventilator's STATE               */
    uint64_t rate;         /* completions per second, smoothed              */
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

/*  Channel slots: --capacity, else in push flow 2 x threads but at least
    S_PUSH_CAPACITY (a receiver that blocks every other item costs 5x in
    throughput, measured), in credit flow room for the adaptive credit
    target (see s_credit_target).                                          */
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
    uint64_t floor = 2 * (uint64_t) self->cfg->threads;
    uint64_t want = self->rate * S_CREDIT_AHEAD_MS / 1000;
    if (want < floor)
        want = floor;
    return want > S_CREDIT_MAX ? S_CREDIT_MAX : want;
}

/*  --- job threads ------------------------------------------------------ */

static pp_item_t *
s_outcome (const pp_item_t *task, const pp_buf_t *out, uint8_t outcome)
{
    /*  A failure carries its reason, a NUL, and the start of the input:
        the sink shows which record failed, not only why.                  */
    size_t input = outcome == PP_OUTCOME_OK    ? 0
                   : task->len < S_INPUT_SHOWN ? task->len
                                               : S_INPUT_SHOWN;
    if (out->len + 1 + input > out->max) /* stay a valid record        */
        input = 0;
    pp_item_t *result =
        pp_item_new (task->run_id, task->seq, out->data, out->len);
    if (result && input) {
        pp_item_t *both =
            realloc (result, sizeof (pp_item_t) + out->len + 1 + input + 1);
        if (both) {
            result = both;
            memcpy (result->data + out->len + 1, task->data, input);
            result->len = (uint32_t) (out->len + 1 + input);
            result->data[result->len] = '\0';
        }
    }
    if (result) {
        result->t_enq_us = task->t_enq_us;
        result->attempt = task->attempt;
        result->outcome = outcome;
    }
    return result;
}

/*  Turns task into its outcome and returns it (NULL on OOM); task is
    consumed. An ok result reuses the task's memory (realloc mostly stays
    in place): no malloc and free per item on the hot path.               */
static pp_item_t *
s_result (pp_item_t *task, const pp_buf_t *out, uint8_t outcome)
{
    if (outcome != PP_OUTCOME_OK) {
        pp_item_t *result = s_outcome (task, out, outcome);
        pp_item_free (task);
        return result;
    }
    pp_item_t *result = task;
    if (out->len > task->len) {
        result = realloc (task, sizeof (pp_item_t) + out->len + 1);
        if (!result) {
            pp_item_free (task);
            return NULL;
        }
    }
    memcpy (result->data, out->data, out->len);
    result->data[out->len] = '\0';
    result->len = (uint32_t) out->len;
    result->outcome = PP_OUTCOME_OK;
    return result;
}

/*  Runs the handler on one task; returns its outcome item (NULL on OOM). */
static pp_item_t *
s_run_one (s_worker_t *self, pp_job_ctx_t *ctx, pp_item_t *task, pp_buf_t *out)
{
    ctx->seq = task->seq;
    out->len = 0;
    int rc = self->handler (ctx, task->data, task->len, out, self->user);
    return s_result (task, out, rc == 0 ? PP_OUTCOME_OK : PP_OUTCOME_FAILED);
}

/*  Runs n tasks through the batch handler; each task is replaced by its
    outcome item (NULL on OOM).                                             */
static void
s_run_batch (s_worker_t *self, pp_job_ctx_t *ctx, void **items, int n,
             pp_buf_t *outs)
{
    int rcs[S_JOB_BATCH];
    ctx->seq = ((pp_item_t *) items[0])->seq;
    for (int i = 0; i < n; i++)
        outs[i].len = 0;
    self->cfg->batch (ctx, (pp_item_t *const *) items, n, outs, rcs,
                      self->user);
    for (int i = 0; i < n; i++) {
        items[i] = s_result (items[i], &outs[i],
                             rcs[i] == 0 ? PP_OUTCOME_OK : PP_OUTCOME_FAILED);
    }
}

/*  A job thread. Cheap jobs (under S_CHEAP_NS each, measured) take and
    hand on up to S_JOB_BATCH items per lock round: the channel's lock
    was most of their cost. Slow jobs take one at a time, so no thread
    sits on items another idle thread could run.                           */
static void *
s_job_thread (void *arg)
{
    s_worker_t *self = arg;
    pp_job_ctx_t ctx = {.run_id = self->run_id,
                        .worker_id = self->worker_id,
                        .cancel = self->task_chan};
    pp_buf_t out = {.max = self->cfg->common.max_item};
    pp_buf_t outs[S_JOB_BATCH];
    for (int i = 0; i < S_JOB_BATCH; i++)
        outs[i] = out;
    void *items[S_JOB_BATCH];
    int64_t avg_ns = S_CHEAP_NS * 4; /* assume slow until measured      */
    int n;
    while ((n = pp_chan_recv_many (self->task_chan, items,
                                   avg_ns < S_CHEAP_NS ? S_JOB_BATCH : 1, -1)) >
           0) {
        int64_t start = pp_now_ns ();
        if (n > 1 && self->cfg->batch)
            s_run_batch (self, &ctx, items, n, outs);
        else
            for (int i = 0; i < n; i++)
                items[i] = s_run_one (self, &ctx, items[i], &out);
        int64_t each = (pp_now_ns () - start) / n;
        avg_ns = (avg_ns * 7 + each) / 8;
        int kept = 0; /* results that did not fit (OOM leaves NULLs)   */
        for (int i = 0; i < n; i++)
            if (items[i])
                items[kept++] = items[i];
        int sent =
            kept ? pp_chan_send_many (self->result_chan, items, kept, -1) : 0;
        for (int i = sent > 0 ? sent : 0; i < kept; i++)
            pp_item_free (items[i]);
        if (sent < kept)
            break; /* the run ended under us                           */
    }
    pp_buf_free (&out);
    for (int i = 0; i < S_JOB_BATCH; i++)
        pp_buf_free (&outs[i]);
    return NULL;
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

/*  Sends one batch, retrying while the sink is slow, until aborted.       */
static void
s_send_results (s_worker_t *self, zsock_t *sock, pp_batch_t *batch,
                zsock_t *done)
{
    pp_header_t hdr = {.type = PP_MSG_RESULT,
                       .run_id = self->run_id,
                       .worker_id = self->worker_id,
                       .count = batch->count};
    while (pp_net_send (sock, NULL, &hdr, batch->data, batch->size, false) ==
           PP_EAGAIN)
        if (pp_chan_wait_aborted (self->result_chan, 0) == PP_EABORTED)
            break;
    if (done) { /* credit flow: these slots are free again            */
        uint8_t count[4];
        pp_put_u32 (count, batch->count);
        zmq_send (zsock_resolve (done), count, sizeof (count), 0);
    }
    pp_batch_reset (batch);
}

static void *
s_sender_thread (void *arg)
{
    s_worker_t *self = arg;
    zsock_t *sock =
        pp_net_socket (ZMQ_PUSH, &self->cfg->common, self->cfg->common.results,
                       false, "--results");
    if (!sock) {
        pp_chan_abort (self->result_chan);
        return NULL;
    }
    zsock_set_sndtimeo (sock, S_SEND_RETRY_MS);
    zsock_t *done =
        s_credit_flow (self) ? zsock_new_push (self->done_endpoint) : NULL;
    s_send_hello (self, sock);
    pp_batch_t batch = {0};
    void *items[S_RESULT_BATCH];
    int n;
    while ((n = pp_chan_recv_many (self->result_chan, items, S_RESULT_BATCH,
                                   -1)) > 0) {
        for (int i = 0; i < n; i++) {
            pp_item_t *result = items[i];
            pp_record_t rec = {.seq = result->seq,
                               .t_enq_us = result->t_enq_us,
                               .len = result->len,
                               .outcome = result->outcome,
                               .attempt = result->attempt,
                               .data = result->data};
            pp_batch_add (&batch, &rec);
            pp_item_free (result);
            if (pp_batch_full (&batch, S_RESULT_BATCH))
                s_send_results (self, sock, &batch, done);
        }
        if (batch.count > 0)
            s_send_results (self, sock, &batch, done);
    }
    /*  Closed (leaving gracefully): give queued results a moment to go.
        Nothing depends on it -- an unacked item is sent again.            */
    if (n == PP_ECLOSED)
        zsock_set_linger (sock, 1000);
    pp_batch_free (&batch);
    zsock_destroy (&done);
    zsock_destroy (&sock);
    return NULL;
}

/*  --- the pipeline of one run ----------------------------------------- */

static int
s_pipeline_start (s_worker_t *self)
{
    int capacity = s_capacity (self);
    self->task_chan = pp_chan_new ((size_t) capacity, pp_item_free);
    self->result_chan =
        pp_chan_new ((size_t) capacity + S_RESULT_BATCH, pp_item_free);
    self->jobs = calloc ((size_t) self->cfg->threads, sizeof (pthread_t));
    if (!self->task_chan || !self->result_chan || !self->jobs)
        return PP_ENOMEM;
    if (self->cfg->overflow == PP_OVERFLOW_DROP)
        pp_chan_set_drop (self->task_chan);
    const char *dir = self->cfg->spill_dir ? self->cfg->spill_dir : "/tmp";
    if (self->cfg->overflow == PP_OVERFLOW_SPILL &&
        pp_chan_set_spill (self->task_chan, dir, &pp_item_codec) != 0) {
        zsys_error ("--spill-dir: cannot create a file in %s: %s", dir,
                    strerror (errno));
        return PP_EIO;
    }
    if (pthread_create (&self->sender, NULL, s_sender_thread, self) != 0)
        return PP_ENOMEM;
    self->sender_started = true;
    for (; self->njobs < self->cfg->threads; self->njobs++)
        if (pthread_create (&self->jobs[self->njobs], NULL, s_job_thread,
                            self) != 0)
            return PP_ENOMEM;
    return 0;
}

/*  Stops the pipeline: abort discards everything, else finish the buffer
    and flush the results first. Joins every thread before freeing.        */
static void
s_pipeline_stop (s_worker_t *self, bool discard)
{
    if (self->task_chan)
        discard ? pp_chan_abort (self->task_chan)
                : pp_chan_close (self->task_chan);
    for (int i = 0; i < self->njobs; i++)
        pthread_join (self->jobs[i], NULL);
    if (self->result_chan)
        discard ? pp_chan_abort (self->result_chan)
                : pp_chan_close (self->result_chan);
    if (self->sender_started)
        pthread_join (self->sender, NULL);
    pp_item_free (self->pending_item);
    self->pending_item = NULL;
    pp_inmsg_free (&self->pending);
    pp_chan_destroy (&self->task_chan);
    pp_chan_destroy (&self->result_chan);
    free (self->jobs);
    self->jobs = NULL;
    self->njobs = 0;
    self->sender_started = false;
}

/*  --- receiving tasks --------------------------------------------------- */

/*  Turns the pending item into a dropped outcome that names this worker. */
static void
s_drop (s_worker_t *self)
{
    pp_item_t *task = self->pending_item;
    char reason[96];
    pp_buf_t out = {.data = reason,
                    .len = (size_t) snprintf (reason, sizeof (reason),
                                              "dropped: worker %08x channel "
                                              "full",
                                              self->worker_id)};
    pp_item_t *dropped = s_outcome (task, &out, PP_OUTCOME_DROPPED);
    if (dropped) {
        pp_item_free (task);
        self->pending_item = dropped;
    }
}

/*  Moves the pending TASK's records into the channel, waiting at most
    S_POLL_MS for room. Returns 0 (all moved or still pending) or an error. */
static int
s_feed (s_worker_t *self)
{
    int64_t deadline = pp_now_ms () + S_POLL_MS; /* then watch control */
    while (self->pending.msg) {
        if (!self->pending_item) {
            pp_record_t rec;
            if (!pp_wire_next_record (self->pending.payload, self->pending.size,
                                      &self->pending_offset, &rec)) {
                pp_inmsg_free (&self->pending);
                break;
            }
            pp_item_t *item =
                pp_item_new (self->run_id, rec.seq, rec.data, rec.len);
            if (!item)
                return PP_ENOMEM;
            item->t_enq_us = rec.t_enq_us;
            item->attempt = rec.attempt;
            item->outcome = rec.outcome;
            self->pending_item = item;
        }
        /*  An item the ventilator already failed skips the job.           */
        pp_chan_t *chan = self->pending_item->outcome == PP_OUTCOME_OK
                              ? self->task_chan
                              : self->result_chan;
        int rc = pp_chan_send (chan, self->pending_item, 0); /* room?  */
        if (rc == PP_EAGAIN && self->cfg->overflow == PP_OVERFLOW_BLOCK) {
            int64_t left = deadline - pp_now_ms ();
            if (left > 0)
                rc = pp_chan_send (chan, self->pending_item, (int) left);
        }
        if (rc == PP_EAGAIN && self->cfg->overflow == PP_OVERFLOW_DROP &&
            chan == self->task_chan) {
            s_drop (self); /* now a dropped outcome, bound for the sink */
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
        self->pending_item = NULL;
    }
    return 0;
}

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
    self->pending = *in;
    self->pending_offset = 0;
    self->received += in->hdr.count;
}

static void
s_send_hello_to_ventilator (s_worker_t *self)
{
    s_send_hello (self, self->acks);
    self->hello_ms = pp_now_ms ();
}

/*  Credit flow: sends a CREDIT of count (0 is a heartbeat).               */
static void
s_send_credit (s_worker_t *self, uint32_t count)
{
    pp_header_t hdr = {.type = PP_MSG_CREDIT,
                       .run_id = self->run_id,
                       .worker_id = self->worker_id,
                       .count = count};
    pp_net_send (self->tasks, NULL, &hdr, "", 0, true);
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
    self->rate = self->rate_mark = 0;
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

/*  The run ended with state (DONE or ABORTED) and these counts.          */
static void
s_run_ended (s_worker_t *self, uint16_t state, const pp_state_t *counts)
{
    s_pipeline_stop (self, true);
    self->ended_run = self->run_id;
    if (state == PP_STATE_ABORTED)
        self->code = PP_EXIT_ABORTED;
    else
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
        zsys_notice ("the ventilator had written us off; joining again");
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

/*  Credit flow, leaving: every item not started yet goes back to the
    ventilator in a BYE, so others take it at once.                        */
static void
s_hand_back (s_worker_t *self)
{
    size_t cap = (size_t) s_capacity (self) + 1, count = 0;
    uint8_t *seqs = NULL;
    void *items[64];
    int n;
    while ((n = pp_chan_recv_many (self->task_chan, items, 64, 0)) > 0)
        for (int i = 0; i < n; i++) {
            if (count == cap || !seqs) {
                cap *= 2;
                uint8_t *grown = realloc (seqs, cap * 8);
                if (grown)
                    seqs = grown;
            }
            if (seqs && count < cap)
                pp_put_u64 (seqs + 8 * count++, ((pp_item_t *) items[i])->seq);
            pp_item_free (items[i]);
        }
    pp_record_t rec;
    if (self->pending_item && self->pending_item->outcome == PP_OUTCOME_OK &&
        seqs && count < cap)
        pp_put_u64 (seqs + 8 * count++, self->pending_item->seq);
    while (self->pending.msg && seqs && count < cap &&
           pp_wire_next_record (self->pending.payload, self->pending.size,
                                &self->pending_offset, &rec))
        pp_put_u64 (seqs + 8 * count++, rec.seq);
    pp_item_free (self->pending_item);
    self->pending_item = NULL;
    pp_inmsg_free (&self->pending);
    pp_header_t hdr = {.type = PP_MSG_BYE,
                       .run_id = self->run_id,
                       .worker_id = self->worker_id,
                       .count = (uint32_t) count};
    zsock_set_linger (self->tasks, 1000); /* best effort: else requeued
                                             when our beats stop         */
    pp_net_send (self->tasks, NULL, &hdr, seqs ? (void *) seqs : "", count * 8,
                 true);
    free (seqs);
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

/*  Leaving: true once every job thread finished what it started; then
    the results are flushed and the pipeline is gone.                       */
static bool
s_left (s_worker_t *self)
{
    for (int i = 0; i < self->njobs;)
        if (pthread_tryjoin_np (self->jobs[i], NULL) == 0)
            self->jobs[i] = self->jobs[--self->njobs];
        else
            i++;
    if (self->njobs > 0)
        return false;
    s_pipeline_stop (self, false); /* flushes the results, joins sender */
    return true;
}

/*  A ventilator silent for --ventilator-timeout (it publishes its state
    several times a second) is gone, or we missed its DONE behind a cut
    link: drop the run instead of waiting forever. Exit 1 (we cannot
    know how the run ended), or, with --serve, wait for the next run.     */
static void
s_check_silence (s_worker_t *self)
{
    if (self->phase != S_RUNNING || self->cfg->ventilator_timeout_ms <= 0 ||
        pp_now_ms () - self->heard_ms < self->cfg->ventilator_timeout_ms)
        return;
    zsys_error ("no word from the ventilator for %lld ms: leaving run "
                "%016llx",
                (long long) self->cfg->ventilator_timeout_ms,
                (unsigned long long) self->run_id);
    s_pipeline_stop (self, true);
    self->ended_run = self->run_id;
    self->code = PP_EXIT_RUNTIME;
    self->phase = self->cfg->serve ? S_IDLE : S_EXIT;
}

/*  First signal: stop taking tasks (credit flow: hand back what was not
    started), let the job threads finish, flush, exit 0 -- the main loop
    keeps watching, so a second signal still aborts at once (exit 3).     */
static void
s_on_signal (s_worker_t *self, int signals)
{
    if (signals >= 2 || self->phase != S_RUNNING) {
        s_pipeline_stop (self, true);
        self->code = signals >= 2 ? PP_EXIT_ABORTED : PP_EXIT_OK;
        self->phase = S_EXIT;
        return;
    }
    zsys_notice ("leaving: finishing the items already started");
    if (s_credit_flow (self))
        s_hand_back (self);
    else {
        pp_inmsg_free (&self->pending);
        if (self->pending_item &&
            pp_chan_send (self->task_chan, self->pending_item, -1) == 0)
            self->pending_item = NULL;
    }
    zsock_destroy (&self->tasks); /* what libzmq had queued is redelivered */
    pp_chan_close (self->task_chan);
    self->phase = S_LEAVING;
    self->code = PP_EXIT_OK;
}

static int
s_loop (s_worker_t *self)
{
    while (self->phase != S_EXIT) {
        bool take = self->tasks && !self->pending.msg;
        zmq_pollitem_t items[] = {
            {zsock_resolve (self->control), 0, ZMQ_POLLIN, 0},
            {self->tasks ? zsock_resolve (self->tasks) : NULL, 0,
             (short) (take ? ZMQ_POLLIN : 0), 0},
            {self->done ? zsock_resolve (self->done) : NULL, 0, ZMQ_POLLIN, 0}};
        long timeout = self->pending.msg ? 0 : S_POLL_MS;
        if (zmq_poll (items, self->done ? 3 : 2, timeout) == -1 &&
            zmq_errno () != EINTR)
            return PP_EIO;
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
        if (self->phase == S_LEAVING && s_left (self))
            self->phase = S_EXIT;
        s_check_silence (self);
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
    self->tasks = pp_net_socket (credit ? ZMQ_DEALER : ZMQ_PULL, common,
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
    self->acks =
        pp_net_socket (ZMQ_PUSH, common, common->acks, false, "--acks");
    if (!self->tasks || !self->control || !self->acks)
        return PP_EIO;
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
    if (rc != 0) {
        zsys_error ("worker stopped: %s", pp_strerror (rc));
        self.code = PP_EXIT_RUNTIME;
    }
    s_pipeline_stop (&self, true);
    pp_net_log_rejects (self.rejects);
    zsock_destroy (&self.tasks);
    zsock_destroy (&self.done);
    zsock_destroy (&self.control);
    zsock_destroy (&self.acks);
    pp_cli_security_end (&cfg.common);
    return self.code;
}
