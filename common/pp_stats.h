/*  pp_stats: the sink's account of a run -- outcome counters, a latency
    histogram, the per-worker table, the failures worth showing -- and its
    two renderings: the human summary and the --stats-json document.       */

#ifndef PP_STATS_H_INCLUDED
#define PP_STATS_H_INCLUDED

#include "pp_wire.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define PP_STATS_FAILURES 10 /* failures kept with their reasons        */

typedef struct _pp_stats_t pp_stats_t;

/*  Counters, readable and writable by the owner (one thread).             */
typedef struct {
    uint64_t run_id;
    uint64_t total; /* items in the run, once known               */
    bool total_known;
    uint64_t ok, failed, dropped;
    uint64_t duplicates;  /* deliveries suppressed as already recorded  */
    uint64_t redelivered; /* recorded outcomes of a redelivered item    */
    uint64_t rejects[PP_REJECT_COUNT];
    bool aborted;
    bool complete;       /* every item of the run has an outcome       */
    uint64_t missing;    /* seqs known to the sink without an outcome  */
    int64_t int_sum;     /* --sum: int64 sum of ok results             */
    uint64_t not_summed; /* --sum: ok results that were not integers   */
    uint64_t handshake_failures; /* refused connections (pp_netmon)   */
} pp_counts_t;

/*  New, empty stats; the clock starts at the first outcome.               */
pp_stats_t *pp_stats_new (void);
void pp_stats_destroy (pp_stats_t **self_p);

/*  The counters, to read and update.                                      */
pp_counts_t *pp_stats_counts (pp_stats_t *self);

/*  Records one outcome from worker_id with its enqueue-to-sink latency
    in microseconds, at now_ms (pp_now_ms: the caller reads the clock once
    per message, not per item -- a clock read cost as much as the rest).  */
void pp_stats_outcome (pp_stats_t *self, uint32_t worker_id,
                       const pp_record_t *rec, uint64_t latency_us,
                       int64_t now_ms);

/*  Records what a worker said about itself.                               */
void pp_stats_hello (pp_stats_t *self, uint32_t worker_id,
                     const pp_hello_t *hello);

/*  worker_id was two workers' (a RENAME): worker gives it up, owner keeps
    it. worker's HELLO under it describes the row no more, now or when it
    comes late (the last S_RENAMED such workers are remembered): the row
    says owner.                                                            */
void pp_stats_renamed (pp_stats_t *self, uint32_t worker_id,
                       const pp_hello_t *worker, const pp_hello_t *owner);

/*  The host worker_id said it runs on, as text (valid UTF-8, control
    bytes escaped), or NULL before its HELLO.                              */
const char *pp_stats_host (pp_stats_t *self, uint32_t worker_id);

/*  Records why --halt stopped the run (text), for the summary and JSON.   */
void pp_stats_halted (pp_stats_t *self, const char *why);

/*  Copies the ids of the workers heard from (a hello or an outcome), max
    at most, to ids; returns how many there are (may be more than max).  */
size_t pp_stats_worker_ids (const pp_stats_t *self, uint32_t *ids, size_t max);

/*  Records that the n seqs from first have no outcome (a run that did not
    complete): counted in missing, the first ranges kept to be shown.      */
void pp_stats_missing (pp_stats_t *self, uint64_t first, uint64_t n);

/*  Outcomes recorded so far (ok + failed + dropped).                      */
uint64_t pp_stats_done (const pp_stats_t *self);

/*  Seconds from the first outcome recorded by pp_stats_outcome to the
    last (outcomes the owner counted itself have no time).                 */
double pp_stats_elapsed (const pp_stats_t *self);

/*  Latency percentile (0..100) in microseconds of the outcomes recorded
    by pp_stats_outcome (nearest rank, rounded), 0 when there are none.    */
uint64_t pp_stats_latency (const pp_stats_t *self, double percentile);

/*  This process's peak resident set size so far, in KiB (getrusage's
    ru_maxrss); 0 when it cannot be read. Each binary reports it in its
    last line: how much memory its buffers really took.                   */
uint64_t pp_stats_peak_rss_kib (void);

/*  Writes the human summary (with this process's peak memory).           */
void pp_stats_print (const pp_stats_t *self, FILE *out);

/*  Writes the JSON document to path (with this process's peak memory,
    "peak_rss_kib"). Returns 0 or PP_EIO.                                  */
int pp_stats_write_json (const pp_stats_t *self, const char *path);

#endif
