/*  vent_run: the run's state machine and its STATE announcements.       */

#include "run.h"
#include "ids.h"
#include "pp_cli.h"
#include "pp_ctl.h"
#include "pp_idmap.h"
#include "pp_net.h"

#define S_STATE_EVERY_MS 200  /* state while running                    */
#define S_URGENT_EVERY_MS 100 /* DRAIN, DONE, ABORT repeats             */
/*  A STATE is one message per subscriber. With thousands, the repeats
    are spaced so that they cost at most S_REPEAT_MSGS_PER_S messages a
    second (200 ms stays 200 ms up to 1000 subscribers; 5000 hear it once
    a second), never rarer than S_EVERY_MAX_MS: a worker or sink says the
    ventilator is silent after 2 s. At 5000 workers, repeats every 200 ms
    were 25,000 messages a second, more than the tasks themselves. DONE
    and ABORTED keep their 100 ms: they last --linger (1 s by default) or
    half a second at most, and every worker must hear them.               */
#define S_REPEAT_MSGS_PER_S 5000
#define S_EVERY_MAX_MS 1000
/*  Welcomes, likewise: a storm of joins is welcomed by one STATE per
    gap of subscribers / S_WELCOME_MSGS_PER_S seconds, not one each (under
    20 subscribers the gap is 0: at once, as before; 100 wait 5 ms at
    most, 5000 a quarter of a second). A welcome a join cost W^2 / 2
    messages for W workers: 5000 joining, 171 STATEs of up to 5000.       */
#define S_WELCOME_MSGS_PER_S 20000
/*  Push: hellos in, task connections not yet. A worker started before us
    retries its connections each on its own backed-off schedule, so one
    can come a whole reconnect interval after the others.                 */
#define S_TASK_PEERS_GRACE_MS (PP_NET_RECONNECT_MAX_MS + 1000)
#define S_ABORT_LINGER_MS 500 /* keep publishing ABORT this long        */
#define S_RENAMES 16          /* RENAMEs repeated to each new subscriber   */

struct _vent_run_t {
    const vent_options_t *opt;
    uint64_t run_id;
    zsock_t *control;      /* PUB, the caller's                     */
    vent_window_t *window; /* what was numbered                     */
    vent_feed_t *feed;     /* whether the total is final            */
    vent_state_t state;
    int64_t sent_ms;        /* STATE last published                  */
    bool welcome_due;       /* subscribers joined since               */
    uint64_t published;     /* STATEs published                       */
    int64_t end_ms;         /* DONE or ABORTED since                 */
    int64_t drain_since_ms; /* the drain began (0: not yet)          */
    bool drain_asked;       /* a signal or request asked for it      */
    pp_idmap_t *workers;    /* id + 1 -> 0 said hello, 1 said BYE too  */
    uint32_t nhellos;       /* workers in it                            */
    uint32_t nbyes;         /* ... that said BYE                        */
    uint32_t nbyes_early;   /* ... before the end (they disconnect)     */
    bool unlisted;          /* one could not be listed (out of memory)  */
    uint64_t subscribed;    /* subscribers to the state (vent_run_left)   */
    bool sink_bye;          /* the sink saw the end and left                 */
    uint32_t task_peers;    /* push: workers' task connections up        */
    int64_t hellos_met_ms;  /* --wait-workers hellos all in (0: not yet) */
    pp_state_t outcome;     /* counts from the sink's COMPLETE          */
    uint32_t refused;       /* the last worker that refused the run     */
    uint32_t refused_left;  /* refusals whose departure may be to come  */

    /*  Who has which id, and the last RENAMEs (two drew one id).         */
    vent_ids_t *ids;
    pp_rename_t renames[S_RENAMES];
    size_t nrenames;
};

void
vent_run_settings (const vent_run_t *self, pp_settings_t *settings)
{
    *settings =
        (pp_settings_t){.max_item = self->opt->common.max_item,
                        .heartbeat_ms = (uint32_t) self->opt->heartbeat_ms,
                        .flow = (uint8_t) self->opt->common.flow};
}

