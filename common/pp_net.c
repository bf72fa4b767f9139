/*  pp_net: socket setup and message I/O.                                   */

#include "pp_net.h"
#include "pp_error.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <net/if.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/*  libzmq removes whatever is at an ipc:// path before it binds there, so
    a second process with the same path would take the endpoint from a
    running one without a word. Before binding: a socket that accepts a
    connection is in use; one that refuses it is left over from a process
    that died, and may be replaced; anything else is not ours to remove.
    Returns 0 when the path may be bound, else -1 after logging why.      */
static int
s_ipc_free (const char *source, const char *endpoint)
{
    const char *path = endpoint + 6;
    struct stat st;
    if (path[0] == '@' || lstat (path, &st) != 0)
        return 0; /* abstract (bind says EADDRINUSE), or nothing there   */
    if (!S_ISSOCK (st.st_mode)) {
        zsys_error ("%s: cannot bind %s: the path exists and is not a "
                    "socket; give another path",
                    source, endpoint);
        return -1;
    }
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf (addr.sun_path, sizeof (addr.sun_path), "%s", path);
    int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd == -1)
        return 0; /* cannot tell: let bind decide                       */
    int rc = connect (fd, (struct sockaddr *) &addr, sizeof (addr));
    int err = errno;
    close (fd);
    if (rc == 0 || err == EAGAIN) { /* EAGAIN: listening, backlog full */
        zsys_error ("%s: cannot bind %s: it is in use by a running "
                    "process (another pp-ventilator or pp-sink?); stop "
                    "it or give another path",
                    source, endpoint);
        return -1;
    }
    return 0;
}

/*  True when HOST of a tcp endpoint to bind names an interface that has
    an IPv4 address: libzmq binds the first address of the socket's family
    on it, and an IPv4 one is what peers have reached it by so far.       */
static bool
s_ipv4_interface (const char *endpoint)
{
    const char *host = endpoint + 6;
    const char *colon = strrchr (host, ':');
    char name[IF_NAMESIZE + 1];
    size_t len = colon ? (size_t) (colon - host) : 0;
    if (len == 0 || len >= sizeof (name) || host[0] == '[')
        return false;
    memcpy (name, host, len);
    name[len] = '\0';
    struct in_addr in4;
    struct ifaddrs *all = NULL;
    if (inet_pton (AF_INET, name, &in4) == 1 || getifaddrs (&all) != 0)
        return false;
    bool found = false;
    for (struct ifaddrs *ifa = all; ifa && !found; ifa = ifa->ifa_next)
        found = ifa->ifa_addr && ifa->ifa_addr->sa_family == AF_INET &&
                strcmp (ifa->ifa_name, name) == 0;
    freeifaddrs (all);
    return found;
}

int
pp_net_hwm_within (int hwm, uint64_t bytes, uint64_t max_item)
{
    uint64_t fit = bytes / (PP_BATCH_BYTES + max_item);
    if (fit < 2)
        fit = 2;
    return (uint64_t) hwm > fit ? (int) fit : hwm;
}

/*  Logs a failed bind or connect of endpoint (at addr, when a name was
    resolved to it).                                                      */
static void
s_log_failed (const char *source, bool bind, const char *endpoint,
              const char *addr, int err)
{
    zsys_error ("%s: cannot %s %s%s%s%s: %s%s", source,
                bind ? "bind" : "connect", endpoint, addr ? " (" : "",
                addr ? addr : "", addr ? ")" : "", zmq_strerror (err),
                err == EADDRINUSE ? " (another process listens there: "
                                    "stop it or give another port)"
                                  : "");
}

/*  HOST of a tcp endpoint to bind when it is a host name: libzmq binds an
    address, `*` or an interface, never a name ("No such device"). Copies
    it into name, PORT into port; false for anything else.                */
static bool
s_bind_name (const char *endpoint, char *name, size_t size, char *port,
             size_t port_size)
{
    const char *host = endpoint + 6;
    const char *colon = strrchr (host, ':');
    size_t len = colon ? (size_t) (colon - host) : 0;
    if (len == 0 || len >= size || host[0] == '[' || host[0] == '*' ||
        strlen (colon + 1) >= port_size)
        return false;
    memcpy (name, host, len);
    name[len] = '\0';
    snprintf (port, port_size, "%s", colon + 1);
    struct in_addr in4;
    return inet_pton (AF_INET, name, &in4) != 1 && if_nametoindex (name) == 0;
}

