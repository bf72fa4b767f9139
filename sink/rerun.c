/*  sink_rerun: the --failed file (rerun.h).                               */

#include "rerun.h"

#include <string.h>

bool
sink_rerun_has_input (const pp_record_t *rec)
{
    return !(rec->outcome == PP_OUTCOME_FAILED && rec->start_us == 0 &&
             rec->input_len == 0);
}

void
sink_rerun_add (sink_rerun_t *self, const pp_record_t *rec)
{
    const char *input = rec->input;
    size_t len = rec->input_len;
    if (!sink_rerun_has_input (rec)) {
        self->no_input++;
        return;
    }
    if (len > 0 && memchr (input, self->delim, len)) {
        self->unwritable++;
        return;
    }
    sink_logfile_write (self->file, input, len);
    sink_logfile_write (self->file, &self->delim, 1);
    self->written++;
}
