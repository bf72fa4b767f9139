/*  vworkers: many virtual pushpull workers in one process, for measuring
    a ventilator and a sink against thousands of workers on one small
    machine (bench/run.sh, section "many workers").

    Each virtual worker has its own tasks socket (DEALER in credit flow,
    PULL in push flow) and worker id, and speaks the real protocol: HELLO
    to the ventilator and the sink, CREDIT for its free job slots (a
    quarter of its capacity at a time while busy, as pp-worker) and as a
    heartbeat, HELLO again on a BYE, RESULT batches to the sink, BYE on
    the acks when the run is over. Its jobs are echoes that take --job-us
    each, --slots at a time. The sockets to the sink and to the
    ventilator's acks are shared: the protocol names the worker in every
    header, not by its connection. So is the subscription to the
    ventilator's state, unless --control-each gives every virtual worker
    its own, as real workers have: then the ventilator publishes each
    STATE once per worker (and welcomes each one joining), and the first
    worker's subscription is the one read; the others are not (their
    messages pile up in this process, a few per second each). --ping
    makes its sockets that are not PUSH (tasks DEALER or PULL, control
    SUB) send ZMTP PINGs every second, as pp-worker's do (pp_net.c): the
    ventilator answers each.

    usage: vworkers --workers W [--slots S] [--capacity C] [--job-us T]
                    [--flow F] [--control-each] [--ping]
                    --tasks EP --results EP --control EP --acks EP
    --capacity: items a worker holds (running and waiting), the credit it
    grants in credit flow (default 2 x slots, as pp-worker's least).
    Prints, when the run is over: "vworkers: W workers, N items, min A,
    max B per worker", then "vworkers: messages: tasks_in T credits_out C
    beats_out E results_out R control_in S" (TASKs read; CREDITs sent, E
    of them empty heartbeats; RESULT batches sent; messages one control
    subscription read). Exits 0 on DONE, 3 on ABORTED, 1 on
    errors.                                                               */

#include "pp_wire.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <zmq.h>

#define S_BATCH 256 /* results per RESULT message, at most           */
#define S_BATCH_BYTES (256 * 1024) /* ... and bytes (PP_BATCH_BYTES)    */

/*  A job in progress: which worker, when it ends, the task it runs.       */
typedef struct {
    int64_t end_us;
    int worker;
    pp_record_t task; /* data: own copy if owned, else the message's */
    bool owned;
} s_job_t;

typedef struct {
    void *tasks;     /* DEALER (credit) or PULL (push)                 */
    void *control;   /* --control-each: SUB of its own, else NULL      */
    uint32_t id;     /* worker id                                      */
    int busy;        /* jobs in progress                               */
    uint64_t items;  /* results sent                                   */
    int64_t beat_us; /* last CREDIT sent                               */
    uint32_t owed;   /* credit to grant at the next flush              */
    s_job_t *queue;  /* push flow: tasks waiting for a slot (FIFO)     */
    size_t q_head, q_len, q_cap;
    uint8_t *batch; /* RESULT records not yet sent                    */
    size_t batch_size, batch_cap;
    uint32_t batch_count;
    bool listed; /* in s_dirty                                       */
    bool ready;  /* in s_ready                                       */
} s_vw_t;

static struct {
    int workers, slots, capacity;
    int64_t job_us;
    bool credit, control_each, ping;
    const char *tasks, *results, *control, *acks;
} s_opt = {.workers = 100, .slots = 1};

static void *s_ctx, *s_results, *s_acks, *s_control;
static s_vw_t *s_vw;
static uint64_t s_run_id;
static int64_t s_beat_every_us = 1000000;
/*  Jobs in progress, in end order: every job takes the same time, so the
    order they started in is the order they end in -- a ring, no heap.   */
