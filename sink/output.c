/*  sink_output: the results file or stdout, and --sum (output.h).         */

#include "output.h"
#include "pp_error.h"
#include "pp_job.h"
#include "pp_parse.h"

#include <czmq.h>
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

struct _sink_output_t {
    FILE *file;              /* the output, or stdout                     */
    const char *path;        /* NULL for stdout                           */
    char delim;              /* ends each result                          */
    bool sum;                /* --sum: add results up, write the sum only */
    int64_t int_sum;         /* --sum: the int64 sum of ok results        */
    uint64_t not_summed;     /* --sum: ok results not int64, or overflowing */
    int error;               /* errno of the first failed write, or 0     */
    void (*before) (void *); /* called ahead of each write, or NULL  */
    void *before_arg;
};

static sink_output_t *
s_new (FILE *file, const char *path, char delim, bool sum)
{
    sink_output_t *self = calloc (1, sizeof (sink_output_t));
    if (!self) {
        zsys_error ("--output: out of memory");
        if (file != stdout)
            fclose (file);
        return NULL;
    }
    self->file = file;
    self->path = path;
    self->delim = delim;
    self->sum = sum;
    return self;
}

sink_output_t *
sink_output_new (const char *path, char delim, bool sum)
{
    if (!path)
        return s_new (stdout, NULL, delim, sum);
    FILE *file = fopen (path, "w");
    if (!file) {
        zsys_error ("--output: cannot open %s: %s", path, strerror (errno));
        return NULL;
    }
    return s_new (file, path, delim, sum);
}

/*  Cuts file back to offset bytes and moves to its end. Returns 0 or an
    error, after logging it.                                               */
static int
s_cut (FILE *file, const char *path, uint64_t offset)
{
    struct stat st;
    if (fstat (fileno (file), &st) != 0) {
        zsys_error ("--resume: cannot open %s: %s", path, strerror (errno));
        return PP_EIO;
    }
    if ((uint64_t) st.st_size < offset) {
        zsys_error ("--resume: %s has %llu bytes, but its journal vouches "
                    "for %llu: results acked to the ventilator are gone, "
                    "so the run cannot be resumed",
                    path, (unsigned long long) st.st_size,
                    (unsigned long long) offset);
        return PP_EPROTO;
    }
    if (ftruncate (fileno (file), (off_t) offset) != 0 ||
        fseek (file, 0, SEEK_END) != 0) {
        zsys_error ("--resume: cannot cut %s back to %llu bytes: %s", path,
                    (unsigned long long) offset, strerror (errno));
        return PP_EIO;
    }
    return 0;
}

sink_output_t *
sink_output_new_resumed (const char *path, uint64_t offset, char delim,
                         bool sum)
{
    FILE *file = fopen (path, "r+");
    if (!file) {
        zsys_error ("--resume: cannot open %s: %s", path, strerror (errno));
        return NULL;
    }
    if (s_cut (file, path, offset) != 0) {
        fclose (file);
        return NULL;
    }
    return s_new (file, path, delim, sum);
}

void
sink_output_destroy (sink_output_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sink_output_t *self = *self_p;
    if (self->file != stdout)
        fclose (self->file);
    free (self);
    *self_p = NULL;
}

void
sink_output_write (sink_output_t *self, const char *data, size_t len)
{
    if (self->sum) {
        int64_t value, sum; /* sum: written even when it overflows    */
        if (pp_parse_int64 (data, len, &value) != 0 ||
            __builtin_add_overflow (self->int_sum, value, &sum))
            self->not_summed++;
        else
            self->int_sum = sum;
        return;
    }
    if (self->before)
        self->before (self->before_arg);
    /*  The sink is one thread: stdio's per-call locking is pure cost.
        The errno of a failed write is kept here, for the message, before
        anything changes it.                                               */
    if ((fwrite_unlocked (data, 1, len, self->file) != len ||
         putc_unlocked (self->delim, self->file) == EOF) &&
        !self->error)
        self->error = errno;
}

void
sink_output_write_sum (sink_output_t *self)
{
    if (self->before)
        self->before (self->before_arg);
    if (fprintf (self->file, "%lld\n", (long long) self->int_sum) < 0 &&
        !self->error)
        self->error = errno;
}

void
sink_output_on_write (sink_output_t *self, void (*before) (void *), void *arg)
{
    self->before = before;
    self->before_arg = arg;
}

int
sink_output_flush (sink_output_t *self)
{
    bool failed = fflush (self->file) != 0;
    if (failed && !self->error)
        self->error = errno;
    return failed || ferror (self->file) ? PP_EIO : 0;
}

int
sink_output_error (const sink_output_t *self)
{
    return self->error ? self->error : EIO;
}

int
sink_output_offset (sink_output_t *self, uint64_t *offset)
{
    long at = ftell (self->file);
    if (at < 0)
        return PP_EIO;
    *offset = (uint64_t) at;
    return 0;
}

const char *
sink_output_name (const sink_output_t *self)
{
    return self->path ? self->path : "stdout";
}

int64_t
sink_output_sum (const sink_output_t *self)
{
    return self->int_sum;
}

uint64_t
sink_output_not_summed (const sink_output_t *self)
{
    return self->not_summed;
}

void
sink_output_set_sum (sink_output_t *self, int64_t sum, uint64_t not_summed)
{
    self->int_sum = sum;
    self->not_summed = not_summed;
}
