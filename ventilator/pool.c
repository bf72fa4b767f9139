/*  vent_pool: a free list of small blocks, bounded.                       */

#include "pool.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

struct _vent_pool_t {
    void *spare;     /* first free block; each holds the next      */
    uint32_t nspare; /* blocks on the list                         */
    uint32_t max;    /* the list's bound                           */
};

vent_pool_t *
vent_pool_new (uint32_t max_spare)
{
    vent_pool_t *self = calloc (1, sizeof (vent_pool_t));
    if (self)
        self->max = max_spare;
    return self;
}

void
vent_pool_destroy (vent_pool_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    vent_pool_t *self = *self_p;
    while (self->spare) {
        void *next;
        memcpy (&next, self->spare, sizeof (void *));
        free (self->spare);
        self->spare = next;
    }
    free (self);
    *self_p = NULL;
}

void *
vent_pool_alloc (vent_pool_t *self, size_t size)
{
    if (size <= VENT_POOL_SMALL && self->spare) {
        void *block = self->spare;
        memcpy (&self->spare, block, sizeof (void *));
        self->nspare--;
        return block;
    }
    return malloc (size < VENT_POOL_SMALL ? VENT_POOL_SMALL : size);
}

void
vent_pool_free (vent_pool_t *self, void *block)
{
    size_t usable = block ? malloc_usable_size (block) : 0;
    if (block && self->nspare < self->max && usable >= VENT_POOL_SMALL &&
        usable < VENT_POOL_KEEP) {
        memcpy (block, &self->spare, sizeof (void *));
        self->spare = block;
        self->nspare++;
    } else
        free (block);
}

uint32_t
vent_pool_spare (const vent_pool_t *self)
{
    return self->nspare;
}
