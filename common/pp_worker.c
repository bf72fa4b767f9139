/*  pp_worker: the control loop of a worker, and pp_worker_run.

    This thread owns the tasks, control and acks sockets. It follows the
    ventilator's run state, adopts a run (starting its pipeline: see
    pp_pipeline.h), cuts each TASK message into slices (pp_wfeed.h) and
    feeds them to the task channel; when the channel is full it stops
    reading tasks, the HWM fills and the ventilator's load balancer skips
    this worker: backpressure. In credit flow it grants the ventilator
    what it has room for instead. It ends a run on DONE or ABORTED, on a
    silent ventilator, or on a signal (the first: leave gracefully, the
    second: at once). Results the pipeline gave up are counted; when the
    run goes on without us, they make the exit status say so.             */

#include "pp_worker.h"
#include "pp_ctl.h"
#include "pp_error.h"
#include "pp_net.h"
#include "pp_pipeline.h"
#include "pp_sender.h"
#include "pp_stall.h"
#include "pp_wcredit.h"
#include "pp_waitlog.h"
#include "pp_wfeed.h"
#include "pp_worker_config.h"
#include "pp_worker_process.h"
#include "pp_wsize.h"

#include <czmq.h>
#include <stdatomic.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define S_POLL_MS 50
#define S_HELLO_EVERY_MS 1000
#define S_STUCK_NOTICE_MS 1000 /* a sink taking nothing so long: logged */
#define S_LEAVE_STALL_MS 3000  /* ... and given up when leaving        */
#define S_BYE_LINGER_MS 500    /* at exit, for our BYE to the ventilator */
/*  A graceful leave ends within this, like a drain: inside Slurm's 30 s
    between SIGTERM and SIGKILL.                                           */
#define S_LEAVE_MAX_MS 25000
#define S_SILENT_NOTICE_MS 2000 /* a silent ventilator is logged after */

typedef enum {
    S_IDLE,    /* no run yet (or --serve between runs)                 */
    S_RUNNING, /* a run adopted, pipeline running                      */
    S_LEAVING, /* first signal: no new tasks, finish the buffer        */
    S_EXIT     /* leave the loop with self->code                       */
} s_phase_t;

typedef struct {
    const pp_worker_config_t *cfg;
    pp_common_t *net; /* sockets: endpoints, hwm, keys; the run's
                         flow and max item size once adopted         */
    pp_handler_fn *handler;
    void *user;
    uint32_t worker_id;
    zsock_t *tasks, *control, *acks;
    pp_flow_t tasks_flow; /* what tasks was made for: a run of other */
    uint64_t tasks_max;   /* settings (--serve) makes it anew        */
    pp_netmon_t *netmon;  /* refused handshakes on the three above   */
    bool version_told;    /* a ventilator of another release: said   */
    s_phase_t phase;
    uint64_t run_id;
    uint64_t ended_run; /* the last run that ended: never re-joined      */
    int code;
    pp_hello_t hello;        /* what we say to the sink and ventilator */
    pp_pipeline_t *pipeline; /* of the current run, or NULL            */
    pp_wfeed_t feed;         /* TASK messages into the pipeline       */
    uint64_t withheld;       /* results of this run given up unsent    */
    bool spill_lost;         /* tasks lost in --spill-dir: exit 1      */
    bool sink_told;          /* a sink taking nothing was logged       */
    int64_t hello_ms;
    int64_t heard_ms;  /* last STATE of our run                         */
    bool silence_told; /* a silent ventilator was logged              */
    pp_waitlog_t idle; /* S_IDLE: waiting for a run, said aloud        */
    int64_t leave_ms;  /* the graceful leave began                     */
    pp_stall_t stall;  /* time our loop lost (stopped)                  */
    int stops_base;    /* stop requests before this run: not ours     */
    int stops_seen;    /* stop requests since, acted upon              */
    /*  Credit flow.                                                       */
    zsock_t *done; /* PULL: the sender reports completions here     */
    char done_endpoint[64];
    pp_wcredit_t credit; /* what we hold, granted, measured          */
    uint64_t rejects[PP_REJECT_COUNT];
} s_worker_t;

