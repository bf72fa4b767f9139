/*  vent_peers: workers found by id in hash maps, the next target from a
    max-heap by credit, the silent from a list in the order heard.

    The heap holds exactly the workers pick may return: credit left, not
    leaving, not rejoining, not passed over this round. Those passed over
    wait in `tried` and go back in when the round changes. Two counts --
    the workers staying (not leaving), and those ready (staying, credit
    left, not rejoining) -- answer "is another worker there" in O(1).     */

#include "peers.h"
#include "pp_cli.h"
#include "pp_idmap.h"

struct _vent_peers_t {
    vent_peer_t **all; /* every worker, in no order            */
    size_t size, cap;
    pp_idmap_t *by_id;       /* worker id -> index in all            */
    pp_idmap_t *by_identity; /* hash of identity -> index in all     */
    vent_peer_t **heap;      /* max-heap by credit                   */
    size_t heap_size;
    vent_peer_t **tried; /* passed over this round               */
    size_t ntried, tried_cap;
    uint64_t round;      /* the round tried belongs to           */
    vent_peer_t *oldest; /* heard longest ago                    */
    vent_peer_t *newest;
    uint64_t serves; /* batches sent, to stamp peer->served       */
    size_t staying;  /* not leaving                             */
    size_t ready;    /* staying, credit left, not rejoining     */
};

vent_peers_t *
vent_peers_new (void)
{
    vent_peers_t *self = calloc (1, sizeof (vent_peers_t));
    if (!self)
        return NULL;
    self->by_id = pp_idmap_new ();
    self->by_identity = pp_idmap_new ();
    if (!self->by_id || !self->by_identity)
        vent_peers_destroy (&self);
    return self;
}

void
vent_peers_destroy (vent_peers_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    vent_peers_t *self = *self_p;
    for (size_t i = 0; i < self->size; i++) {
        zframe_destroy (&self->all[i]->identity);
        free (self->all[i]);
    }
    free (self->all);
    free (self->heap);
    free (self->tried);
    pp_idmap_destroy (&self->by_id);
    pp_idmap_destroy (&self->by_identity);
    free (self);
    *self_p = NULL;
}

size_t
vent_peers_size (const vent_peers_t *self)
{
    return self->size;
}

vent_peer_t *
vent_peers_at (vent_peers_t *self, size_t index)
{
    return index < self->size ? self->all[index] : NULL;
}

static uint64_t
s_identity_key (zframe_t *identity)
{
    return pp_idmap_hash (zframe_data (identity), zframe_size (identity));
}

vent_peer_t *
vent_peers_find (vent_peers_t *self, zframe_t *identity)
{
    uint32_t at;
    if (!pp_idmap_get (self->by_identity, s_identity_key (identity), &at))
        return NULL;
    vent_peer_t *peer = self->all[at];
    return zframe_eq (peer->identity, identity) ? peer : NULL;
}

/*  --- the heap ----------------------------------------------------------- */

/*  True when a goes before b: more credit, or as much and served longer
    ago -- so workers of equal credit take turns (a heap breaks ties by
    position, and the same few near the top would be fed for ever).        */
static bool
s_before (const vent_peer_t *a, const vent_peer_t *b)
{
    return a->credit > b->credit ||
           (a->credit == b->credit && a->served < b->served);
}

static void
s_heap_place (vent_peers_t *self, vent_peer_t *peer, size_t i)
{
    self->heap[i] = peer;
    peer->heap_at = i;
}

static void
s_heap_up (vent_peers_t *self, size_t i)
{
    vent_peer_t *peer = self->heap[i];
    while (i > 0 && s_before (peer, self->heap[(i - 1) / 2])) {
        s_heap_place (self, self->heap[(i - 1) / 2], i);
        i = (i - 1) / 2;
    }
    s_heap_place (self, peer, i);
}

static void
s_heap_down (vent_peers_t *self, size_t i)
{
    vent_peer_t *peer = self->heap[i];
    while (true) {
        size_t child = 2 * i + 1;
        if (child >= self->heap_size)
            break;
        if (child + 1 < self->heap_size &&
            s_before (self->heap[child + 1], self->heap[child]))
            child++;
        if (!s_before (self->heap[child], peer))
            break;
        s_heap_place (self, self->heap[child], i);
        i = child;
    }
    s_heap_place (self, peer, i);
}

static void
s_heap_remove (vent_peers_t *self, vent_peer_t *peer)
{
    size_t i = peer->heap_at;
    if (i == SIZE_MAX)
        return;
    peer->heap_at = SIZE_MAX;
    vent_peer_t *last = self->heap[--self->heap_size];
    if (last == peer)
        return;
    s_heap_place (self, last, i);
    s_heap_up (self, i);
    s_heap_down (self, last->heap_at);
}

