/*  vent_feed: records to items, paced, read ahead under --overflow.      */

#include "feed.h"
#include "pp_error.h"
#include "pp_wire.h"

#include <czmq.h>
#include <string.h>

struct _vent_feed_t {
    vent_input_t *input;       /* the records (the caller's)           */
    vent_pool_t *pool;         /* item memory                          */
    vent_feed_config_t config; /* what the flags said                  */
    pp_overflow_t overflow;    /* what a full inbox does               */
    const char *spill_dir;     /* --spill-dir, for messages            */
    vent_feed_state_t state;
    pp_chan_t *inbox;    /* read ahead, not handed out yet       */
    size_t inboxed;      /* items in the inbox (memory and disk) */
    size_t inbox_bytes;  /* their item memory (block, drop: all in memory) */
    pp_item_t *unqueued; /* read, waiting for room in the inbox  */
    uint64_t dropped;    /* --overflow drop: never numbered      */
    uint64_t handed;     /* input record of the last item handed out */
    int64_t start_ms;    /* dispatch began (for --rate)          */
    bool pausing;        /* block: a record waits for the inbox  */
    int64_t paused_from; /* when that began (pp_now_ms)          */
    int64_t paused_ms;   /* pauses that ended, in all            */
    bool started;        /* --rate paces from start_ms on        */
    uint64_t unpaced;    /* records returned before: not paced   */
};

vent_feed_t *
vent_feed_new (vent_input_t *input, vent_pool_t *pool,
               const vent_feed_config_t *config)
{
    vent_feed_t *self = calloc (1, sizeof (vent_feed_t));
    if (!self)
        return NULL;
    self->input = input;
    self->pool = pool;
    self->config = *config;
    self->state = VENT_FEED_READING;
    self->inbox = pp_chan_new (config->ahead, pp_item_free);
    if (!self->inbox)
        vent_feed_destroy (&self);
    return self;
}

/*  The item memory item holds (as the window counts it).                 */
static size_t
s_bytes (const pp_item_t *item)
{
    return sizeof (pp_item_t) + item->len + 1;
}

/*  --overflow spill keeps the ring of its inbox in memory, the rest on
    disk: the ring holds what ahead_bytes holds of the largest items.     */
static size_t
s_spill_ring (const vent_feed_t *self)
{
    size_t ring = self->config.ahead;
    if (self->config.ahead_bytes == 0)
        return ring;
    size_t largest = sizeof (pp_item_t) + self->config.max_item + 1;
    size_t fit = self->config.ahead_bytes / largest;
    fit = fit > 0 ? fit : 1;
    return fit < ring ? fit : ring;
}

void
vent_feed_destroy (vent_feed_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    vent_feed_t *self = *self_p;
    pp_item_free (self->unqueued);
    pp_chan_destroy (&self->inbox);
    free (self);
    *self_p = NULL;
}

int
vent_feed_set_overflow (vent_feed_t *self, pp_overflow_t overflow,
                        const char *dir)
{
    self->overflow = overflow;
    self->spill_dir = dir;
    if (overflow == PP_OVERFLOW_DROP)
        pp_chan_set_drop (self->inbox);
    if (overflow != PP_OVERFLOW_SPILL)
        return 0;
    pp_chan_t *ring = pp_chan_new (s_spill_ring (self), pp_item_free);
    if (!ring)
        return PP_ENOMEM;
    pp_chan_destroy (&self->inbox); /* empty: set before the first read */
    self->inbox = ring;
    return pp_chan_set_spill (self->inbox, dir, &pp_item_codec);
}

vent_feed_state_t
vent_feed_state (const vent_feed_t *self)
{
    return self->state;
}

void
vent_feed_start (vent_feed_t *self, int64_t now_ms)
{
    self->start_ms = now_ms;
    self->started = true;
    self->unpaced = vent_input_returned (self->input);
}

/*  --rate: the records returned since the start (--skip and what a
    --resume read again before it are not paced) stay under the elapsed
    time's share, one ahead.                                               */
static bool
s_rate_allows (const vent_feed_t *self, int64_t now_ms)
{
    if (self->config.rate <= 0 || !self->started)
        return true;
    double elapsed = (double) (now_ms - self->start_ms) / 1000.0;
    uint64_t paced = vent_input_returned (self->input) - self->unpaced;
    return (double) paced < elapsed * self->config.rate + 1;
}

static bool
s_may_read (const vent_feed_t *self, int64_t now_ms)
{
    return self->state == VENT_FEED_READING && s_rate_allows (self, now_ms);
}

/*  Reading is over and all that was read went out: the total is final.  */
static void
s_settle (vent_feed_t *self)
{
    switch (self->state) {
        case VENT_FEED_STOPPED:
        case VENT_FEED_EOF:
            if (!self->unqueued && self->inboxed == 0)
                self->state = VENT_FEED_ENDED;
            break;
        case VENT_FEED_READING:
        case VENT_FEED_NEED_FD:
        case VENT_FEED_ENDED: break;
    }
}

