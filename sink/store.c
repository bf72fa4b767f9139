/*  sink_store: the output and its journal, checkpoints and --resume
    (store.h).                                                             */

#include "store.h"
#include "pp_error.h"
#include "replay.h"

#include <czmq.h>
#include <sys/stat.h>
#include <unistd.h>

struct _sink_store_t {
    const char *path;        /* --output, or NULL for stdout           */
    sink_output_t *output;   /* the results                            */
    sink_journal_t *journal; /* FILE.journal, or NULL                  */
    char *journal_path;      /* its path (for an --output FILE)        */
    bool checkpointed;       /* the journal holds a checkpoint of ours */
    uint64_t vouched;        /* outcomes the last checkpoint vouches for */
    uint64_t side_keep[2];   /* --resume: --joblog, --failed lengths    */
    uint64_t compact_at;     /* journal bytes that make it compacted    */
};

/*  A journal is compacted once it holds this much, and four times what the
    last compaction left: every checkpoint appends its ranges, and a run
    of small windows (each result a checkpoint of its own) would grow it
    without end -- 10^4 items at --window 4 filled a 1 MiB disk.          */
#define S_COMPACT_MIN (256 * 1024)

void
sink_store_destroy (sink_store_t **self_p, bool completed)
{
    if (!self_p || !*self_p)
        return;
    sink_store_t *self = *self_p;
    sink_journal_destroy (&self->journal, completed);
    free (self->journal_path);
    sink_output_destroy (&self->output);
    free (self);
    *self_p = NULL;
}

sink_output_t *
sink_store_output (sink_store_t *self)
{
    return self->output;
}

uint64_t
sink_store_side_keep (const sink_store_t *self, int which)
{
    return self && (which == 0 || which == 1) ? self->side_keep[which]
                                              : SINK_OFFSET_NONE;
}

bool
sink_store_journaled (const sink_store_t *self)
{
    return self->journal != NULL;
}

int
sink_store_flush (sink_store_t *self)
{
    if (sink_output_flush (self->output) == 0)
        return 0;
    zsys_error ("cannot write results to %s: %s",
                sink_output_name (self->output),
                strerror (sink_output_error (self->output)));
    return PP_EIO;
}

int
sink_store_checkpoint (sink_store_t *self, const sink_checkpoint_t *cp,
                       const uint64_t *first, const uint64_t *n, uint32_t count)
{
    if (sink_store_flush (self) != 0)
        return PP_EIO;
    if (!self->journal)
        return 0;
    sink_checkpoint_t full = *cp;
    if (sink_output_offset (self->output, &full.offset) != 0) {
        zsys_error ("cannot tell the length of %s: %s", self->path,
                    strerror (errno));
        return PP_EIO;
    }
    full.int_sum = sink_output_sum (self->output);
    full.not_summed = sink_output_not_summed (self->output);
    if (sink_journal_write (self->journal, &full, first, n, count) != 0) {
        zsys_error ("cannot write the journal %s: %s", self->journal_path,
                    strerror (errno));
        return PP_EIO;
    }
    self->checkpointed = true;
    self->vouched = full.ok + full.failed + full.dropped;
    return 0;
}

bool
sink_store_explain_stop (const sink_store_t *self)
{
    if (self->checkpointed)
        zsys_error ("stopped, nothing lost: %llu outcomes are safely in %s "
                    "and its journal %s; the ventilator holds the rest. "
                    "Free space (or fix the cause), then run the same "
                    "pp-sink command with --resume to finish the run",
                    (unsigned long long) self->vouched, self->path,
                    self->journal_path);
    else if (self->journal)
        zsys_error ("stopped; nothing was acked since this sink started: "
                    "fix the cause and run the same pp-sink command again");
    else
        zsys_error ("stopped: without a journal (stdout, not a regular "
                    "file, or --ordered) the run cannot be resumed, so the "
                    "ventilator is asked to abort it");
    return self->journal != NULL;
}

/*  Starts the journal afresh with one checkpoint of everything known: cp
    and the ledger's seqs, [0, base) and the recorded ones above it. Keeps
    journals small. One record: the old journal is replaced whole, or (a
    full disk) kept.                                                       */
static int
s_compact (sink_store_t *self, const sink_checkpoint_t *cp,
           const sink_ledger_t *ledger)
{
    /*  Recorded and missing seqs alternate at worst: half the window's
        ranges above base, and [0, base).                                  */
    uint32_t max = sink_ledger_window (ledger) / 2 + 2;
    uint64_t *first = calloc (max, sizeof (uint64_t));
    uint64_t *n = calloc (max, sizeof (uint64_t));
    uint64_t next;
    int rc = first && n ? 0 : PP_ENOMEM;
    uint32_t count =
        rc ? 0 : sink_ledger_ranges (ledger, 0, first, n, max, &next);
    if (rc == 0 &&
        !(self->journal = sink_journal_create (self->journal_path))) {
        zsys_error ("cannot create %s.new: %s", self->journal_path,
                    strerror (errno));
        rc = PP_EIO;
    }
    if (rc == 0)
        rc = sink_store_checkpoint (self, cp, first, n, count);
    free (first);
    free (n);
    uint64_t left = sink_journal_size (self->journal);
    self->compact_at = left * 4 > S_COMPACT_MIN ? left * 4 : S_COMPACT_MIN;
    return rc;
}

