/*  pp_rogue: a hostile peer for the end-to-end tests.

    pp_rogue junk ENDPOINT [--control EP]
                                 connects a PUSH and sends malformed
                                 messages of every kind the decoder must
                                 reject: one frame, three frames, short and
                                 long headers, bad magic, bad version,
                                 unknown type, a foreign run id, a batch
                                 whose records do not add up, an item over
                                 the size limit. With --control it first
                                 learns the live run id by listening, so
                                 batch-level junk reaches the deeper checks.
                                 Prints how many it sent.
    pp_rogue forge ENDPOINT RUN  sends RESULT batches claiming seqs 0..99
                                 of run RUN (hex) with result 666: with
                                 CURVE on and an unknown key, none may land.
    pp_rogue swallow ENDPOINT S  connects a PULL and takes tasks for S s.
    pp_rogue deaf CONTROL ACKS RESULTS N S
                                 a ventilator that does not read its acks:
                                 binds CONTROL and ACKS (receive HWM 1),
                                 announces a run of N items (window N),
                                 pushes all N results ("1") to RESULTS
                                 itself, even seqs then odd (each ack a
                                 range of its own), reads no ack for S s,
                                 then reads them all. Prints how many of
                                 the N were acked; publishes DONE once all
                                 were (or after 10 s). Exit 0 if all were.
    pp_rogue mute CONTROL ACKS S  a worker that joins and then hangs:
                                 learns the live run from CONTROL, says
                                 HELLO on ACKS (worker id 0x6d757465),
                                 prints "hello" and stays connected for
                                 S s without a word more (never a BYE).
    pp_rogue rejoin CONTROL K    a subscriber whose connection drops and
                                 comes back: K times connects a SUB to
                                 CONTROL, waits for a STATE (so the
                                 ventilator has its subscription) and
                                 closes it. Prints "rejoined K"; exit 1 if
                                 a STATE did not come within 5 s.
    pp_rogue old CONTROL S       a ventilator of the last release: binds
                                 CONTROL and announces a running run in
                                 wire version 2 (48 bytes of state, flow
                                 in the header's count) for S s.

    Options after the arguments: --curve-secret F --curve-server F.       */

#include "pp_cli.h"
#include "pp_ctl.h"
#include "pp_net.h"
#include "pp_sender.h"
#include "pp_wire.h"

#include <czmq.h>

static zcert_t *s_cert;
static char s_server_key[41];

static zsock_t *
s_connect (int type, const char *endpoint)
{
    zsock_t *sock = zsock_new (type);
    zsock_set_linger (sock, 2000);
    zsock_set_sndtimeo (sock, 2000);
    if (s_cert) {
        zcert_apply (s_cert, sock);
        zsock_set_curve_serverkey (sock, s_server_key);
    }
    if (zsock_connect (sock, "%s", endpoint) != 0) {
        fprintf (stderr, "pp_rogue: cannot connect %s\n", endpoint);
        exit (1);
    }
    return sock;
}

static int
s_send_frames (zsock_t *sock, const void *f1, size_t n1, const void *f2,
               size_t n2, const void *f3, size_t n3)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addmem (msg, f1, n1);
    if (f2)
        zmsg_addmem (msg, f2, n2);
    if (f3)
        zmsg_addmem (msg, f3, n3);
    return zmsg_send (&msg, sock) == 0 ? 1 : 0;
}

static void
s_header (uint8_t *out, uint8_t type, uint64_t run_id, uint32_t count)
{
    pp_header_t hdr = {.type = type, .run_id = run_id, .count = count};
    pp_wire_encode_header (&hdr, out);
}

/*  Learns the live run id the way any eavesdropper on a plaintext control
    socket can: from a STATE message. 42 when none comes within 5 s.       */
static uint64_t
s_snoop_run (const char *control)
{
    if (!control)
        return 42;
    zsock_t *sub = s_connect (ZMQ_SUB, control);
    zsock_set_subscribe (sub, "");
    zsock_set_rcvtimeo (sub, 5000);
    uint64_t run_id = 42;
    zmsg_t *msg = zmsg_recv (sub);
    zframe_t *head = msg ? zmsg_first (msg) : NULL;
    pp_header_t hdr;
    pp_reject_t reason;
    if (head && pp_wire_decode_header (zframe_data (head), zframe_size (head),
                                       &hdr, &reason) == 0)
        run_id = hdr.run_id;
    zmsg_destroy (&msg);
    zsock_destroy (&sub);
    return run_id;
}

