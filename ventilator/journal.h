/*  vent_journal: what makes pp-ventilator --journal FILE restartable.

    FILE is an append-only list of records: a HEAD (format version, run
    id, the options that decide the numbering) and PROGRESS records, each
    saying how many items were numbered so far, a hash over every record
    numbered (its outcome, length and bytes, in order), and the seq ranges
    the sink acked since the record before. Numbering is a pure function
    of the input and those options, so nothing else needs keeping: the
    same input read again numbers every record the same way, and the
    hashes prove it is the same input.

    Written in batches (vent_journal_tick, at most every
    VENT_JOURNAL_FLUSH_MS, or when VENT_JOURNAL_RANGES ranges wait), never
    per item; compacted as it grows (a fresh file -- HEAD, the hash
    samples, every acked range as few ranges -- renamed over FILE), and a
    torn last record (a crash mid-write) is ignored on reading, as the
    sink's journal does. Not fsynced per record: a killed process loses
    nothing it wrote, a power loss may lose the last records -- the acks
    they held make those items go out again, the sink drops the copies.

    Where the guarantee stops: records numbered after the last PROGRESS
    that reached the file are not covered by a hash; after a resume they
    are numbered again from the input as it is then.                      */

#ifndef VENT_JOURNAL_H_INCLUDED
#define VENT_JOURNAL_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VENT_JOURNAL_VERSION 1   /* the format this code writes and reads */
#define VENT_JOURNAL_FLUSH_MS 50 /* PROGRESS at most this often            */
#define VENT_JOURNAL_RANGES 256  /* ... or when this many ranges wait      */

typedef enum {
    VENT_JOURNAL_RECORDS = 1, /* FILE or stdin, split on delim         */
    VENT_JOURNAL_GENERATE,    /* --generate count                      */
    VENT_JOURNAL_WORKLOAD     /* --workload count --seed seed          */
} vent_journal_kind_t;

/*  What decides the numbering of a run (and its window).                 */
typedef struct {
    uint64_t run_id;
    uint32_t kind;     /* vent_journal_kind_t                          */
    uint32_t delim;    /* '\n' or '\0' (records)                       */
    uint32_t window;   /* --window                                     */
    uint32_t batch;    /* --batch (recorded, not checked)              */
    uint64_t skip;     /* --skip                                       */
    uint64_t count;    /* --generate N or --workload N                 */
    uint64_t seed;     /* --seed                                       */
    uint64_t max_item; /* --max-item-size: oversized records fail      */
} vent_journal_head_t;

typedef struct _vent_journal_t vent_journal_t;

/*  Called with each acked range [first, first + n) to write into a
    compacted journal.                                                     */
typedef void (vent_journal_range_fn) (void *arg, uint64_t first, uint64_t n);

/*  Lists every acked range of the run (through emit, in order).          */
typedef void (vent_journal_snapshot_fn) (void *ctx, vent_journal_range_fn *emit,
                                         void *arg);

/*  A journal for a new run described by head, at path (made when
    vent_journal_begin writes it). NULL on OOM.                           */
vent_journal_t *vent_journal_new (const char *path,
                                  const vent_journal_head_t *head);

/*  Reads the journal at path for --resume into *self_p (the caller owns
    it): the head, how many items were numbered, the hashes to check the
    input against, the acked ranges. Returns 0, or PP_EIO (no file,
    unreadable: errno set) or PP_EPROTO (not a ventilator journal, a newer
    format, a record that makes no sense); why then says what, in words. */
int vent_journal_load (const char *path, vent_journal_t **self_p, char *why,
                       size_t why_size);

/*  The head (read back, or given to vent_journal_new).                    */
const vent_journal_head_t *vent_journal_head (const vent_journal_t *self);

/*  Items a resumed run must number again before anything new: the count
    the journal vouches for (0 for a new run).                             */
uint64_t vent_journal_resumed (const vent_journal_t *self);

/*  During the resume: true when seq was acked by the sink. Seqs must be
    asked in increasing order.                                             */
bool vent_journal_was_acked (vent_journal_t *self, uint64_t seq);

/*  An item was numbered (its outcome, length and bytes): the hash goes
    on; while resuming, checked against the journal's. Returns 0, or
    PP_EPROTO once the input differs (vent_journal_differs says where).   */
int vent_journal_numbered (vent_journal_t *self, uint8_t outcome,
                           const char *data, size_t len);

/*  After PP_EPROTO from vent_journal_numbered: records *from..*to (from
    1, counted after --skip) hold the first one that differs.             */
void vent_journal_differs (const vent_journal_t *self, uint64_t *from,
                           uint64_t *to);

/*  Starts writing: a fresh file (HEAD, the hash samples, the acked ranges
    snapshot lists) renamed over path. Later compactions call snapshot
    again. Returns 0 or PP_EIO (errno set).                               */
int vent_journal_begin (vent_journal_t *self,
                        vent_journal_snapshot_fn *snapshot, void *ctx);

/*  The sink acked [first, first + n): written with the next PROGRESS.    */
void vent_journal_acked (vent_journal_t *self, uint64_t first, uint64_t n);

/*  Writes a PROGRESS when one is due at now_ms (or when force), then
    compacts the file if it grew past its bound. Returns 0, or PP_EIO
    (errno set): the journal then takes no more records.                  */
int vent_journal_flush (vent_journal_t *self, int64_t now_ms, bool force);

/*  A drain stopped the input and every record read was numbered: the
    total is final (the sink may know it). Written at once, so a resumed
    run reads no further and drains too. Returns 0 or PP_EIO.            */
int vent_journal_stop (vent_journal_t *self);

/*  True when the run's input was stopped by a drain (read back, or after
    vent_journal_stop).                                                    */
bool vent_journal_stopped (const vent_journal_t *self);

/*  The run completed with outcome (total, ok, failed, dropped): written
    at once, so a ventilator killed while it announces DONE is not taken
    for one to resume. Returns 0 or PP_EIO.                               */
int vent_journal_done (vent_journal_t *self, const uint64_t outcome[4]);

/*  True when the journal says the run completed; fills outcome then.     */
bool vent_journal_was_done (const vent_journal_t *self, uint64_t outcome[4]);

/*  Bytes in the file now (for the tests and the log).                    */
uint64_t vent_journal_size (const vent_journal_t *self);

/*  Closes the journal; removes its file when remove_file. NULL-safe.      */
void vent_journal_destroy (vent_journal_t **self_p, bool remove_file);

#endif
