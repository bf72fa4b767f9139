/*  sink_logfile: a buffered side file of the sink (logfile.h).            */

#include "logfile.h"
#include "pp_cli.h"
#include "pp_error.h"

#include <czmq.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_BUFFER (1 << 20) /* bytes gathered before a write           */

struct _sink_logfile_t {
    FILE *file;
    const char *flag; /* "--joblog", for messages                 */
    const char *path;
    bool empty;    /* empty when opened                        */
    int error;     /* errno of the first failed write, or 0    */
    bool reported; /* the error was logged                     */
};

/*  Cuts fd's regular file back to just past its last delim (to 0 without
    one).
    Returns 0, or -1 with errno set.                                       */
static int
s_cut_torn (int fd, char delim)
{
    struct stat st;
    if (fstat (fd, &st) != 0)
        return -1;
    if (!S_ISREG (st.st_mode))
        return 0; /* a FIFO, a terminal: nothing to cut               */
    off_t end = st.st_size;
    char buf[4096];
    while (end > 0) {
        size_t n = end < (off_t) sizeof (buf) ? (size_t) end : sizeof (buf);
        if (pread (fd, buf, n, end - (off_t) n) != (ssize_t) n)
            return -1;
        const char *last = memrchr (buf, delim, n);
        if (last) {
            off_t keep = end - (off_t) n + (last - buf) + 1;
            return keep == st.st_size ? 0 : ftruncate (fd, keep);
        }
        end -= (off_t) n;
    }
    return st.st_size == 0 ? 0 : ftruncate (fd, 0);
}

sink_logfile_t *
sink_logfile_open (const char *flag, const char *path, bool append, char delim)
{
    FILE *file = fopen (path, append ? "a+" : "w");
    if (file && append && s_cut_torn (fileno (file), delim) != 0) {
        int err = errno;
        fclose (file);
        errno = err;
        file = NULL;
    }
    if (!file)
        pp_cli_usage_error ("%s: cannot open %s: %s", flag, path,
                            strerror (errno));
    sink_logfile_t *self = calloc (1, sizeof (sink_logfile_t));
    if (!self) {
        zsys_error ("%s: out of memory", flag);
        fclose (file);
        return NULL;
    }
    struct stat st;
    self->file = file;
    self->flag = flag;
    self->path = path;
    self->empty = fstat (fileno (file), &st) != 0 || st.st_size == 0;
    setvbuf (file, NULL, _IOFBF, S_BUFFER);
    return self;
}

sink_logfile_t *
sink_logfile_open_resumed (const char *flag, const char *path, uint64_t keep,
                           char delim)
{
    struct stat st;
    if (keep != UINT64_MAX && stat (path, &st) == 0) {
        uint64_t size = (uint64_t) st.st_size;
        if (size > keep && truncate (path, (off_t) keep) != 0)
            pp_cli_usage_error ("%s: cannot cut %s back to %llu bytes, the "
                                "length its last checkpoint vouched for: %s",
                                flag, path, (unsigned long long) keep,
                                strerror (errno));
        if (size > keep)
            zsys_notice ("%s %s: cut %llu bytes written after the last "
                         "checkpoint (their items come again)",
                         flag, path, (unsigned long long) (size - keep));
        else if (size < keep)
            zsys_warning ("%s %s: %llu bytes, shorter than the %llu its last "
                          "checkpoint vouched for: not the same file? "
                          "Appending to it as it is",
                          flag, path, (unsigned long long) size,
                          (unsigned long long) keep);
    }
    return sink_logfile_open (flag, path, true, delim);
}

uint64_t
sink_logfile_length (sink_logfile_t *self)
{
    struct stat st;
    if (!self || sink_logfile_flush (self) != 0 ||
        fstat (fileno (self->file), &st) != 0)
        return UINT64_MAX;
    return (uint64_t) st.st_size;
}

int
sink_logfile_close (sink_logfile_t **self_p)
{
    if (!self_p || !*self_p)
        return 0;
    sink_logfile_t *self = *self_p;
    sink_logfile_flush (self);
    if (fclose (self->file) != 0 && !self->error)
        self->error = errno ? errno : EIO;
    self->file = NULL;
    int rc = sink_logfile_flush (self); /* says so, once               */
    free (self);
    *self_p = NULL;
    return rc;
}

bool
sink_logfile_empty (const sink_logfile_t *self)
{
    return self->empty;
}

void
sink_logfile_write (sink_logfile_t *self, const void *data, size_t len)
{
    if (fwrite_unlocked (data, 1, len, self->file) != len && !self->error)
        self->error = errno ? errno : EIO;
}

int
sink_logfile_flush (sink_logfile_t *self)
{
    if (self->file && fflush (self->file) != 0 && !self->error)
        self->error = errno ? errno : EIO;
    if (!self->error)
        return 0;
    if (!self->reported)
        zsys_error ("%s: cannot write %s: %s (it lacks lines from here on)",
                    self->flag, self->path, strerror (self->error));
    self->reported = true;
    return PP_EIO;
}
