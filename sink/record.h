/*  sink_record: what becomes of each message on the results socket. A
    HELLO goes to the worker table. Each result of a RESULT batch, in this
    order: its outcome recorded once (sink_ledger); an ok result written
    to the output (--tag, --jsonl: as a line of format.h; --jsonl writes
    every outcome; --ordered: held by the ledger while a lower seq has no
    outcome); its line in the --joblog, its input in the --failed file
    (failed, dropped), its count against --halt (halted set, once, with
    why); its ack gathered (sink_acks) after the write, so the
    checkpoint before the ack goes covers it. A duplicate is counted and acked
   again (the first ack was lost); a failed item the ventilator will retry is
   asked for, not recorded; a seq outside the window or past the run's end is
   rejected.

    A context of the run's parts, filled by the caller (stats from the
    start, the rest once the run is known): no I/O of its own beyond
    theirs, and nothing per item that is not a direct call.                */

#ifndef SINK_RECORD_H_INCLUDED
#define SINK_RECORD_H_INCLUDED

#include "acks.h"
#include "format.h"
#include "halt.h"
#include "joblog.h"
#include "ledger.h"
#include "output.h"
#include "pp_net.h"
#include "pp_stats.h"
#include "rerun.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    sink_ledger_t *ledger;     /* outcomes recorded                       */
    sink_output_t *output;     /* where ok results go                     */
    sink_acks_t *acks;         /* acks and retries owed                   */
    pp_stats_t *stats;         /* outcomes, latencies, rejects            */
    uint64_t run_id;           /* results of another run are rejected     */
    uint64_t max_item;         /* --max-item-size                         */
    bool ordered;              /* --ordered: results wait for their turn  */
    const char *spill_dir;     /* where held results past the bound go    */
    uint32_t retries;          /* the ventilator's --retries, from STATE  */
    uint64_t end;              /* seqs from here on are rejected: the
                                  run's total once known, else UINT64_MAX */
    sink_format_mode_t format; /* --tag, --jsonl, else the result alone */
    sink_format_buf_t line;    /* the line being formatted            */
    sink_logfile_t *joblog;    /* --joblog, or NULL                   */
    sink_rerun_t rerun;        /* --failed (its file NULL: none)      */
    sink_halt_t halt;          /* --halt                              */
    bool halted;               /* halt's limit was reached            */
    char halt_why[300];        /* why, for the summary: text          */
} sink_record_t;

/*  Takes in, a message from the results socket: a HELLO, or a RESULT
    batch whose results it records (a batch that is malformed or of
    another run is rejected whole, counted; the clocks are read once for
    it); anything else is rejected, counted. Returns 0, or PP_ENOMEM or
    PP_EIO after logging that an --ordered result could not be held (or
    read back from its spill file): its ack was not gathered, the rest of
    the batch is left, and the caller must stop acking.                   */
int sink_record_message (sink_record_t *self, const pp_inmsg_t *in);

/*  An incomplete run: tells the stats which seqs have no outcome, those
    the ledger lacks up to the run's end -- its total, else as far as it
    is known to be numbered: sent (from STATE) or past the highest seq
    recorded, if higher (STATE lags); more may be missing.                 */
void sink_record_missing (sink_record_t *self, uint64_t sent);

#endif
