/*  vent_credit: the ventilator's side of --flow credit.

    A worker is known by its worker id (vent_peers): one that reconnects
    (a new ROUTER identity) and says HELLO again keeps what it holds.

    Our own stall (pp_stall: we were stopped) is not the workers' silence:
    each gets a full --liveness again. A stall long enough for workers to
    drop their connection to us (ZMTP heartbeats) makes every worker
    rejoin: items sent into a connection that is about to close are lost
    until --ack-timeout, so none go out until the worker says HELLO.      */

#include "credit.h"
#include "batch.h"
#include "peers.h"
#include "pp_cli.h"
#include "pp_error.h"
#include "pp_net.h"
#include "send.h"

#define S_RESETS 16 /* workers whose recent reset we remember          */

struct _vent_credit_t {
    zsock_t *tasks;        /* ROUTER, the caller's                 */
    vent_window_t *window; /* unacked items and their owners       */
    vent_feed_t *feed;     /* new items                            */
    vent_credit_config_t config;
    vent_peers_t *peers;  /* the workers                          */
    pp_batch_t batch;     /* the batch being sent                 */
    uint64_t round;       /* dispatch calls so far                */
    int64_t grace_end_ms; /* after our own stall: no worker is dead */
    uint64_t sends;       /* TASK messages that left              */
    uint64_t rejects[PP_REJECT_COUNT];
    struct {
        uint32_t worker_id;
        int64_t ms;
    } resets[S_RESETS]; /* the workers last told to start over, when  */
};

vent_credit_t *
vent_credit_new (zsock_t *tasks, vent_window_t *window, vent_feed_t *feed,
                 const vent_credit_config_t *config)
{
    vent_credit_t *self = calloc (1, sizeof (vent_credit_t));
    if (!self)
        return NULL;
    self->tasks = tasks;
    self->window = window;
    self->feed = feed;
    self->config = *config;
    self->peers = vent_peers_new ();
    if (!self->peers)
        vent_credit_destroy (&self);
    return self;
}

void
vent_credit_destroy (vent_credit_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    vent_credit_t *self = *self_p;
    vent_peers_destroy (&self->peers);
    pp_batch_free (&self->batch);
    free (self);
    *self_p = NULL;
}

/*  Forgets a peer; what it held becomes due for resending at once.        */
static void
s_remove (vent_credit_t *self, vent_peer_t *peer, const char *why)
{
    zsys_notice ("worker %08x %s: its unacked items go to other workers",
                 peer->worker_id, why);
    vent_window_requeue_owner (self->window, peer->worker_id);
    vent_peers_remove (self->peers, peer);
}

/*  Tells a peer to start over (we declared it dead, we are a new run, or
    we were stopped): it forgets its credit and says HELLO again. Once per
    heartbeat to the same peer: its messages queued meanwhile ask again.  */
static void
s_send_reset (vent_credit_t *self, zframe_t *identity, uint32_t worker_id)
{
    int64_t now = pp_now_ms ();
    int oldest = 0;
    for (int i = 0; i < S_RESETS; i++) {
        if (self->resets[i].worker_id == worker_id &&
            now - self->resets[i].ms < self->config.heartbeat_ms)
            return;
        if (self->resets[i].ms < self->resets[oldest].ms)
            oldest = i;
    }
    self->resets[oldest].worker_id = worker_id;
    self->resets[oldest].ms = now;
    pp_header_t hdr = {.type = PP_MSG_BYE,
                       .run_id = self->config.run_id,
                       .worker_id = worker_id}; /* the id it answers      */
    pp_net_send (self->tasks, identity, &hdr, "", 0, true);
}

/*  BYE from a worker: payload = seqs it hands back, 8 bytes each.         */
static void
s_on_bye (vent_credit_t *self, vent_peer_t *peer, const pp_inmsg_t *in)
{
    if (in->size != (size_t) in->hdr.count * 8) {
        self->rejects[PP_REJECT_BATCH]++;
        return;
    }
    for (uint32_t i = 0; i < in->hdr.count; i++) { /* handed back unrun  */
        uint64_t seq = pp_get_u64 (in->payload + i * 8);
        vent_window_requeue (self->window, seq);
        vent_window_unsent (self->window, seq);
    }
    vent_peers_set_leaving (self->peers, peer);
    zsys_notice ("worker %08x is leaving; %u items handed back",
                 peer->worker_id, in->hdr.count);
}

