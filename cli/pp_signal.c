/*  pp_signal: an async-signal-safe counter.                                */

#include "pp_signal.h"
#include "pp_worker_process.h"

#include <signal.h>

static volatile sig_atomic_t s_count = 0;

static void
s_count_one (void)
{
    if (s_count < 100)
        s_count++;
}

void
pp_signal_install (void)
{
    pp_stop_signals_install (s_count_one);
}

int
pp_signal_count (void)
{
    return s_count;
}
