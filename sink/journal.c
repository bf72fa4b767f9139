/*  sink_journal: checkpoint records, each
      magic u32 "PPJ2" | nranges u32 | run_id u64 | window u32 | offset u64
      | ok, failed, dropped, duplicates, not_summed u64 | int_sum i64
      | joblog_offset, failed_offset u64
      | nranges x (first u64, n u64)
    big-endian; a torn last record (a crash mid-write) is ignored. Records
    of the first format ("PPJ1", without the two side-file offsets) are
    read too, their offsets unknown.                                      */

#include "journal.h"
#include "pp_error.h"
#include "pp_wire.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_MAGIC 0x50504a32u    /* "PPJ2"                                */
#define S_HEAD 92              /* bytes before the ranges               */
#define S_MAGIC_V1 0x50504a31u /* "PPJ1": no side-file offsets          */
#define S_HEAD_V1 76

struct _sink_journal_t {
    int fd;
    char *path;
    char *fresh;   /* path.new until the first checkpoint is in it     */
    uint64_t size; /* bytes of whole records in the file              */
    bool broken;   /* a write failed: no record goes after it         */
};

static void
s_encode (const sink_checkpoint_t *cp, uint32_t nranges, uint8_t *out)
{
    pp_put_u32 (out, S_MAGIC);
    pp_put_u32 (out + 4, nranges);
    pp_put_u64 (out + 8, cp->run_id);
    pp_put_u32 (out + 16, cp->window);
    pp_put_u64 (out + 20, cp->offset);
    pp_put_u64 (out + 28, cp->ok);
    pp_put_u64 (out + 36, cp->failed);
    pp_put_u64 (out + 44, cp->dropped);
    pp_put_u64 (out + 52, cp->duplicates);
    pp_put_u64 (out + 60, cp->not_summed);
    pp_put_u64 (out + 68, (uint64_t) cp->int_sum);
    pp_put_u64 (out + 76, cp->joblog_offset);
    pp_put_u64 (out + 84, cp->failed_offset);
}

static void
s_decode (const uint8_t *in, sink_checkpoint_t *cp)
{
    cp->run_id = pp_get_u64 (in + 8);
    cp->window = pp_get_u32 (in + 16);
    cp->offset = pp_get_u64 (in + 20);
    cp->ok = pp_get_u64 (in + 28);
    cp->failed = pp_get_u64 (in + 36);
    cp->dropped = pp_get_u64 (in + 44);
    cp->duplicates = pp_get_u64 (in + 52);
    cp->not_summed = pp_get_u64 (in + 60);
    cp->int_sum = (int64_t) pp_get_u64 (in + 68);
    bool v1 = pp_get_u32 (in) == S_MAGIC_V1;
    cp->joblog_offset = v1 ? SINK_OFFSET_NONE : pp_get_u64 (in + 76);
    cp->failed_offset = v1 ? SINK_OFFSET_NONE : pp_get_u64 (in + 84);
}

/*  The length of the record's head at in, by its magic (0: not one).     */
static size_t
s_head_size (const uint8_t *in, size_t avail)
{
    if (avail < S_HEAD_V1)
        return 0;
    uint32_t magic = pp_get_u32 (in);
    if (magic == S_MAGIC_V1)
        return S_HEAD_V1;
    return magic == S_MAGIC && avail >= S_HEAD ? S_HEAD : 0;
}

/*  Reads the whole file into memory (journals are small). NULL with errno
    set when it cannot: no file (ENOENT), a read error, no memory -- never
    a part of it, which would read as a journal that ends early.           */
static uint8_t *
s_slurp (const char *path, size_t *size)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        return NULL;
    uint8_t *data = NULL;
    size_t cap = 0, used = 0, got;
    int err = 0;
    do {
        if (used == cap) {
            cap = cap ? cap * 2 : 65536;
            uint8_t *grown = realloc (data, cap);
            if (!grown) {
                err = ENOMEM;
                break;
            }
            data = grown;
        }
        got = fread (data + used, 1, cap - used, file);
        used += got;
    } while (got > 0);
    if (!err && ferror (file))
        err = errno ? errno : EIO;
    fclose (file);
    if (err) {
        free (data);
        errno = err;
        return NULL;
    }
    *size = used;
    return data;
}

