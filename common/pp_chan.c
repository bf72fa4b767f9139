/*  pp_chan: bounded channel, one mutex and three condition variables.

    The ring holds void pointers. Condition variables use CLOCK_MONOTONIC so
    a wall-clock jump cannot stretch or cut a timeout. A failed pthread call
    aborts the process: a broken lock cannot be limped past.                */

#include "pp_chan.h"
#include "pp_error.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/*  What send does when the channel is full.                               */
typedef enum {
    S_BLOCK = 0, /* wait for room: backpressure (default)               */
    S_DROP,      /* fail at once with PP_EAGAIN; the caller reports     */
    S_SPILL      /* append to a file, read back in FIFO order           */
} s_policy_t;

struct _pp_chan_t {
    pthread_mutex_t ch_lock;
    pthread_cond_t ch_not_full;   /* signalled when a slot frees          */
    pthread_cond_t ch_not_empty;  /* signalled when an item arrives       */
    pthread_cond_t ch_aborted_cv; /* broadcast once, on abort             */
    void **ch_ring;               /* capacity slots                       */
    size_t ch_capacity;
    size_t ch_head;               /* index of the oldest item             */
    size_t ch_count;              /* items buffered                       */
    size_t ch_used;               /* capacity they take (their weight)    */
    pp_chan_weight_fn *ch_weight; /* NULL: every item weighs 1        */
    int ch_send_waiters;          /* senders blocked on not_full          */
    int ch_recv_waiters;          /* receivers blocked on not_empty       */
    bool ch_closed;
    bool ch_aborted;
    pp_chan_free_fn *ch_free;
    s_policy_t ch_overflow;
    pp_chan_codec_t ch_codec; /* spill: item <-> bytes                */
    int ch_spill_fd;          /* spill: unlinked file, or -1          */
    off_t ch_spill_read;      /* spill: next record to read back      */
    off_t ch_spill_write;     /* spill: end of the file               */
    size_t ch_spilled;        /* spill: records on disk               */
    size_t ch_spill_lost;     /* spill: records that never came back  */
    int ch_spill_errno;       /* spill: why the first was lost        */
};

static void
s_check (int rc, const char *what)
{
    if (rc != 0) {
        fprintf (stderr, "pp_chan: %s failed: %d\n", what, rc);
        abort ();
    }
}

static void
s_lock (pp_chan_t *self)
{
    s_check (pthread_mutex_lock (&self->ch_lock), "pthread_mutex_lock");
}

static void
s_unlock (pp_chan_t *self)
{
    s_check (pthread_mutex_unlock (&self->ch_lock), "pthread_mutex_unlock");
}

static void
s_cond_init (pthread_cond_t *cond)
{
    pthread_condattr_t attr;
    s_check (pthread_condattr_init (&attr), "pthread_condattr_init");
    s_check (pthread_condattr_setclock (&attr, CLOCK_MONOTONIC),
             "pthread_condattr_setclock");
    s_check (pthread_cond_init (cond, &attr), "pthread_cond_init");
    pthread_condattr_destroy (&attr);
}

