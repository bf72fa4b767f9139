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
    "                      ventilator's --window)\n"
    "  -0, --null          NUL-separated results instead of lines\n"
    "  --stats-json FILE   write the summary as JSON (docs/stats.md)\n"
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
    "                      line every 10 s)\n"
    "\n";
static const char *s_help_tail =
    "\n"
    "Signals: the first SIGINT/SIGTERM asks the ventilator to drain (before\n"
    "any run: ends at once, exit 3), the second aborts the run. Exit: 0 all\n"
    "ok, 1 error (a write error, a lost ventilator: the run is incomplete),\n"
    "2 usage, 3 aborted, 4 some items failed or were dropped.\n"
    "\n"
    "Examples:\n"
    "  pp-sink --sum\n"
    "  pp-sink --ordered -o results.txt --stats-json stats.json\n"
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
    if (opt->sum && opt->ordered)
        pp_cli_usage_error ("--sum and --ordered do not go together "
                            "(a sum has no order)");
    pp_cli_endpoints (&opt->common);
    pp_cli_check_bind (&opt->common, "--results", opt->common.results);
    if (opt->progress == SINK_PROGRESS_AUTO) /* pp_verbosity is known     */
        opt->progress = isatty (STDERR_FILENO) ? SINK_PROGRESS_TERMINAL
                        : pp_verbosity > 0     ? SINK_PROGRESS_LOG
                                               : SINK_PROGRESS_OFF;
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
        {"drain-timeout", required_argument, 0, 2007},
        {0, 0, 0, 0}};
    opt->delim = '\n';
    opt->progress = SINK_PROGRESS_AUTO;
    opt->ventilator_timeout_ms = 90000;
    opt->drain_timeout_ms = 25000;
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
            case 2007:
                opt->drain_timeout_ms =
                    pp_cli_duration_ms ("--drain-timeout", optarg);
                opt->drain_timeout_given = true;
                break;
            default: pp_cli_bad_option (argc, argv);
        }
    }
    if (optind < argc)
        pp_cli_usage_error ("unexpected argument '%s'", argv[optind]);
    s_check (opt);
}
