/*  vent_journal: records, each
      magic u32 "PPVJ" | type u32 | size u32 (payload bytes) | payload
    big-endian. HEAD (type 1, first): version u32 | kind u32 | delim u32
    | window u32 | batch u32 | 0 u32 | run_id u64 | skip u64 | count u64
    | seed u64 | max_item u64. PROGRESS (type 2): numbered u64 | hash u64
    | nsamples u32 | nranges u32 | nsamples x (count u64, hash u64)
    | nranges x (first u64, n u64). A torn last record is ignored.

    The hash is FNV-1a 64 over (outcome u8, len u32, bytes) of every
    numbered item, in order. Samples of it are taken every count/512 + 1
    items (every item at first) and at every PROGRESS; at most S_SAMPLES
    are kept (thinned to every other one when full): memory and journal
    stay bounded, and a changed input is placed between two samples --
    to the record early in a run, to a 1/256th of it later.               */

#include "journal.h"
#include "pp_error.h"
#include "pp_wire.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_MAGIC 0x5050564au      /* "PPVJ"                              */
#define S_SINK_MAGIC 0x50504a31u /* "PPJ1": a pp-sink journal            */
#define S_HEAD 1
#define S_PROGRESS 2
#define S_STOPPED 3        /* a drain stopped the input: the total is final */
#define S_DONE 4           /* the run completed: total, ok, failed, dropped */
#define S_FRAME 12         /* magic, type, size                 */
#define S_HEAD_SIZE 64     /* HEAD payload                      */
#define S_PROGRESS_SIZE 24 /* PROGRESS payload before samples        */
#define S_SAMPLES 1024     /* hash samples kept                      */
#define S_COMPACT_MIN (1 << 20) /* a file this small is never compacted */
#define S_FNV_BASIS 0xcbf29ce484222325ULL
#define S_FNV_PRIME 0x100000001b3ULL

typedef struct {
    uint64_t count; /* items numbered                               */
    uint64_t hash;  /* the hash over them                           */
} s_sample_t;

typedef struct {
    uint64_t *first, *end; /* sorted, disjoint, not adjacent          */
    size_t n, cap;
    size_t cursor; /* vent_journal_was_acked walks forward            */
} s_ranges_t;

typedef struct {
    uint8_t *data;
    size_t len, cap;
    bool failed; /* out of memory                                   */
} s_buf_t;

struct _vent_journal_t {
    char *path;
    int fd; /* -1 until vent_journal_begin            */
    vent_journal_head_t head;
    uint64_t count;   /* items numbered                         */
    uint64_t hash;    /* over them                              */
    uint64_t resumed; /* the journal vouched for this many      */
    s_sample_t samples[S_SAMPLES];
    size_t nsamples;
    size_t checked; /* resuming: samples checked so far       */
    uint64_t differs_from, differs_to; /* the input changed in there   */
    s_ranges_t acked; /* resuming: what the sink had            */
    uint64_t pending_first[VENT_JOURNAL_RANGES]; /* acks to write       */
    uint64_t pending_n[VENT_JOURNAL_RANGES];
    uint32_t npending;
    uint64_t written_count;  /* count in the last PROGRESS written    */
    uint64_t sample_written; /* count of the last sample written      */
    int64_t flushed_ms;      /* the last PROGRESS                      */
    uint64_t size;           /* bytes in the file                      */
    uint64_t limit;          /* compact past this size                 */
    bool broken;             /* a write failed: no more records        */
    bool stopped;            /* a drain stopped the input (S_STOPPED)  */
    bool done;               /* the run completed (S_DONE)              */
    uint64_t outcome[4];     /* its total, ok, failed, dropped         */
    int err;                 /* its errno                              */
    vent_journal_snapshot_fn *snapshot;
    void *snapshot_ctx;
};

/*  --- the hash and its samples ----------------------------------------- */

static uint64_t
s_fnv (uint64_t hash, const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++)
        hash = (hash ^ data[i]) * S_FNV_PRIME;
    return hash;
}

/*  Keeps (count, hash) as a sample, if past the last; a full list keeps
    every other one first (the newest stays).                             */
