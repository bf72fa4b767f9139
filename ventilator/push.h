/*  vent_push: dispatch in push flow. Batches go out on the PUSH tasks
    socket, which deals them round-robin to the connected workers; a
    batch the socket cannot take now (HWM reached) waits, built, until it
    polls writable. Never blocks.                                          */

#ifndef VENT_PUSH_H_INCLUDED
#define VENT_PUSH_H_INCLUDED

#include "feed.h"
#include "window.h"

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct _vent_push_t vent_push_t;

/*  Dispatch on tasks (a PUSH socket, the caller's) of batches of at most
    batch items of run_id, built from window and feed. NULL on OOM.       */
vent_push_t *vent_push_new (zsock_t *tasks, vent_window_t *window,
                            vent_feed_t *feed, uint32_t batch, uint64_t run_id);

/*  Frees the dispatcher (not the socket); NULL-safe, nulls *self_p.       */
void vent_push_destroy (vent_push_t **self_p);

/*  Builds and sends batches until the socket is full or nothing is left
    to send. Returns 0 or PP_ENOMEM.                                       */
int vent_push_dispatch (vent_push_t *self);

/*  From now on, batches of at most batch items.                          */
void vent_push_set_batch (vent_push_t *self, uint32_t batch);

/*  True when a built batch waits for the socket: poll it for POLLOUT.    */
bool vent_push_waiting (const vent_push_t *self);

/*  TASK messages sent so far.                                             */
uint64_t vent_push_sends (const vent_push_t *self);

#endif
