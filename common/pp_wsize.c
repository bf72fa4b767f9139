/*  pp_wsize: the worker's sizes, from flags and measurements.            */

#include "pp_wsize.h"

#define S_PUSH_CAPACITY 512      /* least channel items in push flow     */
#define S_SLICE_MAX 256          /* most records in a slice ...          */
#define S_SLICE_NS 200000        /* ... which holds about this much work */
#define S_CREDIT_AHEAD_MS 25     /* credit covers this much work ...     */
#define S_CREDIT_BYTES (8 << 20) /* ... and at most this many bytes      */

pp_wsize_t
pp_wsize_channel (int capacity, int threads, bool credit, bool spill)
{
    int twice = 2 * threads;
    pp_wsize_t size = {.capacity = capacity, .slow_weight = 1};
    if (capacity <= 0)
        size.capacity = credit                    ? PP_WSIZE_CREDIT_MAX
                        : twice > S_PUSH_CAPACITY ? twice
                                                  : S_PUSH_CAPACITY;
    /*  Two slices in flight; spilled slices are single records (pp_chan
        spills unweighted).                                                */
    int half = size.capacity / 2 > 1 ? size.capacity / 2 : 1;
    size.slice_max = half < S_SLICE_MAX ? (uint32_t) half : S_SLICE_MAX;
    if (spill)
        size.slice_max = 1;
    /*  The default push capacity is sized for cheap items; a slow job's
        record weighs so that 2 x threads of them fill it, as before
        slices: a worker does not hoard slow items that idle workers could
        run.                                                               */
    if (capacity <= 0 && !credit && size.capacity > twice)
        size.slow_weight = (uint32_t) (size.capacity / twice);
    return size;
}

void
pp_wsize_bytes (pp_wsize_t *size, uint64_t bytes)
{
    uint64_t unit = bytes / (uint64_t) size->capacity;
    size->unit_bytes = unit > 0 ? unit : 1;
}

uint32_t
pp_wsize_weight (const pp_wsize_t *size, uint32_t weight, size_t bytes)
{
    if (size->unit_bytes == 0)
        return weight;
    uint64_t units = (bytes + size->unit_bytes - 1) / size->unit_bytes;
    if (units > UINT32_MAX)
        units = UINT32_MAX;
    return units > weight ? (uint32_t) units : weight;
}

uint32_t
pp_wsize_slice (int64_t job_ns, uint32_t slice_max)
{
    int64_t fit = job_ns > 0 ? S_SLICE_NS / job_ns : 1;
    return fit < 1 ? 1 : fit < (int64_t) slice_max ? (uint32_t) fit : slice_max;
}

uint64_t
pp_wsize_credit (int capacity, int threads, uint64_t rate, int64_t job_ns,
                 uint64_t item_bytes)
{
    if (capacity > 0)
        return (uint64_t) capacity;
    uint64_t floor = 2 * (uint64_t) threads;
    uint64_t want = rate * S_CREDIT_AHEAD_MS / 1000;
    /*  The job threads' measured cost per item gives the same figure at
        once: the completion rate is sampled every 100 ms, and while
        credit is small it measures the credit, not the job -- a slow
        start of a few hundred ms for cheap items.                         */
    if (job_ns > 0) {
        uint64_t by_cost = (uint64_t) threads * S_CREDIT_AHEAD_MS * 1000000 /
                           (uint64_t) job_ns;
        if (by_cost > want)
            want = by_cost;
    }
    uint64_t by_bytes = S_CREDIT_BYTES / (item_bytes ? item_bytes : 1);
    if (want > by_bytes)
        want = by_bytes;
    if (want < floor)
        want = floor;
    return want > PP_WSIZE_CREDIT_MAX ? PP_WSIZE_CREDIT_MAX : want;
}