static void
s_sample (vent_journal_t *self, uint64_t count, uint64_t hash)
{
    if (self->nsamples > 0 && self->samples[self->nsamples - 1].count >= count)
        return;
    if (self->nsamples == S_SAMPLES) {
        for (size_t i = 0; i < S_SAMPLES / 2; i++)
            self->samples[i] = self->samples[2 * i + 1];
        self->nsamples = S_SAMPLES / 2;
    }
    self->samples[self->nsamples++] = (s_sample_t){count, hash};
}

int
vent_journal_numbered (vent_journal_t *self, uint8_t outcome, const char *data,
                       size_t len)
{
    uint8_t prefix[5] = {outcome};
    pp_put_u32 (prefix + 1, (uint32_t) len);
    self->hash = s_fnv (self->hash, prefix, sizeof (prefix));
    self->hash = s_fnv (self->hash, (const uint8_t *) data, len);
    self->count++;
    if (self->differs_to)
        return PP_EPROTO;
    if (self->count > self->resumed) {
        uint64_t last =
            self->nsamples ? self->samples[self->nsamples - 1].count : 0;
        if (self->count - last > self->count / (S_SAMPLES / 2))
            s_sample (self, self->count, self->hash);
        return 0;
    }
    while (self->checked < self->nsamples &&
           self->samples[self->checked].count < self->count)
        self->checked++;
    if (self->checked == self->nsamples ||
        self->samples[self->checked].count != self->count)
        return 0;
    if (self->samples[self->checked].hash == self->hash) {
        self->checked++;
        return 0;
    }
    self->differs_from =
        self->checked > 0 ? self->samples[self->checked - 1].count + 1 : 1;
    self->differs_to = self->count;
    return PP_EPROTO;
}

void
vent_journal_differs (const vent_journal_t *self, uint64_t *from, uint64_t *to)
{
    *from = self->differs_from;
    *to = self->differs_to;
}

/*  --- acked ranges read back ------------------------------------------- */

/*  Adds [first, end) to the set, merging what it touches. 0 or PP_ENOMEM. */
static int
s_ranges_add (s_ranges_t *set, uint64_t first, uint64_t end)
{
    if (first >= end)
        return 0;
    size_t lo = 0, hi = set->n; /* first index whose end >= first      */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (set->end[mid] < first)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t stop = lo; /* past the last one that touches [first, end)   */
    while (stop < set->n && set->first[stop] <= end)
        stop++;
    if (stop > lo) { /* merge lo..stop-1 into one                       */
        if (set->first[lo] < first)
            first = set->first[lo];
        if (set->end[stop - 1] > end)
            end = set->end[stop - 1];
        memmove (set->first + lo + 1, set->first + stop,
                 (set->n - stop) * sizeof (uint64_t));
        memmove (set->end + lo + 1, set->end + stop,
                 (set->n - stop) * sizeof (uint64_t));
        set->n -= stop - lo - 1;
        set->first[lo] = first;
        set->end[lo] = end;
        return 0;
    }
    if (set->n == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 64;
        uint64_t *f = realloc (set->first, cap * sizeof (uint64_t));
        if (f)
            set->first = f;
        uint64_t *e = f ? realloc (set->end, cap * sizeof (uint64_t)) : NULL;
        if (!e)
            return PP_ENOMEM;
        set->end = e;
        set->cap = cap;
    }
    memmove (set->first + lo + 1, set->first + lo,
             (set->n - lo) * sizeof (uint64_t));
    memmove (set->end + lo + 1, set->end + lo,
             (set->n - lo) * sizeof (uint64_t));
    set->first[lo] = first;
    set->end[lo] = end;
    set->n++;
    return 0;
}

static void
s_ranges_free (s_ranges_t *set)
{
    free (set->first);
    free (set->end);
    *set = (s_ranges_t){0};
}

bool
vent_journal_was_acked (vent_journal_t *self, uint64_t seq)
{
    s_ranges_t *set = &self->acked;
    while (set->cursor < set->n && set->end[set->cursor] <= seq)
        set->cursor++;
    return set->cursor < set->n && set->first[set->cursor] <= seq;
}

