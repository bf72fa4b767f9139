/*  pp_stats: counters, latency histogram, worker table, rendering.

    The histogram is log-linear: 16 sub-buckets per power of two, so every
    percentile is within about 6% of the truth and memory is fixed.        */

#include "pp_stats.h"
#include "pp_ctl.h"
#include "pp_text.h"
#include "pp_error.h"
#include "pp_idmap.h"
#include "pp_net.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define S_SUB 16
#define S_BUCKETS (64 * S_SUB)
#define S_REASON 200
#define S_HOST 260 /* a 64-byte host as text: each byte escaped, at most */
#define S_HALTED 400
#define S_RENAMED 16 /* workers that gave up an id, remembered   */

typedef struct {
    uint32_t id;
    bool said_hello;
    pp_hello_t hello;
    char host[S_HOST]; /* hello.host as text (pp_text_escape)       */
    uint64_t items;
} s_worker_t;

typedef struct {
    uint64_t seq;
    uint64_t record; /* 1-based input record (0: not known)          */
    uint8_t outcome;
    uint32_t worker_id;
    char reason[S_REASON];
    char input[S_REASON]; /* the start of the item, when the worker sent it */
} s_failure_t;

struct _pp_stats_t {
    pp_counts_t st_counts;
    uint64_t st_hist[S_BUCKETS]; /* latency, log-linear buckets          */
    uint64_t st_samples;         /* latencies in st_hist: outcomes recorded
                                    here (the counts may hold more)     */
    uint64_t st_max_us;
    int64_t st_first_ms; /* first and last outcome, monotonic    */
    int64_t st_last_ms;
    s_worker_t *st_workers;
    size_t st_nworkers, st_cap_workers;
    pp_idmap_t *st_worker_at; /* worker id + 1 -> index in st_workers */
    s_failure_t st_failures[PP_STATS_FAILURES];
    size_t st_nfailures;
    uint64_t st_missing_first[PP_STATS_FAILURES]; /* first missing ranges */
    uint64_t st_missing_n[PP_STATS_FAILURES];
    size_t st_nmissing;
    char st_halted[S_HALTED]; /* why --halt stopped the run, or ""    */
    struct {
        uint32_t id;
        pp_hello_t hello;
    } st_renamed[S_RENAMED]; /* the last workers that gave up an id  */
    size_t st_nrenamed;
};

pp_stats_t *
pp_stats_new (void)
{
    return calloc (1, sizeof (pp_stats_t));
}

void
pp_stats_destroy (pp_stats_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free ((*self_p)->st_workers);
    pp_idmap_destroy (&(*self_p)->st_worker_at);
    free (*self_p);
    *self_p = NULL;
}

pp_counts_t *
pp_stats_counts (pp_stats_t *self)
{
    return &self->st_counts;
}

/*  The worker id, found or added (in O(1): a sink hears thousands of
    workers); NULL on OOM.                                                 */
static s_worker_t *
s_worker (pp_stats_t *self, uint32_t id)
{
    uint32_t at;
    if (!self->st_worker_at && !(self->st_worker_at = pp_idmap_new ()))
        return NULL;
    if (pp_idmap_get (self->st_worker_at, (uint64_t) id + 1, &at))
        return &self->st_workers[at];
    if (self->st_nworkers == self->st_cap_workers) {
        size_t cap = self->st_cap_workers ? 2 * self->st_cap_workers : 16;
        s_worker_t *grown =
            realloc (self->st_workers, cap * sizeof (s_worker_t));
        if (!grown)
            return NULL;
        self->st_workers = grown;
        self->st_cap_workers = cap;
    }
    if (pp_idmap_put (self->st_worker_at, (uint64_t) id + 1,
                      (uint32_t) self->st_nworkers) != 0)
        return NULL;
    s_worker_t *worker = &self->st_workers[self->st_nworkers++];
    memset (worker, 0, sizeof (*worker));
    worker->id = id;
    return worker;
}

