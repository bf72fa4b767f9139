/*  raw_push EP N SIZE [HOLD_S]: sends N messages of SIZE bytes on a PUSH
    socket, one message per item, no accounting -- the floor pushpull is
    measured against. Prints on stdout the wall clock (CLOCK_REALTIME) at
    which the first message was taken. Then holds the socket open HOLD_S
    seconds (or until killed; see raw_hold) and closes it with the
    default linger.                                                       */
#include "raw_common.h"

int
main (int argc, char **argv)
{
    if (argc != 4 && argc != 5) {
        fprintf (stderr, "usage: raw_push [@|>]ENDPOINT N SIZE [HOLD_S]\n");
        return 2;
    }
    long long n = raw_count (argv[2], "N");
    long long size = raw_count (argv[3], "SIZE");
    char *buf = calloc (1, (size_t) size);
    if (!buf)
        return 1;
    memset (buf, 'x', (size_t) size);
    void *ctx = zmq_ctx_new ();
    void *push = zmq_socket (ctx, ZMQ_PUSH);
    raw_hwm (push);
    raw_attach (push, argv[1]);
    double t0 = raw_now (), first_wall = 0;
    for (long long i = 0; i < n; i++) {
        while (zmq_send (push, buf, (size_t) size, 0) == -1)
            if (zmq_errno () != EINTR)
                raw_die ("zmq_send");
        if (i == 0)
            first_wall = raw_wall ();
    }
    double t1 = raw_now ();
    /*  stdout: when the first message was taken (a peer was there).      */
    printf ("%.6f\n", first_wall);
    fflush (stdout);
    fprintf (stderr, "raw_push: %lld msgs of %lld B queued in %.3f s\n", n,
             size, t1 - t0);
    raw_hold (argc == 5 ? atof (argv[4]) : 0);
    zmq_close (push); /* default linger: flush everything queued      */
    zmq_ctx_term (ctx);
    free (buf);
    return 0;
}
