/*  pp-ventilator: reads records, numbers them, fans them out to workers,
    keeps each one until the sink acks it, and runs the control plane.

    Data flows through one header at each step:
      input.h   records from a file, stdin or a generator
      feed.h    records as items: --rate, the inbox (--overflow), drain
      window.h  numbered items kept until acked; resends, retries
      batch.h   a TASK batch: due resends, then new items
      push.h / credit.h   batches to the workers, by flow
      send.h    a batch onto the tasks socket, handed to libzmq uncopied
    and run.h keeps the state of the run and announces it. This file is
    the event loop and its wiring: it polls the sockets and the input,
    hands acks to the window and the rest of what comes to the run, and
    turns signals into drain and abort.                                    */

#include "batch.h"
#include "credit.h"
#include "feed.h"
#include "input.h"
#include "journal.h"
#include "options.h"
#include "pool.h"
#include "push.h"
#include "run.h"
#include "send.h"
#include "window.h"
#include "pp_error.h"
#include "pp_net.h"
#include "pp_signal.h"
#include "pp_stall.h"
#include "pp_stats.h"
#include "pp_waitlog.h"

#include <czmq.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_CONTROL_LINGER_MS 100 /* at exit, for the last announcement    */

typedef struct {
    vent_options_t *opt;
    zsock_t *tasks, *control, *acks;
    pp_netmon_t *netmon;     /* refused handshakes on the three above  */
    vent_input_t *input;     /* records                                */
    vent_pool_t *pool;       /* item memory, shared by feed and window */
    vent_feed_t *feed;       /* items in order                         */
    vent_window_t *window;   /* items sent, not acked                  */
    vent_push_t *push;       /* push flow dispatch, or NULL            */
    vent_credit_t *credit;   /* credit flow dispatch, or NULL          */
    vent_run_t *run;         /* the state of the run                   */
    vent_journal_t *journal; /* --journal, or NULL                   */
    int journal_rc;          /* the input differs from the journal's */
    bool journal_told;       /* a failed journal write was logged     */
    bool drain_stopped;      /* a drain stopped the input             */
    int done_code;           /* --resume of a completed run: its exit */
    uint64_t run_id;
    uint64_t rejects[PP_REJECT_COUNT];
    int signals_seen;
    pp_stall_t stall;           /* time the loop itself lost (stopped)     */
    vent_autobatch_t autobatch; /* --batch by default: by the pace     */
    pp_waitlog_t no_worker;     /* no worker said hello yet: said aloud */
} vent_t;

/*  TASK messages sent: 0 = no worker ever held an item of this run.      */
static uint64_t
s_sends (const vent_t *self)
{
    return self->push ? vent_push_sends (self->push)
                      : vent_credit_sends (self->credit);
}

/*  Sends what can be sent; once the feed's total is final, the run
    drains.                                                                */
static int
s_dispatch (vent_t *self)
{
    if (self->opt->batch == 0) { /* adapts to the pace of the acks      */
        uint64_t acked = vent_window_next (self->window) -
                         vent_window_unacked (self->window);
        uint32_t size =
            vent_autobatch_update (&self->autobatch, acked, pp_now_ms ());
        if (self->push)
            vent_push_set_batch (self->push, size);
        else
            vent_credit_set_batch (self->credit, size);
    }
    int rc = self->push ? vent_push_dispatch (self->push)
                        : vent_credit_dispatch (self->credit);
    if (rc != 0) {
        zsys_error ("cannot dispatch: %s", pp_strerror (rc));
        return rc;
    }
    /*  A drained total is journaled before it is announced: a resumed
        run must not read past what the sink was told is the end.         */
    if (self->journal && self->drain_stopped && vent_feed_ended (self->feed) &&
        !vent_journal_stopped (self->journal) &&
        vent_journal_stop (self->journal) != 0)
        zsys_error ("--journal %s: cannot write: %s", self->opt->journal,
                    strerror (errno));
    vent_run_dispatched (self->run);
    return rc;
}

/*  An ACK: ranges recorded (acked) or, flagged RETRY, failed items the
    sink wants again (on the worker in the header's worker_id). A
    malformed range stops the message (counted).                          */
static void
s_on_ack (vent_t *self, const pp_inmsg_t *in)
{
    bool retry = in->hdr.flags & PP_ACK_RETRY;
    for (uint32_t i = 0; i < in->hdr.count; i++) {
        uint64_t first, n;
        if (pp_wire_decode_range (in->payload, in->size, i, &first, &n) != 0) {
            self->rejects[PP_REJECT_BATCH]++;
            break;
        }
        if (retry)
            vent_window_retry (self->window, first, n, in->hdr.worker_id);
        else {
            vent_window_ack (self->window, first, n);
            if (self->journal)
                vent_journal_acked (self->journal, first, n);
        }
    }
}

