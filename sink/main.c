/*  pp-sink: collects results, records one outcome per sequence number,
    writes them out, acks them to the ventilator, and says COMPLETE when
    every item of the run has an outcome.

    Data flow, one thread: the results socket -> early.c (until the run
    is known) -> record.c, which takes each result through ledger.c (new,
    duplicate, out of window; --ordered holds), the output (output.c,
    owned by store.c) and acks.c (ranges; a checkpoint through store.c
    before they go) -> the acks socket. The control socket's STATE drives
    the phases below; this file is the loop and the wiring.                */

#include "pp_cli.h"
#include "pp_ctl.h"
#include "pp_error.h"
#include "pp_net.h"
#include "pp_signal.h"
#include "pp_stall.h"
#include "pp_stats.h"
#include "pp_waitlog.h"
#include "acks.h"
#include "early.h"
#include "joblog.h"
#include "ledger.h"
#include "options.h"
#include "output.h"
#include "progress.h"
#include "record.h"
#include "store.h"

#include <czmq.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#define S_COMPLETE_EVERY_MS 200 /* COMPLETE repeated until DONE          */
#define S_DONE_WAIT_MS 5000     /* after COMPLETE, wait this long for DONE */
#define S_ACKS_LINGER_MS 500    /* at exit, for what is still queued on acks */
#define S_IDLE_MS 100           /* the longest wait when nothing is owed */
#define S_BYE_WORKERS 4096      /* workers named in our BYE, at most     */
#define S_SILENT_NOTICE_MS 2000 /* a silent ventilator is logged after  */

typedef enum {
    S_WAITING,  /* no run known yet                                      */
    S_RUNNING,  /* recording outcomes                                    */
    S_COMPLETE, /* every outcome recorded; COMPLETE sent, awaiting DONE  */
    S_FINISHED, /* DONE seen (or waited long enough): exit               */
    S_ABORTED,  /* the run was aborted: write what we have, exit 3       */
    S_LOST,     /* the ventilator went silent: write what we have, exit 1 */
    S_FAILED    /* the output or its journal failed: stop acking, exit 1 */
} s_phase_t;

typedef struct {
    sink_options_t *opt;
    zsock_t *results;         /* PULL, bound                             */
    zsock_t *control;         /* SUB                                     */
    zsock_t *ack_socket;      /* PUSH to the ventilator's acks endpoint  */
    pp_netmon_t *netmon;      /* refused handshakes on the three above   */
    sink_store_t *store;      /* the output and its journal              */
    sink_output_t *output;    /* the store's output                      */
    sink_early_t *early;      /* results that came before the run        */
    sink_ledger_t *ledger;    /* outcomes: from the run's adoption, or
                                 the journal's on --resume              */
    sink_acks_t *acks;        /* acks and retries owed, once running     */
    sink_record_t record;     /* the parts a result goes through         */
    pp_stats_t *stats;        /* counts, latencies, workers              */
    pp_counts_t *counts;      /* the stats' counters                     */
    sink_progress_t progress; /* the progress line                       */
    s_phase_t phase;
    uint64_t run_id;
    uint64_t resumed_run;      /* --resume: the run the journal is for    */
    uint64_t sent;             /* numbered so far, from STATE             */
    uint64_t expected;         /* the total expected, from STATE (0: none) */
    bool expected_exact;       /* ... counted ahead, not estimated        */
    int64_t heard_ms;          /* last STATE of our run                   */
    bool silence_told;         /* a silent ventilator was logged          */
    pp_waitlog_t idle;         /* S_WAITING: no run yet, said aloud       */
    int64_t drain_ms;          /* our drain asked, or (--drain-timeout
                                  given) the ventilator's seen; 0: none   */
    int64_t complete_sent_ms;  /* COMPLETE last sent                      */
    int64_t complete_first_ms; /* COMPLETE first sent (0: not yet)        */
    pp_stall_t stall;          /* time our loop lost (stopped)            */
    int signals_seen;          /* stop signals handled so far             */
    uint16_t request;          /* drain/abort asked, not sent yet (0: none) */
    bool halt_acted;           /* --halt's request was made               */
    uint64_t vent_dropped;     /* records the ventilator dropped           */
    bool side_failed;          /* --joblog/--failed lost lines: exit 1     */
    bool saw_end;              /* heard DONE or ABORTED, said BYE         */
    bool refused;              /* a flag of ours conflicts with the run's
                                  settings: exit 2                        */
    bool version_told;         /* a ventilator of another release: said   */
} s_sink_t;

/*  Writes out what --joblog and --failed have gathered, so what is acked
    is in them. A failed write is logged once; the run goes on (results
    are not at stake) and ends with exit 1.                                */
static void
s_flush_side (s_sink_t *self)
{
    if (self->record.joblog && sink_logfile_flush (self->record.joblog) != 0)
        self->side_failed = true;
    if (self->record.rerun.file &&
        sink_logfile_flush (self->record.rerun.file) != 0)
        self->side_failed = true;
}