static int
s_junk (const char *endpoint, const char *control)
{
    uint64_t run_id = s_snoop_run (control);
    zsock_t *sock = s_connect (ZMQ_PUSH, endpoint);
    uint8_t head[PP_WIRE_HEADER_SIZE + 8], body[PP_WIRE_RECORD_SIZE + 8];
    memset (body, 0, sizeof (body));
    int sent = 0;
    s_header (head, PP_MSG_RESULT, 42, 1);
    sent += s_send_frames (sock, head, 32, NULL, 0, NULL, 0); /* 1 frame */
    sent += s_send_frames (sock, head, 32, body, 8, body, 8); /* 3       */
    sent += s_send_frames (sock, head, 20, body, 8, NULL, 0); /* short   */
    sent += s_send_frames (sock, head, 40, body, 8, NULL, 0); /* long    */
    head[0] = 0x42;                                           /* bad magic */
    sent += s_send_frames (sock, head, 32, body, 8, NULL, 0);
    s_header (head, PP_MSG_RESULT, 42, 1);
    head[2] = 9; /* bad version */
    sent += s_send_frames (sock, head, 32, body, 8, NULL, 0);
    s_header (head, 77, 42, 1); /* type    */
    sent += s_send_frames (sock, head, 32, body, 8, NULL, 0);
    s_header (head, PP_MSG_RESULT, 0xdeadbeef, 1); /* run id  */
    pp_record_t rec = {.seq = 0, .len = 3, .data = "666"};
    size_t size = pp_wire_encode_record (&rec, body);
    sent += s_send_frames (sock, head, 32, body, size, NULL, 0);
    s_header (head, PP_MSG_RESULT, run_id, 5); /* batch   */
    sent += s_send_frames (sock, head, 32, body, size, NULL, 0);
    /*  One record of 200 KiB: over a --max-item-size of 64K, yet under
        the message limit that implies, so the decoder sees and counts it. */
    size_t mid = 200 * 1024;
    uint8_t *record = calloc (1, PP_WIRE_RECORD_SIZE + mid);
    char *item = calloc (1, mid);
    pp_record_t over = {.seq = 1, .len = (uint32_t) mid, .data = item};
    size = pp_wire_encode_record (&over, record);
    s_header (head, PP_MSG_RESULT, run_id, 1);
    sent += s_send_frames (sock, head, 32, record, size, NULL, 0);
    free (item);
    free (record);
    /*  Over any sane --max-item-size: libzmq drops the connection.        */
    size_t huge = 64 * 1024 * 1024;
    uint8_t *big = calloc (1, huge);
    s_header (head, PP_MSG_RESULT, 42, 1);
    sent += s_send_frames (sock, head, 32, big, huge, NULL, 0);
    free (big);
    zsock_destroy (&sock);
    printf ("%d\n", sent);
    return 0;
}

static int
s_forge (const char *endpoint, const char *run_hex)
{
    uint64_t run_id = strtoull (run_hex, NULL, 16);
    zsock_t *sock = s_connect (ZMQ_PUSH, endpoint);
    pp_batch_t batch = {0};
    for (uint64_t seq = 0; seq < 100; seq++) {
        pp_record_t rec = {.seq = seq, .len = 3, .data = "666"};
        pp_batch_add (&batch, &rec);
    }
    uint8_t head[PP_WIRE_HEADER_SIZE];
    pp_header_t hdr = {.type = PP_MSG_RESULT,
                       .run_id = run_id,
                       .worker_id = 0x666,
                       .count = batch.count};
    pp_wire_encode_header (&hdr, head);
    int sent = 0;
    for (int i = 0; i < 20; i++)
        sent += s_send_frames (sock, head, sizeof (head), batch.data,
                               batch.size, NULL, 0);
    pp_batch_free (&batch);
    zsock_destroy (&sock);
    printf ("%d\n", sent);
    return 0;
}

static int
s_swallow (const char *endpoint, const char *seconds)
{
    zsock_t *sock = s_connect (ZMQ_PULL, endpoint);
    zsock_set_rcvtimeo (sock, 100);
    int64_t until = zclock_mono () + (int64_t) (atof (seconds) * 1000);
    int taken = 0;
    while (zclock_mono () < until) {
        zmsg_t *msg = zmsg_recv (sock);
        if (msg)
            taken++;
        zmsg_destroy (&msg);
    }
    zsock_destroy (&sock);
    printf ("%d\n", taken);
    return 0;
}

/*  deaf: the run it announces, on a PUB it binds.                        */
typedef struct {
    zsock_t *pub, *acks, *results;
    uint64_t run_id, n;
    uint8_t *acked; /* one byte per seq                          */
    uint64_t nacked;
    int64_t published;
} s_deaf_t;

