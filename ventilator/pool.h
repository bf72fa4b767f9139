/*  vent_pool: the ventilator's item memory, recycled.

    A malloc and a free per item were a third of the ventilator's
    instructions (bench/results/profile-before.md). So a freed block with
    room for VENT_POOL_SMALL bytes waits on a list, linked through its own
    memory, for the next small item; the list holds at most max_spare
    blocks (the --window: as many as can be acked between two reads), so
    memory stays what the window held at its fullest.

    Only a small block is kept: a spare serves only a small item, so a big
    one kept would hold its memory for nothing (65536 spare blocks of
    256 KiB items held the whole input).

    The feed allocates (a record becomes an item), the window frees (the
    sink acked it): neither calls the other. Blocks are plain malloc
    memory: free () and pp_item_free release them as well.                 */

#ifndef VENT_POOL_H_INCLUDED
#define VENT_POOL_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

/*  Blocks of at least this size are recycled; smaller requests get one.  */
#define VENT_POOL_SMALL 64
/*  Blocks this large or larger are freed, never kept.                     */
#define VENT_POOL_KEEP (2 * VENT_POOL_SMALL)

typedef struct _vent_pool_t vent_pool_t;

/*  A pool keeping at most max_spare free blocks; NULL on OOM.             */
vent_pool_t *vent_pool_new (uint32_t max_spare);

/*  Frees the spare blocks and the pool; NULL-safe, nulls *self_p. Blocks
    handed out stay valid (they are malloc memory).                        */
void vent_pool_destroy (vent_pool_t **self_p);

/*  A block of at least size bytes: a spare one when size fits, else new
    from malloc. The caller owns it. NULL on OOM.                          */
void *vent_pool_alloc (vent_pool_t *self, size_t size);

/*  Takes back a block from vent_pool_alloc or malloc (NULL-safe): kept
    for reuse while fewer than max_spare wait and it is large enough for
    a small item and smaller than VENT_POOL_KEEP bytes, else freed.        */
void vent_pool_free (vent_pool_t *self, void *block);

/*  Spare blocks waiting now.                                              */
uint32_t vent_pool_spare (const vent_pool_t *self);

#endif
