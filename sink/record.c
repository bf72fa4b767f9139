/*  sink_record: a batch of results through the ledger, the output and
    the acks (record.h).                                                   */

#include "record.h"
#include "pp_error.h"
#include "pp_text.h"

#include <czmq.h>

/*  Moves base past every recorded seq, writing held results in order.
    Returns 0, or PP_EIO after logging that a held result could not be
    read back from the --ordered spill file.                               */
static int
s_advance (sink_record_t *self)
{
    const char *data;
    size_t len;
    while (sink_ledger_advance (self->ledger, &data, &len))
        sink_output_write (self->output, data, len);
    int err = sink_ledger_spill_error (self->ledger);
    if (err == 0)
        return 0;
    zsys_error ("--ordered: cannot read a held result back from its spill "
                "file in %s: %s",
                self->spill_dir ? self->spill_dir : "/tmp", strerror (err));
    return PP_EIO;
}

/*  What the ledger says of rec (from worker_id), recorded unless it is a
    failed item the ventilator will send again: that is asked for instead
    (*retried). A failure that never ran (start_us 0: the ventilator
    decided it -- a record over --max-item-size, one given up after
    --max-deliver) is final: sending it again cannot change it.            */
static sink_ledger_verdict_t
s_judge (sink_record_t *self, const pp_record_t *rec, uint32_t worker_id,
         bool *retried)
{
    *retried = false;
    if (rec->seq >= self->end)
        return SINK_LEDGER_OUT_OF_WINDOW; /* past the run's end          */
    if (rec->outcome != PP_OUTCOME_FAILED || rec->attempt >= self->retries ||
        rec->start_us == 0)
        return sink_ledger_record (self->ledger, rec->seq);
    sink_ledger_verdict_t verdict = sink_ledger_check (self->ledger, rec->seq);
    if (verdict == SINK_LEDGER_NEW) {
        sink_acks_retry (self->acks, rec->seq, worker_id);
        *retried = true;
    }
    return verdict;
}

/*  True when rec goes to the output: ok results, every outcome with
    --jsonl.                                                               */
static bool
s_writes (const sink_record_t *self, const pp_record_t *rec)
{
    return rec->outcome == PP_OUTCOME_OK || self->format == SINK_FORMAT_JSONL;
}

/*  Writes rec's result (or its --tag/--jsonl line); with --ordered one
    whose turn it is (every seq below it has an outcome) is written too,
    and only those that must wait are held -- the whole line, input
    included. Returns 0, or PP_ENOMEM after logging it.                   */
static int
s_output (sink_record_t *self, uint32_t worker_id, const pp_record_t *rec)
{
    const char *data = rec->data;
    size_t len = rec->len;
    if (self->format != SINK_FORMAT_PLAIN) {
        if (sink_format_line (&self->line, self->format, worker_id, rec)) {
            zsys_error ("cannot format a result: %s", strerror (ENOMEM));
            return PP_ENOMEM;
        }
        data = self->line.data;
        len = self->line.len;
    }
    if (!self->ordered || rec->seq == sink_ledger_base (self->ledger)) {
        sink_output_write (self->output, data, len);
        return 0;
    }
    uint64_t spilled = sink_ledger_spilled (self->ledger);
    int rc = sink_ledger_hold (self->ledger, rec->seq, data, len);
    if (rc == 0 && spilled == 0 && sink_ledger_spilled (self->ledger) > 0)
        zsys_notice ("--ordered: the results waiting for seq %llu passed "
                     "--buffer-bytes; the next ones wait in a file in %s",
                     (unsigned long long) sink_ledger_base (self->ledger),
                     self->spill_dir ? self->spill_dir : "/tmp");
    if (rc == PP_EIO)
        zsys_error ("--ordered: cannot spill a held result to %s (results "
                    "past --buffer-bytes wait there): %s",
                    self->spill_dir ? self->spill_dir : "/tmp",
                    strerror (errno));
    else if (rc != 0)
        zsys_error ("cannot hold a result for --ordered: %s",
                    strerror (ENOMEM));
    return rc;
}

/*  --halt: once its limit is reached, says why (the item that reached it).
 */
static void
s_check_halt (sink_record_t *self, const pp_counts_t *counts,
              const pp_record_t *rec)
{
    if (self->halted || !sink_halt_reached (&self->halt, counts->ok,
                                            counts->failed, counts->dropped))
        return;
    self->halted = true;
    char name[64], text[160];
    sink_halt_name (&self->halt, name, sizeof (name));
    bool ok = rec->outcome == PP_OUTCOME_OK;
    pp_text_escape (text, sizeof (text), ok ? "" : rec->data,
                    ok ? 0 : rec->len);
    snprintf (self->halt_why, sizeof (self->halt_why),
              "%s reached (record %llu %s%s%s)", name,
              (unsigned long long) rec->record,
              ok                                  ? "ok"
              : rec->outcome == PP_OUTCOME_FAILED ? "failed"
                                                  : "dropped",
              ok ? "" : ": ", text);
}

