/*  pp-sink: collects results, records one outcome per sequence number,
    writes them out, acks them to the ventilator, and says COMPLETE when
    every item of the run has an outcome.

    Dedup and reorder state is a ring of --window slots over sequence
    numbers [base, base + window): the ventilator never has more than
    window items unacknowledged, and it only advances past what we acked,
    so no honest sequence number falls outside the ring.                    */

#include "pp_chan.h"
#include "pp_cli.h"
#include "pp_ctl.h"
#include "pp_error.h"
#include "pp_job.h"
#include "pp_net.h"
#include "pp_signal.h"
#include "pp_stall.h"
#include "pp_stats.h"
#include "journal.h"

#include <czmq.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_ACK_RANGES 256  /* flush acks when this many ranges pile up */
#define S_ACK_DELAY_MS 20 /* ... or when the oldest waited this long  */
#define S_COMPLETE_EVERY_MS 200
#define S_DONE_WAIT_MS 5000      /* after COMPLETE, wait this long for DONE  */
#define S_EARLY_BYTES (64 << 20) /* results held before the run is known */
#define S_PROGRESS_LOG_MS 10000  /* progress log line when not a terminal */
#define S_NO_RESYNC UINT64_MAX
#define S_ACKS_LINGER_MS 500 /* at exit, for what is still queued on acks */

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
    pp_common_t common;
    const char *output_path;       /* --output, else stdout                   */
    const char *stats_json;        /* --stats-json                            */
    bool sum;                      /* --sum                                   */
    bool ordered;                  /* --ordered                               */
    bool resume;                   /* --resume: continue FILE after a crash   */
    char delim;                    /* '\n', or '\0' with -0                   */
    int progress;                  /* -1 auto, 0 off, 1 on a terminal, 2 log  */
    int64_t ventilator_timeout_ms; /* give up on a silent ventilator   */
} s_options_t;

typedef struct {
    s_options_t *opt;
    zsock_t *results;    /* PULL, bound                             */
    zsock_t *control;    /* SUB                                     */
    zsock_t *acks;       /* PUSH to the ventilator                  */
    pp_netmon_t *netmon; /* refused handshakes on the three above    */
    FILE *out;
    pp_stats_t *stats;
    pp_counts_t *counts;
    s_phase_t phase;
    uint64_t run_id;
    uint32_t window;
    uint64_t base;      /* lowest seq without an outcome           */
    uint64_t seq_total; /* numbered items, once total_known        */
    uint64_t sent;      /* numbered so far, from STATE             */
    int64_t heard_ms;   /* last STATE of our run                   */
    pp_stall_t stall;   /* time our loop lost (stopped)            */
    uint8_t *seen;      /* window flags: outcome recorded          */
    pp_item_t **held;   /* --ordered: ok results waiting for base  */
    uint64_t ack_first[S_ACK_RANGES];
    uint64_t ack_n[S_ACK_RANGES];
    uint32_t ack_ranges;
    uint64_t retry_first[S_ACK_RANGES]; /* failed, to be sent again   */
    uint64_t retry_n[S_ACK_RANGES];
    uint32_t nretry;
    uint32_t retries; /* the ventilator's --retries              */
    int64_t ack_since_ms;
    uint64_t ack_items; /* seqs in the ranges gathered                */
    int64_t complete_sent_ms;
    int64_t complete_first_ms;
    int64_t progress_ms;
    zlist_t *early;          /* RESULT messages (zmsg_t) that came
                                before the first STATE: replayed then   */
    size_t early_bytes;      /* payload bytes held in early             */
    uint64_t early_dropped;  /* early ones past S_EARLY_BYTES: resent   */
    sink_journal_t *journal; /* --output FILE: FILE.journal             */
    char *journal_path;
    int out_errno;        /* the first write to out that failed      */
    bool checkpointed;    /* the journal holds a checkpoint of ours  */
    uint64_t vouched;     /* outcomes the last checkpoint vouches for */
    uint64_t resumed_run; /* --resume: the run the journal is for    */
    int signals_seen;
    uint16_t request;     /* drain/abort asked, not sent yet (0: none) */
    uint64_t resync_from; /* acks from here on did not all go: sent
                             again from the state (S_NO_RESYNC: none) */
} s_sink_t;

static const char *s_help_head =
    "Usage: pp-sink [OPTIONS]\n"
    "Collect the results of a pushpull run: one outcome per item, written\n"
    "once even when an item was delivered twice, acked to the ventilator.\n"
    "Binds --results; connects --control and --acks.\n"
    "\n"
    "Output:\n"
    "  -o, --output FILE   write results to FILE (default stdout)\n"
    "  --sum               print the int64 sum of ok results instead\n"
    "  --ordered           write results in input order (bounded by the\n"
    "                      ventilator's --window)\n"
    "  -0, --null          NUL-separated results instead of lines\n"
    "  --stats-json FILE   write the summary as JSON (docs/stats.md)\n"
    "  --ventilator-timeout D  give up on a run whose ventilator is silent\n"
    "                      for D: write what we have, report the run\n"
    "                      incomplete, exit 1 (default 30s; 0: wait\n"
    "                      forever); time this process was stopped does\n"
    "                      not count\n"
    "  --resume            continue --output FILE after a crash or a write\n"
    "                      error: FILE is cut back to its journal\n"
    "                      (FILE.journal) and no item is written twice;\n"
    "                      refused without a journal (and -o FILE without\n"
    "                      --resume is refused while the journal is there)\n"
    "  --progress, --no-progress   force the progress line on or off\n"
    "                      (default: redrawn on a terminal, else a log\n"
    "                      line every 10 s)\n"
    "\n";
