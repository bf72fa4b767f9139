/*  sink_journal: what makes pp-sink --output FILE restartable.

    Beside FILE the sink keeps FILE.journal, an append-only list of
    checkpoints. A checkpoint is written after the output is flushed and
    before the acks it carries are sent, and says: the output is valid up
    to this offset, these sequence numbers are in it (as ranges), and
    these were the counts. After a crash, --resume truncates FILE to the
    last complete checkpoint and knows every seq already written, so
    nothing is written twice and nothing acked is missing: exactly-once
    output on top of at-least-once delivery.

    A write that fails (a full disk) leaves the journal as it was before
    that record -- the part that got in is cut off, or skipped on read --
    and the journal takes no more records: the caller must not ack what
    the failed record carried, and stops. The journal then vouches for
    less than FILE may hold, never more; --resume cuts FILE back to it.
    Not fsynced per checkpoint: a killed process is covered, a power loss
    may lose the last checkpoints.                                         */

#ifndef SINK_JOURNAL_H_INCLUDED
#define SINK_JOURNAL_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

/*  A side file's length when it is not known: none was kept, or the
    checkpoint is of the first format (PPJ1), from before they were.      */
#define SINK_OFFSET_NONE UINT64_MAX

typedef struct {
    uint64_t run_id;
    uint32_t window;
    uint64_t offset;        /* output bytes that are valid               */
    uint64_t joblog_offset; /* --joblog bytes that are valid, or NONE   */
    uint64_t failed_offset; /* --failed bytes that are valid, or NONE   */
    uint64_t ok, failed, dropped, duplicates, not_summed;
    int64_t int_sum;
} sink_checkpoint_t;

typedef struct _sink_journal_t sink_journal_t;

/*  Called for every range of every complete checkpoint, in order.        */
typedef int (sink_range_fn) (void *arg, uint64_t first, uint64_t n);

/*  Reads path: calls on_range for each range, fills *last with the last
    complete checkpoint. Returns 1 (found one), 0 (no journal or empty),
    or a negative error: PP_EIO (unreadable), PP_ENOMEM, or what on_range
    returned when it refused a range.                                      */
int sink_journal_read (const char *path, sink_checkpoint_t *last,
                       sink_range_fn *on_range, void *arg);

/*  Starts path afresh (truncated), ready to append. NULL on error.        */
sink_journal_t *sink_journal_create (const char *path);

/*  Appends a checkpoint with nranges ranges. The first one also makes the
    file the journal (synced, renamed over path). Returns 0, or PP_EIO
    (PP_ENOMEM) with errno set; after a failure every later write fails.   */
int sink_journal_write (sink_journal_t *self, const sink_checkpoint_t *cp,
                        const uint64_t *first, const uint64_t *n,
                        uint32_t nranges);

/*  Bytes of whole records in the journal.                                 */
uint64_t sink_journal_size (const sink_journal_t *self);

/*  Closes the journal; removes its file when remove_file. NULL-safe.      */
void sink_journal_destroy (sink_journal_t **self_p, bool remove_file);

#endif
