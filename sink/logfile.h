/*  sink_logfile: a file the sink writes beside its output for people and
    scripts (--joblog, --failed): opened at the start, so a bad path is a
    usage error naming the flag; written through a large buffer (a write
    per batch of items, not per item) and flushed by the caller now and
    then and at exit. A failed write is kept (its errno, the first) and
    reported once by sink_logfile_flush.                                   */

#ifndef SINK_LOGFILE_H_INCLUDED
#define SINK_LOGFILE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct _sink_logfile_t sink_logfile_t;

/*  Opens path for flag (e.g. "--joblog"), truncated, or appended to with
    append (--resume): then a torn last record (a crash in the middle of a
    write: stdio writes a full buffer wherever it ends) is cut off, back
    to the last delim, so the first record appended starts clean; what was
    torn was not acked, so it comes again. A path that cannot be opened is a
   usage error naming the flag (exit 2). Returns NULL only when out of memory.
 */
sink_logfile_t *sink_logfile_open (const char *flag, const char *path,
                                   bool append, char delim);

/*  As sink_logfile_open with append, for --resume: the file is first cut
    back to keep bytes, the length the last checkpoint vouched for (what
    came after it was not acked: its items come again, and would be
    logged twice), and the cut is logged. keep UINT64_MAX: not known (a
    journal of the first format), only a torn record is cut. A file
    shorter than keep is not the one the checkpoint knew: a warning, and
    it is appended to as it is.                                           */
sink_logfile_t *sink_logfile_open_resumed (const char *flag, const char *path,
                                           uint64_t keep, char delim);

/*  The file's length after a flush, for a checkpoint; UINT64_MAX when
    self is NULL or a write failed (the file lacks lines).                 */
uint64_t sink_logfile_length (sink_logfile_t *self);

/*  Flushes and closes; NULL-safe, nulls the pointer. Returns 0, or
    PP_EIO after logging that a write failed (once).                       */
int sink_logfile_close (sink_logfile_t **self_p);

/*  True when the file was empty when opened (a header is owed).          */
bool sink_logfile_empty (const sink_logfile_t *self);

/*  Writes len bytes (buffered).                                           */
void sink_logfile_write (sink_logfile_t *self, const void *data, size_t len);

/*  Writes what is buffered. Returns 0, or PP_EIO after logging, once,
    that a write failed: the file lacks lines from then on.                */
int sink_logfile_flush (sink_logfile_t *self);

#endif
