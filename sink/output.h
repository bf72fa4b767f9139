/*  sink_output: where the results go -- a file or stdout, one record per
    ok result ended by the delimiter ('\n', or '\0' with -0), or with --sum
    their int64 sum alone.

    Writes are buffered; a write that fails is kept (its errno, the first)
    and reported by the next sink_output_flush, which also checks the
    stream's error flag: stdio reports a failed write no other way. So
    what a successful flush returns is in the file (not fsynced), and its
    offset is what a journal may vouch for.                                */

#ifndef SINK_OUTPUT_H_INCLUDED
#define SINK_OUTPUT_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _sink_output_t sink_output_t;

/*  Opens path afresh (truncated), or stdout when path is NULL. Results end
    with delim; with sum they are added up instead. Returns NULL after
    logging why.                                                           */
sink_output_t *sink_output_new (const char *path, char delim, bool sum);

/*  --resume: opens path to continue it, cut back to its first offset
    bytes (what a journal vouches for: a torn or unacked tail goes). A
    file shorter than that lost results that were acked: refused. Returns
    NULL after logging why.                                                */
sink_output_t *sink_output_new_resumed (const char *path, uint64_t offset,
                                        char delim, bool sum);

/*  Closes the output (stdout stays open); NULL-safe, nulls the pointer.   */
void sink_output_destroy (sink_output_t **self_p);

/*  Writes one ok result (or adds it to the sum: a result that is not an
    int64, or overflows, is left out and counted). Never fails here: a
    failed write shows at the next flush.                                  */
void sink_output_write (sink_output_t *self, const char *data, size_t len);

/*  --sum: writes the sum as the output's one line.                        */
void sink_output_write_sum (sink_output_t *self);

/*  Calls before (arg) ahead of every write to the output: a progress line
    on the terminal the results go to takes itself off. NULL: none.      */
void sink_output_on_write (sink_output_t *self, void (*before) (void *),
                           void *arg);

/*  Flushes what was written and checks that none of it was lost on the
    way. Returns 0, or PP_EIO (sink_output_error says why).                 */
int sink_output_flush (sink_output_t *self);

/*  The errno of the first write that failed, else EIO.                    */
int sink_output_error (const sink_output_t *self);

/*  The output's length once flushed: *offset. Returns 0, or PP_EIO with
    errno set (an output that cannot seek, as a pipe).                     */
int sink_output_offset (sink_output_t *self, uint64_t *offset);

/*  The output's name for messages: its path, or "stdout".                 */
const char *sink_output_name (const sink_output_t *self);

/*  --sum: the sum so far, and the ok results left out of it.              */
int64_t sink_output_sum (const sink_output_t *self);
uint64_t sink_output_not_summed (const sink_output_t *self);

/*  --resume: continues the sum from a checkpoint.                         */
void sink_output_set_sum (sink_output_t *self, int64_t sum,
                          uint64_t not_summed);

#endif