/*  Keeps a RENAME published, once, to repeat to subscribers to come.     */
static void
s_remember (vent_run_t *self, uint32_t worker_id, const pp_hello_t *worker,
            const pp_hello_t *owner)
{
    for (size_t i = 0; i < self->nrenames && i < S_RENAMES; i++)
        if (self->renames[i].worker_id == worker_id &&
            pp_ctl_same_worker (&self->renames[i].worker, worker))
            return;
    self->renames[self->nrenames++ % S_RENAMES] = (pp_rename_t){
        .worker_id = worker_id, .worker = *worker, .owner = *owner};
}

/*  vent_run_hello_claim of a HELLO decoded already.                      */
static bool
s_claim (vent_run_t *self, uint32_t worker_id, const pp_hello_t *hello)
{
    pp_hello_t owner;
    if (vent_ids_claim (self->ids, worker_id, hello, &owner))
        return true;
    zsys_notice ("worker %08x (pid %u on %s) has the id of worker %08x "
                 "(pid %u on %s), which said hello first: told to take "
                 "another id",
                 worker_id, hello->pid, hello->host, worker_id, owner.pid,
                 owner.host);
    pp_ctl_rename (self->control, self->run_id, worker_id, hello, &owner);
    s_remember (self, worker_id, hello, &owner);
    return false;
}

bool
vent_run_hello_claim (vent_run_t *self, uint32_t worker_id,
                      const uint8_t *payload, size_t size)
{
    pp_hello_t hello;
    if (pp_wire_decode_hello (payload, size, &hello) != 0)
        return true; /* a HELLO we cannot read is counted all the same  */
    return s_claim (self, worker_id, &hello);
}

bool
vent_run_hello_fits (vent_run_t *self, uint32_t worker_id,
                     const uint8_t *payload, size_t size)
{
    pp_settings_t settings;
    pp_hello_t hello;
    char why[160];
    vent_run_settings (self, &settings);
    if (pp_wire_decode_hello (payload, size, &hello) != 0)
        return true; /* a HELLO we cannot read is counted all the same  */
    if (pp_ctl_hello_check (&settings, &hello, why, sizeof (why)) == 0)
        return s_claim (self, worker_id, &hello);
    if (self->refused == worker_id)
        return false;
    zsys_warning ("worker %08x (pid %u on %s) refused this run: %s", worker_id,
                  hello.pid, hello.host, why);
    self->refused = worker_id; /* it exits: its unsubscription follows  */
    self->refused_left++;
    return false;
}

/*  PUB drops what went before a subscriber was there: a sink that joins
    late hears which worker gave up an id (its table of workers would show
    that one's pid and host under the id).                                 */
static void
s_repeat_renames (vent_run_t *self)
{
    for (size_t i = 0; i < self->nrenames && i < S_RENAMES; i++)
        pp_ctl_rename (self->control, self->run_id, self->renames[i].worker_id,
                       &self->renames[i].worker, &self->renames[i].owner);
}

/*  Publishes the state at now_ms; a subscriber that joined since the
    last one is welcomed by it (and hears the last RENAMEs).               */
static void
s_publish (vent_run_t *self, int64_t now_ms)
{
    pp_state_t state = self->outcome;
    state.sent = vent_window_next (self->window);
    state.total = vent_feed_ended (self->feed) ? state.sent : PP_TOTAL_UNKNOWN;
    state.window = self->opt->window;
    state.retries = self->opt->retries;
    if (self->state != VENT_DONE) /* dropped before numbering          */
        state.dropped = vent_feed_dropped (self->feed);
    pp_settings_t settings;
    vent_run_settings (self, &settings);
    state.expected = vent_feed_expected (self->feed, &state.expected_exact);
    pp_ctl_publish (self->control, self->run_id, (pp_run_state_t) self->state,
                    &settings, &state);
    self->sent_ms = now_ms;
    self->published++;
    if (self->welcome_due)
        s_repeat_renames (self);
    self->welcome_due = false;
}

/*  The time over which a STATE to every subscriber costs msgs_per_s, and
    never more than S_EVERY_MAX_MS: the heartbeats' longest spacing, which
    also bounds a welcome's wait.                                          */
static int64_t
s_spread_ms (const vent_run_t *self, uint64_t msgs_per_s)
{
    int64_t spread = (int64_t) (self->subscribed * 1000 / msgs_per_s);
    return spread < S_EVERY_MAX_MS ? spread : S_EVERY_MAX_MS;
}