/*  "tcp://ADDR:port" of a resolved address into out (IPv6 in brackets).  */
static void
s_address_endpoint (const struct addrinfo *ai, const char *port, char *out,
                    size_t size)
{
    char addr[INET6_ADDRSTRLEN] = "";
    bool v6 = ai->ai_family == AF_INET6;
    const void *in =
        v6 ? (const void *) &((struct sockaddr_in6 *) ai->ai_addr)->sin6_addr
           : (const void *) &((struct sockaddr_in *) ai->ai_addr)->sin_addr;
    inet_ntop (ai->ai_family, in, addr, sizeof (addr));
    snprintf (out, size, v6 ? "tcp://[%s]:%s" : "tcp://%s:%s", addr, port);
}

/*  Binds every address the name resolves to (localhost: 127.0.0.1, and
    ::1 where it is one of them), so a peer connecting by the name finds
    us whichever its resolver gives first. An address this machine lacks
    (::1 without IPv6) is skipped while another one binds. 0 or -1.      */
static int
s_bind_resolved (zsock_t *sock, const char *source, const char *endpoint,
                 const char *name, const char *port)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM};
    struct addrinfo *all = NULL;
    int gai = getaddrinfo (name, NULL, &hints, &all);
    if (gai != 0) {
        zsys_error ("%s: cannot bind %s: '%s' is no interface here, and as "
                    "a host name it does not resolve (%s): give an address "
                    "(tcp://127.0.0.1:%s), an interface or *",
                    source, endpoint, name, gai_strerror (gai), port);
        return -1;
    }
    char done[8][INET6_ADDRSTRLEN + 32];
    int bound = 0, tried = 0, rc = 0, err = 0;
    for (struct addrinfo *ai = all; ai && rc == 0 && tried < 8;
         ai = ai->ai_next) {
        if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
            continue;
        char *ep = done[tried];
        s_address_endpoint (ai, port, ep, sizeof (done[0]));
        bool again = false; /* a name listed twice in /etc/hosts       */
        for (int i = 0; i < tried; i++)
            again |= strcmp (done[i], ep) == 0;
        if (again)
            continue;
        tried++;
        if (zsock_bind (sock, "%s", ep) != -1) { /* tcp: the port */
            bound++;
            continue;
        }
        err = zmq_errno ();
        if (err != EADDRNOTAVAIL && err != EAFNOSUPPORT) {
            s_log_failed (source, true, endpoint, ep, err);
            rc = -1;
        }
    }
    freeaddrinfo (all);
    if (rc == 0 && bound == 0) {
        s_log_failed (source, true, endpoint, tried ? done[tried - 1] : name,
                      err ? err : EADDRNOTAVAIL);
        rc = -1;
    }
    return rc;
}

/*  pp_net_socket, with ZMTP pings every ping_ms (0: none of its own),
    watched by netmon (unless NULL) from before it binds or connects.     */
