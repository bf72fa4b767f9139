/*  sink_options: pp-sink's flags, their checks, and --help (options.h).   */

#include "options.h"

#include <unistd.h>

static const char *s_help_head =
    "Usage: pp-sink [OPTIONS]\n"
    "Collect the results of a pushpull run: one outcome per item, written\n"
    "once even when an item was delivered twice, acked to the ventilator.\n"
    "Binds --results; connects --control and --acks.\n"
    "\n"
    "Output:\n"
    "  -o, --output FILE   write results to FILE (default stdout)\n"
    "  --sum               print the int64 sum of ok results instead\n"
    "  --ordered           write results in input order (bounded by the\n"
    "                      ventilator's --window; results waiting for\n"
    "                      their turn past --buffer-bytes wait in an\n"
    "                      unlinked file in $TMPDIR, default /tmp)\n"
    "  --buffer-bytes SIZE about the most bytes of results each buffer\n"
    "                      holds in memory: --ordered's, those that came\n"
    "                      before the run was known, the socket's queue\n"
    "                      (its --hwm is lowered to fit, to no fewer than\n"
    "                      2 messages); default 8M\n"
    "  -0, --null          NUL-separated results instead of lines\n"
    "  --stats-json FILE   write the summary as JSON (docs/stats.md)\n"
    "  --tag               write each ok result as its input, a tab, the\n"
    "                      result (the input as text: a tab, newline or\n"
    "                      other control byte in it escaped)\n"
    "  --jsonl             write one JSON object per item, every outcome:\n"
    "                      seq, record, input, outcome, result, reason,\n"
    "                      worker (strings as valid UTF-8 text)\n"
    "  --ventilator-timeout D  give up on a run whose ventilator is silent\n"
    "                      for D: write what we have, report the run\n"
    "                      incomplete, exit 1 (default 90s, so a\n"
    "                      ventilator restarted with --resume within a\n"
    "                      minute finds us; 0: wait forever); time this\n"
    "                      process was stopped does not count\n"
    "  --drain-timeout D   a drain this sink asked for (a signal) not\n"
    "                      complete after D becomes an abort: what is\n"
    "                      written is checkpointed, the ventilator asked\n"
    "                      to abort, exit 3 (default 25s, within Slurm's\n"
    "                      30s before SIGKILL; 0: wait); given, it also\n"
    "                      bounds a drain the ventilator announced\n"
    "  --resume            continue --output FILE after a crash or a write\n"
    "                      error: FILE is cut back to its journal\n"
    "                      (FILE.journal) and no item is written twice;\n"
    "                      refused without a journal (and -o FILE without\n"
    "                      --resume is refused while the journal is there)\n"
    "  --progress, --no-progress   force the progress line on or off\n"
    "                      (default: redrawn on a terminal, else a log\n"
    "                      line every 10 s): workers connected, done/total\n"
    "                      and percent, the rate of the last 10 s, elapsed,\n"
    "                      ETA (h:mm:ss), \"no result for N s\"; results\n"
    "                      and logs on the same terminal go above it\n"
    "\n"
    "Failed items:\n"
    "  --joblog FILE       a line per item as its outcome is recorded, tab-\n"
    "                      separated under a header: seq record worker host\n"
    "                      start runtime attempt outcome exit reason (start\n"
    "                      in epoch s, runtime in s, 3 decimals; attempt 1\n"
    "                      for the first delivery; exit: the status, or the\n"
    "                      signal's name, SIGKILL); seq from 0, record from\n"
    "                      1; text escaped (valid UTF-8, no tabs); appended\n"
    "                      to with --resume\n"
    "  --failed FILE       the inputs of failed and dropped items, as lines\n"
    "                      (NUL-ended with -0): pp-ventilator FILE reruns\n"
    "                      them. An input holding a newline cannot be a\n"
    "                      line: left out, counted (use -0). Records the\n"
    "                      ventilator dropped or failed itself (oversized,\n"
    "                      given up) never reach it with their input: not in\n"
    "                      FILE, counted in a warning\n"
    "  --halt WHEN,WHAT=N  as GNU parallel's: stop the run once N items\n"
    "                      failed (fail=N), were ok (success=N) or either\n"
    "                      (done=N); N% for a share of the outcomes so far\n"
    "                      (judged from the 3rd on). WHEN now: abort (exit\n"
    "                      3); soon: drain -- what was sent ends, no more\n"
    "                      input is read (exit 4, even if all were ok: input\n"
    "                      was left unread)\n"
    "\n";
static const char *s_help_tail =
    "\n"
    "Signals: the first SIGINT/SIGTERM asks the ventilator to drain (before\n"
    "any run: ends at once, exit 3), the second aborts the run; SIGHUP (a\n"
    "closed terminal) counts as one unless ignored (nohup). Exit: 0 all\n"
    "ok, 1 error (a write error, a lost ventilator: the run is incomplete),\n"
    "2 usage (an output FILE that cannot be written is found at start,\n"
    "before any is created), 3 aborted, 4 some items failed or were\n"
    "dropped.\n"
    "\n"
    "Examples:\n"
    "  pp-sink --sum\n"
    "  pp-sink --ordered -o results.txt --stats-json stats.json\n"
    "  pp-sink -o out.txt --joblog jobs.tsv --failed failed.txt\n"
    "  pp-sink --jsonl --halt now,fail=1\n"
    "  PP_RESULTS=ipc:///tmp/pp-results pp-sink --sum\n";

/*  The flags that do not go together, the endpoints, the bind, and the
    progress line's mode once the verbosity is known. Exits 2 on a clash. */
