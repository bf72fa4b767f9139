/*  sink_replay: FILE.journal read back into a checkpoint and a ledger
    (replay.h). Two passes over the journal: the first finds the window,
    the second records the ranges into a ledger of that window.            */

#include "replay.h"
#include "pp_error.h"

#include <czmq.h>

/*  The first pass: ranges matter only in the second.                      */
static int
s_skip_range (void *arg, uint64_t first, uint64_t n)
{
    (void) arg, (void) first, (void) n;
    return 0;
}

/*  Records the n seqs from first; base moves past what they complete.
    A seq past the window cannot be: the journal is not one of ours.      */
static int
s_record_range (void *arg, uint64_t first, uint64_t n)
{
    sink_ledger_t *ledger = arg;
    if (n > UINT64_MAX - first)
        return PP_EPROTO; /* past the last seq there can be             */
    uint64_t base = sink_ledger_base (ledger);
    if (first + n <= base)
        return 0; /* all below base: known already                      */
    for (uint64_t seq = first > base ? first : base; seq < first + n; seq++) {
        if (sink_ledger_record (ledger, seq) == SINK_LEDGER_OUT_OF_WINDOW)
            return PP_EPROTO;
        const char *data;
        size_t len;
        while (sink_ledger_advance (ledger, &data, &len))
            ; /* not ordered: nothing is held                           */
    }
    return 0;
}

int
sink_replay_load (const char *path, sink_checkpoint_t *cp,
                  sink_ledger_t **ledger_p)
{
    const char *why = NULL;
    *ledger_p = NULL;
    int rc = sink_journal_read (path, cp, s_skip_range, NULL);
    if (rc == 0)
        why = "it holds no complete checkpoint";
    else if (rc == 1 && cp->window == 0)
        why = "its checkpoint has a window of 0";
    else if (rc == 1 && !(*ledger_p = sink_ledger_new (cp->window, false)))
        rc = PP_ENOMEM;
    else if (rc == 1) {
        rc = sink_journal_read (path, cp, s_record_range, *ledger_p);
        if (rc == PP_EPROTO)
            why = "a journaled seq is outside the run's window";
    }
    if (rc == 1 && !why)
        return 0;
    if (why || rc >= 0)
        rc = PP_EPROTO;
    sink_ledger_destroy (ledger_p);
    zsys_error ("--resume: cannot resume from %s: %s", path,
                why ? why : pp_strerror (rc));
    return rc;
}