static zsock_t *
s_socket (int type, const pp_common_t *common, const char *endpoint, bool bind,
          const char *flag, int ping_ms, pp_netmon_t *netmon)
{
    zsock_t *sock = zsock_new (type);
    if (!sock) {
        zsys_error ("cannot create a socket: %s", zmq_strerror (errno));
        return NULL;
    }
    /*  Credit flow (ROUTER/DEALER) bounds what is in flight by credit; a
        HWM below that would make a full queue look like a dead worker.   */
    int hwm = common->hwm;
    if ((type == ZMQ_ROUTER || type == ZMQ_DEALER) && hwm < PP_NET_CREDIT_HWM)
        hwm = PP_NET_CREDIT_HWM;
    zsock_set_sndhwm (sock, hwm);
    zsock_set_rcvhwm (sock, hwm);
    zsock_set_linger (sock, 0); /* we never rely on linger: peers confirm */
    /*  A batch stops at PP_BATCH_BYTES, but its last record may be a full
        item (a result: a full result and its full input): that bounds
        every honest message.                                              */
    int64_t max_msg = PP_BATCH_BYTES + 2 * (int64_t) common->max_item +
                      2 * PP_WIRE_RECORD_SIZE;
    /*  int64 in libzmq; czmq's setter takes an int, too small for two
        items of 1 GiB.                                                    */
    zmq_setsockopt (zsock_resolve (sock), ZMQ_MAXMSGSIZE, &max_msg,
                    sizeof (max_msg));
    /*  Reconnect fast, back off to 2 s; ZMTP heartbeats find a peer that
        vanished without a FIN (a cut link, a dead host) in about 3 s, so
        push flow stops feeding it; TCP keepalive backs that up for idle
        connections. Chosen for clusters: see README, "Real networks".
        10 ms first: a process started before its peer binds (the sink
        before the ventilator, say) waited 100 ms for its second try, and
        a sink that learns the run late holds every result until then --
        the p99 latency of a light run was that wait (71 ms).             */
    zsock_set_reconnect_ivl (sock, 10);
    zsock_set_reconnect_ivl_max (sock, PP_NET_RECONNECT_MAX_MS);
    /*  Who pings: a connecting socket that is not a PUSH -- the control
        SUB finds its ventilator gone. Never a PUSH (bound or connecting):
        its peer is a receiver that stops reading when full (a worker's
        tasks, the sink's results, the ventilator's acks), and libzmq 4.3
        asserts (!_io_error, stream_engine_base.cpp:331) when such a
        receiver decodes a PING on restart_input after its peer went: a
        slow push-flow worker whose ventilator was killed -9 died so.
        A PUSH finds a peer that vanished without a FIN by TCP instead: no
        acknowledgement of what it sent within PP_NET_MAXRT_MS drops the
        connection (TCP_USER_TIMEOUT), and keepalive covers idle ones;
        without either, push flow kept dealing into a dead worker's kernel
        buffer and a host kill stalled the run (check-netns). Like the
        heartbeat timeout before it, it also drops a live peer whose
        window stayed closed that long (Linux 5.11 on; a receiver whose
        input stopped could not answer a PING either): what its queue
        held goes again, after --ack-timeout.
        Not the bound sockets either, and no TTL asked of the peer: libzmq
        4.3 cancels a heartbeat timer by walking every timer of its I/O
        thread, on every message that arrives while one is armed -- with
        a timer per connection, a ventilator or sink of W workers paid
        O(W) per message (42% of the ventilator's CPU at 10^4 workers, in
        libzmq's _Rb_tree_increment). Credit flow's own liveness finds a
        silent worker; a dead worker's idle connection to the sink or the
        acks costs nothing.                                                */
    bool pings = !bind && type != ZMQ_PUSH;
    zsock_set_heartbeat_ivl (sock, pings ? ping_ms : 0);
    zsock_set_heartbeat_timeout (sock, 3 * PP_NET_HEARTBEAT_MS);
    zsock_set_heartbeat_ttl (sock, 0);
    if (type == ZMQ_PUSH) {
        int maxrt = PP_NET_MAXRT_MS;
        zmq_setsockopt (zsock_resolve (sock), ZMQ_TCP_MAXRT, &maxrt,
                        sizeof (maxrt));
    }
    zsock_set_tcp_keepalive (sock, 1);
    zsock_set_tcp_keepalive_idle (sock, 30);
    zsock_set_tcp_keepalive_intvl (sock, 5);
    zsock_set_tcp_keepalive_cnt (sock, 3);
    if (type == ZMQ_SUB)
        zsock_set_subscribe (sock, "");
    /*  IPv6 and IPv4 both: [::1], v6 names, and a bind to `*` serves both
        stacks. An interface name binds its IPv4 address when it has one. */
    bool tcp = strncmp (endpoint, "tcp://", 6) == 0;
    zsock_set_ipv6 (sock, !(tcp && bind && s_ipv4_interface (endpoint)));
    if (common->cert) { /* CURVE: servers bind, clients connect        */
        zcert_apply (common->cert, sock);
        if (bind)
            zsock_set_curve_server (sock, 1);
        else
            zsock_set_curve_serverkey (sock, common->server_key);
    }
    const char *source = pp_config_source (common, flag);
    if (bind && strncmp (endpoint, "ipc://", 6) == 0 &&
        s_ipc_free (source, endpoint) != 0) {
        zsock_destroy (&sock);
        return NULL;
    }
    if (netmon) /* first: a peer retrying every 10 ms meets the bind    */
        pp_netmon_watch (netmon, sock, flag, bind);
    char name[256], port[16];
    int rc = 0;
    if (bind && tcp &&
        s_bind_name (endpoint, name, sizeof (name), port, sizeof (port)))
        rc = s_bind_resolved (sock, source, endpoint, name, port);
    else if ((bind ? zsock_bind (sock, "%s", endpoint)
                   : zsock_connect (sock, "%s", endpoint)) == -1) {
        s_log_failed (source, bind, endpoint, NULL, zmq_errno ());
        rc = -1;
    }
    if (rc != 0) {
        pp_netmon_forget (netmon, sock);
        zsock_destroy (&sock);
    }
    return sock;
}

zsock_t *
pp_net_socket (int type, const pp_common_t *common, const char *endpoint,
               bool bind, const char *flag)
{
    return s_socket (type, common, endpoint, bind, flag, PP_NET_HEARTBEAT_MS,
                     NULL);
}

zsock_t *
pp_net_socket_watched (int type, const pp_common_t *common,
                       const char *endpoint, bool bind, const char *flag,
                       pp_netmon_t *netmon)
{
    return s_socket (type, common, endpoint, bind, flag, PP_NET_HEARTBEAT_MS,
                     netmon);
}