/*  Stops the run after a failed write (the store said what failed):
    nothing more is acked (what is not safely in the output stays with
    the ventilator), the journal is kept, and the log says how to go on.
    A run that cannot be resumed is asked to abort; s_close lingers so
    the request goes unless the queue is full.                             */
static void
s_stop_failed (s_sink_t *self)
{
    self->phase = S_FAILED;
    if (self->acks)
        sink_acks_halt (self->acks);
    if (!sink_store_explain_stop (self->store) && self->ack_socket)
        pp_ctl_request (self->ack_socket, self->run_id, PP_REQUEST_ABORT);
}

/*  sink_acks_io_t: makes what was written safe before the acks of ranges
    first/n go, with a checkpoint of the run's counts. 0 or PP_EIO.        */
static int
s_acks_checkpoint (void *arg, const uint64_t *first, const uint64_t *n,
                   uint32_t count)
{
    s_sink_t *self = arg;
    pp_counts_t *c = self->counts;
    sink_checkpoint_t cp = {.run_id = self->run_id,
                            .window = sink_ledger_window (self->ledger),
                            .ok = c->ok,
                            .failed = c->failed,
                            .dropped = c->dropped,
                            .duplicates = c->duplicates};
    s_flush_side (self);
    cp.joblog_offset = sink_logfile_length (self->record.joblog);
    cp.failed_offset = sink_logfile_length (self->record.rerun.file);
    if (sink_store_checkpoint (self->store, &cp, first, n, count) == 0) {
        sink_store_compact (self->store, &cp, self->ledger);
        return 0;
    }
    s_stop_failed (self);
    return PP_EIO;
}

/*  sink_acks_io_t: sends count ranges as one ACK message with flags (0, or
    RETRY: they failed on worker_id), never blocking. Returns 0, or an
    error when it did not go (the queue is full: the ventilator is not
    reading).                                                              */
static int
s_acks_send (void *arg, uint16_t flags, uint32_t worker_id,
             const uint64_t *first, const uint64_t *n, uint32_t count)
{
    s_sink_t *self = arg;
    uint8_t payload[SINK_ACKS_RANGES * PP_ACK_RANGE_SIZE];
    for (uint32_t i = 0; i < count; i++)
        pp_wire_encode_range (first[i], n[i], payload + i * PP_ACK_RANGE_SIZE);
    pp_header_t hdr = {.type = PP_MSG_ACK,
                       .flags = flags,
                       .run_id = self->run_id,
                       .worker_id = worker_id,
                       .count = count};
    return pp_net_send (self->ack_socket, NULL, &hdr, payload,
                        count * PP_ACK_RANGE_SIZE, true);
}

/*  sink_acks_io_t: would the acks socket take a message now?              */
static bool
s_acks_writable (void *arg)
{
    s_sink_t *self = arg;
    return (zsock_events (self->ack_socket) & ZMQ_POLLOUT) != 0;
}

/*  Results wait in early until the run is known; HELLOs need no run.     */
static void
s_on_results_socket (s_sink_t *self)
{
    pp_inmsg_t in;
    if (pp_net_recv (self->results, false, &in, self->counts->rejects) != 0)
        return;
    if (self->phase == S_WAITING && in.hdr.type == PP_MSG_RESULT)
        sink_early_hold (self->early, &in); /* our SUB joins late       */
    else if (sink_record_message (&self->record, &in) != 0)
        s_stop_failed (self);
    pp_inmsg_free (&in);
}

/*  --resume: the run must be the journal's (its ledger is rebuilt).      */
static int
s_check_resumed (s_sink_t *self, const pp_header_t *hdr)
{
    if (hdr->run_id == self->resumed_run)
        return 0;
    zsys_error ("--resume: %s.journal is for run %016llx, but the "
                "ventilator runs %016llx; remove it to start over",
                self->opt->output_path, (unsigned long long) self->resumed_run,
                (unsigned long long) hdr->run_id);
    return PP_EINVAL;
}

/*  A new run: its ledger, of the ventilator's window.                     */
static int
s_start_run (s_sink_t *self, const pp_header_t *hdr, const pp_state_t *state)
{
    self->run_id = self->counts->run_id = hdr->run_id;
    self->ledger = sink_ledger_new (state->window, self->opt->ordered);
    if (!self->ledger) {
        zsys_error ("out of memory for a window of %u", state->window);
        return PP_ENOMEM;
    }
    sink_ledger_set_max_held (self->ledger, self->opt->buffer_bytes,
                              self->record.spill_dir);
    if (pp_verbosity > 1)
        zsys_info ("run %016llx, window %u", (unsigned long long) hdr->run_id,
                   state->window);
    return 0;
}

/*  Learns the run from the first live STATE (its id and window), then
    records the results that came before.                                 */
