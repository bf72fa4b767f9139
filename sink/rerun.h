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
#include "pp_wire.h"

#include <stdbool.h>

#include <stddef.h>
#include <stdint.h>

typedef struct {
    sink_logfile_t *file; /* NULL: no --failed                          */
    char delim;           /* '\n', or '\0' with -0                       */
    uint64_t written;     /* inputs written                              */
    uint64_t unwritable;  /* inputs left out: they hold the delimiter    */
    uint64_t no_input;    /* failed items that came without their input  */
} sink_rerun_t;

/*  True when rec (failed or dropped) came with its input. An item the
    ventilator failed itself (a record over --max-item-size, one given up
    after --max-deliver deliveries) reaches the sink unrun, its reason in
    place of its bytes and no input: failed, never started (start_us 0),
    no input bytes. An empty input that ran has a start time; one a worker
    dropped is outcome dropped.                                            */
bool sink_rerun_has_input (const pp_record_t *rec);

/*  Writes rec's input as one record; counts it unwritable (it holds the
    delimiter) or without input (sink_rerun_has_input) instead.           */
void sink_rerun_add (sink_rerun_t *self, const pp_record_t *rec);

#endif
