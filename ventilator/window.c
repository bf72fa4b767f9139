/*  vent_window: a ring of slots over [base, next), the resend scan, and
    --max-deliver.                                                         */

#include "window.h"
#include "pp_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_REQUEUED (INT64_MIN / 2) /* sent_ms of an item due whatever  */
#define S_HELD 256                 /* suspects in flight, tracked       */
#define S_GROUP 32                 /* lost twice: in flight per worker  */
#define S_REASON_MAX 160           /* a give-up reason, with its NUL    */
#define S_SUSPECT_LOST 2           /* deliveries with no outcome: suspect */
#define S_ALONE_LOST 3             /* ... and sent alone among these     */

/*  Why an item is due again (its last delivery gave no outcome).         */
typedef enum {
    S_WHY_TIMEOUT = 0, /* no ack within the ack timeout (or nothing yet) */
    S_WHY_LOST,        /* its worker was lost holding it                 */
    S_WHY_FAILED       /* it failed, and --retries asks for it again     */
} s_why_t;

typedef struct {
    pp_item_t *item; /* NULL once acked                         */
    char *reason;    /* given up: the failure sent instead      */
    int64_t sent_ms; /* last (re)send, or S_REQUEUED            */
    uint32_t owner;  /* credit flow: worker that holds it       */
    uint32_t avoid[VENT_WINDOW_AVOID]; /* --retries: failed on, latest first */
    uint32_t why_worker; /* the worker of the last bad delivery    */
    uint16_t deliveries; /* sends that count for --max-deliver      */
    uint8_t why;         /* s_why_t of the last bad delivery        */
    uint8_t lost;        /* deliveries that gave no outcome         */
    bool unsent;         /* requeued before it ever left            */
    bool suspect;        /* in flight as a suspect                  */
} s_slot_t;

struct _vent_window_t {
    s_slot_t *slots;
    uint32_t size;               /* slots, the --window                */
    int64_t ack_timeout_ms;      /* an unacked item is due again after */
    uint32_t max_deliver;        /* --max-deliver, 0: no limit         */
    uint64_t max_bytes;          /* --window-bytes, 0: no bound        */
    uint64_t bytes;              /* item memory unacked items hold     */
    vent_window_extra_fn *extra; /* bytes held elsewhere, or NULL  */
    vent_pool_t *pool;           /* where acked items go               */
    uint64_t base;               /* lowest unacked seq                 */
    uint64_t next;               /* seq of the next item put           */
    uint64_t unacked;            /* slots in [base, next) with an item */
    uint64_t resend_at;          /* resend scan position, or UINT64_MAX */
    uint64_t scan_from;          /* where the running scan began        */
    int64_t scan_ms;             /* the last scan started              */
    int64_t next_scan_ms;        /* no scan before: nothing is due     */
    int64_t scan_oldest;         /* oldest send seen by the running scan */
    uint64_t parked;             /* lowest item left to wait, or UINT64_MAX */
    uint64_t redelivered;        /* items sent again                   */
    uint64_t given_up;           /* items past --max-deliver           */
    struct {
        uint32_t owner;
        uint64_t seq;
    } held[S_HELD]; /* suspects in flight, by worker           */
    uint32_t nheld;
    vent_window_numbered_fn *numbered; /* hears of each item numbered */
    void *numbered_ctx;
};

vent_window_t *
vent_window_new (uint32_t size, int64_t ack_timeout_ms, vent_pool_t *pool)
{
    vent_window_t *self = calloc (1, sizeof (vent_window_t));
    if (!self)
        return NULL;
    self->slots = size > 0 ? calloc (size, sizeof (s_slot_t)) : NULL;
    if (!self->slots) {
        free (self);
        return NULL;
    }
    self->size = size;
    self->ack_timeout_ms = ack_timeout_ms;
    self->pool = pool;
    self->resend_at = UINT64_MAX;
    self->scan_from = UINT64_MAX;
    self->scan_oldest = INT64_MAX;
    self->parked = UINT64_MAX;
    return self;
}