static int
s_adopt (s_sink_t *self, const pp_header_t *hdr, const pp_state_t *state)
{
    int rc = self->resumed_run ? s_check_resumed (self, hdr)
                               : s_start_run (self, hdr, state);
    if (rc != 0)
        return rc;
    sink_acks_io_t io = {s_acks_checkpoint, s_acks_send, s_acks_writable, self};
    if (!(self->acks = sink_acks_new (self->ledger, &io))) {
        zsys_error ("out of memory for the acks");
        return PP_ENOMEM;
    }
    self->record.ledger = self->ledger;
    self->record.output = self->output;
    self->record.acks = self->acks;
    self->record.run_id = self->run_id;
    self->record.max_item = self->opt->common.max_item;
    self->record.ordered = self->opt->ordered;
    self->record.retries = state->retries;
    self->record.end = UINT64_MAX; /* the total is not known yet        */
    self->phase = S_RUNNING;
    sink_progress_start (&self->progress, pp_now_ms ());
    /*  The journal exists from the start of the run, so --resume finds it
        however early the sink stops (on failure the phase says so). A
        resumed run's compaction wrote it already.                         */
    if (sink_store_journaled (self->store) && !self->resumed_run)
        s_acks_checkpoint (self, NULL, NULL, 0);
    pp_inmsg_t in;
    while (sink_early_next (self->early, &in)) {
        if (sink_record_message (&self->record, &in) != 0)
            s_stop_failed (self);
        pp_inmsg_free (&in);
    }
    if (sink_early_dropped (self->early) > 0)
        zsys_notice ("%llu results came before the run was known and "
                     "will be sent again",
                     (unsigned long long) sink_early_dropped (self->early));
    return 0;
}

/*  The run's total, once the ventilator drained. Records it dropped were
    never numbered: they are outcomes all the same, so ok + failed +
    dropped == total.                                                      */
static void
s_learn_total (s_sink_t *self, const pp_state_t *state)
{
    if (state->total == PP_TOTAL_UNKNOWN || self->counts->total_known)
        return;
    self->record.end = state->total;
    self->counts->total = state->total + state->dropped;
    self->counts->dropped += state->dropped;
    self->vent_dropped = state->dropped;
    self->counts->total_known = true;
}

/*  The run ended: BYE to the ventilator, naming the workers we heard
    from, so it waits for every one of them, not only those whose HELLO
    reached it before the end.                                             */
static void
s_say_bye (s_sink_t *self)
{
    uint32_t ids[S_BYE_WORKERS];
    size_t n = pp_stats_worker_ids (self->stats, ids, S_BYE_WORKERS);
    pp_ctl_bye (self->ack_socket, self->run_id, 0, ids,
                (uint32_t) (n < S_BYE_WORKERS ? n : S_BYE_WORKERS),
                S_ACKS_LINGER_MS);
}

/*  The run's settings (max item size, flow), adopted unless given as
    flags; a flag with another value than the run's is refused: said, and
    PP_EINVAL (exit 2). Results are checked against the size adopted.     */
static int
s_take_settings (s_sink_t *self, const pp_settings_t *settings)
{
    char why[256];
    if (pp_ctl_adopt (&self->opt->common, settings, why, sizeof (why)) == 0)
        return 0;
    zsys_error ("%s", why);
    self->refused = true;
    return PP_EINVAL;
}

/*  A STATE of another wire version: a ventilator of another pushpull
    release. Said once; while no run is known, the sink cannot go on.     */
static int
s_other_version (s_sink_t *self, uint8_t version)
{
    if (!self->version_told)
        zsys_error ("the ventilator at --control %s speaks pushpull wire "
                    "version %u, this sink version %u: run the same "
                    "pushpull release on every process",
                    self->opt->common.control, version, PP_WIRE_VERSION);
    self->version_told = true;
    return self->phase == S_WAITING ? PP_EPROTO : 0;
}

/*  A STATE of the control socket: the first live one adopts the run.     */
static int
s_on_control (s_sink_t *self)
{
    pp_header_t hdr;
    pp_state_t state;
    pp_settings_t settings;
    pp_rename_t rename;
    uint8_t version = 0;
    if (pp_ctl_recv_any (self->control, &hdr, &state, &settings, &rename,
                         &version, self->counts->rejects) != 0)
        return version ? s_other_version (self, version) : 0;
    if (hdr.type == PP_MSG_RENAME) { /* two workers had one id: like
                                        HELLOs, heard before the run too */
        if (self->phase == S_WAITING || hdr.run_id == self->run_id)
            pp_stats_renamed (self->stats, rename.worker_id, &rename.worker,
                              &rename.owner);
        return 0;
    }
    if (self->phase == S_WAITING) {
        if (pp_ctl_ended (hdr.flags))
            return 0; /* the tail of an earlier run                      */
        int rc = s_take_settings (self, &settings);
        if (rc == 0)
            rc = s_adopt (self, &hdr, &state);
        if (rc != 0)
            return rc;
    }
    if (hdr.run_id != self->run_id) {
        self->counts->rejects[PP_REJECT_RUN]++;
        return 0;
    }
    self->heard_ms = pp_now_ms ();
    if (self->silence_told) {
        zsys_notice ("the ventilator of run %016llx is back",
                     (unsigned long long) self->run_id);
        self->complete_first_ms = self->heard_ms; /* DONE due from it */
    }
    self->silence_told = false;
    if (hdr.flags == PP_STATE_DRAINING && self->opt->drain_timeout_given &&
        !self->drain_ms)
        self->drain_ms = self->heard_ms;
    self->sent = state.sent;
    self->expected = state.expected;
    self->expected_exact = state.expected_exact;
    self->record.retries = state.retries;
    s_learn_total (self, &state);
    if (hdr.flags == PP_STATE_ABORTED && self->phase != S_FAILED)
        self->phase = S_ABORTED;
    else if (hdr.flags == PP_STATE_DONE && self->phase == S_COMPLETE)
        self->phase = S_FINISHED;
    if (!self->saw_end &&
        (self->phase == S_ABORTED || self->phase == S_FINISHED)) {
        self->saw_end = true;
        s_say_bye (self);
    }
    return 0;
}

