/*  pp_waitlog: when a wait for a peer is said, and since when.            */

#include "pp_waitlog.h"

#include <czmq.h>
#include <time.h>

void
pp_waitlog_start (pp_waitlog_t *self, int64_t now_ms)
{
    self->wl_since_ms = now_ms > 0 ? now_ms : 1; /* 0 means none      */
    self->wl_gap_ms = PP_WAITLOG_FIRST_MS;
    self->wl_next_ms = now_ms + PP_WAITLOG_FIRST_MS;
    self->wl_wall_s = (int64_t) time (NULL);
}

void
pp_waitlog_stop (pp_waitlog_t *self)
{
    self->wl_since_ms = 0;
}

bool
pp_waitlog_due (pp_waitlog_t *self, int64_t now_ms)
{
    if (self->wl_since_ms == 0 || now_ms < self->wl_next_ms)
        return false;
    self->wl_gap_ms *= 2;
    if (self->wl_gap_ms > PP_WAITLOG_MAX_MS)
        self->wl_gap_ms = PP_WAITLOG_MAX_MS;
    self->wl_next_ms = now_ms + self->wl_gap_ms;
    return true;
}

int64_t
pp_waitlog_waited (const pp_waitlog_t *self, int64_t now_ms)
{
    return self->wl_since_ms ? now_ms - self->wl_since_ms : 0;
}

/*  A wall-clock time as HH:MM:SS.                                        */
static void
s_format (time_t when, char *out, size_t size)
{
    struct tm tm;
    localtime_r (&when, &tm);
    strftime (out, size, "%H:%M:%S", &tm);
}

void
pp_waitlog_since (const pp_waitlog_t *self, char *out, size_t size)
{
    s_format ((time_t) self->wl_wall_s, out, size);
}

void
pp_waitlog_clock (int64_t ago_ms, char *out, size_t size)
{
    s_format (time (NULL) - (time_t) (ago_ms / 1000), out, size);
}

void
pp_waitlog_ventilator_silent (uint64_t run_id, int64_t silent_ms,
                              int64_t timeout_ms)
{
    char since[16], until[16];
    pp_waitlog_clock (silent_ms, since, sizeof (since));
    pp_waitlog_clock (silent_ms - timeout_ms, until, sizeof (until));
    zsys_notice ("no word from the ventilator of run %016llx since %s: "
                 "waiting for it until %s (--ventilator-timeout %lld ms); "
                 "if it died, restart pp-ventilator with the same command "
                 "line plus --resume (it needs its --journal FILE)",
                 (unsigned long long) run_id, since,
                 timeout_ms > 0 ? until : "ever", (long long) timeout_ms);
}