/*  Deadline timeout_ms from now on the monotonic clock.                   */
static struct timespec
s_deadline (int timeout_ms)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long) (timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/*  Waits on cond once; returns PP_ETIMEDOUT when the deadline passed.
    The deadline is computed on the first wait (a clock read per call was
    a tenth of a worker's time on tiny items).                              */
static int
s_wait (pp_chan_t *self, pthread_cond_t *cond, int timeout_ms,
        struct timespec *deadline)
{
    if (timeout_ms > 0 && deadline->tv_sec == 0 && deadline->tv_nsec == 0)
        *deadline = s_deadline (timeout_ms);
    if (timeout_ms < 0) {
        s_check (pthread_cond_wait (cond, &self->ch_lock), "pthread_cond_wait");
        return 0;
    }
    int rc = pthread_cond_timedwait (cond, &self->ch_lock, deadline);
    if (rc == ETIMEDOUT)
        return PP_ETIMEDOUT;
    s_check (rc, "pthread_cond_timedwait");
    return 0;
}

pp_chan_t *
pp_chan_new (size_t capacity, pp_chan_free_fn *free_fn)
{
    if (capacity == 0)
        return NULL;
    pp_chan_t *self = calloc (1, sizeof (pp_chan_t));
    if (!self)
        return NULL;
    self->ch_ring = calloc (capacity, sizeof (void *));
    if (!self->ch_ring) {
        free (self);
        return NULL;
    }
    self->ch_capacity = capacity;
    self->ch_free = free_fn;
    self->ch_spill_fd = -1;
    s_check (pthread_mutex_init (&self->ch_lock, NULL), "pthread_mutex_init");
    s_cond_init (&self->ch_not_full);
    s_cond_init (&self->ch_not_empty);
    s_cond_init (&self->ch_aborted_cv);
    return self;
}

static size_t
s_weight (const pp_chan_t *self, const void *item)
{
    if (!self->ch_weight)
        return 1;
    size_t weight = self->ch_weight (item);
    return weight ? weight : 1;
}

/*  True when an item of weight fits; lock held. One heavier than the
    whole capacity still goes into an empty channel: else it never would. */
static bool
s_room (const pp_chan_t *self, size_t weight)
{
    return self->ch_used + weight <= self->ch_capacity || self->ch_count == 0;
}

/*  Puts item at the tail; lock held, room checked.                       */
static void
s_push (pp_chan_t *self, void *item, size_t weight)
{
    size_t tail = (self->ch_head + self->ch_count) % self->ch_capacity;
    self->ch_ring[tail] = item;
    self->ch_count++;
    self->ch_used += weight;
}

/*  Takes the head item; lock held, not empty.                            */
static void *
s_pop (pp_chan_t *self)
{
    void *item = self->ch_ring[self->ch_head];
    self->ch_ring[self->ch_head] = NULL;
    self->ch_head = (self->ch_head + 1) % self->ch_capacity;
    self->ch_count--;
    self->ch_used -= s_weight (self, item);
    return item;
}

/*  Frees every buffered item; caller holds the lock or owns the channel.  */
static void
s_discard (pp_chan_t *self)
{
    while (self->ch_count > 0) {
        void *item = s_pop (self);
        if (self->ch_free)
            self->ch_free (item);
    }
    if (self->ch_spill_fd != -1) {
        self->ch_spilled = 0;
        self->ch_spill_read = self->ch_spill_write = 0;
        if (ftruncate (self->ch_spill_fd, 0) != 0)
            return; /* nothing to undo: offsets already forget the data */
    }
}

void
pp_chan_destroy (pp_chan_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pp_chan_t *self = *self_p;
    s_discard (self);
    pthread_cond_destroy (&self->ch_not_full);
    pthread_cond_destroy (&self->ch_not_empty);
    pthread_cond_destroy (&self->ch_aborted_cv);
    pthread_mutex_destroy (&self->ch_lock);
    if (self->ch_spill_fd != -1)
        close (self->ch_spill_fd);
    free (self->ch_ring);
    free (self);
    *self_p = NULL;
}

/*  Waits, lock held, until an item of weight fits or the channel ends.    */
static int
s_wait_not_full (pp_chan_t *self, int timeout_ms, size_t weight)
{
    struct timespec deadline = {0, 0}; /* computed only when needed    */
    while (true) {
        if (self->ch_aborted)
            return PP_EABORTED;
        if (self->ch_closed)
            return PP_ECLOSED;
        if (s_room (self, weight))
            return 0;
        if (timeout_ms == 0)
            return PP_EAGAIN;
        self->ch_send_waiters++;
        int rc = s_wait (self, &self->ch_not_full, timeout_ms, &deadline);
        self->ch_send_waiters--;
        if (rc == PP_ETIMEDOUT && !s_room (self, weight) && !self->ch_aborted &&
            !self->ch_closed)
            return PP_ETIMEDOUT;
    }
}

/*  Appends item to the spill file; lock held. Returns 0 or PP_EIO.      */
static int
s_spill_write (pp_chan_t *self, void *item)
{
    size_t size = self->ch_codec.size (item);
    unsigned char *record = malloc (4 + size);
    if (!record)
        return PP_ENOMEM;
    record[0] = (unsigned char) (size >> 24);
    record[1] = (unsigned char) (size >> 16);
    record[2] = (unsigned char) (size >> 8);
    record[3] = (unsigned char) size;
    self->ch_codec.encode (item, record + 4);
    ssize_t wrote =
        pwrite (self->ch_spill_fd, record, 4 + size, self->ch_spill_write);
    free (record);
    if (wrote != (ssize_t) (4 + size))
        return PP_EIO; /* a torn tail is overwritten by the next write */
    self->ch_spill_write += (off_t) (4 + size);
    self->ch_spilled++;
    if (self->ch_free)
        self->ch_free (item);
    return 0;
}

/*  Starts the (empty) spill file afresh; lock held.                      */
static void
s_spill_reset (pp_chan_t *self)
{
    self->ch_spill_read = self->ch_spill_write = 0;
    if (ftruncate (self->ch_spill_fd, 0) != 0)
        return; /* the next write overwrites from the start anyway      */
}

/*  Gives up on every record still on disk (the file cannot be read at
    the read offset, so none after it can be found): counts them lost
    with err; lock held.                                                   */
static void
s_spill_lose_all (pp_chan_t *self, int err)
{
    if (self->ch_spill_lost == 0)
        self->ch_spill_errno = err;
    self->ch_spill_lost += self->ch_spilled;
    self->ch_spilled = 0;
    s_spill_reset (self);
}

/*  Reads the oldest spilled record back; lock held. NULL when it could
    not be read (counted lost, see pp_chan_spill_lost).                    */
static void *
s_spill_read (pp_chan_t *self)
{
    unsigned char head[4];
    errno = 0; /* a short read sets none: EIO then                      */
    if (pread (self->ch_spill_fd, head, 4, self->ch_spill_read) != 4) {
        s_spill_lose_all (self, errno ? errno : EIO);
        return NULL;
    }
    size_t size = ((size_t) head[0] << 24) | ((size_t) head[1] << 16) |
                  ((size_t) head[2] << 8) | head[3];
    unsigned char *body = malloc (size ? size : 1);
    if (!body || pread (self->ch_spill_fd, body, size,
                        self->ch_spill_read + 4) != (ssize_t) size) {
        int err = !body ? ENOMEM : errno ? errno : EIO;
        free (body);
        s_spill_lose_all (self, err);
        return NULL;
    }
    errno = 0;
    void *item = self->ch_codec.decode (body, size);
    int err = errno ? errno : EINVAL;
    free (body);
    self->ch_spill_read += (off_t) (4 + size);
    if (--self->ch_spilled == 0) /* empty again: reuse from the start */
        s_spill_reset (self);
    if (!item && self->ch_spill_lost++ == 0)
        self->ch_spill_errno = err; /* read, but it does not decode   */
    return item;
}

/*  Moves spilled records into free ring slots; lock held. A record that
    does not come back is counted lost, not waited for: the channel goes
    on with the next (see pp_chan_spill_lost).                             */
static void
s_refill (pp_chan_t *self)
{
    while (self->ch_spilled > 0 && self->ch_count < self->ch_capacity) {
        void *item = s_spill_read (self);
        if (item)
            s_push (self, item, 1); /* no weights with spill           */
    }
}

int
pp_chan_send (pp_chan_t *self, void *item, int timeout_ms)
{
    s_lock (self);
    int rc;
    if (self->ch_overflow == S_SPILL && !self->ch_aborted && !self->ch_closed &&
        (self->ch_spilled > 0 || self->ch_count == self->ch_capacity))
        rc = s_spill_write (self, item);
    else {
        if (self->ch_overflow != S_BLOCK)
            timeout_ms = 0;
        size_t weight = s_weight (self, item);
        rc = s_wait_not_full (self, timeout_ms, weight);
        if (rc == 0)
            s_push (self, item, weight);
    }
    if (rc == 0 && self->ch_recv_waiters > 0)
        s_check (pthread_cond_signal (&self->ch_not_empty),
                 "pthread_cond_signal");
    s_unlock (self);
    return rc;
}

int
pp_chan_send_many (pp_chan_t *self, void **items, int n, int timeout_ms)
{
    if (self->ch_overflow != S_BLOCK)
        return PP_EINVAL;
    int sent = 0, rc = 0;
    s_lock (self);
    while (sent < n) {
        rc = s_wait_not_full (self, timeout_ms, s_weight (self, items[sent]));
        if (rc != 0)
            break;
        size_t weight;
        while (sent < n &&
               s_room (self, weight = s_weight (self, items[sent]))) {
            s_push (self, items[sent], weight);
            sent++;
        }
        if (self->ch_recv_waiters > 0)
            s_check (pthread_cond_broadcast (&self->ch_not_empty),
                     "pthread_cond_broadcast");
    }
    s_unlock (self);
    return sent > 0 ? sent : rc;
}

/*  Waits, lock held, until an item is buffered or the channel ends.       */
static int
s_wait_not_empty (pp_chan_t *self, int timeout_ms)
{
    struct timespec deadline = {0, 0}; /* computed only when needed    */
    while (true) {
        if (self->ch_aborted)
            return PP_EABORTED;
        if (self->ch_count > 0)
            return 0;
        if (self->ch_closed)
            return PP_ECLOSED;
        if (timeout_ms == 0)
            return PP_EAGAIN;
        self->ch_recv_waiters++;
        int rc = s_wait (self, &self->ch_not_empty, timeout_ms, &deadline);
        self->ch_recv_waiters--;
        if (rc == PP_ETIMEDOUT && self->ch_count == 0 && !self->ch_aborted &&
            !self->ch_closed)
            return PP_ETIMEDOUT;
    }
}

int
pp_chan_recv_many (pp_chan_t *self, void **items, int max, int timeout_ms)
{
    if (max < 1)
        return PP_EINVAL;
    s_lock (self);
    int rc = s_wait_not_empty (self, timeout_ms);
    if (rc == 0) {
        int taken = 0;
        while (taken < max && self->ch_count > 0)
            items[taken++] = s_pop (self);
        s_refill (self);
        rc = taken;
        /*  With weights, the one woken might still not fit while another
            would: wake them all and let each look.                        */
        if (self->ch_send_waiters > 0)
            s_check (taken > 1 || self->ch_weight
                         ? pthread_cond_broadcast (&self->ch_not_full)
                         : pthread_cond_signal (&self->ch_not_full),
                     "pthread_cond_signal");
    }
    s_unlock (self);
    return rc;
}

int
pp_chan_recv (pp_chan_t *self, void **item_p, int timeout_ms)
{
    int rc = pp_chan_recv_many (self, item_p, 1, timeout_ms);
    return rc > 0 ? 0 : rc;
}

void
pp_chan_close (pp_chan_t *self)
{
    s_lock (self);
    self->ch_closed = true;
    s_check (pthread_cond_broadcast (&self->ch_not_full), "broadcast");
    s_check (pthread_cond_broadcast (&self->ch_not_empty), "broadcast");
    s_unlock (self);
}

void
pp_chan_abort (pp_chan_t *self)
{
    s_lock (self);
    self->ch_aborted = true;
    s_discard (self);
    s_check (pthread_cond_broadcast (&self->ch_not_full), "broadcast");
    s_check (pthread_cond_broadcast (&self->ch_not_empty), "broadcast");
    s_check (pthread_cond_broadcast (&self->ch_aborted_cv), "broadcast");
    s_unlock (self);
}

int
pp_chan_wait_aborted (pp_chan_t *self, int timeout_ms)
{
    struct timespec deadline = {0, 0}; /* computed only when needed    */
    s_lock (self);
    int rc = PP_ETIMEDOUT;
    while (!self->ch_aborted && timeout_ms != 0) {
        if (s_wait (self, &self->ch_aborted_cv, timeout_ms, &deadline) ==
            PP_ETIMEDOUT)
            break;
    }
    if (self->ch_aborted)
        rc = PP_EABORTED;
    s_unlock (self);
    return rc;
}

size_t
pp_chan_size (pp_chan_t *self)
{
    s_lock (self);
    size_t size = self->ch_count + self->ch_spilled;
    s_unlock (self);
    return size;
}

size_t
pp_chan_capacity (pp_chan_t *self)
{
    return self->ch_capacity;
}

void
pp_chan_set_drop (pp_chan_t *self)
{
    self->ch_overflow = S_DROP;
}

int
pp_chan_set_weight (pp_chan_t *self, pp_chan_weight_fn *weight)
{
    if (self->ch_overflow == S_SPILL)
        return PP_EINVAL;
    self->ch_weight = weight;
    return 0;
}

int
pp_chan_set_spill (pp_chan_t *self, const char *dir,
                   const pp_chan_codec_t *codec)
{
    if (self->ch_weight)
        return PP_EINVAL;
    char path[4096];
    snprintf (path, sizeof (path), "%s/pushpull-spill.XXXXXX", dir);
    int fd = mkostemp (path, O_CLOEXEC); /* no child inherits it */
    if (fd == -1)
        return PP_EIO;
    unlink (path); /* anonymous: gone at exit, even after a crash    */
    self->ch_spill_fd = fd;
    self->ch_codec = *codec;
    self->ch_overflow = S_SPILL;
    return 0;
}

size_t
pp_chan_spill_lost (pp_chan_t *self, int *err)
{
    s_lock (self);
    size_t lost = self->ch_spill_lost;
    if (err)
        *err = self->ch_spill_errno;
    s_unlock (self);
    return lost;
}

size_t
pp_chan_spilled (pp_chan_t *self)
{
    s_lock (self);
    size_t spilled = self->ch_spilled;
    s_unlock (self);
    return spilled;
}