static s_job_t *s_ring;
static size_t s_ring_head, s_ring_len, s_ring_cap;
/*  Workers with results held, to send at the end of this loop turn.      */
static int *s_dirty;
static int s_ndirty;
/*  Workers whose tasks socket may hold messages. The loop waits in epoll
    on each socket's ZMQ_FD and reads only these, not zmq_poll over all W
    sockets each turn: that cost grew with W and, at W = 1000, made this
    process rather than the ventilator the limit of what was measured.   */
static int *s_ready;
static int s_nready;
/*  Messages to and from the ventilator's tasks socket, and to the sink:
    what the ventilator pays for grows with them (bench/run.sh many).     */
static uint64_t s_tasks_in, s_credits_out, s_beats_out, s_results_out;
/*  Messages read on the control subscription (the first worker's, with
    --control-each): what each subscriber costs the ventilator.           */
static uint64_t s_control_in;

static int64_t
s_now_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint64_t
s_wall_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

static void
s_die (const char *what)
{
    fprintf (stderr, "vworkers: %s: %s\n", what, zmq_strerror (errno));
    exit (1);
}

static void
s_send (void *sock, const pp_header_t *hdr, const void *payload, size_t size)
{
    uint8_t head[PP_WIRE_HEADER_SIZE];
    pp_wire_encode_header (hdr, head);
    if (zmq_send (sock, head, sizeof (head), ZMQ_SNDMORE) < 0 ||
        zmq_send (sock, payload, size, 0) < 0)
        s_die ("send");
}

/*  Worker i's tasks socket is to be read: an event on its ZMQ_FD said
    so, or this process sent on it (a send may take in the socket's
    pending commands, so its ZMQ_FD would not say so again).              */
static void
s_mark (int i)
{
    if (!s_vw[i].ready) {
        s_vw[i].ready = true;
        s_ready[s_nready++] = i;
    }
}

/*  Adds sock's ZMQ_FD to epoll set ep, its events tagged with tag.
    Level-triggered: the fd stays readable until ZMQ_EVENTS or a send or
    receive has taken in the socket's commands.                            */
static void
s_watch (int ep, void *sock, uint32_t tag)
{
    int fd;
    size_t len = sizeof (fd);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = tag};
    if (zmq_getsockopt (sock, ZMQ_FD, &fd, &len) != 0 ||
        epoll_ctl (ep, EPOLL_CTL_ADD, fd, &ev) != 0)
        s_die ("epoll_ctl");
}

static short
s_events (void *sock)
{
    int events = 0;
    size_t len = sizeof (events);
    if (zmq_getsockopt (sock, ZMQ_EVENTS, &events, &len) != 0)
        s_die ("ZMQ_EVENTS");
    return (short) events;
}

static void
s_hello (int i)
{
    s_vw_t *vw = &s_vw[i];
    pp_hello_t hello = {.pid = (uint32_t) getpid (),
                        .threads = (uint32_t) s_opt.slots,
                        .capacity = (uint32_t) s_opt.capacity,
                        .flow = s_opt.credit};
    snprintf (hello.host, sizeof (hello.host), "vw%d", i);
    uint8_t payload[96];
    size_t size = pp_wire_encode_hello (&hello, payload);
    pp_header_t hdr = {
        .type = PP_MSG_HELLO, .run_id = s_run_id, .worker_id = vw->id};
    s_send (s_acks, &hdr, payload, size);
    s_send (s_results, &hdr, payload, size);
    if (s_opt.credit) {
        s_send (vw->tasks, &hdr, payload, size);
        s_mark (i);
    }
}

static void
s_credit (int i, uint32_t count)
{
    pp_header_t hdr = {.type = PP_MSG_CREDIT,
                       .run_id = s_run_id,
                       .worker_id = s_vw[i].id,
                       .count = count};
    s_send (s_vw[i].tasks, &hdr, "", 0);
    s_mark (i);
    s_vw[i].beat_us = s_now_us ();
    s_credits_out++;
    s_beats_out += count == 0;
}

