/*  vent_options: pp-ventilator's flags, defaults and --help.              */

#include "options.h"

#include <stdlib.h>

static const char *s_help_head =
    "Usage: pp-ventilator [OPTIONS] [FILE]\n"
    "Read records from FILE (or stdin), number them, and fan them out to\n"
    "every connected pp-worker; publish drain/abort on --control and wait\n"
    "for pp-sink to report every outcome. Binds --tasks, --control, --acks.\n"
    "\n"
    "Input:\n"
    "  FILE                records, one per line ('-' or none: stdin);\n"
    "                      a CRLF line ending counts as one newline\n"
    "  -0, --null          records are NUL-separated (byte-exact)\n"
    "  --generate N        the numbers 1..N instead of input\n"
    "  --workload N        N random sleep times of 1..100 ms (--job sleep)\n"
    "  --seed S            seed for --workload (default 1)\n"
    "  --skip N            skip the first N records (resume a drained run\n"
    "                      with the --skip it printed; never paced)\n"
    "Dispatch:\n"
    "  --window N          at most N items unacknowledged (default 65536)\n"
    "  --window-bytes S    and at most S bytes of them (default 32M; K/M/G):\n"
    "                      reading pauses at either bound; an item bigger\n"
    "                      than S goes alone. Records read ahead while\n"
    "                      the window is full take S/8 more at most\n"
    "  --ack-timeout D     send an item again if not acked in D (default "
    "10s;\n"
    "                      10ms at least: 0 would resend at once)\n"
    "  --batch N           items per message (default: adapts, 64 to 1024\n"
    "                      by the pace of the acks; 1 with --workload)\n"
    "  --rate R            dispatch R items per second on average since the\n"
    "                      start (after a stall it catches up at full speed)\n"
    "  --wait-workers N    hold dispatch until N workers said hello (push\n"
    "                      flow: and connected to --tasks, for <= 3 s more)\n"
    "  --retries N         send a failed item again up to N times\n"
    "                      (default 0); credit flow sends it to a worker\n"
    "                      it did not fail on whenever one is connected\n"
    "                      (it waits for that one's credit); push flow\n"
    "                      cannot choose (round-robin): it may land on\n"
    "                      the same worker. At most --max-deliver - 1.\n"
    "  --max-deliver N     deliver an item at most N times (default 5;\n"
    "                      0 = no limit, at most 255): a worker lost\n"
    "                      holding it, an --ack-timeout, a retried\n"
    "                      failure each count; past N it ends failed,\n"
    "                      \"gave up after N deliveries: <why>\", so a\n"
    "                      poison item cannot stall a run. The items\n"
    "                      lost beside a poison item end within 4\n"
    "                      deliveries: keep N >= 4\n"
    "  --linger D          once DONE, wait at most D for the sink and\n"
    "                      every worker that said hello to confirm it,\n"
    "                      then leave anyway (default 1s; 0: leave right\n"
    "                      after announcing DONE)\n"
    "  --drain-timeout D   a drain asked (a signal, a request) not complete\n"
    "                      after D becomes an abort (exit 3, the journal\n"
    "                      flushed; default 25s, within Slurm's 30s before\n"
    "                      SIGKILL; 0 = wait); given, it bounds the drain\n"
    "                      at the input's end too\n"
    "  --overflow P        when workers lag behind the input: block (stop\n"
    "                      reading, default), drop (count the record as\n"
    "                      dropped) or spill (queue it in --spill-dir)\n"
    "  --spill-dir DIR     where spill files go (default $TMPDIR or /tmp)\n"
    "Recovery:\n"
    "  --journal FILE      record the run in FILE (run id, numbering, a\n"
    "                      hash of what was numbered, acked items), so a\n"
    "                      killed ventilator can continue it; removed when\n"
    "                      the run completes\n"
    "  --resume            continue FILE's run: same run id, the input\n"
    "                      read again from the start and checked (a\n"
    "                      changed input is exit 2), acked items skipped,\n"
    "                      the others sent again; give the same command\n"
    "                      line plus --resume (stdin: pipe the same input\n"
    "                      in again); running workers and the sink carry\n"
    "                      on\n"
    "Credit flow (--flow credit):\n"
    "  --heartbeat D       workers beat every D (default 1s; 10ms at\n"
    "                      least)\n"
    "  --liveness N        a worker silent for N beats is dead and its\n"
    "                      items go to others (default 3); time this\n"
    "                      process was stopped does not count\n"
    "\n";
static const char *s_help_tail =
    "\n"
    "Signals: the first SIGINT/SIGTERM drains (stop reading, finish what\n"
    "was sent; with nothing sent yet, it ends the run at once, as\n"
    "aborted), the second aborts; SIGHUP (a closed terminal) counts as\n"
    "one unless ignored (nohup). Exit: 0 all ok, 1 error, 2 usage,\n"
    "3 aborted, 4 some items failed or were dropped.\n"
    "\n"
    "Examples:\n"
    "  pp-ventilator --generate 1000000 --wait-workers 4\n"
    "  pp-ventilator --workload 200 --seed 1 --wait-workers 2\n"
    "  find . -name '*.log' -print0 | pp-ventilator -0\n";

