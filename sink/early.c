/*  sink_early: results held until the run is known (early.h).            */

#include "early.h"

struct _sink_early_t {
    zlist_t *msgs;    /* pp_inmsg_t, as received, in arrival order */
    size_t bytes;     /* payload bytes held                       */
    size_t max_bytes; /* the bound on bytes                       */
    uint64_t dropped; /* messages past the bound                  */
};

sink_early_t *
sink_early_new (size_t max_bytes)
{
    sink_early_t *self = calloc (1, sizeof (sink_early_t));
    if (self && !(self->msgs = zlist_new ()))
        sink_early_destroy (&self);
    if (self)
        self->max_bytes = max_bytes;
    return self;
}

void
sink_early_destroy (sink_early_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sink_early_t *self = *self_p;
    pp_inmsg_t *in;
    while (self->msgs && (in = zlist_pop (self->msgs))) {
        pp_inmsg_free (in);
        free (in);
    }
    zlist_destroy (&self->msgs);
    free (self);
    *self_p = NULL;
}

void
sink_early_hold (sink_early_t *self, pp_inmsg_t *in)
{
    pp_inmsg_t *held = NULL;
    if (self->bytes + in->size > self->max_bytes ||
        !(held = malloc (sizeof (pp_inmsg_t))) ||
        zlist_append (self->msgs, held) != 0) {
        free (held);
        self->dropped++;
        return;
    }
    *held = *in; /* its pointers are into held->msg, which it now owns  */
    self->bytes += in->size;
    in->msg = NULL;
}

bool
sink_early_next (sink_early_t *self, pp_inmsg_t *in)
{
    pp_inmsg_t *held = zlist_pop (self->msgs);
    if (!held)
        return false;
    *in = *held;
    self->bytes -= in->size;
    free (held);
    return true;
}

uint64_t
sink_early_dropped (const sink_early_t *self)
{
    return self->dropped;
}
