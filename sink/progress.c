/*  sink_progress: the progress line (progress.h).                         */

#include "progress.h"

#include <czmq.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define S_TERMINAL_MS 250  /* redraw period on a terminal              */
#define S_SAMPLE_MS 1000   /* the rate's samples, at most this often   */
#define S_MAX_HOURS 9999.0 /* an ETA past this is no ETA               */
#define S_CLEAR "\r\033[K" /* to the line's start, erase to its end    */

void
sink_rate_sample (sink_rate_t *self, int64_t now_ms, uint64_t done)
{
    int last = (self->next + SINK_RATE_SAMPLES - 1) % SINK_RATE_SAMPLES;
    if (self->count > 0 && now_ms - self->ms[last] < S_SAMPLE_MS)
        return;
    self->ms[self->next] = now_ms;
    self->done[self->next] = done;
    self->next = (self->next + 1) % SINK_RATE_SAMPLES;
    if (self->count < SINK_RATE_SAMPLES)
        self->count++;
}

double
sink_rate_get (const sink_rate_t *self, int64_t now_ms, uint64_t done)
{
    int oldest = -1; /* the oldest sample inside the window             */
    for (int i = 0; i < self->count; i++) {
        int at = (self->next + SINK_RATE_SAMPLES - self->count + i) %
                 SINK_RATE_SAMPLES;
        if (now_ms - self->ms[at] <= SINK_RATE_WINDOW_MS) {
            oldest = at;
            break;
        }
    }
    if (oldest < 0 || now_ms - self->ms[oldest] < S_SAMPLE_MS)
        return -1;
    uint64_t then = self->done[oldest];
    double span = (double) (now_ms - self->ms[oldest]) / 1000.0;
    return done > then ? (double) (done - then) / span : 0;
}

void
sink_progress_hms (double seconds, char *out, size_t size)
{
    if (!isfinite (seconds) || seconds < 0 || seconds > S_MAX_HOURS * 3600) {
        snprintf (out, size, "-:--:--");
        return;
    }
    unsigned long s = (unsigned long) (seconds + 0.5);
    snprintf (out, size, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60, s % 60);
}

double
sink_progress_eta (uint64_t done, uint64_t total, double rate)
{
    if (done >= total)
        return 0;
    if (!(rate > 0))
        return -1;
    return (double) (total - done) / rate;
}

/*  "1234/~10000 items 12.3%", or "1234 items (total not known yet)".   */
static int
s_put_done (char *out, size_t size, const sink_progress_view_t *v)
{
    if (v->total_kind == SINK_TOTAL_NONE)
        return snprintf (out, size, "%llu items (total not known yet)",
                         (unsigned long long) v->done);
    double percent =
        v->total ? 100.0 * (double) v->done / (double) v->total : 100.0;
    if (percent > 99.9 && v->done < v->total)
        percent = 99.9; /* never 100% with items to go                  */
    if (percent > 99.9 && v->total_kind == SINK_TOTAL_ESTIMATE)
        percent = 99.9; /* past the estimate: the total says when        */
    return snprintf (out, size, "%llu/%s%llu items %.1f%%",
                     (unsigned long long) v->done,
                     v->total_kind == SINK_TOTAL_ESTIMATE ? "~" : "",
                     (unsigned long long) v->total, percent);
}

/*  Appends to out at *at (kept within size, NUL-terminated).            */
static void
s_append (char *out, size_t size, size_t *at, const char *format, ...)
{
    if (*at >= size - 1)
        return;
    va_list args;
    va_start (args, format);
    int n = vsnprintf (out + *at, size - *at, format, args);
    va_end (args);
    if (n > 0)
        *at = *at + (size_t) n < size ? *at + (size_t) n : size - 1;
}

/*  No outcome for SINK_PROGRESS_STALL_MS while some are owed.            */
static bool
s_stalled (const sink_progress_view_t *v)
{
    bool owed = v->total_kind != SINK_TOTAL_EXACT || v->done < v->total;
    return !v->last && owed && v->silent_s * 1000 >= SINK_PROGRESS_STALL_MS;
}

/*  "  850/s", "  2.5/s", "  --/s": the recent rate.                       */
static void
s_put_rate (char *out, size_t size, size_t *at, double rate)
{
    if (rate < 0)
        s_append (out, size, at, "  --/s");
    else
        s_append (out, size, at, rate < 10 ? "  %.1f/s" : "  %.0f/s", rate);
}

/*  "  ETA 0:00:10" (h:mm:ss), when the total is known or expected.       */
static void
s_put_eta (char *out, size_t size, size_t *at, const sink_progress_view_t *v)
{
    if (v->last || v->total_kind == SINK_TOTAL_NONE)
        return;
    char hms[32];
    sink_progress_hms (sink_progress_eta (v->done, v->total, v->rate), hms,
                       sizeof (hms));
    s_append (out, size, at, "  ETA %s", hms);
}

/*  The run's line: what is done, how fast, how long, and what is wrong.
    A stall takes the place of the rate and the ETA, which it voids.      */
