/*  raw_common.h: the little the raw libzmq floor programs share.
    An endpoint written "@tcp://..." is bound, ">tcp://..." (or bare)
    is connected -- the czmq convention.                                  */
#ifndef RAW_COMMON_H
#define RAW_COMMON_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

static inline double
raw_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/*  Wall clock, to compare instants across processes.                     */
static inline double
raw_wall (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static inline void
raw_die (const char *what)
{
    fprintf (stderr, "%s: %s\n", what, zmq_strerror (zmq_errno ()));
    exit (1);
}

/*  Binds or connects sock to ep ("@ep" binds, ">ep" or "ep" connects).   */
static inline void
raw_attach (void *sock, const char *ep)
{
    int rc;
    if (ep[0] == '@')
        rc = zmq_bind (sock, ep + 1);
    else
        rc = zmq_connect (sock, ep[0] == '>' ? ep + 1 : ep);
    if (rc != 0)
        raw_die (ep);
}

static inline long long
raw_count (const char *arg, const char *name)
{
    char *end;
    long long n = strtoll (arg, &end, 10);
    if (*end || n <= 0) {
        fprintf (stderr, "%s: '%s' is not a positive number\n", name, arg);
        exit (2);
    }
    return n;
}

static inline void
raw_hwm (void *sock)
{
    const char *env = getenv ("RAW_HWM"); /* default: libzmq's 1000    */
    if (env) {
        int hwm = atoi (env);
        zmq_setsockopt (sock, ZMQ_SNDHWM, &hwm, sizeof (hwm));
        zmq_setsockopt (sock, ZMQ_RCVHWM, &hwm, sizeof (hwm));
    }
}

/*  Holds the process (and its sockets) open hold_s seconds, or until a
    signal ends it: closing a PUSH socket right after its last send lost
    the tail of the stream over ipc:// here (libzmq 4.3.4: the receiver
    had not drained its side yet), so the bench stops the sender only
    once the receiver has counted everything.                             */
static inline void
raw_hold (double hold_s)
{
    if (hold_s <= 0)
        return;
    struct timespec ts = {(time_t) hold_s,
                          (long) ((hold_s - (double) (time_t) hold_s) * 1e9)};
    while (nanosleep (&ts, &ts) == -1 && errno == EINTR)
        ;
}

#endif
