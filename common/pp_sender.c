/*  pp_sender: RESULT batches from the result channel to the sink.         */

#include "pp_sender.h"
#include "pp_error.h"
#include "pp_results.h"

#include <stdint.h>
#include <string.h>

#define S_SEND_RETRY_MS 100 /* a send waits this long, then looks again */
/*  Results sent this recently (twice this, at most) before the sink's
    connection dropped may have gone with it.                              */
#define S_RECENT_MS 500
#define S_SETTLE_MS 100 /* leaving: time for a drop to be reported     */

/*  The sender thread's own: its sockets and what it knows of the sink.   */
typedef struct {
    zsock_t *sock;       /* PUSH to the sink (--results)                   */
    zsock_t *done;       /* credit flow: completions, to the receiver      */
    pp_netmon_t *netmon; /* sock's handshakes and connection, or NULL      */
    bool up;             /* the sink is connected, as far as we know       */
    uint64_t queued;     /* results queued since the sink went away        */
    uint64_t recent[2];  /* sent while up, this and the last S_RECENT_MS   */
    int64_t epoch_ms;    /* when recent[0] began                           */
    uintptr_t lost;      /* results given up                               */
} s_link_t;

int
pp_sender_hello (zsock_t *sock, uint64_t run_id, uint32_t worker_id,
                 const pp_hello_t *hello)
{
    uint8_t payload[128];
    size_t size = pp_wire_encode_hello (hello, payload);
    pp_header_t hdr = {
        .type = PP_MSG_HELLO, .run_id = run_id, .worker_id = worker_id};
    return pp_net_send (sock, NULL, &hdr, payload, size, true);
}

/*  True once the pipeline is being stopped (the task channel aborted):
    what the sender still holds is given up, not sent.                     */
static bool
s_stopping (pp_sender_t *self)
{
    return pp_chan_wait_aborted (self->tasks, 0) == PP_EABORTED;
}

/*  Watches the results socket: libzmq queues results for a sink that
    went away, and a worker leaving must not count those as delivered; a
    sink refusing our handshake says so. Unwatched, the sink is taken to
    be there. The socket's one monitor is pp_netmon's.                     */
static void
s_watch (pp_sender_t *self, s_link_t *link)
{
    link->up = true; /* its first event may have passed unseen         */
    link->netmon = pp_netmon_new (self->net);
    pp_netmon_watch (link->netmon, link->sock, "--results", false);
}

/*  Counts count results sent to a connected sink (one clock read).       */
static void
s_sent_up (s_link_t *link, uint32_t count)
{
    int64_t now = pp_now_ms ();
    if (now - link->epoch_ms >= S_RECENT_MS) {
        link->recent[1] =
            now - link->epoch_ms < 2 * S_RECENT_MS ? link->recent[0] : 0;
        link->recent[0] = 0;
        link->epoch_ms = now;
    }
    link->recent[0] += count;
}

/*  Takes in the connection events that arrived (never waits). A sink
    that went away may have taken with it what was sent just before (in
    its socket, unread): libzmq gives no receipt, so those count as
    queued -- not known to be delivered -- with what is sent from now.    */
static void
s_events (s_link_t *link)
{
    pp_netmon_check (link->netmon);
    bool up = pp_netmon_connected (link->netmon, link->sock);
    if (up && !link->up)
        link->queued = 0; /* what was queued goes to it now             */
    if (!up && link->up)
        link->queued += link->recent[0] + link->recent[1];
    if (up != link->up)
        link->recent[0] = link->recent[1] = 0;
    link->up = up;
}

/*  Sends one batch, waiting while the sink's queue is full, until the
    pipeline is stopped; while it waits, stuck_ms tells the receiver since
    when (it logs: this thread does not). Returns 0, or the count given
    up.                                                                    */
static uint32_t
s_send (pp_sender_t *self, s_link_t *link, pp_batch_t *batch)
{
    pp_header_t hdr = {.type = PP_MSG_RESULT,
                       .run_id = self->run_id,
                       .worker_id = self->worker_id,
                       .count = batch->count};
    int64_t since = 0;
    int rc; /* libzmq takes the batch's bytes: no copy of big items   */
    while ((rc = pp_net_send_owned (link->sock, &hdr, batch, false)) ==
               PP_EAGAIN &&
           !s_stopping (self)) {
        pp_netmon_check (link->netmon); /* a sink refusing us says so */
        if (!since) {
            since = pp_now_ms ();
            atomic_store_explicit (&self->stuck_ms, since,
                                   memory_order_relaxed);
        }
    }
    if (since)
        atomic_store_explicit (&self->stuck_ms, 0, memory_order_relaxed);
    return rc == 0 ? 0 : batch->count;
}

/*  Sends a batch, or gives it up when stopping; then frees it.           */
static void
s_batch (pp_sender_t *self, s_link_t *link, pp_batch_t *batch)
{
    s_events (link);
    uint32_t lost =
        s_stopping (self) ? batch->count : s_send (self, link, batch);
    link->lost += lost;
    if (lost == 0 && !link->up)
        link->queued += batch->count;
    else if (lost == 0)
        s_sent_up (link, batch->count);
    if (lost == 0 && link->done) { /* credit flow: slots free again   */
        uint8_t count[4];
        pp_put_u32 (count, batch->count);
        zmq_send (zsock_resolve (link->done), count, sizeof (count), 0);
    }
    pp_results_free (batch);
}

/*  Closes the sender's sockets. Leaving gracefully, queued results get a
    moment to go to a connected sink; queued for a sink that is gone, they
    never will: given up. A sink that died just before we leave is given
    S_SETTLE_MS to be reported, so that what went to it is not taken for
    delivered.                                                             */
static void
s_close (s_link_t *link, bool graceful)
{
    s_events (link);
    for (int ms = 0; graceful && link->up && ms < S_SETTLE_MS; ms += 10) {
        zclock_sleep (10);
        s_events (link);
    }
    if (graceful && link->up)
        zsock_set_linger (link->sock, 1000);
    else if (graceful)
        link->lost += link->queued;
    pp_netmon_destroy (&link->netmon); /* before the socket it watches */
    zsock_destroy (&link->done);
    zsock_destroy (&link->sock);
}

void *
pp_sender_main (void *shared)
{
    pp_sender_t *self = shared;
    s_link_t link = {.up = true};
    link.sock = pp_net_socket (ZMQ_PUSH, self->net, self->net->results, false,
                               "--results");
    if (!link.sock) {
        pp_chan_abort (self->results);
        return NULL;
    }
    zsock_set_sndtimeo (link.sock, S_SEND_RETRY_MS);
    s_watch (self, &link);
    if (self->done_endpoint)
        link.done = zsock_new_push (self->done_endpoint);
    pp_sender_hello (link.sock, self->run_id, self->worker_id, &self->hello);
    void *batches[16];
    int n;
    while ((n = pp_chan_recv_many (self->results, batches, 16,
                                   S_SEND_RETRY_MS)) > 0 ||
           n == PP_ETIMEDOUT) {
        s_events (&link); /* idle too: a refused handshake              */
        for (int i = 0; i < n; i++)
            s_batch (self, &link, batches[i]);
    }
    s_close (&link, n == PP_ECLOSED && !s_stopping (self));
    return (void *) link.lost;
}