static size_t
s_bucket (uint64_t us)
{
    if (us < S_SUB)
        return (size_t) us;
    int msb = 63 - __builtin_clzll (us);
    size_t sub = (size_t) (us >> (msb - 4)) & (S_SUB - 1);
    return (size_t) (msb - 3) * S_SUB + sub;
}

static uint64_t
s_bucket_value (size_t bucket)
{
    if (bucket < S_SUB)
        return bucket;
    int msb = (int) (bucket / S_SUB) + 3;
    uint64_t sub = bucket % S_SUB;
    return ((S_SUB + sub) << (msb - 4)) + ((1ULL << (msb - 4)) / 2);
}

/*  Copies len bytes as text (S_REASON bytes at most): valid UTF-8, cut
    on a character boundary, control and invalid bytes escaped.           */
static void
s_copy_text (char *to, const char *from, size_t len)
{
    pp_text_escape (to, S_REASON, from, len);
}

void
pp_stats_outcome (pp_stats_t *self, uint32_t worker_id, const pp_record_t *rec,
                  uint64_t latency_us, int64_t now_ms)
{
    pp_counts_t *counts = &self->st_counts;
    if (self->st_samples++ == 0)
        self->st_first_ms = now_ms;
    self->st_last_ms = now_ms;
    if (rec->outcome == PP_OUTCOME_OK)
        counts->ok++;
    else if (rec->outcome == PP_OUTCOME_FAILED)
        counts->failed++;
    else
        counts->dropped++;
    if (rec->attempt > 0)
        counts->redelivered++;
    self->st_hist[s_bucket (latency_us)]++;
    if (latency_us > self->st_max_us)
        self->st_max_us = latency_us;
    s_worker_t *worker = s_worker (self, worker_id);
    if (worker)
        worker->items++;
    if (rec->outcome != PP_OUTCOME_OK &&
        self->st_nfailures < PP_STATS_FAILURES) {
        s_failure_t *failure = &self->st_failures[self->st_nfailures++];
        failure->seq = rec->seq;
        failure->record = rec->record;
        failure->outcome = rec->outcome;
        failure->worker_id = worker_id;
        s_copy_text (failure->reason, rec->data, rec->len);
        s_copy_text (failure->input, rec->input ? rec->input : "",
                     rec->input_len);
    }
}

size_t
pp_stats_worker_ids (const pp_stats_t *self, uint32_t *ids, size_t max)
{
    for (size_t i = 0; i < self->st_nworkers && i < max; i++)
        ids[i] = self->st_workers[i].id;
    return self->st_nworkers;
}

/*  True when the worker of hello gave up worker_id (a RENAME): its HELLO
    under it, late, does not describe the row.                            */
static bool
s_renamed (const pp_stats_t *self, uint32_t worker_id, const pp_hello_t *hello)
{
    for (size_t i = 0; i < self->st_nrenamed && i < S_RENAMED; i++)
        if (self->st_renamed[i].id == worker_id &&
            pp_ctl_same_worker (&self->st_renamed[i].hello, hello))
            return true;
    return false;
}

void
pp_stats_renamed (pp_stats_t *self, uint32_t worker_id,
                  const pp_hello_t *worker, const pp_hello_t *owner)
{
    size_t at = self->st_nrenamed++ % S_RENAMED;
    self->st_renamed[at].id = worker_id;
    self->st_renamed[at].hello = *worker;
    self->st_renamed[at].hello.host[sizeof (worker->host) - 1] = '\0';
    uint32_t row;
    if (self->st_worker_at &&
        pp_idmap_get (self->st_worker_at, (uint64_t) worker_id + 1, &row) &&
        self->st_workers[row].said_hello &&
        s_renamed (self, worker_id, &self->st_workers[row].hello))
        pp_stats_hello (self, worker_id, owner);
}