/*  COMPLETE from the sink.                                                */
static void
s_on_complete (vent_t *self, const pp_inmsg_t *in)
{
    pp_state_t outcome;
    if (pp_wire_decode_state (in->payload, in->size, &outcome) != 0) {
        self->rejects[PP_REJECT_SHORT]++;
        return;
    }
    vent_run_complete (self->run, &outcome);
    const pp_state_t *done = vent_run_outcome (self->run);
    uint64_t counts[4] = {done->total, done->ok, done->failed, done->dropped};
    if (self->journal && vent_run_state (self->run) == VENT_DONE &&
        vent_journal_done (self->journal, counts) != 0)
        zsys_error ("--journal %s: cannot write: %s", self->opt->journal,
                    strerror (errno));
}

/*  Drain or abort, asked by a signal or over acks (by says which).        */
static void
s_on_request (vent_t *self, uint16_t what, const char *by)
{
    vent_run_request (self->run, what, s_sends (self), by);
    if (vent_feed_state (self->feed) == VENT_FEED_STOPPED)
        self->drain_stopped = true;
}

/*  A worker said hello: the run counts it, and the wait for one ends.    */
static void
s_on_hello (vent_t *self, uint32_t worker_id)
{
    pp_waitlog_stop (&self->no_worker);
    vent_run_hello (self->run, worker_id);
}

/*  No worker said hello yet while the run wants one. Never silent: said
    after a few seconds, then more and more rarely, with the endpoints a
    worker must be given.                                                  */
static void
s_tell_no_worker (vent_t *self, int64_t now)
{
    vent_state_t state = vent_run_state (self->run);
    bool wants = state == VENT_WAITING || vent_run_active (self->run);
    if (!wants || pp_verbosity < 1 || !pp_waitlog_due (&self->no_worker, now))
        return;
    const pp_common_t *common = &self->opt->common;
    char since[16];
    pp_waitlog_since (&self->no_worker, since, sizeof (since));
    zsys_notice ("waiting for workers since %s (%lld s): none has joined "
                 "(start pp-worker with --tasks %s --results %s --control %s "
                 "--acks %s)",
                 since,
                 (long long) (pp_waitlog_waited (&self->no_worker, now) / 1000),
                 common->tasks, common->results, common->control, common->acks);
}

static void
s_on_acks_socket (vent_t *self)
{
    pp_inmsg_t in;
    if (pp_net_recv (self->acks, false, &in, self->rejects) != 0)
        return;
    bool ours = in.hdr.run_id == self->run_id;
    switch (in.hdr.type) {
        case PP_MSG_ACK:
            if (ours)
                s_on_ack (self, &in);
            break;
        case PP_MSG_HELLO:
            if (ours && vent_run_hello_fits (self->run, in.hdr.worker_id,
                                             in.payload, in.size))
                s_on_hello (self, in.hdr.worker_id);
            break;
        case PP_MSG_COMPLETE:
            if (ours)
                s_on_complete (self, &in);
            break;
        case PP_MSG_BYE: /* a peer saw the end of the run, or leaves it */
            if (ours && in.size != (size_t) in.hdr.count * 4)
                self->rejects[PP_REJECT_SHORT]++;
            else if (ours)
                vent_run_bye (self->run, in.hdr.worker_id, in.payload,
                              in.hdr.count);
            break;
        case PP_MSG_REQUEST:
            /*  An operator may not know the run id: 0 means this run.     */
            if (ours || in.hdr.run_id == 0)
                s_on_request (self, in.hdr.flags,
                              "over --acks (by the sink, or an operator)");
            else
                self->rejects[PP_REJECT_RUN]++;
            break;
        default:
            self->rejects[PP_REJECT_TYPE]++;
            ours = true; /* counted once, as unknown_type               */
    }
    if (!ours && in.hdr.type != PP_MSG_REQUEST)
        self->rejects[PP_REJECT_RUN]++;
    pp_inmsg_free (&in);
}

/*  The loop did not run for lost ms (stopped, starved): nobody is judged
    by that time. Workers count as heard now; every ack deadline moves by
    lost, so a stopped ventilator does not send its whole window again;
    and --rate does not catch up on the records it did not send.         */