/*  What else becomes of a recorded outcome: the job log, the rerun file,
    the count against --halt.                                              */
static void
s_account (sink_record_t *self, const pp_counts_t *counts, uint32_t worker_id,
           const pp_record_t *rec)
{
    if (self->joblog) {
        sink_joblog_line_t line = {
            .seq = rec->seq,
            .record = rec->record,
            .worker_id = worker_id,
            .host = pp_stats_host (self->stats, worker_id),
            .start_us = rec->start_us,
            .runtime_us = rec->runtime_us,
            .attempt = rec->attempt,
            .outcome = rec->outcome,
            .status = rec->status,
            .reason = rec->outcome == PP_OUTCOME_OK ? NULL : rec->data,
            .reason_len = rec->outcome == PP_OUTCOME_OK ? 0 : rec->len};
        sink_joblog_write (self->joblog, &line);
    }
    if (self->rerun.file && rec->outcome != PP_OUTCOME_OK)
        sink_rerun_add (&self->rerun, rec);
    if (self->halt.when != SINK_HALT_NEVER)
        s_check_halt (self, counts, rec);
}

/*  Records one result; returns 0 or PP_ENOMEM (an --ordered result could
    not be held: not acked).                                               */
static int
s_record (sink_record_t *self, pp_counts_t *counts, uint32_t worker_id,
          const pp_record_t *rec, uint64_t now_us, int64_t now_ms)
{
    bool retried;
    switch (s_judge (self, rec, worker_id, &retried)) {
        case SINK_LEDGER_OUT_OF_WINDOW:
            counts->rejects[PP_REJECT_BATCH]++;
            return 0;
        case SINK_LEDGER_DUPLICATE:
            counts->duplicates++;
            sink_acks_add (self->acks, rec->seq, now_ms);
            return 0;
        case SINK_LEDGER_NEW:
            if (retried)
                return 0;
            break;
    }
    pp_stats_outcome (self->stats, worker_id, rec,
                      now_us > rec->t_enq_us ? now_us - rec->t_enq_us : 0,
                      now_ms);
    if (s_writes (self, rec) && s_output (self, worker_id, rec) != 0)
        return PP_ENOMEM;
    s_account (self, counts, worker_id, rec);
    sink_acks_add (self->acks, rec->seq, now_ms); /* after the write      */
    return s_advance (self);
}

/*  Records every result of a RESULT batch.                                */
static int
s_record_batch (sink_record_t *self, pp_counts_t *counts, const pp_inmsg_t *in)
{
    if (in->hdr.run_id != self->run_id) {
        counts->rejects[PP_REJECT_RUN]++;
        return 0;
    }
    pp_reject_t reason;
    if (pp_wire_check_batch (in->payload, in->size, in->hdr.count,
                             self->max_item, &reason) != 0) {
        counts->rejects[reason]++;
        return 0;
    }
    size_t offset = 0;
    pp_record_t rec;
    uint64_t now_us = pp_wall_us ();
    int64_t now_ms = pp_now_ms ();
    int rc = 0;
    while (rc == 0 &&
           pp_wire_next_record (in->payload, in->size, &offset, &rec))
        rc = s_record (self, counts, in->hdr.worker_id, &rec, now_us, now_ms);
    return rc;
}

int
sink_record_message (sink_record_t *self, const pp_inmsg_t *in)
{
    pp_counts_t *counts = pp_stats_counts (self->stats);
    pp_hello_t hello;
    switch (in->hdr.type) {
        case PP_MSG_RESULT: return s_record_batch (self, counts, in);
        case PP_MSG_HELLO:
            if (pp_wire_decode_hello (in->payload, in->size, &hello) == 0)
                pp_stats_hello (self->stats, in->hdr.worker_id, &hello);
            else
                counts->rejects[PP_REJECT_SHORT]++;
            return 0;
        default: counts->rejects[PP_REJECT_TYPE]++; return 0;
    }
}

static void
s_on_missing (void *stats, uint64_t first, uint64_t n)
{
    pp_stats_missing (stats, first, n);
}

void
sink_record_missing (sink_record_t *self, uint64_t sent)
{
    uint64_t end = self->end; /* UINT64_MAX: the total is not known     */
    if (end == UINT64_MAX) {
        end = sink_ledger_end (self->ledger);
        end = sent > end ? sent : end;
    }
    sink_ledger_missing (self->ledger, end, s_on_missing, self->stats);
}
