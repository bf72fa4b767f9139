/*  vent_window: the items sent and not acked yet.

    A ring of --window slots over sequence numbers [base, next): put
    numbers an item and keeps it until the sink acks it, so an item that
    is lost can be sent again, and the caller reads no more while the
    window is full -- memory stays flat however long the input is. Full
    is --window items, or --window-bytes of them (item memory): big items
    fill it by bytes long before by count. An item is put while the
    window holds less than the byte bound, so it holds at most the bound
    plus one item, and an item bigger than the bound still goes alone.

    Each slot remembers when its item was last sent and to whom (its
    owner, a worker id in credit flow, 0 in push flow). An item not acked
    within the ack timeout is due again; so is one requeued (its worker
    died or handed it back) or retried (it failed; --retries). A resend
    scan walks the window from base at most every VENT_WINDOW_SCAN_MS, and
    not before the oldest send it saw last time falls due.

    --max-deliver: every send counts, except one that never left or that
    a leaving worker handed back unrun. An item due again after max
    deliveries is given up: it goes out once more as a TASK record that is
    decided already (failed, data "gave up after N deliveries: <why the
    last one did not end>", its input after it), which the worker passes
    to the sink unrun -- a poison item cannot stall a run.

    Suspects: an item two of whose deliveries ended with no result (its
    worker was lost, or no ack came in time) may be what killed the
    workers. A worker (push flow: the workers as a whole, owner 0) holds
    at most 32 suspects lost twice in flight, and one lost three times or
    more only while it holds no other such. A poison item loses every
    delivery, so from its fourth on it never travels beside an item lost
    three times: the items lost beside it end within 4 deliveries, well
    inside a --max-deliver of 4 or more. (One loss is not enough to
    suspect an item: every item a lost worker held, or a slow sink did
    not ack in time, is due at once; and the groups of 32 keep the many
    items a push flow worker holds from going one round trip at a time.)

    No sockets and no clock: every time is the caller's now_ms (pp_now_ms
    in the ventilator, made up in the unit tests).                         */

#ifndef VENT_WINDOW_H_INCLUDED
#define VENT_WINDOW_H_INCLUDED

#include "pool.h"
#include "pp_item.h"
#include "pp_job.h"
#include "pp_net.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*  Resend scans start at most this often.                                 */
#define VENT_WINDOW_SCAN_MS 200

typedef struct _vent_window_t vent_window_t;

/*  Workers a slot remembers that an item failed on (--retries).          */
#define VENT_WINDOW_AVOID 3

/*  Is a worker other than those of avoid[n] there to take a retried
    item? NOW: one has credit now; LATER: one is there, without credit
    yet (the item waits for it); NONE: no other worker is there.           */
typedef enum {
    VENT_OTHER_NONE,
    VENT_OTHER_LATER,
    VENT_OTHER_NOW
} vent_window_other_t;
typedef vent_window_other_t (vent_window_other_fn) (void *ctx,
                                                    const uint32_t *avoid,
                                                    size_t n);

/*  Called with every item as it is numbered (--journal hashes them).    */
typedef void (vent_window_numbered_fn) (void *ctx, const pp_item_t *item);

/*  Called with each acked range [first, first + n), in order.           */
typedef void (vent_window_range_fn) (void *arg, uint64_t first, uint64_t n);

/*  A window of size slots (>= 1) whose items are due again ack_timeout_ms
    after their last send; acked items go back to pool. NULL on OOM.      */
vent_window_t *vent_window_new (uint32_t size, int64_t ack_timeout_ms,
                                vent_pool_t *pool);

/*  At most max deliveries of an item (--max-deliver; 0: no limit, the
    default of a new window).                                              */
void vent_window_set_max_deliver (vent_window_t *self, uint32_t max);

/*  Bytes held elsewhere that count against the byte bound (copies of
    items sent, which the sockets have not let go yet).                   */
typedef uint64_t (vent_window_extra_fn) (void);

/*  At most max_bytes of item memory unacked (--window-bytes; 0: no
    bound, the default of a new window), with what extra (may be NULL)
    says is held elsewhere: full at max_bytes or more. Never full by
    bytes while it holds no item: what is elsewhere goes by itself.       */
void vent_window_set_max_bytes (vent_window_t *self, uint64_t max_bytes,
                                vent_window_extra_fn *extra);

