/*  vent_ids: who has which worker id. A worker draws its 32-bit id at
    random, and at 10^4 workers two draw the same one about 1 run in 80
    (W^2 / 2^33). The first to say HELLO under an id has it; a HELLO
    under that id from another process (another pid or host) is a clash:
    that newcomer must take another id (vent_run tells it, pp_ctl RENAME)
    before it is counted, given credit, or taken for the first one
    reconnected. The same process saying HELLO again (it reconnected, was
    asked to join again) is no clash. An id stays taken for the run, even
    when its worker died or left: a newcomer that drew it renames too,
    which is harmless. No sockets; O(1) per HELLO at any number of
    workers.                                                               */

#ifndef VENT_IDS_H_INCLUDED
#define VENT_IDS_H_INCLUDED

#include "pp_wire.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct _vent_ids_t vent_ids_t;

/*  An empty table; NULL on OOM.                                           */
vent_ids_t *vent_ids_new (void);

/*  Frees the table; NULL-safe, nulls *self_p.                             */
void vent_ids_destroy (vent_ids_t **self_p);

/*  The worker hello describes says HELLO as worker_id. Returns true when
    the id is its own: nobody had it (now it has), or it had it already.
    Returns false on a clash, with *owner = the HELLO of the worker that
    has it. Out of memory, true: unlisted, it is taken at
    its word, as before this table.                                        */
bool vent_ids_claim (vent_ids_t *self, uint32_t worker_id,
                     const pp_hello_t *hello, pp_hello_t *owner);

#endif