static bool
s_credit_flow (const s_worker_t *self)
{
    return self->net->flow == PP_FLOW_CREDIT;
}

/*  True when flow and max item size were both given: the tasks socket
    may be made before the ventilator is heard of, and a TASK may be the
    first word of a run. Else they are the ventilator's, from its STATE.  */
static bool
s_settings_given (const s_worker_t *self)
{
    return (self->net->given & (PP_GIVEN_FLOW | PP_GIVEN_MAX_ITEM)) ==
           (PP_GIVEN_FLOW | PP_GIVEN_MAX_ITEM);
}

/*  The tasks socket of the run's flow and max item size (its type and
    ZMQ_MAXMSGSIZE are set before it connects), made anew when the one we
    have was made for others (--serve); credit flow's completions socket
    with it. max_item is the size its ZMQ_MAXMSGSIZE allows for: the run's,
    or (--flow given, the run not known yet) the largest there may be, so
    that it connects at once (push flow deals only to the connections it
    has); the decoder holds each task to the run's size. 0 or PP_EIO.     */
static int
s_open_tasks (s_worker_t *self, uint64_t max_item)
{
    pp_common_t common = *self->net;
    bool credit = s_credit_flow (self);
    if (self->tasks && self->tasks_flow == common.flow &&
        (self->tasks_max == max_item || self->tasks_max == PP_MAX_ITEM_LIMIT))
        return 0;
    pp_netmon_forget (self->netmon, self->tasks);
    zsock_destroy (&self->tasks);
    common.max_item = max_item;
    /*  Its queue within --buffer-bytes: a handful of big items, not --hwm
        (push flow then deals past a worker that is full). Its input stops
        often, so no peer may ping it (pp_net.c).                          */
    common.hwm =
        pp_net_hwm_within (common.hwm, self->cfg->buffer_bytes, max_item);
    /*  Full, we stop reading it: backpressure (see pp_net_socket_paused). */
    self->tasks = pp_net_socket_paused (credit ? ZMQ_DEALER : ZMQ_PULL, &common,
                                        common.tasks, false, "--tasks");
    if (!self->tasks)
        return PP_EIO;
    self->tasks_flow = common.flow;
    self->tasks_max = max_item;
    pp_netmon_watch (self->netmon, self->tasks, "--tasks", false);
    if (credit && !self->done) {
        /*  Named by a count, not self's address: the next pp_worker_run
            (same stack address) must not meet a name not yet unbound.    */
        static atomic_uint_fast64_t runs;
        snprintf (self->done_endpoint, sizeof (self->done_endpoint),
                  "inproc://pp-worker-done-%llu",
                  (unsigned long long) atomic_fetch_add (&runs, 1));
        self->done = zsock_new_pull (self->done_endpoint);
        if (!self->done)
            return PP_EIO;
    }
    return 0;
}

/*  --- the pipeline of one run ----------------------------------------- */

static int
s_pipeline_start (s_worker_t *self)
{
    const pp_worker_config_t *cfg = self->cfg;
    pp_wsize_t size =
        pp_wsize_channel (cfg->capacity, cfg->threads, s_credit_flow (self),
                          cfg->overflow == PP_OVERFLOW_SPILL);
    pp_wsize_bytes (&size, cfg->buffer_bytes);
    self->withheld = 0;
    self->sink_told = false;
    pp_pipeline_args_t args = {
        .net = self->net,
        .buffer_bytes = cfg->buffer_bytes,
        .handler = self->handler,
        .batch = cfg->batch,
        .user = self->user,
        .threads = cfg->threads,
        .capacity = size.capacity,
        .overflow = cfg->overflow,
        .spill_dir = cfg->spill_dir,
        .run_id = self->run_id,
        .worker_id = self->worker_id,
        .hello = &self->hello,
        .done_endpoint = s_credit_flow (self) ? self->done_endpoint : NULL};
    int rc = pp_pipeline_start (&args, &self->pipeline);
    pp_wfeed_start (&self->feed, self->pipeline, size,
                    cfg->overflow == PP_OVERFLOW_DROP, self->worker_id,
                    self->net->max_item);
    return rc;
}