zsock_t *
pp_net_socket_paused (int type, const pp_common_t *common, const char *endpoint,
                      bool bind, const char *flag)
{
    return s_socket (type, common, endpoint, bind, flag, 0, NULL);
}

zsock_t *
pp_net_acks_socket (int type, const pp_common_t *common, bool bind)
{
    return pp_net_acks_socket_watched (type, common, bind, NULL);
}

zsock_t *
pp_net_acks_socket_watched (int type, const pp_common_t *common, bool bind,
                            pp_netmon_t *netmon)
{
    pp_common_t acks = *common;
    acks.hwm = PP_NET_ACKS_HWM;
    return pp_net_socket_watched (type, &acks, common->acks, bind, "--acks",
                                  netmon);
}

int
pp_net_send_head (void *handle, zframe_t *identity, const pp_header_t *hdr,
                  bool dontwait)
{
    uint8_t head[PP_WIRE_HEADER_SIZE];
    pp_wire_encode_header (hdr, head);
    int flags = dontwait ? ZMQ_DONTWAIT : 0;
    if (identity) {
        if (zmq_send (handle, zframe_data (identity), zframe_size (identity),
                      flags | ZMQ_SNDMORE) == -1)
            return zmq_errno () == EAGAIN ? PP_EAGAIN : PP_EIO;
        flags = 0; /* the rest of a started message goes               */
    }
    while (zmq_send (handle, head, sizeof (head), flags | ZMQ_SNDMORE) == -1) {
        if (zmq_errno () == EAGAIN)
            return PP_EAGAIN;
        if (zmq_errno () != EINTR)
            return PP_EIO;
    }
    return 0;
}

int
pp_net_send (zsock_t *sock, zframe_t *identity, const pp_header_t *hdr,
             const void *payload, size_t size, bool dontwait)
{
    void *handle = zsock_resolve (sock);
    int rc = pp_net_send_head (handle, identity, hdr, dontwait);
    if (rc != 0)
        return rc;
    while (zmq_send (handle, payload, size, 0) == -1)
        if (zmq_errno () != EINTR)
            return PP_EIO;
    return 0;
}

static void
s_free_data (void *data, void *hint)
{
    (void) hint;
    free (data);
}

int
pp_net_send_owned (zsock_t *sock, const pp_header_t *hdr, pp_batch_t *batch,
                   bool dontwait)
{
    void *handle = zsock_resolve (sock);
    int rc = pp_net_send_head (handle, NULL, hdr, dontwait);
    if (rc != 0)
        return rc;
    void *data = batch->data;
    size_t size = batch->size;
    zmq_free_fn *release = batch->release ? batch->release : s_free_data;
    void *hint = batch->hint;
    *batch = (pp_batch_t){.count = batch->count}; /* the bytes are taken */
    zmq_msg_t msg;
    if (zmq_msg_init_data (&msg, data, size, release, hint) != 0) {
        /*  No memory for libzmq's part: a copy then.                     */
        while (rc == 0 && zmq_send (handle, data, size, 0) == -1)
            rc = zmq_errno () == EINTR ? 0 : PP_EIO;
        release (data, hint);
        return rc;
    }
    while (zmq_msg_send (&msg, handle, 0) == -1)
        if (zmq_errno () != EINTR) {
            zmq_msg_close (&msg); /* frees data                         */
            return PP_EIO;
        }
    return 0;
}

static int
s_reject (pp_inmsg_t *in, uint64_t *rejects, pp_reject_t reason)
{
    rejects[reason]++;
    zmsg_destroy (&in->msg);
    return PP_EPROTO;
}

int
pp_net_recv (zsock_t *sock, bool router, pp_inmsg_t *in,
             uint64_t rejects[PP_REJECT_COUNT])
{
    memset (in, 0, sizeof (*in));
    zmsg_t *msg = zmsg_recv (sock);
    if (!msg)
        return zmq_errno () == EAGAIN || zmq_errno () == EINTR ? PP_EAGAIN
                                                               : PP_EIO;
    return pp_net_take (&msg, router, in, rejects);
}

int
pp_net_take (zmsg_t **msg_p, bool router, pp_inmsg_t *in,
             uint64_t rejects[PP_REJECT_COUNT])
{
    memset (in, 0, sizeof (*in));
    in->msg = *msg_p;
    *msg_p = NULL;
    if (router)
        in->identity = zmsg_first (in->msg);
    zframe_t *head = router ? zmsg_next (in->msg) : zmsg_first (in->msg);
    zframe_t *body = head ? zmsg_next (in->msg) : NULL;
    if (!head || !body)
        return s_reject (in, rejects, PP_REJECT_SHORT);
    if (zmsg_next (in->msg))
        return s_reject (in, rejects, PP_REJECT_BATCH);
    pp_reject_t reason;
    if (pp_wire_decode_header (zframe_data (head), zframe_size (head), &in->hdr,
                               &reason) != 0)
        return s_reject (in, rejects, reason);
    in->payload = zframe_data (body);
    in->size = zframe_size (body);
    return 0;
}