static void
s_flush_results (int i)
{
    s_vw_t *vw = &s_vw[i];
    if (vw->batch_count == 0)
        return;
    pp_header_t hdr = {.type = PP_MSG_RESULT,
                       .run_id = s_run_id,
                       .worker_id = vw->id,
                       .count = vw->batch_count};
    s_send (s_results, &hdr, vw->batch, vw->batch_size);
    s_results_out++;
    vw->batch_size = 0;
    vw->batch_count = 0;
    /*  As pp-worker grants (pp_wcredit_due): a quarter of its capacity
        at a time while it holds items, all that is free once idle.       */
    uint32_t least = s_opt.capacity / 4 ? (uint32_t) s_opt.capacity / 4 : 1;
    bool idle = vw->busy == 0 && vw->q_len == 0;
    if (s_opt.credit && vw->owed > 0 && (vw->owed >= least || idle)) {
        s_credit (i, vw->owed);
        vw->owed = 0;
    }
}

/*  The job ended: its echo joins the worker's RESULT batch.              */
static void
s_finish (s_job_t *job, int64_t start_us)
{
    s_vw_t *vw = &s_vw[job->worker];
    pp_record_t rec = job->task;
    rec.input = rec.data;
    rec.input_len = rec.len;
    rec.start_us = (uint64_t) start_us;
    rec.runtime_us = (uint64_t) s_opt.job_us;
    size_t need = pp_wire_record_size (&rec);
    if (vw->batch_size + need > S_BATCH_BYTES || vw->batch_count == S_BATCH)
        s_flush_results (job->worker);
    if (vw->batch_size + need > vw->batch_cap) {
        vw->batch_cap = vw->batch_size + need + 4096;
        vw->batch = realloc (vw->batch, vw->batch_cap);
        if (!vw->batch)
            s_die ("out of memory");
    }
    if (!vw->listed) {
        vw->listed = true;
        s_dirty[s_ndirty++] = job->worker;
    }
    vw->batch_size += pp_wire_encode_record (&rec, vw->batch + vw->batch_size);
    vw->batch_count++;
    vw->items++;
    vw->busy--;
    vw->owed++;
    if (job->owned)
        free ((void *) job->task.data);
}

static void
s_ring_push (const s_job_t *job)
{
    if (s_ring_len == s_ring_cap) {
        size_t cap = s_ring_cap ? 2 * s_ring_cap : 1024;
        s_job_t *grown = malloc (cap * sizeof (*grown));
        for (size_t k = 0; k < s_ring_len; k++)
            grown[k] = s_ring[(s_ring_head + k) % s_ring_cap];
        free (s_ring);
        s_ring = grown;
        s_ring_cap = cap;
        s_ring_head = 0;
    }
    s_ring[(s_ring_head + s_ring_len++) % s_ring_cap] = *job;
}

/*  Starts the task on worker i now (a slot is free).                     */
static void
s_start (int i, const s_job_t *task, int64_t now)
{
    s_job_t job = *task;
    job.worker = i;
    job.end_us = now + s_opt.job_us;
    s_vw[i].busy++;
    if (s_opt.job_us == 0)
        s_finish (&job, (int64_t) s_wall_us ());
    else
        s_ring_push (&job);
}

static void
s_queue_push (s_vw_t *vw, const s_job_t *job)
{
    if (vw->q_len == vw->q_cap) {
        size_t cap = vw->q_cap ? 2 * vw->q_cap : 64;
        s_job_t *grown = malloc (cap * sizeof (*grown));
        for (size_t k = 0; k < vw->q_len; k++)
            grown[k] = vw->queue[(vw->q_head + k) % vw->q_cap];
        free (vw->queue);
        vw->queue = grown;
        vw->q_cap = cap;
        vw->q_head = 0;
    }
    vw->queue[(vw->q_head + vw->q_len++) % vw->q_cap] = *job;
}