static void
s_send_complete (s_sink_t *self)
{
    pp_state_t state = {.sent = self->record.end,
                        .total = self->record.end,
                        .window = sink_ledger_window (self->ledger),
                        .ok = self->counts->ok,
                        .failed = self->counts->failed,
                        .dropped = self->counts->dropped};
    uint8_t payload[PP_STATE_PAYLOAD_SIZE];
    pp_wire_encode_state (&state, payload);
    pp_header_t hdr = {.type = PP_MSG_COMPLETE,
                       .run_id = self->run_id,
                       .seq = self->record.end};
    pp_net_send (self->ack_socket, NULL, &hdr, payload, sizeof (payload), true);
    self->complete_sent_ms = pp_now_ms ();
}

/*  S_RUNNING: once every outcome is recorded, the output is made whole
    (acks flushed, the sum written, everything flushed) before COMPLETE
    lets the ventilator end the run. The sum is not journaled: a resumed
    sink writes it again.                                                  */
static void
s_check_complete (s_sink_t *self, int64_t now)
{
    if (sink_ledger_base (self->ledger) != self->record.end)
        return; /* the end is UINT64_MAX until the total is known       */
    sink_acks_flush (self->acks);
    if (self->phase == S_FAILED)
        return;
    if (self->opt->sum)
        sink_output_write_sum (self->output);
    if (sink_store_flush (self->store) != 0) {
        s_stop_failed (self);
        return;
    }
    self->phase = S_COMPLETE;
    self->complete_first_ms = now;
    s_send_complete (self);
}

/*  The ventilator silent for silent_ms: said once, with since when and
    until when we wait, and how it is brought back.                       */
static void
s_tell_silence (s_sink_t *self, int64_t silent)
{
    pp_waitlog_ventilator_silent (self->run_id, silent,
                                  self->opt->ventilator_timeout_ms);
    self->silence_told = true;
}

/*  S_COMPLETE: COMPLETE again until DONE, and not forever: S_DONE_WAIT_MS
    while the ventilator is heard (it may not take our COMPLETE), else
    --ventilator-timeout, so that a ventilator killed after our COMPLETE
    and restarted with --resume finds us and ends the run with DONE.      */
static void
s_await_done (s_sink_t *self, int64_t now)
{
    if (now - self->complete_sent_ms >= S_COMPLETE_EVERY_MS)
        s_send_complete (self);
    int64_t silent = now - self->heard_ms;
    int64_t timeout = self->opt->ventilator_timeout_ms;
    bool heard = silent < S_SILENT_NOTICE_MS;
    if (!heard && !self->silence_told)
        s_tell_silence (self, silent);
    if ((heard && now - self->complete_first_ms >= S_DONE_WAIT_MS) ||
        (!heard && timeout > 0 && silent >= timeout)) {
        zsys_warning ("no DONE from the ventilator after COMPLETE; "
                      "exiting with every outcome recorded");
        self->phase = S_FINISHED;
    }
}

/*  S_WAITING: no run heard yet. Never silent: said after a few seconds,
    then more and more rarely, with the endpoint it listens on and whether
    anything accepts there.                                               */
static void
s_tell_idle (s_sink_t *self, int64_t now)
{
    if (pp_verbosity < 1 || !pp_waitlog_due (&self->idle, now))
        return;
    const pp_common_t *common = &self->opt->common;
    char since[16];
    pp_waitlog_since (&self->idle, since, sizeof (since));
    bool up = pp_netmon_connected (self->netmon, self->control);
    zsys_notice ("waiting for a ventilator since %s (%lld s): no run heard "
                 "on %s %s%s",
                 since,
                 (long long) (pp_waitlog_waited (&self->idle, now) / 1000),
                 pp_config_source (common, "--control"), common->control,
                 up ? ""
                    : " (nothing accepts connections there yet: is "
                      "pp-ventilator started, with the same "
                      "--control?)");
}

/*  How this sink continues the run, said once it stops short: its own
    command line plus --resume, when its output is journaled.            */