/*  --overflow block: reading is paused while a record read waits for room
    in the inbox (the window and the inbox are full). Times the pauses.   */
static void
s_track_pause (vent_feed_t *self, int64_t now_ms)
{
    bool paused = self->overflow == PP_OVERFLOW_BLOCK && self->unqueued;
    if (paused && !self->pausing)
        self->paused_from = now_ms;
    else if (!paused && self->pausing)
        self->paused_ms += now_ms - self->paused_from;
    self->pausing = paused;
}

/*  A new item holding a copy of the record, queued at now_us.            */
static pp_item_t *
s_item_new (vent_feed_t *self, const char *data, size_t len, uint64_t now_us)
{
    pp_item_t *item =
        vent_pool_alloc (self->pool, sizeof (pp_item_t) + len + 1);
    if (!item)
        return NULL;
    *item = (pp_item_t){.run_id = self->config.run_id,
                        .t_enq_us = now_us,
                        .record = vent_input_records (self->input),
                        .len = (uint32_t) len,
                        .outcome = PP_OUTCOME_OK};
    if (len > 0)
        memcpy (item->data, data, len);
    item->data[len] = '\0';
    return item;
}

/*  A record over --max-item-size becomes an item that failed already,
    its reason in place of its bytes.                                     */
static pp_item_t *
s_oversized (vent_feed_t *self, uint64_t now_us)
{
    char reason[128];
    int len = snprintf (reason, sizeof (reason),
                        "record %llu is over --max-item-size (%llu bytes)",
                        (unsigned long long) vent_input_records (self->input),
                        (unsigned long long) self->config.max_item);
    zsys_warning ("%s: marked failed", reason);
    pp_item_t *item = s_item_new (self, reason, (size_t) len, now_us);
    if (item)
        item->outcome = PP_OUTCOME_FAILED;
    return item;
}

/*  At the end of input: a --skip past it sends nothing, and says so.     */
static void
s_check_skip (const vent_feed_t *self)
{
    uint64_t records = vent_input_records (self->input);
    if (records < self->config.skip)
        zsys_warning ("--skip %llu: the input has only %llu records; "
                      "nothing to send",
                      (unsigned long long) self->config.skip,
                      (unsigned long long) records);
}

/*  Reads one record from the input as a new item. Returns 1, 0 when
    there is none now (NEED_FD, or EOF), or PP_ENOMEM.                     */
static int
s_read (vent_feed_t *self, uint64_t now_us, pp_item_t **item_p)
{
    const char *data = NULL;
    size_t len = 0;
    switch (vent_input_next (self->input, &data, &len)) {
        case 1: *item_p = s_item_new (self, data, len, now_us); break;
        case PP_ETOOBIG: *item_p = s_oversized (self, now_us); break;
        case PP_ECLOSED:
            self->state = VENT_FEED_EOF;
            s_check_skip (self);
            return 0;
        default: /* 0: the fd must be read first                        */
            if (vent_input_fd (self->input) >= 0)
                self->state = VENT_FEED_NEED_FD;
            return 0;
    }
    return *item_p ? 1 : PP_ENOMEM;
}

/*  Records of the inbox's spill file that could not be read back are
    input never numbered: the run cannot be whole. PP_EIO (logged with the
    cause), else 0.                                                        */
static int
s_check_spill (vent_feed_t *self)
{
    int err = 0;
    size_t lost = pp_chan_spill_lost (self->inbox, &err);
    if (lost == 0)
        return 0;
    zsys_error ("--spill-dir: %zu records read ahead could not be read back "
                "from %s (%s); the run stops here, incomplete -- see what "
                "is wrong with the disk, then run again",
                lost, self->spill_dir, err ? strerror (err) : "not decodable");
    return PP_EIO;
}

int
vent_feed_next (vent_feed_t *self, int64_t now_ms, uint64_t now_us,
                pp_item_t **item_p)
{
    pp_item_t *item = NULL;
    void *queued = NULL;
    int rc = 1;
    if (self->inboxed > 0 && pp_chan_recv (self->inbox, &queued, 0) == 0) {
        self->inboxed--;
        item = queued;
        self->inbox_bytes -= s_bytes (item);
    } else if (self->inboxed > 0 && s_check_spill (self) != 0)
        return PP_EIO;
    else if (self->unqueued) { /* next in order: the inbox is empty   */
        item = self->unqueued;
        self->unqueued = NULL;
    } else if (s_may_read (self, now_ms))
        rc = s_read (self, now_us, &item);
    else
        rc = 0;
    if (rc == 1) {
        *item_p = item;
        self->handed = item->record;
    }
    s_settle (self);
    s_track_pause (self, now_ms);
    return rc;
}

/*  Queues item in the inbox, or PP_EAGAIN when it is full by bytes (block
    and drop hold the whole inbox in memory; spill's ring is sized by
    them); else as pp_chan_send.                                           */