/*  Starts what waits for a free slot on worker i.                        */
static void
s_drain_queue (int i, int64_t now)
{
    s_vw_t *vw = &s_vw[i];
    while (vw->q_len > 0 && vw->busy < s_opt.slots) {
        s_job_t job = vw->queue[vw->q_head];
        vw->q_head = (vw->q_head + 1) % vw->q_cap;
        vw->q_len--;
        s_start (i, &job, now);
    }
}

/*  Reads one message from worker i's tasks socket; false if none was
    there.                                                                */
static bool
s_on_tasks (int i, int64_t now)
{
    uint8_t head[64];
    int n = zmq_recv (s_vw[i].tasks, head, sizeof (head), ZMQ_DONTWAIT);
    if (n < 0)
        return false;
    zmq_msg_t body;
    zmq_msg_init (&body);
    int more = 0;
    size_t len = sizeof (more);
    zmq_getsockopt (s_vw[i].tasks, ZMQ_RCVMORE, &more, &len);
    if (!more || zmq_msg_recv (&body, s_vw[i].tasks, 0) < 0) {
        zmq_msg_close (&body);
        return true;
    }
    pp_header_t hdr;
    pp_reject_t reason;
    if (pp_wire_decode_header (head, (size_t) n, &hdr, &reason) != 0 ||
        hdr.run_id != s_run_id) {
        zmq_msg_close (&body);
        return true;
    }
    if (hdr.type == PP_MSG_BYE) { /* written off: join again           */
        s_hello (i);
        size_t held = (size_t) s_vw[i].busy + s_vw[i].q_len;
        size_t cap = (size_t) s_opt.capacity;
        s_credit (i, (uint32_t) (held < cap ? cap - held : 0));
    } else if (hdr.type == PP_MSG_TASK) {
        s_tasks_in++;
        const uint8_t *data = zmq_msg_data (&body);
        size_t size = zmq_msg_size (&body);
        if (pp_wire_check_batch (data, size, hdr.count, 1 << 30, &reason) ==
            0) {
            size_t offset = 0;
            s_job_t job = {0};
            while (pp_wire_next_record (data, size, &offset, &job.task)) {
                if (s_opt.job_us == 0 && s_vw[i].q_len == 0 &&
                    s_vw[i].busy < s_opt.slots) {
                    /*  Done at once: no copy, no queue. Queueing a whole
                        batch made each of W workers touch fresh memory,
                        a cost of this process that grew with W.         */
                    job.owned = false;
                    s_start (i, &job, now);
                    continue;
                }
                char *copy = malloc (job.task.len + 1);
                memcpy (copy, job.task.data, job.task.len);
                job.task.data = copy;
                job.owned = true;
                s_queue_push (&s_vw[i], &job);
            }
            s_drain_queue (i, now);
        }
    }
    zmq_msg_close (&body);
    return true;
}

/*  Reads what the ready workers' sockets hold, up to 64 messages each a
    turn; a worker stays ready while its socket may hold more.            */
static void
s_read_ready (int64_t now)
{
    int n = s_nready, keep = 0;
    for (int k = 0; k < n; k++) {
        int i = s_ready[k], got = 0;
        while (got < 64 && s_on_tasks (i, now))
            got++;
        if (got == 64 || (s_events (s_vw[i].tasks) & ZMQ_POLLIN))
            s_ready[keep++] = i;
        else
            s_vw[i].ready = false;
    }
    for (int k = n; k < s_nready; k++) /* marked while reading         */
        s_ready[keep++] = s_ready[k];
    s_nready = keep;
}

/*  Ends the jobs due by now, starting what waits behind them.            */
static void
s_tick_jobs (int64_t now)
{
    while (s_ring_len > 0 && s_ring[s_ring_head].end_us <= now) {
        s_job_t job = s_ring[s_ring_head];
        s_ring_head = (s_ring_head + 1) % s_ring_cap;
        s_ring_len--;
        s_finish (&job, (int64_t) s_wall_us () - s_opt.job_us);
        s_drain_queue (job.worker, now);
    }
}