void
vent_window_set_max_deliver (vent_window_t *self, uint32_t max)
{
    self->max_deliver = max;
}

void
vent_window_set_max_bytes (vent_window_t *self, uint64_t max_bytes,
                           vent_window_extra_fn *extra)
{
    self->max_bytes = max_bytes;
    self->extra = extra;
}

/*  The item memory item holds, as the byte bound counts it.              */
static uint64_t
s_bytes (const pp_item_t *item)
{
    return sizeof (pp_item_t) + (uint64_t) item->len + 1;
}

void
vent_window_destroy (vent_window_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    vent_window_t *self = *self_p;
    for (uint32_t i = 0; i < self->size; i++) {
        pp_item_free (self->slots[i].item);
        free (self->slots[i].reason);
    }
    free (self->slots);
    free (self);
    *self_p = NULL;
}

bool
vent_window_full (const vent_window_t *self)
{
    if (self->next - self->base >= self->size)
        return true;
    if (self->max_bytes == 0 || self->bytes == 0)
        return false;
    uint64_t extra = self->extra ? self->extra () : 0;
    return self->bytes + extra >= self->max_bytes;
}

uint64_t
vent_window_bytes (const vent_window_t *self)
{
    return self->bytes;
}

uint64_t
vent_window_base (const vent_window_t *self)
{
    return self->base;
}

uint64_t
vent_window_next (const vent_window_t *self)
{
    return self->next;
}

uint64_t
vent_window_unacked (const vent_window_t *self)
{
    return self->unacked; /* counted: read on every dispatch turn    */
}

uint64_t
vent_window_redelivered (const vent_window_t *self)
{
    return self->redelivered;
}

uint64_t
vent_window_given_up (const vent_window_t *self)
{
    return self->given_up;
}

/*  True when the item of slot is decided already: it goes to any worker,
    to be passed to the sink unrun.                                        */
static bool
s_decided (const s_slot_t *slot)
{
    return slot->reason || slot->item->outcome != PP_OUTCOME_OK;
}

/*  How suspect the item of slot, due again, is: how many of its
    deliveries (this last one included) gave no outcome; 0 for a decided
    item, which runs nowhere.                                              */
static int
s_level (const s_slot_t *slot)
{
    int last = !slot->unsent && slot->why != S_WHY_FAILED;
    return s_decided (slot) ? 0 : slot->lost + last;
}

/*  True when entry i of the held suspects is still in flight.           */
static bool
s_held_live (const vent_window_t *self, uint32_t i)
{
    uint64_t seq = self->held[i].seq;
    if (seq < self->base || seq >= self->next)
        return false;
    const s_slot_t *slot = &self->slots[seq % self->size];
    return slot->item && slot->item->seq == seq && slot->suspect &&
           slot->owner == self->held[i].owner && slot->sent_ms != S_REQUEUED;
}

/*  Forgets the held suspects that are settled.                          */
static void
s_held_purge (vent_window_t *self)
{
    for (uint32_t i = 0; i < self->nheld;)
        if (s_held_live (self, i))
            i++;
        else
            self->held[i] = self->held[--self->nheld];
}

/*  True when owner may take seq, a suspect of level (>= S_SUSPECT_LOST),
    beside the suspects it holds: one lost twice while it holds fewer than
    S_GROUP of those; one lost more while it holds no other such.          */
static bool
s_may_hold (vent_window_t *self, uint32_t owner, uint64_t seq, int level)
{
    s_held_purge (self);
    int group = 0;
    for (uint32_t i = 0; i < self->nheld; i++) {
        if (self->held[i].owner != owner || self->held[i].seq == seq)
            continue;
        const s_slot_t *held = &self->slots[self->held[i].seq % self->size];
        if (held->lost >= S_ALONE_LOST && level >= S_ALONE_LOST)
            return false;
        group += held->lost < S_ALONE_LOST;
    }
    return level >= S_ALONE_LOST || group < S_GROUP;
}