int
sink_store_compact (sink_store_t *self, const sink_checkpoint_t *cp,
                    const sink_ledger_t *ledger)
{
    uint64_t due = self->compact_at ? self->compact_at : S_COMPACT_MIN;
    if (!self->journal || sink_journal_size (self->journal) < due)
        return 0;
    sink_journal_t *old = self->journal;
    self->journal = NULL;
    if (s_compact (self, cp, ledger) == 0) {
        sink_journal_destroy (&old, false); /* renamed over: its inode   */
        return 0;
    }
    /*  The old journal is whole (the new one is renamed over it only once
        it holds its checkpoint): it goes on, and the next checkpoint says
        whether the disk is full.                                          */
    sink_journal_destroy (&self->journal, false);
    self->journal = old;
    self->compact_at = sink_journal_size (old) * 2;
    zsys_warning ("%s: could not be compacted; it goes on growing",
                  self->journal_path);
    return PP_EIO;
}

/*  --resume: rebuilds the run from the journal, cuts the output back to
    what its last checkpoint vouches for, and compacts the journal.
    Returns 0 or an error (logged).                                        */
static int
s_resume (sink_store_t *self, const sink_options_t *opt, pp_counts_t *counts,
          sink_ledger_t **ledger_p)
{
    sink_checkpoint_t cp;
    int rc = sink_replay_load (self->journal_path, &cp, ledger_p);
    if (rc != 0)
        return rc;
    self->output =
        sink_output_new_resumed (self->path, cp.offset, opt->delim, opt->sum);
    if (!self->output)
        return PP_EIO;
    sink_output_set_sum (self->output, cp.int_sum, cp.not_summed);
    self->side_keep[0] = cp.joblog_offset;
    self->side_keep[1] = cp.failed_offset;
    counts->run_id = cp.run_id;
    counts->ok = cp.ok;
    counts->failed = cp.failed;
    counts->dropped = cp.dropped;
    counts->duplicates = cp.duplicates;
    zsys_notice ("resuming run %016llx: %llu outcomes already in %s",
                 (unsigned long long) cp.run_id,
                 (unsigned long long) (cp.ok + cp.failed + cp.dropped),
                 self->path);
    rc = s_compact (self, &cp, *ledger_p);
    if (rc != 0)
        sink_store_explain_stop (self);
    return rc;
}

/*  Refuses (exit 2), touching nothing, to resume without a journal, or to
    start afresh over a file whose journal holds an unfinished run.        */
static void
s_check_journal (const sink_store_t *self, bool resume)
{
    bool live = access (self->journal_path, F_OK) == 0;
    if (resume && !live)
        pp_cli_usage_error ("--resume: no journal %s beside --output %s, so "
                            "there is no run to resume (a completed run "
                            "removes it); without --resume, %s is started "
                            "afresh",
                            self->journal_path, self->path, self->path);
    if (!resume && live)
        pp_cli_usage_error ("--output %s: its journal %s holds an unfinished "
                            "run; add --resume to continue it, or remove the "
                            "journal to start afresh (that empties %s)",
                            self->path, self->journal_path, self->path);
}

/*  An --output FILE: continued (--resume) or started afresh, with a
    journal when it is a regular file. Returns 0 or an error (logged).     */
static int
s_open_file (sink_store_t *self, const sink_options_t *opt, pp_counts_t *counts,
             sink_ledger_t **ledger_p)
{
    struct stat st;
    bool regular = stat (self->path, &st) != 0 || S_ISREG (st.st_mode);
    if (!regular && opt->resume)
        pp_cli_usage_error ("--resume needs --output to be a regular file, "
                            "not %s",
                            self->path);
    if (!(self->journal_path = malloc (strlen (self->path) + 9)))
        return PP_ENOMEM;
    sprintf (self->journal_path, "%s.journal", self->path);
    s_check_journal (self, opt->resume);
    if (opt->resume)
        return s_resume (self, opt, counts, ledger_p);
    self->output = sink_output_new (self->path, opt->delim, opt->sum);
    if (!self->output)
        return PP_EIO;
    /*  A journal only for a regular file: /dev/null or a FIFO cannot be
        cut back and resumed (and /dev is not ours to write in).           */
    if (opt->ordered || !regular)
        return 0;
    self->journal = sink_journal_create (self->journal_path);
    if (!self->journal)
        zsys_error ("--output: cannot create the journal %s.new beside it "
                    "(for --resume): %s",
                    self->journal_path, strerror (errno));
    return self->journal ? 0 : PP_EIO;
}

sink_store_t *
sink_store_new (const sink_options_t *opt, pp_counts_t *counts,
                sink_ledger_t **ledger_p)
{
    sink_store_t *self = calloc (1, sizeof (sink_store_t));
    if (!self) {
        zsys_error ("out of memory");
        return NULL;
    }
    self->path = opt->output_path;
    int rc = 0;
    if (self->path)
        rc = s_open_file (self, opt, counts, ledger_p);
    else if (!(self->output = sink_output_new (NULL, opt->delim, opt->sum)))
        rc = PP_ENOMEM;
    if (rc != 0) {
        sink_ledger_destroy (ledger_p);
        sink_store_destroy (&self, false);
    }
    return self;
}