void
pp_stats_hello (pp_stats_t *self, uint32_t worker_id, const pp_hello_t *hello)
{
    if (s_renamed (self, worker_id, hello))
        return;
    s_worker_t *worker = s_worker (self, worker_id);
    if (worker) {
        worker->hello = *hello;
        worker->said_hello = true;
        pp_text_escape (worker->host, sizeof (worker->host), hello->host,
                        strnlen (hello->host, sizeof (hello->host)));
    }
}

const char *
pp_stats_host (pp_stats_t *self, uint32_t worker_id)
{
    s_worker_t *worker = s_worker (self, worker_id);
    return worker && worker->said_hello ? worker->host : NULL;
}

void
pp_stats_halted (pp_stats_t *self, const char *why)
{
    snprintf (self->st_halted, sizeof (self->st_halted), "%s", why);
}

void
pp_stats_missing (pp_stats_t *self, uint64_t first, uint64_t n)
{
    self->st_counts.missing += n;
    if (n > 0 && self->st_nmissing < PP_STATS_FAILURES) {
        self->st_missing_first[self->st_nmissing] = first;
        self->st_missing_n[self->st_nmissing++] = n;
    }
}

uint64_t
pp_stats_done (const pp_stats_t *self)
{
    const pp_counts_t *c = &self->st_counts;
    return c->ok + c->failed + c->dropped;
}

double
pp_stats_elapsed (const pp_stats_t *self)
{
    return (double) (self->st_last_ms - self->st_first_ms) / 1000.0;
}

uint64_t
pp_stats_latency (const pp_stats_t *self, double percentile)
{
    if (self->st_samples == 0)
        return 0;
    uint64_t rank =
        (uint64_t) (percentile / 100.0 * (double) self->st_samples + 0.5);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (size_t b = 0; b < S_BUCKETS; b++) {
        seen += self->st_hist[b];
        if (seen >= rank) {
            uint64_t value = s_bucket_value (b);
            return value > self->st_max_us ? self->st_max_us : value;
        }
    }
    return self->st_max_us;
}

static double
s_rate (const pp_stats_t *self)
{
    double elapsed = pp_stats_elapsed (self);
    return elapsed > 0 ? (double) pp_stats_done (self) / elapsed : 0;
}

/*  The line saying what an incomplete run lacks, by seq: the sink cannot
    know the input record of an item it never heard of (--skip and the
    ventilator's drops shift them), so it does not guess seq + 1. Without
    the run's total (its drain never heard) more may be missing.          */
static void
s_print_missing (const pp_stats_t *self, FILE *out)
{
    const pp_counts_t *c = &self->st_counts;
    if (c->complete)
        return;
    fprintf (out, "  missing: %s%llu items without an outcome",
             c->total_known ? "" : "at least ",
             (unsigned long long) c->missing);
    uint64_t shown = 0;
    for (size_t i = 0; i < self->st_nmissing; i++) {
        uint64_t first = self->st_missing_first[i];
        uint64_t n = self->st_missing_n[i];
        fprintf (out, "%s%llu", i ? ", " : " (seqs ",
                 (unsigned long long) first);
        if (n > 1)
            fprintf (out, "-%llu", (unsigned long long) (first + n - 1));
        shown += n;
    }
    if (self->st_nmissing > 0)
        fprintf (out, "%s)", shown < c->missing ? ", ..." : "");
    fprintf (out, "%s\n",
             c->total_known ? "" : "; the run's total is not known");
}

uint64_t
pp_stats_peak_rss_kib (void)
{
    struct rusage usage;
    if (getrusage (RUSAGE_SELF, &usage) != 0 || usage.ru_maxrss < 0)
        return 0;
    return (uint64_t) usage.ru_maxrss; /* Linux: in KiB                   */
}