static void
s_log_resume_hint (const s_sink_t *self)
{
    char line[4096];
    pp_cli_resume_line (self->opt->argc, self->opt->argv, line, sizeof (line));
    if (sink_store_journaled (self->store))
        zsys_notice ("to continue the run: restart pp-ventilator with its "
                     "command line plus --resume (it needs its --journal "
                     "FILE), and this sink with: %s",
                     line);
    else
        zsys_notice ("this sink cannot continue the run (no --output FILE "
                     "with a journal): the results above are all it has");
}

/*  S_RUNNING: a ventilator silent for a while is said to be waited for
    (since when, until when); silent for --ventilator-timeout, it is gone. */
static void
s_check_ventilator (s_sink_t *self, int64_t now)
{
    int64_t timeout = self->opt->ventilator_timeout_ms;
    int64_t silent = now - self->heard_ms;
    if (!self->silence_told && silent >= S_SILENT_NOTICE_MS)
        s_tell_silence (self, silent);
    if (timeout > 0 && silent >= timeout) {
        zsys_error ("no word from the ventilator for %lld ms: writing what "
                    "we have (the run is incomplete)",
                    (long long) timeout);
        self->phase = S_LOST;
        sink_acks_flush (self->acks); /* checkpointed, for --resume     */
    }
}

/*  S_RUNNING: --drain-timeout. A drain not complete by then is aborted:
    what was written is checkpointed (acks flushed), the ventilator is
    asked to abort, and we end (exit 3), resumable.                       */
static void
s_check_drain (s_sink_t *self, int64_t now)
{
    int64_t timeout = self->opt->drain_timeout_ms;
    if (!self->drain_ms || timeout <= 0 || now - self->drain_ms < timeout)
        return;
    zsys_error ("the drain did not complete within --drain-timeout (%lld "
                "ms): aborting the run",
                (long long) timeout);
    sink_acks_flush (self->acks);
    if (self->phase == S_FAILED)
        return;
    pp_ctl_request (self->ack_socket, self->run_id, PP_REQUEST_ABORT);
    self->phase = S_ABORTED;
}

/*  Since the last check we came late (past a wait of wait_ms) by half of
    what we judge the ventilator by (we were stopped, or the output held
    us): its STATE waits unread, so it counts as heard now, and the wait
    for DONE moves by the time lost.                                       */
static void
s_check_stall (s_sink_t *self, int64_t wait_ms)
{
    int64_t judged = S_DONE_WAIT_MS;
    if (self->opt->ventilator_timeout_ms > 0 &&
        self->opt->ventilator_timeout_ms < judged)
        judged = self->opt->ventilator_timeout_ms;
    int64_t now = pp_now_ms ();
    int64_t lost = pp_stall_check (&self->stall, now, wait_ms, judged / 2);
    if (lost == 0 || (self->phase != S_RUNNING && self->phase != S_COMPLETE))
        return;
    zsys_notice ("this process did not run for %lld ms (was it stopped?): "
                 "the ventilator gets that time back",
                 (long long) lost);
    self->heard_ms = now;
    self->complete_first_ms += lost;
}

/*  A stop signal: the first asks the ventilator to drain, the second to
    abort, and ends us. Before any run is known there is nothing to drain:
    the first ends us at once, as aborted (exit 3: no run completed). The
    results held meanwhile were not acked: the ventilator sends them again
    to the next sink. The request is kept until the acks socket takes it. */
static void
s_check_signals (s_sink_t *self)
{
    int signals = pp_signal_count ();
    if (signals != self->signals_seen) {
        self->signals_seen = signals;
        if (self->phase == S_WAITING) {
            zsys_notice ("stopped before any run began: nothing to drain");
            self->phase = S_ABORTED;
            return;
        }
        self->request = signals == 1 ? PP_REQUEST_DRAIN : PP_REQUEST_ABORT;
        if (signals == 1 && !self->drain_ms)
            self->drain_ms = pp_now_ms ();
        if (signals >= 2)
            self->phase = S_ABORTED;
    }
    if (self->request &&
        pp_ctl_request (self->ack_socket, self->run_id, self->request) == 0)
        self->request = 0;
}

/*  --halt's limit was reached: the ventilator is asked to abort (now: we
    end at once, exit 3) or to drain (soon: the run ends as drained, exit
    4). The request goes as a signal's does.                               */
static void
s_check_halt (s_sink_t *self)
{
    if (!self->record.halted || self->halt_acted)
        return;
    self->halt_acted = true;
    bool now = self->record.halt.when == SINK_HALT_NOW;
    zsys_notice ("--halt: %s: %s", self->record.halt_why,
                 now ? "aborting the run" : "draining the run");
    pp_stats_halted (self->stats, self->record.halt_why);
    if (self->phase != S_RUNNING && self->phase != S_COMPLETE)
        return;
    self->request = now ? PP_REQUEST_ABORT : PP_REQUEST_DRAIN;
    if (now)
        self->phase = S_ABORTED;
}

