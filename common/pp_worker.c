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

typedef enum {
    S_IDLE,        /* no run yet (or --serve between runs)                 */
    S_RUNNING,     /* a run adopted, pipeline running                      */
    S_LEAVING,     /* first signal: no new tasks, finish the buffer        */
    S_EXIT         /* leave the loop with self->code                       */
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
    uint64_t ended_run;   /* the last run that ended: never re-joined      */
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
    int signals_seen;
    uint64_t rejects[PP_REJECT_COUNT];
} s_worker_t;

void
pp_worker_config_init (pp_worker_config_t *config)
{
    memset (config, 0, sizeof (*config));
    pp_cli_init (&config->common, "pp-worker");
    long cores = sysconf (_SC_NPROCESSORS_ONLN);
    config->threads = cores > 0 ? (int) cores : 1;
    config->capacity = 0;   /* 0: twice the threads                        */
}

/*  --- job threads ------------------------------------------------------ */

static pp_item_t *
s_outcome (const pp_item_t *task, const pp_buf_t *out, uint8_t outcome)
{
    pp_item_t *result =
        pp_item_new (task->run_id, task->seq, out->data, out->len);
    if (result) {
        result->t_enq_us = task->t_enq_us;
        result->attempt = task->attempt;
        result->outcome = outcome;
    }
    return result;
}

static void *
s_job_thread (void *arg)
{
    s_worker_t *self = arg;
    pp_job_ctx_t ctx = {.run_id = self->run_id,
                        .worker_id = self->worker_id,
                        .cancel = self->task_chan};
    pp_buf_t out = {.max = self->cfg->common.max_item};
    void *item;
    while (pp_chan_recv (self->task_chan, &item, -1) == 0) {
        pp_item_t *task = item;
        ctx.seq = task->seq;
        out.len = 0;
        int rc = self->handler (&ctx, task->data, task->len, &out,
                                self->user);
        pp_item_t *result = s_outcome (
            task, &out, rc == 0 ? PP_OUTCOME_OK : PP_OUTCOME_FAILED);
        pp_item_free (task);
        if (!result || pp_chan_send (self->result_chan, result, -1) != 0) {
            pp_item_free (result);
            break;
        }
    }
    pp_buf_free (&out);
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
s_send_results (s_worker_t *self, zsock_t *sock, pp_batch_t *batch)
{
    pp_header_t hdr = {.type = PP_MSG_RESULT,
                       .run_id = self->run_id,
                       .worker_id = self->worker_id,
                       .count = batch->count};
    while (pp_net_send (sock, NULL, &hdr, batch->data, batch->size, false)
           == PP_EAGAIN)
        if (pp_chan_wait_aborted (self->result_chan, 0) == PP_EABORTED)
            break;
    pp_batch_reset (batch);
}

static void *
s_sender_thread (void *arg)
{
    s_worker_t *self = arg;
    zsock_t *sock = pp_net_socket (ZMQ_PUSH, &self->cfg->common,
                                   self->cfg->common.results, false,
                                   "--results");
    if (!sock) {
        pp_chan_abort (self->result_chan);
        return NULL;
    }
    zsock_set_sndtimeo (sock, S_SEND_RETRY_MS);
    s_send_hello (self, sock);
    pp_batch_t batch = {0};
    void *items[S_RESULT_BATCH];
    int n;
    while ((n = pp_chan_recv_many (self->result_chan, items, S_RESULT_BATCH,
                                   -1))
           > 0) {
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
                s_send_results (self, sock, &batch);
        }
        if (batch.count > 0)
            s_send_results (self, sock, &batch);
    }
    /*  Closed (leaving gracefully): give queued results a moment to go.
        Nothing depends on it -- an unacked item is sent again.            */
    if (n == PP_ECLOSED)
        zsock_set_linger (sock, 1000);
    pp_batch_free (&batch);
    zsock_destroy (&sock);
    return NULL;
}

/*  --- the pipeline of one run ----------------------------------------- */

