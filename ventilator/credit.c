/*  credit: the ventilator's side of --flow credit.

    Workers connect DEALER sockets to our ROUTER, say HELLO, then grant
    credit: one unit per item they can take. We send a worker no more than
    it granted, remember which worker holds which item (the window slot's
    owner), and when a worker's heartbeats (CREDIT messages, even of zero)
    stop for --liveness beats, everything it held is sent to others.
    A worker is known by its worker id: one that reconnects (a new ROUTER
    identity) and says HELLO again keeps what it holds.

    Our own stall (pp_stall: we were stopped) is not the workers' silence:
    each gets a full --liveness again. A stall long enough for workers to
    drop their connection to us (ZMTP heartbeats) makes every worker
    rejoin: items sent into a connection that is about to close are lost
    until --ack-timeout, so none go out until the worker says HELLO.      */

#include "pp_error.h"
#include "vent.h"

#define S_RESETS 16 /* workers whose recent reset we remember          */

typedef struct {
    zframe_t *identity; /* ROUTER routing id                             */
    uint64_t tried;     /* dispatch round that found nothing for it      */
    uint32_t worker_id;
    uint64_t credit; /* items it can take now                         */
    int64_t seen_ms; /* last message from it                          */
    bool leaving;    /* said BYE: gets no more items                  */
    bool rejoining;  /* reset after our stall: nothing until HELLO    */
} s_peer_t;

struct _vent_credit_t {
    vent_t *vent;
    s_peer_t *peers;
    size_t npeers;
    uint64_t round;       /* dispatch calls so far                   */
    int64_t grace_end_ms; /* after our own stall: no worker is dead  */
    struct {
        uint32_t worker_id;
        int64_t ms;
    } resets[S_RESETS]; /* the workers last told to start over, when  */
};

vent_credit_t *
vent_credit_new (vent_t *vent)
{
    vent_credit_t *self = calloc (1, sizeof (vent_credit_t));
    if (self)
        self->vent = vent;
    return self;
}

void
vent_credit_destroy (vent_credit_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    vent_credit_t *self = *self_p;
    for (size_t i = 0; i < self->npeers; i++)
        zframe_destroy (&self->peers[i].identity);
    free (self->peers);
    free (self);
    *self_p = NULL;
}

static s_peer_t *
s_find (vent_credit_t *self, zframe_t *identity)
{
    for (size_t i = 0; i < self->npeers; i++)
        if (zframe_eq (self->peers[i].identity, identity))
            return &self->peers[i];
    return NULL;
}

static s_peer_t *
s_add (vent_credit_t *self, zframe_t *identity, uint32_t worker_id)
{
    s_peer_t *grown =
        realloc (self->peers, (self->npeers + 1) * sizeof (s_peer_t));
    if (!grown)
        return NULL;
    self->peers = grown;
    s_peer_t *peer = &grown[self->npeers++];
    memset (peer, 0, sizeof (*peer));
    peer->identity = zframe_dup (identity);
    peer->worker_id = worker_id;
    peer->seen_ms = pp_now_ms ();
    return peer;
}

/*  A HELLO from an identity we do not know: a new worker, or a known one
    that reconnected (its connection dropped while we were stopped, say):
    it keeps what it holds.                                                */
static s_peer_t *
s_on_hello_from (vent_credit_t *self, zframe_t *identity, uint32_t worker_id)
{
    for (size_t i = 0; i < self->npeers; i++) {
        s_peer_t *peer = &self->peers[i];
        if (peer->worker_id == worker_id) {
            zframe_destroy (&peer->identity);
            peer->identity = zframe_dup (identity);
            if (pp_verbosity > 1)
                zsys_info ("worker %08x reconnected", worker_id);
            return peer;
        }
    }
    return s_add (self, identity, worker_id);
}

/*  Forgets a peer; what it held becomes due for resending at once.        */
static void
s_remove (vent_credit_t *self, s_peer_t *peer, const char *why)
{
    zsys_notice ("worker %08x %s: its unacked items go to other workers",
                 peer->worker_id, why);
    vent_requeue_owner (self->vent, peer->worker_id);
    zframe_destroy (&peer->identity);
    *peer = self->peers[--self->npeers];
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
            now - self->resets[i].ms < self->vent->opt->heartbeat_ms)
            return;
        if (self->resets[i].ms < self->resets[oldest].ms)
            oldest = i;
    }
    self->resets[oldest].worker_id = worker_id;
    self->resets[oldest].ms = now;
    pp_header_t hdr = {.type = PP_MSG_BYE, .run_id = self->vent->run_id};
    pp_net_send (self->vent->tasks, identity, &hdr, "", 0, true);
}

/*  BYE from a worker: payload = seqs it hands back, 8 bytes each.         */
static void
s_on_bye (vent_credit_t *self, s_peer_t *peer, const pp_inmsg_t *in)
{
    if (in->size != (size_t) in->hdr.count * 8) {
        self->vent->rejects[PP_REJECT_BATCH]++;
        return;
    }
    for (uint32_t i = 0; i < in->hdr.count; i++)
        vent_requeue (self->vent, pp_get_u64 (in->payload + i * 8));
    peer->leaving = true;
    peer->credit = 0;
    zsys_notice ("worker %08x is leaving; %u items handed back",
                 peer->worker_id, in->hdr.count);
}

