/*  sink_progress: the progress line (progress.h).                         */

#include "progress.h"

#include <czmq.h>
#include <stdio.h>

#define S_TERMINAL_MS 250 /* redraw period on a terminal              */

void
sink_progress_show (sink_progress_t *self, pp_stats_t *stats, uint64_t sent,
                    int64_t now_ms, bool last)
{
    int64_t every = self->mode == SINK_PROGRESS_TERMINAL ? S_TERMINAL_MS
                                                         : SINK_PROGRESS_LOG_MS;
    if (!last && now_ms - self->shown_ms < every)
        return;
    self->shown_ms = now_ms;
    const pp_counts_t *counts = pp_stats_counts (stats);
    double elapsed = pp_stats_elapsed (stats);
    uint64_t done = pp_stats_done (stats);
    double rate = elapsed > 0 ? (double) done / elapsed : 0;
    char total[32], eta[32] = "";
    if (counts->total_known) {
        snprintf (total, sizeof (total), "%llu",
                  (unsigned long long) counts->total);
        if (rate > 0 && !last)
            snprintf (eta, sizeof (eta), "  ETA %.0f s",
                      (double) (counts->total - done) / rate);
    } else
        snprintf (total, sizeof (total), ">=%llu", /* STATE may lag    */
                  (unsigned long long) (sent > done ? sent : done));
    char line[200];
    snprintf (line, sizeof (line),
              "%llu/%s items  %.0f items/s%s  failed %llu  dropped %llu",
              (unsigned long long) done, total, rate, eta,
              (unsigned long long) counts->failed,
              (unsigned long long) counts->dropped);
    if (self->mode == SINK_PROGRESS_TERMINAL)
        fprintf (stderr, "\r\033[K%s%s", line, last ? "\n" : "");
    else if (!last)
        zsys_info ("progress: %s", line);
}
