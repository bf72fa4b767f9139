/*  pp_stall: one subtraction, in one place for every loop that judges
    peers by silence (ventilator, worker, sink).                           */

#include "pp_stall.h"

int64_t
pp_stall_check (pp_stall_t *self, int64_t now_ms, int64_t wait_ms,
                int64_t min_ms)
{
    int64_t last = self->st_last_ms;
    self->st_last_ms = now_ms;
    if (last == 0)
        return 0;
    int64_t late = now_ms - last - (wait_ms > 0 ? wait_ms : 0);
    return late >= min_ms && late >= PP_STALL_MIN_MS ? late : 0;
}