/*  HELLO: a new worker, or a known one again (a new identity when it
    reconnected); either way it grants afresh.                             */
static vent_peer_t *
s_on_hello (vent_credit_t *self, vent_peer_t *peer, const pp_inmsg_t *in)
{
    if (!peer)
        peer = vent_peers_hello (self->peers, in->identity, in->hdr.worker_id,
                                 pp_now_ms ());
    if (peer) {
        vent_peers_set_credit (self->peers, peer, 0);
        vent_peers_set_rejoining (self->peers, peer, false);
    }
    return peer;
}

/*  CREDIT from a known worker: a grant, and a heartbeat.                  */
static void
s_on_credit (vent_credit_t *self, vent_peer_t *peer, const pp_inmsg_t *in)
{
    if (peer->rejoining) /* our BYE may be lost: ask again              */
        s_send_reset (self, peer->identity, peer->worker_id);
    else if (!peer->leaving)
        vent_peers_set_credit (self->peers, peer, peer->credit + in->hdr.count);
}

/*  A HELLO whose id is its own (config.claim): else no peer is made or
    remapped for it.                                                       */
static bool
s_claimed (vent_credit_t *self, const pp_inmsg_t *in)
{
    return !self->config.claim ||
           self->config.claim (self->config.claim_ctx, in->hdr.worker_id,
                               in->payload, in->size);
}

bool
vent_credit_on_message (vent_credit_t *self, uint32_t *hello_id)
{
    pp_inmsg_t in;
    if (pp_net_recv (self->tasks, true, &in, self->rejects) != 0)
        return false;
    bool hello = false;
    vent_peer_t *peer = vent_peers_find (self->peers, in.identity);
    if (in.hdr.run_id != self->config.run_id)
        self->rejects[PP_REJECT_RUN]++;
    else if (in.hdr.type == PP_MSG_HELLO && !s_claimed (self, &in)) {
        /* its id is another's: it takes a new one, then says HELLO      */
    } else if (in.hdr.type == PP_MSG_HELLO) {
        peer = s_on_hello (self, peer, &in);
        *hello_id = in.hdr.worker_id;
        hello = true;
    } else if (!peer)
        s_send_reset (self, in.identity, in.hdr.worker_id);
    else if (in.hdr.type == PP_MSG_CREDIT)
        s_on_credit (self, peer, &in);
    else if (in.hdr.type == PP_MSG_BYE)
        s_on_bye (self, peer, &in);
    else
        self->rejects[PP_REJECT_TYPE]++;
    if (peer)
        vent_peers_heard (self->peers, peer, pp_now_ms ());
    pp_inmsg_free (&in);
    return hello;
}

void
vent_credit_set_batch (vent_credit_t *self, uint32_t batch)
{
    self->config.batch = batch;
}

bool
vent_credit_can_send (vent_credit_t *self)
{
    self->round++;
    return vent_peers_pick (self->peers, self->round) != NULL;
}

/*  The window asks before it sends a retried item to a worker it failed
    on: is a worker it did not fail on there, and can it take it now?     */
static vent_window_other_t
s_other (void *ctx, const uint32_t *avoid, size_t n)
{
    vent_credit_t *self = ctx;
    bool now;
    if (!vent_peers_other (self->peers, avoid, n, &now))
        return VENT_OTHER_NONE;
    return now ? VENT_OTHER_NOW : VENT_OTHER_LATER;
}

/*  Makes every item of the unsendable batch due again; sent says whether
    it may have reached the worker (else it is no redelivery).              */
static void
s_requeue_batch (vent_credit_t *self, bool sent)
{
    size_t offset = 0;
    pp_record_t rec;
    while (pp_wire_next_record (self->batch.data, self->batch.size, &offset,
                                &rec)) {
        vent_window_requeue (self->window, rec.seq);
        if (!sent)
            vent_window_unsent (self->window, rec.seq);
    }
}