/*  Remembers that owner holds suspect seq (past S_HELD suspects in
    flight, the oldest entry gives way).                                   */
static void
s_hold (vent_window_t *self, uint32_t owner, uint64_t seq)
{
    if (self->nheld == S_HELD)
        s_held_purge (self);
    if (self->nheld == S_HELD)
        self->held[0] = self->held[--self->nheld];
    self->held[self->nheld].owner = owner;
    self->held[self->nheld++].seq = seq;
}

/*  Appends the item of slot (seq) to batch as sent to owner at now_ms:
    the item, or, given up, its failure with the item as its input.       */
static int
s_send (vent_window_t *self, s_slot_t *slot, uint64_t seq, pp_batch_t *batch,
        uint32_t owner, int64_t now_ms)
{
    const pp_item_t *item = slot->item;
    pp_record_t rec = {.seq = seq,
                       .t_enq_us = item->t_enq_us,
                       .record = item->record,
                       .len = item->len,
                       .outcome = item->outcome,
                       .attempt = item->attempt,
                       .data = item->data};
    if (slot->reason) {
        rec.data = slot->reason;
        rec.len = (uint32_t) strlen (slot->reason);
        rec.outcome = PP_OUTCOME_FAILED;
        rec.input = item->data;
        rec.input_len = item->len;
    }
    bool suspect = !s_decided (slot) && slot->lost >= S_SUSPECT_LOST;
    slot->sent_ms = now_ms;
    slot->owner = owner;
    slot->suspect = suspect;
    if (suspect)
        s_hold (self, owner, seq);
    if (slot->deliveries < UINT16_MAX)
        slot->deliveries++;
    return pp_batch_add (batch, &rec);
}

static void s_scan_from (vent_window_t *self, uint64_t seq);

void
vent_window_set_numbered (vent_window_t *self, vent_window_numbered_fn *fn,
                          void *ctx)
{
    self->numbered = fn;
    self->numbered_ctx = ctx;
}

/*  Numbers item: the next seq, its slot cleared of the last occupant.   */
static s_slot_t *
s_number (vent_window_t *self, pp_item_t *item)
{
    uint64_t seq = self->next++;
    s_slot_t *slot = &self->slots[seq % self->size];
    free (slot->reason);
    *slot = (s_slot_t){.item = item}; /* nothing of the last occupant */
    self->unacked++;
    item->seq = seq;
    self->bytes += s_bytes (item);
    if (self->numbered)
        self->numbered (self->numbered_ctx, item);
    return slot;
}

int
vent_window_put (vent_window_t *self, pp_item_t *item, pp_batch_t *batch,
                 uint32_t owner, int64_t now_ms)
{
    s_slot_t *slot = s_number (self, item);
    return s_send (self, slot, item->seq, batch, owner, now_ms);
}

int
vent_window_restore (vent_window_t *self, pp_item_t *item, bool acked)
{
    if (self->next - self->base >= self->size)
        return PP_ERANGE;
    s_slot_t *slot = s_number (self, item);
    if (acked) {
        vent_window_ack (self, item->seq, 1);
        return 0;
    }
    slot->sent_ms = S_REQUEUED; /* sent by the run before: due again   */
    s_scan_from (self, item->seq);
    return 0;
}

void
vent_window_acked_runs (const vent_window_t *self, vent_window_range_fn *fn,
                        void *arg)
{
    if (self->base > 0)
        fn (arg, 0, self->base);
    uint64_t run = 0; /* acked items in a row, ending at seq           */
    for (uint64_t seq = self->base; seq <= self->next; seq++) {
        bool acked = seq < self->next && !self->slots[seq % self->size].item;
        if (acked)
            run++;
        else if (run > 0) {
            fn (arg, seq - run, run);
            run = 0;
        }
    }
}

