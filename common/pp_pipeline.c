/*  pp_pipeline: channels and threads of one run, and the order they stop. */

#include "pp_pipeline.h"
#include "pp_error.h"
#include "pp_job_internal.h"
#include "pp_jobthread.h"
#include "pp_results.h"
#include "pp_sender.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define S_RESULT_SLOTS 8    /* result batches queued, besides 2 per thread */
#define S_RESULT_HWM_MIN 16 /* result messages the socket queues at least */

/*  A RESULT batch weighs a unit of the result channel per PP_BATCH_BYTES
    (or part): a batch of big items weighs what they hold.                */
static size_t
s_batch_weight (const void *batch)
{
    size_t size = ((const pp_batch_t *) batch)->size;
    return size > PP_BATCH_BYTES ? (size + PP_BATCH_BYTES - 1) / PP_BATCH_BYTES
                                 : 1;
}

/*  The result channel's capacity in units: 2 batches per thread and a
    few, or as many units as buffer_bytes holds when that is more.        */
static size_t
s_result_units (const pp_pipeline_args_t *args)
{
    size_t slots = (size_t) (2 * args->threads + S_RESULT_SLOTS);
    uint64_t units = args->buffer_bytes / PP_BATCH_BYTES;
    return units > slots ? (size_t) units : slots;
}

struct _pp_pipeline_t {
    pp_chan_t *tasks;      /* slices, receiver -> job threads            */
    pp_chan_t *results;    /* RESULT batches, job threads -> sender      */
    pthread_t *jobs;       /* job threads not joined yet                 */
    int njobs;             /* how many                                   */
    pthread_t sender;      /* the sender thread ...                      */
    bool sender_started;   /* ... not joined yet                         */
    pp_jobthread_t shared; /* what the job threads share                 */
    pp_sender_t out;       /* what the sender shares                     */
    pp_common_t out_net;   /* its socket settings: HWM within bytes      */
    uint64_t withheld;     /* results given up by joined threads         */
    const char *spill_dir; /* --spill-dir, or NULL without spill         */
    size_t spill_told;     /* slices lost in it, logged so far           */
};

/*  Sets up the channels' overflow policy and weight. Returns 0 or PP_EIO. */
static int
s_policy (pp_pipeline_t *self, const pp_pipeline_args_t *args)
{
    if (args->overflow == PP_OVERFLOW_DROP)
        pp_chan_set_drop (self->tasks);
    if (args->overflow != PP_OVERFLOW_SPILL) {
        pp_chan_set_weight (self->tasks, pp_slice_weight);
        return 0;
    }
    const char *dir = args->spill_dir ? args->spill_dir : "/tmp";
    self->spill_dir = dir;
    if (pp_chan_set_spill (self->tasks, dir, &pp_slice_codec) == 0)
        return 0;
    zsys_error ("--spill-dir: cannot create a file in %s: %s", dir,
                strerror (errno));
    return PP_EIO;
}

static void
s_share (pp_pipeline_t *self, const pp_pipeline_args_t *args)
{
    self->shared = (pp_jobthread_t){.tasks = self->tasks,
                                    .results = self->results,
                                    .handler = args->handler,
                                    .batch = args->batch,
                                    .user = args->user,
                                    .run_id = args->run_id,
                                    .worker_id = args->worker_id,
                                    .max_item = args->net->max_item,
                                    .echo = pp_job_is_echo (args->handler)};
    atomic_init (&self->shared.job_ns, 0); /* slow until measured       */
    /*  The results socket's queue holds about buffer_bytes of big
        results, but at least S_RESULT_HWM_MIN messages (or --hwm): a
        shorter one fills at once when the sink dies, and a leaving worker
        then waits the leave bound on it instead of counting what it
        holds as not delivered (t_worker_sink_lost). libzmq cannot change
        the HWM of a live connection safely (a lowered one stalled it), so
        it is set once, from --max-item-size.                             */
    self->out_net = *args->net;
    int hwm = pp_net_hwm_within (args->net->hwm, args->buffer_bytes,
                                 args->net->max_item);
    int least =
        args->net->hwm < S_RESULT_HWM_MIN ? args->net->hwm : S_RESULT_HWM_MIN;
    self->out_net.hwm = args->buffer_bytes && hwm < least ? least
                        : args->buffer_bytes              ? hwm
                                                          : args->net->hwm;
    self->out = (pp_sender_t){.results = self->results,
                              .tasks = self->tasks,
                              .net = &self->out_net,
                              .run_id = args->run_id,
                              .worker_id = args->worker_id,
                              .hello = *args->hello,
                              .done_endpoint = args->done_endpoint};
    atomic_init (&self->out.stuck_ms, 0);
}