/*  Reads STATE; returns the run state, or 0 for nothing new.             */
static int
s_on_control (void)
{
    uint8_t head[64], body[128];
    int n = zmq_recv (s_control, head, sizeof (head), ZMQ_DONTWAIT);
    if (n < 0)
        return 0;
    s_control_in++;
    int more = 0;
    size_t len = sizeof (more);
    zmq_getsockopt (s_control, ZMQ_RCVMORE, &more, &len);
    int size = more ? zmq_recv (s_control, body, sizeof (body), 0) : 0;
    pp_header_t hdr;
    pp_reject_t reason;
    pp_settings_t run; /* after the counts: flow, heartbeat           */
    if (pp_wire_decode_header (head, (size_t) n, &hdr, &reason) != 0 ||
        hdr.type != PP_MSG_STATE ||
        size != PP_STATE_PAYLOAD_SIZE + PP_SETTINGS_SIZE ||
        pp_wire_decode_settings (body + PP_STATE_PAYLOAD_SIZE, PP_SETTINGS_SIZE,
                                 &run) != 0)
        return 0;
    if (s_run_id == 0 && hdr.flags <= PP_STATE_DRAINING) {
        s_run_id = hdr.run_id;
        if (run.flow != (uint8_t) s_opt.credit) {
            fprintf (stderr, "vworkers: the ventilator runs the other flow\n");
            exit (2);
        }
    }
    if (run.heartbeat_ms >= 10)
        s_beat_every_us = (int64_t) run.heartbeat_ms * 1000;
    return hdr.run_id == s_run_id ? hdr.flags : 0;
}

static void *
s_socket (int type, const char *endpoint)
{
    void *sock = zmq_socket (s_ctx, type);
    if (!sock)
        s_die ("zmq_socket (raise ulimit -n?)");
    int hwm = 100000, zero = 0;
    zmq_setsockopt (sock, ZMQ_SNDHWM, &hwm, sizeof (hwm));
    zmq_setsockopt (sock, ZMQ_RCVHWM, &hwm, sizeof (hwm));
    zmq_setsockopt (sock, ZMQ_LINGER, &zero, sizeof (zero));
    if (s_opt.ping && type != ZMQ_PUSH) { /* as pp_net.c's s_socket     */
        int ivl = 1000, timeout = 3000;
        zmq_setsockopt (sock, ZMQ_HEARTBEAT_IVL, &ivl, sizeof (ivl));
        zmq_setsockopt (sock, ZMQ_HEARTBEAT_TIMEOUT, &timeout,
                        sizeof (timeout));
        zmq_setsockopt (sock, ZMQ_HEARTBEAT_TTL, &zero, sizeof (zero));
    }
    if (type == ZMQ_SUB)
        zmq_setsockopt (sock, ZMQ_SUBSCRIBE, "", 0);
    if (zmq_connect (sock, endpoint) != 0)
        s_die (endpoint);
    return sock;
}

static void
s_usage (void)
{
    fprintf (stderr, "usage: vworkers --workers W [--slots S] [--capacity C] "
                     "[--job-us T] [--flow push|credit] [--control-each] "
                     "[--ping]\n"
                     "                --tasks EP --results EP --control EP "
                     "--acks EP\n");
    exit (2);
}

