/*  pp-ventilator: reads records, numbers them, fans them out to workers,
    keeps each one until the sink acks it, and runs the control plane.

    The window is a ring of --window slots over sequence numbers
    [base, next): a slot holds its item until the sink acks it, so a lost
    item can be sent again, and reading pauses while the ring is full --
    memory stays flat however long the input is.                            */

#include "vent.h"
#include "pp_chan.h"
#include "pp_cli.h"
#include "pp_ctl.h"
#include "pp_error.h"
#include "pp_job.h"
#include "pp_net.h"
#include "pp_signal.h"

#include <czmq.h>
#include <fcntl.h>
#include <malloc.h>
#include <sys/random.h>
#include <unistd.h>

#define S_STATE_EVERY_MS 200  /* state while running                    */
#define S_URGENT_EVERY_MS 100 /* DRAIN, DONE, ABORT repeats             */
#define S_EARLY_EVERY_MS 20   /* state in the first second              */
#define S_RESEND_SCAN_MS 200
#define S_ABORT_LINGER_MS 500 /* keep publishing ABORT this long        */

static const char *s_help_head =
    "Usage: pp-ventilator [OPTIONS] [FILE]\n"
    "Read records from FILE (or stdin), number them, and fan them out to\n"
    "every connected pp-worker; publish drain/abort on --control and wait\n"
    "for pp-sink to report every outcome. Binds --tasks, --control, --acks.\n"
    "\n"
    "Input:\n"
    "  FILE                records, one per line ('-' or none: stdin);\n"
    "                      a CRLF line ending counts as one newline\n"
    "  -0, --null          records are NUL-separated (byte-exact)\n"
    "  --generate N        the numbers 1..N instead of input\n"
    "  --workload N        N random sleep times of 1..100 ms (--job sleep)\n"
    "  --seed S            seed for --workload (default 1)\n"
    "  --skip N            skip the first N records (resume a drained run\n"
    "                      with the --skip it printed; never paced)\n"
    "Dispatch:\n"
    "  --window N          at most N items unacknowledged (default 65536)\n"
    "  --ack-timeout D     send an item again if not acked in D (default "
    "10s)\n"
    "  --batch N           items per message (default 64; 1 with --workload)"
    "\n"
    "  --rate R            dispatch at most R items per second\n"
    "  --wait-workers N    hold dispatch until N workers said hello\n"
    "  --retries N         send a failed item again, to another worker\n"
    "                      when there is one, up to N times (default 0)\n"
    "  --linger D          keep announcing DONE for D (default 1s)\n"
    "  --drain-timeout D   a drain (asked, or the input ended) not\n"
    "                      complete after D becomes an abort (exit 3;\n"
    "                      default: wait until it completes)\n"
    "  --overflow P        when workers lag behind the input: block (stop\n"
    "                      reading, default), drop (count the record as\n"
    "                      dropped) or spill (queue it in --spill-dir)\n"
    "  --spill-dir DIR     where spill files go (default $TMPDIR or /tmp)\n"
    "Credit flow (--flow credit):\n"
    "  --heartbeat D       workers beat every D (default 1s)\n"
    "  --liveness N        a worker silent for N beats is dead and its\n"
    "                      items go to others (default 3); time this\n"
    "                      process was stopped does not count\n"
    "\n";
static const char *s_help_tail =
    "\n"
    "Signals: the first SIGINT/SIGTERM drains (stop reading, finish what\n"
    "was sent; with nothing sent yet, it ends the run at once, as\n"
    "aborted), the second aborts. Exit: 0 all ok, 1 error, 2 usage,\n"
    "3 aborted, 4 some items failed or were dropped.\n"
    "\n"
    "Examples:\n"
    "  pp-ventilator --generate 1000000 --wait-workers 4\n"
    "  pp-ventilator --workload 200 --seed 1 --wait-workers 2\n"
    "  find . -name '*.log' -print0 | pp-ventilator -0\n";

