/*  pp_net: sockets set up the pushpull way, and whole-message send and
    receive that run every inbound message through the defensive decoder. */

#ifndef PP_NET_H_INCLUDED
#define PP_NET_H_INCLUDED

#include "pp_config.h"
#include "pp_wire.h"

#include <czmq.h>

/*  ZMTP heartbeat interval of every socket; a peer silent for three is
    dropped.                                                                */
#define PP_NET_HEARTBEAT_MS 1000

/*  A PUSH drops a connection whose peer acknowledged nothing of what was
    sent to it for this long (TCP_USER_TIMEOUT): a host gone without a
    FIN, found as a ZMTP heartbeat timeout would (pp_net.c says why a
    PUSH does not ping). The kernel checks it when a retransmission is
    due: on a LAN those come 0.2, 0.6, 1.4 and 3.0 s after the loss, so
    2.5 s drops the connection at about 3 s (4 s waited for 6.2 s).       */
#define PP_NET_MAXRT_MS 2500

/*  A connecting socket retries after 10 ms, backing off to this.          */
#define PP_NET_RECONNECT_MAX_MS 2000

/*  Least HWM of credit-flow sockets: any worker's credit (16384 items)
    fits, even at one item per message.                                   */
#define PP_NET_CREDIT_HWM 16384

/*  HWM of every socket on the acks endpoint (acks, hellos, requests): a
    control message must never meet the user's data --hwm, which may be 1.
    Acks are small and the ventilator reads them at once; the queue fills
    only while it is gone, and the sink keeps what could not be sent.     */
#define PP_NET_ACKS_HWM 1000

/*  Largest batch payload a sender builds; one item may exceed it alone.   */
#define PP_BATCH_BYTES (256 * 1024)

/*  A data socket's HWM (in messages) that keeps its queue near bytes: hwm
    (--hwm), lowered to bytes over the largest usual message -- a batch
    of PP_BATCH_BYTES plus one item of max_item -- but never under 2. A
    queue of big items holds a handful of them, not --hwm.                */
int pp_net_hwm_within (int hwm, uint64_t bytes, uint64_t max_item);

typedef struct _pp_netmon_t pp_netmon_t;

/*  Creates a socket of type, applies HWM, max message size and linger,
    then binds or connects endpoint. Returns NULL after logging why (a bind
    that fails names the flag and the endpoint). The caller owns it.        */
zsock_t *pp_net_socket (int type, const pp_common_t *common,
                        const char *endpoint, bool bind, const char *flag);

/*  pp_net_socket for the acks endpoint (common->acks, flag --acks), with
    PP_NET_ACKS_HWM in place of --hwm. The caller owns it.                 */
zsock_t *pp_net_acks_socket (int type, const pp_common_t *common, bool bind);

/*  pp_net_socket and pp_net_acks_socket, watched by netmon (see below)
    from before the bind or connect: no handshake goes unseen, not even
    that of a peer already retrying when the socket binds.               */
zsock_t *pp_net_socket_watched (int type, const pp_common_t *common,
                                const char *endpoint, bool bind,
                                const char *flag, pp_netmon_t *netmon);
zsock_t *pp_net_acks_socket_watched (int type, const pp_common_t *common,
                                     bool bind, pp_netmon_t *netmon);

/*  As pp_net_socket, for a socket its owner stops reading while it is
    full (backpressure): it sends no ZMTP pings of its own. libzmq 4.3
    pings from a timer without checking for an I/O error, and asserts
    (!_io_error, stream_engine_base.cpp:331) when the peer closed a
    connection whose input was stopped. The peer's pings (their TTL)
    still find a dead link from this side.                                */
zsock_t *pp_net_socket_paused (int type, const pp_common_t *common,
                               const char *endpoint, bool bind,
                               const char *flag);

/*  A watch on the handshakes of one thread's sockets: every refused one
    (a CURVE key not allowed, a wrong server key, CURVE on one side only)
    is counted and logged once per endpoint and reason with the flag that
    fixes it. A socket and its watch belong to the same thread.           */

/*  A new, empty watch; NULL (logged) when it cannot be made -- every
    pp_netmon_* function then does nothing.                                */
pp_netmon_t *pp_netmon_new (const pp_common_t *common);

/*  Starts watching sock, made by pp_net_socket (or pp_net_acks_socket)
    with flag (bound when bind). Call pp_netmon_forget before destroying
    sock while the watch lives on. Returns 0 or PP_EIO (logged; the
    socket then works unwatched).                                         */
int pp_netmon_watch (pp_netmon_t *self, zsock_t *sock, const char *flag,
                     bool bind);
void pp_netmon_forget (pp_netmon_t *self, zsock_t *sock);

/*  True unless sock's peer is known to be gone: a connecting socket's
    last event was a disconnect or a failed retry (a success, or no event
    yet, counts as connected). Read at pp_netmon_check's pace.            */