static void
s_on_stall (vent_t *self, int64_t lost)
{
    zsys_notice ("this process did not run for %lld ms (was it stopped?): "
                 "its peers get that time back",
                 (long long) lost);
    vent_feed_stall (self->feed, lost);
    vent_window_stall (self->window, lost);
    if (self->credit)
        vent_credit_rearm (self->credit, lost);
}

/*  Since the last check the loop came late (past a wait of wait_ms) by
    half the silence it judges by or more: the ack timeout, in credit flow
    the liveness too. Called before every judgement.                      */
static void
s_check_stall (vent_t *self, int64_t wait_ms)
{
    int64_t judged = self->opt->ack_timeout_ms;
    int64_t liveness =
        vent_credit_silence_ms (self->opt->heartbeat_ms, self->opt->liveness);
    if (self->credit && liveness < judged)
        judged = liveness;
    int64_t lost =
        pp_stall_check (&self->stall, pp_now_ms (), wait_ms, judged / 2);
    if (lost > 0)
        s_on_stall (self, lost);
}

/*  Timers, signals and state changes between socket events.               */
static void
s_tick (vent_t *self)
{
    s_check_stall (self, 0); /* after the turn's work: no wait since     */
    int64_t now = pp_now_ms ();
    pp_netmon_check (self->netmon);
    int signals = pp_signal_count ();
    if (signals != self->signals_seen) {
        self->signals_seen = signals;
        s_on_request (self, signals == 1 ? PP_REQUEST_DRAIN : PP_REQUEST_ABORT,
                      signals == 1 ? "by a signal (a second one aborts)"
                                   : "by a second signal");
    }
    if (vent_run_state (self->run) == VENT_WAITING)
        vent_run_task_peers (self->run,
                             pp_netmon_peers (self->netmon, self->tasks));
    vent_run_tick (self->run, now);
    s_tell_no_worker (self, now);
    if (self->credit && vent_run_active (self->run))
        vent_credit_tick (self->credit); /* after DONE, workers leave  */
    vent_window_tick (self->window, now);
    if (self->journal && vent_journal_flush (self->journal, now, false) != 0 &&
        !self->journal_told) {
        zsys_error ("--journal %s: cannot write (%s): the run goes on, but "
                    "cannot be resumed if this process dies",
                    self->opt->journal, strerror (errno));
        self->journal_told = true;
    }
}

/*  True when a batch could be built right now without waiting.          */
static bool
s_has_work (vent_t *self)
{
    if (self->push && vent_push_waiting (self->push))
        return false;
    if (self->credit && !vent_credit_can_send (self->credit))
        return false;
    return vent_feed_ready (self->feed, !vent_window_full (self->window),
                            pp_now_ms ());
}

/*  How long the turn may wait: not at all with work to do, briefly while
    --rate paces the input or while the window is full of what the tasks
    socket holds (libzmq frees it without waking us), else until the next
    announcement.                                                          */
static long
s_timeout (vent_t *self, bool active)
{
    if (active && s_has_work (self))
        return 0;
    bool held = vent_send_inflight () > 0 && vent_window_full (self->window);
    if (active && (self->opt->rate > 0 || held))
        return 5;
    return (long) vent_run_wait_ms (self->run, pp_now_ms ());
}

/*  Subscriptions on control: peers that just connected get the state at
    once, whatever they subscribed to (they all take everything). Each
    peer's unsubscription (it disconnected) is told too, so the run knows
    who listens now.                                                       */
static void
s_on_control (vent_t *self)
{
    uint32_t joined = 0, left = 0;
    for (int burst = 0; burst < 256; burst++) {
        zframe_t *frame = zframe_recv_nowait (self->control);
        if (!frame)
            break;
        if (zframe_size (frame) > 0) {
            joined += zframe_data (frame)[0] == 1;
            left += zframe_data (frame)[0] == 0;
        }
        zframe_destroy (&frame);
    }
    if (joined > 0) /* first: a peer may join and leave in one burst   */
        vent_run_welcome (self->run, joined, pp_now_ms ());
    if (left > 0)
        vent_run_left (self->run, left);
}

/*  Reads what came on the sockets, in bursts.                             */
static void
s_on_sockets (vent_t *self, bool acks, bool tasks, bool control)
{
    if (control)
        s_on_control (self);
    for (int burst = 0;
         acks && burst < 256 && (zsock_events (self->acks) & ZMQ_POLLIN);
         burst++)
        s_on_acks_socket (self);
    uint32_t hello_id;
    for (int burst = 0;
         tasks && burst < 256 && (zsock_events (self->tasks) & ZMQ_POLLIN);
         burst++)
        if (vent_credit_on_message (self->credit, &hello_id))
            s_on_hello (self, hello_id);
}