/*  Long options of pp-ventilator alone (the shared ones are below 2000). */
enum {
    S_GENERATE = 2000,
    S_WORKLOAD,
    S_SEED,
    S_SKIP,
    S_RATE,
    S_WINDOW,
    S_WINDOW_BYTES,
    S_ACK_TIMEOUT,
    S_BATCH,
    S_WAIT_WORKERS,
    S_LINGER,
    S_OVERFLOW,
    S_SPILL_DIR,
    S_HEARTBEAT,
    S_LIVENESS,
    S_RETRIES,
    S_MAX_DELIVER,
    S_DRAIN_TIMEOUT,
    S_JOURNAL,
    S_RESUME
};

static struct option s_longs[] = {
    PP_CLI_COMMON_OPTIONS,
    {"null", no_argument, 0, '0'},
    {"generate", required_argument, 0, S_GENERATE},
    {"workload", required_argument, 0, S_WORKLOAD},
    {"seed", required_argument, 0, S_SEED},
    {"skip", required_argument, 0, S_SKIP},
    {"rate", required_argument, 0, S_RATE},
    {"window", required_argument, 0, S_WINDOW},
    {"window-bytes", required_argument, 0, S_WINDOW_BYTES},
    {"ack-timeout", required_argument, 0, S_ACK_TIMEOUT},
    {"batch", required_argument, 0, S_BATCH},
    {"wait-workers", required_argument, 0, S_WAIT_WORKERS},
    {"linger", required_argument, 0, S_LINGER},
    {"overflow", required_argument, 0, S_OVERFLOW},
    {"spill-dir", required_argument, 0, S_SPILL_DIR},
    {"heartbeat", required_argument, 0, S_HEARTBEAT},
    {"liveness", required_argument, 0, S_LIVENESS},
    {"retries", required_argument, 0, S_RETRIES},
    {"max-deliver", required_argument, 0, S_MAX_DELIVER},
    {"drain-timeout", required_argument, 0, S_DRAIN_TIMEOUT},
    {"journal", required_argument, 0, S_JOURNAL},
    {"resume", no_argument, 0, S_RESUME},
    {0, 0, 0, 0}};

/*  A duration of at least 10ms (a tick finer than that is a mistake).    */
static int64_t
s_duration_10ms (const char *flag, const char *arg)
{
    int64_t ms = pp_cli_duration_ms (flag, arg);
    if (ms < 10)
        pp_cli_usage_error ("%s: %s is under 10ms", flag, arg);
    return ms;
}

/*  The input flags; false when c is none of them.                         */
static bool
s_input_option (vent_options_t *opt, int c, const char *arg)
{
    switch (c) {
        case '0': opt->delim = '\0'; break;
        case S_GENERATE:
            opt->generate = pp_cli_number ("--generate", arg, 0, INT64_MAX / 2);
            break;
        case S_WORKLOAD:
            opt->workload = pp_cli_number ("--workload", arg, 0, INT64_MAX / 2);
            break;
        case S_SEED:
            opt->seed = pp_cli_number ("--seed", arg, 0, INT64_MAX);
            break;
        case S_SKIP:
            opt->skip = pp_cli_number ("--skip", arg, 0, INT64_MAX);
            break;
        default: return false;
    }
    return true;
}

/*  The dispatch flags; false when c is none of them.                      */
static bool
s_dispatch_option (vent_options_t *opt, int c, const char *arg)
{
    switch (c) {
        case S_RATE:
            opt->rate = pp_cli_number ("--rate", arg, 1, 100000000);
            break;
        case S_WINDOW:
            opt->window = pp_cli_number ("--window", arg, 1, 1 << 24);
            break;
        case S_WINDOW_BYTES:
            opt->window_bytes = pp_cli_size ("--window-bytes", arg); /* > 0 */
            break;
        case S_ACK_TIMEOUT:
            opt->ack_timeout_ms = s_duration_10ms ("--ack-timeout", arg);
            break;
        case S_BATCH:
            opt->batch = pp_cli_number ("--batch", arg, 1, 65536);
            break;
        case S_WAIT_WORKERS:
            opt->wait_workers =
                pp_cli_number ("--wait-workers", arg, 0, VENT_MAX_HELLOS);
            break;
        case S_RETRIES:
            opt->retries = (uint32_t) pp_cli_number ("--retries", arg, 0, 100);
            break;
        case S_MAX_DELIVER:
            opt->max_deliver =
                (uint32_t) pp_cli_number ("--max-deliver", arg, 0, 255);
            break;
        case S_LINGER:
            opt->linger_ms = pp_cli_duration_ms ("--linger", arg);
            break;
        case S_DRAIN_TIMEOUT:
            opt->drain_timeout_ms = pp_cli_duration_ms ("--drain-timeout", arg);
            opt->drain_timeout_given = true;
            break;
        case S_JOURNAL: opt->journal = arg; break;
        case S_RESUME: opt->resume = true; break;
        default: return false;
    }
    return true;
}

