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
    "  --ack-timeout D     send an item again if not acked in D (default "
    "10s)\n"
    "  --batch N           items per message (default 64; 1 with --workload)"
    "\n"
    "  --rate R            dispatch at most R items per second\n"
    "  --wait-workers N    hold dispatch until N workers said hello\n"
    "  --retries N         send a failed item again, to another worker\n"
    "                      when there is one, up to N times (default 0)\n"
    "  --linger D          keep announcing DONE for D (default 1s)\n"
    "  --drain-timeout D   a drain (asked, or the input ended) not\n"
    "                      complete after D becomes an abort (exit 3;\n"
    "                      default: wait until it completes)\n"
    "  --overflow P        when workers lag behind the input: block (stop\n"
    "                      reading, default), drop (count the record as\n"
    "                      dropped) or spill (queue it in --spill-dir)\n"
    "  --spill-dir DIR     where spill files go (default $TMPDIR or /tmp)\n"
    "Credit flow (--flow credit):\n"
    "  --heartbeat D       workers beat every D (default 1s)\n"
    "  --liveness N        a worker silent for N beats is dead and its\n"
    "                      items go to others (default 3); time this\n"
    "                      process was stopped does not count\n"
    "\n";
static const char *s_help_tail =
    "\n"
    "Signals: the first SIGINT/SIGTERM drains (stop reading, finish what\n"
    "was sent; with nothing sent yet, it ends the run at once, as\n"
    "aborted), the second aborts. Exit: 0 all ok, 1 error, 2 usage,\n"
    "3 aborted, 4 some items failed or were dropped.\n"
    "\n"
    "Examples:\n"
    "  pp-ventilator --generate 1000000 --wait-workers 4\n"
    "  pp-ventilator --workload 200 --seed 1 --wait-workers 2\n"
    "  find . -name '*.log' -print0 | pp-ventilator -0\n";

void
vent_options_parse (vent_options_t *opt, int argc, char **argv)
{
    static struct option longs[] = {
        PP_CLI_COMMON_OPTIONS,
        {"null", no_argument, 0, '0'},
        {"generate", required_argument, 0, 2000},
        {"workload", required_argument, 0, 2001},
        {"seed", required_argument, 0, 2002},
        {"skip", required_argument, 0, 2003},
        {"rate", required_argument, 0, 2004},
        {"window", required_argument, 0, 2005},
        {"ack-timeout", required_argument, 0, 2006},
        {"batch", required_argument, 0, 2007},
        {"wait-workers", required_argument, 0, 2008},
        {"linger", required_argument, 0, 2009},
        {"overflow", required_argument, 0, 2010},
        {"spill-dir", required_argument, 0, 2011},
        {"heartbeat", required_argument, 0, 2012},
        {"liveness", required_argument, 0, 2013},
        {"retries", required_argument, 0, 2014},
        {"drain-timeout", required_argument, 0, 2015},
        {0, 0, 0, 0}};
    opt->delim = '\n';
    opt->seed = 1;
    opt->window = 65536;
    opt->ack_timeout_ms = 10000;
    opt->linger_ms = 1000;
    opt->heartbeat_ms = 1000;
    opt->liveness = 3;
    int c;
    while ((c = getopt_long (argc, argv, "hvq0", longs, NULL)) != -1) {
        if (pp_cli_common_option (&opt->common, c, optarg))
            continue;
        switch (c) {
            case 'h': pp_cli_help (s_help_head, s_help_tail);
            case '0': opt->delim = '\0'; break;
            case 2000:
                opt->generate =
                    pp_cli_number ("--generate", optarg, 0, INT64_MAX / 2);
                break;
            case 2001:
                opt->workload =
                    pp_cli_number ("--workload", optarg, 0, INT64_MAX / 2);
                break;
            case 2002:
                opt->seed = pp_cli_number ("--seed", optarg, 0, INT64_MAX);
                break;
            case 2003:
                opt->skip = pp_cli_number ("--skip", optarg, 0, INT64_MAX);
                break;
            case 2004:
                opt->rate = pp_cli_number ("--rate", optarg, 1, 100000000);
                break;
            case 2005:
                opt->window = pp_cli_number ("--window", optarg, 1, 1 << 24);
                break;
            case 2006:
                opt->ack_timeout_ms =
                    pp_cli_duration_ms ("--ack-timeout", optarg);
                if (opt->ack_timeout_ms < 10)
                    pp_cli_usage_error ("--ack-timeout: %s is under 10ms",
                                        optarg);
                break;
            case 2007:
                opt->batch = pp_cli_number ("--batch", optarg, 1, 65536);
                break;
            case 2008:
                opt->wait_workers = pp_cli_number ("--wait-workers", optarg, 0,
                                                   VENT_MAX_HELLOS);
                break;
            case 2009:
                opt->linger_ms = pp_cli_duration_ms ("--linger", optarg);
                break;
            case 2010:
                opt->overflow = pp_cli_overflow ("--overflow", optarg);
                break;
            case 2011: opt->spill_dir = optarg; break;
            case 2012:
                opt->heartbeat_ms = pp_cli_duration_ms ("--heartbeat", optarg);
                if (opt->heartbeat_ms < 10)
                    pp_cli_usage_error ("--heartbeat: %s is under 10ms",
                                        optarg);
                break;
            case 2013:
                opt->liveness =
                    (int) pp_cli_number ("--liveness", optarg, 1, 1000);
                break;
            case 2014:
                opt->retries =
                    (uint32_t) pp_cli_number ("--retries", optarg, 0, 100);
                break;
            case 2015:
                opt->drain_timeout_ms =
                    pp_cli_duration_ms ("--drain-timeout", optarg);
                break;
            default: pp_cli_bad_option (argc, argv);
        }
    }
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
    if (opt->batch == 0)
        opt->batch = opt->workload > 0 ? 1 : 64;
    pp_cli_endpoints (&opt->common);
    pp_cli_check_bind (&opt->common, "--tasks", opt->common.tasks);
    pp_cli_check_bind (&opt->common, "--control", opt->common.control);
    pp_cli_check_bind (&opt->common, "--acks", opt->common.acks);
}