int
sink_journal_read (const char *path, sink_checkpoint_t *last,
                   sink_range_fn *on_range, void *arg)
{
    size_t size = 0;
    errno = 0;
    uint8_t *data = s_slurp (path, &size);
    if (!data)
        return errno == ENOENT ? 0 : errno == ENOMEM ? PP_ENOMEM : PP_EIO;
    int found = 0;
    size_t at = 0;
    size_t head;
    while ((head = s_head_size (data + at, size - at)) != 0) {
        uint32_t nranges = pp_get_u32 (data + at + 4);
        size_t need = head + (size_t) nranges * 16;
        if (size - at < need)
            break; /* torn by a crash: the checkpoint before counts     */
        s_decode (data + at, last);
        for (uint32_t i = 0; i < nranges && found >= 0; i++) {
            const uint8_t *range = data + at + head + i * 16;
            int rc = on_range (arg, pp_get_u64 (range), pp_get_u64 (range + 8));
            if (rc != 0)
                found = rc; /* carried up as it is                      */
        }
        if (found < 0)
            break;
        found = 1;
        at += need;
    }
    free (data);
    return found;
}

sink_journal_t *
sink_journal_create (const char *path)
{
    sink_journal_t *self = calloc (1, sizeof (sink_journal_t));
    if (!self)
        return NULL;
    /*  Written beside, renamed over path once it holds a checkpoint: a
        crash in between leaves the old journal whole.                     */
    self->path = strdup (path);
    self->fresh = malloc (strlen (path) + 5);
    if (self->fresh)
        sprintf (self->fresh, "%s.new", path);
    self->fd =
        self->fresh
            ? open (self->fresh,
                    O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644)
            : -1;
    if (self->fd == -1 || !self->path) {
        sink_journal_destroy (&self, false);
        return NULL;
    }
    return self;
}

/*  The first record makes the fresh file the journal: synced, then
    renamed over path, so the old journal stays whole until then.          */
static int
s_commit (sink_journal_t *self)
{
    if (!self->fresh)
        return 0;
    if (fsync (self->fd) != 0 || rename (self->fresh, self->path) != 0)
        return PP_EIO;
    free (self->fresh);
    self->fresh = NULL;
    return 0;
}

/*  After a failed write: cuts off what part of the record got in (if
    even that fails, the torn tail stays and sink_journal_read skips it),
    and takes no more records. Returns PP_EIO with errno = err.            */
static int
s_break (sink_journal_t *self, int err)
{
    int cut = ftruncate (self->fd, (off_t) self->size);
    (void) cut;
    self->broken = true;
    errno = err;
    return PP_EIO;
}

int
sink_journal_write (sink_journal_t *self, const sink_checkpoint_t *cp,
                    const uint64_t *first, const uint64_t *n, uint32_t nranges)
{
    if (self->broken) {
        errno = EIO;
        return PP_EIO;
    }
    size_t size = S_HEAD + (size_t) nranges * 16;
    uint8_t stack[S_HEAD + 256 * 16];
    uint8_t *record = size <= sizeof (stack) ? stack : malloc (size);
    if (!record) {
        self->broken = true; /* as after any failed write              */
        errno = ENOMEM;
        return PP_ENOMEM;
    }
    s_encode (cp, nranges, record);
    for (uint32_t i = 0; i < nranges; i++) {
        pp_put_u64 (record + S_HEAD + i * 16, first[i]);
        pp_put_u64 (record + S_HEAD + i * 16 + 8, n[i]);
    }
    /*  One write of the whole record: O_APPEND keeps it in one piece in
        the file, and a crash can only tear the last record.              */
    ssize_t wrote = write (self->fd, record, size);
    int err = wrote == -1 ? errno : ENOSPC; /* short: the disk is full  */
    if (record != stack)
        free (record);
    if (wrote != (ssize_t) size)
        return s_break (self, err);
    if (s_commit (self) != 0)
        return s_break (self, errno);
    self->size += size;
    return 0;
}

uint64_t
sink_journal_size (const sink_journal_t *self)
{
    return self ? self->size : 0;
}

void
sink_journal_destroy (sink_journal_t **self_p, bool remove_file)
{
    if (!self_p || !*self_p)
        return;
    sink_journal_t *self = *self_p;
    if (self->fd != -1)
        close (self->fd);
    if (remove_file && self->path)
        unlink (self->path);
    if (self->fresh)
        unlink (self->fresh);
    free (self->fresh);
    free (self->path);
    free (self);
    *self_p = NULL;
}
