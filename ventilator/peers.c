/*  vent_peers: an array of workers; a handful, so every lookup walks it.  */

#include "peers.h"
#include "pp_cli.h"

struct _vent_peers_t {
    vent_peer_t *peers;
    size_t npeers;
};

vent_peers_t *
vent_peers_new (void)
{
    return calloc (1, sizeof (vent_peers_t));
}

void
vent_peers_destroy (vent_peers_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    vent_peers_t *self = *self_p;
    for (size_t i = 0; i < self->npeers; i++)
        zframe_destroy (&self->peers[i].identity);
    free (self->peers);
    free (self);
    *self_p = NULL;
}

size_t
vent_peers_size (const vent_peers_t *self)
{
    return self->npeers;
}

vent_peer_t *
vent_peers_at (vent_peers_t *self, size_t index)
{
    return index < self->npeers ? &self->peers[index] : NULL;
}

vent_peer_t *
vent_peers_find (vent_peers_t *self, zframe_t *identity)
{
    for (size_t i = 0; i < self->npeers; i++)
        if (zframe_eq (self->peers[i].identity, identity))
            return &self->peers[i];
    return NULL;
}

static vent_peer_t *
s_add (vent_peers_t *self, zframe_t *identity, uint32_t worker_id,
       int64_t now_ms)
{
    zframe_t *copy = zframe_dup (identity);
    vent_peer_t *grown =
        realloc (self->peers, (self->npeers + 1) * sizeof (vent_peer_t));
    if (!copy || !grown) {
        zframe_destroy (&copy);
        if (grown)
            self->peers = grown;
        return NULL;
    }
    self->peers = grown;
    vent_peer_t *peer = &grown[self->npeers++];
    *peer = (vent_peer_t){
        .identity = copy, .worker_id = worker_id, .seen_ms = now_ms};
    return peer;
}

vent_peer_t *
vent_peers_hello (vent_peers_t *self, zframe_t *identity, uint32_t worker_id,
                  int64_t now_ms)
{
    for (size_t i = 0; i < self->npeers; i++) {
        vent_peer_t *peer = &self->peers[i];
        if (peer->worker_id == worker_id) {
            zframe_t *copy = zframe_dup (identity);
            if (!copy)
                return NULL;
            zframe_destroy (&peer->identity);
            peer->identity = copy;
            if (pp_verbosity > 1)
                zsys_info ("worker %08x reconnected", worker_id);
            return peer;
        }
    }
    return s_add (self, identity, worker_id, now_ms);
}

void
vent_peers_remove (vent_peers_t *self, vent_peer_t *peer)
{
    zframe_destroy (&peer->identity);
    *peer = self->peers[--self->npeers];
}

vent_peer_t *
vent_peers_pick (vent_peers_t *self, uint64_t round)
{
    vent_peer_t *best = NULL;
    for (size_t i = 0; i < self->npeers; i++) {
        vent_peer_t *peer = &self->peers[i];
        if (!peer->leaving && !peer->rejoining && peer->credit > 0 &&
            peer->tried != round && (!best || peer->credit > best->credit))
            best = peer;
    }
    return best;
}

/*  True when worker_id is one of avoid[n] (0 entries are unused).        */
static bool
s_avoided (uint32_t worker_id, const uint32_t *avoid, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (avoid[i] != 0 && avoid[i] == worker_id)
            return true;
    return false;
}

bool
vent_peers_other (const vent_peers_t *self, const uint32_t *avoid, size_t n,
                  bool *now)
{
    bool there = false;
    *now = false;
    for (size_t i = 0; i < self->npeers; i++) {
        const vent_peer_t *peer = &self->peers[i];
        if (peer->leaving || s_avoided (peer->worker_id, avoid, n))
            continue;
        there = true;
        if (peer->credit > 0 && !peer->rejoining)
            *now = true;
    }
    return there;
}

vent_peer_t *
vent_peers_silent (vent_peers_t *self, int64_t now_ms, int64_t limit_ms)
{
    for (size_t i = 0; i < self->npeers; i++)
        if (now_ms - self->peers[i].seen_ms > limit_ms)
            return &self->peers[i];
    return NULL;
}