/*  Stops the pipeline now, discarding what it holds (pp_pipeline_stop),
    and what waits to go in. Adds what was given up to self->withheld.    */
static void
s_pipeline_stop (s_worker_t *self)
{
    self->spill_lost |= pp_pipeline_spill_check (self->pipeline);
    self->withheld += pp_pipeline_stop (&self->pipeline);
    self->withheld += pp_wfeed_clear (&self->feed);
}

/*  --- receiving tasks --------------------------------------------------- */

/*  Moves the pending TASK's records into the pipeline, waiting at most
    S_POLL_MS for room, then the loop watches control again.               */
static int
s_feed (s_worker_t *self)
{
    return pp_wfeed_push (&self->feed, pp_now_ms () + S_POLL_MS);
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
                             self->net->max_item, &reason) != 0) {
        self->rejects[reason]++;
        pp_inmsg_free (in);
        return;
    }
    if (pp_wfeed_take (&self->feed, &in->msg, in->payload, in->size) != 0) {
        pp_inmsg_free (in); /* sent again after --ack-timeout           */
        return;
    }
    pp_wcredit_received (&self->credit, in->hdr.count, in->size);
    if (self->cfg->verbosity > 1 && self->credit.received == in->hdr.count)
        zsys_info ("run %016llx: the first tasks arrived (%u items)",
                   (unsigned long long) self->run_id, in->hdr.count);
}

static void
s_send_hello_to_ventilator (s_worker_t *self)
{
    pp_sender_hello (self->acks, self->run_id, self->worker_id, &self->hello);
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
    pp_wcredit_granted (&self->credit, count, pp_now_ms ());
}

/*  Credit flow: grants what is free, and beats when it is time.           */
static void
s_credit_tick (s_worker_t *self)
{
    if (!s_credit_flow (self) || self->phase != S_RUNNING || !self->tasks)
        return;
    uint64_t due = pp_wcredit_due (&self->credit, pp_now_ms (),
                                   self->cfg->capacity, self->cfg->threads,
                                   pp_pipeline_job_ns (self->pipeline));
    if (due > 0)
        s_send_credit (self, (uint32_t) due);
    else if (pp_wcredit_beat_due (&self->credit, pp_now_ms ()))
        s_send_credit (self, 0);
}

/*  Credit flow: introduces this worker on the tasks socket (again after a
    reset: what we were owed is forgotten, what we hold still counts).     */
static void
s_credit_hello (s_worker_t *self)
{
    pp_wcredit_rejoin (&self->credit);
    pp_sender_hello (self->tasks, self->run_id, self->worker_id, &self->hello);
    s_credit_tick (self);
}

/*  Joins run_id, heard of in state (0: from a task): starts a pipeline
    for it and says hello.                                                  */
static int
s_adopt (s_worker_t *self, uint64_t run_id, uint16_t state)
{
    self->run_id = run_id;
    self->phase = S_RUNNING;
    self->heard_ms = pp_now_ms ();
    pp_wcredit_reset (&self->credit, pp_now_ms ());
    pp_waitlog_stop (&self->idle);
    self->hello.flow = (uint8_t) self->net->flow;
    self->hello.max_item = (uint32_t) self->net->max_item;
    if (self->cfg->verbosity > 1 ||
        (self->cfg->serve && self->cfg->verbosity > 0))
        zsys_info ("joined run %016llx (%s)", (unsigned long long) run_id,
                   state ? pp_ctl_state_name (state) : "from a task");
    int rc = s_open_tasks (self, self->net->max_item);
    if (rc != 0)
        return rc;
    rc = s_pipeline_start (self);
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
                  what, (unsigned long long) self->withheld, self->net->results,
                  !run_goes_on ? ""
                  : s_credit_flow (self)
                      ? "; the ventilator sends those items again when "
                        "this worker's heartbeats stop"
                      : "; the ventilator sends those items again after "
                        "its --ack-timeout");
}