/*  base_ms between two STATEs, stretched for many subscribers.            */
static int64_t
s_every_ms (const vent_run_t *self, int64_t base_ms)
{
    int64_t spread = s_spread_ms (self, S_REPEAT_MSGS_PER_S);
    return spread > base_ms ? spread : base_ms;
}

/*  How long after a STATE the next may welcome subscribers.              */
static int64_t
s_welcome_gap_ms (const vent_run_t *self)
{
    return s_spread_ms (self, S_WELCOME_MSGS_PER_S);
}

static void
s_set_state (vent_run_t *self, vent_state_t state)
{
    self->state = state;
    if (state == VENT_DONE || state == VENT_ABORTED)
        self->end_ms = pp_now_ms ();
    s_publish (self, pp_now_ms ()); /* at once; repeated by the tick  */
}

vent_run_t *
vent_run_new (const vent_options_t *opt, uint64_t run_id, zsock_t *control,
              vent_window_t *window, vent_feed_t *feed, int64_t now_ms)
{
    vent_run_t *self = calloc (1, sizeof (vent_run_t));
    if (!self)
        return NULL;
    self->opt = opt;
    self->run_id = run_id;
    self->control = control;
    self->window = window;
    self->feed = feed;
    (void) now_ms;
    self->workers = pp_idmap_new ();
    self->ids = vent_ids_new ();
    if (!self->workers || !self->ids) {
        vent_run_destroy (&self);
        return NULL;
    }
    s_set_state (self, VENT_WAITING);
    return self;
}

void
vent_run_destroy (vent_run_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pp_idmap_destroy (&(*self_p)->workers);
    vent_ids_destroy (&(*self_p)->ids);
    free (*self_p);
    *self_p = NULL;
}

vent_state_t
vent_run_state (const vent_run_t *self)
{
    return self->state;
}

bool
vent_run_active (const vent_run_t *self)
{
    return self->state == VENT_RUNNING || self->state == VENT_DRAINING;
}

/*  Lists worker_id (said hello: 0, BYE: 1) in O(1) however many workers
    there are; *added when it is new. Returns what it was (-1: unknown).
    One that cannot be listed (out of memory) makes the end wait for
    --linger: we cannot tell who is left.                                  */
static int
s_list (vent_run_t *self, uint32_t worker_id, uint32_t bye, bool *added)
{
    uint32_t was;
    *added = false;
    uint64_t key = (uint64_t) worker_id + 1;
    bool known = pp_idmap_get (self->workers, key, &was);
    if (known && (was == 1 || bye == 0))
        return (int) was;
    if (pp_idmap_put (self->workers, key, bye) != 0) {
        self->unlisted = true;
        return known ? (int) was : -1;
    }
    if (!known) {
        *added = true;
        self->nhellos++;
    }
    if (bye) {
        self->nbyes++;
        self->nbyes_early +=
            self->state != VENT_DONE && self->state != VENT_ABORTED;
    }
    return known ? (int) was : -1;
}

void
vent_run_hello (vent_run_t *self, uint32_t worker_id)
{
    bool added;
    s_list (self, worker_id, 0, &added);
    if (added && pp_verbosity > 1)
        zsys_info ("worker %08x said hello (%u so far)", worker_id,
                   self->nhellos);
}

void
vent_run_bye (vent_run_t *self, uint32_t worker_id, const uint8_t *ids,
              uint32_t count)
{
    if (worker_id == 0) { /* the sink: only its BYE after the end counts
                             (a sink that fails may be restarted)       */
        if (self->state != VENT_DONE && self->state != VENT_ABORTED)
            return;
        self->sink_bye = true;
        for (uint32_t i = 0; i < count; i++)
            vent_run_hello (self, pp_get_u32 (ids + i * 4));
        return;
    }
    bool added;
    if (s_list (self, worker_id, 1, &added) != 1 && pp_verbosity > 1)
        zsys_info ("worker %08x left (%u of %u)", worker_id, self->nbyes,
                   self->nhellos);
}

void
vent_run_complete (vent_run_t *self, const pp_state_t *outcome)
{
    if (self->state != VENT_DRAINING ||
        outcome->total != vent_window_next (self->window))
        return;
    self->outcome = *outcome;
    s_set_state (self, VENT_DONE);
}