static int
s_pipeline_start (s_worker_t *self)
{
    int capacity = self->cfg->capacity > 0 ? self->cfg->capacity
                                           : 2 * self->cfg->threads;
    self->task_chan = pp_chan_new ((size_t) capacity, pp_item_free);
    self->result_chan =
        pp_chan_new ((size_t) capacity + S_RESULT_BATCH, pp_item_free);
    self->jobs = calloc ((size_t) self->cfg->threads, sizeof (pthread_t));
    if (!self->task_chan || !self->result_chan || !self->jobs)
        return PP_ENOMEM;
    if (self->cfg->overflow == PP_OVERFLOW_DROP)
        pp_chan_set_drop (self->task_chan);
    const char *dir = self->cfg->spill_dir ? self->cfg->spill_dir : "/tmp";
    if (self->cfg->overflow == PP_OVERFLOW_SPILL
        && pp_chan_set_spill (self->task_chan, dir, &pp_item_codec) != 0) {
        zsys_error ("--spill-dir: cannot create a file in %s: %s", dir,
                    strerror (errno));
        return PP_EIO;
    }
    if (pthread_create (&self->sender, NULL, s_sender_thread, self) != 0)
        return PP_ENOMEM;
    self->sender_started = true;
    for (; self->njobs < self->cfg->threads; self->njobs++)
        if (pthread_create (&self->jobs[self->njobs], NULL, s_job_thread,
                            self)
            != 0)
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
    int64_t deadline = pp_now_ms () + S_POLL_MS;
    while (self->pending.msg) {
        if (!self->pending_item) {
            pp_record_t rec;
            if (!pp_wire_next_record (self->pending.payload,
                                      self->pending.size,
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
        int64_t left = deadline - pp_now_ms ();
        int rc = pp_chan_send (chan, self->pending_item,
                               left > 0 ? (int) left : 0);
        if (rc == PP_EAGAIN && self->cfg->overflow == PP_OVERFLOW_DROP
            && chan == self->task_chan) {
            s_drop (self);   /* now a dropped outcome, bound for the sink */
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
                             self->cfg->common.max_item, &reason)
        != 0) {
        self->rejects[reason]++;
        pp_inmsg_free (in);
        return;
    }
    self->pending = *in;
    self->pending_offset = 0;
}

static void
s_send_hello_to_ventilator (s_worker_t *self)
{
    s_send_hello (self, self->acks);
    self->hello_ms = pp_now_ms ();
}

/*  Joins run_id: starts a pipeline for it and says hello.                 */
static int
s_adopt (s_worker_t *self, uint64_t run_id)
{
    self->run_id = run_id;
    self->phase = S_RUNNING;
    if (pp_verbosity > 1)
        zsys_info ("joined run %016llx", (unsigned long long) run_id);
    int rc = s_pipeline_start (self);
    s_send_hello_to_ventilator (self);
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
        self->code = counts->failed + counts->dropped > 0 ? PP_EXIT_FAILED
                                                          : PP_EXIT_OK;
    self->phase = self->cfg->serve ? S_IDLE : S_EXIT;
}

static int
s_on_state (s_worker_t *self, const pp_header_t *hdr, const pp_state_t *st)
{
    bool ended = pp_ctl_ended (hdr->flags);
    if (self->phase == S_IDLE) {
        if (hdr->run_id == self->ended_run)
            return 0;   /* the tail of the run we served last             */
        if (!ended)
            return s_adopt (self, hdr->run_id);
        if (!self->cfg->serve)
            s_run_ended (self, hdr->flags, st);   /* came too late: leave */
        return 0;
    }
    if (hdr->run_id != self->run_id) {
        self->rejects[PP_REJECT_RUN]++;
        return 0;
    }
    if (ended)
        s_run_ended (self, hdr->flags, st);
    else if (hdr->flags == PP_STATE_WAITING
             && pp_now_ms () - self->hello_ms >= S_HELLO_EVERY_MS)
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
    if (in.hdr.type != PP_MSG_TASK) {
        self->rejects[PP_REJECT_TYPE]++;
        pp_inmsg_free (&in);
        return 0;
    }
    /*  Tasks may beat the first STATE here (slow joiner on SUB).          */
    if (self->phase == S_IDLE && in.hdr.run_id == self->ended_run) {
        self->rejects[PP_REJECT_RUN]++;   /* a straggler of the last run   */
        pp_inmsg_free (&in);
        return 0;
    }
    if (self->phase == S_IDLE) {
        int rc = s_adopt (self, in.hdr.run_id);
        if (rc != 0) {
            pp_inmsg_free (&in);
            return rc;
        }
    }
    s_on_task (self, &in);
    return 0;
}

/*  First signal: stop taking tasks, finish the buffer, flush, exit 0.
    Second: discard everything, exit 3.                                     */
static void
s_on_signal (s_worker_t *self, int signals)
{
    if (signals >= 2 || self->phase == S_IDLE) {
        s_pipeline_stop (self, true);
        self->code = signals >= 2 ? PP_EXIT_ABORTED : PP_EXIT_OK;
        self->phase = S_EXIT;
        return;
    }
    zsys_notice ("leaving: finishing the items buffered here");
    zsock_destroy (&self->tasks);   /* what libzmq had queued is redelivered */
    pp_inmsg_free (&self->pending);
    if (self->pending_item && pp_chan_send (self->task_chan,
                                            self->pending_item, -1) == 0)
        self->pending_item = NULL;
    self->phase = S_LEAVING;
    s_pipeline_stop (self, false);
    self->code = PP_EXIT_OK;
    self->phase = S_EXIT;
}

static int
s_loop (s_worker_t *self)
{
    while (self->phase != S_EXIT) {
        bool take = self->tasks && !self->pending.msg;
        zmq_pollitem_t items[] = {
            {zsock_resolve (self->control), 0, ZMQ_POLLIN, 0},
            {self->tasks ? zsock_resolve (self->tasks) : NULL, 0,
             (short) (take ? ZMQ_POLLIN : 0), 0}};
        long timeout = self->pending.msg ? 0 : S_POLL_MS;
        if (zmq_poll (items, 2, timeout) == -1 && zmq_errno () != EINTR)
            return PP_EIO;
        int rc = 0;
        while (rc == 0 && self->phase != S_EXIT
               && (zsock_events (self->control) & ZMQ_POLLIN))
            rc = s_on_control (self);
        if (rc == 0 && take && self->phase != S_EXIT
            && (items[1].revents & ZMQ_POLLIN))
            rc = s_on_tasks_socket (self);
        if (rc == 0 && self->phase == S_RUNNING)
            rc = s_feed (self);
        if (rc != 0)
            return rc;
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
    if (common->flow != PP_FLOW_PUSH) {
        zsys_error ("--flow credit is not implemented yet; use push");
        return PP_EINVAL;
    }
    self->tasks = pp_net_socket (ZMQ_PULL, common, common->tasks, false,
                                 "--tasks");
    self->control = pp_net_socket (ZMQ_SUB, common, common->control, false,
                                   "--control");
    self->acks = pp_net_socket (ZMQ_PUSH, common, common->acks, false,
                                "--acks");
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
    pp_cli_endpoints (&cfg.common);   /* unset ones from PP_* or defaults */
    s_worker_t self = {.cfg = &cfg,
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
    zsock_destroy (&self.tasks);
    zsock_destroy (&self.control);
    zsock_destroy (&self.acks);
    return self.code;
}
