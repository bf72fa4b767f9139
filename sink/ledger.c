/*  sink_ledger: the ring of outcomes over [base, base + window), and the
    results --ordered holds in it (ledger.h).

    Slots are indexed from base_slot, the slot of base, so a seq's slot is
    found without a division: the offset from base, wrapped once.         */

#include "ledger.h"
#include "pp_error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*  A result --ordered holds until base reaches it: in memory, or past the
    bound on bytes, in the spill file at offset.                          */
typedef struct {
    size_t len;
    int64_t offset; /* in the spill file, or -1: data follows            */
    char data[];
} s_held_t;

struct _sink_ledger_t {
    uint64_t base;          /* lowest seq without an outcome           */
    uint32_t base_slot;     /* its slot                                */
    uint32_t window;        /* slots                                   */
    uint8_t *seen;          /* per slot: an outcome is recorded        */
    s_held_t **held;        /* --ordered: per slot, its ok result      */
    s_held_t *released;     /* the result sink_ledger_advance returned */
    size_t held_bytes;      /* of results held in memory               */
    size_t max_held;        /* the bound on held_bytes (0: none)       */
    const char *dir;        /* where the spill file goes               */
    int spill_fd;           /* unlinked spill file, or -1              */
    uint64_t spill_end;     /* bytes written to it                     */
    uint32_t spilled;       /* results held in it                      */
    uint64_t spilled_total; /* results ever spilled                    */
    int spill_err;          /* errno of a spill read that failed, or 0 */
};

sink_ledger_t *
sink_ledger_new (uint32_t window, bool ordered)
{
    if (window == 0)
        return NULL;
    sink_ledger_t *self = calloc (1, sizeof (sink_ledger_t));
    if (!self)
        return NULL;
    self->window = window;
    self->spill_fd = -1;
    self->seen = calloc (window, 1);
    if (ordered)
        self->held = calloc (window, sizeof (s_held_t *));
    if (!self->seen || (ordered && !self->held))
        sink_ledger_destroy (&self);
    return self;
}

void
sink_ledger_destroy (sink_ledger_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sink_ledger_t *self = *self_p;
    if (self->held)
        for (uint32_t slot = 0; slot < self->window; slot++)
            free (self->held[slot]);
    free (self->held);
    free (self->released);
    free (self->seen);
    if (self->spill_fd >= 0)
        close (self->spill_fd);
    free (self);
    *self_p = NULL;
}

/*  The slot of the seq offset places above base (offset < window).        */
static inline uint32_t
s_slot (const sink_ledger_t *self, uint64_t offset)
{
    uint64_t slot = self->base_slot + offset;
    return (uint32_t) (slot >= self->window ? slot - self->window : slot);
}

sink_ledger_verdict_t
sink_ledger_check (const sink_ledger_t *self, uint64_t seq)
{
    if (seq < self->base)
        return SINK_LEDGER_DUPLICATE;
    if (seq - self->base >= self->window)
        return SINK_LEDGER_OUT_OF_WINDOW;
    return self->seen[s_slot (self, seq - self->base)] ? SINK_LEDGER_DUPLICATE
                                                       : SINK_LEDGER_NEW;
}

sink_ledger_verdict_t
sink_ledger_record (sink_ledger_t *self, uint64_t seq)
{
    sink_ledger_verdict_t verdict = sink_ledger_check (self, seq);
    if (verdict == SINK_LEDGER_NEW)
        self->seen[s_slot (self, seq - self->base)] = 1;
    return verdict;
}

void
sink_ledger_set_max_held (sink_ledger_t *self, size_t max_bytes,
                          const char *dir)
{
    self->max_held = max_bytes;
    self->dir = dir;
}

/*  Writes len bytes of data at the end of the spill file, made at first
    use. Returns 0, or PP_EIO with errno set.                              */