static const char *s_help_tail =
    "\n"
    "Signals: the first SIGINT/SIGTERM asks the ventilator to drain (before\n"
    "any run: ends at once, exit 3), the second aborts the run. Exit: 0 all\n"
    "ok, 1 error (a write error, a lost ventilator: the run is incomplete),\n"
    "2 usage, 3 aborted, 4 some items failed or were dropped.\n"
    "\n"
    "Examples:\n"
    "  pp-sink --sum\n"
    "  pp-sink --ordered -o results.txt --stats-json stats.json\n"
    "  PP_RESULTS=ipc:///tmp/pp-results pp-sink --sum\n";

static void
s_parse (s_options_t *opt, int argc, char **argv)
{
    static struct option longs[] = {
        PP_CLI_COMMON_OPTIONS,
        {"output", required_argument, 0, 'o'},
        {"sum", no_argument, 0, 2000},
        {"ordered", no_argument, 0, 2001},
        {"null", no_argument, 0, '0'},
        {"stats-json", required_argument, 0, 2002},
        {"progress", no_argument, 0, 2003},
        {"no-progress", no_argument, 0, 2004},
        {"resume", no_argument, 0, 2005},
        {"ventilator-timeout", required_argument, 0, 2006},
        {0, 0, 0, 0}};
    opt->delim = '\n';
    opt->progress = -1;
    opt->ventilator_timeout_ms = 30000;
    int c;
    while ((c = getopt_long (argc, argv, "hvqo:0", longs, NULL)) != -1) {
        if (pp_cli_common_option (&opt->common, c, optarg))
            continue;
        switch (c) {
            case 'h': pp_cli_help (s_help_head, s_help_tail);
            case 'o': opt->output_path = optarg; break;
            case 2000: opt->sum = true; break;
            case 2001: opt->ordered = true; break;
            case '0': opt->delim = '\0'; break;
            case 2002: opt->stats_json = optarg; break;
            case 2003: opt->progress = 1; break;
            case 2004: opt->progress = 0; break;
            case 2005: opt->resume = true; break;
            case 2006:
                opt->ventilator_timeout_ms =
                    pp_cli_duration_ms ("--ventilator-timeout", optarg);
                break;
            default: pp_cli_bad_option (argc, argv);
        }
    }
    if (optind < argc)
        pp_cli_usage_error ("unexpected argument '%s'", argv[optind]);
    if (opt->resume && !opt->output_path)
        pp_cli_usage_error ("--resume needs --output FILE (the journal "
                            "lives beside it)");
    if (opt->resume && opt->ordered)
        pp_cli_usage_error ("--resume does not work with --ordered yet");
    if (opt->sum && opt->ordered)
        pp_cli_usage_error ("--sum and --ordered do not go together "
                            "(a sum has no order)");
    pp_cli_endpoints (&opt->common);
    pp_cli_check_bind (&opt->common, "--results", opt->common.results);
}

/*  Stops the run on a failed write: nothing more is acked (what is not
    safely in the output stays with the ventilator), the journal is kept,
    and the log says how to go on.                                         */
static void
s_fail (s_sink_t *self, const char *what, const char *name, int err)
{
    zsys_error ("%s %s: %s", what, name, strerror (err));
    self->phase = S_FAILED;
    if (self->checkpointed)
        zsys_error ("stopped, nothing lost: %llu outcomes are safely in %s "
                    "and its journal %s; the ventilator holds the rest. "
                    "Free space (or fix the cause), then run the same "
                    "pp-sink command with --resume to finish the run",
                    (unsigned long long) self->vouched, self->opt->output_path,
                    self->journal_path);
    else if (self->journal)
        zsys_error ("stopped; nothing was acked since this sink started: "
                    "fix the cause and run the same pp-sink command again");
    else {
        zsys_error ("stopped: without a journal (stdout, not a regular "
                    "file, or --ordered) the run cannot be resumed, so the "
                    "ventilator is asked to abort it");
        if (self->acks) /* s_close lingers: it goes unless the queue is full */
            pp_ctl_request (self->acks, self->run_id, PP_REQUEST_ABORT);
    }
}

/*  Flushes the output and checks that no write was lost on the way
    (stdio reports a failed write only through ferror); *offset is then
    its length. Returns 0, or PP_EIO after s_fail.                          */
static int
s_flush_output (s_sink_t *self, uint64_t *offset)
{
    const char *name = self->opt->output_path;
    bool failed = fflush (self->out) != 0;
    if (failed && !self->out_errno)
        self->out_errno = errno;
    if (failed || ferror (self->out)) {
        s_fail (self, "cannot write results to", name ? name : "stdout",
                self->out_errno ? self->out_errno : EIO);
        return PP_EIO;
    }
    long at = self->journal ? ftell (self->out) : 0;
    if (at < 0) {
        s_fail (self, "cannot tell the length of", name, errno);
        return PP_EIO;
    }
    *offset = (uint64_t) at;
    return 0;
}

/*  Makes what was written safe (in the file; not fsynced) before the acks
    it covers go: the output is flushed, then a checkpoint records its
    length, the counts, and the ranges first/n about to be acked. Returns
    0 or PP_EIO (after s_fail: the phase is S_FAILED).                     */
static int
s_checkpoint (s_sink_t *self, const uint64_t *first, const uint64_t *n,
              uint32_t count)
{
    pp_counts_t *c = self->counts;
    uint64_t offset;
    if (s_flush_output (self, &offset) != 0)
        return PP_EIO;
    if (!self->journal)
        return 0;
    sink_checkpoint_t cp = {.run_id = self->run_id,
                            .window = self->window,
                            .offset = offset,
                            .ok = c->ok,
                            .failed = c->failed,
                            .dropped = c->dropped,
                            .duplicates = c->duplicates,
                            .not_summed = c->not_summed,
                            .int_sum = c->int_sum};
    if (sink_journal_write (self->journal, &cp, first, n, count) != 0) {
        s_fail (self, "cannot write the journal", self->journal_path, errno);
        return PP_EIO;
    }
    self->checkpointed = true;
    self->vouched = c->ok + c->failed + c->dropped;
    return 0;
}

