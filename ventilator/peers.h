/*  vent_peers: the workers of credit flow, as the ventilator knows them.

    A worker is known by its worker id and reached through its ROUTER
    identity; one that reconnects (a new identity) and says HELLO again
    is the same worker and keeps what it holds. Each has the credit it
    granted (items it can take now) and when it was last heard.

    The table decides who gets the next batch (the most credit first) and
    who went silent; sending, and what becomes of the items a worker held,
    are the caller's (credit.c). Every operation costs O(1) or O(log W) in
    the number of workers W -- found by id through hash maps, the next
    target from a heap by credit, the longest silent at the head of a list
    in the order heard -- so a ventilator feeds thousands of workers at
    the cost per item of a few. No sockets, no clock: times are the
    caller's now_ms, which never goes back.                                */

#ifndef VENT_PEERS_H_INCLUDED
#define VENT_PEERS_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

/*  One worker. The caller reads the fields and changes them only through
    the functions below (the table orders workers by them).                */
typedef struct _vent_peer_t vent_peer_t;
struct _vent_peer_t {
    zframe_t *identity; /* ROUTER routing id (the table's)           */
    uint32_t worker_id;
    uint64_t credit; /* items it can take now                     */
    int64_t seen_ms; /* last message from it                      */
    bool leaving;    /* said BYE: gets no more items              */
    bool rejoining;  /* reset after our stall: nothing until HELLO */
    /*  The table's own.                                                    */
    uint64_t id_key;      /* hash of identity                      */
    size_t at;            /* index in the table                    */
    size_t heap_at;       /* index in the heap, or SIZE_MAX        */
    uint64_t tried;       /* dispatch round that found nothing      */
    uint64_t served;      /* stamp of the last batch sent to it     */
    vent_peer_t *earlier; /* heard before this one (list by seen)  */
    vent_peer_t *later;   /* heard after                           */
};

typedef struct _vent_peers_t vent_peers_t;

/*  An empty table; NULL on OOM.                                           */
vent_peers_t *vent_peers_new (void);

/*  Frees the table; NULL-safe, nulls *self_p.                             */
void vent_peers_destroy (vent_peers_t **self_p);

/*  Workers in the table; vent_peers_at (i) for i below it (in no order).
    A pointer to a peer is valid until it is removed.                      */
size_t vent_peers_size (const vent_peers_t *self);
vent_peer_t *vent_peers_at (vent_peers_t *self, size_t index);

/*  The worker behind identity, or NULL.                                   */
vent_peer_t *vent_peers_find (vent_peers_t *self, zframe_t *identity);

/*  A HELLO from identity, which the table does not know: the worker
    worker_id reconnected (it takes the new identity and keeps the rest),
    or a new worker, heard at now_ms. NULL on OOM (or an identity whose
    hash another worker's has: that HELLO is ignored).                     */
vent_peer_t *vent_peers_hello (vent_peers_t *self, zframe_t *identity,
                               uint32_t worker_id, int64_t now_ms);

/*  Forgets peer.                                                          */
void vent_peers_remove (vent_peers_t *self, vent_peer_t *peer);

/*  Sets what peer can take now; its leaving and rejoining flags.          */
void vent_peers_set_credit (vent_peers_t *self, vent_peer_t *peer,
                            uint64_t credit);
void vent_peers_set_leaving (vent_peers_t *self, vent_peer_t *peer);

/*  A batch went to peer, which now has credit left: among workers of
    equal credit, the one served longest ago is picked first.              */
void vent_peers_served (vent_peers_t *self, vent_peer_t *peer, uint64_t credit);
void vent_peers_set_rejoining (vent_peers_t *self, vent_peer_t *peer,
                               bool rejoining);

/*  Heard from peer at now_ms.                                             */
void vent_peers_heard (vent_peers_t *self, vent_peer_t *peer, int64_t now_ms);

/*  Every worker heard at now_ms (we were stopped: nobody was silent).      */
void vent_peers_heard_all (vent_peers_t *self, int64_t now_ms);

/*  The target of the next batch: among workers that can take items (not
    leaving, not rejoining, credit left) and that dispatch round has not
    found empty-handed yet, one with the most credit -- an idle worker
    first -- and of those the one served longest ago. NULL when there is
    none.                                                                  */
vent_peer_t *vent_peers_pick (vent_peers_t *self, uint64_t round);

/*  Dispatch round found nothing to send peer: pick passes it over until
    the next round.                                                        */
void vent_peers_tried (vent_peers_t *self, vent_peer_t *peer, uint64_t round);

/*  True when a worker not among avoid[n] (0 entries are ignored) is there
    and not leaving; *now says whether one of them can take an item now
    (credit left, not rejoining).                                          */
bool vent_peers_other (const vent_peers_t *self, const uint32_t *avoid,
                       size_t n, bool *now);

/*  The worker heard longest ago if that is more than limit_ms before
    now_ms, else NULL.                                                     */
vent_peer_t *vent_peers_silent (vent_peers_t *self, int64_t now_ms,
                                int64_t limit_ms);

#endif