static void
s_deaf_publish (s_deaf_t *self, pp_run_state_t state, bool now)
{
    if (!now && zclock_mono () - self->published < 50)
        return;
    pp_state_t st = {.sent = self->n, .total = self->n, .window = self->n};
    pp_settings_t settings = {
        .max_item = 1 << 20, .heartbeat_ms = 1000, .flow = 0};
    pp_ctl_publish (self->pub, self->run_id, state, &settings, &st);
    self->published = zclock_mono ();
}

/*  Pushes the results of every even seq, then of every odd one.          */
static void
s_deaf_results (s_deaf_t *self)
{
    pp_batch_t batch = {0};
    uint64_t evens = (self->n + 1) / 2;
    for (uint64_t i = 0; i < self->n; i++) {
        uint64_t seq = i < evens ? 2 * i : 2 * (i - evens) + 1;
        pp_record_t rec = {.seq = seq, .len = 1, .data = "1"};
        pp_batch_add (&batch, &rec);
        if (batch.count == 1000 || i + 1 == self->n) {
            pp_header_t hdr = {.type = PP_MSG_RESULT,
                               .run_id = self->run_id,
                               .worker_id = 0xdeaf,
                               .count = batch.count};
            pp_net_send (self->results, NULL, &hdr, batch.data, batch.size,
                         false);
            pp_batch_reset (&batch);
            s_deaf_publish (self, PP_STATE_DRAINING, false);
        }
    }
    pp_batch_free (&batch);
}

/*  Counts the seqs of an acked range not seen acked before.               */
static void
s_deaf_mark (s_deaf_t *self, uint64_t first, uint64_t count)
{
    for (uint64_t seq = first; seq < first + count && seq < self->n; seq++)
        if (!self->acked[seq]) {
            self->acked[seq] = 1;
            self->nacked++;
        }
}

/*  Reads acks until every seq was acked or until deadline.                 */
static void
s_deaf_listen (s_deaf_t *self, int64_t deadline)
{
    uint64_t rejects[PP_REJECT_COUNT] = {0};
    while (self->nacked < self->n && zclock_mono () < deadline) {
        s_deaf_publish (self, PP_STATE_DRAINING, false);
        pp_inmsg_t in;
        if (pp_net_recv (self->acks, false, &in, rejects) != 0)
            continue; /* rcvtimeo                                       */
        bool ack = in.hdr.type == PP_MSG_ACK && in.hdr.flags == 0;
        uint64_t first, count;
        for (uint32_t i = 0;
             ack && i < in.hdr.count &&
             pp_wire_decode_range (in.payload, in.size, i, &first, &count) == 0;
             i++)
            s_deaf_mark (self, first, count);
        pp_inmsg_free (&in);
    }
}

static int
s_deaf (const char *control, const char *acks, const char *results,
        const char *n, const char *seconds)
{
    s_deaf_t self = {.run_id = 0xdeaf0000deafull, .n = strtoull (n, NULL, 10)};
    self.acked = calloc (self.n ? self.n : 1, 1);
    self.pub = zsock_new (ZMQ_PUB);
    self.acks = zsock_new (ZMQ_PULL);
    zsock_set_rcvhwm (self.acks, 1);
    zsock_set_rcvtimeo (self.acks, 20);
    if (zsock_bind (self.pub, "%s", control) == -1 ||
        zsock_bind (self.acks, "%s", acks) == -1) {
        fprintf (stderr, "pp_rogue: cannot bind %s or %s\n", control, acks);
        exit (1);
    }
    self.results = s_connect (ZMQ_PUSH, results);
    zsock_set_sndtimeo (self.results, -1);
    int64_t until = zclock_mono () + 300; /* the sink hears the run    */
    while (zclock_mono () < until) {
        s_deaf_publish (&self, PP_STATE_DRAINING, false);
        zclock_sleep (10);
    }
    s_deaf_results (&self);
    until = zclock_mono () + (int64_t) (atof (seconds) * 1000);
    while (zclock_mono () < until) {
        s_deaf_publish (&self, PP_STATE_DRAINING, false);
        zclock_sleep (10);
    }
    s_deaf_listen (&self, zclock_mono () + 10000);
    for (int i = 0; i < 10; i++) {
        s_deaf_publish (&self, PP_STATE_DONE, true);
        zclock_sleep (50);
    }
    printf ("%llu\n", (unsigned long long) self.nacked);
    int rc = self.nacked == self.n ? 0 : 1;
    free (self.acked);
    zsock_destroy (&self.results);
    zsock_destroy (&self.acks);
    zsock_destroy (&self.pub);
    return rc;
}