/*  Tells the ventilator we are done with the run we joined (it saw our
    HELLO): it leaves once every worker it knows of and the sink did.      */
static void
s_say_bye (s_worker_t *self)
{
    if (self->phase == S_RUNNING || self->phase == S_LEAVING)
        pp_ctl_bye (self->acks, self->run_id, self->worker_id, NULL, 0,
                    S_BYE_LINGER_MS);
}

/*  With --serve, each run left is logged: how it ended, its outcomes,
    and what this worker took of it (what it received, at -q nothing).    */
static void
s_log_left (s_worker_t *self, uint16_t state, const pp_state_t *counts)
{
    if (!self->cfg->serve || self->cfg->verbosity < 1)
        return;
    zsys_info ("left run %016llx (%s: ok %llu, failed %llu, dropped %llu; "
               "%llu items received here); waiting for the next run",
               (unsigned long long) self->run_id,
               state == PP_STATE_ABORTED ? "aborted" : "done",
               (unsigned long long) counts->ok,
               (unsigned long long) counts->failed,
               (unsigned long long) counts->dropped,
               (unsigned long long) self->credit.received);
}

/*  The run ended with state (DONE or ABORTED) and these counts.          */
static void
s_run_ended (s_worker_t *self, uint16_t state, const pp_state_t *counts)
{
    s_pipeline_stop (self);
    if (self->phase == S_RUNNING || self->phase == S_LEAVING)
        s_log_left (self, state, counts);
    pp_waitlog_start (&self->idle, pp_now_ms ());
    self->ended_run = self->run_id;
    if (state == PP_STATE_ABORTED) {
        s_log_withheld (self, "the run was aborted", false);
        self->code = PP_EXIT_ABORTED;
    } else
        self->code =
            counts->failed + counts->dropped > 0 ? PP_EXIT_FAILED : PP_EXIT_OK;
    self->phase = self->cfg->serve ? S_IDLE : S_EXIT;
}

/*  A flag of ours the run's settings refuse: said here, and to the
    ventilator in a HELLO with what we run (it logs whom it refused);
    the worker exits 2 (pp_worker_run returns PP_EINVAL).                  */
static void
s_refuse_run (s_worker_t *self, uint64_t run_id, const char *why)
{
    zsys_error ("%s (run %016llx)", why, (unsigned long long) run_id);
    self->hello.flow = (uint8_t) self->net->flow;
    self->hello.max_item = (uint32_t) self->net->max_item;
    pp_sender_hello (self->acks, run_id, self->worker_id, &self->hello);
    zsock_set_linger (self->acks, S_BYE_LINGER_MS); /* the HELLO goes  */
    self->code = PP_EINVAL;
    self->phase = S_EXIT;
}

/*  The settings of a live run we are about to join (idle) or in: adopted
    into self->net when idle. In a run, settings other than those we run
    (we joined it from a TASK, all of them given as flags) are refused
    likewise. Returns true when we may go on.                              */
static bool
s_take_settings (s_worker_t *self, uint64_t run_id, const pp_settings_t *run)
{
    char why[256];
    if (run->heartbeat_ms >= 10)
        self->credit.beat_every_ms = run->heartbeat_ms;
    pp_common_t now = *self->net;
    bool idle = self->phase == S_IDLE; /* else the pipeline reads net   */
    if (!idle)
        now.given = PP_GIVEN_FLOW | PP_GIVEN_MAX_ITEM;
    int rc = pp_ctl_adopt (&now, run, why, sizeof (why));
    if (idle) {
        self->net->flow = now.flow;
        self->net->max_item = now.max_item;
    }
    if (rc != 0)
        s_refuse_run (self, run_id, why);
    return rc == 0;
}