/*  What the scan does with an item.                                       */
typedef enum {
    S_NOT_DUE, /* acked, or not due yet                              */
    S_SEND,    /* to owner now                                       */
    S_SKIP,    /* for another worker (credit flow): scan again at once */
    S_PARK     /* it waits for a worker without credit yet, or (push
                  flow) for the suspect in flight to settle: scanned
                  again at the next tick or when that one settles     */
} s_verdict_t;

/*  True when owner is one of the workers the item of slot failed on.     */
static bool
s_avoids (const s_slot_t *slot, uint32_t owner)
{
    for (int i = 0; i < VENT_WINDOW_AVOID; i++)
        if (slot->avoid[i] == owner)
            return true;
    return false;
}

/*  What the scan does at now with the item in slot (seq), due at due_ms,
    for owner.                                                             */
static s_verdict_t
s_judge (vent_window_t *self, const s_slot_t *slot, uint64_t seq,
         int64_t due_ms, uint32_t owner, vent_window_other_fn *other, void *ctx)
{
    if (!slot->item || slot->sent_ms > due_ms)
        return S_NOT_DUE;
    bool spent = self->max_deliver > 0 && slot->deliveries >= self->max_deliver;
    if (s_decided (slot) || spent)
        return S_SEND; /* it goes unrun: to anyone                   */
    if (owner != 0 && other && s_avoids (slot, owner)) {
        vent_window_other_t elsewhere =
            other (ctx, slot->avoid, VENT_WINDOW_AVOID);
        if (elsewhere == VENT_OTHER_NOW)
            return S_SKIP;
        if (elsewhere == VENT_OTHER_LATER)
            return S_PARK;
    }
    int level = s_level (slot);
    if (level >= S_SUSPECT_LOST && !s_may_hold (self, owner, seq, level))
        return owner != 0 ? S_SKIP : S_PARK; /* push: wait for it      */
    return S_SEND;
}

/*  Why the last delivery of slot gave no outcome, into text.             */
static void
s_why_text (const vent_window_t *self, const s_slot_t *slot, char *text,
            size_t size)
{
    switch (slot->why) {
        case S_WHY_LOST:
            snprintf (text, size, "worker %08x was lost holding it",
                      slot->why_worker);
            break;
        case S_WHY_FAILED:
            snprintf (text, size, "it failed on worker %08x", slot->why_worker);
            break;
        default:
            if (slot->why_worker)
                snprintf (text, size,
                          "no result from worker %08x within --ack-timeout "
                          "(%lld ms)",
                          slot->why_worker, (long long) self->ack_timeout_ms);
            else
                snprintf (text, size,
                          "no result within --ack-timeout (%lld ms)",
                          (long long) self->ack_timeout_ms);
    }
}

/*  The item of slot had max deliveries: it becomes a failure with a
    reason. Out of memory it is sent as it is, and given up next time.    */
static void
s_give_up (vent_window_t *self, s_slot_t *slot)
{
    char why[S_REASON_MAX - 40];
    s_why_text (self, slot, why, sizeof (why));
    slot->reason = malloc (S_REASON_MAX);
    if (!slot->reason)
        return;
    snprintf (slot->reason, S_REASON_MAX, "gave up after %u deliveries: %s",
              (unsigned) slot->deliveries, why);
    self->given_up++;
}

/*  The suspect in slot is settled (acked, requeued, sent again): what
    waited for it is scanned again.                                        */
static bool
s_unhold (s_slot_t *slot)
{
    bool was = slot->suspect;
    slot->suspect = false;
    return was;
}

/*  The running scan goes back to seq (or one starts there).              */
static void
s_scan_from (vent_window_t *self, uint64_t seq)
{
    if (self->resend_at > seq)
        self->resend_at = seq;
    if (self->scan_from > seq)
        self->scan_from = seq;
}

/*  The items parked are scanned again.                                    */
static void
s_unpark (vent_window_t *self)
{
    if (self->parked != UINT64_MAX)
        s_scan_from (self, self->parked);
    self->parked = UINT64_MAX;
}