static int
s_spill_write (sink_ledger_t *self, const void *data, size_t len)
{
    if (self->spill_fd < 0) {
        char path[4096];
        snprintf (path, sizeof (path), "%s/pp-sink-ordered.XXXXXX",
                  self->dir ? self->dir : "/tmp");
        self->spill_fd = mkstemp (path);
        if (self->spill_fd < 0)
            return PP_EIO;
        unlink (path); /* gone when we are, however we end            */
    }
    for (size_t done = 0; done < len;) {
        ssize_t n = pwrite (self->spill_fd, (const char *) data + done,
                            len - done, (off_t) (self->spill_end + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = ENOSPC;
            return PP_EIO;
        }
        done += (size_t) n;
    }
    return 0;
}

int
sink_ledger_hold (sink_ledger_t *self, uint64_t seq, const void *data,
                  size_t len)
{
    if (!self->held || seq < self->base || seq - self->base >= self->window)
        return PP_EINVAL;
    uint32_t slot = s_slot (self, seq - self->base);
    if (!self->seen[slot])
        return PP_EINVAL;
    bool spill = self->max_held > 0 && self->held_bytes + len > self->max_held;
    /*  held[slot] is empty (seq was recorded once) and is not read: a
        read before the first write of a page would map the zero page and
        make that write fault again, with a TLB flush.                     */
    s_held_t *held = malloc (sizeof (s_held_t) + (spill ? 0 : len));
    if (!held)
        return PP_ENOMEM;
    held->len = len;
    held->offset = spill ? (int64_t) self->spill_end : -1;
    if (spill && s_spill_write (self, data, len) != 0) {
        free (held);
        return PP_EIO;
    }
    if (spill) {
        self->spill_end += len;
        self->spilled++;
        self->spilled_total++;
    } else {
        memcpy (held->data, data, len);
        self->held_bytes += len;
    }
    self->held[slot] = held;
    return 0;
}

/*  The held result of slot, read back from the spill file if it is there
    (the file is emptied once nothing in it is held). NULL when the read
    failed: spill_err says why.                                            */
static s_held_t *
s_take_held (sink_ledger_t *self, uint32_t slot)
{
    s_held_t *held = self->held[slot];
    if (held->offset < 0) {
        self->held_bytes -= held->len;
        return held;
    }
    s_held_t *back = malloc (sizeof (s_held_t) + held->len);
    size_t done = 0;
    while (back && done < held->len) {
        ssize_t n = pread (self->spill_fd, back->data + done, held->len - done,
                           (off_t) held->offset + (off_t) done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO; /* the file is shorter than we wrote    */
            break;
        }
        done += (size_t) n;
    }
    if (!back || done < held->len) {
        self->spill_err = !back ? ENOMEM : errno;
        free (back);
        return NULL;
    }
    back->len = held->len;
    back->offset = -1;
    /*  Results come back in seq order, not in the order they were written:
        the space of each is freed as it is read (a hole: the file keeps
        its length), or a steady backlog that never empties the file would
        fill the disk with results long written out. A file system without
        holes keeps them until the file empties.                           */
    if (fallocate (self->spill_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                   (off_t) held->offset, (off_t) held->len) != 0)
        errno = 0;
    free (held);
    if (--self->spilled == 0 && ftruncate (self->spill_fd, 0) == 0)
        self->spill_end = 0;
    return back;
}

bool
sink_ledger_advance (sink_ledger_t *self, const char **data, size_t *len)
{
    if (self->released) {
        free (self->released);
        self->released = NULL;
    }
    while (self->seen[self->base_slot] && !self->spill_err) {
        uint32_t slot = self->base_slot;
        s_held_t *held = NULL;
        if (self->held && self->held[slot] &&
            !(held = s_take_held (self, slot)))
            return false; /* base stays: sink_ledger_spill_error      */
        self->seen[slot] = 0;
        self->base++;
        self->base_slot = slot + 1 == self->window ? 0 : slot + 1;
        if (held) {
            self->released = held;
            self->held[slot] = NULL;
            *data = held->data;
            *len = held->len;
            return true;
        }
    }
    return false;
}

int
sink_ledger_spill_error (const sink_ledger_t *self)
{
    return self->spill_err;
}

size_t
sink_ledger_held_bytes (const sink_ledger_t *self)
{
    return self->held_bytes;
}

uint64_t
sink_ledger_spilled (const sink_ledger_t *self)
{
    return self->spilled_total;
}

uint64_t
sink_ledger_base (const sink_ledger_t *self)
{
    return self->base;
}

uint32_t
sink_ledger_window (const sink_ledger_t *self)
{
    return self->window;
}

uint64_t
sink_ledger_end (const sink_ledger_t *self)
{
    for (uint64_t offset = self->window; offset > 0; offset--)
        if (self->seen[s_slot (self, offset - 1)])
            return self->base + offset;
    return self->base;
}

uint32_t
sink_ledger_ranges (const sink_ledger_t *self, uint64_t from, uint64_t *first,
                    uint64_t *n, uint32_t max, uint64_t *next)
{
    uint32_t count = 0;
    uint64_t seq = from;
    if (seq < self->base && max > 0) {
        first[0] = seq;
        n[0] = self->base - seq;
        count = 1;
        seq = self->base;
    }
    uint64_t end = self->base + self->window;
    for (; seq < end && seq >= self->base; seq++) {
        if (!self->seen[s_slot (self, seq - self->base)])
            continue;
        if (count > 0 && first[count - 1] + n[count - 1] == seq)
            n[count - 1]++;
        else if (count == max)
            break;
        else {
            first[count] = seq;
            n[count++] = 1;
        }
    }
    *next = seq < end ? seq : SINK_LEDGER_ALL;
    return count;
}

void
sink_ledger_missing (const sink_ledger_t *self, uint64_t end,
                     sink_ledger_hole_fn *on_hole, void *arg)
{
    uint64_t ring_end = self->base + self->window;
    uint64_t first = 0, n = 0;
    for (uint64_t seq = self->base; seq < end && seq < ring_end; seq++) {
        if (!self->seen[s_slot (self, seq - self->base)]) {
            if (n++ == 0)
                first = seq;
        } else if (n > 0) {
            on_hole (arg, first, n);
            n = 0;
        }
    }
    if (end > ring_end) { /* past the ring: nothing of it arrived          */
        if (n == 0)
            first = ring_end;
        n += end - ring_end;
    }
    if (n > 0)
        on_hole (arg, first, n);
}