static int
s_on_state (s_worker_t *self, const pp_header_t *hdr, const pp_state_t *st,
            const pp_settings_t *settings)
{
    bool ended = pp_ctl_ended (hdr->flags);
    bool ours = self->phase != S_IDLE && hdr->run_id == self->run_id;
    bool joining = self->phase == S_IDLE && hdr->run_id != self->ended_run;
    if (!ended && (ours || joining) &&
        !s_take_settings (self, hdr->run_id, settings))
        return 0;
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
    if (self->silence_told)
        zsys_notice ("the ventilator of run %016llx is back",
                     (unsigned long long) self->run_id);
    self->silence_told = false;
    if (ended) {
        s_say_bye (self);
        s_run_ended (self, hdr->flags, st);
    } else if (hdr->flags == PP_STATE_WAITING &&
               pp_now_ms () - self->hello_ms >= S_HELLO_EVERY_MS)
        s_send_hello_to_ventilator (self);
    return 0;
}

/*  A STATE of another wire version: a ventilator of another pushpull
    release, which we cannot join. Said once; exit 1 unless --serve.      */
static void
s_other_version (s_worker_t *self, uint8_t version)
{
    if (!self->version_told)
        zsys_error ("the ventilator at --control %s speaks pushpull wire "
                    "version %u, this worker version %u: run the same "
                    "pushpull release on every process%s",
                    self->net->control, version, PP_WIRE_VERSION,
                    self->cfg->serve ? " (--serve: waiting for a run we "
                                       "can join)"
                                     : "");
    self->version_told = true;
    if (self->phase == S_IDLE && !self->cfg->serve) {
        self->code = PP_EXIT_RUNTIME;
        self->phase = S_EXIT;
    }
}

/*  A new random id, not 0 and not the one we had.                       */
static void
s_draw_id (s_worker_t *self)
{
    uint32_t old = self->worker_id;
    while (self->worker_id == 0 || self->worker_id == old)
        if (getrandom (&self->worker_id, sizeof (self->worker_id), 0) == -1)
            self->worker_id = (uint32_t) getpid () ^ (uint32_t) pp_now_ns ();
}

/*  The ventilator says our id is another worker's, which said HELLO under
    it first (two drew the same one): only the worker named -- our id,
    pid and host -- obeys. It takes a new id and starts its run afresh
    under it: a new pipeline (its results carry the id), a HELLO to the
    ventilator and the sink. The ventilator has not counted us nor given
    us credit yet; in push flow, items that reached us already (a late
    joiner) are sent again after its --ack-timeout (logged).               */
static int
s_on_rename (s_worker_t *self, const pp_header_t *hdr,
             const pp_rename_t *rename)
{
    if (self->phase != S_RUNNING || hdr->run_id != self->run_id ||
        !pp_ctl_rename_is_me (rename, self->worker_id, &self->hello))
        return 0;
    uint32_t old = self->worker_id;
    s_draw_id (self);
    zsys_notice ("worker id %08x is taken by another worker (pid %u on %s): "
                 "this one (pid %u on %s) is now %08x",
                 old, rename->owner.pid, rename->owner.host, self->hello.pid,
                 self->hello.host, self->worker_id);
    s_pipeline_stop (self);
    s_log_withheld (self, "taking a new id", true);
    pp_wcredit_reset (&self->credit, pp_now_ms ());
    int rc = s_pipeline_start (self);
    s_send_hello_to_ventilator (self);
    if (rc == 0 && s_credit_flow (self))
        s_credit_hello (self);
    return rc;
}

static int
s_on_control (s_worker_t *self)
{
    pp_header_t hdr;
    pp_state_t state;
    pp_settings_t settings;
    pp_rename_t rename;
    uint8_t version = 0;
    if (pp_ctl_recv_any (self->control, &hdr, &state, &settings, &rename,
                         &version, self->rejects) != 0) {
        if (version != 0)
            s_other_version (self, version);
        return 0;
    }
    if (hdr.type == PP_MSG_RENAME)
        return s_on_rename (self, &hdr, &rename);
    return s_on_state (self, &hdr, &state, &settings);
}