/*  Sends count ranges as one ACK message with flags (0, or RETRY).
    Returns 0, or an error when it did not go (the acks queue is full:
    the ventilator is not reading) -- the caller keeps what it holds.      */
static int
s_send_ranges (s_sink_t *self, uint16_t flags, const uint64_t *first,
               const uint64_t *n, uint32_t count)
{
    uint8_t payload[S_ACK_RANGES * PP_ACK_RANGE_SIZE];
    for (uint32_t i = 0; i < count; i++)
        pp_wire_encode_range (first[i], n[i], payload + i * PP_ACK_RANGE_SIZE);
    pp_header_t hdr = {.type = PP_MSG_ACK,
                       .flags = flags,
                       .run_id = self->run_id,
                       .count = count};
    return pp_net_send (self->acks, NULL, &hdr, payload,
                        count * PP_ACK_RANGE_SIZE, true);
}

/*  Appends seq to a list of ranges, growing the last one when seq follows
    it. Returns false, appending nothing, when the list is full.           */
static bool
s_range_add (uint64_t *first, uint64_t *n, uint32_t *count, uint64_t seq)
{
    if (*count > 0 && first[*count - 1] + n[*count - 1] == seq) {
        n[*count - 1]++;
        return true;
    }
    if (*count == S_ACK_RANGES)
        return false;
    first[*count] = seq;
    n[(*count)++] = 1;
    return true;
}

/*  Asks the ventilator to send the failed items gathered again; they stay
    gathered while the acks queue is full.                                 */
static void
s_flush_retries (s_sink_t *self)
{
    if (self->nretry > 0 &&
        s_send_ranges (self, PP_ACK_RETRY, self->retry_first, self->retry_n,
                       self->nretry) == 0)
        self->nretry = 0;
}

/*  Acks again, from resync_from on, every seq the state vouches for:
    [resync_from, base) and the recorded seqs above base -- a superset of
    every ack that could not be sent, so none is lost however long the
    acks queue stays full. Goes message by message while the socket takes
    them; resync_from moves past what went (S_NO_RESYNC once all has). An
    ack sent twice is harmless: the ventilator frees a slot once.          */
static void
s_resync (s_sink_t *self)
{
    uint64_t end = self->base + self->window;
    while (self->resync_from != S_NO_RESYNC &&
           (zsock_events (self->acks) & ZMQ_POLLOUT)) {
        uint64_t first[S_ACK_RANGES], n[S_ACK_RANGES];
        uint32_t count = 0;
        uint64_t seq = self->resync_from;
        if (seq < self->base) {
            first[0] = seq;
            n[0] = self->base - seq;
            count = 1;
            seq = self->base;
        }
        for (; seq < end; seq++)
            if (self->seen[seq % self->window] &&
                !s_range_add (first, n, &count, seq))
                break;
        if (count > 0 && s_send_ranges (self, 0, first, n, count) != 0)
            return;
        self->resync_from = seq < end ? seq : S_NO_RESYNC;
    }
}

/*  Sends the acks gathered so far, once the output holds them (and the
    journal vouches for them); after a failed write, nothing is acked.
    Those the socket does not take are not dropped: they are sent again
    by s_resync, from the lowest of them on.                               */
static void
s_flush_acks (s_sink_t *self)
{
    s_flush_retries (self);
    if (self->ack_ranges > 0) {
        if (self->phase == S_FAILED ||
            s_checkpoint (self, self->ack_first, self->ack_n,
                          self->ack_ranges) != 0)
            ; /* not written: never acked (the sink stops, exit 1)     */
        else if (self->resync_from != S_NO_RESYNC ||
                 s_send_ranges (self, 0, self->ack_first, self->ack_n,
                                self->ack_ranges) != 0) {
            uint64_t low = self->ack_first[0];
            for (uint32_t i = 1; i < self->ack_ranges; i++)
                low = self->ack_first[i] < low ? self->ack_first[i] : low;
            if (low < self->resync_from)
                self->resync_from = low;
        }
        self->ack_ranges = 0;
        self->ack_items = 0;
    }
    /*  After a failed write the state holds seqs the output does not:
        none of them may be acked.                                         */
    if (self->phase == S_FAILED)
        self->resync_from = S_NO_RESYNC;
    if (self->acks)
        s_resync (self);
}

static void
s_ack (s_sink_t *self, uint64_t seq)
{
    if (self->ack_ranges == 0)
        self->ack_since_ms = pp_now_ms ();
    if (!s_range_add (self->ack_first, self->ack_n, &self->ack_ranges, seq)) {
        s_flush_acks (self);
        self->ack_since_ms = pp_now_ms ();
        s_range_add (self->ack_first, self->ack_n, &self->ack_ranges, seq);
    }
    /*  A quarter of the window acked goes at once: waiting S_ACK_DELAY_MS
        let a fast pipeline (4 M items/s) fill the ventilator's window and
        stall (1.9 M items/s at the default window). With a journal, each
        flush is a checkpoint: an fflush and one write, no fsync.          */
    if (++self->ack_items >= self->window / 4)
        s_flush_acks (self);
}

/*  Writes one ok result to the output (or adds it to the sum).            */
static void
s_emit (s_sink_t *self, const char *data, size_t len)
{
    if (self->opt->sum) {
        int64_t value;
        if (pp_parse_int64 (data, len, &value) == 0) {
            if (__builtin_add_overflow (self->counts->int_sum, value,
                                        &self->counts->int_sum))
                self->counts->not_summed++;
        } else
            self->counts->not_summed++;
        return;
    }
    /*  The sink is one thread: stdio's per-call locking is pure cost.
        A failed write is acted on at the next checkpoint (ferror); its
        errno is kept here, for the message, before anything changes it.  */
    if ((fwrite_unlocked (data, 1, len, self->out) != len ||
         putc_unlocked (self->opt->delim, self->out) == EOF) &&
        !self->out_errno)
        self->out_errno = errno;
}

