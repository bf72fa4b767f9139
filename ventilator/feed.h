/*  vent_feed: the records of the run, in order, as items ready to number.

    The feed takes records from the input (vent_input) and hands them out
    one by one. It paces them (--rate), and when the window is full it
    reads ahead into its inbox, full at ahead items or ahead_bytes of
    item memory (big items: a handful), where --overflow decides what a
    full inbox means: block (stop reading), drop (count the record
    dropped, it is never numbered) or spill (queue it on disk). A drain
    stops the reading; what was read still goes out. Once nothing more
    will come, the total is final.

    Its states, one at a time:
      READING  records may be read from the input
      NEED_FD  the input's fd must be read first (poll it, vent_feed_fill)
      STOPPED  a drain stopped the reading; what was read still goes out
      EOF      the input has no more records; what was read still goes out
      ENDED    every record read went out: the total is final

    No sockets and no clock: times are the caller's (now_ms from
    pp_now_ms, now_us from pp_wall_us, read once per batch).               */

#ifndef VENT_FEED_H_INCLUDED
#define VENT_FEED_H_INCLUDED

#include "input.h"
#include "pool.h"
#include "pp_chan.h"
#include "pp_item.h"
#include "pp_job.h"
#include "pp_worker.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum {
    VENT_FEED_READING, /* records may be read                         */
    VENT_FEED_NEED_FD, /* the input's fd must be read first           */
    VENT_FEED_STOPPED, /* drained: no more reading                    */
    VENT_FEED_EOF,     /* the input ended                             */
    VENT_FEED_ENDED    /* all read went out: the total is final       */
} vent_feed_state_t;

typedef struct {
    uint64_t run_id;    /* stamped on every item                       */
    size_t ahead;       /* the inbox: records read ahead, in memory    */
    size_t ahead_bytes; /* ... and their item memory at most (0: none;
                           spill: ring of ahead_bytes / max_item)     */
    double rate;        /* --rate items/s, 0 = unpaced                 */
    uint64_t skip;      /* --skip, for the resume hints                */
    uint64_t max_item;  /* --max-item-size, for the oversized reason   */
} vent_feed_config_t;

typedef struct _vent_feed_t vent_feed_t;

/*  A feed of input's records (the caller keeps input and must outlive
    the feed), items allocated from pool. --overflow is block until
    vent_feed_set_overflow. NULL on OOM.                                   */
vent_feed_t *vent_feed_new (vent_input_t *input, vent_pool_t *pool,
                            const vent_feed_config_t *config);

/*  Frees the items read and not handed out, and the feed; NULL-safe,
    nulls *self_p.                                                         */
void vent_feed_destroy (vent_feed_t **self_p);

/*  --overflow: what a full inbox does (spill files go in dir). Returns 0,
    or PP_EIO when no spill file can be made in dir (errno says why).     */
int vent_feed_set_overflow (vent_feed_t *self, pp_overflow_t overflow,
                            const char *dir);

/*  The state, for the caller's loop and the tests.                        */
vent_feed_state_t vent_feed_state (const vent_feed_t *self);

/*  Dispatch begins at now_ms: --rate counts from here.                   */
void vent_feed_start (vent_feed_t *self, int64_t now_ms);

/*  The next item, in input order: read ahead first, else from the input
    when --rate allows at now_ms. Returns 1 with *item_p (the caller owns
    it), 0 when there is none now, PP_ENOMEM, or PP_EIO when records read
    ahead into --spill-dir could not be read back (logged: the run cannot
    be whole). An oversized record is an item that failed already: it
    still gets its outcome at the sink.                                    */
int vent_feed_next (vent_feed_t *self, int64_t now_ms, uint64_t now_us,
                    pp_item_t **item_p);

/*  The window is full: reads what --rate allows into the inbox, under
    --overflow. Returns 0 or PP_ENOMEM (a full disk pauses the reading,
    logged: nothing is lost).                                              */
int vent_feed_read_ahead (vent_feed_t *self, int64_t now_ms, uint64_t now_us);

/*  True when an item could be handed out now without waiting: read ahead
    with room in the window, or readable now (when there is no room, only
    into an inbox that does not block).                                    */
bool vent_feed_ready (const vent_feed_t *self, bool room, int64_t now_ms);

/*  True when the input's fd should be polled: more must be read and
    --rate allows it at now_ms.                                            */
bool vent_feed_wants_fd (const vent_feed_t *self, int64_t now_ms);

/*  The fd polled readable: reads it once. Returns 0, or PP_EIO (errno
    says why).                                                             */
int vent_feed_fill (vent_feed_t *self);

/*  Drain: read no more input (logs the --skip that resumes after the
    last record read). Nothing in EOF or ENDED.                            */
void vent_feed_stop (vent_feed_t *self);

/*  True once the total is final (ENDED).                                  */
bool vent_feed_ended (const vent_feed_t *self);

/*  The records the run is expected to hold, ahead of the total (as
    vent_input_expected); 0 once a drain stopped the reading.             */
uint64_t vent_feed_expected (const vent_feed_t *self, bool *exact);

/*  Records dropped by --overflow drop: never numbered.                    */
uint64_t vent_feed_dropped (const vent_feed_t *self);

/*  Milliseconds reading was paused so far, up to now_ms, because a full
    window filled the inbox too (--overflow block; 0 under drop, spill).   */
int64_t vent_feed_paused_ms (const vent_feed_t *self, int64_t now_ms);

/*  The caller did not run for lost_ms (pp_stall): --rate does not catch
    up on the records it did not send meanwhile.                           */
void vent_feed_stall (vent_feed_t *self, int64_t lost_ms);

#endif
