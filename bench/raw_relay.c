/*  raw_relay IN OUT N [HOLD_S]: the middle hop. Pulls N messages from IN
    and pushes each one on to OUT unchanged (zero-copy zmq_msg_t), like a
    worker whose job is echo, without any accounting; then holds its
    sockets open HOLD_S seconds or until killed (see raw_hold).           */
#include "raw_common.h"

int
main (int argc, char **argv)
{
    if (argc != 4 && argc != 5) {
        fprintf (stderr, "usage: raw_relay [@|>]IN [@|>]OUT N [HOLD_S]\n");
        return 2;
    }
    long long n = raw_count (argv[3], "N");
    void *ctx = zmq_ctx_new ();
    void *pull = zmq_socket (ctx, ZMQ_PULL);
    void *push = zmq_socket (ctx, ZMQ_PUSH);
    raw_hwm (pull);
    raw_hwm (push);
    raw_attach (pull, argv[1]);
    raw_attach (push, argv[2]);
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    for (long long i = 0; i < n; i++) {
        while (zmq_msg_recv (&msg, pull, 0) == -1)
            if (zmq_errno () != EINTR)
                raw_die ("zmq_msg_recv");
        while (zmq_msg_send (&msg, push, 0) == -1)
            if (zmq_errno () != EINTR)
                raw_die ("zmq_msg_send");
    }
    zmq_msg_close (&msg);
    raw_hold (argc == 5 ? atof (argv[4]) : 0);
    zmq_close (pull);
    zmq_close (push);
    zmq_ctx_term (ctx);
    return 0;
}