bool pp_netmon_connected (pp_netmon_t *self, zsock_t *sock);

/*  The peers of a bound, watched sock whose handshake succeeded and that
    are still connected, counted from libzmq's events after reading those
    waiting. An estimate: libzmq names no peer in its events, so a
    connection that ends without a handshake failure event hides one peer,
    and one whose CURVE message fails to decrypt after a handshake that
    succeeded (a failure event on a live connection) counts one too many.
    Good to gate a start, not to count on. 0 for a socket not watched, or
    not bound.                                                              */
uint32_t pp_netmon_peers (pp_netmon_t *self, zsock_t *sock);

/*  Reads the events waiting, without blocking (at most every 100 ms: call
    it from the loop's tick), and logs what is new. Returns the handshake
    failures seen so far.                                                 */
uint64_t pp_netmon_check (pp_netmon_t *self);

/*  Stops every watch: call it before destroying the sockets it watches.
    NULL-safe; nulls the pointer.                                           */
void pp_netmon_destroy (pp_netmon_t **self_p);

/*  Starts a message on handle (a libzmq socket): identity first when not
    NULL (for ROUTER), then the encoded header; the payload frame must
    follow, sent without ZMQ_DONTWAIT. Returns 0, PP_EAGAIN (dontwait and
    HWM reached: nothing was sent) or PP_EIO.                              */
int pp_net_send_head (void *handle, zframe_t *identity, const pp_header_t *hdr,
                      bool dontwait);

/*  Sends header + payload as one message (identity first when not NULL,
    for ROUTER). Returns 0, PP_EAGAIN (dontwait and HWM reached), or
    PP_EIO.                                                                 */
int pp_net_send (zsock_t *sock, zframe_t *identity, const pp_header_t *hdr,
                 const void *payload, size_t size, bool dontwait);

/*  One received, header-checked message.                                  */
typedef struct {
    zmsg_t *msg;        /* owns the frames below                         */
    zframe_t *identity; /* ROUTER only, else NULL                        */
    pp_header_t hdr;
    const uint8_t *payload;
    size_t size;
} pp_inmsg_t;

/*  Receives one message (the socket must be readable). Returns 0 with *in
    filled (free with pp_inmsg_free), PP_EPROTO when it was malformed
    (counted in rejects[reason], already freed), PP_EAGAIN or PP_EIO.       */
int pp_net_recv (zsock_t *sock, bool router, pp_inmsg_t *in,
                 uint64_t rejects[PP_REJECT_COUNT]);

/*  As pp_net_recv, for a message already received: takes *msg_p (always:
    it is NULL after) and checks it into *in.                              */
int pp_net_take (zmsg_t **msg_p, bool router, pp_inmsg_t *in,
                 uint64_t rejects[PP_REJECT_COUNT]);

/*  Logs a warning with the nonzero reject counts, if any.                 */
void pp_net_log_rejects (const uint64_t rejects[PP_REJECT_COUNT]);

/*  Frees a received message; NULL-safe on an empty one.                   */
void pp_inmsg_free (pp_inmsg_t *in);

/*  Monotonic milliseconds and wall-clock microseconds.                    */
int64_t pp_now_ms (void);
int64_t pp_now_ns (void);
uint64_t pp_wall_us (void);

/*  A TASK or RESULT batch being built: records back to back. Its bytes
    are its own (malloc'd), or borrowed (release set, cap 0): records
    already encoded where they lie -- a big echo's outcome in its TASK
    message -- let go by release (data, hint), a zmq_free_fn, once freed
    or sent. A borrowed batch takes no more records.                       */
typedef struct {
    uint8_t *data;
    size_t size;
    size_t cap;
    uint32_t count;
    void (*release) (void *data, void *hint); /* NULL: data is ours     */
    void *hint;                               /* for release            */
} pp_batch_t;

/*  True when the batch holds max_count records or PP_BATCH_BYTES bytes,
    or borrows its bytes: send it before adding more (one more record may
    pass the byte mark).                                                   */
bool pp_batch_full (const pp_batch_t *batch, uint32_t max_count);

/*  Appends a record. Returns 0, PP_ENOMEM, or PP_EINVAL (borrowed).       */
int pp_batch_add (pp_batch_t *batch, const pp_record_t *rec);

/*  Empties the batch, keeping its memory; pp_batch_free releases it (or
    lets borrowed bytes go).                                               */
void pp_batch_reset (pp_batch_t *batch);
void pp_batch_free (pp_batch_t *batch);

/*  As pp_net_send without an identity, the payload the batch, not copied:
    libzmq takes its bytes and frees them (borrowed ones: releases them)
    once sent. On 0 and on PP_EIO the bytes are taken (the batch is left
    with none); on PP_EAGAIN (dontwait, HWM reached: nothing was sent) the
    batch is as it was.                                                    */
int pp_net_send_owned (zsock_t *sock, const pp_header_t *hdr, pp_batch_t *batch,
                       bool dontwait);

#endif