static bool
s_ready (const vent_peer_t *peer)
{
    return peer->credit > 0 && !peer->leaving && !peer->rejoining;
}

/*  Puts peer where it belongs after a change (it was ready or not, and
    leaving or not, before): in the heap (in order) when pick may return
    it, else out of it; and in the counts.                                 */
static void
s_update (vent_peers_t *self, vent_peer_t *peer, bool was_ready,
          bool was_leaving)
{
    self->ready += (size_t) s_ready (peer) - (size_t) was_ready;
    self->staying += (size_t) was_leaving - (size_t) peer->leaving;
    bool eligible = s_ready (peer) && peer->tried != self->round;
    if (!eligible)
        s_heap_remove (self, peer);
    else if (peer->heap_at == SIZE_MAX) {
        s_heap_place (self, peer, self->heap_size++);
        s_heap_up (self, peer->heap_at);
    } else {
        s_heap_up (self, peer->heap_at);
        s_heap_down (self, peer->heap_at);
    }
}

/*  --- the list in the order heard ---------------------------------------- */

static void
s_unlink (vent_peers_t *self, vent_peer_t *peer)
{
    if (peer->earlier)
        peer->earlier->later = peer->later;
    else
        self->oldest = peer->later;
    if (peer->later)
        peer->later->earlier = peer->earlier;
    else
        self->newest = peer->earlier;
    peer->earlier = peer->later = NULL;
}

static void
s_append (vent_peers_t *self, vent_peer_t *peer)
{
    peer->earlier = self->newest;
    peer->later = NULL;
    if (self->newest)
        self->newest->later = peer;
    else
        self->oldest = peer;
    self->newest = peer;
}

/*  --- membership --------------------------------------------------------- */

/*  Room for one more in all and the heap. 0 or -1 (OOM).                  */
static int
s_reserve (vent_peers_t *self)
{
    if (self->size < self->cap)
        return 0;
    size_t cap = self->cap ? 2 * self->cap : 16;
    vent_peer_t **all = realloc (self->all, cap * sizeof (*all));
    if (all)
        self->all = all;
    vent_peer_t **heap = realloc (self->heap, cap * sizeof (*heap));
    if (heap)
        self->heap = heap;
    if (!all || !heap)
        return -1;
    self->cap = cap;
    return 0;
}

static vent_peer_t *
s_add (vent_peers_t *self, zframe_t *identity, uint32_t worker_id,
       int64_t now_ms)
{
    uint64_t key = s_identity_key (identity);
    uint32_t taken;
    if (pp_idmap_get (self->by_identity, key, &taken) || s_reserve (self) != 0)
        return NULL;
    vent_peer_t *peer = calloc (1, sizeof (vent_peer_t));
    zframe_t *copy = zframe_dup (identity);
    uint32_t at = (uint32_t) self->size;
    if (!peer || !copy || pp_idmap_put (self->by_identity, key, at) != 0 ||
        pp_idmap_put (self->by_id, (uint64_t) worker_id + 1, at) != 0) {
        pp_idmap_remove (self->by_identity, key);
        zframe_destroy (&copy);
        free (peer);
        return NULL;
    }
    *peer = (vent_peer_t){.identity = copy,
                          .worker_id = worker_id,
                          .seen_ms = now_ms,
                          .id_key = key,
                          .at = at,
                          .heap_at = SIZE_MAX,
                          .tried = UINT64_MAX};
    self->all[self->size++] = peer;
    self->staying++;
    s_append (self, peer);
    return peer;
}

/*  The known worker takes a new identity.                                 */
static vent_peer_t *
s_reconnected (vent_peers_t *self, vent_peer_t *peer, zframe_t *identity)
{
    uint64_t key = s_identity_key (identity);
    uint32_t taken;
    zframe_t *copy = zframe_dup (identity);
    if (!copy || pp_idmap_get (self->by_identity, key, &taken) ||
        pp_idmap_put (self->by_identity, key, (uint32_t) peer->at) != 0) {
        zframe_destroy (&copy);
        return NULL;
    }
    pp_idmap_remove (self->by_identity, peer->id_key);
    zframe_destroy (&peer->identity);
    peer->identity = copy;
    peer->id_key = key;
    if (pp_verbosity > 1)
        zsys_info ("worker %08x reconnected", peer->worker_id);
    return peer;
}

vent_peer_t *
vent_peers_hello (vent_peers_t *self, zframe_t *identity, uint32_t worker_id,
                  int64_t now_ms)
{
    uint32_t at;
    if (pp_idmap_get (self->by_id, (uint64_t) worker_id + 1, &at))
        return s_reconnected (self, self->all[at], identity);
    return s_add (self, identity, worker_id, now_ms);
}