/*  Appends slot (seq), due again, to batch: a redelivery, unless it was
    requeued before it ever left; past --max-deliver, given up. Sets
    *settled when it was a suspect in flight.                              */
static int
s_resend (vent_window_t *self, s_slot_t *slot, uint64_t seq, pp_batch_t *batch,
          uint32_t owner, int64_t now_ms, bool *settled)
{
    if (!slot->unsent) {
        if (slot->why == S_WHY_TIMEOUT)
            slot->why_worker = slot->owner;
        if (slot->why != S_WHY_FAILED && slot->lost < UINT8_MAX)
            slot->lost++;
        if (slot->item->attempt < 255)
            slot->item->attempt++;
        self->redelivered++;
    }
    slot->unsent = false;
    if (self->max_deliver > 0 && slot->deliveries >= self->max_deliver &&
        !s_decided (slot))
        s_give_up (self, slot);
    *settled = s_unhold (slot) || *settled;
    int rc = s_send (self, slot, seq, batch, owner, now_ms);
    slot->why = S_WHY_TIMEOUT; /* until something else is known        */
    return rc;
}

/*  The scan passed the last item: the next one starts no sooner than the
    oldest send it saw falls due (items sent later fall due later still).
    A scan that began above base (a requeue started it) did not see the
    items below: it may not put the next scan off past their deadline.    */
static void
s_scan_done (vent_window_t *self, int64_t now_ms)
{
    int64_t oldest = self->scan_oldest < now_ms ? self->scan_oldest : now_ms;
    int64_t due_ms = oldest + self->ack_timeout_ms;
    if (self->scan_from > self->base && self->next_scan_ms < due_ms)
        due_ms = self->next_scan_ms;
    self->next_scan_ms = due_ms;
    self->resend_at = UINT64_MAX;
    self->scan_from = UINT64_MAX;
    self->scan_oldest = INT64_MAX;
}

int
vent_window_resend (vent_window_t *self, pp_batch_t *batch, uint32_t max_items,
                    uint32_t owner, int64_t now_ms, vent_window_other_fn *other,
                    void *ctx)
{
    if (self->resend_at == UINT64_MAX)
        return 0; /* no scan running                                    */
    if (self->resend_at < self->base)
        self->resend_at = self->base;
    int64_t due_ms = now_ms - self->ack_timeout_ms;
    uint64_t skipped = UINT64_MAX; /* first item left for another worker */
    uint64_t parked = UINT64_MAX;  /* first item left to wait           */
    bool settled = false;          /* a suspect in flight was resent    */
    uint64_t index = self->resend_at % self->size; /* no % per slot    */
    int rc = 0;
    while (rc == 0 && self->resend_at < self->next &&
           !pp_batch_full (batch, max_items)) {
        s_slot_t *slot = &self->slots[index];
        uint64_t seq = self->resend_at;
        switch (s_judge (self, slot, seq, due_ms, owner, other, ctx)) {
            case S_SEND:
                rc = s_resend (self, slot, seq, batch, owner, now_ms, &settled);
                break;
            case S_SKIP: skipped = skipped < seq ? skipped : seq; break;
            case S_PARK: parked = parked < seq ? parked : seq; break;
            case S_NOT_DUE: break;
        }
        if (slot->item && slot->sent_ms < self->scan_oldest)
            self->scan_oldest = slot->sent_ms;
        self->resend_at++;
        if (++index == self->size)
            index = 0;
    }
    if (self->resend_at >= self->next)
        s_scan_done (self, now_ms);
    if (skipped < self->resend_at)
        s_scan_from (self, skipped);
    if (parked < self->parked)
        self->parked = parked;
    if (settled)
        s_unpark (self);
    return rc;
}

void
vent_window_tick (vent_window_t *self, int64_t now_ms)
{
    if (now_ms - self->scan_ms < VENT_WINDOW_SCAN_MS)
        return;
    bool due = now_ms >= self->next_scan_ms;
    if (!due && self->parked == UINT64_MAX)
        return;
    self->scan_ms = now_ms;
    s_unpark (self);
    if (due) /* from base even if a scan runs: it may have begun above */
        s_scan_from (self, self->base);
}