/*  The progress line, from what we know now (last: the final one).       */
static void
s_show_progress (s_sink_t *self, int64_t now, bool last)
{
    const pp_counts_t *c = self->counts;
    sink_progress_facts_t facts = {
        .running = self->phase != S_WAITING,
        .workers = pp_netmon_peers (self->netmon, self->results),
        .done = pp_stats_done (self->stats),
        .failed = c->failed,
        .dropped = c->dropped,
        .total_known = c->total_known,
        .total = c->total,
        .expected = self->expected,
        .expected_exact = self->expected_exact};
    /*  Results on the line's terminal go out before it, not after it; a
        failed write shows at the store's next flush.                      */
    if (self->progress.shares_tty && self->output)
        sink_output_flush (self->output);
    sink_progress_show (&self->progress, &facts, now, last);
}

/*  Timers and state changes between socket events.                        */
static void
s_tick (s_sink_t *self)
{
    s_check_stall (self, 0); /* after the turn's work: no wait since     */
    int64_t now = pp_now_ms ();
    self->counts->handshake_failures = pp_netmon_check (self->netmon);
    if (self->acks && sink_acks_due (self->acks, now))
        sink_acks_flush (self->acks);
    s_check_halt (self);
    s_check_signals (self);
    switch (self->phase) {
        case S_RUNNING: s_check_complete (self, now); break;
        case S_COMPLETE: s_await_done (self, now); break;
        case S_WAITING: s_tell_idle (self, now); break;
        case S_FINISHED:
        case S_ABORTED:
        case S_LOST:
        case S_FAILED: break;
    }
    if (self->progress.mode == SINK_PROGRESS_TERMINAL ||
        (self->progress.mode == SINK_PROGRESS_LOG && self->phase == S_RUNNING))
        s_show_progress (self, now, false);
    if (self->phase == S_RUNNING)
        s_check_ventilator (self, now);
    if (self->phase == S_RUNNING)
        s_check_drain (self, now);
}

/*  True while the loop goes on.                                           */
static bool
s_live (s_phase_t phase)
{
    switch (phase) {
        case S_WAITING:
        case S_RUNNING:
        case S_COMPLETE: return true;
        case S_FINISHED:
        case S_ABORTED:
        case S_LOST:
        case S_FAILED: return false;
    }
    return false;
}

static int
s_loop (s_sink_t *self)
{
    zmq_pollitem_t items[] = {
        {zsock_resolve (self->results), 0, ZMQ_POLLIN, 0},
        {zsock_resolve (self->control), 0, ZMQ_POLLIN, 0}};
    while (s_live (self->phase)) {
        bool owed = self->acks && sink_acks_pending (self->acks);
        long timeout = owed ? SINK_ACKS_DELAY_MS : S_IDLE_MS;
        if (zmq_poll (items, 2, timeout) == -1 && zmq_errno () != EINTR)
            return PP_EIO;
        s_check_stall (self, timeout);
        /*  Drain what is queued before timers, a bounded burst each.     */
        for (int burst = 0; burst < 64 && (items[0].revents & ZMQ_POLLIN) &&
                            zsock_events (self->results) & ZMQ_POLLIN;
             burst++)
            s_on_results_socket (self);
        if (items[1].revents & ZMQ_POLLIN)
            while (zsock_events (self->control) & ZMQ_POLLIN) {
                int rc = s_on_control (self);
                if (rc != 0)
                    return rc;
            }
        s_tick (self);
    }
    return 0;
}

/*  --joblog and --failed, appended to with --resume; a path that cannot be
    opened is a usage error (exit 2). 0 or PP_ENOMEM.                      */
static int
s_open_side (s_sink_t *self)
{
    const sink_options_t *opt = self->opt;
    if (opt->joblog) {
        self->record.joblog =
            opt->resume
                ? sink_logfile_open_resumed (
                      "--joblog", opt->joblog,
                      sink_store_side_keep (self->store, 0), '\n')
                : sink_logfile_open ("--joblog", opt->joblog, false, '\n');
        if (!self->record.joblog)
            return PP_ENOMEM;
        sink_joblog_start (self->record.joblog);
    }
    if (opt->failed) {
        self->record.rerun.file =
            opt->resume
                ? sink_logfile_open_resumed (
                      "--failed", opt->failed,
                      sink_store_side_keep (self->store, 1), opt->input_delim)
                : sink_logfile_open ("--failed", opt->failed, false,
                                     opt->input_delim);
        if (!self->record.rerun.file)
            return PP_ENOMEM;
    }
    return 0;
}

/*  sink_output's hook: results come to the terminal the line is on.     */
static void
s_clear_progress (void *arg)
{
    sink_progress_clear (arg);
}

/*  True when results go to the terminal stderr is (stdout, or -o naming
    it: /dev/tty, /dev/stdout, /dev/pts/N): the progress line must make
    way for them.                                                          */