static void
s_parse (vent_options_t *opt, int argc, char **argv)
{
    static struct option longs[] = {
        PP_CLI_COMMON_OPTIONS,
        {"null", no_argument, 0, '0'},
        {"generate", required_argument, 0, 2000},
        {"workload", required_argument, 0, 2001},
        {"seed", required_argument, 0, 2002},
        {"skip", required_argument, 0, 2003},
        {"rate", required_argument, 0, 2004},
        {"window", required_argument, 0, 2005},
        {"ack-timeout", required_argument, 0, 2006},
        {"batch", required_argument, 0, 2007},
        {"wait-workers", required_argument, 0, 2008},
        {"linger", required_argument, 0, 2009},
        {"overflow", required_argument, 0, 2010},
        {"spill-dir", required_argument, 0, 2011},
        {"heartbeat", required_argument, 0, 2012},
        {"liveness", required_argument, 0, 2013},
        {"retries", required_argument, 0, 2014},
        {"drain-timeout", required_argument, 0, 2015},
        {0, 0, 0, 0}};
    opt->delim = '\n';
    opt->seed = 1;
    opt->window = 65536;
    opt->ack_timeout_ms = 10000;
    opt->linger_ms = 1000;
    opt->heartbeat_ms = 1000;
    opt->liveness = 3;
    int c;
    while ((c = getopt_long (argc, argv, "hvq0", longs, NULL)) != -1) {
        if (pp_cli_common_option (&opt->common, c, optarg))
            continue;
        switch (c) {
            case 'h': pp_cli_help (s_help_head, s_help_tail);
            case '0': opt->delim = '\0'; break;
            case 2000:
                opt->generate =
                    pp_cli_number ("--generate", optarg, 0, INT64_MAX / 2);
                break;
            case 2001:
                opt->workload =
                    pp_cli_number ("--workload", optarg, 0, INT64_MAX / 2);
                break;
            case 2002:
                opt->seed = pp_cli_number ("--seed", optarg, 0, INT64_MAX);
                break;
            case 2003:
                opt->skip = pp_cli_number ("--skip", optarg, 0, INT64_MAX);
                break;
            case 2004:
                opt->rate = pp_cli_number ("--rate", optarg, 1, 100000000);
                break;
            case 2005:
                opt->window = pp_cli_number ("--window", optarg, 1, 1 << 24);
                break;
            case 2006:
                opt->ack_timeout_ms =
                    pp_cli_duration_ms ("--ack-timeout", optarg);
                if (opt->ack_timeout_ms < 10)
                    pp_cli_usage_error ("--ack-timeout: %s is under 10ms",
                                        optarg);
                break;
            case 2007:
                opt->batch = pp_cli_number ("--batch", optarg, 1, 65536);
                break;
            case 2008:
                opt->wait_workers = pp_cli_number ("--wait-workers", optarg, 0,
                                                   VENT_MAX_HELLOS);
                break;
            case 2009:
                opt->linger_ms = pp_cli_duration_ms ("--linger", optarg);
                break;
            case 2010:
                opt->overflow = pp_cli_overflow ("--overflow", optarg);
                break;
            case 2011: opt->spill_dir = optarg; break;
            case 2012:
                opt->heartbeat_ms = pp_cli_duration_ms ("--heartbeat", optarg);
                if (opt->heartbeat_ms < 10)
                    pp_cli_usage_error ("--heartbeat: %s is under 10ms",
                                        optarg);
                break;
            case 2013:
                opt->liveness =
                    (int) pp_cli_number ("--liveness", optarg, 1, 1000);
                break;
            case 2014:
                opt->retries =
                    (uint32_t) pp_cli_number ("--retries", optarg, 0, 100);
                break;
            case 2015:
                opt->drain_timeout_ms =
                    pp_cli_duration_ms ("--drain-timeout", optarg);
                break;
            default: pp_cli_bad_option (argc, argv);
        }
    }
    if (opt->overflow == PP_OVERFLOW_SPILL && !opt->spill_dir)
        opt->spill_dir = getenv ("TMPDIR") ? getenv ("TMPDIR") : "/tmp";
    if (optind < argc)
        opt->path = argv[optind++];
    if (optind < argc)
        pp_cli_usage_error ("unexpected argument '%s' (one FILE at most)",
                            argv[optind]);
    int sources =
        (opt->path != NULL) + (opt->generate > 0) + (opt->workload > 0);
    if (sources > 1)
        pp_cli_usage_error ("give one input: FILE, --generate or --workload");
    if (opt->batch == 0)
        opt->batch = opt->workload > 0 ? 1 : 64;
    pp_cli_endpoints (&opt->common);
    pp_cli_check_bind (&opt->common, "--tasks", opt->common.tasks);
    pp_cli_check_bind (&opt->common, "--control", opt->common.control);
    pp_cli_check_bind (&opt->common, "--acks", opt->common.acks);
}

static void
s_publish (vent_t *self)
{
    pp_state_t state = self->outcome;
    state.sent = self->next;
    state.total = self->input_ended ? self->next : PP_TOTAL_UNKNOWN;
    state.window = self->opt->window;
    state.retries = self->opt->retries;
    if (self->state != VENT_DONE)
        state.dropped = self->dropped; /* dropped before numbering      */
    pp_ctl_publish (self->control, self->run_id, (pp_run_state_t) self->state,
                    (uint32_t) self->opt->common.flow,
                    (uint32_t) self->opt->heartbeat_ms, &state);
    self->state_sent_ms = pp_now_ms ();
}