void
vent_run_request (vent_run_t *self, uint16_t what, uint64_t sends,
                  const char *by)
{
    bool over = self->state == VENT_DONE || self->state == VENT_ABORTED;
    if (what == PP_REQUEST_DRAIN && !over && sends == 0) {
        zsys_notice ("stopped before any item was sent: nothing to drain, "
                     "no record processed; to resume later, run again with "
                     "--skip %llu",
                     (unsigned long long) self->opt->skip);
        s_set_state (self, VENT_ABORTED);
    } else if (what == PP_REQUEST_ABORT && !over) {
        zsys_notice ("abort asked %s: the run stops now, %llu items sent "
                     "and not yet acknowledged by the sink",
                     by,
                     (unsigned long long) vent_window_unacked (self->window));
        s_set_state (self, VENT_ABORTED);
    } else if (what == PP_REQUEST_DRAIN) {
        if (!over && !self->drain_asked)
            zsys_notice (
                "drain asked %s: no more input is read; the %llu items "
                "sent and not yet acknowledged by the sink are finished",
                by, (unsigned long long) vent_window_unacked (self->window));
        vent_feed_stop (self->feed);
        self->drain_asked = !over;
    }
}

void
vent_run_dispatched (vent_run_t *self)
{
    if (self->state != VENT_RUNNING || !vent_feed_ended (self->feed))
        return;
    s_set_state (self, VENT_DRAINING);
    if (pp_verbosity > 1) {
        bool exact;
        uint64_t total = vent_feed_expected (self->feed, &exact);
        zsys_info ("the input is all sent (%llu items): draining",
                   (unsigned long long) total);
    }
}

/*  --drain-timeout: a drain not complete in time becomes an abort. The
    drain begins when it is asked; given on the command line, also when
    the input ends (by default a long tail of slow items at the end of
    the input is no reason to stop).                                      */
static void
s_check_drain (vent_run_t *self, int64_t now_ms)
{
    bool stopped = vent_feed_state (self->feed) == VENT_FEED_STOPPED;
    bool active = vent_run_active (self);
    bool draining = (self->drain_asked && active) ||
                    (self->opt->drain_timeout_given &&
                     (self->state == VENT_DRAINING ||
                      (self->state == VENT_RUNNING && stopped)));
    if (!draining || self->opt->drain_timeout_ms == 0)
        return;
    if (self->drain_since_ms == 0)
        self->drain_since_ms = now_ms;
    if (now_ms - self->drain_since_ms < self->opt->drain_timeout_ms)
        return;
    zsys_error ("the drain did not complete within --drain-timeout "
                "(%lld ms): aborting with %llu items unacknowledged",
                (long long) self->opt->drain_timeout_ms,
                (unsigned long long) vent_window_unacked (self->window));
    s_set_state (self, VENT_ABORTED);
}

void
vent_run_task_peers (vent_run_t *self, uint32_t peers)
{
    self->task_peers = peers;
}

/*  In push flow a worker's HELLO (on acks) can come before its tasks
    connection is up -- each socket reconnects on its own schedule -- and
    PUSH deals only to the connections it has: --wait-workers would then
    give the whole start of the run to the workers already connected.
    So the run also waits for --wait-workers task connections; for at
    most S_TASK_PEERS_GRACE_MS, since that count can err low (a connection
    that ends without saying why), and a late start is better than none. */
static bool
s_task_peers_ready (vent_run_t *self, int64_t now_ms)
{
    uint32_t wanted = self->opt->wait_workers;
    if (self->opt->common.flow != PP_FLOW_PUSH || self->task_peers >= wanted)
        return true;
    if (self->hellos_met_ms == 0)
        self->hellos_met_ms = now_ms;
    if (now_ms - self->hellos_met_ms < S_TASK_PEERS_GRACE_MS)
        return false;
    zsys_warning ("--wait-workers %u: %u workers said hello, but only %u "
                  "of them connected to --tasks within %d ms: starting "
                  "anyway",
                  wanted, self->nhellos, self->task_peers,
                  S_TASK_PEERS_GRACE_MS);
    return true;
}

