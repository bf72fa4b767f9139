/*  sink_progress: the progress line -- items done of the total (">= sent"
    while the total is not known), the rate, an ETA, failures and drops --
    redrawn in place on a terminal or logged now and then.                */

#ifndef SINK_PROGRESS_H_INCLUDED
#define SINK_PROGRESS_H_INCLUDED

#include "pp_stats.h"

#include <stdbool.h>
#include <stdint.h>

/*  How the progress line is shown (--progress, --no-progress).            */
typedef enum {
    SINK_PROGRESS_AUTO = -1,    /* decided by sink_options_parse          */
    SINK_PROGRESS_OFF = 0,      /* never                                  */
    SINK_PROGRESS_TERMINAL = 1, /* redrawn on stderr, 4 times a second    */
    SINK_PROGRESS_LOG = 2       /* a log line every SINK_PROGRESS_LOG_MS  */
} sink_progress_mode_t;

#define SINK_PROGRESS_LOG_MS 10000

/*  The line's state; set mode and shown_ms (the start) before use.        */
typedef struct {
    sink_progress_mode_t mode;
    int64_t shown_ms; /* when it was last shown (pp_now_ms)       */
} sink_progress_t;

/*  Shows the line when it is due at now_ms (pp_now_ms), from the stats
    and sent, the items the ventilator numbered so far. last: the final
    line, shown at once and ended by a newline on a terminal; not logged. */
void sink_progress_show (sink_progress_t *self, pp_stats_t *stats,
                         uint64_t sent, int64_t now_ms, bool last);

#endif