static void
s_parse (int argc, char **argv)
{
    static const struct option longs[] = {
        {"workers", required_argument, 0, 'w'},
        {"slots", required_argument, 0, 's'},
        {"capacity", required_argument, 0, 'C'},
        {"job-us", required_argument, 0, 'j'},
        {"flow", required_argument, 0, 'f'},
        {"tasks", required_argument, 0, 't'},
        {"results", required_argument, 0, 'r'},
        {"control", required_argument, 0, 'c'},
        {"acks", required_argument, 0, 'a'},
        {"control-each", no_argument, 0, 'e'},
        {"ping", no_argument, 0, 'p'},
        {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long (argc, argv, "", longs, NULL)) != -1) {
        switch (c) {
            case 'w': s_opt.workers = atoi (optarg); break;
            case 's': s_opt.slots = atoi (optarg); break;
            case 'C': s_opt.capacity = atoi (optarg); break;
            case 'j': s_opt.job_us = atoll (optarg); break;
            case 'f': s_opt.credit = strcmp (optarg, "credit") == 0; break;
            case 't': s_opt.tasks = optarg; break;
            case 'r': s_opt.results = optarg; break;
            case 'c': s_opt.control = optarg; break;
            case 'a': s_opt.acks = optarg; break;
            case 'e': s_opt.control_each = true; break;
            case 'p': s_opt.ping = true; break;
            default: s_usage ();
        }
    }
    if (s_opt.capacity == 0)
        s_opt.capacity = 2 * s_opt.slots;
    if (s_opt.workers < 1 || s_opt.slots < 1 || s_opt.job_us < 0 ||
        s_opt.capacity < s_opt.slots || !s_opt.tasks || !s_opt.results ||
        !s_opt.control || !s_opt.acks)
        s_usage ();
}

/*  Beats for every credit-flow worker that sent nothing for a heartbeat,
    as pp-worker does; flushes results held.                              */
static void
s_housekeeping (int64_t now)
{
    for (int i = 0; i < s_opt.workers; i++) {
        s_flush_results (i);
        if (s_opt.credit && now - s_vw[i].beat_us >= s_beat_every_us)
            s_credit (i, 0);
    }
}

/*  The run ended: each worker says BYE on the acks, as pp-worker does,
    so that the ventilator ends once all did rather than after --linger
    (which the run's wall time, and so items/s, would include).          */
static void
s_bye_all (void)
{
    for (int i = 0; i < s_opt.workers; i++) {
        pp_header_t hdr = {
            .type = PP_MSG_BYE, .run_id = s_run_id, .worker_id = s_vw[i].id};
        s_send (s_acks, &hdr, "", 0);
    }
    int linger = 2000; /* the BYEs get out before zmq_ctx_term returns */
    zmq_setsockopt (s_acks, ZMQ_LINGER, &linger, sizeof (linger));
}

static void
s_report (void)
{
    uint64_t total = 0, lo = UINT64_MAX, hi = 0;
    for (int i = 0; i < s_opt.workers; i++) {
        total += s_vw[i].items;
        lo = s_vw[i].items < lo ? s_vw[i].items : lo;
        hi = s_vw[i].items > hi ? s_vw[i].items : hi;
    }
    printf ("vworkers: %d workers, %llu items, min %llu, max %llu per "
            "worker\n",
            s_opt.workers, (unsigned long long) total, (unsigned long long) lo,
            (unsigned long long) hi);
    printf ("vworkers: messages: tasks_in %llu credits_out %llu "
            "beats_out %llu results_out %llu control_in %llu\n",
            (unsigned long long) s_tasks_in, (unsigned long long) s_credits_out,
            (unsigned long long) s_beats_out,
            (unsigned long long) s_results_out,
            (unsigned long long) s_control_in);
    fflush (stdout);
}

