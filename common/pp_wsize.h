/*  pp_wsize: how much a worker holds -- pure functions, no state.

    The task channel's capacity and the slices cut for it (how many
    records a job thread takes at once), and in credit flow how many items
    to ask the ventilator for. Each answer comes from the flags and what
    the job threads measured, so it can be tested with exact figures.     */

#ifndef PP_WSIZE_H_INCLUDED
#define PP_WSIZE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*  The most items a credit-flow worker holds (queued + running + owed).   */
#define PP_WSIZE_CREDIT_MAX 16384

/*  How the task channel of a run is sized.                                */
typedef struct {
    int capacity;         /* channel capacity, in items                  */
    uint32_t slice_max;   /* most records in a slice                     */
    uint32_t slow_weight; /* what a slow job's record (a slice of one)
                             weighs of the capacity                      */
    uint64_t unit_bytes;  /* bytes a unit of the capacity stands for
                             (0: items are not weighed by their bytes)   */
} pp_wsize_t;

/*  Sizes the task channel from --capacity (0: automatic), --threads
    (>= 1), the flow and whether it spills. Automatic capacity: push flow
    2 x threads but at least 512 (two slices of 256 cheap items), credit
    flow PP_WSIZE_CREDIT_MAX (room for any credit target). Slices hold at
    most half the capacity and 256 records, one when spilling. A slow
    record weighs so that 2 x threads of them fill an automatic push
    capacity; a --capacity given is counted in items.                     */
pp_wsize_t pp_wsize_channel (int capacity, int threads, bool credit,
                             bool spill);

/*  Bounds the channel in bytes as well (--buffer-bytes): a slice then
    weighs at least its bytes in units of bytes / capacity, so the channel
    holds about bytes of records (plus one slice, which enters an empty
    channel whatever it weighs) however big the items are.                 */
void pp_wsize_bytes (pp_wsize_t *size, uint64_t bytes);

/*  What a slice of size bytes weighs: weight (its count, or slow_weight),
    or more when its bytes take more units (pp_wsize_bytes).              */
uint32_t pp_wsize_weight (const pp_wsize_t *size, uint32_t weight,
                          size_t bytes);

/*  Records to cut into the next slice: about 200 us of work at job_ns
    per item (0: not measured yet, taken as slow), from 1 to slice_max.   */
uint32_t pp_wsize_slice (int64_t job_ns, uint32_t slice_max);

/*  Credit flow: how many items to hold (queued + running + owed). A
    --capacity given (> 0) is taken as it is; else 25 ms of work at the
    measured completion rate (per second) or, larger, at the job threads'
    measured cost per item (job_ns, 0: not yet), at most 8 MiB of items
    of item_bytes (0: unknown) each, never under 2 x threads, never over
    PP_WSIZE_CREDIT_MAX.                                                   */
uint64_t pp_wsize_credit (int capacity, int threads, uint64_t rate,
                          int64_t job_ns, uint64_t item_bytes);

#endif