static void
s_set_state (vent_t *self, vent_state_t state)
{
    self->state = state;
    if (state == VENT_DONE || state == VENT_ABORTED)
        self->end_ms = pp_now_ms ();
    s_publish (self); /* at once; then repeated by s_tick             */
}

/*  Drain asked: read no more input; what was read is still sent. Records
    are counted from the start of the input, --skip included, so the hint
    is the --skip of the next run whatever this one skipped.               */
static void
s_stop_reading (vent_t *self)
{
    if (self->reading_stopped || self->input_eof)
        return;
    self->reading_stopped = true;
    uint64_t read = vent_input_records (self->input);
    if (read < self->opt->skip) /* stopped while skipping               */
        read = self->opt->skip;
    zsys_notice ("draining: stopped after record %llu; to resume later, "
                 "run again with --skip %llu",
                 (unsigned long long) read, (unsigned long long) read);
}

/*  The total is final once no more input comes and all read is numbered. */
static void
s_check_total (vent_t *self)
{
    if (self->input_ended || !(self->input_eof || self->reading_stopped) ||
        self->unqueued || self->inboxed > 0)
        return;
    self->input_ended = true;
    if (self->state == VENT_RUNNING || self->state == VENT_WAITING)
        s_set_state (self, VENT_DRAINING);
}

/*  Appends the item in slot seq to the batch being built for owner.      */
static int
s_batch_slot (vent_t *self, uint64_t seq, uint32_t owner)
{
    pp_item_t *item = self->slots[seq % self->opt->window].item;
    pp_record_t rec = {.seq = seq,
                       .t_enq_us = item->t_enq_us,
                       .len = item->len,
                       .outcome = item->outcome,
                       .attempt = item->attempt,
                       .data = item->data};
    self->slots[seq % self->opt->window].sent_ms = self->batch_ms;
    self->slots[seq % self->opt->window].owner = owner;
    return pp_batch_add (&self->batch, &rec);
}

/*  Small items are recycled: a malloc and a free per item were a third of
    the ventilator's instructions (bench/results/profile-before.md). Freed
    items with room for S_SMALL_BYTES wait on a list (linked through their
    own memory, at most --window of them) for the next small record.       */
#define S_SMALL_BYTES 64

static pp_item_t *
s_item_new (vent_t *self, const char *data, size_t len)
{
    size_t size = sizeof (pp_item_t) + len + 1;
    pp_item_t *item = NULL;
    if (size <= S_SMALL_BYTES && self->spare) {
        item = self->spare;
        memcpy (&self->spare, item, sizeof (void *));
        self->nspare--;
    } else
        item = malloc (size < S_SMALL_BYTES ? S_SMALL_BYTES : size);
    if (!item)
        return NULL;
    *item = (pp_item_t){.run_id = self->run_id,
                        .len = (uint32_t) len,
                        .outcome = PP_OUTCOME_OK};
    if (len > 0)
        memcpy (item->data, data, len);
    item->data[len] = '\0';
    return item;
}

static void
s_item_free (vent_t *self, pp_item_t *item)
{
    if (item && self->nspare < self->opt->window &&
        malloc_usable_size (item) >= S_SMALL_BYTES) {
        memcpy (item, &self->spare, sizeof (void *));
        self->spare = item;
        self->nspare++;
    } else
        free (item);
}

/*  At the end of input: a --skip past it sends nothing, and says so.     */
static void
s_check_skip (vent_t *self)
{
    uint64_t records = vent_input_records (self->input);
    if (records < self->opt->skip)
        zsys_warning ("--skip %llu: the input has only %llu records; "
                      "nothing to send",
                      (unsigned long long) self->opt->skip,
                      (unsigned long long) records);
}

/*  Reads one record as a new item (not numbered yet). Returns 1, 0 when
    nothing is ready, or an error. An oversized record becomes an item
    that has failed already: it still gets its outcome at the sink.        */