static int
s_on_tasks_socket (s_worker_t *self)
{
    pp_inmsg_t in;
    if (pp_net_recv (self->tasks, false, &in, self->rejects) != 0)
        return 0;
    if (in.hdr.type == PP_MSG_BYE && s_credit_flow (self) &&
        self->phase == S_RUNNING && in.hdr.run_id == self->run_id) {
        /*  One that names the id we had before a RENAME answers what we
            said under it: we said HELLO under the new one since, and the
            ventilator may have sent us items under it -- joining again
            now would forget the credit they came on.                     */
        bool ours =
            in.hdr.worker_id == 0 || in.hdr.worker_id == self->worker_id;
        pp_inmsg_free (&in);
        if (ours) {
            zsys_notice ("the ventilator asked us to join again (it had "
                         "written us off, or lost our connection)");
            s_credit_hello (self);
        }
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
    uint8_t *seqs = NULL;
    size_t count = pp_wfeed_hand_back (&self->feed, &seqs);
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
        pp_wcredit_completed (&self->credit, pp_get_u32 (count));
    s_credit_tick (self);
}

/*  Logs a sink that takes no results, once per wait, and its return.     */
static void
s_watch_sink (s_worker_t *self)
{
    int64_t stuck = pp_pipeline_stuck_ms (self->pipeline);
    if (!self->sink_told && stuck && pp_now_ms () - stuck >= S_STUCK_NOTICE_MS)
        zsys_notice ("the sink takes no results (--results %s): holding "
                     "them",
                     self->net->results);
    else if (self->sink_told && !stuck)
        zsys_notice ("the sink takes results again");
    else
        return;
    self->sink_told = !self->sink_told;
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
    int64_t stuck = pp_pipeline_stuck_ms (self->pipeline);
    bool left = pp_pipeline_done (self->pipeline);
    bool late = pp_now_ms () - self->leave_ms >= S_LEAVE_MAX_MS;
    if (!left && !late &&
        (stuck == 0 || pp_now_ms () - stuck < S_LEAVE_STALL_MS))
        return;
    if (!left && late) {
        zsys_error ("leaving: the items started did not finish within %d "
                    "s: stopping them (the ventilator sends them again)",
                    S_LEAVE_MAX_MS / 1000);
        s_pipeline_stop (self);
        self->code = PP_EXIT_ABORTED;
        self->phase = S_EXIT;
        return;
    }
    if (!left)
        zsys_error ("leaving: the sink took no results for %d ms (--results "
                    "%s): giving up",
                    S_LEAVE_STALL_MS, self->net->results);
    s_pipeline_stop (self);
    s_log_withheld (self, "left", true);
    self->code = self->withheld > 0 ? PP_EXIT_RUNTIME : PP_EXIT_OK;
    s_say_bye (self);
    self->phase = S_EXIT;
}

/*  The ventilator silent for a while: said once, with since when and
    until when we wait, and how it is brought back.                      */
static void
s_tell_silence (s_worker_t *self, int64_t silent_ms)
{
    if (self->silence_told || silent_ms < S_SILENT_NOTICE_MS)
        return;
    pp_waitlog_ventilator_silent (self->run_id, silent_ms,
                                  self->cfg->ventilator_timeout_ms);
    self->silence_told = true;
}

/*  A ventilator silent for --ventilator-timeout (it publishes its state
    several times a second) is gone, or we missed its DONE behind a cut
    link: drop the run instead of waiting forever. Exit 1 (we cannot
    know how the run ended), or, with --serve, wait for the next run.     */
static void
s_check_silence (s_worker_t *self)
{
    s_check_stall (self, S_POLL_MS); /* s_feed waits that long at most */
    int64_t silent = pp_now_ms () - self->heard_ms;
    if (self->phase == S_RUNNING)
        s_tell_silence (self, silent);
    if (self->phase != S_RUNNING || self->cfg->ventilator_timeout_ms <= 0 ||
        silent < self->cfg->ventilator_timeout_ms)
        return;
    zsys_error ("no word from the ventilator for %lld ms: leaving run "
                "%016llx; to continue it, restart pp-ventilator with the "
                "same command line plus --resume (it needs its --journal "
                "FILE), then this worker with its command line%s",
                (long long) self->cfg->ventilator_timeout_ms,
                (unsigned long long) self->run_id,
                self->cfg->serve ? " (with --serve it waits already)" : "");
    self->silence_told = false;
    /*  Credit flow: what we hold unstarted goes back first. Only control
        may be lost (a worker admitted on tasks but not on control, when
        the ventilator runs out of descriptors): then it is requeued
        without counting as a delivery, not lost with us, where a few such
        losses in a row would give it up (--max-deliver). Else nobody
        hears it.                                                         */
    if (s_credit_flow (self) && self->tasks)
        s_hand_back (self);
    s_pipeline_stop (self);
    s_log_withheld (self, "left the run", true);
    self->ended_run = self->run_id;
    self->code = PP_EXIT_RUNTIME;
    self->phase = self->cfg->serve ? S_IDLE : S_EXIT;
    pp_waitlog_start (&self->idle, pp_now_ms ());
}

/*  S_IDLE: no run heard yet (or, with --serve, since the last). Never
    silent: said after a few seconds, then more and more rarely, with the
    endpoint it listens on and whether anything accepts there.            */
static void
s_tell_idle (s_worker_t *self)
{
    int64_t now = pp_now_ms ();
    if (self->phase != S_IDLE || self->cfg->verbosity < 1 ||
        !pp_waitlog_due (&self->idle, now))
        return;
    char since[16];
    int64_t waited = pp_waitlog_waited (&self->idle, now);
    pp_waitlog_since (&self->idle, since, sizeof (since));
    bool up = pp_netmon_connected (self->netmon, self->control);
    zsys_notice ("waiting for %s since %s (%lld s): no run heard on %s %s%s",
                 self->ended_run ? "the next run" : "a ventilator", since,
                 (long long) (waited / 1000),
                 pp_config_source (self->net, "--control"), self->net->control,
                 up ? ""
                    : " (nothing accepts connections there yet: is "
                      "pp-ventilator started, with the same "
                      "--control?)");
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
        s_say_bye (self);
        self->phase = S_EXIT;
        return;
    }
    zsys_notice ("leaving: finishing the items already started");
    if (s_credit_flow (self))
        s_hand_back (self);
    else /* never wait here: slow jobs would keep us from the second
            signal                                                      */
        self->withheld += pp_wfeed_last (&self->feed);
    pp_netmon_forget (self->netmon, self->tasks);
    zsock_destroy (&self->tasks); /* what libzmq had queued is redelivered */
    pp_pipeline_close (self->pipeline);
    self->leave_ms = pp_now_ms ();
    self->phase = S_LEAVING;
    self->code = PP_EXIT_OK;
}

