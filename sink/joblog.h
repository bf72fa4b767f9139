/*  sink_joblog: --joblog FILE, one tab-separated line per item as its
    outcome is recorded (duplicates are not), under a header naming the
    columns, as GNU parallel's job log, so scripts can read it:

      seq      the item's sequence number in the run (0-based, as the wire)
      record   its 1-based input record number (0: not known)
      worker   the worker's id (8 hex digits)
      host     the worker's host, from its HELLO ("?" before one)
      start    when its job started, epoch seconds with 3 decimals
      runtime  how long its job ran, seconds with 3 decimals
      attempt  the delivery that ended it, 1 for the first
      outcome  ok, failed or dropped
      exit     the job's exit status, or the signal that ended it by name
               (SIGKILL; SIG<n> when it has none), from the worker's status
      reason   why it failed or was dropped, empty when ok (at most
               SINK_JOBLOG_REASON bytes of text, cut on a character)

    Every text field goes through pp_text_escape: valid UTF-8, and a tab,
    newline or other control byte in it is escaped, so a line is a line. */

#ifndef SINK_JOBLOG_H_INCLUDED
#define SINK_JOBLOG_H_INCLUDED

#include "logfile.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SINK_JOBLOG_HEADER                                                     \
    "seq\trecord\tworker\thost\tstart\truntime\tattempt\toutcome\texit\t"      \
    "reason\n"
#define SINK_JOBLOG_REASON 1024 /* bytes of escaped reason, at most    */
#define SINK_JOBLOG_HOST 260    /* bytes of escaped host, at most      */
#define SINK_JOBLOG_LINE (SINK_JOBLOG_REASON + SINK_JOBLOG_HOST + 256)

/*  One line's fields.                                                     */
typedef struct {
    uint64_t seq;
    uint64_t record;
    uint32_t worker_id;
    const char *host; /* NUL-terminated, any bytes; NULL: unknown  */
    uint64_t start_us;
    uint64_t runtime_us;
    uint8_t attempt; /* 0 for the first delivery                   */
    uint8_t outcome; /* PP_OUTCOME_*                               */
    int16_t status;  /* exit status, or -signal                    */
    const char *reason;
    size_t reason_len; /* 0 when ok                                */
} sink_joblog_line_t;

/*  The exit column for status into out (16 bytes): "0", "3", "SIGKILL",
    "SIG77". Returns out.                                                  */
const char *sink_joblog_exit (int16_t status, char out[16]);

/*  Writes line's TSV line, newline included, into out (size >=
    SINK_JOBLOG_LINE). Returns its length.                                 */
size_t sink_joblog_format (char *out, size_t size,
                           const sink_joblog_line_t *line);

/*  Writes the header when file is empty (a fresh file, or an empty one
    appended to).                                                          */
void sink_joblog_start (sink_logfile_t *file);

/*  Formats line and writes it to file.                                    */
void sink_joblog_write (sink_logfile_t *file, const sink_joblog_line_t *line);

#endif