void
pp_stats_print (const pp_stats_t *self, FILE *out)
{
    const pp_counts_t *c = &self->st_counts;
    fprintf (out, "run %016llx %s\n", (unsigned long long) c->run_id,
             c->aborted    ? "ABORTED"
             : c->complete ? "completed"
                           : "INCOMPLETE");
    fprintf (out,
             "  total: %llu  ok: %llu  failed: %llu  dropped: %llu\n"
             "  duplicates suppressed: %llu  redelivered: %llu\n",
             (unsigned long long) pp_stats_done (self),
             (unsigned long long) c->ok, (unsigned long long) c->failed,
             (unsigned long long) c->dropped,
             (unsigned long long) c->duplicates,
             (unsigned long long) c->redelivered);
    fprintf (out, "  elapsed: %.3f s  rate: %.0f items/s\n",
             pp_stats_elapsed (self), s_rate (self));
    fprintf (out,
             "  latency: p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  max %.3f ms\n",
             pp_stats_latency (self, 50) / 1000.0,
             pp_stats_latency (self, 90) / 1000.0,
             pp_stats_latency (self, 99) / 1000.0, self->st_max_us / 1000.0);
    fprintf (out, "  peak memory: %llu KiB (this sink's peak RSS)\n",
             (unsigned long long) pp_stats_peak_rss_kib ());
    s_print_missing (self, out);
    uint64_t rejected = 0;
    for (int r = 0; r < PP_REJECT_COUNT; r++)
        rejected += c->rejects[r];
    if (rejected > 0) {
        fprintf (out, "  rejected frames:");
        for (int r = 0; r < PP_REJECT_COUNT; r++)
            if (c->rejects[r])
                fprintf (out, " %s %llu", pp_reject_name ((pp_reject_t) r),
                         (unsigned long long) c->rejects[r]);
        fprintf (out, "\n");
    }
    if (self->st_halted[0])
        fprintf (out, "  halted: %s\n", self->st_halted);
    if (c->handshake_failures > 0)
        fprintf (out, "  handshake failures: %llu (see the log)\n",
                 (unsigned long long) c->handshake_failures);
    for (size_t i = 0; i < self->st_nfailures; i++) {
        const s_failure_t *f = &self->st_failures[i];
        fprintf (out, "  %s record %llu (seq %llu): %s",
                 f->outcome == PP_OUTCOME_DROPPED ? "dropped" : "failed",
                 (unsigned long long) f->record, (unsigned long long) f->seq,
                 f->reason);
        if (f->input[0])
            fprintf (out, "  (input: %s)", f->input);
        fprintf (out, "\n");
    }
    fprintf (out, "  %-8s %-20s %8s %7s %10s %6s\n", "worker", "host", "pid",
             "threads", "items", "share");
    for (size_t i = 0; i < self->st_nworkers; i++) {
        const s_worker_t *w = &self->st_workers[i];
        double share = pp_stats_done (self) ? 100.0 * (double) w->items /
                                                  (double) pp_stats_done (self)
                                            : 0;
        fprintf (out, "  %08x %-20s %8u %7u %10llu %5.1f%%\n", w->id,
                 w->said_hello ? w->host : "?", w->hello.pid, w->hello.threads,
                 (unsigned long long) w->items, share);
    }
}

static void
s_json_string (FILE *out, const char *text)
{
    fputc ('"', out);
    for (const unsigned char *p = (const unsigned char *) text; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf (out, "\\%c", *p);
        else if (*p < 0x20)
            fprintf (out, "\\u%04x", *p);
        else
            fputc (*p, out);
    }
    fputc ('"', out);
}