/*  --- records in memory ------------------------------------------------ */

static uint8_t *
s_buf_grow (s_buf_t *buf, size_t more)
{
    if (buf->failed)
        return NULL;
    if (buf->len + more > buf->cap) {
        size_t cap = buf->cap ? buf->cap : 4096;
        while (cap < buf->len + more)
            cap *= 2;
        uint8_t *data = realloc (buf->data, cap);
        if (!data) {
            buf->failed = true;
            return NULL;
        }
        buf->data = data;
        buf->cap = cap;
    }
    uint8_t *at = buf->data + buf->len;
    buf->len += more;
    return at;
}

static void
s_put_head (s_buf_t *buf, const vent_journal_head_t *head)
{
    uint8_t *at = s_buf_grow (buf, S_FRAME + S_HEAD_SIZE);
    if (!at)
        return;
    memset (at, 0, S_FRAME + S_HEAD_SIZE);
    pp_put_u32 (at, S_MAGIC);
    pp_put_u32 (at + 4, S_HEAD);
    pp_put_u32 (at + 8, S_HEAD_SIZE);
    at += S_FRAME;
    pp_put_u32 (at, VENT_JOURNAL_VERSION);
    pp_put_u32 (at + 4, head->kind);
    pp_put_u32 (at + 8, head->delim);
    pp_put_u32 (at + 12, head->window);
    pp_put_u32 (at + 16, head->batch);
    pp_put_u64 (at + 24, head->run_id);
    pp_put_u64 (at + 32, head->skip);
    pp_put_u64 (at + 40, head->count);
    pp_put_u64 (at + 48, head->seed);
    pp_put_u64 (at + 56, head->max_item);
}

static void
s_get_head (const uint8_t *at, vent_journal_head_t *head)
{
    head->kind = pp_get_u32 (at + 4);
    head->delim = pp_get_u32 (at + 8);
    head->window = pp_get_u32 (at + 12);
    head->batch = pp_get_u32 (at + 16);
    head->run_id = pp_get_u64 (at + 24);
    head->skip = pp_get_u64 (at + 32);
    head->count = pp_get_u64 (at + 40);
    head->seed = pp_get_u64 (at + 48);
    head->max_item = pp_get_u64 (at + 56);
}

/*  A PROGRESS of the journal's count and hash, the samples from index
    from on, and nranges ranges to fill in; returns where the ranges go,
    or NULL on OOM.                                                       */
static uint8_t *
s_put_progress (s_buf_t *buf, const vent_journal_t *self, size_t from,
                uint32_t nranges)
{
    uint32_t nsamples = (uint32_t) (self->nsamples - from);
    size_t size = S_PROGRESS_SIZE + ((size_t) nsamples + nranges) * 16;
    uint8_t *at = s_buf_grow (buf, S_FRAME + size);
    if (!at)
        return NULL;
    pp_put_u32 (at, S_MAGIC);
    pp_put_u32 (at + 4, S_PROGRESS);
    pp_put_u32 (at + 8, (uint32_t) size);
    pp_put_u64 (at + 12, self->count);
    pp_put_u64 (at + 20, self->hash);
    pp_put_u32 (at + 28, nsamples);
    pp_put_u32 (at + 32, nranges);
    at += S_FRAME + S_PROGRESS_SIZE;
    for (size_t i = from; i < self->nsamples; i++, at += 16) {
        pp_put_u64 (at, self->samples[i].count);
        pp_put_u64 (at + 8, self->samples[i].hash);
    }
    return at;
}

/*  --- reading ---------------------------------------------------------- */

/*  The whole file in memory (journals are small); NULL with errno set.  */
static uint8_t *
s_slurp (const char *path, size_t *size)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        return NULL;
    s_buf_t buf = {0};
    size_t got;
    do {
        uint8_t *at = s_buf_grow (&buf, 65536);
        got = at ? fread (at, 1, 65536, file) : 0;
        buf.len -= at ? 65536 - got : 0;
    } while (got > 0);
    int err = buf.failed ? ENOMEM : ferror (file) ? (errno ? errno : EIO) : 0;
    fclose (file);
    if (err) {
        free (buf.data);
        errno = err;
        return NULL;
    }
    *size = buf.len;
    return buf.data ? buf.data : calloc (1, 1);
}