static int
s_loop (s_worker_t *self)
{
    while (self->phase != S_EXIT) {
        bool busy = pp_wfeed_busy (&self->feed);
        /*  Idle, a TASK may start a run only when no setting is to be
            learnt from the ventilator's STATE first.                     */
        bool take = self->tasks && !busy &&
                    (self->phase != S_IDLE || s_settings_given (self));
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
        if (self->pipeline) {
            s_watch_sink (self);
            self->spill_lost |= pp_pipeline_spill_check (self->pipeline);
        }
        if (self->phase == S_LEAVING)
            s_leave_step (self);
        s_check_silence (self);
        pp_netmon_check (self->netmon);
        s_tell_idle (self);
        int stops = pp_worker_stops (self->stops_base);
        if (stops > self->stops_seen) {
            self->stops_seen = stops;
            s_on_signal (self, stops);
        }
    }
    return 0;
}

/*  A test hook, not an option (so not in --help): PP_TEST_WORKER_ID=hex
    is the id this worker starts with, so that a test can make two
    workers draw the same one (t_worker_id_clash). 0 when unset or not
    8 hex digits at most: a random id.                                     */
static uint32_t
s_test_worker_id (void)
{
    const char *text = getenv ("PP_TEST_WORKER_ID");
    char *end;
    if (!text || !*text || strlen (text) > 8)
        return 0;
    unsigned long id = strtoul (text, &end, 16);
    return *end == '\0' ? (uint32_t) id : 0;
}

