/*  vent_window: a ring of slots over [base, next), and the resend scan.  */

#include "window.h"
#include "pp_error.h"

#include <stdlib.h>

#define S_REQUEUED (INT64_MIN / 2) /* sent_ms of an item due whatever  */

typedef struct {
    pp_item_t *item; /* NULL once acked                         */
    int64_t sent_ms; /* last (re)send, or S_REQUEUED            */
    uint32_t owner;  /* credit flow: worker that holds it       */
    uint32_t avoid;  /* --retries: the worker it failed on      */
    bool unsent;     /* requeued before it ever left            */
} s_slot_t;

struct _vent_window_t {
    s_slot_t *slots;
    uint32_t size;          /* slots, the --window                */
    int64_t ack_timeout_ms; /* an unacked item is due again after */
    vent_pool_t *pool;      /* where acked items go               */
    uint64_t base;          /* lowest unacked seq                 */
    uint64_t next;          /* seq of the next item put           */
    uint64_t resend_at;     /* resend scan position, or UINT64_MAX */
    uint64_t scan_from;     /* where the running scan began        */
    int64_t scan_ms;        /* the last scan started              */
    int64_t next_scan_ms;   /* no scan before: nothing is due     */
    int64_t scan_oldest;    /* oldest send seen by the running scan */
    uint64_t redelivered;   /* items sent again                   */
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
    return self;
}

void
vent_window_destroy (vent_window_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    vent_window_t *self = *self_p;
    for (uint32_t i = 0; i < self->size; i++)
        pp_item_free (self->slots[i].item);
    free (self->slots);
    free (self);
    *self_p = NULL;
}

bool
vent_window_full (const vent_window_t *self)
{
    return self->next - self->base >= self->size;
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
    uint64_t n = 0;
    for (uint64_t seq = self->base; seq < self->next; seq++)
        n += self->slots[seq % self->size].item != NULL;
    return n;
}

uint64_t
vent_window_redelivered (const vent_window_t *self)
{
    return self->redelivered;
}

/*  Appends the item of slot (seq) to batch as sent to owner at now_ms.   */
static int
s_send (s_slot_t *slot, uint64_t seq, pp_batch_t *batch, uint32_t owner,
        int64_t now_ms)
{
    const pp_item_t *item = slot->item;
    pp_record_t rec = {.seq = seq,
                       .t_enq_us = item->t_enq_us,
                       .len = item->len,
                       .outcome = item->outcome,
                       .attempt = item->attempt,
                       .data = item->data};
    slot->sent_ms = now_ms;
    slot->owner = owner;
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
    *slot = (s_slot_t){.item = item};
    item->seq = seq;
    if (self->numbered)
        self->numbered (self->numbered_ctx, item);
    return slot;
}

int
vent_window_put (vent_window_t *self, pp_item_t *item, pp_batch_t *batch,
                 uint32_t owner, int64_t now_ms)
{
    s_slot_t *slot = s_number (self, item);
    return s_send (slot, item->seq, batch, owner, now_ms);
}

int
vent_window_restore (vent_window_t *self, pp_item_t *item, bool acked)
{
    if (vent_window_full (self))
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

/*  True when the item in slot is due at due_ms and may go to owner. A
    retried item goes to another worker while one can take it (*skip is
    set: the scan comes back for it).                                      */
static bool
s_due_for (const s_slot_t *slot, int64_t due_ms, uint32_t owner,
           vent_window_other_fn *other, void *ctx, bool *skip)
{
    if (!slot->item || slot->sent_ms > due_ms)
        return false;
    *skip = owner != 0 && slot->avoid == owner && other && other (ctx, owner);
    return !*skip;
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

/*  The running scan goes back to seq (or one starts there).              */
static void
s_scan_from (vent_window_t *self, uint64_t seq)
{
    if (self->resend_at > seq)
        self->resend_at = seq;
    if (self->scan_from > seq)
        self->scan_from = seq;
}

/*  Appends slot (seq), due again, to batch: a redelivery, unless it was
    requeued before it ever left.                                          */
static int
s_resend (vent_window_t *self, s_slot_t *slot, uint64_t seq, pp_batch_t *batch,
          uint32_t owner, int64_t now_ms)
{
    if (!slot->unsent && slot->item->attempt < 255) {
        slot->item->attempt++;
        self->redelivered++;
    }
    slot->unsent = false;
    return s_send (slot, seq, batch, owner, now_ms);
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
    uint64_t index = self->resend_at % self->size; /* no % per slot    */
    int rc = 0;
    while (rc == 0 && self->resend_at < self->next &&
           !pp_batch_full (batch, max_items)) {
        s_slot_t *slot = &self->slots[index];
        bool skip = false;
        if (s_due_for (slot, due_ms, owner, other, ctx, &skip))
            rc = s_resend (self, slot, self->resend_at, batch, owner, now_ms);
        else if (skip && skipped == UINT64_MAX)
            skipped = self->resend_at;
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
    return rc;
}

void
vent_window_tick (vent_window_t *self, int64_t now_ms)
{
    if (now_ms - self->scan_ms < VENT_WINDOW_SCAN_MS ||
        now_ms < self->next_scan_ms)
        return;
    self->scan_ms = now_ms;
    if (self->resend_at == UINT64_MAX)
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
    for (uint64_t seq = from; seq < to; seq++) {
        s_slot_t *slot = &self->slots[seq % self->size];
        vent_pool_free (self->pool, slot->item);
        slot->item = NULL;
    }
    while (self->base < self->next &&
           !self->slots[self->base % self->size].item)
        self->base++;
}

void
vent_window_retry (vent_window_t *self, uint64_t first, uint64_t n)
{
    uint64_t from, to;
    s_clamp (self, first, n, &from, &to);
    for (uint64_t seq = from; seq < to; seq++) {
        s_slot_t *slot = &self->slots[seq % self->size];
        uint32_t failed_on = slot->owner;
        vent_window_requeue (self, seq);
        slot->avoid = failed_on;
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
    slot->sent_ms = S_REQUEUED;
    slot->owner = 0;
    s_scan_from (self, seq);
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
    if (seq >= self->base && seq < self->next)
        self->slots[seq % self->size].unsent = true;
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