static void
s_json_workers (const pp_stats_t *self, FILE *out)
{
    fprintf (out, "  \"workers\": [");
    for (size_t i = 0; i < self->st_nworkers; i++) {
        const s_worker_t *w = &self->st_workers[i];
        fprintf (out, "%s\n    {\"id\": \"%08x\", \"host\": ", i ? "," : "",
                 w->id);
        s_json_string (out, w->said_hello ? w->host : "");
        fprintf (out, ", \"pid\": %u, \"threads\": %u, \"items\": %llu}",
                 w->hello.pid, w->hello.threads, (unsigned long long) w->items);
    }
    fprintf (out, "\n  ],\n  \"failures\": [");
    for (size_t i = 0; i < self->st_nfailures; i++) {
        fprintf (out,
                 "%s\n    {\"seq\": %llu, \"record\": %llu, "
                 "\"worker\": \"%08x\", \"reason\": ",
                 i ? "," : "", (unsigned long long) self->st_failures[i].seq,
                 (unsigned long long) self->st_failures[i].record,
                 self->st_failures[i].worker_id);
        s_json_string (out, self->st_failures[i].reason);
        fprintf (out, ", \"input\": ");
        s_json_string (out, self->st_failures[i].input);
        fprintf (out, "}");
    }
    fprintf (out, "\n  ]\n");
}

static void
s_json_missing (const pp_stats_t *self, FILE *out)
{
    const pp_counts_t *c = &self->st_counts;
    fprintf (out,
             "  \"complete\": %s,\n  \"total_known\": %s,\n"
             "  \"missing\": %llu,\n  \"missing_ranges\": [",
             c->complete ? "true" : "false", c->total_known ? "true" : "false",
             (unsigned long long) c->missing);
    for (size_t i = 0; i < self->st_nmissing; i++)
        fprintf (out, "%s{\"seq\": %llu, \"n\": %llu}", i ? ", " : "",
                 (unsigned long long) self->st_missing_first[i],
                 (unsigned long long) self->st_missing_n[i]);
    fprintf (out, "],\n");
}

int
pp_stats_write_json (const pp_stats_t *self, const char *path)
{
    FILE *out = fopen (path, "w");
    if (!out)
        return PP_EIO;
    const pp_counts_t *c = &self->st_counts;
    fprintf (out, "{\n  \"run_id\": \"%016llx\",\n",
             (unsigned long long) c->run_id);
    fprintf (out,
             "  \"total\": %llu,\n  \"ok\": %llu,\n  \"failed\": %llu,\n"
             "  \"dropped\": %llu,\n  \"duplicates\": %llu,\n"
             "  \"redelivered\": %llu,\n",
             (unsigned long long) pp_stats_done (self),
             (unsigned long long) c->ok, (unsigned long long) c->failed,
             (unsigned long long) c->dropped,
             (unsigned long long) c->duplicates,
             (unsigned long long) c->redelivered);
    fprintf (out, "  \"elapsed_s\": %.6f,\n  \"items_per_s\": %.1f,\n",
             pp_stats_elapsed (self), s_rate (self));
    fprintf (out, "  \"aborted\": %s,\n  \"halted\": ",
             c->aborted ? "true" : "false");
    s_json_string (out, self->st_halted); /* "": not halted           */
    fprintf (out, ",\n");
    s_json_missing (self, out);
    fprintf (out,
             "  \"latency_us\": {\"p50\": %llu, \"p90\": %llu, "
             "\"p99\": %llu, \"max\": %llu},\n",
             (unsigned long long) pp_stats_latency (self, 50),
             (unsigned long long) pp_stats_latency (self, 90),
             (unsigned long long) pp_stats_latency (self, 99),
             (unsigned long long) self->st_max_us);
    fprintf (out, "  \"rejected\": {");
    for (int r = 0; r < PP_REJECT_COUNT; r++)
        fprintf (out, "%s\"%s\": %llu", r ? ", " : "",
                 pp_reject_name ((pp_reject_t) r),
                 (unsigned long long) c->rejects[r]);
    fprintf (out, "},\n");
    fprintf (out, "  \"handshake_failures\": %llu,\n",
             (unsigned long long) c->handshake_failures);
    fprintf (out, "  \"peak_rss_kib\": %llu,\n",
             (unsigned long long) pp_stats_peak_rss_kib ());
    s_json_workers (self, out);
    fprintf (out, "}\n");
    return fclose (out) == 0 ? 0 : PP_EIO;
}
