/*  sink_joblog: the job log's lines (joblog.h).                           */

#include "joblog.h"
#include "pp_text.h"
#include "pp_wire.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    int number;
    const char *name;
} s_signal_t;

static const s_signal_t s_signals[] = {
    {SIGHUP, "SIGHUP"},   {SIGINT, "SIGINT"},   {SIGQUIT, "SIGQUIT"},
    {SIGILL, "SIGILL"},   {SIGTRAP, "SIGTRAP"}, {SIGABRT, "SIGABRT"},
    {SIGBUS, "SIGBUS"},   {SIGFPE, "SIGFPE"},   {SIGKILL, "SIGKILL"},
    {SIGUSR1, "SIGUSR1"}, {SIGSEGV, "SIGSEGV"}, {SIGUSR2, "SIGUSR2"},
    {SIGPIPE, "SIGPIPE"}, {SIGALRM, "SIGALRM"}, {SIGTERM, "SIGTERM"},
    {SIGXCPU, "SIGXCPU"}, {SIGXFSZ, "SIGXFSZ"}, {SIGSYS, "SIGSYS"}};

const char *
sink_joblog_exit (int16_t status, char out[16])
{
    if (status >= 0) {
        snprintf (out, 16, "%d", status);
        return out;
    }
    int number = -(int) status;
    for (size_t i = 0; i < sizeof (s_signals) / sizeof (s_signals[0]); i++)
        if (s_signals[i].number == number) {
            snprintf (out, 16, "%s", s_signals[i].name);
            return out;
        }
    snprintf (out, 16, "SIG%d", number);
    return out;
}

/*  Writes value in decimal at out; returns the digits written.           */
static size_t
s_put_u64 (char *out, uint64_t value)
{
    char digits[20];
    size_t n = 0;
    do {
        digits[n++] = (char) ('0' + value % 10);
        value /= 10;
    } while (value > 0);
    for (size_t i = 0; i < n; i++)
        out[i] = digits[n - 1 - i];
    return n;
}

/*  value as 8 hex digits; returns 8.                                      */
static size_t
s_put_hex32 (char *out, uint32_t value)
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 7; i >= 0; i--, value >>= 4)
        out[i] = hex[value & 0xf];
    return 8;
}

/*  Microseconds as seconds with 3 decimals (rounded down), then a tab.   */
static size_t
s_put_seconds (char *out, uint64_t us)
{
    uint64_t ms = us / 1000;
    size_t at = s_put_u64 (out, ms / 1000);
    out[at++] = '.';
    out[at++] = (char) ('0' + ms / 100 % 10);
    out[at++] = (char) ('0' + ms / 10 % 10);
    out[at++] = (char) ('0' + ms % 10);
    out[at++] = '\t';
    return at;
}

/*  The outcome column, then a tab.                                        */
static size_t
s_put_outcome (char *out, uint8_t outcome)
{
    const char *name = outcome == PP_OUTCOME_OK        ? "ok\t"
                       : outcome == PP_OUTCOME_FAILED  ? "failed\t"
                       : outcome == PP_OUTCOME_DROPPED ? "dropped\t"
                                                       : "unknown\t";
    size_t len = strlen (name); /* a constant once inlined            */
    memcpy (out, name, len);
    return len;
}

/*  The exit column (the common case, a status, without printf).           */
static size_t
s_put_exit (char *out, int16_t status)
{
    if (status >= 0)
        return s_put_u64 (out, (uint64_t) status);
    char text[16];
    sink_joblog_exit (status, text);
    size_t len = strlen (text);
    memcpy (out, text, len);
    return len;
}

size_t
sink_joblog_format (char *out, size_t size, const sink_joblog_line_t *line)
{
    (void) size; /* >= SINK_JOBLOG_LINE: every field is bounded         */
    size_t at = s_put_u64 (out, line->seq);
    out[at++] = '\t';
    at += s_put_u64 (out + at, line->record);
    out[at++] = '\t';
    at += s_put_hex32 (out + at, line->worker_id);
    out[at++] = '\t';
    if (line->host) {
        pp_text_escape (out + at, SINK_JOBLOG_HOST, line->host,
                        strlen (line->host));
        at += strlen (out + at);
    } else
        out[at++] = '?';
    out[at++] = '\t';
    at += s_put_seconds (out + at, line->start_us);
    at += s_put_seconds (out + at, line->runtime_us);
    at += s_put_u64 (out + at, (uint64_t) line->attempt + 1);
    out[at++] = '\t';
    at += s_put_outcome (out + at, line->outcome);
    at += s_put_exit (out + at, line->status);
    out[at++] = '\t';
    if (line->reason_len > 0) {
        pp_text_escape (out + at, SINK_JOBLOG_REASON, line->reason,
                        line->reason_len);
        at += strlen (out + at);
    }
    out[at++] = '\n';
    out[at] = '\0';
    return at;
}

void
sink_joblog_start (sink_logfile_t *file)
{
    if (sink_logfile_empty (file))
        sink_logfile_write (file, SINK_JOBLOG_HEADER,
                            strlen (SINK_JOBLOG_HEADER));
}

void
sink_joblog_write (sink_logfile_t *file, const sink_joblog_line_t *line)
{
    char buf[SINK_JOBLOG_LINE];
    size_t len = sink_joblog_format (buf, sizeof (buf), line);
    sink_logfile_write (file, buf, len);
}
