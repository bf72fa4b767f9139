/*  raw_pull EP N: receives N messages on a PULL socket and prints
    "msgs elapsed_s msgs_per_s last_wall" on stdout: elapsed from the
    first message to the last (the span pp-sink's elapsed_s covers), and
    the wall clock (CLOCK_REALTIME) of the last one, to be compared with
    raw_push's first send.                                                */
#include "raw_common.h"

int
main (int argc, char **argv)
{
    if (argc != 3) {
        fprintf (stderr, "usage: raw_pull [@|>]ENDPOINT N\n");
        return 2;
    }
    long long n = raw_count (argv[2], "N");
    void *ctx = zmq_ctx_new ();
    void *pull = zmq_socket (ctx, ZMQ_PULL);
    raw_hwm (pull);
    raw_attach (pull, argv[1]);
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    double first = 0;
    long long bytes = 0;
    for (long long i = 0; i < n; i++) {
        while (zmq_msg_recv (&msg, pull, 0) == -1)
            if (zmq_errno () != EINTR)
                raw_die ("zmq_msg_recv");
        if (i == 0)
            first = raw_now ();
        bytes += (long long) zmq_msg_size (&msg);
    }
    double elapsed = raw_now () - first, last_wall = raw_wall ();
    zmq_msg_close (&msg);
    zmq_close (pull);
    zmq_ctx_term (ctx);
    /*  n-1 intervals between the first and the last message.             */
    double rate = elapsed > 0 ? (double) (n - 1) / elapsed : 0;
    printf ("%lld %.6f %.1f %.6f\n", n, elapsed, rate, last_wall);
    fprintf (stderr, "raw_pull: %lld msgs (%lld B) in %.3f s: %.0f msgs/s\n", n,
             bytes, elapsed, rate);
    return 0;
}