static int
s_next_record (vent_t *self, pp_item_t **item_p, uint64_t now_us)
{
    const char *data = NULL;
    size_t len = 0;
    int rc = vent_input_next (self->input, &data, &len);
    if (rc == PP_ECLOSED) {
        self->input_eof = true;
        s_check_skip (self);
    }
    self->need_fill = rc == 0 && vent_input_fd (self->input) >= 0;
    if (rc == PP_ECLOSED || rc == 0)
        return 0;
    char reason[128];
    if (rc == PP_ETOOBIG) {
        unsigned long long record = vent_input_records (self->input);
        len = (size_t) snprintf (
            reason, sizeof (reason),
            "record %llu is over --max-item-size "
            "(%llu bytes)",
            record, (unsigned long long) self->opt->common.max_item);
        data = reason;
        zsys_warning ("%s: marked failed", reason);
    }
    pp_item_t *item = s_item_new (self, data, len);
    if (!item)
        return PP_ENOMEM;
    item->t_enq_us = now_us;
    if (rc == PP_ETOOBIG)
        item->outcome = PP_OUTCOME_FAILED;
    *item_p = item;
    return 1;
}

static bool
s_may_read (vent_t *self)
{
    if (self->state != VENT_RUNNING || self->input_eof || self->reading_stopped)
        return false;
    if (self->opt->rate > 0) {
        double elapsed = (double) (pp_now_ms () - self->start_ms) / 1000.0;
        return (double) vent_input_returned (self->input) <
               elapsed * self->opt->rate + 1; /* --skip is not paced    */
    }
    return true;
}

/*  Moves input records into the inbox, applying --overflow when it is
    full: block stops reading, drop counts and frees, spill goes to disk.
    Only for records the window has no room for: the others go straight
    to a slot (s_number_next).                                             */
static int
s_read_input (vent_t *self)
{
    uint64_t now_us = pp_wall_us ();
    for (int n = 0; n < 1024 && s_may_read (self); n++) {
        if (!self->unqueued) {
            int rc = s_next_record (self, &self->unqueued, now_us);
            if (rc <= 0)
                return rc;
        }
        int rc = pp_chan_send (self->inbox, self->unqueued, 0);
        if (rc == PP_EAGAIN && self->opt->overflow == PP_OVERFLOW_DROP) {
            pp_item_free (self->unqueued);
            self->dropped++;
        } else if (rc == PP_EIO) {
            zsys_error ("--spill-dir: cannot write %s (disk full?); "
                        "reading paused, nothing lost",
                        self->opt->spill_dir);
            return 0;
        } else if (rc != 0)
            return 0; /* block: the inbox is full                      */
        else
            self->inboxed++;
        self->unqueued = NULL;
    }
    return 0;
}

/*  Takes the next record -- from the inbox, else the one waiting for the
    inbox, else straight from the input -- numbers it and gives it a
    window slot. Returns 1, 0 when there is none or the window is full,
    or an error. Reading straight into the window skips the inbox's two
    channel calls per item (a fifth of the ventilator's time, profiled).  */
static int
s_number_next (vent_t *self, uint64_t now_us)
{
    if (self->next - self->base >= self->opt->window ||
        (self->state != VENT_RUNNING && self->state != VENT_DRAINING))
        return 0;
    void *item = NULL;
    if (self->inboxed > 0 && pp_chan_recv (self->inbox, &item, 0) == 0)
        self->inboxed--;
    else if (self->unqueued) {
        item = self->unqueued; /* next in order: the inbox is empty     */
        self->unqueued = NULL;
    } else if (s_may_read (self)) {
        int rc = s_next_record (self, (pp_item_t **) &item, now_us);
        if (rc <= 0)
            return rc;
    } else
        return 0;
    pp_item_t *numbered = item;
    numbered->seq = self->next;
    self->slots[self->next % self->opt->window].item = numbered;
    self->next++;
    return 1;
}

/*  True when the item in slot is due again and may go to owner. A retried
    item goes to another worker while one can take it (the scan comes
    back for it: *skip is set).                                             */
static bool
s_due_for (vent_t *self, vent_slot_t *slot, int64_t due, uint32_t owner,
           bool *skip)
{
    if (!slot->item || slot->sent_ms > due)
        return false;
    *skip = owner != 0 && slot->avoid == owner && self->credit &&
            vent_credit_other_can_take (self->credit, owner);
    return !*skip;
}

/*  Adds to the batch the unacked items whose ack is overdue. A finished
    scan remembers when the oldest send it saw falls due: no scan runs
    before then (items sent later fall due later still).                   */