void
vent_credit_on_message (vent_credit_t *self)
{
    vent_t *vent = self->vent;
    pp_inmsg_t in;
    if (pp_net_recv (vent->tasks, true, &in, vent->rejects) != 0)
        return;
    s_peer_t *peer = s_find (self, in.identity);
    if (in.hdr.run_id != vent->run_id)
        vent->rejects[PP_REJECT_RUN]++;
    else if (in.hdr.type == PP_MSG_HELLO) {
        if (!peer)
            peer = s_on_hello_from (self, in.identity, in.hdr.worker_id);
        if (peer) { /* a worker grants afresh after each HELLO          */
            peer->credit = 0;
            peer->rejoining = false;
        }
        vent_on_hello (vent, in.hdr.worker_id);
    } else if (!peer)
        s_send_reset (self, in.identity, in.hdr.worker_id);
    else if (in.hdr.type == PP_MSG_CREDIT) {
        if (peer->rejoining) /* our BYE may be lost: ask again          */
            s_send_reset (self, peer->identity, peer->worker_id);
        else if (!peer->leaving)
            peer->credit += in.hdr.count;
    } else if (in.hdr.type == PP_MSG_BYE)
        s_on_bye (self, peer, &in);
    else
        vent->rejects[PP_REJECT_TYPE]++;
    if (peer)
        peer->seen_ms = pp_now_ms ();
    pp_inmsg_free (&in);
}

/*  The peer with the most credit (an idle worker first) that this round
    has not found empty-handed yet.                                         */
static s_peer_t *
s_pick (vent_credit_t *self)
{
    s_peer_t *best = NULL;
    for (size_t i = 0; i < self->npeers; i++) {
        s_peer_t *peer = &self->peers[i];
        if (!peer->leaving && !peer->rejoining && peer->credit > 0 &&
            peer->tried != self->round &&
            (!best || peer->credit > best->credit))
            best = peer;
    }
    return best;
}

bool
vent_credit_can_send (vent_credit_t *self)
{
    self->round++;
    return s_pick (self) != NULL;
}

bool
vent_credit_other_can_take (vent_credit_t *self, uint32_t worker_id)
{
    for (size_t i = 0; i < self->npeers; i++)
        if (self->peers[i].worker_id != worker_id && !self->peers[i].leaving &&
            self->peers[i].credit > 0)
            return true;
    return false;
}

/*  Makes every item of the unsendable batch due again; sent says whether
    it may have reached the worker (else it is no redelivery).              */
static void
s_requeue_batch (vent_credit_t *self, bool sent)
{
    pp_batch_t *batch = &self->vent->batch;
    size_t offset = 0;
    pp_record_t rec;
    while (pp_wire_next_record (batch->data, batch->size, &offset, &rec)) {
        vent_requeue (self->vent, rec.seq);
        if (!sent)
            vent_unsent (self->vent, rec.seq);
    }
}

/*  The peer's connection is gone. Dead, as a rule; but after our own
    stall its peers may have dropped the connection to us, silent so long,
    and be reconnecting: then nothing was sent, and it has until the grace
    ends to say HELLO again.                                               */
static void
s_unreachable (vent_credit_t *self, s_peer_t *peer)
{
    if (pp_now_ms () >= self->grace_end_ms) {
        s_requeue_batch (self, true);
        s_remove (self, peer, "cannot be reached");
        return;
    }
    s_requeue_batch (self, false);
    peer->credit = 0;
    peer->tried = self->round;
    if (pp_verbosity > 1)
        zsys_info ("worker %08x is reconnecting: we were stopped",
                   peer->worker_id);
}

int
vent_credit_dispatch (vent_credit_t *self)
{
    vent_t *vent = self->vent;
    self->round++;
    for (int burst = 0; burst < 64; burst++) {
        s_peer_t *peer = s_pick (self);
        if (!peer)
            return 0;
        uint64_t max =
            peer->credit < vent->opt->batch ? peer->credit : vent->opt->batch;
        int rc = vent_build_batch (vent, (uint32_t) max, peer->worker_id);
        if (rc != 0)
            return rc;
        if (!vent->batch_ready) { /* nothing for it: maybe for another */
            peer->tried = self->round;
            continue;
        }
        pp_header_t hdr = {.type = PP_MSG_TASK,
                           .run_id = vent->run_id,
                           .count = vent->batch.count};
        vent->batch_ready = false;
        rc = pp_net_send (vent->tasks, peer->identity, &hdr, vent->batch.data,
                          vent->batch.size, true);
        if (rc == PP_EAGAIN) { /* its queue is full: later, or others  */
            s_requeue_batch (self, false);
            peer->tried = self->round;
            continue;
        }
        if (rc != 0) { /* ROUTER_MANDATORY: no such peer now          */
            s_unreachable (self, peer);
            continue;
        }
        peer->credit -= vent->batch.count;
        vent->sends++;
    }
    return 0;
}

void
vent_credit_tick (vent_credit_t *self)
{
    vent_t *vent = self->vent;
    int64_t limit = vent->opt->heartbeat_ms * vent->opt->liveness;
    int64_t now = pp_now_ms ();
    for (size_t i = 0; i < self->npeers;) {
        if (now - self->peers[i].seen_ms > limit)
            s_remove (self, &self->peers[i], "went silent");
        else
            i++;
    }
}

void
vent_credit_rearm (vent_credit_t *self, int64_t lost)
{
    int64_t now = pp_now_ms ();
    bool rejoin = lost >= 2 * PP_NET_HEARTBEAT_MS; /* peers may drop us */
    for (size_t i = 0; i < self->npeers; i++) {
        s_peer_t *peer = &self->peers[i];
        peer->seen_ms = now;
        if (rejoin && !peer->leaving) {
            peer->credit = 0;
            peer->rejoining = true;
            s_send_reset (self, peer->identity, peer->worker_id);
        }
    }
    self->grace_end_ms =
        now + self->vent->opt->heartbeat_ms * self->vent->opt->liveness;
}
