/*  sink_rerun: the --failed file (rerun.h).                               */

#include "rerun.h"

#include <string.h>

void
sink_rerun_add (sink_rerun_t *self, const char *input, size_t len)
{
    if (len > 0 && memchr (input, self->delim, len)) {
        self->unwritable++;
        return;
    }
    sink_logfile_write (self->file, input, len);
    sink_logfile_write (self->file, &self->delim, 1);
    self->written++;
}