/*  One PROGRESS payload of size bytes: a sample and its ranges.          */
static int
s_read_progress (vent_journal_t *self, const uint8_t *at, uint32_t size,
                 const char **why)
{
    uint64_t nsamples = size >= S_PROGRESS_SIZE ? pp_get_u32 (at + 16) : 0;
    uint64_t nranges = size >= S_PROGRESS_SIZE ? pp_get_u32 (at + 20) : 0;
    if (size < S_PROGRESS_SIZE ||
        size - S_PROGRESS_SIZE != (nsamples + nranges) * 16) {
        *why = "a PROGRESS record has the wrong size";
        return PP_EPROTO;
    }
    uint64_t count = pp_get_u64 (at), hash = pp_get_u64 (at + 8);
    if (count < self->resumed) {
        *why = "the count of numbered items goes back";
        return PP_EPROTO;
    }
    self->resumed = count;
    at += S_PROGRESS_SIZE;
    for (uint64_t i = 0; i < nsamples; i++, at += 16)
        if (pp_get_u64 (at) <= count) /* else not ours to vouch for    */
            s_sample (self, pp_get_u64 (at), pp_get_u64 (at + 8));
    s_sample (self, count, hash);
    for (uint64_t i = 0; i < nranges; i++) {
        uint64_t first = pp_get_u64 (at + i * 16);
        uint64_t n = pp_get_u64 (at + i * 16 + 8);
        if (first >= count)
            continue; /* never past what was numbered                  */
        uint64_t end = n > count - first ? count : first + n;
        if (s_ranges_add (&self->acked, first, end) != 0)
            return PP_ENOMEM;
    }
    return 0;
}

/*  The first record: HEAD, of a format this code reads.                  */
static int
s_read_head (vent_journal_t *self, const uint8_t *data, size_t size,
             const char **why, char *detail, size_t detail_size)
{
    if (size >= 4 && pp_get_u32 (data) == S_SINK_MAGIC) {
        *why = "it is a pp-sink journal (FILE.journal of --output), not "
               "a pp-ventilator --journal";
        return PP_EPROTO;
    }
    if (size < S_FRAME || pp_get_u32 (data) != S_MAGIC ||
        pp_get_u32 (data + 4) != S_HEAD) {
        *why = size < S_FRAME ? "it holds no run (empty, or cut short)"
                              : "it is not a pp-ventilator journal";
        return PP_EPROTO;
    }
    uint32_t version = size >= S_FRAME + 4 ? pp_get_u32 (data + S_FRAME) : 0;
    if (version > VENT_JOURNAL_VERSION) {
        snprintf (detail, detail_size,
                  "it was written by a newer pushpull (journal format %u; "
                  "this one reads %u)",
                  version, VENT_JOURNAL_VERSION);
        *why = detail;
        return PP_EPROTO;
    }
    if (pp_get_u32 (data + 8) != S_HEAD_SIZE || size < S_FRAME + S_HEAD_SIZE ||
        version == 0) {
        *why = "its HEAD record is cut short or malformed";
        return PP_EPROTO;
    }
    s_get_head (data + S_FRAME, &self->head);
    return 0;
}

