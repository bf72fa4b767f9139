/*  sink_early: RESULT messages that came before the run was known.

    Our SUB joins the control channel late, so results can beat the first
    STATE: without the run's id and window they cannot be recorded. They
    are held, as received, up to a bound in payload bytes, and replayed in
    arrival order once the run is adopted. Those past the bound are not
    held -- nor acked, so the ventilator sends them again.                 */

#ifndef SINK_EARLY_H_INCLUDED
#define SINK_EARLY_H_INCLUDED

#include "pp_net.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _sink_early_t sink_early_t;

/*  An empty hold of at most max_bytes of payload. NULL when out of memory. */
sink_early_t *sink_early_new (size_t max_bytes);

/*  Frees what is still held; NULL-safe, nulls the pointer.                */
void sink_early_destroy (sink_early_t **self_p);

/*  Holds a received RESULT: takes in->msg (nulls it) when its payload
    fits under the bound, else counts it dropped and leaves it.            */
void sink_early_hold (sink_early_t *self, pp_inmsg_t *in);

/*  The oldest held message, taken out and decoded into *in (free it with
    pp_inmsg_free). Returns false when none is left.                       */
bool sink_early_next (sink_early_t *self, pp_inmsg_t *in);

/*  Messages that did not fit (they come again).                           */
uint64_t sink_early_dropped (const sink_early_t *self);

#endif