static void
s_batch_resends (vent_t *self, uint32_t max_items, uint32_t owner)
{
    int64_t now = pp_now_ms ();
    int64_t due = now - self->opt->ack_timeout_ms;
    if (self->resend_at < self->base)
        self->resend_at = self->base;
    uint64_t skipped = UINT64_MAX; /* first item left for another worker */
    uint64_t index = self->resend_at % self->opt->window;
    while (self->resend_at < self->next &&
           !pp_batch_full (&self->batch, max_items)) {
        vent_slot_t *slot = &self->slots[index];
        bool skip = false;
        if (s_due_for (self, slot, due, owner, &skip)) {
            if (!slot->unsent && slot->item->attempt < 255) {
                slot->item->attempt++;
                self->redelivered++;
            }
            slot->unsent = false;
            s_batch_slot (self, self->resend_at, owner);
        } else if (skip && skipped == UINT64_MAX)
            skipped = self->resend_at;
        if (slot->item && slot->sent_ms < self->scan_oldest)
            self->scan_oldest = slot->sent_ms;
        self->resend_at++;
        if (++index == self->opt->window)
            index = 0;
    }
    if (self->resend_at >= self->next) { /* scan finished               */
        self->resend_at = UINT64_MAX;
        int64_t oldest = self->scan_oldest < now ? self->scan_oldest : now;
        self->next_scan_ms = oldest + self->opt->ack_timeout_ms;
        self->scan_oldest = INT64_MAX;
    }
    if (skipped < self->resend_at)
        self->resend_at = skipped;
}

int
vent_build_batch (vent_t *self, uint32_t max_items, uint32_t owner)
{
    pp_batch_reset (&self->batch);
    self->batch_ms = pp_now_ms (); /* one clock read per batch, not item */
    if (self->resend_at != UINT64_MAX)
        s_batch_resends (self, max_items, owner);
    uint64_t now_us = pp_wall_us ();
    int rc = 0;
    while (!pp_batch_full (&self->batch, max_items)) {
        rc = s_number_next (self, now_us);
        if (rc <= 0)
            break;
        rc = s_batch_slot (self, self->next - 1, owner);
        if (rc != 0)
            break;
    }
    /*  The window is full: what can be read waits in the inbox, under
        --overflow.                                                        */
    if (rc == 0 && self->next - self->base >= self->opt->window)
        rc = s_read_input (self);
    s_check_total (self);
    self->batch_ready = self->batch.count > 0;
    return rc;
}

/*  Sends the ready batch without blocking; false while the HWM holds it.  */
static bool
s_send_batch (vent_t *self)
{
    pp_header_t hdr = {.type = PP_MSG_TASK,
                       .run_id = self->run_id,
                       .count = self->batch.count};
    int rc = pp_net_send (self->tasks, NULL, &hdr, self->batch.data,
                          self->batch.size, true);
    if (rc == PP_EAGAIN)
        return false;
    if (rc != 0)
        zsys_error ("cannot send tasks: %s", zmq_strerror (zmq_errno ()));
    else
        self->sends++;
    self->batch_ready = false;
    return true;
}

/*  Sends batches until the socket is full or there is nothing to send.    */
static int
s_dispatch (vent_t *self)
{
    if (self->credit)
        return vent_credit_dispatch (self->credit);
    for (int burst = 0; burst < 64; burst++) {
        if (!self->batch_ready) {
            int rc = vent_build_batch (self, self->opt->batch, 0);
            if (rc != 0)
                return rc;
        }
        if (!self->batch_ready || !s_send_batch (self))
            break;
    }
    return 0;
}

/*  Marks [first, first + n) acked: those items are freed.                 */
static void
s_acked (vent_t *self, uint64_t first, uint64_t n)
{
    uint64_t from = first < self->base ? self->base : first;
    uint64_t to = first + n > self->next ? self->next : first + n;
    for (uint64_t seq = from; seq < to; seq++) {
        vent_slot_t *slot = &self->slots[seq % self->opt->window];
        s_item_free (self, slot->item);
        slot->item = NULL;
    }
}

/*  [first, first + n) failed and may be retried (--retries): due again
    at once, preferably not on the worker it failed on.                     */
static void
s_retry (vent_t *self, uint64_t first, uint64_t n)
{
    uint64_t from = first < self->base ? self->base : first;
    uint64_t to = first + n > self->next ? self->next : first + n;
    for (uint64_t seq = from; seq < to; seq++) {
        vent_slot_t *slot = &self->slots[seq % self->opt->window];
        uint32_t failed_on = slot->owner;
        vent_requeue (self, seq);
        slot->avoid = failed_on;
    }
}

/*  An ACK: ranges recorded (acked) or, flagged RETRY, failed items the
    sink wants again. A malformed range stops the message (counted).      */
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
            s_retry (self, first, n);
        else
            s_acked (self, first, n);
    }
    while (self->base < self->next &&
           !self->slots[self->base % self->opt->window].item)
        self->base++;
}