static bool
s_shares_tty (const sink_options_t *opt)
{
    struct stat out, err;
    if (!isatty (STDERR_FILENO) || fstat (STDERR_FILENO, &err) != 0)
        return false;
    if (!opt->output_path)
        return isatty (STDOUT_FILENO) && fstat (STDOUT_FILENO, &out) == 0 &&
               out.st_rdev == err.st_rdev;
    if (stat (opt->output_path, &out) != 0 || !S_ISCHR (out.st_mode))
        return false;
    bool tty = major (out.st_rdev) == 5 && minor (out.st_rdev) == 0;
    return tty || out.st_rdev == err.st_rdev; /* /dev/tty: ours          */
}

/*  Where --ordered results past --buffer-bytes wait: $TMPDIR, or /tmp.   */
static const char *
s_spill_dir (void)
{
    const char *dir = getenv ("TMPDIR");
    return dir && *dir ? dir : "/tmp";
}

static int
s_open (s_sink_t *self)
{
    pp_common_t *common = &self->opt->common;
    self->stats = pp_stats_new ();
    self->early = sink_early_new (self->opt->buffer_bytes);
    if (!self->stats || !self->early)
        return PP_ENOMEM;
    self->counts = pp_stats_counts (self->stats);
    self->store = sink_store_new (self->opt, self->counts, &self->ledger);
    if (!self->store)
        return PP_EIO;
    self->output = sink_store_output (self->store);
    if (self->progress.shares_tty)
        sink_output_on_write (self->output, s_clear_progress, &self->progress);
    /*  The rest once the run is known (the ledger now, if resumed).      */
    self->record = (sink_record_t){.ledger = self->ledger,
                                   .stats = self->stats,
                                   .end = UINT64_MAX,
                                   .format = self->opt->format,
                                   .halt = self->opt->halt,
                                   .spill_dir = s_spill_dir (),
                                   .rerun = {.delim = self->opt->input_delim}};
    if (s_open_side (self) != 0)
        return PP_ENOMEM;
    if (self->ledger) /* --resume                                          */
        self->run_id = self->resumed_run = self->counts->run_id;
    /*  Paused: the sink stops reading while its output is slow (see
        pp_net_socket_paused). Bound before the run's --max-item-size is
        known (unless given): libzmq's ZMQ_MAXMSGSIZE is then that of the
        largest size allowed, and every record is held to the run's size
        by the decoder (record.c) -- results that come before the run are
        kept (early.c) and checked once it is known.                       */
    pp_common_t bound = *common;
    if (!(common->given & PP_GIVEN_MAX_ITEM))
        bound.max_item = PP_MAX_ITEM_LIMIT;
    /*  The queue within --buffer-bytes, for items of the size given (or
        the default): a handful of big items, not --hwm. Its input stops
        often, so no peer may ping it (pp_net.c).                          */
    bound.hwm = pp_net_hwm_within (common->hwm, self->opt->buffer_bytes,
                                   common->max_item);
    self->results = pp_net_socket_paused (ZMQ_PULL, &bound, common->results,
                                          true, "--results");
    self->control =
        pp_net_socket (ZMQ_SUB, common, common->control, false, "--control");
    self->ack_socket = pp_net_acks_socket (ZMQ_PUSH, common, false);
    if (!self->results || !self->control || !self->ack_socket)
        return PP_EIO;
    self->netmon = pp_netmon_new (common);
    pp_netmon_watch (self->netmon, self->results, "--results", true);
    pp_netmon_watch (self->netmon, self->control, "--control", false);
    pp_netmon_watch (self->netmon, self->ack_socket, "--acks", false);
    pp_waitlog_start (&self->idle, pp_now_ms ());
    return 0;
}

static void
s_close (s_sink_t *self)
{
    sink_logfile_close (&self->record.joblog);
    sink_logfile_close (&self->record.rerun.file);
    sink_format_free (&self->record.line);
    sink_acks_destroy (&self->acks);
    sink_ledger_destroy (&self->ledger);
    sink_store_destroy (&self->store, self->phase == S_FINISHED);
    pp_stats_destroy (&self->stats);
    sink_early_destroy (&self->early);
    pp_netmon_destroy (&self->netmon); /* before the sockets it watches */
    zsock_destroy (&self->results);
    zsock_destroy (&self->control);
    /*  Linger 0 would discard an abort asked just before we end, or our
        BYE (s_say_bye), which lets the ventilator leave at once.         */
    if (self->ack_socket)
        zsock_set_linger (self->ack_socket, S_ACKS_LINGER_MS);
    zsock_destroy (&self->ack_socket);
}

/*  The exit code of a run that ended in phase.                            */
static int
s_exit_code (const s_sink_t *self)
{
    if (self->side_failed && self->phase != S_ABORTED)
        return PP_EXIT_RUNTIME;
    switch (self->phase) {
        case S_FINISHED:
            return self->counts->failed + self->counts->dropped > 0 ||
                           self->record.halted
                       ? PP_EXIT_FAILED
                       : PP_EXIT_OK;
        case S_ABORTED: return PP_EXIT_ABORTED;
        case S_WAITING:
        case S_RUNNING:
        case S_COMPLETE:
        case S_LOST:
        case S_FAILED: return PP_EXIT_RUNTIME;
    }
    return PP_EXIT_RUNTIME;
}

