/*  pp_wcredit: what a credit-flow worker grants, and when it beats.       */

#include "pp_wcredit.h"
#include "pp_wsize.h"

#define S_RATE_EVERY_MS 100 /* completion rate sampling period          */
#define S_GRANT_PART 4      /* busy: grant target / 4 at a time, or more */

void
pp_wcredit_reset (pp_wcredit_t *self, int64_t now_ms)
{
    *self = (pp_wcredit_t){
        .rate_ms = now_ms,
        .beat_ms = self->beat_ms,
        .beat_every_ms = self->beat_every_ms ? self->beat_every_ms : 1000};
}

void
pp_wcredit_received (pp_wcredit_t *self, uint32_t count, size_t size)
{
    self->received += count;
    uint64_t each = size / (count ? count : 1) + 1;
    self->item_bytes =
        self->item_bytes ? (self->item_bytes * 7 + each) / 8 : each;
}

void
pp_wcredit_completed (pp_wcredit_t *self, uint32_t count)
{
    self->completed += count;
}

void
pp_wcredit_rejoin (pp_wcredit_t *self)
{
    self->granted = self->received;
}

uint64_t
pp_wcredit_due (pp_wcredit_t *self, int64_t now_ms, int capacity, int threads,
                int64_t job_ns)
{
    if (now_ms - self->rate_ms >= S_RATE_EVERY_MS) {
        uint64_t sample = (self->completed - self->rate_mark) * 1000 /
                          (uint64_t) (now_ms - self->rate_ms);
        self->rate = (self->rate + sample) / 2;
        self->rate_mark = self->completed;
        self->rate_ms = now_ms;
    }
    uint64_t busy = self->granted - self->completed; /* held + owed     */
    uint64_t target = pp_wsize_credit (capacity, threads, self->rate, job_ns,
                                       self->item_bytes);
    uint64_t free = busy < target ? target - busy : 0;
    /*  While items are held, grant a quarter of the target at a time:
        granting each item as it completed cost a CREDIT and a TASK of
        one item per item (at W = 1000 workers of 10 ms jobs, 4x the
        ventilator's CPU and 2.3x the run's time). Idle, grant it all.    */
    bool held = self->received > self->completed;
    uint64_t least = target / S_GRANT_PART ? target / S_GRANT_PART : 1;
    return free >= least || !held ? free : 0;
}

bool
pp_wcredit_beat_due (const pp_wcredit_t *self, int64_t now_ms)
{
    return now_ms - self->beat_ms >= self->beat_every_ms;
}

void
pp_wcredit_granted (pp_wcredit_t *self, uint64_t count, int64_t now_ms)
{
    self->granted += count;
    self->beat_ms = now_ms;
}
