/*  vent_input: where the ventilator's records come from -- a file or
    stdin split on a delimiter, or generated (--generate, --workload).
    Reading never blocks when the caller polls the fd and calls
    vent_input_fill once per readable event.                               */

#ifndef VENT_INPUT_H_INCLUDED
#define VENT_INPUT_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _vent_input_t vent_input_t;

/*  Records from fd split on delim, none over max_item bytes. Split on
    '\n' (lines), one '\r' ending a record is dropped: a CRLF file gives
    the records an LF file would. Split on '\0', records are byte-exact.  */
vent_input_t *vent_input_new_fd (int fd, char delim, size_t max_item);

/*  The numbers first..first+n-1 as decimal text.                          */
vent_input_t *vent_input_new_generate (uint64_t first, uint64_t n);

/*  n sleep times of 1..100 ms, the same for the same seed.                */
vent_input_t *vent_input_new_workload (uint64_t n, uint64_t seed);

/*  The first n records are read and counted but never returned (--skip);
    call before the first vent_input_next. Generated input skips at once. */
void vent_input_skip (vent_input_t *self, uint64_t n);

/*  Frees the input (does not close the fd); NULL-safe.                    */
void vent_input_destroy (vent_input_t **self_p);

/*  Next record: returns 1 with *data and *len valid until the next call, 0
    when more must be read first (poll the fd, then vent_input_fill),
    PP_ECLOSED at the end, PP_ETOOBIG for a record over max_item (skipped
    whole; *len is max_item + 1). Skipped records are never returned, even
    oversized ones.                                                         */
int vent_input_next (vent_input_t *self, const char **data, size_t *len);

/*  The fd to poll for input, or -1 for generated input.                   */
int vent_input_fd (vent_input_t *self);

/*  Reads once from the fd. Returns 0, or PP_EIO (errno says why).         */
int vent_input_fill (vent_input_t *self);

/*  Records consumed from the input so far -- skipped, returned and
    oversized ones: the number (from 1) of the record last returned, and
    the --skip that resumes after it.                                      */
uint64_t vent_input_records (vent_input_t *self);

/*  The records the input holds in all, skipped ones included: exact
    (*exact) for generated input; for a regular file, estimated from its
    size and the bytes the records consumed so far took. 0 when there is
    no telling (a pipe, nothing read yet).                                 */
uint64_t vent_input_expected (const vent_input_t *self, bool *exact);

/*  Records returned so far (oversized ones included, skipped ones not).   */
uint64_t vent_input_returned (vent_input_t *self);

#endif