/*  --failed and --joblog: what they could not hold.                       */
static void
s_explain_side (const s_sink_t *self)
{
    const sink_rerun_t *rerun = &self->record.rerun;
    if (self->vent_dropped > 0 && self->opt->joblog)
        zsys_warning ("--joblog: %llu records the ventilator dropped "
                      "(--overflow drop) never reached the sink and have "
                      "no line in %s",
                      (unsigned long long) self->vent_dropped,
                      self->opt->joblog);
    if (!rerun->file)
        return;
    if (rerun->unwritable > 0)
        zsys_warning ("--failed: %llu failed inputs hold a newline and are "
                      "not in %s (use -0 on the ventilator and the sink)",
                      (unsigned long long) rerun->unwritable,
                      self->opt->failed);
    if (rerun->no_input > 0)
        zsys_warning ("--failed: %llu failed items came without their input "
                      "(records over --max-item-size: the ventilator failed "
                      "them unread) and are not in %s",
                      (unsigned long long) rerun->no_input, self->opt->failed);
    if (self->vent_dropped > 0)
        zsys_warning ("--failed: %llu records the ventilator dropped "
                      "(--overflow drop) never reached the sink and are not "
                      "in %s",
                      (unsigned long long) self->vent_dropped,
                      self->opt->failed);
}

/*  With --joblog, the summary ends with the command that draws the run
    (pp-plot, a timeline per worker), the path quoted for the shell.      */
static void
s_name_plot (const s_sink_t *self)
{
    const char *log = self->opt->joblog;
    if (!log || strcmp (log, "-") == 0 || strchr (log, '\''))
        return;
    bool plain = strspn (log, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS"
                              "TUVWXYZ0123456789_./+-") == strlen (log);
    const char *quote = plain ? "" : "'";
    fprintf (stderr,
             "  job log: %s%s%s -- to see the run: pp-plot -t 'run "
             "%016llx' %s%s%s\n",
             quote, log, quote, (unsigned long long) self->counts->run_id,
             quote, log, quote);
}

/*  Final output: the sum, the summary, the JSON; returns the exit code.
    A run that did not complete says so, with what is missing, and exits
    non-zero: 3 when aborted, else 1 (the ventilator lost, an I/O error).  */
static int
s_finish (s_sink_t *self)
{
    pp_counts_t *counts = self->counts;
    counts->aborted = self->phase == S_ABORTED;
    counts->complete = self->phase == S_FINISHED;
    if (!counts->complete && self->ledger) /* else no run was known   */
        sink_record_missing (&self->record, self->sent);
    /*  The sum of what we have, unless s_check_complete wrote the whole. */
    if (self->opt->sum && !self->complete_first_ms && self->phase != S_FAILED)
        sink_output_write_sum (self->output);
    if (self->phase != S_FAILED && sink_store_flush (self->store) != 0)
        return PP_EXIT_RUNTIME;
    if (self->progress.mode == SINK_PROGRESS_TERMINAL)
        s_show_progress (self, pp_now_ms (), true);
    s_flush_side (self);
    if ((self->phase == S_ABORTED || self->phase == S_LOST) && self->ledger)
        s_log_resume_hint (self);
    if (pp_verbosity > 0) {
        pp_stats_print (self->stats, stderr);
        s_name_plot (self);
    }
    s_explain_side (self);
    uint64_t not_summed = sink_output_not_summed (self->output);
    if (not_summed > 0)
        zsys_warning ("--sum: %llu ok results were not int64 (or overflowed)"
                      " and were left out of the sum",
                      (unsigned long long) not_summed);
    if (self->opt->stats_json &&
        pp_stats_write_json (self->stats, self->opt->stats_json) != 0) {
        zsys_error ("--stats-json: cannot write %s", self->opt->stats_json);
        return PP_EXIT_RUNTIME;
    }
    return s_exit_code (self);
}

int
main (int argc, char **argv)
{
    sink_options_t opt;
    memset (&opt, 0, sizeof (opt));
    pp_cli_init (&opt.common, "pp-sink");
    sink_options_parse (&opt, argc, argv);
    pp_cli_security (&opt.common, true, true);
    pp_signal_install ();
    pp_cli_raise_fd_limit ();
    s_sink_t sink = {.opt = &opt, .phase = S_WAITING};
    sink_progress_init (&sink.progress, opt.progress, s_shares_tty (&opt),
                        pp_now_ms ());
    sink_progress_take_logs (&sink.progress);
    int code = PP_EXIT_RUNTIME;
    if (s_open (&sink) == 0 && s_loop (&sink) == 0)
        code = s_finish (&sink);
    else if (sink.refused)
        code = PP_EXIT_USAGE; /* a flag the run's settings refuse       */
    s_close (&sink);
    sink_progress_end (&sink.progress);
    pp_cli_security_end (&opt.common);
    free (opt.argv);
    zsys_shutdown ();
    return code;
}