static void
s_check (sink_options_t *opt)
{
    if (opt->resume && !opt->output_path)
        pp_cli_usage_error ("--resume needs --output FILE (the journal "
                            "lives beside it)");
    if (opt->resume && opt->ordered)
        pp_cli_usage_error ("--resume does not work with --ordered yet");
    if (opt->sum && opt->format != SINK_FORMAT_PLAIN)
        pp_cli_usage_error ("--sum and --%s do not go together (a sum has "
                            "no lines)",
                            opt->format == SINK_FORMAT_TAG ? "tag" : "jsonl");
    if (opt->sum && opt->ordered)
        pp_cli_usage_error ("--sum and --ordered do not go together "
                            "(a sum has no order)");
    opt->input_delim = opt->delim;
    if (opt->format == SINK_FORMAT_JSONL)
        opt->delim = '\n'; /* JSON Lines, whatever the input's form     */
    /*  Every output checked before any is made: one refused must not
        leave another created, or emptied.                                */
    pp_cli_output ("--output", opt->output_path, PP_CLI_OUT_BESIDE);
    pp_cli_output ("--stats-json", opt->stats_json, PP_CLI_OUT_FILE);
    pp_cli_output ("--joblog", opt->joblog, PP_CLI_OUT_FILE);
    pp_cli_output ("--failed", opt->failed, PP_CLI_OUT_FILE);
    pp_cli_endpoints (&opt->common);
    pp_cli_resolve (&opt->common, "--results", opt->common.results, true);
    pp_cli_check_bind (&opt->common, "--results", opt->common.results);
    pp_cli_resolve (&opt->common, "--control", opt->common.control, false);
    pp_cli_resolve (&opt->common, "--acks", opt->common.acks, false);
    if (opt->progress == SINK_PROGRESS_AUTO) /* pp_verbosity is known     */
        opt->progress = isatty (STDERR_FILENO) ? SINK_PROGRESS_TERMINAL
                        : pp_verbosity > 0     ? SINK_PROGRESS_LOG
                                               : SINK_PROGRESS_OFF;
}

/*  --tag or --jsonl, not both.                                            */
static void
s_set_format (sink_options_t *opt, sink_format_mode_t format)
{
    if (opt->format != SINK_FORMAT_PLAIN && opt->format != format)
        pp_cli_usage_error ("--tag and --jsonl do not go together");
    opt->format = format;
}

static void
s_set_halt (sink_options_t *opt, const char *spec)
{
    if (sink_halt_parse (spec, &opt->halt) != 0)
        pp_cli_usage_error ("--halt '%s': expected now|soon,fail|success|"
                            "done=N or N%% (N >= 1, N%% <= 100%%), or never",
                            spec);
}

void
sink_options_parse (sink_options_t *opt, int argc, char **argv)
{
    static struct option longs[] = {
        PP_CLI_COMMON_OPTIONS,
        {"output", required_argument, 0, 'o'},
        {"sum", no_argument, 0, 2000},
        {"ordered", no_argument, 0, 2001},
        {"null", no_argument, 0, '0'},
        {"stats-json", required_argument, 0, 2002},
        {"progress", no_argument, 0, 2003},
        {"no-progress", no_argument, 0, 2004},
        {"resume", no_argument, 0, 2005},
        {"ventilator-timeout", required_argument, 0, 2006},
        {"joblog", required_argument, 0, 2007},
        {"failed", required_argument, 0, 2008},
        {"tag", no_argument, 0, 2009},
        {"jsonl", no_argument, 0, 2010},
        {"halt", required_argument, 0, 2011},
        {"drain-timeout", required_argument, 0, 2012},
        {"buffer-bytes", required_argument, 0, 2013},
        {0, 0, 0, 0}};
    opt->delim = '\n';
    opt->progress = SINK_PROGRESS_AUTO;
    opt->ventilator_timeout_ms = 90000;
    opt->drain_timeout_ms = 25000;
    opt->buffer_bytes = 8 << 20;
    opt->argv = pp_cli_argv_copy (argc, argv); /* before getopt reorders */
    opt->argc = opt->argv ? argc : 0;
    int c;
    while ((c = getopt_long (argc, argv, "hvqo:0", longs, NULL)) != -1) {
        if (pp_cli_common_option (&opt->common, c, optarg))
            continue;
        switch (c) {
            case 'h': pp_cli_help (s_help_head, s_help_tail);
            case 'o': opt->output_path = optarg; break;
            case 2000: opt->sum = true; break;
            case 2001: opt->ordered = true; break;
            case '0': opt->delim = '\0'; break;
            case 2002: opt->stats_json = optarg; break;
            case 2003: opt->progress = SINK_PROGRESS_TERMINAL; break;
            case 2004: opt->progress = SINK_PROGRESS_OFF; break;
            case 2005: opt->resume = true; break;
            case 2006:
                opt->ventilator_timeout_ms =
                    pp_cli_duration_ms ("--ventilator-timeout", optarg);
                break;
            case 2007: opt->joblog = optarg; break;
            case 2008: opt->failed = optarg; break;
            case 2009: s_set_format (opt, SINK_FORMAT_TAG); break;
            case 2010: s_set_format (opt, SINK_FORMAT_JSONL); break;
            case 2011: s_set_halt (opt, optarg); break;
            case 2012:
                opt->drain_timeout_ms =
                    pp_cli_duration_ms ("--drain-timeout", optarg);
                opt->drain_timeout_given = true;
                break;
            case 2013:
                opt->buffer_bytes = pp_cli_size ("--buffer-bytes", optarg);
                if (opt->buffer_bytes < (64 << 10))
                    pp_cli_usage_error ("--buffer-bytes: %s is under 64K",
                                        optarg);
                break;
            default: pp_cli_bad_option (argc, argv, longs);
        }
    }
    if (optind < argc)
        pp_cli_usage_error ("unexpected argument '%s'", argv[optind]);
    s_check (opt);
}