/*  The part of [first, first + n) inside [base, next), as [*from, *to).  */
static void
s_clamp (const vent_window_t *self, uint64_t first, uint64_t n, uint64_t *from,
         uint64_t *to)
{
    uint64_t end = n > UINT64_MAX - first ? UINT64_MAX : first + n;
    *from = first < self->base ? self->base : first;
    *to = end > self->next ? self->next : end;
}

void
vent_window_ack (vent_window_t *self, uint64_t first, uint64_t n)
{
    uint64_t from, to;
    s_clamp (self, first, n, &from, &to);
    bool settled = false;
    for (uint64_t seq = from; seq < to; seq++) {
        s_slot_t *slot = &self->slots[seq % self->size];
        settled = s_unhold (slot) || settled;
        if (slot->item) {
            self->unacked--;
            self->bytes -= s_bytes (slot->item);
        }
        vent_pool_free (self->pool, slot->item);
        slot->item = NULL;
        free (slot->reason);
        slot->reason = NULL;
    }
    while (self->base < self->next &&
           !self->slots[self->base % self->size].item)
        self->base++;
    if (settled)
        s_unpark (self);
}

/*  Puts worker first among those slot's item failed on.                  */
static void
s_avoid (s_slot_t *slot, uint32_t worker)
{
    int i = 0;
    while (i < VENT_WINDOW_AVOID - 1 && slot->avoid[i] != worker)
        i++;
    for (; i > 0; i--)
        slot->avoid[i] = slot->avoid[i - 1];
    slot->avoid[0] = worker;
}

void
vent_window_retry (vent_window_t *self, uint64_t first, uint64_t n,
                   uint32_t worker_id)
{
    uint64_t from, to;
    s_clamp (self, first, n, &from, &to);
    for (uint64_t seq = from; seq < to; seq++) {
        s_slot_t *slot = &self->slots[seq % self->size];
        uint32_t failed_on = worker_id ? worker_id : slot->owner;
        vent_window_requeue (self, seq);
        if (!slot->item)
            continue;
        slot->why = S_WHY_FAILED;
        slot->why_worker = failed_on;
        if (failed_on)
            s_avoid (slot, failed_on);
    }
}

void
vent_window_requeue (vent_window_t *self, uint64_t seq)
{
    if (seq < self->base || seq >= self->next)
        return;
    s_slot_t *slot = &self->slots[seq % self->size];
    if (!slot->item)
        return;
    slot->why = S_WHY_LOST;
    slot->why_worker = slot->owner;
    slot->sent_ms = S_REQUEUED;
    slot->owner = 0;
    s_scan_from (self, seq);
    if (s_unhold (slot))
        s_unpark (self);
}

void
vent_window_requeue_owner (vent_window_t *self, uint32_t owner)
{
    for (uint64_t seq = self->base; seq < self->next; seq++)
        if (self->slots[seq % self->size].owner == owner)
            vent_window_requeue (self, seq);
}

void
vent_window_unsent (vent_window_t *self, uint64_t seq)
{
    if (seq < self->base || seq >= self->next)
        return;
    s_slot_t *slot = &self->slots[seq % self->size];
    if (!slot->item || slot->unsent)
        return;
    slot->unsent = true;
    slot->why = S_WHY_TIMEOUT;
    if (slot->deliveries > 0)
        slot->deliveries--;
}

void
vent_window_stall (vent_window_t *self, int64_t lost_ms)
{
    for (uint64_t seq = self->base; seq < self->next; seq++) {
        s_slot_t *slot = &self->slots[seq % self->size];
        if (slot->item && slot->sent_ms > S_REQUEUED)
            slot->sent_ms += lost_ms;
    }
    self->next_scan_ms += lost_ms;
}