static int
s_parse (vent_journal_t *self, const uint8_t *data, size_t size,
         const char **why, char *detail, size_t detail_size)
{
    int rc = s_read_head (self, data, size, why, detail, detail_size);
    size_t at = S_FRAME + S_HEAD_SIZE;
    while (rc == 0 && size - at >= S_FRAME &&
           pp_get_u32 (data + at) == S_MAGIC) {
        uint32_t type = pp_get_u32 (data + at + 4);
        uint32_t len = pp_get_u32 (data + at + 8);
        if (size - at - S_FRAME < len)
            break; /* torn by a crash: the records before count         */
        if (type == S_PROGRESS)
            rc = s_read_progress (self, data + at + S_FRAME, len, why);
        else if (type == S_STOPPED && len == 8 &&
                 pp_get_u64 (data + at + S_FRAME) == self->resumed)
            self->stopped = true;
        else if (type == S_STOPPED) {
            *why = "a STOPPED record does not match the count numbered";
            rc = PP_EPROTO;
        } else if (type == S_DONE && len == 32) {
            self->done = true;
            for (int i = 0; i < 4; i++)
                self->outcome[i] = pp_get_u64 (data + at + S_FRAME + i * 8);
        } else {
            snprintf (detail, detail_size,
                      "it holds a record of type %u, unknown here (a newer "
                      "pushpull?)",
                      type);
            *why = detail;
            rc = PP_EPROTO;
        }
        at += S_FRAME + len;
    }
    return rc;
}

static vent_journal_t *
s_new (const char *path)
{
    vent_journal_t *self = calloc (1, sizeof (vent_journal_t));
    if (!self)
        return NULL;
    self->path = strdup (path);
    self->fd = -1;
    self->hash = S_FNV_BASIS;
    self->limit = S_COMPACT_MIN;
    if (!self->path)
        vent_journal_destroy (&self, false);
    return self;
}

vent_journal_t *
vent_journal_new (const char *path, const vent_journal_head_t *head)
{
    vent_journal_t *self = s_new (path);
    if (self)
        self->head = *head;
    return self;
}

int
vent_journal_load (const char *path, vent_journal_t **self_p, char *why,
                   size_t why_size)
{
    *self_p = NULL;
    size_t size = 0;
    errno = 0;
    uint8_t *data = s_slurp (path, &size);
    if (!data) {
        snprintf (why, why_size, "%s", strerror (errno));
        return errno == ENOMEM ? PP_ENOMEM : PP_EIO;
    }
    vent_journal_t *self = s_new (path);
    const char *reason = "out of memory";
    char detail[160];
    int rc = self ? s_parse (self, data, size, &reason, detail, sizeof (detail))
                  : PP_ENOMEM;
    free (data);
    if (rc != 0) {
        snprintf (why, why_size, "%s", reason);
        vent_journal_destroy (&self, false);
        return rc;
    }
    self->checked = 0;
    *self_p = self;
    return 0;
}

const vent_journal_head_t *
vent_journal_head (const vent_journal_t *self)
{
    return &self->head;
}

uint64_t
vent_journal_resumed (const vent_journal_t *self)
{
    return self->resumed;
}

/*  --- writing ---------------------------------------------------------- */

/*  Emit callback of the snapshot: appends the range to the open record. */
typedef struct {
    s_buf_t *buf;
    size_t at;        /* where the ranges' record begins             */
    uint32_t nranges; /* in it so far                                 */
} s_emit_t;

static void
s_emit (void *arg, uint64_t first, uint64_t n)
{
    s_emit_t *emit = arg;
    uint8_t *at = n > 0 ? s_buf_grow (emit->buf, 16) : NULL;
    if (!at)
        return;
    pp_put_u64 (at, first);
    pp_put_u64 (at + 8, n);
    emit->nranges++;
}

/*  A STOPPED record: the drain stopped the input at count items.        */
static void
s_put_stopped (s_buf_t *buf, uint64_t count)
{
    uint8_t *at = s_buf_grow (buf, S_FRAME + 8);
    if (!at)
        return;
    pp_put_u32 (at, S_MAGIC);
    pp_put_u32 (at + 4, S_STOPPED);
    pp_put_u32 (at + 8, 8);
    pp_put_u64 (at + 12, count);
}

/*  A DONE record: the run completed with outcome (total, ok, failed,
    dropped).                                                              */
static void
s_put_done (s_buf_t *buf, const uint64_t outcome[4])
{
    uint8_t *at = s_buf_grow (buf, S_FRAME + 32);
    if (!at)
        return;
    pp_put_u32 (at, S_MAGIC);
    pp_put_u32 (at + 4, S_DONE);
    pp_put_u32 (at + 8, 32);
    for (int i = 0; i < 4; i++)
        pp_put_u64 (at + S_FRAME + i * 8, outcome[i]);
}

