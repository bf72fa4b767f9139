/*  pp_idmap: open addressing, linear probing, backward-shift deletion (no
    tombstones, so a long run of hellos and goodbyes never slows it).     */

#include "pp_idmap.h"
#include "pp_error.h"

#include <stdlib.h>

typedef struct {
    uint64_t key; /* 0: empty                                          */
    uint32_t value;
} s_slot_t;

struct _pp_idmap_t {
    s_slot_t *slots;
    size_t cap; /* a power of two                                  */
    size_t size;
};

pp_idmap_t *
pp_idmap_new (void)
{
    pp_idmap_t *self = calloc (1, sizeof (pp_idmap_t));
    if (self) {
        self->cap = 16;
        self->slots = calloc (self->cap, sizeof (s_slot_t));
        if (!self->slots) {
            free (self);
            self = NULL;
        }
    }
    return self;
}

void
pp_idmap_destroy (pp_idmap_t **self_p)
{
    if (self_p && *self_p) {
        free ((*self_p)->slots);
        free (*self_p);
        *self_p = NULL;
    }
}

/*  The slot a key starts probing from (a mix, so sequential ids spread). */
static size_t
s_home (const pp_idmap_t *self, uint64_t key)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return (size_t) key & (self->cap - 1);
}

/*  The slot holding key, or the empty slot where it would go.            */
static size_t
s_find (const pp_idmap_t *self, uint64_t key)
{
    size_t i = s_home (self, key);
    while (self->slots[i].key != 0 && self->slots[i].key != key)
        i = (i + 1) & (self->cap - 1);
    return i;
}

static int
s_grow (pp_idmap_t *self)
{
    s_slot_t *old = self->slots;
    size_t old_cap = self->cap;
    s_slot_t *slots = calloc (old_cap * 2, sizeof (s_slot_t));
    if (!slots)
        return PP_ENOMEM;
    self->slots = slots;
    self->cap = old_cap * 2;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].key != 0)
            self->slots[s_find (self, old[i].key)] = old[i];
    free (old);
    return 0;
}

int
pp_idmap_put (pp_idmap_t *self, uint64_t key, uint32_t value)
{
    if (key == 0)
        return PP_EINVAL;
    size_t i = s_find (self, key);
    if (self->slots[i].key == 0) {
        if ((self->size + 1) * 2 > self->cap) {
            if (s_grow (self) != 0)
                return PP_ENOMEM;
            i = s_find (self, key);
        }
        self->size++;
    }
    self->slots[i] = (s_slot_t){key, value};
    return 0;
}

bool
pp_idmap_get (const pp_idmap_t *self, uint64_t key, uint32_t *value)
{
    if (key == 0)
        return false;
    size_t i = s_find (self, key);
    if (self->slots[i].key == 0)
        return false;
    *value = self->slots[i].value;
    return true;
}

bool
pp_idmap_remove (pp_idmap_t *self, uint64_t key)
{
    if (key == 0)
        return false;
    size_t mask = self->cap - 1, hole = s_find (self, key);
    if (self->slots[hole].key == 0)
        return false;
    /*  Moves back each following entry that may sit in the hole: one
        whose home is not cyclically in (hole, j].                        */
    for (size_t j = (hole + 1) & mask; self->slots[j].key != 0;
         j = (j + 1) & mask) {
        size_t home = s_home (self, self->slots[j].key);
        bool stays =
            hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
        if (!stays) {
            self->slots[hole] = self->slots[j];
            hole = j;
        }
    }
    self->slots[hole].key = 0;
    self->size--;
    return true;
}

size_t
pp_idmap_size (const pp_idmap_t *self)
{
    return self->size;
}

uint64_t
pp_idmap_hash (const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t hash = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; i++) {
        hash ^= p[i];
        hash *= 0x100000001b3ULL;
    }
    return hash ? hash : 1;
}
