/*  sink_rerun: --failed FILE, the input of every item that failed or was
    dropped at a worker, in the input's own form -- one line each, or
    NUL-ended with -0 -- so `pp-ventilator FILE` reruns exactly those.

    An input that holds the delimiter (a newline in a line) cannot be
    written as one record: it is left out, counted, and the caller says
    so (use -0 on both sides). Records the ventilator itself dropped
    (--overflow drop) never reach the sink: they cannot be in the file,
    and the caller says how many there were.                               */

#ifndef SINK_RERUN_H_INCLUDED
#define SINK_RERUN_H_INCLUDED

#include "logfile.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    sink_logfile_t *file; /* NULL: no --failed                          */
    char delim;           /* '\n', or '\0' with -0                       */
    uint64_t written;     /* inputs written                              */
    uint64_t unwritable;  /* inputs left out: they hold the delimiter    */
} sink_rerun_t;

/*  Writes input (len bytes) as one record, or counts it unwritable.       */
void sink_rerun_add (sink_rerun_t *self, const char *input, size_t len);

#endif