static int
s_mute (const char *control, const char *acks, const char *seconds)
{
    uint64_t run_id = s_snoop_run (control);
    zsock_t *sock = s_connect (ZMQ_PUSH, acks);
    pp_hello_t hello = {.pid = (uint32_t) getpid (), .threads = 1};
    snprintf (hello.host, sizeof (hello.host), "mute");
    int rc = pp_sender_hello (sock, run_id, 0x6d757465, &hello);
    printf ("hello\n");
    fflush (stdout);
    zclock_sleep ((int) (atof (seconds) * 1000));
    zsock_set_linger (sock, 0);
    zsock_destroy (&sock);
    return rc == 0 ? 0 : 1;
}

static int
s_rejoin (const char *control, const char *times)
{
    int k, n = atoi (times);
    for (k = 0; k < n; k++) {
        zsock_t *sub = s_connect (ZMQ_SUB, control);
        zsock_set_subscribe (sub, "");
        zsock_set_rcvtimeo (sub, 5000);
        zmsg_t *msg = zmsg_recv (sub);
        bool heard = msg != NULL;
        zmsg_destroy (&msg);
        zsock_set_linger (sub, 0);
        zsock_destroy (&sub);
        if (!heard)
            break;
    }
    printf ("rejoined %d\n", k);
    return k == n ? 0 : 1;
}

static int
s_old (const char *control, const char *seconds)
{
    zsock_t *pub = zsock_new (ZMQ_PUB);
    if (zsock_bind (pub, "%s", control) == -1) {
        fprintf (stderr, "pp_rogue: cannot bind %s\n", control);
        exit (1);
    }
    pp_header_t hdr = {.type = PP_MSG_STATE,
                       .flags = PP_STATE_RUNNING,
                       .run_id = 0x01d0000001d0ull,
                       .worker_id = 1000};
    uint8_t head[PP_WIRE_HEADER_SIZE], body[PP_STATE_PAYLOAD_SIZE];
    pp_state_t st = {.total = PP_TOTAL_UNKNOWN, .window = 64};
    pp_wire_encode_header (&hdr, head);
    head[2] = 2;
    pp_wire_encode_state (&st, body);
    int64_t until = zclock_mono () + (int64_t) (atof (seconds) * 1000);
    while (zclock_mono () < until) {
        zsock_send (pub, "bb", head, sizeof (head), body, sizeof (body));
        zclock_sleep (50);
    }
    zsock_destroy (&pub);
    return 0;
}

int
main (int argc, char **argv)
{
    zsys_handler_set (NULL);
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp (argv[i], "--curve-secret") == 0)
            s_cert = zcert_load (argv[i + 1]);
        if (strcmp (argv[i], "--curve-server") == 0) {
            zcert_t *server = zcert_load (argv[i + 1]);
            if (server)
                snprintf (s_server_key, sizeof (s_server_key), "%s",
                          zcert_public_txt (server));
            zcert_destroy (&server);
        }
    }
    int rc = 2;
    const char *control = NULL;
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp (argv[i], "--control") == 0)
            control = argv[i + 1];
    if (argc >= 3 && strcmp (argv[1], "junk") == 0)
        rc = s_junk (argv[2], control);
    else if (argc >= 4 && strcmp (argv[1], "forge") == 0)
        rc = s_forge (argv[2], argv[3]);
    else if (argc >= 4 && strcmp (argv[1], "swallow") == 0)
        rc = s_swallow (argv[2], argv[3]);
    else if (argc >= 7 && strcmp (argv[1], "deaf") == 0)
        rc = s_deaf (argv[2], argv[3], argv[4], argv[5], argv[6]);
    else if (argc >= 5 && strcmp (argv[1], "mute") == 0)
        rc = s_mute (argv[2], argv[3], argv[4]);
    else if (argc >= 4 && strcmp (argv[1], "old") == 0)
        rc = s_old (argv[2], argv[3]);
    else if (argc >= 4 && strcmp (argv[1], "rejoin") == 0)
        rc = s_rejoin (argv[2], argv[3]);
    else
        fprintf (stderr, "usage: pp_rogue junk EP [--control EP] | "
                         "forge EP RUN | "
                         "swallow EP SECONDS | "
                         "deaf CONTROL ACKS RESULTS N SECONDS | "
                         "mute CONTROL ACKS SECONDS | "
                         "old CONTROL SECONDS | "
                         "rejoin CONTROL K "
                         "[--curve-secret F "
                         "--curve-server F]\n");
    zcert_destroy (&s_cert);
    return rc;
}
