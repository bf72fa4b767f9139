/*  chan_demo: pp_chan, the bounded channel between a pp-worker's receiver
    and its job threads, on its own -- the Go channel in C.

    1. Backpressure: a producer thread sends 6 numbers into a channel of
       capacity 2; with nobody reading it blocks on the third.
    2. Close: the producer closes after its last send; the reader still
       gets every buffered item, then PP_ECLOSED ("closed").
    3. Abort: a producer blocked on a full channel wakes at once with
       PP_EABORTED ("aborted"); the channel frees what it held.
    4. Destroy only frees memory, once nobody uses the channel.

    Build against an installed pushpull:
        cc chan_demo.c $(pkg-config --cflags --libs pushpull) -o chan_demo
    Its output is the same on every run (the waits are for states, not
    for luck).                                                             */

#include <pushpull.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static atomic_int s_freed; /* items the channel freed (abort, destroy) */

/*  The channel's free function: counts what it discards.                 */
static void
s_free_item (void *item)
{
    atomic_fetch_add (&s_freed, 1);
    free (item);
}

typedef struct {
    pp_chan_t *chan;
    int count;   /* numbers to send, 1..count              */
    bool close;  /* close the channel after the last send  */
    int last_rc; /* what the last send returned            */
    int sent;    /* sends that succeeded                   */
} s_producer_t;

/*  Sends 1..count, waiting for room as long as it takes; stops at the
    first error (the item it could not send stays ours).                  */
static void *
s_produce (void *arg)
{
    s_producer_t *self = arg;
    for (int n = 1; n <= self->count; n++) {
        int *item = malloc (sizeof (int));
        if (!item)
            break;
        *item = n;
        self->last_rc = pp_chan_send (self->chan, item, -1);
        if (self->last_rc != 0) {
            free (item);
            break;
        }
        self->sent++;
    }
    if (self->close)
        pp_chan_close (self->chan);
    return NULL;
}

/*  Sleeps ms milliseconds.                                               */
static void
s_sleep_ms (int ms)
{
    struct timespec t = {.tv_sec = ms / 1000,
                         .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep (&t, NULL);
}

/*  Waits until the channel holds size items (the producer filled it).    */
static void
s_wait_size (pp_chan_t *chan, size_t size)
{
    while (pp_chan_size (chan) < size)
        s_sleep_ms (1);
}

/*  Parts 1 and 2: backpressure, then close and drain.                    */
static int
s_close_demo (void)
{
    pp_chan_t *chan = pp_chan_new (2, s_free_item);
    if (!chan)
        return 1;
    s_producer_t producer = {.chan = chan, .count = 6, .close = true};
    pthread_t thread;
    if (pthread_create (&thread, NULL, s_produce, &producer) != 0)
        return 1;
    s_wait_size (chan, 2);
    s_sleep_ms (50); /* the producer is now blocked on item 3       */
    printf ("full: %zu of %zu buffered, the producer waits for room\n",
            pp_chan_size (chan), pp_chan_capacity (chan));
    void *item;
    int rc, got = 0;
    printf ("received:");
    while ((rc = pp_chan_recv (chan, &item, -1)) == 0) {
        printf (" %d", *(int *) item);
        free (item);
        got++;
    }
    printf ("\nclose: every buffered item received (%d in all), then '%s'\n",
            got, pp_strerror (rc));
    pthread_join (thread, NULL);
    pp_chan_destroy (&chan);
    return got == 6 && rc == PP_ECLOSED ? 0 : 1;
}

/*  Parts 3 and 4: abort wakes a blocked producer; destroy frees.         */
static int
s_abort_demo (void)
{
    pp_chan_t *chan = pp_chan_new (2, s_free_item);
    if (!chan)
        return 1;
    s_producer_t producer = {.chan = chan, .count = 3};
    pthread_t thread;
    if (pthread_create (&thread, NULL, s_produce, &producer) != 0)
        return 1;
    s_wait_size (chan, 2);
    s_sleep_ms (50); /* blocked on item 3 again                     */
    pp_chan_abort (chan);
    pthread_join (thread, NULL);
    void *item;
    int rc = pp_chan_recv (chan, &item, 0);
    printf ("abort: the blocked producer woke with '%s' (%d sent); the "
            "channel freed %d buffered items; a receive now says '%s'\n",
            pp_strerror (producer.last_rc), producer.sent,
            atomic_load (&s_freed), pp_strerror (rc));
    pp_chan_destroy (&chan);
    pp_chan_destroy (&chan); /* NULL-safe: it nulled our pointer    */
    printf ("destroy: memory freed, pointer %s\n", chan ? "kept" : "nulled");
    return producer.last_rc == PP_EABORTED && rc == PP_EABORTED ? 0 : 1;
}

int
main (void)
{
    int failed = s_close_demo ();
    failed |= s_abort_demo ();
    return failed;
}