void
vent_run_tick (vent_run_t *self, int64_t now_ms)
{
    s_check_drain (self, now_ms);
    if (self->state == VENT_WAITING &&
        self->nhellos >= self->opt->wait_workers &&
        s_task_peers_ready (self, now_ms)) {
        vent_feed_start (self->feed, now_ms);
        s_set_state (self, vent_feed_ended (self->feed) ? VENT_DRAINING
                                                        : VENT_RUNNING);
    }
    /*  The end (DONE, ABORTED) is short and must be heard: its repeats
        keep their pace however many listen.                               */
    bool ending = self->state == VENT_DONE || self->state == VENT_ABORTED;
    bool urgent = self->state >= VENT_DRAINING;
    int64_t every = ending ? S_URGENT_EVERY_MS
                           : s_every_ms (self, urgent ? S_URGENT_EVERY_MS
                                                      : S_STATE_EVERY_MS);
    if (now_ms - self->sent_ms >= every ||
        (self->welcome_due &&
         now_ms - self->sent_ms >= s_welcome_gap_ms (self)))
        s_publish (self, now_ms);
}

/*  Before the end, a subscriber that left is a reconnection (it comes
    back, and is counted again), a watcher gone or a worker that refused
    the run. After DONE, the workers that confirmed leave: taken off, they
    would hide one not yet heard of (s_all_left), so only as many are
    taken off as refusals whose departure was not seen yet. Such a one
    taken off for a refused worker still there only cancels that worker's
    own subscription, which no HELLO accounts for.                         */
void
vent_run_left (vent_run_t *self, uint32_t left)
{
    bool ended = self->state == VENT_DONE || self->state == VENT_ABORTED;
    uint32_t refusals = left < self->refused_left ? left : self->refused_left;
    self->refused_left -= refusals;
    uint64_t off = ended ? refusals : left;
    self->subscribed -= off < self->subscribed ? off : self->subscribed;
}

void
vent_run_welcome (vent_run_t *self, uint32_t joined, int64_t now_ms)
{
    self->subscribed += joined;
    self->welcome_due = true;
    if (now_ms - self->sent_ms >= s_welcome_gap_ms (self))
        s_publish (self, now_ms);
}

uint64_t
vent_run_published (const vent_run_t *self)
{
    return self->published;
}

int64_t
vent_run_wait_ms (const vent_run_t *self, int64_t now_ms)
{
    int64_t wait = S_URGENT_EVERY_MS / 2;
    if (self->welcome_due) {
        int64_t left = self->sent_ms + s_welcome_gap_ms (self) - now_ms;
        wait = left < 0 ? 0 : left < wait ? left : wait;
    }
    return wait;
}

/*  Everyone the run knows of confirmed its end: the sink, and every
    worker that said hello -- and nobody subscribed to the state who has
    not said hello: a worker that heard RUNNING a moment before the end
    has its HELLO on the way, and would wait for a DONE nobody repeats
    (t_empty_input lost such a worker 1 run in 5). A subscriber that never
    says hello (a reconnect, a tool watching) costs at most --linger. A
    run no worker took part in (an empty input) ends in milliseconds,
    before a worker started beside it has even connected: DONE is then
    announced for --linger, so that such a worker hears it and leaves.
    A subscriber that left before the end is not counted (vent_run_left):
    a worker whose connection to control dropped and came back, or one
    that refused the run and exited, holds nothing up. A worker that said
    BYE before the end disconnected too: it is added back, or it would
    hide one not yet heard of.                                             */
static bool
s_all_left (const vent_run_t *self)
{
    return self->sink_bye && !self->unlisted && self->nhellos > 0 &&
           self->nbyes == self->nhellos &&
           self->subscribed + self->nbyes_early <= (uint64_t) self->nhellos + 1;
}

bool
vent_run_finished (const vent_run_t *self, int64_t now_ms)
{
    int64_t since = now_ms - self->end_ms;
    if (self->state == VENT_DONE)
        return s_all_left (self) || since >= self->opt->linger_ms;
    return self->state == VENT_ABORTED &&
           (s_all_left (self) || since >= S_ABORT_LINGER_MS);
}

const pp_state_t *
vent_run_outcome (const vent_run_t *self)
{
    return &self->outcome;
}
