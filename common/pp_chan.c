/*  pp_chan: bounded channel, one mutex and three condition variables.

    The ring holds void pointers. Condition variables use CLOCK_MONOTONIC so
    a wall-clock jump cannot stretch or cut a timeout. A failed pthread call
    aborts the process: a broken lock cannot be limped past.                */

#include "pp_chan.h"
#include "pp_error.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct _pp_chan_t {
    pthread_mutex_t ch_lock;
    pthread_cond_t ch_not_full;   /* signalled when a slot frees          */
    pthread_cond_t ch_not_empty;  /* signalled when an item arrives       */
    pthread_cond_t ch_aborted_cv; /* broadcast once, on abort             */
    void **ch_ring;               /* capacity slots                       */
    size_t ch_capacity;
    size_t ch_head;               /* index of the oldest item             */
    size_t ch_count;              /* items buffered                       */
    int ch_send_waiters;          /* senders blocked on not_full          */
    int ch_recv_waiters;          /* receivers blocked on not_empty       */
    bool ch_closed;
    bool ch_aborted;
    pp_chan_free_fn *ch_free;
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

/*  Waits on cond once; returns PP_ETIMEDOUT when the deadline passed.     */
static int
s_wait (pp_chan_t *self, pthread_cond_t *cond, int timeout_ms,
        const struct timespec *deadline)
{
    if (timeout_ms < 0) {
        s_check (pthread_cond_wait (cond, &self->ch_lock),
                 "pthread_cond_wait");
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
    s_check (pthread_mutex_init (&self->ch_lock, NULL), "pthread_mutex_init");
    s_cond_init (&self->ch_not_full);
    s_cond_init (&self->ch_not_empty);
    s_cond_init (&self->ch_aborted_cv);
    return self;
}

/*  Frees every buffered item; caller holds the lock or owns the channel.  */
static void
s_discard (pp_chan_t *self)
{
    while (self->ch_count > 0) {
        void *item = self->ch_ring[self->ch_head];
        self->ch_ring[self->ch_head] = NULL;
        self->ch_head = (self->ch_head + 1) % self->ch_capacity;
        self->ch_count--;
        if (self->ch_free)
            self->ch_free (item);
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
    free (self->ch_ring);
    free (self);
    *self_p = NULL;
}

/*  Waits, lock held, until the channel has a free slot or ends.           */
static int
s_wait_not_full (pp_chan_t *self, int timeout_ms)
{
    struct timespec deadline = s_deadline (timeout_ms > 0 ? timeout_ms : 0);
    while (true) {
        if (self->ch_aborted)
            return PP_EABORTED;
        if (self->ch_closed)
            return PP_ECLOSED;
        if (self->ch_count < self->ch_capacity)
            return 0;
        if (timeout_ms == 0)
            return PP_EAGAIN;
        self->ch_send_waiters++;
        int rc = s_wait (self, &self->ch_not_full, timeout_ms, &deadline);
        self->ch_send_waiters--;
        if (rc == PP_ETIMEDOUT && self->ch_count == self->ch_capacity
            && !self->ch_aborted && !self->ch_closed)
            return PP_ETIMEDOUT;
    }
}

int
pp_chan_send (pp_chan_t *self, void *item, int timeout_ms)
{
    s_lock (self);
    int rc = s_wait_not_full (self, timeout_ms);
    if (rc == 0) {
        size_t tail = (self->ch_head + self->ch_count) % self->ch_capacity;
        self->ch_ring[tail] = item;
        self->ch_count++;
        if (self->ch_recv_waiters > 0)
            s_check (pthread_cond_signal (&self->ch_not_empty),
                     "pthread_cond_signal");
    }
    s_unlock (self);
    return rc;
}

/*  Waits, lock held, until an item is buffered or the channel ends.       */
static int
s_wait_not_empty (pp_chan_t *self, int timeout_ms)
{
    struct timespec deadline = s_deadline (timeout_ms > 0 ? timeout_ms : 0);
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
        if (rc == PP_ETIMEDOUT && self->ch_count == 0 && !self->ch_aborted
            && !self->ch_closed)
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
        while (taken < max && self->ch_count > 0) {
            items[taken++] = self->ch_ring[self->ch_head];
            self->ch_ring[self->ch_head] = NULL;
            self->ch_head = (self->ch_head + 1) % self->ch_capacity;
            self->ch_count--;
        }
        rc = taken;
        if (self->ch_send_waiters > 0)
            s_check (taken > 1 ? pthread_cond_broadcast (&self->ch_not_full)
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
    struct timespec deadline = s_deadline (timeout_ms > 0 ? timeout_ms : 0);
    s_lock (self);
    int rc = PP_ETIMEDOUT;
    while (!self->ch_aborted && timeout_ms != 0) {
        if (s_wait (self, &self->ch_aborted_cv, timeout_ms, &deadline)
            == PP_ETIMEDOUT)
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
    size_t size = self->ch_count;
    s_unlock (self);
    return size;
}

size_t
pp_chan_capacity (pp_chan_t *self)
{
    return self->ch_capacity;
}