/*  Moves base past every recorded seq, writing held results in order.     */
static void
s_advance (s_sink_t *self)
{
    while (self->seen[self->base % self->window]) {
        uint64_t slot = self->base % self->window;
        self->seen[slot] = 0;
        if (self->held && self->held[slot]) {
            s_emit (self, self->held[slot]->data, self->held[slot]->len);
            pp_item_free (self->held[slot]);
            self->held[slot] = NULL;
        }
        self->base++;
    }
}

/*  Records one result record: the outcome once, duplicates counted.
    now_us/now_ms: the clocks, read once for the message it came in.       */
static void
s_record (s_sink_t *self, uint32_t worker_id, const pp_record_t *rec,
          uint64_t now_us, int64_t now_ms)
{
    if (rec->seq >= self->base + self->window ||
        (self->counts->total_known && rec->seq >= self->seq_total)) {
        self->counts->rejects[PP_REJECT_BATCH]++;
        return;
    }
    uint64_t slot = rec->seq % self->window;
    bool known = rec->seq < self->base || self->seen[slot];
    if (!known && rec->outcome == PP_OUTCOME_FAILED &&
        rec->attempt < self->retries) {
        /*  Not recorded: the ventilator sends it again. If the acks
            queue is full and so is the list, that is at --ack-timeout,
            as for a result lost on the way.                               */
        if (!s_range_add (self->retry_first, self->retry_n, &self->nretry,
                          rec->seq)) {
            s_flush_retries (self);
            s_range_add (self->retry_first, self->retry_n, &self->nretry,
                         rec->seq);
        }
        return;
    }
    if (known) {
        self->counts->duplicates++;
        s_ack (self, rec->seq); /* again: the first ack was lost        */
        return;
    }
    self->seen[slot] = 1;
    pp_stats_outcome (self->stats, worker_id, rec,
                      now_us > rec->t_enq_us ? now_us - rec->t_enq_us : 0,
                      now_ms);
    if (rec->outcome == PP_OUTCOME_OK) {
        if (self->held)
            self->held[slot] =
                pp_item_new (self->run_id, rec->seq, rec->data, rec->len);
        else
            s_emit (self, rec->data, rec->len);
    }
    s_ack (self, rec->seq); /* after the write: a checkpoint covers it */
    s_advance (self);
}

static void
s_on_result (s_sink_t *self, pp_inmsg_t *in)
{
    if (self->phase == S_WAITING) {
        /*  Results can beat the first STATE (our SUB joins late): hold
            them; past the bound they are not acked and come again.       */
        if (self->early_bytes + in->size <= S_EARLY_BYTES) {
            self->early_bytes += in->size;
            zlist_append (self->early, in->msg);
            in->msg = NULL;
        } else
            self->early_dropped++;
        return;
    }
    if (in->hdr.run_id != self->run_id) {
        self->counts->rejects[PP_REJECT_RUN]++;
        return;
    }
    pp_reject_t reason;
    if (pp_wire_check_batch (in->payload, in->size, in->hdr.count,
                             self->opt->common.max_item, &reason) != 0) {
        self->counts->rejects[reason]++;
        return;
    }
    size_t offset = 0;
    pp_record_t rec;
    uint64_t now_us = pp_wall_us ();
    int64_t now_ms = pp_now_ms ();
    while (pp_wire_next_record (in->payload, in->size, &offset, &rec))
        s_record (self, in->hdr.worker_id, &rec, now_us, now_ms);
}

static void
s_on_results_socket (s_sink_t *self)
{
    pp_inmsg_t in;
    if (pp_net_recv (self->results, false, &in, self->counts->rejects) != 0)
        return;
    if (in.hdr.type == PP_MSG_RESULT)
        s_on_result (self, &in);
    else if (in.hdr.type == PP_MSG_HELLO) {
        pp_hello_t hello;
        if (pp_wire_decode_hello (in.payload, in.size, &hello) == 0)
            pp_stats_hello (self->stats, in.hdr.worker_id, &hello);
        else
            self->counts->rejects[PP_REJECT_SHORT]++;
    } else
        self->counts->rejects[PP_REJECT_TYPE]++;
    pp_inmsg_free (&in);
}

/*  Learns the run from the first live STATE: its id and window.           */
static int
s_adopt (s_sink_t *self, const pp_header_t *hdr, const pp_state_t *state)
{
    if (pp_ctl_ended (hdr->flags))
        return 0; /* the tail of an earlier run                          */
    self->retries = state->retries; /* before early results replay     */
    if (self->resumed_run) {
        if (hdr->run_id != self->resumed_run) {
            zsys_error ("--resume: %s is for run %016llx, but the "
                        "ventilator runs %016llx; remove it to start over",
                        self->journal_path,
                        (unsigned long long) self->resumed_run,
                        (unsigned long long) hdr->run_id);
            return PP_EINVAL;
        }
        self->phase = S_RUNNING; /* the ring is rebuilt already         */
        return 0;
    }
    self->run_id = hdr->run_id;
    self->window = state->window;
    self->seen = calloc (self->window, 1);
    if (self->opt->ordered)
        self->held = calloc (self->window, sizeof (pp_item_t *));
    if (!self->seen || (self->opt->ordered && !self->held)) {
        zsys_error ("out of memory for a window of %u", self->window);
        return PP_ENOMEM;
    }
    self->counts->run_id = self->run_id;
    self->phase = S_RUNNING;
    if (pp_verbosity > 1)
        zsys_info ("run %016llx, window %u", (unsigned long long) hdr->run_id,
                   self->window);
    /*  The journal exists from the start of the run, so --resume finds it
        however early the sink stops (on failure the phase says so).       */
    if (self->journal)
        s_checkpoint (self, NULL, NULL, 0);
    return 0;
}