void
vent_requeue (vent_t *self, uint64_t seq)
{
    if (seq < self->base || seq >= self->next)
        return;
    vent_slot_t *slot = &self->slots[seq % self->opt->window];
    if (slot->item) {
        slot->sent_ms = INT64_MIN / 2; /* overdue whatever the timeout */
        slot->owner = 0;
        if (self->resend_at > seq)
            self->resend_at = seq;
    }
}

void
vent_unsent (vent_t *self, uint64_t seq)
{
    if (seq >= self->base && seq < self->next)
        self->slots[seq % self->opt->window].unsent = true;
}

void
vent_requeue_owner (vent_t *self, uint32_t owner)
{
    for (uint64_t seq = self->base; seq < self->next; seq++)
        if (self->slots[seq % self->opt->window].owner == owner)
            vent_requeue (self, seq);
}

void
vent_on_hello (vent_t *self, uint32_t worker_id)
{
    for (uint32_t i = 0; i < self->nhellos; i++)
        if (self->hellos[i] == worker_id)
            return;
    if (self->nhellos < VENT_MAX_HELLOS)
        self->hellos[self->nhellos++] = worker_id;
    if (pp_verbosity > 1)
        zsys_info ("worker %08x said hello (%u so far)", worker_id,
                   self->nhellos);
}

static void
s_on_complete (vent_t *self, const pp_inmsg_t *in)
{
    pp_state_t outcome;
    if (pp_wire_decode_state (in->payload, in->size, &outcome) != 0) {
        self->rejects[PP_REJECT_SHORT]++;
        return;
    }
    if (self->state != VENT_DRAINING || outcome.total != self->next)
        return; /* early or stale: the sink repeats it                   */
    self->outcome = outcome;
    s_set_state (self, VENT_DONE);
}

/*  True while the run is live but no item ever left: no worker holds one
    and the sink can have no outcome, so a drain has nothing to wait for.  */
static bool
s_nothing_sent (vent_t *self)
{
    return self->sends == 0 && self->state != VENT_DONE &&
           self->state != VENT_ABORTED;
}

/*  Drain or abort, asked by a signal or over acks. A drain with nothing
    sent ends the run at once, as aborted: no record was processed, so the
    input resumes where this run began.                                    */
static void
s_on_request (vent_t *self, uint16_t what)
{
    if (what == PP_REQUEST_DRAIN && s_nothing_sent (self)) {
        zsys_notice ("stopped before any item was sent: nothing to drain, "
                     "no record processed; to resume later, run again with "
                     "--skip %llu",
                     (unsigned long long) self->opt->skip);
        what = PP_REQUEST_ABORT;
    }
    if (what == PP_REQUEST_ABORT && self->state != VENT_DONE &&
        self->state != VENT_ABORTED)
        s_set_state (self, VENT_ABORTED);
    else if (what == PP_REQUEST_DRAIN)
        s_stop_reading (self);
}

/*  Items numbered and not acked yet.                                      */
static uint64_t
s_unacked (vent_t *self)
{
    uint64_t n = 0;
    for (uint64_t seq = self->base; seq < self->next; seq++)
        n += self->slots[seq % self->opt->window].item != NULL;
    return n;
}

/*  --drain-timeout: a drain not complete in time becomes an abort. The
    drain begins when it is asked or when the input ends.                  */
static void
s_check_drain (vent_t *self, int64_t now)
{
    bool draining = self->state == VENT_DRAINING ||
                    (self->state == VENT_RUNNING && self->reading_stopped);
    if (!draining || self->opt->drain_timeout_ms == 0)
        return;
    if (self->drain_since_ms == 0)
        self->drain_since_ms = now;
    if (now - self->drain_since_ms < self->opt->drain_timeout_ms)
        return;
    zsys_error ("the drain did not complete within --drain-timeout "
                "(%lld ms): aborting with %llu items unacknowledged",
                (long long) self->opt->drain_timeout_ms,
                (unsigned long long) s_unacked (self));
    s_set_state (self, VENT_ABORTED);
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
            if (ours)
                vent_on_hello (self, in.hdr.worker_id);
            break;
        case PP_MSG_COMPLETE:
            if (ours)
                s_on_complete (self, &in);
            break;
        case PP_MSG_REQUEST:
            /*  An operator may not know the run id: 0 means this run.     */
            if (ours || in.hdr.run_id == 0)
                s_on_request (self, in.hdr.flags);
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
    self->start_ms += lost;
    for (uint64_t seq = self->base; seq < self->next; seq++) {
        vent_slot_t *slot = &self->slots[seq % self->opt->window];
        if (slot->item && slot->sent_ms > INT64_MIN / 2) /* not requeued */
            slot->sent_ms += lost;
    }
    self->next_scan_ms += lost;
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
    int64_t liveness = self->opt->heartbeat_ms * self->opt->liveness;
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
        s_on_request (self, signals == 1 ? PP_REQUEST_DRAIN : PP_REQUEST_ABORT);
    }
    s_check_drain (self, now);
    if (self->state == VENT_WAITING &&
        self->nhellos >= self->opt->wait_workers) {
        self->start_ms = now;
        s_set_state (self, self->input_ended ? VENT_DRAINING : VENT_RUNNING);
    }
    /*  Often in the first second, when peers are still joining: a sink
        that has not heard the run yet must hold every result it gets.     */
    bool urgent = self->state >= VENT_DRAINING;
    int64_t every = urgent ? S_URGENT_EVERY_MS : S_STATE_EVERY_MS;
    if (now - self->opened_ms < 1000)
        every = S_EARLY_EVERY_MS;
    if (now - self->state_sent_ms >= every)
        s_publish (self);
    if (self->credit &&
        (self->state == VENT_RUNNING || self->state == VENT_DRAINING))
        vent_credit_tick (self->credit); /* after DONE, workers leave  */
    if (now - self->resend_scan_ms >= S_RESEND_SCAN_MS &&
        now >= self->next_scan_ms) {
        self->resend_scan_ms = now;
        if (self->resend_at == UINT64_MAX)
            self->resend_at = self->base;
    }
}