/*  Frees the items still held and the window; NULL-safe, nulls *self_p.   */
void vent_window_destroy (vent_window_t **self_p);

/*  True when size items, or the byte bound's worth, are unacked: put
    must wait for an ack.                                                  */
bool vent_window_full (const vent_window_t *self);

/*  The lowest unacked seq, and the seq put gives next (the items numbered
    so far).                                                               */
uint64_t vent_window_base (const vent_window_t *self);
uint64_t vent_window_next (const vent_window_t *self);

/*  Bytes of item memory the unacked items hold (what the byte bound
    counts: each item's header and data).                                  */
uint64_t vent_window_bytes (const vent_window_t *self);

/*  Items numbered and not acked yet (walks the window).                   */
uint64_t vent_window_unacked (const vent_window_t *self);

/*  Items sent again so far (a requeued item that never left is not).     */
uint64_t vent_window_redelivered (const vent_window_t *self);

/*  Items given up after --max-deliver deliveries so far.                  */
uint64_t vent_window_given_up (const vent_window_t *self);

/*  Numbers item (seq = vent_window_next), keeps it, and appends it to
    batch as sent to owner at now_ms. The window must not be full. Returns
    0, or PP_ENOMEM when the batch cannot grow (the item is kept).         */
int vent_window_put (vent_window_t *self, pp_item_t *item, pp_batch_t *batch,
                     uint32_t owner, int64_t now_ms);

/*  fn (ctx) hears of every item numbered from now on (NULL: none).      */
void vent_window_set_numbered (vent_window_t *self, vent_window_numbered_fn *fn,
                               void *ctx);

/*  --resume: numbers item (seq = vent_window_next) as it was numbered
    before. Acked, it is freed at once (the sink has it); else it is kept,
    due at once, and its next send counts as sent again. Returns 0, or
    PP_ERANGE when size items are unacked (the caller still owns item).
    The byte bound is not checked: the run before held these items
    under it (a --window-bytes smaller now holds them all the same).     */
int vent_window_restore (vent_window_t *self, pp_item_t *item, bool acked);

/*  Calls fn with every acked range of [0, next): [0, base), then the runs
    of acked items above base.                                            */
void vent_window_acked_runs (const vent_window_t *self,
                             vent_window_range_fn *fn, void *arg);

/*  Appends to batch, until pp_batch_full (batch, max_items), the items of
    the running resend scan that are due at now_ms, as sent to owner. An
    item that failed on owner is left for another worker while other says
    one is there (other may be NULL: none is); a suspect is left while
    owner holds another. Items left for a worker with credit now are
    scanned again at once, the others at the next tick or once the
    suspect they wait for is settled. Returns 0 or PP_ENOMEM.             */
int vent_window_resend (vent_window_t *self, pp_batch_t *batch,
                        uint32_t max_items, uint32_t owner, int64_t now_ms,
                        vent_window_other_fn *other, void *ctx);

/*  Starts a resend scan when one may find something due at now_ms.       */
void vent_window_tick (vent_window_t *self, int64_t now_ms);

/*  The sink recorded [first, first + n): those items are freed and base
    moves past them. Seqs outside [base, next) are ignored.               */
void vent_window_ack (vent_window_t *self, uint64_t first, uint64_t n);

/*  [first, first + n) failed on worker_id (0: unknown, taken as the
    worker each was last sent to) and may be tried again (--retries): due
    at once, and not for the last VENT_WINDOW_AVOID workers each failed
    on while another worker is there.                                      */
void vent_window_retry (vent_window_t *self, uint64_t first, uint64_t n,
                        uint32_t worker_id);

/*  Makes item seq due at once, if it is still unacked; it has no owner.   */
void vent_window_requeue (vent_window_t *self, uint64_t seq);

/*  Requeues every unacked item owner holds (the worker is gone).          */
void vent_window_requeue_owner (vent_window_t *self, uint32_t owner);

/*  Marks a requeued item as never sent (its batch did not leave, or a
    leaving worker handed it back unrun): its next send is no redelivery
    and its last send does not count for --max-deliver.                    */
void vent_window_unsent (vent_window_t *self, uint64_t seq);

/*  The caller did not run for lost_ms (pp_stall): every ack deadline and
    the next scan move by that, so nothing falls due for time nobody
    could ack in.                                                          */
void vent_window_stall (vent_window_t *self, int64_t lost_ms);

#endif