/*  The whole journal as it is now, in buf: HEAD, the samples, and one
    PROGRESS with every acked range (then STOPPED and DONE, if so: a
    compaction after the end must not forget that the run completed).     */
static void
s_snapshot (vent_journal_t *self, s_buf_t *buf)
{
    s_put_head (buf, &self->head);
    s_emit_t emit = {.buf = buf, .at = buf->len};
    s_put_progress (buf, self, 0, 0);
    if (self->snapshot)
        self->snapshot (self->snapshot_ctx, s_emit, &emit);
    if (buf->failed)
        return;
    uint8_t *record = buf->data + emit.at;
    pp_put_u32 (record + 8, (uint32_t) (S_PROGRESS_SIZE +
                                        (self->nsamples + emit.nranges) * 16));
    pp_put_u32 (record + S_FRAME + 20, emit.nranges);
    if (self->stopped)
        s_put_stopped (buf, self->count);
    if (self->done)
        s_put_done (buf, self->outcome);
}

/*  A write failed: no record goes after it. PP_EIO with errno = err.     */
static int
s_break (vent_journal_t *self, int err)
{
    self->broken = true;
    self->err = err;
    errno = err;
    return PP_EIO;
}

/*  Writes the snapshot to path.new, synced, renamed over path; it is the
    journal from then on.                                                  */
static int
s_compact (vent_journal_t *self)
{
    s_buf_t buf = {0};
    s_snapshot (self, &buf);
    char fresh[4096];
    snprintf (fresh, sizeof (fresh), "%s.new", self->path);
    int fd =
        buf.failed
            ? -1
            : open (fresh, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
                    0644);
    int err = buf.failed ? ENOMEM : errno;
    ssize_t wrote = fd == -1 ? -1 : write (fd, buf.data, buf.len);
    if (fd != -1 && wrote != (ssize_t) buf.len)
        err = wrote == -1 ? errno : ENOSPC;
    else if (fd != -1 && (fsync (fd) != 0 || rename (fresh, self->path) != 0))
        err = errno;
    else if (fd != -1)
        err = 0;
    free (buf.data);
    if (err) {
        if (fd != -1) {
            close (fd);
            unlink (fresh);
        }
        return s_break (self, err);
    }
    if (self->fd != -1)
        close (self->fd);
    self->fd = fd;
    self->size = buf.len;
    self->limit = 4 * buf.len > S_COMPACT_MIN ? 4 * buf.len : S_COMPACT_MIN;
    self->npending = 0;
    self->written_count = self->count;
    self->sample_written =
        self->nsamples ? self->samples[self->nsamples - 1].count : 0;
    return 0;
}

int
vent_journal_begin (vent_journal_t *self, vent_journal_snapshot_fn *snapshot,
                    void *ctx)
{
    self->snapshot = snapshot;
    self->snapshot_ctx = ctx;
    s_ranges_free (&self->acked); /* the window has them now           */
    return s_compact (self);
}

/*  One PROGRESS with the pending ranges, in one write (O_APPEND: a crash
    can only tear the last record).                                       */
static int
s_write_progress (vent_journal_t *self)
{
    s_sample (self, self->count, self->hash);
    size_t from = self->nsamples; /* the samples not written yet        */
    while (from > 0 && self->samples[from - 1].count > self->sample_written)
        from--;
    s_buf_t buf = {0};
    uint8_t *ranges = s_put_progress (&buf, self, from, self->npending);
    if (!ranges)
        return s_break (self, ENOMEM);
    for (uint32_t i = 0; i < self->npending; i++) {
        pp_put_u64 (ranges + i * 16, self->pending_first[i]);
        pp_put_u64 (ranges + i * 16 + 8, self->pending_n[i]);
    }
    ssize_t wrote = write (self->fd, buf.data, buf.len);
    int err = wrote == -1 ? errno : ENOSPC;
    free (buf.data);
    if (wrote != (ssize_t) buf.len) {
        int cut = ftruncate (self->fd, (off_t) self->size);
        (void) cut; /* else the torn tail is skipped on reading        */
        return s_break (self, err);
    }
    self->size += buf.len;
    self->npending = 0;
    self->written_count = self->count;
    self->sample_written = self->count;
    return 0;
}