/*  Control and acks; tasks too when --flow is given (else once the
    ventilator's STATE told the flow: s_adopt).                            */
static int
s_open (s_worker_t *self)
{
    const pp_common_t *common = self->net;
    self->control =
        pp_net_socket (ZMQ_SUB, common, common->control, false, "--control");
    self->acks = pp_net_acks_socket (ZMQ_PUSH, common, false);
    if (!self->control || !self->acks)
        return PP_EIO;
    self->netmon = pp_netmon_new (common);
    pp_netmon_watch (self->netmon, self->control, "--control", false);
    pp_netmon_watch (self->netmon, self->acks, "--acks", false);
    bool sized = self->net->given & PP_GIVEN_MAX_ITEM;
    if ((self->net->given & PP_GIVEN_FLOW) &&
        s_open_tasks (self, sized ? self->net->max_item : PP_MAX_ITEM_LIMIT))
        return PP_EIO;
    self->worker_id = s_test_worker_id ();
    if (self->worker_id == 0)
        s_draw_id (self);
    self->hello = (pp_hello_t){.pid = (uint32_t) getpid (),
                               .threads = (uint32_t) self->cfg->threads,
                               .capacity = (uint32_t) self->cfg->capacity};
    if (gethostname (self->hello.host, sizeof (self->hello.host)) != 0)
        snprintf (self->hello.host, sizeof (self->hello.host), "unknown");
    self->hello.host[sizeof (self->hello.host) - 1] = '\0';
    pp_waitlog_start (&self->idle, pp_now_ms ());
    return 0;
}

/*  Reports a refused configuration: logged, PP_EINVAL.                    */
static int
s_refuse (const char *why)
{
    zsys_error ("%s", why);
    return PP_EINVAL;
}

/*  Opens the sockets and runs the loop until the run ends; frees all but
    the keys.                                                              */
static int
s_run (s_worker_t *self)
{
    int rc = s_open (self);
    if (rc == 0)
        rc = s_loop (self);
    s_pipeline_stop (self);
    if (rc != 0) {
        zsys_error ("worker stopped: %s", pp_strerror (rc));
        s_log_withheld (self, "stopped", true);
        self->code = PP_EXIT_RUNTIME;
    }
    if (self->spill_lost && self->code != PP_EXIT_ABORTED)
        self->code = PP_EXIT_RUNTIME; /* tasks lost in --spill-dir      */
    pp_net_log_rejects (self->rejects);
    pp_netmon_destroy (&self->netmon); /* before the sockets it watches  */
    zsock_destroy (&self->tasks);
    zsock_destroy (&self->done);
    zsock_destroy (&self->control);
    zsock_destroy (&self->acks);
    return self->code;
}

int
pp_worker_run (const pp_worker_config_t *config, pp_handler_fn *handler,
               void *user_data)
{
    char why[512];
    pp_common_t net;
    if (!handler)
        return s_refuse ("pp_worker_run: no handler");
    if (pp_worker_config_net (config, &net, why, sizeof (why)) != 0)
        return s_refuse (why);
    if (pp_config_security (&net, false, true, why, sizeof (why)) != 0) {
        pp_config_security_end (&net);
        return s_refuse (why);
    }
    s_worker_t self = {.credit = {.beat_every_ms = 1000},
                       .cfg = config,
                       .net = &net,
                       .handler = handler,
                       .user = user_data,
                       .phase = S_IDLE,
                       .code = PP_EXIT_RUNTIME,
                       .stops_base = pp_worker_stops_begin ()};
    int code = s_run (&self);
    pp_worker_stops_end ();
    pp_config_security_end (&net);
    return code;
}
