/*  pp_net: socket setup and message I/O.                                   */

#include "pp_net.h"
#include "pp_error.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
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

zsock_t *
pp_net_socket (int type, const pp_common_t *common, const char *endpoint,
               bool bind, const char *flag)
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
        item: that bounds every honest message.                           */
    int64_t max_msg =
        PP_BATCH_BYTES + (int64_t) common->max_item + 2 * PP_WIRE_RECORD_SIZE;
    zsock_set_maxmsgsize (sock, (int) max_msg);
    /*  Reconnect fast, back off to 2 s; ZMTP heartbeats find a peer that
        vanished without a FIN (a cut link, a dead host) in about 3 s, so
        push flow stops feeding it; TCP keepalive backs that up for idle
        connections. Chosen for clusters: see README, "Real networks".
        10 ms first: a process started before its peer binds (the sink
        before the ventilator, say) waited 100 ms for its second try, and
        a sink that learns the run late holds every result until then --
        the p99 latency of a light run was that wait (71 ms).             */
    zsock_set_reconnect_ivl (sock, 10);
    zsock_set_reconnect_ivl_max (sock, 2000);
    zsock_set_heartbeat_ivl (sock, PP_NET_HEARTBEAT_MS);
    zsock_set_heartbeat_timeout (sock, 3 * PP_NET_HEARTBEAT_MS);
    zsock_set_heartbeat_ttl (sock, 3 * PP_NET_HEARTBEAT_MS);
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
    const char *source = pp_cli_source (common, flag);
    if (bind && strncmp (endpoint, "ipc://", 6) == 0 &&
        s_ipc_free (source, endpoint) != 0) {
        zsock_destroy (&sock);
        return NULL;
    }
    int rc = bind ? zsock_bind (sock, "%s", endpoint)
                  : zsock_connect (sock, "%s", endpoint);
    if (rc == -1) {
        int err = zmq_errno ();
        zsys_error ("%s: cannot %s %s: %s%s", source, bind ? "bind" : "connect",
                    endpoint, zmq_strerror (err),
                    err == EADDRINUSE ? " (another process listens there: "
                                        "stop it or give another port)"
                                      : "");
        zsock_destroy (&sock);
        return NULL;
    }
    return sock;
}

zsock_t *
pp_net_acks_socket (int type, const pp_common_t *common, bool bind)
{
    pp_common_t acks = *common;
    acks.hwm = PP_NET_ACKS_HWM;
    return pp_net_socket (type, &acks, common->acks, bind, "--acks");
}

int
pp_net_send (zsock_t *sock, zframe_t *identity, const pp_header_t *hdr,
             const void *payload, size_t size, bool dontwait)
{
    void *handle = zsock_resolve (sock);
    uint8_t head[PP_WIRE_HEADER_SIZE];
    pp_wire_encode_header (hdr, head);
    int flags = dontwait ? ZMQ_DONTWAIT : 0;
    if (identity) {
        if (zmq_send (handle, zframe_data (identity), zframe_size (identity),
                      flags | ZMQ_SNDMORE) == -1)
            return zmq_errno () == EAGAIN ? PP_EAGAIN : PP_EIO;
        flags &= ~ZMQ_DONTWAIT; /* the rest of a started message goes    */
    }
    while (zmq_send (handle, head, sizeof (head), flags | ZMQ_SNDMORE) == -1) {
        if (zmq_errno () == EAGAIN)
            return PP_EAGAIN;
        if (zmq_errno () != EINTR)
            return PP_EIO;
    }
    while (zmq_send (handle, payload, size, flags & ~ZMQ_DONTWAIT) == -1)
        if (zmq_errno () != EINTR)
            return PP_EIO;
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
    in->msg = zmsg_recv (sock);
    if (!in->msg)
        return zmq_errno () == EAGAIN || zmq_errno () == EINTR ? PP_EAGAIN
                                                               : PP_EIO;
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
    return batch->count >= max_count || batch->size >= PP_BATCH_BYTES;
}

int
pp_batch_add (pp_batch_t *batch, const pp_record_t *rec)
{
    size_t need = batch->size + pp_wire_record_size (rec->len);
    if (need > batch->cap) {
        size_t cap = batch->cap ? batch->cap : 4096;
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
    free (batch->data);
    memset (batch, 0, sizeof (*batch));
}