void
vent_journal_acked (vent_journal_t *self, uint64_t first, uint64_t n)
{
    if (first >= self->count || n == 0 || self->broken || self->fd == -1)
        return; /* not numbered (yet): the window ignores it too      */
    if (n > self->count - first)
        n = self->count - first;
    uint32_t last = self->npending - 1;
    if (self->npending > 0 &&
        self->pending_first[last] + self->pending_n[last] == first) {
        self->pending_n[last] += n;
        return;
    }
    if (self->npending == VENT_JOURNAL_RANGES && s_write_progress (self) != 0)
        return; /* broken: vent_journal_flush says so                  */
    self->pending_first[self->npending] = first;
    self->pending_n[self->npending++] = n;
}

int
vent_journal_flush (vent_journal_t *self, int64_t now_ms, bool force)
{
    if (self->broken) {
        errno = self->err;
        return PP_EIO;
    }
    if (self->fd == -1 ||
        (!force && now_ms - self->flushed_ms < VENT_JOURNAL_FLUSH_MS))
        return 0;
    self->flushed_ms = now_ms;
    if (self->npending == 0 && self->written_count == self->count)
        return 0;
    int rc = s_write_progress (self);
    if (rc == 0 && self->size > self->limit)
        rc = s_compact (self);
    return rc;
}

uint64_t
vent_journal_size (const vent_journal_t *self)
{
    return self->size;
}

void
vent_journal_destroy (vent_journal_t **self_p, bool remove_file)
{
    if (!self_p || !*self_p)
        return;
    vent_journal_t *self = *self_p;
    if (self->fd != -1)
        close (self->fd);
    if (remove_file && self->path)
        unlink (self->path);
    s_ranges_free (&self->acked);
    free (self->path);
    free (self);
    *self_p = NULL;
}

int
vent_journal_stop (vent_journal_t *self)
{
    if (self->stopped || self->fd == -1)
        return 0;
    if (self->broken) {
        errno = self->err;
        return PP_EIO;
    }
    int rc = s_write_progress (self); /* the count and hash it is at    */
    s_buf_t buf = {0};
    s_put_stopped (&buf, self->count);
    if (rc == 0 && buf.failed)
        rc = s_break (self, ENOMEM);
    ssize_t wrote = rc == 0 ? write (self->fd, buf.data, buf.len) : 0;
    if (rc == 0 && wrote != (ssize_t) buf.len)
        rc = s_break (self, wrote == -1 ? errno : ENOSPC);
    free (buf.data);
    if (rc == 0) {
        self->size += S_FRAME + 8;
        self->stopped = true;
    }
    return rc;
}

bool
vent_journal_stopped (const vent_journal_t *self)
{
    return self->stopped;
}

int
vent_journal_done (vent_journal_t *self, const uint64_t outcome[4])
{
    if (self->done || self->fd == -1)
        return 0;
    if (self->broken) {
        errno = self->err;
        return PP_EIO;
    }
    s_buf_t buf = {0};
    s_put_done (&buf, outcome);
    if (buf.failed || !buf.data) {
        free (buf.data);
        return s_break (self, ENOMEM);
    }
    ssize_t wrote = write (self->fd, buf.data, buf.len);
    bool whole = wrote == (ssize_t) buf.len;
    size_t len = buf.len;
    free (buf.data);
    if (!whole)
        return s_break (self, wrote == -1 ? errno : ENOSPC);
    self->size += len;
    self->done = true;
    memcpy (self->outcome, outcome, sizeof (self->outcome));
    return 0;
}

bool
vent_journal_was_done (const vent_journal_t *self, uint64_t outcome[4])
{
    if (self->done)
        memcpy (outcome, self->outcome, sizeof (self->outcome));
    return self->done;
}