static void
s_put_running (char *out, size_t size, const sink_progress_view_t *v)
{
    char done[96], elapsed[32];
    size_t at = 0;
    s_put_done (done, sizeof (done), v);
    sink_progress_hms (v->elapsed_s, elapsed, sizeof (elapsed));
    if (!v->last) /* the run is over: who was connected is no news    */
        s_append (out, size, &at, "%u worker%s  ", v->workers,
                  v->workers == 1 ? "" : "s");
    s_append (out, size, &at, "%s", done);
    bool stalled = s_stalled (v);
    if (!stalled)
        s_put_rate (out, size, &at, v->rate);
    s_append (out, size, &at, "  elapsed %s", elapsed);
    if (stalled)
        s_append (out, size, &at, "  no result for %.0f s",
                  floor (v->silent_s));
    else
        s_put_eta (out, size, &at, v);
    if (v->failed > 0)
        s_append (out, size, &at, "  failed %llu",
                  (unsigned long long) v->failed);
    if (v->dropped > 0)
        s_append (out, size, &at, "  dropped %llu",
                  (unsigned long long) v->dropped);
}

void
sink_progress_format (const sink_progress_view_t *v, char *out, size_t size)
{
    if (size == 0)
        return;
    out[0] = '\0';
    if (v->running)
        s_put_running (out, size, v);
    else /* workers connect to us once they know the run             */
        snprintf (out, size, "waiting for a run (no ventilator heard yet)");
}

void
sink_progress_init (sink_progress_t *self, sink_progress_mode_t mode,
                    bool shares_tty, int64_t now_ms)
{
    *self = (sink_progress_t){.mode = mode,
                              .shares_tty = shares_tty,
                              .shown_ms = now_ms - S_TERMINAL_MS};
}

void
sink_progress_start (sink_progress_t *self, int64_t now_ms)
{
    self->start_ms = self->heard_ms = now_ms;
    self->shown_ms = now_ms - S_TERMINAL_MS; /* the run shows at once */
    self->done = 0;
    self->rate = (sink_rate_t){.count = 0};
    sink_rate_sample (&self->rate, now_ms, 0);
}

/*  Keeps the clocks up to date at every call, shown or not: when the last
    outcome came, and the rate's samples.                                  */
static void
s_observe (sink_progress_t *self, const sink_progress_facts_t *f,
           int64_t now_ms)
{
    if (f->done != self->done) {
        self->done = f->done;
        self->heard_ms = now_ms;
    }
    if (f->running)
        sink_rate_sample (&self->rate, now_ms, f->done);
}

/*  The view of facts at now_ms.                                           */
static sink_progress_view_t
s_view (const sink_progress_t *self, const sink_progress_facts_t *f,
        int64_t now_ms, bool last)
{
    sink_progress_view_t v = {.running = f->running,
                              .last = last,
                              .workers = f->workers,
                              .done = f->done,
                              .failed = f->failed,
                              .dropped = f->dropped,
                              .total_kind = SINK_TOTAL_NONE};
    if (f->total_known) {
        v.total = f->total;
        v.total_kind = SINK_TOTAL_EXACT;
    } else if (f->expected > 0) {
        v.total = f->expected;
        v.total_kind =
            f->expected_exact ? SINK_TOTAL_EXACT : SINK_TOTAL_ESTIMATE;
    }
    v.rate = sink_rate_get (&self->rate, now_ms, f->done);
    v.elapsed_s = (double) (now_ms - self->start_ms) / 1000.0;
    v.silent_s = (double) (now_ms - self->heard_ms) / 1000.0;
    return v;
}

void
sink_progress_show (sink_progress_t *self, const sink_progress_facts_t *facts,
                    int64_t now_ms, bool last)
{
    bool terminal = self->mode == SINK_PROGRESS_TERMINAL;
    int64_t every = terminal ? S_TERMINAL_MS : SINK_PROGRESS_LOG_MS;
    bool due = last || now_ms - self->shown_ms >= every;
    s_observe (self, facts, now_ms);
    if (due) {
        sink_progress_view_t view = s_view (self, facts, now_ms, last);
        sink_progress_format (&view, self->text, sizeof (self->text));
        self->shown_ms = now_ms;
    }
    if (!terminal) {
        if (due && !last)
            zsys_info ("progress: %s", self->text);
        return;
    }
    if (!due && self->drawn)
        return;
    /*  A line that wraps could not be taken off whole: cut to the width. */
    struct winsize ws;
    int width = (int) sizeof (self->text);
    if (ioctl (STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
        width = ws.ws_col - 1;
    fprintf (stderr, S_CLEAR "%.*s%s", width, self->text, last ? "\n" : "");
    self->drawn = !last;
}

void
sink_progress_clear (sink_progress_t *self)
{
    if (!self->drawn)
        return;
    fputs (S_CLEAR, stderr);
    self->drawn = false;
}

/*  The log stream's writer: the line makes way, then the message goes.   */
static ssize_t
s_log_write (void *cookie, const char *buf, size_t size)
{
    sink_progress_clear (cookie);
    return (ssize_t) fwrite (buf, 1, size, stderr);
}

void
sink_progress_take_logs (sink_progress_t *self)
{
    if (self->mode != SINK_PROGRESS_TERMINAL || self->logs)
        return;
    cookie_io_functions_t io = {.write = s_log_write};
    self->logs = fopencookie (self, "w", io);
    if (self->logs) /* else logs may be written over the line: no harm */
        zsys_set_logstream (self->logs);
}

void
sink_progress_end (sink_progress_t *self)
{
    if (!self->logs)
        return;
    zsys_set_logstream (stderr);
    fclose (self->logs);
    self->logs = NULL;
}