int
main (int argc, char **argv)
{
    s_parse (argc, argv);
    s_ctx = zmq_ctx_new ();
    zmq_ctx_set (s_ctx, ZMQ_MAX_SOCKETS, 2 * s_opt.workers + 16);
    s_results = s_socket (ZMQ_PUSH, s_opt.results);
    s_acks = s_socket (ZMQ_PUSH, s_opt.acks);
    s_vw = calloc ((size_t) s_opt.workers, sizeof (*s_vw));
    s_dirty = calloc ((size_t) s_opt.workers, sizeof (*s_dirty));
    s_ready = calloc ((size_t) s_opt.workers, sizeof (*s_ready));
    int ep = epoll_create1 (0);
    if (ep < 0)
        s_die ("epoll_create1");
    uint32_t seed = (uint32_t) getpid () * 2654435761u ^ (uint32_t) s_now_us ();
    for (int i = 0; i < s_opt.workers; i++) {
        s_vw[i].tasks =
            s_socket (s_opt.credit ? ZMQ_DEALER : ZMQ_PULL, s_opt.tasks);
        seed = seed * 1664525u + 1013904223u;
        s_vw[i].id = seed; /* distinct: a full-period LCG's outputs     */
        s_watch (ep, s_vw[i].tasks, (uint32_t) i);
        if (s_opt.control_each) /* unread: its HWM, 10^5, holds a run */
            s_vw[i].control = s_socket (ZMQ_SUB, s_opt.control);
    }
    s_control = s_opt.control_each ? s_vw[0].control
                                   : s_socket (ZMQ_SUB, s_opt.control);
    zmq_pollitem_t control = {s_control, 0, ZMQ_POLLIN, 0};
    while (s_run_id == 0) { /* the first live run                       */
        zmq_poll (&control, 1, 100);
        s_on_control ();
    }
    s_watch (ep, s_control, (uint32_t) s_opt.workers);
    struct epoll_event events[256];
    for (int i = 0; i < s_opt.workers; i++) {
        s_hello (i);
        if (s_opt.credit)
            s_credit (i, (uint32_t) s_opt.capacity);
    }
    int state = 0, code = 0;
    bool control_more = false; /* 64 read, more may wait               */
    int64_t next_chores = s_now_us () + 50000;
    while (state != PP_STATE_DONE && state != PP_STATE_ABORTED) {
        int64_t now = s_now_us ();
        int64_t wake = next_chores;
        if (s_ring_len > 0 && s_ring[s_ring_head].end_us < wake)
            wake = s_ring[s_ring_head].end_us;
        int timeout = wake > now ? (int) ((wake - now + 999) / 1000) : 0;
        int n = epoll_wait (ep, events, 256,
                            s_nready > 0 || control_more ? 0 : timeout);
        if (n < 0 && errno != EINTR)
            s_die ("epoll_wait");
        for (int k = 0; k < n; k++) {
            uint32_t i = events[k].data.u32;
            if (i < (uint32_t) s_opt.workers &&
                (s_events (s_vw[i].tasks) & ZMQ_POLLIN))
                s_mark ((int) i);
        }
        now = s_now_us ();
        /*  The control socket is one: asked every turn, which also takes
            in its commands so that its ZMQ_FD's event does not repeat.   */
        int read = 0;
        for (; read < 64 && (s_events (s_control) & ZMQ_POLLIN); read++) {
            int got = s_on_control ();
            if (got == PP_STATE_WAITING || got == PP_STATE_RUNNING ||
                got == PP_STATE_DRAINING || got == PP_STATE_DONE ||
                got == PP_STATE_ABORTED)
                state = got;
        }
        control_more = read == 64;
        s_read_ready (now);
        s_tick_jobs (s_now_us ());
        for (int k = 0; k < s_ndirty; k++) {
            s_flush_results (s_dirty[k]);
            s_vw[s_dirty[k]].listed = false;
        }
        s_ndirty = 0;
        if (s_now_us () >= next_chores) {
            s_housekeeping (s_now_us ());
            next_chores = s_now_us () + 50000;
        }
    }
    code = state == PP_STATE_ABORTED ? 3 : 0;
    s_bye_all ();
    s_report ();
    for (int i = 0; i < s_opt.workers; i++) {
        zmq_close (s_vw[i].tasks);
        if (s_vw[i].control)
            zmq_close (s_vw[i].control);
    }
    close (ep);
    free (s_ready);
    if (!s_opt.control_each)
        zmq_close (s_control);
    zmq_close (s_results);
    zmq_close (s_acks);
    zmq_ctx_term (s_ctx);
    return code;
}