/*  One turn of the loop: wait for a socket, the input or a timer, handle
    what came, dispatch, tick. Returns 0 or an error (logged).            */
static int
s_turn (vent_t *self)
{
    bool active = vent_run_active (self->run);
    bool want_input = active && vent_feed_wants_fd (self->feed, pp_now_ms ());
    bool waiting = active && self->push && vent_push_waiting (self->push);
    short tasks_events = self->credit ? ZMQ_POLLIN : waiting ? ZMQ_POLLOUT : 0;
    zmq_pollitem_t items[] = {{zsock_resolve (self->acks), 0, ZMQ_POLLIN, 0},
                              {zsock_resolve (self->tasks), 0, tasks_events, 0},
                              {zsock_resolve (self->control), 0, ZMQ_POLLIN, 0},
                              {NULL, vent_input_fd (self->input),
                               (short) (want_input ? ZMQ_POLLIN : 0), 0}};
    long timeout = s_timeout (self, active);
    int n = zmq_poll (items, want_input ? 4 : 3, timeout);
    if (n == -1 && zmq_errno () != EINTR) {
        zsys_error ("cannot poll: %s", zmq_strerror (zmq_errno ()));
        return PP_EIO;
    }
    s_check_stall (self, timeout);
    if (n > 0)
        s_on_sockets (self, items[0].revents & ZMQ_POLLIN,
                      self->credit && (items[1].revents & ZMQ_POLLIN),
                      items[2].revents & ZMQ_POLLIN);
    if (want_input && (items[3].revents & (ZMQ_POLLIN | ZMQ_POLLERR)) &&
        vent_feed_fill (self->feed) != 0) {
        zsys_error ("cannot read input: %s", strerror (errno));
        return PP_EIO;
    }
    s_check_stall (self, 0); /* dispatch judges unreachable workers     */
    int rc = active ? s_dispatch (self) : 0;
    if (rc == 0)
        s_tick (self);
    return rc;
}