/*  Records the results that came before the run was known.               */
static void
s_replay_early (s_sink_t *self)
{
    zmsg_t *msg;
    while ((msg = zlist_pop (self->early))) {
        pp_inmsg_t in = {.msg = msg};
        zframe_t *head = zmsg_first (msg);
        zframe_t *body = zmsg_next (msg);
        pp_reject_t reason;
        if (pp_wire_decode_header (zframe_data (head), zframe_size (head),
                                   &in.hdr, &reason) == 0) {
            in.payload = zframe_data (body);
            in.size = zframe_size (body);
            s_on_result (self, &in);
        }
        pp_inmsg_free (&in);
    }
}

static int
s_on_state (s_sink_t *self, const pp_header_t *hdr, const pp_state_t *state)
{
    if (self->phase == S_WAITING) {
        int rc = s_adopt (self, hdr, state);
        if (rc != 0 || self->phase == S_WAITING)
            return rc;
        s_replay_early (self);
        if (self->early_dropped > 0)
            zsys_notice ("%llu results came before the run was known and "
                         "will be sent again",
                         (unsigned long long) self->early_dropped);
    }
    if (hdr->run_id != self->run_id) {
        self->counts->rejects[PP_REJECT_RUN]++;
        return 0;
    }
    self->heard_ms = pp_now_ms ();
    self->sent = state->sent;
    self->retries = state->retries;
    if (state->total != PP_TOTAL_UNKNOWN && !self->counts->total_known) {
        /*  Records the ventilator dropped were never numbered: they are
            outcomes all the same, so ok + failed + dropped == total.      */
        self->seq_total = state->total;
        self->counts->total = state->total + state->dropped;
        self->counts->dropped += state->dropped;
        self->counts->total_known = true;
    }
    if (hdr->flags == PP_STATE_ABORTED && self->phase != S_FAILED)
        self->phase = S_ABORTED;
    else if (hdr->flags == PP_STATE_DONE && self->phase == S_COMPLETE)
        self->phase = S_FINISHED;
    return 0;
}

static int
s_on_control (s_sink_t *self)
{
    pp_header_t hdr;
    pp_state_t state;
    if (pp_ctl_recv (self->control, &hdr, &state, self->counts->rejects) != 0)
        return 0;
    return s_on_state (self, &hdr, &state);
}

static void
s_send_complete (s_sink_t *self)
{
    pp_state_t state = {.sent = self->seq_total,
                        .total = self->seq_total,
                        .window = self->window,
                        .ok = self->counts->ok,
                        .failed = self->counts->failed,
                        .dropped = self->counts->dropped};
    uint8_t payload[PP_STATE_PAYLOAD_SIZE];
    pp_wire_encode_state (&state, payload);
    pp_header_t hdr = {.type = PP_MSG_COMPLETE,
                       .run_id = self->run_id,
                       .seq = self->seq_total};
    pp_net_send (self->acks, NULL, &hdr, payload, sizeof (payload), true);
    self->complete_sent_ms = pp_now_ms ();
}

/*  Every outcome is recorded: the output is made whole (the sum written,
    everything flushed) before COMPLETE lets the ventilator end the run.
    The sum is not journaled: a resumed sink writes it again.              */
static void
s_complete (s_sink_t *self, int64_t now)
{
    s_flush_acks (self);
    if (self->phase == S_FAILED)
        return;
    if (self->opt->sum &&
        fprintf (self->out, "%lld\n", (long long) self->counts->int_sum) < 0 &&
        !self->out_errno)
        self->out_errno = errno;
    uint64_t offset;
    if (s_flush_output (self, &offset) != 0)
        return;
    self->phase = S_COMPLETE;
    self->complete_first_ms = now;
    s_send_complete (self);
}

/*  Progress: redrawn in place on a terminal (4 times a second), else a
    plain log line every S_PROGRESS_LOG_MS. Total shows as ">= sent" until
    the drain makes it final.                                               */