void
pp_net_log_rejects (const uint64_t rejects[PP_REJECT_COUNT])
{
    char text[256] = "";
    size_t used = 0;
    for (int r = 0; r < PP_REJECT_COUNT && used < sizeof (text); r++)
        if (rejects[r])
            used +=
                (size_t) snprintf (text + used, sizeof (text) - used,
                                   " %s %llu", pp_reject_name ((pp_reject_t) r),
                                   (unsigned long long) rejects[r]);
    if (used > 0)
        zsys_warning ("rejected frames:%s", text);
}

void
pp_inmsg_free (pp_inmsg_t *in)
{
    zmsg_destroy (&in->msg);
    in->identity = NULL;
    in->payload = NULL;
}

int64_t
pp_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
pp_now_ns (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

uint64_t
pp_wall_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

bool
pp_batch_full (const pp_batch_t *batch, uint32_t max_count)
{
    return batch->count >= max_count || batch->size >= PP_BATCH_BYTES ||
           batch->release;
}

int
pp_batch_add (pp_batch_t *batch, const pp_record_t *rec)
{
    if (batch->release)
        return PP_EINVAL; /* borrowed bytes do not grow                  */
    size_t need = batch->size + pp_wire_record_size (rec);
    if (need > batch->cap) {
        /*  A new buffer fits its first record (a big one fills a batch by
            itself), then grows by doubling.                               */
        size_t cap = batch->cap ? batch->cap : 4096;
        if (batch->size == 0 && need > cap)
            cap = (need + 4095) & ~(size_t) 4095;
        while (cap < need)
            cap *= 2;
        uint8_t *grown = realloc (batch->data, cap);
        if (!grown)
            return PP_ENOMEM;
        batch->data = grown;
        batch->cap = cap;
    }
    batch->size += pp_wire_encode_record (rec, batch->data + batch->size);
    batch->count++;
    return 0;
}

void
pp_batch_reset (pp_batch_t *batch)
{
    batch->size = 0;
    batch->count = 0;
}

void
pp_batch_free (pp_batch_t *batch)
{
    if (batch->release && batch->data)
        batch->release (batch->data, batch->hint);
    else
        free (batch->data);
    memset (batch, 0, sizeof (*batch));
}

/*  --- handshake watch ---------------------------------------------------- */

#define S_WATCH_MAX 8 /* sockets one watch follows                      */
#define S_CHECK_EVERY_MS 100
/*  A hang-up comes with a mechanism mismatch or a refused key too, and
    once with a peer that restarts; again and again, alone for a second,
    it is a CURVE box that did not open (a wrong server key).            */
#define S_CLOSED_ALONE_MS 1000
#define S_CLOSED_AGAIN 3

/*  Why a handshake failed, as far as the fix goes.                       */
typedef enum {
    S_WHY_AUTH,     /* the server's ZAP handler refused the client's key  */
    S_WHY_CRYPTO,   /* a CURVE box did not open: keys do not match       */
    S_WHY_MISMATCH, /* CURVE on one side, plaintext on the other         */
    S_WHY_CLOSED,   /* the peer hung up mid-handshake (a CURVE server
                       does that to a client with the wrong server key)  */
    S_WHY_PROTOCOL, /* any other ZMTP error                              */
    S_WHY_COUNT
} s_why_t;

/*  One watched socket. A connecting socket has one peer, its endpoint;
    a bound one learns no peer address from libzmq's events (version 1),
    so what is logged once is each reason.                                 */
typedef struct {
    zsock_t *sock;   /* watched, not owned                              */
    zsock_t *reader; /* PAIR on the socket's monitor endpoint           */
    const char *flag;
    bool bind;
    bool logged[S_WHY_COUNT]; /* each reason is logged once         */
    int64_t closed_ms;        /* first hang-up since a handshake succeeded   */
    int closed;               /* hang-ups since then                          */
    bool down;                /* connecting: disconnected, not yet back      */
    uint64_t handshakes;      /* bound: peers whose handshake succeeded      */
    uint64_t failed;          /* bound: connections whose handshake failed   */
    uint64_t disconnects;     /* bound: connections that ended, either kind  */
} s_watch_t;

struct _pp_netmon_t {
    const pp_common_t *nm_common;
    s_watch_t nm_watch[S_WATCH_MAX];
    uint64_t nm_failures;
    int64_t nm_checked_ms;
    bool nm_out_of_fds; /* said that accept ran out of descriptors */
};

pp_netmon_t *
pp_netmon_new (const pp_common_t *common)
{
    pp_netmon_t *self = calloc (1, sizeof (*self));
    if (!self)
        zsys_error ("cannot watch handshakes: out of memory");
    else
        self->nm_common = common;
    return self;
}

int
pp_netmon_watch (pp_netmon_t *self, zsock_t *sock, const char *flag, bool bind)
{
    if (!self || !sock)
        return 0;
    s_watch_t *watch = NULL;
    for (int i = 0; i < S_WATCH_MAX && !watch; i++)
        if (!self->nm_watch[i].sock)
            watch = &self->nm_watch[i];
    /*  Named by a count, not the socket's address: a later socket at the
        same address (--serve's next run) must not meet the name of an
        earlier watch libzmq has not unbound yet.                          */
    static atomic_uint_fast64_t watches;
    char endpoint[64];
    snprintf (endpoint, sizeof (endpoint), "inproc://pp-netmon-%d-%llu",
              (int) getpid (),
              (unsigned long long) atomic_fetch_add (&watches, 1));
    /*  The reader connects first (inproc allows it): libzmq blocks its
        I/O thread on an event that has no reader, and on a full queue --
        the reader's HWM is unlimited, and the events are few.           */
    zsock_t *reader = watch ? zsock_new (ZMQ_PAIR) : NULL;
    if (reader) {
        zsock_set_rcvhwm (reader, 0);
        zsock_set_linger (reader, 0);
    }
    int events = ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                 ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                 ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                 ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED |
                 (bind ? ZMQ_EVENT_ACCEPT_FAILED : ZMQ_EVENT_CONNECT_RETRIED);
    if (!reader || zsock_connect (reader, "%s", endpoint) != 0 ||
        zmq_socket_monitor (zsock_resolve (sock), endpoint, events) != 0) {
        zsys_warning ("%s: cannot watch its handshakes: %s", flag,
                      watch ? zmq_strerror (zmq_errno ()) : "too many");
        zsock_destroy (&reader);
        return PP_EIO;
    }
    *watch =
        (s_watch_t){.sock = sock, .reader = reader, .flag = flag, .bind = bind};
    return 0;
}

static void
s_unwatch (s_watch_t *watch)
{
    zmq_socket_monitor (zsock_resolve (watch->sock), NULL, 0);
    zsock_destroy (&watch->reader);
    watch->sock = NULL;
}

void
pp_netmon_forget (pp_netmon_t *self, zsock_t *sock)
{
    for (int i = 0; self && sock && i < S_WATCH_MAX; i++)
        if (self->nm_watch[i].sock == sock)
            s_unwatch (&self->nm_watch[i]);
}

void
pp_netmon_destroy (pp_netmon_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pp_netmon_t *self = *self_p;
    for (int i = 0; i < S_WATCH_MAX; i++)
        if (self->nm_watch[i].sock)
            s_unwatch (&self->nm_watch[i]);
    free (self);
    *self_p = NULL;
}

static s_why_t
s_classify (uint16_t event, uint32_t value)
{
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
        return S_WHY_AUTH;
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
        return S_WHY_CLOSED;
    if (value == ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC)
        return S_WHY_CRYPTO;
    if (value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
        return S_WHY_MISMATCH;
    return S_WHY_PROTOCOL;
}

/*  What the server side of a failed handshake says, and which flag.       */
static void
s_log_server (const pp_common_t *common, const char *flag, const char *endpoint,
              s_why_t why, uint32_t value)
{
    bool curve = common->cert != NULL;
    if (why == S_WHY_AUTH)
        zsys_warning ("%s %s: refused a peer whose public key is not in "
                      "--curve-allow %s (add its key there if it belongs)",
                      flag, endpoint, common->curve_allow);
    else if (why == S_WHY_CRYPTO)
        zsys_warning ("%s %s: a peer failed the CURVE handshake: its "
                      "--curve-server is not our public key (the pair in "
                      "--curve-secret %s)",
                      flag, endpoint, common->curve_secret);
    else if (why == S_WHY_MISMATCH && curve)
        zsys_warning ("%s %s: refused a plaintext peer: give it "
                      "--curve-secret and --curve-server",
                      flag, endpoint);
    else if (why == S_WHY_MISMATCH)
        zsys_warning ("%s %s: a CURVE peer cannot use this plaintext "
                      "endpoint: give --curve-secret and --curve-allow "
                      "here, or none there",
                      flag, endpoint);
    else
        zsys_warning ("%s %s: a peer failed the handshake (ZMTP error "
                      "0x%x): not a pushpull peer of this version?",
                      flag, endpoint, value);
}

/*  What the client side of a failed handshake says, and which flag.       */
static void
s_log_client (const pp_common_t *common, const char *flag, const char *endpoint,
              s_why_t why, uint32_t value)
{
    bool curve = common->cert != NULL;
    if (why == S_WHY_AUTH)
        zsys_error ("%s %s: the server refused our key (ZAP %u): add the "
                    "public key of --curve-secret %s to its --curve-allow "
                    "directory",
                    flag, endpoint, value, common->curve_secret);
    else if (why == S_WHY_MISMATCH && curve)
        zsys_error ("%s %s: the server does not use CURVE: give it "
                    "--curve-secret and --curve-allow, or drop "
                    "--curve-secret here",
                    flag, endpoint);
    else if (why == S_WHY_MISMATCH)
        zsys_error ("%s %s: the server requires CURVE: give "
                    "--curve-secret and --curve-server here",
                    flag, endpoint);
    else if ((why == S_WHY_CRYPTO || why == S_WHY_CLOSED) &&
             common->curve_server)
        zsys_error ("%s %s: the CURVE handshake failed: --curve-server %s "
                    "is not the public key of this server's --curve-secret",
                    flag, endpoint, common->curve_server);
    else if ((why == S_WHY_CRYPTO || why == S_WHY_CLOSED) &&
             curve) /* the sink: its own key is the servers'          */
        zsys_error ("%s %s: the CURVE handshake failed: the ventilator's "
                    "--curve-secret is not ours (--curve-secret %s): the "
                    "servers share one key pair",
                    flag, endpoint, common->curve_secret);
    else if (why == S_WHY_CLOSED)
        zsys_error ("%s %s: the peer closed the connection during the "
                    "handshake: not a pushpull endpoint?",
                    flag, endpoint);
    else
        zsys_error ("%s %s: the handshake failed (ZMTP error 0x%x): not a "
                    "pushpull endpoint of this version?",
                    flag, endpoint, value);
}

/*  The endpoint the flag was given (or defaulted to).                     */
static const char *
s_endpoint_of (const pp_common_t *common, const char *flag)
{
    return strcmp (flag, "--tasks") == 0     ? common->tasks
           : strcmp (flag, "--results") == 0 ? common->results
           : strcmp (flag, "--control") == 0 ? common->control
                                             : common->acks;
}

static void
s_log (const pp_common_t *common, const s_watch_t *watch, s_why_t why,
       uint32_t value)
{
    const char *source = pp_config_source (common, watch->flag);
    const char *endpoint = s_endpoint_of (common, watch->flag);
    if (watch->bind)
        s_log_server (common, source, endpoint, why, value);
    else
        s_log_client (common, source, endpoint, why, value);
}

/*  Descriptors open in this process below limit, asked one by one: with
    none left, /proc/self/fd cannot be opened to count them.              */
static long
s_fds_open (rlim_t limit)
{
    long n = 0;
    for (rlim_t fd = 0; fd < limit && fd < 1048576; fd++)
        n += fcntl ((int) fd, F_GETFD) != -1;
    return n;
}

/*  A bound socket could not accept a connection: out of descriptors. Said
    once per process, with what the limit allows and how to raise it; the
    peers already connected are served on.                                */
static void
s_out_of_fds (pp_netmon_t *self, s_watch_t *watch, uint32_t value)
{
    if (self->nm_out_of_fds)
        return;
    self->nm_out_of_fds = true;
    int per_worker = 0; /* each worker connects to every bound socket   */
    for (int i = 0; i < S_WATCH_MAX; i++)
        per_worker += self->nm_watch[i].sock && self->nm_watch[i].bind;
    struct rlimit rl = {0, 0};
    getrlimit (RLIMIT_NOFILE, &rl);
    zsys_error ("%s: cannot accept a new connection: %s (ulimit -n is %llu, "
                "%ld open; hard limit %llu). The workers connected go on; "
                "new ones cannot join. Each worker takes %d descriptor%s "
                "here: raise ulimit -n (or LimitNOFILE= under systemd) "
                "and start this process again to admit more",
                watch->flag, strerror ((int) value),
                (unsigned long long) rl.rlim_cur, s_fds_open (rl.rlim_cur),
                (unsigned long long) rl.rlim_max, per_worker,
                per_worker == 1 ? "" : "s");
}

/*  A bound socket's peers, counted from its events: libzmq names no peer
    in a success (its value is 0), but every connection that ends says
    DISCONNECTED, and one that ends before its handshake succeeded says
    HANDSHAKE_FAILED_* first. Returns true when the event is only that: a
    hang-up mid-handshake on a bound socket is a client's business (a port
    scanner, a worker that gave up), not ours to explain.                 */
static bool
s_on_peer_event (s_watch_t *watch, uint16_t event)
{
    if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
        watch->handshakes++;
    else if (event == ZMQ_EVENT_DISCONNECTED)
        watch->disconnects++;
    else if (event & (ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                      ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                      ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL))
        watch->failed++;
    return event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED ||
           event == ZMQ_EVENT_DISCONNECTED ||
           event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL;
}

/*  One event of a watched socket: a success forgets the hang-ups before
    it; a failure is counted, and logged once per reason (a hang-up only
    when it keeps coming alone: pp_netmon_check).                         */
static void
s_on_event (pp_netmon_t *self, s_watch_t *watch, uint16_t event, uint32_t value)
{
    if (watch->bind && s_on_peer_event (watch, event))
        return;
    if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
        watch->closed = 0;
        watch->closed_ms = 0;
        watch->down = false;
        return;
    }
    if (event == ZMQ_EVENT_DISCONNECTED || event == ZMQ_EVENT_CONNECT_RETRIED) {
        watch->down = true; /* a link event, not a refused handshake    */
        return;
    }
    if (event == ZMQ_EVENT_ACCEPT_FAILED) {
        if (value == EMFILE || value == ENFILE)
            s_out_of_fds (self, watch, value);
        return;
    }
    self->nm_failures++;
    s_why_t why = s_classify (event, value);
    if (why == S_WHY_CLOSED) {
        if (watch->closed++ == 0)
            watch->closed_ms = pp_now_ms ();
    } else if (!watch->logged[why]) {
        s_log (self->nm_common, watch, why, value);
        watch->logged[why] = true;
        watch->logged[S_WHY_CLOSED] = true; /* the hang-ups are explained */
    }
}

/*  Reads one event off a watch's reader. Returns false when none waits.   */
static bool
s_read_event (pp_netmon_t *self, s_watch_t *watch)
{
    if (!(zsock_events (watch->reader) & ZMQ_POLLIN))
        return false;
    zmsg_t *msg = zmsg_recv (watch->reader);
    if (!msg)
        return false;
    zframe_t *head = zmsg_first (msg);
    if (head && zframe_size (head) == 6 && zmsg_next (msg)) {
        uint16_t event; /* libzmq's version 1 event: u16 event, u32 value */
        uint32_t value;
        memcpy (&event, zframe_data (head), 2);
        memcpy (&value, zframe_data (head) + 2, 4);
        s_on_event (self, watch, event, value);
    }
    zmsg_destroy (&msg);
    return true;
}

bool
pp_netmon_connected (pp_netmon_t *self, zsock_t *sock)
{
    for (int i = 0; self && i < S_WATCH_MAX; i++)
        if (self->nm_watch[i].sock == sock)
            return !self->nm_watch[i].down;
    return true;
}

uint32_t
pp_netmon_peers (pp_netmon_t *self, zsock_t *sock)
{
    for (int i = 0; self && sock && i < S_WATCH_MAX; i++) {
        s_watch_t *watch = &self->nm_watch[i];
        if (watch->sock != sock || !watch->bind)
            continue;
        while (s_read_event (self, watch))
            ;
        /*  Ended connections that had succeeded: all ended, less those
            that failed their handshake (see pp_net.h for how this can
            miss either way). Clamped at 0.                                */
        uint64_t gone = watch->disconnects > watch->failed
                            ? watch->disconnects - watch->failed
                            : 0;
        uint64_t peers =
            watch->handshakes > gone ? watch->handshakes - gone : 0;
        return peers > UINT32_MAX ? UINT32_MAX : (uint32_t) peers;
    }
    return 0;
}

uint64_t
pp_netmon_check (pp_netmon_t *self)
{
    if (!self)
        return 0;
    int64_t now = pp_now_ms ();
    if (now - self->nm_checked_ms < S_CHECK_EVERY_MS)
        return self->nm_failures;
    self->nm_checked_ms = now;
    for (int i = 0; i < S_WATCH_MAX; i++) {
        s_watch_t *watch = &self->nm_watch[i];
        while (watch->sock && s_read_event (self, watch))
            ;
        if (watch->sock && watch->closed >= S_CLOSED_AGAIN &&
            !watch->logged[S_WHY_CLOSED] &&
            now - watch->closed_ms >= S_CLOSED_ALONE_MS) {
            s_log (self->nm_common, watch, S_WHY_CLOSED, 0);
            watch->logged[S_WHY_CLOSED] = true;
        }
    }
    return self->nm_failures;
}
