/*  vent_input: a delimiter splitter over a fixed buffer, and generators.  */

#include "input.h"
#include "pp_error.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef enum { S_FD, S_GENERATE, S_WORKLOAD } s_kind_t;

struct _vent_input_t {
    s_kind_t in_kind;
    int in_fd;
    char in_delim;
    size_t in_max; /* largest record                               */
    char *in_buf;
    size_t in_cap;
    size_t in_start; /* first unread byte                            */
    size_t in_end;   /* one past the last byte read                  */
    bool in_eof;
    bool in_skipping;    /* inside an oversized record: discard to delim */
    uint64_t in_first;   /* --generate: first number                     */
    uint64_t in_n;       /* generated records in all                     */
    uint64_t in_rng;     /* --workload: splitmix64 state                 */
    uint64_t in_records; /* records consumed, skipped ones included      */
    uint64_t in_skip;    /* --skip: the first records, never returned    */
    char in_text[24];    /* a generated record                           */
    uint64_t in_size;    /* a regular file: its bytes from where we began */
    uint64_t in_read;    /* bytes read from the fd so far                 */
};

vent_input_t *
vent_input_new_fd (int fd, char delim, size_t max_item)
{
    vent_input_t *self = calloc (1, sizeof (vent_input_t));
    if (!self)
        return NULL;
    self->in_kind = S_FD;
    self->in_fd = fd;
    self->in_delim = delim;
    self->in_max = max_item;
    self->in_cap = max_item + 65536;
    self->in_buf = malloc (self->in_cap);
    if (!self->in_buf) {
        free (self);
        return NULL;
    }
    struct stat st;
    off_t at = lseek (fd, 0, SEEK_CUR); /* stdin may start mid-file     */
    if (fstat (fd, &st) == 0 && S_ISREG (st.st_mode) && at >= 0 &&
        st.st_size > at)
        self->in_size = (uint64_t) (st.st_size - at);
    return self;
}

vent_input_t *
vent_input_new_generate (uint64_t first, uint64_t n)
{
    vent_input_t *self = calloc (1, sizeof (vent_input_t));
    if (self) {
        self->in_kind = S_GENERATE;
        self->in_fd = -1;
        self->in_first = first;
        self->in_n = n;
    }
    return self;
}

vent_input_t *
vent_input_new_workload (uint64_t n, uint64_t seed)
{
    vent_input_t *self = vent_input_new_generate (0, n);
    if (self) {
        self->in_kind = S_WORKLOAD;
        self->in_rng = seed;
    }
    return self;
}

void
vent_input_destroy (vent_input_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free ((*self_p)->in_buf);
    free (*self_p);
    *self_p = NULL;
}

int
vent_input_fd (vent_input_t *self)
{
    return self->in_fd;
}

uint64_t
vent_input_records (vent_input_t *self)
{
    return self->in_records;
}

uint64_t
vent_input_returned (vent_input_t *self)
{
    return self->in_records > self->in_skip ? self->in_records - self->in_skip
                                            : 0;
}

uint64_t
vent_input_expected (const vent_input_t *self, bool *exact)
{
    *exact = self->in_kind != S_FD;
    if (self->in_kind != S_FD)
        return self->in_n;
    uint64_t consumed = self->in_read - (self->in_end - self->in_start);
    if (self->in_size == 0 || consumed == 0 || self->in_records == 0)
        return 0;
    if (self->in_eof && self->in_start == self->in_end)
        return self->in_records; /* read whole: the count is known      */
    double per_byte = (double) self->in_records / (double) consumed;
    uint64_t guess = (uint64_t) (per_byte * (double) self->in_size + 0.5);
    return guess > self->in_records ? guess : self->in_records;
}

int
vent_input_fill (vent_input_t *self)
{
    if (self->in_eof)
        return 0;
    if (self->in_start > 0) { /* keep the partial record at the front */
        memmove (self->in_buf, self->in_buf + self->in_start,
                 self->in_end - self->in_start);
        self->in_end -= self->in_start;
        self->in_start = 0;
    }
    ssize_t got = read (self->in_fd, self->in_buf + self->in_end,
                        self->in_cap - self->in_end);
    if (got > 0) {
        self->in_end += (size_t) got;
        self->in_read += (uint64_t) got;
    } else if (got == 0)
        self->in_eof = true;
    else if (errno != EINTR && errno != EAGAIN)
        return PP_EIO;
    return 0;
}

#define S_SPLITMIX_GAMMA 0x9e3779b97f4a7c15ULL

static uint64_t
s_splitmix (uint64_t *state)
{
    uint64_t z = (*state += S_SPLITMIX_GAMMA);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int
s_next_generated (vent_input_t *self, const char **data, size_t *len)
{
    if (self->in_records == self->in_n)
        return PP_ECLOSED;
    uint64_t value = self->in_kind == S_GENERATE
                         ? self->in_first + self->in_records
                         : 1 + s_splitmix (&self->in_rng) % 100;
    int size = snprintf (self->in_text, sizeof (self->in_text), "%llu",
                         (unsigned long long) value);
    self->in_records++;
    *data = self->in_text;
    *len = (size_t) size;
    return 1;
}

void
vent_input_skip (vent_input_t *self, uint64_t n)
{
    self->in_skip = n;
    if (self->in_kind == S_FD)
        return; /* vent_input_next reads past them as input comes      */
    uint64_t skipped = n < self->in_n ? n : self->in_n;
    self->in_records = skipped;
    self->in_rng += skipped * S_SPLITMIX_GAMMA; /* as many draws        */
}

/*  Discards the rest of an oversized record; true once past its end.      */
static bool
s_skip_rest (vent_input_t *self)
{
    size_t avail = self->in_end - self->in_start;
    char *at = memchr (self->in_buf + self->in_start, self->in_delim, avail);
    if (!at) {
        self->in_start = self->in_end;
        return self->in_eof;
    }
    self->in_start = (size_t) (at - self->in_buf) + 1;
    self->in_skipping = false;
    return true;
}

/*  Length of a record without the '\r' of a CRLF line ending.           */
static size_t
s_trim_cr (const vent_input_t *self, const char *head, size_t size)
{
    bool cr = self->in_delim == '\n' && size > 0 && head[size - 1] == '\r';
    return cr ? size - 1 : size;
}

/*  The next record of fd input, as vent_input_next.                       */
static int
s_next_split (vent_input_t *self, const char **data, size_t *len)
{
    if (self->in_skipping && !s_skip_rest (self))
        return 0;
    size_t avail = self->in_end - self->in_start;
    char *head = self->in_buf + self->in_start;
    char *at = memchr (head, self->in_delim, avail);
    size_t size = at ? (size_t) (at - head) : avail;
    /*  Trimmed before the size check: a record of max_item bytes and a
        '\r' that waits for its '\n' is not too big yet.                  */
    size_t body = s_trim_cr (self, head, size);
    if (body > self->in_max) {
        self->in_skipping = true;
        self->in_records++;
        *len = self->in_max + 1;
        s_skip_rest (self);
        return PP_ETOOBIG;
    }
    if (!at && !self->in_eof)
        return 0;
    if (!at && avail == 0)
        return PP_ECLOSED;
    self->in_start += size + (at ? 1 : 0);
    self->in_records++;
    *data = head;
    *len = body;
    return 1;
}

int
vent_input_next (vent_input_t *self, const char **data, size_t *len)
{
    if (self->in_kind != S_FD)
        return s_next_generated (self, data, len);
    while (true) {
        int rc = s_next_split (self, data, len);
        if ((rc != 1 && rc != PP_ETOOBIG) || self->in_records > self->in_skip)
            return rc;
    }
}