int
pp_pipeline_start (const pp_pipeline_args_t *args, pp_pipeline_t **self_p)
{
    *self_p = NULL;
    pp_pipeline_t *self = calloc (1, sizeof (pp_pipeline_t));
    if (!self)
        return PP_ENOMEM;
    self->tasks = pp_chan_new ((size_t) args->capacity, pp_slice_free);
    self->results = pp_chan_new (s_result_units (args), pp_results_free);
    if (self->results)
        pp_chan_set_weight (self->results, s_batch_weight);
    self->jobs = calloc ((size_t) args->threads, sizeof (pthread_t));
    int rc = self->tasks && self->results && self->jobs ? 0 : PP_ENOMEM;
    if (rc == 0)
        rc = s_policy (self, args);
    if (rc == 0) {
        s_share (self, args);
        rc = pthread_create (&self->sender, NULL, pp_sender_main, &self->out)
                 ? PP_ENOMEM
                 : 0;
        self->sender_started = rc == 0;
    }
    while (rc == 0 && self->njobs < args->threads)
        if (pthread_create (&self->jobs[self->njobs], NULL, pp_jobthread_main,
                            &self->shared) == 0)
            self->njobs++;
        else
            rc = PP_ENOMEM;
    if (rc != 0)
        pp_pipeline_stop (&self);
    *self_p = self;
    return rc;
}

int
pp_pipeline_feed (pp_pipeline_t *self, pp_slice_t *slice, int timeout_ms)
{
    return pp_chan_send (self->tasks, slice, timeout_ms);
}

int
pp_pipeline_report (pp_pipeline_t *self, pp_batch_t *results, int timeout_ms)
{
    return pp_chan_send (self->results, results, timeout_ms);
}

int
pp_pipeline_take_back (pp_pipeline_t *self, pp_slice_t **slices, int max)
{
    void *items[64];
    int n = pp_chan_recv_many (self->tasks, items, max < 64 ? max : 64, 0);
    for (int i = 0; i < n; i++)
        slices[i] = items[i];
    return n > 0 ? n : 0;
}

void
pp_pipeline_close (pp_pipeline_t *self)
{
    pp_chan_close (self->tasks);
}

/*  Joins thread if it ended, adding what it gave up to self->withheld.   */
static bool
s_tryjoin (pp_pipeline_t *self, pthread_t thread)
{
    void *lost = NULL;
    if (pthread_tryjoin_np (thread, &lost) != 0)
        return false;
    self->withheld += (uintptr_t) lost;
    return true;
}

bool
pp_pipeline_done (pp_pipeline_t *self)
{
    for (int i = 0; i < self->njobs;)
        if (s_tryjoin (self, self->jobs[i]))
            self->jobs[i] = self->jobs[--self->njobs];
        else
            i++;
    if (self->njobs > 0)
        return false;
    pp_chan_close (self->results); /* the sender ends when it is sent  */
    if (self->sender_started && !s_tryjoin (self, self->sender))
        return false;
    self->sender_started = false;
    return true;
}

int64_t
pp_pipeline_job_ns (pp_pipeline_t *self)
{
    return self ? atomic_load_explicit (&self->shared.job_ns,
                                        memory_order_relaxed)
                : 0;
}

int64_t
pp_pipeline_stuck_ms (pp_pipeline_t *self)
{
    return self ? atomic_load_explicit (&self->out.stuck_ms,
                                        memory_order_relaxed)
                : 0;
}

/*  Joins thread; returns the count of results it gave up.                */
static uint64_t
s_join (pthread_t thread)
{
    void *lost = NULL;
    pthread_join (thread, &lost);
    return (uintptr_t) lost;
}

bool
pp_pipeline_spill_check (pp_pipeline_t *self)
{
    if (!self || !self->spill_dir || !self->tasks)
        return false;
    int err = 0;
    size_t lost = pp_chan_spill_lost (self->tasks, &err);
    if (lost > self->spill_told) {
        zsys_error ("--spill-dir %s: %zu slices of tasks could not be read "
                    "back (%s): their items were not run here; the "
                    "ventilator sends them again after its --ack-timeout",
                    self->spill_dir, lost - self->spill_told, strerror (err));
        self->spill_told = lost;
    }
    return lost > 0;
}

uint64_t
pp_pipeline_stop (pp_pipeline_t **self_p)
{
    pp_pipeline_t *self = *self_p;
    if (!self)
        return 0;
    *self_p = NULL;
    if (self->tasks)
        pp_chan_abort (self->tasks);
    if (self->results)
        pp_chan_close (self->results);
    for (int i = 0; i < self->njobs; i++)
        self->withheld += s_join (self->jobs[i]);
    if (self->sender_started)
        self->withheld += s_join (self->sender);
    uint64_t withheld = self->withheld;
    pp_chan_destroy (&self->tasks);
    pp_chan_destroy (&self->results);
    free (self->jobs);
    free (self);
    return withheld;
}