static bool
s_finished (vent_t *self)
{
    int64_t since = pp_now_ms () - self->end_ms;
    if (self->state == VENT_DONE)
        return since >= self->opt->linger_ms;
    return self->state == VENT_ABORTED && since >= S_ABORT_LINGER_MS;
}

/*  True when a batch could be built right now without waiting.          */
static bool
s_has_work (vent_t *self)
{
    if (self->batch_ready)
        return false;
    if (self->credit && !vent_credit_can_send (self->credit))
        return false;
    bool room = self->next - self->base < self->opt->window;
    if (room && self->inboxed > 0)
        return true;
    bool blocked = self->opt->overflow == PP_OVERFLOW_BLOCK && self->unqueued;
    return s_may_read (self) && !self->need_fill && !blocked &&
           (room || self->opt->overflow != PP_OVERFLOW_BLOCK);
}

static int
s_loop (vent_t *self)
{
    while (!s_finished (self)) {
        bool active =
            self->state == VENT_RUNNING || self->state == VENT_DRAINING;
        bool want_input = active && self->need_fill && s_may_read (self);
        short tasks_events = self->credit                  ? ZMQ_POLLIN
                             : active && self->batch_ready ? ZMQ_POLLOUT
                                                           : 0;
        zmq_pollitem_t items[] = {
            {zsock_resolve (self->acks), 0, ZMQ_POLLIN, 0},
            {zsock_resolve (self->tasks), 0, tasks_events, 0},
            {NULL, vent_input_fd (self->input),
             (short) (want_input ? ZMQ_POLLIN : 0), 0}};
        long timeout = active && s_has_work (self) ? 0 : S_URGENT_EVERY_MS / 2;
        if (timeout > S_EARLY_EVERY_MS && pp_now_ms () - self->opened_ms < 1000)
            timeout = S_EARLY_EVERY_MS;
        if (self->opt->rate > 0 && active && timeout > 0)
            timeout = 5;
        int n = zmq_poll (items, want_input ? 3 : 2, timeout);
        if (n == -1 && zmq_errno () != EINTR)
            return PP_EIO;
        s_check_stall (self, timeout);
        if (n > 0 && (items[0].revents & ZMQ_POLLIN))
            for (int burst = 0;
                 burst < 256 && (zsock_events (self->acks) & ZMQ_POLLIN);
                 burst++)
                s_on_acks_socket (self);
        if (self->credit && (items[1].revents & ZMQ_POLLIN))
            for (int burst = 0;
                 burst < 256 && (zsock_events (self->tasks) & ZMQ_POLLIN);
                 burst++)
                vent_credit_on_message (self->credit);
        if (want_input && (items[2].revents & (ZMQ_POLLIN | ZMQ_POLLERR))) {
            self->need_fill = false;
            if (vent_input_fill (self->input) != 0) {
                zsys_error ("cannot read input: %s", strerror (errno));
                return PP_EIO;
            }
        }
        s_check_stall (self, 0); /* dispatch judges unreachable workers */
        if (active && s_dispatch (self) != 0)
            return PP_ENOMEM;
        s_tick (self);
    }
    return 0;
}