/*  The peer's connection is gone. Dead, as a rule; but after our own
    stall its peers may have dropped the connection to us, silent so long,
    and be reconnecting: then nothing was sent, and it has until the grace
    ends to say HELLO again.                                               */
static void
s_unreachable (vent_credit_t *self, vent_peer_t *peer)
{
    if (pp_now_ms () >= self->grace_end_ms) {
        s_requeue_batch (self, true);
        s_remove (self, peer, "cannot be reached");
        return;
    }
    s_requeue_batch (self, false);
    vent_peers_set_credit (self->peers, peer, 0);
    vent_peers_tried (self->peers, peer, self->round);
    if (pp_verbosity > 1)
        zsys_info ("worker %08x is reconnecting: we were stopped",
                   peer->worker_id);
}

/*  Builds a batch for peer and sends it. Returns 0 or PP_ENOMEM.         */
static int
s_send_to (vent_credit_t *self, vent_peer_t *peer)
{
    uint64_t max =
        peer->credit < self->config.batch ? peer->credit : self->config.batch;
    int rc = vent_batch_build (&self->batch, self->window, self->feed,
                               (uint32_t) max, peer->worker_id, s_other, self);
    if (rc != 0)
        return rc;
    if (self->batch.count == 0) { /* nothing for it: maybe for another  */
        vent_peers_tried (self->peers, peer, self->round);
        return 0;
    }
    pp_header_t hdr = {.type = PP_MSG_TASK,
                       .run_id = self->config.run_id,
                       .count = self->batch.count};
    rc =
        vent_send_batch (self->tasks, peer->identity, &hdr, &self->batch, true);
    if (rc == PP_EAGAIN) { /* its queue is full: later, or others       */
        s_requeue_batch (self, false);
        vent_peers_tried (self->peers, peer, self->round);
    } else if (rc != 0) /* ROUTER_MANDATORY: no such peer now           */
        s_unreachable (self, peer);
    else {
        vent_peers_served (self->peers, peer, peer->credit - hdr.count);
        self->sends++;
    }
    return 0;
}

int
vent_credit_dispatch (vent_credit_t *self)
{
    self->round++;
    for (int burst = 0; burst < 64; burst++) {
        vent_peer_t *peer = vent_peers_pick (self->peers, self->round);
        if (!peer)
            return 0;
        int rc = s_send_to (self, peer);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int64_t
vent_credit_silence_ms (int64_t heartbeat_ms, int liveness)
{
    return heartbeat_ms * liveness + heartbeat_ms / 2;
}

void
vent_credit_tick (vent_credit_t *self)
{
    int64_t limit = vent_credit_silence_ms (self->config.heartbeat_ms,
                                            self->config.liveness);
    int64_t now = pp_now_ms ();
    vent_peer_t *peer;
    while ((peer = vent_peers_silent (self->peers, now, limit)))
        s_remove (self, peer, "went silent");
}

void
vent_credit_rearm (vent_credit_t *self, int64_t lost)
{
    int64_t now = pp_now_ms ();
    bool rejoin = lost >= 2 * PP_NET_HEARTBEAT_MS; /* peers may drop us */
    vent_peers_heard_all (self->peers, now);
    for (size_t i = 0; rejoin && i < vent_peers_size (self->peers); i++) {
        vent_peer_t *peer = vent_peers_at (self->peers, i);
        if (!peer->leaving) {
            vent_peers_set_credit (self->peers, peer, 0);
            vent_peers_set_rejoining (self->peers, peer, true);
            s_send_reset (self, peer->identity, peer->worker_id);
        }
    }
    self->grace_end_ms =
        now + vent_credit_silence_ms (self->config.heartbeat_ms,
                                      self->config.liveness);
}

uint64_t
vent_credit_sends (const vent_credit_t *self)
{
    return self->sends;
}

void
vent_credit_rejects (const vent_credit_t *self,
                     uint64_t rejects[PP_REJECT_COUNT])
{
    for (int i = 0; i < PP_REJECT_COUNT; i++)
        rejects[i] += self->rejects[i];
}
