/*  pp_wfeed: TASK messages cut into slices, fed to the pipeline.          */

#include "pp_wfeed.h"
#include "pp_error.h"
#include "pp_results.h"

#include <stdlib.h>

void
pp_wfeed_start (pp_wfeed_t *self, pp_pipeline_t *pipeline, pp_wsize_t size,
                bool drops, uint32_t worker_id, size_t max_item)
{
    *self = (pp_wfeed_t){.pipeline = pipeline,
                         .size = size,
                         .drops = drops,
                         .worker_id = worker_id,
                         .max_item = max_item};
}

int
pp_wfeed_take (pp_wfeed_t *self, zmsg_t **msg_p, const uint8_t *data,
               size_t size)
{
    self->msg = pp_slice_msg_new (msg_p, data, size);
    self->offset = 0;
    return self->msg ? 0 : PP_ENOMEM;
}

bool
pp_wfeed_busy (const pp_wfeed_t *self)
{
    return self->msg || self->slice || self->drop;
}

/*  Cuts the next slice off the message, releasing the message when it is
    used up. Returns 0 with self->slice (or none left: NULL), or PP_ENOMEM. */
static int
s_cut (pp_wfeed_t *self)
{
    int64_t job_ns = pp_pipeline_job_ns (self->pipeline);
    int rc = pp_slice_cut (self->msg, &self->offset,
                           pp_wsize_slice (job_ns, self->size.slice_max),
                           self->size.slow_weight, &self->slice);
    if (rc == 0)
        self->slice->weight = pp_wsize_weight (&self->size, self->slice->weight,
                                               self->slice->size);
    if (rc == PP_ECLOSED)
        pp_slice_msg_release (&self->msg);
    return rc == PP_ENOMEM ? rc : 0;
}

/*  Milliseconds from now to deadline, at least 0.                         */
static int
s_left_ms (int64_t deadline)
{
    int64_t left = deadline - pp_now_ms ();
    return left > 0 ? (int) left : 0;
}

/*  --overflow drop: the slice that found no room becomes its outcomes.   */
static int
s_drop (pp_wfeed_t *self)
{
    self->drop =
        pp_results_dropped (self->slice, self->worker_id, self->max_item);
    if (!self->drop)
        return PP_ENOMEM;
    pp_slice_free (self->slice);
    self->slice = NULL;
    return 0;
}

int
pp_wfeed_push (pp_wfeed_t *self, int64_t deadline_ms)
{
    while (true) {
        if (self->drop) {
            int rc = pp_pipeline_report (self->pipeline, self->drop,
                                         s_left_ms (deadline_ms));
            if (rc == PP_ETIMEDOUT || rc == PP_EAGAIN)
                return 0;
            if (rc != 0)
                return rc;
            self->drop = NULL;
        }
        int rc = !self->slice && self->msg ? s_cut (self) : 0;
        if (rc != 0)
            return rc;
        if (!self->slice)
            return 0;
        rc = pp_pipeline_feed (self->pipeline, self->slice,
                               s_left_ms (deadline_ms));
        if (rc == PP_EAGAIN && self->drops) {
            rc = s_drop (self);
            if (rc != 0)
                return rc;
            continue;
        }
        if (rc == PP_ETIMEDOUT || rc == PP_EAGAIN)
            return 0;
        if (rc == PP_EIO) {
            zsys_error ("--spill-dir: cannot write (disk full?); waiting");
            return 0;
        }
        if (rc != 0)
            return rc;
        self->slice = NULL;
    }
}

uint64_t
pp_wfeed_last (pp_wfeed_t *self)
{
    if (self->slice && pp_pipeline_feed (self->pipeline, self->slice, 0) == 0)
        self->slice = NULL;
    if (self->drop && pp_pipeline_report (self->pipeline, self->drop, 0) == 0)
        self->drop = NULL;
    return pp_wfeed_clear (self);
}

/*  Sequence numbers gathered for a BYE.                                   */
typedef struct {
    uint8_t *data;
    size_t count, cap;
} s_seqs_t;

/*  Adds the seqs of the records in data from offset on. Short of memory,
    the rest are left out.                                                 */
static void
s_seqs_add (s_seqs_t *seqs, const uint8_t *data, size_t size, size_t offset)
{
    pp_record_t rec;
    while (pp_wire_next_record (data, size, &offset, &rec)) {
        if (seqs->count == seqs->cap) {
            size_t cap = seqs->cap ? seqs->cap * 2 : 256;
            uint8_t *grown = realloc (seqs->data, cap * 8);
            if (!grown)
                return;
            seqs->data = grown;
            seqs->cap = cap;
        }
        pp_put_u64 (seqs->data + 8 * seqs->count++, rec.seq);
    }
}

size_t
pp_wfeed_hand_back (pp_wfeed_t *self, uint8_t **seqs_p)
{
    s_seqs_t seqs = {0};
    pp_slice_t *slices[64];
    int n;
    while ((n = pp_pipeline_take_back (self->pipeline, slices, 64)) > 0)
        for (int i = 0; i < n; i++) {
            s_seqs_add (&seqs, slices[i]->data, slices[i]->size, 0);
            pp_slice_free (slices[i]);
        }
    if (self->slice)
        s_seqs_add (&seqs, self->slice->data, self->slice->size, 0);
    if (self->drop) { /* not reported yet: others may run them         */
        s_seqs_add (&seqs, self->drop->data, self->drop->size, 0);
        pp_results_free (self->drop); /* handed back, not lost        */
        self->drop = NULL;
    }
    if (self->msg) {
        size_t size;
        const uint8_t *data = pp_slice_msg_data (self->msg, &size);
        s_seqs_add (&seqs, data, size, self->offset);
    }
    pp_wfeed_clear (self);
    *seqs_p = seqs.data;
    return seqs.count;
}

uint64_t
pp_wfeed_clear (pp_wfeed_t *self)
{
    uint64_t lost = self->drop ? self->drop->count : 0;
    pp_slice_free (self->slice);
    pp_results_free (self->drop);
    pp_slice_msg_release (&self->msg);
    *self = (pp_wfeed_t){.size = self->size,
                         .drops = self->drops,
                         .worker_id = self->worker_id,
                         .max_item = self->max_item};
    return lost;
}