static int
s_open (vent_t *self)
{
    vent_options_t *opt = self->opt;
    pp_common_t *common = &opt->common;
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
        self->input = vent_input_new_fd (fd, opt->delim, common->max_item);
    }
    self->slots = calloc (opt->window, sizeof (vent_slot_t));
    size_t ahead = opt->batch * 4 > 1024 ? opt->batch * 4 : 1024;
    self->inbox = pp_chan_new (ahead, pp_item_free);
    if (!self->input || !self->slots || !self->inbox)
        return PP_ENOMEM;
    vent_input_skip (self->input, opt->skip);
    if (opt->overflow == PP_OVERFLOW_DROP)
        pp_chan_set_drop (self->inbox);
    if (opt->overflow == PP_OVERFLOW_SPILL &&
        pp_chan_set_spill (self->inbox, opt->spill_dir, &pp_item_codec) != 0) {
        zsys_error ("--spill-dir: cannot create a file in %s: %s",
                    opt->spill_dir, strerror (errno));
        return PP_EIO;
    }
    bool credit = common->flow == PP_FLOW_CREDIT;
    self->tasks = pp_net_socket (credit ? ZMQ_ROUTER : ZMQ_PUSH, common,
                                 common->tasks, true, "--tasks");
    if (credit && self->tasks) {
        zsock_set_router_mandatory (self->tasks, 1);
        self->credit = vent_credit_new (self);
        if (!self->credit)
            return PP_ENOMEM;
    }
    self->control =
        pp_net_socket (ZMQ_PUB, common, common->control, true, "--control");
    self->acks = pp_net_acks_socket (ZMQ_PULL, common, true);
    if (!self->tasks || !self->control || !self->acks)
        return PP_EIO;
    self->netmon = pp_netmon_new (common);
    pp_netmon_watch (self->netmon, self->tasks, "--tasks", true);
    pp_netmon_watch (self->netmon, self->control, "--control", true);
    pp_netmon_watch (self->netmon, self->acks, "--acks", true);
    while (self->run_id == 0)
        if (getrandom (&self->run_id, sizeof (self->run_id), 0) == -1)
            self->run_id = (uint64_t) pp_wall_us () ^ (uint64_t) getpid ();
    self->resend_at = UINT64_MAX;
    self->scan_oldest = INT64_MAX;
    self->start_ms = self->opened_ms = pp_now_ms ();
    return 0;
}

static void
s_close (vent_t *self)
{
    if (self->slots)
        for (uint32_t i = 0; i < self->opt->window; i++)
            pp_item_free (self->slots[i].item);
    free (self->slots);
    pp_item_free (self->unqueued);
    pp_chan_destroy (&self->inbox);
    while (self->spare) {
        pp_item_t *next;
        memcpy (&next, self->spare, sizeof (void *));
        free (self->spare);
        self->spare = next;
    }
    vent_credit_destroy (&self->credit);
    pp_batch_free (&self->batch);
    int fd = self->input ? vent_input_fd (self->input) : -1;
    if (fd > STDIN_FILENO)
        close (fd);
    vent_input_destroy (&self->input);
    pp_netmon_destroy (&self->netmon); /* before the sockets it watches */
    zsock_destroy (&self->tasks);
    zsock_destroy (&self->control);
    zsock_destroy (&self->acks);
}

static int
s_exit_code (vent_t *self)
{
    pp_net_log_rejects (self->rejects);
    if (self->state == VENT_ABORTED)
        return PP_EXIT_ABORTED;
    if (pp_verbosity > 0)
        zsys_info ("run %016llx done: %llu items, %llu ok, %llu failed, "
                   "%llu dropped, %llu sent again",
                   (unsigned long long) self->run_id,
                   (unsigned long long) self->next,
                   (unsigned long long) self->outcome.ok,
                   (unsigned long long) self->outcome.failed,
                   (unsigned long long) self->outcome.dropped,
                   (unsigned long long) self->redelivered);
    return self->outcome.failed + self->outcome.dropped > 0 ? PP_EXIT_FAILED
                                                            : PP_EXIT_OK;
}

int
main (int argc, char **argv)
{
    vent_options_t opt;
    memset (&opt, 0, sizeof (opt));
    pp_cli_init (&opt.common, "pp-ventilator");
    s_parse (&opt, argc, argv);
    pp_cli_security (&opt.common, true, false);
    pp_signal_install ();
    vent_t vent = {.opt = &opt, .state = VENT_WAITING};
    int code = PP_EXIT_RUNTIME;
    if (s_open (&vent) == 0) {
        s_publish (&vent);
        if (s_loop (&vent) == 0)
            code = s_exit_code (&vent);
    }
    s_close (&vent);
    pp_cli_security_end (&opt.common);
    zsys_shutdown ();
    return code;
}
