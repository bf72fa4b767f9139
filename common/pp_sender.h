/*  pp_sender: the sender thread of the worker's pipeline, the only thread
    that touches the results socket.

    It says hello to the sink, then sends the RESULT batches of the result
    channel, waiting while the sink's queue is full, until the channel is
    closed and empty (leaving: sent) or the task channel is aborted
    (stopping: what it holds is given up, counted). It watches the
    socket's connection, so that results libzmq queued for a sink that
    went away are not counted as delivered. In credit flow it tells the
    receiver, over inproc, how many results went out: their slots are
    free again. Since when it waits for the sink (stuck_ms) is a hint the
    receiver reads to log and to give up: a relaxed atomic, no lock.       */

#ifndef PP_SENDER_H_INCLUDED
#define PP_SENDER_H_INCLUDED

#include "pp_chan.h"
#include "pp_net.h"
#include "pp_wire.h"

#include <czmq.h>
#include <stdatomic.h>

/*  What the sender shares with the pipeline; set up before it starts,
    read only after, but for stuck_ms.                                     */
typedef struct {
    pp_chan_t *results;        /* RESULT batches to send                  */
    pp_chan_t *tasks;          /* aborted: the pipeline is stopping       */
    const pp_common_t *net;    /* socket settings; net->results: the sink */
    uint64_t run_id;           /* of the results                          */
    uint32_t worker_id;        /* ours                                    */
    pp_hello_t hello;          /* said to the sink first                  */
    const char *done_endpoint; /* credit flow: completions go here (a
                                  PULL bound there), or NULL              */
    atomic_llong stuck_ms;     /* since when a batch waits for the sink
                                  to take it (pp_now_ms), or 0            */
} pp_sender_t;

/*  The thread (pthread_create with a pp_sender_t). Returns how many
    results it gave up, as a uintptr_t in the void *.                      */
void *pp_sender_main (void *shared);

/*  Sends this worker's HELLO for run_id on sock: to the sink, or the
    ventilator (acks, or tasks in credit flow). Never blocks; returns
    pp_net_send's code.                                                     */
int pp_sender_hello (zsock_t *sock, uint64_t run_id, uint32_t worker_id,
                     const pp_hello_t *hello);

#endif
