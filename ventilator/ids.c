/*  vent_ids: worker id -> index into an array of the HELLOs of who has
    it (about 90 bytes a worker).                                          */

#include "ids.h"
#include "pp_ctl.h"
#include "pp_idmap.h"

#include <stdlib.h>
#include <string.h>

struct _vent_ids_t {
    pp_idmap_t *by_id; /* id + 1 -> index in owners                  */
    pp_hello_t *owners;
    size_t size, cap;
};

vent_ids_t *
vent_ids_new (void)
{
    vent_ids_t *self = calloc (1, sizeof (vent_ids_t));
    if (self && !(self->by_id = pp_idmap_new ()))
        vent_ids_destroy (&self);
    return self;
}

void
vent_ids_destroy (vent_ids_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pp_idmap_destroy (&(*self_p)->by_id);
    free ((*self_p)->owners);
    free (*self_p);
    *self_p = NULL;
}

/*  Lists hello as the owner of key. 0, or -1 (OOM: not listed).          */
static int
s_add (vent_ids_t *self, uint64_t key, const pp_hello_t *hello)
{
    if (self->size == self->cap) {
        size_t cap = self->cap ? 2 * self->cap : 64;
        pp_hello_t *grown = realloc (self->owners, cap * sizeof (*grown));
        if (!grown)
            return -1;
        self->owners = grown;
        self->cap = cap;
    }
    if (self->size >= UINT32_MAX ||
        pp_idmap_put (self->by_id, key, (uint32_t) self->size) != 0)
        return -1;
    self->owners[self->size++] = *hello;
    return 0;
}

bool
vent_ids_claim (vent_ids_t *self, uint32_t worker_id, const pp_hello_t *hello,
                pp_hello_t *owner)
{
    uint64_t key = (uint64_t) worker_id + 1;
    uint32_t at;
    if (!pp_idmap_get (self->by_id, key, &at)) {
        s_add (self, key, hello);
        return true;
    }
    *owner = self->owners[at];
    return pp_ctl_same_worker (hello, owner);
}