/*  The overflow and credit-flow flags; false when c is none of them.      */
static bool
s_flow_option (vent_options_t *opt, int c, const char *arg)
{
    switch (c) {
        case S_OVERFLOW:
            opt->overflow = pp_cli_overflow ("--overflow", arg);
            break;
        case S_SPILL_DIR: opt->spill_dir = arg; break;
        case S_HEARTBEAT:
            opt->heartbeat_ms = s_duration_10ms ("--heartbeat", arg);
            break;
        case S_LIVENESS:
            opt->liveness = (int) pp_cli_number ("--liveness", arg, 1, 1000);
            break;
        default: return false;
    }
    return true;
}

/*  After the flags: FILE, one input at most, defaults that depend on
    other flags, endpoints and protected mode.                             */
static void
s_finish (vent_options_t *opt, int argc, char **argv)
{
    if (opt->overflow == PP_OVERFLOW_SPILL && !opt->spill_dir)
        opt->spill_dir = getenv ("TMPDIR") ? getenv ("TMPDIR") : "/tmp";
    if (optind < argc)
        opt->path = argv[optind++];
    if (optind < argc)
        pp_cli_usage_error ("unexpected argument '%s' (one FILE at most)",
                            argv[optind]);
    int sources =
        (opt->path != NULL) + (opt->generate > 0) + (opt->workload > 0);
    if (sources > 1)
        pp_cli_usage_error ("give one input: FILE, --generate or --workload");
    if (opt->batch == 0 && opt->workload > 0)
        opt->batch = 1; /* else 0: it adapts (batch.h)                 */
    if (opt->max_deliver > 0 && opt->retries >= opt->max_deliver)
        pp_cli_usage_error ("--retries %u: an item is delivered at most "
                            "--max-deliver %u times, so it can be retried "
                            "%u times at most (raise --max-deliver, or 0: "
                            "no limit)",
                            opt->retries, opt->max_deliver,
                            opt->max_deliver - 1);
    if (opt->resume && !opt->journal)
        pp_cli_usage_error ("--resume needs the --journal FILE of the run "
                            "to continue");
    if (opt->journal && opt->overflow == PP_OVERFLOW_DROP)
        pp_cli_usage_error ("--journal cannot go with --overflow drop: "
                            "dropped records are never numbered, so a "
                            "resumed run could not number the input the "
                            "same way (use block or spill)");
    pp_cli_output ("--journal", opt->journal, PP_CLI_OUT_BESIDE);
    if (opt->overflow == PP_OVERFLOW_SPILL)
        pp_cli_output ("--spill-dir", opt->spill_dir, PP_CLI_OUT_DIR);
    pp_cli_endpoints (&opt->common);
    pp_cli_resolve (&opt->common, "--tasks", opt->common.tasks, true);
    pp_cli_resolve (&opt->common, "--control", opt->common.control, true);
    pp_cli_resolve (&opt->common, "--acks", opt->common.acks, true);
    pp_cli_check_bind (&opt->common, "--tasks", opt->common.tasks);
    pp_cli_check_bind (&opt->common, "--control", opt->common.control);
    pp_cli_check_bind (&opt->common, "--acks", opt->common.acks);
}

void
vent_options_parse (vent_options_t *opt, int argc, char **argv)
{
    opt->delim = '\n';
    opt->seed = 1;
    opt->window = 65536;
    opt->window_bytes = VENT_WINDOW_BYTES;
    opt->ack_timeout_ms = 10000;
    opt->linger_ms = 1000;
    opt->heartbeat_ms = 1000;
    opt->liveness = 3;
    opt->max_deliver = 5;
    opt->drain_timeout_ms = 25000;
    opt->argv = pp_cli_argv_copy (argc, argv); /* before getopt reorders */
    opt->argc = opt->argv ? argc : 0;
    int c;
    while ((c = getopt_long (argc, argv, "hvq0", s_longs, NULL)) != -1) {
        if (c == 'h')
            pp_cli_help (s_help_head, s_help_tail);
        if (!pp_cli_common_option (&opt->common, c, optarg) &&
            !s_input_option (opt, c, optarg) &&
            !s_dispatch_option (opt, c, optarg) &&
            !s_flow_option (opt, c, optarg))
            pp_cli_bad_option (argc, argv, s_longs);
    }
    s_finish (opt, argc, argv);
}