static int
s_inbox_send (vent_feed_t *self, pp_item_t *item)
{
    bool by_bytes = self->config.ahead_bytes > 0 &&
                    self->overflow != PP_OVERFLOW_SPILL && self->inboxed > 0 &&
                    self->inbox_bytes >= self->config.ahead_bytes;
    return by_bytes ? PP_EAGAIN : pp_chan_send (self->inbox, item, 0);
}

/*  Reads one record into the inbox, under --overflow. Returns 1 to go
    on, 0 when reading pauses (nothing to read, a blocking inbox is full,
    the disk is full), or PP_ENOMEM.                                      */
static int
s_read_ahead_one (vent_feed_t *self, uint64_t now_us)
{
    if (!self->unqueued) {
        int rc = s_read (self, now_us, &self->unqueued);
        if (rc <= 0)
            return rc;
    }
    size_t bytes = s_bytes (self->unqueued); /* spilled, it is freed  */
    int rc = s_inbox_send (self, self->unqueued);
    if (rc == PP_EAGAIN && self->overflow == PP_OVERFLOW_DROP) {
        vent_pool_free (self->pool, self->unqueued);
        self->dropped++;
    } else if (rc == PP_EIO) {
        zsys_error ("--spill-dir: cannot write %s (disk full?); "
                    "reading paused, nothing lost",
                    self->spill_dir);
        return 0;
    } else if (rc != 0)
        return 0; /* block: the inbox is full                          */
    else {
        self->inboxed++;
        self->inbox_bytes += bytes;
    }
    self->unqueued = NULL;
    return 1;
}

int
vent_feed_read_ahead (vent_feed_t *self, int64_t now_ms, uint64_t now_us)
{
    int rc = 1;
    for (int n = 0; rc == 1 && n < 1024 && s_may_read (self, now_ms); n++)
        rc = s_read_ahead_one (self, now_us);
    s_settle (self);
    s_track_pause (self, now_ms);
    return rc < 0 ? rc : 0;
}

int64_t
vent_feed_paused_ms (const vent_feed_t *self, int64_t now_ms)
{
    return self->paused_ms + (self->pausing ? now_ms - self->paused_from : 0);
}

bool
vent_feed_ready (const vent_feed_t *self, bool room, int64_t now_ms)
{
    if (room && self->inboxed > 0)
        return true;
    bool block = self->overflow == PP_OVERFLOW_BLOCK;
    return s_may_read (self, now_ms) && !(block && self->unqueued) &&
           (room || !block);
}

bool
vent_feed_wants_fd (const vent_feed_t *self, int64_t now_ms)
{
    return self->state == VENT_FEED_NEED_FD && s_rate_allows (self, now_ms);
}

int
vent_feed_fill (vent_feed_t *self)
{
    if (self->state == VENT_FEED_NEED_FD)
        self->state = VENT_FEED_READING;
    return vent_input_fill (self->input);
}

/*  A drain stops at what was numbered: records read ahead into the inbox
    (up to a few thousand) were never handed out, so they are let go and
    the run ends with what was sent -- as GNU parallel's --halt soon lets
    running jobs end and starts no new one. Records are counted from the
    start of the input, --skip included, so the hint is the --skip of the
    next run whatever this one skipped.                                    */
void
vent_feed_stop (vent_feed_t *self)
{
    switch (self->state) {
        case VENT_FEED_READING:
        case VENT_FEED_NEED_FD:
        case VENT_FEED_EOF: break;
        case VENT_FEED_STOPPED:
        case VENT_FEED_ENDED: return;
    }
    bool eof = self->state == VENT_FEED_EOF;
    self->state = VENT_FEED_STOPPED;
    void *queued;
    size_t let_go = 0;
    while (self->inboxed > 0 && pp_chan_recv (self->inbox, &queued, 0) == 0) {
        self->inboxed--;
        self->inbox_bytes -= s_bytes (queued);
        vent_pool_free (self->pool, queued);
        let_go++;
    }
    if (self->unqueued) {
        vent_pool_free (self->pool, self->unqueued);
        self->unqueued = NULL;
        let_go++;
    }
    if (eof && let_go == 0)
        return; /* the input had ended, and all of it was numbered      */
    /*  STOPPED until the next call for an item (the run's state changes
        where it dispatches).                                              */
    uint64_t read = self->handed;
    if (read < self->config.skip) /* stopped while skipping             */
        read = self->config.skip;
    zsys_notice ("draining: stopped after record %llu; to resume later, "
                 "run again with --skip %llu",
                 (unsigned long long) read, (unsigned long long) read);
}

bool
vent_feed_ended (const vent_feed_t *self)
{
    return self->state == VENT_FEED_ENDED;
}

uint64_t
vent_feed_expected (const vent_feed_t *self, bool *exact)
{
    *exact = false;
    if (vent_feed_state (self) == VENT_FEED_STOPPED)
        return 0;
    return vent_input_expected (self->input, exact);
}

uint64_t
vent_feed_dropped (const vent_feed_t *self)
{
    return self->dropped;
}

void
vent_feed_stall (vent_feed_t *self, int64_t lost_ms)
{
    self->start_ms += lost_ms;
}
