/*  sink_progress: the progress line -- before a run, that the sink waits
    for one; during a run, the workers connected, items done of the total
    (or of the total the ventilator expects) with the percent, the recent
    rate (the last SINK_RATE_WINDOW_MS, not the run's average), the time
    elapsed, an ETA as h:mm:ss, and "no result for N s" once outcomes
    stop coming -- redrawn in place on a terminal or logged now and then.

    On a terminal the line is never drawn over results: when they go to
    the same terminal (stdout, or -o naming it), sink_progress_clear takes
    the line off before each write and the next sink_progress_show draws
    it again below them; log messages likewise (sink_progress_take_logs).
    The line is cut to the terminal's width: a wrapped one could not be
    taken off whole. The formatting is pure (unit-tested).                 */

#ifndef SINK_PROGRESS_H_INCLUDED
#define SINK_PROGRESS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*  How the progress line is shown (--progress, --no-progress).            */
typedef enum {
    SINK_PROGRESS_AUTO = -1,    /* decided by sink_options_parse          */
    SINK_PROGRESS_OFF = 0,      /* never                                  */
    SINK_PROGRESS_TERMINAL = 1, /* redrawn on stderr, 4 times a second    */
    SINK_PROGRESS_LOG = 2       /* a log line every SINK_PROGRESS_LOG_MS  */
} sink_progress_mode_t;

#define SINK_PROGRESS_LOG_MS 10000
#define SINK_PROGRESS_STALL_MS 5000 /* no outcome this long: said     */
#define SINK_RATE_WINDOW_MS 10000   /* the rate is over this window   */
#define SINK_RATE_SAMPLES 12        /* one a second, and some slack   */

/*  The recent rate: outcomes counted at most once a second.               */
typedef struct {
    int64_t ms[SINK_RATE_SAMPLES];    /* when (pp_now_ms)                */
    uint64_t done[SINK_RATE_SAMPLES]; /* outcomes by then                */
    int count;                        /* samples held                    */
    int next;                         /* where the next one goes         */
} sink_rate_t;

/*  Takes a sample of done outcomes at now_ms, unless the last sample is
    less than a second old.                                                */
void sink_rate_sample (sink_rate_t *self, int64_t now_ms, uint64_t done);

/*  Outcomes per second from the oldest sample within SINK_RATE_WINDOW_MS
    of now_ms to (now_ms, done); -1 while that spans less than a second. */
double sink_rate_get (const sink_rate_t *self, int64_t now_ms, uint64_t done);

/*  What the line says, as sink_progress_show gathers it.                  */
typedef struct {
    bool running;     /* a run is known (else: waiting for one)        */
    bool last;        /* the run's final line: no ETA, no stall        */
    uint32_t workers; /* connected to --results                        */
    uint64_t done;    /* outcomes recorded                             */
    uint64_t total;   /* of the run; 0 with total_kind NONE            */
    enum {
        SINK_TOTAL_NONE,     /* not known, nor expected                   */
        SINK_TOTAL_ESTIMATE, /* the ventilator's estimate ("~")           */
        SINK_TOTAL_EXACT     /* final, or counted ahead (--generate)      */
    } total_kind;
    double rate;      /* items/s recently; < 0: not known yet          */
    double elapsed_s; /* since the run was learnt                      */
    double silent_s;  /* since the last outcome (or the run's start)   */
    uint64_t failed, dropped;
} sink_progress_view_t;

/*  seconds as h:mm:ss ("0:01:05", "27:46:40"); "-:--:--" when negative,
    not finite or over 9999 hours. out holds at least 16 bytes.            */
void sink_progress_hms (double seconds, char *out, size_t size);

/*  Seconds until total at rate from done; -1 when there is no telling
    (no total, no rate yet, nothing coming).                               */
double sink_progress_eta (uint64_t done, uint64_t total, double rate);

/*  The line for view, NUL-terminated in out (truncated to size).          */
void sink_progress_format (const sink_progress_view_t *view, char *out,
                           size_t size);

/*  The line's state: sink_progress_init before use.                       */
typedef struct {
    sink_progress_mode_t mode;
    bool shares_tty;  /* results go to the terminal the line is on      */
    bool drawn;       /* the line is on the terminal now                */
    int64_t shown_ms; /* the text was last made (pp_now_ms)             */
    int64_t start_ms; /* the run was learnt (0: no run yet)             */
    int64_t heard_ms; /* an outcome was last recorded (seen here)       */
    uint64_t done;    /* outcomes as of heard_ms                        */
    sink_rate_t rate; /* the recent rate                                */
    char text[256];   /* the line last made                             */
    FILE *logs;       /* the log stream while the line is on it         */
} sink_progress_t;

/*  A line shown in mode from now_ms on; shares_tty: results go to the
    terminal stderr is (the line then makes way for them: the caller
    clears it before each write and flushes them before each show).      */
void sink_progress_init (sink_progress_t *self, sink_progress_mode_t mode,
                         bool shares_tty, int64_t now_ms);

/*  The run became known at now_ms: elapsed, the rate and the stall count
    from here.                                                             */
void sink_progress_start (sink_progress_t *self, int64_t now_ms);

/*  What the sink knows, for sink_progress_show.                           */
typedef struct {
    bool running;     /* a run is known                             */
    uint32_t workers; /* connected to --results                     */
    uint64_t done, failed, dropped;
    bool total_known;    /* total is final                             */
    uint64_t total;      /* the run's total, when known                */
    uint64_t expected;   /* STATE's expected total, 0: none            */
    bool expected_exact; /* ... counted, not estimated                 */
} sink_progress_facts_t;

/*  Shows the line when it is due at now_ms (pp_now_ms), or at once on a
    terminal after sink_progress_clear. last: the final line, shown at
    once and ended by a newline on a terminal; not logged.                 */
void sink_progress_show (sink_progress_t *self,
                         const sink_progress_facts_t *facts, int64_t now_ms,
                         bool last);

/*  Takes the line off the terminal, if it is on it (results come).       */
void sink_progress_clear (sink_progress_t *self);

/*  On a terminal, routes zsys logging through the line, which makes way
    for each message as for results; logging goes back to stderr with
    sink_progress_end. Does nothing in the other modes.                   */
void sink_progress_take_logs (sink_progress_t *self);

/*  Gives logging back to stderr (sink_progress_take_logs); safe twice.   */
void sink_progress_end (sink_progress_t *self);

#endif