static void
s_progress (s_sink_t *self, bool last)
{
    int64_t now = pp_now_ms ();
    int64_t every = self->opt->progress == 1 ? 250 : S_PROGRESS_LOG_MS;
    if (!last && now - self->progress_ms < every)
        return;
    self->progress_ms = now;
    double elapsed = pp_stats_elapsed (self->stats);
    uint64_t done = pp_stats_done (self->stats);
    double rate = elapsed > 0 ? (double) done / elapsed : 0;
    char total[32], eta[32] = "";
    if (self->counts->total_known) {
        snprintf (total, sizeof (total), "%llu",
                  (unsigned long long) self->counts->total);
        if (rate > 0 && !last)
            snprintf (eta, sizeof (eta), "  ETA %.0f s",
                      (double) (self->counts->total - done) / rate);
    } else
        snprintf (total, sizeof (total), ">=%llu", /* STATE may lag    */
                  (unsigned long long) (self->sent > done ? self->sent : done));
    char line[200];
    snprintf (line, sizeof (line),
              "%llu/%s items  %.0f items/s%s  failed %llu  dropped %llu",
              (unsigned long long) done, total, rate, eta,
              (unsigned long long) self->counts->failed,
              (unsigned long long) self->counts->dropped);
    if (self->opt->progress == 1)
        fprintf (stderr, "\r\033[K%s%s", line, last ? "\n" : "");
    else if (!last)
        zsys_info ("progress: %s", line);
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
    to the next sink.                                                      */
static void
s_on_signal (s_sink_t *self, int signals)
{
    if (self->phase == S_WAITING) {
        zsys_notice ("stopped before any run began: nothing to drain");
        self->phase = S_ABORTED;
        return;
    }
    self->request = signals == 1 ? PP_REQUEST_DRAIN : PP_REQUEST_ABORT;
    if (signals >= 2)
        self->phase = S_ABORTED;
}

/*  Sends the drain or abort asked; kept until the acks socket takes it.   */
static void
s_send_request (s_sink_t *self)
{
    if (self->request &&
        pp_ctl_request (self->acks, self->run_id, self->request) == 0)
        self->request = 0;
}

/*  Timers and state changes between socket events.                        */
static void
s_tick (s_sink_t *self)
{
    s_check_stall (self, 0); /* after the turn's work: no wait since     */
    int64_t now = pp_now_ms ();
    self->counts->handshake_failures = pp_netmon_check (self->netmon);
    if ((self->ack_ranges > 0 && now - self->ack_since_ms >= S_ACK_DELAY_MS) ||
        self->nretry > 0 || self->resync_from != S_NO_RESYNC)
        s_flush_acks (self);
    int signals = pp_signal_count ();
    if (signals != self->signals_seen) {
        self->signals_seen = signals;
        s_on_signal (self, signals);
    }
    s_send_request (self);
    if (self->phase == S_RUNNING && self->counts->total_known &&
        self->base == self->seq_total)
        s_complete (self, now);
    if (self->phase == S_COMPLETE) {
        if (now - self->complete_sent_ms >= S_COMPLETE_EVERY_MS)
            s_send_complete (self);
        if (now - self->complete_first_ms >= S_DONE_WAIT_MS) {
            zsys_warning ("no DONE from the ventilator after COMPLETE; "
                          "exiting with every outcome recorded");
            self->phase = S_FINISHED;
        }
    }
    if (self->opt->progress == 1 ||
        (self->opt->progress == 2 && self->phase == S_RUNNING))
        s_progress (self, false);
    if (self->phase == S_RUNNING && self->opt->ventilator_timeout_ms > 0 &&
        now - self->heard_ms >= self->opt->ventilator_timeout_ms) {
        zsys_error ("no word from the ventilator for %lld ms: writing what "
                    "we have (the run is incomplete)",
                    (long long) self->opt->ventilator_timeout_ms);
        self->phase = S_LOST;
    }
}

static int
s_loop (s_sink_t *self)
{
    zmq_pollitem_t items[] = {
        {zsock_resolve (self->results), 0, ZMQ_POLLIN, 0},
        {zsock_resolve (self->control), 0, ZMQ_POLLIN, 0}};
    while (self->phase != S_FINISHED && self->phase != S_ABORTED &&
           self->phase != S_LOST && self->phase != S_FAILED) {
        bool acks_due = self->ack_ranges + self->nretry > 0 ||
                        self->resync_from != S_NO_RESYNC;
        long timeout = acks_due ? S_ACK_DELAY_MS : 100;
        if (zmq_poll (items, 2, timeout) == -1 && zmq_errno () != EINTR)
            return PP_EIO;
        s_check_stall (self, timeout);
        /*  Drain what is queued before timers, a bounded burst each.     */
        for (int burst = 0; burst < 64 && (items[0].revents & ZMQ_POLLIN) &&
                            zsock_events (self->results) & ZMQ_POLLIN;
             burst++)
            s_on_results_socket (self);
        if (items[1].revents & ZMQ_POLLIN)
            while (zsock_events (self->control) & ZMQ_POLLIN)
                if (s_on_control (self) != 0)
                    return PP_ENOMEM;
        s_tick (self);
    }
    return 0;
}

/*  --resume: the ranges read from the journal, applied once it is read.  */
typedef struct {
    uint64_t *first, *n;
    size_t count, cap;
} s_ranges_t;

static int
s_collect_range (void *arg, uint64_t first, uint64_t n)
{
    s_ranges_t *ranges = arg;
    if (ranges->count == ranges->cap) {
        ranges->cap = ranges->cap ? ranges->cap * 2 : 1024;
        uint64_t *f = realloc (ranges->first, ranges->cap * 8);
        uint64_t *c = f ? realloc (ranges->n, ranges->cap * 8) : NULL;
        if (f)
            ranges->first = f;
        if (!c)
            return PP_ENOMEM;
        ranges->n = c;
    }
    ranges->first[ranges->count] = first;
    ranges->n[ranges->count++] = n;
    return 0;
}

/*  Marks every journaled seq as recorded; base moves past the prefix.     */
static int
s_apply_ranges (s_sink_t *self, const s_ranges_t *ranges)
{
    for (size_t i = 0; i < ranges->count; i++)
        for (uint64_t seq = ranges->first[i];
             seq < ranges->first[i] + ranges->n[i]; seq++) {
            if (seq < self->base)
                continue;
            if (seq >= self->base + self->window)
                return PP_EPROTO;
            self->seen[seq % self->window] = 1;
            if (seq == self->base)
                s_advance (self);
        }
    return 0;
}

/*  Adds seq to ranges, growing the last range when seq follows it.     */
static int
s_ranges_add (s_ranges_t *ranges, uint64_t seq)
{
    size_t count = ranges->count;
    if (count > 0 && ranges->first[count - 1] + ranges->n[count - 1] == seq) {
        ranges->n[count - 1]++;
        return 0;
    }
    return s_collect_range (ranges, seq, 1);
}

/*  Starts the journal afresh with one checkpoint of everything known:
    [0, base) and the recorded seqs above base. Keeps journals small. One
    record: the old journal is replaced whole, or (a full disk) kept.     */
static int
s_compact (s_sink_t *self)
{
    s_ranges_t ranges = {0};
    int rc = self->base > 0 ? s_collect_range (&ranges, 0, self->base) : 0;
    for (uint64_t seq = self->base; rc == 0 && seq < self->base + self->window;
         seq++)
        if (self->seen[seq % self->window])
            rc = s_ranges_add (&ranges, seq);
    if (rc == 0 &&
        !(self->journal = sink_journal_create (self->journal_path))) {
        zsys_error ("--resume: cannot create %s.new: %s", self->journal_path,
                    strerror (errno));
        rc = PP_EIO;
    }
    if (rc == 0)
        rc = s_checkpoint (self, ranges.first, ranges.n,
                           (uint32_t) ranges.count);
    free (ranges.first);
    free (ranges.n);
    return rc;
}

/*  Rebuilds the ring and the counts from the last checkpoint and every
    journaled range. Returns 0 or PP_EPROTO / PP_ENOMEM.                   */
static int
s_rebuild (s_sink_t *self, const sink_checkpoint_t *cp,
           const s_ranges_t *ranges)
{
    self->run_id = self->resumed_run = cp->run_id;
    self->window = cp->window;
    self->seen = calloc (cp->window ? cp->window : 1, 1);
    if (!self->seen)
        return PP_ENOMEM;
    int rc = cp->window ? s_apply_ranges (self, ranges) : PP_EPROTO;
    pp_counts_t *c = self->counts;
    c->run_id = cp->run_id;
    c->ok = cp->ok;
    c->failed = cp->failed;
    c->dropped = cp->dropped;
    c->duplicates = cp->duplicates;
    c->not_summed = cp->not_summed;
    c->int_sum = cp->int_sum;
    return rc;
}

/*  Opens the output to continue it, cut back to the length the journal
    vouches for: a torn or unacked tail goes. A file shorter than that
    lost results the ventilator counts as done: refused.                   */
static int
s_cut_output (s_sink_t *self, uint64_t offset)
{
    const char *path = self->opt->output_path;
    struct stat st;
    if (!(self->out = fopen (path, "r+")) || fstat (fileno (self->out), &st)) {
        zsys_error ("--resume: cannot open %s: %s", path, strerror (errno));
        return PP_EIO;
    }
    if ((uint64_t) st.st_size < offset) {
        zsys_error ("--resume: %s has %llu bytes, but its journal vouches "
                    "for %llu: results acked to the ventilator are gone, "
                    "so the run cannot be resumed",
                    path, (unsigned long long) st.st_size,
                    (unsigned long long) offset);
        return PP_EPROTO;
    }
    if (ftruncate (fileno (self->out), (off_t) offset) != 0 ||
        fseek (self->out, 0, SEEK_END) != 0) {
        zsys_error ("--resume: cannot cut %s back to %llu bytes: %s", path,
                    (unsigned long long) offset, strerror (errno));
        return PP_EIO;
    }
    return 0;
}

/*  --resume: rebuilds the run from FILE.journal, cuts FILE back to what
    the last checkpoint vouches for, and compacts the journal. Returns 0
    or an error (logged).                                                  */
static int
s_resume (s_sink_t *self)
{
    sink_checkpoint_t cp;
    s_ranges_t ranges = {0};
    int found =
        sink_journal_read (self->journal_path, &cp, s_collect_range, &ranges);
    int rc = found == 1   ? s_rebuild (self, &cp, &ranges)
             : found == 0 ? PP_EPROTO
                          : found;
    free (ranges.first);
    free (ranges.n);
    if (rc != 0) {
        zsys_error ("--resume: cannot resume from %s: %s", self->journal_path,
                    found == 0 ? "it holds no complete checkpoint"
                               : pp_strerror (rc));
        return rc;
    }
    if ((rc = s_cut_output (self, cp.offset)) != 0)
        return rc;
    zsys_notice ("resuming run %016llx: %llu outcomes already in %s",
                 (unsigned long long) cp.run_id,
                 (unsigned long long) (cp.ok + cp.failed + cp.dropped),
                 self->opt->output_path);
    return s_compact (self);
}

/*  Refuses (exit 2), touching nothing, to resume without a journal, or to
    start afresh over a file whose journal holds an unfinished run.        */
static void
s_check_journal (const s_sink_t *self)
{
    const char *path = self->opt->output_path;
    bool live = access (self->journal_path, F_OK) == 0;
    if (self->opt->resume && !live)
        pp_cli_usage_error ("--resume: no journal %s beside --output %s, so "
                            "there is no run to resume (a completed run "
                            "removes it); without --resume, %s is started "
                            "afresh",
                            self->journal_path, path, path);
    if (!self->opt->resume && live)
        pp_cli_usage_error ("--output %s: its journal %s holds an unfinished "
                            "run; add --resume to continue it, or remove the "
                            "journal to start afresh (that empties %s)",
                            path, self->journal_path, path);
}

/*  The output, and its journal when it is a file we can resume.           */
static int
s_open_output (s_sink_t *self)
{
    const char *path = self->opt->output_path;
    if (!path) {
        self->out = stdout;
        return 0;
    }
    struct stat st;
    bool regular = stat (path, &st) != 0 || S_ISREG (st.st_mode);
    if (!regular && self->opt->resume)
        pp_cli_usage_error ("--resume needs --output to be a regular file, "
                            "not %s",
                            path);
    if (!(self->journal_path = malloc (strlen (path) + 9)))
        return PP_ENOMEM;
    sprintf (self->journal_path, "%s.journal", path);
    s_check_journal (self);
    if (self->opt->resume)
        return s_resume (self);
    if (!(self->out = fopen (path, "w"))) {
        zsys_error ("--output: cannot open %s: %s", path, strerror (errno));
        return PP_EIO;
    }
    /*  A journal only for a regular file: /dev/null or a FIFO cannot be
        cut back and resumed (and /dev is not ours to write in).           */
    if (self->opt->ordered || !regular)
        return 0;
    self->journal = sink_journal_create (self->journal_path);
    if (!self->journal)
        zsys_error ("--output: cannot create the journal %s.new beside it "
                    "(for --resume): %s",
                    self->journal_path, strerror (errno));
    return self->journal ? 0 : PP_EIO;
}

static int
s_open (s_sink_t *self)
{
    pp_common_t *common = &self->opt->common;
    self->stats = pp_stats_new ();
    self->early = zlist_new ();
    if (!self->stats || !self->early)
        return PP_ENOMEM;
    self->counts = pp_stats_counts (self->stats);
    int rc = s_open_output (self);
    if (rc != 0)
        return rc;
    self->results =
        pp_net_socket (ZMQ_PULL, common, common->results, true, "--results");
    self->control =
        pp_net_socket (ZMQ_SUB, common, common->control, false, "--control");
    self->acks = pp_net_acks_socket (ZMQ_PUSH, common, false);
    if (!self->results || !self->control || !self->acks)
        return PP_EIO;
    self->netmon = pp_netmon_new (common);
    pp_netmon_watch (self->netmon, self->results, "--results", true);
    pp_netmon_watch (self->netmon, self->control, "--control", false);
    pp_netmon_watch (self->netmon, self->acks, "--acks", false);
    return 0;
}

static void
s_close (s_sink_t *self)
{
    if (self->held)
        for (uint32_t i = 0; i < self->window; i++)
            pp_item_free (self->held[i]);
    free (self->held);
    free (self->seen);
    /*  A completed run needs no journal; any other end keeps it.         */
    sink_journal_destroy (&self->journal, self->phase == S_FINISHED);
    free (self->journal_path);
    if (self->out && self->out != stdout)
        fclose (self->out);
    pp_stats_destroy (&self->stats);
    zmsg_t *msg;
    while (self->early && (msg = zlist_pop (self->early)))
        zmsg_destroy (&msg);
    zlist_destroy (&self->early);
    pp_netmon_destroy (&self->netmon); /* before the sockets it watches */
    zsock_destroy (&self->results);
    zsock_destroy (&self->control);
    /*  Linger 0 would discard an abort asked just before we end.         */
    if (self->acks)
        zsock_set_linger (self->acks, S_ACKS_LINGER_MS);
    zsock_destroy (&self->acks);
}

/*  The end of the seqs known to exist: the run's total once known, else
    what the ventilator said it had numbered, or past the highest seq
    recorded if that is higher (its STATE lags).                           */
static uint64_t
s_known_end (const s_sink_t *self)
{
    if (self->counts->total_known)
        return self->seq_total;
    uint64_t end = self->sent > self->base ? self->sent : self->base;
    for (uint64_t seq = end; seq < self->base + self->window; seq++)
        if (self->seen[seq % self->window])
            end = seq + 1;
    return end;
}

/*  Tells the stats which seqs have no outcome: those in [base, end) not
    recorded (without the total, more may be missing).                     */
static void
s_account_missing (s_sink_t *self)
{
    if (!self->seen)
        return; /* the run was never known                              */
    uint64_t end = s_known_end (self);
    uint64_t ring_end = self->base + self->window;
    uint64_t first = 0, n = 0;
    for (uint64_t seq = self->base; seq < end && seq < ring_end; seq++) {
        if (self->seen[seq % self->window]) {
            pp_stats_missing (self->stats, first, n);
            n = 0;
        } else if (n++ == 0)
            first = seq;
    }
    if (end > ring_end) { /* past the ring: nothing of it arrived        */
        if (n == 0)
            first = ring_end;
        n += end - ring_end;
    }
    pp_stats_missing (self->stats, first, n);
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
    if (!counts->complete)
        s_account_missing (self);
    /*  The sum of what we have, unless s_complete wrote the whole one.   */
    if (self->opt->sum && !self->complete_first_ms && self->phase != S_FAILED)
        fprintf (self->out, "%lld\n", (long long) counts->int_sum);
    if (self->phase != S_FAILED && fflush (self->out) != 0) {
        zsys_error ("cannot write results: %s", strerror (errno));
        return PP_EXIT_RUNTIME;
    }
    if (self->opt->progress == 1)
        s_progress (self, true);
    if (pp_verbosity > 0)
        pp_stats_print (self->stats, stderr);
    if (counts->not_summed > 0)
        zsys_warning ("--sum: %llu ok results were not int64 (or overflowed)"
                      " and were left out of the sum",
                      (unsigned long long) counts->not_summed);
    if (self->opt->stats_json &&
        pp_stats_write_json (self->stats, self->opt->stats_json) != 0) {
        zsys_error ("--stats-json: cannot write %s", self->opt->stats_json);
        return PP_EXIT_RUNTIME;
    }
    if (counts->aborted)
        return PP_EXIT_ABORTED;
    if (!counts->complete)
        return PP_EXIT_RUNTIME;
    return counts->failed + counts->dropped > 0 ? PP_EXIT_FAILED : PP_EXIT_OK;
}

int
main (int argc, char **argv)
{
    s_options_t opt;
    memset (&opt, 0, sizeof (opt));
    pp_cli_init (&opt.common, "pp-sink");
    s_parse (&opt, argc, argv);
    pp_cli_security (&opt.common, true, true);
    if (opt.progress == -1)
        opt.progress = isatty (STDERR_FILENO) ? 1 : pp_verbosity > 0 ? 2 : 0;
    pp_signal_install ();
    s_sink_t sink = {.opt = &opt,
                     .phase = S_WAITING,
                     .progress_ms = pp_now_ms (),
                     .resync_from = S_NO_RESYNC};
    int code = PP_EXIT_RUNTIME;
    if (s_open (&sink) == 0 && s_loop (&sink) == 0)
        code = s_finish (&sink);
    s_close (&sink);
    pp_cli_security_end (&opt.common);
    zsys_shutdown ();
    return code;
}