void
vent_peers_remove (vent_peers_t *self, vent_peer_t *peer)
{
    self->ready -= s_ready (peer);
    self->staying -= !peer->leaving;
    s_heap_remove (self, peer);
    s_unlink (self, peer);
    for (size_t i = 0; i < self->ntried; i++)
        if (self->tried[i] == peer)
            self->tried[i] = self->tried[--self->ntried];
    pp_idmap_remove (self->by_identity, peer->id_key);
    pp_idmap_remove (self->by_id, (uint64_t) peer->worker_id + 1);
    vent_peer_t *last = self->all[--self->size];
    if (last != peer) { /* the last one takes its place                   */
        last->at = peer->at;
        self->all[last->at] = last;
        pp_idmap_put (self->by_identity, last->id_key, (uint32_t) last->at);
        pp_idmap_put (self->by_id, (uint64_t) last->worker_id + 1,
                      (uint32_t) last->at);
    }
    zframe_destroy (&peer->identity);
    free (peer);
}

/*  --- changes ------------------------------------------------------------ */

void
vent_peers_set_credit (vent_peers_t *self, vent_peer_t *peer, uint64_t credit)
{
    bool was = s_ready (peer), was_leaving = peer->leaving;
    peer->credit = credit;
    s_update (self, peer, was, was_leaving);
}

void
vent_peers_served (vent_peers_t *self, vent_peer_t *peer, uint64_t credit)
{
    peer->served = ++self->serves;
    vent_peers_set_credit (self, peer, credit);
}

void
vent_peers_set_leaving (vent_peers_t *self, vent_peer_t *peer)
{
    bool was = s_ready (peer), was_leaving = peer->leaving;
    peer->leaving = true;
    peer->credit = 0;
    s_update (self, peer, was, was_leaving);
}

void
vent_peers_set_rejoining (vent_peers_t *self, vent_peer_t *peer, bool rejoining)
{
    bool was = s_ready (peer), was_leaving = peer->leaving;
    peer->rejoining = rejoining;
    s_update (self, peer, was, was_leaving);
}

void
vent_peers_heard (vent_peers_t *self, vent_peer_t *peer, int64_t now_ms)
{
    peer->seen_ms = now_ms;
    if (self->newest != peer) {
        s_unlink (self, peer);
        s_append (self, peer);
    }
}

void
vent_peers_heard_all (vent_peers_t *self, int64_t now_ms)
{
    for (size_t i = 0; i < self->size; i++)
        self->all[i]->seen_ms = now_ms; /* the order stays as it was    */
}

/*  --- questions ---------------------------------------------------------- */

/*  A new round: the workers passed over in the last one are candidates
    again.                                                                 */
static void
s_new_round (vent_peers_t *self, uint64_t round)
{
    self->round = round;
    size_t n = self->ntried;
    self->ntried = 0;
    for (size_t i = 0; i < n; i++) {
        vent_peer_t *peer = self->tried[i];
        s_update (self, peer, s_ready (peer), peer->leaving);
    }
}

vent_peer_t *
vent_peers_pick (vent_peers_t *self, uint64_t round)
{
    if (round != self->round)
        s_new_round (self, round);
    return self->heap_size > 0 ? self->heap[0] : NULL;
}

void
vent_peers_tried (vent_peers_t *self, vent_peer_t *peer, uint64_t round)
{
    if (round != self->round)
        s_new_round (self, round);
    if (peer->tried == round)
        return;
    if (self->ntried == self->tried_cap) {
        size_t cap = self->tried_cap ? 2 * self->tried_cap : 64;
        vent_peer_t **grown = realloc (self->tried, cap * sizeof (*grown));
        if (!grown)
            return; /* it stays a candidate: pick may return it again   */
        self->tried = grown;
        self->tried_cap = cap;
    }
    peer->tried = round;
    self->tried[self->ntried++] = peer;
    s_heap_remove (self, peer);
}

bool
vent_peers_other (const vent_peers_t *self, const uint32_t *avoid, size_t n,
                  bool *now)
{
    size_t staying = 0, ready = 0; /* of the avoided, each counted once */
    for (size_t i = 0; i < n; i++) {
        bool again = false;
        for (size_t j = 0; j < i; j++)
            again |= avoid[j] == avoid[i];
        uint32_t at;
        if (avoid[i] == 0 || again ||
            !pp_idmap_get (self->by_id, (uint64_t) avoid[i] + 1, &at))
            continue;
        staying += !self->all[at]->leaving;
        ready += s_ready (self->all[at]);
    }
    *now = self->ready > ready;
    return self->staying > staying;
}

vent_peer_t *
vent_peers_silent (vent_peers_t *self, int64_t now_ms, int64_t limit_ms)
{
    vent_peer_t *peer = self->oldest;
    return peer && now_ms - peer->seen_ms > limit_ms ? peer : NULL;
}
