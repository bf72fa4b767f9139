/*  vent_push: build a batch, send it without blocking, keep it if the
    socket is full.                                                        */

#include "push.h"
#include "batch.h"
#include "pp_error.h"
#include "send.h"

struct _vent_push_t {
    zsock_t *tasks;        /* PUSH, the caller's                    */
    vent_window_t *window; /* where items are numbered              */
    vent_feed_t *feed;     /* where new items come from             */
    uint32_t max_items;    /* --batch                               */
    uint64_t run_id;
    pp_batch_t batch; /* built, maybe waiting for the socket   */
    bool waiting;     /* the batch waits for the socket        */
    uint64_t sends;   /* TASK messages that left               */
};

vent_push_t *
vent_push_new (zsock_t *tasks, vent_window_t *window, vent_feed_t *feed,
               uint32_t batch, uint64_t run_id)
{
    vent_push_t *self = calloc (1, sizeof (vent_push_t));
    if (self)
        *self = (vent_push_t){.tasks = tasks,
                              .window = window,
                              .feed = feed,
                              .max_items = batch,
                              .run_id = run_id};
    return self;
}

void
vent_push_destroy (vent_push_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pp_batch_free (&(*self_p)->batch);
    free (*self_p);
    *self_p = NULL;
}

/*  Sends the batch without blocking; false while the HWM holds it. A
    send that fails otherwise loses the batch: its items are sent again
    after --ack-timeout.                                                   */
static bool
s_send (vent_push_t *self)
{
    pp_header_t hdr = {.type = PP_MSG_TASK,
                       .run_id = self->run_id,
                       .count = self->batch.count};
    int rc = vent_send_batch (self->tasks, NULL, &hdr, &self->batch, true);
    if (rc == PP_EAGAIN)
        return false;
    if (rc != 0)
        zsys_error ("cannot send tasks: %s", zmq_strerror (zmq_errno ()));
    else
        self->sends++;
    self->waiting = false;
    return true;
}

int
vent_push_dispatch (vent_push_t *self)
{
    for (int burst = 0; burst < 64; burst++) {
        if (!self->waiting) {
            int rc = vent_batch_build (&self->batch, self->window, self->feed,
                                       self->max_items, 0, NULL, NULL);
            if (rc != 0)
                return rc;
            self->waiting = self->batch.count > 0;
        }
        if (!self->waiting || !s_send (self))
            break;
    }
    return 0;
}

void
vent_push_set_batch (vent_push_t *self, uint32_t batch)
{
    self->max_items = batch;
}

bool
vent_push_waiting (const vent_push_t *self)
{
    return self->waiting;
}

uint64_t
vent_push_sends (const vent_push_t *self)
{
    return self->sends;
}