static int
s_loop (vent_t *self)
{
    while (!vent_run_finished (self->run, pp_now_ms ())) {
        int rc = s_turn (self);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/*  The input the flags name: generated, or records from FILE or stdin.   */
static int
s_open_input (vent_t *self)
{
    vent_options_t *opt = self->opt;
    if (opt->generate > 0)
        self->input = vent_input_new_generate (1, opt->generate);
    else if (opt->workload > 0)
        self->input = vent_input_new_workload (opt->workload, opt->seed);
    else {
        int fd = STDIN_FILENO;
        if (opt->path && strcmp (opt->path, "-") != 0) {
            fd = open (opt->path, O_RDONLY | O_CLOEXEC);
            if (fd == -1) {
                zsys_error ("cannot open %s: %s", opt->path, strerror (errno));
                return PP_EIO;
            }
        }
        self->input = vent_input_new_fd (fd, opt->delim, opt->common.max_item);
    }
    if (!self->input)
        return PP_ENOMEM;
    vent_input_skip (self->input, opt->skip);
    return 0;
}

/*  The feed over the input, its inbox a few batches deep and an eighth
    of --window-bytes at most.                                             */
static int
s_open_feed (vent_t *self)
{
    vent_options_t *opt = self->opt;
    uint32_t batch = opt->batch ? opt->batch : VENT_AUTOBATCH_MAX;
    vent_feed_config_t config = {
        .run_id = self->run_id,
        .ahead = batch * 4 > 1024 ? batch * 4 : 1024,
        .ahead_bytes = opt->window_bytes / 8 > 0 ? opt->window_bytes / 8 : 1,
        .rate = opt->rate,
        .skip = opt->skip,
        .max_item = opt->common.max_item};
    self->feed = vent_feed_new (self->input, self->pool, &config);
    if (!self->feed)
        return PP_ENOMEM;
    if (vent_feed_set_overflow (self->feed, opt->overflow, opt->spill_dir) !=
        0) {
        zsys_error ("--spill-dir: cannot create a file in %s: %s",
                    opt->spill_dir, strerror (errno));
        return PP_EIO;
    }
    return 0;
}

/*  The three sockets, bound (each failure is logged, naming its flag).  */
static int
s_open_sockets (vent_t *self)
{
    pp_common_t *common = &self->opt->common;
    bool credit = common->flow == PP_FLOW_CREDIT;
    self->netmon = pp_netmon_new (common); /* first: it sees every peer */
    self->tasks =
        pp_net_socket_watched (credit ? ZMQ_ROUTER : ZMQ_PUSH, common,
                               common->tasks, true, "--tasks", self->netmon);
    if (credit && self->tasks)
        zsock_set_router_mandatory (self->tasks, 1);
    /*  XPUB: every subscription that comes in is a peer that just
        connected, welcomed with the state at once (s_on_control). Verbose
        both ways: each subscription, and each subscriber's unsubscription
        when it disconnects (plain verbose tells only the last one's).     */
    self->control = pp_net_socket_watched (ZMQ_XPUB, common, common->control,
                                           true, "--control", self->netmon);
    if (self->control)
        zsock_set_xpub_verboser (self->control, 1);
    self->acks =
        pp_net_acks_socket_watched (ZMQ_PULL, common, true, self->netmon);
    if (!self->tasks || !self->control || !self->acks)
        return PP_EIO;
    pp_waitlog_start (&self->no_worker, pp_now_ms ());
    return 0;
}

/*  Credit flow: a HELLO on tasks under an id another worker has makes
    no peer (vent_run_hello_claim).                                       */
static bool
s_claim (void *ctx, uint32_t worker_id, const uint8_t *payload, size_t size)
{
    vent_t *self = ctx;
    return vent_run_hello_claim (self->run, worker_id, payload, size);
}

/*  The dispatch of the flow asked, on the tasks socket.                   */
static int
s_open_dispatch (vent_t *self)
{
    vent_options_t *opt = self->opt;
    uint32_t batch = opt->batch ? opt->batch : VENT_AUTOBATCH_MIN;
    vent_autobatch_init (&self->autobatch, pp_now_ms ());
    if (opt->common.flow != PP_FLOW_CREDIT) {
        self->push = vent_push_new (self->tasks, self->window, self->feed,
                                    batch, self->run_id);
        return self->push ? 0 : PP_ENOMEM;
    }
    vent_credit_config_t config = {.run_id = self->run_id,
                                   .batch = batch,
                                   .heartbeat_ms = opt->heartbeat_ms,
                                   .liveness = opt->liveness,
                                   .claim = s_claim,
                                   .claim_ctx = self};
    self->credit =
        vent_credit_new (self->tasks, self->window, self->feed, &config);
    return self->credit ? 0 : PP_ENOMEM;
}

/*  --- --journal and --resume ------------------------------------------- */

/*  What decides the numbering of this command line.                      */
static vent_journal_head_t
s_journal_head (const vent_options_t *opt, uint64_t run_id)
{
    vent_journal_head_t head = {.run_id = run_id,
                                .kind = VENT_JOURNAL_RECORDS,
                                .delim = (uint32_t) (unsigned char) opt->delim,
                                .window = opt->window,
                                .batch = opt->batch,
                                .skip = opt->skip,
                                .max_item = opt->common.max_item};
    if (opt->generate > 0) {
        head.kind = VENT_JOURNAL_GENERATE;
        head.count = opt->generate;
        head.delim = 0;
    } else if (opt->workload > 0) {
        head.kind = VENT_JOURNAL_WORKLOAD;
        head.count = opt->workload;
        head.seed = opt->seed;
        head.delim = 0;
    }
    return head;
}

/*  The first option that differs between the journal's run and this
    command line, said as flags; NULL when none does.                    */
static const char *
s_head_differs (const vent_journal_head_t *was, const vent_journal_head_t *now,
                char *why, size_t size)
{
    static const char *kinds[] = {"?", "FILE or stdin", "--generate",
                                  "--workload"};
    if (was->kind != now->kind)
        snprintf (why, size, "input %s, this command line %s",
                  kinds[was->kind <= 3 ? was->kind : 0], kinds[now->kind]);
    else if (was->count != now->count)
        snprintf (why, size, "%s %llu, this command line %llu",
                  kinds[now->kind], (unsigned long long) was->count,
                  (unsigned long long) now->count);
    else if (was->seed != now->seed)
        snprintf (why, size, "--seed %llu, this command line %llu",
                  (unsigned long long) was->seed,
                  (unsigned long long) now->seed);
    else if (was->delim != now->delim)
        snprintf (why, size, "records split on %s, this command line on %s",
                  was->delim ? "newlines" : "NULs (-0)",
                  now->delim ? "newlines" : "NULs (-0)");
    else if (was->skip != now->skip)
        snprintf (why, size, "--skip %llu, this command line %llu",
                  (unsigned long long) was->skip,
                  (unsigned long long) now->skip);
    else if (was->max_item != now->max_item)
        snprintf (why, size, "--max-item-size %llu, this command line %llu",
                  (unsigned long long) was->max_item,
                  (unsigned long long) now->max_item);
    else if (was->window != now->window)
        snprintf (why, size, "--window %u, this command line %u", was->window,
                  now->window);
    else
        return NULL;
    return why;
}

/*  --resume: the journal read back, of a run this command line numbers
    the same way; the run id is its. PP_EINVAL (exit 2) when it is not.  */
static int
s_load_journal (vent_t *self)
{
    const char *path = self->opt->journal;
    char why[256];
    if (vent_journal_load (path, &self->journal, why, sizeof (why)) != 0) {
        zsys_error ("--resume: cannot continue the run of --journal %s: %s",
                    path, why);
        return PP_EINVAL;
    }
    const vent_journal_head_t *was = vent_journal_head (self->journal);
    vent_journal_head_t now = s_journal_head (self->opt, was->run_id);
    if (s_head_differs (was, &now, why, sizeof (why))) {
        zsys_error ("--resume: --journal %s is of a run numbered with %s: "
                    "give the same command line plus --resume",
                    path, why);
        return PP_EINVAL;
    }
    self->run_id = was->run_id;
    uint64_t counts[4];
    if (!vent_journal_was_done (self->journal, counts))
        return 0;
    zsys_notice ("--resume: run %016llx completed already (%llu items: "
                 "%llu ok, %llu failed, %llu dropped): nothing to resume",
                 (unsigned long long) self->run_id,
                 (unsigned long long) counts[0], (unsigned long long) counts[1],
                 (unsigned long long) counts[2],
                 (unsigned long long) counts[3]);
    vent_journal_destroy (&self->journal, true);
    self->done_code = counts[2] + counts[3] > 0 ? PP_EXIT_FAILED : PP_EXIT_OK;
    return PP_ECLOSED;
}

/*  --journal: continue its run (--resume), or a new one in a new file.  */
static int
s_open_journal (vent_t *self)
{
    const vent_options_t *opt = self->opt;
    if (opt->resume)
        return s_load_journal (self);
    struct stat st;
    if (stat (opt->journal, &st) == 0) {
        zsys_error ("--journal %s exists: add --resume to continue its run, "
                    "or remove it to start a new one",
                    opt->journal);
        return PP_EINVAL;
    }
    vent_journal_head_t head = s_journal_head (opt, self->run_id);
    self->journal = vent_journal_new (opt->journal, &head);
    return self->journal ? 0 : PP_ENOMEM;
}

/*  vent_window_numbered_fn: every item numbered goes into the hash; while
    resuming, a differing input is remembered here.                       */
static void
s_on_numbered (void *ctx, const pp_item_t *item)
{
    vent_t *self = ctx;
    int rc = vent_journal_numbered (self->journal, item->outcome, item->data,
                                    item->len);
    if (rc != 0 && self->journal_rc == 0)
        self->journal_rc = rc;
}

/*  vent_journal_snapshot_fn: the acked ranges, from the window.           */
static void
s_journal_snapshot (void *ctx, vent_journal_range_fn *emit, void *arg)
{
    vent_t *self = ctx;
    vent_window_acked_runs (self->window, emit, arg);
}

/*  --resume: waits for the input's fd (a signal stops the wait, exit 3),
    then reads it once.                                                    */
static int
s_resume_read (vent_t *self)
{
    struct pollfd fd = {.fd = vent_input_fd (self->input), .events = POLLIN};
    while (poll (&fd, 1, 100) == 0 || (fd.revents == 0 && errno == EINTR))
        if (pp_signal_count () > 0) {
            zsys_notice ("--resume: stopped while reading the input again");
            return PP_EABORTED;
        }
    if (vent_feed_fill (self->feed) != 0) {
        zsys_error ("cannot read input: %s", strerror (errno));
        return PP_EIO;
    }
    return 0;
}

/*  --resume, why the input is not the one numbered: logged, PP_EINVAL.  */
static int
s_resume_refused (vent_t *self, bool short_input)
{
    uint64_t numbered = vent_journal_resumed (self->journal);
    uint64_t from, to;
    if (short_input)
        zsys_error ("--resume: the input changed: it has %llu records (after "
                    "--skip %llu), but --journal %s numbered %llu; resume "
                    "with the input of the run, or remove the journal to "
                    "start over",
                    (unsigned long long) vent_window_next (self->window),
                    (unsigned long long) self->opt->skip, self->opt->journal,
                    (unsigned long long) numbered);
    else {
        vent_journal_differs (self->journal, &from, &to);
        char where[96];
        if (from == to)
            snprintf (where, sizeof (where), "record %llu differs",
                      (unsigned long long) from);
        else
            snprintf (where, sizeof (where),
                      "the first record that differs is one of %llu..%llu",
                      (unsigned long long) from, (unsigned long long) to);
        zsys_error ("--resume: the input changed: %s (counted after --skip "
                    "%llu) from what --journal %s numbered; resume with the "
                    "input of the run, or remove the journal to start over",
                    where, (unsigned long long) self->opt->skip,
                    self->opt->journal);
    }
    return PP_EINVAL;
}

/*  --resume: reads the input again up to what the journal numbered, in
    order and checked against its hashes; acked items are let go, the
    others wait in the window, due at once. Nothing is sent yet.          */
static int
s_resume_input (vent_t *self)
{
    uint64_t numbered = vent_journal_resumed (self->journal);
    uint64_t now_us = pp_wall_us ();
    while (vent_window_next (self->window) < numbered && !self->journal_rc) {
        pp_item_t *item = NULL;
        int rc = vent_feed_next (self->feed, pp_now_ms (), now_us, &item);
        if (rc == 1) {
            uint64_t seq = vent_window_next (self->window);
            rc = vent_window_restore (
                self->window, item,
                vent_journal_was_acked (self->journal, seq));
            if (rc != 0) {
                vent_pool_free (self->pool, item);
                zsys_error ("--resume: --journal %s holds more unacked items "
                            "than --window %u",
                            self->opt->journal, self->opt->window);
                return PP_EINVAL;
            }
        } else if (rc == 0 && vent_feed_state (self->feed) == VENT_FEED_NEED_FD)
            rc = s_resume_read (self);
        else if (rc == 0)
            return s_resume_refused (self, true);
        if (rc < 0)
            return rc;
    }
    if (self->journal_rc)
        return s_resume_refused (self, false);
    if (vent_journal_stopped (self->journal)) {
        zsys_notice ("--resume: a drain had stopped the input of this run: "
                     "it reads no further and drains again");
        vent_feed_stop (self->feed);
    }
    zsys_notice ("--resume: run %016llx continues: %llu items numbered "
                 "before, %llu of them to send again",
                 (unsigned long long) self->run_id,
                 (unsigned long long) numbered,
                 (unsigned long long) vent_window_unacked (self->window));
    return 0;
}

/*  After the input and window are open: the journal checks (--resume)
    and hashes every item numbered, and is written from now on.          */
static int
s_start_journal (vent_t *self)
{
    if (!self->journal)
        return 0;
    vent_window_set_numbered (self->window, s_on_numbered, self);
    int rc = self->opt->resume ? s_resume_input (self) : 0;
    if (rc == 0 &&
        vent_journal_begin (self->journal, s_journal_snapshot, self) != 0) {
        zsys_error ("--journal %s: cannot write: %s", self->opt->journal,
                    strerror (errno));
        rc = PP_EIO;
    }
    return rc;
}

/*  The command line that continues this run: the same plus --resume.    */
static void
s_log_resume_hint (const vent_options_t *opt)
{
    char line[4096];
    pp_cli_resume_line (opt->argc, opt->argv, line, sizeof (line));
    bool piped = !opt->generate && !opt->workload &&
                 (!opt->path || strcmp (opt->path, "-") == 0);
    zsys_notice ("the run can be continued (--journal %s): %s%s", opt->journal,
                 line, piped ? " (with the same input on stdin)" : "");
}

/*  Everything the run needs, in data-flow order. Returns 0, PP_ENOMEM,
    or PP_EIO (logged here, naming the file, directory or flag).          */
static int
s_open (vent_t *self)
{
    vent_options_t *opt = self->opt;
    int rc = opt->journal && opt->resume ? s_open_journal (self) : 0;
    while (rc == 0 && self->run_id == 0)
        if (getrandom (&self->run_id, sizeof (self->run_id), 0) == -1)
            self->run_id = (uint64_t) pp_wall_us () ^ (uint64_t) getpid ();
    if (rc == 0 && opt->journal && !opt->resume)
        rc = s_open_journal (self);
    if (rc == 0)
        rc = s_open_input (self);
    if (rc != 0)
        return rc;
    self->pool = vent_pool_new (opt->window);
    if (self->pool)
        self->window =
            vent_window_new (opt->window, opt->ack_timeout_ms, self->pool);
    if (!self->window)
        return PP_ENOMEM;
    vent_window_set_max_deliver (self->window, opt->max_deliver);
    vent_window_set_max_bytes (self->window, opt->window_bytes,
                               vent_send_inflight);
    rc = s_open_feed (self);
    if (rc == 0)
        rc = s_start_journal (self);
    if (rc == 0)
        rc = s_open_sockets (self);
    if (rc == 0)
        rc = s_open_dispatch (self);
    if (rc != 0)
        return rc;
    int64_t now = pp_now_ms ();
    vent_feed_start (self->feed, now);
    self->run = vent_run_new (opt, self->run_id, self->control, self->window,
                              self->feed, now);
    if (!self->run)
        return PP_ENOMEM;
    vent_run_tick (self->run, now); /* no --wait-workers: running now,
                                       not after the loop's first wait  */
    return 0;
}

static void
s_close (vent_t *self)
{
    if (self->journal && self->run && vent_run_state (self->run) == VENT_DONE)
        vent_journal_destroy (&self->journal, true); /* nothing to resume */
    else if (self->journal && vent_journal_size (self->journal) > 0) {
        if (vent_journal_flush (self->journal, pp_now_ms (), true) != 0)
            zsys_error ("--journal %s: cannot write: %s", self->opt->journal,
                        strerror (errno));
        s_log_resume_hint (self->opt);
    }
    vent_journal_destroy (&self->journal, false);
    vent_run_destroy (&self->run);
    vent_push_destroy (&self->push);
    vent_credit_destroy (&self->credit);
    vent_feed_destroy (&self->feed);
    vent_window_destroy (&self->window);
    vent_pool_destroy (&self->pool);
    int fd = self->input ? vent_input_fd (self->input) : -1;
    if (fd > STDIN_FILENO)
        close (fd);
    vent_input_destroy (&self->input);
    pp_netmon_destroy (&self->netmon); /* before the sockets it watches */
    zsock_destroy (&self->tasks);
    /*  The last DONE or ABORTED reaches every connected subscriber: they
        all confirmed it, or --linger passed; never wait longer.           */
    if (self->control)
        zsock_set_linger (self->control, S_CONTROL_LINGER_MS);
    zsock_destroy (&self->control);
    zsock_destroy (&self->acks);
}

static int
s_exit_code (vent_t *self)
{
    if (self->credit)
        vent_credit_rejects (self->credit, self->rejects);
    pp_net_log_rejects (self->rejects);
    if (vent_run_state (self->run) == VENT_ABORTED)
        return PP_EXIT_ABORTED;
    const pp_state_t *outcome = vent_run_outcome (self->run);
    if (pp_verbosity > 0)
        zsys_info ("run %016llx done: %llu items, %llu ok, %llu failed, "
                   "%llu dropped, %llu sent again, %llu given up after "
                   "--max-deliver; input paused %.1f s for a full window; "
                   "peak RSS %llu KiB",
                   (unsigned long long) self->run_id,
                   (unsigned long long) vent_window_next (self->window),
                   (unsigned long long) outcome->ok,
                   (unsigned long long) outcome->failed,
                   (unsigned long long) outcome->dropped,
                   (unsigned long long) vent_window_redelivered (self->window),
                   (unsigned long long) vent_window_given_up (self->window),
                   vent_feed_paused_ms (self->feed, pp_now_ms ()) / 1000.0,
                   (unsigned long long) pp_stats_peak_rss_kib ());
    return outcome->failed + outcome->dropped > 0 ? PP_EXIT_FAILED : PP_EXIT_OK;
}

int
main (int argc, char **argv)
{
    vent_options_t opt;
    memset (&opt, 0, sizeof (opt));
    pp_cli_init (&opt.common, "pp-ventilator");
    vent_options_parse (&opt, argc, argv);
    pp_cli_security (&opt.common, true, false);
    pp_signal_install ();
    pp_cli_raise_fd_limit ();
    vent_t vent = {.opt = &opt};
    int code = PP_EXIT_RUNTIME;
    int rc = s_open (&vent);
    if (rc == PP_ENOMEM) /* the other errors were logged with their cause */
        zsys_error ("cannot start: %s", pp_strerror (rc));
    if (rc == PP_EINVAL) /* --journal or --resume refused               */
        code = PP_EXIT_USAGE;
    else if (rc == PP_EABORTED)
        code = PP_EXIT_ABORTED;
    else if (rc == PP_ECLOSED) /* --resume of a run that completed       */
        code = vent.done_code;
    if (rc == 0 && s_loop (&vent) == 0)
        code = s_exit_code (&vent);
    s_close (&vent);
    pp_cli_security_end (&opt.common);
    free (opt.argv);
    zsys_shutdown ();
    return code;
}
